//! The gRPC edge's plumbing, the same in every service: replies, the caller, required
//! fields, dates and enums off the wire, region paths, merging the edge's violations with
//! the rules', and serving `Subscribe` for any event type.

use std::pin::Pin;

use hospital_proto::common;
use jiff::civil::Date;
use prost::Message;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

pub use crate::error::merge;
use crate::{
    Result,
    auth::{Principal, is_region_path},
    error::Violations,
    events::Outbox,
};

/// What a handler returns.
pub type Reply<T> = std::result::Result<Response<T>, Status>;

/// A server-streaming reply, as tonic's generated traits name it.
pub type ReplyStream<T> = Pin<Box<dyn Stream<Item = std::result::Result<T, Status>> + Send>>;

/// The caller, as the auth layer verified it.
pub fn principal<T>(req: &Request<T>) -> std::result::Result<Principal, Status> {
    Principal::from_request(req).map_err(Status::from)
}

/// A successful reply.
pub fn ok<T>(value: T) -> Reply<T> {
    Ok(Response::new(value))
}

/// A request with another body that keeps the caller's metadata and principal.
pub fn derive<T, U>(req: Request<T>, f: impl FnOnce(T) -> U) -> Request<U> {
    let (metadata, extensions, inner) = req.into_parts();
    Request::from_parts(metadata, extensions, f(inner))
}

pub use crate::rules::{MAX_ID_LEN, is_id};

const ID_RULE: &str = "at most 128 letters, digits, '_', '-', '.' or ':'";

/// Fails with a field violation unless `value` is an id (see [`is_id`]).
pub fn required(value: &str, field: &str) -> Result<()> {
    let mut v = Violations::new();
    require(&mut v, value, field);
    v.into_result()
}

/// Records a violation unless `value` is an id.
pub fn require(v: &mut Violations, value: &str, field: &str) {
    if value.trim().is_empty() {
        v.add(field, format!("required, {ID_RULE}"));
    } else if !is_id(value) {
        v.add(field, ID_RULE);
    }
}

/// Records a violation unless `value` is empty (not given) or an id.
pub fn optional_id(v: &mut Violations, value: &str, field: &str) {
    if !value.is_empty() && !is_id(value) {
        v.add(field, ID_RULE);
    }
}

/// Records a violation for each of `values` that is not an id, as `field[i]`.
pub fn ids(v: &mut Violations, values: &[String], field: &str) {
    for (i, value) in values.iter().enumerate() {
        require(v, value, &format!("{field}[{i}]"));
    }
}

/// Records a violation unless `path` is empty or a region path (`guangdong`,
/// `guangdong/shenzhen`).
pub fn region_path(v: &mut Violations, path: &str, field: &str) {
    v.check(
        path.is_empty() || is_region_path(path),
        field,
        "a region path such as guangdong or guangdong/shenzhen",
    );
}

/// A date off the wire; `None` when unset or not a real calendar date of years 1 to 9999
/// (year 0 and negative years are refused like month 13).
pub fn date(d: Option<&common::Date>) -> Option<Date> {
    let d = d?;
    if !(1..=9999).contains(&d.year) {
        return None;
    }
    Date::new(
        i16::try_from(d.year).ok()?,
        i8::try_from(d.month).ok()?,
        i8::try_from(d.day).ok()?,
    )
    .ok()
}

/// A required date; a violation under `field` when missing or not a real date.
pub fn required_date(d: Option<&common::Date>, field: &str, v: &mut Violations) -> Option<Date> {
    let parsed = date(d);
    if parsed.is_none() {
        v.add(field, "required, a valid calendar date");
    }
    parsed
}

/// A date for the wire.
pub fn date_out(d: Date) -> common::Date {
    common::Date {
        year: d.year().into(),
        month: d.month().into(),
        day: d.day().into(),
    }
}

/// A local time of day from the wire (hours 0–23, minutes 0–59); `None` with a violation
/// of `field` when it is out of range, `None` alone when it is absent.
pub fn time_of_day(
    t: Option<&common::TimeOfDay>,
    field: &str,
    v: &mut Violations,
) -> Option<jiff::civil::Time> {
    let t = t?;
    let time = (0..24).contains(&t.hours).then_some(()).and_then(|_| {
        jiff::civil::Time::new(t.hours as i8, t.minutes.clamp(-1, 60) as i8, 0, 0).ok()
    });
    v.check(time.is_some(), field, "hours 0-23 and minutes 0-59");
    time
}

/// A local time of day on the wire (whole minutes).
pub fn time_of_day_out(t: jiff::civil::Time) -> common::TimeOfDay {
    common::TimeOfDay {
        hours: i32::from(t.hour()),
        minutes: i32::from(t.minute()),
    }
}

/// An optional enum filter: unspecified (0) means any; a value `conv` does not know is a
/// violation under `field`.
pub fn filter<T>(
    raw: i32,
    field: &str,
    conv: impl FnOnce(i32) -> Option<T>,
    v: &mut Violations,
) -> Option<T> {
    if raw == 0 {
        return None;
    }
    let value = conv(raw);
    v.check(value.is_some(), field, "unknown value");
    value
}

/// `Subscribe` for any event type: the outbox's events after `after`, within the caller's
/// scope (and `branch_id` when given), each decoded as `E`, given its position and wrapped
/// as the RPC's response.
pub fn subscription<E, R>(
    outbox: &std::sync::Arc<Outbox>,
    caller: &Principal,
    after: u64,
    branch_id: String,
    set_position: fn(&mut E, u64),
    respond: fn(E) -> R,
) -> ReplyStream<R>
where
    E: Message + Default + 'static,
    R: Send + 'static,
{
    let stream = outbox
        .subscribe(after, caller.scope.clone(), branch_id)
        .map(move |item| {
            let published = item.map_err(Status::from)?;
            let mut event = E::decode(published.payload.as_slice()).map_err(|e| {
                Status::internal(format!("corrupt event {}: {e}", published.event_id))
            })?;
            set_position(&mut event, published.position);
            Ok(respond(event))
        });
    Box::pin(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_the_edges_violation_of_a_field_and_adds_the_rest() {
        let mut edge = Violations::new();
        edge.add("holidays[0]", "required, a valid calendar date");
        let mut rules = Violations::new();
        rules.add("holidays[0]", "duplicate");
        rules.add("name", "required");
        let Err(crate::Error::InvalidArgument(v)) = merge(edge, rules.into_result()) else {
            panic!("invalid argument expected");
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["holidays[0]", "name"]);
        assert_eq!(v.0[0].description, "required, a valid calendar date");
    }

    #[test]
    fn merge_passes_the_rules_verdict_when_the_edge_found_nothing() {
        let verdict = merge::<()>(
            Violations::new(),
            Err(crate::Error::FailedPrecondition("closed".into())),
        );
        assert!(matches!(verdict, Err(crate::Error::FailedPrecondition(_))));
        assert!(merge(Violations::new(), Ok(())).is_ok());
    }

    #[test]
    fn dates_off_the_wire_must_be_real() {
        let d = |year, month, day| common::Date { year, month, day };
        assert!(date(Some(&d(2026, 2, 28))).is_some());
        assert!(date(Some(&d(2026, 2, 29))).is_none());
        assert!(date(Some(&d(2026, 13, 1))).is_none());
        assert!(date(Some(&d(0, 1, 1))).is_none());
        assert!(date(Some(&d(-2026, 1, 1))).is_none());
        assert!(date(None).is_none());
        let mut v = Violations::new();
        assert!(required_date(None, "from", &mut v).is_none());
        assert_eq!(v.0[0].field, "from");
    }

    #[test]
    fn ids_are_required_and_printable() {
        assert!(required("apt_1", "appointment_id").is_ok());
        assert!(required(" ", "appointment_id").is_err());
        assert!(required("a\0b", "appointment_id").is_err());
        assert!(required("apt 1", "appointment_id").is_err());
        assert!(required("预约", "appointment_id").is_err());
        let mut v = Violations::new();
        optional_id(&mut v, "", "branch_id");
        assert!(v.is_empty());
        ids(&mut v, &["staff-nurse-7".into(), "x/y".into()], "staff_ids");
        assert_eq!(v.0[0].field, "staff_ids[1]");
        assert!(required(&"x".repeat(129), "appointment_id").is_err());
    }

    #[test]
    fn unspecified_filters_mean_any_and_unknown_ones_are_refused() {
        let mut v = Violations::new();
        assert_eq!(filter(0, "status", |_| Some(1), &mut v), None);
        assert!(v.is_empty());
        assert_eq!(filter(9, "status", |_| None::<u8>, &mut v), None);
        assert_eq!(v.0[0].field, "status");
    }
}
