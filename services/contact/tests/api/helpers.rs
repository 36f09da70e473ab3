//! Contact's tests on the shared test support: scheduling and contact in-process on fresh
//! databases of either backend, one manual clock (Monday 2026-11-30 08:00 in Shanghai),
//! tokens for every role, a branch with plain and fasting packages, and customers who
//! agreed to reminders.

use contact_service::Service as Contact;
use hospital_proto::{
    common,
    contact::{self as pb, contact_service_client::ContactServiceClient},
    scheduling::{self as sched, scheduling_service_client::SchedulingServiceClient},
};
use jiff::Timestamp;
use scheduling_service::Service as Scheduling;
use secrecy::SecretString;
use service_kit::auth::{OrgScope, Role};
use test_support::{TestService, World, scheduling as fx};
use tonic::transport::Channel;

pub use test_support::{Backend, backend_tests, bad_fields, req, until};

pub struct Suite {
    pub scheduling: TestService<Scheduling>,
    pub contact: TestService<Contact>,
    pub world: World,
    pub admin: String,
    pub sched: SchedulingServiceClient<Channel>,
    pub client: ContactServiceClient<Channel>,
}

/// Scheduling and contact, contact configured by `configure` (on top of a 20 ms sweep and
/// an ID-number key).
pub async fn spawn_with(
    backend: Backend,
    configure: impl FnOnce(&mut contact_service::Settings),
) -> Suite {
    let world = World::new(backend);
    let scheduling = TestService::<Scheduling>::start(&world, |_| {}).await;
    let contact = TestService::<Contact>::start(&world, |s| {
        s.reminders.sweep_interval_ms = 20;
        s.scheduling.endpoint = scheduling.endpoint();
        s.complaints.follow_events = false;
        s.identity.hash_key = Some(SecretString::from("test-identity-key"));
        configure(s);
    })
    .await;
    Suite {
        sched: SchedulingServiceClient::new(scheduling.channel()),
        client: ContactServiceClient::new(contact.channel()),
        admin: world.admin(),
        scheduling,
        contact,
        world,
    }
}

pub async fn spawn(backend: Backend) -> Suite {
    spawn_with(backend, |_| {}).await
}

impl Suite {
    pub async fn restart_scheduling(&mut self) {
        self.scheduling.restart().await;
        self.sched = SchedulingServiceClient::new(self.scheduling.channel());
    }

    pub async fn restart_contact(&mut self) {
        self.contact.restart().await;
        self.client = ContactServiceClient::new(self.contact.channel());
    }

    pub async fn stop(mut self) {
        self.contact.stop().await;
        self.scheduling.stop().await;
    }

    pub fn token(&self, subject: &str, role: Role, scope: OrgScope) -> String {
        self.world.token(subject, role, scope)
    }

    pub fn client(&self) -> ContactServiceClient<Channel> {
        self.client.clone()
    }

    pub fn sched(&self) -> SchedulingServiceClient<Channel> {
        self.sched.clone()
    }

    /// Moves the clock to local Shanghai time `at` ("2026-12-02T10:00") and lets the
    /// sweeps run.
    pub async fn at(&self, at: &str) {
        let target = local(at);
        let now = service_kit::clock::Clock::now(&self.world.clock);
        let minutes = target.duration_since(now).as_secs() / 60;
        assert!(minutes >= 0, "the clock does not go back ({at})");
        self.world.advance(minutes);
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

/// Local Shanghai time as an instant.
pub fn local(at: &str) -> Timestamp {
    at.parse::<jiff::civil::DateTime>()
        .expect("a local date and time")
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .expect("a Shanghai time")
        .timestamp()
}

/// An instant on the wire as local Shanghai time ("2026-12-02T10:00:00").
pub fn shown(t: &Option<prost_types::Timestamp>) -> String {
    let t = t.as_ref().expect("a time");
    Timestamp::new(t.seconds, t.nanos)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .datetime()
        .to_string()
}

/// A branch in Shenzhen open Monday to Saturday with 08:30–09:00 and 14:00–14:30 arrival
/// windows all week; a plain package and one with a fasting blood draw.
pub struct Fixture {
    pub branch: sched::Branch,
    pub plain: sched::Package,
    pub fasting: sched::Package,
}

pub async fn fixture(s: &Suite) -> Fixture {
    let mut c = s.sched();
    let mut spec = fx::BranchSpec::new("SZ-FT-01", "guangdong", "shenzhen")
        .name("深圳福田体检中心")
        .windows(&[((8, 30), (9, 0)), ((14, 0), (14, 30))]);
    spec.hours = ((7, 0), (17, 0));
    let branch = fx::create_branch(&mut c, &s.admin, &spec).await;
    let ecg = fx::create_item(&mut c, &s.admin, &fx::ItemSpec::new("ECG", "心电图", 1)).await;
    let mut blood = fx::ItemSpec::new("BLD", "抽血", 0);
    blood.fasting = true;
    let blood = fx::create_item(&mut c, &s.admin, &blood).await;
    let plain = fx::create_package(&mut c, &s.admin, "PLAIN", "基础套餐", &[&ecg], 19_900).await;
    let fasting = fx::create_package(
        &mut c,
        &s.admin,
        "FAST",
        "入职套餐",
        &[&blood, &ecg],
        39_900,
    )
    .await;
    Fixture {
        branch,
        plain,
        fasting,
    }
}

/// The call centre's agent, who books for the whole group and sees numbers in full.
pub fn agent(s: &Suite) -> String {
    s.token("agent-7", Role::CallCentreAgent, OrgScope::Group)
}

/// Customer `n` (mobile 139000000nn), agreeing to reminders, as the call centre's desk
/// finds or creates them before booking (so with the number in full).
pub async fn customer(s: &Suite, n: u32) -> pb::Customer {
    s.client()
        .find_or_create_customer(req(
            &agent(s),
            pb::FindOrCreateCustomerRequest {
                request_id: format!("cus-{n}"),
                phone: format!("139{n:08}"),
                name: format!("客户{n}"),
                consents: vec![pb::ConsentInput {
                    purpose: pb::Purpose::Reminders as i32,
                    granted: true,
                    method: pb::ConsentMethod::Verbal as i32,
                    source: "front-desk:nurse-li".into(),
                }],
                ..Default::default()
            },
        ))
        .await
        .expect("find or create")
        .into_inner()
        .customer
        .expect("a customer")
}

/// Books `customer` at the branch on `day` ("2026-12-03") in the window starting at
/// `hours:minutes`.
pub async fn book(
    s: &Suite,
    f: &Fixture,
    package: &sched::Package,
    customer: &pb::Customer,
    day: &str,
    hours: i32,
    minutes: i32,
) -> sched::Appointment {
    let slot = slot(s, f, package, day, hours, minutes).await;
    fx::book(
        &mut s.sched(),
        &s.admin,
        &format!("book-{}-{day}", customer.customer_id),
        &slot,
        &package.package_id,
        sched::CustomerInput {
            customer_id: customer.customer_id.clone(),
            name: customer.name.clone(),
            phone: customer.phone.clone(),
        },
    )
    .await
    .expect("book")
}

/// The slot id at the branch on `day` at `hours:minutes`.
pub async fn slot(
    s: &Suite,
    f: &Fixture,
    package: &sched::Package,
    day: &str,
    hours: i32,
    minutes: i32,
) -> String {
    let d: jiff::civil::Date = day.parse().unwrap();
    let date = common::Date {
        year: d.year().into(),
        month: d.month().into(),
        day: d.day().into(),
    };
    fx::slots(
        &mut s.sched(),
        &s.admin,
        &f.branch.branch_id,
        &package.package_id,
        date,
        date,
    )
    .await
    .into_iter()
    .find(|x| {
        x.start
            .as_ref()
            .is_some_and(|t| t.hours == hours && t.minutes == minutes)
    })
    .expect("a slot at that time")
    .slot_id
}

/// The visit's reminders once contact has planned them.
pub async fn planned(s: &Suite, appointment_id: &str) -> Vec<pb::Reminder> {
    until("the visit's reminders", || async {
        let r = s
            .client()
            .list_reminders(req(
                &s.admin,
                pb::ListRemindersRequest {
                    appointment_id: appointment_id.into(),
                },
            ))
            .await
            .ok()?
            .into_inner()
            .reminders;
        (!r.is_empty()).then_some(r)
    })
    .await
}

/// The visit's reminders now.
pub async fn reminders(s: &Suite, appointment_id: &str) -> Vec<pb::Reminder> {
    s.client()
        .list_reminders(req(
            &s.admin,
            pb::ListRemindersRequest {
                appointment_id: appointment_id.into(),
            },
        ))
        .await
        .expect("list reminders")
        .into_inner()
        .reminders
}

/// Every message handed over so far, oldest first.
pub async fn messages(s: &Suite) -> Vec<pb::Message> {
    let mut m = s
        .client()
        .list_messages(req(
            &s.admin,
            pb::ListMessagesRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .expect("list messages")
        .into_inner()
        .messages;
    m.reverse();
    m
}

/// Waits until `n` messages have been handed over (a loaded machine may take longer than
/// one sweep); all of them, oldest first.
pub async fn messages_reach(s: &Suite, n: usize) -> Vec<pb::Message> {
    until(&format!("{n} messages"), || async {
        let m = messages(s).await;
        (m.len() >= n).then_some(m)
    })
    .await
}

/// (kind, status, due local time) of each reminder.
pub fn plan_of(r: &[pb::Reminder]) -> Vec<(pb::ReminderKind, pb::ReminderStatus, String)> {
    r.iter()
        .map(|r| {
            (
                r.kind(),
                r.status(),
                if r.status == pb::ReminderStatus::Skipped as i32 {
                    String::new()
                } else {
                    shown(&r.due_at)
                },
            )
        })
        .collect()
}

// ---------------------------------------------------------------- follow-up

pub async fn consent(s: &Suite, c: &pb::Customer, purpose: pb::Purpose, granted: bool, n: &str) {
    s.client()
        .record_consent(req(
            &agent(s),
            pb::RecordConsentRequest {
                request_id: format!("consent-{n}"),
                customer_id: c.customer_id.clone(),
                consent: Some(pb::ConsentInput {
                    purpose: purpose as i32,
                    granted,
                    method: pb::ConsentMethod::Verbal as i32,
                    source: "call-centre:agent-7".into(),
                }),
            },
        ))
        .await
        .expect("consent");
}

/// Checks the booked visit in and takes it through every exam item.
pub async fn complete(s: &Suite, f: &Fixture, appointment_id: &str) {
    let mut sched = s.sched();
    fx::check_in(&mut sched, &s.admin, appointment_id).await;
    fx::complete_visit(&mut sched, &s.admin, &f.branch.branch_id, appointment_id).await;
}

/// Books `c` for today 14:00, checks in and completes the visit.
pub async fn completed_visit(s: &Suite, f: &Fixture, c: &pb::Customer) -> String {
    completed_visit_at(s, f, c, 14, 0).await
}

/// Books `c` for today at `hours:minutes` (a window of the fixture), moves the clock
/// there, checks in and completes the visit.
pub async fn completed_visit_at(
    s: &Suite,
    f: &Fixture,
    c: &pb::Customer,
    hours: i32,
    minutes: i32,
) -> String {
    let apt = fx::book(
        &mut s.sched(),
        &s.admin,
        &format!("book-{}-{hours}", c.customer_id),
        &slot(s, f, &f.plain, "2026-11-30", hours, minutes).await,
        &f.plain.package_id,
        sched::CustomerInput {
            customer_id: c.customer_id.clone(),
            name: c.name.clone(),
            phone: c.phone.clone(),
        },
    )
    .await
    .expect("book");
    s.at(&format!("2026-11-30T{hours:02}:{minutes:02}")).await;
    complete(s, f, &apt.appointment_id).await;
    apt.appointment_id
}

pub fn doctor(s: &Suite, f: &Fixture) -> String {
    s.token(
        "dr-wang",
        Role::HealthManager,
        OrgScope::Branch(f.branch.branch_id.clone()),
    )
}

pub async fn outcome(
    s: &Suite,
    f: &Fixture,
    apt: &str,
    outcome: pb::VisitOutcome,
    summary: &str,
) -> pb::FollowUpPlan {
    // Until contact has seen the visit completed (NOT_FOUND, then FAILED_PRECONDITION).
    until("contact records the outcome", || async {
        let r = s
            .client()
            .record_visit_outcome(req(
                &doctor(s, f),
                pb::RecordVisitOutcomeRequest {
                    request_id: format!("outcome-{apt}"),
                    appointment_id: apt.into(),
                    outcome: outcome as i32,
                    summary: summary.into(),
                },
            ))
            .await;
        match r {
            Ok(r) => r.into_inner().plan,
            Err(e)
                if matches!(
                    e.code(),
                    tonic::Code::NotFound | tonic::Code::FailedPrecondition
                ) =>
            {
                None
            }
            Err(e) => panic!("record outcome: {e:?}"),
        }
    })
    .await
}

pub async fn declare(s: &Suite, id: &str, team: &str, skills: &[pb::Skill]) {
    s.client()
        .set_agent(req(
            &s.admin,
            pb::SetAgentRequest {
                agent: Some(pb::Agent {
                    agent_id: id.into(),
                    team: team.into(),
                    skills: skills.iter().map(|k| *k as i32).collect(),
                    tasks_per_day: 40,
                    working_days: vec![],
                }),
            },
        ))
        .await
        .expect("declare agent");
}

pub async fn claim(s: &Suite, token: &str) -> Option<pb::Task> {
    s.client()
        .claim_next(req(token, pb::ClaimNextRequest {}))
        .await
        .expect("claim")
        .into_inner()
        .task
}

pub async fn call(
    s: &Suite,
    token: &str,
    task: &str,
    rid: &str,
    outcome: pb::CallOutcome,
    note: &str,
) -> Result<pb::Task, tonic::Status> {
    s.client()
        .record_call_outcome(req(
            token,
            pb::RecordCallOutcomeRequest {
                request_id: rid.into(),
                task_id: task.into(),
                outcome: outcome as i32,
                note: note.into(),
                ..Default::default()
            },
        ))
        .await
        .map(|r| r.into_inner().task.expect("a task"))
}

pub async fn escalated(s: &Suite, token: &str) -> Vec<pb::Task> {
    s.client()
        .list_tasks(req(
            token,
            pb::ListTasksRequest {
                escalated_only: true,
                ..Default::default()
            },
        ))
        .await
        .expect("list tasks")
        .into_inner()
        .tasks
}
