//! The scheduling service as the other services call it over gRPC, with the service token
//! and the caller's trace context: the branch directory and the event feed. A service adds
//! its own calls through [`Scheduling::client`].

use std::time::Duration;

use hospital_proto::scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient};
use secrecy::SecretString;
use tokio_stream::Stream;
use tonic::{Code, codegen::InterceptedService, transport::Channel};

use crate::{
    Error, Result, auth::service_token, config::AuthSettings, telemetry::OutgoingInterceptor,
    upstream,
};

/// Where scheduling is, as a service that calls it configures it (its `scheduling`
/// section: `COMPLAINTS__SCHEDULING__ENDPOINT`, `CONTACT__SCHEDULING__TIMEOUT_MS`, …).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SchedulingSettings {
    /// `http://host:port`.
    pub endpoint: String,
    /// Deadline of each unary call, in milliseconds.
    pub timeout_ms: u64,
    /// Whether to follow its events (off only for tools and tests that feed events by hand).
    pub follow_events: bool,
}

impl SchedulingSettings {
    /// The section's defaults, for a service's `Spec::defaults`: scheduling on this
    /// machine's default port, 5 s per call, events followed.
    pub const DEFAULTS: [(&'static str, &'static str); 3] =
        crate::upstream_defaults!("scheduling", 50051);

    /// A client of scheduling presenting `service`'s token (see [`service_token`]).
    pub fn client(&self, auth: &AuthSettings, service: &str) -> anyhow::Result<Scheduling> {
        Scheduling::new(
            &self.endpoint,
            service_token(auth, service).as_ref(),
            Duration::from_millis(self.timeout_ms.max(100)),
        )
    }
}

/// The generated client, with the service token and trace context on every call.
pub type Client = SchedulingServiceClient<InterceptedService<Channel, OutgoingInterceptor>>;

/// A handle on scheduling; cheap to clone.
#[derive(Clone, Debug)]
pub struct Scheduling {
    client: Client,
}

impl Scheduling {
    /// A lazily connecting client of `endpoint` presenting `token`, each unary call bounded
    /// by `timeout`.
    pub fn new(
        endpoint: &str,
        token: Option<&SecretString>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: SchedulingServiceClient::new(upstream::connect(endpoint, token, timeout)?),
        })
    }

    /// The client, for calls this handle does not wrap.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The branch as scheduling has it; `None` when scheduling does not know it. An id
    /// scheduling refuses is the caller's mistake (`INVALID_ARGUMENT` on `branch_id`),
    /// never an outage.
    pub async fn branch(&self, branch_id: &str) -> Result<Option<pb::Branch>> {
        let reply = self
            .client
            .clone()
            .get_branch(pb::GetBranchRequest {
                branch_id: branch_id.to_owned(),
            })
            .await;
        match reply {
            Ok(r) => Ok(r.into_inner().branch),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) if s.code() == Code::InvalidArgument => Err(Error::invalid(
                "branch_id",
                "not a branch id scheduling accepts",
            )),
            Err(s) => Err(upstream("look up the branch", &s)),
        }
    }

    /// Scheduling's events after `after`, as a live stream; a broken stream is an outage.
    pub async fn events(
        &self,
        after: u64,
    ) -> Result<impl Stream<Item = Result<pb::SchedulingEvent>> + Unpin + use<>> {
        let reply = self
            .client
            .clone()
            .subscribe(pb::SubscribeRequest {
                after,
                branch_id: String::new(),
            })
            .await;
        upstream::events("scheduling", reply, |r: pb::SubscribeResponse| r.event)
    }
}

/// What scheduling's refusal of `what` means here (see [`upstream::refused`]).
pub fn upstream(what: &str, s: &tonic::Status) -> Error {
    upstream::refused("scheduling", what, s)
}
