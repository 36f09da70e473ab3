-- See migrations/postgres/0001_events.sql for the why.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    position    INTEGER UNIQUE,
    event_id    TEXT NOT NULL UNIQUE,
    branch_id   TEXT NOT NULL DEFAULT '',
    region_path TEXT NOT NULL DEFAULT '',
    occurred_at INTEGER NOT NULL,
    payload     BLOB NOT NULL
);
CREATE INDEX outbox_unsequenced ON outbox (id) WHERE position IS NULL;

CREATE TABLE consumer_positions (
    consumer   TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
