//! Ids: 1 to 128 ASCII letters, digits and `_-.:`, refused naming the field before any
//! look-up, in complaints' own database or at scheduling.

use test_support::backend_tests;

use super::requests::call;
use super::{
    Client, Ids, answer, bad_ids, expect_refused, known, none_broken, one_mib, refuses, short,
};
use crate::helpers::*;

backend_tests!(
    malformed_and_oversized_ids_are_refused_naming_the_field_before_any_look_up,
    ids_of_up_to_128_characters_pass_the_edge,
);

/// Every id field of every RPC (`request_id` is a client's idempotency key: at most 128
/// printable characters rather than an id's alphabet).
const ID_FIELDS: &[(&str, &str)] = &[
    ("OpenWorkOrder", "request_id"),
    ("OpenWorkOrder", "branch_id"),
    ("OpenWorkOrder", "appointment_id"),
    ("OpenWorkOrder", "customer.customer_id"),
    ("OpenWorkOrder", "staff_ids"),
    ("GetWorkOrder", "work_order_id"),
    ("ListWorkOrders", "branch_id"),
    ("ListTimeline", "work_order_id"),
    ("AcknowledgeWorkOrder", "work_order_id"),
    ("StartWorkOrder", "work_order_id"),
    ("WaitOnCustomer", "work_order_id"),
    ("ResolveWorkOrder", "work_order_id"),
    ("ResolveWorkOrder", "staff_ids"),
    ("CloseWorkOrder", "work_order_id"),
    ("ReopenWorkOrder", "work_order_id"),
    ("AddNote", "work_order_id"),
    ("AssignWorkOrder", "work_order_id"),
    ("AssignWorkOrder", "assignee"),
    ("RecordContactAttempt", "work_order_id"),
    ("RecordSatisfaction", "work_order_id"),
    ("EscalateWorkOrder", "work_order_id"),
    ("GrantCompensation", "request_id"),
    ("GrantCompensation", "work_order_id"),
    ("GrantCompensation", "exam_item_id"),
    ("GetFigures", "branch_id"),
    ("Subscribe", "branch_id"),
];

/// Values no request id may take.
fn bad_request_ids() -> Vec<(&'static str, String)> {
    vec![
        ("1 MiB", one_mib()),
        ("129 characters", "x".repeat(129)),
        ("NUL", "req-\0".into()),
        ("an escape", "req-\u{1b}[2J".into()),
    ]
}

/// Runs every id case against `ids`, recording what breaks the rule.
async fn id_cases(c: &mut Client, t: &str, ids: &Ids, context: &str, failures: &mut Vec<String>) {
    for &(rpc, field) in ID_FIELDS {
        let values = if field == "request_id" {
            bad_request_ids()
        } else {
            bad_ids()
        };
        for (what, value) in values {
            let got = call(c, t, ids, rpc, field, &value).await;
            let case = format!("{rpc}.{field} = {what} ({context})");
            expect_refused(failures, &case, field, &got);
        }
    }
}

async fn malformed_and_oversized_ids_are_refused_naming_the_field_before_any_look_up(
    backend: Backend,
) {
    let mut s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    let t = s.admin.clone();
    let mut failures = Vec::new();
    // With every other id naming something that exists; with every other id well-formed
    // but unknown (a look-up before the check would answer NOT_FOUND); and with scheduling
    // down as well (asking it before the check would answer UNAVAILABLE).
    id_cases(&mut c, &t, &ids, "other ids known", &mut failures).await;
    let unknown = Ids::unknown();
    id_cases(&mut c, &t, &unknown, "other ids unknown", &mut failures).await;
    s.scheduling.stop().await;
    id_cases(&mut c, &t, &unknown, "scheduling down", &mut failures).await;
    let per_context: usize = ID_FIELDS
        .iter()
        .map(|(_, f)| {
            if *f == "request_id" {
                bad_request_ids().len()
            } else {
                bad_ids().len()
            }
        })
        .sum();
    none_broken(&failures, 3 * per_context);
    s.stop().await;
}

async fn ids_of_up_to_128_characters_pass_the_edge(backend: Backend) {
    let s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    let mut failures = Vec::new();
    let mut cases = 0;
    for &(rpc, field) in ID_FIELDS {
        for value in ["a".to_owned(), "Ab-9_.:".repeat(18) + "xx"] {
            assert!(value.len() == 1 || value.len() == 128);
            cases += 1;
            let got = call(&mut c, &s.admin, &ids, rpc, field, &value).await;
            short(&mut failures, &format!("{rpc}.{field}"), &got);
            if matches!(&got, Err(st) if refuses(st, field)) {
                failures.push(format!(
                    "{rpc}.{field} = {} characters: {}",
                    value.len(),
                    answer(&got)
                ));
            }
        }
    }
    none_broken(&failures, cases);
    s.stop().await;
}
