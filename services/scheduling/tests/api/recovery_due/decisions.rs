//! Decisions on a case: gifts at list price within the decider's limit, vouchers,
//! companions, declines and reasons, and the deputy for a day.

use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use hospital_proto::scheduling as pb;
use test_support::backend_tests;

use super::*;
use crate::helpers::*;

backend_tests!(
    the_director_gives_a_giftable_item_at_its_list_price_and_it_joins_the_route,
    past_the_visit_a_gift_becomes_a_voucher_and_a_companion_is_named,
    a_case_without_a_gift_records_why_and_takes_no_second_decision,
    above_the_directors_limit_the_region_decides_and_pays,
    the_deputy_named_for_the_day_decides_as_the_director_that_day_only,
);

async fn the_director_gives_a_giftable_item_at_its_list_price_and_it_joins_the_route(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    let director = app.token(Role::BranchDirector, OrgScope::Branch(branch.clone()));
    // Ultrasound and the blood draw are not in the plain package, so either can be given.
    set_policy(&app, &director, &branch, &[&f.items[1], &f.items[0]], 10)
        .await
        .unwrap();
    let (a, case) = breached(&app, &f, "rg-1", 1).await;

    // A front-desk nurse cannot grant.
    let nurse = app.token(Role::FrontDesk, OrgScope::Branch(branch.clone()));
    let e = decide(
        &app,
        &nurse,
        "g-nurse",
        &case.case_id,
        gift(&f.items[1], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    // An item the branch does not list cannot be given.
    let e = decide(
        &app,
        &director,
        "g-other",
        &case.case_id,
        gift(&f.items[2], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");

    let decided = decide(
        &app,
        &director,
        "g-1",
        &case.case_id,
        gift(&f.items[1], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap();
    assert_eq!(decided.decision, pb::RecoveryDecision::Granted as i32);
    assert_eq!(decided.gifts.len(), 1);
    let g = &decided.gifts[0];
    assert_eq!(
        g.value.as_ref().unwrap().minor_units,
        8_000,
        "the list price"
    );
    assert_eq!(g.delivery, pb::GiftDelivery::OnRoute as i32);
    assert_eq!(
        g.cost_bearer,
        format!("branch:{branch}"),
        "whoever decides pays"
    );
    assert!(!g.decided_by.is_empty());
    assert_eq!(
        decided.decided_by, g.decided_by,
        "the decider is on the case"
    );
    // On the route while the customer still waits.
    let visit = app
        .client()
        .get_visit(req(
            &director,
            pb::GetVisitRequest {
                appointment_id: a.appointment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .visit
        .unwrap();
    assert!(
        visit
            .entries
            .iter()
            .any(|e| e.exam_item_id == f.items[1].exam_item_id && e.complimentary)
    );
    // Published once, with what figures need.
    let events = decided_events(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let ev = &events[0];
    assert_eq!(ev.case_id, case.case_id);
    assert_eq!(ev.decision, pb::RecoveryDecision::Granted as i32);
    assert_eq!(ev.value.as_ref().unwrap().minor_units, 8_000);
    assert_eq!(ev.cost_bearer, format!("branch:{branch}"));
    assert_eq!(ev.delivery, pb::GiftDelivery::OnRoute as i32);
    assert_eq!(ev.breached_at, case.breached_at);
    assert_eq!(ev.customer.as_ref().unwrap().phone_masked, "139****0001");
    // The queue is empty; a retry answers the same; a second gift is refused by default.
    assert!(due(&app, &director, &branch).await.is_empty());
    let again = decide(
        &app,
        &director,
        "g-1",
        &case.case_id,
        gift(&f.items[1], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap();
    assert_eq!(again.gifts, decided.gifts);
    let e = decide(
        &app,
        &director,
        "g-2",
        &case.case_id,
        gift(&f.items[0], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("1 per visit"), "{e:?}");
    app.stop().await;
}

async fn past_the_visit_a_gift_becomes_a_voucher_and_a_companion_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    let director = app.token(Role::BranchDirector, OrgScope::Branch(branch.clone()));
    app.client()
        .set_recovery_policy(req(
            &director,
            pb::SetRecoveryPolicyRequest {
                branch_id: branch.clone(),
                giftable_item_ids: vec![
                    f.items[1].exam_item_id.clone(),
                    f.items[0].exam_item_id.clone(),
                ],
                decision_minutes: 10,
                gifts_per_visit: 2,
            },
        ))
        .await
        .unwrap();
    let (a, case) = breached(&app, &f, "rv-1", 2).await;
    // The visit completes before anyone decides.
    let station = app.token(Role::ExamStation, OrgScope::Branch(branch.clone()));
    let done = test_support::scheduling::complete_visit(
        &mut app.client(),
        &station,
        &branch,
        &a.appointment_id,
    )
    .await;
    assert!(done.completed);
    let voucher = decide(
        &app,
        &director,
        "v-1",
        &case.case_id,
        gift(&f.items[1], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap();
    assert_eq!(
        voucher.gifts[0].delivery,
        pb::GiftDelivery::Voucher as i32,
        "not a refusal"
    );
    // A companion is recorded by name, and no name is refused naming the field.
    let e = decide(
        &app,
        &director,
        "v-2",
        &case.case_id,
        gift(&f.items[0], pb::GiftRecipient::Companion, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(bad_fields(&e), ["companion_name"]);
    let both = decide(
        &app,
        &director,
        "v-3",
        &case.case_id,
        gift(&f.items[0], pb::GiftRecipient::Companion, "王先生"),
    )
    .await
    .unwrap();
    assert_eq!(both.gifts.len(), 2);
    assert_eq!(both.gifts[1].delivery, pb::GiftDelivery::ToCompanion as i32);
    assert_eq!(both.gifts[1].companion_name, "王先生");
    // Two per visit here: a third is refused.
    let e = decide(
        &app,
        &director,
        "v-4",
        &case.case_id,
        gift(&f.items[0], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    app.stop().await;
}

async fn a_case_without_a_gift_records_why_and_takes_no_second_decision(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    let director = app.token(Role::BranchDirector, OrgScope::Branch(branch.clone()));
    set_policy(&app, &director, &branch, &[&f.items[1]], 10)
        .await
        .unwrap();
    let (_, case) = breached(&app, &f, "rn-1", 3).await;
    let not_given = |reason: pb::NotGivenReason, note: &str| pb::DecideRecoveryRequest {
        decision: pb::RecoveryDecision::NotGiven as i32,
        reason: reason as i32,
        note: note.into(),
        ..Default::default()
    };
    let e = decide(
        &app,
        &director,
        "n-1",
        &case.case_id,
        not_given(pb::NotGivenReason::Unspecified, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(bad_fields(&e), ["reason"]);
    let e = decide(
        &app,
        &director,
        "n-2",
        &case.case_id,
        not_given(pb::NotGivenReason::Other, " "),
    )
    .await
    .unwrap_err();
    assert_eq!(bad_fields(&e), ["note"]);
    let done = decide(
        &app,
        &director,
        "n-3",
        &case.case_id,
        not_given(pb::NotGivenReason::CustomerLeft, "离开前已致歉"),
    )
    .await
    .unwrap();
    assert_eq!(done.decision, pb::RecoveryDecision::NotGiven as i32);
    assert_eq!(done.reason, pb::NotGivenReason::CustomerLeft as i32);
    assert_eq!(done.note, "离开前已致歉");
    assert!(done.gifts.is_empty());
    // Decided once: no gift afterwards, and a retry answers the same.
    let e = decide(
        &app,
        &director,
        "n-4",
        &case.case_id,
        gift(&f.items[1], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let again = decide(
        &app,
        &director,
        "n-3",
        &case.case_id,
        not_given(pb::NotGivenReason::CustomerLeft, "离开前已致歉"),
    )
    .await
    .unwrap();
    assert_eq!(again.decided_at, done.decided_at);
    let events = decided_events(&app).await;
    assert_eq!(
        events.len(),
        1,
        "one decision, one event, retries included: {events:?}"
    );
    assert_eq!(events[0].decision, pb::RecoveryDecision::NotGiven as i32);
    assert_eq!(events[0].reason, pb::NotGivenReason::CustomerLeft as i32);
    assert!(events[0].value.is_none());

    app.stop().await;
}

/// Above the director's limit (¥500), the region decides, and its unit pays.
async fn above_the_directors_limit_the_region_decides_and_pays(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    let director = app.token(Role::BranchDirector, OrgScope::Branch(branch.clone()));
    let dear = test_support::scheduling::create_item(
        &mut app.client(),
        &app.admin,
        &test_support::scheduling::ItemSpec {
            price_fen: 60_000,
            ..test_support::scheduling::ItemSpec::new("DEAR", "深度体验", 99)
        },
    )
    .await;
    set_policy(&app, &director, &branch, &[&dear], 10)
        .await
        .unwrap();
    let (_, case) = breached(&app, &f, "rl-1", 4).await;
    let e = decide(
        &app,
        &director,
        "d-1",
        &case.case_id,
        gift(&dear, pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let region = app.token(Role::RegionAdmin, OrgScope::Region("guangdong".into()));
    let given = decide(
        &app,
        &region,
        "d-2",
        &case.case_id,
        gift(&dear, pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap();
    assert_eq!(given.gifts[0].cost_bearer, "region:guangdong");
    assert_eq!(given.gifts[0].value.as_ref().unwrap().minor_units, 60_000);
    app.stop().await;
}

async fn the_deputy_named_for_the_day_decides_as_the_director_that_day_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    let director = app.token(Role::BranchDirector, OrgScope::Branch(branch.clone()));
    set_policy(&app, &director, &branch, &[&f.items[1]], 10)
        .await
        .unwrap();
    let name = |token: &str, day: i32, deputy: &str| {
        let mut c = app.client();
        let r = pb::NameRecoveryDeputyRequest {
            branch_id: branch.clone(),
            date: Some(date(2026, 11, day)),
            deputy: deputy.into(),
        };
        let token = token.to_owned();
        async move { c.name_recovery_deputy(req(&token, r)).await }
    };
    // The clock is Monday 30 November at the branch; the director names a nurse for today.
    let nurse = app
        .world
        .token("nurse-1", Role::FrontDesk, OrgScope::Branch(branch.clone()));
    let other = app
        .world
        .token("nurse-2", Role::FrontDesk, OrgScope::Branch(branch.clone()));
    let e = name(&nurse, 30, "nurse-1").await.unwrap_err();
    assert_eq!(
        e.code(),
        Code::PermissionDenied,
        "a nurse cannot name herself"
    );
    let e = name(&director, 29, "nurse-1").await.unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "not for a day gone by");
    let e = name(&director, 30, "nurse 1").await.unwrap_err();
    assert_eq!(bad_fields(&e), ["deputy"]);
    let named = name(&director, 30, "nurse-1").await.unwrap().into_inner();
    assert_eq!(named.deputy, "nurse-1");

    let (_, case) = breached(&app, &f, "dp-1", 5).await;
    // The deputy sees the queue and gives at the director's level, at the branch's cost.
    assert_eq!(due(&app, &nurse, "").await.len(), 1);
    let refused = app
        .client()
        .list_recovery_due(req(&other, pb::ListRecoveryDueRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let e = decide(
        &app,
        &other,
        "dp-g0",
        &case.case_id,
        gift(&f.items[1], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let given = decide(
        &app,
        &nurse,
        "dp-g1",
        &case.case_id,
        gift(&f.items[1], pb::GiftRecipient::Customer, ""),
    )
    .await
    .unwrap();
    assert_eq!(given.gifts[0].decided_by, "nurse-1");
    assert_eq!(given.gifts[0].cost_bearer, format!("branch:{branch}"));

    // The next day the nurse is a nurse again.
    app.advance(24 * 60);
    let refused = app
        .client()
        .list_recovery_due(req(&nurse, pb::ListRecoveryDueRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    app.stop().await;
}
