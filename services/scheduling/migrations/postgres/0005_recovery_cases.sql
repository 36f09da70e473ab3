-- Service recovery on the spot: what each branch may give, and one case per visit whose
-- wait promise broke, opened with the breach and waiting for the branch's decision.
CREATE TABLE recovery_policies (
    branch_id          TEXT PRIMARY KEY REFERENCES branches (id),
    giftable_item_ids  TEXT NOT NULL,
    decision_minutes   BIGINT NOT NULL,
    gifts_per_visit    BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE recovery_cases (
    id              TEXT PRIMARY KEY,
    appointment_id  TEXT NOT NULL UNIQUE REFERENCES appointments (id),
    branch_id       TEXT NOT NULL REFERENCES branches (id),
    region_path     TEXT NOT NULL,
    trigger_scope   TEXT NOT NULL,
    breached_at     BIGINT NOT NULL,
    decide_by       BIGINT NOT NULL,
    status          TEXT NOT NULL,
    -- The decision ('' while due): GRANTED, DECLINED_BY_CUSTOMER or NOT_GIVEN.
    decision        TEXT NOT NULL DEFAULT '',
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      BIGINT,
    reason          TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    -- The request that recorded a decline or a "not given", for retries.
    decision_request_id TEXT UNIQUE
);
-- The queue: open cases by deadline.
CREATE INDEX recovery_cases_due ON recovery_cases (status, decide_by, id);

-- Gifts given on a case, at the list price of the moment; whoever decided, and the unit
-- that bears the cost.
CREATE TABLE recovery_gifts (
    request_id      TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES recovery_cases (id),
    appointment_id  TEXT NOT NULL REFERENCES appointments (id),
    branch_id       TEXT NOT NULL,
    region_path     TEXT NOT NULL,
    exam_item_id    TEXT NOT NULL,
    exam_item_name  TEXT NOT NULL,
    currency        TEXT NOT NULL,
    value_minor     BIGINT NOT NULL,
    recipient       TEXT NOT NULL,
    companion_name  TEXT NOT NULL,
    delivery        TEXT NOT NULL,
    decided_by      TEXT NOT NULL,
    cost_bearer     TEXT NOT NULL,
    granted_at      BIGINT NOT NULL
);
CREATE INDEX recovery_gifts_case ON recovery_gifts (case_id, granted_at);

-- The deputy a branch director names for one local day, holding the director's authority.
CREATE TABLE recovery_deputies (
    branch_id   TEXT NOT NULL REFERENCES branches (id),
    local_date  TEXT NOT NULL,
    deputy      TEXT NOT NULL,
    named_by    TEXT NOT NULL,
    named_at    BIGINT NOT NULL,
    PRIMARY KEY (branch_id, local_date)
);
