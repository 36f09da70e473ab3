//! Field paths: `UpdateBranch` names the fields as its own request spells them.

use hospital_proto::scheduling as pb;
use test_support::edges::{expect_refused, none_broken};
use test_support::{backend_tests, scheduling as fx};
use tonic::Code;

use super::known;
use crate::helpers::*;

backend_tests!(update_branch_names_its_own_paths_and_create_branch_its_own);

async fn update_branch_names_its_own_paths_and_create_branch_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let (f, _) = known(&app).await;
    let mut c = app.client();
    let t = app.admin.clone();
    let hours = |weekday: i32, opens: (i32, i32), closes: (i32, i32)| pb::OpeningHours {
        weekday,
        opens: Some(tod(opens.0, opens.1)),
        closes: Some(tod(closes.0, closes.1)),
    };
    let good = hours(1, (7, 0), (12, 0));
    // Each case: hours, holidays, the fields CreateBranch names, the ones UpdateBranch
    // names. Some are found while decoding the wire, some by the branch rules.
    let cases = [
        (
            vec![good, hours(0, (7, 0), (12, 0))],
            vec![],
            vec!["opening_hours[1].weekday"],
            vec!["opening_hours.hours[1].weekday"],
        ),
        (
            vec![hours(2, (12, 0), (7, 0))],
            vec![],
            vec!["opening_hours[0]"],
            vec!["opening_hours.hours[0]"],
        ),
        (
            vec![hours(1, (25, 0), (12, 0))],
            vec![],
            vec!["opening_hours[0].opens"],
            vec!["opening_hours.hours[0].opens"],
        ),
        (
            vec![good],
            vec![date(2026, 12, 25), date(0, 1, 1)],
            vec!["holidays[1]"],
            vec!["holidays.dates[1]"],
        ),
        (
            vec![hours(0, (7, 0), (12, 0)), hours(1, (7, 0), (12, 60))],
            vec![date(2026, 13, 1)],
            vec![
                "opening_hours[0].weekday",
                "opening_hours[1].closes",
                "holidays[0]",
            ],
            vec![
                "opening_hours.hours[0].weekday",
                "opening_hours.hours[1].closes",
                "holidays.dates[0]",
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (i, (opening_hours, holidays, create_fields, update_fields)) in
        cases.into_iter().enumerate()
    {
        let mut create =
            fx::BranchSpec::new(&format!("EDGE-PATH-{i}"), "guangdong", "shenzhen").request();
        create.opening_hours = opening_hours.clone();
        create.holidays = holidays.clone();
        let got = c.create_branch(req(&t, create)).await.map(|_| ());
        for field in &create_fields {
            expect_refused(
                &mut failures,
                &format!("CreateBranch case {i}"),
                field,
                &got,
            );
        }
        if let Err(s) = &got
            && s.code() == Code::InvalidArgument
            && let Some(stray) = bad_fields(s)
                .into_iter()
                .find(|g| g.starts_with("opening_hours.") || g.starts_with("holidays."))
        {
            failures.push(format!("CreateBranch case {i}: names {stray}"));
        }
        let got = c
            .update_branch(req(
                &t,
                pb::UpdateBranchRequest {
                    branch_id: f.branch.branch_id.clone(),
                    opening_hours: Some(pb::OpeningHoursList {
                        hours: opening_hours,
                    }),
                    holidays: Some(pb::HolidayList { dates: holidays }),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ());
        for field in &update_fields {
            expect_refused(
                &mut failures,
                &format!("UpdateBranch case {i}"),
                field,
                &got,
            );
        }
        if let Err(s) = &got
            && s.code() == Code::InvalidArgument
            && let Some(stray) = bad_fields(s)
                .into_iter()
                .find(|g| g.starts_with("opening_hours[") || g.starts_with("holidays["))
        {
            failures.push(format!("UpdateBranch case {i}: names {stray}"));
        }
    }
    none_broken(&failures, 10);
    app.stop().await;
}
