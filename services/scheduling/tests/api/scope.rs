//! Every role against the data it may and may not touch.

use hospital_proto::{common, scheduling as pb};
use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    calls_without_a_valid_token_are_unauthenticated,
    branch_tokens_touch_only_their_branch,
    region_tokens_touch_only_branches_under_their_region,
    roles_are_limited_to_their_work,
);

async fn calls_without_a_valid_token_are_unauthenticated(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut c = app.client();
    let err = c
        .list_branches(tonic::Request::new(pb::ListBranchesRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = c
        .list_branches(req("not-a-jwt", pb::ListBranchesRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let forged =
        service_kit::auth::TokenIssuer::hs256(&"other-secret".to_string().into(), "hospital-suite")
            .issue("x", Role::GroupAdmin, &OrgScope::Group, 60);
    let err = c
        .list_branches(req(&forged, pb::ListBranchesRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    app.stop().await;
}

async fn branch_tokens_touch_only_their_branch(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let other = create_branch(&app, "SH-JA-01", "shanghai", "shanghai", 10).await;
    let other_slot = app
        .client()
        .search_availability(req(
            &app.admin,
            pb::SearchAvailabilityRequest {
                branch_id: other.branch_id.clone(),
                package_id: f.plain_package.package_id.clone(),
                from: Some(date(2026, 11, 30)),
                to: Some(date(2026, 12, 6)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .slots[3]
        .clone();
    let desk = app.token(
        Role::FrontDesk,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let mut c = app.client();

    // Own branch: yes.
    c.get_branch(req(
        &desk,
        pb::GetBranchRequest {
            branch_id: f.branch.branch_id.clone(),
        },
    ))
    .await
    .unwrap();
    let mine = book(&app, &desk, "mine", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    // Another branch: no, for every kind of call.
    let denied =
        |r: Result<(), tonic::Status>| assert_eq!(r.unwrap_err().code(), Code::PermissionDenied);
    denied(
        c.get_branch(req(
            &desk,
            pb::GetBranchRequest {
                branch_id: other.branch_id.clone(),
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        book(&app, &desk, "theirs", &other_slot, &f.plain_package, 2)
            .await
            .map(|_| ()),
    );
    let theirs = book(
        &app,
        &app.admin,
        "theirs-admin",
        &other_slot,
        &f.plain_package,
        3,
    )
    .await
    .unwrap();
    denied(
        c.get_appointment(req(
            &desk,
            pb::GetAppointmentRequest {
                appointment_id: theirs.appointment_id.clone(),
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        c.cancel_appointment(req(
            &desk,
            pb::CancelAppointmentRequest {
                appointment_id: theirs.appointment_id.clone(),
                reason: 1,
                note: String::new(),
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        c.reschedule_appointment(req(
            &desk,
            pb::RescheduleAppointmentRequest {
                appointment_id: mine.appointment_id.clone(),
                new_slot_id: other_slot.slot_id.clone(),
                expected_version: 0,
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        c.list_appointments(req(
            &desk,
            pb::ListAppointmentsRequest {
                branch_id: other.branch_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        c.call_next(req(
            &desk,
            pb::CallNextRequest {
                branch_id: other.branch_id.clone(),
                exam_item_id: f.items[0].exam_item_id.clone(),
            },
        ))
        .await
        .map(|_| ()),
    );
    // Lists show only the own branch.
    let branches = c
        .list_branches(req(&desk, pb::ListBranchesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .branches;
    assert_eq!(branches.len(), 1);
    let apts = c
        .list_appointments(req(&desk, pb::ListAppointmentsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .appointments;
    assert_eq!(
        apts.iter()
            .map(|a| a.appointment_id.clone())
            .collect::<Vec<_>>(),
        [mine.appointment_id]
    );
    app.stop().await;
}

async fn region_tokens_touch_only_branches_under_their_region(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let guangzhou = create_branch(&app, "GZ-TH-01", "guangdong", "guangzhou", 10).await;
    let shanghai = create_branch(&app, "SH-JA-01", "shanghai", "shanghai", 10).await;
    let province = app.token(Role::RegionAdmin, OrgScope::Region("guangdong".into()));
    let city = app.token(
        Role::RegionAdmin,
        OrgScope::Region("guangdong/shenzhen".into()),
    );
    let mut c = app.client();
    let listed = |tok: &str| {
        let mut c = app.client();
        let tok = tok.to_owned();
        async move {
            let mut ids: Vec<_> = c
                .list_branches(req(&tok, pb::ListBranchesRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .branches
                .into_iter()
                .map(|b| b.code)
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(listed(&province).await, ["GZ-TH-01", "SZ-FT-01"]);
    assert_eq!(listed(&city).await, ["SZ-FT-01"]);
    let err = c
        .get_branch(req(
            &city,
            pb::GetBranchRequest {
                branch_id: guangzhou.branch_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = c
        .update_branch(req(
            &province,
            pb::UpdateBranchRequest {
                branch_id: shanghai.branch_id.clone(),
                wait_promise_minutes: Some(20),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let updated = c
        .update_branch(req(
            &province,
            pb::UpdateBranchRequest {
                branch_id: f.branch.branch_id.clone(),
                wait_promise_minutes: Some(20),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .branch
        .unwrap();
    assert_eq!(updated.wait_promise_minutes, 20);
    // A region admin creates branches only inside the region.
    let new_branch = |province: &str, code: &str| pb::CreateBranchRequest {
        request_id: format!("rb-{code}"),
        code: code.into(),
        name: "新分院".into(),
        brand: "美年".into(),
        region: Some(common::RegionPath {
            province: province.into(),
            city: "foshan".into(),
        }),
        opening_hours: vec![pb::OpeningHours {
            weekday: 1,
            opens: Some(tod(7, 0)),
            closes: Some(tod(12, 0)),
        }],
        wait_promise_minutes: 30,
        ..Default::default()
    };
    c.create_branch(req(&province, new_branch("guangdong", "FS-01")))
        .await
        .unwrap();
    // Replaying another region's create request does not reveal that branch.
    let mut replay = new_branch("guangdong", "FS-02");
    replay.request_id = "branch-SH-JA-01".into();
    let err = c.create_branch(req(&province, replay)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = c
        .create_branch(req(&province, new_branch("zhejiang", "HZ-01")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    app.stop().await;
}

async fn roles_are_limited_to_their_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch = OrgScope::Branch(f.branch.branch_id.clone());
    let station = app.token(Role::ExamStation, branch.clone());
    let agent = app.token(Role::CallCentreAgent, OrgScope::Group);
    let director = app.token(Role::BranchDirector, branch.clone());
    let mut c = app.client();
    let denied =
        |r: Result<(), tonic::Status>| assert_eq!(r.unwrap_err().code(), Code::PermissionDenied);
    // Stations do not book; agents do not check in or touch catalogue or capacity.
    denied(
        book(&app, &station, "st", &f.slot, &f.plain_package, 1)
            .await
            .map(|_| ()),
    );
    let apt = book(&app, &agent, "ag", &f.slot, &f.plain_package, 2)
        .await
        .unwrap();
    denied(
        c.check_in(req(
            &agent,
            pb::CheckInRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        c.create_exam_item(req(
            &director,
            pb::CreateExamItemRequest {
                request_id: "x".into(),
                code: "X".into(),
                name: "x".into(),
                department: "d".into(),
                duration_minutes: 5,
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        c.generate_slots(req(
            &agent,
            pb::GenerateSlotsRequest {
                branch_id: f.branch.branch_id.clone(),
                from: Some(date(2026, 12, 7)),
                to: Some(date(2026, 12, 8)),
            },
        ))
        .await
        .map(|_| ()),
    );
    denied(
        c.create_branch(req(&director, pb::CreateBranchRequest::default()))
            .await
            .map(|_| ()),
    );
    denied(
        c.subscribe(req(&agent, pb::SubscribeRequest::default()))
            .await
            .map(|_| ()),
    );
    // A director manages capacity at the own branch.
    let report = c
        .generate_slots(req(
            &director,
            pb::GenerateSlotsRequest {
                branch_id: f.branch.branch_id.clone(),
                from: Some(date(2026, 12, 7)),
                to: Some(date(2026, 12, 8)),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.created, 6);
    // A branch-system token must be bound to a branch.
    let unbound = app.token(Role::BranchSystem, OrgScope::Group);
    let err = c
        .list_branches(req(&unbound, pb::ListBranchesRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    app.stop().await;
}
