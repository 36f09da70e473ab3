//! SQL, and nothing else: portable statements over [`sqlx::Any`] for PostgreSQL and SQLite.
//! Instants are stored as microseconds, booleans as 0/1, local dates as `YYYY-MM-DD` text
//! (which sorts like the dates).

pub mod appointments;
pub mod branches;
pub mod catalogue;
pub mod complimentary;
pub mod slots;
pub mod visits;

use jiff::{Timestamp, civil::Date};
use service_kit::clock::{from_micros, to_micros};
use sqlx::{Row, any::AnyRow};

pub(crate) use service_kit::sql::Where;

pub(crate) fn micros(ts: Timestamp) -> i64 {
    to_micros(ts)
}

pub(crate) fn opt_micros(ts: Option<Timestamp>) -> Option<i64> {
    ts.map(to_micros)
}

pub(crate) fn ts(row: &AnyRow, col: &str) -> sqlx::Result<Timestamp> {
    Ok(from_micros(row.try_get(col)?))
}

pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> sqlx::Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_micros))
}

pub(crate) fn date_text(d: Date) -> String {
    d.to_string()
}

pub(crate) fn parse_date(row: &AnyRow, col: &str) -> sqlx::Result<Date> {
    let text: String = row.try_get(col)?;
    text.parse()
        .map_err(|e: jiff::Error| sqlx::Error::ColumnDecode {
            index: col.to_owned(),
            source: e.into(),
        })
}

pub(crate) fn corrupt(col: &str, what: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_owned(),
        source: format!("unexpected stored value for {what}").into(),
    }
}
