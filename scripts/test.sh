#!/usr/bin/env bash
# Every check of the project, in the order a failure is cheapest to see: formatting, layering,
# clippy with warnings denied (also on the recording pipeline built without HTTP), all Rust tests
# (including the drift checks of generated files), then the TypeScript checks once
# frontend-bindings has a package.json.
#
# Clippy always checks the PostgreSQL store (cargo feature `postgres`); its tests run only with
# TRACKING_TEST_POSTGRES=1, and then need TRACKING_TEST_DATABASE_URL (`scripts/postgres.sh` starts
# the machine's PostgreSQL and prints one): without the URL they fail. `.ci/run` asks for them.
# They include the HTTP contract tests run again against two servers on one database, requests
# alternating between them (bins/tracking-server/tests/pair, a test target of that feature).
# With TRACKING_TEST_POSTGRES_CRASH=1 as well, the crash test on PostgreSQL runs too (cargo feature
# `crash-postgres`); it restarts its database, so it needs TRACKING_TEST_CRASH_DATABASE_URL on a
# cluster of its own (`scripts/postgres-crash-cluster.sh` makes one and prints it).
set -euo pipefail
cd "$(dirname "$0")/.."

features=()
if [ "${TRACKING_TEST_POSTGRES_CRASH:-}" = 1 ]; then
  if [ "${TRACKING_TEST_POSTGRES:-}" != 1 ]; then
    echo "TRACKING_TEST_POSTGRES_CRASH=1 needs TRACKING_TEST_POSTGRES=1 (and both databases' URLs)" >&2
    exit 1
  fi
  features=(--features tracking-server/crash-postgres)
elif [ "${TRACKING_TEST_POSTGRES:-}" = 1 ]; then
  features=(--features tracking-server/postgres)
fi

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== layering"
scripts/check-layering.sh

echo "== cargo clippy (with the postgres feature and its crash test)"
cargo clippy --workspace --all-targets --locked --features tracking-server/crash-postgres -- -D warnings

echo "== the server without the postgres feature"
cargo clippy -p tracking-server --all-targets --locked -- -D warnings

echo "== the recording pipeline without HTTP (tracking-api --no-default-features)"
cargo clippy -p tracking-api --no-default-features --all-targets --locked -- -D warnings

echo "== cargo test ${features[*]}"
cargo test --workspace --locked "${features[@]}"

echo "== schemathesis (the OpenAPI document against the real server)"
scripts/schemathesis.sh

if [ -f frontend-bindings/package.json ]; then
  echo "== frontend-bindings"
  (cd frontend-bindings && npm ci --no-audit --no-fund && npm test)
fi
