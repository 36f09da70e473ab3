//! Health and reflection answer without a token; health tracks the service's life.

use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use service_kit::service::Spec;
use test_support::backend_tests;

use crate::helpers::*;

backend_tests!(health_and_reflection_answer_without_a_token);

async fn health_and_reflection_answer_without_a_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let addr = app.addr();
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel.clone());
    for service in [<scheduling_service::Service as Spec>::GRPC_NAME, ""] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }

    let names = test_support::reflected_services(channel).await;
    let names: Vec<_> = names.iter().map(String::as_str).collect();
    assert!(
        names.contains(&<scheduling_service::Service as Spec>::GRPC_NAME),
        "{names:?}"
    );
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
    app.stop().await;
}

/// PostgreSQL only: a SQLite file that is open cannot become unreachable the way a
/// database server can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_goes_not_serving_while_the_database_is_unreachable() {
    use secrecy::ExposeSecret;
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let admin_url = backend.admin_url().expect("PostgreSQL").to_owned();
    let mut app = spawn_app(backend).await;
    app.settings().server.health_probe_interval_ms = 50;
    app.restart().await;
    let name = <scheduling_service::Service as Spec>::GRPC_NAME;
    let channel = app.svc.channel();
    let wait_for = |name: &'static str, want: ServingStatus| {
        let channel = channel.clone();
        async move {
            test_support::eventually(&format!("{name:?} {want:?}"), || {
                let channel = channel.clone();
                async move { test_support::health_status(channel, name).await == want }
            })
            .await;
        }
    };
    let url = app.settings().database.url.expose_secret().to_owned();

    let outage = test_support::outage::Outage::begin(&admin_url, &url).await;
    wait_for(name, ServingStatus::NotServing).await;
    // Liveness is not tied to the database, so an orchestrator does not restart the pod.
    assert_eq!(
        test_support::health_status(channel.clone(), "").await,
        ServingStatus::Serving
    );

    outage.end().await;
    wait_for(name, ServingStatus::Serving).await;
    test_support::health_status(channel, "").await;
    app.stop().await;
}
