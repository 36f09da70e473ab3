//! The consumer of scheduling's events: broken wait promises and the branch's recovery
//! decisions feed the recovery figures (the case itself is decided in scheduling, on the
//! spot, not as a work order), a completed visit counts towards complaints per 10,000
//! visits, a changed branch refreshes the local copy. The position is claimed in the same
//! transaction as the effect, so each event takes effect once across restarts of either
//! service and across replicas.

use hospital_proto::scheduling::{self as sched, scheduling_event::Kind};
use jiff::tz::TimeZone;
use service_kit::{
    Result,
    clock::{from_micros, proto_micros, to_micros},
    db::retry,
    events::{self as kit_events, begin_claimed},
};

use super::Complaints;
use crate::{
    domain::work_order::CachedBranch,
    store::{
        self,
        recovery_figures::{self as rec, Place},
    },
};

/// What an event changes here.
enum Effect {
    /// A broken wait promise, and the recovery case it opened.
    Breach {
        place: Place,
        breach: rec::Breach,
        opened: Option<rec::Case>,
    },
    /// A decision on a recovery case.
    Decision {
        place: Place,
        case: rec::Case,
        decision: rec::Decision,
    },
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
        let at = event.occurred_at.map(|t| from_micros(proto_micros(&t)));
        match event.kind {
            Some(Kind::WaitPromiseBreached(b)) => {
                let place = self.place(&event.branch_id).await?;
                self.claimed(position, &breach_effect(place, b)).await
            }
            Some(Kind::RecoveryDecided(d)) => {
                let place = self.place(&event.branch_id).await?;
                self.claimed(position, &decision_effect(place, d)).await
            }
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

    async fn place(&self, branch_id: &str) -> Result<Place> {
        let b = self.branch_by_id(branch_id).await?.info;
        Ok(Place {
            branch_id: b.id.clone(),
            province: b.province.clone(),
            region_path: b.region_path(),
        })
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
                Effect::Breach {
                    place,
                    breach,
                    opened,
                } => rec::add_breach(&mut tx, place, breach, opened.as_ref()).await?,
                Effect::Decision {
                    place,
                    case,
                    decision,
                } => rec::add_decision(&mut tx, position, place, case, decision).await?,
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}

/// `WHOLE_VISIT` for `WAIT_SCOPE_WHOLE_VISIT`: an enum's wire name without its prefix.
fn bare(wire: &str, prefix: &str) -> String {
    wire.strip_prefix(prefix).unwrap_or(wire).to_owned()
}

fn micros(t: Option<prost_types::Timestamp>) -> i64 {
    t.as_ref().map(proto_micros).unwrap_or(0)
}

fn scope_name(scope: i32) -> String {
    // Producers older than the field meant a per-item promise.
    match sched::WaitScope::try_from(scope) {
        Ok(sched::WaitScope::WholeVisit) => "WHOLE_VISIT".into(),
        _ => "EXAM_ITEM".into(),
    }
}

fn breach_effect(place: Place, b: sched::WaitPromiseBreached) -> Effect {
    let scope = scope_name(b.scope);
    let breached_at = micros(b.breached_at);
    let opened = (!b.recovery_case_id.is_empty()).then(|| rec::Case {
        case_id: b.recovery_case_id.clone(),
        appointment_id: b.appointment_id.clone(),
        trigger: scope.clone(),
        breached_at,
        decide_by: micros(b.decide_by),
    });
    Effect::Breach {
        place,
        breach: rec::Breach {
            appointment_id: b.appointment_id,
            entry_id: b.entry_id,
            scope,
            breached_at,
        },
        opened,
    }
}

fn decision_effect(place: Place, d: sched::RecoveryDecided) -> Effect {
    let name = |r: Option<&str>, prefix: &str| r.map(|n| bare(n, prefix)).unwrap_or_default();
    let decision = name(
        sched::RecoveryDecision::try_from(d.decision)
            .ok()
            .map(|e| e.as_str_name()),
        "RECOVERY_DECISION_",
    );
    let reason = if decision == "NOT_GIVEN" {
        name(
            sched::NotGivenReason::try_from(d.reason)
                .ok()
                .map(|e| e.as_str_name()),
            "NOT_GIVEN_REASON_",
        )
    } else {
        String::new()
    };
    let delivery = if decision == "GRANTED" {
        name(
            sched::GiftDelivery::try_from(d.delivery)
                .ok()
                .map(|e| e.as_str_name()),
            "GIFT_DELIVERY_",
        )
    } else {
        String::new()
    };
    let value = d.value.unwrap_or_default();
    Effect::Decision {
        place,
        case: rec::Case {
            case_id: d.case_id,
            appointment_id: d.appointment_id,
            trigger: scope_name(d.trigger),
            breached_at: micros(d.breached_at),
            decide_by: micros(d.decide_by),
        },
        decision: rec::Decision {
            decided_at: micros(d.decided_at),
            decision,
            reason,
            delivery,
            decided_by: d.decided_by,
            cost_bearer: d.cost_bearer,
            currency: value.currency_code,
            value_minor: value.minor_units,
        },
    }
}

fn shanghai() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC)
}
