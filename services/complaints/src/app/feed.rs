//! The consumer of scheduling's events: a broken wait promise opens a service-recovery
//! case at the branch, a completed visit counts towards complaints per 10,000 visits, a
//! changed branch refreshes the local copy. The position is claimed in the same
//! transaction as the effect, so each event takes effect once across restarts of either
//! service and across replicas.

use hospital_proto::scheduling::{self as sched, scheduling_event::Kind};
use jiff::tz::TimeZone;
use service_kit::{
    Error, Result,
    clock::{from_micros, to_micros},
    db::retry,
    events::{self as kit_events, begin_claimed},
    ids::new_id,
};

use super::{Complaints, events, timers::SYSTEM};
use crate::{
    domain::{
        vocab::{Category, Channel, Kind as WoKind, Severity},
        work_order::{CachedBranch, CustomerInfo, Opening, open},
    },
    store,
};

/// What an event changes here, besides opening cases.
enum Effect {
    /// One more completed visit at a branch on a day.
    Visit { branch: CachedBranch, day: String },
    /// A fresh copy of a branch.
    Branch(CachedBranch),
}

/// The consumer name under which the position is stored.
pub const CONSUMER: &str = "scheduling-events";

impl Complaints {
    /// Follows scheduling's events until `stop` resolves (see [`kit_events::follow`]).
    pub async fn run_feed(self, stop: impl Future<Output = ()>) {
        kit_events::follow(
            &self.db,
            CONSUMER,
            |after| self.directory.events(after),
            |event| self.apply_scheduling_event(event),
            stop,
        )
        .await;
    }

    /// Applies one event, at most once.
    pub async fn apply_scheduling_event(&self, event: sched::SchedulingEvent) -> Result<()> {
        let position = event.position;
        let at = event
            .occurred_at
            .map(|t| from_micros(t.seconds * 1_000_000 + i64::from(t.nanos) / 1000));
        match event.kind {
            Some(Kind::WaitPromiseBreached(b)) => self.open_recovery_case(position, b).await,
            Some(Kind::VisitCompleted(_)) => {
                let day = at
                    .unwrap_or_else(|| self.now())
                    .to_zoned_datetime(shanghai())
                    .date()
                    .to_string();
                let branch = self.branch_by_id(&event.branch_id).await?;
                self.claimed(position, &Effect::Visit { branch, day }).await
            }
            Some(Kind::BranchChanged(c)) => {
                let id = c.branch.map(|b| b.branch_id).unwrap_or_default();
                match self.directory.branch(&id).await? {
                    Some(fresh) => {
                        // Whichever replica stores it, each one keeps the new copy.
                        self.claimed(position, &Effect::Branch(fresh.clone()))
                            .await?;
                        self.remember(&fresh);
                        Ok(())
                    }
                    None => Ok(()),
                }
            }
            // Bookings, check-ins and the rest change nothing here; the position moves on
            // with the next event that does.
            _ => Ok(()),
        }
    }

    /// Applies `effect` in a transaction that claims `position`; nothing when it was
    /// applied before.
    async fn claimed(&self, position: u64, effect: &Effect) -> Result<()> {
        let now = self.now();
        retry(|| async {
            let Some(mut tx) = begin_claimed(&self.db, CONSUMER, position, to_micros(now)).await?
            else {
                return Ok(());
            };
            match effect {
                Effect::Visit { branch, day } => {
                    let b = &branch.info;
                    store::figures::add_visit(&mut tx, &b.id, &b.province, &b.region_path(), day)
                        .await?;
                }
                Effect::Branch(fresh) => store::branches::upsert(&mut tx, fresh, now).await?,
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// One case per visit: the first broken promise opens it, due for the branch
    /// director's decision; later ones (another item of the same visit) are added to its
    /// timeline.
    async fn open_recovery_case(&self, position: u64, b: sched::WaitPromiseBreached) -> Result<()> {
        let branch_ref = b.branch.clone().unwrap_or_default();
        let mut conn = self.conn().await?;
        let branch = self.branch(&mut conn, &branch_ref.branch_id).await?;
        drop(conn);
        let policy = self.policy(Severity::High).await?;
        let now = self.now();
        let customer = b.customer.clone().unwrap_or_default();
        let source = format!("visit:{}", b.appointment_id);
        let summary = if b.scope == sched::WaitScope::WholeVisit as i32 {
            format!(
                "Wait promise broken: {} minutes of waiting over the visit, past the {} promised",
                b.waited_minutes, b.promise_minutes
            )
        } else {
            format!(
                "Wait promise broken: {} waited past {} minutes",
                b.exam_item_name, b.promise_minutes
            )
        };
        let opening = Opening {
            request_id: format!("auto:{source}"),
            channel: Channel::Automatic,
            kind: WoKind::Complaint,
            category: Category::WaitingTime,
            severity: Severity::High,
            customer: CustomerInfo {
                customer_id: customer.customer_id.clone(),
                name: customer.name.clone(),
                phone: String::new(),
                masked: customer.phone_masked.clone(),
            },
            branch: branch.info.clone(),
            appointment_id: b.appointment_id.clone(),
            staff_ids: Vec::new(),
            summary,
            description: format!(
                "Opened automatically when the wait for {} passed the branch's promise of {} \
                 minutes. Awaiting the branch director's decision on service recovery \
                 (a complimentary exam item).",
                b.exam_item_name, b.promise_minutes
            ),
            source: Some(source.clone()),
        };
        let wo = open(new_id("wo"), opening, &policy, &branch.calendar, now);
        let claimed_now = to_micros(now);
        let opened = retry(|| async {
            let Some(mut tx) = begin_claimed(&self.db, CONSUMER, position, claimed_now).await?
            else {
                return Ok(None);
            };
            let line = format!(
                "{} (entry {}) waited past the {}-minute promise",
                b.exam_item_name, b.entry_id, b.promise_minutes
            );
            let result = match store::work_orders::insert(&mut tx, &wo).await? {
                Some(seq) => {
                    let mut wo = wo.clone();
                    wo.seq = seq;
                    store::timeline::append(
                        &mut tx,
                        &wo.id,
                        now,
                        SYSTEM,
                        "opened",
                        &format!(
                            "service-recovery case: {line}; awaiting the branch director's decision"
                        ),
                    )
                    .await?;
                    events::publish(&mut tx, &wo, now, events::opened(&wo)).await?;
                    Some(wo)
                }
                None => {
                    let existing = store::work_orders::by_source(&mut tx, &source)
                        .await?
                        .ok_or_else(|| Error::Aborted("case being opened concurrently".into()))?;
                    store::timeline::append(
                        &mut tx,
                        &existing.id,
                        now,
                        SYSTEM,
                        "wait_promise_breached",
                        &line,
                    )
                    .await?;
                    None
                }
            };
            tx.commit().await?;
            Ok(result)
        })
        .await?;
        if let Some(wo) = opened {
            self.outbox.notify();
            tracing::info!(work_order = %wo.id, number = %wo.number(), appointment = %wo.appointment_id, "service-recovery case opened");
        }
        Ok(())
    }
}

fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC)
}
