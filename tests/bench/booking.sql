-- pgbench: the booking the scheduling service runs on PostgreSQL, as the same single
-- statement on the same tables (store::appointments::book_postgres): take a place by a
-- conditional update that also requires the branch to be at the version the rules were
-- checked against, insert the appointment, its audit line and its outbox event, all or
-- nothing, and return the slot's new count and the branch's version. The random slot is
-- picked inside the statement, so pgbench makes one round trip per booking, as the
-- service does; ids are made client-side in the service and with gen_random_uuid() here.
-- Run with -M prepared: pgbench then binds :variables as parameters, as sqlx does.
\set n random(1, :nslots)
WITH pick AS (SELECT id, branch_id, local_date, version FROM bench_slot_ids WHERE n = :n),
b AS (SELECT version FROM branches WHERE id = (SELECT branch_id FROM pick)),
s AS (UPDATE slots SET booked = booked + 1
      WHERE id = (SELECT id FROM pick) AND booked < capacity
        AND (SELECT version FROM b) = (SELECT version FROM pick)
      RETURNING id, booked),
a AS (INSERT INTO appointments (id, request_id, branch_id, region_path, slot_id, local_date, package_id, customer_id, customer_name, customer_phone, status, version, created_at, updated_at)
      SELECT 'apt_' || replace(gen_random_uuid()::text, '-', ''), gen_random_uuid()::text, (SELECT branch_id FROM pick), 'bench/bench', s.id, (SELECT local_date FROM pick), :pkg, '', 'bench', '13900000000', 'BOOKED', 1, 0, 0 FROM s RETURNING id),
h AS (INSERT INTO appointment_history (appointment_id, at, actor, action, detail) SELECT id, 0, 'pgbench', 'booked', '' FROM a),
o AS (INSERT INTO outbox (event_id, branch_id, region_path, occurred_at, payload)
      SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), (SELECT branch_id FROM pick), 'bench/bench', 0, '\x0a00'::bytea FROM a)
SELECT (SELECT booked FROM s) AS booked, (SELECT version FROM b) AS branch_version;
