//! The lifecycle of a work order: its legal moves (new → acknowledged → in progress ⇄
//! waiting on the customer → resolved → closed, reopen, escalate) with what each does to
//! the SLA clocks, and which level may make them.

use jiff::Timestamp;
use service_kit::{auth::OrgScope, error::Violations};

use super::{
    RuleError,
    calendar::Calendar,
    check,
    sla::Policy,
    vocab::{Kind, Level, Status},
    work_order::{MAX_STAFF, Resolution, WorkOrder, is_id},
};

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
pub fn check_holder(wo: &WorkOrder, scope: &OrgScope) -> Result<(), RuleError> {
    let mine = level_of(scope);
    if mine >= wo.level {
        Ok(())
    } else {
        Err(RuleError::NotAllowed(format!(
            "work order {} is held at {} level; {} level can no longer decide it",
            wo.number(),
            wo.level.as_str().to_lowercase(),
            mine.as_str().to_lowercase()
        )))
    }
}

fn illegal(from: Status, action: &'static str) -> RuleError {
    RuleError::IllegalTransition {
        subject: "a work order",
        from: from.as_str(),
        action,
    }
}

/// new → acknowledged.
pub fn acknowledge(wo: &mut WorkOrder, now: Timestamp) -> Result<(), RuleError> {
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
) -> Result<(), RuleError> {
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
) -> Result<(), RuleError> {
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
) -> Result<(), RuleError> {
    let mut v = Violations::new();
    service_kit::rules::note(&mut v, "root_cause", &resolution.root_cause, 2000, true);
    service_kit::rules::note(
        &mut v,
        "corrective_action",
        &resolution.corrective_action,
        2000,
        false,
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
pub fn close(wo: &mut WorkOrder, now: Timestamp) -> Result<(), RuleError> {
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
) -> Result<(), RuleError> {
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
) -> Result<Level, RuleError> {
    if !wo.status.is_open() {
        return Err(illegal(wo.status, "escalate"));
    }
    let up = wo.level.up().ok_or_else(|| {
        RuleError::Precondition(
            "the work order is already with the group customer-service centre".into(),
        )
    })?;
    wo.level = up;
    wo.clocks.start_level(policy, cal, wo.status, now);
    Ok(up)
}

/// Satisfaction can be asked once there is a resolution to be satisfied with.
pub fn record_satisfaction(wo: &mut WorkOrder, score: u32) -> Result<(), RuleError> {
    if !(1..=5).contains(&score) {
        let mut v = Violations::new();
        v.add("score", "between 1 and 5");
        return Err(RuleError::Invalid(v));
    }
    if !matches!(wo.status, Status::Resolved | Status::Closed) {
        return Err(RuleError::Precondition(
            "satisfaction is recorded once the work order is resolved".into(),
        ));
    }
    wo.satisfaction = score as u8;
    Ok(())
}

/// Checks free text attached to an action (a note, a reason).
pub fn check_text(field: &str, text: &str, required: bool) -> Result<String, RuleError> {
    let mut v = Violations::new();
    let trimmed = service_kit::rules::note(&mut v, field, text, 2000, required);
    check(v)?;
    Ok(trimmed)
}

/// Checks a staff id given as an assignee.
pub fn check_assignee(assignee: &str) -> Result<(), RuleError> {
    let mut v = Violations::new();
    v.check(
        is_id(assignee),
        "assignee",
        "required, at most 128 letters, digits, '_', '-', '.' or ':'",
    );
    check(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        sla::default_policy,
        vocab::Severity,
        work_order::tests::{cal, sample},
    };

    fn now() -> Timestamp {
        "2026-11-25T03:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_lifecycle_allows_only_its_moves() {
        let p = default_policy(Severity::High);
        let mut wo = sample();
        assert!(matches!(
            resolve(&mut wo, res(), None),
            Err(RuleError::IllegalTransition { .. })
        ));
        assert!(matches!(
            close(&mut wo, now()),
            Err(RuleError::IllegalTransition { .. })
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
            Err(RuleError::Precondition(_))
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
            Err(RuleError::NotAllowed(_))
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
        let Err(RuleError::Invalid(v)) = resolve(&mut wo, res(), None) else {
            panic!("accepted")
        };
        assert_eq!(v.0[0].field, "substantiated");
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
