//! A branch's business calendar — opening hours per weekday, holidays, time zone — and
//! arithmetic in business minutes, which is what SLA deadlines are counted in.

use std::collections::BTreeSet;

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, Time},
    tz::TimeZone,
};

/// How far ahead a deadline is searched for; a calendar with no opening day in this span
/// is treated as always open rather than never reaching its deadline.
const HORIZON_DAYS: i32 = 400;

/// One day's opening, in local minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    /// Opens.
    pub open: u16,
    /// Closes (after `open`).
    pub close: u16,
}

/// When a branch works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// IANA zone name.
    pub time_zone: String,
    /// Index 0 = Monday … 6 = Sunday; `None` = closed.
    pub week: [Option<Hours>; 7],
    /// Closed dates.
    pub holidays: BTreeSet<Date>,
}

impl Calendar {
    /// Open every day around the clock in `time_zone` (a branch that gave no hours).
    pub fn always_open(time_zone: &str) -> Self {
        Calendar {
            time_zone: time_zone.to_owned(),
            week: [Some(Hours {
                open: 0,
                close: 24 * 60,
            }); 7],
            holidays: BTreeSet::new(),
        }
    }

    /// The zone, Asia/Shanghai when the name is unknown.
    pub fn tz(&self) -> TimeZone {
        TimeZone::get(&self.time_zone)
            .or_else(|_| TimeZone::get("Asia/Shanghai"))
            .unwrap_or(TimeZone::UTC)
    }

    fn is_never_open(&self) -> bool {
        self.week.iter().all(Option::is_none)
    }

    /// The open interval of `date` as instants, `None` on closed days.
    fn window(&self, tz: &TimeZone, date: Date) -> Option<(Timestamp, Timestamp)> {
        if self.holidays.contains(&date) {
            return None;
        }
        let hours = self.week[usize::from(date.weekday().to_monday_zero_offset() as u8)]?;
        let at = |minute: u16| {
            let time = if minute >= 24 * 60 {
                return date
                    .tomorrow()
                    .ok()?
                    .to_datetime(Time::midnight())
                    .to_zoned_datetime(tz.clone())
                    .ok()
                    .map(|z| z.timestamp());
            } else {
                Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?
            };
            date.to_datetime(time)
                .to_zoned_datetime(tz.clone())
                .ok()
                .map(|z| z.timestamp())
        };
        Some((at(hours.open)?, at(hours.close)?))
    }

    /// The instant `minutes` business minutes after `start`. Time outside opening hours
    /// does not count; a deadline that falls on a closing time stays there.
    pub fn add(&self, start: Timestamp, minutes: i64) -> Timestamp {
        if self.is_never_open() {
            return start + SignedDuration::from_mins(minutes);
        }
        let tz = self.tz();
        let mut left = SignedDuration::from_mins(minutes.max(0));
        let mut date = start.to_zoned_datetime(tz.clone()).date();
        for _ in 0..HORIZON_DAYS {
            if let Some((open, close)) = self.window(&tz, date) {
                let from = open.max(start);
                if from < close {
                    let available = close.duration_since(from);
                    if left <= available {
                        return from + left;
                    }
                    left -= available;
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        start + SignedDuration::from_mins(minutes)
    }

    /// Business minutes from `from` to `to` (0 when `to` is not later), rounded down.
    pub fn minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        if self.is_never_open() {
            return to.duration_since(from).as_mins();
        }
        let tz = self.tz();
        let mut total = SignedDuration::ZERO;
        let mut date = from.to_zoned_datetime(tz.clone()).date();
        let last = to.to_zoned_datetime(tz.clone()).date();
        while date <= last {
            if let Some((open, close)) = self.window(&tz, date) {
                let a = open.max(from);
                let b = close.min(to);
                if a < b {
                    total += b.duration_since(a);
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        total.as_mins()
    }
}

/// Reads the stored form of opening hours, `1=450-1020;2=450-1020` (ISO weekday = local
/// minutes open-close).
pub fn parse_week(text: &str) -> Option<[Option<Hours>; 7]> {
    let mut week = [None; 7];
    for part in text.split(';').filter(|p| !p.is_empty()) {
        let (day, span) = part.split_once('=')?;
        let (open, close) = span.split_once('-')?;
        let day: usize = day.parse().ok()?;
        let hours = Hours {
            open: open.parse().ok()?,
            close: close.parse().ok()?,
        };
        if !(1..=7).contains(&day) || hours.open >= hours.close || hours.close > 24 * 60 {
            return None;
        }
        week[day - 1] = Some(hours);
    }
    Some(week)
}

/// The stored form of opening hours.
pub fn format_week(week: &[Option<Hours>; 7]) -> String {
    week.iter()
        .enumerate()
        .filter_map(|(i, h)| h.map(|h| format!("{}={}-{}", i + 1, h.open, h.close)))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// Mon–Fri 08:00–17:00, Sat 08:00–12:00, Sunday closed, Asia/Shanghai.
    fn branch() -> Calendar {
        let day = Some(Hours {
            open: 8 * 60,
            close: 17 * 60,
        });
        Calendar {
            time_zone: "Asia/Shanghai".into(),
            week: [
                day,
                day,
                day,
                day,
                day,
                Some(Hours {
                    open: 8 * 60,
                    close: 12 * 60,
                }),
                None,
            ],
            holidays: [date(2026, 12, 1)].into_iter().collect(),
        }
    }

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        date(y, m, d)
            .at(h, min, 0, 0)
            .to_zoned_datetime(TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn adds_within_a_day() {
        // Wednesday 2026-11-25 10:00 + 60 → 11:00.
        assert_eq!(
            branch().add(at(2026, 11, 25, 10, 0), 60),
            at(2026, 11, 25, 11, 0)
        );
    }

    #[test]
    fn skips_nights_weekends_and_holidays() {
        let cal = branch();
        // Friday 16:30 + 60: 30 on Friday, 30 on Saturday from 08:00.
        assert_eq!(
            cal.add(at(2026, 11, 27, 16, 30), 60),
            at(2026, 11, 28, 8, 30)
        );
        // Saturday 11:30 + 60: 30 on Saturday, Sunday closed, Monday 08:30.
        assert_eq!(
            cal.add(at(2026, 11, 28, 11, 30), 60),
            at(2026, 11, 30, 8, 30)
        );
        // Monday 16:00 + 120: 60 on Monday, Tuesday 12-01 is a holiday, Wednesday 09:00.
        assert_eq!(cal.add(at(2026, 11, 30, 16, 0), 120), at(2026, 12, 2, 9, 0));
        // Started at night: counts from the next opening.
        assert_eq!(
            cal.add(at(2026, 11, 25, 22, 0), 30),
            at(2026, 11, 26, 8, 30)
        );
        // Ending exactly at closing stays at closing.
        assert_eq!(
            cal.add(at(2026, 11, 25, 16, 0), 60),
            at(2026, 11, 25, 17, 0)
        );
    }

    #[test]
    fn minutes_between_is_the_inverse_of_add() {
        let cal = branch();
        let start = at(2026, 11, 27, 16, 30);
        for minutes in [0, 1, 29, 30, 31, 240, 270, 600, 1440, 5000] {
            let end = cal.add(start, minutes);
            assert_eq!(cal.minutes_between(start, end), minutes, "{minutes}");
        }
        assert_eq!(cal.minutes_between(start, start), 0);
        assert_eq!(
            cal.minutes_between(at(2026, 11, 28, 12, 0), at(2026, 11, 30, 8, 0)),
            0
        );
    }

    #[test]
    fn a_calendar_never_open_counts_wall_time() {
        let cal = Calendar {
            week: [None; 7],
            ..branch()
        };
        let start = at(2026, 11, 25, 10, 0);
        assert_eq!(cal.add(start, 90), start + SignedDuration::from_mins(90));
        let always = Calendar::always_open("Asia/Shanghai");
        assert_eq!(
            always.add(start, 24 * 60),
            start + SignedDuration::from_hours(24)
        );
        assert_eq!(
            always.minutes_between(start, start + SignedDuration::from_hours(30)),
            1800
        );
    }

    #[test]
    fn week_text_round_trips_and_rejects_nonsense() {
        let week = branch().week;
        assert_eq!(parse_week(&format_week(&week)), Some(week));
        assert_eq!(parse_week(""), Some([None; 7]));
        for bad in ["8=1-2", "1=600-500", "1=0-1441", "x", "1=a-b"] {
            assert_eq!(parse_week(bad), None, "{bad}");
        }
    }
}
