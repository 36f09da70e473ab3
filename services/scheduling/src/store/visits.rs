//! Queue entries of visits.

use std::collections::HashMap;

use jiff::Timestamp;
use service_kit::{Result, db::flag};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{corrupt, micros, opt_micros, opt_ts};
use crate::domain::visit::{EntryStatus, QueueEntry};

const COLUMNS: &str = "id, appointment_id, branch_id, exam_item_id, exam_item_name, department, \
    fasting_required, order_hint, status, route_position, waiting_since, called_at, started_at, \
    completed_at, breached_at, complimentary";

fn from_row(row: &AnyRow) -> sqlx::Result<QueueEntry> {
    let status: String = row.try_get("status")?;
    Ok(QueueEntry {
        id: row.try_get("id")?,
        appointment_id: row.try_get("appointment_id")?,
        branch_id: row.try_get("branch_id")?,
        exam_item_id: row.try_get("exam_item_id")?,
        exam_item_name: row.try_get("exam_item_name")?,
        department: row.try_get("department")?,
        fasting_required: flag(row.try_get("fasting_required")?),
        order_hint: row.try_get::<i64, _>("order_hint")? as i32,
        status: EntryStatus::parse(&status).ok_or_else(|| corrupt("status", "entry status"))?,
        route_position: row.try_get::<i64, _>("route_position")? as u32,
        waiting_since: opt_ts(row, "waiting_since")?,
        called_at: opt_ts(row, "called_at")?,
        started_at: opt_ts(row, "started_at")?,
        completed_at: opt_ts(row, "completed_at")?,
        breached_at: opt_ts(row, "breached_at")?,
        complimentary: flag(row.try_get("complimentary")?),
    })
}

/// Inserts the entries of a new visit.
pub async fn insert(conn: &mut AnyConnection, entries: &[QueueEntry]) -> Result<()> {
    for e in entries {
        sqlx::query(
            "INSERT INTO queue_entries (id, appointment_id, branch_id, exam_item_id, \
             exam_item_name, department, fasting_required, order_hint, status, route_position, \
             waiting_since, complimentary) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&e.id)
        .bind(&e.appointment_id)
        .bind(&e.branch_id)
        .bind(&e.exam_item_id)
        .bind(&e.exam_item_name)
        .bind(&e.department)
        .bind(i64::from(e.fasting_required))
        .bind(i64::from(e.order_hint))
        .bind(e.status.as_str())
        .bind(i64::from(e.route_position))
        .bind(opt_micros(e.waiting_since))
        .bind(i64::from(e.complimentary))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The entries of one visit, by route position.
pub async fn of_appointment(
    conn: &mut AnyConnection,
    appointment_id: &str,
) -> Result<Vec<QueueEntry>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM queue_entries WHERE appointment_id = $1 ORDER BY route_position, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(appointment_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One entry.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<QueueEntry>> {
    let sql = format!("SELECT {COLUMNS} FROM queue_entries WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Customers waiting for or called to each exam item at a branch.
pub async fn queue_lengths(
    conn: &mut AnyConnection,
    branch_id: &str,
) -> Result<HashMap<String, u32>> {
    let rows = sqlx::query(
        "SELECT exam_item_id, COUNT(*) AS n FROM queue_entries \
         WHERE branch_id = $1 AND status IN ('WAITING', 'CALLED') GROUP BY exam_item_id",
    )
    .bind(branch_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("exam_item_id")?, r.try_get::<i64, _>("n")? as u32)))
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}

/// Writes an entry's state if it is still in `from`; false when a concurrent change got
/// there first.
pub async fn update(conn: &mut AnyConnection, e: &QueueEntry, from: EntryStatus) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE queue_entries SET status = $1, route_position = $2, waiting_since = $3, \
         called_at = $4, started_at = $5, completed_at = $6 WHERE id = $7 AND status = $8",
    )
    .bind(e.status.as_str())
    .bind(i64::from(e.route_position))
    .bind(opt_micros(e.waiting_since))
    .bind(opt_micros(e.called_at))
    .bind(opt_micros(e.started_at))
    .bind(opt_micros(e.completed_at))
    .bind(&e.id)
    .bind(from.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The entry waiting longest for an exam item at a branch.
pub async fn longest_waiting(
    conn: &mut AnyConnection,
    branch_id: &str,
    exam_item_id: &str,
) -> Result<Option<QueueEntry>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM queue_entries WHERE branch_id = $1 AND exam_item_id = $2 \
         AND status = 'WAITING' ORDER BY waiting_since, id LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(branch_id)
        .bind(exam_item_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// A waiting entry that has broken its branch's promise and has not been flagged yet.
#[derive(Debug, Clone)]
pub struct Overdue {
    /// Entry id.
    pub entry_id: String,
    /// The branch's promise.
    pub promise_minutes: u32,
}

/// Entries still waiting longer than their branch promises, oldest first. `now` is passed
/// in microseconds and compared with `waiting_since + promise` in SQL, so the partial index
/// on unflagged waiting entries keeps this cheap.
pub async fn overdue(conn: &mut AnyConnection, now: Timestamp, limit: i64) -> Result<Vec<Overdue>> {
    let rows = sqlx::query(
        "SELECT q.id, b.wait_promise_minutes FROM queue_entries q \
         JOIN branches b ON b.id = q.branch_id \
         WHERE q.status = 'WAITING' AND q.breached_at IS NULL \
         AND q.waiting_since + b.wait_promise_minutes * 60000000 < $1 \
         ORDER BY q.waiting_since LIMIT $2",
    )
    .bind(micros(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Overdue {
                entry_id: r.try_get("id")?,
                promise_minutes: r.try_get::<i64, _>("wait_promise_minutes")? as u32,
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}

/// Visits whose customer is waiting now, whose waits added up have passed the branch's
/// whole-visit promise, and whose breach is not flagged yet: at most `limit`, oldest
/// check-in first. The rules recheck each one before flagging it.
pub async fn visits_over_promise(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT a.id FROM (SELECT DISTINCT appointment_id FROM queue_entries \
                            WHERE status = 'WAITING') w \
         JOIN appointments a ON a.id = w.appointment_id \
         JOIN branches b ON b.id = a.branch_id \
         JOIN queue_entries q ON q.appointment_id = a.id \
         WHERE a.visit_breached_at IS NULL AND q.waiting_since IS NOT NULL \
         GROUP BY a.id, a.checked_in_at, b.visit_wait_promise_minutes \
         HAVING SUM(COALESCE(q.called_at, $1) - q.waiting_since) \
                > b.visit_wait_promise_minutes * 60000000 \
         ORDER BY a.checked_in_at LIMIT $2",
    )
    .bind(micros(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get("id"))
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}

/// Flags a visit's whole-wait breach once: true only for the caller that flagged it.
pub async fn flag_visit_breach(
    conn: &mut AnyConnection,
    appointment_id: &str,
    at: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE appointments SET visit_breached_at = $1 WHERE id = $2 AND visit_breached_at IS NULL",
    )
    .bind(micros(at))
    .bind(appointment_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Flags a breach once: true only for the caller that flagged it.
pub async fn flag_breach(conn: &mut AnyConnection, entry_id: &str, at: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE queue_entries SET breached_at = $1 WHERE id = $2 AND breached_at IS NULL",
    )
    .bind(micros(at))
    .bind(entry_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
