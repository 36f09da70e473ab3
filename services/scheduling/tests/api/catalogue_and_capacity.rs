use hospital_proto::{common, scheduling as pb};
use tonic::Code;

use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(
    creating_a_branch_is_idempotent_and_codes_are_unique,
    generating_slots_twice_creates_them_once_and_skips_holidays,
    availability_respects_fasting_cutoff_closing_time_and_full_slots,
    packages_report_fasting_and_duration,
    a_template_outside_opening_hours_is_refused,
);

async fn creating_a_branch_is_idempotent_and_codes_are_unique(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let mut c = app.client();
    let again = create_branch_request(&f.branch.code, "branch-SZ-FT-01");
    let same = c
        .create_branch(req(&app.admin, again))
        .await
        .unwrap()
        .into_inner()
        .branch
        .unwrap();
    assert_eq!(same.branch_id, f.branch.branch_id);
    let dup = create_branch_request(&f.branch.code, "another-request");
    let err = c.create_branch(req(&app.admin, dup)).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let branches = c
        .list_branches(req(&app.admin, pb::ListBranchesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .branches;
    assert_eq!(branches.len(), 1);
    app.stop().await;
}

fn create_branch_request(code: &str, request_id: &str) -> pb::CreateBranchRequest {
    pb::CreateBranchRequest {
        request_id: request_id.into(),
        code: code.into(),
        name: "dup".into(),
        brand: "美年".into(),
        region: Some(common::RegionPath {
            province: "guangdong".into(),
            city: "shenzhen".into(),
        }),
        opening_hours: vec![pb::OpeningHours {
            weekday: 1,
            opens: Some(tod(7, 0)),
            closes: Some(tod(12, 0)),
        }],
        wait_promise_minutes: 30,
        ..Default::default()
    }
}

async fn generating_slots_twice_creates_them_once_and_skips_holidays(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 10).await;
    let mut c = app.client();
    // The fixture generated 30 Nov – 6 Dec: Mon–Sat, 3 windows a day.
    let again = c
        .generate_slots(req(
            &app.admin,
            pb::GenerateSlotsRequest {
                branch_id: f.branch.branch_id.clone(),
                from: Some(date(2026, 11, 30)),
                to: Some(date(2026, 12, 6)),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.created, again.already_present), (0, 18));
    c.update_branch(req(
        &app.admin,
        pb::UpdateBranchRequest {
            branch_id: f.branch.branch_id.clone(),
            holidays: Some(pb::HolidayList {
                dates: vec![date(2026, 12, 8)],
            }),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let next = c
        .generate_slots(req(
            &app.admin,
            pb::GenerateSlotsRequest {
                branch_id: f.branch.branch_id.clone(),
                from: Some(date(2026, 12, 7)),
                to: Some(date(2026, 12, 13)),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((next.created, next.holidays_skipped), (15, 1));
    app.stop().await;
}

async fn availability_respects_fasting_cutoff_closing_time_and_full_slots(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 1).await;
    let mut c = app.client();
    // Move the fasting cutoff to 08:30: the 09:00 window is not offered for fasting.
    c.update_branch(req(
        &app.admin,
        pb::UpdateBranchRequest {
            branch_id: f.branch.branch_id.clone(),
            fasting_arrival_cutoff: Some(tod(8, 30)),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let search = |package: &pb::Package| pb::SearchAvailabilityRequest {
        branch_id: f.branch.branch_id.clone(),
        package_id: package.package_id.clone(),
        from: Some(date(2026, 12, 1)),
        to: Some(date(2026, 12, 1)),
    };
    let fasting = c
        .search_availability(req(&app.admin, search(&f.fasting_package)))
        .await
        .unwrap()
        .into_inner()
        .slots;
    let starts: Vec<_> = fasting
        .iter()
        .map(|s| s.start.unwrap().hours * 60 + s.start.unwrap().minutes)
        .collect();
    assert_eq!(starts, [8 * 60, 8 * 60 + 30]);
    let late = f
        .slots
        .iter()
        .find(|s| s.date == Some(date(2026, 12, 1)) && s.start == Some(tod(9, 0)))
        .unwrap();
    let err = book(
        &app,
        &app.admin,
        "late-fasting",
        late,
        &f.fasting_package,
        1,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    // A full slot disappears from the search.
    let plain = c
        .search_availability(req(&app.admin, search(&f.plain_package)))
        .await
        .unwrap()
        .into_inner()
        .slots;
    assert_eq!(plain.len(), 3);
    book(&app, &app.admin, "fill", &plain[0], &f.plain_package, 2)
        .await
        .unwrap();
    let plain = c
        .search_availability(req(&app.admin, search(&f.plain_package)))
        .await
        .unwrap()
        .into_inner()
        .slots;
    assert_eq!(plain.len(), 2);
    // Slots that have started are not offered: at 08:40 on Monday only 09:00 remains.
    app.advance(40);
    let today = c
        .search_availability(req(
            &app.admin,
            pb::SearchAvailabilityRequest {
                from: Some(date(2026, 11, 30)),
                to: Some(date(2026, 11, 30)),
                ..search(&f.plain_package)
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .slots;
    assert_eq!(
        today
            .iter()
            .map(|s| s.start.unwrap().hours)
            .collect::<Vec<_>>(),
        [9]
    );
    app.stop().await;
}

async fn packages_report_fasting_and_duration(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 1).await;
    assert!(f.fasting_package.fasting_required);
    assert_eq!(f.fasting_package.total_duration_minutes, 40);
    assert!(!f.plain_package.fasting_required);
    let got = app
        .client()
        .get_package(req(
            &app.admin,
            pb::GetPackageRequest {
                package_id: f.fasting_package.package_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .package
        .unwrap();
    assert_eq!(got, f.fasting_package);
    let listed = app
        .client()
        .list_exam_items(req(
            &app.admin,
            pb::ListExamItemsRequest {
                page_size: 2,
                page_token: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.exam_items.len(), 2);
    assert!(!listed.next_page_token.is_empty());
    app.stop().await;
}

async fn a_template_outside_opening_hours_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app, 1).await;
    let err = app
        .client()
        .set_weekly_template(req(
            &app.admin,
            pb::SetWeeklyTemplateRequest {
                branch_id: f.branch.branch_id.clone(),
                windows: vec![
                    pb::TemplateWindow {
                        weekday: 7,
                        start: Some(tod(8, 0)),
                        end: Some(tod(8, 30)),
                        capacity: 5,
                    },
                    pb::TemplateWindow {
                        weekday: 1,
                        start: Some(tod(11, 30)),
                        end: Some(tod(13, 0)),
                        capacity: 5,
                    },
                ],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["windows[0].weekday", "windows[1]"]);
    // The old template is untouched.
    let kept = app
        .client()
        .get_weekly_template(req(
            &app.admin,
            pb::GetWeeklyTemplateRequest {
                branch_id: f.branch.branch_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .windows;
    assert_eq!(kept.len(), 18);
    app.stop().await;
}
