//! Service recovery on the spot (服务补救): when a wait promise breaks while the customer is
//! still at the branch, the visit goes into the branch's "recovery due" queue at once, with
//! a short window for the decision, instead of waiting on a complaint's SLA. What the
//! branch may give is its policy: a list of priced catalogue items.

use jiff::{SignedDuration, Timestamp};
use service_kit::{
    auth::{OrgScope, Role},
    error::Violations,
    rules::{is_id, note, text},
    vocabulary,
};

use super::{RuleError, check};

/// Minutes for a decision when the branch has not set them.
pub const DEFAULT_DECISION_MINUTES: u32 = 10;
/// Longest decision window a branch may set (minutes).
pub const MAX_DECISION_MINUTES: u32 = 120;
/// Gifts per visit when the branch has not set it.
pub const DEFAULT_GIFTS_PER_VISIT: u32 = 1;
/// Most gifts per visit a branch may allow.
pub const MAX_GIFTS_PER_VISIT: u32 = 5;
/// Most giftable items one branch may list.
pub const MAX_GIFTABLE_ITEMS: usize = 50;

/// A branch's recovery policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Branch.
    pub branch_id: String,
    /// Exam items it may give, in the order it listed them.
    pub giftable_item_ids: Vec<String>,
    /// Minutes from a breach to the decision.
    pub decision_minutes: u32,
    /// Gifts one visit may receive.
    pub gifts_per_visit: u32,
    /// Last set; `None` for a branch that never set one (the defaults).
    pub updated_at: Option<Timestamp>,
}

impl Policy {
    /// The defaults: nothing giftable, ten minutes, one gift per visit.
    pub fn default_for(branch_id: &str) -> Self {
        Self {
            branch_id: branch_id.to_owned(),
            giftable_item_ids: Vec::new(),
            decision_minutes: DEFAULT_DECISION_MINUTES,
            gifts_per_visit: DEFAULT_GIFTS_PER_VISIT,
            updated_at: None,
        }
    }
}

/// A policy as requested; zeros mean the defaults.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    /// Giftable items.
    pub giftable_item_ids: Vec<String>,
    /// Decision window, minutes (0: default).
    pub decision_minutes: u32,
    /// Gifts per visit (0: default).
    pub gifts_per_visit: u32,
}

/// Checks a requested policy's own fields and resolves its defaults. Whether each item
/// exists and has a list price is checked against the catalogue by the caller.
pub fn policy(branch_id: &str, input: PolicyInput, now: Timestamp) -> Result<Policy, RuleError> {
    let mut v = Violations::new();
    v.check(
        input.giftable_item_ids.len() <= MAX_GIFTABLE_ITEMS,
        "giftable_item_ids",
        "at most 50 items",
    );
    for (i, id) in input.giftable_item_ids.iter().enumerate() {
        if !is_id(id) {
            v.add(
                format!("giftable_item_ids[{i}]"),
                "at most 128 letters, digits, '_', '-', '.' or ':'",
            );
        } else if input.giftable_item_ids[..i].contains(id) {
            v.add(format!("giftable_item_ids[{i}]"), "listed twice");
        }
    }
    v.check(
        input.decision_minutes <= MAX_DECISION_MINUTES,
        "decision_minutes",
        "between 1 and 120 (0 for the default, 10)",
    );
    v.check(
        input.gifts_per_visit <= MAX_GIFTS_PER_VISIT,
        "gifts_per_visit",
        "between 1 and 5 (0 for the default, 1)",
    );
    check(v)?;
    Ok(Policy {
        branch_id: branch_id.to_owned(),
        giftable_item_ids: input.giftable_item_ids,
        decision_minutes: nonzero_or(input.decision_minutes, DEFAULT_DECISION_MINUTES),
        gifts_per_visit: nonzero_or(input.gifts_per_visit, DEFAULT_GIFTS_PER_VISIT),
        updated_at: Some(now),
    })
}

fn nonzero_or(value: u32, default: u32) -> u32 {
    if value == 0 { default } else { value }
}

vocabulary!(
    /// Which promise broke.
    Trigger {
        /// One exam item's wait.
        ExamItem = "EXAM_ITEM",
        /// The visit's waits added up.
        WholeVisit = "WHOLE_VISIT",
    }
);

vocabulary!(
    /// Who decides a case.
    Level {
        /// The branch (its director), within the window.
        Branch = "BRANCH",
        /// The city above it, once the window has passed.
        City = "CITY",
    }
);

/// A visit in the recovery-due queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `rc_…`
    pub id: String,
    /// The visit's appointment (one case per visit).
    pub appointment_id: String,
    /// Branch.
    pub branch_id: String,
    /// Its region path, for scope.
    pub region_path: String,
    /// The first breach of the visit.
    pub trigger: Trigger,
    /// When it broke.
    pub breached_at: Timestamp,
    /// The decision is due by then.
    pub decide_by: Timestamp,
    /// The decision, once made.
    pub decided: Option<Decided>,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// What.
    pub decision: Decision,
    /// Who (the first decider for a gift).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why nothing was given.
    pub reason: Option<NotGivenReason>,
    /// The decider's note.
    pub note: String,
}

vocabulary!(
    /// The decision on a case.
    Decision {
        /// One or more gifts.
        Granted = "GRANTED",
        /// Offered; the customer did not want it.
        DeclinedByCustomer = "DECLINED_BY_CUSTOMER",
        /// Nothing given, for a reason.
        NotGiven = "NOT_GIVEN",
    }
);

vocabulary!(
    /// Why a breach ended without a gift.
    NotGivenReason {
        /// The customer had left.
        CustomerLeft = "CUSTOMER_LEFT",
        /// Nothing giftable suits the customer.
        NothingSuitable = "NOTHING_SUITABLE",
        /// The delay was explained and accepted.
        ExplainedAndAccepted = "EXPLAINED_AND_ACCEPTED",
        /// Another reason, in the note.
        Other = "OTHER",
    }
);

vocabulary!(
    /// Who receives a gift.
    Recipient {
        /// The customer.
        Customer = "CUSTOMER",
        /// Someone accompanying the customer.
        Companion = "COMPANION",
    }
);

vocabulary!(
    /// How a gift reaches its recipient.
    Delivery {
        /// Joined the visit's route at once.
        OnRoute = "ON_ROUTE",
        /// A voucher for the next visit (the visit was over).
        Voucher = "VOUCHER",
        /// Given to the companion.
        ToCompanion = "TO_COMPANION",
    }
);

/// A gift given on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gift {
    /// Idempotency key of the decision that gave it.
    pub request_id: String,
    /// Case.
    pub case_id: String,
    /// Visit.
    pub appointment_id: String,
    /// Item.
    pub exam_item_id: String,
    /// Item name at the time.
    pub exam_item_name: String,
    /// Currency of `value_minor`.
    pub currency: String,
    /// The list price when given.
    pub value_minor: i64,
    /// To whom.
    pub recipient: Recipient,
    /// The companion's name.
    pub companion_name: String,
    /// How.
    pub delivery: Delivery,
    /// Who decided.
    pub decided_by: String,
    /// The decider's unit, which bears the cost.
    pub cost_bearer: OrgScope,
    /// When.
    pub granted_at: Timestamp,
}

/// A decision as requested.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    /// What.
    pub decision: Option<Decision>,
    /// For a gift.
    pub exam_item_id: String,
    /// For a gift.
    pub recipient: Option<Recipient>,
    /// For a gift to a companion.
    pub companion_name: String,
    /// For "not given".
    pub reason: Option<NotGivenReason>,
    /// Free text (required with reason OTHER).
    pub note: String,
}

/// Checks a decision's own fields, naming every bad one.
pub fn validate_decision(d: &DecisionInput) -> Result<(), RuleError> {
    let mut v = Violations::new();
    v.check(d.decision.is_some(), "decision", "required");
    let granted = d.decision == Some(Decision::Granted);
    if granted {
        v.check(
            is_id(&d.exam_item_id),
            "exam_item_id",
            "required for a gift: one of the branch's giftable items",
        );
        v.check(d.recipient.is_some(), "recipient", "required for a gift");
    } else {
        v.check(d.exam_item_id.is_empty(), "exam_item_id", "only for a gift");
    }
    if d.recipient == Some(Recipient::Companion) {
        text(&mut v, "companion_name", &d.companion_name, 64, true);
    } else {
        v.check(
            d.companion_name.is_empty(),
            "companion_name",
            "only for a gift to a companion",
        );
    }
    if d.decision == Some(Decision::NotGiven) {
        v.check(
            d.reason.is_some(),
            "reason",
            "required when nothing is given",
        );
    } else {
        v.check(d.reason.is_none(), "reason", "only when nothing is given");
    }
    note(
        &mut v,
        "note",
        &d.note,
        500,
        d.reason == Some(NotGivenReason::Other),
    );
    check(v)
}

/// Whether `case`, with `gifts` given so far, can take `decision` under `policy`.
pub fn check_decidable(
    case: &Case,
    gifts: usize,
    policy: &Policy,
    decision: Decision,
) -> Result<(), RuleError> {
    match (&case.decided, decision) {
        (None, _) => Ok(()),
        (Some(d), Decision::Granted) if d.decision == Decision::Granted => {
            if gifts < policy.gifts_per_visit as usize {
                Ok(())
            } else {
                Err(RuleError::Precondition(format!(
                    "this visit has had its {} gift(s); the branch allows {} per visit",
                    gifts, policy.gifts_per_visit
                )))
            }
        }
        (Some(d), _) => Err(RuleError::Precondition(format!(
            "the case was already decided: {}",
            d.decision.as_str()
        ))),
    }
}

/// What each level may give at once, in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A branch director.
    pub branch_director: i64,
    /// A region manager.
    pub region_admin: i64,
    /// The group's customer-service centre.
    pub group_admin: i64,
}

impl Default for Limits {
    /// The same defaults as the complaints service's grants.
    fn default() -> Self {
        Self {
            branch_director: 50_000,
            region_admin: 500_000,
            group_admin: 5_000_000,
        }
    }
}

/// Whether `role` in `scope` may give something worth `value_minor`; the unit that bears
/// it (whoever decides pays: the decider's own unit).
pub fn authorise(
    role: Role,
    scope: &OrgScope,
    value_minor: i64,
    limits: &Limits,
) -> Result<OrgScope, RuleError> {
    let limit = match role {
        Role::BranchDirector => limits.branch_director,
        Role::RegionAdmin => limits.region_admin,
        Role::GroupAdmin => limits.group_admin,
        _ => {
            return Err(RuleError::NotAllowed(
                "only the branch director (or the region or group above) may give".into(),
            ));
        }
    };
    if value_minor > limit {
        return Err(RuleError::NotAllowed(format!(
            "worth {value_minor} minor units, above this role's limit of {limit}; \
             it needs the level above"
        )));
    }
    Ok(scope.clone())
}

/// Whether `s` can be a token subject naming a deputy: 1–128 letters, digits, `_-.:@`.
pub fn is_subject(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'@'))
}

/// How a gift reaches `recipient` when the visit is (`over`) or is not over.
pub fn delivery(recipient: Recipient, over: bool) -> Delivery {
    match (recipient, over) {
        (Recipient::Companion, _) => Delivery::ToCompanion,
        (Recipient::Customer, false) => Delivery::OnRoute,
        (Recipient::Customer, true) => Delivery::Voucher,
    }
}

impl Case {
    /// The case a breach at `at` opens under `policy`.
    pub fn open(
        id: String,
        appointment_id: &str,
        branch_id: &str,
        region_path: &str,
        trigger: Trigger,
        at: Timestamp,
        policy: &Policy,
    ) -> Self {
        Self {
            id,
            appointment_id: appointment_id.to_owned(),
            branch_id: branch_id.to_owned(),
            region_path: region_path.to_owned(),
            trigger,
            breached_at: at,
            decide_by: at + SignedDuration::from_mins(i64::from(policy.decision_minutes)),
            decided: None,
        }
    }

    /// Whether the decision is overdue at `now`.
    pub fn is_late(&self, now: Timestamp) -> bool {
        now > self.decide_by
    }

    /// Who decides at `now`: the branch within the window; past it (undecided), the city.
    pub fn level(&self, now: Timestamp) -> Level {
        if self.decided.is_none() && self.is_late(now) {
            Level::City
        } else {
            Level::Branch
        }
    }

    /// Whether `role` may decide the case at `now`: past the window it has moved up, so
    /// the branch no longer decides (a gift after a first one follows the first decision).
    pub fn check_authority(&self, role: Role, now: Timestamp) -> Result<(), RuleError> {
        if role == Role::BranchDirector && self.level(now) == Level::City {
            return Err(RuleError::NotAllowed(format!(
                "the decision was due by {}; the case has moved up to the city",
                self.decide_by
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-11-30T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn zeros_mean_the_defaults_and_bounds_are_named() {
        let p = policy("br_1", PolicyInput::default(), t0()).unwrap();
        assert_eq!(p.decision_minutes, 10);
        assert_eq!(p.gifts_per_visit, 1);
        let err = policy(
            "br_1",
            PolicyInput {
                giftable_item_ids: vec!["item_a".into(), "bad id".into(), "item_a".into()],
                decision_minutes: 121,
                gifts_per_visit: 6,
            },
            t0(),
        )
        .unwrap_err();
        let RuleError::Invalid(v) = err else {
            panic!("{err:?}")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "giftable_item_ids[1]",
                "giftable_item_ids[2]",
                "decision_minutes",
                "gifts_per_visit"
            ]
        );
    }

    #[test]
    fn a_case_is_due_within_the_branch_window_and_late_after_it() {
        let mut p = Policy::default_for("br_1");
        p.decision_minutes = 15;
        let c = Case::open(
            "rc_1".into(),
            "apt_1",
            "br_1",
            "gd/sz",
            Trigger::WholeVisit,
            t0(),
            &p,
        );
        assert_eq!(c.decide_by, t0() + SignedDuration::from_mins(15));
        assert!(!c.is_late(c.decide_by));
        assert!(c.is_late(c.decide_by + SignedDuration::from_secs(1)));
    }

    fn input(decision: Decision) -> DecisionInput {
        DecisionInput {
            decision: Some(decision),
            exam_item_id: String::new(),
            recipient: None,
            companion_name: String::new(),
            reason: None,
            note: String::new(),
        }
    }

    #[test]
    fn each_decision_names_what_it_needs() {
        let fields = |d: &DecisionInput| match validate_decision(d) {
            Ok(()) => Vec::new(),
            Err(RuleError::Invalid(v)) => v.0.into_iter().map(|f| f.field).collect(),
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(
            fields(&input(Decision::Granted)),
            ["exam_item_id", "recipient"]
        );
        let mut companion = input(Decision::Granted);
        companion.exam_item_id = "item_1".into();
        companion.recipient = Some(Recipient::Companion);
        assert_eq!(fields(&companion), ["companion_name"]);
        companion.companion_name = "王先生".into();
        assert!(fields(&companion).is_empty());
        assert_eq!(fields(&input(Decision::NotGiven)), ["reason"]);
        let mut other = input(Decision::NotGiven);
        other.reason = Some(NotGivenReason::Other);
        assert_eq!(fields(&other), ["note"]);
        assert!(fields(&input(Decision::DeclinedByCustomer)).is_empty());
    }

    #[test]
    fn one_gift_per_visit_unless_the_branch_allows_more_and_no_second_decision() {
        let mut p = Policy::default_for("br_1");
        let mut c = Case::open("rc_1".into(), "a", "br_1", "r", Trigger::ExamItem, t0(), &p);
        assert!(check_decidable(&c, 0, &p, Decision::Granted).is_ok());
        c.decided = Some(Decided {
            decision: Decision::Granted,
            by: "d".into(),
            at: t0(),
            reason: None,
            note: String::new(),
        });
        assert!(check_decidable(&c, 1, &p, Decision::Granted).is_err());
        assert!(check_decidable(&c, 1, &p, Decision::NotGiven).is_err());
        p.gifts_per_visit = 2;
        assert!(check_decidable(&c, 1, &p, Decision::Granted).is_ok());
    }

    #[test]
    fn past_the_window_the_case_moves_up_and_the_branch_no_longer_decides() {
        let p = Policy::default_for("br_1");
        let mut c = Case::open("rc_1".into(), "a", "br_1", "r", Trigger::ExamItem, t0(), &p);
        let late = c.decide_by + SignedDuration::from_secs(1);
        assert_eq!(c.level(c.decide_by), Level::Branch);
        assert_eq!(c.level(late), Level::City);
        assert!(c.check_authority(Role::BranchDirector, c.decide_by).is_ok());
        assert!(c.check_authority(Role::BranchDirector, late).is_err());
        assert!(c.check_authority(Role::RegionAdmin, late).is_ok());
        // Decided in time: a later second gift stays with the branch.
        c.decided = Some(Decided {
            decision: Decision::Granted,
            by: "d".into(),
            at: t0(),
            reason: None,
            note: String::new(),
        });
        assert_eq!(c.level(late), Level::Branch);
    }

    #[test]
    fn whoever_decides_pays_within_their_limit() {
        let l = Limits::default();
        let branch = OrgScope::Branch("br_1".into());
        assert_eq!(
            authorise(Role::BranchDirector, &branch, 50_000, &l).unwrap(),
            branch
        );
        assert!(authorise(Role::BranchDirector, &branch, 50_001, &l).is_err());
        assert!(authorise(Role::FrontDesk, &branch, 1, &l).is_err());
        let region = OrgScope::Region("guangdong".into());
        assert_eq!(
            authorise(Role::RegionAdmin, &region, 50_001, &l).unwrap(),
            region
        );
    }

    #[test]
    fn a_customer_gift_joins_the_route_or_becomes_a_voucher() {
        assert_eq!(delivery(Recipient::Customer, false), Delivery::OnRoute);
        assert_eq!(delivery(Recipient::Customer, true), Delivery::Voucher);
        assert_eq!(delivery(Recipient::Companion, false), Delivery::ToCompanion);
    }
}
