//! Intake: a work order from any channel, idempotent on `request_id`; and the automatic
//! service-recovery case opened when scheduling reports a broken wait promise.

use service_kit::{
    Error, Result,
    auth::Principal,
    ids::new_id,
    requests::{Created, replay_on_failure, with_request_id},
};

use super::{Complaints, events, roles};
use crate::{
    domain::work_order::{CustomerInfo, Intake, Opening, WorkOrder, open, validate_intake},
    store,
};

/// A work order as intake receives it.
#[derive(Debug, Clone)]
pub struct OpenCommand {
    /// Idempotency key.
    pub request_id: String,
    /// The rest.
    pub intake: Intake,
}

impl Complaints {
    /// Opens a work order at the branch, with its SLA clocks running. A retry with the
    /// same `request_id` returns the work order the first attempt opened.
    pub async fn open(&self, p: &Principal, cmd: OpenCommand) -> Result<WorkOrder> {
        p.require_role(roles::INTAKE, "open work orders")?;
        let phone = with_request_id(&cmd.request_id, validate_intake(&cmd.intake))?;
        let i = cmd.intake;
        let branch = self.branch_by_id(&i.branch_id).await?;
        p.check_branch(&branch.info.id, &branch.info.region_path())?;
        let severity = i.severity.expect("validated");
        let policy = self.policy(severity).await?;
        let now = self.now();
        let opening = Opening {
            request_id: cmd.request_id.clone(),
            channel: i.channel.expect("validated"),
            kind: i.kind.expect("validated"),
            category: i.category.expect("validated"),
            severity,
            customer: CustomerInfo {
                customer_id: i.customer_id,
                name: i.customer_name.trim().to_owned(),
                phone: phone
                    .as_ref()
                    .map(|p| p.digits().to_owned())
                    .unwrap_or_default(),
                masked: phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
            },
            branch: branch.info,
            appointment_id: i.appointment_id,
            staff_ids: i.staff_ids,
            summary: i.summary.trim().to_owned(),
            description: i.description.trim().to_owned(),
            source: None,
        };
        let wo = open(new_id("wo"), opening, &policy, &branch.calendar, now);
        let detail = format!(
            "{} via {}: {}",
            wo.kind.as_str().to_lowercase(),
            wo.channel.as_str().to_lowercase(),
            wo.category.as_str().to_lowercase()
        );
        let lookup = || async {
            store::work_orders::by_request_id(&mut *self.conn().await?, &cmd.request_id).await
        };
        // Opening is the hot path: write first, and look for an earlier attempt only when
        // the request id turns out to be taken.
        let insert = service_kit::db::retry(|| async {
            let mut tx = self.db.begin().await?;
            let Some(seq) = store::work_orders::insert(&mut tx, &wo).await? else {
                return Err(Error::AlreadyExists("request_id".into()));
            };
            let mut wo = wo.clone();
            wo.seq = seq;
            store::timeline::append(&mut tx, &wo.id, now, &p.subject, "opened", &detail).await?;
            events::publish(&mut tx, &wo, now, events::opened(&wo)).await?;
            tx.commit().await?;
            Ok(wo)
        });
        let opened = replay_on_failure(insert, lookup)
            .await
            .map_err(|e| match e {
                Error::AlreadyExists(_) => {
                    Error::Aborted("the work order was being opened concurrently; retry".into())
                }
                e => e,
            })?;
        match opened {
            Created::New(created) => {
                self.outbox.notify();
                tracing::info!(work_order = %created.id, number = %created.number(), "work order opened");
                Ok(created)
            }
            Created::Replayed(existing) => {
                p.check_branch(&existing.branch.id, &existing.branch.region_path())?;
                Ok(existing)
            }
        }
    }
}
