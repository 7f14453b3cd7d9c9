#!/usr/bin/env bash
# Every check of the project, in the order a failure is cheapest to see: formatting, layering,
# clippy with warnings denied (also on the recording pipeline built without HTTP), all Rust tests
# (including the drift checks of generated files), then the TypeScript checks once
# frontend-bindings has a package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== layering"
scripts/check-layering.sh

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== the recording pipeline without HTTP (tracking-api --no-default-features)"
cargo clippy -p tracking-api --no-default-features --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

echo "== schemathesis (the OpenAPI document against the real server)"
scripts/schemathesis.sh

if [ -f frontend-bindings/package.json ]; then
  echo "== frontend-bindings"
  (cd frontend-bindings && npm ci --no-audit --no-fund && npm test)
fi
