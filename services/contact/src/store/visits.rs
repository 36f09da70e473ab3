//! Visits as scheduling's events describe them, and their reminders.

use jiff::Timestamp;
use service_kit::{Result, auth::OrgScope, clock::to_micros, sql::Where};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{ROWS_PER_STATEMENT, in_list, opt_micros, opt_ts, parsed, placeholders, ts};
use crate::domain::{
    reminder::{Reminder, Visit},
    vocab::{Channel, ReminderKind, ReminderStatus, VisitStatus},
};

const VISIT_COLUMNS: &str = "appointment_id, customer_id, unlinked_reason, customer_name, \
    phone_masked, branch_id, region_path, branch_name, branch_address, brand, time_zone, \
    package_name, fasting, starts_at, ends_at, status";

fn visit_row(r: &AnyRow) -> sqlx::Result<Visit> {
    Ok(Visit {
        appointment_id: r.try_get("appointment_id")?,
        customer_id: r.try_get("customer_id")?,
        unlinked_reason: r.try_get("unlinked_reason")?,
        customer_name: r.try_get("customer_name")?,
        phone_masked: r.try_get("phone_masked")?,
        branch_id: r.try_get("branch_id")?,
        region_path: r.try_get("region_path")?,
        branch_name: r.try_get("branch_name")?,
        branch_address: r.try_get("branch_address")?,
        brand: r.try_get("brand")?,
        time_zone: r.try_get("time_zone")?,
        package_name: r.try_get("package_name")?,
        fasting: r.try_get::<i64, _>("fasting")? != 0,
        starts_at: ts(r, "starts_at")?,
        ends_at: ts(r, "ends_at")?,
        status: parsed(r, "status", VisitStatus::parse)?,
    })
}

/// Records booked visits, a hundred to a statement; one recorded before is left as it is.
pub async fn insert_many(conn: &mut AnyConnection, visits: &[Visit], at: Timestamp) -> Result<()> {
    for chunk in visits.chunks(ROWS_PER_STATEMENT) {
        // Built from placeholders only; every value is bound.
        let sql = format!(
            "INSERT INTO visits (appointment_id, customer_id, unlinked_reason, customer_name, \
             phone_masked, branch_id, region_path, branch_name, branch_address, brand, \
             time_zone, package_name, fasting, starts_at, ends_at, status, updated_at) \
             VALUES {} ON CONFLICT DO NOTHING",
            placeholders(chunk.len(), 17)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q
                .bind(&v.appointment_id)
                .bind(&v.customer_id)
                .bind(&v.unlinked_reason)
                .bind(&v.customer_name)
                .bind(&v.phone_masked)
                .bind(&v.branch_id)
                .bind(&v.region_path)
                .bind(&v.branch_name)
                .bind(&v.branch_address)
                .bind(&v.brand)
                .bind(&v.time_zone)
                .bind(&v.package_name)
                .bind(i64::from(v.fasting))
                .bind(to_micros(v.starts_at))
                .bind(to_micros(v.ends_at))
                .bind(v.status.as_str())
                .bind(to_micros(at));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The visit.
pub async fn get(conn: &mut AnyConnection, appointment_id: &str) -> Result<Option<Visit>> {
    let sql = format!("SELECT {VISIT_COLUMNS} FROM visits WHERE appointment_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(appointment_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(visit_row).transpose()?)
}

/// The visits of `ids` that exist, by appointment id.
pub async fn get_many(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, Visit>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM visits WHERE appointment_id IN ({})",
            in_list(chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let v = visit_row(&r)?;
            out.insert(v.appointment_id.clone(), v);
        }
    }
    Ok(out)
}

/// Moves the visit to a new arrival window.
pub async fn move_to(
    conn: &mut AnyConnection,
    appointment_id: &str,
    starts_at: Timestamp,
    ends_at: Timestamp,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE visits SET starts_at = $1, ends_at = $2, updated_at = $3 WHERE appointment_id = $4",
    )
    .bind(to_micros(starts_at))
    .bind(to_micros(ends_at))
    .bind(to_micros(at))
    .bind(appointment_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets where the visit stands; `false` when it already stood there (an event seen again).
pub async fn set_status(
    conn: &mut AnyConnection,
    appointment_id: &str,
    status: VisitStatus,
    at: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE visits SET status = $1, updated_at = $2 WHERE appointment_id = $3 \
         AND status <> $1",
    )
    .bind(status.as_str())
    .bind(to_micros(at))
    .bind(appointment_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The branch's visits starting in `[from, to)`, by start.
pub async fn day(
    conn: &mut AnyConnection,
    branch_id: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Visit>> {
    let sql = format!(
        "SELECT {VISIT_COLUMNS} FROM visits WHERE branch_id = $1 AND starts_at >= $2 \
         AND starts_at < $3 AND status <> 'CANCELLED' ORDER BY starts_at, appointment_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(branch_id)
        .bind(to_micros(from))
        .bind(to_micros(to))
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(visit_row).collect::<sqlx::Result<_>>()?)
}

/// Completed visits of the customer before `before`.
pub async fn completed_before(
    conn: &mut AnyConnection,
    customer_id: &str,
    before: Timestamp,
) -> Result<i64> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n FROM visits WHERE customer_id = $1 AND status = 'COMPLETED' \
         AND starts_at < $2",
    )
    .bind(customer_id)
    .bind(to_micros(before))
    .fetch_one(conn)
    .await?;
    Ok(r.try_get("n")?)
}

/// Bookings tied to no customer, in scope (and branch), after `after_id`, with the total.
pub async fn unlinked(
    conn: &mut AnyConnection,
    scope: &OrgScope,
    branch_id: &str,
    after_id: &str,
    limit: i64,
) -> Result<(Vec<Visit>, u64)> {
    let mut w = Where::default();
    w.in_scope("branch_id", "region_path", scope)
        .eq("branch_id", branch_id)
        .raw("unlinked_reason <> ''");
    let total: i64 = w
        .query("SELECT COUNT(*) AS n FROM visits", "")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    w.after("appointment_id", after_id);
    let rows = w
        .query(
            &format!("SELECT {VISIT_COLUMNS} FROM visits"),
            "ORDER BY appointment_id LIMIT {limit}",
        )
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok((
        rows.iter().map(visit_row).collect::<sqlx::Result<_>>()?,
        total.max(0) as u64,
    ))
}

const REMINDER_COLUMNS: &str = "id, appointment_id, kind, status, due_at, sent_at, channel, reason";

fn reminder_row(r: &AnyRow) -> sqlx::Result<Reminder> {
    Ok(Reminder {
        id: r.try_get("id")?,
        appointment_id: r.try_get("appointment_id")?,
        kind: parsed(r, "kind", ReminderKind::parse)?,
        status: parsed(r, "status", ReminderStatus::parse)?,
        due_at: ts(r, "due_at")?,
        sent_at: opt_ts(r, "sent_at")?,
        channel: Channel::parse(&r.try_get::<String, _>("channel")?),
        reason: r.try_get("reason")?,
    })
}

/// Records reminders (each with its visit), a hundred to a statement; a kind a visit
/// already has is left as it is (never a fourth, never a second of a kind).
pub async fn insert_reminders(
    conn: &mut AnyConnection,
    reminders: &[(&Visit, Reminder)],
    at: Timestamp,
) -> Result<()> {
    for chunk in reminders.chunks(ROWS_PER_STATEMENT) {
        // Built from placeholders only; every value is bound.
        let sql = format!(
            "INSERT INTO reminders (id, appointment_id, customer_id, branch_id, kind, status, \
             due_at, sent_at, channel, reason, updated_at) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(chunk.len(), 11)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (visit, r) in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.appointment_id)
                .bind(&visit.customer_id)
                .bind(&visit.branch_id)
                .bind(r.kind.as_str())
                .bind(r.status.as_str())
                .bind(to_micros(r.due_at))
                .bind(opt_micros(r.sent_at))
                .bind(r.channel.map(Channel::as_str).unwrap_or_default())
                .bind(&r.reason)
                .bind(to_micros(at));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A visit's reminders, in kind order.
pub async fn reminders(conn: &mut AnyConnection, appointment_id: &str) -> Result<Vec<Reminder>> {
    let sql = format!("SELECT {REMINDER_COLUMNS} FROM reminders WHERE appointment_id = $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(appointment_id)
        .fetch_all(conn)
        .await?;
    let mut out: Vec<Reminder> = rows.iter().map(reminder_row).collect::<sqlx::Result<_>>()?;
    out.sort_by_key(|r| r.kind);
    Ok(out)
}

/// The reminder.
pub async fn reminder(conn: &mut AnyConnection, id: &str) -> Result<Option<Reminder>> {
    let sql = format!("SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(reminder_row).transpose()?)
}

/// Re-plans a reminder that has not gone out (planned or skipped): a new instant, or
/// skipped. One that went out stays as it is.
pub async fn replan(
    conn: &mut AnyConnection,
    id: &str,
    status: ReminderStatus,
    due_at: Timestamp,
    reason: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE reminders SET status = $1, due_at = $2, reason = $3, updated_at = $4 \
         WHERE id = $5 AND status IN ('PLANNED', 'SKIPPED')",
    )
    .bind(status.as_str())
    .bind(to_micros(due_at))
    .bind(reason)
    .bind(to_micros(at))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws every reminder of the visit still waiting for its instant.
pub async fn withdraw_planned(
    conn: &mut AnyConnection,
    appointment_id: &str,
    reason: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE reminders SET status = 'WITHDRAWN', reason = $1, updated_at = $2 \
         WHERE appointment_id = $3 AND status = 'PLANNED'",
    )
    .bind(reason)
    .bind(to_micros(at))
    .bind(appointment_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reminders due at `now`, earliest first.
pub async fn due(conn: &mut AnyConnection, now: Timestamp, limit: i64) -> Result<Vec<Reminder>> {
    let sql = format!(
        "SELECT {REMINDER_COLUMNS} FROM reminders WHERE status = 'PLANNED' AND due_at <= $1 \
         ORDER BY due_at, id LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to_micros(now))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(reminder_row).collect::<sqlx::Result<_>>()?)
}

/// Moves the reminder from `from` to `to` (with the channel, reason, and when it went out);
/// `false` when it was no longer at `from` (another sweeper or a receipt got there first).
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    conn: &mut AnyConnection,
    id: &str,
    from: ReminderStatus,
    to: ReminderStatus,
    channel: Option<Channel>,
    reason: &str,
    sent_at: Option<Timestamp>,
    at: Timestamp,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE reminders SET status = $1, channel = COALESCE($2, channel), reason = $3, \
         sent_at = COALESCE($4, sent_at), updated_at = $5 WHERE id = $6 AND status = $7",
    )
    .bind(to.as_str())
    .bind(channel.map(Channel::as_str))
    .bind(reason)
    .bind(opt_micros(sent_at))
    .bind(to_micros(at))
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
