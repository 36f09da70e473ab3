#!/usr/bin/env bash
# Contact benchmarks on PostgreSQL (scheduling and contact each on a fresh database):
#  1. lag: scheduling books at its full closed-loop rate (32 clients) with contact's
#     customer ids; each booking's answer instant is compared with the commit instant of
#     the transaction in which contact planned its reminders (its `visits.updated_at`),
#     in SQL, once contact has caught up;
#  2. wave: COUNT customers (default 70000) each booked a visit later today, the group's
#     same-day reminder set to one minute, and the reminders received by a local HTTP
#     server standing in for the messaging platform (contact's webhook adapter).
#
#   bash tests/bench/contact.sh [seconds-for-lag]       (default 10; COUNT=70000)
#
# Run it between 08:00 and about 15:00 Shanghai time: the wave's visits are later the same
# day and its reminder instant must not fall in quiet hours (21:00-08:00).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
COUNT=${COUNT:-70000}
SECRET=bench-secret-local-only
export LOADGEN_SECRET=$SECRET
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

source .ci/postgres.sh >/dev/null
PG_BASE=${PG_ADMIN_URL%/*}
fresh_pg_db() {
  su postgres -c "dropdb -p ${PG_PORT:-5432} --if-exists $1"
  su postgres -c "createdb -p ${PG_PORT:-5432} -O hospital $1"
}
cargo build --release -q -p scheduling-service -p contact-service -p hospital-tests

start() {
  fresh_pg_db bench_sched
  fresh_pg_db bench_contact
  SCHEDULING__DATABASE__URL="$PG_BASE/bench_sched" SCHEDULING__AUTH__HS256_SECRET=$SECRET \
  SCHEDULING__SERVER__LISTEN=127.0.0.1:50071 SCHEDULING__TELEMETRY__FILTER=warn \
  SCHEDULING__BOOKING__REQUIRE_CUSTOMER_ID=true \
    target/release/scheduling serve >"$WORK/scheduling.log" 2>&1 &
  SCHED_PID=$!
  target/release/loadgen --target http://127.0.0.1:50071 ready --since-unix-ns "$(date +%s%N)" >/dev/null
  CONTACT__DATABASE__URL="$PG_BASE/bench_contact" CONTACT__AUTH__HS256_SECRET=$SECRET \
  CONTACT__SERVER__LISTEN=127.0.0.1:50072 CONTACT__TELEMETRY__FILTER=warn \
  CONTACT__SCHEDULING__ENDPOINT=http://127.0.0.1:50071 \
  CONTACT__DELIVERY__ADAPTER=webhook CONTACT__DELIVERY__WEBHOOK_URL=http://127.0.0.1:50079/messages \
  CONTACT__DELIVERY__WEBHOOK_SECRET=bench-webhook-secret \
    target/release/contact serve >"$WORK/contact.log" 2>&1 &
  CONTACT_PID=$!
  target/release/contact_load --contact http://127.0.0.1:50072 ready >/dev/null
}
stop() { kill -TERM "$CONTACT_PID" "$SCHED_PID"; wait "$CONTACT_PID" "$SCHED_PID" 2>/dev/null || true; }

echo "## contact on PostgreSQL ($(date -u +%FT%TZ), $(nproc) cores)"
start
target/release/contact_load lag --clients 32 --duration "$SECS" --record "$WORK/booked.csv"
N=$(wc -l <"$WORK/booked.csv")
PSQL="psql -X -q -t -A $PG_BASE/bench_contact"
for _ in $(seq 1 600); do
  [ "$($PSQL -c 'SELECT count(*) FROM visits')" -ge "$N" ] && break
  sleep 0.1
done
$PSQL <<SQL
CREATE TEMP TABLE booked (appointment_id TEXT PRIMARY KEY, answered BIGINT);
\copy booked FROM '$WORK/booked.csv' WITH (FORMAT csv)
SELECT format('lag: %s bookings; booking answered -> reminders planned in contact: p50 %s ms, p99 %s ms, max %s ms (%s planned before the answer arrived)',
  count(*),
  round(percentile_disc(0.5) WITHIN GROUP (ORDER BY v.updated_at - b.answered) / 1000.0, 1),
  round(percentile_disc(0.99) WITHIN GROUP (ORDER BY v.updated_at - b.answered) / 1000.0, 1),
  round(max(v.updated_at - b.answered) / 1000.0, 1),
  count(*) FILTER (WHERE v.updated_at < b.answered))
FROM booked b JOIN visits v USING (appointment_id);
SQL
stop
start
target/release/contact_load wave --count "$COUNT" --due-in "${DUE_IN:-4}"
stop
