//! End to end: scheduling and complaints as separate servers talking gRPC. A customer's
//! wait runs past the promise, complaints opens a service-recovery case from scheduling's
//! event, the branch director grants a complimentary item, and it appears on the
//! appointment — with both services restarted mid-flow (one of them down when the grant is
//! made) and nothing lost or doubled.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use hospital_proto::{
    common,
    complaints::{self as cpb, complaints_service_client::ComplaintsServiceClient},
    scheduling::{self as spb, scheduling_service_client::SchedulingServiceClient},
};
use jiff::SignedDuration;
use secrecy::SecretString;
use service_kit::{
    auth::{OrgScope, Role, TokenIssuer},
    backend_tests,
    clock::ManualClock,
    testing::Backend,
};
use tonic::{Request, transport::Channel};

const SECRET: &str = "e2e-secret-not-for-production";

backend_tests!(a_broken_wait_promise_ends_as_a_complimentary_item_on_the_visit);

struct Services {
    scheduling: Option<scheduling_service::Running>,
    complaints: Option<complaints_service::Running>,
    sched_settings: scheduling_service::Settings,
    settings: complaints_service::Settings,
    sched_addr: SocketAddr,
    clock: ManualClock,
}

impl Services {
    async fn start_scheduling(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.sched_addr)
            .await
            .unwrap();
        let r = scheduling_service::start(
            self.sched_settings.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .unwrap();
        self.sched_addr = r.addr;
        self.settings.scheduling.endpoint = format!("http://{}", r.addr);
        self.scheduling = Some(r);
    }

    async fn stop_scheduling(&mut self) {
        if let Some(r) = self.scheduling.take() {
            r.stop().await.unwrap();
        }
    }

    async fn restart_complaints(&mut self) -> ComplaintsServiceClient<Channel> {
        if let Some(r) = self.complaints.take() {
            r.stop().await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = complaints_service::start(
            self.settings.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .unwrap();
        let client = ComplaintsServiceClient::new(connect(r.addr).await);
        self.complaints = Some(r);
        client
    }
}

async fn connect(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn req<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

fn tod(hours: i32, minutes: i32) -> Option<common::TimeOfDay> {
    Some(common::TimeOfDay { hours, minutes })
}

fn monday() -> Option<common::Date> {
    Some(common::Date {
        year: 2026,
        month: 11,
        day: 30,
    })
}

async fn until<F, Fut, T>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

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
    let dir = tempfile::tempdir().unwrap();
    let mut sched_settings = scheduling_service::Settings::load(None).unwrap();
    sched_settings.database.url =
        SecretString::from(backend.fresh_url(dir.path(), "scheduling").await);
    sched_settings.auth.hs256_secret = Some(SecretString::from(SECRET));
    sched_settings.visits.breach_sweep_interval_ms = 20;
    let mut settings = complaints_service::Settings::load(None).unwrap();
    settings.database.url = SecretString::from(backend.fresh_url(dir.path(), "complaints").await);
    settings.auth.hs256_secret = Some(SecretString::from(SECRET));
    settings.sla.sweep_interval_ms = 20;
    let mut svc = Services {
        scheduling: None,
        complaints: None,
        sched_settings,
        settings,
        sched_addr: "127.0.0.1:0".parse().unwrap(),
        // Monday 30 November 2026, 08:00 in Shanghai.
        clock: ManualClock::new("2026-11-30T00:00:00Z".parse().unwrap()),
    };
    svc.start_scheduling().await;
    let mut complaints = svc.restart_complaints().await;
    let mut sched = SchedulingServiceClient::new(connect(svc.sched_addr).await);
    let issuer = TokenIssuer::hs256(&SecretString::from(SECRET), "hospital-suite");
    let admin = issuer.issue("group-admin", Role::GroupAdmin, &OrgScope::Group, 3600);

    // A branch with a 30-minute wait promise, a two-item package, and a customer checked in.
    let branch = sched
        .create_branch(req(
            &admin,
            spb::CreateBranchRequest {
                request_id: "b1".into(),
                code: "SZ-FT-01".into(),
                name: "深圳福田分院".into(),
                brand: "美年大健康".into(),
                region: Some(common::RegionPath {
                    province: "guangdong".into(),
                    city: "shenzhen".into(),
                }),
                opening_hours: (1..=6)
                    .map(|d| spb::OpeningHours {
                        weekday: d,
                        opens: tod(7, 0),
                        closes: tod(12, 0),
                    })
                    .collect(),
                wait_promise_minutes: 30,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .branch
        .unwrap();
    let mut item_ids = Vec::new();
    for (code, name) in [("ECG", "心电图"), ("EYE", "眼科"), ("US", "腹部彩超")] {
        let item = sched
            .create_exam_item(req(
                &admin,
                spb::CreateExamItemRequest {
                    request_id: format!("item-{code}"),
                    code: code.into(),
                    name: name.into(),
                    department: "体检科".into(),
                    duration_minutes: 10,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .exam_item
            .unwrap();
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
    sched
        .set_weekly_template(req(
            &admin,
            spb::SetWeeklyTemplateRequest {
                branch_id: branch.branch_id.clone(),
                windows: vec![spb::TemplateWindow {
                    weekday: 1,
                    start: tod(8, 30),
                    end: tod(9, 30),
                    capacity: 10,
                }],
            },
        ))
        .await
        .unwrap();
    sched
        .generate_slots(req(
            &admin,
            spb::GenerateSlotsRequest {
                branch_id: branch.branch_id.clone(),
                from: monday(),
                to: monday(),
            },
        ))
        .await
        .unwrap();
    let slot = sched
        .search_availability(req(
            &admin,
            spb::SearchAvailabilityRequest {
                branch_id: branch.branch_id.clone(),
                package_id: package.package_id.clone(),
                from: monday(),
                to: monday(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .slots
        .remove(0);
    let apt = sched
        .book_appointment(req(
            &admin,
            spb::BookAppointmentRequest {
                request_id: "book-1".into(),
                slot_id: slot.slot_id,
                package_id: package.package_id.clone(),
                customer: Some(spb::CustomerInput {
                    customer_id: String::new(),
                    name: "陈先生".into(),
                    phone: "13912345678".into(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    sched
        .check_in(req(
            &admin,
            spb::CheckInRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .unwrap();

    // The first queue does not move past the promise: a recovery case appears.
    svc.clock.advance(SignedDuration::from_mins(31));
    let case = until("the recovery case", || {
        let mut c = complaints.clone();
        let admin = admin.clone();
        async move { recovery_cases(&mut c, &admin).await.pop() }
    })
    .await;
    assert_eq!(case.appointment_id, apt.appointment_id);
    assert_eq!(case.customer.as_ref().unwrap().phone_masked, "139****5678");

    // Both services restart; the case is neither lost nor opened again.
    svc.stop_scheduling().await;
    svc.start_scheduling().await;
    complaints = svc.restart_complaints().await;
    svc.clock.advance(SignedDuration::from_mins(2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(recovery_cases(&mut complaints, &admin).await.len(), 1);

    // The director grants the ultrasound while scheduling is down: recorded, pending.
    let director = issuer.issue(
        "director-zhang",
        Role::BranchDirector,
        &OrgScope::Branch(branch.branch_id.clone()),
        3600,
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
    svc.stop_scheduling().await;
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
    svc.start_scheduling().await;
    complaints = svc.restart_complaints().await;
    sched = SchedulingServiceClient::new(connect(svc.sched_addr).await);
    svc.clock.advance(SignedDuration::from_mins(1));
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

    if let Some(r) = svc.complaints.take() {
        r.stop().await.unwrap();
    }
    svc.stop_scheduling().await;
}
