//! Customers: find or create by mobile, read (scoped, masked unless the caller calls
//! customers), needs, contact preferences, consent, and the contact history.

use std::collections::BTreeMap;

use hospital_proto::contact as pb;
use secrecy::ExposeSecret;
use service_kit::{
    Error, Result,
    auth::{OrgScope, Principal},
    db::retry,
    ids::new_id,
};
use sqlx::AnyConnection;

use super::{Contact, publish, roles, wire};
use crate::{
    domain::{
        customer::{
            self, Consent, ConsentInput, Customer, NewCustomer, Preferences, check_consent,
            check_needs, check_new, check_preferences,
        },
        plan::QuietHours,
        vocab::{Channel, Need},
    },
    store::{self, messages::Record},
};

/// A customer as the caller may see it.
#[derive(Debug, Clone)]
pub struct CustomerView {
    /// The record.
    pub customer: Customer,
    /// Whether the caller sees phone numbers and addresses in full.
    pub full: bool,
    /// Their segment, where it was worked out (reading one customer).
    pub segment: Option<crate::domain::followup_vocab::Segment>,
}

/// `FindOrCreateCustomer` as asked.
#[derive(Debug, Clone)]
pub struct NewCustomerCommand {
    /// Idempotency key (the mobile is the identity; the key is kept for the audit trail).
    pub request_id: String,
    /// The fields.
    pub customer: NewCustomer,
    /// Consents given at creation.
    pub consents: Vec<ConsentInput>,
}

impl Contact {
    fn view(&self, p: &Principal, customer: Customer) -> CustomerView {
        CustomerView {
            customer,
            full: roles::CALLERS.contains(&p.role),
            segment: None,
        }
    }

    /// The customer if the caller's scope reaches it: the group; a region or branch over
    /// the home branch, or over a branch where the customer has a visit. NOT_FOUND
    /// otherwise, so a scope learns nothing about customers outside it.
    pub(super) async fn visible(
        &self,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> Result<Customer> {
        let not_found = || Error::NotFound(format!("customer {id}"));
        let c = store::customers::get(conn, id)
            .await?
            .ok_or_else(not_found)?;
        if matches!(p.scope, OrgScope::Group)
            || (!c.home_branch_id.is_empty()
                && p.scope.covers(&c.home_branch_id, &c.home_region_path))
        {
            return Ok(c);
        }
        let mut w = service_kit::sql::Where::default();
        w.eq("customer_id", id)
            .in_scope("branch_id", "region_path", &p.scope);
        let seen = w
            .query("SELECT 1 AS one FROM visits", "LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
        if seen { Ok(c) } else { Err(not_found()) }
    }

    /// The customer with this mobile, or a new one; `true` when it was created here.
    pub async fn find_or_create(
        &self,
        p: &Principal,
        cmd: NewCustomerCommand,
    ) -> Result<(CustomerView, bool)> {
        p.require_role(roles::CUSTOMERS, "find or create customers")?;
        let checked = check_new(&cmd.customer, false)?;
        for (i, c) in cmd.consents.iter().enumerate() {
            check_consent(c, &format!("consents[{i}]"))?;
        }
        let phone = checked.phone.digits().to_owned();
        if let Some(existing) = store::customers::by_phone(&mut *self.conn().await?, &phone).await?
        {
            return Ok((self.view(p, existing), false));
        }
        let checked = check_new(&cmd.customer, true)?;
        let (home_branch_id, home_region_path) = if cmd.customer.home_branch_id.is_empty() {
            (String::new(), String::new())
        } else {
            let b = self.branch(&cmd.customer.home_branch_id).await?;
            p.check_branch(&b.id, &b.region_path)?;
            (b.id.clone(), b.region_path.clone())
        };
        let (hash, last4) = if checked.national_id.is_empty() {
            (String::new(), String::new())
        } else {
            let key = self.hash_key.as_ref().ok_or_else(|| {
                Error::FailedPrecondition(
                    "this deployment has no key for ID numbers (CONTACT__IDENTITY__HASH_KEY); \
                     leave national_id empty"
                        .into(),
                )
            })?;
            let hash =
                customer::national_id_hash(key.expose_secret().as_bytes(), &checked.national_id);
            if let Some(other) =
                store::customers::by_national_id(&mut *self.conn().await?, &hash).await?
            {
                return Err(Error::FailedPrecondition(format!(
                    "that ID number is already customer {}'s",
                    other.id
                )));
            }
            (hash, customer::last4(&checked.national_id))
        };
        let now = self.now();
        let new = Customer {
            id: new_id("cus"),
            name: checked.name,
            phone: phone.clone(),
            gender: cmd.customer.gender,
            birth_date: cmd.customer.birth_date,
            home_branch_id,
            home_region_path,
            national_id_hash: hash,
            national_id_last4: last4,
            contact_points: Default::default(),
            channel_order: Vec::new(),
            quiet_hours: QuietHours::default(),
            do_not_contact: false,
            consents: Vec::new(),
            needs: Vec::new(),
            notes: String::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let created = retry(|| async {
            let mut tx = self.db.begin().await?;
            if !store::customers::insert(&mut tx, &new).await? {
                return Ok(false);
            }
            let (branch, region) = (&new.home_branch_id, &new.home_region_path);
            publish(
                &mut tx,
                branch,
                region,
                now,
                pb::contact_event::Kind::CustomerCreated(pb::CustomerCreated {
                    customer_id: new.id.clone(),
                    home_branch_id: branch.clone(),
                }),
            )
            .await?;
            for c in &cmd.consents {
                let consent = consent_of(c, now);
                store::customers::record_consent(&mut tx, &new_id("cc"), None, &new.id, &consent)
                    .await?;
                publish(
                    &mut tx,
                    branch,
                    region,
                    now,
                    consent_event(&new.id, &consent),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
        .await?;
        self.outbox.notify();
        let stored = store::customers::by_phone(&mut *self.conn().await?, &phone)
            .await?
            .ok_or_else(|| Error::Aborted("the customer was being created concurrently".into()))?;
        if created {
            tracing::info!(customer = %stored.id, "customer created");
        }
        Ok((self.view(p, stored), created))
    }

    /// The customer, within the caller's scope.
    pub async fn customer(&self, p: &Principal, id: &str) -> Result<CustomerView> {
        p.require_role(roles::CUSTOMERS, "read customers")?;
        let mut conn = self.conn().await?;
        let c = self.visible(&mut conn, p, id).await?;
        let history = store::outreach::history(&mut conn, id).await?;
        let mut view = self.view(p, c);
        view.segment = Some(crate::domain::survey::segment(&history, self.now()));
        Ok(view)
    }

    /// The customer with this ID number, within the caller's scope.
    pub async fn by_national_id(&self, p: &Principal, number: &str) -> Result<CustomerView> {
        p.require_role(roles::CUSTOMERS, "read customers")?;
        let normal = number.trim().to_ascii_uppercase();
        if !customer::national_id_valid(&normal) {
            return Err(Error::invalid(
                "national_id",
                "18 characters: 17 digits and a check character (a digit or X) that matches",
            ));
        }
        let not_found = || Error::NotFound("no customer has that ID number".into());
        let Some(key) = &self.hash_key else {
            return Err(not_found());
        };
        let hash = customer::national_id_hash(key.expose_secret().as_bytes(), &normal);
        let mut conn = self.conn().await?;
        let found = store::customers::by_national_id(&mut conn, &hash)
            .await?
            .ok_or_else(not_found)?;
        let c = self
            .visible(&mut conn, p, &found.id)
            .await
            .map_err(|_| not_found())?;
        Ok(self.view(p, c))
    }

    /// Changes the customer under `expected_version` (0: whatever it is), with `change`.
    async fn change(
        &self,
        p: &Principal,
        id: &str,
        expected_version: i64,
        change: impl Fn(&mut Customer) -> Option<BTreeMap<Channel, String>>,
    ) -> Result<CustomerView> {
        p.require_role(roles::CUSTOMERS, "change customers")?;
        let now = self.now();
        retry(|| async {
            let mut tx = self.db.begin().await?;
            let mut c = self.visible(&mut tx, p, id).await?;
            if expected_version != 0 && expected_version != c.version {
                return Err(Error::FailedPrecondition(format!(
                    "customer {id} is at version {}, not {expected_version}; read it again",
                    c.version
                )));
            }
            let points = change(&mut c);
            c.version += 1;
            c.updated_at = now;
            if !store::customers::update(&mut tx, &c).await? {
                return Err(Error::Aborted("changed concurrently; retry".into()));
            }
            if let Some(points) = points {
                store::customers::set_points(&mut tx, id, &points).await?;
            }
            if c.do_not_contact {
                // The calls stop with the same commit; the plans say why.
                Self::stop_calls(&mut tx, id, None, now).await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.customer(p, id).await
    }

    /// Sets what the branch should prepare for.
    pub async fn set_needs(
        &self,
        p: &Principal,
        id: &str,
        needs: &[Option<Need>],
        notes: &str,
        expected_version: i64,
    ) -> Result<CustomerView> {
        let (needs, notes) = check_needs(needs, notes)?;
        self.change(p, id, expected_version, |c| {
            c.needs = needs.clone();
            c.notes = notes.clone();
            None
        })
        .await
    }

    /// Sets the contact points, the channel order, quiet hours and do-not-contact.
    pub async fn set_preferences(
        &self,
        p: &Principal,
        id: &str,
        prefs: &Preferences,
        expected_version: i64,
    ) -> Result<CustomerView> {
        let (points, order) = check_preferences(prefs)?;
        let quiet = prefs.quiet_hours.unwrap_or_default();
        self.change(p, id, expected_version, |c| {
            c.channel_order = order.clone();
            c.quiet_hours = quiet;
            c.do_not_contact = prefs.do_not_contact;
            Some(points.clone())
        })
        .await
    }

    /// Records consent given or withdrawn; a retry with the same `request_id` changes
    /// nothing more. A withdrawal holds back every message not yet handed over.
    pub async fn record_consent(
        &self,
        p: &Principal,
        request_id: &str,
        id: &str,
        input: &ConsentInput,
    ) -> Result<CustomerView> {
        p.require_role(roles::CUSTOMERS, "record consent")?;
        check_consent(input, "consent")?;
        let now = self.now();
        let consent = consent_of(input, now);
        let recorded = retry(|| async {
            let mut tx = self.db.begin().await?;
            let c = self.visible(&mut tx, p, id).await?;
            if !store::customers::record_consent(
                &mut tx,
                &new_id("cc"),
                Some(request_id),
                id,
                &consent,
            )
            .await?
            {
                return Ok(false);
            }
            store::customers::touch(&mut tx, id, now).await?;
            if !consent.granted {
                // The calls it covered stop with it; the plans say why.
                Self::stop_calls(&mut tx, id, Some(consent.purpose), now).await?;
            }
            publish(
                &mut tx,
                &c.home_branch_id,
                &c.home_region_path,
                now,
                consent_event(id, &consent),
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await?;
        if recorded {
            self.outbox.notify();
        } else if !store::customers::consent_request_seen(&mut *self.conn().await?, request_id)
            .await?
        {
            return Err(Error::Aborted("consent being recorded concurrently".into()));
        }
        self.customer(p, id).await
    }

    /// The customer's contact history, oldest first.
    pub async fn history(
        &self,
        p: &Principal,
        id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Record>> {
        p.require_role(roles::READ, "read the contact history")?;
        let mut conn = self.conn().await?;
        self.visible(&mut conn, p, id).await?;
        store::messages::history(&mut conn, id, after, limit).await
    }
}

fn consent_of(c: &ConsentInput, at: jiff::Timestamp) -> Consent {
    Consent {
        purpose: c.purpose.expect("checked"),
        granted: c.granted,
        method: c.method.expect("checked"),
        source: c.source.trim().to_owned(),
        changed_at: at,
    }
}

fn consent_event(customer_id: &str, c: &Consent) -> pb::contact_event::Kind {
    pb::contact_event::Kind::ConsentChanged(pb::ConsentChanged {
        customer_id: customer_id.to_owned(),
        purpose: wire::purpose_out(c.purpose),
        granted: c.granted,
        method: wire::method_out(c.method),
        source: c.source.clone(),
    })
}
