//! Outreach beyond the visit: leads from marketing and their conversion, satisfaction
//! surveys after a completed visit (a detractor's answer becomes an event complaints turns
//! into a work order), and customers counted by segment.

use std::collections::BTreeMap;

use hospital_proto::contact as pb;
use jiff::{SignedDuration, Timestamp, civil::Date, tz::TimeZone};
use service_kit::{
    Error, Result,
    auth::Principal,
    db::retry,
    error::Violations,
    ids::new_id,
    phone::{Phone, mask},
    rules::{self, check},
    sql::Where,
};

use super::{
    Contact,
    followup::{Place, day_number, local_day},
    publish, roles,
};
use crate::{
    adapters::{HandOverError, Outgoing},
    domain::{
        customer::Customer,
        followup_vocab::{LeadStatus, PlanKind, Segment, SurveyStatus},
        reminder::Visit,
        survey::{MAX_COMMENT, check_score, is_detractor, redact_numbers},
        vocab::Purpose,
    },
    store::{
        self,
        messages::Record,
        outreach::{Lead, Survey},
    },
};

/// Most leads in one batch.
pub const MAX_BATCH: usize = 1000;
/// How long after a completed visit its survey goes out.
pub const SURVEY_DELAY: SignedDuration = SignedDuration::from_hours(2);

/// A lead as marketing sends it.
#[derive(Debug, Clone, Default)]
pub struct LeadInput {
    /// Marketing's id.
    pub external_id: String,
    /// Name.
    pub name: String,
    /// Mobile.
    pub phone: String,
    /// Branch asked about ('' for the group).
    pub branch_id: String,
}

/// What became of one lead of a batch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeadResult {
    /// Marketing's id.
    pub external_id: String,
    /// `led_…`.
    pub lead_id: String,
    /// The customer.
    pub customer_id: String,
    /// `OPEN`, `EXISTING_CUSTOMER`, …
    pub status: String,
    /// Why it is not called.
    pub reason: String,
    /// Created by this batch (not known from an earlier one).
    pub created: bool,
}

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

/// Segment counts at one branch or region.
#[derive(Debug, Clone, Default)]
pub struct SegmentCounts {
    /// Per segment.
    pub by_segment: BTreeMap<Segment, u64>,
}

impl Contact {
    /// Imports a batch of leads: each becomes (or is found as) a customer with a sales call
    /// for the group call centre, unless they may not be called or already visit us. A
    /// retry of the batch returns the first import's results; a lead its source already
    /// sent is reported, not duplicated.
    pub async fn import_leads(
        &self,
        p: &Principal,
        batch_id: &str,
        source: &str,
        leads: Vec<LeadInput>,
    ) -> Result<Vec<LeadResult>> {
        p.require_role(roles::LEADS, "import leads")?;
        let mut v = Violations::new();
        v.check(
            rules::is_id(batch_id),
            "batch_id",
            "1 to 64 letters, digits, '-' or '_'",
        );
        v.check(
            rules::is_id(source),
            "source",
            "1 to 64 letters, digits, '-' or '_'",
        );
        v.check(
            (1..=MAX_BATCH).contains(&leads.len()),
            "leads",
            &format!("1 to {MAX_BATCH} leads"),
        );
        let mut phones = Vec::with_capacity(leads.len());
        for (i, l) in leads.iter().enumerate() {
            let f = |n: &str| format!("leads[{i}].{n}");
            v.check(
                rules::is_id(&l.external_id),
                &f("external_id"),
                "1 to 64 letters, digits, '-' or '_'",
            );
            rules::text(&mut v, &f("name"), &l.name, 100, false);
            match Phone::parse(&l.phone) {
                Some(ph) => phones.push(ph),
                None => {
                    v.add(f("phone"), "an 11-digit mainland mobile number");
                    phones.push(Phone::parse("13800000000").expect("valid"));
                }
            }
            if !l.branch_id.is_empty() && !rules::is_id(&l.branch_id) {
                v.add(f("branch_id"), "not a branch id");
            }
        }
        check(v)?;
        let mut conn = self.conn().await?;
        if let Some((first_source, results)) = store::outreach::batch(&mut conn, batch_id).await? {
            if first_source != source {
                return Err(Error::invalid(
                    "batch_id",
                    "already imported from another source",
                ));
            }
            return serde_json::from_str(&results)
                .map_err(|e| Error::Internal(anyhow::anyhow!("stored batch results: {e}")));
        }
        drop(conn);
        let now = self.now();
        let template = self
            .template(&mut *self.conn().await?, PlanKind::Lead)
            .await?;
        let mut results = Vec::with_capacity(leads.len());
        for (l, phone) in leads.iter().zip(&phones) {
            let place = if l.branch_id.is_empty() {
                Place {
                    branch_id: String::new(),
                    region_path: String::new(),
                    tz: TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC),
                }
            } else {
                let b = self.branch(&l.branch_id).await?;
                p.check_branch(&b.id, &b.region_path)?;
                Place {
                    branch_id: b.id.clone(),
                    region_path: b.region_path.clone(),
                    tz: TimeZone::get(&b.time_zone).unwrap_or(TimeZone::UTC),
                }
            };
            results.push(
                self.import_one(p, batch_id, source, l, phone, &place, &template, now)
                    .await?,
            );
        }
        let json = serde_json::to_string(&results)
            .map_err(|e| Error::Internal(anyhow::anyhow!("batch results: {e}")))?;
        let mut conn = self.conn().await?;
        if !store::outreach::insert_batch(&mut conn, batch_id, source, &json, now).await? {
            // A concurrent import of the same batch finished first: its answer stands.
            if let Some((_, first)) = store::outreach::batch(&mut conn, batch_id).await? {
                return serde_json::from_str(&first)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("stored batch results: {e}")));
            }
        }
        tracing::info!(batch = %batch_id, source = %source, leads = results.len(), "leads imported");
        Ok(results)
    }

    #[allow(clippy::too_many_arguments)]
    async fn import_one(
        &self,
        p: &Principal,
        batch_id: &str,
        source: &str,
        l: &LeadInput,
        phone: &Phone,
        place: &Place,
        template: &crate::domain::followup::Template,
        now: Timestamp,
    ) -> Result<LeadResult> {
        retry(|| async {
            let mut tx = self.db.begin().await?;
            if let Some(known) = store::outreach::lead(&mut tx, source, &l.external_id).await? {
                return Ok(LeadResult {
                    external_id: known.external_id,
                    lead_id: known.id,
                    customer_id: known.customer_id,
                    status: known.status.as_str().into(),
                    reason: known.reason,
                    created: false,
                });
            }
            let customer = match store::customers::by_phone(&mut tx, phone.digits()).await? {
                Some(c) => c,
                None => {
                    let c = self.lead_customer(l, phone, place, now);
                    store::customers::insert(&mut tx, &c).await?;
                    c
                }
            };
            let history = store::outreach::history(&mut tx, &customer.id).await?;
            let mut lead = Lead {
                id: new_id("led"),
                source: source.to_owned(),
                external_id: l.external_id.clone(),
                batch_id: batch_id.to_owned(),
                customer_id: customer.id.clone(),
                branch_id: place.branch_id.clone(),
                region_path: place.region_path.clone(),
                status: LeadStatus::Open,
                reason: String::new(),
            };
            if history.completed_visits > 0 {
                lead.status = LeadStatus::ExistingCustomer;
                lead.reason = "already a customer with visits".into();
            }
            let mut tasks = Vec::new();
            if lead.status == LeadStatus::Open {
                store::outreach::mark_lead(
                    &mut tx,
                    &customer.id,
                    &place.branch_id,
                    &place.region_path,
                )
                .await?;
                let (plan, planned) = self.plan_for(
                    &customer,
                    template,
                    place,
                    "",
                    None,
                    "",
                    &p.subject,
                    &format!("lead:{}", lead.id),
                    now,
                );
                if !plan.reason.is_empty() {
                    lead.status = LeadStatus::NotContactable;
                    lead.reason = plan.reason.clone();
                } else {
                    store::tasks::insert_plan(&mut tx, &plan, now).await?;
                    tasks = planned;
                }
            }
            if !store::outreach::insert_lead(&mut tx, &lead, now).await? {
                return Err(Error::Aborted(
                    "the lead was being imported concurrently; retry".into(),
                ));
            }
            store::tasks::insert_tasks(&mut tx, &tasks, now).await?;
            tx.commit().await?;
            Ok(LeadResult {
                external_id: lead.external_id,
                lead_id: lead.id,
                customer_id: lead.customer_id,
                status: lead.status.as_str().into(),
                reason: lead.reason,
                created: true,
            })
        })
        .await
    }

    /// A new customer from a lead: the lead's form is their consent to be called about
    /// our services (marketing), given electronically.
    fn lead_customer(
        &self,
        l: &LeadInput,
        phone: &Phone,
        place: &Place,
        now: Timestamp,
    ) -> Customer {
        Customer {
            id: new_id("cus"),
            name: l.name.trim().to_owned(),
            phone: phone.digits().to_owned(),
            gender: None,
            birth_date: None,
            home_branch_id: place.branch_id.clone(),
            home_region_path: place.region_path.clone(),
            national_id_hash: String::new(),
            national_id_last4: String::new(),
            contact_points: BTreeMap::new(),
            channel_order: Vec::new(),
            quiet_hours: Default::default(),
            do_not_contact: false,
            consents: vec![crate::domain::customer::Consent {
                purpose: Purpose::Marketing,
                granted: true,
                method: crate::domain::vocab::ConsentMethod::Electronic,
                source: format!("lead:{}", l.external_id),
                changed_at: now,
            }],
            needs: Vec::new(),
            notes: String::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Leads per source and status, within the caller's scope.
    pub async fn lead_figures(
        &self,
        p: &Principal,
        source: &str,
    ) -> Result<Vec<(String, BTreeMap<LeadStatus, u64>)>> {
        p.require_role(roles::FIGURES, "read lead figures")?;
        let mut w = Where::default();
        if p.scope != service_kit::auth::OrgScope::Group {
            // Leads of the whole group (no branch) are the group's to count.
            w.raw("branch_id <> ''")
                .in_scope("branch_id", "region_path", &p.scope);
        }
        w.eq("source", source);
        let rows = store::outreach::lead_figures(&mut *self.conn().await?, &w).await?;
        let mut out: BTreeMap<String, BTreeMap<LeadStatus, u64>> = BTreeMap::new();
        for (source, status, n) in rows {
            *out.entry(source).or_default().entry(status).or_default() += n as u64;
        }
        Ok(out.into_iter().collect())
    }

    /// Plans the survey of a completed visit, in the feed's transaction.
    pub(crate) async fn plan_survey(
        tx: &mut sqlx::AnyConnection,
        visit: &Visit,
        completed_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        let send_at = completed_at.max(now) + SURVEY_DELAY;
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
        self.sweep_queue().await?;
        self.sweep_surveys().await?;
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
        store::outreach::surveys_of(&mut conn, customer_id).await
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

    /// Customers per segment at each branch in scope (and the region summed).
    pub async fn segment_counts(
        &self,
        p: &Principal,
        branch_id: &str,
        region_path: &str,
    ) -> Result<Vec<(String, String, SegmentCounts)>> {
        p.require_role(roles::FIGURES, "read segment counts")?;
        self.check_narrowing(p, branch_id, region_path).await?;
        use store::outreach::{SEGMENT_BRANCH, SEGMENT_REGION};
        let mut w = Where::default();
        w.in_scope(SEGMENT_BRANCH, SEGMENT_REGION, &p.scope)
            .eq(SEGMENT_BRANCH, branch_id)
            .under_region(SEGMENT_REGION, region_path);
        let rows =
            store::outreach::segment_counts(&mut *self.conn().await?, &w, self.now()).await?;
        let mut out: BTreeMap<(String, String), SegmentCounts> = BTreeMap::new();
        for (b, r, seg, n) in rows {
            *out.entry((b, r))
                .or_default()
                .by_segment
                .entry(seg)
                .or_default() += n as u64;
        }
        Ok(out.into_iter().map(|((b, r), c)| (b, r, c)).collect())
    }
}
