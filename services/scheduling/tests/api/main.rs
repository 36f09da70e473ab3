//! Behaviour tests of the scheduling service through a real gRPC client, on SQLite and
//! PostgreSQL.

mod helpers;
mod narrowing;
mod outage;

mod booking;
mod catalogue_and_capacity;
mod complimentary;
mod edges;
mod events;
mod recovery_due;
mod rescheduling;
mod schema;
mod scope;
mod serving;
mod validation;
mod visits;
