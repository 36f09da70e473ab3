//! SLA policies.

use jiff::Timestamp;
use service_kit::{Result, clock::to_micros};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{parsed, ts};
use crate::domain::{sla::Policy, vocab::Severity};

fn from_row(r: &AnyRow) -> sqlx::Result<(Policy, Timestamp)> {
    let minutes = |c: &str| -> sqlx::Result<u32> {
        Ok(r.try_get::<i64, _>(c)?.clamp(0, i64::from(u32::MAX)) as u32)
    };
    Ok((
        Policy {
            severity: parsed(r, "severity", Severity::parse)?,
            acknowledge_minutes: minutes("acknowledge_minutes")?,
            resolve_minutes: minutes("resolve_minutes")?,
            warn_at_percent: minutes("warn_at_percent")?,
        },
        ts(r, "updated_at")?,
    ))
}

/// Every policy, by severity.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<(Policy, Timestamp)>> {
    let rows = sqlx::query(
        "SELECT severity, acknowledge_minutes, resolve_minutes, warn_at_percent, updated_at \
         FROM sla_policies",
    )
    .fetch_all(conn)
    .await?;
    let mut all: Vec<_> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    all.sort_by_key(|(p, _)| p.severity);
    Ok(all)
}

/// Sets one severity's policy.
pub async fn upsert(conn: &mut AnyConnection, p: &Policy, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO sla_policies (severity, acknowledge_minutes, resolve_minutes, \
         warn_at_percent, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (severity) DO \
         UPDATE SET acknowledge_minutes = excluded.acknowledge_minutes, \
         resolve_minutes = excluded.resolve_minutes, warn_at_percent = excluded.warn_at_percent, \
         updated_at = excluded.updated_at",
    )
    .bind(p.severity.as_str())
    .bind(i64::from(p.acknowledge_minutes))
    .bind(i64::from(p.resolve_minutes))
    .bind(i64::from(p.warn_at_percent))
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}
