//! The visit (检中): one queue entry per exam item, a route through them, and the wait
//! promise.
//!
//! A checked-in customer waits in one item's queue at a time. The next item is chosen when
//! the previous one completes, from the queues as they are at that moment: fasting items
//! first (the customer is hungry and some results depend on it), then the item whose queue
//! is shortest, then the catalogue's order hint. The wait for an item runs from joining its
//! queue until a station calls the customer; a wait beyond the branch's promise is a breach,
//! raised once per entry, while the customer is still waiting.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use super::RuleError;

/// Where one exam item of a visit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// Later on the route.
    Pending,
    /// In the queue; the wait clock runs.
    Waiting,
    /// Called to the station.
    Called,
    /// Being examined.
    InProgress,
    /// Finished.
    Done,
}

impl EntryStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Pending => "PENDING",
            EntryStatus::Waiting => "WAITING",
            EntryStatus::Called => "CALLED",
            EntryStatus::InProgress => "IN_PROGRESS",
            EntryStatus::Done => "DONE",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<EntryStatus> {
        Some(match s {
            "PENDING" => EntryStatus::Pending,
            "WAITING" => EntryStatus::Waiting,
            "CALLED" => EntryStatus::Called,
            "IN_PROGRESS" => EntryStatus::InProgress,
            "DONE" => EntryStatus::Done,
            _ => return None,
        })
    }
}

/// One exam item of a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// `qe_…`
    pub id: String,
    /// The visit's appointment.
    pub appointment_id: String,
    /// Branch.
    pub branch_id: String,
    /// Item.
    pub exam_item_id: String,
    /// Item name, copied at check-in.
    pub exam_item_name: String,
    /// Department.
    pub department: String,
    /// Fasting item.
    pub fasting_required: bool,
    /// Catalogue order hint.
    pub order_hint: i32,
    /// Status.
    pub status: EntryStatus,
    /// 1-based place on the route.
    pub route_position: u32,
    /// Joined the queue.
    pub waiting_since: Option<Timestamp>,
    /// Called by the station.
    pub called_at: Option<Timestamp>,
    /// Exam started.
    pub started_at: Option<Timestamp>,
    /// Exam finished.
    pub completed_at: Option<Timestamp>,
    /// When the wait promise was found broken.
    pub breached_at: Option<Timestamp>,
    /// A complimentary item (service recovery), not one of the package's.
    pub complimentary: bool,
}

impl QueueEntry {
    /// Minutes waited: until called, or until `now` while still waiting.
    pub fn waited_minutes(&self, now: Timestamp) -> u32 {
        let Some(since) = self.waiting_since else {
            return 0;
        };
        let until = self.called_at.unwrap_or(now);
        let minutes = until.duration_since(since).as_secs() / 60;
        u32::try_from(minutes.max(0)).unwrap_or(u32::MAX)
    }
}

/// The order of the entries still to do: fasting first, then the shortest queue, then the
/// order hint, then the name (so the plan is deterministic). `queue_lengths` maps exam
/// item id to customers waiting or called for it at the branch.
pub fn plan_route<'a>(
    pending: &[&'a QueueEntry],
    queue_lengths: &HashMap<String, u32>,
) -> Vec<&'a QueueEntry> {
    let mut plan = pending.to_vec();
    plan.sort_by_key(|e| {
        (
            !e.fasting_required,
            queue_lengths.get(&e.exam_item_id).copied().unwrap_or(0),
            e.order_hint,
            e.exam_item_name.clone(),
        )
    });
    plan
}

/// Whether a wait that began at `since` has broken a promise of `promise_minutes` by `now`.
pub fn promise_broken(since: Timestamp, now: Timestamp, promise_minutes: u32) -> bool {
    now.duration_since(since) > SignedDuration::from_mins(i64::from(promise_minutes))
}

/// Time spent waiting over a whole visit by `now`: each entry's wait (from joining its queue
/// until called, or until `now` while still waiting) added up. Time at a station does not
/// count, nor does time before an entry's queue was joined.
pub fn visit_waited(entries: &[QueueEntry], now: Timestamp) -> SignedDuration {
    entries
        .iter()
        .filter_map(|e| {
            let since = e.waiting_since?;
            let until = e.called_at.unwrap_or(now);
            Some(until.duration_since(since).max(SignedDuration::ZERO))
        })
        .fold(SignedDuration::ZERO, |total, d| total.saturating_add(d))
}

/// Whether a visit's waits, added up, have broken a whole-visit promise of
/// `promise_minutes` by `now`.
pub fn visit_promise_broken(entries: &[QueueEntry], now: Timestamp, promise_minutes: u32) -> bool {
    visit_waited(entries, now) > SignedDuration::from_mins(i64::from(promise_minutes))
}

/// Whole minutes in `d` (none when negative).
pub fn whole_minutes(d: SignedDuration) -> u32 {
    u32::try_from((d.as_secs() / 60).max(0)).unwrap_or(u32::MAX)
}

/// The instant before which a wait that is still running has not broken the promise.
pub fn breach_threshold(now: Timestamp, promise_minutes: u32) -> Timestamp {
    now.checked_sub(SignedDuration::from_mins(i64::from(promise_minutes)))
        .unwrap_or(Timestamp::MIN)
}

/// Checks that `entry` may move from its status to `to`.
pub fn check_step(entry: &QueueEntry, to: EntryStatus) -> Result<(), RuleError> {
    let ok = matches!(
        (entry.status, to),
        (EntryStatus::Waiting, EntryStatus::Called)
            | (EntryStatus::Called, EntryStatus::InProgress)
            | (EntryStatus::InProgress, EntryStatus::Done)
    );
    if ok {
        Ok(())
    } else {
        Err(RuleError::Precondition(format!(
            "exam item is {}, cannot move it to {}",
            entry.status.as_str(),
            to.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(item: &str, fasting: bool, hint: i32) -> QueueEntry {
        QueueEntry {
            id: format!("qe_{item}"),
            appointment_id: "apt_1".into(),
            branch_id: "br_1".into(),
            exam_item_id: item.into(),
            exam_item_name: item.into(),
            department: "d".into(),
            fasting_required: fasting,
            order_hint: hint,
            status: EntryStatus::Pending,
            route_position: 0,
            waiting_since: None,
            called_at: None,
            started_at: None,
            completed_at: None,
            breached_at: None,
            complimentary: false,
        }
    }

    #[test]
    fn fasting_items_go_first_then_the_shortest_queue() {
        let blood = entry("blood", true, 5);
        let ultrasound = entry("ultrasound", true, 1);
        let ecg = entry("ecg", false, 0);
        let eyes = entry("eyes", false, 9);
        let queues = HashMap::from([
            ("blood".to_string(), 1),
            ("ultrasound".to_string(), 6),
            ("ecg".to_string(), 4),
            ("eyes".to_string(), 0),
        ]);
        let plan = plan_route(&[&eyes, &ecg, &ultrasound, &blood], &queues);
        let order: Vec<_> = plan.iter().map(|e| e.exam_item_id.as_str()).collect();
        assert_eq!(order, ["blood", "ultrasound", "eyes", "ecg"]);
    }

    #[test]
    fn equal_queues_fall_back_to_the_order_hint() {
        let a = entry("a", false, 2);
        let b = entry("b", false, 1);
        let plan = plan_route(&[&a, &b], &HashMap::new());
        assert_eq!(plan[0].exam_item_id, "b");
    }

    #[test]
    fn the_promise_breaks_only_after_the_promised_minutes() {
        let since: Timestamp = "2026-11-30T01:00:00Z".parse().unwrap();
        let at = |m| since + SignedDuration::from_mins(m);
        assert!(!promise_broken(since, at(30), 30));
        assert!(promise_broken(since, at(31), 30));
        assert_eq!(breach_threshold(at(30), 30), since);
    }

    #[test]
    fn the_whole_visit_counts_waits_only_and_breaks_past_its_promise() {
        let t0: Timestamp = "2026-11-30T01:00:00Z".parse().unwrap();
        let at = |m| t0 + SignedDuration::from_mins(m);
        // Five items, each waited 29 minutes then examined for 10: under a 30-minute item
        // promise every time, 145 minutes of waiting in all.
        let mut entries = Vec::new();
        let mut clock = 0;
        for i in 0..5 {
            let mut e = entry(&format!("item{i}"), false, i);
            e.waiting_since = Some(at(clock));
            e.called_at = Some(at(clock + 29));
            e.completed_at = Some(at(clock + 39));
            e.status = EntryStatus::Done;
            assert!(!promise_broken(at(clock), at(clock + 29), 30));
            clock += 39;
            entries.push(e);
        }
        assert_eq!(whole_minutes(visit_waited(&entries, at(clock))), 145);
        assert!(visit_promise_broken(&entries, at(clock), 144));
        assert!(!visit_promise_broken(&entries, at(clock), 145));
        // A wait still running counts up to now; a pending item not at all.
        let mut waiting = entry("waiting", false, 9);
        waiting.status = EntryStatus::Waiting;
        waiting.waiting_since = Some(at(clock));
        entries.push(waiting);
        entries.push(entry("later", false, 10));
        assert_eq!(whole_minutes(visit_waited(&entries, at(clock + 5))), 150);
        // A clock that went backwards never makes a wait negative.
        assert_eq!(whole_minutes(visit_waited(&entries, at(clock - 60))), 145);
    }

    #[test]
    fn stations_move_entries_one_step_at_a_time() {
        let mut e = entry("a", false, 0);
        e.status = EntryStatus::Waiting;
        assert!(check_step(&e, EntryStatus::Called).is_ok());
        assert!(check_step(&e, EntryStatus::Done).is_err());
        e.status = EntryStatus::Done;
        assert!(check_step(&e, EntryStatus::InProgress).is_err());
    }
}
