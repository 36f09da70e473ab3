//! The visit (检中): check-in, stations working their queues, the wait promise.

use hospital_proto::scheduling as pb;
use jiff::Timestamp;
use service_kit::{
    Error, Result,
    auth::Principal,
    clock::to_proto,
    db::{Tx, retry},
};

use super::{
    Scheduling, audit, events, roles,
    route::{self, new_entry, replan, save_changed},
};
use crate::{
    domain::{
        appointment::{self, Appointment, Status},
        branch::Branch,
        recovery::Trigger,
        visit::{self, EntryStatus, QueueEntry},
    },
    store,
};

/// A visit: the appointment and its queue entries, by route position.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The appointment.
    pub appointment: Appointment,
    /// Its entries.
    pub entries: Vec<QueueEntry>,
}

impl Scheduling {
    /// Checks the customer in: one queue entry per exam item of the package and per
    /// complimentary item granted while booked, the route planned, the first item's queue
    /// joined.
    pub async fn check_in(&self, p: &Principal, appointment_id: &str) -> Result<Visit> {
        p.require_role(roles::FRONT_DESK, "check customers in")?;
        let current = self.get_appointment(p, appointment_id).await?;
        let mut conn = self.conn().await?;
        let branch = self
            .branch_in_scope(&mut conn, p, &current.branch_id)
            .await?;
        let package = self.package(&mut conn, &current.package_id).await?;
        drop(conn);
        let now = self.clock.now();
        appointment::can_check_in(&current, &branch, now)?;
        let mut next = current.clone();
        next.status = Status::CheckedIn;
        next.checked_in_at = Some(now);
        next.version += 1;
        next.updated_at = now;
        let template: Vec<QueueEntry> = package
            .items
            .iter()
            .map(|item| new_entry(&next, item, false))
            .collect();
        let entries = retry(|| async {
            let mut entries = template.clone();
            let mut tx = self.db.begin().await?;
            if !store::appointments::update_status(&mut tx, &next, current.version, Status::Booked)
                .await?
            {
                return Err(Error::Aborted(
                    "the appointment was changed concurrently; read it again".into(),
                ));
            }
            // Read after the conditional update, so a grant cannot slip in between.
            let gifts = route::entries_at_check_in(&mut tx, &next, &entries).await?;
            entries.extend(gifts);
            replan(&mut tx, &mut entries, now).await?;
            store::visits::insert(&mut tx, &entries).await?;
            audit(
                &mut tx,
                &next.id,
                now,
                &p.subject,
                "checked_in",
                format!("{} exam items", entries.len()),
            )
            .await?;
            let kind = events::Kind::CheckedIn(pb::CheckedIn {
                appointment_id: next.id.clone(),
                customer: Some(events::customer_ref(&next)),
                exam_item_ids: entries.iter().map(|e| e.exam_item_id.clone()).collect(),
            });
            events::publish_for(&mut tx, &next, now, kind).await?;
            tx.commit().await?;
            Ok(entries)
        })
        .await?;
        self.outbox.notify();
        let mut entries = entries;
        entries.sort_by_key(|e| e.route_position);
        Ok(Visit {
            appointment: next,
            entries,
        })
    }

    /// The visit of a checked-in (or completed) appointment.
    pub async fn get_visit(&self, p: &Principal, appointment_id: &str) -> Result<Visit> {
        let appointment = self.get_appointment(p, appointment_id).await?;
        let entries =
            store::visits::of_appointment(&mut *self.conn().await?, appointment_id).await?;
        if entries.is_empty() {
            return Err(Error::FailedPrecondition(
                "the customer has not checked in".into(),
            ));
        }
        Ok(Visit {
            appointment,
            entries,
        })
    }

    /// A station calls the customer waiting longest for its exam item; `None` when nobody
    /// waits.
    pub async fn call_next(
        &self,
        p: &Principal,
        branch_id: &str,
        exam_item_id: &str,
    ) -> Result<Option<QueueEntry>> {
        p.require_role(roles::STATION, "call customers")?;
        let branch = self.get_branch(p, branch_id).await?;
        // Two stations of one item may call at once: the conditional update lets one have
        // each customer; the other tries the next in line.
        for _ in 0..5 {
            let now = self.clock.now();
            let mut tx = self.db.begin().await?;
            let Some(waiting) =
                store::visits::longest_waiting(&mut tx, branch_id, exam_item_id).await?
            else {
                return Ok(None);
            };
            let mut called = waiting.clone();
            visit::check_step(&called, EntryStatus::Called)?;
            called.status = EntryStatus::Called;
            called.called_at = Some(now);
            if !store::visits::update(&mut tx, &called, EntryStatus::Waiting).await? {
                continue;
            }
            if self
                .breach_if_broken(&mut tx, &branch, &called, now)
                .await?
            {
                called.breached_at = Some(now);
            } else if called.breached_at.is_none()
                && called.waiting_since.is_some_and(|since| {
                    visit::promise_broken(since, now, branch.wait_promise_minutes)
                })
            {
                // A sweeper flagged it after it was read: the answer shows the stored
                // breach rather than claiming the promise held.
                called.breached_at = store::visits::get(&mut tx, &called.id)
                    .await?
                    .and_then(|e| e.breached_at);
            }
            // The wait just ended may be the one that took the visit past its promise.
            let entries = store::visits::of_appointment(&mut tx, &called.appointment_id).await?;
            self.visit_breach_if_broken(&mut tx, &branch, &called, &entries, now)
                .await?;
            audit(
                &mut tx,
                &called.appointment_id,
                now,
                &p.subject,
                "called",
                called.exam_item_name.clone(),
            )
            .await?;
            tx.commit().await?;
            self.outbox.notify();
            return Ok(Some(called));
        }
        Err(Error::Aborted(
            "the queue is moving fast; call again".into(),
        ))
    }

    /// The exam starts.
    pub async fn start_item(&self, p: &Principal, entry_id: &str) -> Result<QueueEntry> {
        p.require_role(roles::STATION, "start exam items")?;
        let entry = self.entry_in_scope(p, entry_id).await?;
        visit::check_step(&entry, EntryStatus::InProgress)?;
        let now = self.clock.now();
        let mut started = entry.clone();
        started.status = EntryStatus::InProgress;
        started.started_at = Some(now);
        let mut tx = self.db.begin().await?;
        if !store::visits::update(&mut tx, &started, entry.status).await? {
            return Err(Error::Aborted(
                "the exam item was changed concurrently".into(),
            ));
        }
        audit(
            &mut tx,
            &started.appointment_id,
            now,
            &p.subject,
            "started",
            started.exam_item_name.clone(),
        )
        .await?;
        tx.commit().await?;
        Ok(started)
    }

    /// The exam is done: the customer joins the next item's queue (re-planned against the
    /// queues as they are now), or the visit completes.
    pub async fn complete_item(&self, p: &Principal, entry_id: &str) -> Result<Visit> {
        p.require_role(roles::STATION, "complete exam items")?;
        let entry = self.entry_in_scope(p, entry_id).await?;
        visit::check_step(&entry, EntryStatus::Done)?;
        let appointment = self.get_appointment(p, &entry.appointment_id).await?;
        let now = self.clock.now();
        let done = retry(|| async {
            let mut tx = self.db.begin().await?;
            let mut entries = store::visits::of_appointment(&mut tx, &entry.appointment_id).await?;
            let idx = entries
                .iter()
                .position(|e| e.id == entry.id)
                .ok_or_else(|| Error::NotFound(format!("queue entry {}", entry.id)))?;
            let from = entries[idx].status;
            visit::check_step(&entries[idx], EntryStatus::Done)?;
            entries[idx].status = EntryStatus::Done;
            entries[idx].completed_at = Some(now);
            if !store::visits::update(&mut tx, &entries[idx], from).await? {
                return Err(Error::Aborted(
                    "the exam item was changed concurrently".into(),
                ));
            }
            let finished = &entries[idx];
            audit(
                &mut tx,
                &finished.appointment_id,
                now,
                &p.subject,
                "completed",
                finished.exam_item_name.clone(),
            )
            .await?;
            let kind = events::Kind::ExamItemCompleted(pb::ExamItemCompleted {
                appointment_id: finished.appointment_id.clone(),
                entry_id: finished.id.clone(),
                exam_item_id: finished.exam_item_id.clone(),
                waited_minutes: finished.waited_minutes(now),
            });
            events::publish_for(&mut tx, &appointment, now, kind).await?;
            let mut apt = appointment.clone();
            if entries.iter().all(|e| e.status == EntryStatus::Done) {
                apt.status = Status::Completed;
                apt.version += 1;
                apt.updated_at = now;
                if !store::appointments::update_status(
                    &mut tx,
                    &apt,
                    appointment.version,
                    Status::CheckedIn,
                )
                .await?
                {
                    return Err(Error::Aborted(
                        "the appointment was changed concurrently".into(),
                    ));
                }
                audit(
                    &mut tx,
                    &apt.id,
                    now,
                    &p.subject,
                    "visit_completed",
                    String::new(),
                )
                .await?;
                let kind = events::Kind::VisitCompleted(pb::VisitCompleted {
                    appointment_id: apt.id.clone(),
                    customer: Some(events::customer_ref(&apt)),
                });
                events::publish_for(&mut tx, &apt, now, kind).await?;
            } else {
                let changed = replan(&mut tx, &mut entries, now).await?;
                save_changed(&mut tx, &entries, &changed).await?;
            }
            tx.commit().await?;
            entries.sort_by_key(|e| e.route_position);
            Ok(Visit {
                appointment: apt,
                entries,
            })
        })
        .await?;
        self.outbox.notify();
        Ok(done)
    }

    /// Flags every wait that has run past its branch's promise and publishes
    /// `WaitPromiseBreached` for each, once. Returns how many it flagged.
    pub async fn sweep_wait_promises(&self) -> Result<u32> {
        const BATCH: i64 = 200;
        let now = self.clock.now();
        let mut flagged = 0;
        loop {
            let overdue = store::visits::overdue(&mut *self.conn().await?, now, BATCH).await?;
            let full = overdue.len() as i64 == BATCH;
            let mut progressed = false;
            for o in overdue {
                let mut tx = self.db.begin().await?;
                let Some(entry) = store::visits::get(&mut tx, &o.entry_id).await? else {
                    continue;
                };
                let Some(branch) = store::branches::get(&mut tx, &entry.branch_id).await? else {
                    continue;
                };
                if self.breach_if_broken(&mut tx, &branch, &entry, now).await? {
                    flagged += 1;
                    progressed = true;
                }
                tx.commit().await?;
            }
            // Another sweeper may have flagged the same batch; stop rather than spin.
            if !full || !progressed {
                break;
            }
        }
        flagged += self.sweep_visit_waits(now).await?;
        if flagged > 0 {
            self.outbox.notify();
        }
        Ok(flagged)
    }

    /// Flags every visit whose customer is waiting and whose waits, added up, have run past
    /// the branch's whole-visit promise; returns how many it flagged.
    async fn sweep_visit_waits(&self, now: Timestamp) -> Result<u32> {
        const BATCH: i64 = 200;
        let mut flagged = 0;
        loop {
            let over =
                store::visits::visits_over_promise(&mut *self.conn().await?, now, BATCH).await?;
            let full = over.len() as i64 == BATCH;
            let mut progressed = false;
            for appointment_id in over {
                let mut tx = self.db.begin().await?;
                let entries = store::visits::of_appointment(&mut tx, &appointment_id).await?;
                // Checked while the customer is still waiting: the entry they wait in.
                let Some(waiting) = entries.iter().find(|e| e.status == EntryStatus::Waiting)
                else {
                    continue;
                };
                let Some(branch) = store::branches::get(&mut tx, &waiting.branch_id).await? else {
                    continue;
                };
                if self
                    .visit_breach_if_broken(&mut tx, &branch, waiting, &entries, now)
                    .await?
                {
                    flagged += 1;
                    progressed = true;
                }
                tx.commit().await?;
            }
            if !full || !progressed {
                break;
            }
        }
        Ok(flagged)
    }

    /// In `tx`: if `entry`'s wait has broken the promise and nobody flagged it yet, flags it
    /// and publishes the breach. The conditional flag makes this once per entry, however
    /// many sweepers and stations race.
    async fn breach_if_broken(
        &self,
        tx: &mut Tx,
        branch: &Branch,
        entry: &QueueEntry,
        now: Timestamp,
    ) -> Result<bool> {
        let Some(since) = entry.waiting_since else {
            return Ok(false);
        };
        let until = entry.called_at.unwrap_or(now);
        if entry.breached_at.is_some()
            || !visit::promise_broken(since, until, branch.wait_promise_minutes)
        {
            return Ok(false);
        }
        if !store::visits::flag_breach(tx, &entry.id, now).await? {
            return Ok(false);
        }
        let apt = store::appointments::get(tx, &entry.appointment_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("appointment {}", entry.appointment_id)))?;
        tracing::info!(appointment = %apt.id, item = %entry.exam_item_id, "wait promise breached");
        let case = self
            .open_recovery_case(tx, &apt, Trigger::ExamItem, now)
            .await?;
        let kind = events::Kind::WaitPromiseBreached(pb::WaitPromiseBreached {
            appointment_id: apt.id.clone(),
            entry_id: entry.id.clone(),
            exam_item_id: entry.exam_item_id.clone(),
            exam_item_name: entry.exam_item_name.clone(),
            branch: Some(events::branch_ref(branch)),
            customer: Some(events::customer_ref(&apt)),
            promise_minutes: branch.wait_promise_minutes,
            waiting_since: Some(to_proto(since)),
            breached_at: Some(to_proto(now)),
            scope: pb::WaitScope::ExamItem as i32,
            waited_minutes: entry.waited_minutes(until),
            recovery_case_id: case.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
            decide_by: case.as_ref().map(|c| to_proto(c.decide_by)),
        });
        events::publish_for(tx, &apt, now, kind).await?;
        Ok(true)
    }

    /// In `tx`: if the waits of `entry`'s visit, added up, have broken the branch's
    /// whole-visit promise and nobody flagged it yet, flags the visit and publishes the
    /// breach, naming `entry` (the wait the customer is in, or was just called from);
    /// `entries` are the visit's, as `tx` sees them.
    /// Once per visit, however many sweepers and stations race.
    async fn visit_breach_if_broken(
        &self,
        tx: &mut Tx,
        branch: &Branch,
        entry: &QueueEntry,
        entries: &[QueueEntry],
        now: Timestamp,
    ) -> Result<bool> {
        if !visit::visit_promise_broken(entries, now, branch.visit_wait_promise_minutes) {
            return Ok(false);
        }
        if !store::visits::flag_visit_breach(tx, &entry.appointment_id, now).await? {
            return Ok(false);
        }
        let apt = store::appointments::get(tx, &entry.appointment_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("appointment {}", entry.appointment_id)))?;
        let waited = visit::whole_minutes(visit::visit_waited(entries, now));
        tracing::info!(appointment = %apt.id, waited_minutes = waited, "whole-visit wait promise breached");
        let case = self
            .open_recovery_case(tx, &apt, Trigger::WholeVisit, now)
            .await?;
        let kind = events::Kind::WaitPromiseBreached(pb::WaitPromiseBreached {
            appointment_id: apt.id.clone(),
            entry_id: entry.id.clone(),
            exam_item_id: entry.exam_item_id.clone(),
            exam_item_name: entry.exam_item_name.clone(),
            branch: Some(events::branch_ref(branch)),
            customer: Some(events::customer_ref(&apt)),
            promise_minutes: branch.visit_wait_promise_minutes,
            waiting_since: entry.waiting_since.map(to_proto),
            breached_at: Some(to_proto(now)),
            scope: pb::WaitScope::WholeVisit as i32,
            waited_minutes: waited,
            recovery_case_id: case.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
            decide_by: case.as_ref().map(|c| to_proto(c.decide_by)),
        });
        events::publish_for(tx, &apt, now, kind).await?;
        Ok(true)
    }

    async fn entry_in_scope(&self, p: &Principal, entry_id: &str) -> Result<QueueEntry> {
        let mut conn = self.conn().await?;
        let entry = store::visits::get(&mut conn, entry_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("queue entry {entry_id}")))?;
        self.branch_in_scope(&mut conn, p, &entry.branch_id).await?;
        Ok(entry)
    }
}
