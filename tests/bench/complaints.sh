#!/usr/bin/env bash
# Complaints benchmark on PostgreSQL: intake throughput over gRPC against pgbench running
# the same insert transaction on the same database, at 1 and 32 clients; then the figures
# over a year of history (1,000,000 work orders): GetFigures and GetScorecard latency for
# one month, and EXPLAIN ANALYZE of the statements behind them. Prints a plain report.
#
#   bash tests/bench/complaints.sh [seconds-per-run]      (default 10)
#
# Environment: CLIENTS ("1 32"), FROM / TO (2026-06-01 / 2026-06-30), REPEAT (10 calls
# of each figures RPC), FIGURES=0 (intake and pgbench only, no 1,000,000-row part), PERF=1 (perf record the complaints service during the last
# intake run and print its top entries).
#
# Everything runs on this machine over loopback. The services, the load generator and
# pgbench run under `nice -n 10` (the machine is shared); PostgreSQL does not. Compare
# ratios within one run rather than absolute figures. Leaves the two databases behind
# (bench_cx_sched, bench_cx) for inspection; the next run recreates them.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
CLIENTS=${CLIENTS:-"1 32"}
FROM=${FROM:-2026-06-01}
TO=${TO:-2026-06-30}
REPEAT=${REPEAT:-10}
SCHED_PORT=50072
PORT=50073
SECRET=bench-secret-local-only
export LOADGEN_SECRET=$SECRET
NICE="nice -n 10"
WORK=$(mktemp -d)
SCHED_PID=
PID=

stop_pid() { # $1 = pid; SIGTERM, then wait for it
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1"
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop_pid "$PID"
  stop_pid "$SCHED_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL 15 must run; not `.ci/postgres.sh`, which also drops leftover t_* test
# databases (possibly those of a test run in progress).
PG_PORT=${PG_PORT:-5432}
if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
  pg_ctlcluster 15 main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 1; done
fi
PG_BASE=${PG_BASE:-postgres://hospital:hospital-ci@127.0.0.1:$PG_PORT}

$NICE cargo build --release -q -p scheduling-service -p complaints-service -p hospital-tests
LOADGEN="$NICE target/release/loadgen --target http://127.0.0.1:$SCHED_PORT"
CLOAD="$NICE target/release/complaints_load --target http://127.0.0.1:$PORT --scheduling http://127.0.0.1:$SCHED_PORT"
DB=$PG_BASE/bench_cx

fresh_pg_db() {
  su postgres -c "dropdb -p $PG_PORT --if-exists $1"
  su postgres -c "createdb -p $PG_PORT -O hospital $1"
}

start_scheduling() {
  local t0
  t0=$(date +%s%N)
  SCHEDULING__DATABASE__URL="$PG_BASE/bench_cx_sched" SCHEDULING__AUTH__HS256_SECRET=$SECRET \
  SCHEDULING__SERVER__LISTEN=127.0.0.1:$SCHED_PORT SCHEDULING__TELEMETRY__FILTER=warn \
    $NICE target/release/scheduling serve >"$WORK/scheduling.log" 2>&1 &
  SCHED_PID=$!
  $LOADGEN ready --since-unix-ns "$t0" >/dev/null
}

start_complaints() { # sets PID, READY_MS
  local t0
  t0=$(date +%s%N)
  COMPLAINTS__DATABASE__URL="$DB" COMPLAINTS__AUTH__HS256_SECRET=$SECRET \
  COMPLAINTS__SERVER__LISTEN=127.0.0.1:$PORT COMPLAINTS__TELEMETRY__FILTER=warn \
  COMPLAINTS__SCHEDULING__ENDPOINT=http://127.0.0.1:$SCHED_PORT \
    $NICE target/release/complaints serve >>"$WORK/complaints.log" 2>&1 &
  PID=$!
  READY_MS=$($CLOAD ready --since-unix-ns "$t0")
}

stop_complaints() { stop_pid "$PID"; PID=; }

rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# Closed loop with $1 clients; appends the service's CPU time per intake.
intake() {
  local before after line ok perf_pid=
  if [ "${PERF:-0}" = 1 ] && [ "$2" = last ]; then
    perf record -q -g -o "$WORK/perf.data" -p "$PID" -- sleep "$SECS" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  before=$(cpu_ticks "$PID")
  line=$($CLOAD intake --clients "$1" --duration "$SECS" --label grpc-intake)
  head -n -1 <<<"$line"
  line=$(tail -n 1 <<<"$line")
  after=$(cpu_ticks "$PID")
  [ -n "$perf_pid" ] && wait "$perf_pid" || true
  ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")
  echo "$line service-cpu=$(awk -v t=$((after - before)) -v hz="$TICK" -v n="$ok" 'BEGIN {printf "%.0f", t / hz * 1e6 / (n > 0 ? n : 1)}')us/intake"
}

# p50 and p99 (ms) of pgbench per-transaction logs in $WORK.
pgbench_percentiles() {
  cat "$WORK"/pgbench_log.* | awk '{print $3}' | sort -n \
    | awk '{a[NR]=$1} END {printf "p50=%.2fms p99=%.2fms", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
  rm -f "$WORK"/pgbench_log.*
}

echo "# complaints benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${SECS}s per run"
echo "postgres: $(psql "$PG_BASE/postgres" -tAX -c "SELECT string_agg(name || '=' || current_setting(name), ' ') FROM unnest(ARRAY['server_version', 'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'synchronous_commit']) AS name")"
echo

# ---------------------------------------------------------------- intake via gRPC
fresh_pg_db bench_cx_sched
fresh_pg_db bench_cx
start_scheduling
start_complaints
echo "complaints: start to serving ${READY_MS} ms (fresh database, migrations included); idle RSS $(rss_kib "$PID") KiB"
set -- $CLIENTS
for c in "$@"; do
  [ "$c" = "${!#}" ] && tag=last || tag=
  intake "$c" "$tag"
done
echo "complaints: RSS after load $(rss_kib "$PID") KiB"
stop_complaints
if [ "${PERF:-0}" = 1 ] && [ -f "$WORK/perf.data" ]; then
  echo "perf (complaints service, last intake run), top entries by self time:"
  perf report -i "$WORK/perf.data" --stdio --no-children --sort dso,sym 2>/dev/null \
    | grep -E '^ +[0-9]' | head -25
fi

# ---------------------------------------------------------------- pgbench ceiling
BRANCH=$(psql "$DB" -tAX -c "SELECT id FROM branches WHERE code = 'BENCH-01'")
PLEN=$(psql "$DB" -tAX -c "SELECT round(avg(length(payload))) FROM outbox")
echo "pgbench: branch $BRANCH, outbox payload ${PLEN} bytes (the service's average)"
ABS_SQL=$(pwd)/tests/bench/intake.sql
for c in $CLIENTS; do
  out=$(cd "$WORK" && $NICE pgbench -n -M prepared -c "$c" -j "$(( c < 2 ? c : 2 ))" -T "$SECS" -l \
          -D branch="$BRANCH" -D plen="$PLEN" -f "$ABS_SQL" "$DB" 2>&1) \
    || { echo "$out"; exit 1; }
  tps=$(awk '/^tps/ {print $3; exit}' <<<"$out")
  lat=$(awk '/^latency average/ {print $4; exit}' <<<"$out")
  failed=$(awk '/failed transactions/ {print $5; exit}' <<<"$out")
  echo "pgbench-intake clients=$c throughput=${tps%.*}/s latency-avg=${lat}ms $(pgbench_percentiles) failed=${failed:-0}"
done
# pgbench's outbox rows carry a dummy payload no subscriber could decode.
psql "$DB" -qX -v ON_ERROR_STOP=1 -c "DELETE FROM outbox o USING work_orders w
  WHERE w.request_id LIKE 'pgbench-%' AND o.event_id = 'evt_' || substr(w.id, 4)"

# ---------------------------------------------------------------- figures over 1,000,000
if [ "${FIGURES:-1}" = 0 ]; then
  exit 0
fi
t0=$(date +%s%N)
psql "$DB" -qX -v ON_ERROR_STOP=1 -f tests/bench/complaints-seed.sql >"$WORK/seed.log" 2>&1 \
  || { cat "$WORK/seed.log"; exit 1; }
echo "seed: 1,000,000 work orders and the visit counts loaded, vacuumed and analysed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
start_complaints
echo "complaints: restart to serving ${READY_MS} ms (populated database); idle RSS $(rss_kib "$PID") KiB"
$CLOAD stats --from "$FROM" --to "$TO" --repeat "$REPEAT"
echo "complaints: RSS after figures $(rss_kib "$PID") KiB"
stop_complaints
stop_pid "$SCHED_PID"; SCHED_PID=
echo
echo "## EXPLAIN ANALYZE, $FROM..$TO"
psql "$DB" -X -v from_day="$FROM" -v to_day="$TO" -f tests/bench/figures-explain.sql
