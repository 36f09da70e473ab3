//! Changes to a work order: the lifecycle, assignment, notes, contact attempts,
//! satisfaction and escalation. Each one reads the work order, applies a rule, and writes
//! it back only if nobody changed it meanwhile, with its timeline lines and events in the
//! same transaction.

use hospital_proto::complaints as pb;
use jiff::Timestamp;
use service_kit::{Error, Result, auth::Principal, db::retry};

use super::{Complaints, Detail, events, roles, wire};
use crate::{
    domain::{
        RuleError,
        calendar::Calendar,
        lifecycle::{self as rules, check_holder},
        sla::Policy,
        vocab::{Channel, ContactOutcome, Level, Status},
        work_order::{Resolution, WorkOrder},
    },
    store,
};

/// A change someone asks for.
#[derive(Debug, Clone)]
pub enum Action {
    /// new → acknowledged.
    Acknowledge {
        /// Optional note.
        note: String,
    },
    /// acknowledged → in progress, or resume after waiting on the customer.
    Start {
        /// Optional note.
        note: String,
    },
    /// → waiting on the customer.
    WaitOnCustomer {
        /// Optional note.
        note: String,
    },
    /// in progress → resolved.
    Resolve {
        /// Why it happened.
        root_cause: String,
        /// What changes.
        corrective_action: String,
        /// Justified?
        substantiated: bool,
        /// Replaces the staff involved when given.
        staff_ids: Option<Vec<String>>,
    },
    /// resolved → closed.
    Close {
        /// Optional note.
        note: String,
    },
    /// resolved or closed → in progress.
    Reopen {
        /// Why.
        reason: String,
    },
    /// Who handles it.
    Assign {
        /// Staff id.
        assignee: String,
    },
    /// One level up.
    Escalate {
        /// Why.
        reason: String,
    },
    /// A note.
    Note {
        /// Text.
        text: String,
    },
    /// A call or message to the customer.
    Contact {
        /// How.
        channel: Option<Channel>,
        /// How it went.
        outcome: Option<ContactOutcome>,
        /// Notes.
        note: String,
    },
    /// The customer's satisfaction with the resolution.
    Satisfaction {
        /// 1–5.
        score: u32,
        /// Their words.
        comment: String,
    },
}

/// What a change adds besides the new state.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Timeline lines: at, actor, action, detail.
    pub lines: Vec<(Timestamp, String, &'static str, String)>,
    /// Events: at, kind.
    pub events: Vec<(Timestamp, events::Kind)>,
}

impl Effects {
    fn line(&mut self, at: Timestamp, actor: &str, action: &'static str, detail: String) {
        self.lines.push((at, actor.to_owned(), action, detail));
    }
}

/// What a rule sees besides the work order.
pub(crate) struct Context<'a> {
    pub now: Timestamp,
    pub actor: &'a str,
    pub policy: &'a Policy,
    pub calendar: &'a Calendar,
}

fn with_note(base: &str, note: &str) -> String {
    if note.trim().is_empty() {
        base.to_owned()
    } else {
        format!("{base}: {note}")
    }
}

fn status_changed(wo: &WorkOrder, from: &str, actor: &str) -> events::Kind {
    events::Kind::StatusChanged(pb::WorkOrderStatusChanged {
        work_order_id: wo.id.clone(),
        from: Status::parse(from).map_or(0, wire::status_out),
        to: wire::status_out(wo.status),
        actor: actor.to_owned(),
    })
}

pub(crate) fn escalated(
    wo: &WorkOrder,
    from: Level,
    reason: pb::EscalationReason,
    actor: &str,
) -> events::Kind {
    events::Kind::Escalated(pb::WorkOrderEscalated {
        work_order_id: wo.id.clone(),
        number: wo.number(),
        from_level: wire::level_out(from),
        to_level: wire::level_out(wo.level),
        reason: reason as i32,
        actor: actor.to_owned(),
        branch: Some(events::branch_ref(wo)),
    })
}

/// Applies `action` to `wo`.
fn apply(wo: &mut WorkOrder, action: &Action, cx: &Context) -> Result<Effects, RuleError> {
    let mut fx = Effects::default();
    let now = cx.now;
    let from = wo.status.as_str();
    let moved = |wo: &WorkOrder, fx: &mut Effects, action: &'static str, detail: String| {
        fx.line(now, cx.actor, action, detail);
        fx.events.push((now, status_changed(wo, from, cx.actor)));
    };
    match action {
        Action::Acknowledge { note } => {
            let note = &rules::check_text("note", note, false)?;
            rules::acknowledge(wo, now)?;
            moved(wo, &mut fx, "acknowledged", with_note("acknowledged", note));
        }
        Action::Start { note } => {
            let note = &rules::check_text("note", note, false)?;
            let resumed = wo.clocks.paused_at.is_some();
            rules::start(wo, cx.policy, cx.calendar, now)?;
            let what = if resumed {
                "work resumed, SLA clock running"
            } else {
                "work started"
            };
            moved(wo, &mut fx, "in_progress", with_note(what, note));
        }
        Action::WaitOnCustomer { note } => {
            let note = &rules::check_text("note", note, false)?;
            rules::wait_on_customer(wo, cx.calendar, now)?;
            moved(
                wo,
                &mut fx,
                "waiting_on_customer",
                with_note("waiting on the customer, SLA clock paused", note),
            );
        }
        Action::Resolve {
            root_cause,
            corrective_action,
            substantiated,
            staff_ids,
        } => {
            let resolution = Resolution {
                root_cause: root_cause.trim().to_owned(),
                corrective_action: corrective_action.trim().to_owned(),
                substantiated: *substantiated,
                resolved_by: cx.actor.to_owned(),
                resolved_at: Some(now),
            };
            rules::resolve(wo, resolution, staff_ids.clone())?;
            let verdict = if *substantiated {
                "substantiated"
            } else {
                "not substantiated"
            };
            moved(
                wo,
                &mut fx,
                "resolved",
                format!(
                    "{verdict}; root cause: {root_cause}; corrective action: {corrective_action}"
                ),
            );
            if rules::names_staff_for_training(wo) {
                fx.events.push((
                    now,
                    events::Kind::ComplaintSubstantiated(pb::ComplaintSubstantiated {
                        work_order_id: wo.id.clone(),
                        number: wo.number(),
                        branch: Some(events::branch_ref(wo)),
                        staff_ids: wo.staff_ids.clone(),
                        category: wire::category_out(wo.category),
                        root_cause: wo.resolution.root_cause.clone(),
                        corrective_action: wo.resolution.corrective_action.clone(),
                    }),
                ));
            }
        }
        Action::Close { note } => {
            let note = &rules::check_text("note", note, false)?;
            rules::close(wo, now)?;
            moved(wo, &mut fx, "closed", with_note("closed", note));
        }
        Action::Reopen { reason } => {
            let reason = &rules::check_text("reason", reason, true)?;
            rules::reopen(wo, cx.policy, cx.calendar, now)?;
            moved(wo, &mut fx, "reopened", reason.clone());
        }
        Action::Assign { assignee } => {
            rules::check_assignee(assignee)?;
            if !wo.status.is_open() {
                return Err(RuleError::Precondition(
                    "a resolved work order is not assigned".into(),
                ));
            }
            wo.assignee = assignee.clone();
            fx.line(now, cx.actor, "assigned", format!("assigned to {assignee}"));
        }
        Action::Escalate { reason } => {
            let reason = &rules::check_text("reason", reason, true)?;
            let from_level = wo.level;
            let to = rules::escalate(wo, cx.policy, cx.calendar, now)?;
            fx.line(
                now,
                cx.actor,
                "escalated",
                format!(
                    "{} → {} by hand: {reason}",
                    from_level.as_str().to_lowercase(),
                    to.as_str().to_lowercase()
                ),
            );
            fx.events.push((
                now,
                escalated(wo, from_level, pb::EscalationReason::Manual, cx.actor),
            ));
        }
        Action::Note { text } => {
            let text = &rules::check_text("text", text, true)?;
            fx.line(now, cx.actor, "note", text.clone());
        }
        Action::Contact {
            channel,
            outcome,
            note,
        } => {
            let mut v = service_kit::error::Violations::new();
            v.check(channel.is_some(), "channel", "required");
            v.check(outcome.is_some(), "outcome", "required");
            crate::domain::check(v)?;
            let note = &rules::check_text("note", note, false)?;
            let (channel, outcome) = (channel.expect("checked"), outcome.expect("checked"));
            fx.line(
                now,
                cx.actor,
                "contact_attempt",
                with_note(
                    &format!(
                        "{} by {}",
                        outcome.as_str().to_lowercase(),
                        channel.as_str().to_lowercase()
                    ),
                    note,
                ),
            );
        }
        Action::Satisfaction { score, comment } => {
            let comment = &rules::check_text("comment", comment, false)?;
            rules::record_satisfaction(wo, *score)?;
            fx.line(
                now,
                cx.actor,
                "satisfaction",
                with_note(&format!("{score}/5"), comment),
            );
        }
    }
    Ok(fx)
}

impl Action {
    /// The roles that may ask for it, and whether it decides the work order (and so
    /// belongs to the level holding it).
    fn rights(&self) -> (&'static [service_kit::auth::Role], bool) {
        match self {
            Action::Note { .. } | Action::Contact { .. } | Action::Satisfaction { .. } => {
                (roles::ANNOTATE, false)
            }
            _ => (roles::HANDLE, true),
        }
    }
}

impl Complaints {
    /// Applies `action` for `p`. With a non-zero `expected_version` the change applies only
    /// to that version (ABORTED otherwise); without one a concurrent change is read again
    /// and the action re-applied to it.
    pub async fn act(
        &self,
        p: &Principal,
        id: &str,
        expected_version: i64,
        action: Action,
    ) -> Result<Detail> {
        let (allowed, decides) = action.rights();
        p.require_role(allowed, "handle work orders")?;
        let work_order = self
            .mutate(id, expected_version, &p.subject, |wo, cx| {
                p.check_branch(&wo.branch.id, &wo.branch.region_path())?;
                if decides {
                    check_holder(wo, &p.scope)?;
                }
                Ok(apply(wo, &action, cx)?)
            })
            .await?;
        let compensations =
            store::compensations::of_work_order(&mut *self.conn().await?, id).await?;
        Ok(Detail {
            work_order,
            compensations,
        })
    }

    /// Read, change, write back if unchanged — again on a lost race, a few times.
    pub(crate) async fn mutate<F>(
        &self,
        id: &str,
        expected_version: i64,
        actor: &str,
        change: F,
    ) -> Result<WorkOrder>
    where
        F: Fn(&mut WorkOrder, &Context) -> Result<Effects>,
    {
        for _ in 0..5 {
            let mut conn = self.conn().await?;
            let current = store::work_orders::get(&mut conn, id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("work order {id}")))?;
            let calendar = self.calendar(&mut conn, &current).await?;
            drop(conn);
            if expected_version != 0 && expected_version != current.version {
                return Err(Error::Aborted(format!(
                    "work order {} is at version {}, not {expected_version}; read it again",
                    current.number(),
                    current.version
                )));
            }
            let policy = self.policy(current.severity).await?;
            let now = self.now();
            let cx = Context {
                now,
                actor,
                policy: &policy,
                calendar: &calendar,
            };
            let mut next = current.clone();
            let fx = change(&mut next, &cx)?;
            if next == current && fx.lines.is_empty() {
                return Ok(current);
            }
            let changed = next != current;
            if changed {
                next.version += 1;
                next.updated_at = now;
            }
            let written = retry(|| async {
                let mut tx = self.db.begin().await?;
                if changed && !store::work_orders::update(&mut tx, &next, current.version).await? {
                    return Ok(false);
                }
                for (at, who, action, detail) in &fx.lines {
                    store::timeline::append(&mut tx, &next.id, *at, who, action, detail).await?;
                }
                for (at, kind) in &fx.events {
                    events::publish(&mut tx, &next, *at, kind.clone()).await?;
                }
                tx.commit().await?;
                Ok(true)
            })
            .await?;
            if written {
                if !fx.events.is_empty() {
                    self.outbox.notify();
                }
                return Ok(next);
            }
            if expected_version != 0 {
                return Err(Error::Aborted(format!(
                    "work order {} was changed concurrently; read it again",
                    current.number()
                )));
            }
        }
        Err(Error::Aborted(format!(
            "work order {id} keeps changing; try again"
        )))
    }
}
