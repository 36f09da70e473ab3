//! Starts scheduling and complaints for a test: fresh databases on the chosen backend,
//! both servers on ephemeral ports, one clock the test controls, tokens for every role,
//! and a branch with a package a customer can book and check in to.

use std::{net::SocketAddr, sync::Arc};

use complaints_service::{Running, Settings, start};
use hospital_proto::{
    common,
    complaints::{self as pb, complaints_service_client::ComplaintsServiceClient},
    scheduling::{self as sched, scheduling_service_client::SchedulingServiceClient},
};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use service_kit::{
    auth::{OrgScope, Role, TokenIssuer},
    clock::ManualClock,
};
use tonic::{Request, transport::Channel};

pub use service_kit::testing::Backend;

pub const SECRET: &str = "test-secret-not-for-production";

/// Monday 30 November 2026, 08:00 in Shanghai.
pub fn start_time() -> Timestamp {
    "2026-11-30T00:00:00Z".parse().unwrap()
}

pub struct Suite {
    scheduling: Option<scheduling_service::Running>,
    complaints: Option<Running>,
    pub sched_settings: scheduling_service::Settings,
    pub settings: Settings,
    sched_addr: Option<SocketAddr>,
    pub clock: ManualClock,
    pub issuer: TokenIssuer,
    pub admin: String,
    pub sched: SchedulingServiceClient<Channel>,
    pub client: ComplaintsServiceClient<Channel>,
    _dir: tempfile::TempDir,
}

pub async fn spawn(backend: Backend) -> Suite {
    let dir = tempfile::tempdir().unwrap();
    let mut sched_settings = scheduling_service::Settings::load(None).unwrap();
    sched_settings.database.url =
        SecretString::from(backend.fresh_url(dir.path(), "scheduling").await);
    sched_settings.auth.hs256_secret = Some(SecretString::from(SECRET));
    sched_settings.visits.breach_sweep_interval_ms = 20;
    let mut settings = Settings::load(None).unwrap();
    settings.database.url = SecretString::from(backend.fresh_url(dir.path(), "complaints").await);
    settings.auth.hs256_secret = Some(SecretString::from(SECRET));
    settings.sla.sweep_interval_ms = 20;
    let issuer = TokenIssuer::hs256(&SecretString::from(SECRET), "hospital-suite");
    let admin = issuer.issue("group-admin", Role::GroupAdmin, &OrgScope::Group, 3600);
    let lazy = Channel::from_static("http://127.0.0.1:1").connect_lazy();
    let mut suite = Suite {
        scheduling: None,
        complaints: None,
        sched_settings,
        settings,
        sched_addr: None,
        clock: ManualClock::new(start_time()),
        issuer,
        admin,
        sched: SchedulingServiceClient::new(lazy.clone()),
        client: ComplaintsServiceClient::new(lazy),
        _dir: dir,
    };
    suite.restart_scheduling().await;
    suite.restart_complaints().await;
    suite
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

impl Suite {
    /// Stops scheduling (if running) and starts it again on the same port and database.
    pub async fn restart_scheduling(&mut self) {
        self.stop_scheduling().await;
        let listener = tokio::net::TcpListener::bind(
            self.sched_addr
                .unwrap_or_else(|| "127.0.0.1:0".parse().unwrap()),
        )
        .await
        .unwrap();
        let running = scheduling_service::start(
            self.sched_settings.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .expect("scheduling starts");
        self.sched_addr = Some(running.addr);
        self.settings.scheduling.endpoint = format!("http://{}", running.addr);
        self.sched = SchedulingServiceClient::new(channel(running.addr).await);
        self.scheduling = Some(running);
    }

    pub async fn stop_scheduling(&mut self) {
        if let Some(r) = self.scheduling.take() {
            r.stop().await.expect("scheduling stops cleanly");
        }
    }

    /// Stops complaints (if running) and starts it again on the same database.
    pub async fn restart_complaints(&mut self) {
        self.stop_complaints().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = start(
            self.settings.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .expect("complaints starts");
        self.client = ComplaintsServiceClient::new(channel(running.addr).await);
        self.complaints = Some(running);
    }

    pub async fn stop_complaints(&mut self) {
        if let Some(r) = self.complaints.take() {
            r.stop().await.expect("complaints stops cleanly");
        }
    }

    pub async fn stop(mut self) {
        self.stop_complaints().await;
        self.stop_scheduling().await;
    }

    pub fn token(&self, subject: &str, role: Role, scope: OrgScope) -> String {
        self.issuer.issue(subject, role, &scope, 3600)
    }

    pub fn advance(&self, minutes: i64) {
        self.clock.advance(SignedDuration::from_mins(minutes));
    }

    pub fn client(&self) -> ComplaintsServiceClient<Channel> {
        self.client.clone()
    }

    pub fn sched(&self) -> SchedulingServiceClient<Channel> {
        self.sched.clone()
    }

    /// Runs the SLA timers now instead of waiting for the next sweep.
    pub async fn sweep(&self) {
        let app = &self.complaints.as_ref().expect("complaints running").app;
        app.sweep_timers().await.expect("sweep");
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

fn tod(h: i32, m: i32) -> common::TimeOfDay {
    common::TimeOfDay {
        hours: h,
        minutes: m,
    }
}

/// Two branches in Guangdong (Shenzhen, Guangzhou) and one in Shanghai, open Monday to
/// Saturday 07:00–12:00 with a 30-minute wait promise; a two-item package.
pub struct Fixture {
    pub shenzhen: sched::Branch,
    pub guangzhou: sched::Branch,
    pub shanghai: sched::Branch,
    pub package: sched::Package,
    pub ecg: sched::ExamItem,
    /// Not in the package: what a director gives.
    pub ultrasound: sched::ExamItem,
}

async fn branch(s: &Suite, code: &str, province: &str, city: &str) -> sched::Branch {
    let mut c = s.sched();
    let hours = (1..=6)
        .map(|d| sched::OpeningHours {
            weekday: d,
            opens: Some(tod(7, 0)),
            closes: Some(tod(12, 0)),
        })
        .collect();
    let b = c
        .create_branch(req(
            &s.admin,
            sched::CreateBranchRequest {
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
        .map(|d| sched::TemplateWindow {
            weekday: d,
            start: Some(tod(8, 30)),
            end: Some(tod(9, 30)),
            capacity: 50,
        })
        .collect();
    c.set_weekly_template(req(
        &s.admin,
        sched::SetWeeklyTemplateRequest {
            branch_id: b.branch_id.clone(),
            windows,
        },
    ))
    .await
    .expect("template");
    c.generate_slots(req(
        &s.admin,
        sched::GenerateSlotsRequest {
            branch_id: b.branch_id.clone(),
            from: Some(date(2026, 11, 30)),
            to: Some(date(2026, 12, 6)),
        },
    ))
    .await
    .expect("slots");
    b
}

async fn item(s: &Suite, code: &str, name: &str, hint: i32) -> sched::ExamItem {
    s.sched()
        .create_exam_item(req(
            &s.admin,
            sched::CreateExamItemRequest {
                request_id: format!("item-{code}"),
                code: code.into(),
                name: name.into(),
                department: "体检科".into(),
                duration_minutes: 10,
                fasting_required: false,
                order_hint: hint,
            },
        ))
        .await
        .expect("item")
        .into_inner()
        .exam_item
        .unwrap()
}

pub async fn fixture(s: &Suite) -> Fixture {
    let shenzhen = branch(s, "SZ-01", "guangdong", "shenzhen").await;
    let guangzhou = branch(s, "GZ-01", "guangdong", "guangzhou").await;
    let shanghai = branch(s, "SH-01", "shanghai", "shanghai").await;
    let ecg = item(s, "ECG", "心电图", 1).await;
    let eyes = item(s, "EYE", "眼科检查", 2).await;
    let ultrasound = item(s, "US", "腹部彩超", 3).await;
    let package = s
        .sched()
        .create_package(req(
            &s.admin,
            sched::CreatePackageRequest {
                request_id: "pkg-basic".into(),
                code: "BASIC".into(),
                name: "基础套餐".into(),
                exam_item_ids: vec![ecg.exam_item_id.clone(), eyes.exam_item_id.clone()],
                price: Some(common::Money {
                    currency_code: "CNY".into(),
                    minor_units: 39_900,
                }),
            },
        ))
        .await
        .expect("package")
        .into_inner()
        .package
        .unwrap();
    Fixture {
        shenzhen,
        guangzhou,
        shanghai,
        package,
        ecg,

        ultrasound,
    }
}

/// Books customer `n` at `branch` for Monday 08:30 and checks them in (the clock must be
/// within the arrival window).
pub async fn booked_and_checked_in(
    s: &Suite,
    f: &Fixture,
    branch: &sched::Branch,
    n: u32,
) -> sched::Appointment {
    let mut c = s.sched();
    let slots = c
        .search_availability(req(
            &s.admin,
            sched::SearchAvailabilityRequest {
                branch_id: branch.branch_id.clone(),
                package_id: f.package.package_id.clone(),
                from: Some(date(2026, 11, 30)),
                to: Some(date(2026, 11, 30)),
            },
        ))
        .await
        .expect("search")
        .into_inner()
        .slots;
    let apt = c
        .book_appointment(req(
            &s.admin,
            sched::BookAppointmentRequest {
                request_id: format!("book-{}-{n}", branch.code),
                slot_id: slots[0].slot_id.clone(),
                package_id: f.package.package_id.clone(),
                customer: Some(sched::CustomerInput {
                    customer_id: String::new(),
                    name: format!("客户{n}"),
                    phone: format!("139{n:08}"),
                }),
            },
        ))
        .await
        .expect("book")
        .into_inner()
        .appointment
        .unwrap();
    c.check_in(req(
        &s.admin,
        sched::CheckInRequest {
            appointment_id: apt.appointment_id.clone(),
        },
    ))
    .await
    .expect("check in");
    apt
}

pub fn intake(request_id: &str, branch_id: &str) -> pb::OpenWorkOrderRequest {
    pb::OpenWorkOrderRequest {
        request_id: request_id.into(),
        channel: pb::Channel::Hotline as i32,
        kind: pb::Kind::Complaint as i32,
        category: pb::Category::Attitude as i32,
        severity: pb::Severity::High as i32,
        customer: Some(pb::CustomerInput {
            customer_id: String::new(),
            name: "王女士".into(),
            phone: "13812345678".into(),
        }),
        branch_id: branch_id.into(),
        appointment_id: String::new(),
        staff_ids: vec!["staff-nurse-7".into()],
        summary: "前台态度冷淡".into(),
        description: "客户称导诊台无人回应".into(),
    }
}

pub async fn open(s: &Suite, token: &str, request: pb::OpenWorkOrderRequest) -> pb::WorkOrder {
    s.client()
        .open_work_order(req(token, request))
        .await
        .expect("open")
        .into_inner()
        .work_order
        .unwrap()
}

pub async fn get(s: &Suite, id: &str) -> pb::WorkOrder {
    s.client()
        .get_work_order(req(
            &s.admin,
            pb::GetWorkOrderRequest {
                work_order_id: id.into(),
                number: String::new(),
            },
        ))
        .await
        .expect("get")
        .into_inner()
        .work_order
        .unwrap()
}

pub async fn timeline(s: &Suite, id: &str) -> Vec<(String, String)> {
    s.client()
        .list_timeline(req(
            &s.admin,
            pb::ListTimelineRequest {
                work_order_id: id.into(),
                page_size: 500,
                page_token: String::new(),
            },
        ))
        .await
        .expect("timeline")
        .into_inner()
        .entries
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

pub fn director(s: &Suite, branch: &sched::Branch) -> String {
    s.token(
        "director-1",
        Role::BranchDirector,
        OrgScope::Branch(branch.branch_id.clone()),
    )
}

/// Waits (real time) until `check` holds, for at most five seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..250 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
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
