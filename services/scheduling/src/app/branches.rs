//! Branch directory use cases.

use hospital_proto::scheduling as pb;
use service_kit::{
    Error, Result,
    auth::Principal,
    db::retry,
    ids::new_id,
    requests::{Created, Page, create_once, next_page_token, page, with_request_id},
};

use super::{Scheduling, events, roles};
use crate::{
    domain::branch::{self, Branch, BranchPatch, Region},
    store::{self, branches::ListFilter},
};

/// A new branch as requested.
#[derive(Debug, Clone)]
pub struct CreateBranch {
    /// Idempotency key.
    pub request_id: String,
    /// Unique code.
    pub code: String,
    /// Where.
    pub region: Region,
    /// Everything else.
    pub patch: BranchPatch,
}

/// A change to a branch.
#[derive(Debug, Clone)]
pub struct UpdateBranch {
    /// Which.
    pub branch_id: String,
    /// 0, or the version the caller last saw.
    pub expected_version: i64,
    /// What changes.
    pub patch: BranchPatch,
}

impl Scheduling {
    /// Creates a branch; a retry with the same `request_id` returns the same branch.
    pub async fn create_branch(&self, p: &Principal, cmd: CreateBranch) -> Result<Branch> {
        p.require_role(roles::BRANCH_ADMIN, "create branches")?;
        let now = self.clock.now();
        let new = with_request_id(
            &cmd.request_id,
            branch::new_branch(new_id("br"), &cmd.code, cmd.region, cmd.patch, now),
        )?;
        p.check_region(&new.region.path())?;
        let lookup = || async {
            store::branches::get_by_request(&mut *self.conn().await?, &cmd.request_id).await
        };
        let insert = || async {
            retry(|| async {
                let mut tx = self.db.begin().await?;
                store::branches::insert(&mut tx, &new, &cmd.request_id).await?;
                events::publish(
                    &mut tx,
                    &new.id,
                    &new.region.path(),
                    now,
                    changed(&new, true),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            })
            .await?;
            self.outbox.notify();
            Ok(new.clone())
        };
        let taken = || Error::AlreadyExists(format!("branch code {} is already used", new.code));
        match create_once(lookup, insert, taken).await? {
            Created::New(branch) => Ok(branch),
            Created::Replayed(existing) => {
                p.check_branch(&existing.id, &existing.region.path())?;
                Ok(existing)
            }
        }
    }

    /// Changes a branch's editable fields.
    pub async fn update_branch(&self, p: &Principal, cmd: UpdateBranch) -> Result<Branch> {
        p.require_role(roles::BRANCH_ADMIN, "update branches")?;
        let mut v = service_kit::error::Violations::new();
        branch::validate_patch(&cmd.patch, &mut v);
        v.into_result()?;
        let mut conn = self.conn().await?;
        let mut b = self.branch_in_scope(&mut conn, p, &cmd.branch_id).await?;
        drop(conn);
        if cmd.expected_version != 0 && cmd.expected_version != b.version {
            return Err(Error::Aborted(format!(
                "branch is at version {}, not {}",
                b.version, cmd.expected_version
            )));
        }
        let now = self.clock.now();
        branch::apply_patch(&mut b, cmd.patch);
        b.version += 1;
        b.updated_at = now;
        let mut tx = self.db.begin().await?;
        if !store::branches::update(&mut tx, &b).await? {
            return Err(Error::Aborted(
                "branch was changed concurrently; read it again".into(),
            ));
        }
        events::publish(&mut tx, &b.id, &b.region.path(), now, changed(&b, false)).await?;
        tx.commit().await?;
        self.branch_changed(&b.id);
        self.outbox.notify();
        Ok(b)
    }

    /// One branch in the caller's scope.
    pub async fn get_branch(&self, p: &Principal, id: &str) -> Result<Branch> {
        let mut conn = self.conn().await?;
        self.branch_in_scope(&mut conn, p, id).await
    }

    /// Branches in the caller's scope; returns the page and the next page's token.
    pub async fn list_branches(
        &self,
        p: &Principal,
        region_path: String,
        brand: String,
        page_size_requested: i32,
        page_token: String,
    ) -> Result<(Vec<Branch>, String)> {
        if !region_path.is_empty() && !branch::is_region_path(&region_path) {
            return Err(Error::invalid(
                "region_path",
                "one or two slugs joined by '/'",
            ));
        }
        let mut v = service_kit::error::Violations::new();
        let brand = service_kit::rules::text(&mut v, "brand", &brand, 64, false);
        v.into_result()?;
        p.check_narrowing(None, &region_path)?;
        let Page { limit, after } = page(page_size_requested, &page_token)?;
        let filter = ListFilter {
            region_path,
            brand,
            after_id: after,
            limit,
        };
        let branches = store::branches::list(&mut *self.conn().await?, &p.scope, &filter).await?;
        let next = next_page_token(&branches, limit, |b| b.id.clone());
        Ok((branches, next))
    }
}

fn changed(b: &Branch, created: bool) -> events::Kind {
    events::Kind::BranchChanged(pb::BranchChanged {
        branch: Some(events::branch_ref(b)),
        version: b.version,
        created,
    })
}
