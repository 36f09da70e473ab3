//! The route through a visit's queues, planned in one place: new queue entries (for the
//! package at check-in, and for complimentary items granted before or during the visit),
//! re-planning the entries not yet started as queues move, and saving what changed.

use jiff::Timestamp;
use service_kit::{Error, Result, db::Tx, ids::new_id};

use crate::{
    domain::{
        appointment::Appointment,
        catalogue::ExamItem,
        visit::{self, EntryStatus, QueueEntry},
    },
    store,
};

/// A new, pending queue entry of `apt` for `item`.
pub(super) fn new_entry(apt: &Appointment, item: &ExamItem, complimentary: bool) -> QueueEntry {
    QueueEntry {
        id: new_id("qe"),
        appointment_id: apt.id.clone(),
        branch_id: apt.branch_id.clone(),
        exam_item_id: item.id.clone(),
        exam_item_name: item.name.clone(),
        department: item.department.clone(),
        fasting_required: item.fasting_required,
        order_hint: item.order_hint,
        status: EntryStatus::Pending,
        route_position: 0,
        waiting_since: None,
        called_at: None,
        started_at: None,
        completed_at: None,
        breached_at: None,
        complimentary,
    }
}

/// Re-plans the entries not yet started and puts the first of them in its queue when the
/// customer is in none. Returns the entries changed, with their previous status.
pub(super) async fn replan(
    tx: &mut Tx,
    entries: &mut [QueueEntry],
    now: Timestamp,
) -> Result<Vec<(usize, EntryStatus)>> {
    let busy = entries.iter().any(|e| {
        matches!(
            e.status,
            EntryStatus::Waiting | EntryStatus::Called | EntryStatus::InProgress
        )
    });
    let settled = entries
        .iter()
        .filter(|e| e.status != EntryStatus::Pending)
        .count() as u32;
    let Some(branch_id) = entries.first().map(|e| e.branch_id.clone()) else {
        return Ok(Vec::new());
    };
    let lengths = store::visits::queue_lengths(tx, &branch_id).await?;
    let pending: Vec<&QueueEntry> = entries
        .iter()
        .filter(|e| e.status == EntryStatus::Pending)
        .collect();
    let order: Vec<String> = visit::plan_route(&pending, &lengths)
        .iter()
        .map(|e| e.id.clone())
        .collect();
    let mut changed = Vec::new();
    for (i, id) in order.iter().enumerate() {
        let idx = entries
            .iter()
            .position(|e| &e.id == id)
            .expect("planned entry exists");
        let e = &mut entries[idx];
        let position = settled + i as u32 + 1;
        let joins = i == 0 && !busy;
        if e.route_position != position || joins {
            changed.push((idx, e.status));
            e.route_position = position;
            if joins {
                e.status = EntryStatus::Waiting;
                e.waiting_since = Some(now);
            }
        }
    }
    Ok(changed)
}

pub(super) async fn save_changed(
    tx: &mut Tx,
    entries: &[QueueEntry],
    changed: &[(usize, EntryStatus)],
) -> Result<()> {
    for (idx, from) in changed {
        if !store::visits::update(tx, &entries[*idx], *from).await? {
            return Err(Error::Aborted(
                "the visit was changed concurrently; try again".into(),
            ));
        }
    }
    Ok(())
}

/// In a check-in's transaction: the queue entries of the items granted while the
/// appointment was booked (`package` holds the package's entries, which win a duplicate).
pub(super) async fn entries_at_check_in(
    tx: &mut Tx,
    apt: &Appointment,
    package: &[QueueEntry],
) -> Result<Vec<QueueEntry>> {
    let granted = store::complimentary::of_appointment(tx, &apt.id).await?;
    let ids: Vec<String> = granted
        .into_iter()
        .map(|g| g.exam_item_id)
        .filter(|id| !package.iter().any(|e| &e.exam_item_id == id))
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let items = store::catalogue::items_by_ids(tx, &ids).await?;
    Ok(items.iter().map(|i| new_entry(apt, i, true)).collect())
}
