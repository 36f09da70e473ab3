//! What the load generators share: tokens and request helpers, the loopback guard, the
//! health wait, the benchmark branch in scheduling, and the latency report.
//!
//! `loadgen` (`src/bin/loadgen.rs`) books against scheduling; `complaints_load`
//! (`src/bin/complaints_load.rs`) opens work orders and reads figures against complaints,
//! which validates its branch against scheduling, so both create the same bench branch.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use hospital_proto::{
    common,
    scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use secrecy::SecretString;
use service_kit::auth::{OrgScope, Role, TokenIssuer};
use tonic::{Code, Request, transport::Channel};

/// The benchmark branch's code in scheduling.
pub const BENCH_CODE: &str = "BENCH-01";

/// A group-admin token for 24 hours, signed with the services' HS256 secret.
pub fn group_token(secret: &str) -> String {
    TokenIssuer::hs256(&SecretString::from(secret.to_owned()), "hospital-suite").issue(
        "loadgen",
        Role::GroupAdmin,
        &OrgScope::Group,
        24 * 3600,
    )
}

/// `msg` with a bearer token.
pub fn authed<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    r
}

/// A time of day.
pub fn tod(hours: i32, minutes: i32) -> common::TimeOfDay {
    common::TimeOfDay { hours, minutes }
}

/// A civil date on the wire.
pub fn date(d: jiff::civil::Date) -> common::Date {
    common::Date {
        year: d.year().into(),
        month: d.month().into(),
        day: d.day().into(),
    }
}

/// Refuses anything but a loopback target.
pub fn check_loopback(target: &str) -> anyhow::Result<()> {
    let host = target
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap_or_default();
    if !(host == "localhost" || host.starts_with("127.") || host == "[::1]") {
        bail!("the load generators only target loopback addresses, not {host}");
    }
    Ok(())
}

/// Waits until health reports `service` SERVING; prints milliseconds since `since_unix_ns`.
pub async fn ready(
    target: &str,
    service: &str,
    since_unix_ns: u128,
    timeout: u64,
) -> anyhow::Result<()> {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let deadline = Instant::now() + Duration::from_secs(timeout);
    while Instant::now() < deadline {
        if let Ok(channel) = Channel::from_shared(target.to_owned())?.connect().await {
            let status = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: service.into(),
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

/// What [`setup`] made in scheduling.
#[derive(Debug, Clone)]
pub struct Bench {
    /// The bench branch.
    pub branch_id: String,
    /// Its bookable slots.
    pub slots: Vec<String>,
    /// A one-item package.
    pub package: String,
}

/// Creates (idempotently) a benchmark branch open around the clock with large slots for the
/// next 30 days, and a one-item package, in scheduling.
pub async fn setup(c: &mut SchedulingServiceClient<Channel>, token: &str) -> anyhow::Result<Bench> {
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
                visit_wait_promise_minutes: 0,
                address: String::new(),
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
                list_price: None,
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
                branch_id: branch.branch_id.clone(),
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
    Ok(Bench {
        branch_id: branch.branch_id,
        slots,
        package: package.package_id,
    })
}

/// Successes, errors by code, and a latency histogram (microseconds).
#[derive(Default)]
pub struct Report {
    /// Calls that succeeded.
    pub ok: u64,
    /// Failed calls by status code.
    pub errors: BTreeMap<String, u64>,
    /// Latency of every call.
    pub latency_us: Option<Histogram<u64>>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// Counts one call.
    pub fn record(&mut self, result: Result<(), Code>, latency: Duration) {
        let h = self
            .latency_us
            .get_or_insert_with(|| Histogram::new_with_bounds(1, 60_000_000, 3).expect("bounds"));
        let _ = h.record(latency.as_micros().clamp(1, 60_000_000) as u64);
        match result {
            Ok(()) => self.ok += 1,
            Err(code) => *self.errors.entry(format!("{code:?}")).or_default() += 1,
        }
    }

    /// Adds another client's counts.
    pub fn merge(&mut self, other: Report) {
        self.ok += other.ok;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        if let Some(h) = other.latency_us {
            match &mut self.latency_us {
                Some(total) => total.add(h).expect("same bounds"),
                none => *none = Some(h),
            }
        }
    }

    /// One result line: throughput, p50, p99, max.
    pub fn print(&self, label: &str, shape: String) {
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
