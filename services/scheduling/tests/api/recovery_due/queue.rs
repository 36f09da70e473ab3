//! The queue and the policy: a breach opens the visit's case at once, with the branch's
//! giftable items and a deadline; late cases move up.

use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use hospital_proto::scheduling as pb;
use test_support::backend_tests;

use super::*;
use crate::helpers::*;

backend_tests!(
    a_breach_puts_the_visit_in_the_queue_at_once_with_the_giftable_items,
    one_case_per_visit_whichever_promise_breaks_and_however_often,
    the_policy_lists_only_priced_catalogue_items_and_only_directors_set_it,
);

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
    // Both breaches are published; only the first names the case it opened.
    let breaches = breach_events(&app).await;
    let opened: Vec<_> = breaches
        .iter()
        .map(|b| (b.scope, b.recovery_case_id.as_str(), b.decide_by.is_some()))
        .collect();
    assert_eq!(
        opened,
        [
            (
                pb::WaitScope::WholeVisit as i32,
                cases[0].case_id.as_str(),
                true
            ),
            (pb::WaitScope::ExamItem as i32, "", false),
        ]
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
