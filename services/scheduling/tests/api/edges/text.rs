//! Free text: trimmed, bounded and free of control characters.

use hospital_proto::{common, scheduling as pb};
use test_support::edges::{none_broken, refuses_bad_texts, trims};
use test_support::{backend_tests, scheduling as fx};
use tonic::Status;

use super::known;
use super::requests::call;
use crate::helpers::*;

backend_tests!(
    free_text_that_is_too_long_or_holds_control_characters_is_refused_naming_the_field,
    free_text_at_its_bound_is_accepted_and_stored_trimmed,
);

/// Free-text fields: RPC, field, the most characters allowed once trimmed (`None` where
/// the rule is a format rather than a length).
const TEXT_FIELDS: &[(&str, &str, Option<usize>)] = &[
    ("CreateBranch", "code", None),
    ("CreateBranch", "name", Some(128)),
    ("CreateBranch", "brand", Some(64)),
    ("CreateBranch", "address", Some(200)),
    ("CreateBranch", "time_zone", None),
    ("CreateBranch", "region.province", None),
    ("CreateBranch", "region.city", None),
    ("UpdateBranch", "name", Some(128)),
    ("UpdateBranch", "brand", Some(64)),
    ("UpdateBranch", "address", Some(200)),
    ("UpdateBranch", "time_zone", None),
    ("ListBranches", "region_path", None),
    ("ListBranches", "brand", None),
    ("CreateExamItem", "code", None),
    ("CreateExamItem", "name", Some(128)),
    ("CreateExamItem", "department", Some(64)),
    ("CreatePackage", "code", None),
    ("CreatePackage", "name", Some(128)),
    ("CreatePackage", "price.currency_code", None),
    ("BookAppointment", "customer.name", Some(64)),
    ("BookAppointment", "customer.phone", None),
    ("ListAppointments", "customer_phone", None),
    ("CancelAppointment", "note", Some(500)),
    ("AddComplimentaryItem", "authorised_by", Some(128)),
    ("AddComplimentaryItem", "reference", Some(128)),
    ("AddComplimentaryItem", "cost_bearer", None),
];

async fn free_text_that_is_too_long_or_holds_control_characters_is_refused_naming_the_field(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_, ids) = known(&app).await;
    let mut c = app.client();
    refuses_bad_texts(TEXT_FIELDS, ("深圳", "分院"), async |case| {
        call(&mut c, &app.admin, &ids, case).await
    })
    .await;
    app.stop().await;
}

async fn free_text_at_its_bound_is_accepted_and_stored_trimmed(backend: Backend) {
    let app = spawn_app(backend).await;
    let (f, ids) = known(&app).await;
    let n = std::cell::Cell::new(0u32);
    let next = || {
        n.set(n.get() + 1);
        n.get()
    };
    // What the senders below share, by reference.
    let (ap, t, ids, f, next) = (&app, &app.admin, &ids, &f, &next);
    let mut failures = Vec::new();

    let branch = |field: &'static str| {
        move |text: String| {
            let k = next();
            let mut r =
                fx::BranchSpec::new(&format!("EDGE-TRIM-{k}"), "guangdong", "shenzhen").request();
            match field {
                "name" => r.name = text,
                _ => r.brand = text,
            }
            let mut c = ap.client();
            let t = t.clone();
            async move {
                let b = c.create_branch(req(&t, r)).await?.into_inner().branch;
                let b = b.expect("a branch");
                Ok(if field == "name" { b.name } else { b.brand })
            }
        }
    };
    trims(
        &mut failures,
        "CreateBranch.name",
        "名",
        128,
        branch("name"),
    )
    .await;
    trims(
        &mut failures,
        "CreateBranch.brand",
        "牌",
        64,
        branch("brand"),
    )
    .await;

    let update = |field: &'static str| {
        move |text: String| {
            let mut r = pb::UpdateBranchRequest {
                branch_id: ids.branch.clone(),
                ..Default::default()
            };
            match field {
                "name" => r.name = Some(text),
                _ => r.brand = Some(text),
            }
            let mut c = ap.client();
            let t = t.clone();
            async move {
                let b = c.update_branch(req(&t, r)).await?.into_inner().branch;
                let b = b.expect("a branch");
                Ok(if field == "name" { b.name } else { b.brand })
            }
        }
    };
    trims(
        &mut failures,
        "UpdateBranch.name",
        "名",
        128,
        update("name"),
    )
    .await;
    trims(
        &mut failures,
        "UpdateBranch.brand",
        "牌",
        64,
        update("brand"),
    )
    .await;

    let item = |field: &'static str| {
        move |text: String| {
            let k = next();
            let mut r = pb::CreateExamItemRequest {
                request_id: format!("edge-trim-item-{k}"),
                code: format!("EDGE-TRIM-{k}"),
                name: "检查".into(),
                department: "体检科".into(),
                duration_minutes: 10,
                fasting_required: false,
                order_hint: 9,
                list_price: None,
            };
            match field {
                "name" => r.name = text,
                _ => r.department = text,
            }
            let mut c = ap.client();
            let t = t.clone();
            async move {
                let i = c.create_exam_item(req(&t, r)).await?.into_inner().exam_item;
                let i = i.expect("an item");
                Ok(if field == "name" {
                    i.name
                } else {
                    i.department
                })
            }
        }
    };
    trims(
        &mut failures,
        "CreateExamItem.name",
        "项",
        128,
        item("name"),
    )
    .await;
    trims(
        &mut failures,
        "CreateExamItem.department",
        "科",
        64,
        item("department"),
    )
    .await;

    let package = |text: String| {
        let k = next();
        let r = pb::CreatePackageRequest {
            request_id: format!("edge-trim-package-{k}"),
            code: format!("EDGE-TRIM-{k}"),
            name: text,
            exam_item_ids: vec![ids.item.clone()],
            price: Some(common::Money {
                currency_code: "CNY".into(),
                minor_units: 10_000,
            }),
        };
        let mut c = ap.client();
        let t = t.clone();
        async move {
            let p = c.create_package(req(&t, r)).await?.into_inner().package;
            Ok(p.expect("a package").name)
        }
    };
    trims(&mut failures, "CreatePackage.name", "套", 128, package).await;

    // A fresh booking for each attempt.
    let booking = |name: String| {
        let k = next();
        let r = pb::BookAppointmentRequest {
            request_id: format!("edge-trim-book-{k}"),
            slot_id: f.slot.slot_id.clone(),
            package_id: f.plain_package.package_id.clone(),
            customer: Some(pb::CustomerInput {
                customer_id: String::new(),
                name,
                phone: format!("139{:08}", 100 + k),
            }),
        };
        let mut c = ap.client();
        let t = t.clone();
        async move {
            let a = c.book_appointment(req(&t, r)).await?.into_inner();
            Ok::<_, Status>(a.appointment.expect("an appointment"))
        }
    };
    trims(
        &mut failures,
        "BookAppointment.customer.name",
        "客",
        64,
        |name| {
            let booked = booking(name);
            async move { Ok(booked.await?.customer.expect("a customer").name) }
        },
    )
    .await;

    trims(&mut failures, "CancelAppointment.note", "改", 500, |note| {
        let booked = booking("客户".into());
        let mut c = ap.client();
        let t = t.clone();
        async move {
            let apt = booked.await?;
            let r = pb::CancelAppointmentRequest {
                appointment_id: apt.appointment_id,
                reason: pb::CancelReason::Other as i32,
                note,
            };
            let a = c.cancel_appointment(req(&t, r)).await?.into_inner();
            Ok(a.appointment.expect("an appointment").cancel_note)
        }
    })
    .await;

    let gift = |field: &'static str| {
        move |text: String| {
            let booked = booking("客户".into());
            let k = next();
            let mut c = ap.client();
            let t = t.clone();
            let item = ids.item.clone();
            async move {
                let apt = booked.await?;
                let mut r = pb::AddComplimentaryItemRequest {
                    request_id: format!("edge-trim-gift-{k}"),
                    appointment_id: apt.appointment_id,
                    exam_item_id: item,
                    authorised_by: "director-1".into(),
                    cost_bearer: "group".into(),
                    reference: "WO-000001-8".into(),
                };
                match field {
                    "authorised_by" => r.authorised_by = text,
                    _ => r.reference = text,
                }
                let g = c.add_complimentary_item(req(&t, r)).await?.into_inner();
                let g = g.item.expect("an item");
                Ok(if field == "authorised_by" {
                    g.authorised_by
                } else {
                    g.reference
                })
            }
        }
    };
    trims(
        &mut failures,
        "AddComplimentaryItem.authorised_by",
        "d",
        128,
        gift("authorised_by"),
    )
    .await;
    trims(
        &mut failures,
        "AddComplimentaryItem.reference",
        "引",
        128,
        gift("reference"),
    )
    .await;
    none_broken(&failures, 12);
    app.stop().await;
}
