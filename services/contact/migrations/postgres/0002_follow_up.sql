-- Follow-up after the visit: plans from templates, the call-centre's tasks and agents,
-- leads from marketing, satisfaction surveys, and the history each customer's segment is
-- derived from. Instants are microseconds since the epoch (UTC); days are local days
-- counted from 1970-01-01 in the branch's zone.

-- Who made a contact: an agent's id, or 'contact' for the service's own messages.
ALTER TABLE contact_records ADD COLUMN actor TEXT NOT NULL DEFAULT 'contact';

-- What the segment is derived from (see the domain's segment rule).
ALTER TABLE customers ADD COLUMN completed_visits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN first_completed_at BIGINT;
-- Since when the group has followed them after an operation.
ALTER TABLE customers ADD COLUMN after_operation_since BIGINT;
ALTER TABLE customers ADD COLUMN is_lead BIGINT NOT NULL DEFAULT 0;
-- The branch they are counted at: the home branch, or that of their first visit.
ALTER TABLE customers ADD COLUMN segment_branch_id TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN segment_region_path TEXT NOT NULL DEFAULT '';
CREATE INDEX customers_segment_branch ON customers (segment_branch_id);

-- A template per plan kind as the group set it; the built-in one otherwise. JSON.
CREATE TABLE follow_up_templates (
    kind        TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE follow_up_plans (
    id              TEXT PRIMARY KEY,
    request_id      TEXT UNIQUE,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    -- '' for a lead's plan.
    appointment_id  TEXT NOT NULL,
    branch_id       TEXT NOT NULL,
    region_path     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    summary         TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX follow_up_plans_customer ON follow_up_plans (customer_id, created_at);

CREATE TABLE tasks (
    id                  TEXT PRIMARY KEY,
    plan_id             TEXT NOT NULL REFERENCES follow_up_plans (id),
    customer_id         TEXT NOT NULL,
    customer_name       TEXT NOT NULL,
    branch_id           TEXT NOT NULL,
    region_path         TEXT NOT NULL,
    team                TEXT NOT NULL,
    skill               TEXT NOT NULL,
    plan_kind           TEXT NOT NULL,
    priority            BIGINT NOT NULL,
    title               TEXT NOT NULL,
    detail              TEXT NOT NULL,
    open_from           BIGINT NOT NULL,
    due_at              BIGINT NOT NULL,
    -- When it may next be claimed: open_from, then after a retry pause or a call-back time.
    ready_at            BIGINT NOT NULL,
    open_day            BIGINT NOT NULL,
    due_day             BIGINT NOT NULL,
    status              TEXT NOT NULL,
    claimed_by          TEXT NOT NULL,
    claimed_until       BIGINT,
    assigned_to         TEXT NOT NULL,
    attempts            BIGINT NOT NULL,
    max_attempts        BIGINT NOT NULL,
    retry_minutes       BIGINT NOT NULL,
    -- Only a reached customer settles it (a critical finding).
    until_reached       BIGINT NOT NULL,
    escalation          TEXT NOT NULL,
    escalated_to        TEXT NOT NULL,
    -- Index of the plan's next escalation step, and when it falls due.
    escalation_step     BIGINT NOT NULL,
    next_escalation_at  BIGINT,
    last_outcome        TEXT NOT NULL,
    outcome_note        TEXT NOT NULL,
    channel             TEXT NOT NULL,
    reason              TEXT NOT NULL,
    closed_at           BIGINT,
    updated_at          BIGINT NOT NULL,
    -- Bumped on every change: writes are conditional on the version read.
    version             BIGINT NOT NULL
);
-- ClaimNext: the most urgent queued task of a team and skill. Only tasks whose time has
-- come are OPEN (the others are SCHEDULED), so a claim stops at the first row.
CREATE INDEX tasks_queue ON tasks (team, skill, priority DESC, due_at, id) WHERE status = 'OPEN';
CREATE INDEX tasks_claims ON tasks (claimed_until) WHERE status = 'CLAIMED';
CREATE INDEX tasks_escalation ON tasks (next_escalation_at) WHERE next_escalation_at IS NOT NULL;
-- A queue table: every claim and call leaves a dead entry in tasks_queue, which ClaimNext
-- steps over until vacuum removes it; vacuum it after 1% of its rows changed, not 20%.
ALTER TABLE tasks SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
CREATE INDEX tasks_plan ON tasks (plan_id);
CREATE INDEX tasks_customer ON tasks (customer_id);
CREATE INDEX tasks_load ON tasks (team, due_day) WHERE status IN ('SCHEDULED', 'OPEN', 'CLAIMED');
-- The sweep moves scheduled tasks into the queue when their time comes.
CREATE INDEX tasks_scheduled ON tasks (ready_at) WHERE status = 'SCHEDULED';
-- Queued tasks kept for one agent, released to the team when the agent does not come.
CREATE INDEX tasks_assigned ON tasks (ready_at) WHERE status = 'OPEN' AND assigned_to <> '';

-- Outcomes recorded, for retries of RecordCallOutcome and ReassignTask.
CREATE TABLE task_actions (
    request_id  TEXT PRIMARY KEY,
    task_id     TEXT NOT NULL REFERENCES tasks (id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    at          BIGINT NOT NULL
);

CREATE TABLE agents (
    id             TEXT PRIMARY KEY,
    team           TEXT NOT NULL,
    -- "MEDICAL,CUSTOMER_SERVICE"
    skills         TEXT NOT NULL,
    tasks_per_day  BIGINT NOT NULL,
    -- "1,2,3,4,5": ISO weekdays.
    working_days   TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX agents_team ON agents (team);

CREATE TABLE lead_batches (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    -- The results as first returned (JSON), replayed on a retry of the batch.
    results     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE leads (
    id              TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    batch_id        TEXT NOT NULL,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    branch_id       TEXT NOT NULL,
    region_path     TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    appointment_id  TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    converted_at    BIGINT,
    UNIQUE (source, external_id)
);
CREATE INDEX leads_customer ON leads (customer_id) WHERE status = 'OPEN';

CREATE TABLE surveys (
    id                 TEXT PRIMARY KEY,
    appointment_id     TEXT NOT NULL UNIQUE,
    customer_id        TEXT NOT NULL,
    branch_id          TEXT NOT NULL,
    region_path        TEXT NOT NULL,
    status             TEXT NOT NULL,
    channel            TEXT NOT NULL,
    send_at            BIGINT NOT NULL,
    send_day           BIGINT NOT NULL,
    attempts           BIGINT NOT NULL,
    answered_at        BIGINT,
    score              BIGINT,
    comment            TEXT NOT NULL,
    reason             TEXT NOT NULL,
    work_order_id      TEXT NOT NULL,
    work_order_number  TEXT NOT NULL,
    work_order_status  TEXT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX surveys_due ON surveys (send_at) WHERE status = 'PLANNED';
CREATE INDEX surveys_customer ON surveys (customer_id);
CREATE INDEX surveys_branch ON surveys (branch_id, send_day);
CREATE INDEX surveys_work_order ON surveys (work_order_id) WHERE work_order_id <> '';
