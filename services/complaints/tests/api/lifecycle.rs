use std::time::Duration;

use hospital_proto::complaints::{self as pb, complaints_event::Kind};
use test_support::backend_tests;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    a_complaint_moves_through_its_lifecycle_with_a_timeline,
    illegal_moves_and_stale_versions_are_refused,
    once_escalated_the_branch_annotates_but_no_longer_decides,
);

async fn a_complaint_moves_through_its_lifecycle_with_a_timeline(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let dir = director(&s, &f.shenzhen);
    let wo = open(&s, &dir, intake("c-1", &f.shenzhen.branch_id)).await;
    let id = wo.work_order_id.clone();
    let mut feed = s
        .client()
        .subscribe(req(
            &s.admin,
            pb::SubscribeRequest {
                after: 0,
                branch_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .map(event);
    let mut c = s.client();
    c.acknowledge_work_order(req(
        &dir,
        pb::AcknowledgeWorkOrderRequest {
            work_order_id: id.clone(),
            expected_version: 1,
            note: "called back".into(),
        },
    ))
    .await
    .unwrap();
    c.assign_work_order(req(
        &dir,
        pb::AssignWorkOrderRequest {
            work_order_id: id.clone(),
            assignee: "staff-head-nurse".into(),
            expected_version: 0,
        },
    ))
    .await
    .unwrap();
    c.start_work_order(req(
        &dir,
        pb::StartWorkOrderRequest {
            work_order_id: id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.record_contact_attempt(req(
        &dir,
        pb::RecordContactAttemptRequest {
            work_order_id: id.clone(),
            channel: pb::Channel::Hotline as i32,
            outcome: pb::ContactOutcome::NoAnswer as i32,
            note: String::new(),
        },
    ))
    .await
    .unwrap();
    c.wait_on_customer(req(
        &dir,
        pb::WaitOnCustomerRequest {
            work_order_id: id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let paused = get(&s, &id).await;
    assert!(paused.sla.unwrap().paused_at.is_some());
    c.start_work_order(req(
        &dir,
        pb::StartWorkOrderRequest {
            work_order_id: id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let resolved = c
        .resolve_work_order(req(
            &dir,
            pb::ResolveWorkOrderRequest {
                work_order_id: id.clone(),
                expected_version: 0,
                root_cause: "guide desk unstaffed 07:30-08:00".into(),
                corrective_action: "rota covers opening; service-standard refresher".into(),
                substantiated: true,
                staff_ids: vec!["staff-nurse-7".into(), "staff-guide-2".into()],
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_order
        .unwrap();
    assert_eq!(resolved.status, pb::Status::Resolved as i32);
    assert!(resolved.resolution.as_ref().unwrap().substantiated);
    c.record_satisfaction(req(
        &dir,
        pb::RecordSatisfactionRequest {
            work_order_id: id.clone(),
            score: 4,
            comment: "ok".into(),
        },
    ))
    .await
    .unwrap();
    let closed = c
        .close_work_order(req(
            &dir,
            pb::CloseWorkOrderRequest {
                work_order_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_order
        .unwrap();
    assert_eq!(
        (closed.status, closed.satisfaction),
        (pb::Status::Closed as i32, 4)
    );
    let actions: Vec<String> = timeline(&s, &id)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "opened",
            "acknowledged",
            "assigned",
            "in_progress",
            "contact_attempt",
            "waiting_on_customer",
            "in_progress",
            "resolved",
            "satisfaction",
            "closed"
        ]
    );
    // Resolving a substantiated complaint that names staff publishes it for training.
    let substantiated = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(e) = feed.next().await {
            if let Some(Kind::ComplaintSubstantiated(c)) = e.unwrap().kind {
                return c;
            }
        }
        panic!("feed ended")
    })
    .await
    .expect("ComplaintSubstantiated published");
    assert_eq!(substantiated.staff_ids, ["staff-nurse-7", "staff-guide-2"]);
    assert_eq!(
        substantiated.branch.unwrap().branch_id,
        f.shenzhen.branch_id
    );
    // Reopened, it owes a resolution again.
    let reopened = c
        .reopen_work_order(req(
            &dir,
            pb::ReopenWorkOrderRequest {
                work_order_id: id.clone(),
                expected_version: 0,
                reason: "customer called again".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_order
        .unwrap();
    assert_eq!(reopened.status, pb::Status::InProgress as i32);
    assert!(reopened.sla.unwrap().resolve_due_at.is_some());
    s.stop().await;
}

async fn illegal_moves_and_stale_versions_are_refused(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let wo = open(&s, &s.admin, intake("c-2", &f.shenzhen.branch_id)).await;
    let id = wo.work_order_id.clone();
    let mut c = s.client();
    let resolve = pb::ResolveWorkOrderRequest {
        work_order_id: id.clone(),
        root_cause: "x".into(),
        ..Default::default()
    };
    assert_eq!(
        c.resolve_work_order(req(&s.admin, resolve.clone()))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    let close = pb::CloseWorkOrderRequest {
        work_order_id: id.clone(),
        ..Default::default()
    };
    assert_eq!(
        c.close_work_order(req(&s.admin, close))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    let reopen = pb::ReopenWorkOrderRequest {
        work_order_id: id.clone(),
        expected_version: 0,
        reason: "x".into(),
    };
    assert_eq!(
        c.reopen_work_order(req(&s.admin, reopen))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    let score = pb::RecordSatisfactionRequest {
        work_order_id: id.clone(),
        score: 5,
        comment: String::new(),
    };
    assert_eq!(
        c.record_satisfaction(req(&s.admin, score))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    let stale = pb::AcknowledgeWorkOrderRequest {
        work_order_id: id.clone(),
        expected_version: 7,
        note: String::new(),
    };
    assert_eq!(
        c.acknowledge_work_order(req(&s.admin, stale))
            .await
            .unwrap_err()
            .code(),
        Code::Aborted
    );
    let note = pb::AddNoteRequest {
        work_order_id: id.clone(),
        text: String::new(),
    };
    assert_eq!(
        bad_fields(&c.add_note(req(&s.admin, note)).await.unwrap_err()),
        ["text"]
    );
    let missing = pb::AcknowledgeWorkOrderRequest {
        work_order_id: "wo_nope".into(),
        ..Default::default()
    };
    assert_eq!(
        c.acknowledge_work_order(req(&s.admin, missing))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    // Praise cannot be substantiated.
    let mut praise = intake("praise", &f.shenzhen.branch_id);
    praise.kind = pb::Kind::Praise as i32;
    let praise = open(&s, &s.admin, praise).await;
    for step in 0..2 {
        let id = praise.work_order_id.clone();
        if step == 0 {
            c.acknowledge_work_order(req(
                &s.admin,
                pb::AcknowledgeWorkOrderRequest {
                    work_order_id: id,
                    ..Default::default()
                },
            ))
            .await
            .unwrap();
        } else {
            c.start_work_order(req(
                &s.admin,
                pb::StartWorkOrderRequest {
                    work_order_id: id,
                    ..Default::default()
                },
            ))
            .await
            .unwrap();
        }
    }
    let err = c
        .resolve_work_order(req(
            &s.admin,
            pb::ResolveWorkOrderRequest {
                work_order_id: praise.work_order_id.clone(),
                root_cause: "thanks".into(),
                substantiated: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["substantiated"]);
    // Nothing stored was changed by the refusals.
    let after = get(&s, &id).await;
    assert_eq!((after.status, after.version), (pb::Status::New as i32, 1));
    s.stop().await;
}

async fn once_escalated_the_branch_annotates_but_no_longer_decides(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let dir = director(&s, &f.shenzhen);
    let wo = open(&s, &dir, intake("c-3", &f.shenzhen.branch_id)).await;
    let id = wo.work_order_id.clone();
    let mut c = s.client();
    let escalated = c
        .escalate_work_order(req(
            &dir,
            pb::EscalateWorkOrderRequest {
                work_order_id: id.clone(),
                reason: "customer insists".into(),
                expected_version: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_order
        .unwrap();
    assert_eq!(escalated.level, pb::Level::City as i32);
    let err = c
        .acknowledge_work_order(req(
            &dir,
            pb::AcknowledgeWorkOrderRequest {
                work_order_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    c.add_note(req(
        &dir,
        pb::AddNoteRequest {
            work_order_id: id.clone(),
            text: "customer prefers afternoon calls".into(),
        },
    ))
    .await
    .expect("the branch may still add notes");
    let city = s.token(
        "cs-shenzhen",
        service_kit::auth::Role::RegionAdmin,
        service_kit::auth::OrgScope::Region("guangdong/shenzhen".into()),
    );
    c.acknowledge_work_order(req(
        &city,
        pb::AcknowledgeWorkOrderRequest {
            work_order_id: id.clone(),
            ..Default::default()
        },
    ))
    .await
    .expect("the city holds it now");
    let other_city = s.token(
        "cs-guangzhou",
        service_kit::auth::Role::RegionAdmin,
        service_kit::auth::OrgScope::Region("guangdong/guangzhou".into()),
    );
    let err = c
        .add_note(req(
            &other_city,
            pb::AddNoteRequest {
                work_order_id: id.clone(),
                text: "x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    for _ in 0..2 {
        c.escalate_work_order(req(
            &s.admin,
            pb::EscalateWorkOrderRequest {
                work_order_id: id.clone(),
                reason: "up".into(),
                expected_version: 0,
            },
        ))
        .await
        .unwrap();
    }
    let err = c
        .escalate_work_order(req(
            &s.admin,
            pb::EscalateWorkOrderRequest {
                work_order_id: id.clone(),
                reason: "up".into(),
                expected_version: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let escalations = timeline(&s, &id)
        .await
        .into_iter()
        .filter(|(a, _)| a == "escalated")
        .count();
    assert_eq!(escalations, 3);
    s.stop().await;
}
