//! Appointments and their lifecycle:
//!
//! ```text
//! BOOKED ──check in──▶ CHECKED_IN ──last item done──▶ COMPLETED
//!   │ ├──cancel──▶ CANCELLED
//!   │ └──reschedule──▶ BOOKED (another slot)
//!   └──no-show (after the slot ended)──▶ NO_SHOW
//! ```

use jiff::Timestamp;

use super::{RuleError, branch::Branch, calendar::Slot, customer::Customer};

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Holding a place.
    Booked,
    /// The customer is on site.
    CheckedIn,
    /// Every item done.
    Completed,
    /// Called off; the place was released.
    Cancelled,
    /// Did not come.
    NoShow,
}

impl Status {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "BOOKED",
            Status::CheckedIn => "CHECKED_IN",
            Status::Completed => "COMPLETED",
            Status::Cancelled => "CANCELLED",
            Status::NoShow => "NO_SHOW",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "BOOKED" => Status::Booked,
            "CHECKED_IN" => Status::CheckedIn,
            "COMPLETED" => Status::Completed,
            "CANCELLED" => Status::Cancelled,
            "NO_SHOW" => Status::NoShow,
            _ => return None,
        })
    }

    /// Whether the appointment still holds its slot's place.
    pub fn holds_place(self) -> bool {
        matches!(self, Status::Booked | Status::CheckedIn | Status::Completed)
    }
}

/// Why an appointment was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// The customer asked.
    CustomerRequest,
    /// The branch asked (closure, equipment).
    BranchRequest,
    /// Booked twice.
    Duplicate,
    /// The customer's health does not allow the exam now.
    Health,
    /// Anything else; a note is required.
    Other,
}

impl CancelReason {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReason::CustomerRequest => "CUSTOMER_REQUEST",
            CancelReason::BranchRequest => "BRANCH_REQUEST",
            CancelReason::Duplicate => "DUPLICATE",
            CancelReason::Health => "HEALTH",
            CancelReason::Other => "OTHER",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<CancelReason> {
        Some(match s {
            "CUSTOMER_REQUEST" => CancelReason::CustomerRequest,
            "BRANCH_REQUEST" => CancelReason::BranchRequest,
            "DUPLICATE" => CancelReason::Duplicate,
            "HEALTH" => CancelReason::Health,
            "OTHER" => CancelReason::Other,
            _ => return None,
        })
    }
}

/// An appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// `apt_…`
    pub id: String,
    /// The booking request's idempotency key.
    pub request_id: String,
    /// Branch.
    pub branch_id: String,
    /// The branch's region path, for scope checks.
    pub region_path: String,
    /// The slot it holds.
    pub slot: Slot,
    /// Package booked.
    pub package_id: String,
    /// Who.
    pub customer: Customer,
    /// Lifecycle status.
    pub status: Status,
    /// Set when cancelled.
    pub cancel_reason: Option<CancelReason>,
    /// Free text with the cancellation.
    pub cancel_note: String,
    /// When the customer checked in.
    pub checked_in_at: Option<Timestamp>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

fn illegal(from: Status, action: &'static str) -> RuleError {
    RuleError::IllegalTransition {
        subject: "an appointment",
        from: from.as_str(),
        action,
    }
}

/// Whether the appointment may move to another slot.
pub fn can_reschedule(apt: &Appointment, new_slot: &Slot, now: Timestamp) -> Result<(), RuleError> {
    if apt.status != Status::Booked {
        return Err(illegal(apt.status, "reschedule"));
    }
    if new_slot.branch_id != apt.branch_id {
        // Each branch's feed must see its own bookings come and go: moving to another
        // branch is a cancellation here and a booking there.
        return Err(RuleError::Precondition(
            "the new slot is at another branch: cancel and book there instead".into(),
        ));
    }
    if new_slot.id == apt.slot.id {
        return Err(RuleError::Precondition(
            "the appointment is already in that slot".into(),
        ));
    }
    if new_slot.starts_at <= now {
        return Err(RuleError::Precondition(
            "the new slot has already started".into(),
        ));
    }
    Ok(())
}

/// Validates a cancellation.
pub fn can_cancel(apt: &Appointment, reason: CancelReason, note: &str) -> Result<(), RuleError> {
    if apt.status != Status::Booked {
        return Err(illegal(apt.status, "cancel"));
    }
    let mut v = service_kit::error::Violations::new();
    if reason == CancelReason::Other && note.trim().is_empty() {
        v.add("note", "required when the reason is OTHER");
    } else {
        service_kit::rules::note(&mut v, "note", note, 500, false);
    }
    super::check(v)
}

/// A no-show can be recorded only once the slot's arrival window has passed.
pub fn can_mark_no_show(apt: &Appointment, now: Timestamp) -> Result<(), RuleError> {
    if apt.status != Status::Booked {
        return Err(illegal(apt.status, "mark as no-show"));
    }
    if now < apt.slot.ends_at {
        return Err(RuleError::Precondition(
            "the arrival window has not ended yet".into(),
        ));
    }
    Ok(())
}

/// Check-in happens on the appointment's day, in the branch's time zone.
pub fn can_check_in(apt: &Appointment, branch: &Branch, now: Timestamp) -> Result<(), RuleError> {
    if apt.status != Status::Booked {
        return Err(illegal(apt.status, "check in"));
    }
    let today = branch.local_date(now);
    if today != apt.slot.date {
        return Err(RuleError::Precondition(format!(
            "the appointment is for {}, today at the branch is {today}",
            apt.slot.date
        )));
    }
    Ok(())
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// When.
    pub at: Timestamp,
    /// Token subject.
    pub actor: String,
    /// What (`booked`, `rescheduled`, …).
    pub action: String,
    /// Particulars, never a phone number.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Phone;
    use jiff::{ToSpan, civil::date};

    fn appointment(status: Status) -> Appointment {
        let starts = "2026-11-30T01:00:00Z".parse::<Timestamp>().unwrap();
        Appointment {
            id: "apt_1".into(),
            request_id: "r".into(),
            branch_id: "br_1".into(),
            region_path: "guangdong/shenzhen".into(),
            slot: Slot {
                id: "slot_1".into(),
                branch_id: "br_1".into(),
                date: date(2026, 11, 30),
                start: 9 * 60,
                end: 9 * 60 + 30,
                starts_at: starts,
                ends_at: starts + 30.minutes(),
                capacity: 10,
                booked: 1,
            },
            package_id: "pkg_1".into(),
            customer: Customer {
                customer_id: String::new(),
                name: "张三".into(),
                phone: Phone::parse("13800138000").unwrap(),
            },
            status,
            cancel_reason: None,
            cancel_note: String::new(),
            checked_in_at: None,
            version: 1,
            created_at: starts,
            updated_at: starts,
        }
    }

    #[test]
    fn only_booked_appointments_move_cancel_or_no_show() {
        let later = "2026-12-01T00:00:00Z".parse::<Timestamp>().unwrap();
        for status in [
            Status::CheckedIn,
            Status::Completed,
            Status::Cancelled,
            Status::NoShow,
        ] {
            let apt = appointment(status);
            assert!(matches!(
                can_cancel(&apt, CancelReason::CustomerRequest, ""),
                Err(RuleError::IllegalTransition { .. })
            ));
            assert!(matches!(
                can_mark_no_show(&apt, later),
                Err(RuleError::IllegalTransition { .. })
            ));
        }
        assert!(
            can_cancel(
                &appointment(Status::Booked),
                CancelReason::CustomerRequest,
                ""
            )
            .is_ok()
        );
    }

    #[test]
    fn no_show_waits_for_the_window_to_end() {
        let apt = appointment(Status::Booked);
        assert!(can_mark_no_show(&apt, apt.slot.starts_at).is_err());
        assert!(can_mark_no_show(&apt, apt.slot.ends_at).is_ok());
    }

    #[test]
    fn other_needs_a_note() {
        let apt = appointment(Status::Booked);
        assert!(matches!(
            can_cancel(&apt, CancelReason::Other, " "),
            Err(RuleError::Invalid(_))
        ));
    }
}
