//! Logs, traces and metrics.
//!
//! [`init`] installs a `tracing` subscriber (compact lines locally, JSON in production) and,
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, OpenTelemetry trace and metric pipelines
//! exporting over OTLP/gRPC. The returned [`TelemetryGuard`] flushes both on drop.
//! [`GrpcTelemetryLayer`] gives every incoming call a span whose parent is the caller's W3C
//! `traceparent`, and records its duration; [`OutgoingInterceptor`] puts the current
//! context (and a bearer token) on outgoing calls.

use std::{
    io::IsTerminal,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use opentelemetry::{
    KeyValue, global,
    metrics::Histogram,
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{
    Resource, metrics::SdkMeterProvider, propagation::TraceContextPropagator,
    trace::SdkTracerProvider,
};
use secrecy::{ExposeSecret, SecretString};
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer as _, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{LogFormat, TelemetrySettings};

/// Flushes and shuts down the OpenTelemetry pipelines when dropped.
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take()
            && let Err(e) = tracer.shutdown()
        {
            eprintln!("flush traces: {e}");
        }
        if let Some(meter) = self.meter.take()
            && let Err(e) = meter.shutdown()
        {
            eprintln!("flush metrics: {e}");
        }
    }
}

/// Whether log lines get colour codes: only on a terminal, and not when `NO_COLOR` is set.
fn colour(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs logging, and OTLP export when `telemetry.otlp_endpoint` or
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Call once,
/// inside a multi-threaded Tokio runtime. A second call (tests) keeps the first subscriber.
pub fn init(service: &str, settings: &TelemetrySettings) -> anyhow::Result<TelemetryGuard> {
    let filter =
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&settings.filter))?;
    let fmt = match settings.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        // Colour codes only for a person at a terminal: in a file or a log collector they
        // are noise. NO_COLOR (https://no-color.org) turns them off even there.
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .compact()
            .with_ansi(colour(std::io::stdout().is_terminal()))
            .boxed(),
    };
    global::set_text_map_propagator(TraceContextPropagator::new());

    let mut guard = TelemetryGuard::default();
    let endpoint = settings
        .otlp_endpoint
        .clone()
        .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
        .filter(|e| !e.is_empty());
    let otel_layer = if let Some(endpoint) = endpoint {
        let resource = Resource::builder()
            .with_service_name(service.to_owned())
            .build();
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()?;
        let tracer = SdkTracerProvider::builder()
            .with_batch_exporter(spans)
            .with_resource(resource.clone())
            .build();
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        let meter = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(resource)
            .build();
        global::set_meter_provider(meter.clone());
        let layer = tracing_opentelemetry::layer().with_tracer(tracer.tracer(service.to_owned()));
        guard.tracer = Some(tracer.clone());
        global::set_tracer_provider(tracer);
        guard.meter = Some(meter);
        Some(layer)
    } else {
        None
    };
    // A second init in the same process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel_layer)
        .try_init();
    Ok(guard)
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            value.parse(),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// The caller's trace context from incoming headers (`traceparent`, `tracestate`).
pub fn extract_context(headers: &http::HeaderMap) -> opentelemetry::Context {
    global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)))
}

/// Writes the current span's trace context into outgoing metadata.
pub fn inject_context(metadata: &mut tonic::metadata::MetadataMap) {
    let cx = tracing::Span::current().context();
    global::get_text_map_propagator(|p| p.inject_context(&cx, &mut MetadataInjector(metadata)));
}

/// A client interceptor for calls to other services: adds the service's bearer token and
/// the current trace context.
#[derive(Clone, Debug)]
pub struct OutgoingInterceptor {
    authorization: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
}

impl OutgoingInterceptor {
    /// An interceptor presenting `token` (if any).
    pub fn new(token: Option<&SecretString>) -> Self {
        let authorization = token.and_then(|t| {
            let mut v: tonic::metadata::MetadataValue<_> =
                format!("Bearer {}", t.expose_secret()).parse().ok()?;
            v.set_sensitive(true);
            Some(v)
        });
        Self { authorization }
    }
}

impl tonic::service::Interceptor for OutgoingInterceptor {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(auth) = &self.authorization {
            req.metadata_mut().insert("authorization", auth.clone());
        }
        inject_context(req.metadata_mut());
        Ok(req)
    }
}

/// Tower layer: a span per incoming gRPC call, parented on the caller's trace context, and
/// an `rpc.server.duration` histogram (milliseconds) by method and status.
#[derive(Clone, Debug)]
pub struct GrpcTelemetryLayer {
    duration: Arc<Histogram<f64>>,
}

impl GrpcTelemetryLayer {
    /// A layer recording into the global meter under `service`.
    pub fn new(service: &'static str) -> Self {
        let meter = global::meter(service);
        let duration = meter
            .f64_histogram("rpc.server.duration")
            .with_unit("ms")
            .with_description("Duration of incoming gRPC calls")
            .build();
        Self {
            duration: Arc::new(duration),
        }
    }
}

impl<S> Layer<S> for GrpcTelemetryLayer {
    type Service = GrpcTelemetry<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcTelemetry {
            inner,
            duration: self.duration.clone(),
        }
    }
}

/// The service [`GrpcTelemetryLayer`] wraps.
#[derive(Clone, Debug)]
pub struct GrpcTelemetry<S> {
    inner: S,
    duration: Arc<Histogram<f64>>,
}

impl<S, B, RB> Service<http::Request<B>> for GrpcTelemetry<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let method = req.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc",
            otel.name = %method,
            rpc.system = "grpc",
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
            subject = tracing::field::Empty,
        );
        // Without a remote parent this fails harmlessly and the span starts a new trace.
        let _ = span.set_parent(extract_context(req.headers()));
        let histogram = self.duration.clone();
        let started = Instant::now();
        Box::pin(
            async move {
                let result = inner.call(req).await;
                // Errors in tonic unary calls travel as trailers-only responses, so the
                // status is in the headers; success carries it in trailers (0).
                let code = match &result {
                    Ok(resp) => resp
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i64>().ok())
                        .unwrap_or(0),
                    Err(_) => 2,
                };
                tracing::Span::current().record("rpc.grpc.status_code", code);
                // Unknown methods (UNIMPLEMENTED) share one label, so callers cannot mint
                // new metric series with made-up paths.
                let method = if code == 12 {
                    "unknown".to_owned()
                } else {
                    method
                };
                histogram.record(
                    started.elapsed().as_secs_f64() * 1000.0,
                    &[
                        KeyValue::new("rpc.method", method),
                        KeyValue::new("rpc.grpc.status_code", code),
                    ],
                );
                result
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_lines_are_plain_unless_written_to_a_terminal() {
        assert!(
            !super::colour(false),
            "a file or a pipe gets no colour codes"
        );
        // On a terminal, colour unless NO_COLOR says otherwise (CI sets neither reliably,
        // so only the rule's shape is checked here).
        assert_eq!(
            super::colour(true),
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        );
    }
}
