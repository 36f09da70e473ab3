//! Free text: trimmed, bounded and free of control characters.

use hospital_proto::{common, complaints as pb};
use test_support::backend_tests;
use test_support::edges::{none_broken, refuses_bad_texts, trims};

use super::known;
use super::requests::call;
use crate::helpers::*;

backend_tests!(
    free_text_that_is_too_long_or_holds_control_characters_is_refused_naming_the_field,
    free_text_at_its_bound_is_accepted_and_stored_trimmed,
);

/// Free-text fields: RPC, field, the most characters allowed once trimmed (`None` where
/// the rule is a format rather than a length).
const TEXT_FIELDS: &[(&str, &str, Option<usize>)] = &[
    ("OpenWorkOrder", "summary", Some(200)),
    ("OpenWorkOrder", "description", Some(4000)),
    ("OpenWorkOrder", "customer.name", Some(100)),
    ("OpenWorkOrder", "customer.phone", None),
    ("GetWorkOrder", "number", Some(32)),
    ("ListWorkOrders", "region_path", None),
    ("ListWorkOrders", "customer_phone", None),
    ("AcknowledgeWorkOrder", "note", Some(2000)),
    ("StartWorkOrder", "note", Some(2000)),
    ("WaitOnCustomer", "note", Some(2000)),
    ("ResolveWorkOrder", "root_cause", Some(2000)),
    ("ResolveWorkOrder", "corrective_action", Some(2000)),
    ("CloseWorkOrder", "note", Some(2000)),
    ("ReopenWorkOrder", "reason", Some(2000)),
    ("AddNote", "text", Some(2000)),
    ("RecordContactAttempt", "note", Some(2000)),
    ("RecordSatisfaction", "comment", Some(2000)),
    ("EscalateWorkOrder", "reason", Some(2000)),
    ("GrantCompensation", "note", Some(2000)),
    ("GrantCompensation", "value.currency_code", None),
    ("GetFigures", "region_path", None),
    ("GetRecoveryFigures", "region_path", None),
];

async fn free_text_that_is_too_long_or_holds_control_characters_is_refused_naming_the_field(
    backend: Backend,
) {
    let s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    refuses_bad_texts(TEXT_FIELDS, ("态度", "冷淡"), async |case| {
        call(&mut c, &s.admin, &ids, case).await
    })
    .await;
    s.stop().await;
}

/// The detail of the work order's last timeline line of `action`.
async fn last_line(s: &Suite, id: &str, action: &str) -> String {
    timeline(s, id)
        .await
        .into_iter()
        .rev()
        .find(|(a, _)| a == action)
        .map(|(_, detail)| detail)
        .unwrap_or_else(|| panic!("no {action} line"))
}

/// How far a fresh work order is taken before the action under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    New,
    Acknowledged,
    InProgress,
    Resolved,
}

/// A new work order at Shenzhen, taken to `stage`.
async fn work_order_at(s: &Suite, f: &Fixture, k: u32, stage: Stage) -> String {
    let t = &s.admin;
    let wo = open(
        s,
        t,
        intake(&format!("edge-trim-{k}"), &f.shenzhen.branch_id),
    )
    .await
    .work_order_id;
    let mut c = s.client();
    if stage >= Stage::Acknowledged {
        c.acknowledge_work_order(req(
            t,
            pb::AcknowledgeWorkOrderRequest {
                work_order_id: wo.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("acknowledge");
    }
    if stage >= Stage::InProgress {
        c.start_work_order(req(
            t,
            pb::StartWorkOrderRequest {
                work_order_id: wo.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("start");
    }
    if stage >= Stage::Resolved {
        c.resolve_work_order(req(
            t,
            pb::ResolveWorkOrderRequest {
                work_order_id: wo.clone(),
                root_cause: "排班不足".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("resolve");
    }
    wo
}

async fn free_text_at_its_bound_is_accepted_and_stored_trimmed(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let n = std::cell::Cell::new(0u32);
    let next = || {
        n.set(n.get() + 1);
        n.get()
    };
    // What the senders below share, by reference.
    let (su, t, f, next) = (&s, &s.admin, &f, &next);
    let mut failures = Vec::new();

    let opening = |field: &'static str| {
        move |text: String| {
            let mut r = intake(&format!("edge-trim-open-{}", next()), &f.shenzhen.branch_id);
            let customer = r.customer.as_mut().expect("a customer");
            match field {
                "summary" => r.summary = text,
                "description" => r.description = text,
                _ => customer.name = text,
            }
            let mut c = su.client();
            async move {
                let wo = c.open_work_order(req(t, r)).await?.into_inner().work_order;
                let wo = wo.expect("a work order");
                Ok(match field {
                    "summary" => wo.summary,
                    "description" => wo.description,
                    _ => wo.customer.expect("a customer").name,
                })
            }
        }
    };
    trims(
        &mut failures,
        "OpenWorkOrder.summary",
        "诉",
        200,
        opening("summary"),
    )
    .await;
    trims(
        &mut failures,
        "OpenWorkOrder.description",
        "述",
        4000,
        opening("description"),
    )
    .await;
    trims(
        &mut failures,
        "OpenWorkOrder.customer.name",
        "名",
        100,
        opening("name"),
    )
    .await;

    // An action on a fresh work order at `stage`, answered with the detail of its
    // timeline line `action`.
    let line = |stage: Stage, rpc: &'static str, action: &'static str| {
        move |text: String| {
            let k = next();
            let mut c = su.client();
            async move {
                let wo = work_order_at(su, f, k, stage).await;
                let id = wo.clone();
                match rpc {
                    "AcknowledgeWorkOrder" => c
                        .acknowledge_work_order(req(
                            t,
                            pb::AcknowledgeWorkOrderRequest {
                                work_order_id: id,
                                expected_version: 0,
                                note: text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "StartWorkOrder" => c
                        .start_work_order(req(
                            t,
                            pb::StartWorkOrderRequest {
                                work_order_id: id,
                                expected_version: 0,
                                note: text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "WaitOnCustomer" => c
                        .wait_on_customer(req(
                            t,
                            pb::WaitOnCustomerRequest {
                                work_order_id: id,
                                expected_version: 0,
                                note: text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "CloseWorkOrder" => c
                        .close_work_order(req(
                            t,
                            pb::CloseWorkOrderRequest {
                                work_order_id: id,
                                expected_version: 0,
                                note: text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "ReopenWorkOrder" => c
                        .reopen_work_order(req(
                            t,
                            pb::ReopenWorkOrderRequest {
                                work_order_id: id,
                                expected_version: 0,
                                reason: text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "AddNote" => c
                        .add_note(req(
                            t,
                            pb::AddNoteRequest {
                                work_order_id: id,
                                text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "RecordContactAttempt" => c
                        .record_contact_attempt(req(
                            t,
                            pb::RecordContactAttemptRequest {
                                work_order_id: id,
                                channel: pb::Channel::Hotline as i32,
                                outcome: pb::ContactOutcome::Reached as i32,
                                note: text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "RecordSatisfaction" => c
                        .record_satisfaction(req(
                            t,
                            pb::RecordSatisfactionRequest {
                                work_order_id: id,
                                score: 4,
                                comment: text,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    "EscalateWorkOrder" => c
                        .escalate_work_order(req(
                            t,
                            pb::EscalateWorkOrderRequest {
                                work_order_id: id,
                                reason: text,
                                expected_version: 0,
                            },
                        ))
                        .await
                        .map(|_| ()),
                    other => panic!("no line for {other}"),
                }?;
                Ok(last_line(su, &wo, action).await)
            }
        }
    };
    let lines = [
        (Stage::New, "AcknowledgeWorkOrder", "note", "acknowledged"),
        (Stage::Acknowledged, "StartWorkOrder", "note", "in_progress"),
        (
            Stage::InProgress,
            "WaitOnCustomer",
            "note",
            "waiting_on_customer",
        ),
        (Stage::Resolved, "CloseWorkOrder", "note", "closed"),
        (Stage::Resolved, "ReopenWorkOrder", "reason", "reopened"),
        (Stage::New, "AddNote", "text", "note"),
        (
            Stage::New,
            "RecordContactAttempt",
            "note",
            "contact_attempt",
        ),
        (
            Stage::Resolved,
            "RecordSatisfaction",
            "comment",
            "satisfaction",
        ),
        (Stage::New, "EscalateWorkOrder", "reason", "escalated"),
    ];
    for (stage, rpc, field, action) in lines {
        let case = format!("{rpc}.{field}");
        trims(&mut failures, &case, "记", 2000, line(stage, rpc, action)).await;
    }

    let resolution = |field: &'static str| {
        move |text: String| {
            let k = next();
            let mut c = su.client();
            async move {
                let wo = work_order_at(su, f, k, Stage::InProgress).await;
                let mut r = pb::ResolveWorkOrderRequest {
                    work_order_id: wo,
                    root_cause: "排班不足".into(),
                    corrective_action: "增加导诊".into(),
                    ..Default::default()
                };
                match field {
                    "root_cause" => r.root_cause = text,
                    _ => r.corrective_action = text,
                }
                let wo = c.resolve_work_order(req(t, r)).await?.into_inner();
                let done = wo.work_order.expect("a work order").resolution;
                let done = done.expect("a resolution");
                Ok(if field == "root_cause" {
                    done.root_cause
                } else {
                    done.corrective_action
                })
            }
        }
    };
    trims(
        &mut failures,
        "ResolveWorkOrder.root_cause",
        "因",
        2000,
        resolution("root_cause"),
    )
    .await;
    trims(
        &mut failures,
        "ResolveWorkOrder.corrective_action",
        "改",
        2000,
        resolution("corrective_action"),
    )
    .await;

    trims(
        &mut failures,
        "GrantCompensation.note",
        "歉",
        2000,
        |note| {
            let k = next();
            let mut c = su.client();
            async move {
                let wo = work_order_at(su, f, k, Stage::New).await;
                let r = pb::GrantCompensationRequest {
                    request_id: format!("edge-trim-grant-{k}"),
                    work_order_id: wo,
                    kind: pb::CompensationKind::Voucher as i32,
                    value: Some(common::Money {
                        currency_code: "CNY".into(),
                        minor_units: 5_000,
                    }),
                    exam_item_id: String::new(),
                    note,
                };
                let g = c.grant_compensation(req(t, r)).await?.into_inner();
                Ok(g.compensation.expect("a compensation").note)
            }
        },
    )
    .await;
    none_broken(&failures, 15);
    s.stop().await;
}
