//! Exam catalogue use cases.

use service_kit::{
    Error, Result,
    auth::Principal,
    ids::new_id,
    requests::{Page, create_once, next_page_token, page, with_request_id},
};

use super::{Scheduling, roles};
use crate::{
    domain::catalogue::{self, ExamItem, Package},
    store,
};

/// A new exam item.
#[derive(Debug, Clone)]
pub struct CreateExamItem {
    /// Idempotency key.
    pub request_id: String,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Department.
    pub department: String,
    /// Minutes.
    pub duration_minutes: u32,
    /// Fasting.
    pub fasting_required: bool,
    /// Route tie-breaker.
    pub order_hint: i32,
    /// Catalogue price, if priced.
    pub list_price: Option<crate::domain::catalogue::Price>,
}

/// A new package.
#[derive(Debug, Clone)]
pub struct CreatePackage {
    /// Idempotency key.
    pub request_id: String,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Items, in catalogue order.
    pub exam_item_ids: Vec<String>,
    /// Currency.
    pub currency: String,
    /// Price in minor units.
    pub price_minor: i64,
}

impl Scheduling {
    /// Adds an exam item to the catalogue.
    pub async fn create_exam_item(&self, p: &Principal, cmd: CreateExamItem) -> Result<ExamItem> {
        p.require_role(roles::CATALOGUE_ADMIN, "maintain the exam catalogue")?;
        let item = ExamItem {
            id: new_id("item"),
            code: cmd.code,
            name: cmd.name.trim().to_owned(),
            department: cmd.department.trim().to_owned(),
            duration_minutes: cmd.duration_minutes,
            fasting_required: cmd.fasting_required,
            order_hint: cmd.order_hint,
            list_price: cmd.list_price,
            created_at: self.clock.now(),
        };
        with_request_id(&cmd.request_id, catalogue::validate_item(&item))?;
        let lookup = || async {
            store::catalogue::item_by_request(&mut *self.conn().await?, &cmd.request_id).await
        };
        let insert = || async {
            store::catalogue::insert_item(&mut *self.conn().await?, &item, &cmd.request_id).await?;
            Ok(item.clone())
        };
        let taken =
            || Error::AlreadyExists(format!("exam item code {} is already used", item.code));
        Ok(create_once(lookup, insert, taken).await?.into_inner())
    }

    /// Sets (or clears) an exam item's list price.
    pub async fn set_exam_item_price(
        &self,
        p: &Principal,
        id: &str,
        price: Option<crate::domain::catalogue::Price>,
    ) -> Result<ExamItem> {
        p.require_role(roles::CATALOGUE_ADMIN, "maintain the exam catalogue")?;
        catalogue::validate_price(price.as_ref())?;
        let mut conn = self.conn().await?;
        if !store::catalogue::set_price(&mut conn, id, price.as_ref()).await? {
            return Err(Error::NotFound(format!("exam item {id}")));
        }
        let item = store::catalogue::items_by_ids(&mut conn, &[id.to_owned()])
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("exam item {id}")))?;
        tracing::info!(item = %id, "list price set");
        Ok(item)
    }

    /// Exam items by code.
    pub async fn list_exam_items(
        &self,
        page_size_requested: i32,
        page_token: &str,
    ) -> Result<(Vec<ExamItem>, String)> {
        let Page { limit, after } = page(page_size_requested, page_token)?;
        let items = store::catalogue::list_items(&mut *self.conn().await?, &after, limit).await?;
        let next = next_page_token(&items, limit, |i| i.code.clone());
        Ok((items, next))
    }

    /// Adds a package made of existing items.
    pub async fn create_package(&self, p: &Principal, cmd: CreatePackage) -> Result<Package> {
        p.require_role(roles::CATALOGUE_ADMIN, "maintain the exam catalogue")?;
        with_request_id(
            &cmd.request_id,
            catalogue::validate_package(
                &cmd.code,
                &cmd.name,
                &cmd.exam_item_ids,
                &cmd.currency,
                cmd.price_minor,
            ),
        )?;
        let lookup = || async {
            store::catalogue::package_by_request(&mut *self.conn().await?, &cmd.request_id).await
        };
        let insert = || async {
            let mut tx = self.db.begin().await?;
            let items = store::catalogue::items_by_ids(&mut tx, &cmd.exam_item_ids).await?;
            if items.len() != cmd.exam_item_ids.len() {
                let missing: Vec<_> = cmd
                    .exam_item_ids
                    .iter()
                    .filter(|id| !items.iter().any(|i| &i.id == *id))
                    .cloned()
                    .collect();
                return Err(Error::invalid(
                    "exam_item_ids",
                    format!("unknown exam items: {}", missing.join(", ")),
                ));
            }
            let package = Package {
                id: new_id("pkg"),
                code: cmd.code.clone(),
                name: cmd.name.trim().to_owned(),
                items,
                currency: cmd.currency.clone(),
                price_minor: cmd.price_minor,
                created_at: self.clock.now(),
            };
            store::catalogue::insert_package(&mut tx, &package, &cmd.request_id).await?;
            tx.commit().await?;
            Ok(package)
        };
        let taken = || Error::AlreadyExists(format!("package code {} is already used", cmd.code));
        Ok(create_once(lookup, insert, taken).await?.into_inner())
    }

    /// One package.
    pub async fn get_package(&self, id: &str) -> Result<Package> {
        Ok((*self.package(&mut *self.conn().await?, id).await?).clone())
    }

    /// Packages by code.
    pub async fn list_packages(
        &self,
        page_size_requested: i32,
        page_token: &str,
    ) -> Result<(Vec<Package>, String)> {
        let Page { limit, after } = page(page_size_requested, page_token)?;
        let packages =
            store::catalogue::list_packages(&mut *self.conn().await?, &after, limit).await?;
        let next = next_page_token(&packages, limit, |p| p.code.clone());
        Ok((packages, next))
    }
}
