//! The edge's rules, held for every RPC through the real client: ids of 1 to 128 ASCII
//! letters, digits and `_-.:` refused before any look-up (in complaints' own database or
//! at scheduling); free text trimmed, bounded and free of control characters; dates of
//! years 1 to 9999; money up to ¥1,000,000; page tokens the service issued and page sizes
//! that are not negative; a branch scheduling does not know is never UNAVAILABLE; every
//! refused token told the same thing; and no answer long enough to echo what was sent.
//!
//! The checks are `test_support::edges`'s, shared with every service; what stays here is
//! this service's: its RPCs, field tables and request builders. The tables collect every
//! case that breaks a rule and fail once, listing them all.

use hospital_proto::complaints as pb;

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
    };
    (f, ids)
}

fn november() -> Option<pb::Period> {
    Some(pb::Period {
        from: Some(date(2026, 11, 1)),
        to: Some(date(2026, 11, 30)),
    })
}

/// What a malformed id looks like here: a prefix and a non-ASCII name.
const ID_LOOK: (&str, &str) = ("wo", "工单");
