-- Service recovery as scheduling reports it (wait-promise breaches, the cases they open,
-- every decision), kept here for the customer-service centre's figures. Rows are written
-- by the feed consumer in the transaction that claims the event's position.
CREATE TABLE recovery_breaches (
    appointment_id  TEXT NOT NULL,
    entry_id        TEXT NOT NULL,
    -- EXAM_ITEM or WHOLE_VISIT.
    scope           TEXT NOT NULL,
    branch_id       TEXT NOT NULL,
    province        TEXT NOT NULL,
    region_path     TEXT NOT NULL,
    breached_at     BIGINT NOT NULL,
    PRIMARY KEY (appointment_id, scope, entry_id)
);
CREATE INDEX recovery_breaches_at ON recovery_breaches (breached_at);

-- One per visit whose promise broke; `decided_at` is the first decision's.
CREATE TABLE recovery_cases (
    case_id         TEXT PRIMARY KEY,
    appointment_id  TEXT NOT NULL,
    branch_id       TEXT NOT NULL,
    province        TEXT NOT NULL,
    region_path     TEXT NOT NULL,
    trigger_scope   TEXT NOT NULL,
    breached_at     BIGINT NOT NULL,
    decide_by       BIGINT NOT NULL,
    decided_at      BIGINT
);
CREATE INDEX recovery_cases_at ON recovery_cases (breached_at);

-- One per RecoveryDecided event (a case with two gifts has two).
CREATE TABLE recovery_decisions (
    position        BIGINT PRIMARY KEY,
    case_id         TEXT NOT NULL,
    branch_id       TEXT NOT NULL,
    province        TEXT NOT NULL,
    region_path     TEXT NOT NULL,
    decided_at      BIGINT NOT NULL,
    -- GRANTED, DECLINED_BY_CUSTOMER or NOT_GIVEN.
    decision        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    -- For a gift: ON_ROUTE, TO_COMPANION or VOUCHER.
    delivery        TEXT NOT NULL,
    decided_by      TEXT NOT NULL,
    cost_bearer     TEXT NOT NULL,
    currency        TEXT NOT NULL,
    value_minor     BIGINT NOT NULL,
    -- Decided after the case's window closed.
    late            BIGINT NOT NULL
);
CREATE INDEX recovery_decisions_at ON recovery_decisions (decided_at);
