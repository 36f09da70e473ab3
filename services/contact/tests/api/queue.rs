//! The work queue over gRPC, on both backends: a returning customer's two tracks as each
//! role sees them, reassignment, scope per role, the planned load spread over a fortnight,
//! an abnormal report's escalation, and segments counted per branch and region.

use hospital_proto::{common, contact as pb};
use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    a_returning_customer_is_followed_on_two_tracks_each_seeing_its_own,
    a_supervisor_reassigns_and_roles_see_only_their_scope,
    the_planned_load_spreads_tasks_over_the_days_their_window_allows,
    segments_are_counted_per_branch_and_region_as_the_customer_shows,
);

async fn tasks(s: &Suite, token: &str, r: pb::ListTasksRequest) -> Result<Vec<pb::Task>, Code> {
    s.client()
        .list_tasks(req(token, r))
        .await
        .map(|r| r.into_inner().tasks)
        .map_err(|e| e.code())
}

async fn returning_customer(s: &Suite, f: &Fixture, n: u32) -> (pb::Customer, String) {
    let c = customer(s, n).await;
    consent(s, &c, pb::Purpose::FollowUp, true, &format!("fu-{n}")).await;
    completed_visit_at(s, f, &c, 8, 30).await;
    let second = completed_visit_at(s, f, &c, 14, 0).await;
    (c, second)
}

async fn a_returning_customer_is_followed_on_two_tracks_each_seeing_its_own(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let (c, apt) = returning_customer(&s, &f, 1).await;
    // The plan waits for both completions to be counted.
    let plan = until("the second visit counts", || async {
        let p = outcome(&s, &f, &apt, pb::VisitOutcome::Normal, "各项正常").await;
        Some(p)
    })
    .await;
    assert_eq!(plan.kind, pb::PlanKind::Returning as i32, "{plan:?}");
    // The doctor who recorded it sees the medical track only; the group both.
    assert_eq!(plan.tasks.len(), 1);
    let plan = s
        .client()
        .list_follow_up_plans(req(
            &s.admin,
            pb::ListFollowUpPlansRequest {
                customer_id: c.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .plans
        .remove(0);
    let skills: Vec<i32> = plan.tasks.iter().map(|t| t.skill).collect();
    assert_eq!(
        skills,
        [pb::Skill::Medical as i32, pb::Skill::CustomerService as i32]
    );
    let branch_team = format!("branch:{}", f.branch.branch_id);
    assert_eq!(plan.tasks[0].team, branch_team);
    assert_eq!(plan.tasks[1].team, "group");

    declare(&s, "dr-wang", &branch_team, &[pb::Skill::Medical]).await;
    declare(&s, "agent-7", "group", &[pb::Skill::CustomerService]).await;
    let doctor = doctor(&s, &f);
    let mine = tasks(&s, &doctor, pb::ListTasksRequest::default())
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].skill, pb::Skill::Medical as i32);
    assert_eq!(
        mine[0].detail, "各项正常",
        "the medical track reads the finding"
    );
    let cs = tasks(&s, &agent(&s), pb::ListTasksRequest::default())
        .await
        .unwrap();
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].skill, pb::Skill::CustomerService as i32);
    assert_eq!(cs[0].detail, "", "customer service does not");
    // The front desk reads the plan without the medical track or the finding.
    let desk = s.token(
        "nurse-li",
        Role::FrontDesk,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let plans = s
        .client()
        .list_follow_up_plans(req(
            &desk,
            pb::ListFollowUpPlansRequest {
                customer_id: c.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .plans;
    assert_eq!(plans[0].summary, "");
    assert_eq!(plans[0].tasks.len(), 1);
    assert_eq!(plans[0].tasks[0].skill, pb::Skill::CustomerService as i32);
    // Both tracks open the next day; each claims its own.
    s.at("2026-12-01T15:00").await;
    let t = claim(&s, &doctor).await.expect("the medical call");
    assert_eq!(t.skill, pb::Skill::Medical as i32);
    let t = claim(&s, &agent(&s)).await.expect("the service call");
    assert_eq!(t.skill, pb::Skill::CustomerService as i32);
    s.stop().await;
}

async fn a_supervisor_reassigns_and_roles_see_only_their_scope(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 2).await;
    consent(&s, &c, pb::Purpose::FollowUp, true, "fu-2").await;
    let apt = completed_visit(&s, &f, &c).await;
    let plan = outcome(&s, &f, &apt, pb::VisitOutcome::Abnormal, "ALT 偏高").await;
    let task = plan.tasks[0].clone();
    assert_eq!(shown(&task.due_at), "2026-12-03T14:00:00");
    let branch = OrgScope::Branch(f.branch.branch_id.clone());
    let branch_team = format!("branch:{}", f.branch.branch_id);
    for i in 1..=2 {
        declare(&s, &format!("dr-{i}"), &branch_team, &[pb::Skill::Medical]).await;
    }
    let dr = |i: u32| s.token(&format!("dr-{i}"), Role::HealthManager, branch.clone());
    let director = s.token("director-zhao", Role::BranchDirector, branch.clone());

    // The director keeps it for dr-2: dr-1 gets nothing, dr-2 gets it.
    let moved = s
        .client()
        .reassign_task(req(
            &director,
            pb::ReassignTaskRequest {
                request_id: "re-1".into(),
                task_id: task.task_id.clone(),
                agent_id: "dr-2".into(),
                reason: "knows the customer".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    assert_eq!(moved.assigned_to, "dr-2");
    assert!(claim(&s, &dr(1)).await.is_none());
    assert_eq!(claim(&s, &dr(2)).await.unwrap().task_id, task.task_id);
    // An agent may not look at another team's queue, nor an agent take a task it does
    // not hold.
    assert_eq!(
        tasks(
            &s,
            &dr(1),
            pb::ListTasksRequest {
                team: "group".into(),
                ..Default::default()
            }
        )
        .await
        .unwrap_err(),
        Code::PermissionDenied
    );
    let err = s
        .client()
        .record_call_outcome(req(
            &dr(1),
            pb::RecordCallOutcomeRequest {
                request_id: "steal".into(),
                task_id: task.task_id.clone(),
                outcome: pb::CallOutcome::Reached as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    // Another branch's director, and a region that does not cover it, see nothing of it.
    let other = s.token(
        "director-x",
        Role::BranchDirector,
        OrgScope::Branch("SH-XH-01".into()),
    );
    assert!(
        tasks(&s, &other, pb::ListTasksRequest::default())
            .await
            .unwrap()
            .is_empty()
    );
    let shanghai = s.token(
        "gm-sh",
        Role::RegionAdmin,
        OrgScope::Region("shanghai".into()),
    );
    assert_eq!(
        tasks(
            &s,
            &shanghai,
            pb::ListTasksRequest {
                branch_id: f.branch.branch_id.clone(),
                ..Default::default()
            }
        )
        .await
        .unwrap_err(),
        Code::PermissionDenied,
        "narrowing outside the scope"
    );
    // The branch's director and the group see it; left a day past due, the director
    // holds it.
    assert_eq!(
        tasks(&s, &director, pb::ListTasksRequest::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        tasks(&s, &s.admin, pb::ListTasksRequest::default())
            .await
            .unwrap()
            .len(),
        1
    );
    s.at("2026-12-04T14:01").await;
    let held = until("the director holds the late call", || async {
        let t = tasks(
            &s,
            &director,
            pb::ListTasksRequest {
                escalated_only: true,
                ..Default::default()
            },
        )
        .await
        .ok()?;
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert_eq!(
        held[0].escalation,
        pb::EscalationLevel::BranchDirector as i32
    );
    s.stop().await;
}

async fn import(s: &Suite, batch: &str, n: u32) {
    let marketing = s.token("marketing", Role::Service, OrgScope::Group);
    s.client()
        .import_leads(req(
            &marketing,
            pb::ImportLeadsRequest {
                batch_id: batch.into(),
                source: "fair".into(),
                leads: (0..n)
                    .map(|i| pb::Lead {
                        external_id: format!("{batch}-{i}"),
                        name: format!("潜客{i}"),
                        phone: format!("136{i:08}"),
                        ..Default::default()
                    })
                    .collect(),
            },
        ))
        .await
        .expect("import");
}

async fn load(s: &Suite) -> pb::TeamLoad {
    s.client()
        .get_planned_load(req(
            &s.admin,
            pb::GetPlannedLoadRequest {
                team: "group".into(),
                from: Some(common::Date {
                    year: 2026,
                    month: 11,
                    day: 30,
                }),
                days: 14,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .teams
        .remove(0)
}

async fn the_planned_load_spreads_tasks_over_the_days_their_window_allows(backend: Backend) {
    let s = spawn(backend).await;
    // 30 sales calls open today (Monday), due on Wednesday.
    import(&s, "b1", 30).await;
    s.client()
        .set_agent(req(
            &s.admin,
            pb::SetAgentRequest {
                agent: Some(pb::Agent {
                    agent_id: "agent-1".into(),
                    team: "group".into(),
                    skills: vec![pb::Skill::Sales as i32],
                    tasks_per_day: 10,
                    working_days: vec![1, 2, 3, 4, 5, 6, 7],
                }),
            },
        ))
        .await
        .unwrap();
    let l = load(&s).await;
    assert_eq!(l.days.len(), 14);
    let planned: Vec<u32> = l.days.iter().take(3).map(|d| d.planned).collect();
    let due: Vec<u32> = l.days.iter().take(3).map(|d| d.due).collect();
    assert_eq!(due, [0, 0, 30], "all due on Wednesday");
    assert_eq!(planned, [10, 10, 10], "spread over the three days");
    assert!(l.feasible);
    // Half the capacity: the days before are full and Wednesday is over.
    s.client()
        .set_agent(req(
            &s.admin,
            pb::SetAgentRequest {
                agent: Some(pb::Agent {
                    agent_id: "agent-1".into(),
                    team: "group".into(),
                    skills: vec![pb::Skill::Sales as i32],
                    tasks_per_day: 5,
                    working_days: vec![1, 2, 3, 4, 5, 6, 7],
                }),
            },
        ))
        .await
        .unwrap();
    let l = load(&s).await;
    let planned: Vec<u32> = l.days.iter().take(3).map(|d| d.planned).collect();
    assert_eq!(planned, [5, 5, 20]);
    assert!(l.days[2].over_capacity && !l.feasible);
    // A branch director may not read the group call centre's load.
    let director = s.token(
        "director-zhao",
        Role::BranchDirector,
        OrgScope::Branch("SZ-FT-01".into()),
    );
    let err = s
        .client()
        .get_planned_load(req(
            &director,
            pb::GetPlannedLoadRequest {
                team: "group".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    s.stop().await;
}

async fn segments_are_counted_per_branch_and_region_as_the_customer_shows(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let first = customer(&s, 4).await;
    let first_apt = book(&s, &f, &f.plain, &first, "2026-11-30", 14, 0).await;
    let (returning, apt) = returning_customer(&s, &f, 3).await;
    complete(&s, &f, &first_apt.appointment_id).await;
    let marketing = s.token("marketing", Role::Service, OrgScope::Group);
    s.client()
        .import_leads(req(
            &marketing,
            pb::ImportLeadsRequest {
                batch_id: "b-sz".into(),
                source: "fair".into(),
                leads: vec![pb::Lead {
                    external_id: "sz-1".into(),
                    name: "潜客".into(),
                    phone: "13611112222".into(),
                    branch_id: f.branch.branch_id.clone(),
                    note: String::new(),
                }],
            },
        ))
        .await
        .unwrap();
    // Both completions of the returning customer are counted once the outcome is taken.
    outcome(&s, &f, &apt, pb::VisitOutcome::Normal, "").await;
    let seg = |c: &pb::Customer| {
        let mut cl = s.client();
        let id = c.customer_id.clone();
        let token = agent(&s);
        async move {
            cl.get_customer(req(&token, pb::GetCustomerRequest { customer_id: id }))
                .await
                .unwrap()
                .into_inner()
                .customer
                .unwrap()
                .segment
        }
    };
    until("the first visit is counted", || async {
        (seg(&first).await == pb::Segment::FirstVisit as i32).then_some(())
    })
    .await;
    assert_eq!(seg(&returning).await, pb::Segment::Returning as i32);
    let counts = s
        .client()
        .get_segment_counts(req(
            &s.admin,
            pb::GetSegmentCountsRequest {
                region_path: "guangdong".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let b = counts
        .branches
        .iter()
        .find(|b| b.branch_id == f.branch.branch_id)
        .expect("the branch");
    assert_eq!(
        (b.prospect, b.first_visit, b.returning, b.long_term),
        (1, 1, 1, 0)
    );
    let city = counts
        .regions
        .iter()
        .find(|r| r.region_path == "guangdong/shenzhen")
        .expect("the city");
    assert_eq!((city.prospect, city.first_visit, city.returning), (1, 1, 1));
    assert!(counts.regions.iter().any(|r| r.region_path == "guangdong"));
    let shanghai = s.token(
        "gm-sh",
        Role::RegionAdmin,
        OrgScope::Region("shanghai".into()),
    );
    let err = s
        .client()
        .get_segment_counts(req(
            &shanghai,
            pb::GetSegmentCountsRequest {
                region_path: "guangdong".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    s.stop().await;
}
