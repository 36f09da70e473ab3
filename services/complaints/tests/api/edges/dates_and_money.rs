//! Periods of years 1 to 9999 on the calendar, and compensation up to ¥1,000,000.

use hospital_proto::{common, complaints as pb};
use test_support::backend_tests;
use test_support::edges::{
    MILLION_YUAN, answer, never_fails_the_server, refuses, refuses_bad_dates, refuses_bad_money,
};

use super::{known, november};
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
    let fields = [
        ("GetFigures", "period.from"),
        ("GetFigures", "period.to"),
        ("GetRecoveryFigures", "period.from"),
        ("GetRecoveryFigures", "period.to"),
        ("GetScorecard", "period.from"),
        ("GetScorecard", "period.to"),
    ];
    refuses_bad_dates(&fields, 11, async |rpc, field, bad| {
        let period = period(field, bad);
        match rpc {
            "GetFigures" => c
                .get_figures(req(
                    &t,
                    pb::GetFiguresRequest {
                        period,
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ()),
            "GetRecoveryFigures" => c
                .get_recovery_figures(req(
                    &t,
                    pb::GetRecoveryFiguresRequest {
                        period,
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ()),
            _ => c
                .get_scorecard(req(&t, pb::GetScorecardRequest { period, by: 0 }))
                .await
                .map(|_| ()),
        }
    })
    .await;

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
    never_fails_the_server(&last);
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
    refuses_bad_money(
        "GrantCompensation",
        "value.minor_units",
        async |i, minor| {
            let r = grant(&format!("edge-money-{i}"), minor);
            c.grant_compensation(req(&s.admin, r)).await.map(|_| ())
        },
    )
    .await;
    // A million yuan is a sane amount, beyond anyone's authority: refused, but not as
    // malformed.
    let top = c
        .grant_compensation(req(&s.admin, grant("edge-money-top", MILLION_YUAN)))
        .await
        .map(|_| ());
    assert!(
        !matches!(&top, Err(st) if refuses(st, "value.minor_units")),
        "{}",
        answer(&top)
    );
    s.stop().await;
}
