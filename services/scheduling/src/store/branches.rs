//! Branch rows.

use jiff::civil::Date;
use service_kit::{Result, auth::OrgScope};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Where, corrupt, micros, ts};
use crate::domain::branch::{Branch, OpeningHours, Region};

const COLUMNS: &str = "id, code, name, brand, province, city, time_zone, opening_hours, \
    holidays, wait_promise_minutes, visit_wait_promise_minutes, fasting_cutoff_minute, version, \
    created_at, updated_at, address";

/// [`COLUMNS`] qualified with the alias `b`, for joins.
pub(crate) const COLUMNS_QUALIFIED: &str = "b.id, b.code, b.name, b.brand, b.province, b.city, \
    b.time_zone, b.opening_hours, b.holidays, b.wait_promise_minutes, \
    b.visit_wait_promise_minutes, b.fasting_cutoff_minute, b.version, b.created_at, b.updated_at, \
    b.address";

pub(crate) fn from_row(row: &AnyRow) -> sqlx::Result<Branch> {
    let hours: String = row.try_get("opening_hours")?;
    let holidays: String = row.try_get("holidays")?;
    let holidays: Vec<String> =
        serde_json::from_str(&holidays).map_err(|_| corrupt("holidays", "holidays"))?;
    let cutoff: i64 = row.try_get("fasting_cutoff_minute")?;
    Ok(Branch {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        brand: row.try_get("brand")?,
        region: Region {
            province: row.try_get("province")?,
            city: row.try_get("city")?,
        },
        time_zone: row.try_get("time_zone")?,
        opening_hours: serde_json::from_str::<Vec<OpeningHours>>(&hours)
            .map_err(|_| corrupt("opening_hours", "opening hours"))?,
        holidays: holidays
            .iter()
            .map(|d| d.parse::<Date>())
            .collect::<Result<_, _>>()
            .map_err(|_| corrupt("holidays", "holiday date"))?,
        wait_promise_minutes: row.try_get::<i64, _>("wait_promise_minutes")? as u32,
        visit_wait_promise_minutes: row.try_get::<i64, _>("visit_wait_promise_minutes")? as u32,
        address: row.try_get("address")?,
        fasting_cutoff: crate::domain::calendar::minute_to_time(cutoff as u16),
        version: row.try_get("version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn hours_json(b: &Branch) -> String {
    serde_json::to_string(&b.opening_hours).expect("opening hours serialise")
}

fn holidays_json(b: &Branch) -> String {
    let dates: Vec<String> = b.holidays.iter().map(|d| d.to_string()).collect();
    serde_json::to_string(&dates).expect("dates serialise")
}

/// Inserts a new branch.
pub async fn insert(conn: &mut AnyConnection, b: &Branch, request_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO branches (id, request_id, code, name, brand, province, city, region_path, \
         time_zone, opening_hours, holidays, wait_promise_minutes, fasting_cutoff_minute, \
         version, created_at, updated_at, visit_wait_promise_minutes, address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&b.id)
    .bind(request_id)
    .bind(&b.code)
    .bind(&b.name)
    .bind(&b.brand)
    .bind(&b.region.province)
    .bind(&b.region.city)
    .bind(b.region.path())
    .bind(&b.time_zone)
    .bind(hours_json(b))
    .bind(holidays_json(b))
    .bind(i64::from(b.wait_promise_minutes))
    .bind(i64::from(crate::domain::calendar::time_to_minute(
        b.fasting_cutoff,
    )))
    .bind(b.version)
    .bind(micros(b.created_at))
    .bind(micros(b.updated_at))
    .bind(i64::from(b.visit_wait_promise_minutes))
    .bind(&b.address)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a changed branch if it is still at `b.version - 1`; false when it moved on.
pub async fn update(conn: &mut AnyConnection, b: &Branch) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE branches SET name = $1, brand = $2, time_zone = $3, opening_hours = $4, \
         holidays = $5, wait_promise_minutes = $6, fasting_cutoff_minute = $7, version = $8, \
         updated_at = $9, visit_wait_promise_minutes = $12, address = $13 \
         WHERE id = $10 AND version = $11",
    )
    .bind(&b.name)
    .bind(&b.brand)
    .bind(&b.time_zone)
    .bind(hours_json(b))
    .bind(holidays_json(b))
    .bind(i64::from(b.wait_promise_minutes))
    .bind(i64::from(crate::domain::calendar::time_to_minute(
        b.fasting_cutoff,
    )))
    .bind(b.version)
    .bind(micros(b.updated_at))
    .bind(&b.id)
    .bind(b.version - 1)
    .bind(i64::from(b.visit_wait_promise_minutes))
    .bind(&b.address)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One branch by id.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Branch>> {
    let sql = format!("SELECT {COLUMNS} FROM branches WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The branch a create with `request_id` made, if any.
pub async fn get_by_request(conn: &mut AnyConnection, request_id: &str) -> Result<Option<Branch>> {
    let sql = format!("SELECT {COLUMNS} FROM branches WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Filters for [`list`].
#[derive(Debug, Default)]
pub struct ListFilter {
    /// Only under this region path ("" for any).
    pub region_path: String,
    /// Only this brand ("" for any).
    pub brand: String,
    /// Ids after this one ("" from the start).
    pub after_id: String,
    /// Page size.
    pub limit: i64,
}

/// Branches within `scope`, by id.
pub async fn list(
    conn: &mut AnyConnection,
    scope: &OrgScope,
    f: &ListFilter,
) -> Result<Vec<Branch>> {
    let mut w = Where::default();
    w.in_scope("id", "region_path", scope)
        .under_region("region_path", &f.region_path)
        .eq("brand", &f.brand)
        .after("id", &f.after_id);
    let select = format!("SELECT {COLUMNS} FROM branches");
    let query = w.query(&select, "ORDER BY id LIMIT {limit}");
    let rows = query.bind(f.limit).fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
