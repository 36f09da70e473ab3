//! Complimentary items granted on appointments.

use service_kit::{Result, auth::OrgScope};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{corrupt, micros, ts};
use crate::domain::complimentary::ComplimentaryItem;

const SELECT: &str = "SELECT request_id, appointment_id, exam_item_id, exam_item_name, \
    authorised_by, cost_bearer, reference, added_at FROM complimentary_items";

fn from_row(row: &AnyRow) -> sqlx::Result<ComplimentaryItem> {
    let cost_bearer: String = row.try_get("cost_bearer")?;
    Ok(ComplimentaryItem {
        request_id: row.try_get("request_id")?,
        appointment_id: row.try_get("appointment_id")?,
        exam_item_id: row.try_get("exam_item_id")?,
        exam_item_name: row.try_get("exam_item_name")?,
        authorised_by: row.try_get("authorised_by")?,
        cost_bearer: cost_bearer
            .parse::<OrgScope>()
            .map_err(|_| corrupt("cost_bearer", "cost bearer"))?,
        reference: row.try_get("reference")?,
        added_at: ts(row, "added_at")?,
    })
}

/// Records a grant. A repeated request id, or an item the appointment already got, fails
/// with `ALREADY_EXISTS` (the table's two unique constraints).
pub async fn insert(conn: &mut AnyConnection, g: &ComplimentaryItem) -> Result<()> {
    sqlx::query(
        "INSERT INTO complimentary_items (request_id, appointment_id, exam_item_id, \
         exam_item_name, authorised_by, cost_bearer, reference, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&g.request_id)
    .bind(&g.appointment_id)
    .bind(&g.exam_item_id)
    .bind(&g.exam_item_name)
    .bind(&g.authorised_by)
    .bind(g.cost_bearer.to_string())
    .bind(&g.reference)
    .bind(micros(g.added_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The grant a request with `request_id` made.
pub async fn get(conn: &mut AnyConnection, request_id: &str) -> Result<Option<ComplimentaryItem>> {
    let sql = format!("{SELECT} WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The grants on one appointment, oldest first.
pub async fn of_appointment(
    conn: &mut AnyConnection,
    appointment_id: &str,
) -> Result<Vec<ComplimentaryItem>> {
    let sql = format!("{SELECT} WHERE appointment_id = $1 ORDER BY added_at, request_id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(appointment_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
