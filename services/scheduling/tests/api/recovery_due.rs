//! The recovery-due queue: a broken wait promise puts the visit in front of the branch's
//! decision-makers at once, with the branch's giftable items at their list prices and a
//! deadline from the branch's decision window.

use std::time::Duration;

use hospital_proto::scheduling as pb;
use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    a_breach_puts_the_visit_in_the_queue_at_once_with_the_giftable_items,
    one_case_per_visit_whichever_promise_breaks_and_however_often,
    the_policy_lists_only_priced_catalogue_items_and_only_directors_set_it,
    the_director_gives_a_giftable_item_at_its_list_price_and_it_joins_the_route,
    past_the_visit_a_gift_becomes_a_voucher_and_a_companion_is_named,
    a_case_without_a_gift_records_why_and_takes_no_second_decision,
    above_the_directors_limit_the_region_decides_and_pays,
    the_deputy_named_for_the_day_decides_as_the_director_that_day_only,
);

async fn due(app: &TestApp, token: &str, branch_id: &str) -> Vec<pb::RecoveryCase> {
    app.client()
        .list_recovery_due(req(
            token,
            pb::ListRecoveryDueRequest {
                branch_id: branch_id.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .cases
}

async fn set_policy(
    app: &TestApp,
    token: &str,
    branch_id: &str,
    items: &[&pb::ExamItem],
    decision_minutes: u32,
) -> Result<pb::RecoveryPolicy, tonic::Status> {
    app.client()
        .set_recovery_policy(req(
            token,
            pb::SetRecoveryPolicyRequest {
                branch_id: branch_id.into(),
                giftable_item_ids: items.iter().map(|i| i.exam_item_id.clone()).collect(),
                decision_minutes,
                gifts_per_visit: 0,
            },
        ))
        .await
        .map(|r| r.into_inner().policy.unwrap())
}

/// Waits (the sweeper runs every 20 ms in tests) until the queue holds `n` cases.
async fn until_due(app: &TestApp, token: &str, branch_id: &str, n: usize) -> Vec<pb::RecoveryCase> {
    test_support::until(&format!("{n} recovery cases"), || async {
        let cases = due(app, token, branch_id).await;
        (cases.len() == n).then_some(cases)
    })
    .await
}

async fn a_breach_puts_the_visit_in_the_queue_at_once_with_the_giftable_items(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    let director = app.token(Role::BranchDirector, OrgScope::Branch(branch.clone()));
    // Ultrasound and eye checks are what this branch gives while a customer waits.
    let policy = set_policy(&app, &director, &branch, &[&f.items[1], &f.items[3]], 15)
        .await
        .unwrap();
    assert_eq!(policy.decision_minutes, 15);
    assert_eq!(policy.gifts_per_visit, 1, "one gift per visit by default");

    let a = book(&app, &app.admin, "rq-1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    check_in(&app, &a).await;
    app.advance(30);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        due(&app, &director, &branch).await.is_empty(),
        "within the promise"
    );

    app.advance(1);
    let cases = until_due(&app, &director, &branch, 1).await;
    let case = &cases[0];
    assert_eq!(case.appointment_id, a.appointment_id);
    assert_eq!(case.trigger, pb::WaitScope::ExamItem as i32);
    assert_eq!(case.customer.as_ref().unwrap().phone_masked, "139****0001");
    assert_eq!(case.waited_minutes, 31);
    let breached = case.breached_at.unwrap().seconds;
    assert_eq!(case.decide_by.unwrap().seconds, breached + 15 * 60);
    assert!(!case.late);
    let gifts: Vec<_> = case
        .giftable_items
        .iter()
        .map(|g| {
            (
                g.exam_item_id.as_str(),
                g.list_price.as_ref().unwrap().minor_units,
            )
        })
        .collect();
    assert_eq!(
        gifts,
        [
            (f.items[1].exam_item_id.as_str(), 8_000),
            (f.items[3].exam_item_id.as_str(), 8_000)
        ]
    );

    // The wait goes on; past the window the case shows late.
    app.advance(16);
    let later = due(&app, &director, &branch).await;
    assert_eq!(later.len(), 1);
    assert!(later[0].late);
    assert_eq!(later[0].waited_minutes, 47);
    // The levels above see the branch's case too.
    let province = app.token(Role::RegionAdmin, OrgScope::Region("guangdong".into()));
    assert_eq!(due(&app, &province, "").await.len(), 1);
    // Late, the case has moved up: the director no longer decides; the city does.
    assert_eq!(case.level, pb::RecoveryLevel::Branch as i32);
    assert_eq!(later[0].level, pb::RecoveryLevel::City as i32);
    let declined = pb::DecideRecoveryRequest {
        decision: pb::RecoveryDecision::DeclinedByCustomer as i32,
        ..Default::default()
    };
    let e = decide(&app, &director, "late-1", &case.case_id, declined.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    assert!(e.message().contains("moved up to the city"), "{e:?}");
    let city = app.token(
        Role::RegionAdmin,
        OrgScope::Region("guangdong/shenzhen".into()),
    );
    let decided = decide(&app, &city, "late-2", &case.case_id, declined)
        .await
        .unwrap();
    assert_eq!(
        decided.decision,
        pb::RecoveryDecision::DeclinedByCustomer as i32
    );
    assert_eq!(
        decided.level,
        pb::RecoveryLevel::Branch as i32,
        "decided: no longer escalated"
    );
    assert!(!decided.late);

    // Decided, the case leaves everyone's queue; a front-desk nurse may not see the queue,
    // and another branch's director sees nothing of this one.
    let region = app.token(Role::RegionAdmin, OrgScope::Region("guangdong".into()));
    assert!(
        due(&app, &region, "").await.is_empty(),
        "decided cases leave the queue"
    );
    let nurse = app.token(Role::FrontDesk, OrgScope::Branch(branch.clone()));
    let refused = app
        .client()
        .list_recovery_due(req(&nurse, pb::ListRecoveryDueRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let elsewhere = app.token(
        Role::BranchDirector,
        OrgScope::Branch("br_elsewhere".into()),
    );
    assert!(due(&app, &elsewhere, "").await.is_empty());
    app.stop().await;
}

async fn one_case_per_visit_whichever_promise_breaks_and_however_often(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    // The whole visit promises less than one item: the visit breaks first, then the item.
    app.client()
        .update_branch(req(
            &app.admin,
            pb::UpdateBranchRequest {
                branch_id: branch.clone(),
                visit_wait_promise_minutes: Some(20),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let a = book(&app, &app.admin, "rq-2", &f.slot, &f.plain_package, 2)
        .await
        .unwrap();
    check_in(&app, &a).await;
    app.advance(21);
    let cases = until_due(&app, &app.admin, &branch, 1).await;
    assert_eq!(cases[0].trigger, pb::WaitScope::WholeVisit as i32);
    assert_eq!(
        cases[0].decide_by.unwrap().seconds,
        cases[0].breached_at.unwrap().seconds + 600,
        "ten minutes without a policy"
    );
    app.advance(10);
    // The item breaks too (31 minutes), and the service restarts: still one case.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.restart().await;
    app.advance(5);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = due(&app, &app.admin, &branch).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].case_id, cases[0].case_id);
    assert_eq!(
        after[0].trigger,
        pb::WaitScope::WholeVisit as i32,
        "the first breach opened it"
    );
    app.stop().await;
}

async fn the_policy_lists_only_priced_catalogue_items_and_only_directors_set_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = f.branch.branch_id.clone();
    let director = app.token(Role::BranchDirector, OrgScope::Branch(branch.clone()));
    // Defaults until set: nothing giftable.
    let p = app
        .client()
        .get_recovery_policy(req(
            &director,
            pb::GetRecoveryPolicyRequest {
                branch_id: branch.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    assert!(p.giftable_items.is_empty());
    assert_eq!((p.decision_minutes, p.gifts_per_visit), (10, 1));
    assert!(p.updated_at.is_none());

    // An item without a list price cannot be listed: a gift of it would have no worth.
    let unpriced = test_support::scheduling::create_item(
        &mut app.client(),
        &app.admin,
        &test_support::scheduling::ItemSpec {
            price_fen: 0,
            ..test_support::scheduling::ItemSpec::new("NOPRICE", "无价项目", 99)
        },
    )
    .await;
    let e = set_policy(&app, &director, &branch, &[&f.items[0], &unpriced], 10)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e.message().contains("giftable_item_ids[1]"), "{e:?}");
    // The catalogue (not a director) prices it; then it can be listed.
    let price = |token: &str| {
        let mut c = app.client();
        let r = pb::SetExamItemPriceRequest {
            exam_item_id: unpriced.exam_item_id.clone(),
            list_price: Some(hospital_proto::common::Money {
                currency_code: "CNY".into(),
                minor_units: 12_000,
            }),
        };
        let token = token.to_owned();
        async move { c.set_exam_item_price(req(&token, r)).await }
    };
    assert_eq!(
        price(&director).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let priced = price(&app.admin)
        .await
        .unwrap()
        .into_inner()
        .exam_item
        .unwrap();
    assert_eq!(priced.list_price.unwrap().minor_units, 12_000);
    let listed = set_policy(&app, &director, &branch, &[&f.items[0], &unpriced], 10)
        .await
        .unwrap();
    assert_eq!(
        listed.giftable_items[1]
            .list_price
            .as_ref()
            .unwrap()
            .minor_units,
        12_000
    );
    // An unknown item is not found; bad numbers are named.
    let e = app
        .client()
        .set_recovery_policy(req(
            &director,
            pb::SetRecoveryPolicyRequest {
                branch_id: branch.clone(),
                giftable_item_ids: vec!["item_nope".into()],
                decision_minutes: 0,
                gifts_per_visit: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    let e = app
        .client()
        .set_recovery_policy(req(
            &director,
            pb::SetRecoveryPolicyRequest {
                branch_id: branch.clone(),
                giftable_item_ids: vec![],
                decision_minutes: 121,
                gifts_per_visit: 6,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), ["decision_minutes", "gifts_per_visit"]);
    // A front-desk nurse may not set it; another branch's director may not either.
    for token in [
        app.token(Role::FrontDesk, OrgScope::Branch(branch.clone())),
        app.token(
            Role::BranchDirector,
            OrgScope::Branch("br_elsewhere".into()),
        ),
    ] {
        let e = set_policy(&app, &token, &branch, &[&f.items[0]], 10)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    }
    // Nothing stored by the refusals; a good policy replaces the defaults.
    let set = set_policy(&app, &director, &branch, &[&f.items[0]], 5)
        .await
        .unwrap();
    assert_eq!(set.giftable_items.len(), 1);
    assert_eq!(set.giftable_items[0].name, f.items[0].name);
    assert!(set.updated_at.is_some());
    app.stop().await;
}

/// The `RecoveryDecided` events published so far, oldest first.
async fn decided_events(app: &TestApp) -> Vec<pb::RecoveryDecided> {
    let mut feed = app
        .client()
        .subscribe(req(&app.admin, pb::SubscribeRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Ok(Ok(Some(r))) =
        tokio::time::timeout(Duration::from_millis(400), feed.message()).await
    {
        if let Some(pb::scheduling_event::Kind::RecoveryDecided(d)) = r.event.unwrap().kind {
            out.push(d);
        }
    }
    out
}

async fn decide(
    app: &TestApp,
    token: &str,
    request_id: &str,
    case_id: &str,
    r: pb::DecideRecoveryRequest,
) -> Result<pb::RecoveryCase, tonic::Status> {
    app.client()
        .decide_recovery(req(
            token,
            pb::DecideRecoveryRequest {
                request_id: request_id.into(),
                case_id: case_id.into(),
                ..r
            },
        ))
        .await
        .map(|r| r.into_inner().case.unwrap())
}

fn gift(
    item: &pb::ExamItem,
    recipient: pb::GiftRecipient,
    companion: &str,
) -> pb::DecideRecoveryRequest {
    pb::DecideRecoveryRequest {
        decision: pb::RecoveryDecision::Granted as i32,
        exam_item_id: item.exam_item_id.clone(),
        recipient: recipient as i32,
        companion_name: companion.into(),
        ..Default::default()
    }
}

/// A visit checked in and waiting past the item promise; its open case.
async fn breached(
    app: &TestApp,
    f: &Fixture,
    request_id: &str,
    n: u32,
) -> (pb::Appointment, pb::RecoveryCase) {
    let a = book(app, &app.admin, request_id, &f.slot, &f.plain_package, n)
        .await
        .unwrap();
    check_in(app, &a).await;
    let before = due(app, &app.admin, &f.branch.branch_id).await.len();
    app.advance(31);
    let cases = until_due(app, &app.admin, &f.branch.branch_id, before + 1).await;
    let case = cases
        .into_iter()
        .find(|c| c.appointment_id == a.appointment_id)
        .expect("the visit's case");
    (a, case)
}

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
