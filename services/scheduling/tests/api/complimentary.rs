//! Service recovery: a complimentary exam item added to a booked appointment or a visit
//! under way, exactly once per request id, by the roles and scopes allowed to give it.

use std::time::Duration;

use hospital_proto::scheduling::{self as pb, scheduling_event::Kind};
use service_kit::auth::{OrgScope, Role};
use tokio_stream::StreamExt;
use tonic::Code;

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    a_gift_to_a_visit_under_way_joins_the_route_as_a_pending_entry,
    a_gift_to_a_booked_appointment_becomes_an_entry_at_check_in,
    a_request_sent_again_or_at_once_adds_one_item_one_entry_one_event,
    a_request_id_reused_for_another_item_is_invalid,
    finished_or_called_off_appointments_refuse_a_gift,
    an_item_the_customer_already_has_is_refused,
    only_recovery_roles_within_scope_may_give,
    bad_fields_are_named_and_unknown_ids_are_not_found,
    the_complimentary_entry_is_served_and_the_visit_then_completes,
);

/// An item in neither fixture package.
async fn dental(app: &TestApp) -> pb::ExamItem {
    create_item(app, "DENTAL", "口腔检查", "口腔科", 10, false, 5).await
}

fn service(app: &TestApp) -> String {
    app.token(Role::Service, OrgScope::Group)
}

fn grant(
    request_id: &str,
    apt: &pb::Appointment,
    item: &pb::ExamItem,
) -> pb::AddComplimentaryItemRequest {
    pb::AddComplimentaryItemRequest {
        request_id: request_id.into(),
        appointment_id: apt.appointment_id.clone(),
        exam_item_id: item.exam_item_id.clone(),
        authorised_by: "director-sz-ft".into(),
        cost_bearer: format!("branch:{}", apt.branch_id),
        reference: "wo_0001".into(),
    }
}

async fn give(
    app: &TestApp,
    token: &str,
    r: pb::AddComplimentaryItemRequest,
) -> Result<pb::AddComplimentaryItemResponse, tonic::Status> {
    app.client()
        .add_complimentary_item(req(token, r))
        .await
        .map(|r| r.into_inner())
}

async fn visit(app: &TestApp, apt: &pb::Appointment) -> pb::Visit {
    app.client()
        .get_visit(req(
            &app.admin,
            pb::GetVisitRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .expect("get visit")
        .into_inner()
        .visit
        .unwrap()
}

async fn appointment(app: &TestApp, apt: &pb::Appointment) -> pb::Appointment {
    app.client()
        .get_appointment(req(
            &app.admin,
            pb::GetAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .expect("get appointment")
        .into_inner()
        .appointment
        .unwrap()
}

fn gifts(v: &pb::Visit) -> Vec<&pb::QueueEntry> {
    v.entries.iter().filter(|e| e.complimentary).collect()
}

/// The complimentary-item events of the whole feed, read until it is quiet.
async fn gift_events(app: &TestApp) -> Vec<pb::ComplimentaryItemAdded> {
    let mut stream = app
        .client()
        .subscribe(req(
            &app.admin,
            pb::SubscribeRequest {
                after: 0,
                branch_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .map(event);
    let mut out = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(500), stream.next()).await
    {
        if let Some(Kind::ComplimentaryItemAdded(e)) = event.unwrap().kind {
            out.push(e);
        }
    }
    out
}

fn refused(r: Result<pb::AddComplimentaryItemResponse, tonic::Status>, code: Code) -> String {
    let s = r.expect_err("refused");
    assert_eq!(s.code(), code, "{s:?}");
    s.message().to_owned()
}

async fn a_gift_to_a_visit_under_way_joins_the_route_as_a_pending_entry(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let a = book(&app, &app.admin, "g-1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    check_in(&app, &a).await;

    let out = give(&app, &service(&app), grant("grant-1", &a, &dental))
        .await
        .unwrap();
    let item = out.item.unwrap();
    assert_eq!(item.request_id, "grant-1");
    assert_eq!(item.exam_item_id, dental.exam_item_id);
    assert_eq!(item.exam_item_name, "口腔检查");
    assert_eq!(item.authorised_by, "director-sz-ft");
    assert_eq!(item.cost_bearer, format!("branch:{}", f.branch.branch_id));
    assert_eq!(item.reference, "wo_0001");
    assert!(item.added_at.is_some());
    let apt = out.appointment.unwrap();
    assert_eq!(apt.status, pb::AppointmentStatus::CheckedIn as i32);
    assert_eq!(apt.complimentary_items, std::slice::from_ref(&item));

    // On the route, after the item the customer is waiting for, not in a queue yet.
    let v = visit(&app, &a).await;
    assert_eq!(v.entries.len(), 3);
    let gift = gifts(&v);
    assert_eq!(gift.len(), 1);
    assert_eq!(gift[0].exam_item_id, dental.exam_item_id);
    assert_eq!(gift[0].status, pb::QueueEntryStatus::Pending as i32);
    let mut positions: Vec<_> = v.entries.iter().map(|e| e.route_position).collect();
    positions.sort();
    assert_eq!(positions, [1, 2, 3]);
    assert!(v.entries.iter().filter(|e| !e.complimentary).count() == 2);

    assert_eq!(appointment(&app, &a).await.complimentary_items, [item]);
    let history = app
        .client()
        .list_appointment_history(req(
            &app.admin,
            pb::ListAppointmentHistoryRequest {
                appointment_id: a.appointment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .changes;
    let line = history
        .iter()
        .find(|c| c.action == "complimentary_item_added")
        .expect("history line");
    assert_eq!(line.actor, "service");
    for part in ["口腔检查", "branch:", "wo_0001", "director-sz-ft"] {
        assert!(line.detail.contains(part), "{part} not in {}", line.detail);
    }
    app.stop().await;
}

async fn a_gift_to_a_booked_appointment_becomes_an_entry_at_check_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let a = book(&app, &app.admin, "g-2", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let out = give(&app, &service(&app), grant("grant-2", &a, &dental))
        .await
        .unwrap();
    let apt = out.appointment.unwrap();
    assert_eq!(apt.status, pb::AppointmentStatus::Booked as i32);
    assert_eq!(apt.complimentary_items.len(), 1);
    assert_eq!(apt.version, a.version + 1);
    // No visit yet.
    let s = app
        .client()
        .get_visit(req(
            &app.admin,
            pb::GetVisitRequest {
                appointment_id: a.appointment_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition);

    let v = check_in(&app, &a).await;
    assert_eq!(v.entries.len(), 3);
    let gift = gifts(&v);
    assert_eq!(gift.len(), 1);
    assert_eq!(gift[0].exam_item_name, "口腔检查");
    assert_eq!(visit(&app, &a).await.entries, v.entries);
    app.stop().await;
}

async fn a_request_sent_again_or_at_once_adds_one_item_one_entry_one_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let token = service(&app);

    // Sent three times, one after the other.
    let a = book(&app, &app.admin, "g-3a", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    check_in(&app, &a).await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let out = give(&app, &token, grant("grant-3a", &a, &dental))
            .await
            .unwrap();
        answers.push(out.item.unwrap());
    }
    assert!(answers.iter().all(|i| *i == answers[0]), "{answers:?}");

    // Sent ten times at once, none of them first.
    let b = book(&app, &app.admin, "g-3b", &f.slot, &f.plain_package, 2)
        .await
        .unwrap();
    check_in(&app, &b).await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let mut c = app.client();
            let r = req(&token, grant("grant-3b", &b, &dental));
            tokio::spawn(async move { c.add_complimentary_item(r).await })
        })
        .collect();
    let mut items = Vec::new();
    for call in calls {
        let out = call.await.unwrap().expect("every attempt answers");
        items.push(out.into_inner().item.unwrap());
    }
    assert!(items.iter().all(|i| *i == items[0]), "{items:?}");

    for apt in [&a, &b] {
        assert_eq!(gifts(&visit(&app, apt).await).len(), 1);
        assert_eq!(appointment(&app, apt).await.complimentary_items.len(), 1);
    }
    let events = gift_events(&app).await;
    for apt in [&a, &b] {
        let n = events
            .iter()
            .filter(|e| e.appointment_id == apt.appointment_id)
            .count();
        assert_eq!(n, 1, "{events:?}");
    }
    let e = &events[0];
    assert_eq!(e.exam_item_id, dental.exam_item_id);
    assert_eq!(e.exam_item_name, "口腔检查");
    assert_eq!(e.cost_bearer, format!("branch:{}", f.branch.branch_id));
    assert_eq!(e.reference, "wo_0001");
    app.stop().await;
}

async fn a_request_id_reused_for_another_item_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let token = service(&app);
    let a = book(&app, &app.admin, "g-4a", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let b = book(&app, &app.admin, "g-4b", &f.slot, &f.plain_package, 2)
        .await
        .unwrap();
    give(&app, &token, grant("grant-4", &a, &dental))
        .await
        .unwrap();
    let blood = &f.items[0];
    for other in [grant("grant-4", &a, blood), grant("grant-4", &b, &dental)] {
        let s = give(&app, &token, other).await.unwrap_err();
        assert_eq!(bad_fields(&s), ["request_id"]);
    }
    assert_eq!(appointment(&app, &a).await.complimentary_items.len(), 1);
    assert!(appointment(&app, &b).await.complimentary_items.is_empty());
    app.stop().await;
}

async fn finished_or_called_off_appointments_refuse_a_gift(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let token = service(&app);
    let mut c = app.client();

    let cancelled = book(&app, &app.admin, "g-5a", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    c.cancel_appointment(req(
        &app.admin,
        pb::CancelAppointmentRequest {
            appointment_id: cancelled.appointment_id.clone(),
            reason: pb::CancelReason::CustomerRequest as i32,
            note: String::new(),
        },
    ))
    .await
    .unwrap();
    let why = refused(
        give(&app, &token, grant("grant-5a", &cancelled, &dental)).await,
        Code::FailedPrecondition,
    );
    assert!(why.contains("cancelled"), "{why}");

    let done = book(&app, &app.admin, "g-5b", &f.slot, &f.plain_package, 2)
        .await
        .unwrap();
    let mut v = check_in(&app, &done).await;
    while !v.completed {
        v = serve_next(&app, &f.branch.branch_id, &v).await;
    }
    let why = refused(
        give(&app, &token, grant("grant-5b", &done, &dental)).await,
        Code::FailedPrecondition,
    );
    assert!(why.contains("completed"), "{why}");

    let absent = book(&app, &app.admin, "g-5c", &f.slot, &f.plain_package, 3)
        .await
        .unwrap();
    app.advance(90);
    c.mark_no_show(req(
        &app.admin,
        pb::MarkNoShowRequest {
            appointment_id: absent.appointment_id.clone(),
        },
    ))
    .await
    .unwrap();
    let why = refused(
        give(&app, &token, grant("grant-5c", &absent, &dental)).await,
        Code::FailedPrecondition,
    );
    assert!(why.contains("no-show"), "{why}");
    assert!(gift_events(&app).await.is_empty());
    app.stop().await;
}

async fn an_item_the_customer_already_has_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let token = service(&app);
    let ecg = &f.items[2];
    let a = book(&app, &app.admin, "g-6", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    // In the package, before and after check-in.
    let why = refused(
        give(&app, &token, grant("grant-6a", &a, ecg)).await,
        Code::FailedPrecondition,
    );
    assert!(why.contains("already part of"), "{why}");
    check_in(&app, &a).await;
    refused(
        give(&app, &token, grant("grant-6b", &a, ecg)).await,
        Code::FailedPrecondition,
    );
    // Given once; a second grant of it under another request id is refused.
    give(&app, &token, grant("grant-6c", &a, &dental))
        .await
        .unwrap();
    let why = refused(
        give(&app, &token, grant("grant-6d", &a, &dental)).await,
        Code::FailedPrecondition,
    );
    assert!(why.contains("grant-6c"), "{why}");
    // Five requests for one item at once: one gives it, the others are told it was given.
    let ultrasound = &f.items[1];
    let calls: Vec<_> = (0..5)
        .map(|n| {
            let mut c = app.client();
            let r = req(&token, grant(&format!("grant-6e-{n}"), &a, ultrasound));
            tokio::spawn(async move { c.add_complimentary_item(r).await })
        })
        .collect();
    let mut given = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => given += 1,
            Err(s) => assert_eq!(s.code(), Code::FailedPrecondition, "{s:?}"),
        }
    }
    assert_eq!(given, 1);
    assert_eq!(gifts(&visit(&app, &a).await).len(), 2);
    assert_eq!(appointment(&app, &a).await.complimentary_items.len(), 2);
    app.stop().await;
}

async fn only_recovery_roles_within_scope_may_give(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let other = create_branch(&app, "SH-JA-01", "shanghai", "shanghai", 10).await;
    let a = book(&app, &app.admin, "g-7", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let here = OrgScope::Branch(f.branch.branch_id.clone());
    for role in [Role::FrontDesk, Role::CallCentreAgent, Role::ExamStation] {
        refused(
            give(
                &app,
                &app.token(role, here.clone()),
                grant("grant-7", &a, &dental),
            )
            .await,
            Code::PermissionDenied,
        );
    }
    let elsewhere = app.token(
        Role::BranchDirector,
        OrgScope::Branch(other.branch_id.clone()),
    );
    refused(
        give(&app, &elsewhere, grant("grant-7", &a, &dental)).await,
        Code::PermissionDenied,
    );
    let other_region = app.token(Role::RegionAdmin, OrgScope::Region("shanghai".into()));
    refused(
        give(&app, &other_region, grant("grant-7", &a, &dental)).await,
        Code::PermissionDenied,
    );
    assert!(appointment(&app, &a).await.complimentary_items.is_empty());
    // The branch's own director may.
    let director = app.token(Role::BranchDirector, here);
    let out = give(&app, &director, grant("grant-7", &a, &dental))
        .await
        .unwrap();
    assert_eq!(out.appointment.unwrap().complimentary_items.len(), 1);
    app.stop().await;
}

async fn bad_fields_are_named_and_unknown_ids_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let token = service(&app);
    let a = book(&app, &app.admin, "g-8", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let s = give(
        &app,
        &token,
        pb::AddComplimentaryItemRequest {
            reference: "x".repeat(129),
            cost_bearer: "city:shenzhen".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        bad_fields(&s),
        [
            "request_id",
            "appointment_id",
            "exam_item_id",
            "authorised_by",
            "cost_bearer",
            "reference"
        ]
    );
    for bearer in ["", "branch:", "region:", "region:Shen Zhen", "groups"] {
        let mut r = grant("grant-8", &a, &dental);
        r.cost_bearer = bearer.into();
        let s = give(&app, &token, r).await.unwrap_err();
        assert_eq!(bad_fields(&s), ["cost_bearer"], "{bearer:?}");
    }
    let mut r = grant("grant-8", &a, &dental);
    r.authorised_by = "a\nb".into();
    let s = give(&app, &token, r).await.unwrap_err();
    assert_eq!(bad_fields(&s), ["authorised_by"]);
    for bearer in ["group", "region:guangdong/shenzhen"] {
        let mut r = grant(&format!("grant-8-{bearer}"), &a, &dental);
        r.cost_bearer = bearer.into();
        r.appointment_id = "apt_nope".into();
        refused(give(&app, &token, r).await, Code::NotFound);
    }
    let mut r = grant("grant-8", &a, &dental);
    r.exam_item_id = "item_nope".into();
    refused(give(&app, &token, r).await, Code::NotFound);
    assert!(appointment(&app, &a).await.complimentary_items.is_empty());
    app.stop().await;
}

/// Calls, starts and completes the entry the customer waits for.
async fn serve_next(app: &TestApp, branch_id: &str, v: &pb::Visit) -> pb::Visit {
    let station = app.token(Role::ExamStation, OrgScope::Branch(branch_id.into()));
    let waiting = v
        .entries
        .iter()
        .find(|e| e.status == pb::QueueEntryStatus::Waiting as i32)
        .expect("one entry waiting");
    let mut c = app.client();
    let called = c
        .call_next(req(
            &station,
            pb::CallNextRequest {
                branch_id: branch_id.into(),
                exam_item_id: waiting.exam_item_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entry
        .expect("called");
    assert_eq!(called.entry_id, waiting.entry_id);
    c.start_exam_item(req(
        &station,
        pb::StartExamItemRequest {
            entry_id: called.entry_id.clone(),
        },
    ))
    .await
    .unwrap();
    c.complete_exam_item(req(
        &station,
        pb::CompleteExamItemRequest {
            entry_id: called.entry_id,
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .visit
    .unwrap()
}

async fn the_complimentary_entry_is_served_and_the_visit_then_completes(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let dental = dental(&app).await;
    let token = service(&app);
    let a = book(&app, &app.admin, "g-9", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let v = check_in(&app, &a).await;
    // The customer finishes one package item, then gets the gift.
    let v = serve_next(&app, &f.branch.branch_id, &v).await;
    assert!(!v.completed);
    give(&app, &token, grant("grant-9", &a, &dental))
        .await
        .unwrap();
    let mut v = visit(&app, &a).await;
    let mut served = Vec::new();
    while !v.completed {
        served.push(
            v.entries
                .iter()
                .find(|e| e.status == pb::QueueEntryStatus::Waiting as i32)
                .expect("one entry waiting")
                .exam_item_name
                .clone(),
        );
        v = serve_next(&app, &f.branch.branch_id, &v).await;
    }
    assert!(served.contains(&"口腔检查".to_string()), "{served:?}");
    assert_eq!(served.len(), 2);
    assert!(
        v.entries
            .iter()
            .all(|e| e.status == pb::QueueEntryStatus::Done as i32)
    );
    assert_eq!(gifts(&v).len(), 1);
    assert_eq!(
        appointment(&app, &a).await.status,
        pb::AppointmentStatus::Completed as i32
    );
    // A late retry of the grant still answers with it, and adds nothing.
    let again = give(&app, &token, grant("grant-9", &a, &dental))
        .await
        .unwrap();
    assert_eq!(again.item.unwrap().request_id, "grant-9");
    assert_eq!(again.appointment.unwrap().complimentary_items.len(), 1);
    assert_eq!(gift_events(&app).await.len(), 1);
    app.stop().await;
}
