//! What staff read of the sending (a visit's reminders, the messages handed over) and the
//! reminder policy the group and each brand set.

use jiff::Timestamp;
use service_kit::{Error, Result, auth::Principal};

use super::{Contact, roles};
use crate::{
    domain::{
        plan::Policy,
        reminder::{Message, Reminder, Visit},
    },
    store,
};

impl Contact {
    /// A visit's reminders, within the caller's scope.
    pub async fn reminders(
        &self,
        p: &Principal,
        appointment_id: &str,
    ) -> Result<(Visit, Vec<Reminder>)> {
        p.require_role(roles::READ, "read reminders")?;
        let mut conn = self.conn().await?;
        let visit = store::visits::get(&mut conn, appointment_id)
            .await?
            .filter(|v| p.scope.covers(&v.branch_id, &v.region_path))
            .ok_or_else(|| Error::NotFound(format!("visit {appointment_id}")))?;
        let reminders = store::visits::reminders(&mut conn, appointment_id).await?;
        Ok((visit, reminders))
    }

    /// Messages in the caller's scope, newest first.
    pub async fn messages(
        &self,
        p: &Principal,
        customer_id: &str,
        before: &str,
        limit: i64,
    ) -> Result<Vec<Message>> {
        p.require_role(roles::READ, "read messages")?;
        let mut conn = self.conn().await?;
        if !customer_id.is_empty() {
            self.customer(p, customer_id).await?;
        }
        store::messages::list(&mut conn, &p.scope, customer_id, before, limit).await
    }

    /// The brand's reminder policy, or the group's, or the default; and when it was set.
    pub async fn policy(
        &self,
        p: &Principal,
        brand: &str,
    ) -> Result<(String, Policy, Option<Timestamp>)> {
        p.require_role(roles::READ, "read the reminder policy")?;
        let mut conn = self.conn().await?;
        if let Some((policy, at)) = store::messages::policy(&mut conn, brand).await? {
            return Ok((brand.to_owned(), policy, Some(at)));
        }
        Ok(match store::messages::policy(&mut conn, "").await? {
            Some((policy, at)) => (String::new(), policy, Some(at)),
            None => (String::new(), Policy::default(), None),
        })
    }

    /// Sets the brand's policy ('' for the group's). Visits already planned keep their
    /// instants; the policy applies to bookings and moves from now on.
    pub async fn set_policy(
        &self,
        p: &Principal,
        brand: &str,
        policy: &Policy,
    ) -> Result<Timestamp> {
        p.require_role(roles::POLICY, "set the reminder policy")?;
        let now = self.now();
        store::messages::set_policy(&mut *self.conn().await?, brand, policy, now).await?;
        Ok(now)
    }
}
