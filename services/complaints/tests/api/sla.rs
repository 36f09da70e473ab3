use hospital_proto::{common, complaints as pb, scheduling as sched};
use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    deadlines_count_business_hours_warn_then_escalate_a_level,
    waiting_on_the_customer_pauses_the_clock,
    timers_that_fell_due_while_the_service_was_down_fire_once_after_restart,
    new_opening_hours_reach_the_next_intake_through_the_event_feed,
);

fn at(text: &str) -> prost_types::Timestamp {
    let ts: jiff::Timestamp = text.parse().unwrap();
    service_kit::clock::to_proto(ts)
}

async fn level_of(s: &Suite, id: &str) -> i32 {
    get(s, id).await.level
}

async fn deadlines_count_business_hours_warn_then_escalate_a_level(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    // Opened Monday 08:00; the branch works 07:00–12:00. HIGH: 60 minutes to acknowledge,
    // 480 business minutes to resolve = Monday's 240 + Tuesday 07:00–11:00.
    let wo = open(&s, &s.admin, intake("sla-1", &f.shenzhen.branch_id)).await;
    let id = wo.work_order_id.clone();
    let sla = wo.sla.unwrap();
    assert_eq!(sla.acknowledge_due_at, Some(at("2026-11-30T01:00:00Z")));
    assert_eq!(sla.resolve_due_at, Some(at("2026-12-01T03:00:00Z")));
    s.advance(50);
    eventually("the acknowledgement warning", || async {
        timeline(&s, &id)
            .await
            .iter()
            .any(|(a, _)| a == "sla_warning")
    })
    .await;
    assert_eq!(level_of(&s, &id).await, pb::Level::Branch as i32);
    s.advance(11);
    eventually("the escalation to the city", || async {
        level_of(&s, &id).await == pb::Level::City as i32
    })
    .await;
    let after = get(&s, &id).await;
    let sla = after.sla.unwrap();
    assert!(sla.breached);
    // The city gets its own windows from the missed instant (09:00): acknowledge by 10:00,
    // resolve by 480 business minutes later = Tuesday 12:00.
    assert_eq!(sla.acknowledge_due_at, Some(at("2026-11-30T02:00:00Z")));
    assert_eq!(sla.resolve_due_at, Some(at("2026-12-01T04:00:00Z")));
    let lines = timeline(&s, &id).await;
    let breaches: Vec<&String> = lines
        .iter()
        .filter(|(a, _)| a == "sla_breached")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(breaches.len(), 1);
    assert!(breaches[0].contains("escalated to city"), "{breaches:?}");
    // Acknowledged in time at the city, nothing more fires that day.
    s.client()
        .acknowledge_work_order(req(
            &s.admin,
            pb::AcknowledgeWorkOrderRequest {
                work_order_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    s.advance(120);
    s.sweep().await;
    assert_eq!(level_of(&s, &id).await, pb::Level::City as i32);
    s.stop().await;
}

async fn waiting_on_the_customer_pauses_the_clock(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let wo = open(&s, &s.admin, intake("sla-2", &f.shenzhen.branch_id)).await;
    let id = wo.work_order_id.clone();
    let mut c = s.client();
    c.acknowledge_work_order(req(
        &s.admin,
        pb::AcknowledgeWorkOrderRequest {
            work_order_id: id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.start_work_order(req(
        &s.admin,
        pb::StartWorkOrderRequest {
            work_order_id: id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    // Monday 08:20: 460 business minutes are left.
    s.advance(20);
    c.wait_on_customer(req(
        &s.admin,
        pb::WaitOnCustomerRequest {
            work_order_id: id.clone(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    // Three days pass without an answer: no breach while paused.
    s.advance(3 * 24 * 60);
    s.sweep().await;
    let paused = get(&s, &id).await;
    assert!(!paused.sla.as_ref().unwrap().breached);
    assert_eq!(paused.level, pb::Level::Branch as i32);
    // Thursday 08:20 the customer answers: 460 minutes from then = Thursday 220 + Friday
    // 07:00–11:00.
    let resumed = c
        .start_work_order(req(
            &s.admin,
            pb::StartWorkOrderRequest {
                work_order_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_order
        .unwrap();
    assert_eq!(
        resumed.sla.unwrap().resolve_due_at,
        Some(at("2026-12-04T03:00:00Z"))
    );
    s.stop().await;
}

async fn timers_that_fell_due_while_the_service_was_down_fire_once_after_restart(backend: Backend) {
    let mut s = spawn(backend).await;
    let f = fixture(&s).await;
    let wo = open(&s, &s.admin, intake("sla-3", &f.shenzhen.branch_id)).await;
    let id = wo.work_order_id.clone();
    s.stop_complaints().await;
    // Down from 08:00 to 11:30: the branch (due 09:00), the city (10:00) and the province
    // (11:00) each missed acknowledgement.
    s.advance(210);
    s.restart_complaints().await;
    eventually("escalation to the group", || async {
        level_of(&s, &id).await == pb::Level::Group as i32
    })
    .await;
    s.sweep().await;
    s.restart_complaints().await;
    s.sweep().await;
    let lines = timeline(&s, &id).await;
    let breaches = lines.iter().filter(|(a, _)| a == "sla_breached").count();
    assert_eq!(breaches, 3, "{lines:?}");
    // Warnings for deadlines already gone are not raised after the fact.
    assert!(!lines.iter().any(|(a, _)| a == "sla_warning"), "{lines:?}");
    let mut feed = s
        .client()
        .subscribe(req(
            &s.admin,
            pb::SubscribeRequest {
                after: 0,
                branch_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut escalations = Vec::new();
    while escalations.len() < 3 {
        let e = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio_stream::StreamExt::next(&mut feed),
        )
        .await
        .expect("events")
        .unwrap()
        .unwrap();
        if let Some(pb::complaints_event::Kind::Escalated(x)) = e.event.unwrap().kind {
            escalations.push((x.to_level, x.reason));
        }
    }
    assert_eq!(
        escalations
            .iter()
            .map(|(l, _)| pb::Level::try_from(*l).unwrap().as_str_name())
            .collect::<Vec<_>>(),
        ["LEVEL_CITY", "LEVEL_PROVINCE", "LEVEL_GROUP"]
    );
    assert!(
        escalations
            .iter()
            .all(|(_, r)| *r == pb::EscalationReason::AcknowledgeDeadline as i32)
    );
    s.stop().await;
}

/// Complaints keeps branches in memory; a change in scheduling must still reach the very
/// next work orders (through `BranchChanged`), not wait for the memory to expire.
async fn new_opening_hours_reach_the_next_intake_through_the_event_feed(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    // Monday 08:00 at a 07:00–12:00 branch: HIGH is acknowledged by 09:00 (01:00Z).
    let before = open(&s, &s.admin, intake("hours-0", &f.shenzhen.branch_id)).await;
    assert_eq!(
        before.sla.unwrap().acknowledge_due_at,
        Some(at("2026-11-30T01:00:00Z"))
    );
    let late_opening = (1..=6)
        .map(|d| sched::OpeningHours {
            weekday: d,
            opens: Some(common::TimeOfDay {
                hours: 9,
                minutes: 0,
            }),
            closes: Some(common::TimeOfDay {
                hours: 17,
                minutes: 0,
            }),
        })
        .collect();
    s.sched()
        .update_branch(req(
            &s.admin,
            sched::UpdateBranchRequest {
                branch_id: f.shenzhen.branch_id.clone(),
                opening_hours: Some(sched::OpeningHoursList {
                    hours: late_opening,
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("update branch");
    // The clock does not move: only the feed can tell complaints. Opening 09:00 now, so
    // the hour to acknowledge runs 09:00–10:00 (02:00Z).
    let mut attempt = 0;
    eventually("intake to count in the new opening hours", || {
        attempt += 1;
        let request = intake(&format!("hours-{attempt}"), &f.shenzhen.branch_id);
        let s = &s;
        async move {
            let wo = open(s, &s.admin, request).await;
            wo.sla.unwrap().acknowledge_due_at == Some(at("2026-11-30T02:00:00Z"))
        }
    })
    .await;
    s.stop().await;
}
