//! End to end: scheduling and complaints as separate servers talking gRPC. A customer's
//! wait runs past the promise, complaints opens a service-recovery case from scheduling's
//! event, the branch director grants a complimentary item, and it appears on the
//! appointment — with both services restarted mid-flow (one of them down when the grant is
//! made) and nothing lost or doubled.

use std::time::Duration;

use complaints_service::Service as Complaints;
use hospital_proto::{
    common,
    complaints::{self as cpb, complaints_service_client::ComplaintsServiceClient},
    scheduling::{self as spb, scheduling_service_client::SchedulingServiceClient},
};
use scheduling_service::Service as Scheduling;
use service_kit::auth::{OrgScope, Role};
use test_support::{
    Backend, TestService, World, backend_tests, req,
    scheduling::{self as fx, BranchSpec, ItemSpec, monday},
    until,
};
use tonic::transport::Channel;

backend_tests!(a_broken_wait_promise_ends_as_a_complimentary_item_on_the_visit);

async fn recovery_cases(
    c: &mut ComplaintsServiceClient<Channel>,
    token: &str,
) -> Vec<cpb::WorkOrder> {
    c.list_work_orders(req(
        token,
        cpb::ListWorkOrdersRequest {
            page_size: 100,
            ..Default::default()
        },
    ))
    .await
    .map(|r| r.into_inner().work_orders)
    .unwrap_or_default()
    .into_iter()
    .filter(|w| w.channel == cpb::Channel::Automatic as i32)
    .collect()
}

async fn a_broken_wait_promise_ends_as_a_complimentary_item_on_the_visit(backend: Backend) {
    let world = World::new(backend);
    let mut scheduling = TestService::<Scheduling>::start(&world, |s| {
        s.visits.breach_sweep_interval_ms = 20;
    })
    .await;
    let mut complaints_svc = TestService::<Complaints>::start(&world, |s| {
        s.sla.sweep_interval_ms = 20;
        s.scheduling.endpoint = scheduling.endpoint();
    })
    .await;
    let mut complaints = ComplaintsServiceClient::new(complaints_svc.channel());
    let mut sched = SchedulingServiceClient::new(scheduling.channel());
    let admin = world.admin();

    // A branch with a 30-minute wait promise, a two-item package, and a customer checked in.
    let spec = BranchSpec::new("SZ-FT-01", "guangdong", "shenzhen")
        .name("深圳福田分院")
        .template_weekdays(&[1])
        .windows(&[((8, 30), (9, 30))])
        .capacity(10)
        .slot_days(monday(), monday());
    let branch = fx::create_branch(&mut sched, &admin, &spec).await;
    let mut item_ids = Vec::new();
    for (code, name) in [("ECG", "心电图"), ("EYE", "眼科"), ("US", "腹部彩超")] {
        let item = fx::create_item(&mut sched, &admin, &ItemSpec::new(code, name, 0)).await;
        item_ids.push(item.exam_item_id);
    }
    let package = sched
        .create_package(req(
            &admin,
            spb::CreatePackageRequest {
                request_id: "pkg".into(),
                code: "BASIC".into(),
                name: "基础套餐".into(),
                exam_item_ids: item_ids[..2].to_vec(),
                price: Some(common::Money {
                    currency_code: "CNY".into(),
                    minor_units: 39_900,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .package
        .unwrap();
    let slot = fx::slots(
        &mut sched,
        &admin,
        &branch.branch_id,
        &package.package_id,
        monday(),
        monday(),
    )
    .await
    .remove(0);
    let customer = spb::CustomerInput {
        customer_id: String::new(),
        name: "陈先生".into(),
        phone: "13912345678".into(),
    };
    let apt = fx::book(
        &mut sched,
        &admin,
        "book-1",
        &slot.slot_id,
        &package.package_id,
        customer,
    )
    .await
    .unwrap();
    fx::check_in(&mut sched, &admin, &apt.appointment_id).await;

    // The first queue does not move past the promise: a recovery case appears.
    world.advance(31);
    let case = until("the recovery case", || {
        let mut c = complaints.clone();
        let admin = admin.clone();
        async move { recovery_cases(&mut c, &admin).await.pop() }
    })
    .await;
    assert_eq!(case.appointment_id, apt.appointment_id);
    assert_eq!(case.customer.as_ref().unwrap().phone_masked, "139****5678");

    // Both services restart; the case is neither lost nor opened again.
    scheduling.restart().await;
    complaints_svc.restart().await;
    complaints = ComplaintsServiceClient::new(complaints_svc.channel());
    world.advance(2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(recovery_cases(&mut complaints, &admin).await.len(), 1);

    // The director grants the ultrasound while scheduling is down: recorded, pending.
    let director = world.token(
        "director-zhang",
        Role::BranchDirector,
        OrgScope::Branch(branch.branch_id.clone()),
    );
    let grant = cpb::GrantCompensationRequest {
        request_id: "grant-1".into(),
        work_order_id: case.work_order_id.clone(),
        kind: cpb::CompensationKind::ComplimentaryItem as i32,
        value: Some(common::Money {
            currency_code: "CNY".into(),
            minor_units: 18_000,
        }),
        exam_item_id: item_ids[2].clone(),
        note: "排队超时致歉".into(),
    };
    scheduling.stop().await;
    let pending = complaints
        .grant_compensation(req(&director, grant.clone()))
        .await
        .unwrap()
        .into_inner()
        .compensation
        .unwrap();
    assert_eq!(pending.delivery, cpb::DeliveryStatus::Pending as i32);
    assert_eq!(pending.cost_bearer, format!("branch:{}", branch.branch_id));

    // Scheduling returns, complaints restarts too; the retry delivers it, once.
    scheduling.restart().await;
    complaints_svc.restart().await;
    complaints = ComplaintsServiceClient::new(complaints_svc.channel());
    sched = SchedulingServiceClient::new(scheduling.channel());
    world.advance(1);
    until("the delivery", || {
        let mut c = complaints.clone();
        let admin = admin.clone();
        let id = case.work_order_id.clone();
        async move {
            let wo = c
                .get_work_order(req(
                    &admin,
                    cpb::GetWorkOrderRequest {
                        work_order_id: id,
                        number: String::new(),
                    },
                ))
                .await
                .ok()?
                .into_inner()
                .work_order?;
            (wo.compensations.first()?.delivery == cpb::DeliveryStatus::Delivered as i32)
                .then_some(())
        }
    })
    .await;
    // The director's app retries the same grant after a timeout: nothing more happens.
    let again = complaints
        .grant_compensation(req(&director, grant))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.compensation.unwrap().compensation_id,
        pending.compensation_id
    );
    assert_eq!(again.work_order.unwrap().compensations.len(), 1);

    let shown = sched
        .get_appointment(req(
            &admin,
            spb::GetAppointmentRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    assert_eq!(shown.complimentary_items.len(), 1, "{shown:?}");
    assert_eq!(shown.complimentary_items[0].exam_item_id, item_ids[2]);
    assert_eq!(
        shown.complimentary_items[0].cost_bearer,
        format!("branch:{}", branch.branch_id)
    );
    let visit = sched
        .get_visit(req(
            &admin,
            spb::GetVisitRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .visit
        .unwrap();
    let gifts: Vec<_> = visit.entries.iter().filter(|e| e.complimentary).collect();
    assert_eq!(gifts.len(), 1);
    assert_eq!(gifts[0].exam_item_id, item_ids[2]);
    assert_eq!(recovery_cases(&mut complaints, &admin).await.len(), 1);

    complaints_svc.stop().await;
    scheduling.stop().await;
}
