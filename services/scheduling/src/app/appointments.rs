//! Appointment use cases. Every change runs in one transaction with its audit line and its
//! event; places are taken by the database's conditional update, never by read-then-write.

use hospital_proto::scheduling as pb;
use jiff::civil::Date;
use service_kit::{
    Error, Result,
    auth::Principal,
    clock::to_proto,
    db::{Backend, retry},
    error::Violations,
    ids::new_id,
    requests::{Page, check_request_id, next_page_token, page, replay_on_failure},
};

use super::{Scheduling, audit, events, roles};
use crate::{
    domain::{
        appointment::{self, Appointment, CancelReason, Change, Status},
        calendar,
        customer::Customer,
    },
    store::{self, appointments::Outcome},
};

/// A booking request.
#[derive(Debug, Clone)]
pub struct BookCommand {
    /// Idempotency key.
    pub request_id: String,
    /// Slot.
    pub slot_id: String,
    /// Package.
    pub package_id: String,
    /// Who.
    pub customer: Customer,
}

/// Filters for listing appointments.
#[derive(Debug, Clone, Default)]
pub struct ListAppointments {
    /// Branch ("" for all in scope).
    pub branch_id: String,
    /// Local date.
    pub date: Option<Date>,
    /// Status.
    pub status: Option<Status>,
    /// Full phone.
    pub phone: String,
    /// Requested size.
    pub page_size: i32,
    /// Token.
    pub page_token: String,
}

fn moved_on() -> Error {
    Error::Aborted("the appointment was changed concurrently; read it again".into())
}

impl Scheduling {
    /// Books a place. A repeated `request_id` returns the first booking and takes no
    /// second place.
    pub async fn book(&self, p: &Principal, cmd: BookCommand) -> Result<Appointment> {
        p.require_role(roles::BOOKING, "book appointments")?;
        let mut v = Violations::new();
        check_request_id(&cmd.request_id, &mut v);
        v.into_result()?;
        // A retry whose first attempt went through gets the first booking, whatever this
        // attempt ran into. Looking it up only on failure keeps the common path to one
        // read and one transaction.
        let lookup = || async {
            let existing =
                store::appointments::get_by_request(&mut *self.conn().await?, &cmd.request_id)
                    .await?;
            existing.map(|e| replay(p, e, &cmd)).transpose()
        };
        Ok(replay_on_failure(self.try_book(p, &cmd), lookup)
            .await?
            .into_inner())
    }

    async fn try_book(&self, p: &Principal, cmd: &BookCommand) -> Result<Appointment> {
        // The first attempt checks the rules against cached copies of the slot and its
        // branch, so the common booking is one round trip; the statement writes only if the
        // branch is still at the cached version. If it has changed, one more attempt runs
        // on copies read afresh.
        let mut fresh = false;
        loop {
            let (slot, branch) = self.slot_and_branch(&cmd.slot_id, fresh).await?;
            p.check_branch(&branch.id, &branch.region.path())?;
            let package = self.cached_package(&cmd.package_id).await?;
            let now = self.clock.now();
            calendar::check_bookable(&branch, &package, &slot, now)?;
            let apt = Appointment {
                id: new_id("apt"),
                request_id: cmd.request_id.clone(),
                branch_id: branch.id.clone(),
                region_path: branch.region.path(),
                slot: (*slot).clone(),
                package_id: package.id.clone(),
                customer: cmd.customer.clone(),
                status: Status::Booked,
                cancel_reason: None,
                cancel_note: String::new(),
                checked_in_at: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let change = Change {
                at: now,
                actor: p.subject.clone(),
                action: "booked".into(),
                detail: format!("slot {} package {}", apt.slot.id, apt.package_id),
            };
            let event = events::new_event(
                &apt.branch_id,
                &apt.region_path,
                now,
                events::Kind::AppointmentBooked(pb::AppointmentBooked {
                    appointment_id: apt.id.clone(),
                    branch: Some(events::branch_ref(&branch)),
                    customer: Some(events::customer_ref(&apt)),
                    package_id: apt.package_id.clone(),
                    slot_id: apt.slot.id.clone(),
                    starts_at: Some(to_proto(apt.slot.starts_at)),
                    ends_at: Some(to_proto(apt.slot.ends_at)),
                    package_name: package.name.clone(),
                    fasting: package.fasting_required(),
                }),
            );
            let booking = store::appointments::Booking {
                appointment: &apt,
                change: &change,
                event: &event,
                branch_version: branch.version,
            };
            let outcome = retry(|| async {
                if self.db.backend() == Backend::Postgres {
                    return store::appointments::book_postgres(&mut *self.conn().await?, &booking)
                        .await;
                }
                let mut tx = self.db.begin().await?;
                let outcome = store::appointments::book_sqlite(&mut tx, &booking).await?;
                tx.commit().await?;
                Ok(outcome)
            })
            .await?;
            match outcome {
                Outcome::Booked(booked) => {
                    self.outbox.notify();
                    let mut apt = apt;
                    apt.slot.booked = u32::try_from(booked).unwrap_or(u32::MAX);
                    return Ok(apt);
                }
                Outcome::Full => {
                    return Err(Error::ResourceExhausted(format!(
                        "slot {} is fully booked",
                        apt.slot.id
                    )));
                }
                Outcome::BranchChanged if !fresh => fresh = true,
                Outcome::BranchChanged => {
                    return Err(Error::Aborted(
                        "the branch was changed while booking; try again".into(),
                    ));
                }
            }
        }
    }

    /// One appointment in the caller's scope.
    pub async fn get_appointment(&self, p: &Principal, id: &str) -> Result<Appointment> {
        let apt = store::appointments::get(&mut *self.conn().await?, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("appointment {id}")))?;
        p.check_branch(&apt.branch_id, &apt.region_path)?;
        Ok(apt)
    }

    /// Appointments in the caller's scope.
    pub async fn list_appointments(
        &self,
        p: &Principal,
        q: ListAppointments,
    ) -> Result<(Vec<Appointment>, String)> {
        let Page { limit, after } = page(q.page_size, &q.page_token)?;
        let mut conn = self.conn().await?;
        if !q.branch_id.is_empty() {
            self.branch_in_scope(&mut conn, p, &q.branch_id).await?;
        }
        let filter = store::appointments::ListFilter {
            branch_id: q.branch_id,
            date: q.date,
            status: q.status,
            phone: q.phone,
            after_id: after,
            limit,
        };
        let page = store::appointments::list(&mut conn, &p.scope, &filter).await?;
        let next = next_page_token(&page, limit, |a| a.id.clone());
        Ok((page, next))
    }

    /// Moves a booked appointment to another slot: the new place is taken and the old one
    /// released in one transaction, or nothing changes.
    pub async fn reschedule(
        &self,
        p: &Principal,
        id: &str,
        new_slot_id: &str,
        expected_version: i64,
    ) -> Result<Appointment> {
        p.require_role(roles::BOOKING, "reschedule appointments")?;
        let current = self.get_appointment(p, id).await?;
        if expected_version != 0 && expected_version != current.version {
            return Err(moved_on());
        }
        let mut conn = self.conn().await?;
        let new_slot = store::slots::get(&mut conn, new_slot_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("slot {new_slot_id}")))?;
        let branch = self
            .branch_in_scope(&mut conn, p, &new_slot.branch_id)
            .await?;
        let package = self.package(&mut conn, &current.package_id).await?;
        drop(conn);
        let now = self.clock.now();
        appointment::can_reschedule(&current, &new_slot, now)?;
        calendar::check_bookable(&branch, &package, &new_slot, now)?;
        let old_slot = current.slot.clone();
        let mut moved = current.clone();
        moved.slot = new_slot;
        moved.branch_id = branch.id.clone();
        moved.region_path = branch.region.path();
        moved.version += 1;
        moved.updated_at = now;
        retry(|| async {
            let mut tx = self.db.begin().await?;
            // The appointment row first: concurrent moves of one appointment queue here.
            if !store::appointments::move_slot(&mut tx, &moved, current.version, &old_slot.id)
                .await?
            {
                return Err(moved_on());
            }
            // Slots in id order, so two opposite moves cannot deadlock.
            let take_first = moved.slot.id < old_slot.id;
            if !take_first {
                store::slots::release_place(&mut tx, &old_slot.id).await?;
            }
            if !store::slots::take_place(&mut tx, &moved.slot.id).await? {
                return Err(Error::ResourceExhausted(format!(
                    "slot {} is fully booked",
                    moved.slot.id
                )));
            }
            if take_first {
                store::slots::release_place(&mut tx, &old_slot.id).await?;
            }
            audit(
                &mut tx,
                &moved.id,
                moved.updated_at,
                &p.subject,
                "rescheduled",
                format!("slot {} -> {}", old_slot.id, moved.slot.id),
            )
            .await?;
            let kind = events::Kind::AppointmentRescheduled(pb::AppointmentRescheduled {
                appointment_id: moved.id.clone(),
                old_slot_id: old_slot.id.clone(),
                new_slot_id: moved.slot.id.clone(),
                old_starts_at: Some(to_proto(old_slot.starts_at)),
                new_starts_at: Some(to_proto(moved.slot.starts_at)),
                new_ends_at: Some(to_proto(moved.slot.ends_at)),
            });
            events::publish_for(&mut tx, &moved, now, kind).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.outbox.notify();
        self.get_appointment(p, id).await
    }

    /// Cancels a booked appointment and releases its place.
    pub async fn cancel(
        &self,
        p: &Principal,
        id: &str,
        reason: CancelReason,
        note: String,
    ) -> Result<Appointment> {
        p.require_role(roles::BOOKING, "cancel appointments")?;
        let current = self.get_appointment(p, id).await?;
        appointment::can_cancel(&current, reason, &note)?;
        let now = self.clock.now();
        let mut next = current.clone();
        next.status = Status::Cancelled;
        next.cancel_reason = Some(reason);
        next.cancel_note = note.trim().to_owned();
        next.version += 1;
        next.updated_at = now;
        retry(|| async {
            let mut tx = self.db.begin().await?;
            if !store::appointments::update_status(&mut tx, &next, current.version, Status::Booked)
                .await?
            {
                return Err(moved_on());
            }
            store::slots::release_place(&mut tx, &next.slot.id).await?;
            audit(
                &mut tx,
                &next.id,
                next.updated_at,
                &p.subject,
                "cancelled",
                format!("reason {}", reason.as_str()),
            )
            .await?;
            let kind = events::Kind::AppointmentCancelled(pb::AppointmentCancelled {
                appointment_id: next.id.clone(),
                reason: events::cancel_reason_out(reason) as i32,
                note: next.cancel_note.clone(),
            });
            events::publish_for(&mut tx, &next, now, kind).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.outbox.notify();
        next.slot.booked = next.slot.booked.saturating_sub(1);
        Ok(next)
    }

    /// Records that the customer did not come; the place stays used (its time has passed).
    pub async fn mark_no_show(&self, p: &Principal, id: &str) -> Result<Appointment> {
        p.require_role(roles::FRONT_DESK, "mark no-shows")?;
        let current = self.get_appointment(p, id).await?;
        let now = self.clock.now();
        appointment::can_mark_no_show(&current, now)?;
        let mut next = current.clone();
        next.status = Status::NoShow;
        next.version += 1;
        next.updated_at = now;
        let mut tx = self.db.begin().await?;
        if !store::appointments::update_status(&mut tx, &next, current.version, Status::Booked)
            .await?
        {
            return Err(moved_on());
        }
        audit(
            &mut tx,
            &next.id,
            next.updated_at,
            &p.subject,
            "no_show",
            String::new(),
        )
        .await?;
        let kind = events::Kind::NoShow(pb::NoShow {
            appointment_id: next.id.clone(),
            customer: Some(events::customer_ref(&next)),
        });
        events::publish_for(&mut tx, &next, now, kind).await?;
        tx.commit().await?;
        self.outbox.notify();
        Ok(next)
    }

    /// The audit trail of an appointment.
    pub async fn history(&self, p: &Principal, id: &str) -> Result<Vec<Change>> {
        self.get_appointment(p, id).await?;
        store::appointments::history(&mut *self.conn().await?, id).await
    }
}

/// Answers a retried booking: the same appointment when the request matches, else a clear
/// conflict. The slot is not compared: the appointment may have been rescheduled since.
fn replay(p: &Principal, existing: Appointment, cmd: &BookCommand) -> Result<Appointment> {
    p.check_branch(&existing.branch_id, &existing.region_path)?;
    let same =
        existing.package_id == cmd.package_id && existing.customer.phone == cmd.customer.phone;
    if same {
        Ok(existing)
    } else {
        Err(Error::AlreadyExists(format!(
            "request_id {} was already used for a different booking ({})",
            cmd.request_id, existing.id
        )))
    }
}
