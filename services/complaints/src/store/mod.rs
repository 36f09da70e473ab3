//! SQL, and nothing else: portable statements over [`sqlx::Any`] for PostgreSQL and SQLite.
//! Instants are stored as microseconds, booleans as 0/1, enums by name.

pub mod branches;
pub mod compensations;
pub mod figures;
pub mod policies;
pub mod recovery_figures;
pub mod timeline;
pub mod work_orders;

pub(crate) use service_kit::sql::{opt_micros, opt_ts, parsed, ts};
