//! The queue's setup: the agents (team, skills, capacity) and the follow-up templates the
//! group set (JSON, read back field by field).

use jiff::Timestamp;
use service_kit::{Result, clock::to_micros};
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::domain::{
    followup::{EscalationStep, Step, Template},
    followup_vocab::{EscalationLevel, PlanKind, Skill, TeamLevel},
    task::Agent,
};

fn agent_of(row: &AnyRow) -> sqlx::Result<Agent> {
    let skills: String = row.try_get("skills")?;
    let days: String = row.try_get("working_days")?;
    Ok(Agent {
        id: row.try_get("id")?,
        team: row.try_get("team")?,
        skills: skills.split(',').filter_map(Skill::parse).collect(),
        tasks_per_day: u32::try_from(row.try_get::<i64, _>("tasks_per_day")?).unwrap_or(0),
        working_days: days.split(',').filter_map(|d| d.parse().ok()).collect(),
    })
}

/// Creates or replaces an agent.
pub async fn put_agent(conn: &mut AnyConnection, a: &Agent, now: Timestamp) -> Result<()> {
    let skills: Vec<&str> = a.skills.iter().map(|s| s.as_str()).collect();
    let days: Vec<String> = a.working_days.iter().map(|d| d.to_string()).collect();
    sqlx::query(
        "INSERT INTO agents (id, team, skills, tasks_per_day, working_days, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET team = $2, \
         skills = $3, tasks_per_day = $4, working_days = $5, updated_at = $6",
    )
    .bind(&a.id)
    .bind(&a.team)
    .bind(skills.join(","))
    .bind(i64::from(a.tasks_per_day))
    .bind(days.join(","))
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// One agent.
pub async fn agent(conn: &mut AnyConnection, id: &str) -> Result<Option<Agent>> {
    let row = sqlx::query("SELECT * FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(agent_of).transpose()?)
}

/// Every agent.
pub async fn agents(conn: &mut AnyConnection) -> Result<Vec<Agent>> {
    let rows = sqlx::query("SELECT * FROM agents ORDER BY id")
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(agent_of).collect::<sqlx::Result<_>>()?)
}

fn template_json(t: &Template) -> String {
    serde_json::json!({
        "steps": t.steps.iter().map(|s| serde_json::json!({
            "offset_days": s.offset_days,
            "window_minutes": s.window_minutes,
            "skill": s.skill.as_str(),
            "team": s.team.as_str(),
            "priority": s.priority,
            "title": s.title,
            "max_attempts": s.max_attempts,
            "retry_minutes": s.retry_minutes,
        })).collect::<Vec<_>>(),
        "escalations": t.escalations.iter().map(|e| serde_json::json!({
            "after_due_minutes": e.after_due_minutes,
            "level": e.level.as_str(),
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

fn template_of(kind: PlanKind, body: &str) -> Option<Template> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let num = |x: &serde_json::Value, k: &str| x.get(k)?.as_u64().map(|n| n as u32);
    let text = |x: &serde_json::Value, k: &str| x.get(k)?.as_str().map(str::to_owned);
    let steps = v
        .get("steps")?
        .as_array()?
        .iter()
        .map(|s| {
            Some(Step {
                offset_days: num(s, "offset_days")?,
                window_minutes: num(s, "window_minutes")?,
                skill: Skill::parse(&text(s, "skill")?)?,
                team: TeamLevel::parse(&text(s, "team")?)?,
                priority: num(s, "priority")?.min(255) as u8,
                title: text(s, "title")?,
                max_attempts: num(s, "max_attempts")?,
                retry_minutes: num(s, "retry_minutes")?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let escalations = v
        .get("escalations")?
        .as_array()?
        .iter()
        .map(|e| {
            Some(EscalationStep {
                after_due_minutes: num(e, "after_due_minutes")?,
                level: EscalationLevel::parse(&text(e, "level")?)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Template {
        kind,
        steps,
        escalations,
    })
}

/// The template the group set for `kind`, if it set one.
pub async fn template(conn: &mut AnyConnection, kind: PlanKind) -> Result<Option<Template>> {
    let row = sqlx::query("SELECT body FROM follow_up_templates WHERE kind = $1")
        .bind(kind.as_str())
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let body: String = row.try_get("body")?;
    template_of(kind, &body).map(Some).ok_or_else(|| {
        service_kit::Error::Internal(anyhow::anyhow!("stored template {kind} is unreadable"))
    })
}

/// Sets the group's template for its kind.
pub async fn set_template(conn: &mut AnyConnection, t: &Template, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO follow_up_templates (kind, body, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (kind) DO UPDATE SET body = $2, updated_at = $3",
    )
    .bind(t.kind.as_str())
    .bind(template_json(t))
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}
