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
    use sqlx::Connection;
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let Backend::Postgres(admin_url) = backend.clone() else {
        unreachable!()
    };
    let mut app = spawn_app(backend).await;
    app.settings().server.health_probe_interval_ms = 50;
    app.restart().await;
    let addr = app.addr();
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    let status = |name: &'static str| {
        let mut h = health.clone();
        async move {
            h.check(HealthCheckRequest {
                service: name.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status
        }
    };
    let wait_for = |name: &'static str, want: ServingStatus| async move {
        for _ in 0..200 {
            if status(name).await == want as i32 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("{name:?} never became {want:?}");
    };
    let url = app.settings().database.url.expose_secret().to_owned();
    let db = url.rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let sql = |q: String| sqlx::query(sqlx::AssertSqlSafe(q));

    // Cut the service off: no new connections, existing ones ended.
    sql(format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .await
        .unwrap();
    // Only the service's own sessions: an autovacuum worker may be in this database too,
    // and it counts as a superuser process that this role may not signal (42501).
    sql(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{db}' AND usename = current_user AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    wait_for(
        <scheduling_service::Service as Spec>::GRPC_NAME,
        ServingStatus::NotServing,
    )
    .await;
    // Liveness is not tied to the database, so an orchestrator does not restart the pod.
    assert_eq!(status("").await, ServingStatus::Serving as i32);

    sql(format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .unwrap();
    wait_for(
        <scheduling_service::Service as Spec>::GRPC_NAME,
        ServingStatus::Serving,
    )
    .await;
    health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    app.stop().await;
}
