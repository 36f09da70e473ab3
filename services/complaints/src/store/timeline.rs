//! The timeline of every action on a work order.

use jiff::Timestamp;
use service_kit::{Result, clock::to_micros};
use sqlx::{AnyConnection, Row};

use super::ts;
use crate::domain::timeline::Entry;

/// Appends a line in the caller's transaction.
pub async fn append(
    conn: &mut AnyConnection,
    work_order_id: &str,
    at: Timestamp,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO timeline (work_order_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(work_order_id)
    .bind(to_micros(at))
    .bind(actor)
    .bind(action)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// Lines after `after_seq`, oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    work_order_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, detail FROM timeline WHERE work_order_id = $1 \
         AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(work_order_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(Entry {
                seq: r.try_get("seq")?,
                at: ts(r, "at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<sqlx::Result<_>>()?;
    Ok(entries)
}
