//! Customers, their contact points and consents.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use service_kit::{Result, clock::to_micros};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{ROWS_PER_STATEMENT, in_list, minutes, parsed, time, ts};
use crate::domain::{
    customer::{Consent, Customer},
    plan::QuietHours,
    vocab::{Channel, ConsentMethod, Gender, Need, Purpose},
};

const COLUMNS: &str = "id, name, phone, gender, birth_date, home_branch_id, home_region_path, \
    national_id_hash, national_id_last4, channel_order, quiet_start, quiet_end, do_not_contact, \
    needs, notes, created_at, updated_at, version";

fn list<T>(raw: &str, parse: fn(&str) -> Option<T>) -> Vec<T> {
    raw.split(',').filter_map(parse).collect()
}

fn joined<T: Copy>(items: &[T], name: fn(T) -> &'static str) -> String {
    items.iter().map(|i| name(*i)).collect::<Vec<_>>().join(",")
}

fn from_row(r: &AnyRow) -> sqlx::Result<Customer> {
    let birth: String = r.try_get("birth_date")?;
    Ok(Customer {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        gender: Gender::parse(&r.try_get::<String, _>("gender")?),
        birth_date: birth.parse().ok(),
        home_branch_id: r.try_get("home_branch_id")?,
        home_region_path: r.try_get("home_region_path")?,
        national_id_hash: r.try_get("national_id_hash")?,
        national_id_last4: r.try_get("national_id_last4")?,
        contact_points: BTreeMap::new(),
        channel_order: list(&r.try_get::<String, _>("channel_order")?, Channel::parse),
        quiet_hours: QuietHours {
            start: time(r.try_get("quiet_start")?),
            end: time(r.try_get("quiet_end")?),
        },
        do_not_contact: r.try_get::<i64, _>("do_not_contact")? != 0,
        consents: Vec::new(),
        needs: list(&r.try_get::<String, _>("needs")?, Need::parse),
        notes: r.try_get("notes")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
        version: r.try_get("version")?,
    })
}

/// Inserts a new customer; `false` when the mobile is already a customer's.
pub async fn insert(conn: &mut AnyConnection, c: &Customer) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO customers (id, name, phone, gender, birth_date, home_branch_id, \
         home_region_path, national_id_hash, national_id_last4, channel_order, quiet_start, \
         quiet_end, do_not_contact, needs, notes, created_at, updated_at, version) VALUES ($1, \
         $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (phone) DO NOTHING",
    )
    .bind(&c.id)
    .bind(&c.name)
    .bind(&c.phone)
    .bind(c.gender.map(Gender::as_str).unwrap_or_default())
    .bind(c.birth_date.map(|d| d.to_string()).unwrap_or_default())
    .bind(&c.home_branch_id)
    .bind(&c.home_region_path)
    .bind(&c.national_id_hash)
    .bind(&c.national_id_last4)
    .bind(joined(&c.channel_order, Channel::as_str))
    .bind(minutes(c.quiet_hours.start))
    .bind(minutes(c.quiet_hours.end))
    .bind(i64::from(c.do_not_contact))
    .bind(joined(&c.needs, Need::as_str))
    .bind(&c.notes)
    .bind(to_micros(c.created_at))
    .bind(to_micros(c.updated_at))
    .bind(c.version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

async fn complete(conn: &mut AnyConnection, c: Customer) -> Result<Customer> {
    let id = c.id.clone();
    let mut all = complete_many(conn, vec![c]).await?;
    Ok(all.remove(&id).expect("completed"))
}

/// Adds their contact points and consents to `customers`, three statements per hundred.
async fn complete_many(
    conn: &mut AnyConnection,
    customers: Vec<Customer>,
) -> Result<HashMap<String, Customer>> {
    let mut by_id: HashMap<String, Customer> =
        customers.into_iter().map(|c| (c.id.clone(), c)).collect();
    let ids: Vec<String> = by_id.keys().cloned().collect();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let marks = in_list(chunk.len());
        let sql = format!(
            "SELECT customer_id, channel, address FROM contact_points WHERE customer_id IN ({marks})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let id: String = r.try_get("customer_id")?;
            if let (Some(c), Some(ch)) = (
                by_id.get_mut(&id),
                Channel::parse(&r.try_get::<String, _>("channel")?),
            ) {
                c.contact_points.insert(ch, r.try_get("address")?);
            }
        }
        let sql = format!(
            "SELECT customer_id, purpose, granted, method, source, changed_at FROM consents \
             WHERE customer_id IN ({marks}) ORDER BY customer_id, purpose"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let id: String = r.try_get("customer_id")?;
            if let Some(c) = by_id.get_mut(&id) {
                c.consents.push(Consent {
                    purpose: parsed(&r, "purpose", Purpose::parse)?,
                    granted: r.try_get::<i64, _>("granted")? != 0,
                    method: parsed(&r, "method", ConsentMethod::parse)?,
                    source: r.try_get("source")?,
                    changed_at: ts(&r, "changed_at")?,
                });
            }
        }
    }
    Ok(by_id)
}

/// The customers of `ids` that exist, with contact points and consents, by id.
pub async fn get_many(conn: &mut AnyConnection, ids: &[&str]) -> Result<HashMap<String, Customer>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE id IN ({})",
            in_list(chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            rows.push(from_row(&r)?);
        }
    }
    complete_many(conn, rows).await
}

/// The mobile numbers of the customers given, by id (what a call list needs of them).
pub async fn phones(conn: &mut AnyConnection, ids: &[&str]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT id, phone FROM customers WHERE id IN ({})",
            in_list(chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(r.try_get("id")?, r.try_get("phone")?);
        }
    }
    Ok(out)
}

async fn one(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<Customer>> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE {column} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(complete(conn, from_row(&r)?).await?)),
        None => Ok(None),
    }
}

/// The customer, with contact points and consents.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Customer>> {
    one(conn, "id", id).await
}

/// The customer with this mobile.
pub async fn by_phone(conn: &mut AnyConnection, phone: &str) -> Result<Option<Customer>> {
    one(conn, "phone", phone).await
}

/// The customer with this ID-number hash.
pub async fn by_national_id(conn: &mut AnyConnection, hash: &str) -> Result<Option<Customer>> {
    one(conn, "national_id_hash", hash).await
}

/// Writes the changeable fields if the row is still at `c.version - 1`; `false` when it
/// moved on.
pub async fn update(conn: &mut AnyConnection, c: &Customer) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE customers SET channel_order = $1, quiet_start = $2, quiet_end = $3, \
         do_not_contact = $4, needs = $5, notes = $6, updated_at = $7, version = $8 \
         WHERE id = $9 AND version = $10",
    )
    .bind(joined(&c.channel_order, Channel::as_str))
    .bind(minutes(c.quiet_hours.start))
    .bind(minutes(c.quiet_hours.end))
    .bind(i64::from(c.do_not_contact))
    .bind(joined(&c.needs, Need::as_str))
    .bind(&c.notes)
    .bind(to_micros(c.updated_at))
    .bind(c.version)
    .bind(&c.id)
    .bind(c.version - 1)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Replaces the contact points.
pub async fn set_points(
    conn: &mut AnyConnection,
    id: &str,
    points: &BTreeMap<Channel, String>,
) -> Result<()> {
    sqlx::query("DELETE FROM contact_points WHERE customer_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (channel, address) in points {
        sqlx::query(
            "INSERT INTO contact_points (customer_id, channel, address) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(channel.as_str())
        .bind(address)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records a consent change (once per `request_id`) and makes it the standing consent;
/// `false` when the request was recorded before.
pub async fn record_consent(
    conn: &mut AnyConnection,
    change_id: &str,
    request_id: Option<&str>,
    customer_id: &str,
    c: &Consent,
) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO consent_changes (id, request_id, customer_id, purpose, granted, method, \
         source, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(change_id)
    .bind(request_id)
    .bind(customer_id)
    .bind(c.purpose.as_str())
    .bind(i64::from(c.granted))
    .bind(c.method.as_str())
    .bind(&c.source)
    .bind(to_micros(c.changed_at))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO consents (customer_id, purpose, granted, method, source, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_id, purpose) DO UPDATE SET \
         granted = excluded.granted, method = excluded.method, source = excluded.source, \
         changed_at = excluded.changed_at",
    )
    .bind(customer_id)
    .bind(c.purpose.as_str())
    .bind(i64::from(c.granted))
    .bind(c.method.as_str())
    .bind(&c.source)
    .bind(to_micros(c.changed_at))
    .execute(conn)
    .await?;
    Ok(true)
}

/// Whether a consent change was recorded under `request_id`.
pub async fn consent_request_seen(conn: &mut AnyConnection, request_id: &str) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM consent_changes WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Marks the customer changed (consent, contact points) without other fields.
pub async fn touch(conn: &mut AnyConnection, id: &str, at: Timestamp) -> Result<()> {
    sqlx::query("UPDATE customers SET updated_at = $1, version = version + 1 WHERE id = $2")
        .bind(to_micros(at))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Holds the customer's row until the transaction ends, so that a consent or preference
/// change waits for it (and it for them). SQLite, with one writer, needs nothing.
pub async fn lock(
    conn: &mut AnyConnection,
    backend: service_kit::db::Backend,
    id: &str,
) -> Result<()> {
    if backend == service_kit::db::Backend::Postgres {
        sqlx::query("SELECT id FROM customers WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

/// The quiet hours of those of `ids` who are customers.
pub async fn quiet_hours(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<HashMap<String, QuietHours>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        // Built from placeholders only; every id is bound.
        let sql = format!(
            "SELECT id, quiet_start, quiet_end FROM customers WHERE id IN ({})",
            in_list(chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(
                r.try_get("id")?,
                QuietHours {
                    start: time(r.try_get("quiet_start")?),
                    end: time(r.try_get("quiet_end")?),
                },
            );
        }
    }
    Ok(out)
}
