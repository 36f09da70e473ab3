//! The demo group a newcomer gets from `suite up` can be searched and booked at once.

use std::sync::Arc;

use hospital_proto::{
    common,
    scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use secrecy::SecretString;
use service_kit::{
    auth::{OrgScope, Role, TokenIssuer},
    clock::SystemClock,
    testing::Backend,
};
use tonic::Request;

fn req<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_demo_group_can_be_searched_and_booked_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = scheduling_service::Settings::load(None).unwrap();
    settings.database.url = SecretString::from(Backend::Sqlite.fresh_url(dir.path(), "demo").await);
    settings.auth.hs256_secret = Some(SecretString::from("demo-test-secret"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = scheduling_service::start(settings, Arc::new(SystemClock), listener)
        .await
        .unwrap();
    let endpoint = format!("http://{}", running.addr);
    let token = TokenIssuer::hs256(&SecretString::from("demo-test-secret"), "hospital-suite")
        .issue("demo", Role::GroupAdmin, &OrgScope::Group, 600);

    suite::seed::seed_if_empty(&endpoint, &token).await.unwrap();
    // A second start finds the data and adds nothing.
    suite::seed::seed_if_empty(&endpoint, &token).await.unwrap();

    let mut c = SchedulingServiceClient::connect(endpoint).await.unwrap();
    let branches = c
        .list_branches(req(&token, pb::ListBranchesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .branches;
    assert_eq!(branches.len(), 4);
    let brands: std::collections::BTreeSet<_> = branches.iter().map(|b| b.brand.as_str()).collect();
    assert_eq!(brands.len(), 2);
    let packages = c
        .list_packages(req(&token, pb::ListPackagesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .packages;
    let full = packages.iter().find(|p| p.code == "FULL").unwrap();
    assert!(full.fasting_required);

    // Tomorrow and the day after, in Shanghai: there is room for the fasting package in
    // the morning at every branch.
    let tomorrow = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date()
        .tomorrow()
        .unwrap();
    let day = |d: jiff::civil::Date| common::Date {
        year: d.year().into(),
        month: d.month().into(),
        day: d.day().into(),
    };
    for b in &branches {
        let slots = c
            .search_availability(req(
                &token,
                pb::SearchAvailabilityRequest {
                    branch_id: b.branch_id.clone(),
                    package_id: full.package_id.clone(),
                    from: Some(day(tomorrow)),
                    to: Some(day(tomorrow.tomorrow().unwrap())),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .slots;
        assert!(!slots.is_empty(), "no slots at {}", b.code);
        assert!(slots.iter().all(|s| s.start.unwrap().hours < 11));
    }
    let slot = c
        .search_availability(req(
            &token,
            pb::SearchAvailabilityRequest {
                branch_id: branches[0].branch_id.clone(),
                package_id: full.package_id.clone(),
                from: Some(day(tomorrow)),
                to: Some(day(tomorrow.tomorrow().unwrap())),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .slots
        .remove(0);
    let apt = c
        .book_appointment(req(
            &token,
            pb::BookAppointmentRequest {
                request_id: "demo-1".into(),
                slot_id: slot.slot_id,
                package_id: full.package_id.clone(),
                customer: Some(pb::CustomerInput {
                    customer_id: String::new(),
                    name: "王小明".into(),
                    phone: "13912345678".into(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .appointment
        .unwrap();
    assert_eq!(apt.customer.unwrap().phone_masked, "139****5678");
    running.stop().await.unwrap();
}
