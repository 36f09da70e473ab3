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
    sync::Arc,
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand};
use hospital_proto::scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient};
use hospital_tests::{Bench, Report, authed, check_loopback, group_token, ready, setup};
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

const SERVICE: &str = "hospital.scheduling.v1.SchedulingService";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    check_loopback(&cli.target)?;
    let token = group_token(&cli.secret);
    match cli.command {
        Command::Ready {
            since_unix_ns,
            timeout,
        } => ready(&cli.target, SERVICE, since_unix_ns, timeout).await,
        Command::Setup => {
            let channel = Channel::from_shared(cli.target.clone())?.connect().await?;
            let bench = setup(&mut SchedulingServiceClient::new(channel), &token).await?;
            println!(
                "bench branch {} ready: {} slots, package {}",
                bench.branch_id,
                bench.slots.len(),
                bench.package
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
            let Bench { slots, package, .. } = setup(
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
            report.lock().await.merge(local);
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
