//! The customer-contact service: customers (the mobile is the identity; the national ID
//! number only as a keyed hash), contact points, consent by purpose, needs for the day;
//! and the three reminders of every booked visit, planned from scheduling's events and
//! handed to a channel adapter when due.
//!
//! Layers point one way: [`api`] (gRPC edge) → [`app`] (use cases) → [`domain`] (rules,
//! no I/O), [`store`] (SQL) and [`adapters`] (the channels). [`Service`] declares it to
//! the kit, which starts it for the binary, the suite and the tests.

pub mod adapters;
pub mod api;
pub mod app;
pub mod domain;
pub mod store;

use std::time::Duration;

use hospital_proto::contact::contact_service_server::ContactServiceServer;
use secrecy::SecretString;
use serde::Deserialize;
use service_kit::{
    db::Migrations,
    runtime::Launch,
    scheduling::SchedulingSettings,
    service::{Built, Parts, Spec},
    upstream::UpstreamSettings,
};

/// The contact service, as the kit starts it (`service_kit::service::start::<Service>`).
#[derive(Debug)]
pub struct Service;

/// The service's settings: the common sections and [`Own`].
pub type Settings = service_kit::service::Settings<Own>;

/// The running service; `app` is its use cases, for in-process callers.
pub type Running = service_kit::runtime::Running<app::Contact>;

/// The service's own settings sections (`CONTACT__DELIVERY__…`).
#[derive(Debug, Clone, Deserialize)]
pub struct Own {
    /// Where scheduling is.
    pub scheduling: SchedulingSettings,
    /// Where complaints is: its events say what became of a detractor's work order.
    pub complaints: UpstreamSettings,
    /// The reminder sweep.
    pub reminders: ReminderSettings,
    /// How messages leave.
    pub delivery: adapters::DeliverySettings,
    /// Satisfaction surveys.
    pub surveys: SurveySettings,
    /// The key ID numbers are hashed with.
    #[serde(default)]
    pub identity: IdentitySettings,
}

/// The sweep that sends due reminders and retries queued messages.
#[derive(Debug, Clone, Deserialize)]
pub struct ReminderSettings {
    /// How often, in milliseconds.
    pub sweep_interval_ms: u64,
    /// Most reminders (and most messages) one sweep takes.
    pub batch: u32,
    /// Reminders (and messages) handled at once within a sweep.
    pub concurrency: u32,
}

/// Satisfaction surveys after a visit.
#[derive(Debug, Clone, Deserialize)]
pub struct SurveySettings {
    /// Minutes after a visit completes when its survey goes out.
    pub delay_minutes: u32,
}

/// The key of the ID-number hash.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IdentitySettings {
    /// HMAC key; without it, ID numbers are refused rather than stored weakly.
    pub hash_key: Option<SecretString>,
}

impl Spec for Service {
    const NAME: &'static str = "contact";
    const GRPC_NAME: &'static str = "hospital.contact.v1.ContactService";
    const DEFAULT_PORT: u16 = 50052;
    const ABOUT: &'static str = "The hospital suite's customer-contact service";
    type Own = Own;
    type App = app::Contact;

    fn defaults() -> Vec<(&'static str, String)> {
        SchedulingSettings::DEFAULTS
            .into_iter()
            .chain(service_kit::upstream_defaults!("complaints", 50053))
            .chain([
                ("reminders.sweep_interval_ms", "1000"),
                ("reminders.batch", "2000"),
                ("reminders.concurrency", "32"),
                ("surveys.delay_minutes", "120"),
                ("delivery.adapter", "local"),
                ("delivery.timeout_ms", "5000"),
                ("delivery.max_attempts", "5"),
                ("delivery.backoff_ms", "2000"),
            ])
            .map(|(k, v)| (k, v.to_owned()))
            .collect()
    }

    fn migrations() -> &'static Migrations {
        service_kit::migrations!()
    }

    /// The use cases over scheduling's directory and feed, the API, and the sweep.
    async fn build(parts: Parts<Own>, launch: &mut Launch) -> anyhow::Result<Built<app::Contact>> {
        let settings = &parts.settings;
        let scheduling = settings.scheduling.client(&settings.auth, Self::NAME)?;
        let (adapter, retry) = adapters::from_settings(&settings.delivery)?;
        let app = app::Contact::new(
            parts.db,
            parts.outbox,
            parts.clock,
            scheduling,
            adapter,
            retry,
            settings.identity.hash_key.clone(),
            settings.reminders.batch.max(1),
            settings.reminders.concurrency,
        )
        .with_survey_delay(settings.surveys.delay_minutes);
        let sweeper = app.clone();
        launch.every(
            Duration::from_millis(settings.reminders.sweep_interval_ms.max(10)),
            move || {
                let app = sweeper.clone();
                async move {
                    if let Err(e) = app.sweep().await {
                        tracing::warn!(error = %e, "sweep reminders");
                    }
                }
            },
        );
        let follow_up = app.clone();
        launch.every(
            Duration::from_millis(settings.reminders.sweep_interval_ms.max(10)),
            move || {
                let app = follow_up.clone();
                async move {
                    if let Err(e) = app.sweep_follow_up().await {
                        tracing::warn!(error = %e, "sweep follow-up tasks and surveys");
                    }
                }
            },
        );
        if settings.scheduling.follow_events {
            launch.spawn(app.clone().run_feed(launch.stopped()));
        }
        if settings.complaints.follow_events {
            let complaints = app::work_orders::ComplaintsClient::new(
                settings.complaints.connect(&settings.auth, Self::NAME)?,
            );
            launch.spawn(
                app.clone()
                    .run_complaints_feed(complaints, launch.stopped()),
            );
        }
        Ok(Built {
            routes: tonic::service::Routes::new(ContactServiceServer::new(api::Api::new(
                app.clone(),
            ))),
            app,
        })
    }
}
