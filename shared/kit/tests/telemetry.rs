//! Traces reach an OTLP collector, and a call's span continues the caller's W3C trace; the
//! current trace is written into outgoing metadata. (Its own test binary: telemetry is
//! process-global.)

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry::trace::TraceContextExt;
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    trace::v1::Span,
};
use service_kit::{
    config::{LogFormat, TelemetrySettings},
    telemetry::{self, GrpcTelemetryLayer, inject_context},
};
use tokio_stream::wrappers::TcpListenerStream;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tracing_opentelemetry::OpenTelemetrySpanExt;

#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn serve<S>(router: tonic::transport::server::Router<S>) -> SocketAddr
where
    S: tower::Layer<tonic::service::Routes> + Send + 'static,
    S::Service: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    <S::Service as tower::Service<http::Request<tonic::body::Body>>>::Future: Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(router.serve_with_incoming(TcpListenerStream::new(listener)));
    addr
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_the_collector_and_continue_the_callers_trace() {
    let collector = Collector::default();
    let collector_addr = serve(
        tonic::transport::Server::builder().add_service(TraceServiceServer::new(collector.clone())),
    )
    .await;
    let guard = telemetry::init(
        "telemetry-test",
        &TelemetrySettings {
            format: LogFormat::Pretty,
            filter: "info".into(),
            otlp_endpoint: Some(format!("http://{collector_addr}")),
        },
    )
    .unwrap();

    // A served call with the caller's traceparent.
    let (_reporter, health) = tonic_health::server::health_reporter();
    let addr = serve(
        tonic::transport::Server::builder()
            .layer(GrpcTelemetryLayer::new("telemetry-test"))
            .add_service(health),
    )
    .await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = HealthClient::new(channel);
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{PARENT_SPAN}-01").parse().unwrap(),
    );
    client.check(request).await.unwrap();

    // An outgoing call made inside a span carries that span's trace.
    let span = tracing::info_span!("outgoing");
    let mut metadata = tonic::metadata::MetadataMap::new();
    {
        let _entered = span.enter();
        inject_context(&mut metadata);
    }
    let outgoing = metadata.get("traceparent").expect("traceparent injected");
    let trace_id = span.context().span().span_context().trace_id();
    assert_ne!(trace_id, opentelemetry::trace::TraceId::INVALID);
    assert!(
        outgoing
            .to_str()
            .unwrap()
            .contains(&format!("{trace_id:032x}"))
    );
    drop(span);

    // Dropping the guard flushes the batch to the collector.
    tokio::task::spawn_blocking(move || drop(guard))
        .await
        .unwrap();
    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = collector.spans.lock().unwrap().clone();
        if !spans.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let call = spans
        .iter()
        .find(|s| s.name == "/grpc.health.v1.Health/Check")
        .unwrap_or_else(|| {
            panic!(
                "no call span among {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        });
    assert_eq!(hex(&call.trace_id), TRACE_ID);
    assert_eq!(hex(&call.parent_span_id), PARENT_SPAN);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
