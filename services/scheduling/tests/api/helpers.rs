//! Scheduling's tests on the shared test support: the service in-process on a fresh
//! database of either backend (`test_support`), plus the fixture these tests share — one
//! branch with a fasting and a plain package.

use hospital_proto::scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient};
use service_kit::auth::{OrgScope, Role};
use test_support::{TestService, World, scheduling as fx};
use tonic::transport::Channel;

pub use test_support::{
    Backend, bad_fields, req,
    scheduling::{customer, date, tod},
};

pub struct TestApp {
    pub svc: TestService<scheduling_service::Service>,
    pub client: SchedulingServiceClient<Channel>,
    pub admin: String,
    pub world: World,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let world = World::new(backend);
    let svc = TestService::start(&world, |s: &mut scheduling_service::Settings| {
        s.visits.breach_sweep_interval_ms = 20;
    })
    .await;
    TestApp {
        client: SchedulingServiceClient::new(svc.channel()),
        admin: world.token("admin", Role::GroupAdmin, OrgScope::Group),
        svc,
        world,
    }
}

impl TestApp {
    /// Stops the service (if running) and starts it again on the same port and database.
    pub async fn restart(&mut self) {
        self.svc.restart().await;
        self.client = SchedulingServiceClient::new(self.svc.channel());
    }

    pub async fn stop(mut self) {
        self.svc.stop().await;
    }

    pub fn token(&self, role: Role, scope: OrgScope) -> String {
        self.world.token_for(role, scope)
    }

    pub fn advance(&self, minutes: i64) {
        self.world.advance(minutes);
    }

    pub fn client(&self) -> SchedulingServiceClient<Channel> {
        self.client.clone()
    }

    pub fn settings(&mut self) -> &mut scheduling_service::Settings {
        &mut self.svc.settings
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.svc.addr()
    }
}

/// A branch open Monday to Saturday 07:00–12:00 with three 30-minute arrival windows a
/// day, slots for the first week of December, a fasting package and a plain one.
pub struct Fixture {
    pub branch: pb::Branch,
    pub fasting_package: pb::Package,
    pub plain_package: pb::Package,
    pub items: Vec<pb::ExamItem>,
    /// Monday 30 Nov 08:30 local (the clock starts at 08:00).
    pub slot: pb::Slot,
    pub slots: Vec<pb::Slot>,
}

pub async fn create_branch(
    app: &TestApp,
    code: &str,
    province: &str,
    city: &str,
    capacity: u32,
) -> pb::Branch {
    let spec = fx::BranchSpec::new(code, province, city).capacity(capacity);
    fx::create_branch(&mut app.client(), &app.admin, &spec).await
}

pub async fn create_item(
    app: &TestApp,
    code: &'static str,
    name: &'static str,
    dept: &'static str,
    minutes: u32,
    fasting: bool,
    hint: i32,
) -> pb::ExamItem {
    let spec = fx::ItemSpec {
        code,
        name,
        department: dept,
        minutes,
        fasting,
        order_hint: hint,
        price_fen: 8_000,
    };
    fx::create_item(&mut app.client(), &app.admin, &spec).await
}

pub async fn create_package(app: &TestApp, code: &str, items: &[&pb::ExamItem]) -> pb::Package {
    let name = format!("套餐 {code}");
    fx::create_package(&mut app.client(), &app.admin, code, &name, items, 59_900).await
}

pub async fn fixture(app: &TestApp, capacity: u32) -> Fixture {
    let branch = create_branch(app, "SZ-FT-01", "guangdong", "shenzhen", capacity).await;
    let blood = create_item(app, "BLOOD", "空腹采血", "检验科", 5, true, 1).await;
    let ultrasound = create_item(app, "US-ABD", "腹部彩超", "超声科", 15, true, 2).await;
    let ecg = create_item(app, "ECG", "心电图", "心电图室", 10, false, 3).await;
    let eyes = create_item(app, "EYE", "眼科检查", "眼科", 10, false, 4).await;
    let fasting_package = create_package(app, "FULL", &[&eyes, &ecg, &ultrasound, &blood]).await;
    let plain_package = create_package(app, "BASIC", &[&ecg, &eyes]).await;
    let slots = fx::slots(
        &mut app.client(),
        &app.admin,
        &branch.branch_id,
        &plain_package.package_id,
        fx::monday(),
        fx::sunday(),
    )
    .await;
    let slot = slots
        .iter()
        .find(|s| s.date == Some(date(2026, 11, 30)) && s.start == Some(tod(8, 30)))
        .expect("Monday 08:30 slot")
        .clone();
    Fixture {
        branch,
        fasting_package,
        plain_package,
        items: vec![blood, ultrasound, ecg, eyes],
        slot,
        slots,
    }
}

pub async fn book(
    app: &TestApp,
    token: &str,
    request_id: &str,
    slot: &pb::Slot,
    package: &pb::Package,
    n: u32,
) -> Result<pb::Appointment, tonic::Status> {
    fx::book(
        &mut app.client(),
        token,
        request_id,
        &slot.slot_id,
        &package.package_id,
        customer(n),
    )
    .await
}

/// One item of a `Subscribe` stream as the event it carries.
pub fn event(
    r: Result<pb::SubscribeResponse, tonic::Status>,
) -> Result<pb::SchedulingEvent, tonic::Status> {
    r.map(|r| r.event.expect("an event in every response"))
}

/// Checks the customer of `apt` in; the visit with its queue entries.
pub async fn check_in(app: &TestApp, apt: &pb::Appointment) -> pb::Visit {
    fx::check_in(&mut app.client(), &app.admin, &apt.appointment_id).await
}
