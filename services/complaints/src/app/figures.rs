//! Figures for the group customer-service centre and regional managers, always within the
//! caller's scope: counts, SLA met, time to acknowledge and resolve, resolved without
//! leaving the branch, complaints per 10,000 visits, and a scorecard per region.

use std::collections::{BTreeMap, HashMap};

use jiff::{civil::Date, tz::TimeZone};
use service_kit::{Error, Result, auth::Principal};

use super::{Complaints, roles};
use crate::{
    domain::{
        figures::{percent, score},
        recovery_figures::RecoveryFigures,
    },
    store::{
        figures::{self as agg, Counts, GroupBy, Quantiles},
        recovery_figures::{self as rec, CostKey},
    },
};

/// The longest period one query covers.
pub const MAX_PERIOD_DAYS: i32 = 366;

/// Inclusive days in China Standard Time.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

/// The figures of one scope or region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Work orders opened in the period.
    pub work_orders: u64,
    /// By kind name.
    pub by_kind: BTreeMap<String, u64>,
    /// By category name.
    pub by_category: BTreeMap<String, u64>,
    /// By status name.
    pub by_status: BTreeMap<String, u64>,
    /// By level name.
    pub by_level: BTreeMap<String, u64>,
    /// Share of decided work orders (resolved, or breached) never breached; `None` when
    /// none is decided yet.
    pub sla_met_percent: Option<f64>,
    /// Minutes.
    pub quantiles: Quantiles,
    /// Share of resolved work orders resolved at branch level.
    pub resolved_in_branch_percent: Option<f64>,
    /// Customer complaints (automatic cases excluded).
    pub complaints: u64,
    /// Completed visits.
    pub visits: u64,
    /// Complaints per 10,000 visits.
    pub complaints_per_10k_visits: f64,
    /// Mean 1–5 of those asked.
    pub mean_satisfaction: Option<f64>,
}

impl Figures {
    fn fold(counts: &[Counts], quantiles: Quantiles, visits: u64) -> Figures {
        let mut f = Figures {
            quantiles,
            visits,
            ..Figures::default()
        };
        let (mut breached, mut in_time, mut resolved, mut in_branch, mut sat_sum, mut sat_n) =
            (0, 0, 0, 0, 0, 0);
        for c in counts {
            f.work_orders += c.n;
            *f.by_kind.entry(c.kind.clone()).or_default() += c.n;
            *f.by_category.entry(c.category.clone()).or_default() += c.n;
            *f.by_status.entry(c.status.clone()).or_default() += c.n;
            *f.by_level.entry(c.level.clone()).or_default() += c.n;
            breached += c.breached;
            in_time += c.resolved_in_time;
            resolved += c.resolved;
            in_branch += c.resolved_in_branch;
            f.complaints += c.complaints;
            sat_sum += c.satisfaction_sum;
            sat_n += c.satisfaction_n;
        }
        let decided = breached + in_time;
        f.sla_met_percent = (decided > 0).then(|| percent(in_time, decided));
        f.resolved_in_branch_percent = (resolved > 0).then(|| percent(in_branch, resolved));
        f.mean_satisfaction = (sat_n > 0).then(|| sat_sum as f64 / sat_n as f64);
        f.complaints_per_10k_visits = if visits == 0 {
            0.0
        } else {
            f.complaints as f64 * 10_000.0 / visits as f64
        };
        f
    }

    /// The region's score (see [`score`]).
    pub fn score(&self) -> f64 {
        score(
            self.sla_met_percent,
            self.resolved_in_branch_percent,
            self.mean_satisfaction,
        )
    }
}

/// One region's line of the scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardRow {
    /// `guangdong` or `guangdong/shenzhen`.
    pub region_path: String,
    /// Its figures.
    pub figures: Figures,
}

impl Complaints {
    fn scope_of(
        &self,
        p: &Principal,
        period: Period,
        region_path: &str,
        branch_id: &str,
    ) -> Result<agg::Scope> {
        let days = period
            .from
            .until(period.to)
            .map(|s| s.get_days())
            .unwrap_or(-1);
        if !(0..MAX_PERIOD_DAYS).contains(&days) {
            return Err(Error::invalid(
                "period",
                "from must not be after to, and the period at most 366 days",
            ));
        }
        let tz = TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC);
        let micros = |d: Date| -> Result<i64> {
            let z = d
                .to_zoned_datetime(tz.clone())
                .map_err(|_| Error::invalid("period", "a date out of range"))?;
            Ok(service_kit::clock::to_micros(z.timestamp()))
        };
        let end = period
            .to
            .tomorrow()
            .map_err(|_| Error::invalid("period.to", "a date out of range"))?;
        Ok(agg::Scope {
            scope: p.scope.clone(),
            region_path: region_path.to_owned(),
            branch_id: branch_id.to_owned(),
            from_micros: micros(period.from)?,
            to_micros: micros(end)?,
            from_day: period.from.to_string(),
            to_day: period.to.to_string(),
        })
    }

    /// The figures of the caller's scope, optionally narrowed to a region or a branch.
    pub async fn figures(
        &self,
        p: &Principal,
        period: Period,
        region_path: &str,
        branch_id: &str,
    ) -> Result<Figures> {
        p.require_role(roles::FIGURES, "read figures")?;
        self.check_narrowing(p, branch_id, region_path).await?;
        let mut conn = self.conn().await?;
        let s = self.scope_of(p, period, region_path, branch_id)?;
        let counts = agg::counts(&mut conn, &s, GroupBy::Nothing).await?;
        let quantiles = agg::quantiles(&mut conn, self.db.backend(), &s, GroupBy::Nothing).await?;
        let visits = agg::visits(&mut conn, &s, GroupBy::Nothing).await?;
        Ok(Figures::fold(
            counts.get("").map(Vec::as_slice).unwrap_or_default(),
            quantiles.get("").copied().unwrap_or_default(),
            visits.get("").copied().unwrap_or_default(),
        ))
    }

    /// Service recovery in the caller's scope, optionally narrowed: breaches and cases by
    /// breach time, decisions and costs by decision time.
    pub async fn recovery_figures(
        &self,
        p: &Principal,
        period: Period,
        region_path: &str,
        branch_id: &str,
    ) -> Result<RecoveryFigures> {
        p.require_role(roles::FIGURES, "read figures")?;
        self.check_narrowing(p, branch_id, region_path).await?;
        let s = self.scope_of(p, period, region_path, branch_id)?;
        let mut conn = self.conn().await?;
        let mut f = RecoveryFigures::default();
        f.add_breaches(&rec::breaches(&mut conn, &s).await?);
        f.add_decisions(&rec::decisions(&mut conn, &s).await?);
        let cases = rec::cases(&mut conn, &s).await?;
        f.add_cases(&cases, service_kit::clock::to_micros(self.now()));
        f.cost_by_branch = rec::costs(&mut conn, &s, CostKey::Branch).await?;
        f.cost_by_decider = rec::costs(&mut conn, &s, CostKey::Decider).await?;
        f.cost_by_bearer = rec::costs(&mut conn, &s, CostKey::Bearer).await?;
        Ok(f)
    }

    /// One line per province (or city) in the caller's scope, best score first.
    pub async fn scorecard(
        &self,
        p: &Principal,
        period: Period,
        by_city: bool,
    ) -> Result<Vec<ScorecardRow>> {
        p.require_role(
            &[
                service_kit::auth::Role::GroupAdmin,
                service_kit::auth::Role::RegionAdmin,
            ],
            "read the regional scorecard",
        )?;
        let s = self.scope_of(p, period, "", "")?;
        let by = if by_city {
            GroupBy::City
        } else {
            GroupBy::Province
        };
        let mut conn = self.conn().await?;
        let counts = agg::counts(&mut conn, &s, by).await?;
        let quantiles = agg::quantiles(&mut conn, self.db.backend(), &s, by).await?;
        let visits: HashMap<String, u64> = agg::visits(&mut conn, &s, by).await?;
        let mut regions: Vec<&String> = counts.keys().chain(visits.keys()).collect();
        regions.sort();
        regions.dedup();
        let mut rows: Vec<ScorecardRow> = regions
            .into_iter()
            .map(|r| ScorecardRow {
                region_path: r.clone(),
                figures: Figures::fold(
                    counts.get(r).map(Vec::as_slice).unwrap_or_default(),
                    quantiles.get(r).copied().unwrap_or_default(),
                    visits.get(r).copied().unwrap_or_default(),
                ),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.figures
                .score()
                .total_cmp(&a.figures.score())
                .then(a.region_path.cmp(&b.region_path))
        });
        Ok(rows)
    }
}
