//! Appointments and their audit trail.

use jiff::civil::Date;
use service_kit::{Result, auth::OrgScope, events::NewEvent};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Where, corrupt, date_text, micros, opt_ts, slots::slot_from_row, ts};
use crate::domain::{
    appointment::{Appointment, CancelReason, Change, Status},
    customer::{Customer, Phone},
};

// Slot columns come first, under their own names, so `slot_from_row` reads them.
const SELECT: &str = "SELECT s.id, s.branch_id, s.local_date, s.start_minute, s.end_minute, \
    s.starts_at, s.ends_at, s.capacity, s.booked, \
    a.id AS apt_id, a.request_id, a.region_path, a.package_id, a.customer_id, a.customer_name, \
    a.customer_phone, a.status, a.cancel_reason, a.cancel_note, a.checked_in_at, a.version, \
    a.created_at AS apt_created_at, a.updated_at AS apt_updated_at \
    FROM appointments a JOIN slots s ON s.id = a.slot_id";

fn from_row(row: &AnyRow) -> sqlx::Result<Appointment> {
    let slot = slot_from_row(row)?;
    let status: String = row.try_get("status")?;
    let reason: String = row.try_get("cancel_reason")?;
    let phone: String = row.try_get("customer_phone")?;
    Ok(Appointment {
        id: row.try_get("apt_id")?,
        request_id: row.try_get("request_id")?,
        branch_id: slot.branch_id.clone(),
        region_path: row.try_get("region_path")?,
        slot,
        package_id: row.try_get("package_id")?,
        customer: Customer {
            customer_id: row.try_get("customer_id")?,
            name: row.try_get("customer_name")?,
            phone: Phone::parse(&phone).ok_or_else(|| corrupt("customer_phone", "phone"))?,
        },
        status: Status::parse(&status).ok_or_else(|| corrupt("status", "status"))?,
        cancel_reason: if reason.is_empty() {
            None
        } else {
            Some(CancelReason::parse(&reason).ok_or_else(|| corrupt("cancel_reason", "reason"))?)
        },
        cancel_note: row.try_get("cancel_note")?,
        checked_in_at: opt_ts(row, "checked_in_at")?,
        version: row.try_get("version")?,
        created_at: ts(row, "apt_created_at")?,
        updated_at: ts(row, "apt_updated_at")?,
    })
}

/// Everything a booking writes, and the branch version it was checked against.
#[derive(Debug)]
pub struct Booking<'a> {
    /// The new appointment, holding a place in its slot.
    pub appointment: &'a Appointment,
    /// Its first audit line.
    pub change: &'a Change,
    /// Its `AppointmentBooked` event.
    pub event: &'a NewEvent,
    /// The version of the branch the booking rules were checked against (possibly a cached
    /// copy): nothing is written unless the branch is still at it.
    pub branch_version: i64,
}

/// What a booking statement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Booked; the slot now holds this many.
    Booked(i64),
    /// Nothing written: the slot is full (or does not exist).
    Full,
    /// Nothing written: the branch changed since the copy the rules were checked against.
    BranchChanged,
}

fn outcome(row: &AnyRow, expected_version: i64) -> sqlx::Result<Outcome> {
    let booked: Option<i64> = row.try_get("booked")?;
    let version: Option<i64> = row.try_get("branch_version")?;
    Ok(match booked {
        Some(n) => Outcome::Booked(n),
        None if version != Some(expected_version) => Outcome::BranchChanged,
        None => Outcome::Full,
    })
}

// The parameters both forms bind, in this order.
fn bind_booking<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    b: &'q Booking<'_>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let a = b.appointment;
    q.bind(&a.slot.id)
        .bind(&a.id)
        .bind(&a.request_id)
        .bind(&a.branch_id)
        .bind(&a.region_path)
        .bind(date_text(a.slot.date))
        .bind(&a.package_id)
        .bind(&a.customer.customer_id)
        .bind(&a.customer.name)
        .bind(a.customer.phone.digits())
        .bind(a.status.as_str())
        .bind(a.version)
        .bind(micros(a.created_at))
        .bind(micros(a.updated_at))
        .bind(micros(b.change.at))
        .bind(&b.change.actor)
        .bind(&b.change.action)
        .bind(&b.change.detail)
        .bind(&b.event.event_id)
        .bind(b.event.occurred_at)
        .bind(&b.event.payload)
        .bind(b.branch_version)
}

/// Books on PostgreSQL in one statement, one round trip: data-modifying CTEs run as one
/// atomic unit, so the place, the appointment, the audit line and the outbox event are
/// written together or not at all. Nothing is written when the slot is full or the branch
/// is no longer at `branch_version`. The outbox columns are the kit's
/// (`service_kit::events::append`).
pub async fn book_postgres(conn: &mut AnyConnection, b: &Booking<'_>) -> Result<Outcome> {
    let q = sqlx::query(
        "WITH b AS (SELECT version FROM branches WHERE id = $4), \
         s AS (UPDATE slots SET booked = booked + 1 \
               WHERE id = $1 AND booked < capacity AND (SELECT version FROM b) = $22 \
               RETURNING id, booked), \
         a AS (INSERT INTO appointments (id, request_id, branch_id, region_path, slot_id, local_date, \
               package_id, customer_id, customer_name, customer_phone, status, version, created_at, \
               updated_at) \
               SELECT $2, $3, $4, $5, s.id, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM s RETURNING id), \
         h AS (INSERT INTO appointment_history (appointment_id, at, actor, action, detail) \
               SELECT id, $15, $16, $17, $18 FROM a), \
         o AS (INSERT INTO outbox (event_id, branch_id, region_path, occurred_at, payload) \
               SELECT $19, $4, $5, $20, $21 FROM a) \
         SELECT (SELECT booked FROM s) AS booked, (SELECT version FROM b) AS branch_version",
    );
    let row = bind_booking(q, b).fetch_one(conn).await?;
    Ok(outcome(&row, b.branch_version)?)
}

/// Books on SQLite, in the caller's write transaction, as one batch of statements: one trip
/// to SQLite's worker thread instead of one per statement. Each insert runs only if the
/// statement before it wrote its row (`changes()`), so a full slot or a changed branch
/// writes nothing.
pub async fn book_sqlite(conn: &mut AnyConnection, b: &Booking<'_>) -> Result<Outcome> {
    let q = sqlx::query(
        "UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity \
           AND (SELECT version FROM branches WHERE id = $4) = $22; \
         INSERT INTO appointments (id, request_id, branch_id, region_path, slot_id, local_date, \
           package_id, customer_id, customer_name, customer_phone, status, version, created_at, \
           updated_at) \
           SELECT $2, $3, $4, $5, $1, $6, $7, $8, $9, $10, $11, $12, $13, $14 WHERE changes() = 1; \
         INSERT INTO appointment_history (appointment_id, at, actor, action, detail) \
           SELECT $2, $15, $16, $17, $18 WHERE changes() = 1; \
         INSERT INTO outbox (event_id, branch_id, region_path, occurred_at, payload) \
           SELECT $19, $4, $5, $20, $21 WHERE changes() = 1; \
         SELECT CASE WHEN changes() = 1 THEN (SELECT booked FROM slots WHERE id = $1) END AS booked, \
           (SELECT version FROM branches WHERE id = $4) AS branch_version",
    );
    // Not `fetch_one`: sqlx's Any driver for SQLite looks only at the batch's first result
    // there, which is the update's row count, and reports no row.
    let rows = bind_booking(q, b).fetch_all(conn).await?;
    let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    Ok(outcome(row, b.branch_version)?)
}

/// One appointment.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Appointment>> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The appointment a booking with `request_id` made.
pub async fn get_by_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<Appointment>> {
    let sql = format!("{SELECT} WHERE a.request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Writes a status change if the appointment is still at `expected_version` and in
/// `expected_status`; false when a concurrent change got there first.
pub async fn update_status(
    conn: &mut AnyConnection,
    a: &Appointment,
    expected_version: i64,
    expected_status: Status,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE appointments SET status = $1, cancel_reason = $2, cancel_note = $3, \
         checked_in_at = $4, version = $5, updated_at = $6 \
         WHERE id = $7 AND version = $8 AND status = $9",
    )
    .bind(a.status.as_str())
    .bind(a.cancel_reason.map(CancelReason::as_str).unwrap_or(""))
    .bind(&a.cancel_note)
    .bind(a.checked_in_at.map(micros))
    .bind(a.version)
    .bind(micros(a.updated_at))
    .bind(&a.id)
    .bind(expected_version)
    .bind(expected_status.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a booked appointment to another slot if it is still at `expected_version` and in
/// `old_slot_id`; false when a concurrent change got there first.
pub async fn move_slot(
    conn: &mut AnyConnection,
    a: &Appointment,
    expected_version: i64,
    old_slot_id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE appointments SET slot_id = $1, branch_id = $2, region_path = $3, local_date = $4, \
         version = $5, updated_at = $6 \
         WHERE id = $7 AND version = $8 AND slot_id = $9 AND status = 'BOOKED'",
    )
    .bind(&a.slot.id)
    .bind(&a.branch_id)
    .bind(&a.region_path)
    .bind(date_text(a.slot.date))
    .bind(a.version)
    .bind(micros(a.updated_at))
    .bind(&a.id)
    .bind(expected_version)
    .bind(old_slot_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Filters for [`list`].
#[derive(Debug, Default)]
pub struct ListFilter {
    /// Branch ("" for any within scope).
    pub branch_id: String,
    /// Local date.
    pub date: Option<Date>,
    /// Status.
    pub status: Option<Status>,
    /// Full phone number.
    pub phone: String,
    /// Ids after this one.
    pub after_id: String,
    /// Page size.
    pub limit: i64,
}

/// Appointments within `scope`, by id.
pub async fn list(
    conn: &mut AnyConnection,
    scope: &OrgScope,
    f: &ListFilter,
) -> Result<Vec<Appointment>> {
    let date = f.date.map(date_text).unwrap_or_default();
    let mut w = Where::default();
    w.in_scope("a.branch_id", "a.region_path", scope)
        .eq("a.branch_id", &f.branch_id)
        .eq("a.local_date", &date)
        .eq("a.status", f.status.map(Status::as_str).unwrap_or(""))
        .eq("a.customer_phone", &f.phone)
        .after("a.id", &f.after_id);
    let query = w.query(SELECT, "ORDER BY a.id LIMIT {limit}");
    let rows = query.bind(f.limit).fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Appends to the audit trail.
pub async fn record(conn: &mut AnyConnection, appointment_id: &str, change: &Change) -> Result<()> {
    sqlx::query(
        "INSERT INTO appointment_history (appointment_id, at, actor, action, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(appointment_id)
    .bind(micros(change.at))
    .bind(&change.actor)
    .bind(&change.action)
    .bind(&change.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// The audit trail, oldest first.
pub async fn history(conn: &mut AnyConnection, appointment_id: &str) -> Result<Vec<Change>> {
    let rows = sqlx::query(
        "SELECT at, actor, action, detail FROM appointment_history \
         WHERE appointment_id = $1 ORDER BY id",
    )
    .bind(appointment_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Change {
                at: ts(r, "at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}
