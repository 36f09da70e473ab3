//! SQL, and nothing else: portable statements over [`sqlx::Any`] for PostgreSQL and SQLite.
//! Instants are stored as microseconds, booleans as 0/1, local dates as `YYYY-MM-DD` text
//! (which sorts like the dates).

pub mod appointments;
pub mod branches;
pub mod catalogue;
pub mod complimentary;
pub mod recovery;
pub mod slots;
pub mod visits;

use jiff::{Timestamp, civil::Date};
use service_kit::clock::to_micros;

pub(crate) use service_kit::sql::{Where, corrupt, date as parse_date, opt_micros, opt_ts, ts};

pub(crate) fn micros(ts: Timestamp) -> i64 {
    to_micros(ts)
}

pub(crate) fn date_text(d: Date) -> String {
    d.to_string()
}
