-- The whole visit's wait is promised too: the waits for every exam item added up.
ALTER TABLE branches ADD COLUMN visit_wait_promise_minutes INTEGER NOT NULL DEFAULT 60;
-- Set once, by whoever finds the visit's total wait past the promise first.
ALTER TABLE appointments ADD COLUMN visit_breached_at INTEGER;
-- The sweeper looks for visits with a customer waiting now.
CREATE INDEX queue_entries_waiting ON queue_entries (appointment_id) WHERE status = 'WAITING';
