#!/usr/bin/env bash
# Schemathesis against the real server built from this tree: a fresh data dir, a seeded family,
# the document the server serves, every default check, a fixed seed and a bounded time.
# Needs `st` (pip install schemathesis, as .ci/run does); fails when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v st >/dev/null 2>&1; then
  echo "schemathesis (st) is not installed: pip install 'schemathesis>=4,<5'" >&2
  exit 1
fi

cargo build --locked -p tracking-server
binary="${CARGO_TARGET_DIR:-target}/debug/tracking-server"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:${port}"
ADMIN_TOKEN="schemathesis-admin-token-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export ADMIN_TOKEN

"$binary" --bind "127.0.0.1:${port}" --data-dir "$work/data" --log-dir "$work/logs" \
  --admin-token "$ADMIN_TOKEN" >"$work/server.log" 2>&1 &
server_pid=$!

# The seeded family: a parent with two children, tasks, a penalty, rewards and some history,
# created through the API itself. Prints the parent's token.
PARENT_TOKEN="$(python3 scripts/schemathesis_seed.py "$base")"
export PARENT_TOKEN

# Two runs: a user's deletion revokes its token, so deleting users comes after everything that
# needs the seeded parent. Each run gets half the time budget.
budget="${SCHEMATHESIS_MAX_TIME:-120}"
run() {
  st --config-file scripts/schemathesis.toml --no-color run "${base}/openapi.json" \
    --seed 20261130 \
    --workers 1 \
    --max-time "$((budget / 2))" \
    --request-timeout 5 \
    --exclude-path /events \
    --exclude-path /docs/scalar.js \
    --exclude-path-regex '/summary$' \
    "$@"
}
status=0
run --exclude-operation-id delete_user || status=$?
run --include-operation-id delete_user --include-operation-id create_user \
  --include-operation-id list_users || status=$?
if [ "$status" -ne 0 ]; then
  echo "== schemathesis failed; the server's log:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
