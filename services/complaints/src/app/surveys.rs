//! The consumer of contact's events: a survey answered with a score of 0 to 6 (a detractor)
//! becomes a feedback work order at the visit's branch, on the survey channel, linked to
//! the visit. The position is claimed in the transaction that opens it, and the work order
//! carries the survey as its unique source, so each answer opens exactly one, across
//! restarts of either service and across replicas.

use hospital_proto::contact::{self as ct, contact_event::Kind as ContactKind};
use service_kit::{
    Result,
    clock::to_micros,
    db::retry,
    events::{self as kit_events, begin_claimed},
    ids::new_id,
    phone::mask,
    upstream,
};
use tonic::{codegen::InterceptedService, transport::Channel};

use super::{Complaints, events, timers::SYSTEM};
use crate::{
    domain::{
        vocab::{Category, Channel as WoChannel, Kind, Severity},
        work_order::{CustomerInfo, Opening, open},
    },
    store,
};

/// Contact's client as complaints reaches it.
pub type ContactClient = ct::contact_service_client::ContactServiceClient<
    InterceptedService<Channel, service_kit::telemetry::OutgoingInterceptor>,
>;

/// The consumer name under which the position in contact's feed is stored.
pub const CONTACT_CONSUMER: &str = "contact-events";

/// The severity of a detractor's work order: 0 to 3 is a clearly unhappy customer.
pub fn survey_severity(score: i32) -> Severity {
    if score <= 3 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

impl Complaints {
    /// Follows contact's events until `stop` resolves (see [`kit_events::follow`]).
    pub async fn run_contact_feed(self, contact: ContactClient, stop: impl Future<Output = ()>) {
        kit_events::follow(
            &self.db,
            CONTACT_CONSUMER,
            |after| {
                let mut contact = contact.clone();
                async move {
                    let reply = contact
                        .subscribe(ct::SubscribeRequest {
                            after,
                            branch_id: String::new(),
                        })
                        .await;
                    upstream::events("contact", reply, |r: ct::SubscribeResponse| r.event)
                }
            },
            |event| self.apply_contact_event(event),
            stop,
        )
        .await;
    }

    /// Applies one of contact's events, at most once. Only a detractor's answer changes
    /// anything here.
    pub async fn apply_contact_event(&self, event: ct::ContactEvent) -> Result<()> {
        match event.kind {
            Some(ContactKind::SurveyAnswered(a)) if a.detractor => {
                self.open_from_survey(event.position, &event.branch_id, a)
                    .await
            }
            _ => Ok(()),
        }
    }

    async fn open_from_survey(
        &self,
        position: u64,
        branch_id: &str,
        a: ct::SurveyAnswered,
    ) -> Result<()> {
        let branch = match self.branch_by_id(branch_id).await {
            Ok(b) => b,
            // A branch scheduling no longer knows will not come back: the answer is
            // logged and passed over, so the feed does not stall on it for ever.
            Err(service_kit::Error::NotFound(what)) => {
                tracing::warn!(survey = %a.survey_id, %what, "detractor's branch unknown; no work order");
                let now = to_micros(self.now());
                return retry(|| async {
                    if let Some(tx) =
                        begin_claimed(&self.db, CONTACT_CONSUMER, position, now).await?
                    {
                        tx.commit().await?;
                    }
                    Ok(())
                })
                .await;
            }
            Err(e) => return Err(e),
        };
        let severity = survey_severity(a.score);
        let policy = self.policy(severity).await?;
        let now = self.now();
        let source = format!("survey:{}", a.survey_id);
        let opening = Opening {
            request_id: format!("auto:{source}"),
            channel: WoChannel::Survey,
            kind: Kind::Feedback,
            category: Category::Other,
            severity,
            customer: CustomerInfo {
                customer_id: a.customer_id.clone(),
                name: a.customer_name.clone(),
                phone: String::new(),
                masked: mask(&a.phone_masked),
            },
            branch: branch.info.clone(),
            appointment_id: a.appointment_id.clone(),
            staff_ids: Vec::new(),
            summary: format!("Survey: {} out of 10 would recommend us", a.score),
            description: if a.comment.is_empty() {
                "The customer left no comment.".into()
            } else {
                a.comment.clone()
            },
            source: Some(source.clone()),
        };
        let wo = open(new_id("wo"), opening, &policy, &branch.calendar, now);
        let opened = retry(|| async {
            let Some(mut tx) =
                begin_claimed(&self.db, CONTACT_CONSUMER, position, to_micros(now)).await?
            else {
                return Ok(None);
            };
            // The source is unique: an answer seen again (a lost position) opens nothing.
            let Some(seq) = store::work_orders::insert(&mut tx, &wo).await? else {
                tx.commit().await?;
                return Ok(None);
            };
            let mut wo = wo.clone();
            wo.seq = seq;
            store::timeline::append(
                &mut tx,
                &wo.id,
                now,
                SYSTEM,
                "opened",
                &format!("feedback from survey {} (score {})", a.survey_id, a.score),
            )
            .await?;
            events::publish(&mut tx, &wo, now, events::opened(&wo)).await?;
            tx.commit().await?;
            Ok(Some(wo))
        })
        .await?;
        if let Some(wo) = opened {
            self.outbox.notify();
            tracing::info!(work_order = %wo.id, number = %wo.number(), appointment = %wo.appointment_id, "work order opened from a survey");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_very_unhappy_customer_is_medium_the_rest_low() {
        assert_eq!(survey_severity(0), Severity::Medium);
        assert_eq!(survey_severity(3), Severity::Medium);
        assert_eq!(survey_severity(6), Severity::Low);
    }
}
