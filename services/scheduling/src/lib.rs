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

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use hospital_proto::scheduling::scheduling_service_server::SchedulingServiceServer;
use serde::Deserialize;
use service_kit::{
    auth::JwtVerifier,
    clock::SharedClock,
    config::{AuthSettings, DatabaseSettings, ServerSettings, TelemetrySettings, common_defaults},
    db::{Db, Migrations},
    events::Outbox,
    serve::{ServeOptions, serve},
};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

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

/// A running service.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The use cases, for in-process callers (the suite's seeding, tests).
    pub app: app::Scheduling,
    stop: watch::Sender<bool>,
    server: JoinHandle<anyhow::Result<()>>,
    background: Vec<JoinHandle<()>>,
    db: Db,
}

impl Running {
    /// Stops accepting, finishes calls in flight, stops background work, closes the pool.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let result = self.server.await?;
        for task in self.background {
            let _ = task.await;
        }
        self.db.close().await;
        result
    }

    /// Resolves when the server ends by itself (a signal, or an error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.server).await?
    }

    /// Asks the service to stop, without waiting.
    pub fn request_stop(&self) {
        let _ = self.stop.send(true);
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

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
    let (stop, stop_rx) = watch::channel(false);

    let sequencer = tokio::spawn(outbox.clone().run_sequencer(stopped(stop_rx.clone())));
    let sweeper = tokio::spawn(sweep_wait_promises(
        app.clone(),
        Duration::from_millis(settings.visits.breach_sweep_interval_ms.max(10)),
        stopped(stop_rx.clone()),
    ));

    let addr = listener.local_addr()?;
    let routes = tonic::service::Routes::new(SchedulingServiceServer::new(api::Api::new(
        app.clone(),
        clock,
    )));
    let options = ServeOptions {
        service_name: SERVICE_NAME,
        settings: settings.server.clone(),
        verifier,
        db: db.clone(),
        descriptors: &[hospital_proto::FILE_DESCRIPTOR_SET],
    };
    let server = tokio::spawn(serve(listener, routes, options, stopped(stop_rx)));
    Ok(Running {
        addr,
        app,
        stop,
        server,
        background: vec![sequencer, sweeper],
        db,
    })
}

async fn sweep_wait_promises(
    app: app::Scheduling,
    every: Duration,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {
                if let Err(e) = app.sweep_wait_promises().await {
                    tracing::warn!(error = %e, "sweep wait promises");
                }
            }
        }
    }
}
