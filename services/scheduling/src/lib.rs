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

use std::time::Duration;

use hospital_proto::scheduling::scheduling_service_server::SchedulingServiceServer;
use serde::Deserialize;
use service_kit::{
    db::Migrations,
    runtime::Launch,
    service::{Built, Parts, Spec},
};

/// The scheduling service, as the kit starts it (`service_kit::service::start::<Service>`).
#[derive(Debug)]
pub struct Service;

/// The service's settings: the common sections and [`Own`].
pub type Settings = service_kit::service::Settings<Own>;

/// The running service; `app` is its use cases, for in-process callers.
pub type Running = service_kit::runtime::Running<app::Scheduling>;

/// The service's own settings sections (`SCHEDULING__VISITS__…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Own {
    /// The visit.
    pub visits: VisitSettings,
    /// Service recovery on the spot.
    pub recovery: RecoverySettings,
    /// Booking.
    pub booking: BookingSettings,
}

/// Booking.
#[derive(Debug, Clone, Deserialize)]
pub struct BookingSettings {
    /// Refuse a booking without contact's customer id. On wherever the contact service
    /// runs (the suite, the deployment): every booking client finds or creates the customer
    /// there first, so every visit can be reminded. Off for scheduling on its own.
    pub require_customer_id: bool,
}

/// What each level may give on the spot at once, in minor units (fen); whoever decides
/// pays from their own unit.
#[derive(Debug, Clone, Deserialize)]
pub struct RecoverySettings {
    /// A branch director (default 50000: ¥500).
    pub branch_director_limit_minor: i64,
    /// A region manager (default 500000).
    pub region_admin_limit_minor: i64,
    /// The group's customer-service centre (default 5000000).
    pub group_admin_limit_minor: i64,
}

/// Settings of the on-site visit.
#[derive(Debug, Clone, Deserialize)]
pub struct VisitSettings {
    /// How often waits are checked against the promise, in milliseconds.
    pub breach_sweep_interval_ms: u64,
}

impl Spec for Service {
    const NAME: &'static str = "scheduling";
    const GRPC_NAME: &'static str = "hospital.scheduling.v1.SchedulingService";
    const DEFAULT_PORT: u16 = 50051;
    const ABOUT: &'static str = "The hospital suite's scheduling service";
    type Own = Own;
    type App = app::Scheduling;

    fn defaults() -> Vec<(&'static str, String)> {
        vec![
            ("visits.breach_sweep_interval_ms", "5000".into()),
            ("recovery.branch_director_limit_minor", "50000".into()),
            ("recovery.region_admin_limit_minor", "500000".into()),
            ("recovery.group_admin_limit_minor", "5000000".into()),
            ("booking.require_customer_id", "false".into()),
        ]
    }

    fn migrations() -> &'static Migrations {
        service_kit::migrations!()
    }

    /// The use cases, the API, and the wait-promise sweeper.
    async fn build(
        parts: Parts<Own>,
        launch: &mut Launch,
    ) -> anyhow::Result<Built<app::Scheduling>> {
        let r = &parts.settings.recovery;
        let limits = domain::recovery::Limits {
            branch_director: r.branch_director_limit_minor,
            region_admin: r.region_admin_limit_minor,
            group_admin: r.group_admin_limit_minor,
        };
        let app =
            app::Scheduling::new(parts.db, parts.outbox, parts.clock.clone()).with_limits(limits);
        let sweeper = app.clone();
        launch.every(
            Duration::from_millis(parts.settings.visits.breach_sweep_interval_ms.max(10)),
            move || {
                let app = sweeper.clone();
                async move {
                    if let Err(e) = app.sweep_wait_promises().await {
                        tracing::warn!(error = %e, "sweep wait promises");
                    }
                }
            },
        );
        let api = api::Api::new(app.clone(), parts.clock)
            .requiring_customer_id(parts.settings.booking.require_customer_id);
        Ok(Built {
            app,
            routes: tonic::service::Routes::new(SchedulingServiceServer::new(api)),
        })
    }
}
