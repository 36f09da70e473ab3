//! The scheduling service: branches, the exam catalogue, capacity, appointments and the
//! on-site visit (检前 and 检中).
//!
//! Layers point one way: [`api`] (gRPC edge) → [`app`] (use cases) → [`domain`] (rules,
//! no I/O) and [`store`] (SQL). [`start`] runs the whole service in-process, for the
//! binary, the suite and the tests.

pub mod api;
pub mod app;
pub mod domain;
pub mod store;

use std::{path::Path, sync::Arc, time::Duration};

use hospital_proto::scheduling::scheduling_service_server::SchedulingServiceServer;
use serde::Deserialize;
use service_kit::{
    auth::JwtVerifier,
    clock::SharedClock,
    config::{AuthSettings, DatabaseSettings, ServerSettings, TelemetrySettings, common_defaults},
    db::{Db, Migrations},
    events::Outbox,
    runtime::Launch,
    serve::ServeOptions,
};
use tokio::net::TcpListener;

/// The gRPC service name, as health reports it.
pub const SERVICE_NAME: &str = "hospital.scheduling.v1.SchedulingService";
/// The default port.
pub const DEFAULT_PORT: u16 = 50051;

/// The service's embedded migrations.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &POSTGRES,
    sqlite: &SQLITE,
};
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Configuration (`SCHEDULING__SECTION__KEY` in the environment).
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// gRPC server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Token verification.
    pub auth: AuthSettings,
    /// Logs, traces, metrics.
    pub telemetry: TelemetrySettings,
    /// The visit.
    pub visits: VisitSettings,
}

/// Settings of the on-site visit.
#[derive(Debug, Clone, Deserialize)]
pub struct VisitSettings {
    /// How often waits are checked against the promise, in milliseconds.
    pub breach_sweep_interval_ms: u64,
}

impl Settings {
    /// Defaults, then `file`, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut defaults = common_defaults(DEFAULT_PORT, "data/scheduling.db");
        defaults.push(("visits.breach_sweep_interval_ms", "5000".into()));
        service_kit::config::load("scheduling", &defaults, file)
    }
}

/// Connects and applies the migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database).await?;
    db.migrate(&MIGRATIONS).await?;
    Ok(db)
}

/// The running service; `app` is its use cases, for in-process callers.
pub type Running = service_kit::runtime::Running<app::Scheduling>;

/// Starts the service on `listener`: migrations, the outbox sequencer, the wait-promise
/// sweeper and the gRPC server. Stops on [`Running::stop`].
pub async fn start(
    settings: Settings,
    clock: SharedClock,
    listener: TcpListener,
) -> anyhow::Result<Running> {
    let db = migrate(&settings).await?;
    let verifier = Arc::new(JwtVerifier::from_settings(&settings.auth)?);
    let outbox = Outbox::new(db.clone());
    let app = app::Scheduling::new(db.clone(), outbox.clone(), clock.clone());

    let mut launch = Launch::new();
    launch.spawn(outbox.run_sequencer(launch.stopped()));
    let sweeper = app.clone();
    launch.every(
        Duration::from_millis(settings.visits.breach_sweep_interval_ms.max(10)),
        move || {
            let app = sweeper.clone();
            async move {
                if let Err(e) = app.sweep_wait_promises().await {
                    tracing::warn!(error = %e, "sweep wait promises");
                }
            }
        },
    );

    let routes = tonic::service::Routes::new(SchedulingServiceServer::new(api::Api::new(
        app.clone(),
        clock,
    )));
    let options = ServeOptions {
        service_name: SERVICE_NAME,
        settings: settings.server.clone(),
        verifier,
        db,
        descriptors: &[hospital_proto::FILE_DESCRIPTOR_SET],
    };
    launch.serve(listener, routes, options, app)
}
