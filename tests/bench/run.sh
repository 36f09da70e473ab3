#!/usr/bin/env bash
# Booking benchmark: gRPC on PostgreSQL and on SQLite against pgbench running the same
# transaction on the same PostgreSQL, at 1, 8 and 32 clients; open-loop latency at a
# fixed rate; idle memory and time from start to serving. Prints a Markdown report.
#
#   bash tests/bench/run.sh [seconds-per-run]      (default 10)
#   BASELINE=<git rev> bash tests/bench/run.sh 10  (also the rev's service, back to back)
#
# With BASELINE, the scheduling binary of that revision is built in a temporary worktree
# (sharing this target folder, so only the workspace's crates compile again) and every
# gRPC closed-loop run is made twice in a row, baseline first, on the same database.
#
# Everything runs on this machine over loopback; the service and the load generator
# share its cores, so compare the ratios within one run rather than absolute figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
RATE=${RATE:-1000}
PORT=50071
SECRET=bench-secret-local-only
export LOADGEN_SECRET=$SECRET
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

source .ci/postgres.sh >/dev/null
BASE_BIN=
if [ -n "${BASELINE:-}" ]; then
  BASE_BIN=target/bench/scheduling-$(git rev-parse --short "$BASELINE")
  if [ ! -x "$BASE_BIN" ]; then
    TREE=$(pwd)/target/bench/tree
    git worktree remove --force "$TREE" 2>/dev/null || true
    git worktree add -q --detach "$TREE" "$BASELINE"
    (cd "$TREE" && CARGO_TARGET_DIR="$TREE/../.." cargo build --release -q -p scheduling-service)
    cp target/release/scheduling "$BASE_BIN"
    git worktree remove --force "$TREE"
  fi
fi
cargo build --release -q -p scheduling-service -p hospital-tests
BIN=target/release/scheduling
LOADGEN="target/release/loadgen --target http://127.0.0.1:$PORT"
PG_BASE=${PG_ADMIN_URL%/*}

fresh_pg_db() {
  su postgres -c "dropdb -p ${PG_PORT:-5432} --if-exists $1"
  su postgres -c "createdb -p ${PG_PORT:-5432} -O hospital $1"
}

start_service() { # $1 = database URL, $2 = binary (default: this tree's); sets PID and READY_MS
  local t0
  t0=$(date +%s%N)
  SCHEDULING__DATABASE__URL="$1" SCHEDULING__AUTH__HS256_SECRET=$SECRET \
  SCHEDULING__SERVER__LISTEN=127.0.0.1:$PORT SCHEDULING__TELEMETRY__FILTER=warn \
    "${2:-$BIN}" serve >"$WORK/service.log" 2>&1 &
  PID=$!
  READY_MS=$($LOADGEN ready --since-unix-ns "$t0")
}

stop_service() { kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; }

rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# A second of bookings, so that a freshly started service has its connections open.
warm_up() { $LOADGEN book --clients 8 --duration 1 --label warm-up >/dev/null; }

# Closed loop with $1 clients on the baseline binary (when there is one) and then on this
# tree's, each started on database URL $3; label $2.
compare() {
  if [ -n "$BASE_BIN" ]; then
    start_service "$3" "$BASE_BIN"; warm_up; book "$1" "$2-baseline"; stop_service
  fi
  start_service "$3"; warm_up; book "$1" "$2"; stop_service
}

# Closed loop with $1 clients; appends the service's CPU time per booking.
book() {
  local before after line ok
  before=$(cpu_ticks "$PID")
  line=$($LOADGEN book --clients "$1" --duration "$SECS" --label "$2")
  after=$(cpu_ticks "$PID")
  ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")
  echo "$line service-cpu=$(awk -v t=$((after - before)) -v hz="$TICK" -v n="$ok" 'BEGIN {printf "%.0f", t / hz * 1e6 / (n > 0 ? n : 1)}')us/booking"
}

# p50 and p99 (ms) of pgbench per-transaction logs in the current folder.
pgbench_percentiles() {
  cat pgbench_log.* | awk '{print $3}' | sort -n \
    | awk '{a[NR]=$1} END {printf "p50=%.2fms p99=%.2fms", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}'
  rm -f pgbench_log.*
}

echo "# booking benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${SECS}s per run"
echo

# ---------------------------------------------------------------- PostgreSQL via gRPC
fresh_pg_db bench_grpc
start_service "$PG_BASE/bench_grpc"
echo "postgres: start to serving ${READY_MS} ms (fresh database, migrations included); idle RSS $(rss_kib "$PID") KiB"
$LOADGEN setup >/dev/null
echo "postgres: RSS after setup $(rss_kib "$PID") KiB"
$LOADGEN book --clients 8 --duration 2 --label warm-up >/dev/null
echo "postgres: RSS after load $(rss_kib "$PID") KiB"
$LOADGEN book --rate "$RATE" --duration "$SECS" --label open-loop-postgres
stop_service
for c in 1 8 32; do compare "$c" grpc-postgres "$PG_BASE/bench_grpc"; done
# Restart on the now-populated database: the usual production start.
start_service "$PG_BASE/bench_grpc"
echo "postgres: restart to serving ${READY_MS} ms (populated database); idle RSS $(rss_kib "$PID") KiB"
stop_service

# ---------------------------------------------------------------- pgbench ceiling
psql "$PG_BASE/bench_grpc" -qX -v ON_ERROR_STOP=1 <<'SQL'
DROP TABLE IF EXISTS bench_slot_ids;
CREATE TABLE bench_slot_ids AS
  SELECT row_number() OVER (ORDER BY s.id) AS n, s.id, s.branch_id, s.local_date, b.version
  FROM slots s JOIN branches b ON b.id = s.branch_id WHERE b.code = 'BENCH-01';
CREATE UNIQUE INDEX ON bench_slot_ids (n);
SQL
NSLOTS=$(psql "$PG_BASE/bench_grpc" -tAX -c "SELECT count(*) FROM bench_slot_ids")
PKG=$(psql "$PG_BASE/bench_grpc" -tAX -c "SELECT id FROM packages WHERE code = 'BENCH-PKG'")
for c in 1 8 32; do
  tps=$(pgbench -n -M prepared -c "$c" -j "$(( c < 2 ? c : 2 ))" -T "$SECS" -D nslots="$NSLOTS" -D pkg="$PKG" \
        -f tests/bench/booking.sql "$PG_BASE/bench_grpc" 2>&1 | awk '/^tps/ {print $3; exit}')
  lat=$(pgbench -n -M prepared -c "$c" -j "$(( c < 2 ? c : 2 ))" -T 2 -D nslots="$NSLOTS" -D pkg="$PKG" \
        -f tests/bench/booking.sql "$PG_BASE/bench_grpc" 2>&1 | awk '/^latency average/ {print $4; exit}')
  echo "pgbench clients=$c throughput=${tps%.*}/s latency-avg=${lat}ms"
done
# The same transaction at the fixed rate, open loop (-R), 32 connections.
ABS_SQL=$(pwd)/tests/bench/booking.sql
(cd "$WORK" && pgbench -n -M prepared -c 32 -j 2 -R "$RATE" -T "$SECS" -l -D nslots="$NSLOTS" -D pkg="$PKG" \
   -f "$ABS_SQL" "$PG_BASE/bench_grpc" >/dev/null 2>&1 && echo "pgbench open-loop rate=$RATE/s $(pgbench_percentiles)")

# ---------------------------------------------------------------- SQLite via gRPC
start_service "sqlite://$WORK/bench.db?mode=rwc"
echo "sqlite: start to serving ${READY_MS} ms (fresh database); idle RSS $(rss_kib "$PID") KiB"
$LOADGEN setup >/dev/null
stop_service
for c in 1 8 32; do compare "$c" grpc-sqlite "sqlite://$WORK/bench.db?mode=rwc"; done
