use hospital_proto::{common, complaints as pb, scheduling as sched};
use service_kit::auth::{OrgScope, Role};
use test_support::backend_tests;
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    an_exam_item_is_refused_on_a_work_order_and_a_voucher_is_granted_once,
    limits_follow_the_role_and_the_yearly_cap_holds_under_concurrency,
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

async fn an_exam_item_is_refused_on_a_work_order_and_a_voucher_is_granted_once(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let (apt, wo) = case_with_visit(&s, &f, 1).await;
    let item = f.ultrasound.exam_item_id.clone();
    let voucher = pb::CompensationKind::Voucher;
    let nurse = s.token(
        "nurse-3",
        Role::FrontDesk,
        OrgScope::Branch(f.shenzhen.branch_id.clone()),
    );
    let err = s
        .client()
        .grant_compensation(req(
            &nurse,
            grant("g-0", &wo.work_order_id, voucher, 180, ""),
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
    // An exam item with a typed value: refused, pointing at the one way in.
    let err = s
        .client()
        .grant_compensation(req(
            &dir,
            grant(
                "g-item",
                &wo.work_order_id,
                pb::CompensationKind::ComplimentaryItem,
                1,
                &item,
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("DecideRecovery"),
        "{}",
        err.message()
    );
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(
            s.client()
                .grant_compensation(req(&dir, grant("g-1", &wo.work_order_id, voucher, 180, "")))
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
    // Nothing reached the visit.
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
    assert!(shown.complimentary_items.is_empty(), "{shown:?}");
    let lines = timeline(&s, &wo.work_order_id).await;
    assert_eq!(
        lines
            .iter()
            .filter(|(a, _)| a == "compensation_granted")
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
