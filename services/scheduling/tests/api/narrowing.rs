//! Narrowing a list or a feed to a branch or region outside the caller's scope is
//! `PERMISSION_DENIED` for every scoped role, never an empty answer; narrowing inside the
//! scope answers.

use hospital_proto::scheduling as pb;
use service_kit::auth::{OrgScope, Role};
use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(every_list_and_feed_refuses_a_narrowing_outside_the_callers_scope);

async fn every_list_and_feed_refuses_a_narrowing_outside_the_callers_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let shenzhen = create_branch(&app, "SZ-01", "guangdong", "shenzhen", 5).await;
    let shanghai = create_branch(&app, "SH-01", "shanghai", "shanghai", 5).await;
    let callers =
        test_support::scoped_callers(&app.world, "guangdong", "shenzhen", &shenzhen.branch_id);
    assert_eq!(callers.len(), 19);
    let mut c = app.client();
    let mut checked = 0;
    for caller in &callers {
        let (token, what) = (caller.token.as_str(), &caller.label);
        test_support::assert_denied(
            c.list_branches(req(
                token,
                pb::ListBranchesRequest {
                    region_path: "shanghai".into(),
                    ..Default::default()
                },
            ))
            .await,
            &format!("ListBranches, {what}"),
        );
        test_support::assert_denied(
            c.list_appointments(req(
                token,
                pb::ListAppointmentsRequest {
                    branch_id: shanghai.branch_id.clone(),
                    ..Default::default()
                },
            ))
            .await,
            &format!("ListAppointments, {what}"),
        );
        test_support::assert_denied(
            c.subscribe(req(
                token,
                pb::SubscribeRequest {
                    after: 0,
                    branch_id: shanghai.branch_id.clone(),
                },
            ))
            .await,
            &format!("Subscribe, {what}"),
        );
        test_support::assert_denied(
            c.list_recovery_due(req(
                token,
                pb::ListRecoveryDueRequest {
                    branch_id: shanghai.branch_id.clone(),
                    ..Default::default()
                },
            ))
            .await,
            &format!("ListRecoveryDue, {what}"),
        );
        checked += 4;
    }
    assert_eq!(checked, 4 * callers.len());

    // Inside the scope the same narrowing answers.
    let director = app.token(
        Role::BranchDirector,
        OrgScope::Branch(shenzhen.branch_id.clone()),
    );
    let region = app.token(Role::RegionAdmin, OrgScope::Region("guangdong".into()));
    let branches = c
        .list_branches(req(
            &region,
            pb::ListBranchesRequest {
                region_path: "guangdong/shenzhen".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .branches;
    assert_eq!(branches.len(), 1);
    c.list_appointments(req(
        &director,
        pb::ListAppointmentsRequest {
            branch_id: shenzhen.branch_id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.list_recovery_due(req(
        &director,
        pb::ListRecoveryDueRequest {
            branch_id: shenzhen.branch_id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.subscribe(req(
        &director,
        pb::SubscribeRequest {
            after: 0,
            branch_id: shenzhen.branch_id.clone(),
        },
    ))
    .await
    .unwrap();
    app.stop().await;
}
