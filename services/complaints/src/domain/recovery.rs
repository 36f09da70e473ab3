//! Service recovery: who may grant what, up to how much, and who pays. "Whoever decides
//! pays" (谁决定谁买单): the cost bearer is always the authoriser's own unit.

use jiff::Timestamp;
use service_kit::{
    auth::{OrgScope, Role},
    error::Violations,
};

use super::{
    RuleError, check,
    vocab::{CompensationKind, Delivery},
};

/// Authorisation limits and the per-customer cap, in the currency's minor unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// ISO currency every amount is in.
    pub currency: String,
    /// Most a branch director may grant at once (complimentary items and vouchers).
    pub branch_director: i64,
    /// Most a region manager may grant at once.
    pub region_admin: i64,
    /// Most the group customer-service centre may grant at once.
    pub group_admin: i64,
    /// Most one customer may receive in a calendar year.
    pub customer_yearly_cap: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            currency: "CNY".into(),
            branch_director: 50_000,
            region_admin: 500_000,
            group_admin: 5_000_000,
            customer_yearly_cap: 300_000,
        }
    }
}

/// A grant as requested.
#[derive(Debug, Clone)]
pub struct Grant {
    /// What.
    pub kind: Option<CompensationKind>,
    /// Currency of `value_minor`.
    pub currency: String,
    /// Worth.
    pub value_minor: i64,
    /// For a complimentary item.
    pub exam_item_id: String,
    /// Why.
    pub note: String,
}

/// Checks the grant's own fields.
pub fn validate(g: &Grant, limits: &Limits) -> Result<CompensationKind, RuleError> {
    let mut v = Violations::new();
    v.check(g.kind.is_some(), "kind", "required");
    v.check(
        g.currency == limits.currency,
        "value.currency_code",
        &format!("must be {}", limits.currency),
    );
    v.check(g.value_minor > 0, "value.minor_units", "must be positive");
    service_kit::rules::money(&mut v, "value.minor_units", g.value_minor);
    let item = g.kind == Some(CompensationKind::ComplimentaryItem);
    v.check(
        item != g.exam_item_id.is_empty(),
        "exam_item_id",
        "required for a complimentary item, and only for one",
    );
    v.check(
        g.exam_item_id.is_empty() || service_kit::rules::is_id(&g.exam_item_id),
        "exam_item_id",
        "at most 128 letters, digits, '_', '-', '.' or ':'",
    );
    service_kit::rules::note(&mut v, "note", &g.note, 2000, false);
    check(v)?;
    if item {
        // An exam item has one way in: the branch's decision in scheduling, from its
        // giftable list at the catalogue price, one per visit unless the branch allows
        // more. A second way with a typed value would undo all three.
        return Err(RuleError::Precondition(
            "an exam item is given through scheduling's DecideRecovery, from the branch's \
             giftable items at their list price; a work order grants vouchers and refunds"
                .into(),
        ));
    }
    Ok(g.kind.expect("checked"))
}

/// Whether `role` acting in `scope` may grant `value_minor` of `kind`; returns the cost
/// bearer (`branch:<id>`, `region:<path>`, `group`).
pub fn authorise(
    role: Role,
    scope: &OrgScope,
    kind: CompensationKind,
    value_minor: i64,
    limits: &Limits,
) -> Result<String, RuleError> {
    let limit = match role {
        Role::BranchDirector => {
            if kind == CompensationKind::Refund {
                return Err(RuleError::NotAllowed(
                    "a refund needs region or group authorisation".into(),
                ));
            }
            limits.branch_director
        }
        Role::RegionAdmin => limits.region_admin,
        Role::GroupAdmin => limits.group_admin,
        other => {
            return Err(RuleError::NotAllowed(format!(
                "a {} may not grant service recovery; a branch director may",
                role_name(other)
            )));
        }
    };
    if value_minor > limit {
        let who = match role {
            Role::BranchDirector => "region or group",
            Role::RegionAdmin => "group",
            _ => "finance",
        };
        return Err(RuleError::NotAllowed(format!(
            "{} {} is above this role's limit of {}; it needs {who} authorisation",
            amount(value_minor),
            limits.currency,
            amount(limit)
        )));
    }
    Ok(scope.to_string())
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::FrontDesk => "front-desk member of staff",
        Role::CallCentreAgent => "call-centre agent",
        Role::HealthManager => "health manager",
        Role::ExamStation => "exam station",
        Role::BranchSystem => "branch system",
        Role::Service => "service",
        Role::BranchDirector => "branch director",
        Role::RegionAdmin => "region manager",
        Role::GroupAdmin => "group administrator",
    }
}

/// `123.45` for 12345 minor units.
pub fn amount(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

/// A grant as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compensation {
    /// `comp_…`; also the idempotency key of the call that adds a complimentary item.
    pub id: String,
    /// The client's idempotency key.
    pub request_id: String,
    /// Work order.
    pub work_order_id: String,
    /// What.
    pub kind: CompensationKind,
    /// Currency.
    pub currency: String,
    /// Worth.
    pub value_minor: i64,
    /// For a complimentary item.
    pub exam_item_id: String,
    /// The visit it goes to.
    pub appointment_id: String,
    /// Whose yearly total it counts against.
    pub customer_key: String,
    /// Which year's.
    pub cap_year: i64,
    /// Token subject of the authoriser.
    pub authorised_by: String,
    /// Authoriser's unit.
    pub cost_bearer: String,
    /// Why.
    pub note: String,
    /// Reached the customer yet?
    pub delivery: Delivery,
    /// Scheduling's answer, for a person to read.
    pub delivery_detail: String,
    /// Calls made to deliver it.
    pub attempts: i64,
    /// When to try again, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// Granted.
    pub granted_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch() -> OrgScope {
        OrgScope::Branch("br_1".into())
    }

    #[test]
    fn a_director_may_give_an_item_a_front_desk_nurse_may_not() {
        let l = Limits::default();
        let item = CompensationKind::ComplimentaryItem;
        assert_eq!(
            authorise(Role::BranchDirector, &branch(), item, 30_000, &l).unwrap(),
            "branch:br_1"
        );
        let Err(RuleError::NotAllowed(why)) = authorise(Role::FrontDesk, &branch(), item, 100, &l)
        else {
            panic!("front desk allowed")
        };
        assert!(why.contains("branch director"), "{why}");
    }

    #[test]
    fn larger_amounts_need_region_or_group_who_then_pay() {
        let l = Limits::default();
        let voucher = CompensationKind::Voucher;
        assert!(authorise(Role::BranchDirector, &branch(), voucher, 50_001, &l).is_err());
        assert!(
            authorise(
                Role::BranchDirector,
                &branch(),
                CompensationKind::Refund,
                1,
                &l
            )
            .is_err()
        );
        let region = OrgScope::Region("guangdong".into());
        assert_eq!(
            authorise(Role::RegionAdmin, &region, voucher, 500_000, &l).unwrap(),
            "region:guangdong"
        );
        assert!(authorise(Role::RegionAdmin, &region, voucher, 500_001, &l).is_err());
        assert_eq!(
            authorise(
                Role::GroupAdmin,
                &OrgScope::Group,
                CompensationKind::Refund,
                500_001,
                &l
            )
            .unwrap(),
            "group"
        );
    }

    #[test]
    fn grants_are_checked() {
        let l = Limits::default();
        let g = Grant {
            kind: Some(CompensationKind::ComplimentaryItem),
            currency: "USD".into(),
            value_minor: 0,
            exam_item_id: String::new(),
            note: String::new(),
        };
        let Err(RuleError::Invalid(v)) = validate(&g, &l) else {
            panic!("accepted")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["value.currency_code", "value.minor_units", "exam_item_id"]
        );
        let ok = Grant {
            currency: "CNY".into(),
            value_minor: 100,
            exam_item_id: "ei_1".into(),
            ..g
        };
        // Well formed, and still refused: items are given in scheduling, at their price.
        let Err(RuleError::Precondition(why)) = validate(&ok, &l) else {
            panic!("an item granted on a work order")
        };
        assert!(why.contains("DecideRecovery"), "{why}");
        let voucher = Grant {
            kind: Some(CompensationKind::Voucher),
            exam_item_id: String::new(),
            ..ok
        };
        assert_eq!(validate(&voucher, &l).unwrap(), CompensationKind::Voucher);
        assert_eq!(amount(12_345), "123.45");
    }
}
