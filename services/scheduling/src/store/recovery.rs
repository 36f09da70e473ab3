//! Recovery policies and the recovery-due queue.

use service_kit::{Result, auth::OrgScope};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Where, corrupt, micros, opt_ts, ts};
use crate::domain::recovery::{Case, Policy, Trigger};

/// Open cases; the only status until decisions are recorded.
const DUE: &str = "DUE";

/// A branch's policy, if it ever set one.
pub async fn policy(conn: &mut AnyConnection, branch_id: &str) -> Result<Option<Policy>> {
    let row = sqlx::query(
        "SELECT branch_id, giftable_item_ids, decision_minutes, gifts_per_visit, updated_at \
         FROM recovery_policies WHERE branch_id = $1",
    )
    .bind(branch_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let ids: String = row.try_get("giftable_item_ids")?;
    Ok(Some(Policy {
        branch_id: row.try_get("branch_id")?,
        giftable_item_ids: serde_json::from_str(&ids)
            .map_err(|_| corrupt("giftable_item_ids", "item ids"))?,
        decision_minutes: row.try_get::<i64, _>("decision_minutes")? as u32,
        gifts_per_visit: row.try_get::<i64, _>("gifts_per_visit")? as u32,
        updated_at: opt_ts(&row, "updated_at")?,
    }))
}

/// Stores `p` as its branch's policy, replacing the last one.
pub async fn put_policy(conn: &mut AnyConnection, p: &Policy) -> Result<()> {
    let ids = serde_json::to_string(&p.giftable_item_ids).expect("ids serialise");
    sqlx::query(
        "INSERT INTO recovery_policies (branch_id, giftable_item_ids, decision_minutes, \
         gifts_per_visit, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (branch_id) DO UPDATE SET giftable_item_ids = excluded.giftable_item_ids, \
         decision_minutes = excluded.decision_minutes, gifts_per_visit = excluded.gifts_per_visit, \
         updated_at = excluded.updated_at",
    )
    .bind(&p.branch_id)
    .bind(ids)
    .bind(i64::from(p.decision_minutes))
    .bind(i64::from(p.gifts_per_visit))
    .bind(p.updated_at.map(micros).unwrap_or_default())
    .execute(conn)
    .await?;
    Ok(())
}

/// Opens `c` unless its visit already has a case (one per visit, whichever breach came
/// first); true when this call opened it.
pub async fn open(conn: &mut AnyConnection, c: &Case) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO recovery_cases (id, appointment_id, branch_id, region_path, trigger_scope, \
         breached_at, decide_by, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (appointment_id) DO NOTHING",
    )
    .bind(&c.id)
    .bind(&c.appointment_id)
    .bind(&c.branch_id)
    .bind(&c.region_path)
    .bind(c.trigger.as_str())
    .bind(micros(c.breached_at))
    .bind(micros(c.decide_by))
    .bind(DUE)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn from_row(row: &AnyRow) -> sqlx::Result<Case> {
    let trigger: String = row.try_get("trigger_scope")?;
    Ok(Case {
        id: row.try_get("id")?,
        appointment_id: row.try_get("appointment_id")?,
        branch_id: row.try_get("branch_id")?,
        region_path: row.try_get("region_path")?,
        trigger: Trigger::parse(&trigger).ok_or_else(|| corrupt("trigger_scope", "trigger"))?,
        breached_at: ts(row, "breached_at")?,
        decide_by: ts(row, "decide_by")?,
    })
}

/// Open cases within `scope` (and `branch_id` when not empty), oldest first, after the case
/// id `after`, at most `limit`.
pub async fn due(
    conn: &mut AnyConnection,
    scope: &OrgScope,
    branch_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Case>> {
    let mut w = Where::default();
    w.eq("status", DUE)
        .in_scope("branch_id", "region_path", scope)
        .eq("branch_id", branch_id)
        .after("id", after);
    let (sql, binds) = w.finish(
        "SELECT id, appointment_id, branch_id, region_path, trigger_scope, breached_at, \
         decide_by FROM recovery_cases",
        "ORDER BY id LIMIT {limit}",
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        query = query.bind(b);
    }
    let rows = query.bind(limit).fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
