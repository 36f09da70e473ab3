//! Sending: a due reminder is checked against the visit and the customer as they now are,
//! then queued as a message on the first agreed channel; a queued message is handed to
//! the adapter (one attempt at a time, leased, so replicas never hand one over twice);
//! failures back off and end in the dead letter, and a failed channel falls back to the
//! next agreed one: the same reminder, never a new one. Receipts settle messages.

use hospital_proto::contact as pb;
use jiff::{SignedDuration, Timestamp};
use service_kit::{
    Error, Result,
    auth::Principal,
    db::{Tx, retry},
    ids::new_id,
};

use super::{Contact, publish, roles, wire};
use crate::{
    adapters::{HandOverError, Outgoing},
    domain::{
        customer::Customer,
        reminder::{Message, Reminder, Visit, body, hold_back, next_channel},
        vocab::{Channel, DeliveryOutcome, MessageStatus, Purpose, ReminderStatus},
    },
    store::{self, messages::Record},
};

/// Reminders queued in one transaction.
const QUEUE_CHUNK: usize = 100;

/// How long after it was queued a message's first attempt relies on the checks made as
/// it was queued.
const FRESH: SignedDuration = SignedDuration::from_secs(5);

/// What one attempt to hand a message over came to.
enum Attempt {
    Sent,
    Retry(String),
    Dead(String),
}

impl Contact {
    /// One sweep: due reminders become messages, due messages are handed over, up to
    /// `concurrency` at a time (the morning wave is tens of thousands due at one
    /// instant). Returns how many groups of reminders it queued and how many messages it
    /// handed over.
    pub async fn sweep(&self) -> Result<(usize, usize)> {
        let now = self.now();
        let due = store::visits::due(&mut *self.conn().await?, now, self.batch).await?;
        let chunks: Vec<Vec<Reminder>> = due.chunks(QUEUE_CHUNK).map(<[_]>::to_vec).collect();
        let queued = self
            .each(chunks, move |app, chunk| async move {
                Ok(app.queue_reminders(&chunk, now).await? > 0)
            })
            .await;
        let messages =
            store::messages::due(&mut *self.conn().await?, self.now(), self.batch).await?;
        let handed = self
            .each(messages, |app, m| async move { app.attempt(&m).await })
            .await;
        Ok((queued, handed))
    }

    /// Runs `f` on every item, `concurrency` at a time; counts the `true`s. A failure is
    /// logged and left for the next sweep (the item is still due).
    async fn each<T, F, Fut>(&self, items: Vec<T>, f: F) -> usize
    where
        T: Send + 'static,
        F: Fn(Contact, T) -> Fut,
        Fut: Future<Output = Result<bool>> + Send + 'static,
    {
        let mut running = tokio::task::JoinSet::new();
        let mut done = 0;
        let mut settle = |r: Option<Result<Result<bool>, tokio::task::JoinError>>| match r {
            Some(Ok(Ok(true))) => done += 1,
            Some(Ok(Err(e))) => tracing::warn!(error = %e, "reminder sweep"),
            Some(Err(e)) => tracing::warn!(error = %e, "reminder sweep task"),
            _ => {}
        };
        for item in items {
            if running.len() >= self.concurrency {
                settle(running.join_next().await);
            }
            running.spawn(f(self.clone(), item));
        }
        while let Some(r) = running.join_next().await {
            settle(Some(r));
        }
        done
    }

    async fn context(
        tx: &mut sqlx::AnyConnection,
        appointment_id: &str,
    ) -> Result<(Visit, Option<Customer>)> {
        let visit = store::visits::get(tx, appointment_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("visit {appointment_id}")))?;
        let customer = if visit.customer_id.is_empty() {
            None
        } else {
            store::customers::get(tx, &visit.customer_id).await?
        };
        Ok((visit, customer))
    }

    /// Queues the first message of each of `due`, or withdraws it with the reason, in one
    /// transaction: the visits and customers read together, each reminder moved on only
    /// if it is still planned (another sweeper may have taken it). Returns how many it
    /// queued.
    async fn queue_reminders(&self, due: &[Reminder], now: Timestamp) -> Result<usize> {
        retry(|| async {
            let mut tx = self.db.begin().await?;
            let ids: Vec<&str> = due.iter().map(|r| r.appointment_id.as_str()).collect();
            let visits = store::visits::get_many(&mut tx, &ids).await?;
            let customer_ids: Vec<&str> = visits
                .values()
                .map(|v| v.customer_id.as_str())
                .filter(|id| !id.is_empty())
                .collect();
            let customers = store::customers::get_many(&mut tx, &customer_ids).await?;
            let mut messages = Vec::new();
            for r in due {
                let Some(visit) = visits.get(&r.appointment_id) else {
                    continue;
                };
                let customer = customers.get(&visit.customer_id);
                if let Some(reason) = hold_back(visit, customer) {
                    store::visits::transition(
                        &mut tx,
                        &r.id,
                        ReminderStatus::Planned,
                        ReminderStatus::Withdrawn,
                        None,
                        &reason,
                        None,
                        now,
                    )
                    .await?;
                    continue;
                }
                let customer = customer.expect("held back without one");
                let channel = customer.reachable_channels()[0];
                if store::visits::transition(
                    &mut tx,
                    &r.id,
                    ReminderStatus::Planned,
                    ReminderStatus::Sent,
                    Some(channel),
                    "",
                    Some(now),
                    now,
                )
                .await?
                {
                    messages.push(self.message(r, visit, customer, channel, now));
                }
            }
            store::messages::insert_many(&mut tx, &messages).await?;
            tx.commit().await?;
            Ok(messages.len())
        })
        .await
    }

    fn message(
        &self,
        r: &Reminder,
        visit: &Visit,
        customer: &Customer,
        channel: Channel,
        now: Timestamp,
    ) -> Message {
        Message {
            id: new_id("msg"),
            reminder_id: r.id.clone(),
            customer_id: customer.id.clone(),
            branch_id: visit.branch_id.clone(),
            region_path: visit.region_path.clone(),
            channel,
            to: customer.address(channel).unwrap_or_default(),
            body: body(r.kind, visit, &customer.name),
            status: MessageStatus::Queued,
            attempts: 0,
            next_attempt_at: Some(now),
            detail: String::new(),
            created_at: now,
            updated_at: now,
        }
    }

    /// One hand-over attempt of a queued message; `false` when another sweeper holds it.
    async fn attempt(&self, m: &Message) -> Result<bool> {
        let now = self.now();
        // Longer than the adapter's own timeout, so nobody else tries meanwhile.
        let lease = SignedDuration::try_from(self.retry.lease)
            .ok()
            .and_then(|d| now.checked_add(d).ok())
            .unwrap_or(Timestamp::MAX);
        let mut conn = self.conn().await?;
        if !store::messages::take_attempt(&mut conn, m, now, lease).await? {
            return Ok(false);
        }
        let reminder = store::visits::reminder(&mut conn, &m.reminder_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("reminder {}", m.reminder_id)))?;
        let attempts = m.attempts + 1;
        // Withdrawn consent, a cancelled visit: nothing not yet handed over goes out. A
        // message queued seconds ago was checked as it was queued; a retry, or one an
        // earlier sweep queued, is checked again.
        let fresh = m.attempts == 0 && now.duration_since(m.created_at) < FRESH;
        let held = if fresh {
            None
        } else {
            let (visit, customer) = Self::context(&mut conn, &reminder.appointment_id).await?;
            hold_back(&visit, customer.as_ref())
        };
        drop(conn);
        if let Some(reason) = held {
            self.settle_withdrawn(m, &reminder, attempts, &reason)
                .await?;
            return Ok(true);
        }
        let outgoing = Outgoing {
            message_id: m.id.clone(),
            channel: m.channel.as_str().to_owned(),
            to: m.to.clone(),
            body: m.body.clone(),
            purpose: Purpose::Reminders.as_str().to_owned(),
            customer_id: m.customer_id.clone(),
        };
        let outcome = match self.adapter.hand_over(&outgoing).await {
            Ok(()) => Attempt::Sent,
            Err(HandOverError::Transient(e)) if attempts < self.retry.max_attempts => {
                Attempt::Retry(e)
            }
            Err(HandOverError::Transient(e) | HandOverError::Permanent(e)) => Attempt::Dead(e),
        };
        self.settle_attempt(m, &reminder, attempts, outcome).await?;
        Ok(true)
    }

    async fn settle_withdrawn(
        &self,
        m: &Message,
        r: &Reminder,
        attempts: u32,
        reason: &str,
    ) -> Result<()> {
        let now = self.now();
        retry(|| async {
            let mut tx = self.db.begin().await?;
            let detail = format!("not sent: {reason}");
            if store::messages::transition(
                &mut tx,
                &m.id,
                MessageStatus::Queued,
                Some(attempts),
                MessageStatus::Failed,
                None,
                &detail,
                now,
            )
            .await?
            {
                store::visits::transition(
                    &mut tx,
                    &r.id,
                    ReminderStatus::Sent,
                    ReminderStatus::Withdrawn,
                    None,
                    reason,
                    None,
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn settle_attempt(
        &self,
        m: &Message,
        r: &Reminder,
        attempts: u32,
        outcome: Attempt,
    ) -> Result<()> {
        let now = self.now();
        let what = format!("reminder {} for {}", r.kind.as_str(), r.appointment_id);
        let published = retry(|| async {
            let mut tx = self.db.begin().await?;
            let (to, next_at, detail) = match &outcome {
                Attempt::Sent => (MessageStatus::Sent, None, String::new()),
                Attempt::Retry(e) => (
                    MessageStatus::Queued,
                    Some(now + self.retry.delay(attempts)),
                    e.clone(),
                ),
                Attempt::Dead(e) => (MessageStatus::DeadLetter, None, e.clone()),
            };
            if !store::messages::transition(
                &mut tx,
                &m.id,
                MessageStatus::Queued,
                Some(attempts),
                to,
                next_at,
                &detail,
                now,
            )
            .await?
            {
                return Ok(false);
            }
            let outcome_text = match &outcome {
                Attempt::Sent => "sent".to_owned(),
                Attempt::Retry(e) => format!("retry: {e}"),
                Attempt::Dead(e) => format!("dead letter: {e}"),
            };
            self.record(&mut tx, m, &what, &outcome_text, now).await?;
            match &outcome {
                Attempt::Sent => {
                    publish(
                        &mut tx,
                        &m.branch_id,
                        &m.region_path,
                        now,
                        pb::contact_event::Kind::ReminderSent(pb::ReminderSent {
                            reminder_id: r.id.clone(),
                            appointment_id: r.appointment_id.clone(),
                            customer_id: m.customer_id.clone(),
                            kind: wire::kind_out(r.kind),
                            channel: wire::channel_out(m.channel),
                            message_id: m.id.clone(),
                        }),
                    )
                    .await?;
                }
                Attempt::Retry(_) => {}
                Attempt::Dead(_) => {
                    let (visit, customer) = Self::context(&mut tx, &r.appointment_id).await?;
                    self.fall_back(&mut tx, m, r, &visit, customer.as_ref(), now)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(true)
        })
        .await?;
        if published {
            self.outbox.notify();
        }
        Ok(())
    }

    async fn record(
        &self,
        tx: &mut Tx,
        m: &Message,
        what: &str,
        outcome: &str,
        now: Timestamp,
    ) -> Result<()> {
        store::messages::record(
            tx,
            &Record {
                id: new_id("cr"),
                customer_id: m.customer_id.clone(),
                at: now,
                channel: m.channel,
                purpose: Purpose::Reminders,
                what: what.to_owned(),
                outcome: outcome.to_owned(),
                message_id: m.id.clone(),
                actor: "contact".into(),
            },
        )
        .await
    }

    /// In `tx`, with `m` failed for good: the same reminder on the next agreed channel, or
    /// the reminder failed when none is left; `DeliveryFailed` either way.
    async fn fall_back(
        &self,
        tx: &mut Tx,
        m: &Message,
        r: &Reminder,
        visit: &Visit,
        customer: Option<&Customer>,
        now: Timestamp,
    ) -> Result<()> {
        let next = customer.and_then(|c| next_channel(c, m.channel));
        match (next, customer) {
            (Some(channel), Some(c)) => {
                let message = self.message(r, visit, c, channel, now);
                store::messages::insert_many(tx, std::slice::from_ref(&message)).await?;
                store::visits::transition(
                    tx,
                    &r.id,
                    ReminderStatus::Sent,
                    ReminderStatus::Sent,
                    Some(channel),
                    "",
                    None,
                    now,
                )
                .await?;
            }
            _ => {
                store::visits::transition(
                    tx,
                    &r.id,
                    ReminderStatus::Sent,
                    ReminderStatus::Failed,
                    None,
                    "every agreed channel failed",
                    None,
                    now,
                )
                .await?;
            }
        }
        publish(
            tx,
            &visit.branch_id,
            &visit.region_path,
            now,
            pb::contact_event::Kind::DeliveryFailed(pb::DeliveryFailed {
                reminder_id: r.id.clone(),
                appointment_id: r.appointment_id.clone(),
                customer_id: m.customer_id.clone(),
                message_id: m.id.clone(),
                channel: wire::channel_out(m.channel),
                next_channel: next.map(wire::channel_out).unwrap_or(0),
            }),
        )
        .await
    }

    /// A receipt from the platform: delivered settles the message and the reminder; failed
    /// falls back to the next agreed channel. Reporting the same outcome again changes
    /// nothing.
    pub async fn report_delivery(
        &self,
        p: &Principal,
        message_id: &str,
        outcome: DeliveryOutcome,
        detail: &str,
    ) -> Result<(Message, Reminder)> {
        p.require_role(roles::RECEIPTS, "report deliveries")?;
        let now = self.now();
        let changed = retry(|| async {
            let mut tx = self.db.begin().await?;
            let m = store::messages::get(&mut tx, message_id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("message {message_id}")))?;
            let to = match outcome {
                DeliveryOutcome::Delivered => MessageStatus::Delivered,
                DeliveryOutcome::Failed => MessageStatus::Failed,
            };
            if m.status == to {
                return Ok(false);
            }
            if m.status != MessageStatus::Sent {
                return Err(Error::FailedPrecondition(format!(
                    "message {message_id} is {}; a receipt settles only a sent message",
                    m.status.as_str().to_lowercase()
                )));
            }
            store::messages::transition(
                &mut tx,
                &m.id,
                MessageStatus::Sent,
                None,
                to,
                None,
                detail,
                now,
            )
            .await?;
            let r = store::visits::reminder(&mut tx, &m.reminder_id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("reminder {}", m.reminder_id)))?;
            let what = format!("reminder {} for {}", r.kind.as_str(), r.appointment_id);
            match outcome {
                DeliveryOutcome::Delivered => {
                    self.record(&mut tx, &m, &what, "delivered", now).await?;
                    store::visits::transition(
                        &mut tx,
                        &r.id,
                        ReminderStatus::Sent,
                        ReminderStatus::Delivered,
                        None,
                        "",
                        None,
                        now,
                    )
                    .await?;
                }
                DeliveryOutcome::Failed => {
                    let text = if detail.is_empty() {
                        "failed".to_owned()
                    } else {
                        format!("failed: {detail}")
                    };
                    self.record(&mut tx, &m, &what, &text, now).await?;
                    let (visit, customer) = Self::context(&mut tx, &r.appointment_id).await?;
                    self.fall_back(&mut tx, &m, &r, &visit, customer.as_ref(), now)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(true)
        })
        .await?;
        if changed {
            self.outbox.notify();
        }
        let mut conn = self.conn().await?;
        let m = store::messages::get(&mut conn, message_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("message {message_id}")))?;
        let r = store::visits::reminder(&mut conn, &m.reminder_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("reminder {}", m.reminder_id)))?;
        Ok((m, r))
    }
}
