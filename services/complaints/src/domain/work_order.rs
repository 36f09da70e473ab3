//! Work orders: what intake must name, the short number staff read out, the lifecycle's
//! legal moves and who may make them.

use jiff::Timestamp;
use service_kit::{auth::OrgScope, error::Violations, phone::Phone};

use super::{
    DomainError,
    calendar::Calendar,
    check, printable,
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
pub fn validate_intake(i: &Intake) -> Result<Option<Phone>, DomainError> {
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
        "at most 64 printable characters",
    );
    v.check(
        !i.customer_name.trim().is_empty() && printable(&i.customer_name, 100),
        "customer.name",
        "required, at most 100 characters",
    );
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
        "at most 20 ids of at most 64 printable characters",
    );
    v.check(
        !i.summary.trim().is_empty() && printable(&i.summary, 200),
        "summary",
        "required, at most 200 characters",
    );
    v.check(
        printable(&i.description, 4000),
        "description",
        "at most 4000 characters",
    );
    check(v)?;
    Ok(phone)
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The level a token acts at: a branch token at its branch, a region token at the city
/// or province its path names, the group at the group.
pub fn level_of(scope: &OrgScope) -> Level {
    match scope {
        OrgScope::Branch(_) => Level::Branch,
        OrgScope::Region(path) if path.contains('/') => Level::City,
        OrgScope::Region(_) => Level::Province,
        OrgScope::Group => Level::Group,
    }
}

/// Handling belongs to whoever holds the work order: once it has escalated past a level,
/// that level may still read it and add notes, but no longer decides it.
pub fn check_holder(wo: &WorkOrder, scope: &OrgScope) -> Result<(), DomainError> {
    let mine = level_of(scope);
    if mine >= wo.level {
        Ok(())
    } else {
        Err(DomainError::NotAllowed(format!(
            "work order {} is held at {} level; {} level can no longer decide it",
            wo.number(),
            wo.level.as_str().to_lowercase(),
            mine.as_str().to_lowercase()
        )))
    }
}

fn illegal(from: Status, action: &'static str) -> DomainError {
    DomainError::IllegalTransition {
        from: from.as_str(),
        action,
    }
}

/// new → acknowledged.
pub fn acknowledge(wo: &mut WorkOrder, now: Timestamp) -> Result<(), DomainError> {
    if wo.status != Status::New {
        return Err(illegal(wo.status, "acknowledge"));
    }
    wo.status = Status::Acknowledged;
    wo.acknowledged_at.get_or_insert(now);
    wo.clocks.acknowledged();
    Ok(())
}

/// acknowledged → in progress, or waiting on the customer → in progress (the resolve
/// clock resumes).
pub fn start(
    wo: &mut WorkOrder,
    policy: &Policy,
    cal: &Calendar,
    now: Timestamp,
) -> Result<(), DomainError> {
    match wo.status {
        Status::Acknowledged => {}
        Status::WaitingOnCustomer => wo.clocks.resume(policy, cal, now),
        from => return Err(illegal(from, "start work on")),
    }
    wo.status = Status::InProgress;
    Ok(())
}

/// acknowledged or in progress → waiting on the customer (the resolve clock pauses).
pub fn wait_on_customer(
    wo: &mut WorkOrder,
    cal: &Calendar,
    now: Timestamp,
) -> Result<(), DomainError> {
    if !matches!(wo.status, Status::Acknowledged | Status::InProgress) {
        return Err(illegal(wo.status, "wait on the customer for"));
    }
    wo.status = Status::WaitingOnCustomer;
    wo.clocks.pause(cal, now);
    Ok(())
}

/// in progress → resolved. Only a complaint can be substantiated.
pub fn resolve(
    wo: &mut WorkOrder,
    resolution: Resolution,
    staff_ids: Option<Vec<String>>,
) -> Result<(), DomainError> {
    let mut v = Violations::new();
    v.check(
        !resolution.root_cause.trim().is_empty() && printable(&resolution.root_cause, 2000),
        "root_cause",
        "required, at most 2000 characters",
    );
    v.check(
        printable(&resolution.corrective_action, 2000),
        "corrective_action",
        "at most 2000 characters",
    );
    v.check(
        !resolution.substantiated || wo.kind == Kind::Complaint,
        "substantiated",
        "only a complaint can be substantiated",
    );
    if let Some(ids) = &staff_ids {
        v.check(
            ids.len() <= MAX_STAFF && ids.iter().all(|s| is_id(s)),
            "staff_ids",
            "at most 20 ids of at most 64 printable characters",
        );
    }
    check(v)?;
    if wo.status != Status::InProgress {
        return Err(illegal(wo.status, "resolve"));
    }
    wo.status = Status::Resolved;
    wo.clocks.resolved();
    wo.resolution = resolution;
    if let Some(ids) = staff_ids {
        wo.staff_ids = ids;
    }
    Ok(())
}

/// Whether resolving published a `ComplaintSubstantiated` (a justified complaint naming
/// staff, for remedial training).
pub fn names_staff_for_training(wo: &WorkOrder) -> bool {
    wo.status == Status::Resolved
        && wo.kind == Kind::Complaint
        && wo.resolution.substantiated
        && !wo.staff_ids.is_empty()
}

/// resolved → closed.
pub fn close(wo: &mut WorkOrder, now: Timestamp) -> Result<(), DomainError> {
    if wo.status != Status::Resolved {
        return Err(illegal(wo.status, "close"));
    }
    wo.status = Status::Closed;
    wo.closed_at = Some(now);
    Ok(())
}

/// resolved or closed → in progress, with a fresh resolve window at the current level.
pub fn reopen(
    wo: &mut WorkOrder,
    policy: &Policy,
    cal: &Calendar,
    now: Timestamp,
) -> Result<(), DomainError> {
    if !matches!(wo.status, Status::Resolved | Status::Closed) {
        return Err(illegal(wo.status, "reopen"));
    }
    wo.status = Status::InProgress;
    wo.closed_at = None;
    wo.resolution.resolved_at = None;
    wo.clocks.start_level(policy, cal, wo.status, now);
    Ok(())
}

/// One level up, by hand, with fresh windows for the new level.
pub fn escalate(
    wo: &mut WorkOrder,
    policy: &Policy,
    cal: &Calendar,
    now: Timestamp,
) -> Result<Level, DomainError> {
    if !wo.status.is_open() {
        return Err(illegal(wo.status, "escalate"));
    }
    let up = wo.level.up().ok_or_else(|| {
        DomainError::Precondition(
            "the work order is already with the group customer-service centre".into(),
        )
    })?;
    wo.level = up;
    wo.clocks.start_level(policy, cal, wo.status, now);
    Ok(up)
}

/// Satisfaction can be asked once there is a resolution to be satisfied with.
pub fn record_satisfaction(wo: &mut WorkOrder, score: u32) -> Result<(), DomainError> {
    if !(1..=5).contains(&score) {
        let mut v = Violations::new();
        v.add("score", "between 1 and 5");
        return Err(DomainError::Invalid(v));
    }
    if !matches!(wo.status, Status::Resolved | Status::Closed) {
        return Err(DomainError::Precondition(
            "satisfaction is recorded once the work order is resolved".into(),
        ));
    }
    wo.satisfaction = score as u8;
    Ok(())
}

/// Checks free text attached to an action (a note, a reason).
pub fn check_text(field: &str, text: &str, required: bool) -> Result<(), DomainError> {
    let mut v = Violations::new();
    v.check(
        (!required || !text.trim().is_empty()) && printable(text, 2000),
        field,
        if required {
            "required, at most 2000 characters"
        } else {
            "at most 2000 characters"
        },
    );
    check(v)
}

/// Checks a staff id given as an assignee.
pub fn check_assignee(assignee: &str) -> Result<(), DomainError> {
    let mut v = Violations::new();
    v.check(
        is_id(assignee),
        "assignee",
        "required, at most 64 printable characters",
    );
    check(v)
}

#[cfg(test)]
mod tests {
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

    fn cal() -> Calendar {
        Calendar::always_open("Asia/Shanghai")
    }

    fn now() -> Timestamp {
        "2026-11-25T03:00:00Z".parse().unwrap()
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
    fn the_lifecycle_allows_only_its_moves() {
        let p = default_policy(Severity::High);
        let mut wo = sample();
        assert!(matches!(
            resolve(&mut wo, res(), None),
            Err(DomainError::IllegalTransition { .. })
        ));
        assert!(matches!(
            close(&mut wo, now()),
            Err(DomainError::IllegalTransition { .. })
        ));
        acknowledge(&mut wo, now()).unwrap();
        assert!(acknowledge(&mut wo, now()).is_err());
        assert_eq!(wo.clocks.ack_due_at, None);
        wait_on_customer(&mut wo, &cal(), now()).unwrap();
        assert_eq!(wo.clocks.next_timer_at(), None);
        assert!(resolve(&mut wo, res(), None).is_err());
        start(&mut wo, &p, &cal(), now()).unwrap();
        assert!(wo.clocks.resolve_due_at.is_some());
        resolve(&mut wo, res(), None).unwrap();
        assert!(names_staff_for_training(&wo));
        assert!(escalate(&mut wo, &p, &cal(), now()).is_err());
        close(&mut wo, now()).unwrap();
        reopen(&mut wo, &p, &cal(), now()).unwrap();
        assert_eq!(wo.status, Status::InProgress);
        assert!(wo.clocks.resolve_due_at.is_some());
    }

    #[test]
    fn escalation_climbs_to_the_group_and_stops() {
        let p = default_policy(Severity::High);
        let mut wo = sample();
        let levels: Vec<_> = (0..3)
            .map(|_| escalate(&mut wo, &p, &cal(), now()).unwrap())
            .collect();
        assert_eq!(levels, [Level::City, Level::Province, Level::Group]);
        assert!(matches!(
            escalate(&mut wo, &p, &cal(), now()),
            Err(DomainError::Precondition(_))
        ));
    }

    #[test]
    fn only_the_holder_level_or_above_decides() {
        let mut wo = sample();
        let branch = OrgScope::Branch("br_1".into());
        let city = OrgScope::Region("guangdong/shenzhen".into());
        let province = OrgScope::Region("guangdong".into());
        assert!(check_holder(&wo, &branch).is_ok());
        wo.level = Level::City;
        assert!(matches!(
            check_holder(&wo, &branch),
            Err(DomainError::NotAllowed(_))
        ));
        assert!(check_holder(&wo, &city).is_ok());
        wo.level = Level::Province;
        assert!(check_holder(&wo, &city).is_err());
        assert!(check_holder(&wo, &province).is_ok());
        assert!(check_holder(&wo, &OrgScope::Group).is_ok());
    }

    #[test]
    fn only_complaints_are_substantiated() {
        let mut wo = sample();
        wo.kind = Kind::Praise;
        wo.status = Status::InProgress;
        let Err(DomainError::Invalid(v)) = resolve(&mut wo, res(), None) else {
            panic!("accepted")
        };
        assert_eq!(v.0[0].field, "substantiated");
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
        let Err(DomainError::Invalid(v)) = validate_intake(&intake) else {
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

    fn res() -> Resolution {
        Resolution {
            root_cause: "understaffed ultrasound".into(),
            corrective_action: "second sonographer on Mondays".into(),
            substantiated: true,
            resolved_by: "dir".into(),
            resolved_at: None,
        }
    }
}
