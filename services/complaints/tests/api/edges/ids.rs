//! Ids: 1 to 128 ASCII letters, digits and `_-.:`, refused naming the field before any
//! look-up, in complaints' own database or at scheduling.

use test_support::backend_tests;
use test_support::edges::{none_broken, passes_ids_at_the_bounds, refuses_bad_ids};

use super::requests::call;
use super::{Client, ID_LOOK, Ids, known};
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
    ("GetRecoveryFigures", "branch_id"),
    ("Subscribe", "branch_id"),
];

/// Runs every id case against `ids`, recording what breaks the rule; returns how many ran.
async fn id_cases(
    c: &mut Client,
    t: &str,
    ids: &Ids,
    context: &str,
    failures: &mut Vec<String>,
) -> usize {
    refuses_bad_ids(failures, ID_FIELDS, ID_LOOK, context, async |case| {
        call(c, t, ids, case).await
    })
    .await
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
    let mut cases = id_cases(&mut c, &t, &ids, "other ids known", &mut failures).await;
    let unknown = Ids::unknown();
    cases += id_cases(&mut c, &t, &unknown, "other ids unknown", &mut failures).await;
    s.scheduling.stop().await;
    cases += id_cases(&mut c, &t, &unknown, "scheduling down", &mut failures).await;
    none_broken(&failures, cases);
    s.stop().await;
}

async fn ids_of_up_to_128_characters_pass_the_edge(backend: Backend) {
    let s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    let mut failures = Vec::new();
    let cases = passes_ids_at_the_bounds(&mut failures, ID_FIELDS, async |case| {
        call(&mut c, &s.admin, &ids, case).await
    })
    .await;
    none_broken(&failures, cases);
    s.stop().await;
}
