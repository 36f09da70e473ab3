//! Follow-up after the visit over gRPC, on both backends with the manual clock: a critical
//! finding's escalation, an operation's year of calls and consent withdrawn mid-plan, fifty
//! agents claiming at once, leads converted by a booking, and a survey's detractor.

use hospital_proto::contact as pb;
use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    a_critical_finding_escalates_to_the_director_then_the_region_until_reached,
    after_an_operation_calls_stop_when_follow_up_consent_is_withdrawn,
    fifty_agents_claiming_at_once_never_get_the_same_task,
    a_detractors_answer_is_published_once_and_counted,
);

async fn a_critical_finding_escalates_to_the_director_then_the_region_until_reached(
    backend: Backend,
) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 1).await;
    let apt = completed_visit(&s, &f, &c).await;
    // No follow-up consent: a critical finding is owed all the same.
    let plan = outcome(
        &s,
        &f,
        &apt,
        pb::VisitOutcome::CriticalFinding,
        "肺部结节 2.1cm, 建议专家会诊",
    )
    .await;
    assert_eq!(plan.kind, pb::PlanKind::CriticalFinding as i32);
    assert_eq!(plan.status, pb::PlanStatus::Active as i32);
    assert_eq!(plan.tasks.len(), 1);
    let task = &plan.tasks[0];
    assert_eq!(task.priority, 5);
    assert_eq!(task.team, format!("branch:{}", f.branch.branch_id));
    assert_eq!(shown(&task.due_at), "2026-11-30T15:00:00");

    let branch = OrgScope::Branch(f.branch.branch_id.clone());
    let director = s.token("director-zhao", Role::BranchDirector, branch.clone());
    let region = s.token(
        "gm-shenzhen",
        Role::RegionAdmin,
        OrgScope::Region("guangdong/shenzhen".into()),
    );
    assert!(escalated(&s, &director).await.is_empty());
    s.at("2026-11-30T15:01").await;
    let held = until("the director holds it", || async {
        let t = escalated(&s, &director).await;
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert_eq!(
        held[0].escalation,
        pb::EscalationLevel::BranchDirector as i32
    );
    assert_eq!(
        held[0].escalated_to,
        format!("branch:{} director", f.branch.branch_id)
    );
    s.at("2026-11-30T16:01").await;
    until("the region holds it", || async {
        let t = escalated(&s, &region).await;
        (t.first()?.escalation == pb::EscalationLevel::Region as i32).then_some(())
    })
    .await;

    // The medical team takes it; customer service never sees it.
    declare(
        &s,
        "dr-wang",
        &format!("branch:{}", f.branch.branch_id),
        &[pb::Skill::Medical],
    )
    .await;
    declare(
        &s,
        "cs-li",
        &format!("branch:{}", f.branch.branch_id),
        &[pb::Skill::CustomerService],
    )
    .await;
    let cs = s.token("cs-li", Role::FrontDesk, branch.clone());
    assert!(claim(&s, &cs).await.is_none());
    let dr = doctor(&s, &f);
    let mine = claim(&s, &dr).await.expect("the critical task");
    assert_eq!(mine.task_id, task.task_id);
    assert_eq!(mine.phone, c.phone, "the caller sees the number");
    let again = call(
        &s,
        &dr,
        &mine.task_id,
        "call-1",
        pb::CallOutcome::NoAnswer,
        "",
    )
    .await
    .unwrap();
    assert_eq!(
        again.status,
        pb::TaskStatus::Scheduled as i32,
        "stays open, scheduled for the next attempt"
    );
    assert!(
        claim(&s, &dr).await.is_none(),
        "spaced: not before ten minutes"
    );
    s.at("2026-11-30T16:12").await;
    let mine = claim(&s, &dr).await.expect("ready again");
    let err = call(
        &s,
        &dr,
        &mine.task_id,
        "call-2",
        pb::CallOutcome::Reached,
        " ",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let done = call(
        &s,
        &dr,
        &mine.task_id,
        "call-3",
        pb::CallOutcome::Reached,
        "专家会诊 12-01 09:00, 已告知",
    )
    .await
    .unwrap();
    assert_eq!(done.status, pb::TaskStatus::Done as i32);
    // The retry replays.
    let replay = call(
        &s,
        &dr,
        &mine.task_id,
        "call-3",
        pb::CallOutcome::Reached,
        "x",
    )
    .await
    .unwrap();
    assert_eq!(replay.status, pb::TaskStatus::Done as i32);
    let plans = s
        .client()
        .list_follow_up_plans(req(
            &director,
            pb::ListFollowUpPlansRequest {
                customer_id: c.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .plans;
    assert_eq!(plans[0].status, pb::PlanStatus::Completed as i32);
    assert!(
        plans[0].summary.contains("肺部结节"),
        "the director reads it"
    );
    // The history names who called and how it went.
    let history = s
        .client()
        .list_contact_history(req(
            &agent(&s),
            pb::ListContactHistoryRequest {
                customer_id: c.customer_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .records;
    let calls: Vec<_> = history.iter().filter(|r| r.actor == "dr-wang").collect();
    assert_eq!(calls.len(), 2, "{history:?}");
    s.stop().await;
}

async fn after_an_operation_calls_stop_when_follow_up_consent_is_withdrawn(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 2).await;
    consent(&s, &c, pb::Purpose::FollowUp, true, "fu-yes").await;
    // A customer who never agreed to follow-up, at the same session.
    let other = customer(&s, 3).await;
    let other_apt = book(&s, &f, &f.plain, &other, "2026-11-30", 14, 0).await;
    let apt = completed_visit(&s, &f, &c).await;
    complete(&s, &f, &other_apt.appointment_id).await;
    let plan = outcome(&s, &f, &apt, pb::VisitOutcome::AfterOperation, "").await;
    assert_eq!(plan.tasks.len(), 6);
    let opens: Vec<String> = plan
        .tasks
        .iter()
        .map(|t| shown(&t.open_from)[..10].to_owned())
        .collect();
    assert_eq!(
        opens,
        [
            "2026-12-01",
            "2026-12-07",
            "2026-12-30",
            "2027-02-28",
            "2027-05-29",
            "2027-11-30"
        ]
    );
    let team = format!("branch:{}", f.branch.branch_id);
    declare(&s, "dr-wang", &team, &[pb::Skill::Medical]).await;
    let dr = doctor(&s, &f);
    assert!(
        claim(&s, &dr).await.is_none(),
        "nothing opens before the first day"
    );
    s.at("2026-12-01T14:05").await;
    let first = claim(&s, &dr).await.expect("day one's call");
    call(
        &s,
        &dr,
        &first.task_id,
        "op-1",
        pb::CallOutcome::Reached,
        "恢复良好",
    )
    .await
    .unwrap();
    consent(&s, &c, pb::Purpose::FollowUp, false, "fu-no").await;
    let plans = s
        .client()
        .list_follow_up_plans(req(
            &dr,
            pb::ListFollowUpPlansRequest {
                customer_id: c.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .plans;
    let p = &plans[0];
    assert_eq!(p.status, pb::PlanStatus::Withdrawn as i32);
    assert!(
        p.reason.contains("withdrew consent for follow-up"),
        "{}",
        p.reason
    );
    let withdrawn = p
        .tasks
        .iter()
        .filter(|t| t.status == pb::TaskStatus::Withdrawn as i32)
        .count();
    assert_eq!(withdrawn, 5);
    s.at("2026-12-07T15:00").await;
    assert!(claim(&s, &dr).await.is_none(), "no more calls");
    // A customer who never agreed gets a plan that says why, and no calls.
    let plan = outcome(
        &s,
        &f,
        &other_apt.appointment_id,
        pb::VisitOutcome::Abnormal,
        "ALT 偏高",
    )
    .await;
    assert_eq!(plan.status, pb::PlanStatus::Withdrawn as i32);
    assert_eq!(plan.reason, "no consent for follow-up");
    assert!(plan.tasks.is_empty());
    s.stop().await;
}

async fn fifty_agents_claiming_at_once_never_get_the_same_task(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let marketing = s.token("marketing", Role::Service, OrgScope::Group);
    let leads: Vec<pb::Lead> = (0..120)
        .map(|i| pb::Lead {
            external_id: format!("ad-{i}"),
            name: format!("潜客{i}"),
            phone: format!("137{i:08}"),
            branch_id: String::new(),
            note: String::new(),
        })
        .collect();
    let import = |batch: &'static str| {
        let mut c = s.client();
        let leads = leads.clone();
        let marketing = marketing.clone();
        async move {
            c.import_leads(req(
                &marketing,
                pb::ImportLeadsRequest {
                    batch_id: batch.into(),
                    source: "wechat-ad".into(),
                    leads,
                },
            ))
            .await
            .expect("import")
            .into_inner()
        }
    };
    let first = import("batch-1").await;
    assert_eq!(first.created, 120);
    assert_eq!(
        import("batch-1").await.results,
        first.results,
        "the batch replays"
    );
    let second = import("batch-2").await;
    assert_eq!(
        (second.created, second.already_known),
        (0, 120),
        "per lead too"
    );

    for i in 0..50 {
        declare(&s, &format!("agent-{i}"), "group", &[pb::Skill::Sales]).await;
    }
    let mut running = tokio::task::JoinSet::new();
    for i in 0..50 {
        let token = s.token(
            &format!("agent-{i}"),
            Role::CallCentreAgent,
            OrgScope::Group,
        );
        let mut c = s.client();
        running.spawn(async move {
            let mut got = Vec::new();
            while let Some(t) = c
                .claim_next(req(&token, pb::ClaimNextRequest {}))
                .await
                .expect("claim")
                .into_inner()
                .task
            {
                got.push(t.task_id);
            }
            got
        });
    }
    let mut all = Vec::new();
    while let Some(got) = running.join_next().await {
        all.extend(got.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!((n, all.len()), (120, 120), "every task once, none twice");

    // A lead who books is converted and counted per source.
    let lead = &first.results[7];
    let booked = pb::Customer {
        customer_id: lead.customer_id.clone(),
        name: "潜客7".into(),
        phone: "13700000007".into(),
        ..Default::default()
    };
    book(&s, &f, &f.plain, &booked, "2026-12-02", 8, 30).await;
    let figures = until("the booking converts the lead", || async {
        let f = s
            .client()
            .get_lead_figures(req(&s.admin, pb::GetLeadFiguresRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .sources;
        (f.first()?.converted == 1).then_some(f)
    })
    .await;
    assert_eq!(figures[0].imported, 120);
    assert_eq!(figures[0].source, "wechat-ad");
    s.stop().await;
}

async fn a_detractors_answer_is_published_once_and_counted(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 4).await;
    consent(&s, &c, pb::Purpose::Surveys, true, "svy-yes").await;
    completed_visit(&s, &f, &c).await;
    until("the survey is planned", || async {
        let list = s
            .client()
            .list_surveys(req(
                &agent(&s),
                pb::ListSurveysRequest {
                    customer_id: c.customer_id.clone(),
                },
            ))
            .await
            .ok()?
            .into_inner()
            .surveys;
        (!list.is_empty()).then_some(())
    })
    .await;
    s.at("2026-11-30T16:05").await;
    let survey = until("the survey goes out", || async {
        let list = s
            .client()
            .list_surveys(req(
                &agent(&s),
                pb::ListSurveysRequest {
                    customer_id: c.customer_id.clone(),
                },
            ))
            .await
            .ok()?
            .into_inner()
            .surveys;
        let first = list.into_iter().next()?;
        (first.status == pb::SurveyStatus::Sent as i32).then_some(first)
    })
    .await;
    let platform = s.token("messaging", Role::Service, OrgScope::Group);
    let answer = |score: i32, comment: &'static str| {
        let mut cl = s.client();
        let platform = platform.clone();
        let id = survey.survey_id.clone();
        async move {
            cl.answer_survey(req(
                &platform,
                pb::AnswerSurveyRequest {
                    survey_id: id,
                    score,
                    comment: comment.into(),
                },
            ))
            .await
        }
    };
    assert_eq!(
        answer(11, "").await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let a = answer(3, "等了两个小时, 电话13900139000")
        .await
        .unwrap()
        .into_inner()
        .survey
        .unwrap();
    assert_eq!(a.score, 3);
    answer(3, "等了两个小时, 电话13900139000")
        .await
        .expect("a retry replays");
    assert_eq!(
        answer(9, "").await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    // One event, the number masked.
    let mut feed = s
        .client()
        .subscribe(req(
            &s.admin,
            pb::SubscribeRequest {
                after: 0,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut answered = Vec::new();
    while let Ok(Ok(Some(item))) =
        tokio::time::timeout(std::time::Duration::from_millis(500), feed.message()).await
    {
        if let Some(pb::contact_event::Kind::SurveyAnswered(a)) = item.event.and_then(|e| e.kind) {
            answered.push(a);
        }
    }
    assert_eq!(answered.len(), 1);
    assert!(answered[0].detractor);
    assert!(
        !answered[0].comment.contains("13900139000"),
        "{}",
        answered[0].comment
    );
    let figures = s
        .client()
        .get_survey_figures(req(
            &s.admin,
            pb::GetSurveyFiguresRequest {
                branch_id: f.branch.branch_id.clone(),
                from: Some(hospital_proto::common::Date {
                    year: 2026,
                    month: 11,
                    day: 30,
                }),
                to: Some(hospital_proto::common::Date {
                    year: 2026,
                    month: 11,
                    day: 30,
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .branches;
    assert_eq!(figures.len(), 1);
    assert_eq!(
        (figures[0].sent, figures[0].answered, figures[0].detractors),
        (1, 1, 1)
    );
    assert_eq!(figures[0].distribution[3], 1);
    s.stop().await;
}
