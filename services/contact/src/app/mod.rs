//! The use cases: authorise against the data, apply the domain rules, persist through the
//! store in one transaction together with the events the change publishes.

mod customers;
mod dispatch;
mod feed;
pub mod followup;
pub mod leads;
pub mod load;
pub mod queue;
mod reads;
pub mod segments;
mod sheet;
pub mod surveys;
pub mod wire;
pub mod work_orders;

use std::sync::Arc;

use hospital_proto::{contact as pb, scheduling as sched};
use jiff::Timestamp;
use secrecy::SecretString;
use service_kit::{
    Error, Result,
    auth::{Principal, Role},
    cache::Cache,
    clock::SharedClock,
    db::Db,
    events::{NewEvent, Outbox, append},
    scheduling::Scheduling,
};
use sqlx::AnyConnection;

pub use customers::{CustomerView, NewCustomerCommand};
pub use feed::CONSUMER;
pub use sheet::DaySheetRow;

use crate::adapters::{Adapter, Retry};

/// Who may do what. Scope (which branches) is checked separately, against the data.
pub mod roles {
    use super::Role::{self, *};

    /// Find, create and read customers; record consent and preferences.
    pub const CUSTOMERS: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
        BranchSystem,
        Service,
    ];
    /// The roles that call customers, and so see their numbers in full.
    pub const CALLERS: &[Role] = &[FrontDesk, CallCentreAgent];
    /// Read reminders, messages and the day sheet.
    pub const READ: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
        BranchSystem,
    ];
    /// Set the reminder policy.
    pub const POLICY: &[Role] = &[GroupAdmin];
    /// Report deliveries (the messaging platform, through its service token).
    pub const RECEIPTS: &[Role] = &[GroupAdmin, Service];
    /// Record what a visit found, starting its follow-up plan.
    pub const OUTCOMES: &[Role] = &[HealthManager, BranchDirector];
    /// Read follow-up plans and templates, and the queue.
    pub const READ_PLANS: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        FrontDesk,
        CallCentreAgent,
        HealthManager,
    ];
    /// Read a plan's or a task's medical detail, and medical tasks at all among managers.
    pub const MEDICAL_READERS: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector, HealthManager];
    /// Take tasks from the queue.
    pub const AGENTS: &[Role] = &[CallCentreAgent, FrontDesk, HealthManager];
    /// Declare agents, reassign tasks, record outcomes of tasks escalated to them.
    pub const SUPERVISE: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector];
    /// Import leads (marketing, through its service token or an administrator; group scope).
    pub const LEADS: &[Role] = &[GroupAdmin, Service];
    /// Report a survey's answer (the messaging platform or the app).
    pub const SURVEY_ANSWERS: &[Role] = &[Service, GroupAdmin];
    /// Read figures: surveys, leads, segments, the planned load.
    pub const FIGURES: &[Role] = &[GroupAdmin, RegionAdmin, BranchDirector];

    /// Whether `role` may see tasks needing `skill`: medical tasks belong to the medical
    /// track and its managers, the others to customer service and its managers.
    pub fn may_see_skill(role: Role, skill: crate::domain::followup_vocab::Skill) -> bool {
        use crate::domain::followup_vocab::Skill;
        match role {
            GroupAdmin | RegionAdmin | BranchDirector => true,
            HealthManager => skill == Skill::Medical,
            CallCentreAgent | FrontDesk => skill != Skill::Medical,
            _ => false,
        }
    }

    /// Read the event feed.
    pub const SUBSCRIBE: &[Role] = &[
        GroupAdmin,
        RegionAdmin,
        BranchDirector,
        BranchSystem,
        Service,
    ];
}

/// The branch as contact needs it: name, brand, zone and region.
#[derive(Debug, Clone)]
pub struct Branch {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Brand, for the reminder policy.
    pub brand: String,
    /// IANA zone.
    pub time_zone: String,
    /// `province/city`.
    pub region_path: String,
}

fn branch_of(b: sched::Branch) -> Branch {
    let region = b.region.unwrap_or_default();
    Branch {
        id: b.branch_id,
        name: b.name,
        address: b.address,
        brand: b.brand,
        time_zone: if b.time_zone.is_empty() {
            "Asia/Shanghai".into()
        } else {
            b.time_zone
        },
        region_path: format!("{}/{}", region.province, region.city),
    }
}

/// The contact service's use cases.
#[derive(Clone)]
pub struct Contact {
    db: Db,
    outbox: Arc<Outbox>,
    clock: SharedClock,
    scheduling: Scheduling,
    adapter: Adapter,
    retry: Retry,
    hash_key: Option<Arc<SecretString>>,
    batch: i64,
    concurrency: usize,
    branches: Arc<Cache<Branch>>,
    /// Agents as last read, with when: a claim needs its agent's team and skills, which
    /// change rarely; another replica's change is seen within [`queue::AGENT_FRESH`].
    agents: Arc<Cache<(std::time::Instant, crate::domain::task::Agent)>>,
    /// How long after a completed visit its survey goes out.
    survey_delay: jiff::SignedDuration,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("db", &self.db)
            .field("adapter", &self.adapter.name())
            .finish_non_exhaustive()
    }
}

impl Contact {
    /// Use cases over `db`, publishing through `outbox`, telling time by `clock`, reading
    /// branches and events from `scheduling`, handing messages to `adapter`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        outbox: Arc<Outbox>,
        clock: SharedClock,
        scheduling: Scheduling,
        adapter: Adapter,
        retry: Retry,
        hash_key: Option<SecretString>,
        batch: u32,
        concurrency: u32,
    ) -> Self {
        Self {
            db,
            outbox,
            clock,
            scheduling,
            adapter,
            retry,
            hash_key: hash_key.map(Arc::new),
            batch: i64::from(batch),
            concurrency: concurrency.max(1) as usize,
            branches: Arc::new(Cache::new(4096)),
            agents: Arc::new(Cache::new(4096)),
            survey_delay: surveys::SURVEY_DELAY,
        }
    }

    /// The same use cases sending each survey `minutes` after its visit completed.
    pub fn with_survey_delay(mut self, minutes: u32) -> Self {
        self.survey_delay = jiff::SignedDuration::from_mins(i64::from(minutes));
        self
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

    /// The branch, from memory or scheduling; NOT_FOUND when scheduling does not know it.
    async fn branch(&self, id: &str) -> Result<Arc<Branch>> {
        if let Some(b) = self.branches.get(id) {
            return Ok(b);
        }
        let b = self
            .scheduling
            .branch(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("branch {id}")))?;
        Ok(self.branches.put(id, branch_of(b)))
    }

    /// Narrowing to `branch_id` (or `region_path`) within the caller's scope, or
    /// PERMISSION_DENIED.
    pub async fn check_narrowing(
        &self,
        p: &Principal,
        branch_id: &str,
        region_path: &str,
    ) -> Result<()> {
        let branch = if branch_id.is_empty() {
            None
        } else {
            Some(self.branch(branch_id).await?)
        };
        p.check_narrowing(
            branch
                .as_ref()
                .map(|b| (b.id.as_str(), b.region_path.as_str())),
            region_path,
        )
    }
}

/// Appends one event about `branch_id` in the caller's transaction.
async fn publish(
    conn: &mut AnyConnection,
    branch_id: &str,
    region_path: &str,
    at: Timestamp,
    kind: pb::contact_event::Kind,
) -> Result<()> {
    let row = NewEvent::encode(branch_id, region_path, at, |event_id, occurred_at| {
        pb::ContactEvent {
            position: 0,
            event_id,
            occurred_at: Some(occurred_at),
            branch_id: branch_id.to_owned(),
            kind: Some(kind),
        }
    });
    append(conn, &row).await
}
