//! Any service in-process, as its tests and the end-to-end tests start it.

use std::{net::SocketAddr, sync::Arc};

use secrecy::SecretString;
use service_kit::{
    runtime::Running,
    service::{self, Settings, Spec},
};
use tonic::transport::Channel;

use crate::{SECRET, World};

/// Service `T` running in-process for a test: its own fresh database on the world's
/// backend, the world's clock and secret, on a port of its own that survives restarts.
pub struct TestService<T: Spec> {
    /// The settings it starts with; change them and [`TestService::restart`] to apply.
    pub settings: Settings<T::Own>,
    running: Option<Running<T::App>>,
    addr: SocketAddr,
    clock: crate::ManualClock,
}

impl<T: Spec> std::fmt::Debug for TestService<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestService")
            .field("service", &T::NAME)
            .field("addr", &self.addr)
            .field("running", &self.running.is_some())
            .finish()
    }
}

impl<T: Spec> TestService<T> {
    /// Starts `T` on a fresh database (named after the service) with its defaults, the
    /// world's secret, and whatever `configure` changes.
    pub async fn start(world: &World, configure: impl FnOnce(&mut Settings<T::Own>)) -> Self {
        let mut settings = service::load::<T>(None).expect("the defaults load");
        settings.database.url = SecretString::from(world.fresh_database(T::NAME).await);
        settings.auth.hs256_secret = Some(SecretString::from(SECRET));
        configure(&mut settings);
        let mut svc = Self {
            settings,
            running: None,
            addr: "127.0.0.1:0".parse().expect("an address"),
            clock: world.clock.clone(),
        };
        svc.restart().await;
        svc
    }

    /// A second replica of this service: the same settings and database, its own port,
    /// as a deployment runs several behind one address.
    pub async fn replica(&self) -> Self {
        let mut svc = Self {
            settings: self.settings.clone(),
            running: None,
            addr: "127.0.0.1:0".parse().expect("an address"),
            clock: self.clock.clone(),
        };
        svc.restart().await;
        svc
    }

    /// Stops the service when it runs, then starts it again on the same port and database.
    pub async fn restart(&mut self) {
        self.stop().await;
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind the service's port");
        let running = service::start::<T>(
            self.settings.clone(),
            Arc::new(self.clock.clone()),
            listener,
        )
        .await
        .unwrap_or_else(|e| panic!("{} starts: {e:#}", T::NAME));
        self.addr = running.addr;
        self.running = Some(running);
    }

    /// Stops the service (calls in flight finish); nothing when it is not running.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running
                .stop()
                .await
                .unwrap_or_else(|e| panic!("{} stops cleanly: {e:#}", T::NAME));
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`, for another service's settings.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A channel to it that connects on first use (and again after a restart).
    pub fn channel(&self) -> Channel {
        Channel::from_shared(self.endpoint())
            .expect("a URI")
            .connect_lazy()
    }

    /// Its use cases, for what a test drives in-process (a sweep now rather than later).
    pub fn app(&self) -> &T::App {
        &self
            .running
            .as_ref()
            .unwrap_or_else(|| panic!("{} is not running", T::NAME))
            .app
    }

    /// Whether it runs.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }
}
