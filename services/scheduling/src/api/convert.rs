//! Protobuf ↔ domain, at the edge. Incoming messages fail with a field-level
//! `INVALID_ARGUMENT`; outgoing ones never carry a phone number unmasked.

use hospital_proto::{common, scheduling as pb};
use jiff::civil::{Date, Time};
use service_kit::{
    Error, Result,
    clock::to_proto,
    edge::{date_out, required_date},
    error::Violations,
};

use crate::{
    app::{AddComplimentary, Visit, cancel_reason_out},
    domain::{
        appointment::{Appointment, CancelReason, Change, Status},
        branch::{Branch, OpeningHours},
        calendar::{Slot, TemplateWindow, minute_to_time, time_to_minute},
        catalogue::{ExamItem, Package},
        complimentary::ComplimentaryItem,
        visit::{EntryStatus, QueueEntry},
    },
};

/// Minutes after midnight from a time of day; 24:00 is allowed as an end.
pub fn minute(t: Option<&common::TimeOfDay>, field: &str, v: &mut Violations) -> u16 {
    match t {
        Some(t) if (0..24).contains(&t.hours) && (0..60).contains(&t.minutes) => {
            (t.hours * 60 + t.minutes) as u16
        }
        Some(t) if t.hours == 24 && t.minutes == 0 => 24 * 60,
        _ => {
            v.add(field, "required, hours 0-23 and minutes 0-59");
            0
        }
    }
}

pub fn time_out_minute(m: u16) -> common::TimeOfDay {
    common::TimeOfDay {
        hours: i32::from(m / 60),
        minutes: i32::from(m % 60),
    }
}

pub fn time_out(t: Time) -> common::TimeOfDay {
    time_out_minute(time_to_minute(t))
}

pub fn time_in(t: Option<&common::TimeOfDay>, field: &str, v: &mut Violations) -> Option<Time> {
    t?;
    let m = minute(t, field, v);
    Some(minute_to_time(m))
}

fn weekday(w: i32, field: &str, v: &mut Violations) -> i8 {
    match common::Weekday::try_from(w) {
        Ok(common::Weekday::Unspecified) | Err(_) => {
            v.add(field, "required, MONDAY to SUNDAY");
            0
        }
        Ok(day) => day as i8,
    }
}

/// Opening hours; an unset weekday is left for the domain to report.
pub fn opening_hours(
    hours: &[pb::OpeningHours],
    prefix: &str,
    v: &mut Violations,
) -> Vec<OpeningHours> {
    hours
        .iter()
        .enumerate()
        .map(|(i, h)| OpeningHours {
            weekday: i8::try_from(h.weekday).unwrap_or(0),
            opens: minute(h.opens.as_ref(), &format!("{prefix}[{i}].opens"), v),
            closes: minute(h.closes.as_ref(), &format!("{prefix}[{i}].closes"), v),
        })
        .collect()
}

pub fn holidays(dates: &[common::Date], prefix: &str, v: &mut Violations) -> Vec<Date> {
    dates
        .iter()
        .enumerate()
        .filter_map(|(i, d)| required_date(Some(d), &format!("{prefix}[{i}]"), v))
        .collect()
}

pub fn windows(windows: &[pb::TemplateWindow]) -> Result<Vec<TemplateWindow>> {
    let mut v = Violations::new();
    let out = windows
        .iter()
        .enumerate()
        .map(|(i, w)| TemplateWindow {
            weekday: weekday(w.weekday, &format!("windows[{i}].weekday"), &mut v),
            start: minute(w.start.as_ref(), &format!("windows[{i}].start"), &mut v),
            end: minute(w.end.as_ref(), &format!("windows[{i}].end"), &mut v),
            capacity: w.capacity,
        })
        .collect();
    v.into_result()?;
    Ok(out)
}

pub fn windows_out(windows: &[TemplateWindow]) -> Vec<pb::TemplateWindow> {
    windows
        .iter()
        .map(|w| pb::TemplateWindow {
            weekday: i32::from(w.weekday),
            start: Some(time_out_minute(w.start)),
            end: Some(time_out_minute(w.end)),
            capacity: w.capacity,
        })
        .collect()
}

pub fn branch_out(b: &Branch) -> pb::Branch {
    pb::Branch {
        branch_id: b.id.clone(),
        code: b.code.clone(),
        name: b.name.clone(),
        brand: b.brand.clone(),
        region: Some(common::RegionPath {
            province: b.region.province.clone(),
            city: b.region.city.clone(),
        }),
        time_zone: b.time_zone.clone(),
        opening_hours: b
            .opening_hours
            .iter()
            .map(|h| pb::OpeningHours {
                weekday: i32::from(h.weekday),
                opens: Some(time_out_minute(h.opens)),
                closes: Some(time_out_minute(h.closes)),
            })
            .collect(),
        holidays: b.holidays.iter().copied().map(date_out).collect(),
        wait_promise_minutes: b.wait_promise_minutes,
        visit_wait_promise_minutes: b.visit_wait_promise_minutes,
        address: b.address.clone(),
        fasting_arrival_cutoff: Some(time_out(b.fasting_cutoff)),
        version: b.version,
        created_at: Some(to_proto(b.created_at)),
        updated_at: Some(to_proto(b.updated_at)),
    }
}

pub fn item_out(i: &ExamItem) -> pb::ExamItem {
    pb::ExamItem {
        exam_item_id: i.id.clone(),
        code: i.code.clone(),
        name: i.name.clone(),
        department: i.department.clone(),
        duration_minutes: i.duration_minutes,
        fasting_required: i.fasting_required,
        order_hint: i.order_hint,
        created_at: Some(to_proto(i.created_at)),
        list_price: i
            .list_price
            .as_ref()
            .map(|p| hospital_proto::common::Money {
                currency_code: p.currency.clone(),
                minor_units: p.minor,
            }),
    }
}

pub fn package_out(p: &Package) -> pb::Package {
    pb::Package {
        package_id: p.id.clone(),
        code: p.code.clone(),
        name: p.name.clone(),
        items: p.items.iter().map(item_out).collect(),
        fasting_required: p.fasting_required(),
        total_duration_minutes: p.total_duration_minutes(),
        price: Some(common::Money {
            currency_code: p.currency.clone(),
            minor_units: p.price_minor,
        }),
        created_at: Some(to_proto(p.created_at)),
    }
}

pub fn slot_out(s: &Slot) -> pb::Slot {
    pb::Slot {
        slot_id: s.id.clone(),
        branch_id: s.branch_id.clone(),
        date: Some(date_out(s.date)),
        start: Some(time_out_minute(s.start)),
        end: Some(time_out_minute(s.end)),
        starts_at: Some(to_proto(s.starts_at)),
        ends_at: Some(to_proto(s.ends_at)),
        capacity: s.capacity,
        booked: s.booked,
        remaining: s.remaining(),
    }
}

pub fn status_out(s: Status) -> pb::AppointmentStatus {
    match s {
        Status::Booked => pb::AppointmentStatus::Booked,
        Status::CheckedIn => pb::AppointmentStatus::CheckedIn,
        Status::Completed => pb::AppointmentStatus::Completed,
        Status::Cancelled => pb::AppointmentStatus::Cancelled,
        Status::NoShow => pb::AppointmentStatus::NoShow,
    }
}

/// A status filter: unspecified means any.
pub fn status_filter(s: i32) -> Result<Option<Status>> {
    Ok(match pb::AppointmentStatus::try_from(s) {
        Ok(pb::AppointmentStatus::Unspecified) => None,
        Ok(pb::AppointmentStatus::Booked) => Some(Status::Booked),
        Ok(pb::AppointmentStatus::CheckedIn) => Some(Status::CheckedIn),
        Ok(pb::AppointmentStatus::Completed) => Some(Status::Completed),
        Ok(pb::AppointmentStatus::Cancelled) => Some(Status::Cancelled),
        Ok(pb::AppointmentStatus::NoShow) => Some(Status::NoShow),
        Err(_) => return Err(Error::invalid("status", "unknown status")),
    })
}

pub fn cancel_reason(r: i32) -> Result<CancelReason> {
    Ok(match pb::CancelReason::try_from(r) {
        Ok(pb::CancelReason::CustomerRequest) => CancelReason::CustomerRequest,
        Ok(pb::CancelReason::BranchRequest) => CancelReason::BranchRequest,
        Ok(pb::CancelReason::Duplicate) => CancelReason::Duplicate,
        Ok(pb::CancelReason::Health) => CancelReason::Health,
        Ok(pb::CancelReason::Other) => CancelReason::Other,
        Ok(pb::CancelReason::Unspecified) | Err(_) => {
            return Err(Error::invalid("reason", "required"));
        }
    })
}

pub fn customer_out(a: &Appointment) -> common::CustomerRef {
    common::CustomerRef {
        customer_id: a.customer.customer_id.clone(),
        name: a.customer.name.clone(),
        phone_masked: a.customer.phone.masked(),
    }
}

pub fn appointment_out(a: &Appointment) -> pb::Appointment {
    pb::Appointment {
        appointment_id: a.id.clone(),
        branch_id: a.branch_id.clone(),
        slot: Some(slot_out(&a.slot)),
        package_id: a.package_id.clone(),
        customer: Some(customer_out(a)),
        status: status_out(a.status) as i32,
        cancel_reason: a
            .cancel_reason
            .map_or(pb::CancelReason::Unspecified, cancel_reason_out) as i32,
        cancel_note: a.cancel_note.clone(),
        version: a.version,
        created_at: Some(to_proto(a.created_at)),
        updated_at: Some(to_proto(a.updated_at)),
        complimentary_items: Vec::new(),
    }
}

/// An appointment with its complimentary items (GetAppointment, AddComplimentaryItem).
pub fn appointment_detail_out(a: &Appointment, items: &[ComplimentaryItem]) -> pb::Appointment {
    pb::Appointment {
        complimentary_items: items.iter().map(complimentary_out).collect(),
        ..appointment_out(a)
    }
}

pub fn grant_in(r: pb::AddComplimentaryItemRequest) -> AddComplimentary {
    AddComplimentary {
        request_id: r.request_id,
        appointment_id: r.appointment_id,
        exam_item_id: r.exam_item_id,
        authorised_by: r.authorised_by,
        cost_bearer: r.cost_bearer,
        reference: r.reference,
    }
}

pub fn complimentary_out(c: &ComplimentaryItem) -> pb::ComplimentaryItem {
    pb::ComplimentaryItem {
        request_id: c.request_id.clone(),
        exam_item_id: c.exam_item_id.clone(),
        exam_item_name: c.exam_item_name.clone(),
        authorised_by: c.authorised_by.clone(),
        cost_bearer: c.cost_bearer.to_string(),
        reference: c.reference.clone(),
        added_at: Some(to_proto(c.added_at)),
    }
}

pub fn change_out(c: &Change) -> pb::AppointmentChange {
    pb::AppointmentChange {
        at: Some(to_proto(c.at)),
        actor: c.actor.clone(),
        action: c.action.clone(),
        detail: c.detail.clone(),
    }
}

fn entry_status_out(s: EntryStatus) -> pb::QueueEntryStatus {
    match s {
        EntryStatus::Pending => pb::QueueEntryStatus::Pending,
        EntryStatus::Waiting => pb::QueueEntryStatus::Waiting,
        EntryStatus::Called => pb::QueueEntryStatus::Called,
        EntryStatus::InProgress => pb::QueueEntryStatus::InProgress,
        EntryStatus::Done => pb::QueueEntryStatus::Done,
    }
}

pub fn entry_out(e: &QueueEntry, now: jiff::Timestamp) -> pb::QueueEntry {
    pb::QueueEntry {
        entry_id: e.id.clone(),
        appointment_id: e.appointment_id.clone(),
        exam_item_id: e.exam_item_id.clone(),
        exam_item_name: e.exam_item_name.clone(),
        department: e.department.clone(),
        fasting_required: e.fasting_required,
        status: entry_status_out(e.status) as i32,
        route_position: e.route_position,
        waiting_since: e.waiting_since.map(to_proto),
        called_at: e.called_at.map(to_proto),
        started_at: e.started_at.map(to_proto),
        completed_at: e.completed_at.map(to_proto),
        waited_minutes: e.waited_minutes(now),
        wait_promise_breached: e.breached_at.is_some(),
        complimentary: e.complimentary,
    }
}

pub fn visit_out(v: &Visit, now: jiff::Timestamp) -> pb::Visit {
    pb::Visit {
        appointment_id: v.appointment.id.clone(),
        branch_id: v.appointment.branch_id.clone(),
        customer: Some(customer_out(&v.appointment)),
        checked_in_at: v.appointment.checked_in_at.map(to_proto),
        entries: v.entries.iter().map(|e| entry_out(e, now)).collect(),
        completed: v.appointment.status == Status::Completed,
    }
}
