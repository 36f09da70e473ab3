//! The table-driven request builder: any RPC with every field valid but one.

use hospital_proto::{common, complaints as pb};
use test_support::edges::{Answer, Case};

use super::{Client, Ids, november};
use crate::helpers::*;

/// Calls `case.rpc` with every string field valid (ids from `ids`) except `case.field`,
/// which carries `case.value`.
pub(super) async fn call(c: &mut Client, t: &str, ids: &Ids, case: Case<'_>) -> Answer {
    let s = |name: &str, valid: &str| case.or(name, valid);
    let wo = s("work_order_id", &ids.work_order);
    match case.rpc {
        "OpenWorkOrder" => c
            .open_work_order(req(
                t,
                pb::OpenWorkOrderRequest {
                    request_id: s("request_id", "edge-open"),
                    channel: pb::Channel::Hotline as i32,
                    kind: pb::Kind::Complaint as i32,
                    category: pb::Category::Attitude as i32,
                    severity: pb::Severity::High as i32,
                    customer: Some(pb::CustomerInput {
                        customer_id: s("customer.customer_id", ""),
                        name: s("customer.name", "王女士"),
                        phone: s("customer.phone", "13812345678"),
                    }),
                    branch_id: s("branch_id", &ids.branch),
                    appointment_id: s("appointment_id", &ids.appointment),
                    staff_ids: vec![s("staff_ids", "staff-nurse-7")],
                    summary: s("summary", "前台态度冷淡"),
                    description: s("description", "客户称导诊台无人回应"),
                },
            ))
            .await
            .map(|_| ()),
        "GetWorkOrder" => {
            let by_number = case.field == "number";
            c.get_work_order(req(
                t,
                pb::GetWorkOrderRequest {
                    work_order_id: if by_number { String::new() } else { wo },
                    number: s("number", ""),
                },
            ))
            .await
            .map(|_| ())
        }
        "ListWorkOrders" => c
            .list_work_orders(req(
                t,
                pb::ListWorkOrdersRequest {
                    branch_id: s("branch_id", ""),
                    region_path: s("region_path", ""),
                    customer_phone: s("customer_phone", ""),
                    page_token: s("page_token", ""),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "ListTimeline" => c
            .list_timeline(req(
                t,
                pb::ListTimelineRequest {
                    work_order_id: wo,
                    page_size: 0,
                    page_token: s("page_token", ""),
                },
            ))
            .await
            .map(|_| ()),
        "AcknowledgeWorkOrder" => c
            .acknowledge_work_order(req(
                t,
                pb::AcknowledgeWorkOrderRequest {
                    work_order_id: wo,
                    expected_version: 0,
                    note: s("note", "已受理"),
                },
            ))
            .await
            .map(|_| ()),
        "StartWorkOrder" => c
            .start_work_order(req(
                t,
                pb::StartWorkOrderRequest {
                    work_order_id: wo,
                    expected_version: 0,
                    note: s("note", "开始处理"),
                },
            ))
            .await
            .map(|_| ()),
        "WaitOnCustomer" => c
            .wait_on_customer(req(
                t,
                pb::WaitOnCustomerRequest {
                    work_order_id: wo,
                    expected_version: 0,
                    note: s("note", "等待客户回电"),
                },
            ))
            .await
            .map(|_| ()),
        "ResolveWorkOrder" => c
            .resolve_work_order(req(
                t,
                pb::ResolveWorkOrderRequest {
                    work_order_id: wo,
                    expected_version: 0,
                    root_cause: s("root_cause", "导诊台排班不足"),
                    corrective_action: s("corrective_action", "高峰时段增加导诊"),
                    substantiated: false,
                    staff_ids: vec![s("staff_ids", "staff-nurse-7")],
                },
            ))
            .await
            .map(|_| ()),
        "CloseWorkOrder" => c
            .close_work_order(req(
                t,
                pb::CloseWorkOrderRequest {
                    work_order_id: wo,
                    expected_version: 0,
                    note: s("note", "客户确认"),
                },
            ))
            .await
            .map(|_| ()),
        "ReopenWorkOrder" => c
            .reopen_work_order(req(
                t,
                pb::ReopenWorkOrderRequest {
                    work_order_id: wo,
                    expected_version: 0,
                    reason: s("reason", "客户再次投诉"),
                },
            ))
            .await
            .map(|_| ()),
        "AddNote" => c
            .add_note(req(
                t,
                pb::AddNoteRequest {
                    work_order_id: wo,
                    text: s("text", "已致电客户"),
                },
            ))
            .await
            .map(|_| ()),
        "AssignWorkOrder" => c
            .assign_work_order(req(
                t,
                pb::AssignWorkOrderRequest {
                    work_order_id: wo,
                    assignee: s("assignee", "staff-cs-1"),
                    expected_version: 0,
                },
            ))
            .await
            .map(|_| ()),
        "RecordContactAttempt" => c
            .record_contact_attempt(req(
                t,
                pb::RecordContactAttemptRequest {
                    work_order_id: wo,
                    channel: pb::Channel::Hotline as i32,
                    outcome: pb::ContactOutcome::Reached as i32,
                    note: s("note", "客户已接听"),
                },
            ))
            .await
            .map(|_| ()),
        "RecordSatisfaction" => c
            .record_satisfaction(req(
                t,
                pb::RecordSatisfactionRequest {
                    work_order_id: wo,
                    score: 4,
                    comment: s("comment", "满意"),
                },
            ))
            .await
            .map(|_| ()),
        "EscalateWorkOrder" => c
            .escalate_work_order(req(
                t,
                pb::EscalateWorkOrderRequest {
                    work_order_id: wo,
                    reason: s("reason", "客户要求上级处理"),
                    expected_version: 0,
                },
            ))
            .await
            .map(|_| ()),
        "GrantCompensation" => {
            // A voucher, unless the case sets an item id: then the item kind it belongs
            // to, which passes the edge and is refused after (items come from scheduling).
            let exam_item_id = s("exam_item_id", "");
            let kind = if exam_item_id.is_empty() {
                pb::CompensationKind::Voucher
            } else {
                pb::CompensationKind::ComplimentaryItem
            };
            c.grant_compensation(req(
                t,
                pb::GrantCompensationRequest {
                    request_id: s("request_id", "edge-grant"),
                    work_order_id: wo,
                    kind: kind as i32,
                    value: Some(common::Money {
                        currency_code: s("value.currency_code", "CNY"),
                        minor_units: 18_000,
                    }),
                    exam_item_id,
                    note: s("note", "抱歉久等"),
                },
            ))
            .await
            .map(|_| ())
        }
        "SetSlaPolicy" => c
            .set_sla_policy(req(
                t,
                pb::SetSlaPolicyRequest {
                    policy: Some(pb::SlaPolicy {
                        severity: pb::Severity::Low as i32,
                        acknowledge_minutes: 240,
                        resolve_minutes: 2400,
                        warn_at_percent: 80,
                        updated_at: None,
                    }),
                },
            ))
            .await
            .map(|_| ()),
        "ListSlaPolicies" => c
            .list_sla_policies(req(t, pb::ListSlaPoliciesRequest {}))
            .await
            .map(|_| ()),
        "GetFigures" => c
            .get_figures(req(
                t,
                pb::GetFiguresRequest {
                    period: november(),
                    region_path: s("region_path", ""),
                    branch_id: s("branch_id", ""),
                },
            ))
            .await
            .map(|_| ()),
        "GetRecoveryFigures" => c
            .get_recovery_figures(req(
                t,
                pb::GetRecoveryFiguresRequest {
                    period: november(),
                    region_path: s("region_path", ""),
                    branch_id: s("branch_id", ""),
                },
            ))
            .await
            .map(|_| ()),
        "GetScorecard" => c
            .get_scorecard(req(
                t,
                pb::GetScorecardRequest {
                    period: november(),
                    by: 0,
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
