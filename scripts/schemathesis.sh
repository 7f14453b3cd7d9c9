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

# The seeded family: a parent with four children, tasks, penalties, rewards and some history,
# created through the API itself. Sets PARENT_TOKEN and the ids SEED_CHILDREN, SEED_TASKS and
# SEED_REWARDS.
seeded="$(python3 scripts/schemathesis_seed.py "$base")"
eval "$seeded"
export PARENT_TOKEN CHILD_TOKEN

# The settings, and the seeded ids as dictionaries that scripts/schemathesis.toml binds to the
# tracked mutations' path parameters (with a probability: the other half is generated).
toml_list() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@"; }
# write_config FILE CHILDREN SCHEME...: the settings with the credentials of SCHEME (admin,
# parent) and CHILDREN as the children the mutations draw from.
write_config() {
  local file=$1 children=$2
  shift 2
  {
    cat scripts/schemathesis.toml
    for scheme in "$@"; do
      echo
      echo "[auth.openapi.$scheme]"
      case $scheme in
        admin) echo 'bearer = "${ADMIN_TOKEN}"' ;;
        parent) echo 'bearer = "${PARENT_TOKEN}"' ;;
      esac
    done
    echo
    echo "[dictionaries.seeded_children]"
    # shellcheck disable=SC2086 # the ids are space-separated on purpose
    echo "values = $(toml_list $children)"
    echo "[dictionaries.seeded_tasks]"
    # shellcheck disable=SC2086
    echo "values = $(toml_list $SEED_TASKS)"
    echo "[dictionaries.seeded_rewards]"
    # shellcheck disable=SC2086
    echo "values = $(toml_list $SEED_REWARDS)"
  } >"$file"
}
config="$work/schemathesis.toml"
write_config "$config" "$SEED_CHILDREN" admin parent
# The child's run: its token alone (sent with every request: Schemathesis would pick the first
# scheme an operation lists, the parent's), on the operations a child token may call, its own id
# as the child of the mutations (a sibling's is 403, tested in the Rust matrix).
child_config="$work/schemathesis-child.toml"
write_config "$child_config" "$CHILD_ID"

# Three runs (the budget is SCHEMATHESIS_MAX_TIME; they take 5/4 of it in all): first the child's
# operations with the child's token alone (a quarter of the budget, in seconds: before the parent's run, which may delete the child or revoke its tokens),
# then everything but deleting users with the operator's and the parent's tokens (three
# quarters), then deleting users (a quarter: a user's deletion revokes its and its children's
# tokens, so it comes after everything that needs the seeded family).
budget="${SCHEMATHESIS_MAX_TIME:-160}"
# scripts/schemathesis_hooks.py gives every keyed request a key of its own.
export PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks
# ...and keeps the seeded records the mutations draw from (a DELETE of one names nothing instead).
export SCHEMATHESIS_PROTECTED_IDS="$SEED_CHILDREN $SEED_TASKS $SEED_REWARDS"
run() {
  local seconds=$1
  shift
  st --config-file "${RUN_CONFIG:-$config}" --no-color run "${base}/openapi.json" \
    --seed 20261130 \
    --workers 1 \
    --max-time "$seconds" \
    --request-timeout 5 \
    "$@"
}
# The events recorded so far, by entity type and action, from the server's own counters.
recorded() { python3 scripts/schemathesis_recorded.py "$base"; }
child_operations=()
for operation in list_children get_child reward_requests cancel_reward request_reward \
  child_summary child_tracking child_export events event_ticket me list_rewards get_reward \
  list_tasks get_task; do
  child_operations+=(--include-operation-id "$operation")
done
status=0
child_before="$(recorded)"
RUN_CONFIG=$child_config run "$((budget / 4))" "${child_operations[@]}" \
  --header "Authorization: Bearer $CHILD_TOKEN" || status=$?
# The child's token must have got through: its reward requests were recorded.
echo "== events recorded by the child's run"
if ! python3 scripts/schemathesis_recorded.py --compare "$child_before" "$(recorded)" request; then
  status=1
fi
before="$(recorded)"
run "$((budget * 3 / 4))" --exclude-operation-id delete_user || status=$?
# Schemathesis must have reached the mutations' success paths, not only their 404s: every kind
# of tracked mutation recorded new events during the run.
after="$(recorded)"
echo "== events recorded by the run (entity_type action: before -> after)"
if ! python3 scripts/schemathesis_recorded.py --compare "$before" "$after"; then
  status=1
fi
run "$((budget / 4))" --include-operation-id delete_user --include-operation-id create_user \
  --include-operation-id list_users || status=$?
if [ "$status" -ne 0 ]; then
  echo "== schemathesis failed; the server's log:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
