//! Between protobuf messages and the domain's types. Enums cross by name
//! (`CHANNEL_HOTLINE` ↔ `Channel::Hotline` stored as `HOTLINE`).

use hospital_proto::{common, complaints as pb};
use jiff::civil::Date;
use service_kit::{clock::to_proto, error::Violations};

use crate::{
    app::{Detail, Figures},
    domain::{
        sla::Policy,
        vocab::{
            Category, Channel, CompensationKind, ContactOutcome, Delivery, Kind, Level, Severity,
            Status,
        },
        work_order::WorkOrder,
    },
    store::{compensations::Compensation, timeline::Entry},
};

macro_rules! enum_conv {
    ($in:ident, $out:ident, $pb:ty, $dom:ty, $prefix:literal) => {
        /// The domain value of a wire enum; `None` for unspecified or unknown values.
        // Not every enum crosses in both directions; the round-trip test uses both.
        #[allow(dead_code)]
        pub fn $in(raw: i32) -> Option<$dom> {
            let name = <$pb>::try_from(raw).ok()?.as_str_name();
            <$dom>::parse(name.strip_prefix($prefix)?)
        }

        /// The wire value of a domain enum.
        #[allow(dead_code)]
        pub fn $out(value: $dom) -> i32 {
            <$pb>::from_str_name(&format!("{}{}", $prefix, value.as_str()))
                .map(|e| e as i32)
                .unwrap_or(0)
        }
    };
}

enum_conv!(channel_in, channel_out, pb::Channel, Channel, "CHANNEL_");
enum_conv!(kind_in, kind_out, pb::Kind, Kind, "KIND_");
enum_conv!(
    category_in,
    category_out,
    pb::Category,
    Category,
    "CATEGORY_"
);
enum_conv!(
    severity_in,
    severity_out,
    pb::Severity,
    Severity,
    "SEVERITY_"
);
enum_conv!(status_in, status_out, pb::Status, Status, "STATUS_");
enum_conv!(level_in, level_out, pb::Level, Level, "LEVEL_");
enum_conv!(
    compensation_kind_in,
    compensation_kind_out,
    pb::CompensationKind,
    CompensationKind,
    "COMPENSATION_KIND_"
);
enum_conv!(
    delivery_in,
    delivery_out,
    pb::DeliveryStatus,
    Delivery,
    "DELIVERY_STATUS_"
);
enum_conv!(
    outcome_in,
    outcome_out,
    pb::ContactOutcome,
    ContactOutcome,
    "CONTACT_OUTCOME_"
);

/// An optional filter: unspecified means "any"; an unknown value is an error.
pub fn filter<T>(
    raw: i32,
    field: &str,
    conv: fn(i32) -> Option<T>,
    v: &mut Violations,
) -> Option<T> {
    if raw == 0 {
        return None;
    }
    let value = conv(raw);
    v.check(value.is_some(), field, "unknown value");
    value
}

/// A calendar date.
pub fn date_in(d: Option<&common::Date>, field: &str, v: &mut Violations) -> Option<Date> {
    let date = d.and_then(|d| {
        Date::new(
            i16::try_from(d.year).ok()?,
            i8::try_from(d.month).ok()?,
            i8::try_from(d.day).ok()?,
        )
        .ok()
    });
    v.check(date.is_some(), field, "a valid date is required");
    date
}

fn branch_ref(wo: &WorkOrder) -> common::BranchRef {
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

/// A work order on the wire: the phone masked, never the digits.
pub fn work_order_out(wo: &WorkOrder, compensations: &[Compensation]) -> pb::WorkOrder {
    let c = &wo.clocks;
    pb::WorkOrder {
        work_order_id: wo.id.clone(),
        number: wo.number(),
        channel: channel_out(wo.channel),
        kind: kind_out(wo.kind),
        category: category_out(wo.category),
        severity: severity_out(wo.severity),
        status: status_out(wo.status),
        level: level_out(wo.level),
        customer: Some(common::CustomerRef {
            customer_id: wo.customer.customer_id.clone(),
            name: wo.customer.name.clone(),
            phone_masked: wo.customer.masked.clone(),
        }),
        branch: Some(branch_ref(wo)),
        appointment_id: wo.appointment_id.clone(),
        staff_ids: wo.staff_ids.clone(),
        summary: wo.summary.clone(),
        description: wo.description.clone(),
        assignee: wo.assignee.clone(),
        sla: Some(pb::Sla {
            acknowledge_due_at: c.ack_due_at.map(to_proto),
            resolve_due_at: c.resolve_due_at.map(to_proto),
            breached: c.breached,
            paused_at: c.paused_at.map(to_proto),
        }),
        resolution: wo.resolution.resolved_at.map(|at| pb::Resolution {
            root_cause: wo.resolution.root_cause.clone(),
            corrective_action: wo.resolution.corrective_action.clone(),
            substantiated: wo.resolution.substantiated,
            resolved_by: wo.resolution.resolved_by.clone(),
            resolved_at: Some(to_proto(at)),
        }),
        satisfaction: u32::from(wo.satisfaction),
        compensations: compensations.iter().map(compensation_out).collect(),
        version: wo.version,
        created_at: Some(to_proto(wo.created_at)),
        updated_at: Some(to_proto(wo.updated_at)),
        acknowledged_at: wo.acknowledged_at.map(to_proto),
        closed_at: wo.closed_at.map(to_proto),
    }
}

/// A work order read with its grants.
pub fn detail_out(d: &Detail) -> pb::WorkOrder {
    work_order_out(&d.work_order, &d.compensations)
}

/// A grant on the wire.
pub fn compensation_out(c: &Compensation) -> pb::Compensation {
    pb::Compensation {
        compensation_id: c.id.clone(),
        kind: compensation_kind_out(c.kind),
        value: Some(common::Money {
            currency_code: c.currency.clone(),
            minor_units: c.value_minor,
        }),
        exam_item_id: c.exam_item_id.clone(),
        authorised_by: c.authorised_by.clone(),
        cost_bearer: c.cost_bearer.clone(),
        note: c.note.clone(),
        delivery: delivery_out(c.delivery),
        delivery_detail: c.delivery_detail.clone(),
        granted_at: Some(to_proto(c.granted_at)),
    }
}

/// A timeline line on the wire.
pub fn entry_out(e: &Entry) -> pb::TimelineEntry {
    pb::TimelineEntry {
        sequence: e.seq,
        at: Some(to_proto(e.at)),
        actor: e.actor.clone(),
        action: e.action.clone(),
        detail: e.detail.clone(),
    }
}

/// A policy on the wire.
pub fn policy_out(p: &Policy, updated_at: jiff::Timestamp) -> pb::SlaPolicy {
    pb::SlaPolicy {
        severity: severity_out(p.severity),
        acknowledge_minutes: p.acknowledge_minutes,
        resolve_minutes: p.resolve_minutes,
        warn_at_percent: p.warn_at_percent,
        updated_at: Some(to_proto(updated_at)),
    }
}

fn counts(map: &std::collections::BTreeMap<String, u64>, prefix: &str) -> Vec<pb::Count> {
    map.iter()
        .map(|(k, n)| pb::Count {
            key: format!("{prefix}{k}"),
            count: *n,
        })
        .collect()
}

/// Figures on the wire.
pub fn figures_out(f: &Figures) -> pb::Figures {
    pb::Figures {
        work_orders: f.work_orders,
        by_kind: counts(&f.by_kind, "KIND_"),
        by_category: counts(&f.by_category, "CATEGORY_"),
        by_status: counts(&f.by_status, "STATUS_"),
        by_level: counts(&f.by_level, "LEVEL_"),
        sla_met_percent: f.sla_met_percent.unwrap_or(0.0),
        median_minutes_to_acknowledge: f.quantiles.ack_p50,
        p90_minutes_to_acknowledge: f.quantiles.ack_p90,
        median_minutes_to_resolve: f.quantiles.resolve_p50,
        p90_minutes_to_resolve: f.quantiles.resolve_p90,
        resolved_in_branch_percent: f.resolved_in_branch_percent.unwrap_or(0.0),
        complaints: f.complaints,
        visits: f.visits,
        complaints_per_10k_visits: f.complaints_per_10k_visits,
        mean_satisfaction: f.mean_satisfaction.unwrap_or(0.0),
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
