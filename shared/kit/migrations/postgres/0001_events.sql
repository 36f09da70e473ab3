-- The outbox: events written in the same transaction as the change that caused them.
-- `position` stays NULL until the sequencer gives it the next number, in commit order
-- (see events.rs), so a subscriber reading by position never skips a late commit.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    position    BIGINT UNIQUE,
    event_id    TEXT NOT NULL UNIQUE,
    branch_id   TEXT NOT NULL DEFAULT '',
    region_path TEXT NOT NULL DEFAULT '',
    occurred_at BIGINT NOT NULL,
    payload     BYTEA NOT NULL
);
CREATE INDEX outbox_unsequenced ON outbox (id) WHERE position IS NULL;

-- A consumer's last applied position per upstream stream, written in the same
-- transaction as the event's effect.
CREATE TABLE consumer_positions (
    consumer   TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
