-- Service recovery on the spot: what each branch may give, and one case per visit whose
-- wait promise broke, opened with the breach and waiting for the branch's decision.
CREATE TABLE recovery_policies (
    branch_id          TEXT PRIMARY KEY REFERENCES branches (id),
    giftable_item_ids  TEXT NOT NULL,
    decision_minutes   INTEGER NOT NULL,
    gifts_per_visit    INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE recovery_cases (
    id              TEXT PRIMARY KEY,
    appointment_id  TEXT NOT NULL UNIQUE REFERENCES appointments (id),
    branch_id       TEXT NOT NULL REFERENCES branches (id),
    region_path     TEXT NOT NULL,
    trigger_scope   TEXT NOT NULL,
    breached_at     INTEGER NOT NULL,
    decide_by       INTEGER NOT NULL,
    status          TEXT NOT NULL
);
-- The queue: open cases by deadline.
CREATE INDEX recovery_cases_due ON recovery_cases (status, decide_by, id);
