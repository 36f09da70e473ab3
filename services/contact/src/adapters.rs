//! The channels' way out. `local` records the message and nothing more (the default for
//! `suite up`: messages are read through `ListMessages`); `webhook` POSTs it to the group's
//! messaging platform as JSON signed with HMAC-SHA256, under the message's idempotency key,
//! within a timeout. Retries, backoff and the dead letter are the sweep's, not the
//! adapter's: an attempt is one call.

use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How messages leave (`CONTACT__DELIVERY__…`).
#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    /// `local` or `webhook`.
    pub adapter: String,
    /// The platform's endpoint (`http://host:port/path`), for `webhook`.
    pub webhook_url: Option<String>,
    /// The shared signing secret, for `webhook`.
    pub webhook_secret: Option<SecretString>,
    /// Deadline of one hand-over, in milliseconds.
    pub timeout_ms: u64,
    /// Hand-over attempts before the dead letter.
    pub max_attempts: u32,
    /// The first retry's delay, in milliseconds; doubled each time.
    pub backoff_ms: u64,
}

/// What the platform receives.
#[derive(Debug, Clone, Serialize)]
pub struct Outgoing {
    /// Also the idempotency key: a retry carries the same one.
    pub message_id: String,
    /// `SMS`, `WECHAT`, …
    pub channel: String,
    /// The address on that channel.
    pub to: String,
    /// The text.
    pub body: String,
    /// `REMINDERS`, …
    pub purpose: String,
    /// Contact's customer id.
    pub customer_id: String,
}

/// Why a hand-over failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOverError {
    /// Worth trying again (timeout, refused connection, 5xx, 429).
    Transient(String),
    /// Trying again will not help (the platform refused the message: 4xx).
    Permanent(String),
}

/// A channel adapter.
#[derive(Clone, Debug)]
pub enum Adapter {
    /// Records only.
    Local,
    /// Posts to the messaging platform.
    Webhook(Box<Webhook>),
}

/// Retry rules, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts before the dead letter.
    pub max_attempts: u32,
    /// First delay; doubled per attempt.
    pub backoff: Duration,
    /// How long an attempt is held before another sweeper may take it: twice the
    /// hand-over's timeout, at least a minute, so a slow platform is never sent the same
    /// message twice at once.
    pub lease: Duration,
}

impl Retry {
    /// The delay after attempt `n` (1-based) failed.
    pub fn delay(&self, n: u32) -> Duration {
        self.backoff
            .saturating_mul(1u32 << n.saturating_sub(1).min(16))
            .min(Duration::from_secs(3600))
    }
}

/// The adapter and the retry rules the settings name.
pub fn from_settings(s: &DeliverySettings) -> anyhow::Result<(Adapter, Retry)> {
    let retry = Retry {
        max_attempts: s.max_attempts.max(1),
        backoff: Duration::from_millis(s.backoff_ms.max(1)),
        lease: Duration::from_millis(s.timeout_ms.saturating_mul(2)).max(Duration::from_secs(60)),
    };
    let adapter = match s.adapter.as_str() {
        "local" => Adapter::Local,
        "webhook" => {
            let url = s.webhook_url.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "CONTACT__DELIVERY__WEBHOOK_URL is required with the webhook adapter"
                )
            })?;
            let uri: http::Uri = url.parse()?;
            anyhow::ensure!(
                uri.scheme_str() == Some("http"),
                "the webhook adapter speaks plain HTTP inside the group's network; put TLS in front of it"
            );
            let secret = s.webhook_secret.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "CONTACT__DELIVERY__WEBHOOK_SECRET is required with the webhook adapter"
                )
            })?;
            Adapter::Webhook(Box::new(Webhook::new(
                uri,
                secret,
                Duration::from_millis(s.timeout_ms.max(1)),
            )))
        }
        other => anyhow::bail!("unknown delivery adapter {other:?}: local or webhook"),
    };
    Ok((adapter, retry))
}

/// The messaging platform's endpoint.
#[derive(Clone)]
pub struct Webhook {
    uri: http::Uri,
    secret: SecretString,
    timeout: Duration,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

/// The signature header: `sha256=<hex HMAC-SHA256 of the body under the shared secret>`.
pub const SIGNATURE_HEADER: &str = "x-hospital-signature";
/// The idempotency header: the message id, the same on every retry.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// `sha256=<hex>` of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

impl Webhook {
    /// A client of `uri`.
    pub fn new(uri: http::Uri, secret: SecretString, timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        Self {
            uri,
            secret,
            timeout,
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    async fn post(&self, msg: &Outgoing) -> Result<(), HandOverError> {
        let body = serde_json::to_vec(msg).map_err(|e| HandOverError::Permanent(e.to_string()))?;
        let sig = signature(self.secret.expose_secret().as_bytes(), &body);
        let request = http::Request::post(self.uri.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_HEADER, &msg.message_id)
            .header(SIGNATURE_HEADER, sig)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| HandOverError::Permanent(e.to_string()))?;
        let reply = tokio::time::timeout(self.timeout, async {
            let response = self.client.request(request).await?;
            let status = response.status();
            // Read the (short) answer so the connection can be reused.
            let _ = response.into_body().collect().await;
            Ok::<_, hyper_util::client::legacy::Error>(status)
        })
        .await;
        match reply {
            Err(_) => Err(HandOverError::Transient(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
            Ok(Err(e)) => Err(HandOverError::Transient(format!(
                "could not reach the platform: {e}"
            ))),
            Ok(Ok(s)) if s.is_success() => Ok(()),
            Ok(Ok(s)) if s.is_server_error() || s.as_u16() == 429 || s.as_u16() == 408 => Err(
                HandOverError::Transient(format!("the platform answered {s}")),
            ),
            Ok(Ok(s)) => Err(HandOverError::Permanent(format!(
                "the platform refused it: {s}"
            ))),
        }
    }
}

impl Adapter {
    /// Hands `msg` to its channel, once.
    pub async fn hand_over(&self, msg: &Outgoing) -> Result<(), HandOverError> {
        match self {
            Adapter::Local => Ok(()),
            Adapter::Webhook(w) => w.post(msg).await,
        }
    }

    /// `local` or `webhook`, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Adapter::Local => "local",
            Adapter::Webhook(_) => "webhook",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn an_attempt_is_held_longer_than_the_platform_may_take() {
        let settings = |timeout_ms| DeliverySettings {
            adapter: "local".into(),
            webhook_url: None,
            webhook_secret: None,
            timeout_ms,
            max_attempts: 5,
            backoff_ms: 2000,
        };
        let (_, short) = from_settings(&settings(5_000)).unwrap();
        assert_eq!(short.lease, Duration::from_secs(60));
        let (_, slow) = from_settings(&settings(90_000)).unwrap();
        assert_eq!(slow.lease, Duration::from_secs(180));
    }

    #[test]
    fn retries_back_off_doubling() {
        let r = Retry {
            max_attempts: 5,
            backoff: Duration::from_secs(2),
            lease: Duration::from_secs(60),
        };
        assert_eq!(r.delay(1), Duration::from_secs(2));
        assert_eq!(r.delay(3), Duration::from_secs(8));
        assert_eq!(r.delay(40), Duration::from_secs(3600));
    }
}
