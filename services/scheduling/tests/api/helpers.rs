//! One way to start the service for a test: a fresh database (a SQLite file, or a new
//! PostgreSQL database when `TEST_DATABASE_URL` is set), the server on an ephemeral port,
//! a clock the test controls, tokens for every role.

use std::sync::Arc;

use hospital_proto::{
    common,
    scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use jiff::{SignedDuration, Timestamp};
use scheduling_service::{Running, Settings, start};
use secrecy::SecretString;
use service_kit::{
    auth::{OrgScope, Role, TokenIssuer},
    clock::ManualClock,
};
use tonic::{Request, transport::Channel};

pub const SECRET: &str = "test-secret-not-for-production";

pub use service_kit::testing::Backend;

/// Monday 30 November 2026, 08:00 in Shanghai.
pub fn start_time() -> Timestamp {
    "2026-11-30T00:00:00Z".parse().unwrap()
}

pub struct TestApp {
    pub running: Option<Running>,
    pub client: SchedulingServiceClient<Channel>,
    pub clock: ManualClock,
    pub issuer: TokenIssuer,
    pub admin: String,
    pub settings: Settings,
    _dir: tempfile::TempDir,
}

pub async fn database_url(backend: &Backend, dir: &std::path::Path) -> String {
    backend.fresh_url(dir, "scheduling").await
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&backend, dir.path()).await;
    let settings = test_settings(&url);
    let clock = ManualClock::new(start_time());
    let issuer = TokenIssuer::hs256(&SecretString::from(SECRET), "hospital-suite");
    let admin = issuer.issue("admin", Role::GroupAdmin, &OrgScope::Group, 3600);
    let mut app = TestApp {
        running: None,
        client: SchedulingServiceClient::new(
            Channel::from_static("http://127.0.0.1:1").connect_lazy(),
        ),
        clock,
        issuer,
        admin,
        settings,
        _dir: dir,
    };
    app.restart().await;
    app
}

pub fn test_settings(url: &str) -> Settings {
    let mut settings = Settings::load(None).expect("defaults load");
    settings.database.url = SecretString::from(url.to_owned());
    settings.auth.hs256_secret = Some(SecretString::from(SECRET));
    settings.visits.breach_sweep_interval_ms = 20;
    settings
}

impl TestApp {
    /// Stops the service (if running) and starts it again on the same database.
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = start(
            self.settings.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .expect("service starts");
        let endpoint = format!("http://{}", running.addr);
        let channel = Channel::from_shared(endpoint)
            .unwrap()
            .connect()
            .await
            .unwrap();
        self.client = SchedulingServiceClient::new(channel);
        self.running = Some(running);
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
    }

    pub fn token(&self, role: Role, scope: OrgScope) -> String {
        self.issuer
            .issue(&format!("{role:?}").to_lowercase(), role, &scope, 3600)
    }

    pub fn advance(&self, minutes: i64) {
        self.clock.advance(SignedDuration::from_mins(minutes));
    }

    pub fn client(&self) -> SchedulingServiceClient<Channel> {
        self.client.clone()
    }
}

/// A request carrying `token`.
pub fn req<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

pub fn date(y: i32, m: i32, d: i32) -> common::Date {
    common::Date {
        year: y,
        month: m,
        day: d,
    }
}

pub fn tod(h: i32, m: i32) -> common::TimeOfDay {
    common::TimeOfDay {
        hours: h,
        minutes: m,
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
    let mut c = app.client();
    let hours = (1..=6)
        .map(|d| pb::OpeningHours {
            weekday: d,
            opens: Some(tod(7, 0)),
            closes: Some(tod(12, 0)),
        })
        .collect();
    let branch = c
        .create_branch(req(
            &app.admin,
            pb::CreateBranchRequest {
                request_id: format!("branch-{code}"),
                code: code.into(),
                name: format!("{city} {code}"),
                brand: "美年大健康".into(),
                region: Some(common::RegionPath {
                    province: province.into(),
                    city: city.into(),
                }),
                time_zone: String::new(),
                opening_hours: hours,
                holidays: vec![],
                wait_promise_minutes: 30,
                fasting_arrival_cutoff: None,
            },
        ))
        .await
        .expect("create branch")
        .into_inner()
        .branch
        .unwrap();
    let windows = (1..=6)
        .flat_map(|d| {
            [(8, 0), (8, 30), (9, 0)].map(|(h, m)| pb::TemplateWindow {
                weekday: d,
                start: Some(tod(h, m)),
                end: Some(tod(h + (m + 30) / 60, (m + 30) % 60)),
                capacity,
            })
        })
        .collect();
    c.set_weekly_template(req(
        &app.admin,
        pb::SetWeeklyTemplateRequest {
            branch_id: branch.branch_id.clone(),
            windows,
        },
    ))
    .await
    .expect("set template");
    c.generate_slots(req(
        &app.admin,
        pb::GenerateSlotsRequest {
            branch_id: branch.branch_id.clone(),
            from: Some(date(2026, 11, 30)),
            to: Some(date(2026, 12, 6)),
        },
    ))
    .await
    .expect("generate slots");
    branch
}

pub async fn create_item(
    app: &TestApp,
    code: &str,
    name: &str,
    dept: &str,
    minutes: u32,
    fasting: bool,
    hint: i32,
) -> pb::ExamItem {
    app.client()
        .create_exam_item(req(
            &app.admin,
            pb::CreateExamItemRequest {
                request_id: format!("item-{code}"),
                code: code.into(),
                name: name.into(),
                department: dept.into(),
                duration_minutes: minutes,
                fasting_required: fasting,
                order_hint: hint,
            },
        ))
        .await
        .expect("create item")
        .into_inner()
        .exam_item
        .unwrap()
}

pub async fn create_package(app: &TestApp, code: &str, items: &[&pb::ExamItem]) -> pb::Package {
    app.client()
        .create_package(req(
            &app.admin,
            pb::CreatePackageRequest {
                request_id: format!("pkg-{code}"),
                code: code.into(),
                name: format!("套餐 {code}"),
                exam_item_ids: items.iter().map(|i| i.exam_item_id.clone()).collect(),
                price: Some(common::Money {
                    currency_code: "CNY".into(),
                    minor_units: 59_900,
                }),
            },
        ))
        .await
        .expect("create package")
        .into_inner()
        .package
        .unwrap()
}

pub async fn fixture(app: &TestApp, capacity: u32) -> Fixture {
    let branch = create_branch(app, "SZ-FT-01", "guangdong", "shenzhen", capacity).await;
    let blood = create_item(app, "BLOOD", "空腹采血", "检验科", 5, true, 1).await;
    let ultrasound = create_item(app, "US-ABD", "腹部彩超", "超声科", 15, true, 2).await;
    let ecg = create_item(app, "ECG", "心电图", "心电图室", 10, false, 3).await;
    let eyes = create_item(app, "EYE", "眼科检查", "眼科", 10, false, 4).await;
    let fasting_package = create_package(app, "FULL", &[&eyes, &ecg, &ultrasound, &blood]).await;
    let plain_package = create_package(app, "BASIC", &[&ecg, &eyes]).await;
    let slots = app
        .client()
        .search_availability(req(
            &app.admin,
            pb::SearchAvailabilityRequest {
                branch_id: branch.branch_id.clone(),
                package_id: plain_package.package_id.clone(),
                from: Some(date(2026, 11, 30)),
                to: Some(date(2026, 12, 6)),
            },
        ))
        .await
        .expect("search")
        .into_inner()
        .slots;
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

pub fn customer(n: u32) -> pb::CustomerInput {
    pb::CustomerInput {
        customer_id: String::new(),
        name: format!("客户{n}"),
        phone: format!("139{n:08}"),
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
    app.client()
        .book_appointment(req(
            token,
            pb::BookAppointmentRequest {
                request_id: request_id.into(),
                slot_id: slot.slot_id.clone(),
                package_id: package.package_id.clone(),
                customer: Some(customer(n)),
            },
        ))
        .await
        .map(|r| r.into_inner().appointment.unwrap())
}

/// The field names of an INVALID_ARGUMENT status.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default()
}
