//! The complaint-handling rules: plain types and functions, no I/O, no tonic or sqlx.

pub mod calendar;
pub mod figures;
pub mod lifecycle;
pub mod recovery;
pub mod sla;
pub mod vocab;
pub mod work_order;

use service_kit::error::Violations;

/// What the rules can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Malformed input, field by field.
    #[error("invalid input: {0}")]
    Invalid(Violations),
    /// A status change the lifecycle does not allow.
    #[error("cannot {action} a work order that is {from}")]
    IllegalTransition {
        /// The current status.
        from: &'static str,
        /// What was attempted.
        action: &'static str,
    },
    /// The request is well-formed but the state forbids it.
    #[error("{0}")]
    Precondition(String),
    /// The caller's role or level may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// A limit would be passed (the customer's yearly cap).
    #[error("{0}")]
    Exhausted(String),
}

impl From<DomainError> for service_kit::Error {
    fn from(e: DomainError) -> Self {
        use service_kit::Error;
        match e {
            DomainError::Invalid(v) => Error::InvalidArgument(v),
            DomainError::NotAllowed(m) => Error::PermissionDenied(m),
            DomainError::Exhausted(m) => Error::ResourceExhausted(m),
            e @ (DomainError::IllegalTransition { .. } | DomainError::Precondition(_)) => {
                Error::FailedPrecondition(e.to_string())
            }
        }
    }
}

/// Converts collected violations into a domain result.
pub(crate) fn check(v: Violations) -> Result<(), DomainError> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(v))
    }
}

/// Whether `s` is at most `max` characters without control characters (which PostgreSQL
/// refuses in text, NUL above all).
pub(crate) fn printable(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(|c| c.is_control() && c != '\n')
}
