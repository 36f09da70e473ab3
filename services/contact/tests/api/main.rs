//! Behaviour tests of the contact service over gRPC, each on SQLite and on PostgreSQL,
//! with the real scheduling service beside it and one clock the test controls.

mod helpers;

mod customers;
mod edges;
mod follow_up;
mod queue;
mod queue_rules;
mod reminders;
mod schedule_changes;
mod schema;
mod sheet;
mod webhook;
