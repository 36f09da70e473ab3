//! Load for contact's work queue, against a running contact service on loopback whose
//! database `tests/bench/queue.sh` filled with open tasks:
//!
//! - `claims`: agents of the group call centre each claim the next task and record it
//!   reached, in a closed loop; first one agent alone (the baseline), then `--agents` at
//!   once. Reports claims per second and ClaimNext's latency, and how many tasks two
//!   agents were given (must be 0);
//! - `load`: the group's planned load for the fortnight, `--runs` times.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand};
use hospital_proto::contact::{self as cpb, contact_service_client::ContactServiceClient};
use hospital_tests::{Report, authed, group_token};
use secrecy::SecretString;
use service_kit::auth::{OrgScope, Role, TokenIssuer};
use tonic::transport::Channel;

#[derive(Parser)]
struct Cli {
    #[arg(long, default_value = "http://127.0.0.1:50072")]
    contact: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Concurrent ClaimNext by the group call centre's agents.
    Claims {
        #[arg(long, default_value_t = 50)]
        agents: usize,
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Each agent's pause after a call before claiming the next (0: closed loop); each
        /// pause is drawn between half and one and a half times this, so that agents do
        /// not move in step.
        #[arg(long, default_value_t = 0)]
        pace_ms: u64,
        /// Also record every claimed task reached (RecordCallOutcome) before the next claim.
        #[arg(long)]
        settle: bool,
    },
    /// GetPlannedLoad for the whole group.
    Load {
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

fn secret() -> String {
    std::env::var("LOADGEN_SECRET").unwrap_or_else(|_| "bench-secret-local-only".into())
}

fn agent_token(id: &str) -> String {
    TokenIssuer::hs256(&SecretString::from(secret()), "hospital-suite").issue(
        id,
        Role::CallCentreAgent,
        &OrgScope::Group,
        3600,
    )
}

/// `agents` agents claiming and settling for `duration`; the report of their claims and
/// how many task ids were handed out twice.
async fn run(
    c: &ContactServiceClient<Channel>,
    prefix: &str,
    agents: usize,
    duration: Duration,
    pace: Duration,
    settle: bool,
) -> anyhow::Result<(Report, usize)> {
    let admin = group_token(&secret());
    for i in 0..agents {
        c.clone()
            .set_agent(authed(
                &admin,
                cpb::SetAgentRequest {
                    agent: Some(cpb::Agent {
                        agent_id: format!("{prefix}-{i}"),
                        team: "group".into(),
                        skills: vec![cpb::Skill::CustomerService as i32],
                        tasks_per_day: 60,
                        working_days: vec![],
                    }),
                },
            ))
            .await?;
    }
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let twice = Arc::new(Mutex::new(0usize));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for i in 0..agents {
        let (mut c, seen, twice) = (c.clone(), seen.clone(), twice.clone());
        let token = agent_token(&format!("{prefix}-{i}"));
        workers.spawn(async move {
            let mut report = Report::default();
            let mut n = 0u64;
            let mut jitter = 0x9E37_79B9_7F4A_7C15u64 ^ (i as u64 + 1);
            while start.elapsed() < duration {
                let t0 = Instant::now();
                let r = c.claim_next(authed(&token, cpb::ClaimNextRequest {})).await;
                let took = t0.elapsed();
                let task = match r {
                    Ok(r) => {
                        report.record(Ok(()), took);
                        r.into_inner().task
                    }
                    Err(s) => {
                        report.record(Err(s.code()), took);
                        continue;
                    }
                };
                let Some(task) = task else { break };
                if !seen.lock().unwrap().insert(task.task_id.clone()) {
                    *twice.lock().unwrap() += 1;
                }
                n += 1;
                if settle {
                    let _ = c
                        .record_call_outcome(authed(
                            &token,
                            cpb::RecordCallOutcomeRequest {
                                request_id: format!("{}-{n}", task.task_id),
                                task_id: task.task_id,
                                outcome: cpb::CallOutcome::Reached as i32,
                                note: "bench".into(),
                                ..Default::default()
                            },
                        ))
                        .await;
                }
                if !pace.is_zero() {
                    // xorshift: a different, repeatable sequence per agent.
                    jitter ^= jitter << 13;
                    jitter ^= jitter >> 7;
                    jitter ^= jitter << 17;
                    let factor = 0.5 + (jitter % 1000) as f64 / 1000.0;
                    tokio::time::sleep(pace.mul_f64(factor)).await;
                }
            }
            report
        });
    }
    let mut total = Report::default();
    while let Some(r) = workers.join_next().await {
        total.merge(r?);
    }
    total.elapsed = start.elapsed();
    let twice = *twice.lock().unwrap();
    Ok((total, twice))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    hospital_tests::check_loopback(&cli.contact)?;
    let channel = Channel::from_shared(cli.contact.clone())?
        .tcp_nodelay(true)
        .connect()
        .await?;
    let c = ContactServiceClient::new(channel);
    match cli.command {
        Command::Claims {
            agents,
            duration,
            pace_ms,
            settle,
        } => {
            let d = Duration::from_secs(duration);
            let pace = Duration::from_millis(pace_ms);
            let shape = format!("pace={pace_ms}ms settle={settle}");
            let (solo, _) = run(&c, "solo", 1, d, pace, settle).await?;
            solo.print("claim_next", format!("agents=1 {shape}"));
            let (many, twice) = run(&c, "agent", agents, d, pace, settle).await?;
            many.print("claim_next", format!("agents={agents} {shape}"));
            let p99 = |r: &Report| {
                r.latency_us
                    .as_ref()
                    .map_or(0.0, |h| h.value_at_quantile(0.99) as f64)
            };
            println!(
                "claim_next p99 ratio agents={agents}/agents=1: {:.2}; tasks given to two agents: {twice}",
                p99(&many) / p99(&solo).max(1.0)
            );
        }
        Command::Load { runs } => {
            let admin = group_token(&secret());
            for i in 0..runs {
                let t0 = Instant::now();
                let r = c
                    .clone()
                    .get_planned_load(authed(&admin, cpb::GetPlannedLoadRequest::default()))
                    .await?
                    .into_inner();
                let days: usize = r.teams.iter().map(|t| t.days.len()).sum();
                let over = r
                    .teams
                    .iter()
                    .flat_map(|t| &t.days)
                    .filter(|d| d.over_capacity)
                    .count();
                println!(
                    "planned_load run={i} teams={} team_days={days} over_capacity_days={over} took={:.1}ms",
                    r.teams.len(),
                    t0.elapsed().as_secs_f64() * 1000.0
                );
            }
        }
    }
    Ok(())
}
