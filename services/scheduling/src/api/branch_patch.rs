//! A branch's fields as `CreateBranch` and `UpdateBranch` carry them, decoded into the
//! domain's patch, with every violation named as the request spells the field.

use hospital_proto::scheduling as pb;
use service_kit::{Error, error::Violations};

use super::convert::{self, opening_hours, time_in};
use crate::domain::branch::BranchPatch;

/// A branch patch as it arrives, before decoding.
pub(super) struct RawPatch<'a> {
    /// Where the request keeps the hours and the holidays: `CreateBranch` has them at the
    /// top (`opening_hours[0]`), `UpdateBranch` in wrappers (`opening_hours.hours[0]`).
    pub(super) paths: &'static Paths,
    pub(super) name: Option<String>,
    pub(super) brand: Option<String>,
    pub(super) time_zone: Option<String>,
    pub(super) hours: Option<&'a [pb::OpeningHours]>,
    pub(super) holidays: Option<&'a [hospital_proto::common::Date]>,
    pub(super) wait_promise_minutes: Option<u32>,
    pub(super) visit_wait_promise_minutes: Option<u32>,
    pub(super) address: Option<String>,
    pub(super) cutoff: Option<&'a hospital_proto::common::TimeOfDay>,
}

impl RawPatch<'_> {
    /// The patch, recording what cannot be decoded in `v`; the domain's own checks add to
    /// it so a client sees every bad field at once.
    pub(super) fn decode(self, v: &mut Violations) -> BranchPatch {
        BranchPatch {
            name: self.name,
            brand: self.brand,
            time_zone: self.time_zone.filter(|t| !t.is_empty()),
            opening_hours: self.hours.map(|h| opening_hours(h, self.paths.hours, v)),
            holidays: self
                .holidays
                .map(|d| convert::holidays(d, self.paths.holidays, v)),
            wait_promise_minutes: self.wait_promise_minutes,
            visit_wait_promise_minutes: self.visit_wait_promise_minutes,
            address: self.address,
            fasting_cutoff: time_in(self.cutoff, "fasting_arrival_cutoff", v),
        }
    }
}

/// Field paths of the hours and holidays in one request type.
pub(super) struct Paths {
    hours: &'static str,
    holidays: &'static str,
}

/// `CreateBranch`'s paths, which the rules report in.
pub(super) const CREATE_PATHS: Paths = Paths {
    hours: "opening_hours",
    holidays: "holidays",
};

pub(super) const UPDATE_PATHS: Paths = Paths {
    hours: "opening_hours.hours",
    holidays: "holidays.dates",
};

/// The rules' violations of an update, named as `UpdateBranchRequest` spells the fields.
pub(super) fn update_paths(e: Error) -> Error {
    e.rename_fields(CREATE_PATHS.hours, UPDATE_PATHS.hours)
        .rename_fields(CREATE_PATHS.holidays, UPDATE_PATHS.holidays)
}
