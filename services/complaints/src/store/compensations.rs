//! Service-recovery grants and each customer's yearly total.

use jiff::Timestamp;
use service_kit::{Result, clock::to_micros};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{opt_micros, opt_ts, parsed, ts};
use crate::domain::{
    recovery::Compensation,
    vocab::{CompensationKind, Delivery},
};

const COLUMNS: &str = "id, request_id, work_order_id, kind, currency, value_minor, exam_item_id, \
    appointment_id, customer_key, cap_year, authorised_by, cost_bearer, note, delivery, \
    delivery_detail, attempts, next_attempt_at, granted_at";

fn from_row(r: &AnyRow) -> sqlx::Result<Compensation> {
    Ok(Compensation {
        id: r.try_get("id")?,
        request_id: r.try_get("request_id")?,
        work_order_id: r.try_get("work_order_id")?,
        kind: parsed(r, "kind", CompensationKind::parse)?,
        currency: r.try_get("currency")?,
        value_minor: r.try_get("value_minor")?,
        exam_item_id: r.try_get("exam_item_id")?,
        appointment_id: r.try_get("appointment_id")?,
        customer_key: r.try_get("customer_key")?,
        cap_year: r.try_get("cap_year")?,
        authorised_by: r.try_get("authorised_by")?,
        cost_bearer: r.try_get("cost_bearer")?,
        note: r.try_get("note")?,
        delivery: parsed(r, "delivery", Delivery::parse)?,
        delivery_detail: r.try_get("delivery_detail")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: opt_ts(r, "next_attempt_at")?,
        granted_at: ts(r, "granted_at")?,
    })
}

/// Inserts a grant; `false` when its `request_id` is already taken.
pub async fn insert(conn: &mut AnyConnection, c: &Compensation) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO compensations (id, request_id, work_order_id, kind, currency, value_minor, \
         exam_item_id, appointment_id, customer_key, cap_year, authorised_by, cost_bearer, note, \
         delivery, delivery_detail, attempts, next_attempt_at, granted_at) VALUES ($1, $2, $3, \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&c.id)
    .bind(&c.request_id)
    .bind(&c.work_order_id)
    .bind(c.kind.as_str())
    .bind(&c.currency)
    .bind(c.value_minor)
    .bind(&c.exam_item_id)
    .bind(&c.appointment_id)
    .bind(&c.customer_key)
    .bind(c.cap_year)
    .bind(&c.authorised_by)
    .bind(&c.cost_bearer)
    .bind(&c.note)
    .bind(c.delivery.as_str())
    .bind(&c.delivery_detail)
    .bind(c.attempts)
    .bind(opt_micros(c.next_attempt_at))
    .bind(to_micros(c.granted_at))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// By the client's idempotency key.
pub async fn by_request_id(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<Compensation>> {
    let sql = format!("SELECT {COLUMNS} FROM compensations WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// By id.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Compensation>> {
    let sql = format!("SELECT {COLUMNS} FROM compensations WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// A work order's grants, oldest first.
pub async fn of_work_order(
    conn: &mut AnyConnection,
    work_order_id: &str,
) -> Result<Vec<Compensation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM compensations WHERE work_order_id = $1 ORDER BY granted_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(work_order_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Pending deliveries whose next attempt is due.
pub async fn due_deliveries(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<String>> {
    let ids = sqlx::query_scalar(
        "SELECT id FROM compensations WHERE delivery = 'PENDING' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(to_micros(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids)
}

/// Settles a pending delivery; `false` when it was no longer pending (another attempt
/// settled it first).
pub async fn settle(
    conn: &mut AnyConnection,
    id: &str,
    delivery: Delivery,
    detail: &str,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE compensations SET delivery = $1, delivery_detail = $2, attempts = attempts + 1, \
         next_attempt_at = NULL WHERE id = $3 AND delivery = 'PENDING'",
    )
    .bind(delivery.as_str())
    .bind(detail)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a failed attempt and when to try again.
pub async fn retry_later(
    conn: &mut AnyConnection,
    id: &str,
    detail: &str,
    next: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE compensations SET delivery_detail = $1, attempts = attempts + 1, \
         next_attempt_at = $2 WHERE id = $3 AND delivery = 'PENDING'",
    )
    .bind(detail)
    .bind(to_micros(next))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds `value` to the customer's total for `year` unless that would pass `cap`. The
/// conditional update makes concurrent grants queue on the row, so together they can
/// never pass the cap. Returns whether it fitted.
pub async fn reserve(
    conn: &mut AnyConnection,
    key: &str,
    year: i64,
    value: i64,
    cap: i64,
) -> Result<bool> {
    sqlx::query(
        "INSERT INTO recovery_totals (customer_key, year, total_minor) VALUES ($1, $2, 0) \
         ON CONFLICT DO NOTHING",
    )
    .bind(key)
    .bind(year)
    .execute(&mut *conn)
    .await?;
    let n = sqlx::query(
        "UPDATE recovery_totals SET total_minor = total_minor + $1 \
         WHERE customer_key = $2 AND year = $3 AND total_minor + $1 <= $4",
    )
    .bind(value)
    .bind(key)
    .bind(year)
    .bind(cap)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Gives back what a failed delivery had reserved.
pub async fn release(conn: &mut AnyConnection, key: &str, year: i64, value: i64) -> Result<()> {
    sqlx::query(
        "UPDATE recovery_totals SET total_minor = total_minor - $1 \
         WHERE customer_key = $2 AND year = $3 AND total_minor >= $1",
    )
    .bind(value)
    .bind(key)
    .bind(year)
    .execute(conn)
    .await?;
    Ok(())
}

/// What the customer has received in `year`.
pub async fn total(conn: &mut AnyConnection, key: &str, year: i64) -> Result<i64> {
    let total: Option<i64> = sqlx::query_scalar(
        "SELECT total_minor FROM recovery_totals WHERE customer_key = $1 AND year = $2",
    )
    .bind(key)
    .bind(year)
    .fetch_optional(conn)
    .await?;
    Ok(total.unwrap_or(0))
}
