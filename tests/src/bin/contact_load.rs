//! Load for the contact service, against running scheduling and contact services on
//! loopback (see `tests/bench/contact.sh`):
//!
//! - `lag`: books in a closed loop at full rate with contact's customer ids and writes each
//!   booking's appointment id and the instant its answer arrived (`--record`), for the
//!   script to compare with when contact planned its reminders (its `visits` rows);
//! - `wave`: creates `--count` customers, books each a visit later today, with the group's
//!   same-day reminder set to one instant, and receives the reminders as the messaging
//!   platform would (an HTTP server on `--receiver`): time from that instant to the last
//!   one, and how many arrived twice.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use hospital_proto::{
    common,
    contact::{self as cpb, contact_service_client::ContactServiceClient},
    scheduling::{self as spb, scheduling_service_client::SchedulingServiceClient},
};
use hospital_tests::{authed, date, group_token, setup, tod};
use tonic::transport::Channel;

#[derive(Parser)]
struct Cli {
    #[arg(long, default_value = "http://127.0.0.1:50071")]
    scheduling: String,
    #[arg(long, default_value = "http://127.0.0.1:50072")]
    contact: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Wait until contact's health says SERVING.
    Ready,
    /// Booking-to-planned delay under full booking load.
    Lag {
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Customers created first (bookings cycle through them).
        #[arg(long, default_value_t = 2000)]
        customers: u64,
        /// CSV of `appointment_id,answered_unix_micros`, one line per booking.
        #[arg(long)]
        record: std::path::PathBuf,
    },
    /// The morning wave of same-day reminders.
    Wave {
        #[arg(long, default_value_t = 70_000)]
        count: u64,
        /// Where the receiving platform listens (contact's webhook URL must point here).
        #[arg(long, default_value = "127.0.0.1:50079")]
        receiver: SocketAddr,
        /// Minutes from now to the reminders' instant (time to create and book everyone).
        #[arg(long, default_value_t = 4)]
        due_in: i64,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
}

fn secret() -> String {
    std::env::var("LOADGEN_SECRET").unwrap_or_else(|_| "bench-secret-local-only".into())
}

async fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(url.to_owned())?.connect().await?)
}

/// Customer `i`'s mobile.
fn phone(i: u64) -> String {
    format!("150{i:08}")
}

/// Finds or creates customers `0..n`, `concurrency` at a time; their ids in order.
async fn customers(
    c: &ContactServiceClient<Channel>,
    token: &str,
    n: u64,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    let ids = Arc::new(Mutex::new(vec![String::new(); n as usize]));
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (mut c, token, ids, next) = (c.clone(), token.to_owned(), ids.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(());
                }
                let r = c
                    .find_or_create_customer(authed(
                        &token,
                        cpb::FindOrCreateCustomerRequest {
                            request_id: format!("bench-customer-{i}"),
                            phone: phone(i),
                            name: format!("压测客户{i}"),
                            consents: vec![cpb::ConsentInput {
                                purpose: cpb::Purpose::Reminders as i32,
                                granted: true,
                                method: cpb::ConsentMethod::Electronic as i32,
                                source: "bench".into(),
                            }],
                            ..Default::default()
                        },
                    ))
                    .await?
                    .into_inner();
                ids.lock().unwrap()[i as usize] = r.customer.context("customer")?.customer_id;
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r??;
    }
    Ok(Arc::try_unwrap(ids).unwrap().into_inner().unwrap())
}

fn book_request(
    slot: &str,
    package: &str,
    customer_id: &str,
    i: u64,
    salt: &str,
) -> spb::BookAppointmentRequest {
    spb::BookAppointmentRequest {
        request_id: format!("bench-{salt}-{i}"),
        slot_id: slot.to_owned(),
        package_id: package.to_owned(),
        customer: Some(spb::CustomerInput {
            customer_id: customer_id.to_owned(),
            name: format!("压测客户{i}"),
            phone: phone(i),
        }),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Ready = cli.command {
        return hospital_tests::ready(&cli.contact, "hospital.contact.v1.ContactService", 0, 60)
            .await;
    }
    let token = group_token(&secret());
    let mut sched = SchedulingServiceClient::new(channel(&cli.scheduling).await?);
    let contact = ContactServiceClient::new(channel(&cli.contact).await?);
    let bench = setup(&mut sched, &token).await?;
    match cli.command {
        Command::Lag {
            clients,
            duration,
            customers: n,
            record,
        } => {
            lag(
                &sched, &contact, &token, &bench, clients, duration, n, &record,
            )
            .await
        }
        Command::Wave {
            count,
            receiver,
            due_in,
            concurrency,
        } => {
            wave(
                &mut sched,
                &contact,
                &token,
                &bench,
                count,
                receiver,
                due_in,
                concurrency,
            )
            .await
        }
        Command::Ready => Ok(()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn lag(
    sched: &SchedulingServiceClient<Channel>,
    contact: &ContactServiceClient<Channel>,
    token: &str,
    bench: &hospital_tests::Bench,
    clients: usize,
    secs: u64,
    n: u64,
    record: &std::path::Path,
) -> anyhow::Result<()> {
    let ids = Arc::new(customers(contact, token, n, 32).await?);
    let salt = uuid::Uuid::new_v4().simple().to_string();
    let next = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let latency = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (mut s, token, ids, next, answered, latency) = (
            sched.clone(),
            token.to_owned(),
            ids.clone(),
            next.clone(),
            answered.clone(),
            latency.clone(),
        );
        let (slots, package, salt) = (bench.slots.clone(), bench.package.clone(), salt.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let k = i % ids.len() as u64;
                let slot = &slots[(i as usize) % slots.len()];
                let req = spb::BookAppointmentRequest {
                    request_id: format!("bench-{salt}-{i}"),
                    ..book_request(slot, &package, &ids[k as usize], k, &salt)
                };
                let sent = Instant::now();
                if let Ok(r) = s.book_appointment(authed(&token, req)).await {
                    let micros = jiff::Timestamp::now().as_microsecond();
                    latency
                        .lock()
                        .unwrap()
                        .record(sent.elapsed().as_micros().max(1) as u64)
                        .ok();
                    if let Some(a) = r.into_inner().appointment {
                        answered.lock().unwrap().push((a.appointment_id, micros));
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let answered = answered.lock().unwrap();
    let mut csv = String::with_capacity(answered.len() * 48);
    for (id, micros) in answered.iter() {
        csv.push_str(&format!("{id},{micros}\n"));
    }
    std::fs::write(record, csv)?;
    let h = latency.lock().unwrap();
    println!(
        "booked: {} in {secs} s ({:.0}/s, {clients} clients), booking p50 {:.1} ms p99 {:.1} ms",
        answered.len(),
        answered.len() as f64 / secs as f64,
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
    );
    Ok(())
}

/// What the receiving platform saw: deliveries per idempotency key and the last arrival.
#[derive(Default)]
struct Received {
    by_key: HashMap<String, u32>,
    last: Option<Instant>,
}

async fn receive(addr: SocketAddr, state: Arc<Mutex<Received>>) -> anyhow::Result<()> {
    use http_body_util::{BodyExt, Full};
    use hyper::{Request, Response, body::Incoming, service::service_fn};
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let key = req
                            .headers()
                            .get("idempotency-key")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let _ = req.into_body().collect().await;
                        let mut st = state.lock().unwrap();
                        *st.by_key.entry(key).or_default() += 1;
                        st.last = Some(Instant::now());
                        Ok::<_, Infallible>(Response::new(Full::new(bytes::Bytes::from_static(
                            b"{}",
                        ))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn wave(
    sched: &mut SchedulingServiceClient<Channel>,
    contact: &ContactServiceClient<Channel>,
    token: &str,
    bench: &hospital_tests::Bench,
    count: u64,
    receiver: SocketAddr,
    due_in: i64,
    concurrency: usize,
) -> anyhow::Result<()> {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    let now = jiff::Timestamp::now().to_zoned_datetime(tz.clone());
    let due = now
        .datetime()
        .checked_add(jiff::Span::new().minutes(due_in))?;
    let due = jiff::civil::DateTime::new(
        due.year(),
        due.month(),
        due.day(),
        due.hour(),
        due.minute(),
        0,
        0,
    )?;
    // Visits from an hour after the reminders on, in the bench branch's 10,000-place windows.
    sched
        .generate_slots(authed(
            token,
            spb::GenerateSlotsRequest {
                branch_id: bench.branch_id.clone(),
                from: Some(date(now.date())),
                to: Some(date(now.date())),
            },
        ))
        .await?;
    let later = due.checked_add(jiff::Span::new().hours(1))?;
    let slots: Vec<String> = sched
        .search_availability(authed(
            token,
            spb::SearchAvailabilityRequest {
                branch_id: bench.branch_id.clone(),
                package_id: bench.package.clone(),
                from: Some(date(now.date())),
                to: Some(date(now.date())),
            },
        ))
        .await?
        .into_inner()
        .slots
        .into_iter()
        .filter(|s| {
            s.start.as_ref().is_some_and(|t| {
                (t.hours, t.minutes) >= (later.hour() as i32, later.minute() as i32)
            })
        })
        .map(|s| s.slot_id)
        .collect();
    anyhow::ensure!(
        slots.len() as u64 * 10_000 >= count,
        "only {} windows left today after {later}: run earlier in the day",
        slots.len()
    );
    let mut c = contact.clone();
    c.set_reminder_policy(authed(
        token,
        cpb::SetReminderPolicyRequest {
            policy: Some(cpb::ReminderPolicy {
                brand: "bench".into(),
                three_days_before_at: Some(tod(10, 0)),
                one_day_before_at: Some(tod(10, 0)),
                same_day_at: Some(common::TimeOfDay {
                    hours: due.hour().into(),
                    minutes: due.minute().into(),
                }),
                updated_at: None,
            }),
        },
    ))
    .await?;
    let state = Arc::new(Mutex::new(Received::default()));
    receive(receiver, state.clone()).await?;
    let t0 = Instant::now();
    let ids = Arc::new(customers(contact, token, count, concurrency).await?);
    eprintln!("{count} customers in {:.1} s", t0.elapsed().as_secs_f64());
    let t1 = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let salt = uuid::Uuid::new_v4().simple().to_string();
    let slots = Arc::new(slots);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (mut s, token, ids, next, slots, package, salt) = (
            sched.clone(),
            token.to_owned(),
            ids.clone(),
            next.clone(),
            slots.clone(),
            bench.package.clone(),
            salt.clone(),
        );
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(());
                }
                let slot = &slots[(i / 10_000) as usize];
                s.book_appointment(authed(
                    &token,
                    book_request(slot, &package, &ids[i as usize], i, &salt),
                ))
                .await?;
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r??;
    }
    eprintln!(
        "{count} visits booked in {:.1} s",
        t1.elapsed().as_secs_f64()
    );
    let due_at = due.to_zoned_datetime(tz)?.timestamp();
    let wait = due_at.duration_since(jiff::Timestamp::now());
    anyhow::ensure!(
        wait.is_positive(),
        "creating and booking took past the reminders' instant; raise --due-in"
    );
    eprintln!("waiting {:.0} s for {due}", wait.as_secs_f64());
    tokio::time::sleep(Duration::try_from(wait)?).await;
    let start = Instant::now();
    loop {
        let (n, last) = {
            let st = state.lock().unwrap();
            (st.by_key.len() as u64, st.last)
        };
        if n >= count {
            let took = last.unwrap_or(start).duration_since(start);
            let twice = state
                .lock()
                .unwrap()
                .by_key
                .values()
                .filter(|n| **n > 1)
                .count();
            println!(
                "wave: {count} reminders due at {due} local; the last reached the platform {:.1} s after; {twice} received more than once",
                took.as_secs_f64()
            );
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("only {n} of {count} reminders arrived in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
