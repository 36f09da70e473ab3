//! The demo group a newcomer gets from `suite up` can be searched and booked at once.

use hospital_proto::{
    common,
    scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use test_support::{Backend, TestService, World, req};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeded_demo_group_can_be_searched_and_booked_at_once() {
    let world = World::new(Backend::Sqlite);
    // The demo is seeded relative to today, as `suite up` does it.
    world.clock.set(jiff::Timestamp::now());
    let mut running = TestService::<scheduling_service::Service>::start(&world, |_| {}).await;
    let endpoint = running.endpoint();
    let token = world.admin();

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
    running.stop().await;
}
