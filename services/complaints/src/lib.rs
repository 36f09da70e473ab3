//! The complaints service: feedback and complaint work orders (工单) from every channel,
//! SLA timers in the branch's business calendar that escalate along the org tree, service
//! recovery with role limits and cost bearers, and the figures management is scored on.
//!
//! Layers point one way: [`api`] (gRPC edge) → [`app`] (use cases) → [`domain`] (rules,
//! no I/O), [`store`] (SQL) and [`directory`] (the scheduling service, over gRPC).
//! [`start`] runs the whole service in-process, for the binary, the suite and the tests.

pub mod api;
pub mod app;
pub mod directory;
pub mod domain;
pub mod store;

use std::{path::Path, sync::Arc, time::Duration};

use hospital_proto::complaints::complaints_service_server::ComplaintsServiceServer;
use serde::Deserialize;
use service_kit::{
    auth::{JwtVerifier, service_token},
    clock::SharedClock,
    config::{AuthSettings, DatabaseSettings, ServerSettings, TelemetrySettings, common_defaults},
    db::{Db, Migrations},
    events::Outbox,
    runtime::Launch,
    serve::ServeOptions,
};
use tokio::net::TcpListener;

/// The gRPC service name, as health reports it.
pub const SERVICE_NAME: &str = "hospital.complaints.v1.ComplaintsService";
/// The default port.
pub const DEFAULT_PORT: u16 = 50053;

/// The service's embedded migrations.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &POSTGRES,
    sqlite: &SQLITE,
};
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Configuration (`COMPLAINTS__SECTION__KEY` in the environment).
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// gRPC server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Token verification, and the service token presented to scheduling.
    pub auth: AuthSettings,
    /// Logs, traces, metrics.
    pub telemetry: TelemetrySettings,
    /// Where scheduling is.
    pub scheduling: SchedulingSettings,
    /// Timers.
    pub sla: SlaSettings,
    /// Service-recovery limits.
    pub recovery: RecoverySettings,
}

/// The scheduling service, as this one calls it.
#[derive(Debug, Clone, Deserialize)]
pub struct SchedulingSettings {
    /// `http://host:port`.
    pub endpoint: String,
    /// Deadline of each unary call, in milliseconds.
    pub timeout_ms: u64,
    /// Whether to follow its events (off only for tools and tests that feed events by hand).
    pub follow_events: bool,
}

/// The timers.
#[derive(Debug, Clone, Deserialize)]
pub struct SlaSettings {
    /// How often due SLA timers and pending deliveries are looked for, in milliseconds.
    pub sweep_interval_ms: u64,
}

/// Authorisation limits, in the currency's minor unit (fen).
#[derive(Debug, Clone, Deserialize)]
pub struct RecoverySettings {
    /// ISO currency.
    pub currency: String,
    /// Most a branch director may grant at once.
    pub branch_director_limit_minor: i64,
    /// Most a region manager may grant at once.
    pub region_admin_limit_minor: i64,
    /// Most the group may grant at once.
    pub group_admin_limit_minor: i64,
    /// Most one customer may receive per calendar year.
    pub customer_yearly_cap_minor: i64,
}

impl Settings {
    /// Defaults, then `file`, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut defaults = common_defaults(DEFAULT_PORT, "data/complaints.db");
        defaults.extend([
            ("scheduling.endpoint", "http://127.0.0.1:50051".to_owned()),
            ("scheduling.timeout_ms", "5000".to_owned()),
            ("scheduling.follow_events", "true".to_owned()),
            ("sla.sweep_interval_ms", "10000".to_owned()),
            ("recovery.currency", "CNY".to_owned()),
            ("recovery.branch_director_limit_minor", "50000".to_owned()),
            ("recovery.region_admin_limit_minor", "500000".to_owned()),
            ("recovery.group_admin_limit_minor", "5000000".to_owned()),
            ("recovery.customer_yearly_cap_minor", "300000".to_owned()),
        ]);
        service_kit::config::load("complaints", &defaults, file)
    }

    fn limits(&self) -> domain::recovery::Limits {
        let r = &self.recovery;
        domain::recovery::Limits {
            currency: r.currency.clone(),
            branch_director: r.branch_director_limit_minor,
            region_admin: r.region_admin_limit_minor,
            group_admin: r.group_admin_limit_minor,
            customer_yearly_cap: r.customer_yearly_cap_minor,
        }
    }
}

/// Connects and applies the migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database).await?;
    db.migrate(&MIGRATIONS).await?;
    Ok(db)
}

/// The running service; `app` is its use cases, for in-process callers.
pub type Running = service_kit::runtime::Running<app::Complaints>;

/// Starts the service on `listener`: migrations, the outbox sequencer, the timers, the
/// scheduling event feed and the gRPC server. Stops on [`Running::stop`].
pub async fn start(
    settings: Settings,
    clock: SharedClock,
    listener: TcpListener,
) -> anyhow::Result<Running> {
    let db = migrate(&settings).await?;
    let verifier = Arc::new(JwtVerifier::from_settings(&settings.auth)?);
    let outbox = Outbox::new(db.clone());
    let token = service_token(&settings.auth, "complaints");
    let directory = directory::Directory::new(
        &settings.scheduling.endpoint,
        token.as_ref(),
        Duration::from_millis(settings.scheduling.timeout_ms.max(100)),
    )?;
    let app = app::Complaints::new(
        db.clone(),
        outbox.clone(),
        clock,
        directory,
        settings.limits(),
    );

    let mut launch = Launch::new();
    launch.spawn(outbox.run_sequencer(launch.stopped()));
    let sweeper = app.clone();
    launch.every(
        Duration::from_millis(settings.sla.sweep_interval_ms.max(10)),
        move || {
            let app = sweeper.clone();
            async move {
                if let Err(e) = app.sweep_timers().await {
                    tracing::warn!(error = %e, "sweep SLA timers");
                }
                if let Err(e) = app.sweep_deliveries().await {
                    tracing::warn!(error = %e, "retry complimentary items");
                }
            }
        },
    );
    if settings.scheduling.follow_events {
        launch.spawn(app.clone().run_feed(launch.stopped()));
    }

    let routes =
        tonic::service::Routes::new(ComplaintsServiceServer::new(api::Api::new(app.clone())));
    let options = ServeOptions {
        service_name: SERVICE_NAME,
        settings: settings.server.clone(),
        verifier,
        db,
        descriptors: &[hospital_proto::FILE_DESCRIPTOR_SET],
    };
    launch.serve(listener, routes, options, app)
}
