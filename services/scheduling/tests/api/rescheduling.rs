use hospital_proto::scheduling as pb;
use test_support::backend_tests;
use tonic::Code;

use crate::{booking::slot_state, helpers::*};

backend_tests!(
    concurrent_reschedules_never_overfill_a_slot,
    rescheduling_moves_the_place_and_cancelling_releases_it,
    a_stale_expected_version_is_aborted,
    moving_to_another_branch_is_refused,
);

async fn concurrent_reschedules_never_overfill_a_slot(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 5).await;
    // 5 places in the target slot; 20 appointments elsewhere all try to move into it.
    let target = f.slot.clone();
    let sources: Vec<_> = f
        .slots
        .iter()
        .filter(|s| s.slot_id != target.slot_id)
        .take(4)
        .cloned()
        .collect();
    let mut apts = Vec::new();
    for n in 0..20u32 {
        let slot = &sources[n as usize % sources.len()];
        apts.push(
            book(
                &app,
                &app.admin,
                &format!("src-{n}"),
                slot,
                &f.plain_package,
                n,
            )
            .await
            .unwrap(),
        );
    }
    let mut tasks = Vec::new();
    for apt in &apts {
        let mut c = app.client();
        let token = app.admin.clone();
        let id = apt.appointment_id.clone();
        let to = target.slot_id.clone();
        tasks.push(tokio::spawn(async move {
            c.reschedule_appointment(req(
                &token,
                pb::RescheduleAppointmentRequest {
                    appointment_id: id,
                    new_slot_id: to,
                    expected_version: 0,
                },
            ))
            .await
        }));
    }
    // The same appointment moved twice at once: at most one move wins.
    let twice = apts[0].appointment_id.clone();
    let mut c = app.client();
    let token = app.admin.clone();
    let other = sources[1].slot_id.clone();
    let dup = tokio::spawn(async move {
        c.reschedule_appointment(req(
            &token,
            pb::RescheduleAppointmentRequest {
                appointment_id: twice,
                new_slot_id: other,
                expected_version: 1,
            },
        ))
        .await
    });
    let mut moved = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => moved += 1,
            Err(s) => assert!(
                matches!(
                    s.code(),
                    Code::ResourceExhausted | Code::Aborted | Code::FailedPrecondition
                ),
                "{s:?}"
            ),
        }
    }
    let _ = dup.await.unwrap();
    assert!(moved <= 5);
    let in_target = slot_state(&app, &target.slot_id, &f.plain_package).await;
    assert_eq!(in_target, moved.min(5));
    assert_eq!(in_target, 5, "all five places were taken by some move");
    // Every appointment is in exactly one slot, and the places add up.
    let mut total = 0;
    for s in &f.slots {
        total += slot_state(&app, &s.slot_id, &f.plain_package).await;
    }
    assert_eq!(total, 20);
    app.stop().await;
}

async fn rescheduling_moves_the_place_and_cancelling_releases_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 1).await;
    let other = f
        .slots
        .iter()
        .find(|s| s.slot_id != f.slot.slot_id)
        .unwrap()
        .clone();
    let apt = book(&app, &app.admin, "m1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    // The slot is full now.
    let full = book(&app, &app.admin, "m2", &f.slot, &f.plain_package, 2)
        .await
        .unwrap_err();
    assert_eq!(full.code(), Code::ResourceExhausted);
    let moved = app
        .client()
        .reschedule_appointment(req(
            &app.admin,
            pb::RescheduleAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
                new_slot_id: other.slot_id.clone(),
                expected_version: apt.version,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    assert_eq!(moved.slot.as_ref().unwrap().slot_id, other.slot_id);
    assert_eq!(moved.version, apt.version + 1);
    // The old place is free again, the new one is taken.
    let second = book(&app, &app.admin, "m3", &f.slot, &f.plain_package, 3)
        .await
        .unwrap();
    let taken = book(&app, &app.admin, "m4", &other, &f.plain_package, 4)
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::ResourceExhausted);
    let cancelled = app
        .client()
        .cancel_appointment(req(
            &app.admin,
            pb::CancelAppointmentRequest {
                appointment_id: second.appointment_id.clone(),
                reason: pb::CancelReason::CustomerRequest as i32,
                note: "出差".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    assert_eq!(cancelled.status, pb::AppointmentStatus::Cancelled as i32);
    book(&app, &app.admin, "m5", &f.slot, &f.plain_package, 5)
        .await
        .unwrap();
    app.stop().await;
}

async fn a_stale_expected_version_is_aborted(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let a = book(&app, &app.admin, "v1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let err = app
        .client()
        .reschedule_appointment(req(
            &app.admin,
            pb::RescheduleAppointmentRequest {
                appointment_id: a.appointment_id,
                new_slot_id: f.slots[5].slot_id.clone(),
                expected_version: 7,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    let err = app
        .client()
        .update_branch(req(
            &app.admin,
            pb::UpdateBranchRequest {
                branch_id: f.branch.branch_id.clone(),
                expected_version: 9,
                name: Some("x".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    app.stop().await;
}

async fn moving_to_another_branch_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    create_branch(&app, "SH-JA-01", "shanghai", "shanghai", 10).await;
    let elsewhere = app
        .client()
        .search_availability(req(
            &app.admin,
            pb::SearchAvailabilityRequest {
                branch_id: app
                    .client()
                    .list_branches(req(
                        &app.admin,
                        pb::ListBranchesRequest {
                            region_path: "shanghai".into(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                    .branches[0]
                    .branch_id
                    .clone(),
                package_id: f.plain_package.package_id.clone(),
                from: Some(date(2026, 12, 1)),
                to: Some(date(2026, 12, 1)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .slots[0]
        .clone();
    let apt = book(&app, &app.admin, "stay", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let err = app
        .client()
        .reschedule_appointment(req(
            &app.admin,
            pb::RescheduleAppointmentRequest {
                appointment_id: apt.appointment_id,
                new_slot_id: elsewhere.slot_id,
                expected_version: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    app.stop().await;
}
