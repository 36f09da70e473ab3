//! Periods of years 1 to 9999 on the calendar, and compensation up to ¥1,000,000.

use hospital_proto::{common, complaints as pb};
use test_support::backend_tests;
use tonic::Code;

use super::{answer, expect_refused, known, none_broken, november, refuses};
use crate::helpers::*;

backend_tests!(
    periods_outside_years_1_to_9999_or_off_the_calendar_are_refused_naming_the_field,
    compensation_above_a_million_yuan_is_refused,
);

async fn periods_outside_years_1_to_9999_or_off_the_calendar_are_refused_naming_the_field(
    backend: Backend,
) {
    let s = spawn(backend).await;
    known(&s).await;
    let mut c = s.client();
    let t = s.admin.clone();
    let bad = [
        ("year 0", date(0, 1, 1)),
        ("year -1", date(-1, 12, 25)),
        ("year -2026", date(-2026, 11, 1)),
        ("year 10000", date(10_000, 1, 1)),
        ("year i32::MIN", date(i32::MIN, 1, 1)),
        ("month 13", date(2026, 13, 1)),
        ("month 0", date(2026, 0, 1)),
        ("day 0", date(2026, 11, 0)),
        ("30 February", date(2026, 2, 30)),
    ];
    let period = |field: &str, bad: common::Date| {
        let good = november().expect("a period");
        Some(pb::Period {
            from: if field == "period.from" {
                Some(bad)
            } else {
                good.from
            },
            to: if field == "period.to" {
                Some(bad)
            } else {
                good.to
            },
        })
    };
    let mut failures = Vec::new();
    let mut cases = 0;
    for field in ["period.from", "period.to"] {
        for (what, d) in bad {
            cases += 2;
            let got = c
                .get_figures(req(
                    &t,
                    pb::GetFiguresRequest {
                        period: period(field, d),
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ());
            expect_refused(
                &mut failures,
                &format!("GetFigures.{field} = {what}"),
                field,
                &got,
            );
            let got = c
                .get_scorecard(req(
                    &t,
                    pb::GetScorecardRequest {
                        period: period(field, d),
                        by: 0,
                    },
                ))
                .await
                .map(|_| ());
            expect_refused(
                &mut failures,
                &format!("GetScorecard.{field} = {what}"),
                field,
                &got,
            );
        }
    }
    none_broken(&failures, cases);

    // The first and the last year are years like any other.
    for (from, to) in [
        (date(1, 1, 1), date(1, 12, 31)),
        (date(9999, 1, 1), date(9999, 12, 30)),
    ] {
        let period = Some(pb::Period {
            from: Some(from),
            to: Some(to),
        });
        c.get_figures(req(
            &t,
            pb::GetFiguresRequest {
                period,
                ..Default::default()
            },
        ))
        .await
        .unwrap_or_else(|e| panic!("GetFigures {from:?}–{to:?}: {e:?}"));
        c.get_scorecard(req(&t, pb::GetScorecardRequest { period, by: 0 }))
            .await
            .unwrap_or_else(|e| panic!("GetScorecard {from:?}–{to:?}: {e:?}"));
    }
    // The very last day may be refused for what follows it, but never fails the server.
    let last = c
        .get_figures(req(
            &t,
            pb::GetFiguresRequest {
                period: Some(pb::Period {
                    from: Some(date(9999, 12, 1)),
                    to: Some(date(9999, 12, 31)),
                }),
                ..Default::default()
            },
        ))
        .await;
    assert!(
        !matches!(&last, Err(st) if matches!(st.code(), Code::Internal | Code::Unknown)),
        "{last:?}"
    );
    s.stop().await;
}

async fn compensation_above_a_million_yuan_is_refused(backend: Backend) {
    let s = spawn(backend).await;
    let (_, ids) = known(&s).await;
    let mut c = s.client();
    let grant = |request_id: &str, minor_units: i64| pb::GrantCompensationRequest {
        request_id: request_id.into(),
        work_order_id: ids.work_order.clone(),
        kind: pb::CompensationKind::Voucher as i32,
        value: Some(common::Money {
            currency_code: "CNY".into(),
            minor_units,
        }),
        exam_item_id: String::new(),
        note: "抱歉".into(),
    };
    let mut failures = Vec::new();
    let bad = [
        ("i64::MAX", i64::MAX),
        ("100000001", 100_000_001),
        ("i64::MIN", i64::MIN),
        ("-1", -1),
    ];
    for (i, (what, minor)) in bad.into_iter().enumerate() {
        let got = c
            .grant_compensation(req(&s.admin, grant(&format!("edge-money-{i}"), minor)))
            .await
            .map(|_| ());
        expect_refused(
            &mut failures,
            &format!("GrantCompensation.value.minor_units = {what}"),
            "value.minor_units",
            &got,
        );
    }
    none_broken(&failures, bad.len());
    // A million yuan is a sane amount, beyond anyone's authority: refused, but not as
    // malformed.
    let top = c
        .grant_compensation(req(&s.admin, grant("edge-money-top", 100_000_000)))
        .await
        .map(|_| ());
    assert!(
        !matches!(&top, Err(st) if refuses(st, "value.minor_units")),
        "{}",
        answer(&top)
    );
    s.stop().await;
}
