//! Service recovery as scheduling's events report it, and the aggregates the recovery
//! figures read. Every write runs in the transaction that claims the event's position.

use service_kit::Result;
use sqlx::{AnyConnection, Row};

use super::figures::{Scope, count, within};
use crate::domain::recovery_figures::{CaseTimes, CostLine};

/// Where a breach or a decision happened.
#[derive(Debug, Clone)]
pub struct Place {
    /// Branch id.
    pub branch_id: String,
    /// Province slug.
    pub province: String,
    /// `province/city`.
    pub region_path: String,
}

/// A wait-promise breach.
#[derive(Debug, Clone)]
pub struct Breach {
    /// The visit.
    pub appointment_id: String,
    /// The queue entry named by the breach.
    pub entry_id: String,
    /// `EXAM_ITEM` or `WHOLE_VISIT`.
    pub scope: String,
    /// Micros.
    pub breached_at: i64,
}

/// A recovery case as first reported (by its breach, or by a decision).
#[derive(Debug, Clone)]
pub struct Case {
    /// `rc_…`.
    pub case_id: String,
    /// The visit.
    pub appointment_id: String,
    /// The promise that opened it.
    pub trigger: String,
    /// Micros.
    pub breached_at: i64,
    /// Micros.
    pub decide_by: i64,
}

/// One decision on a case.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Micros.
    pub decided_at: i64,
    /// `GRANTED`, `DECLINED_BY_CUSTOMER` or `NOT_GIVEN`.
    pub decision: String,
    /// For `NOT_GIVEN`: the reason's name.
    pub reason: String,
    /// For a gift: `ON_ROUTE`, `TO_COMPANION` or `VOUCHER`.
    pub delivery: String,
    /// Token subject.
    pub decided_by: String,
    /// `branch:<id>`, `region:<path>` or `group`.
    pub cost_bearer: String,
    /// Of `value_minor`.
    pub currency: String,
    /// List price of the gift when given; 0 for no gift.
    pub value_minor: i64,
}

/// Records a breach, and the case it opened; a repeat changes nothing.
pub async fn add_breach(
    conn: &mut AnyConnection,
    at: &Place,
    b: &Breach,
    opened: Option<&Case>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO recovery_breaches (appointment_id, entry_id, scope, branch_id, province, \
         region_path, breached_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&b.appointment_id)
    .bind(&b.entry_id)
    .bind(&b.scope)
    .bind(&at.branch_id)
    .bind(&at.province)
    .bind(&at.region_path)
    .bind(b.breached_at)
    .execute(&mut *conn)
    .await?;
    if let Some(c) = opened {
        upsert_case(conn, at, c, None).await?;
    }
    Ok(())
}

/// Records a decision (once per event position) and, on its case, the first decision's
/// time. A case opened before this table existed is recorded from the decision.
pub async fn add_decision(
    conn: &mut AnyConnection,
    position: u64,
    at: &Place,
    case: &Case,
    d: &Decision,
) -> Result<()> {
    let late = i64::from(d.decided_at > case.decide_by);
    let inserted = sqlx::query(
        "INSERT INTO recovery_decisions (position, case_id, branch_id, province, region_path, \
         decided_at, decision, reason, delivery, decided_by, cost_bearer, currency, \
         value_minor, late) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT DO NOTHING",
    )
    .bind(i64::try_from(position).unwrap_or(i64::MAX))
    .bind(&case.case_id)
    .bind(&at.branch_id)
    .bind(&at.province)
    .bind(&at.region_path)
    .bind(d.decided_at)
    .bind(&d.decision)
    .bind(&d.reason)
    .bind(&d.delivery)
    .bind(&d.decided_by)
    .bind(&d.cost_bearer)
    .bind(&d.currency)
    .bind(d.value_minor)
    .bind(late)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        upsert_case(conn, at, case, Some(d.decided_at)).await?;
    }
    Ok(())
}

async fn upsert_case(
    conn: &mut AnyConnection,
    at: &Place,
    c: &Case,
    decided_at: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO recovery_cases (case_id, appointment_id, branch_id, province, region_path, \
         trigger_scope, breached_at, decide_by, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id) DO UPDATE \
         SET decided_at = COALESCE(recovery_cases.decided_at, excluded.decided_at)",
    )
    .bind(&c.case_id)
    .bind(&c.appointment_id)
    .bind(&at.branch_id)
    .bind(&at.province)
    .bind(&at.region_path)
    .bind(&c.trigger)
    .bind(c.breached_at)
    .bind(c.decide_by)
    .bind(decided_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Breaches found in the period, by scope name.
pub async fn breaches(conn: &mut AnyConnection, s: &Scope) -> Result<Vec<(String, u64)>> {
    grouped(
        conn,
        s,
        "breached_at",
        "SELECT scope AS k, COUNT(*) AS n FROM recovery_breaches",
        "GROUP BY scope",
    )
    .await
}

/// The period's cases (by breach time): breach, deadline and first decision.
pub async fn cases(conn: &mut AnyConnection, s: &Scope) -> Result<Vec<CaseTimes>> {
    let w = within(s, "breached_at");
    let q = w.query(
        "SELECT breached_at, decide_by, decided_at FROM recovery_cases",
        "",
    );
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(CaseTimes {
                breached_at: r.try_get("breached_at")?,
                decide_by: r.try_get("decide_by")?,
                decided_at: r.try_get("decided_at")?,
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}

/// Decisions made in the period, by `DECISION/REASON/DELIVERY`.
pub async fn decisions(conn: &mut AnyConnection, s: &Scope) -> Result<Vec<(String, u64)>> {
    grouped(
        conn,
        s,
        "decided_at",
        "SELECT decision || '/' || reason || '/' || delivery AS k, COUNT(*) AS n \
         FROM recovery_decisions",
        "GROUP BY decision, reason, delivery",
    )
    .await
}

/// What the gifts decided in the period cost, per `key` (`branch_id`, `decided_by` or
/// `cost_bearer`) and currency, largest first.
pub async fn costs(conn: &mut AnyConnection, s: &Scope, key: CostKey) -> Result<Vec<CostLine>> {
    let col = key.column();
    let mut w = within(s, "decided_at");
    w.raw("decision = 'GRANTED'");
    let q = w.query(
        &format!(
            "SELECT {col} AS k, currency, COUNT(*) AS n, CAST(SUM(value_minor) AS BIGINT) AS total \
             FROM recovery_decisions"
        ),
        &format!("GROUP BY {col}, currency ORDER BY total DESC, k"),
    );
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(CostLine {
                key: r.try_get("k")?,
                currency: r.try_get("currency")?,
                gifts: count(r, "n")?,
                total_minor: r.try_get::<Option<i64>, _>("total")?.unwrap_or(0),
            })
        })
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}

/// What a cost line totals by.
#[derive(Debug, Clone, Copy)]
pub enum CostKey {
    /// The branch where the gift was given.
    Branch,
    /// The person who decided.
    Decider,
    /// The unit that pays.
    Bearer,
}

impl CostKey {
    fn column(self) -> &'static str {
        match self {
            CostKey::Branch => "branch_id",
            CostKey::Decider => "decided_by",
            CostKey::Bearer => "cost_bearer",
        }
    }
}

async fn grouped(
    conn: &mut AnyConnection,
    s: &Scope,
    time: &'static str,
    select: &str,
    group: &str,
) -> Result<Vec<(String, u64)>> {
    let w = within(s, time);
    let q = w.query(select, group);
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("k")?, count(r, "n")?)))
        .collect::<sqlx::Result<_>>()
        .map_err(Into::into)
}
