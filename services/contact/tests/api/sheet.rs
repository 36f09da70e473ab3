//! The branch's day sheet, and bookings no customer record is tied to: counted and listed,
//! never silently unreminded.

use hospital_proto::{common, contact as pb, scheduling as sched};
use service_kit::auth::{OrgScope, Role};
use tonic::Code;

use crate::helpers::*;

backend_tests!(the_day_sheet_lists_needs_and_reminders_and_counts_unlinked_bookings);

fn thursday() -> Option<common::Date> {
    Some(common::Date {
        year: 2026,
        month: 12,
        day: 3,
    })
}

async fn the_day_sheet_lists_needs_and_reminders_and_counts_unlinked_bookings(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let mum = customer(&s, 1).await;
    s.client()
        .set_needs(req(
            &agent(&s),
            pb::SetNeedsRequest {
                customer_id: mum.customer_id.clone(),
                needs: vec![
                    pb::Need::ChildrenAlong as i32,
                    pb::Need::FastingDiscomfort as i32,
                ],
                notes: "两个孩子同行".into(),
                expected_version: 0,
            },
        ))
        .await
        .unwrap();
    let first = book(&s, &f, &f.fasting, &mum, "2026-12-03", 8, 30).await;
    let other = book(
        &s,
        &f,
        &f.plain,
        &customer(&s, 2).await,
        "2026-12-03",
        14,
        0,
    )
    .await;
    // A walk-in booked at the front desk without finding the customer in contact first.
    let walk_in_slot = slot(&s, &f, &f.plain, "2026-12-03", 14, 0).await;
    let walk_in = test_support::scheduling::book(
        &mut s.sched(),
        &s.admin,
        "walk-in-1",
        &walk_in_slot,
        &f.plain.package_id,
        sched::CustomerInput {
            customer_id: String::new(),
            name: "李先生".into(),
            phone: "13700000009".into(),
        },
    )
    .await
    .unwrap();
    planned(&s, &other.appointment_id).await;
    s.at("2026-11-30T10:00").await;
    messages_reach(&s, 2).await;

    let unlinked = until("the unlinked booking", || async {
        let r = s
            .client()
            .list_unlinked_bookings(req(&s.admin, pb::ListUnlinkedBookingsRequest::default()))
            .await
            .ok()?
            .into_inner();
        (r.total == 1).then_some(r)
    })
    .await;
    assert_eq!(unlinked.bookings[0].appointment_id, walk_in.appointment_id);
    assert_eq!(
        unlinked.bookings[0].reason,
        "the booking names no customer id"
    );

    let desk = s.token(
        "nurse-li",
        Role::FrontDesk,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let sheet = s
        .client()
        .get_day_sheet(req(
            &desk,
            pb::GetDaySheetRequest {
                branch_id: f.branch.branch_id.clone(),
                date: thursday(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sheet.unlinked, 1);
    let rows: Vec<_> = sheet
        .rows
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.package_name.as_str(),
                r.fasting,
                r.reminder_sent,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("客户1", "入职套餐", true, true),
            ("客户2", "基础套餐", false, true),
            ("李先生", "基础套餐", false, false),
        ]
    );
    let mum_row = &sheet.rows[0];
    assert_eq!(mum_row.appointment_id, first.appointment_id);
    assert_eq!(
        mum_row.needs,
        [
            pb::Need::ChildrenAlong as i32,
            pb::Need::FastingDiscomfort as i32
        ]
    );
    assert_eq!(mum_row.notes, "两个孩子同行");
    assert_eq!(mum_row.segment, "FIRST_VISIT");
    assert_eq!(
        mum_row.phone, "13900000001",
        "the front desk calls customers"
    );
    assert_eq!(
        sheet.rows[2].phone, "137****0009",
        "only the booking's masked copy"
    );
    assert_eq!(shown(&mum_row.arrive_from), "2026-12-03T08:30:00");

    // Another branch's desk may not read this branch's day.
    let elsewhere = s.token(
        "nurse-wang",
        Role::FrontDesk,
        OrgScope::Branch("br_elsewhere".into()),
    );
    let e = s
        .client()
        .get_day_sheet(req(
            &elsewhere,
            pb::GetDaySheetRequest {
                branch_id: f.branch.branch_id.clone(),
                date: thursday(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = s
        .client()
        .get_day_sheet(req(
            &desk,
            pb::GetDaySheetRequest {
                branch_id: "no such!".into(),
                date: None,
            },
        ))
        .await
        .unwrap_err();
    let mut fields = bad_fields(&e);
    fields.sort();
    assert_eq!(fields, ["branch_id", "date"]);
    s.stop().await;
}
