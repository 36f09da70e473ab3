//! The timeline of a work order: every action, by whom, when.

use jiff::Timestamp;

/// One line of a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Order within the whole table.
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who: a token subject, or `system`.
    pub actor: String,
    /// What (`opened`, `escalated`, …).
    pub action: String,
    /// Details for a person to read; never a phone number.
    pub detail: String,
}
