-- SQLite twin of the PostgreSQL schema: only the auto-numbered keys differ.
-- Instants are microseconds since the epoch (BIGINT), booleans 0/1, enums their names.

-- Branches as scheduling describes them, fetched over gRPC and refreshed from its
-- BranchChanged events: the business calendar the SLA clocks count in.
CREATE TABLE branches (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    province      TEXT NOT NULL,
    city          TEXT NOT NULL,
    time_zone     TEXT NOT NULL,
    -- "1=450-1020;2=450-1020;…" (ISO weekday = local minutes open-close)
    opening_hours TEXT NOT NULL,
    -- "2026-10-01,2026-10-02"
    holidays      TEXT NOT NULL,
    version       BIGINT NOT NULL,
    fetched_at    BIGINT NOT NULL
);

CREATE TABLE sla_policies (
    severity            TEXT PRIMARY KEY,
    acknowledge_minutes BIGINT NOT NULL,
    resolve_minutes     BIGINT NOT NULL,
    warn_at_percent     BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
INSERT INTO sla_policies VALUES
    ('LOW', 480, 2880, 80, 0),
    ('MEDIUM', 240, 1440, 80, 0),
    ('HIGH', 60, 480, 75, 0),
    ('CRITICAL', 30, 240, 75, 0);

CREATE TABLE work_orders (
    -- The short number staff read out is made from this.
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    request_id        TEXT NOT NULL UNIQUE,
    channel           TEXT NOT NULL,
    kind              TEXT NOT NULL,
    category          TEXT NOT NULL,
    severity          TEXT NOT NULL,
    status            TEXT NOT NULL,
    level             TEXT NOT NULL,
    customer_id       TEXT NOT NULL,
    customer_name     TEXT NOT NULL,
    customer_phone    TEXT NOT NULL,
    customer_masked   TEXT NOT NULL,
    branch_id         TEXT NOT NULL,
    branch_code       TEXT NOT NULL,
    branch_name       TEXT NOT NULL,
    province          TEXT NOT NULL,
    city              TEXT NOT NULL,
    region_path       TEXT NOT NULL,
    appointment_id    TEXT NOT NULL,
    staff_ids         TEXT NOT NULL,
    summary           TEXT NOT NULL,
    description       TEXT NOT NULL,
    assignee          TEXT NOT NULL,
    -- Opened automatically from a scheduling event: one case per visit.
    source            TEXT UNIQUE,
    ack_due_at        BIGINT,
    ack_warn_at       BIGINT,
    resolve_due_at    BIGINT,
    resolve_warn_at   BIGINT,
    paused_at         BIGINT,
    resolve_left_min  BIGINT,
    -- The earliest of the four timers above: what the sweeper looks for.
    next_timer_at     BIGINT,
    breached          BIGINT NOT NULL,
    root_cause        TEXT NOT NULL,
    corrective_action TEXT NOT NULL,
    substantiated     BIGINT NOT NULL,
    resolved_by       TEXT NOT NULL,
    resolved_at       BIGINT,
    satisfaction      BIGINT NOT NULL,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    acknowledged_at   BIGINT,
    closed_at         BIGINT
);
CREATE INDEX work_orders_timer ON work_orders (next_timer_at) WHERE next_timer_at IS NOT NULL;
CREATE INDEX work_orders_created ON work_orders (created_at);
CREATE INDEX work_orders_branch ON work_orders (branch_id, id);
CREATE INDEX work_orders_region ON work_orders (region_path, id);
CREATE INDEX work_orders_phone ON work_orders (customer_phone);

CREATE TABLE timeline (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    work_order_id  TEXT NOT NULL REFERENCES work_orders (id),
    at             BIGINT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    detail         TEXT NOT NULL
);
CREATE INDEX timeline_work_order ON timeline (work_order_id, seq);

CREATE TABLE compensations (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL UNIQUE,
    work_order_id    TEXT NOT NULL REFERENCES work_orders (id),
    kind             TEXT NOT NULL,
    currency         TEXT NOT NULL,
    value_minor      BIGINT NOT NULL,
    exam_item_id     TEXT NOT NULL,
    appointment_id   TEXT NOT NULL,
    customer_key     TEXT NOT NULL,
    cap_year         BIGINT NOT NULL,
    authorised_by    TEXT NOT NULL,
    cost_bearer      TEXT NOT NULL,
    note             TEXT NOT NULL,
    delivery         TEXT NOT NULL,
    delivery_detail  TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT,
    granted_at       BIGINT NOT NULL
);
CREATE INDEX compensations_work_order ON compensations (work_order_id);
CREATE INDEX compensations_pending ON compensations (next_attempt_at) WHERE delivery = 'PENDING';

-- What each customer has been granted per year: the cap is enforced by a conditional
-- update of this row, so concurrent grants cannot pass it together.
CREATE TABLE recovery_totals (
    customer_key  TEXT NOT NULL,
    year          BIGINT NOT NULL,
    total_minor   BIGINT NOT NULL,
    PRIMARY KEY (customer_key, year),
    CONSTRAINT recovery_totals_not_negative CHECK (total_minor >= 0)
);

-- Completed visits per branch and day (China Standard Time), from scheduling's events.
CREATE TABLE visit_days (
    branch_id    TEXT NOT NULL,
    province     TEXT NOT NULL,
    region_path  TEXT NOT NULL,
    day          TEXT NOT NULL,
    visits       BIGINT NOT NULL,
    PRIMARY KEY (branch_id, day)
);
