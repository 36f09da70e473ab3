//! The follow-up RPCs: visit outcomes and plans, templates, the work queue, leads,
//! surveys and segments. Each decodes and checks what only the wire can get wrong, then
//! calls the use case; the trait in `mod.rs` hands each request here.

use hospital_proto::contact as pb;
use service_kit::{
    Error,
    clock::{from_micros, proto_micros},
    edge::{self, Reply, date, filter, ok, principal},
    error::{Violations, merge},
    requests::{check_request_id, next_page_token, page},
};
use tonic::Request;

use super::followup_convert::*;
use crate::app::{
    Contact,
    leads::LeadInput,
    queue::CallReport,
    wire::{call_outcome_in, channel_in, task_status_in, visit_outcome_in},
};

pub(super) async fn record_visit_outcome(
    app: &Contact,
    req: Request<pb::RecordVisitOutcomeRequest>,
) -> Reply<pb::RecordVisitOutcomeResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    check_request_id(&r.request_id, &mut v);
    edge::require(&mut v, &r.appointment_id, "appointment_id");
    v.check(r.outcome != 0, "outcome", "required");
    let outcome = filter(r.outcome, "outcome", visit_outcome_in, &mut v);
    v.into_result()?;
    let plan = app
        .record_outcome(
            &p,
            &r.request_id,
            &r.appointment_id,
            outcome.expect("checked"),
            &r.summary,
        )
        .await?;
    ok(pb::RecordVisitOutcomeResponse {
        plan: Some(plan_out(&plan)),
    })
}

pub(super) async fn list_follow_up_plans(
    app: &Contact,
    req: Request<pb::ListFollowUpPlansRequest>,
) -> Reply<pb::ListFollowUpPlansResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    edge::required(&r.customer_id, "customer_id")?;
    let plans = app.plans(&p, &r.customer_id).await?;
    ok(pb::ListFollowUpPlansResponse {
        plans: plans.iter().map(plan_out).collect(),
    })
}

pub(super) async fn get_follow_up_templates(
    app: &Contact,
    req: Request<pb::GetFollowUpTemplatesRequest>,
) -> Reply<pb::GetFollowUpTemplatesResponse> {
    let p = principal(&req)?;
    let templates = app.templates(&p).await?;
    ok(pb::GetFollowUpTemplatesResponse {
        templates: templates.iter().map(template_out).collect(),
    })
}

pub(super) async fn set_follow_up_template(
    app: &Contact,
    req: Request<pb::SetFollowUpTemplateRequest>,
) -> Reply<pb::SetFollowUpTemplateResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    let template = template_in(r.template, &mut v);
    let t = merge(
        v,
        crate::domain::followup::check_template(&template).map_err(Error::from),
    )
    .map(|()| template)?;
    let t = app.set_template(&p, t).await?;
    ok(pb::SetFollowUpTemplateResponse {
        template: Some(template_out(&t)),
    })
}

pub(super) async fn set_agent(
    app: &Contact,
    req: Request<pb::SetAgentRequest>,
) -> Reply<pb::SetAgentResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    let agent = agent_in(r.agent, &mut v);
    edge::require(&mut v, &agent.id, "agent.agent_id");
    v.check(!agent.team.is_empty(), "agent.team", "required");
    v.into_result()?;
    let a = app.set_agent(&p, agent).await?;
    ok(pb::SetAgentResponse {
        agent: Some(agent_out(&a)),
    })
}

pub(super) async fn claim_next(
    app: &Contact,
    req: Request<pb::ClaimNextRequest>,
) -> Reply<pb::ClaimNextResponse> {
    let p = principal(&req)?;
    let task = app.claim_next(&p).await?;
    ok(pb::ClaimNextResponse {
        task: task.as_ref().map(task_out),
    })
}

pub(super) async fn record_call_outcome(
    app: &Contact,
    req: Request<pb::RecordCallOutcomeRequest>,
) -> Reply<pb::RecordCallOutcomeResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    check_request_id(&r.request_id, &mut v);
    edge::require(&mut v, &r.task_id, "task_id");
    v.check(r.outcome != 0, "outcome", "required");
    let outcome = filter(r.outcome, "outcome", call_outcome_in, &mut v);
    let channel = filter(r.channel, "channel", channel_in, &mut v);
    v.into_result()?;
    let task = app
        .record_call(
            &p,
            CallReport {
                request_id: r.request_id,
                task_id: r.task_id,
                outcome: outcome.expect("checked"),
                note: r.note,
                call_back_at: r.call_back_at.map(|t| from_micros(proto_micros(&t))),
                channel,
            },
        )
        .await?;
    ok(pb::RecordCallOutcomeResponse {
        task: Some(task_out(&task)),
    })
}

pub(super) async fn reassign_task(
    app: &Contact,
    req: Request<pb::ReassignTaskRequest>,
) -> Reply<pb::ReassignTaskResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    check_request_id(&r.request_id, &mut v);
    edge::require(&mut v, &r.task_id, "task_id");
    edge::optional_id(&mut v, &r.agent_id, "agent_id");
    v.check(
        !r.team.is_empty() || !r.agent_id.is_empty(),
        "team",
        "name a team, an agent, or both",
    );
    service_kit::rules::text(&mut v, "reason", &r.reason, 500, false);
    v.into_result()?;
    let task = app
        .reassign(&p, &r.request_id, &r.task_id, &r.team, &r.agent_id)
        .await?;
    ok(pb::ReassignTaskResponse {
        task: Some(task_out(&task)),
    })
}

pub(super) async fn list_tasks(
    app: &Contact,
    req: Request<pb::ListTasksRequest>,
) -> Reply<pb::ListTasksResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    edge::optional_id(&mut v, &r.customer_id, "customer_id");
    edge::optional_id(&mut v, &r.branch_id, "branch_id");
    let statuses: Vec<_> = r
        .statuses
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let f = format!("statuses[{i}]");
            v.check(*s != 0, &f, "required");
            filter(*s, &f, task_status_in, &mut v)
        })
        .collect();
    let pg = merge(v, page(r.page_size, &r.page_token))?;
    let tasks = app
        .tasks(
            &p,
            &r.team,
            &r.customer_id,
            &r.branch_id,
            r.escalated_only,
            &statuses,
            &pg.after,
            pg.limit,
        )
        .await?;
    ok(pb::ListTasksResponse {
        next_page_token: next_page_token(&tasks, pg.limit, |t| t.task.id.clone()),
        tasks: tasks.iter().map(task_out).collect(),
    })
}

pub(super) async fn get_planned_load(
    app: &Contact,
    req: Request<pb::GetPlannedLoadRequest>,
) -> Reply<pb::GetPlannedLoadResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let from = match r.from.as_ref() {
        None => None,
        Some(d) => Some(date(Some(d)).ok_or_else(|| Error::invalid("from", "a valid date"))?),
    };
    let teams = app.planned_load(&p, &r.team, from, r.days).await?;
    ok(pb::GetPlannedLoadResponse {
        teams: teams.iter().map(load_out).collect(),
    })
}

pub(super) async fn import_leads(
    app: &Contact,
    req: Request<pb::ImportLeadsRequest>,
) -> Reply<pb::ImportLeadsResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let leads = r
        .leads
        .into_iter()
        .map(|l| LeadInput {
            external_id: l.external_id,
            name: l.name,
            phone: l.phone,
            branch_id: l.branch_id,
        })
        .collect();
    let results = app.import_leads(&p, &r.batch_id, &r.source, leads).await?;
    ok(pb::ImportLeadsResponse {
        created: results.iter().filter(|r| r.created).count() as u32,
        already_known: results.iter().filter(|r| !r.created).count() as u32,
        results: results.iter().map(lead_result_out).collect(),
    })
}

pub(super) async fn get_lead_figures(
    app: &Contact,
    req: Request<pb::GetLeadFiguresRequest>,
) -> Reply<pb::GetLeadFiguresResponse> {
    use crate::domain::followup_vocab::LeadStatus;
    let p = principal(&req)?;
    let r = req.into_inner();
    if !r.source.is_empty() && !service_kit::rules::is_id(&r.source) {
        return Err(Error::invalid("source", "a lead source's id").into());
    }
    let figures = app.lead_figures(&p, &r.source).await?;
    ok(pb::GetLeadFiguresResponse {
        sources: figures
            .iter()
            .map(|(source, by)| {
                let n = |s: LeadStatus| by.get(&s).copied().unwrap_or(0) as u32;
                let imported: u32 = by.values().sum::<u64>() as u32;
                let eligible = imported - n(LeadStatus::ExistingCustomer);
                pb::LeadSourceFigures {
                    source: source.clone(),
                    imported,
                    open: n(LeadStatus::Open),
                    converted: n(LeadStatus::Converted),
                    existing_customer: n(LeadStatus::ExistingCustomer),
                    not_contactable: n(LeadStatus::NotContactable),
                    conversion_rate: if eligible == 0 {
                        0.0
                    } else {
                        f64::from(n(LeadStatus::Converted)) / f64::from(eligible)
                    },
                }
            })
            .collect(),
    })
}

pub(super) async fn answer_survey(
    app: &Contact,
    req: Request<pb::AnswerSurveyRequest>,
) -> Reply<pb::AnswerSurveyResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    edge::required(&r.survey_id, "survey_id")?;
    let s = app
        .answer_survey(&p, &r.survey_id, r.score, &r.comment)
        .await?;
    ok(pb::AnswerSurveyResponse {
        survey: Some(survey_out(&s)),
    })
}

pub(super) async fn list_surveys(
    app: &Contact,
    req: Request<pb::ListSurveysRequest>,
) -> Reply<pb::ListSurveysResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    edge::required(&r.customer_id, "customer_id")?;
    let surveys = app.surveys(&p, &r.customer_id).await?;
    ok(pb::ListSurveysResponse {
        surveys: surveys.iter().map(survey_out).collect(),
    })
}

pub(super) async fn get_survey_figures(
    app: &Contact,
    req: Request<pb::GetSurveyFiguresRequest>,
) -> Reply<pb::GetSurveyFiguresResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    edge::optional_id(&mut v, &r.branch_id, "branch_id");
    edge::region_path(&mut v, &r.region_path, "region_path");
    let from = edge::required_date(r.from.as_ref(), "from", &mut v);
    let to = edge::required_date(r.to.as_ref(), "to", &mut v);
    if let (Some(f), Some(t)) = (from, to) {
        v.check(f <= t, "to", "on or after from");
        v.check(
            t.since(f).map(|s| s.get_days() <= 366).unwrap_or(false),
            "to",
            "at most a year after from",
        );
    }
    v.into_result()?;
    let figures = app
        .survey_figures(
            &p,
            &r.branch_id,
            &r.region_path,
            from.expect("checked"),
            to.expect("checked"),
        )
        .await?;
    ok(pb::GetSurveyFiguresResponse {
        branches: figures
            .iter()
            .map(|(b, f)| survey_figures_out(b, f))
            .collect(),
    })
}

pub(super) async fn get_segment_counts(
    app: &Contact,
    req: Request<pb::GetSegmentCountsRequest>,
) -> Reply<pb::GetSegmentCountsResponse> {
    let p = principal(&req)?;
    let r = req.into_inner();
    let mut v = Violations::new();
    edge::optional_id(&mut v, &r.branch_id, "branch_id");
    edge::region_path(&mut v, &r.region_path, "region_path");
    v.into_result()?;
    let rows = app.segment_counts(&p, &r.branch_id, &r.region_path).await?;
    // Summed per province and per city.
    let mut regions: std::collections::BTreeMap<String, crate::app::segments::SegmentCounts> =
        Default::default();
    for (_, region, c) in &rows {
        let mut path = String::new();
        for part in region.split('/').filter(|s| !s.is_empty()) {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(part);
            let sum = regions.entry(path.clone()).or_default();
            for (seg, n) in &c.by_segment {
                *sum.by_segment.entry(*seg).or_default() += n;
            }
        }
    }
    ok(pb::GetSegmentCountsResponse {
        branches: rows.iter().map(|(b, r, c)| segments_out(b, r, c)).collect(),
        regions: regions
            .iter()
            .map(|(r, c)| segments_out("", r, c))
            .collect(),
    })
}
