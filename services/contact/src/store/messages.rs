//! Messages handed to channels, the contact history, and the reminder policies.

use jiff::Timestamp;
use service_kit::{Result, auth::OrgScope, clock::to_micros, sql::Where};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{ROWS_PER_STATEMENT, minutes, opt_micros, opt_ts, parsed, placeholders, time, ts};
use crate::domain::{
    plan::Policy,
    reminder::Message,
    vocab::{Channel, MessageStatus, Purpose},
};

const COLUMNS: &str = "id, reminder_id, customer_id, branch_id, region_path, channel, to_address, body, \
    status, attempts, next_attempt_at, detail, created_at, updated_at";

fn from_row(r: &AnyRow) -> sqlx::Result<Message> {
    Ok(Message {
        id: r.try_get("id")?,
        reminder_id: r.try_get("reminder_id")?,
        customer_id: r.try_get("customer_id")?,
        branch_id: r.try_get("branch_id")?,
        region_path: r.try_get("region_path")?,
        channel: parsed(r, "channel", Channel::parse)?,
        to: r.try_get("to_address")?,
        body: r.try_get("body")?,
        status: parsed(r, "status", MessageStatus::parse)?,
        attempts: r
            .try_get::<i64, _>("attempts")?
            .clamp(0, i64::from(u32::MAX)) as u32,
        next_attempt_at: opt_ts(r, "next_attempt_at")?,
        detail: r.try_get("detail")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
    })
}

/// Queues messages, a hundred to a statement; a channel a reminder already had is left
/// as it was.
pub async fn insert_many(conn: &mut AnyConnection, messages: &[Message]) -> Result<()> {
    for chunk in messages.chunks(ROWS_PER_STATEMENT) {
        // Built from placeholders only; every value is bound.
        let sql = format!(
            "INSERT INTO messages (id, reminder_id, customer_id, branch_id, region_path, \
             channel, to_address, body, status, attempts, next_attempt_at, detail, created_at, \
             updated_at) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(chunk.len(), 14)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for m in chunk {
            q = q
                .bind(&m.id)
                .bind(&m.reminder_id)
                .bind(&m.customer_id)
                .bind(&m.branch_id)
                .bind(&m.region_path)
                .bind(m.channel.as_str())
                .bind(&m.to)
                .bind(&m.body)
                .bind(m.status.as_str())
                .bind(i64::from(m.attempts))
                .bind(opt_micros(m.next_attempt_at))
                .bind(&m.detail)
                .bind(to_micros(m.created_at))
                .bind(to_micros(m.updated_at));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The message.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Queued messages whose next attempt is due, oldest first.
pub async fn due(conn: &mut AnyConnection, now: Timestamp, limit: i64) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE status = 'QUEUED' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to_micros(now))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<sqlx::Result<_>>()?)
}

/// Takes the next attempt of a queued message for `lease` (another sweeper skips it until
/// then; a crash mid-attempt retries it after, under the same idempotency key); `false`
/// when someone else took it.
pub async fn take_attempt(
    conn: &mut AnyConnection,
    m: &Message,
    now: Timestamp,
    lease_until: Timestamp,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE messages SET attempts = attempts + 1, next_attempt_at = $1, updated_at = $2 \
         WHERE id = $3 AND status = 'QUEUED' AND attempts = $4 AND next_attempt_at <= $5",
    )
    .bind(to_micros(lease_until))
    .bind(to_micros(now))
    .bind(&m.id)
    .bind(i64::from(m.attempts))
    .bind(to_micros(now))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Moves the message from `from` to `to`, when it is still at `from` (and, for an
/// attempt's outcome, at `attempts`); `false` otherwise.
// One conditional UPDATE: its guard (`from`, `attempts`) and its values are its arguments.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    conn: &mut AnyConnection,
    id: &str,
    from: MessageStatus,
    attempts: Option<u32>,
    to: MessageStatus,
    next_attempt_at: Option<Timestamp>,
    detail: &str,
    now: Timestamp,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE messages SET status = $1, next_attempt_at = $2, detail = $3, updated_at = $4 \
         WHERE id = $5 AND status = $6 AND ($7 < 0 OR attempts = $7)",
    )
    .bind(to.as_str())
    .bind(opt_micros(next_attempt_at))
    .bind(detail)
    .bind(to_micros(now))
    .bind(id)
    .bind(from.as_str())
    .bind(attempts.map(i64::from).unwrap_or(-1))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Messages in `scope` (newest first), optionally of one customer, before `before_id`.
pub async fn list(
    conn: &mut AnyConnection,
    scope: &OrgScope,
    customer_id: &str,
    before_id: &str,
    limit: i64,
) -> Result<Vec<Message>> {
    let mut w = Where::default();
    w.in_scope("branch_id", "region_path", scope)
        .eq("customer_id", customer_id)
        .before("id", before_id);
    let rows = w
        .query(
            &format!("SELECT {COLUMNS} FROM messages"),
            "ORDER BY id DESC LIMIT {limit}",
        )
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<sqlx::Result<_>>()?)
}

/// One contact made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `cr_…`, time-ordered.
    pub id: String,
    /// With whom.
    pub customer_id: String,
    /// When.
    pub at: Timestamp,
    /// How.
    pub channel: Channel,
    /// For what.
    pub purpose: Purpose,
    /// What.
    pub what: String,
    /// How it went.
    pub outcome: String,
    /// The message ('' for a call).
    pub message_id: String,
    /// Who made it: an agent, or `contact` for the service's own messages.
    pub actor: String,
}

/// Appends to the customer's contact history.
pub async fn record(conn: &mut AnyConnection, r: &Record) -> Result<()> {
    sqlx::query(
        "INSERT INTO contact_records (id, customer_id, at, channel, purpose, what, outcome, \
         message_id, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&r.id)
    .bind(&r.customer_id)
    .bind(to_micros(r.at))
    .bind(r.channel.as_str())
    .bind(r.purpose.as_str())
    .bind(&r.what)
    .bind(&r.outcome)
    .bind(&r.message_id)
    .bind(&r.actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// The customer's history, oldest first, after `after_id`.
pub async fn history(
    conn: &mut AnyConnection,
    customer_id: &str,
    after_id: &str,
    limit: i64,
) -> Result<Vec<Record>> {
    let mut w = Where::default();
    w.eq("customer_id", customer_id).after("id", after_id);
    let rows = w
        .query(
            "SELECT id, customer_id, at, channel, purpose, what, outcome, message_id, actor \
             FROM contact_records",
            "ORDER BY id LIMIT {limit}",
        )
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Record {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                at: ts(r, "at")?,
                channel: parsed(r, "channel", Channel::parse)?,
                purpose: parsed(r, "purpose", Purpose::parse)?,
                what: r.try_get("what")?,
                outcome: r.try_get("outcome")?,
                message_id: r.try_get("message_id")?,
                actor: r.try_get("actor")?,
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}

/// The brand's policy ('' for the group's), with when it was set.
pub async fn policy(conn: &mut AnyConnection, brand: &str) -> Result<Option<(Policy, Timestamp)>> {
    let row = sqlx::query(
        "SELECT three_days_before, one_day_before, same_day, updated_at FROM reminder_policies \
         WHERE brand = $1",
    )
    .bind(brand)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok((
            Policy {
                three_days_before: time(r.try_get("three_days_before")?),
                one_day_before: time(r.try_get("one_day_before")?),
                same_day: time(r.try_get("same_day")?),
            },
            ts(&r, "updated_at")?,
        ))
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

/// Sets the brand's policy ('' for the group's).
pub async fn set_policy(
    conn: &mut AnyConnection,
    brand: &str,
    p: &Policy,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reminder_policies (brand, three_days_before, one_day_before, same_day, \
         updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (brand) DO UPDATE SET \
         three_days_before = excluded.three_days_before, one_day_before = \
         excluded.one_day_before, same_day = excluded.same_day, updated_at = excluded.updated_at",
    )
    .bind(brand)
    .bind(minutes(p.three_days_before))
    .bind(minutes(p.one_day_before))
    .bind(minutes(p.same_day))
    .bind(to_micros(at))
    .execute(conn)
    .await?;
    Ok(())
}
