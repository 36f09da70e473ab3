//! Another service of the suite as a caller reaches it over gRPC: where it is (a settings
//! section), a lazily connecting channel carrying this service's token and the trace
//! context, its event feed as a stream, and what its refusals mean here.

use std::time::Duration;

use secrecy::SecretString;
use tokio_stream::{Stream, StreamExt};
use tonic::{Code, codegen::InterceptedService, transport::Channel};

use crate::{
    Error, Result, auth::service_token, config::AuthSettings, telemetry::OutgoingInterceptor,
};

/// Where another service is, as a caller configures it (a section such as
/// `COMPLAINTS__CONTACT__ENDPOINT`, `CONTACT__COMPLAINTS__FOLLOW_EVENTS`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct UpstreamSettings {
    /// `http://host:port`.
    pub endpoint: String,
    /// Deadline of each unary call, in milliseconds.
    pub timeout_ms: u64,
    /// Whether to follow its events (off for tools, tests that feed events by hand, and
    /// deployments without that service).
    pub follow_events: bool,
}

impl UpstreamSettings {
    /// A channel to the service presenting `service`'s token (see [`service_token`]).
    pub fn connect(
        &self,
        auth: &AuthSettings,
        service: &str,
    ) -> anyhow::Result<InterceptedService<Channel, OutgoingInterceptor>> {
        connect(
            &self.endpoint,
            service_token(auth, service).as_ref(),
            Duration::from_millis(self.timeout_ms.max(100)),
        )
    }
}

/// The defaults of an upstream section for a service's `Spec::defaults`: `section` on this
/// machine's `port`, 5 s per call, events followed. Both must be literals:
/// `upstream_defaults!("contact", 50052)`.
#[macro_export]
macro_rules! upstream_defaults {
    ($section:literal, $port:literal) => {
        [
            (
                concat!($section, ".endpoint"),
                concat!("http://127.0.0.1:", $port),
            ),
            (concat!($section, ".timeout_ms"), "5000"),
            (concat!($section, ".follow_events"), "true"),
        ]
    };
}

/// A lazily connecting channel to `endpoint` presenting `token`, each unary call bounded by
/// `timeout`.
pub fn connect(
    endpoint: &str,
    token: Option<&SecretString>,
    timeout: Duration,
) -> anyhow::Result<InterceptedService<Channel, OutgoingInterceptor>> {
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())?
        .connect_timeout(Duration::from_secs(3))
        .timeout(timeout)
        .tcp_nodelay(true)
        .connect_lazy();
    Ok(InterceptedService::new(
        channel,
        OutgoingInterceptor::new(token),
    ))
}

/// A `Subscribe` reply of `service` as a stream of its events (taken out of each response
/// by `event`); a refused subscription or a broken stream is an outage.
pub fn events<R, E>(
    service: &'static str,
    reply: std::result::Result<tonic::Response<tonic::Streaming<R>>, tonic::Status>,
    event: fn(R) -> Option<E>,
) -> Result<impl Stream<Item = Result<E>> + Unpin + use<R, E>>
where
    R: Send + 'static,
    E: 'static,
{
    let stream = reply
        .map(tonic::Response::into_inner)
        .map_err(|s| refused(service, "subscribe to its events", &s))?;
    Ok(stream.map(move |item| {
        let response =
            item.map_err(|s| Error::Unavailable(format!("{service} feed: {}", s.message())))?;
        event(response).ok_or_else(|| {
            Error::Unavailable(format!("{service} feed: a response without its event"))
        })
    }))
}

/// What `service`'s refusal of `what` means here: a refused service token is this
/// deployment's fault (INTERNAL, logged); anything else is an outage (UNAVAILABLE).
pub fn refused(service: &str, what: &str, s: &tonic::Status) -> Error {
    match s.code() {
        Code::PermissionDenied | Code::Unauthenticated => Error::Internal(anyhow::anyhow!(
            "{service} refused this service's token to {what}: {}",
            s.message()
        )),
        _ => Error::Unavailable(format!("{service} could not {what}: {}", s.message())),
    }
}
