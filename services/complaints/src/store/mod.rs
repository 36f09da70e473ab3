//! SQL, and nothing else: portable statements over [`sqlx::Any`] for PostgreSQL and SQLite.
//! Instants are stored as microseconds, booleans as 0/1, enums by name.

pub mod branches;
pub mod compensations;
pub mod figures;
pub mod policies;
pub mod timeline;
pub mod work_orders;

use jiff::Timestamp;
use service_kit::clock::{from_micros, to_micros};
use sqlx::{Row, any::AnyRow};

pub(crate) fn opt_micros(ts: Option<Timestamp>) -> Option<i64> {
    ts.map(to_micros)
}

pub(crate) fn ts(row: &AnyRow, col: &str) -> sqlx::Result<Timestamp> {
    Ok(from_micros(row.try_get(col)?))
}

pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> sqlx::Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_micros))
}

/// A stored enum name read back.
pub(crate) fn parsed<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> sqlx::Result<T> {
    let text: String = row.try_get(col)?;
    parse(&text).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: col.to_owned(),
        source: format!("unexpected stored value {text:?}").into(),
    })
}
