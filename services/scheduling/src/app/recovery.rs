//! Service recovery: a complimentary exam item added to a customer's appointment, usually by
//! the complaints service after a branch director granted it for a broken wait promise.
//!
//! Exactly once per `request_id`, however the caller retries: a retry finds the grant by its
//! request id and answers with it; concurrent first attempts meet at the appointment's
//! conditional version update (one wins, the others look again and find the grant) and, as
//! the backstop, at the table's unique constraints.

use hospital_proto::scheduling as pb;
use service_kit::{
    Error, Result,
    auth::Principal,
    clock::{from_micros, to_micros},
    db::{Tx, retry},
    requests::{replay_on_failure, with_request_id},
};

use super::{
    Scheduling, audit, events, roles,
    route::{new_entry, replan, save_changed},
};
use crate::{
    domain::{
        appointment::{Appointment, Status},
        catalogue::ExamItem,
        complimentary::{self, ComplimentaryItem, GrantInput},
    },
    store,
};

/// A complimentary item to add.
#[derive(Debug, Clone)]
pub struct AddComplimentary {
    /// Idempotency key (the complaints service passes its grant id).
    pub request_id: String,
    /// Appointment.
    pub appointment_id: String,
    /// Exam item to give.
    pub exam_item_id: String,
    /// Who authorised it.
    pub authorised_by: String,
    /// `group`, `region:<path>` or `branch:<id>`.
    pub cost_bearer: String,
    /// What it settles.
    pub reference: String,
}

/// A grant, with the appointment as it stands and every item given on it.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The item this request added (or added the first time).
    pub item: ComplimentaryItem,
    /// The appointment.
    pub appointment: Appointment,
    /// All its complimentary items, oldest first.
    pub items: Vec<ComplimentaryItem>,
}

/// How often a grant looks again after a concurrent change to the appointment.
const ATTEMPTS: usize = 5;

fn changed_concurrently(e: &Error) -> bool {
    matches!(e, Error::Aborted(_)) && !e.is_transient()
}

/// `current` one version on, changed at `now`.
pub(super) fn next_version(current: &Appointment, now: jiff::Timestamp) -> Appointment {
    let mut next = current.clone();
    next.version += 1;
    next.updated_at = now;
    next
}

impl Scheduling {
    /// Adds a complimentary item to a booked appointment (it joins the visit at check-in) or
    /// to a visit under way (it joins the route at once). A repeated `request_id` returns
    /// the first grant and adds nothing.
    pub async fn add_complimentary_item(
        &self,
        p: &Principal,
        cmd: AddComplimentary,
    ) -> Result<Granted> {
        p.require_role(roles::RECOVERY, "add complimentary items")?;
        let input = GrantInput {
            appointment_id: &cmd.appointment_id,
            exam_item_id: &cmd.exam_item_id,
            authorised_by: &cmd.authorised_by,
            cost_bearer: &cmd.cost_bearer,
            reference: &cmd.reference,
        };
        let cost_bearer = with_request_id(&cmd.request_id, complimentary::validate_grant(&input))?;
        for _ in 0..ATTEMPTS {
            if let Some(done) = self.replay_grant(p, &cmd).await? {
                return Ok(done);
            }
            // As stored, so the first answer and every replay carry the same instant.
            let now = from_micros(to_micros(self.clock.now()));
            let item = ComplimentaryItem {
                request_id: cmd.request_id.clone(),
                appointment_id: cmd.appointment_id.clone(),
                exam_item_id: cmd.exam_item_id.clone(),
                exam_item_name: String::new(),
                authorised_by: cmd.authorised_by.trim().to_owned(),
                cost_bearer: cost_bearer.clone(),
                reference: cmd.reference.trim().to_owned(),
                added_at: now,
            };
            // Whatever an attempt runs into (a unique constraint, the item already given,
            // the visit completed since), a concurrent attempt of the same request may have
            // gone through: then the answer is that grant.
            let lookup = || self.replay_grant(p, &cmd);
            match replay_on_failure(self.try_grant(p, item), lookup).await {
                Ok(granted) => return Ok(granted.into_inner()),
                // The appointment or its visit moved on since it was read: look again.
                Err(e) if changed_concurrently(&e) => continue,
                Err(Error::AlreadyExists(_)) => {
                    return Err(Error::FailedPrecondition(format!(
                        "exam item {} was already given on appointment {}",
                        cmd.exam_item_id, cmd.appointment_id
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Aborted(
            "the appointment keeps changing; try again".into(),
        ))
    }

    /// The answer to a repeated request: the stored grant, when there is one.
    async fn replay_grant(&self, p: &Principal, cmd: &AddComplimentary) -> Result<Option<Granted>> {
        let existing = store::complimentary::get(&mut *self.conn().await?, &cmd.request_id).await?;
        let Some(item) = existing else {
            return Ok(None);
        };
        if item.appointment_id != cmd.appointment_id || item.exam_item_id != cmd.exam_item_id {
            return Err(Error::invalid(
                "request_id",
                "already used for a different complimentary item",
            ));
        }
        let (appointment, items) = self.appointment_detail(p, &item.appointment_id).await?;
        Ok(Some(Granted {
            item,
            appointment,
            items,
        }))
    }

    /// One attempt: read, check the rules, write in one transaction.
    async fn try_grant(&self, p: &Principal, mut item: ComplimentaryItem) -> Result<Granted> {
        let (current, exam_item, granted) = self
            .read_for_grant(p, &item.appointment_id, &item.exam_item_id)
            .await?;
        item.exam_item_name = exam_item.name.clone();
        let now = item.added_at;
        let next = next_version(&current, now);
        retry(|| async {
            let mut tx = self.db.begin().await?;
            self.write_grant(&mut tx, p, &current, &next, &item, &exam_item)
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.outbox.notify();
        tracing::info!(
            appointment = %next.id,
            item = %item.exam_item_id,
            cost_bearer = %item.cost_bearer,
            "complimentary item added"
        );
        let mut items = granted;
        items.push(item.clone());
        Ok(Granted {
            item,
            appointment: next,
            items,
        })
    }

    /// The appointment (in the caller's scope), the exam item and the items already given,
    /// once the rules allow giving this item on this appointment.
    pub(super) async fn read_for_grant(
        &self,
        p: &Principal,
        appointment_id: &str,
        exam_item_id: &str,
    ) -> Result<(Appointment, ExamItem, Vec<ComplimentaryItem>)> {
        let current = self.get_appointment(p, appointment_id).await?;
        let mut conn = self.conn().await?;
        let exam_item = store::catalogue::items_by_ids(&mut conn, &[exam_item_id.to_owned()])
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("exam item {exam_item_id}")))?;
        let package = self.package(&mut conn, &current.package_id).await?;
        let granted = store::complimentary::of_appointment(&mut conn, &current.id).await?;
        let entries = store::visits::of_appointment(&mut conn, &current.id).await?;
        drop(conn);
        let mut in_visit: Vec<&str> = package.items.iter().map(|i| i.id.as_str()).collect();
        in_visit.extend(entries.iter().map(|e| e.exam_item_id.as_str()));
        complimentary::can_add_complimentary(&current, &exam_item, &in_visit, &granted)?;
        Ok((current, exam_item, granted))
    }

    /// In `tx`: records `item` on the appointment (moving it from `current` to `next`) and,
    /// on a visit under way, adds it to the route at once; with its audit line and event.
    pub(super) async fn write_grant(
        &self,
        tx: &mut Tx,
        p: &Principal,
        current: &Appointment,
        next: &Appointment,
        item: &ComplimentaryItem,
        exam_item: &ExamItem,
    ) -> Result<()> {
        let now = item.added_at;
        // The version bump orders this grant with check-in, completion and other grants
        // of the appointment: whichever comes second finds the version moved.
        if !store::appointments::update_status(tx, next, current.version, current.status).await? {
            return Err(Error::Aborted(
                "the appointment was changed concurrently".into(),
            ));
        }
        store::complimentary::insert(tx, item).await?;
        if current.status == Status::CheckedIn {
            // Entries change without the appointment's version (stations calling and
            // completing), so the route is planned from what the transaction sees.
            let mut entries = store::visits::of_appointment(tx, &next.id).await?;
            entries.push(new_entry(next, exam_item, true));
            let added = entries.len() - 1;
            let changed = replan(tx, &mut entries, now).await?;
            store::visits::insert(tx, &entries[added..]).await?;
            let moved: Vec<_> = changed.into_iter().filter(|(i, _)| *i != added).collect();
            save_changed(tx, &entries, &moved).await?;
        }
        audit(
            tx,
            &next.id,
            now,
            &p.subject,
            "complimentary_item_added",
            item.audit_detail(),
        )
        .await?;
        let kind = events::Kind::ComplimentaryItemAdded(pb::ComplimentaryItemAdded {
            appointment_id: next.id.clone(),
            exam_item_id: item.exam_item_id.clone(),
            exam_item_name: item.exam_item_name.clone(),
            cost_bearer: item.cost_bearer.to_string(),
            reference: item.reference.clone(),
        });
        events::publish_for(tx, next, now, kind).await?;
        Ok(())
    }

    /// One appointment in the caller's scope, with its complimentary items.
    pub async fn appointment_detail(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(Appointment, Vec<ComplimentaryItem>)> {
        let appointment = self.get_appointment(p, id).await?;
        let items = store::complimentary::of_appointment(&mut *self.conn().await?, id).await?;
        Ok((appointment, items))
    }
}
