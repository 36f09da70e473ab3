//! Follow-up plans: a visit's outcome starts the plan its template describes, within the
//! customer's consent; the templates themselves; and what a withdrawn consent stops.

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use service_kit::{
    Error, Result,
    auth::Principal,
    db::retry,
    error::Violations,
    ids::new_id,
    rules::{self, check},
};
use sqlx::AnyConnection;

use super::{Contact, roles};
use crate::{
    domain::{
        customer::Customer,
        followup::{self, Template, built_in, check_template, plan_kind, plan_tasks},
        followup_vocab::{EscalationLevel, PlanKind, PlanStatus, TaskStatus, VisitOutcome},
        survey::segment,
        task::{Plan, Task},
        vocab::{Channel, Purpose, VisitStatus},
    },
    store,
};

/// The most a visit outcome's summary may say.
pub const MAX_SUMMARY: usize = 2000;

/// A plan with its tasks, as the caller may see them.
#[derive(Debug, Clone)]
pub struct PlanView {
    /// The plan.
    pub plan: Plan,
    /// Its tasks the caller may see.
    pub tasks: Vec<Task>,
    /// Whether the caller may read medical detail.
    pub medical: bool,
}

/// Days since 1970-01-01 of the local date of `at` in `tz`.
pub fn local_day(at: Timestamp, tz: &TimeZone) -> i64 {
    day_number(at.to_zoned_datetime(tz.clone()).date())
}

/// Days since 1970-01-01 of `d`.
pub fn day_number(d: Date) -> i64 {
    d.to_zoned_datetime(TimeZone::UTC)
        .map(|z| z.timestamp().as_second().div_euclid(86_400))
        .unwrap_or(0)
}

/// The date `n` days after 1970-01-01.
pub fn day_date(n: i64) -> Date {
    Timestamp::from_second(n * 86_400)
        .map(|t| t.to_zoned_datetime(TimeZone::UTC).date())
        .unwrap_or(Date::constant(1970, 1, 1))
}

/// Where a plan is made: its branch, in the branch's zone.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub branch_id: String,
    pub region_path: String,
    pub tz: TimeZone,
}

/// Why a plan of `kind` makes no calls to `c`, if it makes none.
pub(crate) fn why_not(c: &Customer, kind: PlanKind) -> Option<String> {
    let purpose = followup::consent_needed(kind)?;
    if c.do_not_contact {
        return Some("the customer asked not to be contacted".into());
    }
    if c.consents_to(purpose) {
        return None;
    }
    let withdrawn = c
        .consents
        .iter()
        .any(|k| k.purpose == purpose && !k.granted);
    let what = purpose.as_str().to_lowercase().replace('_', "-");
    Some(if withdrawn {
        format!("the customer withdrew consent for {what}")
    } else {
        format!("no consent for {what}")
    })
}

/// The plan kinds whose calls need consent for `purpose`.
pub(crate) fn kinds_needing(purpose: Purpose) -> Vec<PlanKind> {
    PlanKind::ALL
        .iter()
        .copied()
        .filter(|k| followup::consent_needed(*k) == Some(purpose))
        .collect()
}

impl Contact {
    /// The template of `kind`: the group's, or the built-in one.
    pub(crate) async fn template(
        &self,
        conn: &mut AnyConnection,
        kind: PlanKind,
    ) -> Result<Template> {
        Ok(store::agents::template(conn, kind)
            .await?
            .unwrap_or_else(|| built_in(kind)))
    }

    /// Every template as it applies now.
    pub async fn templates(&self, p: &Principal) -> Result<Vec<Template>> {
        p.require_role(roles::READ_PLANS, "read follow-up templates")?;
        let mut conn = self.conn().await?;
        let mut out = Vec::new();
        for kind in PlanKind::ALL {
            out.push(self.template(&mut conn, *kind).await?);
        }
        Ok(out)
    }

    /// Sets the group's template for its kind; plans started before keep their tasks.
    pub async fn set_template(&self, p: &Principal, t: Template) -> Result<Template> {
        p.require_role(roles::POLICY, "set follow-up templates")?;
        check_template(&t)?;
        store::agents::set_template(&mut *self.conn().await?, &t, self.now()).await?;
        Ok(t)
    }

    /// Records what a completed visit found and starts its plan. A retry with the same
    /// `request_id` returns the plan the first attempt started.
    pub async fn record_outcome(
        &self,
        p: &Principal,
        request_id: &str,
        appointment_id: &str,
        outcome: VisitOutcome,
        summary: &str,
    ) -> Result<PlanView> {
        p.require_role(roles::OUTCOMES, "record visit outcomes")?;
        let mut v = Violations::new();
        let summary = rules::note(
            &mut v,
            "summary",
            summary,
            MAX_SUMMARY,
            outcome == VisitOutcome::CriticalFinding,
        );
        check(v)?;
        let mut conn = self.conn().await?;
        if let Some(plan) = store::tasks::plan_by_request(&mut conn, request_id).await? {
            return self.replayed(p, &mut conn, plan, appointment_id).await;
        }
        let visit = store::visits::get(&mut conn, appointment_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("visit {appointment_id}")))?;
        p.check_branch(&visit.branch_id, &visit.region_path)?;
        if visit.customer_id.is_empty() {
            return Err(Error::FailedPrecondition(format!(
                "visit {appointment_id} is not tied to a customer here ({})",
                visit.unlinked_reason
            )));
        }
        if visit.status != VisitStatus::Completed {
            return Err(Error::FailedPrecondition(format!(
                "visit {appointment_id} is {}; record its outcome once it is completed",
                visit.status.as_str().to_lowercase()
            )));
        }
        let customer = store::customers::get(&mut conn, &visit.customer_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("customer {}", visit.customer_id)))?;
        let now = self.now();
        let history = store::outreach::history(&mut conn, &customer.id).await?;
        let kind = plan_kind(outcome, segment(&history, now));
        let template = self.template(&mut conn, kind).await?;
        drop(conn);
        let place = Place {
            branch_id: visit.branch_id.clone(),
            region_path: visit.region_path.clone(),
            tz: visit.tz(),
        };
        let created = retry(|| async {
            let mut tx = self.db.begin().await?;
            // Lock the customer first: a consent withdrawal (or do-not-contact) committed
            // before this is seen below, and one after it withdraws these tasks.
            store::customers::lock(&mut tx, self.db.backend(), &customer.id).await?;
            let customer = store::customers::get(&mut tx, &customer.id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("customer {}", customer.id)))?;
            let (plan, tasks) = self.plan_for(
                &customer,
                &template,
                &place,
                appointment_id,
                Some(outcome),
                &summary,
                &p.subject,
                request_id,
                now,
            );
            if !store::tasks::insert_plan(&mut tx, &plan, now).await? {
                return Ok(None);
            }
            store::tasks::insert_tasks(&mut tx, &tasks, now).await?;
            if outcome == VisitOutcome::AfterOperation {
                store::outreach::after_operation(&mut tx, &customer.id, now).await?;
            }
            tx.commit().await?;
            Ok(Some(tasks.len()))
        })
        .await?;
        let mut conn = self.conn().await?;
        let plan = store::tasks::plan_by_request(&mut conn, request_id)
            .await?
            .ok_or_else(|| {
                Error::Aborted("the plan was being started concurrently; retry".into())
            })?;
        if let Some(tasks) = created {
            tracing::info!(plan = %plan.id, kind = %plan.kind, tasks, "follow-up plan started");
        }
        self.replayed(p, &mut conn, plan, appointment_id).await
    }

    async fn replayed(
        &self,
        p: &Principal,
        conn: &mut AnyConnection,
        plan: Plan,
        appointment_id: &str,
    ) -> Result<PlanView> {
        if plan.appointment_id != appointment_id {
            return Err(Error::invalid(
                "request_id",
                "already used for another visit's outcome",
            ));
        }
        p.check_branch(&plan.branch_id, &plan.region_path)?;
        let tasks = store::tasks::tasks_of(conn, &[plan.id.as_str()]).await?;
        Ok(self.plan_view(p, plan, tasks))
    }

    pub(crate) fn plan_view(&self, p: &Principal, plan: Plan, tasks: Vec<Task>) -> PlanView {
        let medical = roles::MEDICAL_READERS.contains(&p.role);
        let tasks = tasks
            .into_iter()
            .filter(|t| roles::may_see_skill(p.role, t.skill))
            .collect();
        PlanView {
            plan,
            tasks,
            medical,
        }
    }

    /// The plan `template` makes for `customer` at `place`, and its tasks; withdrawn with
    /// its reason (and no tasks) when the customer may not be called for it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn plan_for(
        &self,
        customer: &Customer,
        template: &Template,
        place: &Place,
        appointment_id: &str,
        outcome: Option<VisitOutcome>,
        summary: &str,
        recorded_by: &str,
        request_id: &str,
        now: Timestamp,
    ) -> (Plan, Vec<Task>) {
        let kind = template.kind;
        let refused = why_not(customer, kind);
        let mut plan = Plan {
            id: new_id("fup"),
            request_id: request_id.to_owned(),
            customer_id: customer.id.clone(),
            appointment_id: appointment_id.to_owned(),
            branch_id: place.branch_id.clone(),
            region_path: place.region_path.clone(),
            kind,
            outcome,
            status: PlanStatus::Active,
            reason: String::new(),
            summary: summary.to_owned(),
            recorded_by: recorded_by.to_owned(),
            created_at: now,
        };
        if let Some(reason) = refused {
            plan.status = PlanStatus::Withdrawn;
            plan.reason = reason;
            return (plan, Vec::new());
        }
        // Calls go on the customer's agreed channel; a critical finding is phoned when
        // nothing else was agreed.
        let channel = customer
            .reachable_channels()
            .into_iter()
            .next()
            .unwrap_or(Channel::PhoneCall);
        let until_reached = kind == PlanKind::CriticalFinding;
        let tasks = plan_tasks(template, now, &place.tz)
            .into_iter()
            .map(|planned| {
                let step = planned.step;
                let next = followup::escalation_at(&template.escalations, 0, planned.due_at);
                Task {
                    id: new_id("tsk"),
                    plan_id: plan.id.clone(),
                    customer_id: customer.id.clone(),
                    customer_name: customer.name.clone(),
                    branch_id: place.branch_id.clone(),
                    region_path: place.region_path.clone(),
                    team: followup::team(step.team, &place.branch_id, &place.region_path),
                    skill: step.skill,
                    plan_kind: kind,
                    priority: step.priority,
                    title: step.title,
                    detail: summary.to_owned(),
                    open_from: planned.open_from,
                    due_at: planned.due_at,
                    ready_at: planned.open_from,
                    open_day: local_day(planned.open_from, &place.tz),
                    due_day: local_day(planned.due_at, &place.tz),
                    status: TaskStatus::waiting(planned.open_from, now),
                    claimed_by: String::new(),
                    claimed_until: None,
                    assigned_to: String::new(),
                    attempts: 0,
                    max_attempts: step.max_attempts,
                    retry_minutes: step.retry_minutes,
                    until_reached,
                    escalation: EscalationLevel::None,
                    escalated_to: String::new(),
                    escalation_step: 0,
                    next_escalation_at: next.map(|(at, _)| at),
                    last_outcome: None,
                    outcome_note: String::new(),
                    channel,
                    reason: String::new(),
                    closed_at: None,
                }
            })
            .collect();
        (plan, tasks)
    }

    /// The customer's plans, newest first, with the tasks the caller may see.
    pub async fn plans(&self, p: &Principal, customer_id: &str) -> Result<Vec<PlanView>> {
        p.require_role(roles::READ_PLANS, "read follow-up plans")?;
        let mut conn = self.conn().await?;
        self.visible(&mut conn, p, customer_id).await?;
        // Only the plans of branches in the caller's scope: seeing the customer (a visit
        // here) does not open another branch's findings.
        let plans: Vec<Plan> = store::tasks::plans_of(&mut conn, customer_id)
            .await?
            .into_iter()
            .filter(|plan| p.scope.covers(&plan.branch_id, &plan.region_path))
            .collect();
        let ids: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
        let mut by_plan: std::collections::HashMap<String, Vec<Task>> = Default::default();
        for t in store::tasks::tasks_of(&mut conn, &ids).await? {
            by_plan.entry(t.plan_id.clone()).or_default().push(t);
        }
        Ok(plans
            .into_iter()
            .map(|plan| {
                let tasks = by_plan.remove(&plan.id).unwrap_or_default();
                self.plan_view(p, plan, tasks)
            })
            .collect())
    }

    /// Stops the calls a withdrawn consent (or do-not-contact) forbids, in the caller's
    /// transaction; a critical finding's call stays.
    pub(crate) async fn stop_calls(
        tx: &mut AnyConnection,
        customer_id: &str,
        purpose: Option<Purpose>,
        now: Timestamp,
    ) -> Result<u64> {
        let (kinds, reason) = match purpose {
            Some(purpose) => (
                kinds_needing(purpose),
                format!(
                    "the customer withdrew consent for {}",
                    purpose.as_str().to_lowercase().replace('_', "-")
                ),
            ),
            None => (
                PlanKind::ALL
                    .iter()
                    .copied()
                    .filter(|k| followup::consent_needed(*k).is_some())
                    .collect(),
                "the customer asked not to be contacted".to_owned(),
            ),
        };
        store::tasks::withdraw(tx, customer_id, &kinds, &reason, now).await
    }
}
