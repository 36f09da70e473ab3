//! Service recovery on the spot (服务补救): when a wait promise breaks while the customer is
//! still at the branch, the visit goes into the branch's "recovery due" queue at once, with
//! a short window for the decision, instead of waiting on a complaint's SLA. What the
//! branch may give is its policy: a list of priced catalogue items.

use jiff::{SignedDuration, Timestamp};
use service_kit::{error::Violations, rules::is_id};

use super::{RuleError, check, visit::EntryStatus};

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

/// Which promise broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// One exam item's wait.
    ExamItem,
    /// The visit's waits added up.
    WholeVisit,
}

impl Trigger {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::ExamItem => "EXAM_ITEM",
            Trigger::WholeVisit => "WHOLE_VISIT",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EXAM_ITEM" => Some(Trigger::ExamItem),
            "WHOLE_VISIT" => Some(Trigger::WholeVisit),
            _ => None,
        }
    }
}

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
        }
    }

    /// Whether the decision is overdue at `now`.
    pub fn is_late(&self, now: Timestamp) -> bool {
        now > self.decide_by
    }
}

/// Whether a customer with these entries is still at the branch for the visit (waiting,
/// called or being examined for something, or with items still ahead).
pub fn still_on_site(statuses: impl IntoIterator<Item = EntryStatus>) -> bool {
    statuses.into_iter().any(|s| s != EntryStatus::Done)
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

    #[test]
    fn a_visit_with_anything_left_is_still_on_site() {
        use EntryStatus::*;
        assert!(still_on_site([Done, Waiting]));
        assert!(still_on_site([Done, Pending]));
        assert!(!still_on_site([Done, Done]));
    }
}
