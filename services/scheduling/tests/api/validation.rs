//! Invalid input for each RPC is refused with INVALID_ARGUMENT naming the field. (The
//! list RPCs without filters and Subscribe take no input that can be invalid.)

use hospital_proto::{common, scheduling as pb};

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(invalid_input_for_each_rpc_names_the_field);

fn has(status: tonic::Status, fields: &[&str]) {
    let got = bad_fields(&status);
    for f in fields {
        assert!(
            got.iter().any(|g| g == f),
            "{f} not in {got:?} ({})",
            status.message()
        );
    }
}

async fn invalid_input_for_each_rpc_names_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let t = app.admin.clone();
    let mut c = app.client();
    let branch_id = f.branch.branch_id.clone();

    has(
        c.create_branch(req(
            &t,
            pb::CreateBranchRequest {
                request_id: "x".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err(),
        &[
            "code",
            "region.province",
            "region.city",
            "name",
            "brand",
            "opening_hours",
            "wait_promise_minutes",
        ],
    );
    has(
        c.create_branch(req(
            &t,
            pb::CreateBranchRequest {
                request_id: "y".into(),
                code: "OK-1".into(),
                name: "n".into(),
                brand: "b".into(),
                region: Some(common::RegionPath {
                    province: "guangdong".into(),
                    city: "shenzhen".into(),
                }),
                time_zone: "Moon/Base".into(),
                opening_hours: vec![pb::OpeningHours {
                    weekday: 0,
                    opens: Some(tod(12, 0)),
                    closes: Some(tod(7, 0)),
                }],
                wait_promise_minutes: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err(),
        &[
            "time_zone",
            "opening_hours[0].weekday",
            "wait_promise_minutes",
        ],
    );
    has(
        c.create_branch(req(&t, pb::CreateBranchRequest::default()))
            .await
            .unwrap_err(),
        &["code"],
    );
    has(
        c.update_branch(req(&t, pb::UpdateBranchRequest::default()))
            .await
            .unwrap_err(),
        &["branch_id"],
    );
    has(
        c.update_branch(req(
            &t,
            pb::UpdateBranchRequest {
                branch_id: branch_id.clone(),
                time_zone: Some("Nowhere".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err(),
        &["time_zone"],
    );
    has(
        c.get_branch(req(&t, pb::GetBranchRequest::default()))
            .await
            .unwrap_err(),
        &["branch_id"],
    );
    has(
        c.list_branches(req(
            &t,
            pb::ListBranchesRequest {
                region_path: "Guang_Dong".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err(),
        &["region_path"],
    );

    has(
        c.create_exam_item(req(
            &t,
            pb::CreateExamItemRequest {
                request_id: "i".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err(),
        &["code", "name", "department", "duration_minutes"],
    );
    has(
        c.create_exam_item(req(&t, pb::CreateExamItemRequest::default()))
            .await
            .unwrap_err(),
        &["request_id"],
    );
    has(
        c.create_package(req(
            &t,
            pb::CreatePackageRequest {
                request_id: "p".into(),
                code: "P".into(),
                name: "p".into(),
                price: Some(common::Money {
                    currency_code: "rmb".into(),
                    minor_units: -1,
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err(),
        &["exam_item_ids", "price.currency_code", "price.minor_units"],
    );
    has(
        c.create_package(req(
            &t,
            pb::CreatePackageRequest {
                request_id: "p2".into(),
                code: "P2".into(),
                name: "p".into(),
                exam_item_ids: vec!["item_nope".into()],
                price: Some(common::Money {
                    currency_code: "CNY".into(),
                    minor_units: 1,
                }),
            },
        ))
        .await
        .unwrap_err(),
        &["exam_item_ids"],
    );
    has(
        c.get_package(req(&t, pb::GetPackageRequest::default()))
            .await
            .unwrap_err(),
        &["package_id"],
    );

    has(
        c.set_weekly_template(req(
            &t,
            pb::SetWeeklyTemplateRequest {
                branch_id: branch_id.clone(),
                windows: vec![
                    pb::TemplateWindow {
                        weekday: 0,
                        start: Some(tod(8, 0)),
                        end: Some(tod(8, 30)),
                        capacity: 0,
                    },
                    pb::TemplateWindow {
                        weekday: 1,
                        start: None,
                        end: Some(tod(25, 0)),
                        capacity: 5,
                    },
                ],
            },
        ))
        .await
        .unwrap_err(),
        &["windows[0].weekday", "windows[1].start", "windows[1].end"],
    );
    has(
        c.set_weekly_template(req(
            &t,
            pb::SetWeeklyTemplateRequest {
                branch_id: branch_id.clone(),
                windows: vec![pb::TemplateWindow {
                    weekday: 1,
                    start: Some(tod(8, 0)),
                    end: Some(tod(8, 30)),
                    capacity: 0,
                }],
            },
        ))
        .await
        .unwrap_err(),
        &["windows[0].capacity"],
    );
    has(
        c.set_weekly_template(req(&t, pb::SetWeeklyTemplateRequest::default()))
            .await
            .unwrap_err(),
        &["branch_id"],
    );
    has(
        c.get_weekly_template(req(&t, pb::GetWeeklyTemplateRequest::default()))
            .await
            .unwrap_err(),
        &["branch_id"],
    );
    has(
        c.generate_slots(req(
            &t,
            pb::GenerateSlotsRequest {
                branch_id: branch_id.clone(),
                from: None,
                to: Some(date(2026, 2, 30)),
            },
        ))
        .await
        .unwrap_err(),
        &["from", "to"],
    );
    has(
        c.generate_slots(req(
            &t,
            pb::GenerateSlotsRequest {
                branch_id: branch_id.clone(),
                from: Some(date(2026, 12, 1)),
                to: Some(date(2027, 6, 1)),
            },
        ))
        .await
        .unwrap_err(),
        &["to"],
    );
    has(
        c.search_availability(req(&t, pb::SearchAvailabilityRequest::default()))
            .await
            .unwrap_err(),
        &["branch_id", "package_id"],
    );
    has(
        c.search_availability(req(
            &t,
            pb::SearchAvailabilityRequest {
                branch_id: branch_id.clone(),
                package_id: f.plain_package.package_id.clone(),
                from: Some(date(2026, 12, 1)),
                to: None,
            },
        ))
        .await
        .unwrap_err(),
        &["to"],
    );

    has(
        c.book_appointment(req(&t, pb::BookAppointmentRequest::default()))
            .await
            .unwrap_err(),
        &[
            "request_id",
            "slot_id",
            "package_id",
            "customer.name",
            "customer.phone",
        ],
    );
    has(
        c.book_appointment(req(
            &t,
            pb::BookAppointmentRequest {
                request_id: "b".into(),
                slot_id: f.slot.slot_id.clone(),
                package_id: f.plain_package.package_id.clone(),
                customer: Some(pb::CustomerInput {
                    customer_id: "bogus".into(),
                    name: "张三".into(),
                    phone: "12345".into(),
                }),
            },
        ))
        .await
        .unwrap_err(),
        &["customer.customer_id", "customer.phone"],
    );
    has(
        c.get_appointment(req(&t, pb::GetAppointmentRequest::default()))
            .await
            .unwrap_err(),
        &["appointment_id"],
    );
    // Text a database cannot store (PostgreSQL refuses NUL) is bad input, not a server error.
    has(
        c.get_appointment(req(
            &t,
            pb::GetAppointmentRequest {
                appointment_id: "apt_\0".into(),
            },
        ))
        .await
        .unwrap_err(),
        &["appointment_id"],
    );
    has(
        c.book_appointment(req(
            &t,
            pb::BookAppointmentRequest {
                request_id: "nul".into(),
                slot_id: f.slot.slot_id.clone(),
                package_id: f.plain_package.package_id.clone(),
                customer: Some(pb::CustomerInput {
                    customer_id: String::new(),
                    name: "张\0三".into(),
                    phone: "13800138000".into(),
                }),
            },
        ))
        .await
        .unwrap_err(),
        &["customer.name"],
    );
    has(
        c.list_appointments(req(&t, pb::ListAppointmentsRequest::default()))
            .await
            .unwrap_err(),
        &["branch_id"],
    );
    has(
        c.list_appointments(req(
            &t,
            pb::ListAppointmentsRequest {
                branch_id: branch_id.clone(),
                customer_phone: "abc".into(),
                date: Some(date(2026, 13, 1)),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err(),
        &["customer_phone", "date"],
    );
    has(
        c.reschedule_appointment(req(&t, pb::RescheduleAppointmentRequest::default()))
            .await
            .unwrap_err(),
        &["appointment_id", "new_slot_id"],
    );
    has(
        c.cancel_appointment(req(&t, pb::CancelAppointmentRequest::default()))
            .await
            .unwrap_err(),
        &["appointment_id"],
    );
    let apt = book(&app, &t, "v", &f.slot, &f.plain_package, 1)
        .await
        .unwrap();
    has(
        c.cancel_appointment(req(
            &t,
            pb::CancelAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
                reason: 0,
                note: String::new(),
            },
        ))
        .await
        .unwrap_err(),
        &["reason"],
    );
    has(
        c.cancel_appointment(req(
            &t,
            pb::CancelAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
                reason: pb::CancelReason::Other as i32,
                note: " ".into(),
            },
        ))
        .await
        .unwrap_err(),
        &["note"],
    );
    has(
        c.mark_no_show(req(&t, pb::MarkNoShowRequest::default()))
            .await
            .unwrap_err(),
        &["appointment_id"],
    );
    has(
        c.list_appointment_history(req(&t, pb::ListAppointmentHistoryRequest::default()))
            .await
            .unwrap_err(),
        &["appointment_id"],
    );

    has(
        c.check_in(req(&t, pb::CheckInRequest::default()))
            .await
            .unwrap_err(),
        &["appointment_id"],
    );
    has(
        c.get_visit(req(&t, pb::GetVisitRequest::default()))
            .await
            .unwrap_err(),
        &["appointment_id"],
    );
    has(
        c.call_next(req(&t, pb::CallNextRequest::default()))
            .await
            .unwrap_err(),
        &["branch_id", "exam_item_id"],
    );
    has(
        c.start_exam_item(req(&t, pb::StartExamItemRequest::default()))
            .await
            .unwrap_err(),
        &["entry_id"],
    );
    has(
        c.complete_exam_item(req(&t, pb::CompleteExamItemRequest::default()))
            .await
            .unwrap_err(),
        &["entry_id"],
    );

    // Nothing was stored by any refused call: the appointment is still the only one.
    let all = c
        .list_appointments(req(
            &t,
            pb::ListAppointmentsRequest {
                branch_id,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.appointments.len(), 1);
    app.stop().await;
}
