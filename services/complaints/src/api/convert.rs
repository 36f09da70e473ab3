//! Between protobuf messages and the domain's types. Enums cross by name
//! (`CHANNEL_HOTLINE` ↔ `Channel::Hotline` stored as `HOTLINE`).

use hospital_proto::{common, complaints as pb};
use service_kit::clock::to_proto;

pub use crate::app::wire::*;
use crate::{
    app::{Detail, Figures},
    domain::recovery_figures::{CostLine, RecoveryFigures},
    domain::{recovery::Compensation, sla::Policy, timeline::Entry, work_order::WorkOrder},
};

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

fn cost_lines(lines: &[CostLine]) -> Vec<pb::CostLine> {
    lines
        .iter()
        .map(|l| pb::CostLine {
            key: l.key.clone(),
            gifts: l.gifts,
            total: Some(common::Money {
                currency_code: l.currency.clone(),
                minor_units: l.total_minor,
            }),
        })
        .collect()
}

/// Recovery figures on the wire.
pub fn recovery_figures_out(f: &RecoveryFigures) -> pb::RecoveryFigures {
    pb::RecoveryFigures {
        exam_item_breaches: f.exam_item_breaches,
        whole_visit_breaches: f.whole_visit_breaches,
        cases: f.cases,
        gifts_during_wait: f.gifts_during_wait,
        vouchers: f.vouchers,
        declined_by_customer: f.declined_by_customer,
        not_given_by_reason: counts(&f.not_given_by_reason, "NOT_GIVEN_REASON_"),
        decided_late: f.decided_late,
        overdue_undecided: f.overdue_undecided,
        median_minutes_to_decision: f.median_minutes_to_decision,
        cost_by_branch: cost_lines(&f.cost_by_branch),
        cost_by_decider: cost_lines(&f.cost_by_decider),
        cost_by_bearer: cost_lines(&f.cost_by_bearer),
    }
}
