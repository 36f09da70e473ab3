//! The events complaints publishes, written into the outbox inside the caller's
//! transaction.

use hospital_proto::{common, complaints as pb};
use jiff::Timestamp;
use service_kit::{
    Result,
    events::{NewEvent, append},
};
use sqlx::AnyConnection;

use super::wire;
use crate::domain::work_order::WorkOrder;

pub(crate) use pb::complaints_event::Kind;

/// Appends one event about `wo`.
pub(crate) async fn publish(
    conn: &mut AnyConnection,
    wo: &WorkOrder,
    at: Timestamp,
    kind: Kind,
) -> Result<()> {
    let branch_id = &wo.branch.id;
    let row = NewEvent::encode(
        branch_id,
        &wo.branch.region_path(),
        at,
        |event_id, occurred_at| pb::ComplaintsEvent {
            position: 0,
            event_id,
            occurred_at: Some(occurred_at),
            branch_id: branch_id.clone(),
            kind: Some(kind),
        },
    );
    append(conn, &row).await
}

pub(crate) fn branch_ref(wo: &WorkOrder) -> common::BranchRef {
    common::BranchRef {
        branch_id: wo.branch.id.clone(),
        code: wo.branch.code.clone(),
        name: wo.branch.name.clone(),
        region: Some(common::RegionPath {
            province: wo.branch.province.clone(),
            city: wo.branch.city.clone(),
        }),
    }
}

pub(crate) fn customer_ref(wo: &WorkOrder) -> common::CustomerRef {
    common::CustomerRef {
        customer_id: wo.customer.customer_id.clone(),
        name: wo.customer.name.clone(),
        phone_masked: wo.customer.masked.clone(),
    }
}

pub(crate) fn opened(wo: &WorkOrder) -> Kind {
    Kind::WorkOrderOpened(pb::WorkOrderOpened {
        work_order_id: wo.id.clone(),
        number: wo.number(),
        kind: wire::kind_out(wo.kind),
        category: wire::category_out(wo.category),
        severity: wire::severity_out(wo.severity),
        channel: wire::channel_out(wo.channel),
        branch: Some(branch_ref(wo)),
        customer: Some(customer_ref(wo)),
        appointment_id: wo.appointment_id.clone(),
    })
}
