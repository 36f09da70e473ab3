//! The durable timers: SLA warnings and breaches, and complimentary items still to be
//! added to a visit. Both live in the database as instants, so a restarted service (or
//! another replica) picks them up where they were.

use hospital_proto::complaints as pb;
use service_kit::{Error, Result};

use super::{Complaints, events, lifecycle::Effects};
use crate::{
    domain::sla::{Fired, fire},
    store,
};

/// How many due timers one sweep takes per query.
const BATCH: i64 = 200;
/// The actor recorded for what the timers do.
pub(crate) const SYSTEM: &str = "system";

impl Complaints {
    /// Fires every SLA timer due by now; returns how many work orders changed.
    pub async fn sweep_timers(&self) -> Result<usize> {
        let mut changed = 0;
        loop {
            let now = self.now();
            let due = store::work_orders::due_timers(&mut *self.conn().await?, now, BATCH).await?;
            let batch = due.len();
            for id in due {
                match self.fire_timers(&id).await {
                    Ok(()) => changed += 1,
                    // Someone else (another replica, a concurrent action) got there first;
                    // the next sweep sees what is left.
                    Err(Error::Aborted(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            if (batch as i64) < BATCH {
                return Ok(changed);
            }
        }
    }

    async fn fire_timers(&self, id: &str) -> Result<()> {
        self.mutate(id, 0, SYSTEM, |wo, cx| {
            let mut fx = Effects::default();
            let fired = fire(
                &mut wo.clocks,
                &mut wo.level,
                wo.status,
                cx.policy,
                cx.calendar,
                cx.now,
            );
            // Levels move one at a time; keep the one each breach started from.
            let mut level_now = wo.clone();
            for f in fired {
                match f {
                    Fired::Warned {
                        deadline,
                        due_at,
                        at,
                    } => {
                        fx.lines.push((
                            at,
                            SYSTEM.into(),
                            "sla_warning",
                            format!("{} deadline at {due_at} is near", deadline.as_str()),
                        ));
                        fx.events.push((
                            at,
                            events::Kind::SlaWarning(pb::SlaWarning {
                                work_order_id: wo.id.clone(),
                                number: wo.number(),
                                deadline: super::wire::deadline_out(deadline),
                                due_at: Some(service_kit::clock::to_proto(due_at)),
                                level: super::wire::level_out(level_now.level),
                            }),
                        ));
                    }
                    Fired::Breached {
                        deadline,
                        at,
                        from,
                        escalated_to,
                    } => {
                        let detail = match escalated_to {
                            Some(to) => format!(
                                "{} deadline missed at {} level; escalated to {}",
                                deadline.as_str(),
                                from.as_str().to_lowercase(),
                                to.as_str().to_lowercase()
                            ),
                            None => format!(
                                "{} deadline missed at the group customer-service centre",
                                deadline.as_str()
                            ),
                        };
                        fx.lines.push((at, SYSTEM.into(), "sla_breached", detail));
                        if let Some(to) = escalated_to {
                            level_now.level = to;
                            fx.events.push((
                                at,
                                super::lifecycle::escalated(
                                    &level_now,
                                    from,
                                    super::wire::deadline_escalation(deadline),
                                    SYSTEM,
                                ),
                            ));
                        }
                    }
                }
            }
            Ok(fx)
        })
        .await?;
        Ok(())
    }

    /// Retries complimentary items whose delivery is due; returns how many it tried.
    pub async fn sweep_deliveries(&self) -> Result<usize> {
        let due = store::compensations::due_deliveries(&mut *self.conn().await?, self.now(), BATCH)
            .await?;
        let n = due.len();
        for id in due {
            self.deliver(&id).await?;
        }
        Ok(n)
    }
}
