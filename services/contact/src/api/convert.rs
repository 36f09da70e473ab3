//! Between protobuf messages and the domain's types. Phone numbers and addresses are
//! masked here for every caller that does not call customers.

use hospital_proto::contact as pb;
use service_kit::{
    clock::to_proto,
    edge::{date_out, time_of_day_out},
    phone::mask,
};

pub use crate::app::wire::*;
use crate::{
    app::{CustomerView, DaySheetRow},
    domain::{
        customer::Consent,
        plan::Policy,
        reminder::{Message, Reminder},
        vocab::{Channel, ReminderStatus},
    },
    store::messages::Record,
};

/// An address as the caller may see it: a mobile masked, anything else cut to its first
/// and last characters.
fn address(channel: Channel, value: &str, full: bool) -> String {
    if full {
        return value.to_owned();
    }
    if channel.uses_mobile() {
        return mask(value);
    }
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 4 {
        return "****".into();
    }
    format!(
        "{}****{}",
        chars[..2].iter().collect::<String>(),
        chars[chars.len() - 2..].iter().collect::<String>()
    )
}

fn consent_out(c: &Consent) -> pb::Consent {
    pb::Consent {
        purpose: purpose_out(c.purpose),
        granted: c.granted,
        method: method_out(c.method),
        source: c.source.clone(),
        changed_at: Some(to_proto(c.changed_at)),
    }
}

/// A customer on the wire.
pub fn customer_out(v: &CustomerView) -> pb::Customer {
    let c = &v.customer;
    pb::Customer {
        customer_id: c.id.clone(),
        name: c.name.clone(),
        phone: if v.full {
            c.phone.clone()
        } else {
            mask(&c.phone)
        },
        gender: c.gender.map(gender_out).unwrap_or(0),
        birth_date: c.birth_date.map(date_out),
        home_branch_id: c.home_branch_id.clone(),
        segment: v.segment.map(segment_out).unwrap_or(0),
        national_id_last4: c.national_id_last4.clone(),
        contact_points: c
            .contact_points
            .iter()
            .map(|(ch, a)| pb::ContactPoint {
                channel: channel_out(*ch),
                address: address(*ch, a, v.full),
            })
            .collect(),
        channel_order: c.channel_order.iter().map(|ch| channel_out(*ch)).collect(),
        quiet_hours: Some(pb::QuietHours {
            start: Some(time_of_day_out(c.quiet_hours.start)),
            end: Some(time_of_day_out(c.quiet_hours.end)),
        }),
        do_not_contact: c.do_not_contact,
        consents: c.consents.iter().map(consent_out).collect(),
        needs: c.needs.iter().map(|n| need_out(*n)).collect(),
        notes: c.notes.clone(),
        created_at: Some(to_proto(c.created_at)),
        updated_at: Some(to_proto(c.updated_at)),
        version: c.version,
    }
}

/// A reminder on the wire.
pub fn reminder_out(r: &Reminder, customer_id: &str) -> pb::Reminder {
    pb::Reminder {
        reminder_id: r.id.clone(),
        appointment_id: r.appointment_id.clone(),
        customer_id: customer_id.to_owned(),
        kind: kind_out(r.kind),
        status: reminder_status_out(r.status),
        // A skipped reminder never had an instant ahead of it.
        due_at: (r.status != ReminderStatus::Skipped).then(|| to_proto(r.due_at)),
        sent_at: r.sent_at.map(to_proto),
        channel: r.channel.map(channel_out).unwrap_or(0),
        withdrawn_reason: r.reason.clone(),
    }
}

/// A message on the wire.
pub fn message_out(m: &Message, full: bool) -> pb::Message {
    pb::Message {
        message_id: m.id.clone(),
        reminder_id: m.reminder_id.clone(),
        customer_id: m.customer_id.clone(),
        channel: channel_out(m.channel),
        to: address(m.channel, &m.to, full),
        body: m.body.clone(),
        status: message_status_out(m.status),
        attempts: m.attempts,
        created_at: Some(to_proto(m.created_at)),
        updated_at: Some(to_proto(m.updated_at)),
        detail: m.detail.clone(),
    }
}

/// A contact record on the wire.
pub fn record_out(r: &Record) -> pb::ContactRecord {
    pb::ContactRecord {
        record_id: r.id.clone(),
        at: Some(to_proto(r.at)),
        channel: channel_out(r.channel),
        purpose: purpose_out(r.purpose),
        what: r.what.clone(),
        outcome: r.outcome.clone(),
        message_id: r.message_id.clone(),
        actor: r.actor.clone(),
    }
}

/// A policy on the wire.
pub fn policy_out(brand: &str, p: &Policy, at: Option<jiff::Timestamp>) -> pb::ReminderPolicy {
    pb::ReminderPolicy {
        brand: brand.to_owned(),
        three_days_before_at: Some(time_of_day_out(p.three_days_before)),
        one_day_before_at: Some(time_of_day_out(p.one_day_before)),
        same_day_at: Some(time_of_day_out(p.same_day)),
        updated_at: at.map(to_proto),
    }
}

/// A day-sheet row on the wire.
pub fn row_out(r: &DaySheetRow, full: bool) -> pb::DaySheetRow {
    pb::DaySheetRow {
        appointment_id: r.visit.appointment_id.clone(),
        customer_id: r.visit.customer_id.clone(),
        name: r.name.clone(),
        phone: if full || r.visit.customer_id.is_empty() {
            r.phone.clone()
        } else {
            mask(&r.phone)
        },
        package_name: r.visit.package_name.clone(),
        fasting: r.visit.fasting,
        arrive_from: Some(to_proto(r.visit.starts_at)),
        arrive_by: Some(to_proto(r.visit.ends_at)),
        needs: r.needs.iter().map(|n| need_out(*n)).collect(),
        notes: r.notes.clone(),
        segment: r.segment.to_owned(),
        reminder_delivered: r.delivered,
        reminder_sent: r.sent,
    }
}
