//! Work orders: what one holds, what intake must name, and the short number staff read
//! out. Its moves are in [`super::lifecycle`].

use jiff::Timestamp;
use service_kit::{
    auth::OrgScope,
    error::Violations,
    phone::Phone,
    rules::{note, text},
};

use super::{
    RuleError,
    calendar::Calendar,
    check,
    sla::{Clocks, Policy},
    vocab::{Category, Channel, Kind, Level, Severity, Status},
};

/// Most staff a work order may name.
pub const MAX_STAFF: usize = 20;

/// A branch as a work order records it (from scheduling's directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchInfo {
    /// `br_…`
    pub id: String,
    /// Human code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Province slug.
    pub province: String,
    /// City slug.
    pub city: String,
}

impl BranchInfo {
    /// `province/city`, what region scopes match.
    pub fn region_path(&self) -> String {
        format!("{}/{}", self.province, self.city)
    }
}

/// The customer on a work order. The full number is kept for exact search only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerInfo {
    /// The contact service's id, when known.
    pub customer_id: String,
    /// Name as given.
    pub name: String,
    /// Digits, or empty when only the masked form is known (automatic cases).
    pub phone: String,
    /// `138****5678`.
    pub masked: String,
}

impl CustomerInfo {
    /// Whose yearly recovery total a grant counts against: the contact service's id when
    /// known, else the phone number, else the name with the masked number.
    pub fn key(&self) -> String {
        if !self.customer_id.is_empty() {
            format!("id:{}", self.customer_id)
        } else if !self.phone.is_empty() {
            format!("phone:{}", self.phone)
        } else {
            format!("name:{}|{}", self.name, self.masked)
        }
    }
}

/// How a work order was resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Why it happened.
    pub root_cause: String,
    /// What changes.
    pub corrective_action: String,
    /// Whether the complaint was justified.
    pub substantiated: bool,
    /// Who resolved it.
    pub resolved_by: String,
    /// When.
    pub resolved_at: Option<Timestamp>,
}

/// A complaint, suggestion, praise or request for help, and its handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrder {
    /// `wo_…`
    pub id: String,
    /// Database sequence; the short number is made from it.
    pub seq: i64,
    /// Intake's idempotency key.
    pub request_id: String,
    /// Channel.
    pub channel: Channel,
    /// Kind.
    pub kind: Kind,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: Status,
    /// Who holds it.
    pub level: Level,
    /// Customer.
    pub customer: CustomerInfo,
    /// Branch.
    pub branch: BranchInfo,
    /// Appointment, when it concerns one.
    pub appointment_id: String,
    /// Staff involved.
    pub staff_ids: Vec<String>,
    /// One line.
    pub summary: String,
    /// The customer's words.
    pub description: String,
    /// Who handles it.
    pub assignee: String,
    /// What opened it automatically (one case per source).
    pub source: Option<String>,
    /// SLA clocks.
    pub clocks: Clocks,
    /// Resolution, once resolved.
    pub resolution: Resolution,
    /// 1–5, 0 when not asked.
    pub satisfaction: u8,
    /// Optimistic concurrency.
    pub version: i64,
    /// Opened.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// First acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// Closed.
    pub closed_at: Option<Timestamp>,
}

impl WorkOrder {
    /// The number staff read out on the phone.
    pub fn number(&self) -> String {
        number(self.seq)
    }
}

/// `WO-000123-4`: the sequence, zero-padded, and a Luhn check digit so that a digit
/// misheard on the phone is caught instead of finding someone else's work order.
pub fn number(seq: i64) -> String {
    let digits = format!("{seq:06}");
    format!("WO-{digits}-{}", luhn_digit(&digits))
}

/// The sequence a number names, when it is well-formed and its check digit matches.
/// Accepts any case, spaces and dashes, with or without the `WO` prefix.
pub fn parse_number(text: &str) -> Option<i64> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let digits = cleaned.strip_prefix("WO").unwrap_or(&cleaned);
    if digits.len() < 2 || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    (luhn_digit(body).to_string() == check)
        .then(|| body.parse().ok())
        .flatten()
}

fn luhn_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// What a new work order is opened with, by intake or automatically.
#[derive(Debug, Clone)]
pub struct Opening {
    /// Idempotency key.
    pub request_id: String,
    /// Channel.
    pub channel: Channel,
    /// Kind.
    pub kind: Kind,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Customer.
    pub customer: CustomerInfo,
    /// Branch.
    pub branch: BranchInfo,
    /// Appointment, when it concerns one.
    pub appointment_id: String,
    /// Staff involved.
    pub staff_ids: Vec<String>,
    /// One line.
    pub summary: String,
    /// Details.
    pub description: String,
    /// What opened it automatically.
    pub source: Option<String>,
}

/// A new work order, held at its branch, with its SLA clocks running from `now`.
pub fn open(id: String, o: Opening, policy: &Policy, cal: &Calendar, now: Timestamp) -> WorkOrder {
    let mut clocks = Clocks::default();
    clocks.start_level(policy, cal, Status::New, now);
    WorkOrder {
        id,
        seq: 0,
        request_id: o.request_id,
        channel: o.channel,
        kind: o.kind,
        category: o.category,
        severity: o.severity,
        status: Status::New,
        level: Level::Branch,
        customer: o.customer,
        branch: o.branch,
        appointment_id: o.appointment_id,
        staff_ids: o.staff_ids,
        summary: o.summary,
        description: o.description,
        assignee: String::new(),
        source: o.source,
        clocks,
        resolution: Resolution::default(),
        satisfaction: 0,
        version: 1,
        created_at: now,
        updated_at: now,
        acknowledged_at: None,
        closed_at: None,
    }
}

/// What intake supplies, before the branch is looked up.
#[derive(Debug, Clone)]
pub struct Intake {
    /// Channel.
    pub channel: Option<Channel>,
    /// Kind.
    pub kind: Option<Kind>,
    /// Category.
    pub category: Option<Category>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Customer id.
    pub customer_id: String,
    /// Customer name.
    pub customer_name: String,
    /// Raw phone, may be empty when a customer id is given.
    pub customer_phone: String,
    /// Branch.
    pub branch_id: String,
    /// Appointment.
    pub appointment_id: String,
    /// Staff involved.
    pub staff_ids: Vec<String>,
    /// One line.
    pub summary: String,
    /// Details.
    pub description: String,
}

/// Intake's checks, all at once. Returns the parsed phone (if any).
pub fn validate_intake(i: &Intake) -> Result<Option<Phone>, RuleError> {
    let mut v = Violations::new();
    v.check(i.channel.is_some(), "channel", "required");
    v.check(i.kind.is_some(), "kind", "required");
    v.check(i.category.is_some(), "category", "required");
    v.check(i.severity.is_some(), "severity", "required");
    v.check(
        i.channel != Some(Channel::Automatic),
        "channel",
        "automatic work orders are opened by the service itself",
    );
    v.check(is_id(&i.branch_id), "branch_id", "required");
    v.check(
        i.appointment_id.is_empty() || is_id(&i.appointment_id),
        "appointment_id",
        "at most 64 printable characters",
    );
    v.check(
        i.customer_id.is_empty() || is_id(&i.customer_id),
        "customer.customer_id",
        "at most 128 letters, digits, '_', '-', '.' or ':'",
    );
    text(&mut v, "customer.name", &i.customer_name, 100, true);
    let phone = if i.customer_phone.is_empty() {
        v.check(
            !i.customer_id.is_empty(),
            "customer.phone",
            "required unless customer.customer_id is given",
        );
        None
    } else {
        let phone = Phone::parse(&i.customer_phone);
        v.check(
            phone.is_some(),
            "customer.phone",
            "an 11-digit mainland mobile number",
        );
        phone
    };
    v.check(
        i.staff_ids.len() <= MAX_STAFF && i.staff_ids.iter().all(|s| is_id(s)),
        "staff_ids",
        "at most 20 ids of at most 128 letters, digits, '_', '-', '.' or ':'",
    );
    text(&mut v, "summary", &i.summary, 200, true);
    note(&mut v, "description", &i.description, 4000, false);
    check(v)?;
    Ok(phone)
}

pub(crate) use service_kit::rules::is_id;

/// A branch as complaints keeps it: what work orders record, and the business calendar
/// their SLA clocks count in (scheduling owns the truth; this is its copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBranch {
    /// What work orders record.
    pub info: BranchInfo,
    /// Its business calendar.
    pub calendar: Calendar,
    /// Scheduling's version of it.
    pub version: i64,
}

/// What a listing of work orders is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// The caller's scope.
    pub scope: Option<OrgScope>,
    /// Narrowing.
    pub branch_id: String,
    /// Narrowing.
    pub region_path: String,
    /// Narrowing.
    pub status: Option<Status>,
    /// Narrowing.
    pub level: Option<Level>,
    /// Narrowing.
    pub kind: Option<Kind>,
    /// Exact full number.
    pub customer_phone: String,
    /// Not yet resolved.
    pub open_only: bool,
    /// Page token: the last id of the previous page.
    pub before_id: String,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::sla::default_policy;

    pub(crate) fn sample() -> WorkOrder {
        let now: Timestamp = "2026-11-25T02:00:00Z".parse().unwrap();
        let mut wo = WorkOrder {
            id: "wo_1".into(),
            seq: 123,
            request_id: "r1".into(),
            channel: Channel::Hotline,
            kind: Kind::Complaint,
            category: Category::WaitingTime,
            severity: Severity::High,
            status: Status::New,
            level: Level::Branch,
            customer: CustomerInfo {
                customer_id: String::new(),
                name: "Li".into(),
                phone: "13800138000".into(),
                masked: "138****8000".into(),
            },
            branch: BranchInfo {
                id: "br_1".into(),
                code: "SZ-01".into(),
                name: "Futian".into(),
                province: "guangdong".into(),
                city: "shenzhen".into(),
            },
            appointment_id: String::new(),
            staff_ids: vec!["staff_9".into()],
            summary: "waited".into(),
            description: String::new(),
            assignee: String::new(),
            source: None,
            clocks: Clocks::default(),
            resolution: Resolution::default(),
            satisfaction: 0,
            version: 1,
            created_at: now,
            updated_at: now,
            acknowledged_at: None,
            closed_at: None,
        };
        wo.clocks
            .start_level(&default_policy(Severity::High), &cal(), Status::New, now);
        wo
    }

    pub(crate) fn cal() -> Calendar {
        Calendar::always_open("Asia/Shanghai")
    }

    #[test]
    fn numbers_carry_a_check_digit() {
        assert_eq!(number(123), "WO-000123-0");
        assert_eq!(parse_number("WO-000123-0"), Some(123));
        assert_eq!(parse_number("wo 000123 0"), Some(123));
        assert_eq!(parse_number("0001230"), Some(123));
        // One misheard digit, or two swapped, is caught.
        assert_eq!(parse_number("WO-000124-0"), None);
        assert_eq!(parse_number("WO-000213-0"), None);
        assert_eq!(parse_number("WO-x"), None);
        for seq in [1, 9, 10, 99_999, 1_000_000, 123_456_789] {
            assert_eq!(parse_number(&number(seq)), Some(seq));
        }
    }

    #[test]
    fn intake_names_every_bad_field() {
        let intake = Intake {
            channel: Some(Channel::Automatic),
            kind: None,
            category: Some(Category::Billing),
            severity: Some(Severity::Low),
            customer_id: String::new(),
            customer_name: " ".into(),
            customer_phone: "12345".into(),
            branch_id: String::new(),
            appointment_id: String::new(),
            staff_ids: vec!["a b".into()],
            summary: "x\0".into(),
            description: String::new(),
        };
        let Err(RuleError::Invalid(v)) = validate_intake(&intake) else {
            panic!("accepted")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "kind",
                "channel",
                "branch_id",
                "customer.name",
                "customer.phone",
                "staff_ids",
                "summary"
            ]
        );
    }

    #[test]
    fn customer_keys_prefer_the_id() {
        let mut c = sample().customer;
        assert_eq!(c.key(), "phone:13800138000");
        c.customer_id = "cus_1".into();
        assert_eq!(c.key(), "id:cus_1");
    }
}
