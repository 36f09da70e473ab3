//! Capacity: weekly templates of arrival windows, the slots made from them in the branch's
//! time zone, and which slots suit a package.

use jiff::{
    Timestamp,
    civil::{Date, Time},
};
use service_kit::error::Violations;

use super::{RuleError, branch::Branch, catalogue::Package, check};

/// The longest range slots are generated for in one call.
pub const MAX_GENERATE_DAYS: i64 = 92;
/// The longest range availability is searched over in one call.
pub const MAX_SEARCH_DAYS: i64 = 31;
/// Most customers one arrival window can take.
pub const MAX_WINDOW_CAPACITY: u32 = 10_000;

/// An arrival window of the weekly template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateWindow {
    /// ISO weekday, Monday = 1.
    pub weekday: i8,
    /// Minutes after midnight.
    pub start: u16,
    /// Minutes after midnight.
    pub end: u16,
    /// Customers it takes.
    pub capacity: u32,
}

/// A bookable slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// `slot_…`
    pub id: String,
    /// Branch.
    pub branch_id: String,
    /// Local date.
    pub date: Date,
    /// Local start, minutes after midnight.
    pub start: u16,
    /// Local end, minutes after midnight.
    pub end: u16,
    /// Start instant.
    pub starts_at: Timestamp,
    /// End instant.
    pub ends_at: Timestamp,
    /// Places.
    pub capacity: u32,
    /// Places taken.
    pub booked: u32,
}

impl Slot {
    /// Places left.
    pub fn remaining(&self) -> u32 {
        self.capacity.saturating_sub(self.booked)
    }
}

/// A slot to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPlan {
    /// Local date.
    pub date: Date,
    /// Local start minute.
    pub start: u16,
    /// Local end minute.
    pub end: u16,
    /// Start instant.
    pub starts_at: Timestamp,
    /// End instant.
    pub ends_at: Timestamp,
    /// Places.
    pub capacity: u32,
}

/// Converts minutes after midnight to a time of day.
pub fn minute_to_time(minute: u16) -> Time {
    let minute = minute.min(24 * 60 - 1);
    Time::constant((minute / 60) as i8, (minute % 60) as i8, 0, 0)
}

/// Converts a time of day to minutes after midnight.
pub fn time_to_minute(t: Time) -> u16 {
    t.hour() as u16 * 60 + t.minute() as u16
}

/// Checks a template against the branch's opening hours: windows inside opening hours,
/// not overlapping on a day, each with a capacity.
pub fn validate_template(branch: &Branch, windows: &[TemplateWindow]) -> Result<(), RuleError> {
    let mut v = Violations::new();
    for (i, w) in windows.iter().enumerate() {
        let field = format!("windows[{i}]");
        if !(1..=7).contains(&w.weekday) {
            v.add(format!("{field}.weekday"), "required");
            continue;
        }
        if w.start >= w.end || w.end > 24 * 60 {
            v.add(field.clone(), "start must be before end, within one day");
        }
        if w.capacity == 0 || w.capacity > MAX_WINDOW_CAPACITY {
            v.add(format!("{field}.capacity"), "must be between 1 and 10000");
        }
        match branch.opening_hours.iter().find(|h| h.weekday == w.weekday) {
            None => v.add(format!("{field}.weekday"), "the branch is closed that day"),
            Some(h) if w.start < h.opens || w.end > h.closes => {
                v.add(field.clone(), "must lie within the branch's opening hours")
            }
            Some(_) => {}
        }
        let overlaps = windows[..i]
            .iter()
            .any(|o| o.weekday == w.weekday && o.start < w.end && w.start < o.end);
        if overlaps {
            v.add(field, "overlaps an earlier window on the same day");
        }
    }
    check(v)
}

/// Checks a date range: `from` ≤ `to`, at most `max_days` long.
pub fn validate_range(
    from: Option<Date>,
    to: Option<Date>,
    max_days: i64,
) -> Result<(Date, Date), RuleError> {
    let mut v = Violations::new();
    v.check(from.is_some(), "from", "required, a valid date");
    v.check(to.is_some(), "to", "required, a valid date");
    check(v)?;
    let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
    let days = (to - from).get_days() as i64;
    if to < from || days > max_days {
        return Err(RuleError::Invalid({
            let mut v = Violations::new();
            v.add(
                "to",
                format!("must be on or after from, at most {max_days} days later"),
            );
            v
        }));
    }
    Ok((from, to))
}

/// The slots a template yields for `from..=to`, and how many open days were holidays.
pub fn plan_slots(
    branch: &Branch,
    windows: &[TemplateWindow],
    from: Date,
    to: Date,
) -> (Vec<SlotPlan>, u32) {
    let tz = branch.tz();
    let mut plans = Vec::new();
    let mut holidays = 0;
    let mut date = from;
    while date <= to {
        let weekday = date.weekday().to_monday_one_offset();
        let todays: Vec<_> = windows.iter().filter(|w| w.weekday == weekday).collect();
        if branch.holidays.contains(&date) {
            if !todays.is_empty() {
                holidays += 1;
            }
        } else {
            for w in todays {
                // A wall time in a gap (DST) resolves forward, in a fold to the earlier
                // instant: the "compatible" rule, as people expect.
                let at = |minute| {
                    date.to_datetime(minute_to_time(minute))
                        .to_zoned_datetime(tz.clone())
                        .map(|z| z.timestamp())
                };
                let (Ok(starts_at), Ok(ends_at)) = (at(w.start), at(w.end)) else {
                    continue;
                };
                plans.push(SlotPlan {
                    date,
                    start: w.start,
                    end: w.end,
                    starts_at,
                    ends_at,
                    capacity: w.capacity,
                });
            }
        }
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    (plans, holidays)
}

/// Whether a slot suits a package at a branch: it is still ahead, has room, a fasting
/// package arrives by the fasting cutoff, and the whole package fits before closing.
pub fn slot_suits(branch: &Branch, package: &Package, slot: &Slot, now: Timestamp) -> bool {
    if slot.starts_at <= now || slot.remaining() == 0 {
        return false;
    }
    if package.fasting_required() && slot.start > time_to_minute(branch.fasting_cutoff) {
        return false;
    }
    match branch.hours_on(slot.date) {
        Some(h) => u32::from(slot.start) + package.total_duration_minutes() <= u32::from(h.closes),
        None => false,
    }
}

/// Why a slot cannot be booked for a package, if it cannot.
pub fn check_bookable(
    branch: &Branch,
    package: &Package,
    slot: &Slot,
    now: Timestamp,
) -> Result<(), RuleError> {
    if slot.starts_at <= now {
        return Err(RuleError::Precondition(
            "the slot has already started".into(),
        ));
    }
    if branch.hours_on(slot.date).is_none() {
        return Err(RuleError::Precondition(
            "the branch is closed that day".into(),
        ));
    }
    if package.fasting_required() && slot.start > time_to_minute(branch.fasting_cutoff) {
        return Err(RuleError::Precondition(format!(
            "the package needs fasting: choose a slot starting by {}",
            branch.fasting_cutoff
        )));
    }
    if !slot_suits(
        branch,
        package,
        &Slot {
            booked: 0,
            ..slot.clone()
        },
        now,
    ) {
        return Err(RuleError::Precondition(
            "the package does not fit between the slot and closing time".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        branch::{BranchPatch, OpeningHours, Region, new_branch},
        catalogue::{ExamItem, Package},
    };
    use jiff::civil::date;

    pub(crate) fn branch() -> Branch {
        let hours = (1..=6)
            .map(|d| OpeningHours {
                weekday: d,
                opens: 7 * 60,
                closes: 12 * 60,
            })
            .collect();
        new_branch(
            "br_1".into(),
            "SZ-FT",
            Region {
                province: "guangdong".into(),
                city: "shenzhen".into(),
            },
            BranchPatch {
                name: Some("福田".into()),
                brand: Some("美年".into()),
                opening_hours: Some(hours),
                wait_promise_minutes: Some(30),
                visit_wait_promise_minutes: None,
                ..Default::default()
            },
            Timestamp::UNIX_EPOCH,
        )
        .unwrap()
    }

    fn window(weekday: i8, start: u16, end: u16) -> TemplateWindow {
        TemplateWindow {
            weekday,
            start,
            end,
            capacity: 10,
        }
    }

    fn package(fasting: bool, minutes: u32) -> Package {
        Package {
            id: "pkg_1".into(),
            code: "P".into(),
            name: "P".into(),
            items: vec![ExamItem {
                id: "item_1".into(),
                code: "I".into(),
                name: "I".into(),
                department: "D".into(),
                duration_minutes: minutes,
                fasting_required: fasting,
                order_hint: 0,
                list_price: None,
                created_at: Timestamp::UNIX_EPOCH,
            }],
            currency: "CNY".into(),
            price_minor: 0,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn slots_are_generated_in_the_branch_time_zone_skipping_holidays_and_closed_days() {
        let mut b = branch();
        b.holidays.push(date(2026, 12, 1)); // a Tuesday
        let windows = [
            window(1, 7 * 60, 7 * 60 + 30),
            window(2, 7 * 60, 7 * 60 + 30),
        ];
        // Monday 30 Nov to Sunday 6 Dec.
        let (plans, holidays) = plan_slots(&b, &windows, date(2026, 11, 30), date(2026, 12, 6));
        assert_eq!(holidays, 1);
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].date, date(2026, 11, 30));
        // 07:00 in Shanghai is 23:00 UTC the day before.
        assert_eq!(plans[0].starts_at.to_string(), "2026-11-29T23:00:00Z");
    }

    #[test]
    fn template_windows_must_fit_opening_hours_and_not_overlap() {
        let b = branch();
        assert!(validate_template(&b, &[window(1, 7 * 60, 8 * 60)]).is_ok());
        let bad = [
            window(1, 6 * 60, 8 * 60),
            window(7, 8 * 60, 9 * 60),
            window(2, 8 * 60, 9 * 60),
            window(2, 8 * 60 + 30, 9 * 60 + 30),
        ];
        let Err(RuleError::Invalid(v)) = validate_template(&b, &bad) else {
            panic!()
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["windows[0]", "windows[1].weekday", "windows[3]"]);
    }

    #[test]
    fn fasting_packages_need_a_morning_slot_and_long_ones_need_time_before_closing() {
        let b = branch();
        let slot = |start: u16| Slot {
            id: "s".into(),
            branch_id: "br_1".into(),
            date: date(2026, 11, 30),
            start,
            end: start + 30,
            starts_at: Timestamp::MAX,
            ends_at: Timestamp::MAX,
            capacity: 1,
            booked: 0,
        };
        let now = Timestamp::UNIX_EPOCH;
        assert!(slot_suits(&b, &package(true, 30), &slot(9 * 60), now));
        assert!(!slot_suits(
            &b,
            &package(true, 30),
            &slot(10 * 60 + 30),
            now
        ));
        assert!(slot_suits(
            &b,
            &package(false, 30),
            &slot(10 * 60 + 30),
            now
        ));
        assert!(!slot_suits(
            &b,
            &package(false, 120),
            &slot(10 * 60 + 30),
            now
        ));
        assert!(check_bookable(&b, &package(true, 30), &slot(11 * 60), now).is_err());
    }

    #[test]
    fn ranges_are_bounded() {
        assert!(validate_range(Some(date(2026, 1, 1)), Some(date(2026, 1, 31)), 31).is_ok());
        assert!(validate_range(Some(date(2026, 1, 2)), Some(date(2026, 1, 1)), 31).is_err());
        assert!(validate_range(Some(date(2026, 1, 1)), Some(date(2026, 3, 1)), 31).is_err());
        assert!(validate_range(None, Some(date(2026, 3, 1)), 31).is_err());
    }
}
