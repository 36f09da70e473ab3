//! The branch's day: who comes, with what package and window, what to prepare for, and
//! whether the reminders reached them; and the bookings nobody can remind.

use jiff::{Timestamp, civil::Date};
use service_kit::{Error, Result, auth::Principal};

use super::{Contact, roles};
use crate::{
    domain::{
        reminder::Visit,
        vocab::{Need, ReminderStatus},
    },
    store,
};

/// One customer on the day sheet.
#[derive(Debug, Clone)]
pub struct DaySheetRow {
    /// The visit.
    pub visit: Visit,
    /// The customer's name (the booking's copy when unlinked).
    pub name: String,
    /// The mobile (full; the edge masks it for roles that do not call customers), or the
    /// booking's masked copy when unlinked.
    pub phone: String,
    /// What to prepare for.
    pub needs: Vec<Need>,
    /// Notes for the branch.
    pub notes: String,
    /// `FIRST_VISIT` or `RETURNING`.
    pub segment: &'static str,
    /// Any reminder delivered.
    pub delivered: bool,
    /// Any reminder handed over.
    pub sent: bool,
}

impl Contact {
    /// The branch's visits on `date` (its local day), first arrivals first, with the
    /// number of those tied to no customer.
    pub async fn day_sheet(
        &self,
        p: &Principal,
        branch_id: &str,
        date: Date,
    ) -> Result<(Vec<DaySheetRow>, bool, u32)> {
        p.require_role(roles::READ, "read the day sheet")?;
        let branch = self.branch(branch_id).await?;
        p.check_branch(&branch.id, &branch.region_path)?;
        let tz = jiff::tz::TimeZone::get(&branch.time_zone).map_err(|_| {
            Error::FailedPrecondition(format!("unknown time zone {}", branch.time_zone))
        })?;
        let start = |d: Date| -> Result<Timestamp> {
            Ok(d.to_zoned_datetime(tz.clone())
                .map_err(|_| Error::invalid("date", "a date out of range"))?
                .timestamp())
        };
        let from = start(date)?;
        let to = start(
            date.tomorrow()
                .map_err(|_| Error::invalid("date", "a date out of range"))?,
        )?;
        let mut conn = self.conn().await?;
        let visits = store::visits::day(&mut conn, &branch.id, from, to).await?;
        let mut rows = Vec::with_capacity(visits.len());
        let mut unlinked = 0;
        for v in visits {
            if v.customer_id.is_empty() {
                unlinked += 1;
                rows.push(DaySheetRow {
                    name: v.customer_name.clone(),
                    phone: v.phone_masked.clone(),
                    needs: Vec::new(),
                    notes: String::new(),
                    segment: "UNKNOWN",
                    delivered: false,
                    sent: false,
                    visit: v,
                });
                continue;
            }
            let c = store::customers::get(&mut conn, &v.customer_id).await?;
            let earlier =
                store::visits::completed_before(&mut conn, &v.customer_id, v.starts_at).await?;
            let reminders = store::visits::reminders(&mut conn, &v.appointment_id).await?;
            let (name, phone, needs, notes) = match c {
                Some(c) => (c.name, c.phone, c.needs, c.notes),
                None => (
                    v.customer_name.clone(),
                    v.phone_masked.clone(),
                    Vec::new(),
                    String::new(),
                ),
            };
            rows.push(DaySheetRow {
                name,
                phone,
                needs,
                notes,
                segment: if earlier == 0 {
                    "FIRST_VISIT"
                } else {
                    "RETURNING"
                },
                delivered: reminders
                    .iter()
                    .any(|r| r.status == ReminderStatus::Delivered),
                sent: reminders.iter().any(|r| r.status.went_out()),
                visit: v,
            });
        }
        Ok((rows, roles::CALLERS.contains(&p.role), unlinked))
    }

    /// Bookings tied to no customer, in the caller's scope (and branch), with their total.
    pub async fn unlinked(
        &self,
        p: &Principal,
        branch_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<(Vec<Visit>, u64)> {
        p.require_role(roles::READ, "read unlinked bookings")?;
        self.check_narrowing(p, branch_id, "").await?;
        store::visits::unlinked(&mut *self.conn().await?, &p.scope, branch_id, after, limit).await
    }
}
