//! Behaviour tests of the complaints service over gRPC, each on SQLite and on PostgreSQL,
//! with the real scheduling service beside it.

mod helpers;
mod narrowing;

mod automatic;
mod edges;
mod figures;
mod intake;
mod lifecycle;
mod recovery;
mod schema;
mod sla;
