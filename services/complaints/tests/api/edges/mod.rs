//! The edge's rules, held for every RPC through the real client: ids of 1 to 128 ASCII
//! letters, digits and `_-.:` refused before any look-up (in complaints' own database or
//! at scheduling); free text trimmed, bounded and free of control characters; dates of
//! years 1 to 9999; money up to ¥1,000,000; page tokens the service issued and page sizes
//! that are not negative; a branch scheduling does not know is never UNAVAILABLE; every
//! refused token told the same thing; and no answer long enough to echo what was sent.
//!
//! The tables collect every case that breaks a rule and fail once, listing them all.

use hospital_proto::complaints as pb;
use tonic::{Code, Status};

use crate::helpers::*;

mod dates_and_money;
mod figures;
mod ids;
mod paging;
mod requests;
mod text;
mod tokens;

type Client = hospital_proto::complaints::complaints_service_client::ComplaintsServiceClient<
    tonic::transport::Channel,
>;

/// Ids a call needs beside the one under test.
#[derive(Debug, Clone)]
struct Ids {
    work_order: String,
    branch: String,
    appointment: String,
    item: String,
}

impl Ids {
    /// Ids of the right shape for things that do not exist: a service that looked any of
    /// them up before checking the field under test would answer NOT_FOUND.
    fn unknown() -> Self {
        let hex = "0".repeat(32);
        Self {
            work_order: format!("wo_{hex}"),
            branch: format!("br_{hex}"),
            appointment: format!("apt_{hex}"),
            item: format!("item_{hex}"),
        }
    }
}

/// The fixture, a customer checked in at Shenzhen, and a new work order about that visit.
async fn known(s: &Suite) -> (Fixture, Ids) {
    let f = fixture(s).await;
    let apt = booked_and_checked_in(s, &f, &f.shenzhen, 1).await;
    let mut r = intake("edge-known", &f.shenzhen.branch_id);
    r.appointment_id = apt.appointment_id.clone();
    let wo = open(s, &s.admin, r).await;
    let ids = Ids {
        work_order: wo.work_order_id,
        branch: f.shenzhen.branch_id.clone(),
        appointment: apt.appointment_id,
        // Not in the package, so it can be given.
        item: f.ultrasound.exam_item_id.clone(),
    };
    (f, ids)
}

fn november() -> Option<pb::Period> {
    Some(pb::Period {
        from: Some(date(2026, 11, 1)),
        to: Some(date(2026, 11, 30)),
    })
}

/// Whether `status` refuses `field` (or an element of it, `field[i]…`) as invalid.
fn refuses(status: &Status, field: &str) -> bool {
    status.code() == Code::InvalidArgument
        && bad_fields(status).iter().any(|g| {
            g == field
                || g.strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
        })
}

/// What came back, short enough to read in a failure list.
fn answer(got: &Result<(), Status>) -> String {
    match got {
        Ok(()) => "accepted".into(),
        Err(s) if s.code() == Code::InvalidArgument => {
            format!("INVALID_ARGUMENT naming {:?}", bad_fields(s))
        }
        Err(s) => format!(
            "{:?}: {:?}",
            s.code(),
            s.message().chars().take(160).collect::<String>()
        ),
    }
}

/// Records a failure unless the answer is short (no echo of what was sent).
fn short(failures: &mut Vec<String>, case: &str, got: &Result<(), Status>) {
    if let Err(s) = got
        && (s.message().len() >= 1024 || s.details().len() >= 4096)
    {
        failures.push(format!(
            "{case}: a {}-byte message and {}-byte details",
            s.message().len(),
            s.details().len()
        ));
    }
}

/// Records a failure unless `got` is INVALID_ARGUMENT naming `field`, answered briefly.
fn expect_refused(failures: &mut Vec<String>, case: &str, field: &str, got: &Result<(), Status>) {
    short(failures, case, got);
    if !matches!(got, Err(s) if refuses(s, field)) {
        failures.push(format!("{case}: {}", answer(got)));
    }
}

/// Fails listing every break of the rule.
fn none_broken(failures: &[String], cases: usize) {
    assert!(
        failures.is_empty(),
        "{} breaks of the rule in {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn one_mib() -> String {
    "x".repeat(1 << 20)
}

/// Values no id may take, and what each is.
fn bad_ids() -> Vec<(&'static str, String)> {
    vec![
        ("1 MiB", one_mib()),
        ("129 characters", "x".repeat(129)),
        ("a space", "wo 1".into()),
        ("non-ASCII", "工单".into()),
        ("NUL", "wo_\0".into()),
        ("an escape", "wo_\u{1b}[2J".into()),
        ("a LIKE wildcard", "wo_%".into()),
        ("a slash", "wo/1".into()),
    ]
}
