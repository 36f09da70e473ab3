//! Capacity use cases: templates, slot generation, availability.

use jiff::civil::Date;
use service_kit::{Error, Result, auth::Principal};

use super::{Scheduling, roles};
use crate::{
    domain::calendar::{self, MAX_GENERATE_DAYS, MAX_SEARCH_DAYS, Slot, TemplateWindow},
    store,
};

/// What a slot generation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateReport {
    /// New slots.
    pub created: u32,
    /// Slots that already existed and were left alone.
    pub already_present: u32,
    /// Open weekdays skipped as holidays.
    pub holidays_skipped: u32,
}

impl Scheduling {
    /// Replaces a branch's weekly template.
    pub async fn set_template(
        &self,
        p: &Principal,
        branch_id: &str,
        windows: Vec<TemplateWindow>,
    ) -> Result<Vec<TemplateWindow>> {
        p.require_role(roles::CAPACITY, "change capacity")?;
        let mut tx = self.db.begin().await?;
        let branch = self.branch_in_scope(&mut tx, p, branch_id).await?;
        calendar::validate_template(&branch, &windows)?;
        store::slots::replace_template(&mut tx, branch_id, &windows).await?;
        let saved = store::slots::template(&mut tx, branch_id).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// A branch's weekly template.
    pub async fn get_template(
        &self,
        p: &Principal,
        branch_id: &str,
    ) -> Result<Vec<TemplateWindow>> {
        let mut conn = self.conn().await?;
        self.branch_in_scope(&mut conn, p, branch_id).await?;
        store::slots::template(&mut conn, branch_id).await
    }

    /// Creates the slots the template yields for `from..=to` that do not exist yet.
    pub async fn generate_slots(
        &self,
        p: &Principal,
        branch_id: &str,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<GenerateReport> {
        p.require_role(roles::CAPACITY, "change capacity")?;
        let (from, to) = calendar::validate_range(from, to, MAX_GENERATE_DAYS)?;
        let mut tx = self.db.begin().await?;
        let branch = self.branch_in_scope(&mut tx, p, branch_id).await?;
        let template = store::slots::template(&mut tx, branch_id).await?;
        if template.is_empty() {
            return Err(Error::FailedPrecondition(
                "the branch has no weekly template yet".into(),
            ));
        }
        let (plans, holidays_skipped) = calendar::plan_slots(&branch, &template, from, to);
        let created = store::slots::insert_missing(&mut tx, branch_id, &plans).await?;
        tx.commit().await?;
        Ok(GenerateReport {
            created,
            already_present: plans.len() as u32 - created,
            holidays_skipped,
        })
    }

    /// Slots at a branch that suit a package on `from..=to`.
    pub async fn search_availability(
        &self,
        p: &Principal,
        branch_id: &str,
        package_id: &str,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<Slot>> {
        let (from, to) = calendar::validate_range(from, to, MAX_SEARCH_DAYS)?;
        let mut conn = self.conn().await?;
        let branch = self.branch_in_scope(&mut conn, p, branch_id).await?;
        let package = self.package(&mut conn, package_id).await?;
        let now = self.clock.now();
        let slots = store::slots::open_between(&mut conn, branch_id, from, to).await?;
        Ok(slots
            .into_iter()
            .filter(|s| calendar::slot_suits(&branch, &package, s, now))
            .collect())
    }
}
