//! The events scheduling publishes, written into the outbox inside the caller's
//! transaction.

use hospital_proto::{common, scheduling as pb};
use jiff::Timestamp;
use service_kit::{
    Result,
    events::{NewEvent, append},
};
use sqlx::AnyConnection;

use crate::domain::{
    appointment::{Appointment, CancelReason},
    branch::Branch,
};

pub(crate) use pb::scheduling_event::Kind;

/// The recovery vocabulary on the wire, for replies and events alike.
pub mod wire {
    use hospital_proto::scheduling as pb;
    use service_kit::wire_enum;

    use crate::domain::recovery::{Decision, Delivery, Level, NotGivenReason, Recipient, Trigger};

    wire_enum!(
        trigger_in,
        trigger_out,
        pb::WaitScope,
        Trigger,
        "WAIT_SCOPE_"
    );
    wire_enum!(
        decision_in,
        decision_out,
        pb::RecoveryDecision,
        Decision,
        "RECOVERY_DECISION_"
    );
    wire_enum!(
        reason_in,
        reason_out,
        pb::NotGivenReason,
        NotGivenReason,
        "NOT_GIVEN_REASON_"
    );
    wire_enum!(
        recipient_in,
        recipient_out,
        pb::GiftRecipient,
        Recipient,
        "GIFT_RECIPIENT_"
    );
    wire_enum!(
        delivery_in,
        delivery_out,
        pb::GiftDelivery,
        Delivery,
        "GIFT_DELIVERY_"
    );
    wire_enum!(
        level_in,
        level_out,
        pb::RecoveryLevel,
        Level,
        "RECOVERY_LEVEL_"
    );
}

/// Appends one event about `branch`.
pub(crate) async fn publish(
    conn: &mut AnyConnection,
    branch_id: &str,
    region_path: &str,
    at: Timestamp,
    kind: Kind,
) -> Result<()> {
    append(conn, &new_event(branch_id, region_path, at, kind)).await
}

/// The outbox row for one event about a branch.
pub(crate) fn new_event(branch_id: &str, region_path: &str, at: Timestamp, kind: Kind) -> NewEvent {
    NewEvent::encode(branch_id, region_path, at, |event_id, occurred_at| {
        pb::SchedulingEvent {
            position: 0,
            event_id,
            occurred_at: Some(occurred_at),
            branch_id: branch_id.to_owned(),
            kind: Some(kind),
        }
    })
}

/// Appends an event about an appointment.
pub(crate) async fn publish_for(
    conn: &mut AnyConnection,
    apt: &Appointment,
    at: Timestamp,
    kind: Kind,
) -> Result<()> {
    publish(conn, &apt.branch_id, &apt.region_path, at, kind).await
}

pub(crate) fn branch_ref(b: &Branch) -> common::BranchRef {
    common::BranchRef {
        branch_id: b.id.clone(),
        code: b.code.clone(),
        name: b.name.clone(),
        region: Some(common::RegionPath {
            province: b.region.province.clone(),
            city: b.region.city.clone(),
        }),
    }
}

pub(crate) fn customer_ref(apt: &Appointment) -> common::CustomerRef {
    common::CustomerRef {
        customer_id: apt.customer.customer_id.clone(),
        name: apt.customer.name.clone(),
        phone_masked: apt.customer.phone.masked(),
    }
}

/// A cancellation reason on the wire (events and replies).
pub fn cancel_reason_out(r: CancelReason) -> pb::CancelReason {
    match r {
        CancelReason::CustomerRequest => pb::CancelReason::CustomerRequest,
        CancelReason::BranchRequest => pb::CancelReason::BranchRequest,
        CancelReason::Duplicate => pb::CancelReason::Duplicate,
        CancelReason::Health => pb::CancelReason::Health,
        CancelReason::Other => pb::CancelReason::Other,
    }
}
