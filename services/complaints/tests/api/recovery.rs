use hospital_proto::{common, complaints as pb, scheduling as sched};
use service_kit::auth::{OrgScope, Role};
use test_support::backend_tests;
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    a_director_gives_an_item_that_reaches_the_visit_exactly_once,
    limits_follow_the_role_and_the_yearly_cap_holds_under_concurrency,
    a_gift_scheduling_refuses_is_recorded_as_failed_and_frees_the_cap,
);

fn cny(yuan: i64) -> Option<common::Money> {
    Some(common::Money {
        currency_code: "CNY".into(),
        minor_units: yuan * 100,
    })
}

fn grant(
    request_id: &str,
    wo: &str,
    kind: pb::CompensationKind,
    yuan: i64,
    item: &str,
) -> pb::GrantCompensationRequest {
    pb::GrantCompensationRequest {
        request_id: request_id.into(),
        work_order_id: wo.into(),
        kind: kind as i32,
        value: cny(yuan),
        exam_item_id: item.into(),
        note: "sorry for the wait".into(),
    }
}

async fn case_with_visit(s: &Suite, f: &Fixture, n: u32) -> (sched::Appointment, pb::WorkOrder) {
    let apt = booked_and_checked_in(s, f, &f.shenzhen, n).await;
    let mut r = intake(&format!("visit-{n}"), &f.shenzhen.branch_id);
    r.appointment_id = apt.appointment_id.clone();
    r.category = pb::Category::WaitingTime as i32;
    r.channel = pb::Channel::OnSite as i32;
    r.customer = Some(pb::CustomerInput {
        customer_id: format!("cus_{n}"),
        name: format!("客户{n}"),
        phone: String::new(),
    });
    (apt, open(s, &s.admin, r).await)
}

async fn a_director_gives_an_item_that_reaches_the_visit_exactly_once(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let (apt, wo) = case_with_visit(&s, &f, 1).await;
    let item = f.ultrasound.exam_item_id.clone();
    let nurse = s.token(
        "nurse-3",
        Role::FrontDesk,
        OrgScope::Branch(f.shenzhen.branch_id.clone()),
    );
    let err = s
        .client()
        .grant_compensation(req(
            &nurse,
            grant(
                "g-0",
                &wo.work_order_id,
                pb::CompensationKind::ComplimentaryItem,
                180,
                &item,
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(
        err.message().contains("branch director"),
        "{}",
        err.message()
    );
    let dir = director(&s, &f.shenzhen);
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(
            s.client()
                .grant_compensation(req(
                    &dir,
                    grant(
                        "g-1",
                        &wo.work_order_id,
                        pb::CompensationKind::ComplimentaryItem,
                        180,
                        &item,
                    ),
                ))
                .await
                .expect("grant")
                .into_inner(),
        );
    }
    let comp = answers[0].compensation.clone().unwrap();
    assert!(
        answers
            .iter()
            .all(|a| a.compensation.as_ref().unwrap().compensation_id == comp.compensation_id)
    );
    assert_eq!(
        comp.delivery,
        pb::DeliveryStatus::Delivered as i32,
        "{comp:?}"
    );
    assert_eq!(comp.cost_bearer, format!("branch:{}", f.shenzhen.branch_id));
    assert_eq!(comp.authorised_by, "director-1");
    assert_eq!(
        answers[2].work_order.as_ref().unwrap().compensations.len(),
        1
    );
    // Scheduling has the item on the appointment and on the customer's route, once.
    let shown = s
        .sched()
        .get_appointment(req(
            &s.admin,
            sched::GetAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    assert_eq!(shown.complimentary_items.len(), 1);
    assert_eq!(shown.complimentary_items[0].exam_item_id, item);
    assert_eq!(shown.complimentary_items[0].reference, wo.work_order_id);
    let visit = s
        .sched()
        .get_visit(req(
            &s.admin,
            sched::GetVisitRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .visit
        .unwrap();
    assert_eq!(visit.entries.iter().filter(|e| e.complimentary).count(), 1);
    let lines = timeline(&s, &wo.work_order_id).await;
    assert_eq!(
        lines
            .iter()
            .filter(|(a, _)| a == "compensation_granted")
            .count(),
        1
    );
    assert_eq!(
        lines
            .iter()
            .filter(|(a, _)| a == "compensation_delivered")
            .count(),
        1
    );
    s.stop().await;
}

async fn limits_follow_the_role_and_the_yearly_cap_holds_under_concurrency(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let wo = open(&s, &s.admin, intake("cap-1", &f.shenzhen.branch_id)).await;
    let id = wo.work_order_id.clone();
    let voucher = pb::CompensationKind::Voucher;
    let dir = director(&s, &f.shenzhen);
    let err = s
        .client()
        .grant_compensation(req(&dir, grant("v-big", &id, voucher, 600, "")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(
        err.message().contains("region or group"),
        "{}",
        err.message()
    );
    let err = s
        .client()
        .grant_compensation(req(
            &dir,
            grant("refund", &id, pb::CompensationKind::Refund, 50, ""),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let gm = s.token(
        "gm-gd",
        Role::RegionAdmin,
        OrgScope::Region("guangdong".into()),
    );
    let regional = s
        .client()
        .grant_compensation(req(&gm, grant("v-region", &id, voucher, 600, "")))
        .await
        .expect("the region may")
        .into_inner()
        .compensation
        .unwrap();
    assert_eq!(regional.cost_bearer, "region:guangdong");
    let err = s
        .client()
        .grant_compensation(req(&s.admin, grant("bad", &id, voucher, 0, "x")))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["value.minor_units", "exam_item_id"]);
    // 3,000 CNY a year per customer; 600 are used. Six concurrent 500s: four fit, 400
    // are left.
    let calls = (0..6).map(|i| {
        let mut c = s.client();
        let token = s.admin.clone();
        let r = grant(&format!("v-{i}"), &id, voucher, 500, "");
        tokio::spawn(async move { c.grant_compensation(req(&token, r)).await })
    });
    let mut granted = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => granted += 1,
            Err(e) => assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}"),
        }
    }
    assert_eq!(granted, 4);
    let err = s
        .client()
        .grant_compensation(req(&s.admin, grant("v-last", &id, voucher, 401, "")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.message().contains("3000.00"), "{}", err.message());
    assert_eq!(get(&s, &id).await.compensations.len(), 5);
    s.stop().await;
}

async fn a_gift_scheduling_refuses_is_recorded_as_failed_and_frees_the_cap(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let (_apt, wo) = case_with_visit(&s, &f, 2).await;
    let dir = director(&s, &f.shenzhen);
    // The ECG is already in the customer's package.
    let comp = s
        .client()
        .grant_compensation(req(
            &dir,
            grant(
                "g-ecg",
                &wo.work_order_id,
                pb::CompensationKind::ComplimentaryItem,
                300,
                &f.ecg.exam_item_id,
            ),
        ))
        .await
        .expect("recorded")
        .into_inner()
        .compensation
        .unwrap();
    assert_eq!(comp.delivery, pb::DeliveryStatus::Failed as i32);
    assert!(
        comp.delivery_detail.contains("already"),
        "{}",
        comp.delivery_detail
    );
    // The failed 300 no longer counts: the whole 3,000 is still there.
    s.client()
        .grant_compensation(req(
            &s.admin,
            grant(
                "v-all",
                &wo.work_order_id,
                pb::CompensationKind::Voucher,
                3000,
                "",
            ),
        ))
        .await
        .expect("cap freed");
    let lines = timeline(&s, &wo.work_order_id).await;
    assert!(
        lines.iter().any(|(a, _)| a == "compensation_failed"),
        "{lines:?}"
    );
    s.stop().await;
}
