//! The consumer of complaints' events: what became of a detractor. A work order complaints
//! opened from a survey (channel SURVEY, linked to the visit) is tied to the survey, and
//! each of its status changes is kept on it, for the survey figures. The position is
//! claimed in the transaction of the change, so each event takes effect once.

use hospital_proto::complaints::{self as cp, complaints_event::Kind};
use service_kit::{
    Result,
    clock::to_micros,
    db::retry,
    events::{self as kit_events, begin_claimed},
    upstream,
};
use tonic::{codegen::InterceptedService, transport::Channel};

use super::Contact;
use crate::store;

/// Complaints' client as contact reaches it.
pub type ComplaintsClient = cp::complaints_service_client::ComplaintsServiceClient<
    InterceptedService<Channel, service_kit::telemetry::OutgoingInterceptor>,
>;

/// The consumer name under which the position in complaints' feed is stored.
pub const COMPLAINTS_CONSUMER: &str = "complaints-events";

/// `RESOLVED` for `STATUS_RESOLVED`.
fn status_name(raw: i32) -> String {
    cp::Status::try_from(raw)
        .map(|s| s.as_str_name().trim_start_matches("STATUS_").to_owned())
        .unwrap_or_default()
}

impl Contact {
    /// Follows complaints' events until `stop` resolves (see [`kit_events::follow`]).
    pub async fn run_complaints_feed(
        self,
        complaints: ComplaintsClient,
        stop: impl Future<Output = ()>,
    ) {
        kit_events::follow(
            &self.db,
            COMPLAINTS_CONSUMER,
            |after| {
                let mut complaints = complaints.clone();
                async move {
                    let reply = complaints
                        .subscribe(cp::SubscribeRequest {
                            after,
                            ..Default::default()
                        })
                        .await;
                    upstream::events("complaints", reply, |r: cp::SubscribeResponse| r.event)
                }
            },
            |event| self.apply_complaints_event(event),
            stop,
        )
        .await;
    }

    /// Applies one of complaints' events, at most once: only work orders opened from a
    /// survey, and their status changes, change anything here.
    pub async fn apply_complaints_event(&self, event: cp::ComplaintsEvent) -> Result<()> {
        let position = event.position;
        let now = to_micros(self.now());
        match event.kind {
            Some(Kind::WorkOrderOpened(o))
                if o.channel == cp::Channel::Survey as i32 && !o.appointment_id.is_empty() =>
            {
                retry(|| async {
                    let Some(mut tx) =
                        begin_claimed(&self.db, COMPLAINTS_CONSUMER, position, now).await?
                    else {
                        return Ok(());
                    };
                    store::outreach::set_work_order(
                        &mut tx,
                        &o.appointment_id,
                        &o.work_order_id,
                        &o.number,
                        "NEW",
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(())
                })
                .await
            }
            Some(Kind::StatusChanged(c)) => {
                let status = status_name(c.to);
                retry(|| async {
                    let Some(mut tx) =
                        begin_claimed(&self.db, COMPLAINTS_CONSUMER, position, now).await?
                    else {
                        return Ok(());
                    };
                    store::outreach::set_work_order_status(&mut tx, &c.work_order_id, &status)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                })
                .await
            }
            _ => Ok(()),
        }
    }
}
