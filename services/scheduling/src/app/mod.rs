//! The use cases: authorise against the data, apply the domain rules, persist through the
//! store in one transaction together with the events the change publishes.

mod appointments;
mod branches;
mod capacity;
mod catalogue;
mod events;
mod recovery;
mod recovery_due;
mod route;
mod visits;

use std::sync::Arc;

use service_kit::{
    Error, Result,
    auth::{Principal, Role},
    cache::Cache,
    clock::SharedClock,
    db::Db,
    events::Outbox,
};
use sqlx::AnyConnection;

pub use appointments::{BookCommand, ListAppointments};
pub use branches::{CreateBranch, UpdateBranch};
pub use capacity::GenerateReport;
pub use catalogue::{CreateExamItem, CreatePackage};
pub use events::{cancel_reason_out, wire};
pub use recovery::{AddComplimentary, Granted};
pub use recovery_due::{DecideCommand, DueCase, PolicyView};
pub use visits::Visit;

use crate::{
    domain::{branch::Branch, calendar::Slot, catalogue::Package},
    store,
};

/// Who may do what. Scope (which branches) is checked separately, against the data.
pub(crate) mod roles {
    use super::Role::{self, *};

    /// Maintain branches.
    pub const BRANCH_ADMIN: &[Role] = &[GroupAdmin, RegionAdmin];
    /// Maintain the exam catalogue.
    pub const CATALOGUE_ADMIN: &[Role] = &[GroupAdmin];
    /// Set templates and generate slots.
    pub const CAPACITY: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector];
    /// Book, reschedule, cancel.
    pub const BOOKING: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
        BranchSystem,
        Service,
    ];
    /// On-site actions: check-in, no-show.
    pub const FRONT_DESK: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        BranchSystem,
    ];
    /// Station actions: call, start, complete.
    pub const STATION: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        ExamStation,
        BranchSystem,
    ];
    /// Service recovery: add complimentary exam items. The complaints service calls with
    /// its service token once a director's grant is recorded there.
    pub const RECOVERY: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector, Service];
    /// Set what a branch may give on the spot.
    pub const RECOVERY_POLICY: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector];
    /// See the recovery-due queue (and, with the decisions, decide).
    pub const RECOVERY_DECIDE: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector];
    /// Read the event feed.
    pub const SUBSCRIBE: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        BranchSystem,
        Service,
    ];
}

/// The scheduling service's use cases.
#[derive(Clone)]
pub struct Scheduling {
    db: Db,
    outbox: Arc<Outbox>,
    clock: SharedClock,
    cache: Arc<Cached>,
    limits: crate::domain::recovery::Limits,
}

/// What the booking path keeps in memory so that a booking is one round trip.
#[derive(Debug)]
pub(crate) struct Cached {
    // Packages never change once created (a changed offer is a new package, so booked
    // appointments keep what they booked).
    packages: Cache<Package>,
    // A slot's branch, date, times and capacity never change; only `booked` does, and the
    // booking statement takes its place by a conditional update, never from this copy.
    slots: Cache<Slot>,
    // Branches change (hours, holidays), so a booking made from a cached branch is
    // written only if the branch's version is still the one cached; any other replica's
    // update is caught by that check, and the booking retries with a fresh copy.
    branches: Cache<Branch>,
}

impl Default for Cached {
    fn default() -> Self {
        Self {
            packages: Cache::new(10_000),
            slots: Cache::new(200_000),
            branches: Cache::new(10_000),
        }
    }
}

impl std::fmt::Debug for Scheduling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduling")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// Appends a line to an appointment's audit trail, in the caller's transaction.
pub(crate) async fn audit(
    tx: &mut service_kit::db::Tx,
    appointment_id: &str,
    at: jiff::Timestamp,
    actor: &str,
    action: &str,
    detail: String,
) -> Result<()> {
    let change = crate::domain::appointment::Change {
        at,
        actor: actor.to_owned(),
        action: action.to_owned(),
        detail,
    };
    store::appointments::record(tx, appointment_id, &change).await
}

impl Scheduling {
    /// Use cases over `db`, publishing through `outbox`, telling time by `clock`.
    pub fn new(db: Db, outbox: Arc<Outbox>, clock: SharedClock) -> Self {
        Self {
            db,
            outbox,
            clock,
            cache: Arc::default(),
            limits: Default::default(),
        }
    }

    /// The same, with these limits on what each level may give on the spot.
    pub fn with_limits(mut self, limits: crate::domain::recovery::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// A package, from the cache or the database.
    async fn package(&self, conn: &mut AnyConnection, id: &str) -> Result<Arc<Package>> {
        if let Some(p) = self.cache.packages.get(id) {
            return Ok(p);
        }
        let package = store::catalogue::get_package(conn, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("package {id}")))?;
        Ok(self.cache.packages.put(id, package))
    }

    /// A package for a booking: from the cache, or read on a connection of its own.
    async fn cached_package(&self, id: &str) -> Result<Arc<Package>> {
        if let Some(p) = self.cache.packages.get(id) {
            return Ok(p);
        }
        self.package(&mut *self.conn().await?, id).await
    }

    /// A slot and its branch for a booking: the cached copies unless `fresh`, otherwise
    /// (or when not cached) read in one statement and cached.
    async fn slot_and_branch(
        &self,
        slot_id: &str,
        fresh: bool,
    ) -> Result<(Arc<Slot>, Arc<Branch>)> {
        if !fresh
            && let Some(slot) = self.cache.slots.get(slot_id)
            && let Some(branch) = self.cache.branches.get(&slot.branch_id)
        {
            return Ok((slot, branch));
        }
        let (slot, branch) = store::slots::get_with_branch(&mut *self.conn().await?, slot_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("slot {slot_id}")))?;
        let branch_id = branch.id.clone();
        Ok((
            self.cache.slots.put(slot_id, slot),
            self.cache.branches.put(&branch_id, branch),
        ))
    }

    /// Drops the cached copy of a branch this replica just changed, so its next booking
    /// does not first try the old version.
    fn branch_changed(&self, id: &str) {
        self.cache.branches.forget(id);
    }

    /// The outbox, for the event feed.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// A branch, which must exist and lie in the caller's scope.
    async fn branch_in_scope(
        &self,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> Result<Branch> {
        let branch = store::branches::get(conn, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("branch {id}")))?;
        p.check_branch(&branch.id, &branch.region.path())?;
        Ok(branch)
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.db.acquire().await
    }
}
