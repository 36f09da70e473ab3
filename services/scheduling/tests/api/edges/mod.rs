//! The edge's rules, held for every RPC through the real client: ids of 1 to 128 ASCII
//! letters, digits and `_-.:` refused before any look-up; free text trimmed, bounded and
//! free of control characters; dates of years 1 to 9999; money up to ¥1,000,000; page
//! tokens the service issued and page sizes that are not negative; `UpdateBranch` naming
//! its own paths; every refused token told the same thing; and no answer long enough to
//! echo what was sent.
//!
//! The checks are `test_support::edges`'s, shared with every service; what stays here is
//! this service's: its RPCs, field tables and request builders. The tables collect every
//! case that breaks a rule and fail once, listing them all.

use test_support::scheduling as fx;

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
    let first = f.slots.first().expect("a Monday 08:00 slot").clone();
    let apt = book(app, &app.admin, "edge-known", &first, &f.plain_package, 1)
        .await
        .expect("book");
    let visit = check_in(app, &apt).await;
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

/// What a malformed id looks like here: a prefix and a non-ASCII name.
const ID_LOOK: (&str, &str) = ("br", "分院");
