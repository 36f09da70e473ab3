//! Branches as fetched from scheduling: what a work order records and the calendar its
//! SLA clocks count in.

use jiff::{Timestamp, civil::Date};
use service_kit::{Result, clock::to_micros};
use sqlx::{AnyConnection, Row};

use crate::domain::{
    calendar::{Calendar, format_week, parse_week},
    work_order::{BranchInfo, CachedBranch},
};

/// The cached branch, if any.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<CachedBranch>> {
    let row = sqlx::query(
        "SELECT id, code, name, province, city, time_zone, opening_hours, holidays, version \
         FROM branches WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let hours: String = r.try_get("opening_hours")?;
    let holidays: String = r.try_get("holidays")?;
    let time_zone: String = r.try_get("time_zone")?;
    Ok(Some(CachedBranch {
        info: BranchInfo {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            province: r.try_get("province")?,
            city: r.try_get("city")?,
        },
        calendar: Calendar {
            week: parse_week(&hours).unwrap_or([None; 7]),
            holidays: holidays
                .split(',')
                .filter_map(|d| d.parse::<Date>().ok())
                .collect(),
            time_zone,
        },
        version: r.try_get("version")?,
    }))
}

/// Stores what scheduling said, unless a newer version is already stored.
pub async fn upsert(conn: &mut AnyConnection, b: &CachedBranch, now: Timestamp) -> Result<()> {
    let holidays: Vec<String> = b
        .calendar
        .holidays
        .iter()
        .map(ToString::to_string)
        .collect();
    sqlx::query(
        "INSERT INTO branches (id, code, name, province, city, time_zone, opening_hours, \
         holidays, version, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, \
         province = excluded.province, city = excluded.city, time_zone = excluded.time_zone, \
         opening_hours = excluded.opening_hours, holidays = excluded.holidays, \
         version = excluded.version, fetched_at = excluded.fetched_at \
         WHERE branches.version <= excluded.version",
    )
    .bind(&b.info.id)
    .bind(&b.info.code)
    .bind(&b.info.name)
    .bind(&b.info.province)
    .bind(&b.info.city)
    .bind(&b.calendar.time_zone)
    .bind(format_week(&b.calendar.week))
    .bind(holidays.join(","))
    .bind(b.version)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}
