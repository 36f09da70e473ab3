use hospital_proto::{complaints as pb, scheduling as sched};
use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(a_broken_wait_promise_is_counted_once_across_restarts_and_opens_no_work_order);

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

async fn recovery_figures(s: &Suite, token: &str) -> Result<pb::RecoveryFigures, tonic::Status> {
    let r = s
        .client()
        .get_recovery_figures(req(
            token,
            pb::GetRecoveryFiguresRequest {
                period: Some(pb::Period {
                    from: Some(date(2026, 11, 1)),
                    to: Some(date(2026, 12, 31)),
                }),
                ..Default::default()
            },
        ))
        .await?;
    Ok(r.into_inner().figures.expect("figures in the reply"))
}

async fn a_broken_wait_promise_is_counted_once_across_restarts_and_opens_no_work_order(
    backend: Backend,
) {
    let mut s = spawn(backend).await;
    let f = fixture(&s).await;
    let apt = booked_and_checked_in(&s, &f, &f.guangzhou, 1).await;
    // The first item's queue does not move for 31 minutes (promise: 30).
    s.advance(31);
    eventually("the breach in the figures", || async {
        recovery_figures(&s, &s.admin)
            .await
            .is_ok_and(|f| f.exam_item_breaches == 1)
    })
    .await;
    let fig = recovery_figures(&s, &s.admin).await.unwrap();
    assert_eq!((fig.cases, fig.whole_visit_breaches), (1, 0), "{fig:?}");
    // The decision is the branch's, in scheduling, on the spot: no work order here.
    assert!(automatic_cases(&s).await.is_empty());

    // Four minutes after the breach the director records that the customer had left.
    s.advance(4);
    let mut sched_client = s.sched();
    let due = sched_client
        .list_recovery_due(req(&s.admin, sched::ListRecoveryDueRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].appointment_id, apt.appointment_id);
    sched_client
        .decide_recovery(req(
            &director(&s, &f.guangzhou),
            sched::DecideRecoveryRequest {
                request_id: "decide-1".into(),
                case_id: due[0].case_id.clone(),
                decision: sched::RecoveryDecision::NotGiven as i32,
                reason: sched::NotGivenReason::CustomerLeft as i32,
                ..Default::default()
            },
        ))
        .await
        .expect("the director decides");
    eventually("the decision in the figures", || async {
        recovery_figures(&s, &s.admin)
            .await
            .is_ok_and(|f| !f.not_given_by_reason.is_empty())
    })
    .await;

    // Restart both services in turn; the feed resumes from its stored position and
    // counts nothing twice.
    s.restart_complaints().await;
    s.restart_scheduling().await;
    s.restart_complaints().await;
    s.advance(5);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let fig = recovery_figures(&s, &s.admin).await.unwrap();
    assert_eq!((fig.exam_item_breaches, fig.cases), (1, 1), "{fig:?}");
    assert_eq!(
        fig.not_given_by_reason,
        [pb::Count {
            key: "NOT_GIVEN_REASON_CUSTOMER_LEFT".into(),
            count: 1
        }]
    );
    assert_eq!(fig.median_minutes_to_decision, 4.0);
    assert_eq!((fig.decided_late, fig.overdue_undecided), (0, 0));
    assert_eq!(fig.gifts_during_wait + fig.vouchers, 0);
    assert!(fig.cost_by_decider.is_empty());
    assert!(automatic_cases(&s).await.is_empty());

    // Another branch's director sees none of it.
    let other = director(&s, &f.shenzhen);
    let theirs = recovery_figures(&s, &other).await.unwrap();
    assert_eq!((theirs.exam_item_breaches, theirs.cases), (0, 0));
    s.stop().await;
}
