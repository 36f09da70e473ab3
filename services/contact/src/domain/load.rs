//! A team's planned load: tasks due per day against the agents' declared capacity, with
//! the tasks that have slack spread over the days their window allows.
//!
//! Tasks are unit jobs with a release day (when they open) and a deadline (the day they are
//! due). Earliest-deadline-first, day by day, fills each day's capacity with the open tasks
//! due soonest; it meets every deadline whenever any spread does, so a day ends over
//! capacity only when no feasible spread exists. It works on counts of tasks per (open
//! day, due day), so a team's million tasks cost as much as its few hundred distinct pairs.

use std::collections::BTreeMap;

/// Tasks that open on `open_day` and fall due on `due_day` (days from the first day of the
/// plan; a task already open opens on day 0, one already overdue is due on day 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// When they open.
    pub open_day: usize,
    /// When they are due.
    pub due_day: usize,
    /// How many.
    pub count: u64,
}

/// One day of the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Day {
    /// Tasks falling due that day.
    pub due: u64,
    /// Tasks planned that day after the spread.
    pub planned: u64,
    /// Calls the team's agents can make.
    pub capacity: u64,
}

impl Day {
    /// Whether more is planned than the team can make.
    pub fn over(&self) -> bool {
        self.planned > self.capacity
    }
}

/// The plan over `capacity.len()` days for the groups given. Groups due after the last day
/// are left out (they have slack beyond the horizon).
pub fn spread(groups: &[Group], capacity: &[u64]) -> Vec<Day> {
    let days = capacity.len();
    let mut out: Vec<Day> = capacity
        .iter()
        .map(|&capacity| Day {
            capacity,
            ..Day::default()
        })
        .collect();
    // Waiting tasks by due day, released as their open day comes.
    let mut waiting: BTreeMap<usize, u64> = BTreeMap::new();
    let mut by_open: BTreeMap<usize, Vec<Group>> = BTreeMap::new();
    for g in groups.iter().filter(|g| g.due_day < days && g.count > 0) {
        out[g.due_day].due += g.count;
        by_open
            .entry(g.open_day.min(g.due_day))
            .or_default()
            .push(*g);
    }
    for (d, day) in out.iter_mut().enumerate() {
        for g in by_open.remove(&d).unwrap_or_default() {
            *waiting.entry(g.due_day).or_default() += g.count;
        }
        let mut room = day.capacity;
        // Soonest due first, while there is room.
        while room > 0 {
            let Some(mut entry) = waiting.first_entry() else {
                break;
            };
            let take = (*entry.get()).min(room);
            *entry.get_mut() -= take;
            room -= take;
            day.planned += take;
            if *entry.get() == 0 {
                entry.remove();
            }
        }
        // What is due today and did not fit must still be made today.
        if let Some(left) = waiting.remove(&d) {
            day.planned += left;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(open_day: usize, due_day: usize, count: u64) -> Group {
        Group {
            open_day,
            due_day,
            count,
        }
    }

    #[test]
    fn tasks_with_slack_move_to_days_with_room() {
        // 30 tasks due on day 2, open from day 0; 10 a day fits them exactly.
        let plan = spread(&[g(0, 2, 30)], &[10, 10, 10]);
        assert_eq!(
            plan.iter().map(|d| d.planned).collect::<Vec<_>>(),
            [10, 10, 10]
        );
        assert_eq!(plan[2].due, 30);
        assert!(plan.iter().all(|d| !d.over()));
    }

    #[test]
    fn a_task_never_moves_before_it_opens_nor_after_it_is_due() {
        // Day 1's 15 cannot go to day 0 (not open yet) nor day 2 (due on day 1).
        let plan = spread(&[g(1, 1, 15), g(0, 2, 5)], &[10, 10, 10]);
        assert_eq!(
            plan.iter().map(|d| d.planned).collect::<Vec<_>>(),
            [5, 15, 0]
        );
        assert!(plan[1].over());
    }

    #[test]
    fn the_soonest_due_goes_first_when_a_feasible_spread_exists() {
        // Greedy by open day would put day-3 tasks on day 0 and break day 1.
        let plan = spread(&[g(0, 3, 10), g(0, 1, 20), g(2, 2, 10)], &[10, 10, 10, 10]);
        assert!(plan.iter().all(|d| !d.over()), "{plan:?}");
        assert_eq!(plan.iter().map(|d| d.planned).sum::<u64>(), 40);
    }

    #[test]
    fn no_capacity_is_over_on_the_due_day_only() {
        let plan = spread(&[g(0, 2, 4)], &[0, 0, 0]);
        assert_eq!(
            plan.iter().map(|d| d.planned).collect::<Vec<_>>(),
            [0, 0, 4]
        );
    }

    #[test]
    fn beyond_the_horizon_is_left_out() {
        let plan = spread(&[g(0, 20, 4)], &[1, 1]);
        assert_eq!(plan.iter().map(|d| d.planned + d.due).sum::<u64>(), 0);
    }
}
