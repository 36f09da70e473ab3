//! Surveys and segments: what an answer means, what of the customer's words may travel in
//! an event, and which group a customer falls into.

use jiff::{SignedDuration, Timestamp};
use service_kit::{error::Violations, rules::RuleError};

use super::followup_vocab::Segment;

/// Scores up to this one are detractors (Net Promoter Score: 0–6).
pub const DETRACTOR_MAX: i32 = 6;
/// Scores from this one are promoters (9–10).
pub const PROMOTER_MIN: i32 = 9;
/// The most a comment may say.
pub const MAX_COMMENT: usize = 2000;

/// The score, or the field's fault.
pub fn check_score(score: i32) -> Result<i32, RuleError> {
    if (0..=10).contains(&score) {
        Ok(score)
    } else {
        Err(RuleError::Invalid(Violations::one(
            "score",
            "between 0 and 10",
        )))
    }
}

/// Whether `score` makes the customer a detractor.
pub fn is_detractor(score: i32) -> bool {
    score <= DETRACTOR_MAX
}

/// The comment with every run of seven or more digits (spaces and dashes inside a run
/// count) masked but for its last two, so that a phone or ID number a customer typed never
/// leaves in an event or reaches a log.
pub fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single spaces or dashes between them; an ID's final X too.
        let mut j = i;
        let mut digits = 0;
        while j < chars.len() {
            let c = chars[j];
            if c.is_ascii_digit() {
                digits += 1;
                j += 1;
            } else if (c == ' ' || c == '-') && chars.get(j + 1).is_some_and(|n| n.is_ascii_digit())
            {
                j += 1;
            } else if (c == 'X' || c == 'x') && digits >= 14 {
                digits += 1;
                j += 1;
                break;
            } else {
                break;
            }
        }
        if digits >= 7 {
            let run: Vec<char> = chars[i..j].to_vec();
            let keep_from = run.len().saturating_sub(2);
            for (k, c) in run.iter().enumerate() {
                out.push(if k < keep_from && c.is_ascii_alphanumeric() {
                    '*'
                } else {
                    *c
                });
            }
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
}

/// What a customer's segment is derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    /// Completed visits.
    pub completed_visits: i64,
    /// The first one.
    pub first_completed_at: Option<Timestamp>,
    /// Followed since after an operation.
    pub after_operation_since: Option<Timestamp>,
    /// Came in as a lead.
    pub is_lead: bool,
}

/// How long a relationship lasts before the customer counts as long-term.
pub const LONG_TERM_AFTER: SignedDuration = SignedDuration::from_hours(365 * 24);

/// The customer's segment at `now`: long-term after a year with us (from the first
/// completed visit, or from an operation we followed up), else returning from the second
/// completed visit, else a prospect while a lead has never come, else a first visit.
pub fn segment(h: &History, now: Timestamp) -> Segment {
    let since = |t: Option<Timestamp>| t.is_some_and(|t| t + LONG_TERM_AFTER <= now);
    if since(h.after_operation_since) || (h.completed_visits >= 2 && since(h.first_completed_at)) {
        Segment::LongTerm
    } else if h.completed_visits >= 2 {
        Segment::Returning
    } else if h.completed_visits == 0 && h.is_lead {
        Segment::Prospect
    } else {
        Segment::FirstVisit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_a_comment_are_masked_and_words_kept() {
        assert_eq!(
            redact_numbers("call me on 139 0013 8000 please"),
            "call me on *** **** **00 please"
        );
        assert_eq!(
            redact_numbers("ID 11010519491231002X"),
            "ID ****************2X"
        );
        assert_eq!(
            redact_numbers("waited 45 minutes, room 302"),
            "waited 45 minutes, room 302"
        );
        assert_eq!(redact_numbers("等了很久13900138000"), "等了很久*********00");
    }

    #[test]
    fn scores_are_zero_to_ten_and_six_is_a_detractor() {
        assert!(check_score(11).is_err());
        assert!(check_score(-1).is_err());
        assert!(is_detractor(6));
        assert!(!is_detractor(7));
    }

    #[test]
    fn segments_follow_the_history() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        let long_ago = now - SignedDuration::from_hours(400 * 24);
        let mut h = History {
            completed_visits: 0,
            first_completed_at: None,
            after_operation_since: None,
            is_lead: true,
        };
        assert_eq!(segment(&h, now), Segment::Prospect);
        h.completed_visits = 1;
        h.first_completed_at = Some(now);
        assert_eq!(segment(&h, now), Segment::FirstVisit);
        h.completed_visits = 2;
        assert_eq!(segment(&h, now), Segment::Returning);
        h.first_completed_at = Some(long_ago);
        assert_eq!(segment(&h, now), Segment::LongTerm);
        h.completed_visits = 1;
        assert_eq!(segment(&h, now), Segment::FirstVisit);
        h.after_operation_since = Some(long_ago);
        assert_eq!(segment(&h, now), Segment::LongTerm);
    }
}
