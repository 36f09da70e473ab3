//! Customers: the same mobile is the same customer (also when created concurrently), the
//! ID number only as a hash and its last four, numbers in full only to those who call
//! customers and never in events or logs, scope, and every bad field named.

use std::sync::{Arc, Mutex};

use hospital_proto::contact as pb;
use service_kit::auth::{OrgScope, Role};
use tokio_stream::StreamExt;
use tonic::Code;

use crate::helpers::*;

backend_tests!(
    the_same_mobile_is_the_same_customer_even_when_created_at_once,
    id_numbers_are_kept_as_a_hash_and_numbers_shown_only_to_callers,
    a_branch_sees_its_own_customers_only,
    bad_input_is_refused_naming_every_field,
    no_phone_or_id_number_reaches_an_event_or_a_log,
);

const ID: &str = "11010519491231002X";

fn new_customer(request_id: &str, phone: &str) -> pb::FindOrCreateCustomerRequest {
    pb::FindOrCreateCustomerRequest {
        request_id: request_id.into(),
        phone: phone.into(),
        name: "王女士".into(),
        ..Default::default()
    }
}

async fn the_same_mobile_is_the_same_customer_even_when_created_at_once(backend: Backend) {
    let s = spawn(backend).await;
    let calls = (0..8).map(|i| {
        let mut c = s.client();
        let token = agent(&s);
        // The same number, typed several ways.
        let phone = ["13900000001", "+86 139 0000 0001", "139-0000-0001"][i % 3];
        let r = new_customer(&format!("create-{i}"), phone);
        tokio::spawn(async move { c.find_or_create_customer(req(&token, r)).await })
    });
    let mut ids = Vec::new();
    let mut created = 0;
    for call in calls {
        let reply = call.await.unwrap().expect("find or create").into_inner();
        created += usize::from(reply.created);
        ids.push(reply.customer.unwrap().customer_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one customer: {ids:?}");
    assert_eq!(created, 1, "created once");
    s.stop().await;
}

async fn id_numbers_are_kept_as_a_hash_and_numbers_shown_only_to_callers(backend: Backend) {
    let s = spawn(backend).await;
    let mut r = new_customer("c-1", "13900000001");
    r.national_id = ID.to_lowercase();
    let made = s
        .client()
        .find_or_create_customer(req(&agent(&s), r))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(made.national_id_last4, "002X");
    assert_eq!(made.phone, "13900000001", "the call centre sees the number");
    let by_admin = s
        .client()
        .get_customer(req(
            &s.admin,
            pb::GetCustomerRequest {
                customer_id: made.customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(by_admin.phone, "139****0001", "masked for the group admin");
    let found = s
        .client()
        .find_customer_by_national_id(req(
            &s.admin,
            pb::FindCustomerByNationalIdRequest {
                national_id: ID.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(found.customer_id, made.customer_id);
    // Another mobile with the same ID number is not a second customer.
    let mut twin = new_customer("c-2", "13900000002");
    twin.national_id = ID.into();
    let e = s
        .client()
        .find_or_create_customer(req(&agent(&s), twin))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(!e.message().contains(ID), "{e:?}");
    // Nobody's number: NOT_FOUND, the same for a valid number nobody has.
    let e = s
        .client()
        .find_customer_by_national_id(req(
            &s.admin,
            pb::FindCustomerByNationalIdRequest {
                national_id: "440524188001010014".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    s.stop().await;
}

async fn a_branch_sees_its_own_customers_only(backend: Backend) {
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let c = customer(&s, 1).await;
    let desk = s.token(
        "nurse-li",
        Role::FrontDesk,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let get = |token: String, id: String| {
        let mut client = s.client();
        async move {
            client
                .get_customer(req(&token, pb::GetCustomerRequest { customer_id: id }))
                .await
        }
    };
    // No home branch and no visit here yet: the branch does not see them.
    let e = get(desk.clone(), c.customer_id.clone()).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    // Once they have a visit at the branch, its front desk sees them, number in full.
    let apt = book(&s, &f, &f.plain, &c, "2026-12-03", 8, 30).await;
    planned(&s, &apt.appointment_id).await;
    let seen = get(desk, c.customer_id.clone()).await.unwrap().into_inner();
    assert_eq!(seen.customer.unwrap().phone, "13900000001");
    // A director of that branch sees them masked.
    let director = s.token(
        "director-zhang",
        Role::BranchDirector,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let seen = get(director, c.customer_id.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.customer.unwrap().phone, "139****0001");
    // Without a token, or as an exam station, nothing.
    let e = s
        .client()
        .get_customer(tonic::Request::new(pb::GetCustomerRequest {
            customer_id: c.customer_id.clone(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    let station = s.token(
        "station-1",
        Role::ExamStation,
        OrgScope::Branch(f.branch.branch_id.clone()),
    );
    let e = get(station, c.customer_id.clone()).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    s.stop().await;
}

async fn bad_input_is_refused_naming_every_field(backend: Backend) {
    let s = spawn(backend).await;
    let mut c = s.client();
    let e = c
        .find_or_create_customer(req(
            &s.admin,
            pb::FindOrCreateCustomerRequest {
                request_id: String::new(),
                phone: "12345".into(),
                name: "a\u{0}b".into(),
                national_id: "440524188001010015".into(),
                home_branch_id: "br bad".into(),
                gender: 9,
                consents: vec![pb::ConsentInput::default()],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let mut fields = bad_fields(&e);
    fields.sort();
    assert_eq!(
        fields,
        [
            "consents[0].method",
            "consents[0].purpose",
            "gender",
            "home_branch_id",
            "name",
            "national_id",
            "phone",
            "request_id",
        ],
        "every bad field in one answer: {e:?}"
    );
    let e = c
        .find_or_create_customer(req(
            &s.admin,
            pb::FindOrCreateCustomerRequest {
                request_id: "r-1".into(),
                phone: "12345".into(),
                name: "a\u{0}b".into(),
                national_id: "440524188001010015".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), ["phone", "name", "national_id"]);
    let made = customer(&s, 1).await;
    let e = c
        .set_contact_preferences(req(
            &s.admin,
            pb::SetContactPreferencesRequest {
                customer_id: made.customer_id.clone(),
                contact_points: vec![pb::ContactPoint {
                    channel: pb::Channel::Email as i32,
                    address: String::new(),
                }],
                channel_order: vec![pb::Channel::Wechat as i32, 42],
                quiet_hours: Some(pb::QuietHours {
                    start: Some(hospital_proto::common::TimeOfDay {
                        hours: 25,
                        minutes: 0,
                    }),
                    end: None,
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let mut fields = bad_fields(&e);
    fields.sort();
    assert_eq!(fields, ["quiet_hours", "quiet_hours.start"], "{e:?}");
    let e = c
        .set_contact_preferences(req(
            &s.admin,
            pb::SetContactPreferencesRequest {
                customer_id: made.customer_id.clone(),
                contact_points: vec![pb::ContactPoint {
                    channel: pb::Channel::Email as i32,
                    address: String::new(),
                }],
                channel_order: vec![pb::Channel::Wechat as i32, 42],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        [
            "contact_points[0].address",
            "channel_order[0]",
            "channel_order[1]"
        ]
    );
    let e = c
        .record_consent(req(
            &s.admin,
            pb::RecordConsentRequest {
                request_id: "x".into(),
                customer_id: "cus bad".into(),
                consent: None,
            },
        ))
        .await
        .unwrap_err();
    let mut fields = bad_fields(&e);
    fields.sort();
    assert_eq!(
        fields,
        ["consent.method", "consent.purpose", "customer_id"],
        "{e:?}"
    );
    let e = c
        .get_customer(req(
            &s.admin,
            pb::GetCustomerRequest {
                customer_id: "x".repeat(129),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), ["customer_id"]);
    assert!(e.message().len() < 200, "no echo of the input: {e:?}");
    let e = c
        .get_customer(req(
            &s.admin,
            pb::GetCustomerRequest {
                customer_id: "cus_nobody".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    s.stop().await;
}

/// Everything the services log while the test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's log, captured from the first call on: under `cargo test` every test of
/// this binary shares it (one global subscriber per process), which only widens the check.
fn captured_logs() -> Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        logs
    })
    .clone()
}

async fn no_phone_or_id_number_reaches_an_event_or_a_log(backend: Backend) {
    let logs = captured_logs();
    let s = spawn(backend).await;
    let f = fixture(&s).await;
    let mut r = new_customer("c-1", "13900000001");
    r.national_id = ID.into();
    r.consents = vec![pb::ConsentInput {
        purpose: pb::Purpose::Reminders as i32,
        granted: true,
        method: pb::ConsentMethod::Written as i32,
        source: "front-desk".into(),
    }];
    let c = s
        .client()
        .find_or_create_customer(req(&agent(&s), r))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let apt = book(&s, &f, &f.plain, &c, "2026-12-03", 8, 30).await;
    planned(&s, &apt.appointment_id).await;
    s.at("2026-11-30T10:00").await;
    assert_eq!(messages_reach(&s, 1).await.len(), 1);
    let mut feed = s
        .client()
        .subscribe(req(&s.admin, pb::SubscribeRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Ok(Some(Ok(e))) =
        tokio::time::timeout(std::time::Duration::from_millis(400), feed.next()).await
    {
        events.push(e.event.unwrap());
    }
    let kinds: Vec<_> = events
        .iter()
        .map(|e| match e.kind.as_ref().unwrap() {
            pb::contact_event::Kind::CustomerCreated(_) => "created",
            pb::contact_event::Kind::ConsentChanged(_) => "consent",
            pb::contact_event::Kind::ReminderSent(_) => "sent",
            pb::contact_event::Kind::DeliveryFailed(_) => "failed",
            _ => "follow-up",
        })
        .collect();
    assert_eq!(kinds, ["created", "consent", "sent"]);
    let all = format!("{events:?}");
    assert!(
        !all.contains("13900000001") && !all.contains("1390000"),
        "{all}"
    );
    assert!(!all.contains(ID) && !all.contains("1101051949"), "{all}");
    s.stop().await;
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(!logged.is_empty(), "the services logged something");
    assert!(
        !logged.contains("13900000001"),
        "a phone number in the logs"
    );
    assert!(!logged.contains("1101051949"), "an ID number in the logs");
}
