//! Leads from marketing: imported in batches (idempotent per batch and per lead), each a
//! customer with a sales call for the group call centre; converted when they book (see the
//! feed), and counted per source.

use std::collections::BTreeMap;

use jiff::{Timestamp, tz::TimeZone};
use service_kit::{
    Error, Result,
    auth::Principal,
    db::retry,
    error::Violations,
    ids::new_id,
    phone::Phone,
    rules::{self, check},
    sql::Where,
};

use super::{Contact, followup::Place, roles};
use crate::{
    domain::{
        customer::Customer,
        followup_vocab::{LeadStatus, PlanKind},
        vocab::Purpose,
    },
    store::{self, outreach::Lead},
};

/// Most leads in one batch.
pub const MAX_BATCH: usize = 1000;
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
        // A lead is found by its mobile among all the group's customers, and a lead without
        // a branch is the group call centre's: only the group's marketing imports them.
        if p.scope != service_kit::auth::OrgScope::Group {
            return Err(Error::PermissionDenied(
                "leads are imported with a token of the group's scope".into(),
            ));
        }
        let mut v = Violations::new();
        service_kit::edge::require(&mut v, batch_id, "batch_id");
        service_kit::edge::require(&mut v, source, "source");
        v.check(
            (1..=MAX_BATCH).contains(&leads.len()),
            "leads",
            &format!("1 to {MAX_BATCH} leads"),
        );
        let mut phones = Vec::with_capacity(leads.len());
        for (i, l) in leads.iter().enumerate() {
            let f = |n: &str| format!("leads[{i}].{n}");
            service_kit::edge::require(&mut v, &l.external_id, &f("external_id"));
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
}
