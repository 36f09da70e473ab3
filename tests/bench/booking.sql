-- pgbench: the booking the scheduling service runs on PostgreSQL, as the same single
-- statement on the same tables (store::appointments::book_in_one_statement): take a place by
-- conditional update, insert the appointment, its audit line and its outbox event, all or
-- nothing. The slot is looked up first, as the service does; ids are made client-side in
-- the service and with gen_random_uuid() here.
-- Run with -M prepared: pgbench then binds :variables as parameters, as sqlx does.
\set n random(1, :nslots)
SELECT id AS slot_id, branch_id, local_date FROM bench_slot_ids WHERE n = :n \gset
WITH s AS (UPDATE slots SET booked = booked + 1 WHERE id = :slot_id AND booked < capacity RETURNING id),
a AS (INSERT INTO appointments (id, request_id, branch_id, region_path, slot_id, local_date, package_id, customer_id, customer_name, customer_phone, status, version, created_at, updated_at)
      SELECT 'apt_' || replace(gen_random_uuid()::text, '-', ''), gen_random_uuid()::text, :branch_id, 'bench/bench', s.id, :local_date, :pkg, '', 'bench', '13900000000', 'BOOKED', 1, 0, 0 FROM s RETURNING id),
h AS (INSERT INTO appointment_history (appointment_id, at, actor, action, detail) SELECT id, 0, 'pgbench', 'booked', '' FROM a)
INSERT INTO outbox (event_id, branch_id, region_path, occurred_at, payload)
SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), :branch_id, 'bench/bench', 0, '\x0a00'::bytea FROM a;
