use std::time::Duration;

use hospital_proto::scheduling::{self as pb, scheduling_event::Kind};
use service_kit::auth::{OrgScope, Role};
use tokio_stream::StreamExt;
use tonic::Code;

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    check_in_routes_fasting_items_first_then_the_shortest_queue,
    the_wait_promise_breach_fires_once_while_the_customer_still_waits,
    a_wait_that_ran_out_while_the_service_was_down_is_flagged_once,
    the_visit_completes_when_every_item_is_done,
    stations_step_entries_in_order_only,
    short_waits_that_add_up_past_the_whole_visit_promise_raise_one_breach,
);

async fn entries(visit: &pb::Visit) -> Vec<(String, i32)> {
    visit
        .entries
        .iter()
        .map(|e| (e.exam_item_name.clone(), e.status))
        .collect()
}

async fn call(app: &TestApp, token: &str, branch: &str, item: &str) -> Option<pb::QueueEntry> {
    app.client()
        .call_next(req(
            token,
            pb::CallNextRequest {
                branch_id: branch.into(),
                exam_item_id: item.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entry
}

async fn check_in_routes_fasting_items_first_then_the_shortest_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    // Both fasting items come first (blood draw before ultrasound by the order hint).
    let a = book(&app, &app.admin, "v-a", &f.slot, &f.fasting_package, 1)
        .await
        .unwrap();
    let visit = check_in(&app, &a).await;
    let names: Vec<_> = visit
        .entries
        .iter()
        .map(|e| e.exam_item_name.as_str())
        .collect();
    assert_eq!(&names[..2], ["空腹采血", "腹部彩超"]);
    assert_eq!(
        visit.entries[0].status,
        pb::QueueEntryStatus::Waiting as i32
    );
    assert!(
        visit.entries[1..]
            .iter()
            .all(|e| e.status == pb::QueueEntryStatus::Pending as i32)
    );

    // A second customer with no fasting items goes to the emptier queue: ECG is empty, eye
    // exam is empty too, so the order hint picks ECG; then with ECG busy, the eye exam.
    let b = book(&app, &app.admin, "v-b", &f.slot, &f.plain_package, 2)
        .await
        .unwrap();
    let vb = check_in(&app, &b).await;
    assert_eq!(vb.entries[0].exam_item_name, "心电图");
    let c = book(&app, &app.admin, "v-c", &f.slot, &f.plain_package, 3)
        .await
        .unwrap();
    let vc = check_in(&app, &c).await;
    assert_eq!(
        vc.entries[0].exam_item_name,
        "眼科检查",
        "{:?}",
        entries(&vc).await
    );
    app.stop().await;
}

async fn subscribe(
    app: &TestApp,
) -> impl tokio_stream::Stream<Item = Result<pb::SchedulingEvent, tonic::Status>> + Unpin + use<> {
    app.client()
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
        .map(event)
}

type Events = dyn tokio_stream::Stream<Item = Result<pb::SchedulingEvent, tonic::Status>> + Unpin;

/// The breaches of exam-item waits published until the feed is quiet for `quiet`.
async fn breaches_until_quiet(
    stream: &mut Events,
    quiet: Duration,
) -> Vec<pb::WaitPromiseBreached> {
    all_breaches_until_quiet(stream, quiet)
        .await
        .into_iter()
        .filter(|b| b.scope == pb::WaitScope::ExamItem as i32)
        .collect()
}

/// Every breach (either scope) published until the feed is quiet for `quiet`.
async fn all_breaches_until_quiet(
    stream: &mut Events,
    quiet: Duration,
) -> Vec<pb::WaitPromiseBreached> {
    let mut out = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(quiet, stream.next()).await {
        if let Some(Kind::WaitPromiseBreached(b)) = event.unwrap().kind {
            out.push(b);
        }
    }
    out
}

async fn the_wait_promise_breach_fires_once_while_the_customer_still_waits(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let mut events = subscribe(&app).await;
    let a = book(&app, &app.admin, "w-1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    check_in(&app, &a).await;
    // Within the promise (30 minutes): nothing.
    app.advance(30);
    assert!(
        breaches_until_quiet(&mut events, Duration::from_millis(300))
            .await
            .is_empty()
    );
    // Past it, still waiting: one breach, however long the sweeper keeps running.
    app.advance(1);
    let first = breaches_until_quiet(&mut events, Duration::from_millis(500)).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let b = &first[0];
    assert_eq!(b.appointment_id, a.appointment_id);
    assert_eq!(b.promise_minutes, 30);
    assert_eq!(b.customer.as_ref().unwrap().phone_masked, "139****0001");
    assert_eq!(b.branch.as_ref().unwrap().branch_id, f.branch.branch_id);
    app.advance(60);
    assert!(
        breaches_until_quiet(&mut events, Duration::from_millis(300))
            .await
            .is_empty()
    );
    // The station calls the customer late: no second breach for the same wait.
    let station = app.token(
        Role::ExamStation,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let called = call(&app, &station, &f.branch.branch_id, &b.exam_item_id)
        .await
        .unwrap();
    assert!(called.wait_promise_breached);
    assert_eq!(called.waited_minutes, 91);
    assert!(
        breaches_until_quiet(&mut events, Duration::from_millis(300))
            .await
            .is_empty()
    );
    app.stop().await;
}

async fn a_wait_that_ran_out_while_the_service_was_down_is_flagged_once(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let a = book(&app, &app.admin, "w-2", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let visit = check_in(&app, &a).await;
    // The service is down while the wait runs out; after the restart the sweeper or the
    // station's call (whichever comes first) flags it, once.
    app.svc.stop().await;
    app.advance(45);
    app.restart().await;
    let mut events = subscribe(&app).await;
    let item = visit.entries[0].exam_item_id.clone();
    let called = call(&app, &app.admin, &f.branch.branch_id, &item)
        .await
        .unwrap();
    assert!(called.wait_promise_breached);
    let breaches = breaches_until_quiet(&mut events, Duration::from_millis(500)).await;
    assert_eq!(breaches.len(), 1);
    app.stop().await;
}

async fn the_visit_completes_when_every_item_is_done(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let station = app.token(
        Role::ExamStation,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let a = book(&app, &app.admin, "c-1", &f.slot, &f.fasting_package, 1)
        .await
        .unwrap();
    let mut visit = check_in(&app, &a).await;
    let mut order = Vec::new();
    while !visit.completed {
        let waiting = visit
            .entries
            .iter()
            .find(|e| e.status == pb::QueueEntryStatus::Waiting as i32)
            .expect("one entry waiting")
            .clone();
        assert_eq!(
            visit
                .entries
                .iter()
                .filter(|e| e.status == pb::QueueEntryStatus::Waiting as i32)
                .count(),
            1
        );
        app.advance(5);
        let called = call(&app, &station, &f.branch.branch_id, &waiting.exam_item_id)
            .await
            .unwrap();
        assert_eq!(called.entry_id, waiting.entry_id);
        assert_eq!(called.waited_minutes, 5);
        let mut c = app.client();
        c.start_exam_item(req(
            &station,
            pb::StartExamItemRequest {
                entry_id: called.entry_id.clone(),
            },
        ))
        .await
        .unwrap();
        app.advance(10);
        visit = c
            .complete_exam_item(req(
                &station,
                pb::CompleteExamItemRequest {
                    entry_id: called.entry_id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .visit
            .unwrap();
        order.push(waiting.exam_item_name);
    }
    assert_eq!(order.len(), 4);
    assert_eq!(&order[..2], ["空腹采血", "腹部彩超"]);
    let apt = app
        .client()
        .get_appointment(req(
            &app.admin,
            pb::GetAppointmentRequest {
                appointment_id: a.appointment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    assert_eq!(apt.status, pb::AppointmentStatus::Completed as i32);
    // Nobody left in any queue.
    for item in &f.items {
        assert!(
            call(&app, &station, &f.branch.branch_id, &item.exam_item_id)
                .await
                .is_none()
        );
    }
    app.stop().await;
}

async fn stations_step_entries_in_order_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let a = book(&app, &app.admin, "s-1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let visit = check_in(&app, &a).await;
    let waiting = &visit.entries[0];
    let pending = &visit.entries[1];
    let mut c = app.client();
    // Waiting → done, or a pending entry started: refused.
    let s = c
        .complete_exam_item(req(
            &app.admin,
            pb::CompleteExamItemRequest {
                entry_id: waiting.entry_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition);
    let s = c
        .start_exam_item(req(
            &app.admin,
            pb::StartExamItemRequest {
                entry_id: pending.entry_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition);
    let s = c
        .start_exam_item(req(
            &app.admin,
            pb::StartExamItemRequest {
                entry_id: "qe_nope".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);
    app.stop().await;
}

/// The seeds promise the wait after arrival as a whole: four waits of 29 minutes each keep
/// every exam item's 30-minute promise, but add up to 116 minutes, past a 100-minute
/// promise for the visit. One breach, raised while the customer waits, never repeated.
async fn short_waits_that_add_up_past_the_whole_visit_promise_raise_one_breach(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    app.client()
        .update_branch(req(
            &app.admin,
            pb::UpdateBranchRequest {
                branch_id: f.branch.branch_id.clone(),
                visit_wait_promise_minutes: Some(100),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let station = app.token(
        Role::ExamStation,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let mut events = subscribe(&app).await;
    let a = book(&app, &app.admin, "v-1", &f.slot, &f.fasting_package, 1)
        .await
        .unwrap();
    let mut visit = check_in(&app, &a).await;
    let mut seen = Vec::new();
    for round in 0..4 {
        let waiting = visit
            .entries
            .iter()
            .find(|e| e.status == pb::QueueEntryStatus::Waiting as i32)
            .expect("one entry waiting")
            .clone();
        app.advance(29);
        let found = all_breaches_until_quiet(&mut events, Duration::from_millis(400)).await;
        if round < 3 {
            // 29, 58, 87 minutes in all: within both promises.
            assert!(found.is_empty(), "round {round}: {found:?}");
        } else {
            // 116 minutes while waiting for the fourth item: the whole visit breaks.
            assert_eq!(found.len(), 1, "{found:?}");
            let b = &found[0];
            assert_eq!(b.scope, pb::WaitScope::WholeVisit as i32);
            assert_eq!(b.appointment_id, a.appointment_id);
            assert_eq!(b.promise_minutes, 100);
            assert_eq!(b.waited_minutes, 116);
            assert_eq!(
                b.entry_id, waiting.entry_id,
                "names the wait the customer is in"
            );
            assert_eq!(b.customer.as_ref().unwrap().phone_masked, "139****0001");
            // It opened the visit's recovery case, due in the default ten minutes.
            assert!(b.recovery_case_id.starts_with("rc_"), "{b:?}");
            let (at, by) = (b.breached_at.unwrap(), b.decide_by.unwrap());
            assert_eq!(by.seconds - at.seconds, 600);
        }
        seen.extend(found);
        let called = call(&app, &station, &f.branch.branch_id, &waiting.exam_item_id)
            .await
            .unwrap();
        assert!(
            !called.wait_promise_breached,
            "29 minutes keeps the item's promise"
        );
        let mut c = app.client();
        c.start_exam_item(req(
            &station,
            pb::StartExamItemRequest {
                entry_id: called.entry_id.clone(),
            },
        ))
        .await
        .unwrap();
        app.advance(10);
        visit = c
            .complete_exam_item(req(
                &station,
                pb::CompleteExamItemRequest {
                    entry_id: called.entry_id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .visit
            .unwrap();
    }
    assert!(visit.completed);
    assert_eq!(seen.len(), 1, "raised once for the visit: {seen:?}");
    // Nothing more after a restart and more sweeps.
    app.restart().await;
    app.advance(60);
    let mut replay = subscribe(&app).await;
    let all = all_breaches_until_quiet(&mut replay, Duration::from_millis(600)).await;
    assert_eq!(all.len(), 1, "{all:?}");
    app.stop().await;
}
