use hospital_proto::complaints as pb;
use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(a_broken_wait_promise_opens_one_recovery_case_per_visit_across_restarts);

async fn automatic_cases(s: &Suite) -> Vec<pb::WorkOrder> {
    s.client()
        .list_work_orders(req(
            &s.admin,
            pb::ListWorkOrdersRequest {
                page_size: 100,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_orders
        .into_iter()
        .filter(|w| w.channel == pb::Channel::Automatic as i32)
        .collect()
}

async fn a_broken_wait_promise_opens_one_recovery_case_per_visit_across_restarts(backend: Backend) {
    let mut s = spawn(backend).await;
    let f = fixture(&s).await;
    let apt = booked_and_checked_in(&s, &f, &f.guangzhou, 1).await;
    // The first item's queue does not move for 31 minutes (promise: 30).
    s.advance(31);
    eventually("the recovery case", || async {
        automatic_cases(&s).await.len() == 1
    })
    .await;
    let case = automatic_cases(&s).await.remove(0);
    assert_eq!(case.appointment_id, apt.appointment_id);
    assert_eq!(case.category, pb::Category::WaitingTime as i32);
    assert_eq!(case.severity, pb::Severity::High as i32);
    assert_eq!(
        case.branch.as_ref().unwrap().branch_id,
        f.guangzhou.branch_id
    );
    assert_eq!(case.customer.as_ref().unwrap().phone_masked, "139****0001");
    assert!(
        case.description.contains("branch director"),
        "{}",
        case.description
    );
    // Restart both services in turn; the feed resumes from its stored position and
    // re-delivers nothing.
    s.restart_complaints().await;
    s.restart_scheduling().await;
    s.restart_complaints().await;
    s.advance(5);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let cases = automatic_cases(&s).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let opened = timeline(&s, &case.work_order_id)
        .await
        .into_iter()
        .filter(|(a, _)| a == "opened")
        .count();
    assert_eq!(opened, 1);
    s.stop().await;
}
