//! The recovery-due queue: a broken wait promise puts the visit in front of whoever holds
//! the branch's authority at once, with the branch's giftable items at their list prices
//! and a short window for the decision.

use std::collections::HashMap;

use jiff::Timestamp;
use service_kit::{
    Error, Result,
    auth::Principal,
    db::Tx,
    ids::new_id,
    requests::{Page, next_page_token, page},
};

use super::{Scheduling, roles};
use crate::{
    domain::{
        appointment::Appointment,
        catalogue::ExamItem,
        recovery::{self, Case, Policy, PolicyInput, Trigger},
        visit,
    },
    store,
};

/// A branch's policy with its giftable items resolved in the catalogue.
#[derive(Debug, Clone)]
pub struct PolicyView {
    /// The policy.
    pub policy: Policy,
    /// Its giftable items, in the policy's order.
    pub items: Vec<ExamItem>,
}

/// An open case as the queue shows it.
#[derive(Debug, Clone)]
pub struct DueCase {
    /// The case.
    pub case: Case,
    /// Its appointment (customer, branch).
    pub appointment: Appointment,
    /// Minutes waited over the visit so far.
    pub waited_minutes: u32,
    /// Past its decision window.
    pub late: bool,
    /// What the branch may give.
    pub giftable: Vec<ExamItem>,
}

impl Scheduling {
    /// Sets what a branch may give on the spot. Every listed item must be in the catalogue
    /// with a list price: a gift's worth is that price, never a typed number.
    pub async fn set_recovery_policy(
        &self,
        p: &Principal,
        branch_id: &str,
        input: PolicyInput,
    ) -> Result<PolicyView> {
        p.require_role(roles::RECOVERY_POLICY, "set the recovery policy")?;
        let mut conn = self.conn().await?;
        self.branch_in_scope(&mut conn, p, branch_id).await?;
        let policy = recovery::policy(branch_id, input, self.clock.now())?;
        let items = self.giftable(&mut conn, &policy.giftable_item_ids).await?;
        for (i, item) in items.iter().enumerate() {
            if item
                .list_price
                .as_ref()
                .is_none_or(|price| price.minor == 0)
            {
                return Err(Error::FailedPrecondition(format!(
                    "giftable_item_ids[{i}]: exam item {} has no list price, so a gift of it \
                     would have no recorded worth",
                    item.id
                )));
            }
        }
        store::recovery::put_policy(&mut conn, &policy).await?;
        tracing::info!(branch = %branch_id, items = policy.giftable_item_ids.len(), "recovery policy set");
        Ok(PolicyView { policy, items })
    }

    /// A branch's policy (the defaults, with nothing giftable, until one is set).
    pub async fn get_recovery_policy(&self, p: &Principal, branch_id: &str) -> Result<PolicyView> {
        let mut conn = self.conn().await?;
        self.branch_in_scope(&mut conn, p, branch_id).await?;
        let policy = store::recovery::policy(&mut conn, branch_id)
            .await?
            .unwrap_or_else(|| Policy::default_for(branch_id));
        let items = self.giftable(&mut conn, &policy.giftable_item_ids).await?;
        Ok(PolicyView { policy, items })
    }

    /// The open cases in the caller's scope (narrowed to `branch_id` when given), oldest
    /// breach first.
    pub async fn list_recovery_due(
        &self,
        p: &Principal,
        branch_id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<DueCase>, String)> {
        p.require_role(roles::RECOVERY_DECIDE, "see the recovery-due queue")?;
        let Page { limit, after } = page(page_size, page_token)?;
        let mut conn = self.conn().await?;
        if !branch_id.is_empty() {
            self.branch_in_scope(&mut conn, p, branch_id).await?;
        }
        let cases = store::recovery::due(&mut conn, &p.scope, branch_id, &after, limit).await?;
        let now = self.clock.now();
        let mut policies: HashMap<String, Vec<ExamItem>> = HashMap::new();
        let mut out = Vec::with_capacity(cases.len());
        for case in cases {
            let appointment = store::appointments::get(&mut conn, &case.appointment_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("case {} lost its appointment", case.id))?;
            let entries = store::visits::of_appointment(&mut conn, &case.appointment_id).await?;
            if !policies.contains_key(&case.branch_id) {
                let policy = store::recovery::policy(&mut conn, &case.branch_id)
                    .await?
                    .unwrap_or_else(|| Policy::default_for(&case.branch_id));
                let items = self.giftable(&mut conn, &policy.giftable_item_ids).await?;
                policies.insert(case.branch_id.clone(), items);
            }
            out.push(DueCase {
                waited_minutes: visit::whole_minutes(visit::visit_waited(&entries, now)),
                late: case.is_late(now),
                giftable: policies[&case.branch_id].clone(),
                appointment,
                case,
            });
        }
        let next = next_page_token(&out, limit, |c| c.case.id.clone());
        Ok((out, next))
    }

    /// In `tx`, with a breach just flagged: opens the visit's recovery case unless it has
    /// one, due within the branch's decision window.
    pub(crate) async fn open_recovery_case(
        &self,
        tx: &mut Tx,
        apt: &Appointment,
        trigger: Trigger,
        now: Timestamp,
    ) -> Result<()> {
        let policy = store::recovery::policy(tx, &apt.branch_id)
            .await?
            .unwrap_or_else(|| Policy::default_for(&apt.branch_id));
        let case = Case::open(
            new_id("rc"),
            &apt.id,
            &apt.branch_id,
            &apt.region_path,
            trigger,
            now,
            &policy,
        );
        if store::recovery::open(tx, &case).await? {
            tracing::info!(appointment = %apt.id, case = %case.id, "recovery due");
        }
        Ok(())
    }

    /// The items `ids` names, in order; NOT_FOUND naming the first that is not in the
    /// catalogue.
    async fn giftable(
        &self,
        conn: &mut sqlx::AnyConnection,
        ids: &[String],
    ) -> Result<Vec<ExamItem>> {
        let found = store::catalogue::items_by_ids(conn, ids).await?;
        ids.iter()
            .map(|id| {
                found
                    .iter()
                    .find(|i| &i.id == id)
                    .cloned()
                    .ok_or_else(|| Error::NotFound(format!("exam item {id}")))
            })
            .collect()
    }
}
