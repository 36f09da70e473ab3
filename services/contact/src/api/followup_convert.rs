//! Follow-up, queue, lead, survey and segment values between protobuf and the domain.
//! Medical detail leaves only for the roles that may read it; phones as the view says.

use hospital_proto::contact as pb;
use service_kit::{
    clock::to_proto,
    edge::{date_out, filter},
    error::Violations,
};

use crate::{
    app::{
        followup::PlanView, leads::LeadResult, load::TeamLoad, queue::TaskView,
        segments::SegmentCounts, surveys::SurveyFigures, wire::*,
    },
    domain::{
        followup::{EscalationStep, Step, Template},
        followup_vocab::{LeadStatus, Segment},
        task::Agent,
    },
    store::outreach::Survey,
};

/// A task on the wire.
pub fn task_out(v: &TaskView) -> pb::Task {
    let t = &v.task;
    pb::Task {
        task_id: t.id.clone(),
        plan_id: t.plan_id.clone(),
        customer_id: t.customer_id.clone(),
        customer_name: t.customer_name.clone(),
        phone: v.phone.clone(),
        branch_id: t.branch_id.clone(),
        team: t.team.clone(),
        skill: skill_out(t.skill),
        plan_kind: plan_kind_out(t.plan_kind),
        priority: u32::from(t.priority),
        title: t.title.clone(),
        detail: if v.medical {
            t.detail.clone()
        } else {
            String::new()
        },
        open_from: Some(to_proto(t.open_from)),
        due_at: Some(to_proto(t.due_at)),
        status: task_status_out(t.status),
        claimed_by: t.claimed_by.clone(),
        claimed_until: t.claimed_until.map(to_proto),
        assigned_to: t.assigned_to.clone(),
        attempts: t.attempts,
        max_attempts: t.max_attempts,
        escalation: escalation_out(t.escalation),
        escalated_to: t.escalated_to.clone(),
        last_outcome: t.last_outcome.map(call_outcome_out).unwrap_or(0),
        outcome_note: if v.medical || t.skill != crate::domain::followup_vocab::Skill::Medical {
            t.outcome_note.clone()
        } else {
            String::new()
        },
        channel: channel_out(t.channel),
        reason: t.reason.clone(),
        closed_at: t.closed_at.map(to_proto),
    }
}

/// A plan on the wire.
pub fn plan_out(v: &PlanView) -> pb::FollowUpPlan {
    let p = &v.plan;
    pb::FollowUpPlan {
        plan_id: p.id.clone(),
        customer_id: p.customer_id.clone(),
        appointment_id: p.appointment_id.clone(),
        branch_id: p.branch_id.clone(),
        kind: plan_kind_out(p.kind),
        // What was found is medical too: a critical finding or an operation.
        outcome: if v.medical {
            p.outcome.map(visit_outcome_out).unwrap_or(0)
        } else {
            0
        },
        status: plan_status_out(p.status),
        reason: p.reason.clone(),
        recorded_by: p.recorded_by.clone(),
        created_at: Some(to_proto(p.created_at)),
        summary: if v.medical {
            p.summary.clone()
        } else {
            String::new()
        },
        tasks: v
            .tasks
            .iter()
            .map(|t| {
                task_out(&TaskView {
                    task: t.clone(),
                    phone: String::new(),
                    medical: v.medical,
                })
            })
            .collect(),
    }
}

/// A template on the wire.
pub fn template_out(t: &Template) -> pb::FollowUpTemplate {
    pb::FollowUpTemplate {
        kind: plan_kind_out(t.kind),
        steps: t
            .steps
            .iter()
            .map(|s| pb::TemplateStep {
                offset_days: s.offset_days,
                window_minutes: s.window_minutes,
                skill: skill_out(s.skill),
                team: team_level_out(s.team),
                priority: u32::from(s.priority),
                title: s.title.clone(),
                max_attempts: s.max_attempts,
                retry_minutes: s.retry_minutes,
            })
            .collect(),
        escalations: t
            .escalations
            .iter()
            .map(|e| pb::Escalation {
                after_due_minutes: e.after_due_minutes,
                level: escalation_out(e.level),
            })
            .collect(),
    }
}

/// A template off the wire, every unknown value a violation.
pub fn template_in(t: Option<pb::FollowUpTemplate>, v: &mut Violations) -> Template {
    let t = t.unwrap_or_default();
    let kind = filter(t.kind, "template.kind", plan_kind_in, v);
    v.check(t.kind != 0, "template.kind", "required");
    let steps = t
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let f = |n: &str| format!("template.steps[{i}].{n}");
            v.check(s.skill != 0, &f("skill"), "required");
            v.check(s.team != 0, &f("team"), "required");
            let mut title = Violations::new();
            let text = service_kit::rules::text(&mut title, &f("title"), &s.title, 200, true);
            for x in title.0 {
                v.add(x.field, x.description);
            }
            Step {
                offset_days: s.offset_days,
                window_minutes: s.window_minutes,
                skill: filter(s.skill, &f("skill"), skill_in, v)
                    .unwrap_or(crate::domain::followup_vocab::Skill::CustomerService),
                team: filter(s.team, &f("team"), team_level_in, v)
                    .unwrap_or(crate::domain::followup_vocab::TeamLevel::Group),
                priority: s.priority.min(255) as u8,
                title: text,
                max_attempts: s.max_attempts,
                retry_minutes: s.retry_minutes,
            }
        })
        .collect();
    let escalations = t
        .escalations
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let f = format!("template.escalations[{i}].level");
            v.check(e.level != 0, &f, "required");
            EscalationStep {
                after_due_minutes: e.after_due_minutes,
                level: filter(e.level, &f, escalation_in, v)
                    .unwrap_or(crate::domain::followup_vocab::EscalationLevel::None),
            }
        })
        .collect();
    Template {
        kind: kind.unwrap_or(crate::domain::followup_vocab::PlanKind::FirstVisit),
        steps,
        escalations,
    }
}

/// An agent on the wire.
pub fn agent_out(a: &Agent) -> pb::Agent {
    pb::Agent {
        agent_id: a.id.clone(),
        team: a.team.clone(),
        skills: a.skills.iter().map(|s| skill_out(*s)).collect(),
        tasks_per_day: a.tasks_per_day,
        working_days: a.working_days.iter().map(|d| *d as u32).collect(),
    }
}

/// An agent off the wire.
pub fn agent_in(a: Option<pb::Agent>, v: &mut Violations) -> Agent {
    let a = a.unwrap_or_default();
    Agent {
        skills: a
            .skills
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let f = format!("agent.skills[{i}]");
                v.check(*s != 0, &f, "required");
                filter(*s, &f, skill_in, v)
            })
            .collect(),
        working_days: a
            .working_days
            .iter()
            .map(|d| i8::try_from(*d).unwrap_or(0))
            .collect(),
        id: a.agent_id,
        team: a.team,
        tasks_per_day: a.tasks_per_day,
    }
}

/// A team's load on the wire.
pub fn load_out(t: &TeamLoad) -> pb::TeamLoad {
    pb::TeamLoad {
        team: t.team.clone(),
        feasible: t.days.iter().all(|(_, d)| !d.over()),
        overdue: t.overdue as u32,
        days: t
            .days
            .iter()
            .map(|(date, d)| pb::LoadDay {
                date: Some(date_out(*date)),
                due: d.due as u32,
                planned: d.planned as u32,
                capacity: d.capacity as u32,
                over_capacity: d.over(),
            })
            .collect(),
    }
}

/// A lead's result on the wire.
pub fn lead_result_out(r: &LeadResult) -> pb::LeadResult {
    pb::LeadResult {
        external_id: r.external_id.clone(),
        lead_id: r.lead_id.clone(),
        customer_id: r.customer_id.clone(),
        status: LeadStatus::parse(&r.status)
            .map(lead_status_out)
            .unwrap_or(0),
        reason: r.reason.clone(),
    }
}

/// A survey on the wire.
pub fn survey_out(s: &Survey) -> pb::Survey {
    pb::Survey {
        survey_id: s.id.clone(),
        appointment_id: s.appointment_id.clone(),
        customer_id: s.customer_id.clone(),
        branch_id: s.branch_id.clone(),
        status: survey_status_out(s.status),
        channel: s.channel.map(channel_out).unwrap_or(0),
        send_at: Some(to_proto(s.send_at)),
        answered_at: s.answered_at.map(to_proto),
        score: s.score.unwrap_or(-1),
        comment: s.comment.clone(),
        reason: s.reason.clone(),
        work_order_id: s.work_order_id.clone(),
        work_order_number: s.work_order_number.clone(),
        work_order_status: s.work_order_status.clone(),
    }
}

/// One branch's survey figures on the wire.
pub fn survey_figures_out(branch_id: &str, f: &SurveyFigures) -> pb::SurveyBranchFigures {
    let promoters: u64 = f.distribution[9..].iter().sum();
    let passives: u64 = f.distribution[7..9].iter().sum();
    let detractors: u64 = f.distribution[..7].iter().sum();
    let nps = if f.answered == 0 {
        0
    } else {
        ((promoters as f64 - detractors as f64) * 100.0 / f.answered as f64).round() as i32
    };
    pb::SurveyBranchFigures {
        branch_id: branch_id.to_owned(),
        sent: f.sent as u32,
        answered: f.answered as u32,
        response_rate: if f.sent == 0 {
            0.0
        } else {
            f.answered as f64 / f.sent as f64
        },
        distribution: f.distribution.iter().map(|n| *n as u32).collect(),
        promoters: promoters as u32,
        passives: passives as u32,
        detractors: detractors as u32,
        net_promoter_score: nps,
        detractors_with_work_order: f.with_work_order as u32,
        detractors_resolved: f.resolved as u32,
    }
}

/// Segment counts on the wire.
pub fn segments_out(branch_id: &str, region_path: &str, c: &SegmentCounts) -> pb::SegmentCounts {
    let n = |s: Segment| c.by_segment.get(&s).copied().unwrap_or(0) as u32;
    pb::SegmentCounts {
        branch_id: branch_id.to_owned(),
        region_path: region_path.to_owned(),
        prospect: n(Segment::Prospect),
        first_visit: n(Segment::FirstVisit),
        returning: n(Segment::Returning),
        long_term: n(Segment::LongTerm),
    }
}
