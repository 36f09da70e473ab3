//! The use cases: authorise against the data, apply the domain rules, persist through the
//! store in one transaction together with the events the change publishes.

mod appointments;
mod branches;
mod capacity;
mod catalogue;
mod events;
mod recovery;
mod route;
mod visits;

use std::sync::Arc;

use service_kit::{
    Error, Result,
    auth::{Principal, Role},
    clock::SharedClock,
    db::Db,
    events::Outbox,
};
use sqlx::AnyConnection;

pub use appointments::{BookCommand, ListAppointments};
pub use branches::{CreateBranch, UpdateBranch};
pub use capacity::GenerateReport;
pub use catalogue::{CreateExamItem, CreatePackage};
pub use events::cancel_reason_out;
pub use recovery::{AddComplimentary, Granted};
pub use visits::Visit;

use crate::{
    domain::{branch::Branch, catalogue::Package},
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
    // Packages never change once created (a changed offer is a new package, so booked
    // appointments keep what they booked), so they are cached without expiry.
    packages: Arc<std::sync::RwLock<std::collections::HashMap<String, Arc<Package>>>>,
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
            packages: Arc::default(),
        }
    }

    /// A package, from the cache or the database.
    async fn package(&self, conn: &mut AnyConnection, id: &str) -> Result<Arc<Package>> {
        if let Some(p) = self.packages.read().expect("package cache lock").get(id) {
            return Ok(p.clone());
        }
        let package = store::catalogue::get_package(conn, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("package {id}")))?;
        let package = Arc::new(package);
        self.packages
            .write()
            .expect("package cache lock")
            .insert(id.to_owned(), package.clone());
        Ok(package)
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
