//! Weekly templates and slots. Places are taken and released by conditional updates, so
//! the database, not a read in the application, keeps `booked ≤ capacity`.

use jiff::civil::Date;
use service_kit::{Result, ids::new_id};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{date_text, micros, parse_date, ts};
use crate::domain::{
    branch::Branch,
    calendar::{Slot, SlotPlan, TemplateWindow},
};

pub(crate) const SLOT_COLUMNS: &str =
    "id, branch_id, local_date, start_minute, end_minute, starts_at, ends_at, capacity, booked";

pub(crate) fn slot_from_row(row: &AnyRow) -> sqlx::Result<Slot> {
    slot_from_row_with_id(row, "id")
}

/// As [`slot_from_row`], with the slot's id under another column name (for joins).
fn slot_from_row_with_id(row: &AnyRow, id_column: &str) -> sqlx::Result<Slot> {
    Ok(Slot {
        id: row.try_get(id_column)?,
        branch_id: row.try_get("branch_id")?,
        date: parse_date(row, "local_date")?,
        start: row.try_get::<i64, _>("start_minute")? as u16,
        end: row.try_get::<i64, _>("end_minute")? as u16,
        starts_at: ts(row, "starts_at")?,
        ends_at: ts(row, "ends_at")?,
        capacity: row.try_get::<i64, _>("capacity")? as u32,
        booked: row.try_get::<i64, _>("booked")? as u32,
    })
}

/// Replaces a branch's weekly template.
pub async fn replace_template(
    conn: &mut AnyConnection,
    branch_id: &str,
    windows: &[TemplateWindow],
) -> Result<()> {
    sqlx::query("DELETE FROM template_windows WHERE branch_id = $1")
        .bind(branch_id)
        .execute(&mut *conn)
        .await?;
    for w in windows {
        sqlx::query(
            "INSERT INTO template_windows (branch_id, weekday, start_minute, end_minute, capacity) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(branch_id)
        .bind(i64::from(w.weekday))
        .bind(i64::from(w.start))
        .bind(i64::from(w.end))
        .bind(i64::from(w.capacity))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A branch's weekly template, by day and start.
pub async fn template(conn: &mut AnyConnection, branch_id: &str) -> Result<Vec<TemplateWindow>> {
    let rows = sqlx::query(
        "SELECT weekday, start_minute, end_minute, capacity FROM template_windows \
         WHERE branch_id = $1 ORDER BY weekday, start_minute",
    )
    .bind(branch_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TemplateWindow {
                weekday: r.try_get::<i64, _>("weekday")? as i8,
                start: r.try_get::<i64, _>("start_minute")? as u16,
                end: r.try_get::<i64, _>("end_minute")? as u16,
                capacity: r.try_get::<i64, _>("capacity")? as u32,
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}

/// Creates the planned slots that do not exist yet; returns how many it created.
pub async fn insert_missing(
    conn: &mut AnyConnection,
    branch_id: &str,
    plans: &[SlotPlan],
) -> Result<u32> {
    let mut created = 0;
    for p in plans {
        let done = sqlx::query(
            "INSERT INTO slots (id, branch_id, local_date, start_minute, end_minute, starts_at, \
             ends_at, capacity, booked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) \
             ON CONFLICT (branch_id, starts_at) DO NOTHING",
        )
        .bind(new_id("slot"))
        .bind(branch_id)
        .bind(date_text(p.date))
        .bind(i64::from(p.start))
        .bind(i64::from(p.end))
        .bind(micros(p.starts_at))
        .bind(micros(p.ends_at))
        .bind(i64::from(p.capacity))
        .execute(&mut *conn)
        .await?;
        created += done.rows_affected() as u32;
    }
    Ok(created)
}

/// One slot.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Slot>> {
    let sql = format!("SELECT {SLOT_COLUMNS} FROM slots WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(slot_from_row).transpose()?)
}

/// One slot and its branch, in one round trip (the booking path's only read).
pub async fn get_with_branch(conn: &mut AnyConnection, id: &str) -> Result<Option<(Slot, Branch)>> {
    let sql = format!(
        "SELECT s.id AS slot_id, s.branch_id, s.local_date, s.start_minute, s.end_minute, \
         s.starts_at, s.ends_at, s.capacity, s.booked, {} \
         FROM slots s JOIN branches b ON b.id = s.branch_id WHERE s.id = $1",
        super::branches::COLUMNS_QUALIFIED
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => Ok(Some((
            slot_from_row_with_id(&row, "slot_id")?,
            super::branches::from_row(&row)?,
        ))),
        None => Ok(None),
    }
}

/// A branch's slots with room left on local dates `from..=to`, by start.
pub async fn open_between(
    conn: &mut AnyConnection,
    branch_id: &str,
    from: Date,
    to: Date,
) -> Result<Vec<Slot>> {
    let sql = format!(
        "SELECT {SLOT_COLUMNS} FROM slots WHERE branch_id = $1 AND local_date >= $2 \
         AND local_date <= $3 AND booked < capacity ORDER BY starts_at"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(branch_id)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(slot_from_row).collect::<Result<_, _>>()?)
}

/// Takes one place if one is left; false when the slot is full.
pub async fn take_place(conn: &mut AnyConnection, slot_id: &str) -> Result<bool> {
    let done =
        sqlx::query("UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity")
            .bind(slot_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives one place back.
pub async fn release_place(conn: &mut AnyConnection, slot_id: &str) -> Result<()> {
    sqlx::query("UPDATE slots SET booked = booked - 1 WHERE id = $1 AND booked > 0")
        .bind(slot_id)
        .execute(conn)
        .await?;
    Ok(())
}
