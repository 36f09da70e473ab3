//! The aggregates behind the figures: one grouped scan for the counts, one for the
//! percentiles, one over the visit counts.

use std::collections::HashMap;

use service_kit::{Result, auth::OrgScope, db::Backend, sql::Where};
use sqlx::{AnyConnection, Row};

use crate::domain::figures::percentile;

/// Which work orders and visits a figure covers.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The caller's scope.
    pub scope: OrgScope,
    /// Narrowing to a region.
    pub region_path: String,
    /// Narrowing to a branch.
    pub branch_id: String,
    /// Opened at or after (micros).
    pub from_micros: i64,
    /// Opened before (micros).
    pub to_micros: i64,
    /// First local day, `YYYY-MM-DD`.
    pub from_day: String,
    /// Last local day, inclusive.
    pub to_day: String,
}

/// How rows are grouped: not at all, by province or by city.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// One group, key "".
    Nothing,
    /// By province slug.
    Province,
    /// By `province/city`.
    City,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Nothing => "''",
            GroupBy::Province => "province",
            GroupBy::City => "region_path",
        }
    }

    /// `GROUP BY` over the group column (PostgreSQL refuses a constant there) and `more`.
    fn clause(self, more: &str) -> String {
        let cols: Vec<&str> = [
            (self != GroupBy::Nothing).then(|| self.column()),
            Some(more),
        ]
        .into_iter()
        .flatten()
        .filter(|c| !c.is_empty())
        .collect();
        if cols.is_empty() {
            String::new()
        } else {
            format!("GROUP BY {}", cols.join(", "))
        }
    }
}

/// Counts for one combination of kind, category, status and level within a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Kind, category, status, level names.
    pub kind: String,
    /// Category.
    pub category: String,
    /// Status.
    pub status: String,
    /// Level.
    pub level: String,
    /// Work orders.
    pub n: u64,
    /// Ever missed a deadline.
    pub breached: u64,
    /// Resolved (or closed).
    pub resolved: u64,
    /// Resolved without missing a deadline.
    pub resolved_in_time: u64,
    /// Resolved at branch level.
    pub resolved_in_branch: u64,
    /// Complaints from customers (not automatic cases).
    pub complaints: u64,
    /// Sum of satisfaction scores.
    pub satisfaction_sum: u64,
    /// How many gave one.
    pub satisfaction_n: u64,
}

/// Median and 90th percentile, in minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quantiles {
    /// Median minutes to acknowledge.
    pub ack_p50: f64,
    /// 90th percentile.
    pub ack_p90: f64,
    /// Median minutes to resolve.
    pub resolve_p50: f64,
    /// 90th percentile.
    pub resolve_p90: f64,
}

fn base(s: &Scope) -> Where {
    within(s, "created_at")
}

/// Rows of the scope, narrowed as asked, whose `column` (micros) falls in the period.
pub(crate) fn within(s: &Scope, column: &'static str) -> Where {
    let mut w = Where::default();
    w.in_scope("branch_id", "region_path", &s.scope)
        .under_region("region_path", &s.region_path)
        .eq("branch_id", &s.branch_id);
    // Computed integers and a constant column name, not input: safe in the statement.
    w.raw(&format!(
        "{column} >= {} AND {column} < {}",
        s.from_micros, s.to_micros
    ));
    w
}

pub(crate) fn count(r: &sqlx::any::AnyRow, col: &str) -> sqlx::Result<u64> {
    Ok(r.try_get::<Option<i64>, _>(col)?.unwrap_or(0).max(0) as u64)
}

/// Counts per group.
pub async fn counts(
    conn: &mut AnyConnection,
    s: &Scope,
    by: GroupBy,
) -> Result<HashMap<String, Vec<Counts>>> {
    let group = by.column();
    let w = base(s);
    let q = w.query(
        &format!(
            "SELECT {group} AS grp, kind, category, status, level, COUNT(*) AS n, \
             CAST(SUM(breached) AS BIGINT) AS breached, \
             CAST(SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS resolved, \
             CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND breached = 0 THEN 1 ELSE 0 END) AS BIGINT) AS in_time, \
             CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND level = 'BRANCH' THEN 1 ELSE 0 END) AS BIGINT) AS in_branch, \
             CAST(SUM(CASE WHEN kind = 'COMPLAINT' AND channel <> 'AUTOMATIC' THEN 1 ELSE 0 END) AS BIGINT) AS complaints, \
             CAST(SUM(satisfaction) AS BIGINT) AS sat_sum, \
             CAST(SUM(CASE WHEN satisfaction > 0 THEN 1 ELSE 0 END) AS BIGINT) AS sat_n \
             FROM work_orders"
        ),
        &by.clause("kind, category, status, level"),
    );
    let rows = q.fetch_all(conn).await?;
    let mut out: HashMap<String, Vec<Counts>> = HashMap::new();
    for r in &rows {
        let grp: String = r.try_get("grp")?;
        out.entry(grp).or_default().push(Counts {
            kind: r.try_get("kind")?,
            category: r.try_get("category")?,
            status: r.try_get("status")?,
            level: r.try_get("level")?,
            n: count(r, "n")?,
            breached: count(r, "breached")?,
            resolved: count(r, "resolved")?,
            resolved_in_time: count(r, "in_time")?,
            resolved_in_branch: count(r, "in_branch")?,
            complaints: count(r, "complaints")?,
            satisfaction_sum: count(r, "sat_sum")?,
            satisfaction_n: count(r, "sat_n")?,
        });
    }
    Ok(out)
}

/// Median and p90 of the minutes to acknowledge and to resolve, per group. PostgreSQL
/// computes them in one grouped pass (`percentile_disc`); SQLite, which has no ordered-set
/// aggregates, streams the durations and the same nearest-rank rule applies here.
pub async fn quantiles(
    conn: &mut AnyConnection,
    backend: Backend,
    s: &Scope,
    by: GroupBy,
) -> Result<HashMap<String, Quantiles>> {
    let group = by.column();
    const MINUTE: f64 = 60_000_000.0;
    let mut out = HashMap::new();
    match backend {
        Backend::Postgres => {
            let w = base(s);
            let q = w.query(
                &format!(
                    "SELECT {group} AS grp, \
                     percentile_disc(0.5) WITHIN GROUP (ORDER BY acknowledged_at - created_at) AS a50, \
                     percentile_disc(0.9) WITHIN GROUP (ORDER BY acknowledged_at - created_at) AS a90, \
                     percentile_disc(0.5) WITHIN GROUP (ORDER BY resolved_at - created_at) AS r50, \
                     percentile_disc(0.9) WITHIN GROUP (ORDER BY resolved_at - created_at) AS r90 \
                     FROM work_orders"
                ),
                &by.clause(""),
            );
            for r in q.fetch_all(conn).await? {
                let m = |c: &str| -> sqlx::Result<f64> {
                    Ok(r.try_get::<Option<i64>, _>(c)?.unwrap_or(0) as f64 / MINUTE)
                };
                out.insert(
                    r.try_get::<String, _>("grp")?,
                    Quantiles {
                        ack_p50: m("a50")?,
                        ack_p90: m("a90")?,
                        resolve_p50: m("r50")?,
                        resolve_p90: m("r90")?,
                    },
                );
            }
        }
        Backend::Sqlite => {
            let w = base(s);
            let q = w.query(
                &format!(
                    "SELECT {group} AS grp, acknowledged_at - created_at AS a, \
                     resolved_at - created_at AS r FROM work_orders"
                ),
                "",
            );
            let mut samples: HashMap<String, (Vec<f64>, Vec<f64>)> = HashMap::new();
            for r in q.fetch_all(conn).await? {
                let (acks, resolves) = samples.entry(r.try_get("grp")?).or_default();
                if let Some(a) = r.try_get::<Option<i64>, _>("a")? {
                    acks.push(a as f64 / MINUTE);
                }
                if let Some(v) = r.try_get::<Option<i64>, _>("r")? {
                    resolves.push(v as f64 / MINUTE);
                }
            }
            for (grp, (mut acks, mut resolves)) in samples {
                acks.sort_by(f64::total_cmp);
                resolves.sort_by(f64::total_cmp);
                out.insert(
                    grp,
                    Quantiles {
                        ack_p50: percentile(&acks, 0.5),
                        ack_p90: percentile(&acks, 0.9),
                        resolve_p50: percentile(&resolves, 0.5),
                        resolve_p90: percentile(&resolves, 0.9),
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Completed visits per group in the period's days.
pub async fn visits(
    conn: &mut AnyConnection,
    s: &Scope,
    by: GroupBy,
) -> Result<HashMap<String, u64>> {
    let mut w = Where::default();
    w.in_scope("branch_id", "region_path", &s.scope)
        .under_region("region_path", &s.region_path)
        .eq("branch_id", &s.branch_id);
    let from = w.binds().len() + 1;
    w.raw(&format!("day >= ${from} AND day <= ${}", from + 1));
    let group = by.column();
    let q = w
        .query(
            &format!("SELECT {group} AS grp, CAST(SUM(visits) AS BIGINT) AS n FROM visit_days"),
            &by.clause(""),
        )
        .bind(&s.from_day)
        .bind(&s.to_day);
    let mut out = HashMap::new();
    for r in q.fetch_all(conn).await? {
        out.insert(r.try_get::<String, _>("grp")?, count(&r, "n")?);
    }
    Ok(out)
}

/// Counts one completed visit.
pub async fn add_visit(
    conn: &mut AnyConnection,
    branch_id: &str,
    province: &str,
    region_path: &str,
    day: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO visit_days (branch_id, province, region_path, day, visits) \
         VALUES ($1, $2, $3, $4, 1) ON CONFLICT (branch_id, day) \
         DO UPDATE SET visits = visit_days.visits + 1",
    )
    .bind(branch_id)
    .bind(province)
    .bind(region_path)
    .bind(day)
    .execute(conn)
    .await?;
    Ok(())
}
