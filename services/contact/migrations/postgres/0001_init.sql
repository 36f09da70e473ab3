-- Contact owns the customer: identity, contact points, consent, needs; the visits it
-- reminds (a copy from scheduling's events), the three reminders of each, the messages that
-- carry them and every contact made. Instants are microseconds since the epoch (UTC).

CREATE TABLE customers (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    -- The mobile, 11 digits: the same number is the same customer.
    phone               TEXT NOT NULL UNIQUE,
    gender              TEXT NOT NULL,
    birth_date          TEXT NOT NULL,
    home_branch_id      TEXT NOT NULL,
    home_region_path    TEXT NOT NULL,
    -- HMAC-SHA256 (hex) of the ID number under the service's key; never the number.
    national_id_hash    TEXT NOT NULL,
    national_id_last4   TEXT NOT NULL,
    -- "WECHAT,SMS": preferred first.
    channel_order       TEXT NOT NULL,
    -- Local minutes of the day.
    quiet_start         BIGINT NOT NULL,
    quiet_end           BIGINT NOT NULL,
    do_not_contact      BIGINT NOT NULL,
    -- "FASTING_DISCOMFORT,CHILDREN_ALONG"
    needs               TEXT NOT NULL,
    notes               TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    version             BIGINT NOT NULL
);
CREATE INDEX customers_national_id ON customers (national_id_hash) WHERE national_id_hash <> '';

CREATE TABLE contact_points (
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    channel      TEXT NOT NULL,
    address      TEXT NOT NULL,
    PRIMARY KEY (customer_id, channel)
);

-- Consent as it stands, per purpose; every change is also in consent_changes.
CREATE TABLE consents (
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    purpose      TEXT NOT NULL,
    granted      BIGINT NOT NULL,
    method       TEXT NOT NULL,
    source       TEXT NOT NULL,
    changed_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, purpose)
);

CREATE TABLE consent_changes (
    id           TEXT PRIMARY KEY,
    -- The request that recorded it, for retries.
    request_id   TEXT UNIQUE,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    purpose      TEXT NOT NULL,
    granted      BIGINT NOT NULL,
    method       TEXT NOT NULL,
    source       TEXT NOT NULL,
    changed_at   BIGINT NOT NULL
);
CREATE INDEX consent_changes_customer ON consent_changes (customer_id, changed_at);

-- Visits as scheduling's events describe them.
CREATE TABLE visits (
    appointment_id  TEXT PRIMARY KEY,
    -- '' when the booking named no customer (an unlinked booking).
    customer_id     TEXT NOT NULL,
    -- Why it is unlinked ('' when it is not).
    unlinked_reason TEXT NOT NULL,
    -- The booking's display copy: name and masked phone, never the number.
    customer_name   TEXT NOT NULL,
    phone_masked    TEXT NOT NULL,
    branch_id       TEXT NOT NULL,
    region_path     TEXT NOT NULL,
    branch_name     TEXT NOT NULL,
    branch_address  TEXT NOT NULL,
    brand           TEXT NOT NULL,
    time_zone       TEXT NOT NULL,
    package_name    TEXT NOT NULL,
    fasting         BIGINT NOT NULL,
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    status          TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX visits_day ON visits (branch_id, starts_at);
CREATE INDEX visits_customer ON visits (customer_id, starts_at);

-- At most three per visit, by construction: one row per (visit, kind), never a fourth.
CREATE TABLE reminders (
    id              TEXT PRIMARY KEY,
    appointment_id  TEXT NOT NULL REFERENCES visits (appointment_id),
    customer_id     TEXT NOT NULL,
    branch_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    due_at          BIGINT NOT NULL,
    sent_at         BIGINT,
    channel         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (appointment_id, kind)
);
CREATE INDEX reminders_due ON reminders (status, due_at);

-- One per channel a reminder was handed to; retries of the hand-over stay on the row.
CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    reminder_id      TEXT NOT NULL REFERENCES reminders (id),
    customer_id      TEXT NOT NULL,
    branch_id        TEXT NOT NULL,
    region_path      TEXT NOT NULL,
    channel          TEXT NOT NULL,
    to_address       TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT,
    detail           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (reminder_id, channel)
);
CREATE INDEX messages_queued ON messages (status, next_attempt_at);
CREATE INDEX messages_customer ON messages (customer_id, created_at);

-- Every contact made: each hand-over attempt, receipt and failure.
CREATE TABLE contact_records (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    at           BIGINT NOT NULL,
    channel      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    what         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    message_id   TEXT NOT NULL
);
CREATE INDEX contact_records_customer ON contact_records (customer_id, id);

-- '' is the group's policy; otherwise a brand's. Local minutes of the day.
CREATE TABLE reminder_policies (
    brand              TEXT PRIMARY KEY,
    three_days_before  BIGINT NOT NULL,
    one_day_before     BIGINT NOT NULL,
    same_day           BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
