//! Load generator for the complaints service: intake throughput and figures latency.
//!
//! `complaints_load intake` makes sure scheduling has the benchmark branch (the same one
//! `loadgen setup` makes), opens one work order there so complaints fetches and keeps the
//! branch, then runs N closed-loop clients, each opening its next work order (a hotline
//! complaint about waiting time, medium severity, unique `request_id`) when the last one
//! answered, for D seconds. `complaints_load stats` reads the group-wide figures and the
//! scorecard by province for one period K times each and prints min/median/max latency.
//! `complaints_load ready` waits until complaints reports SERVING.
//!
//! Every loop is bounded in time and in count, and targets only the addresses given.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::{Parser, Subcommand};
use hospital_proto::{
    complaints::{self as pb, complaints_service_client::ComplaintsServiceClient},
    scheduling::scheduling_service_client::SchedulingServiceClient,
};
use hospital_tests::{Report, authed, check_loopback, date, group_token, ready, setup};
use tokio::sync::Mutex;
use tonic::{Request, transport::Channel};

const SERVICE: &str = "hospital.complaints.v1.ComplaintsService";

#[derive(Parser)]
#[command(about = "Opens work orders and reads figures against a running complaints service")]
struct Cli {
    /// The complaints service (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:50053")]
    target: String,
    /// The scheduling service complaints validates branches against (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    scheduling: String,
    /// The services' HS256 secret, to mint a group-admin token.
    #[arg(long, env = "LOADGEN_SECRET")]
    secret: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Open work orders for a while; print throughput, latency and errors.
    Intake {
        /// Concurrent clients (closed loop).
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// HTTP/2 connections to spread the clients over.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// A label printed with the result line.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Read GetFigures (group-wide) and GetScorecard (by province) for one period.
    Stats {
        /// First day, inclusive (YYYY-MM-DD, China Standard Time).
        #[arg(long)]
        from: jiff::civil::Date,
        /// Last day, inclusive.
        #[arg(long)]
        to: jiff::civil::Date,
        /// Calls of each.
        #[arg(long, default_value_t = 10)]
        repeat: usize,
        /// Also narrow GetFigures to this region path (e.g. guangdong).
        #[arg(long)]
        region: Option<String>,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    check_loopback(&cli.target)?;
    check_loopback(&cli.scheduling)?;
    let token = group_token(&cli.secret);
    match cli.command {
        Command::Ready {
            since_unix_ns,
            timeout,
        } => ready(&cli.target, SERVICE, since_unix_ns, timeout).await,
        Command::Intake {
            clients,
            duration,
            connections,
            label,
        } => {
            let sched = Channel::from_shared(cli.scheduling.clone())?
                .connect()
                .await?;
            let bench = setup(&mut SchedulingServiceClient::new(sched), &token).await?;
            let mut channels = Vec::new();
            for _ in 0..connections.max(1) {
                channels.push(Channel::from_shared(cli.target.clone())?.connect().await?);
            }
            let plan = Arc::new(Plan {
                token,
                branch_id: bench.branch_id,
            });
            // The first intake at a branch fetches it from scheduling and keeps a copy; the
            // loop below then measures the steady state.
            let t = Instant::now();
            ComplaintsServiceClient::new(channels[0].clone())
                .open_work_order(plan.request(u64::MAX))
                .await
                .context("first intake at the bench branch")?;
            println!(
                "{label} warm-up intake at branch {}: {:.2}ms (includes fetching the branch from \
                 scheduling if complaints has no copy yet)",
                plan.branch_id,
                t.elapsed().as_secs_f64() * 1e3
            );
            let report = closed_loop(&channels, plan, clients, Duration::from_secs(duration)).await;
            report.print(&label, format!("clients={clients}"));
            Ok(())
        }
        Command::Stats {
            from,
            to,
            repeat,
            region,
        } => {
            let channel = Channel::from_shared(cli.target.clone())?.connect().await?;
            stats(
                ComplaintsServiceClient::new(channel),
                &token,
                from,
                to,
                repeat,
                region,
            )
            .await
        }
    }
}

struct Plan {
    token: String,
    branch_id: String,
}

impl Plan {
    fn request(&self, seed: u64) -> Request<pb::OpenWorkOrderRequest> {
        let r = splitmix(seed);
        authed(
            &self.token,
            pb::OpenWorkOrderRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                channel: pb::Channel::Hotline as i32,
                kind: pb::Kind::Complaint as i32,
                category: pb::Category::WaitingTime as i32,
                severity: pb::Severity::Medium as i32,
                customer: Some(pb::CustomerInput {
                    customer_id: String::new(),
                    name: "压测客户".into(),
                    phone: format!("138{:08}", (r >> 20) % 100_000_000),
                }),
                branch_id: self.branch_id.clone(),
                appointment_id: String::new(),
                staff_ids: vec![],
                summary: "体检候诊超过一小时，无人告知原因".into(),
                description: "客户来电：上午八点到达，九点半仍未开始抽血，前台未解释。".into(),
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
        let mut client = ComplaintsServiceClient::new(channels[i % channels.len()].clone());
        let plan = plan.clone();
        let report = report.clone();
        tasks.push(tokio::spawn(async move {
            let mut local = Report::default();
            let mut n = (i as u64) << 40;
            while Instant::now() < deadline {
                n += 1;
                let t = Instant::now();
                let result = client.open_work_order(plan.request(n)).await;
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

/// Milliseconds: first call, then min / median / max over all calls.
fn spread(label: &str, ms: &[f64]) -> String {
    let mut sorted = ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[(sorted.len() - 1) / 2];
    format!(
        "{label} calls={} first={:.1}ms min={:.1}ms median={median:.1}ms max={:.1}ms",
        ms.len(),
        ms[0],
        sorted[0],
        sorted[sorted.len() - 1],
    )
}

fn summary(f: &pb::Figures) -> String {
    format!(
        "work_orders={} complaints={} visits={} per10k={:.1} sla_met={:.1}% ack_p50={:.0}min \
         ack_p90={:.0}min resolve_p50={:.0}min resolve_p90={:.0}min in_branch={:.1}% satisfaction={:.2}",
        f.work_orders,
        f.complaints,
        f.visits,
        f.complaints_per_10k_visits,
        f.sla_met_percent,
        f.median_minutes_to_acknowledge,
        f.p90_minutes_to_acknowledge,
        f.median_minutes_to_resolve,
        f.p90_minutes_to_resolve,
        f.resolved_in_branch_percent,
        f.mean_satisfaction,
    )
}

async fn stats(
    mut c: ComplaintsServiceClient<Channel>,
    token: &str,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    repeat: usize,
    region: Option<String>,
) -> anyhow::Result<()> {
    let period = || {
        Some(pb::Period {
            from: Some(date(from)),
            to: Some(date(to)),
        })
    };
    let repeat = repeat.clamp(1, 1000);
    let mut scopes = vec![String::new()];
    scopes.extend(region);
    for region_path in scopes {
        let mut ms = Vec::with_capacity(repeat);
        let mut last = None;
        for _ in 0..repeat {
            let t = Instant::now();
            let reply = c
                .get_figures(authed(
                    token,
                    pb::GetFiguresRequest {
                        period: period(),
                        region_path: region_path.clone(),
                        branch_id: String::new(),
                    },
                ))
                .await
                .context("GetFigures")?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            last = reply.into_inner().figures;
        }
        let scope = if region_path.is_empty() {
            "group"
        } else {
            &region_path
        };
        println!(
            "{} {from}..{to}",
            spread(&format!("GetFigures scope={scope}"), &ms)
        );
        println!("  figures: {}", summary(&last.unwrap_or_default()));
    }
    let mut ms = Vec::with_capacity(repeat);
    let mut rows = Vec::new();
    for _ in 0..repeat {
        let t = Instant::now();
        let reply = c
            .get_scorecard(authed(
                token,
                pb::GetScorecardRequest {
                    period: period(),
                    by: pb::Level::Province as i32,
                },
            ))
            .await
            .context("GetScorecard")?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        rows = reply.into_inner().rows;
    }
    println!("{} {from}..{to}", spread("GetScorecard by=province", &ms));
    let total: u64 = rows
        .iter()
        .map(|r| r.figures.as_ref().map_or(0, |f| f.work_orders))
        .sum();
    println!("  scorecard: {} rows, {total} work orders", rows.len());
    for r in rows.iter().take(3).chain(rows.iter().rev().take(1)) {
        println!(
            "  {:<24} score={:.1} {}",
            r.region_path,
            r.score,
            summary(&r.figures.clone().unwrap_or_default())
        );
    }
    Ok(())
}
