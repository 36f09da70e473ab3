//! The work queue: agents and their teams, claiming the most urgent task, what a call's
//! outcome does, reassignment, escalation of unsettled tasks, and the planned load.

use std::collections::HashMap;

use hospital_proto::contact as pb;
use jiff::{SignedDuration, Timestamp};
use service_kit::{
    Error, Result,
    auth::{OrgScope, Principal, Role},
    db::retry,
    error::Violations,
    ids::new_id,
    rules::{self, check},
    sql::Where,
};

use super::{Contact, publish, roles, wire};
use crate::{
    domain::{
        call::{After, Attempts, after_call},
        followup::{escalation_at, holder},
        followup_vocab::{CallOutcome, PlanKind, Skill, TaskStatus},
        task::{Agent, Task},
        vocab::{Channel, Purpose},
    },
    store::{self, messages::Record},
};

/// How long a claim holds a task before it returns to the queue.
pub const CLAIM_HOLD: SignedDuration = SignedDuration::from_mins(15);
/// How long a queued task stays kept for one agent (a call back they arranged, a
/// reassignment) before anyone of the team may take it.
pub const ASSIGNED_HOLD: SignedDuration = SignedDuration::from_hours(1);
/// How long an agent read from the database is used before it is read again.
pub const AGENT_FRESH: std::time::Duration = std::time::Duration::from_secs(30);
/// The most a call's note may say.
pub const MAX_NOTE: usize = 2000;

/// A task as the caller may see it.
#[derive(Debug, Clone)]
pub struct TaskView {
    /// The task.
    pub task: Task,
    /// The customer's phone: full to callers, masked to everyone else.
    pub phone: String,
    /// Whether the caller may read the medical detail.
    pub medical: bool,
}

/// A call's outcome as recorded.
#[derive(Debug, Clone)]
pub struct CallReport {
    /// Idempotency key.
    pub request_id: String,
    /// Which task.
    pub task_id: String,
    /// How it went.
    pub outcome: CallOutcome,
    /// What was said or arranged.
    pub note: String,
    /// For a call back.
    pub call_back_at: Option<Timestamp>,
    /// The channel used, if not the agreed one.
    pub channel: Option<Channel>,
}

/// What the caller's role may take, of `skills`.
fn usable(role: Role, skills: &[Skill]) -> Vec<Skill> {
    skills
        .iter()
        .copied()
        .filter(|s| roles::may_see_skill(role, *s))
        .collect()
}

impl Contact {
    /// Whether `team` lies in the caller's scope, or PERMISSION_DENIED; INVALID_ARGUMENT
    /// when it is not a team's name.
    pub(super) async fn check_team(&self, p: &Principal, team: &str, field: &str) -> Result<()> {
        let scope: OrgScope = team.parse().map_err(|_| {
            Error::invalid(
                field,
                "\"branch:<id>\", \"region:<province>/<city>\" or \"group\"",
            )
        })?;
        match scope {
            OrgScope::Group if p.scope == OrgScope::Group => Ok(()),
            OrgScope::Group => Err(Error::PermissionDenied(
                "the group call centre is outside the caller's scope".into(),
            )),
            OrgScope::Region(path) => p.check_region(&path),
            OrgScope::Branch(id) => {
                if !rules::is_id(&id) {
                    return Err(Error::invalid(field, "not a branch id"));
                }
                let b = self.branch(&id).await?;
                p.check_branch(&b.id, &b.region_path)
            }
        }
    }

    /// Declares an agent: their team, skills and daily capacity.
    pub async fn set_agent(&self, p: &Principal, mut a: Agent) -> Result<Agent> {
        p.require_role(roles::SUPERVISE, "declare agents")?;
        let mut v = Violations::new();
        v.check(
            rules::is_id(&a.id),
            "agent.agent_id",
            "an agent's token subject",
        );
        v.check(!a.skills.is_empty(), "agent.skills", "at least one");
        v.check(a.tasks_per_day <= 500, "agent.tasks_per_day", "at most 500");
        v.check(
            a.working_days.iter().all(|d| (1..=7).contains(d)),
            "agent.working_days",
            "ISO weekdays, 1 (Monday) to 7 (Sunday)",
        );
        check(v)?;
        self.check_team(p, &a.team, "agent.team").await?;
        a.skills.sort();
        a.skills.dedup();
        if a.working_days.is_empty() {
            a.working_days = vec![1, 2, 3, 4, 5];
        }
        a.working_days.sort();
        a.working_days.dedup();
        store::agents::put_agent(&mut *self.conn().await?, &a, self.now()).await?;
        self.agents.forget(&a.id);
        Ok(a)
    }

    async fn me(&self, p: &Principal) -> Result<Agent> {
        let cached = self
            .agents
            .get(&p.subject)
            .filter(|c| c.0.elapsed() < AGENT_FRESH)
            .map(|c| c.1.clone());
        let a = match cached {
            Some(a) => a,
            None => {
                let a = store::agents::agent(&mut *self.conn().await?, &p.subject)
                    .await?
                    .ok_or_else(|| {
                        Error::FailedPrecondition(format!(
                            "agent {} is not declared (SetAgent names their team and skills)",
                            p.subject
                        ))
                    })?;
                self.agents
                    .put(&p.subject, (std::time::Instant::now(), a.clone()));
                a
            }
        };
        self.check_team(p, &a.team, "team").await?;
        Ok(a)
    }

    /// The most urgent task the caller may take, now theirs for [`CLAIM_HOLD`]; `None`
    /// when nothing is waiting.
    pub async fn claim_next(&self, p: &Principal) -> Result<Option<TaskView>> {
        p.require_role(roles::AGENTS, "take tasks")?;
        let agent = self.me(p).await?;
        let skills = usable(p.role, &agent.skills);
        let now = self.now();
        let backend = self.db.backend();
        let task = retry(|| async {
            store::tasks::claim_next(
                &mut *self.conn().await?,
                backend,
                &p.subject,
                &agent.team,
                &skills,
                now,
                now + CLAIM_HOLD,
            )
            .await
        })
        .await?;
        Ok(task.map(|(task, phone)| self.task_view(p, task, &phone)))
    }

    /// A task as `p` may see it, `phone` being the customer's mobile.
    fn task_view(&self, p: &Principal, task: Task, phone: &str) -> TaskView {
        let full = roles::CALLERS.contains(&p.role) || p.role == Role::HealthManager;
        TaskView {
            task,
            phone: if full || phone.is_empty() {
                phone.to_owned()
            } else {
                service_kit::phone::mask(phone)
            },
            medical: roles::MEDICAL_READERS.contains(&p.role),
        }
    }

    async fn task_views(&self, p: &Principal, tasks: Vec<Task>) -> Result<Vec<TaskView>> {
        let ids: Vec<&str> = tasks.iter().map(|t| t.customer_id.as_str()).collect();
        let phones = store::customers::phones(&mut *self.conn().await?, &ids).await?;
        Ok(tasks
            .into_iter()
            .map(|task| {
                let phone = phones.get(&task.customer_id).cloned().unwrap_or_default();
                self.task_view(p, task, &phone)
            })
            .collect())
    }

    /// A task the caller may act on: in their scope (an agent's: their team), of a skill
    /// their role may see; NOT_FOUND otherwise.
    async fn reachable_task(&self, p: &Principal, id: &str) -> Result<store::tasks::Versioned> {
        let not_found = || Error::NotFound(format!("task {id}"));
        let v = store::tasks::task(&mut *self.conn().await?, id)
            .await?
            .ok_or_else(not_found)?;
        let t = &v.task;
        if !roles::may_see_skill(p.role, t.skill) {
            return Err(not_found());
        }
        let in_scope = if roles::AGENTS.contains(&p.role) {
            t.claimed_by == p.subject || self.me(p).await.is_ok_and(|a| a.team == t.team)
        } else {
            p.scope.covers(&t.branch_id, &t.region_path)
        };
        if in_scope { Ok(v) } else { Err(not_found()) }
    }

    /// Records how a call went: the agent who holds the task, or a manager over it (an
    /// escalated task). A retry with the same `request_id` changes nothing more.
    pub async fn record_call(&self, p: &Principal, r: CallReport) -> Result<TaskView> {
        let manager = roles::SUPERVISE.contains(&p.role);
        if !manager {
            p.require_role(roles::AGENTS, "record calls")?;
        }
        let mut v = Violations::new();
        let note = rules::note(&mut v, "note", &r.note, MAX_NOTE, false);
        check(v)?;
        let earlier = store::tasks::action(&mut *self.conn().await?, &r.request_id).await?;
        if let Some((task, action)) = earlier {
            if task != r.task_id || action != "call" {
                return Err(Error::invalid(
                    "request_id",
                    "already used for another task or another action",
                ));
            }
            let v = self.reachable_task(p, &r.task_id).await?;
            return Ok(self.task_views(p, vec![v.task]).await?.remove(0));
        }
        let now = self.now();
        let saved = retry(|| async {
            let current = self.reachable_task(p, &r.task_id).await?;
            let mut t = current.task.clone();
            if !t.status.is_live() {
                return Err(Error::FailedPrecondition(format!(
                    "task {} is {}",
                    t.id,
                    t.status.as_str().to_lowercase()
                )));
            }
            let holds = t.status == TaskStatus::Claimed && t.claimed_by == p.subject;
            if !(manager || holds) {
                return Err(Error::FailedPrecondition(format!(
                    "task {} is not claimed by {} (ClaimNext first)",
                    t.id, p.subject
                )));
            }
            let after = after_call(
                Attempts {
                    made: t.attempts,
                    max: t.max_attempts,
                    retry_minutes: t.retry_minutes,
                    until_reached: t.until_reached,
                },
                r.outcome,
                &note,
                r.call_back_at,
                now,
            )?;
            t.last_outcome = Some(r.outcome);
            t.outcome_note = note.clone();
            t.claimed_by = String::new();
            t.claimed_until = None;
            match after {
                After::Settle(status) => {
                    t.status = status;
                    t.closed_at = Some(now);
                    t.next_escalation_at = None;
                    if r.outcome == CallOutcome::NoAnswer {
                        t.attempts += 1;
                    }
                }
                After::Again {
                    ready_at,
                    counted,
                    keep_agent,
                } => {
                    t.status = TaskStatus::waiting(ready_at, now);
                    t.ready_at = ready_at;
                    if counted {
                        t.attempts += 1;
                    }
                    // Kept for the agent who arranged the call back; a manager recording
                    // one leaves the task to whom it was kept for (they take no calls).
                    if keep_agent && holds {
                        t.assigned_to = p.subject.clone();
                    } else if !keep_agent {
                        t.assigned_to = String::new();
                    }
                }
            }
            let mut tx = self.db.begin().await?;
            if !store::tasks::record_action(&mut tx, &r.request_id, &t.id, &p.subject, "call", now)
                .await?
            {
                return Ok(None);
            }
            if !store::tasks::save(&mut tx, &t, current.version, now).await? {
                return Err(Error::Aborted(format!(
                    "task {} changed while the call was recorded; retry",
                    t.id
                )));
            }
            store::messages::record(
                &mut tx,
                &Record {
                    id: new_id("cr"),
                    customer_id: t.customer_id.clone(),
                    at: now,
                    channel: r.channel.unwrap_or(t.channel),
                    purpose: if t.plan_kind == PlanKind::Lead {
                        Purpose::Marketing
                    } else {
                        Purpose::FollowUp
                    },
                    what: format!(
                        "{} call for task {}",
                        t.plan_kind.as_str().to_lowercase(),
                        t.id
                    ),
                    outcome: r.outcome.as_str().to_lowercase(),
                    message_id: String::new(),
                    actor: p.subject.clone(),
                },
            )
            .await?;
            if !t.status.is_live() {
                store::tasks::complete_if_settled(&mut tx, &t.plan_id, now).await?;
            }
            tx.commit().await?;
            Ok(Some(t))
        })
        .await?;
        let task = match saved {
            Some(t) => t,
            None => self.reachable_task(p, &r.task_id).await?.task,
        };
        Ok(self.task_views(p, vec![task]).await?.remove(0))
    }

    /// Moves a live task to another team in the caller's scope, or keeps it for one agent.
    pub async fn reassign(
        &self,
        p: &Principal,
        request_id: &str,
        task_id: &str,
        team: &str,
        agent_id: &str,
    ) -> Result<TaskView> {
        p.require_role(roles::SUPERVISE, "reassign tasks")?;
        if !agent_id.is_empty() && !rules::is_id(agent_id) {
            return Err(Error::invalid("agent_id", "an agent's token subject"));
        }
        if !team.is_empty() {
            self.check_team(p, team, "team").await?;
        }
        let earlier = store::tasks::action(&mut *self.conn().await?, request_id).await?;
        if let Some((task, action)) = earlier {
            if task != task_id || action != "reassign" {
                return Err(Error::invalid(
                    "request_id",
                    "already used for another task or another action",
                ));
            }
            let v = self.reachable_task(p, task_id).await?;
            return Ok(self.task_views(p, vec![v.task]).await?.remove(0));
        }
        let now = self.now();
        let task = retry(|| async {
            let current = self.reachable_task(p, task_id).await?;
            let mut t = current.task.clone();
            if !t.status.is_live() {
                return Err(Error::FailedPrecondition(format!(
                    "task {} is {}",
                    t.id,
                    t.status.as_str().to_lowercase()
                )));
            }
            if !team.is_empty() {
                t.team = team.to_owned();
            }
            if !agent_id.is_empty() {
                let agent = store::agents::agent(&mut *self.conn().await?, agent_id).await?;
                match agent {
                    Some(a) if a.team == t.team && a.skills.contains(&t.skill) => {}
                    Some(a) => {
                        return Err(Error::FailedPrecondition(format!(
                            "agent {agent_id} works in {} with {:?}; the task is {}'s and needs {}",
                            a.team, a.skills, t.team, t.skill
                        )));
                    }
                    None => {
                        return Err(Error::NotFound(format!("agent {agent_id}")));
                    }
                }
            }
            t.assigned_to = agent_id.to_owned();
            t.status = TaskStatus::waiting(t.ready_at, now);
            t.claimed_by = String::new();
            t.claimed_until = None;
            let mut tx = self.db.begin().await?;
            if !store::tasks::record_action(&mut tx, request_id, &t.id, &p.subject, "reassign", now)
                .await?
            {
                return Ok(t);
            }
            if !store::tasks::save(&mut tx, &t, current.version, now).await? {
                return Err(Error::Aborted(format!(
                    "task {} changed meanwhile; retry",
                    t.id
                )));
            }
            tx.commit().await?;
            Ok(t)
        })
        .await?;
        Ok(self.task_views(p, vec![task]).await?.remove(0))
    }

    /// Tasks the caller may see: an agent their team's (of the skills their role may
    /// take), a branch its customers', a region its branches', the group all.
    #[allow(clippy::too_many_arguments)]
    pub async fn tasks(
        &self,
        p: &Principal,
        team: &str,
        customer_id: &str,
        branch_id: &str,
        escalated_only: bool,
        statuses: &[TaskStatus],
        after: &str,
        limit: i64,
    ) -> Result<Vec<TaskView>> {
        p.require_role(roles::READ_PLANS, "read tasks")?;
        let mut w = Where::default();
        if roles::AGENTS.contains(&p.role) {
            let me = self.me(p).await?;
            if !team.is_empty() && team != me.team {
                return Err(Error::PermissionDenied(format!(
                    "agent {} works in {}, not {team}",
                    p.subject, me.team
                )));
            }
            w.eq("team", &me.team);
        } else {
            w.in_scope("branch_id", "region_path", &p.scope);
            if !team.is_empty() {
                self.check_team(p, team, "team").await?;
                w.eq("team", team);
            }
        }
        if !branch_id.is_empty() {
            self.check_narrowing(p, branch_id, "").await?;
            w.eq("branch_id", branch_id);
        }
        w.eq("customer_id", customer_id).after("id", after);
        match p.role {
            Role::HealthManager => {
                w.raw("skill = 'MEDICAL'");
            }
            Role::CallCentreAgent | Role::FrontDesk => {
                w.raw("skill <> 'MEDICAL'");
            }
            _ => {}
        }
        if escalated_only {
            w.raw("escalation <> 'NONE'");
        }
        let statuses: Vec<&str> = if statuses.is_empty() {
            vec!["SCHEDULED", "OPEN", "CLAIMED"]
        } else {
            statuses.iter().map(|s| s.as_str()).collect()
        };
        // Our own enum names, never input.
        w.raw(&format!(
            "status IN ({})",
            statuses
                .iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let tasks = store::tasks::list(&mut *self.conn().await?, &w, limit).await?;
        self.task_views(p, tasks).await
    }

    /// Moves scheduled tasks whose time has come into the queue, returns lapsed claims to
    /// it and escalates the tasks whose time has come; (claims released, tasks escalated).
    pub async fn sweep_queue(&self) -> Result<(u64, usize)> {
        let now = self.now();
        store::tasks::open_ready(&mut *self.conn().await?, now).await?;
        store::tasks::release_assignments(&mut *self.conn().await?, now, ASSIGNED_HOLD).await?;
        let released = store::tasks::release_expired(&mut *self.conn().await?, now).await?;
        let due = store::tasks::escalations_due(&mut *self.conn().await?, now, self.batch).await?;
        let mut templates = HashMap::new();
        let mut escalated = 0;
        for current in due {
            let kind = current.task.plan_kind;
            if let std::collections::hash_map::Entry::Vacant(e) = templates.entry(kind) {
                e.insert(self.template(&mut *self.conn().await?, kind).await?);
            }
            let steps = &templates[&kind].escalations;
            let mut t = current.task.clone();
            let index = t.escalation_step as usize;
            let event = escalation_at(steps, index, t.due_at).map(|(_, level)| {
                t.escalation = level;
                t.escalated_to = holder(level, &t.branch_id, &t.region_path);
                t.escalation_step += 1;
                pb::contact_event::Kind::TaskEscalated(pb::TaskEscalated {
                    task_id: t.id.clone(),
                    plan_id: t.plan_id.clone(),
                    customer_id: t.customer_id.clone(),
                    plan_kind: wire::plan_kind_out(kind),
                    level: wire::escalation_out(level),
                    escalated_to: t.escalated_to.clone(),
                })
            });
            t.next_escalation_at =
                escalation_at(steps, t.escalation_step as usize, t.due_at).map(|(at, _)| at);
            let mut tx = self.db.begin().await?;
            // Another replica escalated it first when the version moved.
            if !store::tasks::save(&mut tx, &t, current.version, now).await? {
                continue;
            }
            if let Some(kind) = event {
                publish(&mut tx, &t.branch_id, &t.region_path, now, kind).await?;
                escalated += 1;
                tracing::info!(task = %t.id, to = %t.escalated_to, "follow-up task escalated");
            }
            tx.commit().await?;
        }
        if escalated > 0 {
            self.outbox.notify();
        }
        Ok((released, escalated))
    }
}
