//! SQL, and nothing else: portable statements over [`sqlx::Any`] for PostgreSQL and SQLite.
//! Instants are stored as microseconds, booleans as 0/1, enums by name, local times of day
//! as minutes.

pub mod agents;
pub mod customers;
pub mod messages;
pub mod outreach;
pub mod tasks;
pub mod visits;

use jiff::civil::Time;
pub(crate) use service_kit::sql::{opt_micros, opt_ts, parsed, ts};

/// A local time of day as stored: minutes since midnight.
pub(crate) fn minutes(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

/// The inverse of [`minutes`]; out-of-range values clamp.
pub(crate) fn time(m: i64) -> Time {
    Time::new(
        (m / 60).clamp(0, 23) as i8,
        (m % 60).clamp(0, 59) as i8,
        0,
        0,
    )
    .unwrap_or(Time::MIN)
}

/// Placeholders `($1, …, $c), ($c+1, …)` for `rows` rows of `columns` values each, for a
/// multi-row INSERT whose values are all bound.
pub(crate) fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$1, …, $n`, for an `IN (…)` list whose values are all bound.
pub(crate) fn in_list(n: usize) -> String {
    in_list_after(0, n)
}

/// `$k+1, …, $k+n`: an `IN (…)` list bound after the statement's first `k` values.
pub(crate) fn in_list_after(k: usize, n: usize) -> String {
    (k + 1..=k + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per multi-row INSERT and ids per `IN` list: well under both backends' limits on
/// bound values.
pub(crate) const ROWS_PER_STATEMENT: usize = 100;
