use hospital_proto::{complaints as pb, scheduling as sched};
use service_kit::auth::{OrgScope, Role};
use test_support::backend_tests;
use tonic::Code;

use crate::helpers::*;

backend_tests!(figures_and_the_scorecard_stay_within_the_callers_scope);

fn november_and_december() -> Option<pb::Period> {
    Some(pb::Period {
        from: Some(date(2026, 11, 1)),
        to: Some(date(2026, 12, 31)),
    })
}

/// The group's figures for November and December, as the group admin reads them.
async fn group_figures(s: &Suite) -> Result<pb::Figures, tonic::Status> {
    let reply = s
        .client()
        .get_figures(req(
            &s.admin,
            pb::GetFiguresRequest {
                period: november_and_december(),
                ..Default::default()
            },
        ))
        .await?;
    Ok(reply.into_inner().figures.expect("figures in the reply"))
}

async fn complete_visit(s: &Suite, apt: &sched::Appointment) {
    test_support::scheduling::complete_visit(
        &mut s.sched(),
        &s.admin,
        &apt.branch_id,
        &apt.appointment_id,
    )
    .await;
}

async fn resolve(s: &Suite, id: &str) {
    let mut c = s.client();
    c.acknowledge_work_order(req(
        &s.admin,
        pb::AcknowledgeWorkOrderRequest {
            work_order_id: id.into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.start_work_order(req(
        &s.admin,
        pb::StartWorkOrderRequest {
            work_order_id: id.into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.resolve_work_order(req(
        &s.admin,
        pb::ResolveWorkOrderRequest {
            work_order_id: id.into(),
            root_cause: "found".into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
}

async fn figures_and_the_scorecard_stay_within_the_callers_scope(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    // Four completed visits in Shenzhen, one in Shanghai.
    for n in 1..=4 {
        let apt = booked_and_checked_in(&s, &f, &f.shenzhen, n).await;
        complete_visit(&s, &apt).await;
    }
    let apt = booked_and_checked_in(&s, &f, &f.shanghai, 9).await;
    complete_visit(&s, &apt).await;
    // Visits reach complaints through scheduling's event feed, a moment after they end.
    eventually("the five visits counted", || async {
        group_figures(&s).await.is_ok_and(|f| f.visits == 5)
    })
    .await;
    // Shenzhen: a complaint resolved at the branch in 10 minutes, a suggestion left open.
    let a = open(&s, &s.admin, intake("f-1", &f.shenzhen.branch_id)).await;
    s.advance(10);
    resolve(&s, &a.work_order_id).await;
    let mut suggestion = intake("f-2", &f.shenzhen.branch_id);
    suggestion.kind = pb::Kind::Suggestion as i32;
    open(&s, &s.admin, suggestion).await;
    // Shanghai: a complaint that breaches acknowledgement (escalates) and is then resolved.
    let b = open(&s, &s.admin, intake("f-3", &f.shanghai.branch_id)).await;
    s.advance(61);
    s.sweep().await;
    resolve(&s, &b.work_order_id).await;
    let admin_figures = group_figures(&s).await.unwrap();
    assert_eq!(admin_figures.work_orders, 3);
    assert_eq!(admin_figures.complaints, 2);
    let visits_seen = admin_figures.visits;
    assert_eq!(visits_seen, 5, "{admin_figures:?}");
    assert!((admin_figures.complaints_per_10k_visits - 4000.0).abs() < 1e-9);
    // Decided: the Shenzhen complaint (in time), the Shanghai one and the open suggestion
    // (both missed acknowledgement while the clock ran 61 minutes).
    assert!(
        (admin_figures.sla_met_percent - 100.0 / 3.0).abs() < 1e-9,
        "{admin_figures:?}"
    );
    assert!((admin_figures.resolved_in_branch_percent - 50.0).abs() < 1e-9);
    assert!((admin_figures.median_minutes_to_acknowledge - 10.0).abs() < 1e-9);
    assert!(
        (admin_figures.p90_minutes_to_resolve - 61.0).abs() < 1e-9,
        "{admin_figures:?}"
    );
    let kinds: Vec<(String, u64)> = admin_figures
        .by_kind
        .iter()
        .map(|c| (c.key.clone(), c.count))
        .collect();
    assert_eq!(
        kinds,
        [
            ("KIND_COMPLAINT".to_owned(), 2),
            ("KIND_SUGGESTION".to_owned(), 1)
        ]
    );
    // Guangdong's manager sees only Guangdong.
    let gm = s.token(
        "gm-gd",
        Role::RegionAdmin,
        OrgScope::Region("guangdong".into()),
    );
    let gd = s
        .client()
        .get_figures(req(
            &gm,
            pb::GetFiguresRequest {
                period: november_and_december(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .figures
        .unwrap();
    assert_eq!((gd.work_orders, gd.visits, gd.complaints), (2, 4, 1));
    assert!((gd.complaints_per_10k_visits - 2500.0).abs() < 1e-9);
    let err = s
        .client()
        .get_figures(req(
            &gm,
            pb::GetFiguresRequest {
                period: november_and_december(),
                region_path: "shanghai".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let card = s
        .client()
        .get_scorecard(req(
            &s.admin,
            pb::GetScorecardRequest {
                period: november_and_december(),
                by: pb::Level::Province as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .rows;
    let regions: Vec<&str> = card.iter().map(|r| r.region_path.as_str()).collect();
    assert_eq!(regions, ["guangdong", "shanghai"], "best score first");
    assert!(card[0].score > card[1].score);
    let cities = s
        .client()
        .get_scorecard(req(
            &gm,
            pb::GetScorecardRequest {
                period: november_and_december(),
                by: pb::Level::City as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .rows;
    assert_eq!(
        cities
            .iter()
            .map(|r| r.region_path.as_str())
            .collect::<Vec<_>>(),
        ["guangdong/shenzhen"]
    );
    let dir = director(&s, &f.shenzhen);
    let err = s
        .client()
        .get_scorecard(req(
            &dir,
            pb::GetScorecardRequest {
                period: november_and_december(),
                by: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = s
        .client()
        .get_figures(req(
            &s.admin,
            pb::GetFiguresRequest {
                period: Some(pb::Period {
                    from: Some(date(2026, 12, 2)),
                    to: Some(date(2026, 12, 1)),
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["period"]);
    s.stop().await;
}
