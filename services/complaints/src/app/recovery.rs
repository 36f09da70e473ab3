//! Compensation on a work order: a voucher or a refund recorded with its authoriser and
//! cost bearer, counted against the customer's yearly cap in the same transaction. Exam
//! items are given in scheduling (`DecideRecovery`); complimentary items granted here
//! before that change are still delivered to their visit by the sweeper, exactly once —
//! the grant's id is the idempotency key of every attempt, and only one can settle it.

use hospital_proto::{common, complaints as pb};
use jiff::SignedDuration;
use service_kit::{
    Error, Result,
    auth::Principal,
    db::retry,
    ids::new_id,
    requests::{Created, create_once, with_request_id},
};

use super::{Complaints, Detail, events, roles};
use crate::{
    directory::{ComplimentaryItem, DeliveryError},
    domain::{
        recovery::{Compensation, Grant, amount, authorise, validate},
        vocab::{CompensationKind, Delivery, Status},
    },
    store,
};

/// How long the synchronous first attempt has before the sweeper may try again.
const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(30);

/// A grant as requested.
#[derive(Debug, Clone)]
pub struct GrantCommand {
    /// Idempotency key.
    pub request_id: String,
    /// The work order it settles.
    pub work_order_id: String,
    /// What and how much.
    pub grant: Grant,
}

impl Complaints {
    /// Grants a compensation. A complimentary item is added to the work order's
    /// appointment before this returns when scheduling answers, or later by the sweeper.
    pub async fn grant(&self, p: &Principal, cmd: GrantCommand) -> Result<(Detail, Compensation)> {
        p.require_role(roles::ANNOTATE, "grant service recovery")?;
        let mut conn = self.conn().await?;
        let wo = self.visible(&mut conn, p, &cmd.work_order_id).await?;
        drop(conn);
        let kind = with_request_id(&cmd.request_id, validate(&cmd.grant, &self.limits))?;
        let lookup = || async {
            store::compensations::by_request_id(&mut *self.conn().await?, &cmd.request_id).await
        };
        let concurrent =
            || Error::Aborted("the grant was being recorded concurrently; retry".into());
        let comp = match create_once(lookup, || self.record(p, &cmd, &wo, kind), concurrent).await?
        {
            Created::New(comp) => comp,
            Created::Replayed(existing) => {
                return self.replayed(p, existing, &cmd.work_order_id).await;
            }
        };
        let item = comp.kind == CompensationKind::ComplimentaryItem;
        self.outbox.notify();
        tracing::info!(work_order = %wo.id, compensation = %comp.id, kind = %kind, "service recovery granted");
        if item {
            self.deliver(&comp.id).await?;
        }
        self.settled(p, &comp.id).await
    }

    /// Records a new grant with its timeline line and event, counted against the
    /// customer's yearly cap; [`Error::AlreadyExists`] when its request id was taken.
    async fn record(
        &self,
        p: &Principal,
        cmd: &GrantCommand,
        wo: &crate::domain::work_order::WorkOrder,
        kind: CompensationKind,
    ) -> Result<Compensation> {
        if wo.status == Status::Closed {
            return Err(Error::FailedPrecondition(format!(
                "work order {} is closed; reopen it to grant more",
                wo.number()
            )));
        }
        let cost_bearer = authorise(p.role, &p.scope, kind, cmd.grant.value_minor, &self.limits)?;
        let calendar = self.calendar(&mut *self.conn().await?, wo).await?;
        let now = self.now();
        let year = i64::from(now.to_zoned_datetime(calendar.tz()).year());
        let item = kind == CompensationKind::ComplimentaryItem;
        let comp = Compensation {
            id: new_id("comp"),
            request_id: cmd.request_id.clone(),
            work_order_id: wo.id.clone(),
            kind,
            currency: cmd.grant.currency.clone(),
            value_minor: cmd.grant.value_minor,
            exam_item_id: cmd.grant.exam_item_id.clone(),
            appointment_id: wo.appointment_id.clone(),
            customer_key: wo.customer.key(),
            cap_year: year,
            authorised_by: p.subject.clone(),
            cost_bearer,
            note: cmd.grant.note.trim().to_owned(),
            delivery: if item {
                Delivery::Pending
            } else {
                Delivery::Delivered
            },
            delivery_detail: String::new(),
            attempts: 0,
            next_attempt_at: item.then(|| now + FIRST_RETRY),
            granted_at: now,
        };
        let cap = self.limits.customer_yearly_cap;
        let outcome = retry(|| async {
            let mut tx = self.db.begin().await?;
            if !store::compensations::insert(&mut tx, &comp).await? {
                return Ok(None);
            }
            if !store::compensations::reserve(&mut tx, &comp.customer_key, year, comp.value_minor, cap).await? {
                let so_far = store::compensations::total(&mut tx, &comp.customer_key, year).await?;
                return Err(Error::ResourceExhausted(format!(
                    "the customer has received {} {} of the yearly cap of {} in {year}; {} more would pass it",
                    amount(so_far),
                    comp.currency,
                    amount(cap),
                    amount(comp.value_minor)
                )));
            }
            let what = match kind {
                CompensationKind::ComplimentaryItem => format!("complimentary item {}", comp.exam_item_id),
                other => other.as_str().to_lowercase(),
            };
            let detail = format!(
                "{what} worth {} {} authorised by {}, cost borne by {}",
                amount(comp.value_minor),
                comp.currency,
                comp.authorised_by,
                comp.cost_bearer
            );
            store::timeline::append(&mut tx, &wo.id, now, &p.subject, "compensation_granted", &detail).await?;
            let event = events::Kind::CompensationGranted(pb::CompensationGranted {
                work_order_id: wo.id.clone(),
                compensation_id: comp.id.clone(),
                kind: super::wire::compensation_kind_out(comp.kind),
                value: Some(common::Money {
                    currency_code: comp.currency.clone(),
                    minor_units: comp.value_minor,
                }),
                exam_item_id: comp.exam_item_id.clone(),
                authorised_by: comp.authorised_by.clone(),
                cost_bearer: comp.cost_bearer.clone(),
                customer: Some(events::customer_ref(wo)),
            });
            events::publish(&mut tx, wo, now, event).await?;
            tx.commit().await?;
            Ok(Some(()))
        })
        .await?;
        if outcome.is_none() {
            return Err(Error::AlreadyExists("request_id".into()));
        }
        Ok(comp)
    }

    /// A retried grant: the first attempt's result (and another delivery attempt when it is
    /// still pending).
    async fn replayed(
        &self,
        p: &Principal,
        existing: Compensation,
        work_order_id: &str,
    ) -> Result<(Detail, Compensation)> {
        if existing.work_order_id != work_order_id {
            return Err(Error::invalid(
                "request_id",
                "already used for a grant on another work order",
            ));
        }
        if existing.delivery == Delivery::Pending {
            self.deliver(&existing.id).await?;
        }
        self.settled(p, &existing.id).await
    }

    async fn settled(&self, p: &Principal, comp_id: &str) -> Result<(Detail, Compensation)> {
        let comp = store::compensations::get(&mut *self.conn().await?, comp_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("compensation {comp_id}")))?;
        let detail = self.get(p, &comp.work_order_id, "").await?;
        Ok((detail, comp))
    }

    /// One attempt to add a pending complimentary item to the visit. Scheduling
    /// de-duplicates on the grant's id; the conditional settle lets one attempt record the
    /// outcome.
    pub(crate) async fn deliver(&self, comp_id: &str) -> Result<()> {
        let Some(comp) = store::compensations::get(&mut *self.conn().await?, comp_id).await? else {
            return Ok(());
        };
        if comp.delivery != Delivery::Pending {
            return Ok(());
        }
        let item = ComplimentaryItem {
            request_id: comp.id.clone(),
            appointment_id: comp.appointment_id.clone(),
            exam_item_id: comp.exam_item_id.clone(),
            authorised_by: comp.authorised_by.clone(),
            cost_bearer: comp.cost_bearer.clone(),
            reference: comp.work_order_id.clone(),
        };
        let now = self.now();
        let (delivery, detail) = match self.directory.add_complimentary_item(&item).await {
            Ok(()) => (Delivery::Delivered, "added to the visit".to_owned()),
            Err(DeliveryError::Refused(why)) => (Delivery::Failed, why),
            Err(DeliveryError::Transient(why)) => {
                let backoff =
                    SignedDuration::from_secs(5 * 2i64.pow(comp.attempts.clamp(0, 7) as u32));
                tracing::warn!(compensation = %comp.id, error = %why, "complimentary item not delivered yet");
                store::compensations::retry_later(
                    &mut *self.conn().await?,
                    &comp.id,
                    &why,
                    now + backoff,
                )
                .await?;
                return Ok(());
            }
        };
        retry(|| async {
            let mut tx = self.db.begin().await?;
            if !store::compensations::settle(&mut tx, &comp.id, delivery, &detail).await? {
                return Ok(());
            }
            let (action, line) = match delivery {
                Delivery::Delivered => (
                    "compensation_delivered",
                    format!(
                        "complimentary item {} added to appointment {}",
                        comp.exam_item_id, comp.appointment_id
                    ),
                ),
                _ => {
                    store::compensations::release(
                        &mut tx,
                        &comp.customer_key,
                        comp.cap_year,
                        comp.value_minor,
                    )
                    .await?;
                    (
                        "compensation_failed",
                        format!(
                            "scheduling refused complimentary item {}: {detail}",
                            comp.exam_item_id
                        ),
                    )
                }
            };
            store::timeline::append(
                &mut tx,
                &comp.work_order_id,
                now,
                super::timers::SYSTEM,
                action,
                &line,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
