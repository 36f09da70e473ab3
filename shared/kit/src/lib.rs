//! The service kit: what every service of the hospital suite shares, so that a service crate
//! is its contract, its domain rules, its SQL and its tests.
//!
//! - [`service`]: one way to declare a service ([`service::Spec`]) and, on top of it, its
//!   settings, `migrate`, `start` and the binary's command line;
//! - [`config`]: defaults → optional file → environment (`SCHEDULING__DATABASE__URL`);
//! - [`telemetry`]: `tracing` (readable locally, JSON in production), OpenTelemetry over
//!   OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, W3C trace context in and out;
//! - [`db`]: one pool type for PostgreSQL and SQLite (the URL's scheme picks), embedded
//!   migrations, transactions that behave the same on both;
//! - [`error`] and [`rules`]: the one mapping from service errors to `tonic::Status`, and
//!   the refusals every service's domain rules share;
//! - [`auth`]: bearer JWT verification as a tower layer, roles and org scopes;
//! - [`serve`]: health, reflection, timeouts, concurrency limits, graceful shutdown;
//! - [`runtime`]: a started service, its background tasks and periodic jobs, and its
//!   orderly stop;
//! - [`edge`]: the gRPC edge's helpers (replies, the caller, ids, dates, enum filters,
//!   region paths, merged violations, `Subscribe`);
//! - [`events`]: the transactional outbox, `Subscribe(after)` streams and consumers;
//! - [`requests`]: page sizes, page tokens, and idempotent creates on `request_id`;
//! - [`clock`] and [`ids`]: injected time and prefixed opaque ids;
//! - [`phone`]: mobile numbers that never leave unmasked;
//! - [`sql`]: list queries built from the filters actually given, and row helpers;
//! - [`scheduling`]: the branch directory and event feed, as the other services call them.
//!
//! Tests use the `test-support` crate (`shared/testing`) beside it.

#![warn(missing_docs)]

pub mod auth;
pub mod cache;
pub mod clock;
pub mod config;
pub mod db;
pub mod edge;
pub mod error;
pub mod events;
pub mod ids;
pub mod phone;
pub mod requests;
pub mod rules;
pub mod runtime;
pub mod scheduling;
pub mod serve;
pub mod service;
pub mod sql;
pub mod telemetry;
pub mod upstream;
pub mod vocabulary;

pub use error::{Error, Result};

// Every service binary links the kit, so this is the allocator they all run on: in booking
// profiles glibc's malloc (and its consolidation) was the largest single item of the
// service's own CPU time. See BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
