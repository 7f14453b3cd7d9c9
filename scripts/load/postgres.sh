#!/usr/bin/env bash
# The PostgreSQL figures of issue 14 ("Figures"), on this machine, against the database
# scripts/postgres.sh prints (its own database, PG_TEST_DATABASE, on the shared cluster; the
# cluster is never restarted). Not part of scripts/test.sh.
#
#   LOAD_AREAS=ceiling scripts/load/postgres.sh
#   LOAD_AREAS=history LOAD_REPEATS=2 scripts/load/postgres.sh
#
# Areas (LOAD_AREAS, comma-separated; default ceiling,history):
#   ceiling  per run, back to back on the same database: pgbench (tpcb-like, LOAD_CONNECTIONS
#            clients, scale LOAD_PGBENCH_SCALE), POST .../activate with LOAD_CONNECTIONS
#            connections to one server, then to two servers on the same schema (half the
#            connections each, both at once), the same on LOAD_BASELINE_BIN when given (another
#            build, say before a change, on a schema of its own holding the same seed; the order
#            of the builds alternates between runs), and
#            pgbench again; prints each activation rate as a share of the mean of the two pgbench
#            runs around it (target >= 50 %)
#   history  the 1,000,000-event seed in the file store and imported into PostgreSQL (both once):
#            per run and store (the order alternating), startup time and memory, GET
#            /admin/tracking with child_id + entity_type + from/to + limit=50 and `total` (1 and
#            LOAD_CONNECTIONS connections), GET /children/{id}/summary (all-time, 1 and
#            LOAD_CONNECTIONS), and the whole history through GET /admin/tracking/export (time and
#            the server's memory during it)
#
# Settings (environment): as scripts/load/run.sh (LOAD_DIR, LOAD_REPEATS, LOAD_SECONDS,
# LOAD_CONNECTIONS, LOAD_EVENTS, LOAD_PARENTS, LOAD_CHILDREN_PER_PARENT, LOAD_RESEED), plus
# LOAD_DATABASE_URL (default: what scripts/postgres.sh prints for PG_TEST_DATABASE, default
# tracking_figures), LOAD_PGBENCH_SCALE (default LOAD_PARENTS: as many branch rows, each updated
# by every transaction of its branch, as families, whose sequence row every activation of the
# family updates), LOAD_BASELINE_BIN, LOAD_SERVER_CONNECTIONS (each server's pool, default 16), LOAD_BUILD=0 (use the
# binaries already built).
# PostgreSQL's settings are the cluster's (synchronous_commit is printed and must be on).
#
# Needs: wrk, pgbench, psql, python3, curl; a release build with the postgres feature (built here).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE=scripts/load
OUT=${LOAD_DIR:-/tmp/tracking-load-postgres}
REPEATS=${LOAD_REPEATS:-3}
SECONDS_PER_RUN=${LOAD_SECONDS:-10}
CONNECTIONS=${LOAD_CONNECTIONS:-64}
EVENTS=${LOAD_EVENTS:-1000000}
PARENTS=${LOAD_PARENTS:-10}
CHILDREN_PER_PARENT=${LOAD_CHILDREN_PER_PARENT:-100}
SCALE=${LOAD_PGBENCH_SCALE:-$PARENTS}
POOL=${LOAD_SERVER_CONNECTIONS:-16}
AREAS=${LOAD_AREAS:-ceiling,history}
ADMIN_TOKEN=load-measurement-admin-token-0123456789abcdef
URL=${LOAD_DATABASE_URL:-$(PG_TEST_DATABASE=${PG_TEST_DATABASE:-tracking_figures} scripts/postgres.sh)}

for tool in wrk pgbench psql python3 curl; do
  command -v "$tool" >/dev/null || { echo "postgres.sh needs $tool" >&2; exit 1; }
done
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; log "$2 | $3: $4"; }
now_ms() { date +%s%3N; }
sql() { psql "$URL" --no-psqlrc --quiet --tuples-only --no-align --set ON_ERROR_STOP=1 "$@"; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }

BIN=target/release/tracking-server
SEED=target/release/examples/seed
if [[ ${LOAD_BUILD:-1} == 1 ]]; then
  log "building (release, --features postgres)"
  cargo build --release -p tracking-server --features postgres --bin tracking-server --example seed
fi

# Starts a server (binary $1, name $2, then its storage flags); sets PID, ADDR, LISTEN_MS, READY_MS.
start() {
  local bin=$1 name=$2
  shift 2
  local err=$OUT/server-$name-$(date +%s%N).err started
  started=$(now_ms)
  "$bin" --bind 127.0.0.1:0 --log-dir "$OUT/logs-$name" --admin-token "$ADMIN_TOKEN" \
    --database-connections "$POOL" "$@" 2>"$err" &
  PID=$!
  PIDS+=("$PID")
  ADDR=
  for _ in $(seq 1 6000); do
    ADDR=$(grep -o 'listening on http://[0-9.:]*' "$err" | head -1 | sed 's#.*http://##' || true)
    [[ -n $ADDR ]] && break
    kill -0 "$PID" 2>/dev/null || { cat "$err" >&2; exit 1; }
    sleep 0.005
  done
  [[ -n $ADDR ]] || { cat "$err" >&2; exit 1; }
  LISTEN_MS=$(($(now_ms) - started))
  until curl -fs "http://$ADDR/health" >/dev/null; do sleep 0.005; done
  READY_MS=$(($(now_ms) - started))
}
stop() { kill -TERM "$1"; wait "$1" || true; }
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s=%.1fMiB ", $1, $2 / 1024}' "/proc/$1/status" | sed 's/://g'; }

# wrk with the shared script against $1; the rest after "--". Sets RPS P50 P99 NON2XX.
wrk_at() {
  local addr=$1 name=$2 threads=$3 connections=$4
  shift 4
  wrk "-t$threads" "-c$connections" "-d${SECONDS_PER_RUN}s" --latency -s "$HERE/wrk.lua" \
    "http://$addr" -- "$@" >"$OUT/$name.wrk" 2>&1
  local line
  line=$(grep '^RESULT' "$OUT/$name.wrk") || { cat "$OUT/$name.wrk" >&2; exit 1; }
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" ${line#RESULT}"; }
  RPS=$(field rps) P50=$(field p50_ms) P99=$(field p99_ms) NON2XX=$(field non2xx)
}

PGBENCH_CMD="pgbench -c $CONNECTIONS -j 2 -T $SECONDS_PER_RUN -M prepared (tpcb-like, scale $SCALE)"
pgbench_tps() {
  pgbench -c "$CONNECTIONS" -j 2 -T "$SECONDS_PER_RUN" -M prepared "$URL" >"$OUT/$1.pgbench" 2>&1
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$OUT/$1.pgbench"
}

# A schema holding the seed `$1` (a data dir), imported once through `tracking-server import` of
# the binary `$3` (default this tree's).
import_once() {
  local data=$1 schema=$2 bin=${3:-$BIN}
  if [[ ${LOAD_RESEED:-0} == 1 ]]; then sql -c "DROP SCHEMA IF EXISTS $schema CASCADE"; fi
  if [[ $(sql -c "SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'") == 0 ]]; then
    log "importing $data into schema $schema"
    local started
    started=$(now_ms)
    "$bin" import --from "$data" --database-url "$URL" --database-schema "$schema" >"$OUT/import-$schema.txt"
    record seed - "import into $schema (s)" "$((($(now_ms) - started) / 1000))" "tracking-server import"
    # Sets the visibility map (index-only scans) and every row's hint bits, as autovacuum would later.
    sql -c "VACUUM ANALYZE $schema.tracking_events"
  fi
}

SMALL=$OUT/seed-families
SMALL_OUT=$OUT/fixture-families
if [[ ${LOAD_RESEED:-0} == 1 || ! -f $SMALL_OUT/targets.txt ]]; then
  rm -rf "$SMALL" "$SMALL_OUT"
  "$SEED" --data-dir "$SMALL" --out "$SMALL_OUT" --parents "$PARENTS" \
    --children-per-parent "$CHILDREN_PER_PARENT" --events 0
fi
record settings - "PostgreSQL" "$(sql -c "SELECT 'synchronous_commit=' || current_setting('synchronous_commit') || ' fsync=' || current_setting('fsync') || ' shared_buffers=' || current_setting('shared_buffers') || ' wal_sync_method=' || current_setting('wal_sync_method') || ' ' || split_part(version(), ' ', 2)")" ""

if [[ $AREAS == *ceiling* ]]; then
  [[ $(sql -c "SELECT count(*) FROM pg_tables WHERE tablename = 'pgbench_branches'") == 1 &&
    $(sql -c "SELECT count(*) FROM pgbench_branches") == "$SCALE" ]] ||
    pgbench -i -q -s "$SCALE" "$URL" >"$OUT/pgbench-init.txt" 2>&1
  # A schema per build: a build refuses a schema that a newer build migrated further.
  import_once "$SMALL" load_families_tree
  [[ -n ${LOAD_BASELINE_BIN:-} ]] && import_once "$SMALL" load_families_baseline "$LOAD_BASELINE_BIN"
  builds=tree
  [[ -n ${LOAD_BASELINE_BIN:-} ]] && builds="tree baseline"
  for run in $(seq 1 "$REPEATS"); do
    ((run % 2 == 0)) && [[ -n ${LOAD_BASELINE_BIN:-} ]] && builds="baseline tree"
    ((run % 2 == 1)) && [[ -n ${LOAD_BASELINE_BIN:-} ]] && builds="tree baseline"
    log "run $run: load average $(load_average)"
    first=$(pgbench_tps "pgbench-$run-a")
    declare -A rate=()
    for build in $builds; do
      bin=$BIN
      [[ $build == baseline ]] && bin=$LOAD_BASELINE_BIN
      FLAGS=(--database-url "$URL" --database-schema "load_families_$build")
      start "$bin" "$build-a" "${FLAGS[@]}"
      a_pid=$PID a_addr=$ADDR
      wrk_at "$a_addr" "$build-one-$run" 2 "$CONNECTIONS" activate "$SMALL_OUT/targets.txt"
      rate[$build-one]=$RPS
      record ceiling "$run" "$build, one server: activate req/s, p50 / p99 ms, non-2xx" \
        "$RPS, $P50 / $P99, $NON2XX" "wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s -s wrk.lua -- activate targets.txt"
      start "$bin" "$build-b" "${FLAGS[@]}"
      b_pid=$PID b_addr=$ADDR
      half=$((CONNECTIONS / 2))
      wrk_at "$b_addr" "$build-two-b-$run" 1 "$half" activate "$SMALL_OUT/targets.txt" &
      other=$!
      wrk_at "$a_addr" "$build-two-a-$run" 1 "$half" activate "$SMALL_OUT/targets.txt"
      a_rps=$RPS a_p50=$P50 a_p99=$P99
      wait "$other"
      # The background wrk's figures are read back from its output.
      wrk_at_line=$(grep '^RESULT' "$OUT/$build-two-b-$run.wrk")
      b_rps=$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<" $wrk_at_line")
      rate[$build-two]=$(python3 -c "print(round($a_rps + $b_rps))")
      record ceiling "$run" "$build, two servers: activate req/s (A + B), A p50 / p99 ms" \
        "${rate[$build-two]} ($a_rps + $b_rps), $a_p50 / $a_p99" "two wrk -t1 -c$half at once, one per server"
      stop "$b_pid"
      stop "$a_pid"
    done
    second=$(pgbench_tps "pgbench-$run-b")
    record ceiling "$run" "pgbench tps (before; after)" "$first; $second" "$PGBENCH_CMD"
    for key in "${!rate[@]}"; do
      record ceiling "$run" "$key / pgbench" \
        "$(python3 -c "print(f'{2 * ${rate[$key]} / ($first + $second):.1%}')")" "(target >= 50 %)"
    done
    record ceiling "$run" "load average after" "$(load_average)" ""
    unset rate
  done
fi

if [[ $AREAS == *history* ]]; then
  BIG=$OUT/seed-events
  BIG_OUT=$OUT/fixture-events
  if [[ ${LOAD_RESEED:-0} == 1 || ! -f $BIG_OUT/admin_queries.txt ]]; then
    rm -rf "$BIG" "$BIG_OUT"
    sql -c "DROP SCHEMA IF EXISTS load_history CASCADE"
    log "seeding $EVENTS events into the file store"
    started=$(now_ms)
    "$SEED" --data-dir "$BIG" --out "$BIG_OUT" --parents "$PARENTS" \
      --children-per-parent "$CHILDREN_PER_PARENT" --events "$EVENTS" 2>&1 | tail -1 >&2
    record seed - "file store seed of $EVENTS events (s)" "$((($(now_ms) - started) / 1000))" "$SEED --events $EVENTS"
  fi
  import_once "$BIG" load_history
  record seed - "history in PostgreSQL" "$(sql -c "SELECT (SELECT count(*) FROM load_history.tracking_events) || ' events, table ' || pg_size_pretty(pg_relation_size('load_history.tracking_events')) || ', indexes ' || pg_size_pretty(pg_indexes_size('load_history.tracking_events'))")" ""
  for run in $(seq 1 "$REPEATS"); do
    stores="postgres files"
    ((run % 2 == 0)) && stores="files postgres"
    for store in $stores; do
      if [[ $store == files ]]; then
        start "$BIN" "files-$run" --data-dir "$BIG"
      else
        start "$BIN" "postgres-$run" --database-url "$URL" --database-schema load_history
      fi
      record history "$run" "$store: startup to listening / first 200 (ms)" "$LISTEN_MS / $READY_MS" ""
      sleep 1
      record history "$run" "$store: memory after start" "$(rss "$PID")" "/proc/PID/status"
      for connections in 1 "$CONNECTIONS"; do
        threads=$((connections == 1 ? 1 : 2))
        wrk_at "$ADDR" "admin-$store-c$connections-$run" "$threads" "$connections" admin \
          "$BIG_OUT/admin_queries.txt" "$ADMIN_TOKEN"
        record history "$run" "$store: GET /admin/tracking (filters, total), $connections conn.: req/s, p50 / p99 ms, non-2xx" \
          "$RPS, $P50 / $P99, $NON2XX" "wrk -s wrk.lua -- admin admin_queries.txt TOKEN"
        wrk_at "$ADDR" "summary-$store-c$connections-$run" "$threads" "$connections" summary \
          "$BIG_OUT/targets.txt"
        record history "$run" "$store: GET /children/{id}/summary, $connections conn.: req/s, p50 / p99 ms, non-2xx" \
          "$RPS, $P50 / $P99, $NON2XX" "wrk -s wrk.lua -- summary targets.txt"
      done
      line=$(python3 "$HERE/export_vs_paging.py" "$ADDR" "$ADMIN_TOKEN" "$PID" --export-only | grep '^RESULT')
      record history "$run" "$store: export" "${line#RESULT }" "$HERE/export_vs_paging.py --export-only"
      record history "$run" "$store: memory after the queries" "$(rss "$PID")" "/proc/PID/status"
      stop "$PID"
    done
    record history "$run" "load average after" "$(load_average)" ""
  done
fi

echo
echo "PostgreSQL figures, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $SECONDS_PER_RUN s per timed run"
column -t -s $'\t' <(cut -f1-4 "$RESULTS")
