-- Complimentary exam items (service recovery): one row per grant. The primary key makes a
-- grant exactly-once per client request id; the second constraint gives an appointment
-- each item at most once, whoever asks. Both are what concurrent retries run into.

CREATE TABLE complimentary_items (
    request_id      TEXT PRIMARY KEY,
    appointment_id  TEXT NOT NULL REFERENCES appointments (id),
    exam_item_id    TEXT NOT NULL REFERENCES exam_items (id),
    exam_item_name  TEXT NOT NULL,
    authorised_by   TEXT NOT NULL,
    cost_bearer     TEXT NOT NULL,
    reference       TEXT NOT NULL,
    added_at        BIGINT NOT NULL,
    CONSTRAINT complimentary_items_one_per_item UNIQUE (appointment_id, exam_item_id)
);

-- 1 for an entry that came from a complimentary item rather than the package.
ALTER TABLE queue_entries ADD COLUMN complimentary BIGINT NOT NULL DEFAULT 0;
