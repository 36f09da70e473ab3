//! Work orders.

use jiff::Timestamp;
use service_kit::{Result, clock::to_micros, db::flag, sql::Where};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{opt_micros, opt_ts, parsed, ts};
use crate::domain::{
    sla::Clocks,
    vocab::{Category, Channel, Kind, Level, Severity, Status},
    work_order::{BranchInfo, CustomerInfo, Filter, Resolution, WorkOrder},
};

const COLUMNS: &str = "seq, id, request_id, channel, kind, category, severity, status, level, \
    customer_id, customer_name, customer_phone, customer_masked, branch_id, branch_code, \
    branch_name, province, city, appointment_id, staff_ids, summary, description, assignee, \
    source, ack_due_at, ack_warn_at, resolve_due_at, resolve_warn_at, paused_at, \
    resolve_left_min, breached, root_cause, corrective_action, substantiated, resolved_by, \
    resolved_at, satisfaction, version, created_at, updated_at, acknowledged_at, closed_at";

fn from_row(row: &AnyRow) -> sqlx::Result<WorkOrder> {
    let staff: String = row.try_get("staff_ids")?;
    Ok(WorkOrder {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        channel: parsed(row, "channel", Channel::parse)?,
        kind: parsed(row, "kind", Kind::parse)?,
        category: parsed(row, "category", Category::parse)?,
        severity: parsed(row, "severity", Severity::parse)?,
        status: parsed(row, "status", Status::parse)?,
        level: parsed(row, "level", Level::parse)?,
        customer: CustomerInfo {
            customer_id: row.try_get("customer_id")?,
            name: row.try_get("customer_name")?,
            phone: row.try_get("customer_phone")?,
            masked: row.try_get("customer_masked")?,
        },
        branch: BranchInfo {
            id: row.try_get("branch_id")?,
            code: row.try_get("branch_code")?,
            name: row.try_get("branch_name")?,
            province: row.try_get("province")?,
            city: row.try_get("city")?,
        },
        appointment_id: row.try_get("appointment_id")?,
        staff_ids: staff
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        summary: row.try_get("summary")?,
        description: row.try_get("description")?,
        assignee: row.try_get("assignee")?,
        source: row.try_get("source")?,
        clocks: Clocks {
            ack_due_at: opt_ts(row, "ack_due_at")?,
            ack_warn_at: opt_ts(row, "ack_warn_at")?,
            resolve_due_at: opt_ts(row, "resolve_due_at")?,
            resolve_warn_at: opt_ts(row, "resolve_warn_at")?,
            paused_at: opt_ts(row, "paused_at")?,
            resolve_left_min: row.try_get("resolve_left_min")?,
            breached: flag(row.try_get("breached")?),
        },
        resolution: Resolution {
            root_cause: row.try_get("root_cause")?,
            corrective_action: row.try_get("corrective_action")?,
            substantiated: flag(row.try_get("substantiated")?),
            resolved_by: row.try_get("resolved_by")?,
            resolved_at: opt_ts(row, "resolved_at")?,
        },
        satisfaction: row.try_get::<i64, _>("satisfaction")?.clamp(0, 5) as u8,
        version: row.try_get("version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        acknowledged_at: opt_ts(row, "acknowledged_at")?,
        closed_at: opt_ts(row, "closed_at")?,
    })
}

/// Inserts a new work order and returns its sequence, or `None` when its `request_id` (or
/// its automatic source) is already taken.
pub async fn insert(conn: &mut AnyConnection, wo: &WorkOrder) -> Result<Option<i64>> {
    let c = &wo.clocks;
    let seq: Option<i64> = sqlx::query_scalar(
        "INSERT INTO work_orders (id, request_id, channel, kind, category, severity, status, \
         level, customer_id, customer_name, customer_phone, customer_masked, branch_id, \
         branch_code, branch_name, province, city, region_path, appointment_id, staff_ids, \
         summary, description, assignee, source, ack_due_at, ack_warn_at, resolve_due_at, \
         resolve_warn_at, paused_at, resolve_left_min, next_timer_at, breached, root_cause, \
         corrective_action, substantiated, resolved_by, resolved_at, satisfaction, version, \
         created_at, updated_at, acknowledged_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, \
         $25, $26, $27, $28, $29, $30, $31, $32, '', '', 0, '', NULL, 0, $33, $34, $34, NULL, \
         NULL) ON CONFLICT DO NOTHING RETURNING seq",
    )
    .bind(&wo.id)
    .bind(&wo.request_id)
    .bind(wo.channel.as_str())
    .bind(wo.kind.as_str())
    .bind(wo.category.as_str())
    .bind(wo.severity.as_str())
    .bind(wo.status.as_str())
    .bind(wo.level.as_str())
    .bind(&wo.customer.customer_id)
    .bind(&wo.customer.name)
    .bind(&wo.customer.phone)
    .bind(&wo.customer.masked)
    .bind(&wo.branch.id)
    .bind(&wo.branch.code)
    .bind(&wo.branch.name)
    .bind(&wo.branch.province)
    .bind(&wo.branch.city)
    .bind(wo.branch.region_path())
    .bind(&wo.appointment_id)
    .bind(wo.staff_ids.join(","))
    .bind(&wo.summary)
    .bind(&wo.description)
    .bind(&wo.assignee)
    .bind(wo.source.clone())
    .bind(opt_micros(c.ack_due_at))
    .bind(opt_micros(c.ack_warn_at))
    .bind(opt_micros(c.resolve_due_at))
    .bind(opt_micros(c.resolve_warn_at))
    .bind(opt_micros(c.paused_at))
    .bind(c.resolve_left_min)
    .bind(opt_micros(c.next_timer_at()))
    .bind(i64::from(c.breached))
    .bind(wo.version)
    .bind(to_micros(wo.created_at))
    .fetch_optional(conn)
    .await?;
    Ok(seq)
}

/// Writes every changeable field, if the stored row is still at `expected_version`.
pub async fn update(
    conn: &mut AnyConnection,
    wo: &WorkOrder,
    expected_version: i64,
) -> Result<bool> {
    let c = &wo.clocks;
    let r = &wo.resolution;
    let changed = sqlx::query(
        "UPDATE work_orders SET status = $1, level = $2, staff_ids = $3, assignee = $4, \
         ack_due_at = $5, ack_warn_at = $6, resolve_due_at = $7, resolve_warn_at = $8, \
         paused_at = $9, resolve_left_min = $10, next_timer_at = $11, breached = $12, \
         root_cause = $13, corrective_action = $14, substantiated = $15, resolved_by = $16, \
         resolved_at = $17, satisfaction = $18, version = $19, updated_at = $20, \
         acknowledged_at = $21, closed_at = $22 WHERE id = $23 AND version = $24",
    )
    .bind(wo.status.as_str())
    .bind(wo.level.as_str())
    .bind(wo.staff_ids.join(","))
    .bind(&wo.assignee)
    .bind(opt_micros(c.ack_due_at))
    .bind(opt_micros(c.ack_warn_at))
    .bind(opt_micros(c.resolve_due_at))
    .bind(opt_micros(c.resolve_warn_at))
    .bind(opt_micros(c.paused_at))
    .bind(c.resolve_left_min)
    .bind(opt_micros(c.next_timer_at()))
    .bind(i64::from(c.breached))
    .bind(&r.root_cause)
    .bind(&r.corrective_action)
    .bind(i64::from(r.substantiated))
    .bind(&r.resolved_by)
    .bind(opt_micros(r.resolved_at))
    .bind(i64::from(wo.satisfaction))
    .bind(wo.version)
    .bind(to_micros(wo.updated_at))
    .bind(opt_micros(wo.acknowledged_at))
    .bind(opt_micros(wo.closed_at))
    .bind(&wo.id)
    .bind(expected_version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

async fn one(conn: &mut AnyConnection, column: &str, value: &str) -> Result<Option<WorkOrder>> {
    let sql = format!("SELECT {COLUMNS} FROM work_orders WHERE {column} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// By id.
pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<WorkOrder>> {
    one(conn, "id", id).await
}

/// By intake's idempotency key.
pub async fn by_request_id(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<WorkOrder>> {
    one(conn, "request_id", request_id).await
}

/// The automatic case opened for `source`.
pub async fn by_source(conn: &mut AnyConnection, source: &str) -> Result<Option<WorkOrder>> {
    one(conn, "source", source).await
}

/// By the sequence behind the short number.
pub async fn by_seq(conn: &mut AnyConnection, seq: i64) -> Result<Option<WorkOrder>> {
    let sql = format!("SELECT {COLUMNS} FROM work_orders WHERE seq = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(seq)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Newest first.
pub async fn list(conn: &mut AnyConnection, f: &Filter, limit: i64) -> Result<Vec<WorkOrder>> {
    let mut w = Where::default();
    if let Some(scope) = &f.scope {
        w.in_scope("branch_id", "region_path", scope);
    }
    w.eq("branch_id", &f.branch_id)
        .under_region("region_path", &f.region_path)
        .eq("status", f.status.map(Status::as_str).unwrap_or(""))
        .eq("level", f.level.map(Level::as_str).unwrap_or(""))
        .eq("kind", f.kind.map(Kind::as_str).unwrap_or(""))
        .eq("customer_phone", &f.customer_phone)
        .before("id", &f.before_id);
    if f.open_only {
        w.raw("status NOT IN ('RESOLVED', 'CLOSED')");
    }
    let q = w.query(
        &format!("SELECT {COLUMNS} FROM work_orders"),
        "ORDER BY id DESC LIMIT {limit}",
    );
    let rows = q.bind(limit).fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Ids of work orders with a timer due by `now`, earliest first.
pub async fn due_timers(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<String>> {
    let ids = sqlx::query_scalar(
        "SELECT id FROM work_orders WHERE next_timer_at IS NOT NULL AND next_timer_at <= $1 \
         ORDER BY next_timer_at LIMIT $2",
    )
    .bind(to_micros(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids)
}
