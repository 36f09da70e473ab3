//! The use cases: authorise against the data, apply the domain rules, persist through the
//! store in one transaction together with the timeline and the events the change publishes.

mod events;
mod feed;
mod figures;
mod intake;
mod lifecycle;
mod recovery;
pub mod surveys;
mod timers;
pub mod wire;

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jiff::Timestamp;
use service_kit::{
    Error, Result,
    auth::{Principal, Role},
    clock::SharedClock,
    db::Db,
    events::Outbox,
};
use sqlx::AnyConnection;

pub use feed::CONSUMER;
pub use figures::{Figures, Period, ScorecardRow};
pub use intake::OpenCommand;
pub use lifecycle::Action;
pub use recovery::GrantCommand;

use crate::{
    directory::Directory,
    domain::{
        calendar::Calendar,
        recovery::Compensation,
        recovery::Limits,
        sla::{Policy, default_policy},
        timeline::Entry,
        vocab::Severity,
        work_order::{CachedBranch, Filter, WorkOrder},
    },
    store,
};

/// Who may do what. Scope (which branches) and level (who holds a work order) are checked
/// separately, against the data.
pub mod roles {
    use super::Role::{self, *};

    /// Open work orders.
    pub const INTAKE: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
        BranchSystem,
        Service,
    ];
    /// Read work orders and their timelines.
    pub const READ: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
        BranchSystem,
    ];
    /// Move work orders through their lifecycle, assign and escalate them.
    pub const HANDLE: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
    ];
    /// Add notes and contact attempts, record satisfaction.
    pub const ANNOTATE: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
        BranchSystem,
    ];
    /// Set SLA policies.
    pub const POLICY: &[Role] = &[GroupAdmin];
    /// Read figures.
    pub const FIGURES: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector];
    /// Read the event feed.
    pub const SUBSCRIBE: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        BranchSystem,
        Service,
    ];
}

/// How long SLA policies are cached; another replica sees a change within this.
const POLICY_TTL: Duration = Duration::from_secs(10);
/// How long a branch is kept in memory. Every replica also takes the new copy from
/// scheduling's `BranchChanged` events as they pass, so this bounds how stale a copy can
/// be only while the event feed is behind or down.
const BRANCH_TTL: Duration = Duration::from_secs(60);

/// A work order with its grants, as reads return it.
#[derive(Debug, Clone)]
pub struct Detail {
    /// The work order.
    pub work_order: WorkOrder,
    /// Its service-recovery grants.
    pub compensations: Vec<Compensation>,
}

/// SLA policies and when they were read.
type CachedPolicies = (Instant, Vec<Policy>);
/// Branches by id, and when each was read.
type BranchMemory = HashMap<String, (Instant, CachedBranch)>;

/// The complaints service's use cases.
#[derive(Clone)]
pub struct Complaints {
    db: Db,
    outbox: Arc<Outbox>,
    clock: SharedClock,
    directory: Directory,
    limits: Arc<Limits>,
    policies: Arc<RwLock<Option<CachedPolicies>>>,
    // Intake reads a branch for every work order; keeping it in memory saves a
    // connection checkout and a query (two of the eight round trips an intake made).
    branches: Arc<RwLock<BranchMemory>>,
}

impl std::fmt::Debug for Complaints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Complaints")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Complaints {
    /// Use cases over `db`, publishing through `outbox`, telling time by `clock`, calling
    /// scheduling through `directory`.
    pub fn new(
        db: Db,
        outbox: Arc<Outbox>,
        clock: SharedClock,
        directory: Directory,
        limits: Limits,
    ) -> Self {
        Self {
            db,
            outbox,
            clock,
            directory,
            limits: Arc::new(limits),
            policies: Arc::default(),
            branches: Arc::default(),
        }
    }

    /// The outbox, for the event feed.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.db.acquire().await
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The policy for `severity`, cached for [`POLICY_TTL`].
    async fn policy(&self, severity: Severity) -> Result<Policy> {
        let cached = self
            .policies
            .read()
            .expect("policy cache lock")
            .as_ref()
            .filter(|(at, _)| at.elapsed() < POLICY_TTL)
            .map(|(_, all)| all.clone());
        let all = match cached {
            Some(all) => all,
            None => {
                let all: Vec<Policy> = store::policies::list(&mut *self.conn().await?)
                    .await?
                    .into_iter()
                    .map(|(p, _)| p)
                    .collect();
                *self.policies.write().expect("policy cache lock") =
                    Some((Instant::now(), all.clone()));
                all
            }
        };
        Ok(all
            .into_iter()
            .find(|p| p.severity == severity)
            .unwrap_or_else(|| default_policy(severity)))
    }

    /// A branch: from the local copy, else from scheduling (and kept). `NotFound` when
    /// scheduling does not know it.
    /// Memory is asked first, so `conn` is used only on a miss.
    async fn branch(&self, conn: &mut AnyConnection, id: &str) -> Result<CachedBranch> {
        if let Some(b) = self.remembered(id) {
            return Ok(b);
        }
        let branch = match store::branches::get(conn, id).await? {
            Some(b) => b,
            None => {
                let fetched = self.directory.branch(id).await?.ok_or_else(|| {
                    Error::NotFound(format!("branch {id} (scheduling does not know it)"))
                })?;
                store::branches::upsert(conn, &fetched, self.now()).await?;
                fetched
            }
        };
        self.remember(&branch);
        Ok(branch)
    }

    /// [`Self::branch`] for a caller that holds no connection: one is taken only on a miss.
    async fn branch_by_id(&self, id: &str) -> Result<CachedBranch> {
        match self.remembered(id) {
            Some(b) => Ok(b),
            None => self.branch(&mut *self.conn().await?, id).await,
        }
    }

    fn remembered(&self, id: &str) -> Option<CachedBranch> {
        let memory = self.branches.read().expect("branch memory lock");
        memory
            .get(id)
            .filter(|(at, _)| at.elapsed() < BRANCH_TTL)
            .map(|(_, b)| b.clone())
    }

    /// Keeps `branch`, unless memory already holds a later version of it (a copy read
    /// from the database just before the event feed stored a newer one).
    fn remember(&self, branch: &CachedBranch) {
        let mut memory = self.branches.write().expect("branch memory lock");
        let newer_known = memory
            .get(&branch.info.id)
            .is_some_and(|(at, b)| b.version > branch.version && at.elapsed() < BRANCH_TTL);
        if !newer_known {
            memory.insert(branch.info.id.clone(), (Instant::now(), branch.clone()));
        }
    }

    /// The calendar a work order's clocks count in.
    async fn calendar(&self, conn: &mut AnyConnection, wo: &WorkOrder) -> Result<Calendar> {
        match self.branch(conn, &wo.branch.id).await {
            Ok(b) => Ok(b.calendar),
            // The branch was seen when the work order was opened; if scheduling is down
            // and the copy is gone, count around the clock rather than stall the clocks.
            Err(Error::Unavailable(_)) => Ok(Calendar::always_open("Asia/Shanghai")),
            Err(e) => Err(e),
        }
    }

    /// A work order the caller may see.
    async fn visible(
        &self,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> Result<WorkOrder> {
        let wo = store::work_orders::get(conn, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("work order {id}")))?;
        p.check_branch(&wo.branch.id, &wo.branch.region_path())?;
        Ok(wo)
    }

    /// One work order, by id or by the number read out on the phone.
    pub async fn get(&self, p: &Principal, id: &str, number: &str) -> Result<Detail> {
        p.require_role(roles::READ, "read work orders")?;
        let mut conn = self.conn().await?;
        let wo = if !id.is_empty() {
            self.visible(&mut conn, p, id).await?
        } else {
            let seq = crate::domain::work_order::parse_number(number).ok_or_else(|| {
                Error::invalid(
                    "number",
                    "a work order number such as WO-000123-0 (check digit included)",
                )
            })?;
            let wo = store::work_orders::by_seq(&mut conn, seq)
                .await?
                .ok_or_else(|| Error::NotFound(format!("work order {number}")))?;
            p.check_branch(&wo.branch.id, &wo.branch.region_path())?;
            wo
        };
        let compensations = store::compensations::of_work_order(&mut conn, &wo.id).await?;
        Ok(Detail {
            work_order: wo,
            compensations,
        })
    }

    /// Work orders in the caller's scope, newest first.
    pub async fn list(
        &self,
        p: &Principal,
        mut filter: Filter,
        my_queue: bool,
        limit: i64,
    ) -> Result<Vec<WorkOrder>> {
        p.require_role(roles::READ, "read work orders")?;
        self.check_narrowing(p, &filter.branch_id, &filter.region_path)
            .await?;
        if my_queue {
            filter.level = Some(crate::domain::lifecycle::level_of(&p.scope));
        }
        filter.scope = Some(p.scope.clone());
        store::work_orders::list(&mut *self.conn().await?, &filter, limit).await
    }

    /// Refuses narrowing to a branch or region outside the caller's scope (see
    /// [`Principal::check_narrowing`]); the branch is looked up to know its region.
    pub async fn check_narrowing(
        &self,
        p: &Principal,
        branch_id: &str,
        region_path: &str,
    ) -> Result<()> {
        let branch = if branch_id.is_empty() {
            None
        } else {
            Some(self.branch_by_id(branch_id).await?)
        };
        let branch = branch
            .as_ref()
            .map(|b| (b.info.id.as_str(), b.info.region_path()));
        p.check_narrowing(
            branch.as_ref().map(|(id, region)| (*id, region.as_str())),
            region_path,
        )
    }

    /// A work order's timeline, oldest first.
    pub async fn timeline(
        &self,
        p: &Principal,
        id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Entry>> {
        p.require_role(roles::READ, "read work orders")?;
        let mut conn = self.conn().await?;
        self.visible(&mut conn, p, id).await?;
        store::timeline::list(&mut conn, id, after_seq, limit).await
    }

    /// Every SLA policy.
    pub async fn policies(&self, p: &Principal) -> Result<Vec<(Policy, Timestamp)>> {
        p.require_role(roles::READ, "read SLA policies")?;
        store::policies::list(&mut *self.conn().await?).await
    }

    /// Sets one severity's policy; work orders opened (or escalated) afterwards use it.
    pub async fn set_policy(&self, p: &Principal, policy: Policy) -> Result<(Policy, Timestamp)> {
        p.require_role(roles::POLICY, "set SLA policies")?;
        policy.validate()?;
        let now = self.now();
        store::policies::upsert(&mut *self.conn().await?, &policy, now).await?;
        *self.policies.write().expect("policy cache lock") = None;
        Ok((policy, now))
    }
}
