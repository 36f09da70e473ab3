//! The complaints service: feedback and complaint work orders (工单) from every channel,
//! SLA timers in the branch's business calendar that escalate along the org tree, service
//! recovery with role limits and cost bearers, and the figures management is scored on.
//!
//! Layers point one way: [`api`] (gRPC edge) → [`app`] (use cases) → [`domain`] (rules,
//! no I/O), [`store`] (SQL) and [`directory`] (the scheduling service, over gRPC).
//! [`Service`] declares it to the kit, which starts it (`service_kit::service::start`) for
//! the binary, the suite and the tests.

pub mod api;
pub mod app;
pub mod directory;
pub mod domain;
pub mod store;

use std::time::Duration;

use hospital_proto::complaints::complaints_service_server::ComplaintsServiceServer;
use serde::Deserialize;
use service_kit::{
    db::Migrations,
    runtime::Launch,
    scheduling::SchedulingSettings,
    service::{Built, Parts, Spec},
    upstream::UpstreamSettings,
};

/// The complaints service, as the kit starts it (`service_kit::service::start::<Service>`).
#[derive(Debug)]
pub struct Service;

/// The service's settings: the common sections and [`Own`].
pub type Settings = service_kit::service::Settings<Own>;

/// The running service; `app` is its use cases, for in-process callers.
pub type Running = service_kit::runtime::Running<app::Complaints>;

/// The service's own settings sections (`COMPLAINTS__SLA__…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Own {
    /// Where scheduling is.
    pub scheduling: SchedulingSettings,
    /// Where contact is: its events carry survey detractors.
    pub contact: UpstreamSettings,
    /// Timers.
    pub sla: SlaSettings,
    /// Service-recovery limits.
    pub recovery: RecoverySettings,
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

impl RecoverySettings {
    fn limits(&self) -> domain::recovery::Limits {
        domain::recovery::Limits {
            currency: self.currency.clone(),
            branch_director: self.branch_director_limit_minor,
            region_admin: self.region_admin_limit_minor,
            group_admin: self.group_admin_limit_minor,
            customer_yearly_cap: self.customer_yearly_cap_minor,
        }
    }
}

impl Spec for Service {
    const NAME: &'static str = "complaints";
    const GRPC_NAME: &'static str = "hospital.complaints.v1.ComplaintsService";
    const DEFAULT_PORT: u16 = 50053;
    const ABOUT: &'static str = "The hospital suite's complaints service";
    type Own = Own;
    type App = app::Complaints;

    fn defaults() -> Vec<(&'static str, String)> {
        SchedulingSettings::DEFAULTS
            .into_iter()
            .chain(service_kit::upstream_defaults!("contact", 50052))
            .chain([
                ("sla.sweep_interval_ms", "10000"),
                ("recovery.currency", "CNY"),
                ("recovery.branch_director_limit_minor", "50000"),
                ("recovery.region_admin_limit_minor", "500000"),
                ("recovery.group_admin_limit_minor", "5000000"),
                ("recovery.customer_yearly_cap_minor", "300000"),
            ])
            .map(|(k, v)| (k, v.to_owned()))
            .collect()
    }

    fn migrations() -> &'static Migrations {
        service_kit::migrations!()
    }

    /// The use cases over the scheduling directory, the API, the SLA and delivery sweeps,
    /// and the scheduling event feed.
    async fn build(
        parts: Parts<Own>,
        launch: &mut Launch,
    ) -> anyhow::Result<Built<app::Complaints>> {
        let settings = &parts.settings;
        let directory =
            directory::Directory::new(settings.scheduling.client(&settings.auth, Self::NAME)?);
        let app = app::Complaints::new(
            parts.db,
            parts.outbox,
            parts.clock,
            directory,
            settings.recovery.limits(),
        );
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
        if settings.contact.follow_events {
            let contact = app::surveys::ContactClient::new(
                settings.contact.connect(&settings.auth, Self::NAME)?,
            );
            launch.spawn(app.clone().run_contact_feed(contact, launch.stopped()));
        }
        Ok(Built {
            routes: tonic::service::Routes::new(ComplaintsServiceServer::new(api::Api::new(
                app.clone(),
            ))),
            app,
        })
    }
}
