#!/usr/bin/env bash
# The load measurements of issue 7 ("Load"), on this machine with the load generator beside the
# server. Not part of scripts/test.sh: it takes about 10 minutes with the defaults, most of it in
# the 1,000,000-event seed and the timed runs.
#
#   scripts/load/run.sh                    # every area, twice each
#   LOAD_AREAS=activate scripts/load/run.sh
#
# Areas (LOAD_AREAS, comma-separated; default all):
#   activate  GET /health, GET /children/{id} (an authenticated read, for comparison),
#             POST .../activate over 1,000 children, then GET /health again: 64 connections each,
#             back to back on one server process with default (durable) settings
#   sse       the same activation load while 1,000 SSE streams are open; counts every delivery
#   admin     startup time and memory with 1,000,000 stored events, then GET /admin/tracking with
#             child_id + entity_type + from/to + limit=50 (1 and 64 connections)
#   metrics   the overhead of the Prometheus metrics: POST .../activate with --metrics off and
#             --metrics on, one fresh server each, back to back (order alternating between runs)
#   overhead  the metrics' overhead measured fairly on a busy machine: two servers at once, one
#             --metrics off and one --metrics on (fresh copies of the same seed), and the
#             activation load sent to each in turn, LOAD_OVERHEAD_ROUNDS (8) pairs of
#             LOAD_OVERHEAD_SECONDS (10) s, the order alternating; prints the ratio of each pair,
#             their median and spread, then profiles the `on` server under the same load with
#             perf (when installed) and sums the samples in the metrics code
#   keys      what an Idempotency-Key costs: POST .../activate without keys and with a fresh key on
#             every request, one fresh server each, back to back (order alternating between runs)
#   summary   on the same 1,000,000 events: GET /children/{id}/summary all-time and 90-day daily
#             (1 and 64 connections), then the whole history through GET /admin/tracking/export
#             (events/s, server memory before and during) against a GET /admin/tracking paging
#             loop (limit=500) doing the same job (export_vs_paging.py)
#   compare   the activate area's /health, POST .../activate, /health again on this tree's server
#             and on LOAD_BASELINE_BIN (another build of tracking-server, say the commit before a
#             change), one fresh server each, back to back, the order alternating between runs,
#             with the server's CPU per activation per thread and the host's steal; not in the
#             default list
#
# Settings (environment): LOAD_DIR (work directory, default /tmp/tracking-load), LOAD_REPEATS (2),
# LOAD_SECONDS (15, per timed run), LOAD_CONNECTIONS (64), LOAD_EVENTS (1000000), LOAD_PARENTS
# (10), LOAD_CHILDREN_PER_PARENT (100), LOAD_STREAMS (1000), LOAD_QUIET_WAIT (600: seconds to wait
# for a quiet machine before each measurement), LOAD_RESEED=1 (seed again even if a seed exists),
# LOAD_BASELINE_BIN (the other server of the compare area).
#
# Needs: wrk (Debian: apt-get install -y wrk), python3, curl. Prints a table at the end; every raw
# output is kept under LOAD_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
HERE=scripts/load
OUT=${LOAD_DIR:-/tmp/tracking-load}
REPEATS=${LOAD_REPEATS:-2}
SECONDS_PER_RUN=${LOAD_SECONDS:-15}
CONNECTIONS=${LOAD_CONNECTIONS:-64}
EVENTS=${LOAD_EVENTS:-1000000}
PARENTS=${LOAD_PARENTS:-10}
CHILDREN_PER_PARENT=${LOAD_CHILDREN_PER_PARENT:-100}
STREAMS=${LOAD_STREAMS:-1000}
QUIET_WAIT=${LOAD_QUIET_WAIT:-600}
AREAS=${LOAD_AREAS:-activate,sse,admin,metrics,overhead,keys,summary}
ADMIN_TOKEN=load-measurement-admin-token-0123456789abcdef
# 1,000 streams over 10 parents is 100 per parent, past the default limit of 64.
STREAMS_PER_USER=$(((STREAMS + PARENTS - 1) / PARENTS + 28))

for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "run.sh needs $tool (wrk: apt-get install -y wrk)" >&2; exit 1; }
done
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
SERVER_PID=
SSE_PID=
OVERHEAD_PIDS=()
cleanup() {
  for pid in "${OVERHEAD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -n $SSE_PID ]] && kill "$SSE_PID" 2>/dev/null || true
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# area, run, figure, value, command: one line of results.tsv, with the time (UTC) last.
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" "$(date -u +%Y-%m-%dT%H:%MZ)" >>"$RESULTS"; }

now_ms() { date +%s%3N; }

# Per cent of both cores busy over two seconds, from /proc/stat.
cpu_busy() {
  local a b
  a=($(head -1 /proc/stat))
  sleep 2
  b=($(head -1 /proc/stat))
  local idle=$(((b[4] + b[5]) - (a[4] + a[5])))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((100 - 100 * idle / (total > 0 ? total : 1)))
}

# Other people's builds, benchmarks and test runs (debug binaries) on this machine.
heavy_processes() {
  ps -eo pid=,pcpu=,comm=,args= |
    awk '$3 ~ /^(cargo|rustc|cc|ld|rust-lld|clippy-driver|rustdoc|node)$/ || $0 ~ /-[-]bench|target\/[d]ebug\// {printf "%s(%s%%) ", $3, $2}'
}

# Waits (up to LOAD_QUIET_WAIT seconds) until nothing else uses the machine; prints the conditions.
CONDITIONS=
wait_quiet() {
  local waited=0 busy heavy
  while :; do
    busy=$(cpu_busy)
    heavy=$(heavy_processes)
    if ((busy < 15)) && [[ -z $heavy ]]; then
      break
    fi
    if ((waited >= QUIET_WAIT)); then
      log "machine still busy after ${waited}s (busy ${busy}%, ${heavy:-no build}); measuring anyway"
      break
    fi
    log "machine busy (${busy}% CPU; ${heavy:-no build/bench process}); waiting"
    sleep 10
    waited=$((waited + 12))
  done
  CONDITIONS="idle-before=$((100 - busy))% load=$(cut -d' ' -f1-3 /proc/loadavg) waited=${waited}s${heavy:+ busy-with=$heavy}"
  log "conditions: $CONDITIONS"
}

BIN=target/release/tracking-server
SEED=target/release/examples/seed
SSE_COUNT=target/release/examples/sse_count

# Starts the server on data dir $1 with extra flags; sets SERVER_PID, ADDR, START_LISTEN_MS,
# START_READY_MS (from exec to the "listening" line, and to the first 200 from /health).
start_server() {
  local data=$1
  shift
  local err=$OUT/server-$(basename "$data")-$(date +%s%N).err
  local started
  started=$(now_ms)
  "${SERVER_BIN:-$BIN}" --bind 127.0.0.1:0 --data-dir "$data" --log-dir "$data.logs" \
    --admin-token "$ADMIN_TOKEN" "$@" 2>"$err" &
  SERVER_PID=$!
  ADDR=
  for _ in $(seq 1 6000); do
    ADDR=$(grep -o 'listening on http://[0-9.:]*' "$err" | head -1 | sed 's#.*http://##' || true)
    [[ -n $ADDR ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$err" >&2; exit 1; }
    sleep 0.005
  done
  [[ -n $ADDR ]] || { echo "the server did not start" >&2; cat "$err" >&2; exit 1; }
  START_LISTEN_MS=$(($(now_ms) - started))
  until curl -fs "http://$ADDR/health" >/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$err" >&2; exit 1; }
    sleep 0.005
  done
  START_READY_MS=$(($(now_ms) - started))
  SERVER_ERR=$err
}

stop_server() {
  local started
  started=$(now_ms)
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  STOP_MS=$(($(now_ms) - started))
  SERVER_PID=
}

# VmRSS and VmHWM of the server, in MiB.
memory() {
  awk '/^VmRSS|^VmHWM/ {printf "%s=%.1fMiB ", $1, $2 / 1024}' "/proc/$SERVER_PID/status" | sed 's/://g'
}
rss_mib() { awk "/^$1/ {printf \"%.1f\", \$2 / 1024}" "/proc/$SERVER_PID/status"; }

# Runs wrk with the shared script; $1 names the output file, the rest goes to wrk after the URL's
# "--". Sets RPS REQUESTS P50 P90 P99 NON2XX ERRORS and WRK_CMD.
run_wrk() {
  local name=$1 threads=$2 connections=$3
  shift 3
  WRK_CMD="wrk -t$threads -c$connections -d${SECONDS_PER_RUN}s --latency -s $HERE/wrk.lua http://\$ADDR -- $*"
  # Watches for other people's builds and benchmarks while wrk runs.
  (while sleep 3; do heavy_processes; echo; done) >"$OUT/$name.others" 2>/dev/null &
  local watcher=$!
  local before=($(head -1 /proc/stat))
  wrk "-t$threads" "-c$connections" "-d${SECONDS_PER_RUN}s" --latency -s "$HERE/wrk.lua" \
    "http://$ADDR" -- "$@" >"$OUT/$name.wrk" 2>&1
  local after=($(head -1 /proc/stat))
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  local idle=$(((after[4] + after[5]) - (before[4] + before[5]))) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + after[i] - before[i])); done
  local seen
  seen=$(tr ' ' '\n' <"$OUT/$name.others" | sed 's/(.*//' | grep -v '^$' | sort -u | tr '\n' ' ' || true)
  DURING="machine idle during the run $((100 * idle / (total > 0 ? total : 1)))%${seen:+; others seen: $seen}"
  local line
  line=$(grep '^RESULT' "$OUT/$name.wrk") || { cat "$OUT/$name.wrk" >&2; exit 1; }
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" ${line#RESULT}"; }
  RPS=$(field rps) REQUESTS=$(field requests) P50=$(field p50_ms) P90=$(field p90_ms) P99=$(field p99_ms)
  NON2XX=$(field non2xx)
  ERRORS="connect=$(field connect_errors) read=$(field read_errors) write=$(field write_errors) timeout=$(field timeouts)"
  log "$name: $RPS req/s, p50 $P50 ms, p99 $P99 ms, non-2xx $NON2XX, $ERRORS; $DURING"
}

# CPU time (clock ticks, utime + stime) of the server's threads, summed by thread name: one
# "NAME TICKS" line each; and the host's steal ticks (time the VM waited for a physical CPU).
thread_ticks() {
  local task
  for task in /proc/"$SERVER_PID"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$task/comm")" "$(awk '{print $14 + $15}' "$task/stat")"
  done | awk '{ticks[$1] += $2} END {for (name in ticks) print name, ticks[name]}' | sort
}
steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }

# Server CPU per request over a wrk run, in all and per thread name: $1 and $2 are thread_ticks
# before and after, $3 the requests, $4 the steal ticks during the run, $5 its seconds.
cpu_per_request() {
  python3 - "$1" "$2" "$3" "$4" "$5" "$(getconf CLK_TCK)" <<'PY'
import sys
before, after, requests, steal, seconds, hz = sys.argv[1:]
read = lambda text: {n: int(t) for n, t in (line.split() for line in text.splitlines() if line)}
b, a = read(before), read(after)
us = lambda ticks: ticks / int(hz) / max(int(requests), 1) * 1e6
threads = {n: us(a[n] - b.get(n, 0)) for n in a if a[n] > b.get(n, 0)}
parts = ", ".join(f"{n} {v:.1f}" for n, v in sorted(threads.items(), key=lambda kv: -kv[1]))
steal_pct = 100 * int(steal) / int(hz) / int(seconds) / 2
print(f"{sum(threads.values()):.1f} us ({parts}); steal {steal_pct:.0f}% of 2 cores")
PY
}

# Total events of each parent in the history, as "USER TOTAL" lines.
history_totals() {
  local user
  while read -r _ user; do
    echo "$user $(curl -fs -H "Authorization: Bearer $ADMIN_TOKEN" \
      "http://$ADDR/admin/tracking?user_id=$user&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
  done <"$SEED_SMALL_OUT/parents.txt"
}

log "building (release)"
cargo build --release -p tracking-server --bin tracking-server --example seed --example sse_count

# Seeds: families only (the activation runs start from it), and 1,000,000 events.
SEED_SMALL=$OUT/seed-families
SEED_SMALL_OUT=$OUT/fixture-families
SEED_BIG=$OUT/seed-events
SEED_BIG_OUT=$OUT/fixture-events
if [[ ${LOAD_RESEED:-0} == 1 || ! -f $SEED_SMALL_OUT/targets.txt ]]; then
  rm -rf "$SEED_SMALL" "$SEED_SMALL_OUT"
  "$SEED" --data-dir "$SEED_SMALL" --out "$SEED_SMALL_OUT" --parents "$PARENTS" \
    --children-per-parent "$CHILDREN_PER_PARENT" --events 0
fi
if [[ $AREAS == *admin* || $AREAS == *summary* ]] &&
  [[ ${LOAD_RESEED:-0} == 1 || ! -f $SEED_BIG_OUT/admin_queries.txt ]]; then
  rm -rf "$SEED_BIG" "$SEED_BIG.logs" "$SEED_BIG_OUT"
  log "seeding $EVENTS events (interval durability)"
  started=$(now_ms)
  "$SEED" --data-dir "$SEED_BIG" --out "$SEED_BIG_OUT" --parents "$PARENTS" \
    --children-per-parent "$CHILDREN_PER_PARENT" --events "$EVENTS" 2>&1 | tail -1 >&2
  record seed - "seed of $EVENTS events (s)" "$(( ($(now_ms) - started) / 1000 ))" \
    "$SEED --data-dir DIR --out FIXTURE --events $EVENTS"
  record seed - "history file (MiB)" "$(du -m "$SEED_BIG/tracking_events.jsonl" | cut -f1)" "du -m"
fi

fresh_copy() {
  local target=$OUT/run-$1
  rm -rf "$target" "$target.logs"
  cp -a "$SEED_SMALL" "$target"
  echo "$target"
}

if [[ $AREAS == *activate* ]]; then
  for run in $(seq 1 "$REPEATS"); do
    wait_quiet
    data=$(fresh_copy activate)
    start_server "$data"
    run_wrk "health-$run" 2 "$CONNECTIONS" health
    health=$RPS
    record activate "$run" "GET /health req/s" "$RPS" "$WRK_CMD"
    record activate "$run" "GET /health p50 / p99 (ms)" "$P50 / $P99" "$WRK_CMD"
    record activate "$run" "GET /health conditions" "$DURING" ""
    run_wrk "child-$run" 2 "$CONNECTIONS" child "$SEED_SMALL_OUT/targets.txt"
    record activate "$run" "GET /children/{id} (parent token, no write) req/s" "$RPS" "$WRK_CMD"
    record activate "$run" "GET /children/{id} p50 / p99 (ms)" "$P50 / $P99" "$WRK_CMD"
    run_wrk "activate-$run" 2 "$CONNECTIONS" activate "$SEED_SMALL_OUT/targets.txt"
    activate=$RPS
    record activate "$run" "POST activate req/s" "$RPS" "$WRK_CMD"
    record activate "$run" "POST activate p50 / p90 / p99 (ms)" "$P50 / $P90 / $P99" "$WRK_CMD"
    record activate "$run" "POST activate non-2xx; socket errors" "$NON2XX; $ERRORS" "$WRK_CMD"
    record activate "$run" "POST activate conditions" "$DURING" ""
    # /health again, so that a drift of the shared host during the run shows.
    run_wrk "health-after-$run" 2 "$CONNECTIONS" health
    record activate "$run" "GET /health again, req/s" "$RPS" "$WRK_CMD"
    record activate "$run" "GET /health again, conditions" "$DURING" ""
    record activate "$run" "activate / health (before; mean of before and after)" \
      "$(python3 -c "print(f'{$activate / $health:.1%}; {2 * $activate / ($health + $RPS):.1%}')")" "(target >= 33%)"
    record activate "$run" "server memory after" "$(memory)" "/proc/PID/status"
    record activate "$run" "conditions before" "$CONDITIONS" "cpu_busy over 2 s before the run"
    stop_server
  done
fi

if [[ $AREAS == *compare* ]]; then
  [[ -x ${LOAD_BASELINE_BIN:-} ]] || { echo "LOAD_AREAS=compare needs LOAD_BASELINE_BIN, a tracking-server binary" >&2; exit 1; }
  for run in $(seq 1 "$REPEATS"); do
    wait_quiet
    # Alternating order, so that a drift of the shared host favours neither side.
    if ((run % 2)); then sides="baseline tree"; else sides="tree baseline"; fi
    for side in $sides; do
      SERVER_BIN=$BIN
      [[ $side == baseline ]] && SERVER_BIN=$LOAD_BASELINE_BIN
      data=$(fresh_copy "compare-$side")
      start_server "$data"
      run_wrk "compare-$side-health-$run" 2 "$CONNECTIONS" health
      health=$RPS
      record compare "$run" "$side: GET /health req/s" "$RPS" "$WRK_CMD (server $SERVER_BIN)"
      ticks_before=$(thread_ticks)
      steal_before=$(steal_ticks)
      run_wrk "compare-$side-activate-$run" 2 "$CONNECTIONS" activate "$SEED_SMALL_OUT/targets.txt"
      activate=$RPS
      record compare "$run" "$side: server CPU per activation (per thread); steal" \
        "$(cpu_per_request "$ticks_before" "$(thread_ticks)" "$REQUESTS" \
          "$(($(steal_ticks) - steal_before))" "$SECONDS_PER_RUN")" "/proc/PID/task/*/stat, /proc/stat"
      record compare "$run" "$side: POST activate req/s" "$RPS" "$WRK_CMD (server $SERVER_BIN)"
      record compare "$run" "$side: POST activate p50 / p90 / p99 (ms)" "$P50 / $P90 / $P99" "$WRK_CMD"
      record compare "$run" "$side: POST activate non-2xx; socket errors" "$NON2XX; $ERRORS" "$WRK_CMD"
      record compare "$run" "$side: POST activate conditions" "$DURING" ""
      run_wrk "compare-$side-health-after-$run" 2 "$CONNECTIONS" health
      record compare "$run" "$side: GET /health again, req/s" "$RPS" "$WRK_CMD"
      record compare "$run" "$side: activate / health (before; mean of before and after)" \
        "$(python3 -c "print(f'{$activate / $health:.1%}; {2 * $activate / ($health + $RPS):.1%}')")" "(target >= 33%)"
      stop_server
    done
    SERVER_BIN=
    record compare "$run" "conditions before" "$CONDITIONS" "cpu_busy over 2 s before the run"
  done
fi

if [[ $AREAS == *sse* ]]; then
  for run in $(seq 1 "$REPEATS"); do
    wait_quiet
    data=$(fresh_copy sse)
    start_server "$data" --max-streams-per-user "$STREAMS_PER_USER"
    ready=$OUT/sse-ready-$run
    rm -f "$ready"
    "$SSE_COUNT" --addr "$ADDR" --parents "$SEED_SMALL_OUT/parents.txt" --streams "$STREAMS" \
      --ready-file "$ready" --out "$OUT/sse-$run.json" 2>"$OUT/sse-$run.err" &
    SSE_PID=$!
    for _ in $(seq 1 600); do [[ -f $ready ]] && break; sleep 0.1; done
    [[ -f $ready ]] || { echo "the SSE streams did not open" >&2; cat "$OUT/sse-$run.err" >&2; exit 1; }
    history_totals >"$OUT/sse-$run.before"
    streams_memory=$(memory)
    run_wrk "sse-activate-$run" 2 "$CONNECTIONS" activate-count "$SEED_SMALL_OUT/targets.txt"
    sleep 1
    history_totals >"$OUT/sse-$run.after"
    kill -INT "$SSE_PID"
    wait "$SSE_PID"
    SSE_PID=
    counted=$(python3 "$HERE/sse_expected.py" "$OUT/sse-$run.json" "$OUT/sse-activate-$run.wrk" \
      "$OUT/sse-$run.before" "$OUT/sse-$run.after")
    log "sse run $run: $counted"
    record sse "$run" "POST activate req/s (1,000 streams open)" "$RPS" "$WRK_CMD"
    record sse "$run" "POST activate p50 / p90 / p99 (ms)" "$P50 / $P90 / $P99" "$WRK_CMD"
    record sse "$run" "POST activate non-2xx; socket errors" "$NON2XX; $ERRORS" "$WRK_CMD"
    record sse "$run" "POST activate conditions" "$DURING" ""
    record sse "$run" "deliveries" "$counted" \
      "$SSE_COUNT --addr \$ADDR --parents parents.txt --streams $STREAMS (server --max-streams-per-user $STREAMS_PER_USER)"
    record sse "$run" "server memory with the streams open" "$streams_memory" "/proc/PID/status"
    record sse "$run" "conditions before" "$CONDITIONS" "cpu_busy over 2 s before the run"
    stop_server
  done
fi

if [[ $AREAS == *admin* ]]; then
  for run in $(seq 1 "$REPEATS"); do
    wait_quiet
    start_server "$SEED_BIG"
    record admin "$run" "startup to 'listening' / first 200 from /health (ms)" \
      "$START_LISTEN_MS / $START_READY_MS" "$BIN --data-dir SEED ($EVENTS events, page cache warm)"
    grep -o 'opened .*' "$SERVER_ERR" | head -1 | sed 's/^/  server: /' >&2 || true
    sleep 2
    record admin "$run" "memory at rest after start" "$(memory)" "/proc/PID/status"
    run_wrk "admin-c1-$run" 1 1 admin "$SEED_BIG_OUT/admin_queries.txt" "$ADMIN_TOKEN"
    record admin "$run" "GET /admin/tracking, 1 connection: req/s" "$RPS" "$WRK_CMD"
    record admin "$run" "GET /admin/tracking, 1 connection: p50 / p99 (ms)" "$P50 / $P99" "$WRK_CMD"
    record admin "$run" "1 connection: conditions" "$DURING" ""
    run_wrk "admin-c$CONNECTIONS-$run" 2 "$CONNECTIONS" admin "$SEED_BIG_OUT/admin_queries.txt" "$ADMIN_TOKEN"
    record admin "$run" "GET /admin/tracking, $CONNECTIONS connections: req/s" "$RPS" "$WRK_CMD"
    record admin "$run" "GET /admin/tracking, $CONNECTIONS connections: p50 / p99 (ms)" "$P50 / $P99" "$WRK_CMD"
    record admin "$run" "non-2xx" "$NON2XX; $ERRORS" "$WRK_CMD"
    record admin "$run" "$CONNECTIONS connections: conditions" "$DURING" ""
    record admin "$run" "memory after the queries" "$(memory)" "/proc/PID/status"
    stop_server
    record admin "$run" "graceful stop (ms)" "$STOP_MS" "kill -TERM"
    record admin "$run" "conditions before" "$CONDITIONS" "cpu_busy over 2 s before the run"
  done
fi

if [[ $AREAS == *metrics* ]]; then
  for run in $(seq 1 "$REPEATS"); do
    wait_quiet
    # Alternating order, so that a drift of the shared host favours neither side.
    if ((run % 2)); then modes="off on"; else modes="on off"; fi
    for mode in $modes; do
      data=$(fresh_copy "metrics-$mode")
      start_server "$data" --metrics "$mode"
      run_wrk "metrics-$mode-$run" 2 "$CONNECTIONS" activate "$SEED_SMALL_OUT/targets.txt"
      printf -v "rps_$mode" '%s' "$RPS"
      record metrics "$run" "POST activate req/s, --metrics $mode" "$RPS" "$WRK_CMD (server --metrics $mode)"
      record metrics "$run" "POST activate p50 / p99 (ms), --metrics $mode" "$P50 / $P99" "$WRK_CMD"
      record metrics "$run" "non-2xx; socket errors, --metrics $mode" "$NON2XX; $ERRORS" "$WRK_CMD"
      record metrics "$run" "--metrics $mode conditions" "$DURING" ""
      if [[ $mode == on ]]; then
        curl -fs -H "Authorization: Bearer $ADMIN_TOKEN" "http://$ADDR/metrics" >"$OUT/metrics-$run.prom"
        record metrics "$run" "scrape size (bytes)" "$(wc -c <"$OUT/metrics-$run.prom")" "GET /metrics"
      fi
      stop_server
    done
    record metrics "$run" "on / off" "$(python3 -c "print(f'{$rps_on / $rps_off:.1%}')")" "(target: within 5 %)"
  done
fi

if [[ $AREAS == *overhead* ]]; then
  OVERHEAD_ROUNDS=${LOAD_OVERHEAD_ROUNDS:-8}
  OVERHEAD_SECONDS=${LOAD_OVERHEAD_SECONDS:-10}
  wait_quiet
  declare -A overhead_addr overhead_pid
  for mode in off on; do
    data=$(fresh_copy "overhead-$mode")
    start_server "$data" --metrics "$mode"
    overhead_addr[$mode]=$ADDR
    overhead_pid[$mode]=$SERVER_PID
    OVERHEAD_PIDS+=("$SERVER_PID")
    SERVER_PID=
  done
  saved_seconds=$SECONDS_PER_RUN
  SECONDS_PER_RUN=$OVERHEAD_SECONDS
  ratios=()
  for round in $(seq 1 "$OVERHEAD_ROUNDS"); do
    # Alternating order, so that a drift of the shared host favours neither side.
    if ((round % 2)); then modes="off on"; else modes="on off"; fi
    for mode in $modes; do
      ADDR=${overhead_addr[$mode]}
      run_wrk "overhead-$mode-$round" 2 "$CONNECTIONS" activate "$SEED_SMALL_OUT/targets.txt"
      printf -v "rps_$mode" '%s' "$RPS"
      record overhead "$round" "POST activate req/s, --metrics $mode" "$RPS" "$WRK_CMD (server --metrics $mode)"
      record overhead "$round" "--metrics $mode: non-2xx; socket errors; conditions" "$NON2XX; $ERRORS; $DURING" ""
    done
    ratio=$(python3 -c "print(f'{$rps_on / $rps_off:.4f}')")
    ratios+=("$ratio")
    record overhead "$round" "on / off" "$ratio" "pair $round ($modes)"
  done
  summary=$(python3 -c '
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
print(f"median {statistics.median(r):.1%}, spread {r[0]:.1%} to {r[-1]:.1%} over {len(r)} pairs")
' "${ratios[@]}")
  log "overhead: on / off $summary"
  record overhead all "on / off" "$summary" "(target: within 5 %)"
  # The profile: the `on` server under the same load, perf sampling its threads.
  if command -v perf >/dev/null; then
    ADDR=${overhead_addr[on]}
    perf record -F 2000 -g -o "$OUT/overhead.perf" -p "${overhead_pid[on]}" -- sleep "$OVERHEAD_SECONDS" \
      >"$OUT/overhead-perf.err" 2>&1 &
    perf_pid=$!
    run_wrk "overhead-profiled" 2 "$CONNECTIONS" activate "$SEED_SMALL_OUT/targets.txt"
    wait "$perf_pid" || true
    perf report -i "$OUT/overhead.perf" --no-children --sort symbol --stdio 2>/dev/null >"$OUT/overhead-perf.txt" || true
    share=$(python3 "$HERE/metrics_share.py" "$OUT/overhead-perf.txt")
    log "profile: $share"
    record overhead profile "server CPU samples in the metrics code" "$share" \
      "perf record -F 2000 -g -p PID (server --metrics on) during $WRK_CMD; perf report --no-children --sort symbol"
  fi
  SECONDS_PER_RUN=$saved_seconds
  curl -fs -H "Authorization: Bearer $ADMIN_TOKEN" "http://${overhead_addr[on]}/metrics" >"$OUT/overhead.prom"
  record overhead all "scrape size (bytes)" "$(wc -c <"$OUT/overhead.prom")" "GET /metrics"
  for mode in off on; do
    SERVER_PID=${overhead_pid[$mode]}
    stop_server
  done
  OVERHEAD_PIDS=()
fi

if [[ $AREAS == *keys* ]]; then
  for run in $(seq 1 "$REPEATS"); do
    wait_quiet
    # Alternating order, so that a drift of the shared host favours neither side.
    if ((run % 2)); then modes="activate activate-keyed"; else modes="activate-keyed activate"; fi
    for mode in $modes; do
      data=$(fresh_copy "keys-$mode")
      start_server "$data"
      run_wrk "keys-$mode-$run" 2 "$CONNECTIONS" "$mode" "$SEED_SMALL_OUT/targets.txt"
      printf -v "rps_${mode//-/_}" '%s' "$RPS"
      record keys "$run" "POST activate req/s, $mode" "$RPS" "$WRK_CMD"
      record keys "$run" "POST activate p50 / p90 / p99 (ms), $mode" "$P50 / $P90 / $P99" "$WRK_CMD"
      record keys "$run" "non-2xx; socket errors, $mode" "$NON2XX; $ERRORS" "$WRK_CMD"
      record keys "$run" "$mode conditions" "$DURING" ""
      # Journal commits per recorded event (each commit is one mutation's line; the syncer shares
      # fdatasyncs among them): a key rides in its mutation's own commit, so both modes show 1.0.
      record keys "$run" "journal commits per event, $mode" "$(curl -fs -H "Authorization: Bearer $ADMIN_TOKEN" \
        "http://$ADDR/metrics" | python3 -c '
import re, sys
text = sys.stdin.read()
def total(pattern):
    return sum(float(v) for v in re.findall(pattern + r" ([0-9.e+]+)$", text, re.M))
commits = total(r"tracking_store_commit_duration_seconds_count\{log=\"journal\"\}")
events = total(r"tracking_events_recorded_total\{[^}]*\}")
print(f"{commits / events:.3f} ({commits:.0f} / {events:.0f})" if events else "no event")
')" "GET /metrics"
      stop_server
    done
    record keys "$run" "keyed / unkeyed" \
      "$(python3 -c "print(f'{$rps_activate_keyed / $rps_activate:.1%}')")" "(the key must not cost a second durable commit)"
  done
fi

if [[ $AREAS == *summary* ]]; then
  # A 90-day window inside the seeded span, in whole local days of the zone.
  DAILY="from=$(date -u -d '-120 days' +%F)&to=$(date -u -d '-30 days' +%F)&tz=Europe/Berlin&bucket=day"
  for run in $(seq 1 "$REPEATS"); do
    wait_quiet
    start_server "$SEED_BIG"
    for variant in all-time daily; do
      query=
      [[ $variant == daily ]] && query=$DAILY
      for connections in 1 "$CONNECTIONS"; do
        threads=$((connections == 1 ? 1 : 2))
        run_wrk "summary-$variant-c$connections-$run" "$threads" "$connections" summary \
          "$SEED_BIG_OUT/targets.txt" $query
        record summary "$run" "GET /children/{id}/summary $variant, $connections conn.: req/s" "$RPS" "$WRK_CMD"
        record summary "$run" "$variant, $connections conn.: p50 / p99 (ms)" "$P50 / $P99" "$WRK_CMD"
        record summary "$run" "$variant, $connections conn.: non-2xx; conditions" "$NON2XX; $ERRORS; $DURING" ""
      done
    done
    line=$(python3 "$HERE/export_vs_paging.py" "$ADDR" "$ADMIN_TOKEN" "$SERVER_PID" | grep '^RESULT')
    log "export: $line"
    record summary "$run" "export vs paging" "${line#RESULT }" "$HERE/export_vs_paging.py ADDR TOKEN PID"
    stop_server
  done
fi

echo
echo "Load figures, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $SECONDS_PER_RUN s per timed run"
column -t -s $'\t' <(cut -f1-4 "$RESULTS")
echo
echo "Commands: $RESULTS (5th column); raw outputs in $OUT"
