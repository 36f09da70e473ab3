//! The scheduling service as complaints calls it over gRPC, with the service token and
//! the caller's trace context: branch lookups, the event feed, complimentary items.

use hospital_proto::scheduling as pb;
use service_kit::{Result, scheduling::Scheduling};
use tokio_stream::Stream;
use tonic::Code;

use crate::domain::{
    calendar::{Calendar, Hours},
    work_order::{BranchInfo, CachedBranch},
};

/// A handle on scheduling; cheap to clone.
#[derive(Clone, Debug)]
pub struct Directory {
    scheduling: Scheduling,
}

/// Why a complimentary item could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Scheduling refused it for good (the visit ended, the item is already in it…).
    Refused(String),
    /// Try again later (scheduling unreachable, timed out, overloaded).
    Transient(String),
}

/// The item to add.
#[derive(Debug, Clone)]
pub struct ComplimentaryItem {
    /// Idempotency key: the grant's id, so every retry names the same grant.
    pub request_id: String,
    /// The visit.
    pub appointment_id: String,
    /// The item.
    pub exam_item_id: String,
    /// Authoriser.
    pub authorised_by: String,
    /// Authoriser's unit.
    pub cost_bearer: String,
    /// The work order.
    pub reference: String,
}

impl Directory {
    /// Complaints' calls over `scheduling`'s client.
    pub fn new(scheduling: Scheduling) -> Self {
        Self { scheduling }
    }

    /// The branch as scheduling has it; `None` when scheduling does not know it.
    pub async fn branch(&self, branch_id: &str) -> Result<Option<CachedBranch>> {
        Ok(self.scheduling.branch(branch_id).await?.map(cached))
    }

    /// Adds the item to the visit; scheduling de-duplicates on `request_id`.
    pub async fn add_complimentary_item(
        &self,
        item: &ComplimentaryItem,
    ) -> Result<(), DeliveryError> {
        let reply = self
            .scheduling
            .client()
            .add_complimentary_item(pb::AddComplimentaryItemRequest {
                request_id: item.request_id.clone(),
                appointment_id: item.appointment_id.clone(),
                exam_item_id: item.exam_item_id.clone(),
                authorised_by: item.authorised_by.clone(),
                cost_bearer: item.cost_bearer.clone(),
                reference: item.reference.clone(),
            })
            .await;
        match reply {
            Ok(_) => Ok(()),
            Err(s) => match s.code() {
                Code::FailedPrecondition
                | Code::NotFound
                | Code::InvalidArgument
                | Code::AlreadyExists => Err(DeliveryError::Refused(s.message().to_owned())),
                _ => Err(DeliveryError::Transient(format!(
                    "{:?}: {}",
                    s.code(),
                    s.message()
                ))),
            },
        }
    }

    /// Scheduling's events after `after`, as a live stream; a broken stream is an outage.
    pub async fn events(
        &self,
        after: u64,
    ) -> Result<impl Stream<Item = Result<pb::SchedulingEvent>> + Unpin + use<>> {
        self.scheduling.events(after).await
    }
}

/// Scheduling's branch in the form complaints keeps.
pub fn cached(b: pb::Branch) -> CachedBranch {
    let region = b.region.unwrap_or_default();
    let mut week = [None; 7];
    for h in &b.opening_hours {
        let minute = |t: &Option<hospital_proto::common::TimeOfDay>| {
            t.as_ref()
                .map(|t| (t.hours * 60 + t.minutes).clamp(0, 24 * 60) as u16)
        };
        if let (Some(open), Some(close), 1..=7) = (minute(&h.opens), minute(&h.closes), h.weekday)
            && open < close
        {
            week[(h.weekday - 1) as usize] = Some(Hours { open, close });
        }
    }
    let holidays = b
        .holidays
        .iter()
        .filter_map(|d| jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok())
        .collect();
    CachedBranch {
        info: BranchInfo {
            id: b.branch_id,
            code: b.code,
            name: b.name,
            province: region.province,
            city: region.city,
        },
        calendar: Calendar {
            time_zone: if b.time_zone.is_empty() {
                "Asia/Shanghai".into()
            } else {
                b.time_zone
            },
            week,
            holidays,
        },
        version: b.version,
    }
}
