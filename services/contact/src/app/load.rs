//! Each team's planned load over the coming days: tasks due against the agents' declared
//! capacity, with the tasks that have slack spread over the days their window allows.

use std::collections::BTreeMap;

use jiff::{civil::Date, tz::TimeZone};
use service_kit::{
    Error, Result,
    auth::{OrgScope, Principal},
    sql::Where,
};

use super::{
    Contact,
    followup::{day_date, day_number},
    roles,
};
use crate::{
    domain::load::{self, Group},
    store,
};

/// One team's planned load.
#[derive(Debug, Clone)]
pub struct TeamLoad {
    /// The team.
    pub team: String,
    /// Day by day from the first.
    pub days: Vec<(Date, load::Day)>,
    /// Live tasks already past due (planned on the first day).
    pub overdue: u64,
}

impl Contact {
    /// Each team's load over `days` days from `from` (the group's local today when
    /// `None`): tasks due, the spread, and the agents' declared capacity.
    pub async fn planned_load(
        &self,
        p: &Principal,
        team: &str,
        from: Option<Date>,
        days: u32,
    ) -> Result<Vec<TeamLoad>> {
        p.require_role(roles::FIGURES, "read the planned load")?;
        let days = if days == 0 { 14 } else { days };
        if days > 31 {
            return Err(Error::invalid("days", "1 to 31"));
        }
        let tz = TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC);
        let from = from.unwrap_or_else(|| self.now().to_zoned_datetime(tz).date());
        let first = day_number(from);
        let mut w = Where::default();
        if team.is_empty() {
            match &p.scope {
                OrgScope::Group => {}
                OrgScope::Region(path) => {
                    w.under_region("region_path", path).raw("team <> 'group'");
                }
                OrgScope::Branch(id) => {
                    w.eq("team", &format!("branch:{id}"));
                }
            }
        } else {
            self.check_team(p, team, "team").await?;
            w.eq("team", team);
        }
        let mut conn = self.conn().await?;
        let rows = store::tasks::load(&mut conn, w, first + i64::from(days)).await?;
        let agents = store::agents::agents(&mut conn).await?;
        let mut teams: BTreeMap<String, (Vec<Group>, u64)> = BTreeMap::new();
        for (team, open_day, due_day, n) in rows {
            let entry = teams.entry(team).or_default();
            if due_day < first {
                entry.1 += n as u64;
            }
            entry.0.push(Group {
                open_day: (open_day - first).max(0) as usize,
                due_day: (due_day - first).max(0) as usize,
                count: n as u64,
            });
        }
        if !team.is_empty() {
            teams.entry(team.to_owned()).or_default();
        }
        let dates: Vec<Date> = (0..i64::from(days)).map(|d| day_date(first + d)).collect();
        Ok(teams
            .into_iter()
            .map(|(team, (groups, overdue))| {
                let capacity: Vec<u64> = dates
                    .iter()
                    .map(|d| {
                        agents
                            .iter()
                            .filter(|a| a.team == team)
                            .map(|a| a.capacity_on(d.weekday().to_monday_one_offset()))
                            .sum()
                    })
                    .collect();
                let plan = load::spread(&groups, &capacity);
                TeamLoad {
                    team,
                    days: dates.iter().copied().zip(plan).collect(),
                    overdue,
                }
            })
            .collect())
    }
}
