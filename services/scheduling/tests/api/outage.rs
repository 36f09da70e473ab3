//! A PostgreSQL outage under load: calls fail fast with `UNAVAILABLE` (never a cancelled or
//! internal error, never a wait for the pool's whole timeout once health knows), health
//! goes `NOT_SERVING` and back, and bookings succeed again within seconds of the database's
//! return, without a restart.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use secrecy::ExposeSecret;
use service_kit::service::Spec;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::helpers::*;

/// Generous against the 2 s acquire timeout: a call may meet the outage before the health
/// probe has, and then waits for one acquire; after that, calls fail at once.
const BOUND: Duration = Duration::from_secs(4);

/// One booking: when it started, how it ended, how long it took.
type Outcome = (Instant, Result<(), Code>, Duration);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_fail_fast_during_a_postgres_outage_and_bookings_resume_after_it() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let admin_url = backend.admin_url().expect("PostgreSQL").to_owned();
    let mut app = spawn_app(backend).await;
    app.settings().server.health_probe_interval_ms = 100;
    app.restart().await;
    let f = fixture(&app, 500).await;
    let name = <scheduling_service::Service as Spec>::GRPC_NAME;
    let channel = app.svc.channel();
    let serving = |want: ServingStatus| {
        let channel = channel.clone();
        async move { test_support::health_status(channel, name).await == want }
    };

    // Load: four desks booking one after another for the whole test.
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let mut desks = Vec::new();
    for desk in 0..4u32 {
        let (app_client, admin, slot, package) = (
            app.client(),
            app.admin.clone(),
            f.slot.clone(),
            f.plain_package.clone(),
        );
        let (stop, outcomes) = (stop.clone(), outcomes.clone());
        desks.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let started = Instant::now();
                let mut c = app_client.clone();
                let result = c
                    .book_appointment(req(
                        &admin,
                        hospital_proto::scheduling::BookAppointmentRequest {
                            request_id: format!("outage-{desk}-{n}"),
                            slot_id: slot.slot_id.clone(),
                            package_id: package.package_id.clone(),
                            customer: Some(customer(desk * 10_000 + n)),
                        },
                    ))
                    .await
                    .map(|_| ())
                    .map_err(|s| s.code());
                outcomes
                    .lock()
                    .unwrap()
                    .push((started, result, started.elapsed()));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Cut the service off: no new connections, its sessions ended.
    let url = app.settings().database.url.expose_secret().to_owned();
    let before_cut = Instant::now();
    let outage = test_support::outage::Outage::begin(&admin_url, &url).await;
    // Calls started from here on meet the outage.
    let cut_at = Instant::now();
    test_support::eventually("health NOT_SERVING", || serving(ServingStatus::NotServing)).await;
    let known_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Once health knows, a read fails at once too.
    let started = Instant::now();
    let err = app
        .client()
        .get_branch(req(
            &app.admin,
            hospital_proto::scheduling::GetBranchRequest {
                branch_id: f.branch.branch_id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    let restored_at = Instant::now();
    outage.end().await;
    test_support::eventually("health SERVING again", || serving(ServingStatus::Serving)).await;
    // Bookings go through again, without a restart.
    test_support::eventually("a booking after the outage", || {
        let outcomes = outcomes.clone();
        async move {
            outcomes
                .lock()
                .unwrap()
                .iter()
                .any(|(at, r, _)| *at > restored_at && r.is_ok())
        }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for d in desks {
        d.await.unwrap();
    }

    let outcomes = outcomes.lock().unwrap().clone();
    let during: Vec<_> = outcomes
        .iter()
        .filter(|(at, _, _)| *at > cut_at && *at < restored_at)
        .collect();
    assert!(
        during.len() >= 8,
        "calls made during the outage: {}",
        during.len()
    );
    for (_, result, took) in &during {
        assert_eq!(
            *result,
            Err(Code::Unavailable),
            "every call during the outage"
        );
        assert!(*took < BOUND, "a call took {took:?}");
    }
    let after_known: Vec<_> = during.iter().filter(|(at, _, _)| *at > known_at).collect();
    assert!(!after_known.is_empty());
    for (_, _, took) in after_known {
        assert!(
            *took < Duration::from_secs(1),
            "once health knows: {took:?}"
        );
    }
    assert!(
        outcomes
            .iter()
            .any(|(at, r, _)| *at < before_cut && r.is_ok())
    );
    app.stop().await;
}
