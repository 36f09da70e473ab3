//! The table-driven request builder: any RPC with every field valid but one.

use hospital_proto::{common, scheduling as pb};
use test_support::edges::{Answer, Case};
use test_support::scheduling as fx;

use super::{Client, Ids};
use crate::helpers::*;

/// Calls `case.rpc` with every string field valid (ids from `ids`) except `case.field`,
/// which carries `case.value`.
pub(super) async fn call(c: &mut Client, t: &str, ids: &Ids, case: Case<'_>) -> Answer {
    let s = |name: &str, valid: &str| case.or(name, valid);
    let week = (Some(fx::monday()), Some(fx::sunday()));
    match case.rpc {
        "CreateBranch" => {
            let mut r = fx::BranchSpec::new("EDGE-01", "guangdong", "shenzhen").request();
            r.request_id = s("request_id", "edge-branch");
            r.code = s("code", "EDGE-01");
            r.name = s("name", "深圳边缘分院");
            r.brand = s("brand", "美年大健康");
            r.address = s("address", "深圳市福田区深南大道3000号");
            r.time_zone = s("time_zone", "Asia/Shanghai");
            r.region = Some(common::RegionPath {
                province: s("region.province", "guangdong"),
                city: s("region.city", "shenzhen"),
            });
            c.create_branch(req(t, r)).await.map(|_| ())
        }
        "UpdateBranch" => c
            .update_branch(req(
                t,
                pb::UpdateBranchRequest {
                    branch_id: s("branch_id", &ids.branch),
                    name: Some(s("name", "深圳福田分院")),
                    brand: Some(s("brand", "美年大健康")),
                    time_zone: Some(s("time_zone", "Asia/Shanghai")),
                    address: Some(s("address", "深圳市福田区深南大道3000号")),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "GetBranch" => c
            .get_branch(req(
                t,
                pb::GetBranchRequest {
                    branch_id: s("branch_id", &ids.branch),
                },
            ))
            .await
            .map(|_| ()),
        "ListBranches" => c
            .list_branches(req(
                t,
                pb::ListBranchesRequest {
                    region_path: s("region_path", ""),
                    brand: s("brand", ""),
                    page_token: s("page_token", ""),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "CreateExamItem" => c
            .create_exam_item(req(
                t,
                pb::CreateExamItemRequest {
                    request_id: s("request_id", "edge-item"),
                    code: s("code", "EDGE-ITEM"),
                    name: s("name", "边缘检查"),
                    department: s("department", "体检科"),
                    duration_minutes: 10,
                    fasting_required: false,
                    order_hint: 9,
                    list_price: None,
                },
            ))
            .await
            .map(|_| ()),
        "SetExamItemPrice" => c
            .set_exam_item_price(req(
                t,
                pb::SetExamItemPriceRequest {
                    exam_item_id: s("exam_item_id", &ids.item),
                    list_price: Some(hospital_proto::common::Money {
                        currency_code: "CNY".into(),
                        minor_units: 8_000,
                    }),
                },
            ))
            .await
            .map(|_| ()),
        "ListExamItems" => c
            .list_exam_items(req(
                t,
                pb::ListExamItemsRequest {
                    page_size: 0,
                    page_token: s("page_token", ""),
                },
            ))
            .await
            .map(|_| ()),
        "CreatePackage" => c
            .create_package(req(
                t,
                pb::CreatePackageRequest {
                    request_id: s("request_id", "edge-package"),
                    code: s("code", "EDGE-PKG"),
                    name: s("name", "边缘套餐"),
                    exam_item_ids: vec![s("exam_item_ids", &ids.item)],
                    price: Some(common::Money {
                        currency_code: s("price.currency_code", "CNY"),
                        minor_units: 10_000,
                    }),
                },
            ))
            .await
            .map(|_| ()),
        "GetPackage" => c
            .get_package(req(
                t,
                pb::GetPackageRequest {
                    package_id: s("package_id", &ids.package),
                },
            ))
            .await
            .map(|_| ()),
        "ListPackages" => c
            .list_packages(req(
                t,
                pb::ListPackagesRequest {
                    page_size: 0,
                    page_token: s("page_token", ""),
                },
            ))
            .await
            .map(|_| ()),
        "SetWeeklyTemplate" => c
            .set_weekly_template(req(
                t,
                pb::SetWeeklyTemplateRequest {
                    branch_id: s("branch_id", &ids.branch),
                    windows: vec![pb::TemplateWindow {
                        weekday: 1,
                        start: Some(tod(8, 0)),
                        end: Some(tod(8, 30)),
                        capacity: 10,
                    }],
                },
            ))
            .await
            .map(|_| ()),
        "GetWeeklyTemplate" => c
            .get_weekly_template(req(
                t,
                pb::GetWeeklyTemplateRequest {
                    branch_id: s("branch_id", &ids.branch),
                },
            ))
            .await
            .map(|_| ()),
        "GenerateSlots" => c
            .generate_slots(req(
                t,
                pb::GenerateSlotsRequest {
                    branch_id: s("branch_id", &ids.branch),
                    from: week.0,
                    to: week.1,
                },
            ))
            .await
            .map(|_| ()),
        "SearchAvailability" => c
            .search_availability(req(
                t,
                pb::SearchAvailabilityRequest {
                    branch_id: s("branch_id", &ids.branch),
                    package_id: s("package_id", &ids.package),
                    from: week.0,
                    to: week.1,
                },
            ))
            .await
            .map(|_| ()),
        "BookAppointment" => c
            .book_appointment(req(
                t,
                pb::BookAppointmentRequest {
                    request_id: s("request_id", "edge-book"),
                    slot_id: s("slot_id", &ids.slot),
                    package_id: s("package_id", &ids.package),
                    customer: Some(pb::CustomerInput {
                        customer_id: s("customer.customer_id", ""),
                        name: s("customer.name", "客户9"),
                        phone: s("customer.phone", "13900000009"),
                    }),
                },
            ))
            .await
            .map(|_| ()),
        "GetAppointment" => c
            .get_appointment(req(
                t,
                pb::GetAppointmentRequest {
                    appointment_id: s("appointment_id", &ids.appointment),
                },
            ))
            .await
            .map(|_| ()),
        "ListAppointments" => c
            .list_appointments(req(
                t,
                pb::ListAppointmentsRequest {
                    branch_id: s("branch_id", &ids.branch),
                    customer_phone: s("customer_phone", ""),
                    page_token: s("page_token", ""),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "RescheduleAppointment" => c
            .reschedule_appointment(req(
                t,
                pb::RescheduleAppointmentRequest {
                    appointment_id: s("appointment_id", &ids.appointment),
                    new_slot_id: s("new_slot_id", &ids.slot),
                    expected_version: 0,
                },
            ))
            .await
            .map(|_| ()),
        "CancelAppointment" => c
            .cancel_appointment(req(
                t,
                pb::CancelAppointmentRequest {
                    appointment_id: s("appointment_id", &ids.booked),
                    reason: pb::CancelReason::CustomerRequest as i32,
                    note: s("note", "客户改期"),
                },
            ))
            .await
            .map(|_| ()),
        "MarkNoShow" => c
            .mark_no_show(req(
                t,
                pb::MarkNoShowRequest {
                    appointment_id: s("appointment_id", &ids.appointment),
                },
            ))
            .await
            .map(|_| ()),
        "ListAppointmentHistory" => c
            .list_appointment_history(req(
                t,
                pb::ListAppointmentHistoryRequest {
                    appointment_id: s("appointment_id", &ids.appointment),
                },
            ))
            .await
            .map(|_| ()),
        "CheckIn" => c
            .check_in(req(
                t,
                pb::CheckInRequest {
                    appointment_id: s("appointment_id", &ids.appointment),
                },
            ))
            .await
            .map(|_| ()),
        "GetVisit" => c
            .get_visit(req(
                t,
                pb::GetVisitRequest {
                    appointment_id: s("appointment_id", &ids.appointment),
                },
            ))
            .await
            .map(|_| ()),
        "CallNext" => c
            .call_next(req(
                t,
                pb::CallNextRequest {
                    branch_id: s("branch_id", &ids.branch),
                    exam_item_id: s("exam_item_id", &ids.item),
                },
            ))
            .await
            .map(|_| ()),
        "StartExamItem" => c
            .start_exam_item(req(
                t,
                pb::StartExamItemRequest {
                    entry_id: s("entry_id", &ids.entry),
                },
            ))
            .await
            .map(|_| ()),
        "CompleteExamItem" => c
            .complete_exam_item(req(
                t,
                pb::CompleteExamItemRequest {
                    entry_id: s("entry_id", &ids.entry),
                },
            ))
            .await
            .map(|_| ()),
        "AddComplimentaryItem" => c
            .add_complimentary_item(req(
                t,
                pb::AddComplimentaryItemRequest {
                    request_id: s("request_id", "edge-gift"),
                    appointment_id: s("appointment_id", &ids.appointment),
                    exam_item_id: s("exam_item_id", &ids.item),
                    authorised_by: s("authorised_by", "director-1"),
                    cost_bearer: s("cost_bearer", "group"),
                    reference: s("reference", "WO-000001-8"),
                },
            ))
            .await
            .map(|_| ()),
        "SetRecoveryPolicy" => c
            .set_recovery_policy(req(
                t,
                pb::SetRecoveryPolicyRequest {
                    branch_id: s("branch_id", &ids.branch),
                    giftable_item_ids: vec![s("giftable_item_ids[0]", &ids.item)],
                    decision_minutes: 0,
                    gifts_per_visit: 0,
                },
            ))
            .await
            .map(|_| ()),
        "GetRecoveryPolicy" => c
            .get_recovery_policy(req(
                t,
                pb::GetRecoveryPolicyRequest {
                    branch_id: s("branch_id", &ids.branch),
                },
            ))
            .await
            .map(|_| ()),
        "ListRecoveryDue" => c
            .list_recovery_due(req(
                t,
                pb::ListRecoveryDueRequest {
                    branch_id: s("branch_id", ""),
                    page_size: 0,
                    page_token: String::new(),
                },
            ))
            .await
            .map(|_| ()),
        "DecideRecovery" => c
            .decide_recovery(req(
                t,
                pb::DecideRecoveryRequest {
                    request_id: s("request_id", "edge-decide"),
                    case_id: s("case_id", "rc_edge"),
                    decision: pb::RecoveryDecision::Granted as i32,
                    exam_item_id: s("exam_item_id", &ids.item),
                    recipient: pb::GiftRecipient::Customer as i32,
                    companion_name: String::new(),
                    reason: 0,
                    note: String::new(),
                },
            ))
            .await
            .map(|_| ()),
        "NameRecoveryDeputy" => c
            .name_recovery_deputy(req(
                t,
                pb::NameRecoveryDeputyRequest {
                    branch_id: s("branch_id", &ids.branch),
                    date: Some(date(2026, 12, 25)),
                    deputy: "nurse-1".into(),
                },
            ))
            .await
            .map(|_| ()),
        "Subscribe" => c
            .subscribe(req(
                t,
                pb::SubscribeRequest {
                    after: 0,
                    branch_id: s("branch_id", ""),
                },
            ))
            .await
            .map(|_| ()),
        other => panic!("no such RPC in the table: {other}"),
    }
}
