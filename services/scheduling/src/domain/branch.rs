//! Branches: where they sit in the org tree, when they open, what they promise.

use jiff::{
    Timestamp,
    civil::{Date, Time, Weekday},
    tz::TimeZone,
};
use serde::{Deserialize, Serialize};
use service_kit::error::Violations;

use super::{RuleError, check};

/// The default branch time zone.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";
/// Arrival cutoff for customers with fasting items, unless the branch sets its own.
pub const DEFAULT_FASTING_CUTOFF: Time = Time::constant(10, 0, 0, 0);
/// A wait promise longer than this is a data-entry mistake.
pub const MAX_WAIT_PROMISE_MINUTES: u32 = 240;

/// Upper bound of the whole-visit waiting promise (minutes).
pub const MAX_VISIT_WAIT_PROMISE_MINUTES: u32 = 600;

/// The whole-visit waiting promise of a branch that does not set one (minutes).
pub const DEFAULT_VISIT_WAIT_PROMISE_MINUTES: u32 = 60;

/// Province and city slugs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Province slug (`guangdong`).
    pub province: String,
    /// City slug (`shenzhen`).
    pub city: String,
}

impl Region {
    /// `province/city`, as tokens scope it.
    pub fn path(&self) -> String {
        format!("{}/{}", self.province, self.city)
    }
}

/// Whether `s` is a region slug: lowercase ASCII letters, digits and dashes. Underscores
/// and `%` are excluded because region paths are matched with SQL `LIKE`.
pub fn is_slug(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `path` is one or two slugs joined by `/`.
pub fn is_region_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    (1..=2).contains(&parts.len()) && parts.iter().all(|p| is_slug(p))
}

/// Opening hours for one weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// ISO weekday number, Monday = 1.
    pub weekday: i8,
    /// Minutes after midnight.
    pub opens: u16,
    /// Minutes after midnight.
    pub closes: u16,
}

impl OpeningHours {
    /// The weekday.
    pub fn weekday(&self) -> Weekday {
        Weekday::from_monday_one_offset(self.weekday).unwrap_or(Weekday::Monday)
    }
}

/// A branch (体检中心 / 分院).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// `br_…`
    pub id: String,
    /// Human code, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Brand it trades under.
    pub brand: String,
    /// Where it sits.
    pub region: Region,
    /// IANA zone name.
    pub time_zone: String,
    /// Days open; days missing are closed.
    pub opening_hours: Vec<OpeningHours>,
    /// Closed dates.
    pub holidays: Vec<Date>,
    /// Longest promised wait per exam item.
    pub wait_promise_minutes: u32,
    /// Longest promised waiting over the whole visit: every item's wait added up.
    pub visit_wait_promise_minutes: u32,
    /// Street address ('' until set).
    pub address: String,
    /// Latest arrival for fasting packages.
    pub fasting_cutoff: Time,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Branch {
    /// The branch's zone (validated on the way in, so lookup failure falls back to
    /// the default).
    pub fn tz(&self) -> TimeZone {
        TimeZone::get(&self.time_zone)
            .or_else(|_| TimeZone::get(DEFAULT_TIME_ZONE))
            .unwrap_or(TimeZone::UTC)
    }

    /// Opening hours on `date`, or `None` when closed (no hours, or a holiday).
    pub fn hours_on(&self, date: Date) -> Option<OpeningHours> {
        if self.holidays.contains(&date) {
            return None;
        }
        let weekday = date.weekday().to_monday_one_offset();
        self.opening_hours
            .iter()
            .find(|h| h.weekday == weekday)
            .copied()
    }

    /// The local date of an instant at this branch.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned_datetime(self.tz()).date()
    }
}

/// The editable parts of a branch, as a create or an update supplies them.
#[derive(Debug, Clone, Default)]
pub struct BranchPatch {
    /// New name.
    pub name: Option<String>,
    /// New brand.
    pub brand: Option<String>,
    /// New zone.
    pub time_zone: Option<String>,
    /// Replacement hours.
    pub opening_hours: Option<Vec<OpeningHours>>,
    /// Replacement holidays.
    pub holidays: Option<Vec<Date>>,
    /// New promise.
    pub wait_promise_minutes: Option<u32>,
    /// New whole-visit promise.
    pub visit_wait_promise_minutes: Option<u32>,
    /// New address.
    pub address: Option<String>,
    /// New cutoff.
    pub fasting_cutoff: Option<Time>,
}

/// Validates the fields that a create and an update share.
pub fn validate_patch(p: &BranchPatch, v: &mut Violations) {
    if let Some(name) = &p.name {
        service_kit::rules::text(v, "name", name, 128, true);
    }
    if let Some(brand) = &p.brand {
        service_kit::rules::text(v, "brand", brand, 64, true);
    }
    if let Some(address) = &p.address {
        service_kit::rules::text(v, "address", address, 200, false);
    }
    if let Some(tz) = &p.time_zone {
        v.check(
            TimeZone::get(tz).is_ok(),
            "time_zone",
            "must be an IANA time zone such as Asia/Shanghai",
        );
    }
    if let Some(hours) = &p.opening_hours {
        let mut seen = [false; 8];
        for (i, h) in hours.iter().enumerate() {
            if !(1..=7).contains(&h.weekday) {
                v.add(format!("opening_hours[{i}].weekday"), "required");
                continue;
            }
            if std::mem::replace(&mut seen[h.weekday as usize], true) {
                v.add(
                    format!("opening_hours[{i}].weekday"),
                    "each weekday at most once",
                );
            }
            if h.opens >= h.closes || h.closes > 24 * 60 {
                v.add(
                    format!("opening_hours[{i}]"),
                    "opens must be before closes, within one day",
                );
            }
        }
    }
    if let Some(minutes) = p.wait_promise_minutes {
        v.check(
            (1..=MAX_WAIT_PROMISE_MINUTES).contains(&minutes),
            "wait_promise_minutes",
            "must be between 1 and 240",
        );
    }
    if let Some(minutes) = p.visit_wait_promise_minutes {
        v.check(
            (1..=MAX_VISIT_WAIT_PROMISE_MINUTES).contains(&minutes),
            "visit_wait_promise_minutes",
            "must be between 1 and 600",
        );
    }
}

/// Applies a validated patch.
pub fn apply_patch(branch: &mut Branch, p: BranchPatch) {
    if let Some(x) = p.name {
        branch.name = x.trim().to_owned();
    }
    if let Some(x) = p.brand {
        branch.brand = x.trim().to_owned();
    }
    if let Some(x) = p.time_zone {
        branch.time_zone = x;
    }
    if let Some(mut x) = p.opening_hours {
        x.sort_by_key(|h| h.weekday);
        branch.opening_hours = x;
    }
    if let Some(mut x) = p.holidays {
        x.sort();
        x.dedup();
        branch.holidays = x;
    }
    if let Some(x) = p.wait_promise_minutes {
        branch.wait_promise_minutes = x;
    }
    if let Some(x) = p.visit_wait_promise_minutes {
        branch.visit_wait_promise_minutes = x;
    }
    if let Some(x) = p.address {
        branch.address = x.trim().to_owned();
    }
    if let Some(x) = p.fasting_cutoff {
        branch.fasting_cutoff = x;
    }
}

/// A new branch from its parts, validated.
#[allow(clippy::too_many_arguments)]
pub fn new_branch(
    id: String,
    code: &str,
    region: Region,
    patch: BranchPatch,
    now: Timestamp,
) -> Result<Branch, RuleError> {
    let mut v = Violations::new();
    v.check(
        (2..=32).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "code",
        "2 to 32 letters, digits or dashes",
    );
    v.check(
        is_slug(&region.province),
        "region.province",
        "required slug: a-z, 0-9, -",
    );
    v.check(
        is_slug(&region.city),
        "region.city",
        "required slug: a-z, 0-9, -",
    );
    v.check(patch.name.is_some(), "name", "required");
    v.check(patch.brand.is_some(), "brand", "required");
    v.check(
        patch.opening_hours.as_ref().is_some_and(|h| !h.is_empty()),
        "opening_hours",
        "at least one day",
    );
    v.check(
        patch.wait_promise_minutes.is_some(),
        "wait_promise_minutes",
        "required",
    );
    validate_patch(&patch, &mut v);
    check(v)?;
    let mut branch = Branch {
        id,
        code: code.to_owned(),
        name: String::new(),
        brand: String::new(),
        region,
        time_zone: DEFAULT_TIME_ZONE.to_owned(),
        opening_hours: Vec::new(),
        holidays: Vec::new(),
        wait_promise_minutes: 0,
        visit_wait_promise_minutes: DEFAULT_VISIT_WAIT_PROMISE_MINUTES,
        address: String::new(),
        fasting_cutoff: DEFAULT_FASTING_CUTOFF,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    apply_patch(&mut branch, patch);
    Ok(branch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch() -> BranchPatch {
        BranchPatch {
            name: Some("福田分院".into()),
            brand: Some("美年".into()),
            time_zone: None,
            opening_hours: Some(vec![OpeningHours {
                weekday: 1,
                opens: 7 * 60,
                closes: 17 * 60,
            }]),
            holidays: None,
            wait_promise_minutes: Some(30),
            visit_wait_promise_minutes: None,
            address: None,
            fasting_cutoff: None,
        }
    }

    fn region() -> Region {
        Region {
            province: "guangdong".into(),
            city: "shenzhen".into(),
        }
    }

    #[test]
    fn a_valid_branch_defaults_to_shanghai_time() {
        let b = new_branch(
            "br_1".into(),
            "SZ-FT",
            region(),
            patch(),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(b.time_zone, "Asia/Shanghai");
        assert_eq!(b.region.path(), "guangdong/shenzhen");
        assert_eq!(b.fasting_cutoff, DEFAULT_FASTING_CUTOFF);
        assert_eq!(
            b.visit_wait_promise_minutes,
            DEFAULT_VISIT_WAIT_PROMISE_MINUTES
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut p = patch();
        p.time_zone = Some("Mars/Olympus".into());
        p.wait_promise_minutes = Some(0);
        p.visit_wait_promise_minutes = Some(601);
        let bad_region = Region {
            province: "Guang_Dong".into(),
            city: String::new(),
        };
        let err = new_branch("br_1".into(), "x", bad_region, p, Timestamp::UNIX_EPOCH).unwrap_err();
        let RuleError::Invalid(v) = err else { panic!() };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        for f in [
            "code",
            "region.province",
            "region.city",
            "time_zone",
            "wait_promise_minutes",
            "visit_wait_promise_minutes",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn holidays_close_the_branch() {
        let mut b = new_branch(
            "br_1".into(),
            "SZ-FT",
            region(),
            patch(),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        let monday = jiff::civil::date(2026, 11, 30);
        assert!(b.hours_on(monday).is_some());
        assert!(b.hours_on(monday.tomorrow().unwrap()).is_none());
        b.holidays.push(monday);
        assert!(b.hours_on(monday).is_none());
    }

    #[test]
    fn region_paths_are_one_or_two_slugs() {
        assert!(is_region_path("guangdong"));
        assert!(is_region_path("guangdong/shenzhen"));
        assert!(!is_region_path("guangdong/shenzhen/futian"));
        assert!(!is_region_path("guang%"));
        assert!(!is_region_path(""));
    }
}
