use hospital_proto::complaints as pb;
use service_kit::auth::{OrgScope, Role};
use test_support::backend_tests;
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    intake_records_the_branch_masks_the_phone_and_gives_a_number,
    intake_is_idempotent_on_request_id_even_when_concurrent,
    intake_refuses_bad_fields_unknown_branches_and_foreign_scopes,
    lists_follow_the_callers_scope_and_queue,
);

async fn intake_records_the_branch_masks_the_phone_and_gives_a_number(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let agent = s.token("agent-42", Role::CallCentreAgent, OrgScope::Group);
    let wo = open(&s, &agent, intake("hotline-1", &f.shenzhen.branch_id)).await;
    assert!(wo.work_order_id.starts_with("wo_"));
    assert!(wo.number.starts_with("WO-"), "{}", wo.number);
    assert_eq!(wo.status, pb::Status::New as i32);
    assert_eq!(wo.level, pb::Level::Branch as i32);
    let branch = wo.branch.clone().unwrap();
    assert_eq!(branch.code, "SZ-01");
    assert_eq!(branch.region.unwrap().city, "shenzhen");
    assert_eq!(wo.customer.clone().unwrap().phone_masked, "138****5678");
    let sla = wo.sla.unwrap();
    assert!(sla.acknowledge_due_at.is_some() && sla.resolve_due_at.is_some());
    // Found again by the number an agent reads out, in any spacing.
    let spoken = wo.number.replace('-', " ").to_lowercase();
    let found = s
        .client()
        .get_work_order(req(
            &agent,
            pb::GetWorkOrderRequest {
                work_order_id: String::new(),
                number: spoken,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_order
        .unwrap();
    assert_eq!(found.work_order_id, wo.work_order_id);
    // A misheard digit finds nothing rather than someone else's case.
    let mut wrong = wo.number.clone().into_bytes();
    let last = wrong.len() - 1;
    wrong[last] = if wrong[last] == b'9' {
        b'0'
    } else {
        wrong[last] + 1
    };
    let err = s
        .client()
        .get_work_order(req(
            &agent,
            pb::GetWorkOrderRequest {
                work_order_id: String::new(),
                number: String::from_utf8(wrong).unwrap(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    // Nothing the service returns or records carries the full number.
    let lines = timeline(&s, &wo.work_order_id).await;
    assert_eq!(lines[0].0, "opened");
    assert!(!format!("{found:?}{lines:?}").contains("13812345678"));
    s.stop().await;
}

async fn intake_is_idempotent_on_request_id_even_when_concurrent(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let first = open(&s, &s.admin, intake("dup", &f.shenzhen.branch_id)).await;
    let again = open(&s, &s.admin, intake("dup", &f.shenzhen.branch_id)).await;
    assert_eq!(first.work_order_id, again.work_order_id);
    let calls = (0..12).map(|_| {
        let mut c = s.client();
        let token = s.admin.clone();
        let branch = f.guangzhou.branch_id.clone();
        tokio::spawn(async move {
            c.open_work_order(req(&token, intake("burst", &branch)))
                .await
        })
    });
    let mut ids = Vec::new();
    for call in calls {
        ids.push(
            call.await
                .unwrap()
                .expect("open")
                .into_inner()
                .work_order
                .unwrap()
                .work_order_id,
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let all = s
        .client()
        .list_work_orders(req(
            &s.admin,
            pb::ListWorkOrdersRequest {
                page_size: 100,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .work_orders;
    assert_eq!(all.len(), 2);
    s.stop().await;
}

async fn intake_refuses_bad_fields_unknown_branches_and_foreign_scopes(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let mut bad = intake("", "");
    bad.kind = 0;
    bad.customer = Some(pb::CustomerInput {
        customer_id: String::new(),
        name: String::new(),
        phone: "12345".into(),
    });
    bad.summary = "a\0b".into();
    let err = s
        .client()
        .open_work_order(req(&s.admin, bad))
        .await
        .unwrap_err();
    let fields = bad_fields(&err);
    for f in [
        "request_id",
        "kind",
        "branch_id",
        "customer.name",
        "customer.phone",
        "summary",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
    }
    let mut automatic = intake("auto", &f.shenzhen.branch_id);
    automatic.channel = pb::Channel::Automatic as i32;
    let err = s
        .client()
        .open_work_order(req(&s.admin, automatic))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["channel"]);
    let err = s
        .client()
        .open_work_order(req(&s.admin, intake("ghost", "br_does_not_exist")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // A branch system is bound to its own branch.
    let kiosk = s.token(
        "kiosk",
        Role::BranchSystem,
        OrgScope::Branch(f.guangzhou.branch_id.clone()),
    );
    let err = s
        .client()
        .open_work_order(req(&kiosk, intake("foreign", &f.shenzhen.branch_id)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let station = s.token(
        "station",
        Role::ExamStation,
        OrgScope::Branch(f.shenzhen.branch_id.clone()),
    );
    let err = s
        .client()
        .open_work_order(req(&station, intake("station", &f.shenzhen.branch_id)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    s.stop().await;
}

async fn lists_follow_the_callers_scope_and_queue(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let sz = open(&s, &s.admin, intake("sz", &f.shenzhen.branch_id)).await;
    let gz = open(&s, &s.admin, intake("gz", &f.guangzhou.branch_id)).await;
    let sh = open(&s, &s.admin, intake("sh", &f.shanghai.branch_id)).await;
    let list = |token: String, r: pb::ListWorkOrdersRequest| {
        let mut c = s.client();
        async move {
            let mut ids: Vec<String> = c
                .list_work_orders(req(&token, r))
                .await
                .expect("list")
                .into_inner()
                .work_orders
                .into_iter()
                .map(|w| w.work_order_id)
                .collect();
            ids.sort();
            ids
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let guangdong = s.token(
        "gm-gd",
        Role::RegionAdmin,
        OrgScope::Region("guangdong".into()),
    );
    assert_eq!(
        list(guangdong.clone(), Default::default()).await,
        sorted(vec![sz.work_order_id.clone(), gz.work_order_id.clone()])
    );
    let front = s.token(
        "nurse",
        Role::FrontDesk,
        OrgScope::Branch(f.shenzhen.branch_id.clone()),
    );
    assert_eq!(
        list(front.clone(), Default::default()).await,
        vec![sz.work_order_id.clone()]
    );
    assert_eq!(list(s.admin.clone(), Default::default()).await.len(), 3);
    // Reading another branch's work order is refused.
    let err = s
        .client()
        .get_work_order(req(
            &front,
            pb::GetWorkOrderRequest {
                work_order_id: sh.work_order_id.clone(),
                number: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // The province's queue holds only what escalated to it.
    let queue = pb::ListWorkOrdersRequest {
        my_queue: true,
        ..Default::default()
    };
    assert!(list(guangdong.clone(), queue.clone()).await.is_empty());
    for _ in 0..2 {
        s.client()
            .escalate_work_order(req(
                &s.admin,
                pb::EscalateWorkOrderRequest {
                    work_order_id: gz.work_order_id.clone(),
                    reason: "customer asks for the manager".into(),
                    expected_version: 0,
                },
            ))
            .await
            .expect("escalate");
    }
    assert_eq!(
        list(guangdong, queue.clone()).await,
        vec![gz.work_order_id.clone()]
    );
    assert_eq!(list(front, queue).await, vec![sz.work_order_id.clone()]);
    let by_phone = list(
        s.admin.clone(),
        pb::ListWorkOrdersRequest {
            customer_phone: "138 1234 5678".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_phone.len(), 3);
    let err = s
        .client()
        .list_work_orders(req(
            &s.admin,
            pb::ListWorkOrdersRequest {
                region_path: "guang%".into(),
                status: 42,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["status", "region_path"]);
    s.stop().await;
}
