//! SLA policies and the timers they set: time to acknowledge and time to resolve, counted
//! in the branch's business calendar, a warning part-way, and on a breach one level up the
//! org tree with fresh windows for the new level.

use jiff::Timestamp;
use service_kit::error::Violations;

use super::{
    RuleError,
    calendar::Calendar,
    check,
    vocab::{Level, Severity, Status},
};

/// The most business minutes a window may have (about a quarter of working days).
pub const MAX_WINDOW_MINUTES: u32 = 60 * 24 * 90;

/// Deadlines for one severity, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Which work orders it governs.
    pub severity: Severity,
    /// From opening (or reaching a level) to acknowledgement.
    pub acknowledge_minutes: u32,
    /// From opening (or reaching a level) to resolution.
    pub resolve_minutes: u32,
    /// Share of a window after which a warning is raised.
    pub warn_at_percent: u32,
}

impl Policy {
    /// Checks a policy an administrator sets.
    pub fn validate(&self) -> Result<(), RuleError> {
        let mut v = Violations::new();
        v.check(
            (1..=MAX_WINDOW_MINUTES).contains(&self.acknowledge_minutes),
            "policy.acknowledge_minutes",
            "between 1 and 129600",
        );
        v.check(
            (1..=MAX_WINDOW_MINUTES).contains(&self.resolve_minutes),
            "policy.resolve_minutes",
            "between 1 and 129600",
        );
        v.check(
            self.resolve_minutes >= self.acknowledge_minutes,
            "policy.resolve_minutes",
            "must not be shorter than acknowledge_minutes",
        );
        v.check(
            (1..=99).contains(&self.warn_at_percent),
            "policy.warn_at_percent",
            "between 1 and 99",
        );
        check(v)
    }

    /// Due and warning instants of a window of `minutes` opening at `from`.
    fn window(
        &self,
        cal: &Calendar,
        from: Timestamp,
        minutes: u32,
    ) -> (Timestamp, Option<Timestamp>) {
        let due = cal.add(from, i64::from(minutes));
        let warn_after = i64::from(minutes) * i64::from(self.warn_at_percent) / 100;
        let warn = (warn_after > 0).then(|| cal.add(from, warn_after));
        (due, warn.filter(|w| *w < due))
    }
}

/// Which deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// Time to acknowledge.
    Acknowledge,
    /// Time to resolve.
    Resolve,
}

impl Deadline {
    /// The name used in events and the timeline.
    pub fn as_str(self) -> &'static str {
        match self {
            Deadline::Acknowledge => "acknowledge",
            Deadline::Resolve => "resolve",
        }
    }
}

/// The SLA clocks of one work order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clocks {
    /// Acknowledge by; `None` once acknowledged.
    pub ack_due_at: Option<Timestamp>,
    /// Warn about acknowledgement at; `None` once raised.
    pub ack_warn_at: Option<Timestamp>,
    /// Resolve by; `None` once resolved or while paused.
    pub resolve_due_at: Option<Timestamp>,
    /// Warn about resolution at.
    pub resolve_warn_at: Option<Timestamp>,
    /// Set while waiting on the customer.
    pub paused_at: Option<Timestamp>,
    /// Business minutes to resolve that were left when paused.
    pub resolve_left_min: Option<i64>,
    /// Whether any deadline has been missed.
    pub breached: bool,
}

impl Clocks {
    /// The earliest timer, what the sweeper waits for; `None` when nothing can fire.
    pub fn next_timer_at(&self) -> Option<Timestamp> {
        if self.paused_at.is_some() {
            return None;
        }
        [
            self.ack_warn_at,
            self.ack_due_at,
            self.resolve_warn_at,
            self.resolve_due_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Opens the windows a level owes from `from`: acknowledgement while nobody has taken
    /// the work order, resolution while it is open.
    pub fn start_level(
        &mut self,
        policy: &Policy,
        cal: &Calendar,
        status: Status,
        from: Timestamp,
    ) {
        if status == Status::New {
            let (due, warn) = policy.window(cal, from, policy.acknowledge_minutes);
            self.ack_due_at = Some(due);
            self.ack_warn_at = warn;
        }
        if status.is_open() {
            if self.paused_at.is_some() {
                self.resolve_left_min = Some(i64::from(policy.resolve_minutes));
            } else {
                let (due, warn) = policy.window(cal, from, policy.resolve_minutes);
                self.resolve_due_at = Some(due);
                self.resolve_warn_at = warn;
            }
        }
    }

    /// Acknowledgement happened: its clock stops.
    pub fn acknowledged(&mut self) {
        self.ack_due_at = None;
        self.ack_warn_at = None;
    }

    /// Resolution happened: every clock stops.
    pub fn resolved(&mut self) {
        *self = Clocks {
            breached: self.breached,
            ..Clocks::default()
        };
    }

    /// Waiting on the customer: the resolve clock keeps what is left and stops.
    pub fn pause(&mut self, cal: &Calendar, now: Timestamp) {
        if self.paused_at.is_some() {
            return;
        }
        self.resolve_left_min = self.resolve_due_at.map(|due| cal.minutes_between(now, due));
        self.resolve_due_at = None;
        self.resolve_warn_at = None;
        self.paused_at = Some(now);
    }

    /// Work resumes: the resolve clock continues with what was left.
    pub fn resume(&mut self, policy: &Policy, cal: &Calendar, now: Timestamp) {
        if self.paused_at.take().is_none() {
            return;
        }
        if let Some(left) = self.resolve_left_min.take() {
            self.resolve_due_at = Some(cal.add(now, left));
            let quiet = i64::from(policy.resolve_minutes)
                * i64::from(100 - policy.warn_at_percent.min(99))
                / 100;
            self.resolve_warn_at = (left > quiet).then(|| cal.add(now, left - quiet));
        }
    }
}

/// What firing the timers did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// A deadline is near.
    Warned {
        /// Which.
        deadline: Deadline,
        /// When it falls due.
        due_at: Timestamp,
        /// When the warning was due.
        at: Timestamp,
    },
    /// A deadline passed.
    Breached {
        /// Which.
        deadline: Deadline,
        /// The missed instant (when the escalation takes effect).
        at: Timestamp,
        /// The level reached, `None` when already at the group.
        from: Level,
        /// The new level.
        escalated_to: Option<Level>,
    },
}

/// Fires every timer due by `now`, in time order. A breach escalates one level and opens
/// the new level's windows from the missed instant, so a service that was down fires late
/// but lands where it would have been; a warning whose deadline has also passed is
/// dropped.
pub fn fire(
    clocks: &mut Clocks,
    level: &mut Level,
    status: Status,
    policy: &Policy,
    cal: &Calendar,
    now: Timestamp,
) -> Vec<Fired> {
    let mut fired = Vec::new();
    // Each round clears a timer or moves up a level, so a few rounds always suffice; the
    // bound only guards against a calendar bug turning into a busy loop.
    for _ in 0..32 {
        let Some(next) = clocks.next_timer_at().filter(|t| *t <= now) else {
            break;
        };
        if clocks.ack_warn_at == Some(next) {
            clocks.ack_warn_at = None;
            if let Some(due) = clocks.ack_due_at.filter(|d| *d > now) {
                fired.push(Fired::Warned {
                    deadline: Deadline::Acknowledge,
                    due_at: due,
                    at: next,
                });
            }
        } else if clocks.resolve_warn_at == Some(next) {
            clocks.resolve_warn_at = None;
            if let Some(due) = clocks.resolve_due_at.filter(|d| *d > now) {
                fired.push(Fired::Warned {
                    deadline: Deadline::Resolve,
                    due_at: due,
                    at: next,
                });
            }
        } else {
            let deadline = if clocks.ack_due_at == Some(next) {
                clocks.acknowledged();
                Deadline::Acknowledge
            } else {
                clocks.resolve_due_at = None;
                clocks.resolve_warn_at = None;
                Deadline::Resolve
            };
            clocks.breached = true;
            let from = *level;
            let escalated_to = level.up();
            if let Some(up) = escalated_to {
                *level = up;
                clocks.start_level(policy, cal, status, next);
            }
            fired.push(Fired::Breached {
                deadline,
                at: next,
                from,
                escalated_to,
            });
        }
    }
    fired
}

/// The policies a new database starts with (also in the migration).
pub fn default_policy(severity: Severity) -> Policy {
    let (acknowledge_minutes, resolve_minutes, warn_at_percent) = match severity {
        Severity::Low => (480, 2880, 80),
        Severity::Medium => (240, 1440, 80),
        Severity::High => (60, 480, 75),
        Severity::Critical => (30, 240, 75),
    };
    Policy {
        severity,
        acknowledge_minutes,
        resolve_minutes,
        warn_at_percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::{SignedDuration, ToSpan};

    fn t0() -> Timestamp {
        "2026-11-25T02:00:00Z".parse().unwrap() // 10:00 in Shanghai
    }

    fn policy() -> Policy {
        Policy {
            severity: Severity::High,
            acknowledge_minutes: 60,
            resolve_minutes: 240,
            warn_at_percent: 75,
        }
    }

    fn cal() -> Calendar {
        Calendar::always_open("Asia/Shanghai")
    }

    fn opened() -> Clocks {
        let mut c = Clocks::default();
        c.start_level(&policy(), &cal(), Status::New, t0());
        c
    }

    #[test]
    fn windows_and_warnings_open_with_the_work_order() {
        let c = opened();
        assert_eq!(c.ack_due_at, Some(t0() + 60.minutes()));
        assert_eq!(c.ack_warn_at, Some(t0() + 45.minutes()));
        assert_eq!(c.resolve_due_at, Some(t0() + 240.minutes()));
        assert_eq!(c.resolve_warn_at, Some(t0() + 180.minutes()));
        assert_eq!(c.next_timer_at(), Some(t0() + 45.minutes()));
    }

    #[test]
    fn warning_then_breach_escalates_one_level_with_fresh_windows() {
        let mut c = opened();
        let mut level = Level::Branch;
        let warned = fire(
            &mut c,
            &mut level,
            Status::New,
            &policy(),
            &cal(),
            t0() + 50.minutes(),
        );
        assert_eq!(
            warned,
            [Fired::Warned {
                deadline: Deadline::Acknowledge,
                due_at: t0() + 60.minutes(),
                at: t0() + 45.minutes()
            }]
        );
        assert!(
            fire(
                &mut c,
                &mut level,
                Status::New,
                &policy(),
                &cal(),
                t0() + 55.minutes()
            )
            .is_empty()
        );
        let breached = fire(
            &mut c,
            &mut level,
            Status::New,
            &policy(),
            &cal(),
            t0() + 61.minutes(),
        );
        assert_eq!(
            breached,
            [Fired::Breached {
                deadline: Deadline::Acknowledge,
                at: t0() + 60.minutes(),
                from: Level::Branch,
                escalated_to: Some(Level::City)
            }]
        );
        assert_eq!(level, Level::City);
        assert!(c.breached);
        // The city level gets its own hour to acknowledge, from the missed instant.
        assert_eq!(c.ack_due_at, Some(t0() + 120.minutes()));
        assert_eq!(c.resolve_due_at, Some(t0() + 300.minutes()));
    }

    #[test]
    fn a_long_outage_fires_late_but_lands_where_it_would_have_been() {
        let mut c = opened();
        let mut level = Level::Branch;
        let fired = fire(
            &mut c,
            &mut level,
            Status::New,
            &policy(),
            &cal(),
            t0() + 10.hours(),
        );
        let levels: Vec<_> = fired
            .iter()
            .filter_map(|f| match f {
                Fired::Breached { escalated_to, .. } => Some(*escalated_to),
                Fired::Warned { .. } => None,
            })
            .collect();
        // 60 min per level: city at +1h, province at +2h, group at +3h; then the group
        // misses acknowledgement (+4h) and resolution (+7h) with nowhere to go. No
        // warnings for deadlines already gone.
        assert_eq!(
            levels,
            [
                Some(Level::City),
                Some(Level::Province),
                Some(Level::Group),
                None,
                None
            ]
        );
        assert!(fired.iter().all(|f| matches!(f, Fired::Breached { .. })));
        assert_eq!(level, Level::Group);
        assert_eq!(c.next_timer_at(), None);
    }

    #[test]
    fn waiting_on_the_customer_pauses_the_resolve_clock() {
        let mut c = opened();
        c.acknowledged();
        let paused_at = t0() + 100.minutes();
        c.pause(&cal(), paused_at);
        assert_eq!(c.next_timer_at(), None);
        assert_eq!(c.resolve_left_min, Some(140));
        let mut level = Level::Branch;
        assert!(
            fire(
                &mut c,
                &mut level,
                Status::WaitingOnCustomer,
                &policy(),
                &cal(),
                t0() + 3000.minutes()
            )
            .is_empty()
        );
        let resumed = t0() + SignedDuration::from_hours(48);
        c.resume(&policy(), &cal(), resumed);
        assert_eq!(c.resolve_due_at, Some(resumed + 140.minutes()));
        // 25 % of 240 = 60 minutes before the end.
        assert_eq!(c.resolve_warn_at, Some(resumed + 80.minutes()));
    }

    #[test]
    fn policies_are_checked() {
        assert!(policy().validate().is_ok());
        let bad = Policy {
            acknowledge_minutes: 0,
            resolve_minutes: 10,
            warn_at_percent: 100,
            ..policy()
        };
        let Err(RuleError::Invalid(v)) = bad.validate() else {
            panic!("accepted")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["policy.acknowledge_minutes", "policy.warn_at_percent"]
        );
    }
}
