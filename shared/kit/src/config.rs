//! Layered configuration: the service's defaults, then an optional TOML file, then the
//! environment (`SCHEDULING__DATABASE__URL=…` sets `database.url`).

use std::{net::SocketAddr, path::Path, path::PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

/// Where the gRPC server listens and how it protects itself.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Address to bind (`0.0.0.0:50051` in containers).
    pub listen: SocketAddr,
    /// Upper bound for any one request, in seconds.
    pub request_timeout_secs: u64,
    /// Requests served at once across all connections; more wait in line.
    pub concurrency_limit: usize,
    /// How often the database is pinged to drive the health status, in milliseconds.
    pub health_probe_interval_ms: u64,
}

/// The database: the URL's scheme (`postgres://` or `sqlite://`) picks the backend.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Connection URL; may contain a password, so it never prints.
    pub url: SecretString,
    /// Pool size. SQLite serialises writers anyway, so its default is 1.
    pub max_connections: Option<u32>,
    /// How long a call waits for a connection before it fails with `UNAVAILABLE`, in
    /// milliseconds. Kept below `server.request_timeout_secs` (the kit refuses to start
    /// otherwise), so a caller hears "unavailable", which it may retry, rather than a
    /// cancelled call.
    #[serde(default = "default_acquire_timeout_ms")]
    pub acquire_timeout_ms: u64,
}

fn default_acquire_timeout_ms() -> u64 {
    2000
}

/// How bearer tokens are verified and how this service signs its own outgoing calls.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Shared HS256 secret: for local runs, tests and the suite only.
    pub hs256_secret: Option<SecretString>,
    /// PEM file with the RS256 public key of the group's token issuer (production).
    pub rs256_public_key_file: Option<PathBuf>,
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim, when set.
    pub audience: Option<String>,
    /// Token this service presents when calling other services; minted from the HS256
    /// secret when absent and a secret is configured.
    pub service_token: Option<SecretString>,
}

/// Log format and filter.
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// `pretty` for people, `json` for log collectors.
    pub format: LogFormat,
    /// `tracing` filter directives, used when `RUST_LOG` is not set.
    pub filter: String,
    /// OTLP/gRPC collector (`http://otel-collector:4317`); when unset,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` is used, and without either nothing is exported.
    pub otlp_endpoint: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Compact, human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The sections every service has.
#[derive(Debug, Clone, Deserialize)]
pub struct CommonSettings {
    /// gRPC server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Token verification.
    pub auth: AuthSettings,
    /// Logs, traces and metrics.
    pub telemetry: TelemetrySettings,
}

/// The defaults every service shares; a service adds its own port and database file.
pub fn common_defaults(port: u16, sqlite_file: &str) -> Vec<(&'static str, String)> {
    vec![
        ("server.listen", format!("127.0.0.1:{port}")),
        ("server.request_timeout_secs", "30".into()),
        ("server.concurrency_limit", "1024".into()),
        ("server.health_probe_interval_ms", "5000".into()),
        ("database.url", format!("sqlite://{sqlite_file}?mode=rwc")),
        ("database.acquire_timeout_ms", "2000".into()),
        ("auth.issuer", "hospital-suite".into()),
        ("telemetry.format", "pretty".into()),
        ("telemetry.filter", "info".into()),
    ]
}

/// Loads a `T` for service `service` from `defaults`, then `file` (when given), then the
/// environment variables `SERVICE__SECTION__KEY`.
pub fn load<T: serde::de::DeserializeOwned>(
    service: &str,
    defaults: &[(&str, String)],
    file: Option<&Path>,
) -> anyhow::Result<T> {
    Ok(build(service, defaults, file)?.try_deserialize()?)
}

/// The layered sources of service `service`, merged, before deserialising: one build can
/// then fill several structs (the common sections and the service's own).
pub fn build(
    service: &str,
    defaults: &[(&str, String)],
    file: Option<&Path>,
) -> anyhow::Result<config::Config> {
    let mut builder = config::Config::builder();
    for (key, value) in defaults {
        builder = builder.set_default(*key, value.as_str())?;
    }
    if let Some(file) = file {
        builder = builder.add_source(config::File::from(file).required(true));
    }
    builder = builder.add_source(
        config::Environment::with_prefix(&service.to_uppercase())
            .prefix_separator("__")
            .separator("__"),
    );
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn file_overrides_defaults_and_secrets_do_not_print() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("svc.toml");
        std::fs::write(
            &file,
            "[database]\nurl = \"postgres://u:hunter2@db/x\"\n[server]\nconcurrency_limit = 7\n",
        )
        .unwrap();
        let s: CommonSettings =
            load("kittest", &common_defaults(50099, "data/x.db"), Some(&file)).unwrap();
        assert_eq!(s.server.concurrency_limit, 7);
        assert_eq!(s.server.listen.port(), 50099);
        assert_eq!(s.database.url.expose_secret(), "postgres://u:hunter2@db/x");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
