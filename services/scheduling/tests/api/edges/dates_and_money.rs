//! Dates of years 1 to 9999 on the calendar, and prices up to ¥1,000,000.

use hospital_proto::{common, scheduling as pb};
use test_support::edges::{
    MILLION_YUAN, never_fails_the_server, refuses_bad_dates, refuses_bad_money,
};
use test_support::{backend_tests, scheduling as fx};
use tonic::Status;

use super::{Client, Ids, known};
use crate::helpers::*;

backend_tests!(
    dates_outside_years_1_to_9999_or_off_the_calendar_are_refused_naming_the_field,
    prices_above_a_million_yuan_are_refused,
);

/// Calls `rpc` with every date valid except `field`, which is `bad`.
async fn with_date(
    c: &mut Client,
    t: &str,
    ids: &Ids,
    rpc: &str,
    field: &str,
    bad: common::Date,
) -> Result<(), Status> {
    let d = |name: &str, valid: common::Date| if name == field { bad } else { valid };
    let (christmas, new_year) = (date(2026, 12, 25), date(2027, 1, 1));
    match rpc {
        "CreateBranch" => {
            let mut r = fx::BranchSpec::new("EDGE-DATES", "guangdong", "shenzhen").request();
            r.holidays = vec![d("holidays[0]", christmas), d("holidays[1]", new_year)];
            c.create_branch(req(t, r)).await.map(|_| ())
        }
        "UpdateBranch" => c
            .update_branch(req(
                t,
                pb::UpdateBranchRequest {
                    branch_id: ids.branch.clone(),
                    holidays: Some(pb::HolidayList {
                        dates: vec![
                            d("holidays.dates[0]", christmas),
                            d("holidays.dates[1]", new_year),
                        ],
                    }),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "GenerateSlots" => c
            .generate_slots(req(
                t,
                pb::GenerateSlotsRequest {
                    branch_id: ids.branch.clone(),
                    from: Some(d("from", fx::monday())),
                    to: Some(d("to", fx::sunday())),
                },
            ))
            .await
            .map(|_| ()),
        "SearchAvailability" => c
            .search_availability(req(
                t,
                pb::SearchAvailabilityRequest {
                    branch_id: ids.branch.clone(),
                    package_id: ids.package.clone(),
                    from: Some(d("from", fx::monday())),
                    to: Some(d("to", fx::sunday())),
                },
            ))
            .await
            .map(|_| ()),
        "ListAppointments" => c
            .list_appointments(req(
                t,
                pb::ListAppointmentsRequest {
                    branch_id: ids.branch.clone(),
                    date: Some(d("date", fx::monday())),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "NameRecoveryDeputy" => c
            .name_recovery_deputy(req(
                t,
                pb::NameRecoveryDeputyRequest {
                    branch_id: ids.branch.clone(),
                    date: Some(d("date", christmas)),
                    deputy: "nurse-1".into(),
                },
            ))
            .await
            .map(|_| ()),
        other => panic!("no dates in {other}"),
    }
}

async fn dates_outside_years_1_to_9999_or_off_the_calendar_are_refused_naming_the_field(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, ids) = known(&app).await;
    let mut c = app.client();
    let t = app.admin.clone();
    let fields = [
        ("CreateBranch", "holidays[0]"),
        ("CreateBranch", "holidays[1]"),
        ("UpdateBranch", "holidays.dates[0]"),
        ("UpdateBranch", "holidays.dates[1]"),
        ("GenerateSlots", "from"),
        ("GenerateSlots", "to"),
        ("SearchAvailability", "from"),
        ("SearchAvailability", "to"),
        ("ListAppointments", "date"),
        ("NameRecoveryDeputy", "date"),
    ];
    refuses_bad_dates(&fields, 12, async |rpc, field, bad| {
        with_date(&mut c, &t, &ids, rpc, field, bad).await
    })
    .await;

    // The first and the last year are years like any other.
    for day in [date(1, 1, 1), date(9999, 6, 30)] {
        c.list_appointments(req(
            &t,
            pb::ListAppointmentsRequest {
                branch_id: ids.branch.clone(),
                date: Some(day),
                ..Default::default()
            },
        ))
        .await
        .unwrap_or_else(|e| panic!("ListAppointments.date = {day:?}: {e:?}"));
    }
    let edges = vec![date(1, 1, 1), date(9999, 12, 31)];
    let branch = c
        .update_branch(req(
            &t,
            pb::UpdateBranchRequest {
                branch_id: ids.branch.clone(),
                holidays: Some(pb::HolidayList {
                    dates: edges.clone(),
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("holidays in years 1 and 9999")
        .into_inner()
        .branch
        .expect("a branch");
    assert_eq!(branch.holidays, edges);
    // The very last day may be refused for what follows it, but never fails the server.
    let last = c
        .list_appointments(req(
            &t,
            pb::ListAppointmentsRequest {
                branch_id: ids.branch.clone(),
                date: Some(date(9999, 12, 31)),
                ..Default::default()
            },
        ))
        .await;
    never_fails_the_server(&last);
    app.stop().await;
}

async fn prices_above_a_million_yuan_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (f, _) = known(&app).await;
    let mut c = app.client();
    let package = |code: &str, minor_units: i64| pb::CreatePackageRequest {
        request_id: format!("edge-{code}"),
        code: code.into(),
        name: "价格边界".into(),
        exam_item_ids: vec![f.items[2].exam_item_id.clone()],
        price: Some(common::Money {
            currency_code: "CNY".into(),
            minor_units,
        }),
    };
    refuses_bad_money("CreatePackage", "price.minor_units", async |i, minor| {
        let r = package(&format!("MONEY-{i}"), minor);
        c.create_package(req(&app.admin, r)).await.map(|_| ())
    })
    .await;
    let top = c
        .create_package(req(&app.admin, package("MONEY-TOP", MILLION_YUAN)))
        .await
        .expect("exactly a million yuan")
        .into_inner()
        .package
        .expect("a package");
    assert_eq!(top.price.expect("a price").minor_units, MILLION_YUAN);

    // An exam item's list price: the same bounds, and a currency code.
    let item = |code: &str, currency: &str, minor_units: i64| pb::CreateExamItemRequest {
        request_id: format!("edge-{code}"),
        code: code.into(),
        name: "价格边界".into(),
        department: "体检科".into(),
        duration_minutes: 10,
        fasting_required: false,
        order_hint: 9,
        list_price: Some(common::Money {
            currency_code: currency.into(),
            minor_units,
        }),
    };
    refuses_bad_money(
        "CreateExamItem",
        "list_price.minor_units",
        async |i, minor| {
            let r = item(&format!("ITEM-MONEY-{i}"), "CNY", minor);
            c.create_exam_item(req(&app.admin, r)).await.map(|_| ())
        },
    )
    .await;
    let bad = c
        .create_exam_item(req(&app.admin, item("ITEM-CUR", "yuan", 100)))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad), ["list_price.currency_code"]);
    let priced = c
        .create_exam_item(req(&app.admin, item("ITEM-TOP", "CNY", MILLION_YUAN)))
        .await
        .expect("exactly a million yuan")
        .into_inner()
        .exam_item
        .expect("an item");
    assert_eq!(
        priced.list_price.expect("a list price").minor_units,
        MILLION_YUAN
    );
    // A price change has the same bounds.
    let reprice = |minor_units: i64| pb::SetExamItemPriceRequest {
        exam_item_id: priced.exam_item_id.clone(),
        list_price: Some(common::Money {
            currency_code: "CNY".into(),
            minor_units,
        }),
    };
    refuses_bad_money(
        "SetExamItemPrice",
        "list_price.minor_units",
        async |_, minor| {
            c.set_exam_item_price(req(&app.admin, reprice(minor)))
                .await
                .map(|_| ())
        },
    )
    .await;
    // The price is kept: the catalogue lists it.
    let listed = c
        .list_exam_items(req(&app.admin, pb::ListExamItemsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .exam_items;
    let top_item = listed.iter().find(|i| i.code == "ITEM-TOP").unwrap();
    assert_eq!(top_item.list_price.as_ref().unwrap().currency_code, "CNY");
    assert!(listed.iter().filter(|i| i.code != "ITEM-TOP").all(|i| {
        i.list_price
            .as_ref()
            .is_some_and(|p| p.minor_units == 8_000)
    }));
    app.stop().await;
}
