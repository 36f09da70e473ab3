//! Satisfaction surveys after a completed visit: planned by the feed, sent by the sweep
//! on the agreed channel with consent for surveys, answered through the platform or the
//! app; a detractor's answer is published for complaints. And the figures per branch.

use std::collections::BTreeMap;

use hospital_proto::contact as pb;
use jiff::{SignedDuration, Timestamp, civil::Date};
use service_kit::{
    Error, Result,
    auth::Principal,
    db::retry,
    error::Violations,
    ids::new_id,
    phone::mask,
    rules::{self, check},
    sql::Where,
};

use super::{
    Contact,
    followup::{day_number, local_day},
    publish, roles,
};
use crate::{
    adapters::{HandOverError, Outgoing},
    domain::{
        followup_vocab::SurveyStatus,
        reminder::Visit,
        survey::{MAX_COMMENT, check_score, is_detractor, redact_numbers},
        vocab::Purpose,
    },
    store::{self, messages::Record, outreach::Survey},
};

/// How long after a completed visit its survey goes out, unless configured.
pub const SURVEY_DELAY: SignedDuration = SignedDuration::from_hours(2);

/// Survey figures of one branch.
#[derive(Debug, Clone, Default)]
pub struct SurveyFigures {
    /// Sent (answered or not).
    pub sent: u64,
    /// Answered.
    pub answered: u64,
    /// Answers by score.
    pub distribution: [u64; 11],
    /// Detractors whose work order complaints opened.
    pub with_work_order: u64,
    /// Of those, resolved or closed.
    pub resolved: u64,
}

impl Contact {
    /// Plans the survey of a completed visit, in the feed's transaction.
    pub(crate) async fn plan_survey(
        &self,
        tx: &mut sqlx::AnyConnection,
        visit: &Visit,
        completed_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        let send_at = completed_at.max(now) + self.survey_delay;
        store::outreach::insert_survey(
            tx,
            &Survey {
                id: new_id("svy"),
                appointment_id: visit.appointment_id.clone(),
                customer_id: visit.customer_id.clone(),
                branch_id: visit.branch_id.clone(),
                region_path: visit.region_path.clone(),
                status: SurveyStatus::Planned,
                channel: None,
                send_at,
                send_day: local_day(send_at, &visit.tz()),
                attempts: 0,
                answered_at: None,
                score: None,
                comment: String::new(),
                reason: String::new(),
                work_order_id: String::new(),
                work_order_number: String::new(),
                work_order_status: String::new(),
            },
            now,
        )
        .await
    }

    /// The follow-up sweep: lapsed claims back to the queue, escalations, due surveys.
    pub async fn sweep_follow_up(&self) -> Result<()> {
        // Each runs whatever the other met: a failing queue sweep holds no survey back.
        let queue = self.sweep_queue().await;
        let surveys = self.sweep_surveys().await;
        queue?;
        surveys?;
        Ok(())
    }

    /// Sends the surveys whose time has come, on the first agreed channel, with consent
    /// for surveys; how many went out.
    pub async fn sweep_surveys(&self) -> Result<usize> {
        let now = self.now();
        let due = store::outreach::surveys_due(&mut *self.conn().await?, now, self.batch).await?;
        let mut sent = 0;
        for s in due {
            let lease = now + SignedDuration::try_from(self.retry.lease).unwrap_or_default();
            if !store::outreach::take_survey(&mut *self.conn().await?, &s.id, s.attempts, lease)
                .await?
            {
                continue;
            }
            let customer = store::customers::get(&mut *self.conn().await?, &s.customer_id).await?;
            let refusal = match &customer {
                None => Some("the customer is not known here".to_owned()),
                Some(c) if c.do_not_contact => {
                    Some("the customer asked not to be contacted".into())
                }
                Some(c) if !c.consents_to(Purpose::Surveys) => {
                    Some("no consent for surveys".into())
                }
                Some(c) if c.reachable_channels().is_empty() => Some("no agreed channel".into()),
                Some(_) => None,
            };
            if let Some(reason) = refusal {
                store::outreach::settle_survey(
                    &mut *self.conn().await?,
                    &s.id,
                    SurveyStatus::Withdrawn,
                    None,
                    s.send_at,
                    &reason,
                    now,
                )
                .await?;
                continue;
            }
            let c = customer.expect("checked");
            let channel = c.reachable_channels()[0];
            let msg = Outgoing {
                message_id: s.id.clone(),
                channel: channel.as_str().into(),
                to: c.address(channel).unwrap_or_default(),
                body: format!(
                    "Thank you for visiting us. How likely are you to recommend us to a friend, \
                     0 to 10? Reply to survey {}.",
                    s.id
                ),
                purpose: Purpose::Surveys.as_str().into(),
                customer_id: c.id.clone(),
            };
            let attempt = s.attempts + 1;
            let (status, at, reason, outcome) = match self.adapter.hand_over(&msg).await {
                Ok(()) => (SurveyStatus::Sent, now, String::new(), "sent".to_owned()),
                Err(HandOverError::Transient(e)) if attempt < self.retry.max_attempts => (
                    SurveyStatus::Planned,
                    now + SignedDuration::try_from(self.retry.delay(attempt)).unwrap_or_default(),
                    String::new(),
                    format!("retry: {e}"),
                ),
                Err(HandOverError::Transient(e) | HandOverError::Permanent(e)) => {
                    (SurveyStatus::Failed, now, e.clone(), format!("failed: {e}"))
                }
            };
            let mut tx = self.db.begin().await?;
            store::outreach::settle_survey(&mut tx, &s.id, status, Some(channel), at, &reason, now)
                .await?;
            store::messages::record(
                &mut tx,
                &Record {
                    id: new_id("cr"),
                    customer_id: c.id.clone(),
                    at: now,
                    channel,
                    purpose: Purpose::Surveys,
                    what: format!("survey {} for {}", s.id, s.appointment_id),
                    outcome,
                    message_id: s.id.clone(),
                    actor: "contact".into(),
                },
            )
            .await?;
            tx.commit().await?;
            if status == SurveyStatus::Sent {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Records a survey's answer (the first one stands; the same answer again is a retry);
    /// a detractor's is published for complaints, in the same transaction.
    pub async fn answer_survey(
        &self,
        p: &Principal,
        id: &str,
        score: i32,
        comment: &str,
    ) -> Result<Survey> {
        p.require_role(roles::SURVEY_ANSWERS, "report survey answers")?;
        let mut v = Violations::new();
        let comment = rules::note(&mut v, "comment", comment, MAX_COMMENT, false);
        if check_score(score).is_err() {
            v.add("score", "between 0 and 10");
        }
        check(v)?;
        let now = self.now();
        let not_found = || Error::NotFound(format!("survey {id}"));
        let answered = retry(|| async {
            let mut tx = self.db.begin().await?;
            let s = store::outreach::survey(&mut tx, id)
                .await?
                .ok_or_else(not_found)?;
            if s.status == SurveyStatus::Answered {
                if s.score == Some(score) && s.comment == comment {
                    return Ok(s);
                }
                return Err(Error::FailedPrecondition(format!(
                    "survey {id} was answered already"
                )));
            }
            if !store::outreach::answer(&mut tx, id, score, &comment, now).await? {
                drop(tx);
                // The same answer arriving twice at once: the other one was stored first.
                if let Some(first) = store::outreach::survey(&mut *self.conn().await?, id).await?
                    && first.status == SurveyStatus::Answered
                    && first.score == Some(score)
                    && first.comment == comment
                {
                    return Ok(first);
                }
                return Err(Error::FailedPrecondition(format!(
                    "survey {id} is {}, not waiting for an answer",
                    s.status.as_str().to_lowercase()
                )));
            }
            let visit = store::visits::get(&mut tx, &s.appointment_id).await?;
            let (name, masked) = visit
                .map(|v| (v.customer_name, v.phone_masked))
                .unwrap_or_default();
            store::messages::record(
                &mut tx,
                &Record {
                    id: new_id("cr"),
                    customer_id: s.customer_id.clone(),
                    at: now,
                    channel: s.channel.unwrap_or(crate::domain::vocab::Channel::Sms),
                    purpose: Purpose::Surveys,
                    what: format!("survey {} answered", s.id),
                    outcome: format!("score {score}"),
                    message_id: s.id.clone(),
                    actor: p.subject.clone(),
                },
            )
            .await?;
            publish(
                &mut tx,
                &s.branch_id,
                &s.region_path,
                now,
                pb::contact_event::Kind::SurveyAnswered(pb::SurveyAnswered {
                    survey_id: s.id.clone(),
                    appointment_id: s.appointment_id.clone(),
                    customer_id: s.customer_id.clone(),
                    score,
                    comment: redact_numbers(&comment),
                    detractor: is_detractor(score),
                    customer_name: name,
                    phone_masked: mask(&masked),
                }),
            )
            .await?;
            tx.commit().await?;
            self.outbox.notify();
            store::outreach::survey(&mut *self.conn().await?, id)
                .await?
                .ok_or_else(not_found)
        })
        .await?;
        Ok(answered)
    }

    /// The customer's surveys.
    pub async fn surveys(&self, p: &Principal, customer_id: &str) -> Result<Vec<Survey>> {
        p.require_role(roles::READ, "read surveys")?;
        let mut conn = self.conn().await?;
        self.visible(&mut conn, p, customer_id).await?;
        Ok(store::outreach::surveys_of(&mut conn, customer_id)
            .await?
            .into_iter()
            .filter(|s| p.scope.covers(&s.branch_id, &s.region_path))
            .collect())
    }

    /// Survey figures per branch for surveys sent on local days `from`..=`to`.
    pub async fn survey_figures(
        &self,
        p: &Principal,
        branch_id: &str,
        region_path: &str,
        from: Date,
        to: Date,
    ) -> Result<BTreeMap<String, SurveyFigures>> {
        p.require_role(roles::FIGURES, "read survey figures")?;
        self.check_narrowing(p, branch_id, region_path).await?;
        let mut w = Where::default();
        w.in_scope("branch_id", "region_path", &p.scope)
            .eq("branch_id", branch_id)
            .under_region("region_path", region_path)
            .raw(&format!(
                "send_day BETWEEN {} AND {}",
                day_number(from),
                day_number(to)
            ))
            .raw("status IN ('SENT', 'ANSWERED')");
        let rows = store::outreach::survey_figures(&mut *self.conn().await?, &w).await?;
        let mut out: BTreeMap<String, SurveyFigures> = BTreeMap::new();
        for (branch, status, score, wo, n) in rows {
            let f = out.entry(branch).or_default();
            let n = n as u64;
            f.sent += n;
            if status == SurveyStatus::Answered {
                f.answered += n;
                let score = score.unwrap_or(0).clamp(0, 10);
                f.distribution[score as usize] += n;
                if is_detractor(score as i32) && !wo.is_empty() {
                    f.with_work_order += n;
                    if wo == "RESOLVED" || wo == "CLOSED" {
                        f.resolved += n;
                    }
                }
            }
        }
        Ok(out)
    }
}
