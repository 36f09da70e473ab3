//! The edge's rules, held for every RPC through the real client: ids of 1 to 128 ASCII
//! letters, digits and `_-.:` refused before any look-up; free text trimmed, bounded and
//! free of control characters; dates of years 1 to 9999; money up to ¥1,000,000; page
//! tokens the service issued and page sizes that are not negative; `UpdateBranch` naming
//! its own paths; every refused token told the same thing; and no answer long enough to
//! echo what was sent.
//!
//! The tables collect every case that breaks a rule and fail once, listing them all.

use hospital_proto::scheduling as pb;
use test_support::scheduling as fx;
use tonic::{Code, Status};

use crate::helpers::*;

mod dates_and_money;
mod ids;
mod paging;
mod paths;
mod requests;
mod text;
mod tokens;

type Client = fx::Client;

/// Ids a call needs beside the one under test.
#[derive(Debug, Clone)]
struct Ids {
    branch: String,
    package: String,
    item: String,
    slot: String,
    /// Checked in.
    appointment: String,
    /// Booked, so it can still be cancelled.
    booked: String,
    entry: String,
}

impl Ids {
    /// Ids of the right shape for things that do not exist: a service that looked any of
    /// them up before checking the field under test would answer NOT_FOUND.
    fn unknown() -> Self {
        let hex = "0".repeat(32);
        Self {
            branch: format!("br_{hex}"),
            package: format!("pkg_{hex}"),
            item: format!("item_{hex}"),
            slot: format!("slot_{hex}"),
            appointment: format!("apt_{hex}"),
            booked: format!("apt_{hex}1"),
            entry: format!("qe_{hex}"),
        }
    }
}

/// The fixture, a checked-in appointment on Monday 08:00 and its first queue entry, and a
/// booked one at 08:30.
async fn known(app: &TestApp) -> (Fixture, Ids) {
    let f = fixture(app, 10).await;
    let mut c = app.client();
    let first = f.slots.first().expect("a Monday 08:00 slot").clone();
    let apt = book(app, &app.admin, "edge-known", &first, &f.plain_package, 1)
        .await
        .expect("book");
    let visit = c
        .check_in(req(
            &app.admin,
            pb::CheckInRequest {
                appointment_id: apt.appointment_id.clone(),
            },
        ))
        .await
        .expect("check in")
        .into_inner()
        .visit
        .expect("a visit");
    let booked = book(app, &app.admin, "edge-booked", &f.slot, &f.plain_package, 8)
        .await
        .expect("book");
    let ids = Ids {
        branch: f.branch.branch_id.clone(),
        package: f.plain_package.package_id.clone(),
        // Ultrasound: not in the plain package, so it can be given.
        item: f.items[1].exam_item_id.clone(),
        slot: f.slot.slot_id.clone(),
        appointment: apt.appointment_id.clone(),
        booked: booked.appointment_id,
        entry: visit.entries[0].entry_id.clone(),
    };
    (f, ids)
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
