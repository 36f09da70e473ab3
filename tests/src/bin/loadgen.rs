//! Load generator for the scheduling service's booking path.
//!
//! `loadgen setup` creates (idempotently) a benchmark branch open around the clock with
//! large slots for the next 30 days, and a one-item package. `loadgen book` then books
//! random slots of it, either closed loop (N clients, each sending its next booking when
//! the last one answered) or open loop (`--rate`: a fixed number of bookings per second,
//! sent on schedule whether or not earlier ones have answered, latency counted from the
//! scheduled send time so queueing is not hidden). `loadgen ready` waits until the service
//! reports SERVING and prints how long that took since a given instant.
//!
//! Every loop is bounded in time and in count, and targets only the address given.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use hospital_proto::{
    common,
    scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use secrecy::SecretString;
use service_kit::auth::{OrgScope, Role, TokenIssuer};
use tokio::sync::Mutex;
use tonic::{Code, Request, transport::Channel};

#[derive(Parser)]
#[command(about = "Books against a running scheduling service and reports latency")]
struct Cli {
    /// The service, e.g. http://127.0.0.1:50051 (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    target: String,
    /// The service's HS256 secret, to mint a group-admin token.
    #[arg(long, env = "LOADGEN_SECRET")]
    secret: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the benchmark branch, template, slots and package (idempotent).
    Setup,
    /// Book for a while and print throughput, latency and errors.
    Book {
        /// Concurrent clients (closed loop).
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Open loop: bookings per second instead of closed-loop clients.
        #[arg(long)]
        rate: Option<u64>,
        /// HTTP/2 connections to spread the clients over.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// A label printed with the result line.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Wait until health says SERVING; print milliseconds since `--since-unix-ns`.
    Ready {
        #[arg(long)]
        since_unix_ns: u128,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
}

const BENCH_CODE: &str = "BENCH-01";

fn authed<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    r
}

fn tod(hours: i32, minutes: i32) -> common::TimeOfDay {
    common::TimeOfDay { hours, minutes }
}

fn date(d: jiff::civil::Date) -> common::Date {
    common::Date {
        year: d.year().into(),
        month: d.month().into(),
        day: d.day().into(),
    }
}

fn check_loopback(target: &str) -> anyhow::Result<()> {
    let host = target
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap_or_default();
    if !(host == "localhost" || host.starts_with("127.") || host == "[::1]") {
        bail!("loadgen only targets loopback addresses, not {host}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    check_loopback(&cli.target)?;
    let token = TokenIssuer::hs256(&SecretString::from(cli.secret.clone()), "hospital-suite")
        .issue("loadgen", Role::GroupAdmin, &OrgScope::Group, 24 * 3600);
    match cli.command {
        Command::Ready {
            since_unix_ns,
            timeout,
        } => ready(&cli.target, since_unix_ns, timeout).await,
        Command::Setup => {
            let channel = Channel::from_shared(cli.target.clone())?.connect().await?;
            let (slots, package) =
                setup(&mut SchedulingServiceClient::new(channel), &token).await?;
            println!(
                "bench branch ready: {} slots, package {package}",
                slots.len()
            );
            Ok(())
        }
        Command::Book {
            clients,
            duration,
            rate,
            connections,
            label,
        } => {
            let mut channels = Vec::new();
            for _ in 0..connections.max(1) {
                channels.push(Channel::from_shared(cli.target.clone())?.connect().await?);
            }
            let (slots, package) = setup(
                &mut SchedulingServiceClient::new(channels[0].clone()),
                &token,
            )
            .await?;
            let plan = Arc::new(Plan {
                token,
                slots,
                package,
            });
            let report = match rate {
                Some(rate) => open_loop(&channels, plan, rate, Duration::from_secs(duration)).await,
                None => closed_loop(&channels, plan, clients, Duration::from_secs(duration)).await,
            };
            report.print(
                &label,
                rate.map_or(format!("clients={clients}"), |r| format!("rate={r}/s")),
            );
            Ok(())
        }
    }
}

async fn ready(target: &str, since_unix_ns: u128, timeout: u64) -> anyhow::Result<()> {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let deadline = Instant::now() + Duration::from_secs(timeout);
    while Instant::now() < deadline {
        if let Ok(channel) = Channel::from_shared(target.to_owned())?.connect().await {
            let status = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: "hospital.scheduling.v1.SchedulingService".into(),
                })
                .await
                .map(|r| r.into_inner().status);
            if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
                println!("{:.1}", (now.saturating_sub(since_unix_ns)) as f64 / 1e6);
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!("not serving after {timeout}s")
}

/// Creates what the benchmark books into; returns the slot ids and the package id.
async fn setup(
    c: &mut SchedulingServiceClient<Channel>,
    token: &str,
) -> anyhow::Result<(Vec<String>, String)> {
    let hours = (1..=7)
        .map(|d| pb::OpeningHours {
            weekday: d,
            opens: Some(tod(0, 0)),
            closes: Some(tod(24, 0)),
        })
        .collect();
    let branch = c
        .create_branch(authed(
            token,
            pb::CreateBranchRequest {
                request_id: "loadgen-branch".into(),
                code: BENCH_CODE.into(),
                name: "压测分院".into(),
                brand: "bench".into(),
                region: Some(common::RegionPath {
                    province: "bench".into(),
                    city: "bench".into(),
                }),
                time_zone: "Asia/Shanghai".into(),
                opening_hours: hours,
                holidays: vec![],
                wait_promise_minutes: 30,
                fasting_arrival_cutoff: None,
            },
        ))
        .await
        .context("create bench branch")?
        .into_inner()
        .branch
        .context("branch in reply")?;
    let windows = (1..=7)
        .flat_map(|d| {
            (0..48).map(move |half_hour| pb::TemplateWindow {
                weekday: d,
                start: Some(tod(half_hour / 2, (half_hour % 2) * 30)),
                end: Some(tod((half_hour + 1) / 2, ((half_hour + 1) % 2) * 30)),
                capacity: 10_000,
            })
        })
        .collect();
    c.set_weekly_template(authed(
        token,
        pb::SetWeeklyTemplateRequest {
            branch_id: branch.branch_id.clone(),
            windows,
        },
    ))
    .await
    .context("set bench template")?;
    let tomorrow = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai")?)
        .date()
        .tomorrow()?;
    let last = tomorrow.checked_add(jiff::Span::new().days(30))?;
    c.generate_slots(authed(
        token,
        pb::GenerateSlotsRequest {
            branch_id: branch.branch_id.clone(),
            from: Some(date(tomorrow)),
            to: Some(date(last)),
        },
    ))
    .await
    .context("generate bench slots")?;
    let item = c
        .create_exam_item(authed(
            token,
            pb::CreateExamItemRequest {
                request_id: "loadgen-item".into(),
                code: "BENCH-ITEM".into(),
                name: "压测项目".into(),
                department: "bench".into(),
                duration_minutes: 5,
                fasting_required: false,
                order_hint: 0,
            },
        ))
        .await
        .context("create bench item")?
        .into_inner()
        .exam_item
        .context("item in reply")?;
    let package = c
        .create_package(authed(
            token,
            pb::CreatePackageRequest {
                request_id: "loadgen-package".into(),
                code: "BENCH-PKG".into(),
                name: "压测套餐".into(),
                exam_item_ids: vec![item.exam_item_id],
                price: Some(common::Money {
                    currency_code: "CNY".into(),
                    minor_units: 100,
                }),
            },
        ))
        .await
        .context("create bench package")?
        .into_inner()
        .package
        .context("package in reply")?;
    let slots = c
        .search_availability(authed(
            token,
            pb::SearchAvailabilityRequest {
                branch_id: branch.branch_id,
                package_id: package.package_id.clone(),
                from: Some(date(tomorrow)),
                to: Some(date(last)),
            },
        ))
        .await
        .context("list bench slots")?
        .into_inner()
        .slots
        .into_iter()
        .map(|s| s.slot_id)
        .collect::<Vec<_>>();
    if slots.is_empty() {
        bail!("no bench slots");
    }
    Ok((slots, package.package_id))
}

struct Plan {
    token: String,
    slots: Vec<String>,
    package: String,
}

impl Plan {
    fn request(&self, seed: u64) -> Request<pb::BookAppointmentRequest> {
        let r = splitmix(seed);
        authed(
            &self.token,
            pb::BookAppointmentRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                slot_id: self.slots[(r % self.slots.len() as u64) as usize].clone(),
                package_id: self.package.clone(),
                customer: Some(pb::CustomerInput {
                    customer_id: String::new(),
                    name: "压测客户".into(),
                    phone: format!("139{:08}", (r >> 20) % 100_000_000),
                }),
            },
        )
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[derive(Default)]
struct Report {
    ok: u64,
    errors: BTreeMap<String, u64>,
    latency_us: Option<Histogram<u64>>,
    elapsed: Duration,
}

impl Report {
    fn record(&mut self, result: Result<(), Code>, latency: Duration) {
        let h = self
            .latency_us
            .get_or_insert_with(|| Histogram::new_with_bounds(1, 60_000_000, 3).expect("bounds"));
        let _ = h.record(latency.as_micros().clamp(1, 60_000_000) as u64);
        match result {
            Ok(()) => self.ok += 1,
            Err(code) => *self.errors.entry(format!("{code:?}")).or_default() += 1,
        }
    }

    fn print(&self, label: &str, shape: String) {
        let q = |p: f64| {
            self.latency_us
                .as_ref()
                .map_or(0.0, |h| h.value_at_quantile(p) as f64 / 1000.0)
        };
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let errors: u64 = self.errors.values().sum();
        println!(
            "{label} {shape} duration={secs:.1}s ok={} errors={errors} {:?} throughput={:.0}/s p50={:.2}ms p99={:.2}ms max={:.2}ms",
            self.ok,
            self.errors,
            self.ok as f64 / secs,
            q(0.5),
            q(0.99),
            q(1.0),
        );
    }
}

async fn closed_loop(
    channels: &[Channel],
    plan: Arc<Plan>,
    clients: usize,
    duration: Duration,
) -> Report {
    let report = Arc::new(Mutex::new(Report::default()));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for i in 0..clients {
        let mut client = SchedulingServiceClient::new(channels[i % channels.len()].clone());
        let plan = plan.clone();
        let report = report.clone();
        tasks.push(tokio::spawn(async move {
            let mut local = Report::default();
            let mut n = (i as u64) << 40;
            while Instant::now() < deadline {
                n += 1;
                let t = Instant::now();
                let result = client.book_appointment(plan.request(n)).await;
                local.record(result.map(|_| ()).map_err(|s| s.code()), t.elapsed());
            }
            let mut r = report.lock().await;
            r.ok += local.ok;
            for (k, v) in local.errors {
                *r.errors.entry(k).or_default() += v;
            }
            if let Some(h) = local.latency_us {
                match &mut r.latency_us {
                    Some(total) => total.add(h).expect("same bounds"),
                    none => *none = Some(h),
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut r = std::mem::take(&mut *report.lock().await);
    r.elapsed = started.elapsed();
    r
}

async fn open_loop(channels: &[Channel], plan: Arc<Plan>, rate: u64, duration: Duration) -> Report {
    let report = Arc::new(std::sync::Mutex::new(Report::default()));
    let total = rate * duration.as_secs();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        // Each booking has its slot in the schedule; if we fall behind, it is sent at once
        // and its latency still counts from when it should have gone out.
        let scheduled = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        let mut client =
            SchedulingServiceClient::new(channels[n as usize % channels.len()].clone());
        let request = plan.request(n);
        let report = report.clone();
        tasks.push(tokio::spawn(async move {
            let result =
                tokio::time::timeout(Duration::from_secs(10), client.book_appointment(request))
                    .await;
            let outcome = match result {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(s)) => Err(s.code()),
                Err(_) => Err(Code::DeadlineExceeded),
            };
            report
                .lock()
                .expect("report lock")
                .record(outcome, scheduled.elapsed());
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut r = std::mem::take(&mut *report.lock().expect("report lock"));
    r.elapsed = started.elapsed();
    r
}
