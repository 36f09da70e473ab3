//! When a visit's reminders go out: three days before, the day before and on the day, each
//! at the policy's local time in the branch's time zone, never inside the customer's quiet
//! hours, never after the visit has started, never in the past. Instants are computed
//! from civil times in the zone (DST-aware), never by shifting an instant by hours.

use jiff::{
    Timestamp, ToSpan,
    civil::{Date, Time},
    tz::TimeZone,
};

use super::vocab::ReminderKind;

/// The local times of the three reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Three days before.
    pub three_days_before: Time,
    /// The day before.
    pub one_day_before: Time,
    /// On the day.
    pub same_day: Time,
}

impl Default for Policy {
    /// 10:00 three days and one day before, 07:00 on the day.
    fn default() -> Self {
        Policy {
            three_days_before: Time::constant(10, 0, 0, 0),
            one_day_before: Time::constant(10, 0, 0, 0),
            same_day: Time::constant(7, 0, 0, 0),
        }
    }
}

impl Policy {
    /// The local time of `kind`.
    pub fn at(&self, kind: ReminderKind) -> Time {
        match kind {
            ReminderKind::ThreeDaysBefore => self.three_days_before,
            ReminderKind::OneDayBefore => self.one_day_before,
            ReminderKind::SameDay => self.same_day,
        }
    }
}

/// The hours in which nobody is contacted, `start` to `end` local, across midnight when
/// `start` is after `end`; none when they are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Begins.
    pub start: Time,
    /// Ends.
    pub end: Time,
}

impl Default for QuietHours {
    /// 21:00 to 08:00.
    fn default() -> Self {
        QuietHours {
            start: Time::constant(21, 0, 0, 0),
            end: Time::constant(8, 0, 0, 0),
        }
    }
}

impl QuietHours {
    /// Whether local time `t` is quiet.
    pub fn contains(&self, t: Time) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => self.start <= t && t < self.end,
            std::cmp::Ordering::Greater => t >= self.start || t < self.end,
        }
    }
}

/// A reminder's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planned {
    /// Send at this instant.
    At(Timestamp),
    /// Its moment has passed (booked or moved inside its window), or it would fall after
    /// the visit starts.
    Skipped,
}

/// `date` at `time` in `tz`, as an instant; a time in a DST gap moves forward, as the
/// zone's clocks do.
fn instant(date: Date, time: Time, tz: &TimeZone) -> Timestamp {
    date.to_datetime(time)
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// When reminder `kind` of a visit starting at `visit` goes out.
pub fn plan(
    kind: ReminderKind,
    visit: Timestamp,
    tz: &TimeZone,
    policy: &Policy,
    quiet: &QuietHours,
    now: Timestamp,
) -> Planned {
    let visit_day = visit.to_zoned_datetime(tz.clone()).date();
    let Ok(day) = visit_day.checked_sub(kind.days_before().days()) else {
        return Planned::Skipped;
    };
    let mut at = instant(day, policy.at(kind), tz);
    let local = at.to_zoned_datetime(tz.clone());
    if quiet.contains(local.time()) {
        // To the end of the quiet hours: the same local day when before the end, else the
        // next day.
        let end_day = if local.time() < quiet.end {
            local.date()
        } else {
            local.date().tomorrow().unwrap_or(local.date())
        };
        let after = instant(end_day, quiet.end, tz);
        at = if after < visit {
            after
        } else {
            // That is too late: the last minute before the quiet hours began.
            let start_day = if local.time() >= quiet.start {
                local.date()
            } else {
                local.date().yesterday().unwrap_or(local.date())
            };
            instant(start_day, quiet.start, tz) - 1.minute()
        };
    }
    if at <= now || at >= visit {
        Planned::Skipped
    } else {
        Planned::At(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").unwrap()
    }

    fn at(s: &str, tz: &TimeZone) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned_datetime(tz.clone())
            .unwrap()
            .timestamp()
    }

    fn local(t: Planned, tz: &TimeZone) -> String {
        match t {
            Planned::At(t) => t.to_zoned_datetime(tz.clone()).datetime().to_string(),
            Planned::Skipped => "skipped".into(),
        }
    }

    fn all(visit: &str, now: &str, quiet: QuietHours, tz: &TimeZone) -> Vec<String> {
        let visit = at(visit, tz);
        let now = at(now, tz);
        ReminderKind::ALL
            .iter()
            .map(|k| local(plan(*k, visit, tz, &Policy::default(), &quiet, now), tz))
            .collect()
    }

    #[test]
    fn three_days_one_day_and_the_day_at_the_policys_local_times() {
        let tz = shanghai();
        assert_eq!(
            all(
                "2026-12-10T08:30",
                "2026-12-01T09:00",
                QuietHours::default(),
                &tz
            ),
            [
                "2026-12-07T10:00:00",
                "2026-12-09T10:00:00",
                // 07:00 is quiet until 08:00, and 08:00 is before the 08:30 visit.
                "2026-12-10T08:00:00",
            ]
        );
    }

    #[test]
    fn a_quiet_morning_before_an_early_visit_moves_to_the_evening_before() {
        let tz = shanghai();
        // The visit starts at 07:30: the end of the quiet hours (08:00) is too late, so the
        // same-day reminder goes at 20:59 the evening before.
        assert_eq!(
            all(
                "2026-12-10T07:30",
                "2026-12-01T09:00",
                QuietHours::default(),
                &tz
            )[2],
            "2026-12-09T20:59:00"
        );
        // Quiet hours that end later push the day-before reminder to their end.
        let late = QuietHours {
            start: Time::constant(20, 0, 0, 0),
            end: Time::constant(11, 0, 0, 0),
        };
        let got = all("2026-12-10T14:00", "2026-12-01T09:00", late, &tz);
        assert_eq!(got[1], "2026-12-09T11:00:00");
        assert_eq!(got[2], "2026-12-10T11:00:00");
        // No quiet hours at all.
        let none = QuietHours {
            start: Time::constant(0, 0, 0, 0),
            end: Time::constant(0, 0, 0, 0),
        };
        assert_eq!(
            all("2026-12-10T08:30", "2026-12-01T09:00", none, &tz)[2],
            "2026-12-10T07:00:00"
        );
    }

    #[test]
    fn booked_inside_a_window_only_the_reminders_still_ahead() {
        let tz = shanghai();
        let q = QuietHours::default();
        // Two days ahead: no three-day reminder.
        assert_eq!(
            all("2026-12-10T08:30", "2026-12-08T09:00", q, &tz),
            ["skipped", "2026-12-09T10:00:00", "2026-12-10T08:00:00"]
        );
        // The same morning, before the reminder: only that one.
        assert_eq!(
            all("2026-12-10T14:00", "2026-12-10T07:30", q, &tz),
            ["skipped", "skipped", "2026-12-10T08:00:00"]
        );
        // The same morning, after it: none.
        assert_eq!(
            all("2026-12-10T14:00", "2026-12-10T09:00", q, &tz),
            ["skipped", "skipped", "skipped"]
        );
    }

    #[test]
    fn local_times_hold_across_a_daylight_saving_change() {
        // New York moves its clocks forward on 2026-03-08: the three-day reminder (before
        // the change) and the day-before one (after it) are both at 10:00 local, 23 hours
        // of difference apart from whole days, not shifted by an hour.
        let tz = TimeZone::get("America/New_York").unwrap();
        let got = all(
            "2026-03-10T09:00",
            "2026-03-01T09:00",
            QuietHours::default(),
            &tz,
        );
        assert_eq!(got[0], "2026-03-07T10:00:00");
        assert_eq!(got[1], "2026-03-09T10:00:00");
        let visit = at("2026-03-10T09:00", &tz);
        let Planned::At(three) = plan(
            ReminderKind::ThreeDaysBefore,
            visit,
            &tz,
            &Policy::default(),
            &QuietHours::default(),
            at("2026-03-01T09:00", &tz),
        ) else {
            panic!("skipped")
        };
        assert_eq!(three.to_string(), "2026-03-07T15:00:00Z");
        let Planned::At(one) = plan(
            ReminderKind::OneDayBefore,
            visit,
            &tz,
            &Policy::default(),
            &QuietHours::default(),
            at("2026-03-01T09:00", &tz),
        ) else {
            panic!("skipped")
        };
        assert_eq!(one.to_string(), "2026-03-09T14:00:00Z");
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        let q = QuietHours::default();
        assert!(q.contains(Time::constant(23, 0, 0, 0)));
        assert!(q.contains(Time::constant(7, 59, 0, 0)));
        assert!(!q.contains(Time::constant(8, 0, 0, 0)));
        assert!(!q.contains(Time::constant(20, 59, 0, 0)));
    }
}
