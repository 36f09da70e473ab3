//! What a call's outcome does to its task: a critical finding stays open until the
//! customer is reached and what was arranged is written down; other tasks give up after
//! their attempts, on a wrong number or a refusal; attempts are spaced; a call back keeps
//! the agent.

use jiff::{SignedDuration, Timestamp};
use service_kit::{error::Violations, rules::RuleError};

use super::followup_vocab::{CallOutcome, TaskStatus};

/// How far ahead a call back may be asked for.
pub const MAX_CALL_BACK: SignedDuration = SignedDuration::from_hours(30 * 24);

/// What a task is, as a call's outcome needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    /// Unanswered calls so far.
    pub made: u32,
    /// Before it is given up; 0 never.
    pub max: u32,
    /// Minutes between them.
    pub retry_minutes: u32,
    /// Only a reached customer settles it.
    pub until_reached: bool,
}

/// What a call's outcome does to its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Settled, with this status.
    Settle(TaskStatus),
    /// Back in the queue from `ready_at`; `counted` when it used an attempt, `keep_agent`
    /// when the same agent should make the next call (a call back they arranged).
    Again {
        /// When it may be claimed again.
        ready_at: Timestamp,
        /// Whether the call used one of the task's attempts.
        counted: bool,
        /// Whether only the agent who made the call may take it.
        keep_agent: bool,
    },
}

/// The rule for a call's outcome. A critical finding stays open until the customer is
/// reached and what was arranged is written down; other tasks give up after their
/// attempts, on a wrong number or a refusal.
pub fn after_call(
    a: Attempts,
    outcome: CallOutcome,
    note: &str,
    call_back_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<After, RuleError> {
    let retry = now + SignedDuration::from_mins(i64::from(a.retry_minutes.max(1)));
    match outcome {
        CallOutcome::Reached => {
            if a.until_reached && note.trim().is_empty() {
                return Err(RuleError::Invalid(Violations::one(
                    "note",
                    "say what was arranged for the customer",
                )));
            }
            Ok(After::Settle(TaskStatus::Done))
        }
        CallOutcome::CallBack => {
            let Some(at) = call_back_at else {
                return Err(RuleError::Invalid(Violations::one(
                    "call_back_at",
                    "required for a call back",
                )));
            };
            if at <= now || at > now + MAX_CALL_BACK {
                return Err(RuleError::Invalid(Violations::one(
                    "call_back_at",
                    "must be in the next 30 days",
                )));
            }
            Ok(After::Again {
                ready_at: at,
                counted: false,
                keep_agent: true,
            })
        }
        _ if a.until_reached => Ok(After::Again {
            ready_at: retry,
            counted: true,
            keep_agent: false,
        }),
        CallOutcome::WrongNumber => Ok(After::Settle(TaskStatus::Unreached)),
        CallOutcome::Refused => Ok(After::Settle(TaskStatus::Refused)),
        CallOutcome::NoAnswer if a.max > 0 && a.made + 1 >= a.max => {
            Ok(After::Settle(TaskStatus::Unreached))
        }
        CallOutcome::NoAnswer => Ok(After::Again {
            ready_at: retry,
            counted: true,
            keep_agent: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-11-30T02:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_critical_finding_stays_open_until_reached_with_what_was_arranged() {
        let a = Attempts {
            made: 9,
            max: 0,
            retry_minutes: 10,
            until_reached: true,
        };
        for o in [
            CallOutcome::NoAnswer,
            CallOutcome::WrongNumber,
            CallOutcome::Refused,
        ] {
            assert!(matches!(
                after_call(a, o, "", None, t0()).unwrap(),
                After::Again { counted: true, .. }
            ));
        }
        assert!(after_call(a, CallOutcome::Reached, " ", None, t0()).is_err());
        assert_eq!(
            after_call(a, CallOutcome::Reached, "expert group at 15:00", None, t0()).unwrap(),
            After::Settle(TaskStatus::Done)
        );
    }

    #[test]
    fn attempts_are_capped_and_spaced() {
        let mut a = Attempts {
            made: 0,
            max: 3,
            retry_minutes: 240,
            until_reached: false,
        };
        let first = after_call(a, CallOutcome::NoAnswer, "", None, t0()).unwrap();
        assert_eq!(
            first,
            After::Again {
                ready_at: t0() + SignedDuration::from_hours(4),
                counted: true,
                keep_agent: false
            }
        );
        a.made = 2;
        assert_eq!(
            after_call(a, CallOutcome::NoAnswer, "", None, t0()).unwrap(),
            After::Settle(TaskStatus::Unreached)
        );
        // A call back keeps the agent and does not use an attempt, within 30 days only.
        let at = t0() + SignedDuration::from_hours(3);
        assert_eq!(
            after_call(a, CallOutcome::CallBack, "", Some(at), t0()).unwrap(),
            After::Again {
                ready_at: at,
                counted: false,
                keep_agent: true
            }
        );
        assert!(after_call(a, CallOutcome::CallBack, "", None, t0()).is_err());
        assert!(after_call(a, CallOutcome::CallBack, "", Some(t0()), t0()).is_err());
    }
}
