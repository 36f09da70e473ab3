//! Complaints' tests on the shared test support: scheduling and complaints in-process on
//! fresh databases of either backend, one clock the test controls, tokens for every role,
//! and the scheduling fixture these tests share (three branches, a two-item package).

use complaints_service::Service as Complaints;
use hospital_proto::{
    complaints::{self as pb, complaints_service_client::ComplaintsServiceClient},
    scheduling::{self as sched, scheduling_service_client::SchedulingServiceClient},
};
use scheduling_service::Service as Scheduling;
use service_kit::auth::{OrgScope, Role};
use test_support::{TestService, World, scheduling as fx};
use tonic::transport::Channel;

pub use test_support::{Backend, bad_fields, eventually, req, scheduling::date};

pub struct Suite {
    pub scheduling: TestService<Scheduling>,
    pub complaints: TestService<Complaints>,
    pub world: World,
    pub admin: String,
    pub sched: SchedulingServiceClient<Channel>,
    pub client: ComplaintsServiceClient<Channel>,
}

pub async fn spawn(backend: Backend) -> Suite {
    let world = World::new(backend);
    let scheduling = TestService::<Scheduling>::start(&world, |s| {
        s.visits.breach_sweep_interval_ms = 20;
    })
    .await;
    let complaints = TestService::<Complaints>::start(&world, |s| {
        s.sla.sweep_interval_ms = 20;
        s.scheduling.endpoint = scheduling.endpoint();
        s.contact.follow_events = false;
    })
    .await;
    Suite {
        sched: SchedulingServiceClient::new(scheduling.channel()),
        client: ComplaintsServiceClient::new(complaints.channel()),
        admin: world.admin(),
        scheduling,
        complaints,
        world,
    }
}

impl Suite {
    /// Stops scheduling (if running) and starts it again on the same port and database.
    pub async fn restart_scheduling(&mut self) {
        self.scheduling.restart().await;
        self.sched = SchedulingServiceClient::new(self.scheduling.channel());
    }

    /// Stops complaints (if running) and starts it again on the same database.
    pub async fn restart_complaints(&mut self) {
        self.complaints.restart().await;
        self.client = ComplaintsServiceClient::new(self.complaints.channel());
    }

    pub async fn stop_complaints(&mut self) {
        self.complaints.stop().await;
    }

    pub async fn stop(mut self) {
        self.complaints.stop().await;
        self.scheduling.stop().await;
    }

    pub fn token(&self, subject: &str, role: Role, scope: OrgScope) -> String {
        self.world.token(subject, role, scope)
    }

    pub fn advance(&self, minutes: i64) {
        self.world.advance(minutes);
    }

    pub fn client(&self) -> ComplaintsServiceClient<Channel> {
        self.client.clone()
    }

    pub fn sched(&self) -> SchedulingServiceClient<Channel> {
        self.sched.clone()
    }

    /// Runs the SLA timers now instead of waiting for the next sweep.
    pub async fn sweep(&self) {
        self.complaints.app().sweep_timers().await.expect("sweep");
    }
}

/// Two branches in Guangdong (Shenzhen, Guangzhou) and one in Shanghai, open Monday to
/// Saturday 07:00–12:00 with a 30-minute wait promise; a two-item package.
pub struct Fixture {
    pub shenzhen: sched::Branch,
    pub guangzhou: sched::Branch,
    pub shanghai: sched::Branch,
    pub package: sched::Package,
    /// Not in the package: what a director gives.
    pub ultrasound: sched::ExamItem,
}

async fn branch(s: &Suite, code: &str, province: &str, city: &str) -> sched::Branch {
    let spec = fx::BranchSpec::new(code, province, city).windows(&[((8, 30), (9, 30))]);
    fx::create_branch(&mut s.sched(), &s.admin, &spec).await
}

async fn item(s: &Suite, code: &'static str, name: &'static str, hint: i32) -> sched::ExamItem {
    fx::create_item(
        &mut s.sched(),
        &s.admin,
        &fx::ItemSpec::new(code, name, hint),
    )
    .await
}

pub async fn fixture(s: &Suite) -> Fixture {
    let shenzhen = branch(s, "SZ-01", "guangdong", "shenzhen").await;
    let guangzhou = branch(s, "GZ-01", "guangdong", "guangzhou").await;
    let shanghai = branch(s, "SH-01", "shanghai", "shanghai").await;
    let ecg = item(s, "ECG", "心电图", 1).await;
    let eyes = item(s, "EYE", "眼科检查", 2).await;
    let ultrasound = item(s, "US", "腹部彩超", 3).await;
    let mut c = s.sched();
    let package = fx::create_package(
        &mut c,
        &s.admin,
        "BASIC",
        "基础套餐",
        &[&ecg, &eyes],
        39_900,
    )
    .await;
    Fixture {
        shenzhen,
        guangzhou,
        shanghai,
        package,
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
    fx::booked_and_checked_in(&mut s.sched(), &s.admin, branch, &f.package, n).await
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

/// One item of a `Subscribe` stream as the event it carries.
pub fn event(
    r: Result<pb::SubscribeResponse, tonic::Status>,
) -> Result<pb::ComplaintsEvent, tonic::Status> {
    r.map(|r| r.event.expect("an event in every response"))
}
