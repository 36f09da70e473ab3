//! The consumer of scheduling's events: a booking plans the visit's three reminders, a
//! move re-plans those that have not gone out, a cancellation (or arrival, completion,
//! no-show) withdraws those still waiting. The position is claimed in the same
//! transaction as the effect, so each event takes effect once across restarts of either
//! service and across replicas.

use std::collections::HashMap;

use hospital_proto::scheduling::{self as sched, scheduling_event::Kind};
use jiff::Timestamp;
use service_kit::{
    Result,
    clock::{from_micros, proto_micros, to_micros},
    db::{Tx, retry},
    events::{self as kit_events, begin_claimed_batch},
    ids::new_id,
};

use super::Contact;
use crate::{
    domain::{
        plan::{self, Planned, Policy},
        reminder::{Reminder, Visit},
        vocab::{ReminderKind, ReminderStatus, VisitStatus},
    },
    store,
};

/// The consumer name under which the position is stored.
pub const CONSUMER: &str = "scheduling-events";

/// What an event changes here.
enum Effect {
    /// A new visit and its reminders.
    Booked(Box<Visit>),
    /// A visit moved to a new window.
    Moved {
        id: String,
        starts_at: Timestamp,
        ends_at: Option<Timestamp>,
    },
    /// A visit that needs no more reminders, why, and when.
    Ended(String, VisitStatus, Timestamp),
}

fn at(t: Option<prost_types::Timestamp>) -> Timestamp {
    from_micros(t.as_ref().map(proto_micros).unwrap_or(0))
}

/// Most events applied in one transaction.
const BATCH: usize = 500;

impl Contact {
    /// Follows scheduling's events until `stop` resolves, applying what is waiting in
    /// batches (see [`kit_events::follow_batched`]): a busy booking day is a few
    /// transactions a second, not one per booking.
    pub async fn run_feed(self, stop: impl Future<Output = ()>) {
        kit_events::follow_batched(
            &self.db,
            CONSUMER,
            BATCH,
            |after| self.scheduling.events(after),
            |events| self.apply_scheduling_events(events),
            stop,
        )
        .await;
    }

    /// What one event changes here, if anything.
    async fn effect_of(&self, event: sched::SchedulingEvent) -> Result<Option<Effect>> {
        // When it happened in scheduling, not when it reached us (a backlog after an outage).
        let happened = event
            .occurred_at
            .map(|t| at(Some(t)))
            .unwrap_or_else(|| self.now());
        Ok(Some(match event.kind {
            Some(Kind::AppointmentBooked(b)) => {
                Effect::Booked(Box::new(self.visit_of(&event.branch_id, b).await?))
            }
            Some(Kind::AppointmentRescheduled(r)) => Effect::Moved {
                starts_at: at(r.new_starts_at),
                ends_at: r.new_ends_at.map(|t| at(Some(t))),
                id: r.appointment_id,
            },
            Some(Kind::AppointmentCancelled(c)) => {
                Effect::Ended(c.appointment_id, VisitStatus::Cancelled, happened)
            }
            Some(Kind::CheckedIn(c)) => {
                Effect::Ended(c.appointment_id, VisitStatus::CheckedIn, happened)
            }
            Some(Kind::VisitCompleted(c)) => {
                Effect::Ended(c.appointment_id, VisitStatus::Completed, happened)
            }
            Some(Kind::NoShow(c)) => Effect::Ended(c.appointment_id, VisitStatus::NoShow, happened),
            Some(Kind::BranchChanged(c)) => {
                if let Some(b) = c.branch {
                    self.branches.forget(&b.branch_id);
                }
                return Ok(None);
            }
            // Queues and service recovery change nothing here.
            _ => return Ok(None),
        }))
    }

    /// Applies consecutive events in one transaction that claims their positions, each at
    /// most once (those a replica applied meanwhile are skipped).
    pub async fn apply_scheduling_events(&self, events: Vec<sched::SchedulingEvent>) -> Result<()> {
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(());
        };
        let mut effects = Vec::with_capacity(events.len());
        for event in events {
            let position = event.position;
            if let Some(effect) = self.effect_of(event).await? {
                effects.push((position, effect));
            }
        }
        let now = self.now();
        retry(|| async {
            let Some((mut tx, before)) =
                begin_claimed_batch(&self.db, CONSUMER, last, to_micros(now)).await?
            else {
                return Ok(());
            };
            // Consecutive bookings go in together; a move or an end applies in its place,
            // after the bookings before it.
            let mut policies = HashMap::new();
            let mut bookings: Vec<&Visit> = Vec::new();
            for (position, effect) in &effects {
                if *position <= before {
                    continue;
                }
                if let Effect::Booked(visit) = effect {
                    bookings.push(visit);
                    continue;
                }
                self.booked(&mut tx, &bookings, now, &mut policies).await?;
                bookings.clear();
                match effect {
                    Effect::Booked(_) => {}
                    Effect::Moved {
                        id,
                        starts_at,
                        ends_at,
                    } => self.moved(&mut tx, id, *starts_at, *ends_at, now).await?,
                    Effect::Ended(id, status, happened) => {
                        let changed = store::visits::set_status(&mut tx, id, *status, now).await?;
                        let reason = format!("the visit is {}", status.as_str().to_lowercase());
                        store::visits::withdraw_planned(&mut tx, id, &reason, now).await?;
                        // A second completion of the same visit counts nothing more.
                        if changed && *status == VisitStatus::Completed {
                            self.completed(&mut tx, id, *happened, now).await?;
                        }
                    }
                }
            }
            self.booked(&mut tx, &bookings, now, &mut policies).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// The booked visit, with the branch's name, brand and zone; whether contact knows
    /// its customer is checked when it is applied.
    async fn visit_of(&self, branch_id: &str, b: sched::AppointmentBooked) -> Result<Visit> {
        let branch = self.branch(branch_id).await?;
        let customer = b.customer.unwrap_or_default();
        let starts_at = at(b.starts_at);
        let ends_at = b.ends_at.map(|t| at(Some(t))).unwrap_or(starts_at);
        Ok(Visit {
            appointment_id: b.appointment_id,
            unlinked_reason: if customer.customer_id.is_empty() {
                "the booking names no customer id".to_owned()
            } else {
                String::new()
            },
            customer_id: customer.customer_id,
            customer_name: customer.name,
            phone_masked: customer.phone_masked,
            branch_id: branch.id.clone(),
            region_path: branch.region_path.clone(),
            branch_name: branch.name.clone(),
            branch_address: branch.address.clone(),
            brand: branch.brand.clone(),
            package_name: b.package_name,
            fasting: b.fasting,
            starts_at,
            ends_at,
            status: VisitStatus::Booked,
            time_zone: branch.time_zone.clone(),
        })
    }

    /// The brand's policy, or the group's, or the default.
    async fn policy_for(tx: &mut Tx, brand: &str) -> Result<Policy> {
        if let Some((p, _)) = store::messages::policy(tx, brand).await? {
            return Ok(p);
        }
        Ok(store::messages::policy(tx, "")
            .await?
            .map(|(p, _)| p)
            .unwrap_or_default())
    }

    /// Records booked visits and plans their reminders: a few statements for the lot.
    async fn booked(
        &self,
        tx: &mut Tx,
        visits: &[&Visit],
        now: Timestamp,
        policies: &mut HashMap<String, Policy>,
    ) -> Result<()> {
        if visits.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = visits
            .iter()
            .map(|v| v.customer_id.as_str())
            .filter(|id| !id.is_empty())
            .collect();
        let quiet = store::customers::quiet_hours(tx, &ids).await?;
        let visits: Vec<Visit> = visits
            .iter()
            .map(|v| {
                let mut v = (*v).clone();
                if v.unlinked_reason.is_empty() && !quiet.contains_key(&v.customer_id) {
                    v.customer_id = String::new();
                    v.unlinked_reason = "the booking's customer id is not a customer here".into();
                }
                v
            })
            .collect();
        store::visits::insert_many(tx, &visits, now).await?;
        let mut reminders = Vec::with_capacity(visits.len() * 3);
        for visit in &visits {
            let Some(quiet) = quiet.get(&visit.customer_id) else {
                // Counted and listed (ListUnlinkedBookings, the day sheet), never reminded
                // silently or at random.
                tracing::warn!(appointment = %visit.appointment_id, reason = %visit.unlinked_reason, "booking not tied to a customer");
                continue;
            };
            let policy = match policies.get(&visit.brand) {
                Some(p) => *p,
                None => {
                    let p = Self::policy_for(tx, &visit.brand).await?;
                    policies.insert(visit.brand.clone(), p);
                    p
                }
            };
            for kind in ReminderKind::ALL {
                let planned = plan::plan(*kind, visit.starts_at, &visit.tz(), &policy, quiet, now);
                let (status, due_at, reason) = match planned {
                    Planned::At(t) => (ReminderStatus::Planned, t, String::new()),
                    Planned::Skipped => (
                        ReminderStatus::Skipped,
                        now,
                        "its time had passed when the visit was booked".to_owned(),
                    ),
                };
                reminders.push((
                    visit,
                    Reminder {
                        id: new_id("rem"),
                        appointment_id: visit.appointment_id.clone(),
                        kind: *kind,
                        status,
                        due_at,
                        sent_at: None,
                        channel: None,
                        reason,
                    },
                ));
            }
        }
        store::visits::insert_reminders(tx, &reminders, now).await?;
        for visit in &visits {
            if !visit.customer_id.is_empty() {
                self.convert_leads(tx, visit, now).await?;
            }
        }
        Ok(())
    }

    /// A completed visit counts towards the customer's segment and plans their survey.
    async fn completed(
        &self,
        tx: &mut Tx,
        id: &str,
        completed_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        let Some(visit) = store::visits::get(tx, id).await? else {
            return Ok(());
        };
        if visit.customer_id.is_empty() {
            return Ok(());
        }
        store::outreach::completed_visit(
            tx,
            &visit.customer_id,
            &visit.branch_id,
            &visit.region_path,
            completed_at,
        )
        .await?;
        self.plan_survey(tx, &visit, completed_at, now).await
    }

    /// A lead who books is converted: tied to the booking, the sales call cancelled, and
    /// the conversion published (counted per source).
    async fn convert_leads(&self, tx: &mut Tx, visit: &Visit, now: Timestamp) -> Result<()> {
        let leads =
            store::outreach::convert(tx, &visit.customer_id, &visit.appointment_id, now).await?;
        if leads.is_empty() {
            return Ok(());
        }
        store::tasks::cancel_kind(
            tx,
            &visit.customer_id,
            crate::domain::followup_vocab::PlanKind::Lead,
            "the lead booked a visit",
            now,
        )
        .await?;
        for lead in leads {
            super::publish(
                tx,
                &visit.branch_id,
                &visit.region_path,
                now,
                hospital_proto::contact::contact_event::Kind::LeadConverted(
                    hospital_proto::contact::LeadConverted {
                        lead_id: lead.id,
                        source: lead.source,
                        customer_id: visit.customer_id.clone(),
                        appointment_id: visit.appointment_id.clone(),
                    },
                ),
            )
            .await?;
        }
        self.outbox.notify();
        Ok(())
    }

    async fn moved(
        &self,
        tx: &mut Tx,
        id: &str,
        starts_at: Timestamp,
        ends_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        let Some(mut visit) = store::visits::get(tx, id).await? else {
            return Ok(());
        };
        // Producers older than `new_ends_at` keep the window's length.
        let ends_at = ends_at.unwrap_or(starts_at + visit.ends_at.duration_since(visit.starts_at));
        store::visits::move_to(tx, id, starts_at, ends_at, now).await?;
        visit.starts_at = starts_at;
        let policy = Self::policy_for(tx, &visit.brand).await?;
        let quiet = store::customers::quiet_hours(tx, &[visit.customer_id.as_str()])
            .await?
            .remove(&visit.customer_id)
            .unwrap_or_default();
        // Those that went out stay sent and count; the others are planned afresh.
        for r in store::visits::reminders(tx, id).await? {
            if r.status.went_out() || r.status == ReminderStatus::Withdrawn {
                continue;
            }
            match plan::plan(r.kind, starts_at, &visit.tz(), &policy, &quiet, now) {
                Planned::At(t) => {
                    store::visits::replan(tx, &r.id, ReminderStatus::Planned, t, "", now).await?
                }
                Planned::Skipped => {
                    store::visits::replan(
                        tx,
                        &r.id,
                        ReminderStatus::Skipped,
                        r.due_at,
                        "its time had passed when the visit was moved",
                        now,
                    )
                    .await?
                }
            }
        }
        Ok(())
    }
}
