//! The recovery-due queue: a broken wait promise puts the visit in front of whoever holds
//! the branch's authority at once, with the branch's giftable items at their list prices
//! and a short window for the decision.

use std::collections::HashMap;

use hospital_proto::{common, scheduling as pb};

use jiff::Timestamp;
use service_kit::{
    Error, Result,
    auth::{OrgScope, Principal, Role},
    clock::{from_micros, to_micros, to_proto},
    db::{Tx, retry},
    ids::new_id,
    requests::{Page, check_request_id, next_page_token, page, with_request_id},
};

use super::{Scheduling, roles};
use crate::{
    domain::{
        appointment::{Appointment, Status},
        catalogue::ExamItem,
        complimentary::ComplimentaryItem,
        recovery::{
            self, Case, Decided, Decision, DecisionInput, Delivery, Gift, Policy, PolicyInput,
            Trigger,
        },
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
    /// Who decides it now.
    pub level: recovery::Level,
    /// What the branch may give.
    pub giftable: Vec<ExamItem>,
    /// What was given, oldest first.
    pub gifts: Vec<Gift>,
}

/// A decision on a case, as requested.
#[derive(Debug, Clone)]
pub struct DecideCommand {
    /// Idempotency key.
    pub request_id: String,
    /// The case.
    pub case_id: String,
    /// What was decided.
    pub input: DecisionInput,
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
        let Page { limit, after } = page(page_size, page_token)?;
        let mut conn = self.conn().await?;
        if !branch_id.is_empty() {
            self.branch_in_scope(&mut conn, p, branch_id).await?;
        }
        if !roles::RECOVERY_DECIDE.contains(&p.role) {
            // Only the day's deputy, over their own branch.
            let OrgScope::Branch(own) = &p.scope else {
                return Err(not_a_decider(p));
            };
            self.acting_role(&mut conn, p, own).await?;
        }
        let cases = store::recovery::due(&mut conn, &p.scope, branch_id, &after, limit).await?;
        let now = self.clock.now();
        let mut policies: HashMap<String, Vec<ExamItem>> = HashMap::new();
        let mut out = Vec::with_capacity(cases.len());
        for case in cases {
            out.push(self.case_view(&mut conn, case, now, &mut policies).await?);
        }
        let next = next_page_token(&out, limit, |c| c.case.id.clone());
        Ok((out, next))
    }

    /// A case as the queue shows it; `policies` keeps each branch's giftable items.
    async fn case_view(
        &self,
        conn: &mut sqlx::AnyConnection,
        case: Case,
        now: Timestamp,
        policies: &mut HashMap<String, Vec<ExamItem>>,
    ) -> Result<DueCase> {
        let appointment = store::appointments::get(conn, &case.appointment_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("case {} lost its appointment", case.id))?;
        let entries = store::visits::of_appointment(conn, &case.appointment_id).await?;
        if !policies.contains_key(&case.branch_id) {
            let policy = self.policy_of(conn, &case.branch_id).await?;
            let items = self.giftable(conn, &policy.giftable_item_ids).await?;
            policies.insert(case.branch_id.clone(), items);
        }
        let gifts = store::recovery::gifts(conn, &case.id).await?;
        Ok(DueCase {
            waited_minutes: visit::whole_minutes(visit::visit_waited(&entries, now)),
            late: case.decided.is_none() && case.is_late(now),
            level: case.level(now),
            giftable: policies[&case.branch_id].clone(),
            gifts,
            appointment,
            case,
        })
    }

    async fn policy_of(&self, conn: &mut sqlx::AnyConnection, branch_id: &str) -> Result<Policy> {
        Ok(store::recovery::policy(conn, branch_id)
            .await?
            .unwrap_or_else(|| Policy::default_for(branch_id)))
    }

    /// Records the decision on a case. A gift is worth its item's list price now, within
    /// the decider's limit, borne by the decider's unit; to the customer it joins the route
    /// at once, or becomes a voucher when the visit is over. A repeated `request_id`
    /// answers with the case as that request left it.
    pub async fn decide_recovery(&self, p: &Principal, cmd: DecideCommand) -> Result<DueCase> {
        let mut v = service_kit::error::Violations::new();
        check_request_id(&cmd.request_id, &mut v);
        v.into_result()?;
        with_request_id(&cmd.request_id, recovery::validate_decision(&cmd.input))?;
        let decision = cmd.input.decision.expect("validated");
        let mut conn = self.conn().await?;
        let case = self.open_case_in_scope(&mut conn, p, &cmd.case_id).await?;
        let role = self.acting_role(&mut conn, p, &case.branch_id).await?;
        drop(conn);
        if let Some(done) = self.replayed_decision(p, &cmd).await? {
            return Ok(done);
        }
        let attempt = async {
            if decision == Decision::Granted {
                self.grant_on_case(p, role, &case, &cmd).await
            } else {
                self.decline_case(p, role, &case, &cmd, decision).await
            }
        };
        match attempt.await {
            Ok(()) => {}
            // A concurrent attempt of the same request may have got there first.
            Err(e) => match self.replayed_decision(p, &cmd).await? {
                Some(done) => return Ok(done),
                None => return Err(e),
            },
        }
        self.outbox.notify();
        self.case_in_scope(p, &cmd.case_id).await
    }

    async fn case_in_scope(&self, p: &Principal, case_id: &str) -> Result<DueCase> {
        let mut conn = self.conn().await?;
        let case = store::recovery::get(&mut conn, case_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("recovery case {case_id}")))?;
        p.check_branch(&case.branch_id, &case.region_path)?;
        self.case_view(&mut conn, case, self.clock.now(), &mut HashMap::new())
            .await
    }

    /// The case as an earlier attempt of `cmd.request_id` left it, if there was one.
    async fn replayed_decision(
        &self,
        p: &Principal,
        cmd: &DecideCommand,
    ) -> Result<Option<DueCase>> {
        let mut conn = self.conn().await?;
        let case_id = match store::recovery::gift_by_request(&mut conn, &cmd.request_id).await? {
            Some(g) => Some(g.case_id),
            None => store::recovery::by_decision_request(&mut conn, &cmd.request_id)
                .await?
                .map(|c| c.id),
        };
        drop(conn);
        match case_id {
            Some(id) if id == cmd.case_id => Ok(Some(self.case_in_scope(p, &id).await?)),
            Some(_) => Err(Error::invalid(
                "request_id",
                "already used for a decision on another case",
            )),
            None => Ok(None),
        }
    }

    async fn decline_case(
        &self,
        p: &Principal,
        role: Role,
        case: &Case,
        cmd: &DecideCommand,
        decision: Decision,
    ) -> Result<()> {
        let policy = self
            .policy_of(&mut *self.conn().await?, &case.branch_id)
            .await?;
        case.check_authority(role, self.clock.now())?;
        recovery::check_decidable(case, 0, &policy, decision)?;
        let decided = Decided {
            decision,
            by: p.subject.clone(),
            at: self.clock.now(),
            reason: cmd.input.reason,
            note: cmd.input.note.trim().to_owned(),
        };
        retry(|| async {
            let mut tx = self.db.begin().await?;
            if !store::recovery::record(&mut tx, &case.id, &decided, &cmd.request_id).await? {
                return Err(Error::FailedPrecondition(
                    "the case was decided meanwhile".into(),
                ));
            }
            self.publish_decided(&mut tx, case, &decided, None).await?;
            super::audit(
                &mut tx,
                &case.appointment_id,
                decided.at,
                &p.subject,
                "recovery_decided",
                format!(
                    "{} {}",
                    decision.as_str(),
                    decided.reason.map(|r| r.as_str()).unwrap_or("")
                ),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        tracing::info!(case = %case.id, decision = decision.as_str(), "recovery decided");
        Ok(())
    }

    async fn grant_on_case(
        &self,
        p: &Principal,
        role: Role,
        case: &Case,
        cmd: &DecideCommand,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        let policy = self.policy_of(&mut conn, &case.branch_id).await?;
        let gifts = store::recovery::gifts(&mut conn, &case.id).await?;
        drop(conn);
        case.check_authority(role, self.clock.now())?;
        recovery::check_decidable(case, gifts.len(), &policy, Decision::Granted)?;
        let item_id = &cmd.input.exam_item_id;
        if !policy.giftable_item_ids.contains(item_id) {
            return Err(Error::FailedPrecondition(format!(
                "exam item {item_id} is not one of this branch's giftable items"
            )));
        }
        let recipient = cmd.input.recipient.expect("validated");
        let apt = self.get_appointment(p, &case.appointment_id).await?;
        let over = apt.status != Status::CheckedIn;
        let delivery = recovery::delivery(recipient, over);
        let (current, item, _) = if delivery == Delivery::OnRoute {
            self.read_for_grant(p, &apt.id, item_id).await?
        } else {
            let mut conn = self.conn().await?;
            let item = store::catalogue::items_by_ids(&mut conn, std::slice::from_ref(item_id))
                .await?
                .pop()
                .ok_or_else(|| Error::NotFound(format!("exam item {item_id}")))?;
            (apt, item, Vec::new())
        };
        // The worth is the catalogue's price now, never a typed number.
        let price = item
            .list_price
            .clone()
            .filter(|p| p.minor > 0)
            .ok_or_else(|| {
                Error::FailedPrecondition(format!("exam item {item_id} has no list price"))
            })?;
        let cost_bearer = recovery::authorise(role, &p.scope, price.minor, &self.limits)?;
        // As stored, so the first answer and every replay carry the same instant.
        let now = from_micros(to_micros(self.clock.now()));
        let gift = Gift {
            request_id: cmd.request_id.clone(),
            case_id: case.id.clone(),
            appointment_id: case.appointment_id.clone(),
            exam_item_id: item.id.clone(),
            exam_item_name: item.name.clone(),
            currency: price.currency.clone(),
            value_minor: price.minor,
            recipient,
            companion_name: cmd.input.companion_name.trim().to_owned(),
            delivery,
            decided_by: p.subject.clone(),
            cost_bearer: cost_bearer.clone(),
            granted_at: now,
        };
        let next = super::recovery::next_version(&current, now);
        let on_route = ComplimentaryItem {
            request_id: gift.request_id.clone(),
            appointment_id: gift.appointment_id.clone(),
            exam_item_id: gift.exam_item_id.clone(),
            exam_item_name: gift.exam_item_name.clone(),
            authorised_by: gift.decided_by.clone(),
            cost_bearer,
            reference: case.id.clone(),
            added_at: now,
        };
        retry(|| async {
            let mut tx = self.db.begin().await?;
            if !store::recovery::mark_granted(&mut tx, &case.id, &p.subject, now).await? {
                return Err(Error::FailedPrecondition(
                    "the case was decided otherwise meanwhile".into(),
                ));
            }
            // Counted under the case's row lock, so two deciders cannot both give the last.
            let given = store::recovery::gifts(&mut tx, &case.id).await?.len();
            recovery::check_decidable(case, given, &policy, Decision::Granted)?;
            store::recovery::insert_gift(&mut tx, &gift, case).await?;
            let decided = Decided {
                decision: Decision::Granted,
                by: p.subject.clone(),
                at: now,
                reason: None,
                note: String::new(),
            };
            self.publish_decided(&mut tx, case, &decided, Some(&gift))
                .await?;
            if delivery == Delivery::OnRoute {
                self.write_grant(&mut tx, p, &current, &next, &on_route, &item)
                    .await?;
            } else {
                super::audit(
                    &mut tx,
                    &case.appointment_id,
                    now,
                    &p.subject,
                    "recovery_gift",
                    format!(
                        "{} {} worth {} {} ({})",
                        gift.delivery.as_str(),
                        gift.exam_item_id,
                        gift.value_minor,
                        gift.currency,
                        gift.companion_name
                    ),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        tracing::info!(case = %case.id, item = %gift.exam_item_id, delivery = gift.delivery.as_str(), cost_bearer = %gift.cost_bearer, "recovery gift given");
        Ok(())
    }

    /// In `tx`: publishes `RecoveryDecided` for a decision on `case` (one per gift).
    async fn publish_decided(
        &self,
        tx: &mut Tx,
        case: &Case,
        d: &Decided,
        gift: Option<&Gift>,
    ) -> Result<()> {
        use super::events::wire::{
            decision_out, delivery_out, reason_out, recipient_out, trigger_out,
        };
        let apt = store::appointments::get(tx, &case.appointment_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("case {} lost its appointment", case.id))?;
        let branch = store::branches::get(tx, &case.branch_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("case {} lost its branch", case.id))?;
        let kind = super::events::Kind::RecoveryDecided(pb::RecoveryDecided {
            case_id: case.id.clone(),
            appointment_id: case.appointment_id.clone(),
            branch: Some(super::events::branch_ref(&branch)),
            customer: Some(super::events::customer_ref(&apt)),
            trigger: trigger_out(case.trigger),
            breached_at: Some(to_proto(case.breached_at)),
            decide_by: Some(to_proto(case.decide_by)),
            decided_at: Some(to_proto(d.at)),
            decision: decision_out(d.decision),
            reason: d.reason.map_or(0, reason_out),
            decided_by: d.by.clone(),
            exam_item_id: gift.map(|g| g.exam_item_id.clone()).unwrap_or_default(),
            value: gift.map(|g| common::Money {
                currency_code: g.currency.clone(),
                minor_units: g.value_minor,
            }),
            recipient: gift.map_or(0, |g| recipient_out(g.recipient)),
            delivery: gift.map_or(0, |g| delivery_out(g.delivery)),
            cost_bearer: gift.map(|g| g.cost_bearer.to_string()).unwrap_or_default(),
        });
        super::events::publish_for(tx, &apt, d.at, kind).await
    }

    /// Names the deputy who holds the branch director's recovery authority on `date`.
    pub async fn name_recovery_deputy(
        &self,
        p: &Principal,
        branch_id: &str,
        date: jiff::civil::Date,
        deputy: &str,
    ) -> Result<()> {
        p.require_role(roles::RECOVERY_POLICY, "name a recovery deputy")?;
        let mut conn = self.conn().await?;
        let branch = self.branch_in_scope(&mut conn, p, branch_id).await?;
        let now = self.clock.now();
        if date < branch.local_date(now) {
            return Err(Error::FailedPrecondition(format!(
                "{date} has passed at the branch; name a deputy for today or a later day"
            )));
        }
        store::recovery::name_deputy(&mut conn, branch_id, date, deputy, &p.subject, now).await?;
        tracing::info!(branch = %branch_id, %date, "recovery deputy named");
        Ok(())
    }

    /// The role `p` decides recovery at `branch_id` with: its own when it may decide, the
    /// branch director's when it is the day's named deputy there, otherwise refused.
    async fn acting_role(
        &self,
        conn: &mut sqlx::AnyConnection,
        p: &Principal,
        branch_id: &str,
    ) -> Result<Role> {
        if roles::RECOVERY_DECIDE.contains(&p.role) {
            return Ok(p.role);
        }
        if p.scope == OrgScope::Branch(branch_id.to_owned())
            && let Some(branch) = store::branches::get(conn, branch_id).await?
        {
            let today = branch.local_date(self.clock.now());
            if store::recovery::deputy(conn, branch_id, today)
                .await?
                .as_deref()
                == Some(p.subject.as_str())
            {
                return Ok(Role::BranchDirector);
            }
        }
        Err(not_a_decider(p))
    }

    async fn open_case_in_scope(
        &self,
        conn: &mut sqlx::AnyConnection,
        p: &Principal,
        case_id: &str,
    ) -> Result<Case> {
        let case = store::recovery::get(conn, case_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("recovery case {case_id}")))?;
        p.check_branch(&case.branch_id, &case.region_path)?;
        Ok(case)
    }

    /// In `tx`, with a breach just flagged: opens the visit's recovery case unless it has
    /// one, due within the branch's decision window. Returns the case when this opened it.
    pub(crate) async fn open_recovery_case(
        &self,
        tx: &mut Tx,
        apt: &Appointment,
        trigger: Trigger,
        now: Timestamp,
    ) -> Result<Option<Case>> {
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
        if !store::recovery::open(tx, &case).await? {
            return Ok(None);
        }
        tracing::info!(appointment = %apt.id, case = %case.id, "recovery due");
        Ok(Some(case))
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

fn not_a_decider(p: &Principal) -> Error {
    Error::PermissionDenied(format!(
        "role {:?} may not decide service recovery here: the branch director, the deputy \
         named for the day, or the region or group above may",
        p.role
    ))
}
