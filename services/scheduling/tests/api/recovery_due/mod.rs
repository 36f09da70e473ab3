//! The recovery-due queue: a broken wait promise puts the visit in front of the branch's
//! decision-makers at once, with the branch's giftable items at their list prices and a
//! deadline from the branch's decision window.

mod decisions;
mod queue;

use std::time::Duration;

use hospital_proto::scheduling as pb;

use crate::helpers::*;

pub(super) async fn due(app: &TestApp, token: &str, branch_id: &str) -> Vec<pb::RecoveryCase> {
    app.client()
        .list_recovery_due(req(
            token,
            pb::ListRecoveryDueRequest {
                branch_id: branch_id.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .cases
}

pub(super) async fn set_policy(
    app: &TestApp,
    token: &str,
    branch_id: &str,
    items: &[&pb::ExamItem],
    decision_minutes: u32,
) -> Result<pb::RecoveryPolicy, tonic::Status> {
    app.client()
        .set_recovery_policy(req(
            token,
            pb::SetRecoveryPolicyRequest {
                branch_id: branch_id.into(),
                giftable_item_ids: items.iter().map(|i| i.exam_item_id.clone()).collect(),
                decision_minutes,
                gifts_per_visit: 0,
            },
        ))
        .await
        .map(|r| r.into_inner().policy.unwrap())
}

/// Waits (the sweeper runs every 20 ms in tests) until the queue holds `n` cases.
pub(super) async fn until_due(
    app: &TestApp,
    token: &str,
    branch_id: &str,
    n: usize,
) -> Vec<pb::RecoveryCase> {
    test_support::until(&format!("{n} recovery cases"), || async {
        let cases = due(app, token, branch_id).await;
        (cases.len() == n).then_some(cases)
    })
    .await
}

/// Every event published so far, oldest first.
async fn all_events(app: &TestApp) -> Vec<pb::scheduling_event::Kind> {
    let mut feed = app
        .client()
        .subscribe(req(&app.admin, pb::SubscribeRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Ok(Ok(Some(r))) =
        tokio::time::timeout(Duration::from_millis(400), feed.message()).await
    {
        out.extend(r.event.unwrap().kind);
    }
    out
}

/// The `RecoveryDecided` events published so far, oldest first.
pub(super) async fn decided_events(app: &TestApp) -> Vec<pb::RecoveryDecided> {
    all_events(app)
        .await
        .into_iter()
        .filter_map(|k| match k {
            pb::scheduling_event::Kind::RecoveryDecided(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// The `WaitPromiseBreached` events published so far, oldest first.
pub(super) async fn breach_events(app: &TestApp) -> Vec<pb::WaitPromiseBreached> {
    all_events(app)
        .await
        .into_iter()
        .filter_map(|k| match k {
            pb::scheduling_event::Kind::WaitPromiseBreached(b) => Some(b),
            _ => None,
        })
        .collect()
}

pub(super) async fn decide(
    app: &TestApp,
    token: &str,
    request_id: &str,
    case_id: &str,
    r: pb::DecideRecoveryRequest,
) -> Result<pb::RecoveryCase, tonic::Status> {
    app.client()
        .decide_recovery(req(
            token,
            pb::DecideRecoveryRequest {
                request_id: request_id.into(),
                case_id: case_id.into(),
                ..r
            },
        ))
        .await
        .map(|r| r.into_inner().case.unwrap())
}

pub(super) fn gift(
    item: &pb::ExamItem,
    recipient: pb::GiftRecipient,
    companion: &str,
) -> pb::DecideRecoveryRequest {
    pb::DecideRecoveryRequest {
        decision: pb::RecoveryDecision::Granted as i32,
        exam_item_id: item.exam_item_id.clone(),
        recipient: recipient as i32,
        companion_name: companion.into(),
        ..Default::default()
    }
}

/// A visit checked in and waiting past the item promise; its open case.
pub(super) async fn breached(
    app: &TestApp,
    f: &Fixture,
    request_id: &str,
    n: u32,
) -> (pb::Appointment, pb::RecoveryCase) {
    let a = book(app, &app.admin, request_id, &f.slot, &f.plain_package, n)
        .await
        .unwrap();
    check_in(app, &a).await;
    let before = due(app, &app.admin, &f.branch.branch_id).await.len();
    app.advance(31);
    let cases = until_due(app, &app.admin, &f.branch.branch_id, before + 1).await;
    let case = cases
        .into_iter()
        .find(|c| c.appointment_id == a.appointment_id)
        .expect("the visit's case");
    (a, case)
}
