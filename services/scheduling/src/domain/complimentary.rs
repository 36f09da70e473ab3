//! Service recovery on the visit: a complimentary exam item given to a customer, most often
//! because a wait ran past the branch's promise. The grant records who authorised it and
//! which unit of the org bears its cost.
//!
//! An item can join a booked appointment (it becomes a queue entry at check-in) or a visit
//! under way (it joins the route at once); never a visit that is over, and never an item the
//! customer already has.

use jiff::Timestamp;
use service_kit::{auth::OrgScope, error::Violations};

use super::{
    RuleError,
    appointment::{Appointment, Status},
    catalogue::ExamItem,
    check,
    customer::mask,
};

/// One complimentary item on an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplimentaryItem {
    /// The granting request's idempotency key; identifies the grant.
    pub request_id: String,
    /// The appointment it was added to.
    pub appointment_id: String,
    /// The item given.
    pub exam_item_id: String,
    /// Its name, copied when granted.
    pub exam_item_name: String,
    /// Token subject of whoever authorised the gift.
    pub authorised_by: String,
    /// The unit that bears the cost.
    pub cost_bearer: OrgScope,
    /// What it settles (a complaint work order id, say); may be empty.
    pub reference: String,
    /// When it was added.
    pub added_at: Timestamp,
}

impl ComplimentaryItem {
    /// The audit-trail line: item, cost bearer, reference and authoriser. Anything in the
    /// free text that looks like a mobile number is masked.
    pub fn audit_detail(&self) -> String {
        let mut detail = format!(
            "{} ({}), cost borne by {}, authorised by {}",
            self.exam_item_name,
            self.exam_item_id,
            self.cost_bearer,
            mask_phones(&self.authorised_by)
        );
        if !self.reference.is_empty() {
            detail.push_str(", reference ");
            detail.push_str(&mask_phones(&self.reference));
        }
        detail
    }
}

/// A grant as the caller asked for it, before it is checked.
#[derive(Debug, Clone, Copy)]
pub struct GrantInput<'a> {
    /// Appointment.
    pub appointment_id: &'a str,
    /// Exam item.
    pub exam_item_id: &'a str,
    /// Who authorised it.
    pub authorised_by: &'a str,
    /// `group`, `region:<path>` or `branch:<id>`.
    pub cost_bearer: &'a str,
    /// What it settles.
    pub reference: &'a str,
}

/// Longest id or free-text field, in characters.
const MAX_TEXT: usize = 128;

/// Checks every field of a grant at once; returns the parsed cost bearer.
pub fn validate_grant(g: &GrantInput<'_>) -> Result<OrgScope, RuleError> {
    let mut v = Violations::new();
    for (value, field) in [
        (g.appointment_id, "appointment_id"),
        (g.exam_item_id, "exam_item_id"),
    ] {
        v.check(
            service_kit::rules::is_id(value),
            field,
            "required, at most 128 letters, digits, '_', '-', '.' or ':'",
        );
    }
    service_kit::rules::text(&mut v, "authorised_by", g.authorised_by, MAX_TEXT, true);
    let cost_bearer = g.cost_bearer.parse::<OrgScope>().ok();
    v.check(
        cost_bearer.is_some(),
        "cost_bearer",
        "required: \"group\", \"region:<path>\" or \"branch:<id>\"",
    );
    service_kit::rules::text(&mut v, "reference", g.reference, MAX_TEXT, false);
    check(v)?;
    Ok(cost_bearer.expect("checked above"))
}

/// Whether `item` may be given on `apt`. `in_visit` holds the exam item ids the customer
/// already has (the package's, and the visit's entries once checked in); `granted` the
/// items already given on the appointment.
pub fn can_add_complimentary(
    apt: &Appointment,
    item: &ExamItem,
    in_visit: &[&str],
    granted: &[ComplimentaryItem],
) -> Result<(), RuleError> {
    let why = match apt.status {
        Status::Booked | Status::CheckedIn => None,
        Status::Completed => Some("the visit is already completed"),
        Status::Cancelled => Some("the appointment was cancelled"),
        Status::NoShow => Some("the customer did not come (no-show)"),
    };
    if let Some(why) = why {
        return Err(RuleError::Precondition(format!(
            "{why}: a complimentary item can only be added to a booked appointment or a \
             visit under way"
        )));
    }
    if let Some(g) = granted.iter().find(|g| g.exam_item_id == item.id) {
        return Err(RuleError::Precondition(format!(
            "{} ({}) was already given on this appointment (request {})",
            item.name, item.id, g.request_id
        )));
    }
    if in_visit.contains(&item.id.as_str()) {
        return Err(RuleError::Precondition(format!(
            "{} ({}) is already part of this visit",
            item.name, item.id
        )));
    }
    Ok(())
}

/// Masks every run of exactly 11 digits starting with 1 (a mainland mobile number), so
/// free text can go into audit trails.
fn mask_phones(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() == 11 && digits.starts_with('1') {
            out.push_str(&mask(digits));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{calendar::Slot, customer::Customer, customer::Phone};
    use jiff::civil::date;

    fn appointment(status: Status) -> Appointment {
        let at: Timestamp = "2026-11-30T01:00:00Z".parse().unwrap();
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
                starts_at: at,
                ends_at: at,
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
            created_at: at,
            updated_at: at,
        }
    }

    fn item(id: &str) -> ExamItem {
        ExamItem {
            id: id.into(),
            code: id.to_uppercase(),
            name: format!("{id} exam"),
            department: "d".into(),
            duration_minutes: 10,
            fasting_required: false,
            order_hint: 0,
            list_price: None,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn grant(request_id: &str, item_id: &str) -> ComplimentaryItem {
        ComplimentaryItem {
            request_id: request_id.into(),
            appointment_id: "apt_1".into(),
            exam_item_id: item_id.into(),
            exam_item_name: format!("{item_id} exam"),
            authorised_by: "director-1".into(),
            cost_bearer: OrgScope::Branch("br_1".into()),
            reference: "wo_1".into(),
            added_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn input<'a>(cost_bearer: &'a str, reference: &'a str) -> GrantInput<'a> {
        GrantInput {
            appointment_id: "apt_1",
            exam_item_id: "item_1",
            authorised_by: "director-1",
            cost_bearer,
            reference,
        }
    }

    fn fields(e: RuleError) -> Vec<String> {
        match e {
            RuleError::Invalid(v) => v.0.into_iter().map(|f| f.field).collect(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn booked_and_checked_in_appointments_take_a_gift() {
        for status in [Status::Booked, Status::CheckedIn] {
            assert!(can_add_complimentary(&appointment(status), &item("eye"), &[], &[]).is_ok());
        }
    }

    #[test]
    fn finished_or_called_off_appointments_refuse_it_and_say_why() {
        for (status, why) in [
            (Status::Completed, "completed"),
            (Status::Cancelled, "cancelled"),
            (Status::NoShow, "no-show"),
        ] {
            match can_add_complimentary(&appointment(status), &item("eye"), &[], &[]) {
                Err(RuleError::Precondition(m)) => assert!(m.contains(why), "{m}"),
                other => panic!("{status:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_item_the_customer_already_has_is_refused() {
        let apt = appointment(Status::CheckedIn);
        let in_package = can_add_complimentary(&apt, &item("ecg"), &["eye", "ecg"], &[]);
        assert!(matches!(in_package, Err(RuleError::Precondition(m)) if m.contains("part of")));
        let granted = can_add_complimentary(&apt, &item("ecg"), &[], &[grant("r-1", "ecg")]);
        assert!(matches!(granted, Err(RuleError::Precondition(m)) if m.contains("r-1")));
        assert!(can_add_complimentary(&apt, &item("eye"), &[], &[grant("r-1", "ecg")]).is_ok());
    }

    #[test]
    fn cost_bearers_are_the_three_org_scope_forms() {
        assert_eq!(
            validate_grant(&input("group", "")).unwrap(),
            OrgScope::Group
        );
        assert_eq!(
            validate_grant(&input("region:guangdong/shenzhen", "wo_1")).unwrap(),
            OrgScope::Region("guangdong/shenzhen".into())
        );
        assert_eq!(
            validate_grant(&input("branch:br_1", "wo_1")).unwrap(),
            OrgScope::Branch("br_1".into())
        );
        for bad in [
            "",
            "branch:",
            "region:Guang Dong",
            "city:shenzhen",
            "group:x",
        ] {
            assert_eq!(
                fields(validate_grant(&input(bad, "")).unwrap_err()),
                ["cost_bearer"],
                "{bad:?}"
            );
        }
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let long = "x".repeat(129);
        let g = GrantInput {
            appointment_id: " ",
            exam_item_id: "",
            authorised_by: "a\u{7}b",
            cost_bearer: "nobody",
            reference: &long,
        };
        assert_eq!(
            fields(validate_grant(&g).unwrap_err()),
            [
                "appointment_id",
                "exam_item_id",
                "authorised_by",
                "cost_bearer",
                "reference"
            ]
        );
        let chinese = "工单".repeat(64);
        assert!(validate_grant(&input("group", &chinese)).is_ok());
    }

    #[test]
    fn the_audit_line_names_the_grant_without_phone_numbers() {
        let mut g = grant("r-1", "eye");
        g.reference = "wo_1 客户13800138000来电 #12345678901234".into();
        let detail = g.audit_detail();
        assert!(detail.contains("eye exam (eye)"), "{detail}");
        assert!(detail.contains("branch:br_1"), "{detail}");
        assert!(detail.contains("director-1"), "{detail}");
        assert!(detail.contains("138****8000"), "{detail}");
        assert!(!detail.contains("13800138000"), "{detail}");
        assert!(detail.contains("12345678901234"), "{detail}");
    }
}
