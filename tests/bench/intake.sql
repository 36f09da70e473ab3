-- pgbench: one intake as the complaints service runs it on PostgreSQL (app::intake::open):
-- read the branch from the local copy, outside the transaction; then BEGIN, insert the
-- work order (store::work_orders::insert, every column, ON CONFLICT DO NOTHING RETURNING
-- seq), its "opened" timeline line (store::timeline::append) and its outbox event
-- (service_kit::events::append), COMMIT: six round trips, as the service makes.
-- Ids are made client-side in the service (time-ordered UUIDv7); here from the clock,
-- :client_id and a random number, in the same shape. The SLA deadlines are the MEDIUM
-- policy on an always-open branch (240 / 1,440 minutes, warnings at 80 %).
-- Variables: -D branch=<bench branch id> -D plen=<outbox payload bytes, as the service writes>.
-- Run with -M prepared: pgbench then binds :variables as parameters, as sqlx does.
-- The outbox rows it leaves carry a dummy payload: delete them before a subscriber reads.
\set n random(1, 281474976710655)
\set phone random(0, 99999999)
SELECT id, code, name, province, city, time_zone, opening_hours, holidays, version FROM branches WHERE id = :branch \gset b_
BEGIN;
INSERT INTO work_orders (id, request_id, channel, kind, category, severity, status, level, customer_id, customer_name, customer_phone, customer_masked, branch_id, branch_code, branch_name, province, city, region_path, appointment_id, staff_ids, summary, description, assignee, source, ack_due_at, ack_warn_at, resolve_due_at, resolve_warn_at, paused_at, resolve_left_min, next_timer_at, breached, root_cause, corrective_action, substantiated, resolved_by, resolved_at, satisfaction, version, created_at, updated_at, acknowledged_at, closed_at)
  SELECT 'wo_' || lpad(to_hex(t), 14, '0') || lpad(to_hex(:client_id::int), 6, '0') || lpad(to_hex(:n::bigint), 12, '0'),
         'pgbench-' || :client_id || '-' || :n, 'HOTLINE', 'COMPLAINT', 'WAITING_TIME', 'MEDIUM', 'NEW', 'BRANCH',
         '', '压测客户', '138' || lpad(:phone::text, 8, '0'), '138****' || lpad((:phone::int % 10000)::text, 4, '0'),
         :b_id, :b_code, :b_name, :b_province, :b_city, :b_province || '/' || :b_city, '', '',
         '体检候诊超过一小时，无人告知原因', '客户来电：上午八点到达，九点半仍未开始抽血，前台未解释。', '', NULL,
         t + 14400000000, t + 11520000000, t + 86400000000, t + 69120000000, NULL, NULL, t + 11520000000, 0,
         '', '', 0, '', NULL, 0, 1, t, t, NULL, NULL
  FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS t) AS now
  ON CONFLICT DO NOTHING RETURNING seq, id AS wo_id, created_at AS at \gset
INSERT INTO timeline (work_order_id, at, actor, action, detail) VALUES (:wo_id, :at, 'loadgen', 'opened', 'complaint via hotline: waiting_time');
INSERT INTO outbox (event_id, branch_id, region_path, occurred_at, payload)
  VALUES ('evt_' || substr(:wo_id, 4), :b_id, :b_province || '/' || :b_city, :at, decode(repeat('ab', :plen), 'hex'));
COMMIT;
