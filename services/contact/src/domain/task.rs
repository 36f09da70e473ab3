//! A follow-up plan, its tasks and the agents who take them, as stored.

use jiff::Timestamp;

use super::{
    followup_vocab::{
        CallOutcome, EscalationLevel, PlanKind, PlanStatus, Skill, TaskStatus, VisitOutcome,
    },
    vocab::Channel,
};

/// A follow-up plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `fup_…`.
    pub id: String,
    /// The request that started it, for retries.
    pub request_id: String,
    /// Whose.
    pub customer_id: String,
    /// The visit ('' for a lead).
    pub appointment_id: String,
    /// The visit's branch ('' for a lead of the group).
    pub branch_id: String,
    /// Its region.
    pub region_path: String,
    /// Which template.
    pub kind: PlanKind,
    /// What was found (`None` for a lead).
    pub outcome: Option<VisitOutcome>,
    /// Where it stands.
    pub status: PlanStatus,
    /// Why it was withdrawn.
    pub reason: String,
    /// What the doctor wrote.
    pub summary: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// A call to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// `tsk_…`.
    pub id: String,
    /// Its plan.
    pub plan_id: String,
    /// Whom to call.
    pub customer_id: String,
    /// A display copy of their name.
    pub customer_name: String,
    /// The visit's (or the lead's) branch.
    pub branch_id: String,
    /// Its region.
    pub region_path: String,
    /// `branch:<id>`, `region:<path>` or `group`.
    pub team: String,
    /// Who may take it.
    pub skill: Skill,
    /// The plan's kind.
    pub plan_kind: PlanKind,
    /// 1 to 5.
    pub priority: u8,
    /// What the agent sees.
    pub title: String,
    /// The medical detail.
    pub detail: String,
    /// Opens.
    pub open_from: Timestamp,
    /// Due.
    pub due_at: Timestamp,
    /// May next be claimed.
    pub ready_at: Timestamp,
    /// Local day it opens (days since 1970-01-01).
    pub open_day: i64,
    /// Local day it is due.
    pub due_day: i64,
    /// Where it stands.
    pub status: TaskStatus,
    /// The agent who has it.
    pub claimed_by: String,
    /// Until when.
    pub claimed_until: Option<Timestamp>,
    /// Only this agent may claim it.
    pub assigned_to: String,
    /// Unanswered calls.
    pub attempts: u32,
    /// Before it is given up; 0 never.
    pub max_attempts: u32,
    /// Minutes between them.
    pub retry_minutes: u32,
    /// Only a reached customer settles it.
    pub until_reached: bool,
    /// Who holds it besides the team.
    pub escalation: EscalationLevel,
    /// Named.
    pub escalated_to: String,
    /// The plan's next escalation step.
    pub escalation_step: u32,
    /// When it falls due.
    pub next_escalation_at: Option<Timestamp>,
    /// The last call's outcome.
    pub last_outcome: Option<CallOutcome>,
    /// What was said or arranged.
    pub outcome_note: String,
    /// The channel agreed with the customer.
    pub channel: Channel,
    /// Why it was withdrawn or cancelled.
    pub reason: String,
    /// When it was settled.
    pub closed_at: Option<Timestamp>,
}

/// An agent of the call centre or a branch team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Their token subject.
    pub id: String,
    /// Their team.
    pub team: String,
    /// What they may take.
    pub skills: Vec<Skill>,
    /// Calls a working day.
    pub tasks_per_day: u32,
    /// ISO weekdays worked, 1 Monday … 7 Sunday.
    pub working_days: Vec<i8>,
}

impl Agent {
    /// Calls they can make on a day of `weekday` (1 Monday … 7 Sunday).
    pub fn capacity_on(&self, weekday: i8) -> u64 {
        if self.working_days.contains(&weekday) {
            u64::from(self.tasks_per_day)
        } else {
            0
        }
    }
}
