use std::collections::HashSet;

use hospital_proto::scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient};
use tonic::Code;

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    a_race_of_200_bookings_for_10_places_books_exactly_10,
    a_repeated_request_id_returns_the_same_appointment_and_takes_one_place,
    a_request_id_reused_for_another_booking_is_refused,
    a_retry_after_the_slot_filled_returns_the_booking_not_full,
    every_illegal_status_change_is_refused_with_failed_precondition,
    every_change_is_kept_in_the_audit_trail,
    listing_pages_through_a_day,
    a_replica_books_by_the_branch_as_it_now_is_not_as_it_was_cached,
    where_contact_runs_a_booking_names_its_customer,
);

async fn slot_branch(app: &TestApp, _slot_id: &str) -> String {
    let branches = app
        .client()
        .list_branches(req(&app.admin, pb::ListBranchesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .branches;
    branches[0].branch_id.clone()
}

pub(crate) async fn slot_state(app: &TestApp, slot_id: &str, _package: &pb::Package) -> u32 {
    // Booked appointments in the slot, as the front desk lists them.
    let list = app
        .client()
        .list_appointments(req(
            &app.admin,
            pb::ListAppointmentsRequest {
                page_size: 500,
                customer_phone: String::new(),
                branch_id: slot_branch(app, slot_id).await,
                status: pb::AppointmentStatus::Booked as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    list.appointments
        .iter()
        .filter(|a| a.slot.as_ref().unwrap().slot_id == slot_id)
        .count() as u32
}

async fn a_race_of_200_bookings_for_10_places_books_exactly_10(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let mut tasks = Vec::new();
    for n in 0..200u32 {
        let client = app.client();
        let token = app.admin.clone();
        let slot = f.slot.slot_id.clone();
        let package = f.plain_package.package_id.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = client;
            client
                .book_appointment(req(
                    &token,
                    pb::BookAppointmentRequest {
                        request_id: format!("race-{n}"),
                        slot_id: slot,
                        package_id: package,
                        customer: Some(customer(n)),
                    },
                ))
                .await
        }));
    }
    let mut booked = HashSet::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => {
                booked.insert(r.into_inner().appointment.unwrap().appointment_id);
            }
            Err(status) => {
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                assert!(
                    status.message().contains("fully booked"),
                    "{}",
                    status.message()
                );
                refused += 1;
            }
        }
    }
    assert_eq!(booked.len(), 10);
    assert_eq!(refused, 190);
    assert_eq!(
        slot_state(&app, &f.slot.slot_id, &f.plain_package).await,
        10
    );
    let one = booked.iter().next().unwrap().clone();
    let apt = app
        .client()
        .get_appointment(req(
            &app.admin,
            pb::GetAppointmentRequest {
                appointment_id: one,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    let slot = apt.slot.unwrap();
    assert_eq!((slot.booked, slot.remaining), (10, 0));
    app.stop().await;
}

async fn a_repeated_request_id_returns_the_same_appointment_and_takes_one_place(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let first = book(
        &app,
        &app.admin,
        "same-request",
        &f.slot,
        &f.plain_package,
        1,
    )
    .await
    .unwrap();
    // Sequential retries and a burst of concurrent ones.
    let again = book(
        &app,
        &app.admin,
        "same-request",
        &f.slot,
        &f.plain_package,
        1,
    )
    .await
    .unwrap();
    assert_eq!(first.appointment_id, again.appointment_id);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app_client = app.client();
        let token = app.admin.clone();
        let slot = f.slot.clone();
        let package = f.plain_package.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = app_client;
            c.book_appointment(req(
                &token,
                pb::BookAppointmentRequest {
                    request_id: "burst".into(),
                    slot_id: slot.slot_id,
                    package_id: package.package_id,
                    customer: Some(customer(2)),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .appointment
            .unwrap()
            .appointment_id
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 1, "every retry returns the same appointment");
    assert_eq!(slot_state(&app, &f.slot.slot_id, &f.plain_package).await, 2);
    app.stop().await;
}

async fn a_request_id_reused_for_another_booking_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    // Same request id, another customer: a client bug, not a retry.
    book(&app, &app.admin, "r1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let other = f
        .slots
        .iter()
        .find(|s| s.slot_id != f.slot.slot_id)
        .unwrap();
    let err = book(&app, &app.admin, "r1", other, &f.plain_package, 2)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    app.stop().await;
}

async fn every_illegal_status_change_is_refused_with_failed_precondition(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let mut c = app.client();
    let t = app.admin.clone();
    let cancel = |id: &str| {
        req(
            &t,
            pb::CancelAppointmentRequest {
                appointment_id: id.into(),
                reason: pb::CancelReason::CustomerRequest as i32,
                note: String::new(),
            },
        )
    };
    let other = f
        .slots
        .iter()
        .find(|s| s.slot_id != f.slot.slot_id)
        .unwrap()
        .slot_id
        .clone();
    let resched = |id: &str| {
        req(
            &t,
            pb::RescheduleAppointmentRequest {
                appointment_id: id.into(),
                new_slot_id: other.clone(),
                expected_version: 0,
            },
        )
    };
    let check_in = |id: &str| {
        req(
            &t,
            pb::CheckInRequest {
                appointment_id: id.into(),
            },
        )
    };
    let no_show = |id: &str| {
        req(
            &t,
            pb::MarkNoShowRequest {
                appointment_id: id.into(),
            },
        )
    };
    let pre = |r: Result<_, tonic::Status>| {
        let s = r.expect_err("refused");
        assert_eq!(s.code(), Code::FailedPrecondition, "{s:?}");
    };

    // Booked: no-show before the window ends is refused.
    let a = book(&app, &t, "ill-1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    pre(c.mark_no_show(no_show(&a.appointment_id)).await.map(|_| ()));

    // Cancelled: nothing else may happen.
    c.cancel_appointment(cancel(&a.appointment_id))
        .await
        .unwrap();
    pre(c
        .cancel_appointment(cancel(&a.appointment_id))
        .await
        .map(|_| ()));
    pre(c
        .reschedule_appointment(resched(&a.appointment_id))
        .await
        .map(|_| ()));
    pre(c.check_in(check_in(&a.appointment_id)).await.map(|_| ()));
    pre(c.mark_no_show(no_show(&a.appointment_id)).await.map(|_| ()));

    // Checked in: no cancel, reschedule, second check-in or no-show.
    let b = book(&app, &t, "ill-2", &f.slot, &f.plain_package, 2)
        .await
        .unwrap();
    c.check_in(check_in(&b.appointment_id)).await.unwrap();
    pre(c
        .cancel_appointment(cancel(&b.appointment_id))
        .await
        .map(|_| ()));
    pre(c
        .reschedule_appointment(resched(&b.appointment_id))
        .await
        .map(|_| ()));
    pre(c.check_in(check_in(&b.appointment_id)).await.map(|_| ()));
    pre(c.mark_no_show(no_show(&b.appointment_id)).await.map(|_| ()));

    // Check-in on another day than the appointment's is refused.
    let tuesday = f
        .slots
        .iter()
        .find(|s| s.date == Some(date(2026, 12, 1)))
        .unwrap()
        .clone();
    let d = book(&app, &t, "ill-4", &tuesday, &f.plain_package, 4)
        .await
        .unwrap();
    pre(c.check_in(check_in(&d.appointment_id)).await.map(|_| ()));

    // No-show: after the window, then nothing else.
    let e = book(&app, &t, "ill-3", &f.slot, &f.plain_package, 3)
        .await
        .unwrap();
    app.advance(90);
    c.mark_no_show(no_show(&e.appointment_id)).await.unwrap();
    pre(c.mark_no_show(no_show(&e.appointment_id)).await.map(|_| ()));
    pre(c.check_in(check_in(&e.appointment_id)).await.map(|_| ()));
    pre(c
        .cancel_appointment(cancel(&e.appointment_id))
        .await
        .map(|_| ()));

    // A slot that has started cannot be booked.
    let late = book(&app, &t, "ill-5", &f.slot, &f.plain_package, 5)
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    app.stop().await;
}

async fn every_change_is_kept_in_the_audit_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let desk = app.token(
        service_kit::auth::Role::FrontDesk,
        service_kit::auth::OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let a = book(&app, &desk, "audit", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let other = f
        .slots
        .iter()
        .find(|s| s.slot_id != f.slot.slot_id && s.date == Some(date(2026, 11, 30)))
        .unwrap();
    app.client()
        .reschedule_appointment(req(
            &app.admin,
            pb::RescheduleAppointmentRequest {
                appointment_id: a.appointment_id.clone(),
                new_slot_id: other.slot_id.clone(),
                expected_version: 0,
            },
        ))
        .await
        .unwrap();
    app.client()
        .cancel_appointment(req(
            &desk,
            pb::CancelAppointmentRequest {
                appointment_id: a.appointment_id.clone(),
                reason: pb::CancelReason::Other as i32,
                note: "客户来电取消".into(),
            },
        ))
        .await
        .unwrap();
    let changes = app
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
    let trail: Vec<_> = changes
        .iter()
        .map(|c| (c.action.as_str(), c.actor.as_str()))
        .collect();
    assert_eq!(
        trail,
        [
            ("booked", "frontdesk"),
            ("rescheduled", "admin"),
            ("cancelled", "frontdesk")
        ]
    );
    assert!(changes.iter().all(|c| c.at.is_some()));
    // The customer's number (`book` gives customer 1 "13900000001"). Not just "139": the
    // details carry random slot ids, which contain those digits now and then.
    let phone = format!("139{:08}", 1);
    assert!(
        changes.iter().all(|c| !c.detail.contains(&phone)),
        "no phone numbers in the trail: {changes:?}"
    );
    app.stop().await;
}

async fn listing_pages_through_a_day(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    for n in 0..7 {
        book(
            &app,
            &app.admin,
            &format!("p{n}"),
            &f.slot,
            &f.plain_package,
            n,
        )
        .await
        .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .client()
            .list_appointments(req(
                &app.admin,
                pb::ListAppointmentsRequest {
                    branch_id: f.branch.branch_id.clone(),
                    page_size: 3,
                    page_token: token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.appointments.into_iter().map(|a| a.appointment_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
    // By phone, for the front desk: masked in the answer.
    let by_phone = app
        .client()
        .list_appointments(req(
            &app.admin,
            pb::ListAppointmentsRequest {
                customer_phone: "139 0000 0003".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointments;
    assert_eq!(by_phone.len(), 1);
    assert_eq!(
        by_phone[0].customer.as_ref().unwrap().phone_masked,
        "139****0003"
    );
    app.stop().await;
}

async fn a_retry_after_the_slot_filled_returns_the_booking_not_full(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 1).await;
    // The first attempt took the last place but its answer was lost; the retry must get
    // the booking, not "fully booked".
    let first = book(
        &app,
        &app.admin,
        "lost-answer",
        &f.slot,
        &f.plain_package,
        1,
    )
    .await
    .unwrap();
    let retry = book(
        &app,
        &app.admin,
        "lost-answer",
        &f.slot,
        &f.plain_package,
        1,
    )
    .await
    .unwrap();
    assert_eq!(retry.appointment_id, first.appointment_id);
    // Still a retry after the appointment moved to another slot.
    let other = f
        .slots
        .iter()
        .find(|s| s.slot_id != f.slot.slot_id)
        .unwrap();
    app.client()
        .reschedule_appointment(req(
            &app.admin,
            pb::RescheduleAppointmentRequest {
                appointment_id: first.appointment_id.clone(),
                new_slot_id: other.slot_id.clone(),
                expected_version: 0,
            },
        ))
        .await
        .unwrap();
    let later = book(
        &app,
        &app.admin,
        "lost-answer",
        &f.slot,
        &f.plain_package,
        1,
    )
    .await
    .unwrap();
    assert_eq!(later.appointment_id, first.appointment_id);
    app.stop().await;
}

/// Bookings check the rules against cached copies of the slot and its branch; a branch
/// changed by another replica must still be booked by its current rules and name.
async fn a_replica_books_by_the_branch_as_it_now_is_not_as_it_was_cached(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let branch_id = f.branch.branch_id.clone();
    // The first booking leaves this replica with the slot and the branch cached.
    book(&app, &app.admin, "cached-1", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    let mut feed = app
        .client()
        .subscribe(req(&app.admin, pb::SubscribeRequest::default()))
        .await
        .unwrap()
        .into_inner();

    // Another replica on the same database renames the branch.
    let other = app.svc.replica().await;
    let elsewhere = SchedulingServiceClient::new(other.channel());
    let update = |patch: pb::UpdateBranchRequest| {
        let mut elsewhere = elsewhere.clone();
        let token = app.admin.clone();
        async move { elsewhere.update_branch(req(&token, patch)).await.unwrap() }
    };
    update(pb::UpdateBranchRequest {
        branch_id: branch_id.clone(),
        name: Some("深圳福田新院".into()),
        ..Default::default()
    })
    .await;
    let renamed = book(&app, &app.admin, "cached-2", &f.slot, &f.plain_package, 2)
        .await
        .expect("a rename does not stop bookings");
    let mut names = Vec::new();
    while names.len() < 2 {
        let next = tokio::time::timeout(std::time::Duration::from_secs(5), feed.message())
            .await
            .expect("events arrive")
            .unwrap()
            .expect("the feed stays open");
        if let Some(pb::scheduling_event::Kind::AppointmentBooked(b)) =
            event(Ok(next)).unwrap().kind
        {
            names.push((b.appointment_id, b.branch.unwrap().name));
        }
    }
    assert_eq!(
        names[1],
        (renamed.appointment_id.clone(), "深圳福田新院".to_owned()),
        "the second booking's event names the branch as it now is"
    );

    // Then closes it on the slot's day: this replica must refuse, not book from its copy.
    update(pb::UpdateBranchRequest {
        branch_id: branch_id.clone(),
        holidays: Some(pb::HolidayList {
            dates: vec![date(2026, 11, 30)],
        }),
        ..Default::default()
    })
    .await;
    let refused = book(&app, &app.admin, "cached-3", &f.slot, &f.plain_package, 3)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("closed"), "{refused:?}");
    assert_eq!(slot_state(&app, &f.slot.slot_id, &f.plain_package).await, 2);
    drop(elsewhere);
}

/// With contact deployed (`booking.require_customer_id`), a booking without contact's
/// customer id is refused naming the field, so no visit goes unreminded.
async fn where_contact_runs_a_booking_names_its_customer(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    // Off by default: scheduling on its own books without one.
    book(&app, &app.admin, "no-id", &f.slot, &f.plain_package, 1)
        .await
        .expect("booked without an id");
    app.settings().booking.require_customer_id = true;
    app.restart().await;
    let e = book(&app, &app.admin, "no-id-2", &f.slot, &f.plain_package, 2)
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert_eq!(bad_fields(&e), ["customer.customer_id"]);
    let mut with_id = customer(3);
    with_id.customer_id = format!("cus_{}", "0".repeat(32));
    app.client()
        .book_appointment(req(
            &app.admin,
            pb::BookAppointmentRequest {
                request_id: "with-id".into(),
                slot_id: f.slot.slot_id.clone(),
                package_id: f.plain_package.package_id.clone(),
                customer: Some(with_id),
            },
        ))
        .await
        .expect("booked with contact's id");
    app.stop().await;
}
