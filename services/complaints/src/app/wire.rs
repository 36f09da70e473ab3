//! The complaints vocabulary on the wire: each domain enum crosses by name
//! (`CHANNEL_HOTLINE` ↔ `Channel::Hotline`, stored as `HOTLINE`), for replies and events
//! alike.

use hospital_proto::complaints as pb;
use service_kit::wire_enum;

use crate::domain::{
    sla::Deadline,
    vocab::{
        Category, Channel, CompensationKind, ContactOutcome, Delivery, Kind, Level, Severity,
        Status,
    },
};

wire_enum!(channel_in, channel_out, pb::Channel, Channel, "CHANNEL_");
wire_enum!(kind_in, kind_out, pb::Kind, Kind, "KIND_");
wire_enum!(
    category_in,
    category_out,
    pb::Category,
    Category,
    "CATEGORY_"
);
wire_enum!(
    severity_in,
    severity_out,
    pb::Severity,
    Severity,
    "SEVERITY_"
);
wire_enum!(status_in, status_out, pb::Status, Status, "STATUS_");
wire_enum!(level_in, level_out, pb::Level, Level, "LEVEL_");
wire_enum!(
    compensation_kind_in,
    compensation_kind_out,
    pb::CompensationKind,
    CompensationKind,
    "COMPENSATION_KIND_"
);
wire_enum!(
    delivery_in,
    delivery_out,
    pb::DeliveryStatus,
    Delivery,
    "DELIVERY_STATUS_"
);
wire_enum!(
    outcome_in,
    outcome_out,
    pb::ContactOutcome,
    ContactOutcome,
    "CONTACT_OUTCOME_"
);

/// Which deadline an SLA event is about.
pub fn deadline_out(d: Deadline) -> i32 {
    match d {
        Deadline::Acknowledge => pb::Deadline::Acknowledge as i32,
        Deadline::Resolve => pb::Deadline::Resolve as i32,
    }
}

/// Why a work order moved up a level because a deadline passed.
pub fn deadline_escalation(d: Deadline) -> pb::EscalationReason {
    match d {
        Deadline::Acknowledge => pb::EscalationReason::AcknowledgeDeadline,
        Deadline::Resolve => pb::EscalationReason::ResolveDeadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_value_has_a_domain_twin() {
        for c in Channel::ALL {
            assert_eq!(channel_in(channel_out(*c)), Some(*c));
        }
        for s in Status::ALL {
            assert_eq!(status_in(status_out(*s)), Some(*s));
        }
        for l in Level::ALL {
            assert_eq!(level_in(level_out(*l)), Some(*l));
        }
        for k in CompensationKind::ALL {
            assert_eq!(compensation_kind_in(compensation_kind_out(*k)), Some(*k));
        }
        for d in Delivery::ALL {
            assert_eq!(delivery_in(delivery_out(*d)), Some(*d));
        }
        for o in ContactOutcome::ALL {
            assert_eq!(outcome_in(outcome_out(*o)), Some(*o));
        }
        for c in Category::ALL {
            assert_eq!(category_in(category_out(*c)), Some(*c));
        }
        for k in Kind::ALL {
            assert_eq!(kind_in(kind_out(*k)), Some(*k));
        }
        for s in Severity::ALL {
            assert_eq!(severity_in(severity_out(*s)), Some(*s));
        }
        assert_eq!(channel_in(0), None);
        assert_eq!(channel_in(99), None);
    }
}
