//! One way to declare a service, and everything built on the declaration: its settings
//! (the common sections plus its own), `migrate`, `start`, and the command line of its
//! binary.
//!
//! A service crate implements [`Spec`] once, on a unit type, and its `main.rs` is
//! `service_kit::service::main::<my_service::Service>()`. What stays in the crate is what is
//! its own: its settings sections, its migrations, and how it builds its use cases, its
//! routes and its background jobs ([`Spec::build`]).

use std::{
    fmt::Debug,
    future::Future,
    ops::{Deref, DerefMut},
    path::{Path, PathBuf},
    sync::Arc,
};

use clap::{Arg, Command};
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::{
    auth::JwtVerifier,
    clock::{SharedClock, SystemClock},
    config::{AuthSettings, DatabaseSettings, ServerSettings, TelemetrySettings},
    db::{Db, Migrations},
    events::Outbox,
    runtime::{Launch, Running},
    serve::ServeOptions,
    telemetry,
};

/// What a service declares about itself.
pub trait Spec: 'static {
    /// Short name (`scheduling`): the environment prefix is its upper case
    /// (`SCHEDULING__DATABASE__URL`), the default SQLite file `data/<name>.db`, and the
    /// name logs and traces carry.
    const NAME: &'static str;
    /// The fully qualified gRPC service (`hospital.scheduling.v1.SchedulingService`): the
    /// one service health reports on and reflection lists on this port.
    const GRPC_NAME: &'static str;
    /// The port it listens on by default (DESIGN.md: 50050 to 50054).
    const DEFAULT_PORT: u16;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// Whether it publishes events (then its schema has the `outbox` table, and a
    /// sequencer numbers the rows).
    const PUBLISHES_EVENTS: bool = true;

    /// The service's own settings sections, beside the common ones.
    type Own: DeserializeOwned + Clone + Debug + Send + Sync + 'static;
    /// Its use cases, handed back in [`Running::app`] for in-process callers.
    type App: Send + 'static;

    /// Defaults of its own sections, as `("visits.breach_sweep_interval_ms", "5000")`.
    fn defaults() -> Vec<(&'static str, String)>;

    /// Its embedded migrations, one set per backend.
    fn migrations() -> &'static Migrations;

    /// Builds the use cases and the gRPC routes, and registers background jobs on `launch`
    /// (the outbox sequencer is already there when the service publishes events).
    fn build(
        parts: Parts<Self::Own>,
        launch: &mut Launch,
    ) -> impl Future<Output = anyhow::Result<Built<Self::App>>> + Send;
}

/// What [`Spec::build`] starts from.
pub struct Parts<S> {
    /// The loaded settings.
    pub settings: Settings<S>,
    /// The migrated database.
    pub db: Db,
    /// The service's outbox.
    pub outbox: Arc<Outbox>,
    /// The clock (the system's, or a test's).
    pub clock: SharedClock,
}

impl<S: Debug> Debug for Parts<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("settings", &self.settings)
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// What [`Spec::build`] hands back.
#[derive(Debug)]
pub struct Built<A> {
    /// The use cases.
    pub app: A,
    /// The service's gRPC routes; health and reflection are added by the kit.
    pub routes: Routes,
}

/// A service's settings: the sections every service has, and its own (`S`), reachable as
/// if they were fields of this struct (`settings.visits.…`).
#[derive(Debug, Clone)]
pub struct Settings<S> {
    /// gRPC server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Token verification, and the token this service presents to others.
    pub auth: AuthSettings,
    /// Logs, traces and metrics.
    pub telemetry: TelemetrySettings,
    /// The service's own sections.
    pub own: S,
}

impl<S> Deref for Settings<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.own
    }
}

impl<S> DerefMut for Settings<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.own
    }
}

/// Loads `T`'s settings: the common defaults (its port, `data/<name>.db`), its own
/// defaults, then `file` when given, then the environment (`NAME__SECTION__KEY`).
pub fn load<T: Spec>(file: Option<&Path>) -> anyhow::Result<Settings<T::Own>> {
    let mut defaults =
        crate::config::common_defaults(T::DEFAULT_PORT, &format!("data/{}.db", T::NAME));
    defaults.extend(T::defaults());
    let config = crate::config::build(T::NAME, &defaults, file)?;
    let common: crate::config::CommonSettings = config.clone().try_deserialize()?;
    Ok(Settings {
        server: common.server,
        database: common.database,
        auth: common.auth,
        telemetry: common.telemetry,
        own: config.try_deserialize()?,
    })
}

/// Connects to `T`'s database and applies its migrations.
pub async fn migrate<T: Spec, S>(settings: &Settings<S>) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database).await?;
    db.migrate(T::migrations()).await?;
    Ok(db)
}

/// Starts `T` on `listener`: migrations, the outbox sequencer, the service's own jobs and
/// the gRPC server with health and reflection. Stops on [`Running::stop`].
pub async fn start<T: Spec>(
    settings: Settings<T::Own>,
    clock: SharedClock,
    listener: TcpListener,
) -> anyhow::Result<Running<T::App>> {
    anyhow::ensure!(
        settings.database.acquire_timeout_ms < settings.server.request_timeout_secs * 1000,
        "database.acquire_timeout_ms ({} ms) must be below server.request_timeout_secs ({} s), \
         so a call waiting for a connection hears UNAVAILABLE rather than a cancellation",
        settings.database.acquire_timeout_ms,
        settings.server.request_timeout_secs
    );
    let db = migrate::<T, _>(&settings).await?;
    let verifier = Arc::new(JwtVerifier::from_settings(&settings.auth)?);
    let outbox = Outbox::new(db.clone());
    let mut launch = Launch::new();
    if T::PUBLISHES_EVENTS {
        launch.spawn(outbox.clone().run_sequencer(launch.stopped()));
    }
    let server = settings.server.clone();
    let parts = Parts {
        settings,
        db: db.clone(),
        outbox,
        clock,
    };
    let Built { app, routes } = T::build(parts, &mut launch).await?;
    let options = ServeOptions {
        service_name: T::GRPC_NAME,
        settings: server,
        verifier,
        db,
        descriptors: &[hospital_proto::FILE_DESCRIPTOR_SET],
    };
    launch.serve(listener, routes, options, app)
}

/// The binary of service `T`: `serve` (the default) or `migrate`, with `--config FILE`
/// (or `NAME_CONFIG`) read before the environment.
pub fn main<T: Spec>() -> anyhow::Result<()> {
    let matches = command::<T>().get_matches();
    let file = matches.get_one::<PathBuf>("config").cloned();
    let migrate_only = matches.subcommand_name() == Some("migrate");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run::<T>(file, migrate_only))
}

async fn run<T: Spec>(file: Option<PathBuf>, migrate_only: bool) -> anyhow::Result<()> {
    let settings = load::<T>(file.as_deref())?;
    let _telemetry = telemetry::init(T::NAME, &settings.telemetry)?;
    if migrate_only {
        migrate::<T, _>(&settings).await?;
        tracing::info!("migrations applied");
        return Ok(());
    }
    let listener = TcpListener::bind(settings.server.listen).await?;
    start::<T>(settings, Arc::new(SystemClock), listener)
        .await?
        .until_signal()
        .await
}

/// The command line of `T`'s binary.
pub fn command<T: Spec>() -> Command {
    // clap wants 'static names; this runs once per process.
    let env: &'static str = Box::leak(format!("{}_CONFIG", T::NAME.to_uppercase()).into());
    let help: &'static str = Box::leak(
        format!(
            "Optional TOML configuration file; the environment ({}__…) overrides it",
            T::NAME.to_uppercase()
        )
        .into(),
    );
    Command::new(T::NAME)
        .version(env!("CARGO_PKG_VERSION"))
        .about(T::ABOUT)
        .arg(
            Arg::new("config")
                .long("config")
                .env(env)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help(help),
        )
        .subcommand(Command::new("serve").about("Serve gRPC (the default)"))
        .subcommand(
            Command::new("migrate").about("Apply the embedded database migrations and exit"),
        )
}
