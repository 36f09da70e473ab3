#!/usr/bin/env bash
# Durability under kill -9 on SQLite: books with 32 clients, kills the service with SIGKILL
# mid-run, restarts it on the same database, and compares what the load generator saw
# acknowledged with what was stored. Five cycles by default.
#
#   bash tests/bench/kill-9.sh [cycles]
#
# Every acknowledged booking must be stored (stored_new >= acknowledged; a booking in flight
# at the kill may be stored without its answer), with one place taken, one audit line and
# one outbox event per appointment. Needs python3 (its sqlite3 module) to count.
set -euo pipefail
cd "$(dirname "$0")/../.."
CYCLES=${1:-5}
SECRET=bench-secret-local-only
export LOADGEN_SECRET=$SECRET
WORK=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cargo build --release -q -p scheduling-service -p hospital-tests
DB=$WORK/kill.db
PORT=50080

start() { # a new port each time, so a restart never waits on the old socket
  PORT=$((PORT + 1))
  LOADGEN="target/release/loadgen --target http://127.0.0.1:$PORT"
  local t0
  t0=$(date +%s%N)
  SCHEDULING__DATABASE__URL="sqlite://$DB?mode=rwc" SCHEDULING__AUTH__HS256_SECRET=$SECRET \
  SCHEDULING__SERVER__LISTEN=127.0.0.1:$PORT SCHEDULING__TELEMETRY__FILTER=warn \
    target/release/scheduling serve >>"$WORK/service.log" 2>&1 &
  PID=$!
  $LOADGEN ready --since-unix-ns "$t0" >/dev/null
}

counts() {
  python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
q = lambda s: c.execute(s).fetchone()[0]
print(q("SELECT count(*) FROM appointments"), q("SELECT coalesce(sum(booked), 0) FROM slots"),
      q("SELECT count(*) FROM appointment_history"), q("SELECT count(*) FROM outbox"))
PY
}

start
$LOADGEN setup >/dev/null
for i in $(seq 1 "$CYCLES"); do
  read -r before _ _ _ <<<"$(counts)"
  (sleep "2.$i"; kill -9 "$PID") &
  line=$($LOADGEN book --clients 32 --duration 4 --label kill-9 2>/dev/null | grep 'ok=' | tail -1 || true)
  wait "$PID" 2>/dev/null || true
  ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")
  start
  read -r apts places history outbox <<<"$(counts)"
  verdict=ok
  [ "$((apts - before))" -ge "${ok:-0}" ] || verdict=LOST
  [ "$apts" -eq "$places" ] && [ "$apts" -eq "$history" ] || verdict=INCONSISTENT
  echo "cycle $i: acknowledged=${ok:-0} stored_new=$((apts - before)) appointments=$apts places=$places history=$history outbox=$outbox $verdict"
done
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
