-- See migrations/postgres/0001_init.sql: the same schema in SQLite types.

CREATE TABLE branches (
    id                     TEXT PRIMARY KEY,
    request_id             TEXT UNIQUE,
    code                   TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    brand                  TEXT NOT NULL,
    province               TEXT NOT NULL,
    city                   TEXT NOT NULL,
    region_path            TEXT NOT NULL,
    time_zone              TEXT NOT NULL,
    opening_hours          TEXT NOT NULL,
    holidays               TEXT NOT NULL,
    wait_promise_minutes   INTEGER NOT NULL,
    fasting_cutoff_minute  INTEGER NOT NULL,
    version                INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX branches_region ON branches (region_path);

CREATE TABLE exam_items (
    id                TEXT PRIMARY KEY,
    request_id        TEXT UNIQUE,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    department        TEXT NOT NULL,
    duration_minutes  INTEGER NOT NULL,
    fasting_required  INTEGER NOT NULL,
    order_hint        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);

CREATE TABLE packages (
    id           TEXT PRIMARY KEY,
    request_id   TEXT UNIQUE,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    price_minor  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE package_items (
    package_id    TEXT NOT NULL REFERENCES packages (id),
    exam_item_id  TEXT NOT NULL REFERENCES exam_items (id),
    position      INTEGER NOT NULL,
    PRIMARY KEY (package_id, exam_item_id)
);

CREATE TABLE template_windows (
    branch_id     TEXT NOT NULL REFERENCES branches (id),
    weekday       INTEGER NOT NULL,
    start_minute  INTEGER NOT NULL,
    end_minute    INTEGER NOT NULL,
    capacity      INTEGER NOT NULL,
    PRIMARY KEY (branch_id, weekday, start_minute)
);

CREATE TABLE slots (
    id            TEXT PRIMARY KEY,
    branch_id     TEXT NOT NULL REFERENCES branches (id),
    local_date    TEXT NOT NULL,
    start_minute  INTEGER NOT NULL,
    end_minute    INTEGER NOT NULL,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    capacity      INTEGER NOT NULL,
    booked        INTEGER NOT NULL DEFAULT 0,
    -- The booking statement's condition keeps this true; the constraint is the backstop.
    CONSTRAINT slots_within_capacity CHECK (booked >= 0 AND booked <= capacity),
    CONSTRAINT slots_branch_start UNIQUE (branch_id, starts_at)
);
CREATE INDEX slots_branch_date ON slots (branch_id, local_date);

CREATE TABLE appointments (
    id              TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL UNIQUE,
    branch_id       TEXT NOT NULL REFERENCES branches (id),
    region_path     TEXT NOT NULL,
    slot_id         TEXT NOT NULL REFERENCES slots (id),
    local_date      TEXT NOT NULL,
    package_id      TEXT NOT NULL REFERENCES packages (id),
    customer_id     TEXT NOT NULL,
    customer_name   TEXT NOT NULL,
    customer_phone  TEXT NOT NULL,
    status          TEXT NOT NULL,
    cancel_reason   TEXT NOT NULL DEFAULT '',
    cancel_note     TEXT NOT NULL DEFAULT '',
    checked_in_at   INTEGER,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX appointments_branch_date ON appointments (branch_id, local_date, id);
CREATE INDEX appointments_phone ON appointments (customer_phone);
CREATE INDEX appointments_slot ON appointments (slot_id);

CREATE TABLE appointment_history (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    appointment_id  TEXT NOT NULL REFERENCES appointments (id),
    at              INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE INDEX appointment_history_appointment ON appointment_history (appointment_id, id);

CREATE TABLE queue_entries (
    id                TEXT PRIMARY KEY,
    appointment_id    TEXT NOT NULL REFERENCES appointments (id),
    branch_id         TEXT NOT NULL,
    exam_item_id      TEXT NOT NULL,
    exam_item_name    TEXT NOT NULL,
    department        TEXT NOT NULL,
    fasting_required  INTEGER NOT NULL,
    order_hint        INTEGER NOT NULL,
    status            TEXT NOT NULL,
    route_position    INTEGER NOT NULL,
    waiting_since     INTEGER,
    called_at         INTEGER,
    started_at        INTEGER,
    completed_at      INTEGER,
    breached_at       INTEGER,
    CONSTRAINT queue_entries_one_per_item UNIQUE (appointment_id, exam_item_id)
);
CREATE INDEX queue_entries_queue ON queue_entries (branch_id, exam_item_id, status, waiting_since);
CREATE INDEX queue_entries_unbreached ON queue_entries (waiting_since)
    WHERE status = 'WAITING' AND breached_at IS NULL;
