-- A downstream consumer's own table, for the resume test.
CREATE TABLE seen_bookings (
    appointment_id TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
