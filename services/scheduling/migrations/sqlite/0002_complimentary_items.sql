-- See migrations/postgres/0002_complimentary_items.sql: the same schema in SQLite types.

CREATE TABLE complimentary_items (
    request_id      TEXT NOT NULL PRIMARY KEY,
    appointment_id  TEXT NOT NULL REFERENCES appointments (id),
    exam_item_id    TEXT NOT NULL REFERENCES exam_items (id),
    exam_item_name  TEXT NOT NULL,
    authorised_by   TEXT NOT NULL,
    cost_bearer     TEXT NOT NULL,
    reference       TEXT NOT NULL,
    added_at        INTEGER NOT NULL,
    CONSTRAINT complimentary_items_one_per_item UNIQUE (appointment_id, exam_item_id)
);

ALTER TABLE queue_entries ADD COLUMN complimentary INTEGER NOT NULL DEFAULT 0;
