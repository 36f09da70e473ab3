-- pgbench: the booking as a transaction of separate statements, the way the service runs it
-- on SQLite (and ran it on PostgreSQL before the single-statement form): take a place by
-- conditional update, insert the appointment, its audit line and its outbox event, commit.
-- The slot is looked up before the transaction, as the service does; ids are made
-- client-side in the service and with gen_random_uuid() here.
-- Run with -M prepared: pgbench then binds :variables as parameters, as sqlx does.
\set n random(1, :nslots)
SELECT id AS slot_id, branch_id, local_date FROM bench_slot_ids WHERE n = :n \gset
BEGIN;
UPDATE slots SET booked = booked + 1 WHERE id = :slot_id AND booked < capacity;
SELECT 'apt_' || replace(gen_random_uuid()::text, '-', '') AS apt_id \gset
INSERT INTO appointments (id, request_id, branch_id, region_path, slot_id, local_date, package_id, customer_id, customer_name, customer_phone, status, version, created_at, updated_at)
  VALUES (:apt_id, gen_random_uuid()::text, :branch_id, 'bench/bench', :slot_id, :local_date, :pkg, '', 'bench', '13900000000', 'BOOKED', 1, 0, 0);
INSERT INTO appointment_history (appointment_id, at, actor, action, detail) VALUES (:apt_id, 0, 'pgbench', 'booked', '');
INSERT INTO outbox (event_id, branch_id, region_path, occurred_at, payload)
  VALUES ('evt_' || replace(gen_random_uuid()::text, '-', ''), :branch_id, 'bench/bench', 0, '\x0a00'::bytea);
COMMIT;
