//! Serving a service: the gRPC routes plus health and reflection, behind timeout,
//! concurrency-limit, telemetry and auth layers, with graceful shutdown.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::net::TcpListener;

use tonic::{
    service::Routes,
    transport::{Server, server::TcpIncoming},
};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::limit::GlobalConcurrencyLimitLayer;

use crate::{auth::AuthLayer, auth::JwtVerifier, config::ServerSettings, db::Db};

/// What [`serve`] needs besides the routes.
#[derive(Debug)]
pub struct ServeOptions {
    /// The fully qualified gRPC service name, as health reports it.
    pub service_name: &'static str,
    /// Server limits.
    pub settings: ServerSettings,
    /// Token verification.
    pub verifier: Arc<JwtVerifier>,
    /// Database whose reachability decides the health status.
    pub db: Db,
    /// Encoded descriptor sets to serve by reflection.
    pub descriptors: &'static [&'static [u8]],
}

/// Serves `routes` on `listener` until `shutdown` resolves, then stops accepting, finishes
/// calls in flight and returns.
///
/// Health answers for `options.service_name` (readiness: `NOT_SERVING` while the database
/// does not answer) and for the empty name (liveness: the process is up; a database outage
/// must not make an orchestrator restart every replica). Both go `NOT_SERVING` on shutdown. Both reflection
/// versions are registered, since some clients still speak only `v1alpha`.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let name = options.service_name;
    set_status(&reporter, name, ServingStatus::Serving).await;
    let every = Duration::from_millis(options.settings.health_probe_interval_ms.max(10));
    let prober = tokio::spawn(probe_database(
        reporter.clone(),
        name,
        options.db.clone(),
        every,
    ));

    let routes = routes
        .add_service(health)
        .add_service(reflection(name, options.descriptors).build_v1()?)
        .add_service(reflection(name, options.descriptors).build_v1alpha()?);

    let layers = tower::ServiceBuilder::new()
        .layer(crate::telemetry::GrpcTelemetryLayer::new(name))
        .layer(GlobalConcurrencyLimitLayer::new(
            options.settings.concurrency_limit,
        ))
        .layer(AuthLayer::new(options.verifier));

    tracing::info!(service = name, addr = %listener.local_addr()?, "serving");
    let incoming = incoming(listener);
    let reporter_for_shutdown = reporter.clone();
    let result = Server::builder()
        .timeout(Duration::from_secs(options.settings.request_timeout_secs))
        .layer(layers)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, async move {
            shutdown.await;
            tracing::info!(service = name, "shutting down");
            // Tell load balancers first, so new calls go elsewhere while ours finish.
            set_status(&reporter_for_shutdown, name, ServingStatus::NotServing).await;
        })
        .await;
    prober.abort();
    result?;
    Ok(())
}

/// Reflection that lists only what this port serves: the service, health and reflection.
/// The descriptor sets hold every contract (a client may resolve a type any of them
/// defines), but a newcomer who picks a service from `list` must get one that answers.
fn reflection(
    service: &'static str,
    descriptors: &'static [&'static [u8]],
) -> tonic_reflection::server::Builder<'static> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name(service)
        .with_service_name(HEALTH)
        .with_service_name(REFLECTION_V1)
        .with_service_name(REFLECTION_V1ALPHA);
    for set in descriptors {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    builder
}

const HEALTH: &str = "grpc.health.v1.Health";
const REFLECTION_V1: &str = "grpc.reflection.v1.ServerReflection";
const REFLECTION_V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

/// The accepted connections of `listener`, with Nagle's algorithm off: with it on, each
/// reply waits for the client's delayed ACK (40 ms on Linux). `Server::tcp_nodelay` only
/// applies when tonic binds the socket itself.
fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_secs(60)))
}

async fn set_status(reporter: &HealthReporter, name: &str, status: ServingStatus) {
    reporter.set_service_status(name, status).await;
    reporter.set_service_status("", status).await;
}

/// How often the database is probed while it is down, so calls succeed again within
/// about this long of its return.
const PROBE_WHILE_DOWN: Duration = Duration::from_millis(250);

async fn probe_database(reporter: HealthReporter, name: &'static str, db: Db, every: Duration) {
    let mut serving = true;
    loop {
        tokio::time::sleep(if serving {
            every
        } else {
            every.min(PROBE_WHILE_DOWN)
        })
        .await;
        let up = db.ping().await;
        db.set_reachable(up);
        if up != serving {
            serving = up;
            if up {
                tracing::info!(service = name, "database reachable again; serving");
                reporter
                    .set_service_status(name, ServingStatus::Serving)
                    .await;
            } else {
                tracing::warn!(service = name, "database unreachable; not serving");
                reporter
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;

    use super::*;

    #[tokio::test]
    async fn accepted_connections_have_nagle_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut incoming = incoming(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let accepted = incoming.next().await.unwrap().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
