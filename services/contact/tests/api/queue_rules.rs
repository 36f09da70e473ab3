//! What the queue refuses and how it recovers, on both backends: a call back a manager
//! records, a reassignment to nobody or to another team, a request id reused for another
//! action, a task kept for an agent who never comes, another branch's plans and surveys,
//! leads from a regional token, and a completion seen twice.

use hospital_proto::{contact as pb, scheduling as sched};
use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    tasks_kept_for_someone_who_cannot_take_them_return_to_the_team,
    request_ids_and_reassignments_are_checked,
    another_branch_sees_the_customer_but_not_this_branchs_findings,
    leads_need_the_groups_scope_and_a_completion_counts_once,
);

/// An abnormal report's call for `n`, due in three days, and the branch's two doctors.
async fn abnormal(s: &Suite, f: &Fixture, n: u32) -> pb::Task {
    let c = customer(s, n).await;
    consent(s, &c, pb::Purpose::FollowUp, true, &format!("fu-{n}")).await;
    let apt = completed_visit(s, f, &c).await;
    let team = format!("branch:{}", f.branch.branch_id);
    for i in 1..=2 {
        declare(s, &format!("dr-{i}"), &team, &[pb::Skill::Medical]).await;
    }
    outcome(s, f, &apt, pb::VisitOutcome::Abnormal, "ALT 偏高")
        .await
        .tasks
        .remove(0)
}

fn dr(s: &Suite, f: &Fixture, i: u32) -> String {
    s.token(
        &format!("dr-{i}"),
        Role::HealthManager,
        OrgScope::Branch(f.branch.branch_id.clone()),
    )
}

fn director(s: &Suite, f: &Fixture) -> String {
    s.token(
        "director-zhao",
        Role::BranchDirector,
        OrgScope::Branch(f.branch.branch_id.clone()),
    )
}

async fn reassign(
    s: &Suite,
    token: &str,
    rid: &str,
    task: &str,
    agent: &str,
) -> Result<pb::Task, tonic::Status> {
    s.client()
        .reassign_task(req(
            token,
            pb::ReassignTaskRequest {
                request_id: rid.into(),
                task_id: task.into(),
                agent_id: agent.into(),
                ..Default::default()
            },
        ))
        .await
        .map(|r| r.into_inner().task.unwrap())
}

async fn tasks_kept_for_someone_who_cannot_take_them_return_to_the_team(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let task = abnormal(&s, &f, 1).await;
    // The director records a call back at 16:00 on an unclaimed task: it is not kept for
    // the director, who takes no calls.
    let back = s
        .client()
        .record_call_outcome(req(
            &director(&s, &f),
            pb::RecordCallOutcomeRequest {
                request_id: "director-cb".into(),
                task_id: task.task_id.clone(),
                outcome: pb::CallOutcome::CallBack as i32,
                call_back_at: Some(prost_types::Timestamp {
                    seconds: local("2026-11-30T16:00").as_second(),
                    nanos: 0,
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .task
        .unwrap();
    assert_eq!(back.assigned_to, "");
    assert_eq!(back.status, pb::TaskStatus::Scheduled as i32);
    s.at("2026-11-30T16:01").await;
    let t = until("the call back is due", || async {
        claim(&s, &dr(&s, &f, 1)).await
    })
    .await;
    assert_eq!(t.task_id, task.task_id);
    // Kept for dr-2, who does not come: an hour later anyone of the team may take it.
    reassign(&s, &director(&s, &f), "keep-2", &task.task_id, "dr-2")
        .await
        .unwrap();
    assert!(claim(&s, &dr(&s, &f, 1)).await.is_none());
    s.at("2026-11-30T17:05").await;
    let t = until("released to the team", || async {
        claim(&s, &dr(&s, &f, 1)).await
    })
    .await;
    assert_eq!(t.task_id, task.task_id);
    s.stop().await;
}

async fn request_ids_and_reassignments_are_checked(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    // A second customer booked for the same session, completed after the first.
    let c3 = customer(&s, 3).await;
    consent(&s, &c3, pb::Purpose::FollowUp, true, "fu-3").await;
    let apt3 = book(&s, &f, &f.plain, &c3, "2026-11-30", 14, 0).await;
    let task = abnormal(&s, &f, 2).await;
    complete(&s, &f, &apt3.appointment_id).await;
    let other = outcome(&s, &f, &apt3.appointment_id, pb::VisitOutcome::Abnormal, "")
        .await
        .tasks
        .remove(0);
    let boss = director(&s, &f);
    let err = reassign(&s, &boss, "r-1", &task.task_id, "nobody")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    declare(&s, "agent-7", "group", &[pb::Skill::CustomerService]).await;
    let err = reassign(&s, &boss, "r-2", &task.task_id, "agent-7")
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "another team: {err:?}"
    );
    reassign(&s, &boss, "r-3", &task.task_id, "dr-1")
        .await
        .unwrap();
    // The reassignment's key reused for a call, or for another task, is refused.
    let mine = claim(&s, &dr(&s, &f, 1)).await.unwrap();
    let err = s
        .client()
        .record_call_outcome(req(
            &dr(&s, &f, 1),
            pb::RecordCallOutcomeRequest {
                request_id: "r-3".into(),
                task_id: mine.task_id.clone(),
                outcome: pb::CallOutcome::Reached as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let err = reassign(&s, &boss, "r-3", &other.task_id, "dr-2")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    s.stop().await;
}

async fn another_branch_sees_the_customer_but_not_this_branchs_findings(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 4).await;
    consent(&s, &c, pb::Purpose::FollowUp, true, "fu-4").await;
    consent(&s, &c, pb::Purpose::Surveys, true, "svy-4").await;
    // The customer also has a visit booked at a second branch.
    let mut sc = s.sched();
    let mut spec = test_support::scheduling::BranchSpec::new("SZ-NS-01", "guangdong", "shenzhen")
        .windows(&[((8, 30), (9, 0)), ((14, 0), (14, 30))]);
    spec.hours = ((7, 0), (17, 0));
    let other = test_support::scheduling::create_branch(&mut sc, &s.admin, &spec).await;
    let slot = test_support::scheduling::slots(
        &mut sc,
        &s.admin,
        &other.branch_id,
        &f.plain.package_id,
        hospital_proto::common::Date {
            year: 2026,
            month: 12,
            day: 3,
        },
        hospital_proto::common::Date {
            year: 2026,
            month: 12,
            day: 3,
        },
    )
    .await
    .remove(0);
    test_support::scheduling::book(
        &mut sc,
        &s.admin,
        "ns-visit",
        &slot.slot_id,
        &f.plain.package_id,
        sched::CustomerInput {
            customer_id: c.customer_id.clone(),
            name: c.name.clone(),
            phone: c.phone.clone(),
        },
    )
    .await
    .unwrap();
    let apt = completed_visit(&s, &f, &c).await;
    outcome(&s, &f, &apt, pb::VisitOutcome::CriticalFinding, "肺部结节").await;
    let there = s.token(
        "director-ns",
        Role::BranchDirector,
        OrgScope::Branch(other.branch_id.clone()),
    );
    let seen = until("the other branch sees the customer", || async {
        s.client()
            .get_customer(req(
                &there,
                pb::GetCustomerRequest {
                    customer_id: c.customer_id.clone(),
                },
            ))
            .await
            .ok()
    })
    .await;
    assert_eq!(
        seen.into_inner().customer.unwrap().customer_id,
        c.customer_id
    );
    let plans = s
        .client()
        .list_follow_up_plans(req(
            &there,
            pb::ListFollowUpPlansRequest {
                customer_id: c.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .plans;
    assert!(
        plans.is_empty(),
        "another branch's finding leaked: {plans:?}"
    );
    let surveys = s
        .client()
        .list_surveys(req(
            &there,
            pb::ListSurveysRequest {
                customer_id: c.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .surveys;
    assert!(surveys.is_empty(), "{surveys:?}");
    // This branch's director sees its plan; the front desk sees it without the finding
    // or what kind of finding it was.
    let desk = s.token(
        "nurse-li",
        Role::FrontDesk,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let here = s
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
    assert_eq!(here.len(), 1);
    assert_eq!((here[0].outcome, here[0].summary.as_str()), (0, ""));
    s.stop().await;
}

async fn leads_need_the_groups_scope_and_a_completion_counts_once(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let region = s.token(
        "gm-sz",
        Role::RegionAdmin,
        OrgScope::Region("guangdong".into()),
    );
    let err = s
        .client()
        .import_leads(req(
            &region,
            pb::ImportLeadsRequest {
                batch_id: "b".into(),
                source: "fair".into(),
                leads: vec![pb::Lead {
                    external_id: "1".into(),
                    phone: "13900000001".into(),
                    ..Default::default()
                }],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let c = customer(&s, 5).await;
    let apt = completed_visit(&s, &f, &c).await;
    outcome(&s, &f, &apt, pb::VisitOutcome::Normal, "").await;
    // The same completion delivered again under a later position changes nothing.
    s.contact
        .app()
        .apply_scheduling_events(vec![sched::SchedulingEvent {
            position: 1_000_000,
            event_id: "evt-again".into(),
            occurred_at: None,
            branch_id: f.branch.branch_id.clone(),
            kind: Some(sched::scheduling_event::Kind::VisitCompleted(
                sched::VisitCompleted {
                    appointment_id: apt.clone(),
                    ..Default::default()
                },
            )),
        }])
        .await
        .unwrap();
    let segment = s
        .client()
        .get_customer(req(
            &agent(&s),
            pb::GetCustomerRequest {
                customer_id: c.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap()
        .segment;
    assert_eq!(segment, pb::Segment::FirstVisit as i32, "counted twice");
    s.stop().await;
}
