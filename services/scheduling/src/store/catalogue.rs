//! Exam items and packages.

use service_kit::{Result, db::flag};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{micros, ts};
use crate::domain::catalogue::{ExamItem, Package, Price};

const ITEM_COLUMNS: &str = "id, code, name, department, duration_minutes, fasting_required, \
    order_hint, created_at, list_currency, list_price_minor";

fn item_from_row(row: &AnyRow) -> sqlx::Result<ExamItem> {
    Ok(ExamItem {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        department: row.try_get("department")?,
        duration_minutes: row.try_get::<i64, _>("duration_minutes")? as u32,
        fasting_required: flag(row.try_get("fasting_required")?),
        order_hint: row.try_get::<i64, _>("order_hint")? as i32,
        list_price: match row.try_get::<Option<i64>, _>("list_price_minor")? {
            Some(minor) => Some(Price {
                currency: row.try_get("list_currency")?,
                minor,
            }),
            None => None,
        },
        created_at: ts(row, "created_at")?,
    })
}

/// Inserts an item.
pub async fn insert_item(
    conn: &mut AnyConnection,
    item: &ExamItem,
    request_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO exam_items (id, request_id, code, name, department, duration_minutes, \
         fasting_required, order_hint, created_at, list_currency, list_price_minor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&item.id)
    .bind(request_id)
    .bind(&item.code)
    .bind(&item.name)
    .bind(&item.department)
    .bind(i64::from(item.duration_minutes))
    .bind(i64::from(item.fasting_required))
    .bind(i64::from(item.order_hint))
    .bind(micros(item.created_at))
    .bind(
        item.list_price
            .as_ref()
            .map(|p| p.currency.clone())
            .unwrap_or_default(),
    )
    .bind(item.list_price.as_ref().map(|p| p.minor))
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets an item's list price; false when there is no such item.
pub async fn set_price(conn: &mut AnyConnection, id: &str, price: Option<&Price>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE exam_items SET list_currency = $1, list_price_minor = $2 WHERE id = $3",
    )
    .bind(price.map(|p| p.currency.clone()).unwrap_or_default())
    .bind(price.map(|p| p.minor))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The item a create with `request_id` made.
pub async fn item_by_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<ExamItem>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM exam_items WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(item_from_row).transpose()?)
}

/// Items by id, in the order asked; missing ids are left out.
pub async fn items_by_ids(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<ExamItem>> {
    let mut items = Vec::with_capacity(ids.len());
    let sql = format!("SELECT {ITEM_COLUMNS} FROM exam_items WHERE id = $1");
    for id in ids {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            items.push(item_from_row(&row)?);
        }
    }
    Ok(items)
}

/// Items by code after `after_code`.
pub async fn list_items(
    conn: &mut AnyConnection,
    after_code: &str,
    limit: i64,
) -> Result<Vec<ExamItem>> {
    let sql =
        format!("SELECT {ITEM_COLUMNS} FROM exam_items WHERE code > $1 ORDER BY code LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after_code)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(item_from_row).collect::<Result<_, _>>()?)
}

/// Inserts a package and its items.
pub async fn insert_package(conn: &mut AnyConnection, p: &Package, request_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO packages (id, request_id, code, name, currency, price_minor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&p.id)
    .bind(request_id)
    .bind(&p.code)
    .bind(&p.name)
    .bind(&p.currency)
    .bind(p.price_minor)
    .bind(micros(p.created_at))
    .execute(&mut *conn)
    .await?;
    for (position, item) in p.items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO package_items (package_id, exam_item_id, position) VALUES ($1, $2, $3)",
        )
        .bind(&p.id)
        .bind(&item.id)
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn package_items(conn: &mut AnyConnection, package_id: &str) -> Result<Vec<ExamItem>> {
    let rows = sqlx::query(
        "SELECT i.id, i.code, i.name, i.department, i.duration_minutes, i.fasting_required, \
         i.order_hint, i.created_at, i.list_currency, i.list_price_minor \
         FROM package_items pi JOIN exam_items i ON i.id = pi.exam_item_id \
         WHERE pi.package_id = $1 ORDER BY pi.position",
    )
    .bind(package_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(item_from_row).collect::<Result<_, _>>()?)
}

async fn package_from_row(conn: &mut AnyConnection, row: &AnyRow) -> Result<Package> {
    let id: String = row.try_get("id")?;
    let items = package_items(conn, &id).await?;
    Ok(Package {
        id,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        items,
        currency: row.try_get("currency")?,
        price_minor: row.try_get("price_minor")?,
        created_at: ts(row, "created_at")?,
    })
}

const PACKAGE_COLUMNS: &str = "id, code, name, currency, price_minor, created_at";

/// One package with its items.
pub async fn get_package(conn: &mut AnyConnection, id: &str) -> Result<Option<Package>> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some(package_from_row(conn, &row).await?)),
        None => Ok(None),
    }
}

/// The package a create with `request_id` made.
pub async fn package_by_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<Package>> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some(package_from_row(conn, &row).await?)),
        None => Ok(None),
    }
}

/// Packages by code after `after_code`.
pub async fn list_packages(
    conn: &mut AnyConnection,
    after_code: &str,
    limit: i64,
) -> Result<Vec<Package>> {
    let sql =
        format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE code > $1 ORDER BY code LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after_code)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(package_from_row(conn, row).await?);
    }
    Ok(out)
}
