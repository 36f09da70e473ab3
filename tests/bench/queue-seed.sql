-- The work queue's benchmark state: :tasks open tasks (default 1,000,000) over 1,000
-- customers and plans. Three in five are the group call centre's customer-service calls
-- (the queue the agents claim from), two in five medical calls of 200 branch teams.
-- Half are in the queue already (due over the next three days), half scheduled to open
-- over the next 14 days;
-- priorities 1 to 5.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO customers (id, name, phone, gender, birth_date, home_branch_id, home_region_path,
    national_id_hash, national_id_last4, channel_order, quiet_start, quiet_end,
    do_not_contact, needs, notes, created_at, updated_at, version, completed_visits)
SELECT 'cus_' || lpad(g::text, 32, '0'), 'bench ' || g, '150' || lpad(g::text, 8, '0'),
    '', '', 'br-' || (g % 200), 'guangdong/shenzhen', '', '', 'PHONE_CALL', 1260, 480, 0,
    '', '', 0, 0, 1, 1
FROM generate_series(0, 999) g;
INSERT INTO follow_up_plans (id, request_id, customer_id, appointment_id, branch_id,
    region_path, kind, outcome, status, reason, summary, recorded_by, created_at, updated_at)
SELECT 'fup_' || lpad(g::text, 32, '0'), NULL, 'cus_' || lpad(g::text, 32, '0'), '',
    'br-' || (g % 200), 'guangdong/shenzhen', 'FIRST_VISIT', 'NORMAL', 'ACTIVE', '', '',
    'bench', 0, 0
FROM generate_series(0, 999) g;
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us),
t AS (
  SELECT g,
    CASE WHEN g % 2 = 0 THEN now.us - 86400000000
         ELSE now.us + (g % 14) * 86400000000 END AS open_from
  FROM generate_series(1, :tasks) g, now
)
INSERT INTO tasks (id, plan_id, customer_id, customer_name, branch_id, region_path, team,
    skill, plan_kind, priority, title, detail, open_from, due_at, ready_at, open_day,
    due_day, status, claimed_by, claimed_until, assigned_to, attempts, max_attempts,
    retry_minutes, until_reached, escalation, escalated_to, escalation_step,
    next_escalation_at, last_outcome, outcome_note, channel, reason, closed_at, updated_at,
    version)
SELECT 'tsk_' || lpad(g::text, 32, '0'), 'fup_' || lpad((g % 1000)::text, 32, '0'),
    'cus_' || lpad((g % 1000)::text, 32, '0'), 'bench', 'br-' || (g % 200),
    'guangdong/shenzhen',
    CASE WHEN g % 5 < 3 THEN 'group' ELSE 'branch:br-' || (g % 200) END,
    CASE WHEN g % 5 < 3 THEN 'CUSTOMER_SERVICE' ELSE 'MEDICAL' END,
    'FIRST_VISIT', 1 + (g / 7) % 5, 'bench call', '', open_from,
    open_from + (1 + g % 3) * 86400000000, open_from,
    (open_from + 28800000000) / 86400000000,
    (open_from + (1 + g % 3) * 86400000000 + 28800000000) / 86400000000,
    CASE WHEN g % 2 = 0 THEN 'OPEN' ELSE 'SCHEDULED' END,
    '', NULL, '', 0, 3, 240, 0, 'NONE', '', 0, NULL, '', '', 'PHONE_CALL', '', NULL,
    0, 0
FROM t;
COMMIT;
VACUUM (ANALYZE) customers;
VACUUM (ANALYZE) follow_up_plans;
VACUUM (ANALYZE) tasks;
