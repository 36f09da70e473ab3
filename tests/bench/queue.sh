#!/usr/bin/env bash
# The call-centre work queue on PostgreSQL: contact on a fresh database filled with TASKS
# open tasks (default 1,000,000; see queue-seed.sql), then
#  1. ClaimNext by one agent alone (the baseline, same run), then by 50 agents at once, for
#     SECONDS each: claims only in a closed loop; claims paced; claims with every task
#     recorded reached (RecordCallOutcome) before the next;
#  2. the group's planned load for the fortnight (GetPlannedLoad, every team), 5 runs.
#
#   bash tests/bench/queue.sh [seconds]        (default 10; TASKS=1000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
TASKS=${TASKS:-1000000}
SECRET=bench-secret-local-only
export LOADGEN_SECRET=$SECRET
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

source .ci/postgres.sh >/dev/null
PG_BASE=${PG_ADMIN_URL%/*}
su postgres -c "dropdb -p ${PG_PORT:-5432} --if-exists bench_queue"
su postgres -c "createdb -p ${PG_PORT:-5432} -O hospital bench_queue"
cargo build --release -q -p contact-service -p hospital-tests

export CONTACT__DATABASE__URL="$PG_BASE/bench_queue" CONTACT__AUTH__HS256_SECRET=$SECRET \
  CONTACT__SERVER__LISTEN=127.0.0.1:50072 CONTACT__TELEMETRY__FILTER=warn \
  CONTACT__SCHEDULING__FOLLOW_EVENTS=false CONTACT__COMPLAINTS__FOLLOW_EVENTS=false
target/release/contact migrate >/dev/null
echo "## contact's work queue on PostgreSQL ($(date -u +%FT%TZ), $(nproc) cores, $TASKS open tasks)"
T0=$(date +%s)
psql -X -q "$PG_BASE/bench_queue" -v tasks="$TASKS" -f tests/bench/queue-seed.sql
echo "seeded in $(( $(date +%s) - T0 )) s"
target/release/contact serve >"$WORK/contact.log" 2>&1 &
target/release/contact_load --contact http://127.0.0.1:50072 ready >/dev/null
# ClaimNext alone, closed loop (each agent claims again the moment it has a task: the
# machine's most), then paced (each agent pauses 50-150 ms, PACE_MS=100 on average, after
# each claim); then claim and record every task reached, closed loop.
# Each measurement starts from a vacuumed table: at a call centre's real rate (a few claims
# a second) autovacuum keeps up, and a closed loop of thousands a second does not.
vacuum() { psql -X -q "$PG_BASE/bench_queue" -c "VACUUM (ANALYZE) tasks"; }
vacuum
target/release/queue_load claims --agents 50 --duration "$SECS"
vacuum
target/release/queue_load claims --agents 50 --duration "$SECS" --pace-ms "${PACE_MS:-100}"
vacuum
target/release/queue_load claims --agents 50 --duration "$SECS" --settle
target/release/queue_load load --runs 5
