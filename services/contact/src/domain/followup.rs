//! Follow-up plans and the calls they make: the templates (built in, and as the group set
//! them), which template a visit's outcome starts, which team takes each task, when an
//! unsettled task moves up, and what a call's outcome does to its task.

use jiff::{SignedDuration, Timestamp};
use service_kit::{
    error::Violations,
    rules::{RuleError, check},
};

use super::{
    followup_vocab::{EscalationLevel, PlanKind, Segment, Skill, TeamLevel, VisitOutcome},
    vocab::Purpose,
};

/// Most steps in a template (a year of monthly calls fits).
pub const MAX_STEPS: usize = 24;
/// Most escalation steps.
pub const MAX_ESCALATIONS: usize = 3;
/// The top priority.
pub const TOP_PRIORITY: u8 = 5;

/// One task a plan makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Days after the outcome when it opens (0: at once).
    pub offset_days: u32,
    /// Minutes from opening to due.
    pub window_minutes: u32,
    /// Who may take it.
    pub skill: Skill,
    /// Which team, relative to the visit's branch.
    pub team: TeamLevel,
    /// 1 (lowest) to [`TOP_PRIORITY`].
    pub priority: u8,
    /// What the agent sees.
    pub title: String,
    /// Unanswered calls before it is given up; 0 never.
    pub max_attempts: u32,
    /// Minutes between unanswered calls.
    pub retry_minutes: u32,
}

/// When an unsettled task moves up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationStep {
    /// Minutes after the task's due time.
    pub after_due_minutes: u32,
    /// To whom.
    pub level: EscalationLevel,
}

/// A plan's template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Which plan.
    pub kind: PlanKind,
    /// Its tasks.
    pub steps: Vec<Step>,
    /// Its escalations, in order.
    pub escalations: Vec<EscalationStep>,
}

#[allow(clippy::too_many_arguments)]
fn step(
    offset_days: u32,
    window_minutes: u32,
    skill: Skill,
    team: TeamLevel,
    priority: u8,
    title: &str,
    max_attempts: u32,
    retry_minutes: u32,
) -> Step {
    Step {
        offset_days,
        window_minutes,
        skill,
        team,
        priority,
        title: title.to_owned(),
        max_attempts,
        retry_minutes,
    }
}

const DAY: u32 = 24 * 60;

/// The built-in template of `kind`, used until the group sets its own.
pub fn built_in(kind: PlanKind) -> Template {
    use EscalationLevel::{BranchDirector, Region};
    use Skill::{CustomerService, Medical, Sales};
    use TeamLevel::{Branch, Group};
    let up = |after_due_minutes, level| EscalationStep {
        after_due_minutes,
        level,
    };
    let (steps, escalations) = match kind {
        // Due at once; never given up; the director holds it the moment it is late, the
        // region an hour later.
        PlanKind::CriticalFinding => (
            vec![step(
                0,
                60,
                Medical,
                Branch,
                TOP_PRIORITY,
                "Critical finding: arrange the expert group and guide the customer",
                0,
                10,
            )],
            vec![up(0, BranchDirector), up(60, Region)],
        ),
        PlanKind::Abnormal => (
            vec![step(
                0,
                3 * DAY,
                Medical,
                Branch,
                4,
                "Explain the report's abnormal results",
                3,
                240,
            )],
            vec![up(DAY, BranchDirector)],
        ),
        PlanKind::AfterOperation => (
            [1, 7, 30, 90, 180, 365]
                .into_iter()
                .map(|d| {
                    step(
                        d,
                        3 * DAY,
                        Medical,
                        Branch,
                        3,
                        &format!("Follow-up call {d} days after the operation"),
                        3,
                        240,
                    )
                })
                .collect(),
            vec![up(DAY, BranchDirector)],
        ),
        // 复诊: the medical assistant and customer service, each on its own track.
        PlanKind::Returning => (
            vec![
                step(
                    1,
                    7 * DAY,
                    Medical,
                    Branch,
                    2,
                    "Medical assistant: go through the report and what to watch",
                    3,
                    240,
                ),
                step(
                    1,
                    7 * DAY,
                    CustomerService,
                    Group,
                    2,
                    "Customer service: how was the visit, anything we can do",
                    3,
                    240,
                ),
            ],
            vec![],
        ),
        PlanKind::FirstVisit => (
            vec![step(
                1,
                7 * DAY,
                CustomerService,
                Group,
                2,
                "First visit: how was it, and the report's next steps",
                3,
                240,
            )],
            vec![],
        ),
        PlanKind::LongTerm => (
            [30, 120, 210, 300]
                .into_iter()
                .map(|d| {
                    step(
                        d,
                        14 * DAY,
                        CustomerService,
                        Group,
                        1,
                        "Care call as the customer's health adviser",
                        3,
                        24 * 60,
                    )
                })
                .collect(),
            vec![],
        ),
        PlanKind::Lead => (
            vec![step(
                0,
                2 * DAY,
                Sales,
                Group,
                2,
                "Introduce the group to a prospect",
                3,
                240,
            )],
            vec![],
        ),
    };
    Template {
        kind,
        steps,
        escalations,
    }
}

/// Every template's faults, field by field (`template.steps[2].priority`).
pub fn check_template(t: &Template) -> Result<(), RuleError> {
    let mut v = Violations::new();
    v.check(
        (1..=MAX_STEPS).contains(&t.steps.len()),
        "template.steps",
        &format!("between 1 and {MAX_STEPS} steps"),
    );
    for (i, s) in t.steps.iter().enumerate() {
        let f = |name: &str| format!("template.steps[{i}].{name}");
        v.check(
            s.offset_days <= 3 * 366,
            &f("offset_days"),
            "at most 3 years",
        );
        v.check(
            (1..=90 * DAY).contains(&s.window_minutes),
            &f("window_minutes"),
            "between 1 minute and 90 days",
        );
        v.check(
            (1..=TOP_PRIORITY).contains(&s.priority),
            &f("priority"),
            "between 1 and 5",
        );
        v.check(s.max_attempts <= 20, &f("max_attempts"), "at most 20");
        v.check(
            (1..=30 * DAY).contains(&s.retry_minutes),
            &f("retry_minutes"),
            "between 1 minute and 30 days",
        );
        if s.skill == Skill::Sales {
            v.check(
                t.kind == PlanKind::Lead,
                &f("skill"),
                "sales calls are for leads only",
            );
        }
        if t.kind == PlanKind::CriticalFinding {
            v.check(
                s.skill == Skill::Medical,
                &f("skill"),
                "a critical finding is for the medical team",
            );
        }
    }
    v.check(
        t.escalations.len() <= MAX_ESCALATIONS,
        "template.escalations",
        &format!("at most {MAX_ESCALATIONS}"),
    );
    let mut last: Option<&EscalationStep> = None;
    for (i, e) in t.escalations.iter().enumerate() {
        v.check(
            e.level != EscalationLevel::None,
            &format!("template.escalations[{i}].level"),
            "required",
        );
        if let Some(prev) = last {
            v.check(
                e.level > prev.level && e.after_due_minutes >= prev.after_due_minutes,
                &format!("template.escalations[{i}]"),
                "each step goes higher, no sooner than the one before",
            );
        }
        last = Some(e);
    }
    if t.kind == PlanKind::CriticalFinding {
        v.check(
            !t.escalations.is_empty(),
            "template.escalations",
            "a critical finding must escalate",
        );
    }
    check(v)
}

/// The plan a visit's outcome starts, given the customer's segment before it.
pub fn plan_kind(outcome: VisitOutcome, segment: Segment) -> PlanKind {
    match outcome {
        VisitOutcome::CriticalFinding => PlanKind::CriticalFinding,
        VisitOutcome::Abnormal => PlanKind::Abnormal,
        VisitOutcome::AfterOperation => PlanKind::AfterOperation,
        VisitOutcome::Normal => match segment {
            Segment::LongTerm => PlanKind::LongTerm,
            Segment::Returning => PlanKind::Returning,
            Segment::Prospect | Segment::FirstVisit => PlanKind::FirstVisit,
        },
    }
}

/// The consent a plan's calls need; `None` for a critical finding, which the branch owes
/// the customer whatever they chose about follow-up calls (危急值 must be reported).
pub fn consent_needed(kind: PlanKind) -> Option<Purpose> {
    match kind {
        PlanKind::CriticalFinding => None,
        PlanKind::Lead => Some(Purpose::Marketing),
        _ => Some(Purpose::FollowUp),
    }
}

/// The team of `level` over a branch: `branch:<id>`, `region:<province>/<city>` or
/// `group` (the same spelling as token scopes, so an agent's team is a scope).
pub fn team(level: TeamLevel, branch_id: &str, region_path: &str) -> String {
    match level {
        TeamLevel::Branch if !branch_id.is_empty() => format!("branch:{branch_id}"),
        TeamLevel::City if !region_path.is_empty() => format!("region:{region_path}"),
        _ => "group".into(),
    }
}

/// Who holds a task escalated to `level`.
pub fn holder(level: EscalationLevel, branch_id: &str, region_path: &str) -> String {
    match level {
        EscalationLevel::None => String::new(),
        EscalationLevel::BranchDirector => format!("branch:{branch_id} director"),
        EscalationLevel::Region if !region_path.is_empty() => format!("region:{region_path}"),
        EscalationLevel::Region | EscalationLevel::Group => "group".into(),
    }
}

/// A task as a template step plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Which step.
    pub step: Step,
    /// When it opens.
    pub open_from: Timestamp,
    /// When it is due.
    pub due_at: Timestamp,
}

/// When a call planned for a later day opens: the start of the branch's working day, so
/// that a day-one call after an outcome recorded late in the evening is not made at night.
pub const DAY_STARTS: jiff::civil::Time = jiff::civil::Time::constant(9, 0, 0, 0);

/// The tasks `template` plans from `now`: a step of day 0 opens at once, a later one at
/// [`DAY_STARTS`] on its day in the branch's zone `tz`.
pub fn plan_tasks(template: &Template, now: Timestamp, tz: &jiff::tz::TimeZone) -> Vec<Planned> {
    let today = now.to_zoned_datetime(tz.clone()).date();
    template
        .steps
        .iter()
        .map(|s| {
            let open_from = if s.offset_days == 0 {
                now
            } else {
                today
                    .checked_add(jiff::Span::new().days(i64::from(s.offset_days)))
                    .ok()
                    .and_then(|d| d.to_datetime(DAY_STARTS).to_zoned_datetime(tz.clone()).ok())
                    .map(|z| z.timestamp())
                    .unwrap_or(now + SignedDuration::from_hours(24 * i64::from(s.offset_days)))
            };
            Planned {
                step: s.clone(),
                open_from,
                due_at: open_from + SignedDuration::from_mins(i64::from(s.window_minutes)),
            }
        })
        .collect()
}

/// The escalation at `index` of `template` for a task due at `due_at`: when and to whom.
pub fn escalation_at(
    template: &[EscalationStep],
    index: usize,
    due_at: Timestamp,
) -> Option<(Timestamp, EscalationLevel)> {
    template.get(index).map(|e| {
        (
            due_at + SignedDuration::from_mins(i64::from(e.after_due_minutes)),
            e.level,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_passes_its_own_rules() {
        for kind in PlanKind::ALL {
            check_template(&built_in(*kind)).unwrap();
        }
    }

    #[test]
    fn after_an_operation_calls_on_the_days_of_the_template_from_nine_local() {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        // 22:30 in Shanghai on 30 November.
        let late: Timestamp = "2026-11-30T14:30:00Z".parse().unwrap();
        let tasks = plan_tasks(&built_in(PlanKind::AfterOperation), late, &tz);
        let opens: Vec<String> = tasks
            .iter()
            .map(|p| {
                p.open_from
                    .to_zoned_datetime(tz.clone())
                    .datetime()
                    .to_string()
            })
            .collect();
        assert_eq!(
            opens,
            [
                "2026-12-01T09:00:00",
                "2026-12-07T09:00:00",
                "2026-12-30T09:00:00",
                "2027-02-28T09:00:00",
                "2027-05-29T09:00:00",
                "2027-11-30T09:00:00"
            ]
        );
        // Day 0 opens at once.
        let now = plan_tasks(&built_in(PlanKind::CriticalFinding), late, &tz);
        assert_eq!(now[0].open_from, late);
    }

    #[test]
    fn the_outcome_and_segment_choose_the_plan() {
        use Segment::*;
        assert_eq!(
            plan_kind(VisitOutcome::Normal, Returning),
            PlanKind::Returning
        );
        assert_eq!(
            plan_kind(VisitOutcome::Normal, LongTerm),
            PlanKind::LongTerm
        );
        assert_eq!(
            plan_kind(VisitOutcome::Normal, FirstVisit),
            PlanKind::FirstVisit
        );
        assert_eq!(
            plan_kind(VisitOutcome::CriticalFinding, Returning),
            PlanKind::CriticalFinding
        );
        assert_eq!(built_in(PlanKind::Returning).steps.len(), 2);
    }

    #[test]
    fn templates_are_checked_field_by_field() {
        let mut t = built_in(PlanKind::CriticalFinding);
        t.steps[0].priority = 9;
        t.steps[0].skill = Skill::CustomerService;
        t.escalations.clear();
        let Err(RuleError::Invalid(v)) = check_template(&t) else {
            panic!("accepted");
        };
        let fields: Vec<&str> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"template.steps[0].priority"), "{fields:?}");
        assert!(fields.contains(&"template.steps[0].skill"), "{fields:?}");
        assert!(fields.contains(&"template.escalations"), "{fields:?}");
    }

    #[test]
    fn teams_and_holders_are_spelled_as_scopes() {
        assert_eq!(
            team(TeamLevel::Branch, "sz-ft-01", "guangdong/shenzhen"),
            "branch:sz-ft-01"
        );
        assert_eq!(
            team(TeamLevel::City, "sz-ft-01", "guangdong/shenzhen"),
            "region:guangdong/shenzhen"
        );
        assert_eq!(team(TeamLevel::Group, "sz-ft-01", "x/y"), "group");
        assert_eq!(
            holder(EscalationLevel::BranchDirector, "sz-ft-01", ""),
            "branch:sz-ft-01 director"
        );
    }
}
