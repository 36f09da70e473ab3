//! The scheduling rules: plain types and functions, no I/O, no tonic or sqlx.

pub mod appointment;
pub mod branch;
pub mod calendar;
pub mod catalogue;
pub mod complimentary;
pub mod customer;
pub mod visit;

use service_kit::error::Violations;

/// What the rules can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Malformed input, field by field.
    #[error("invalid input: {0}")]
    Invalid(Violations),
    /// A status change the lifecycle does not allow.
    #[error("cannot {action} an appointment that is {from}")]
    IllegalTransition {
        /// The current status.
        from: &'static str,
        /// What was attempted.
        action: &'static str,
    },
    /// The request is well-formed but the state forbids it.
    #[error("{0}")]
    Precondition(String),
}

impl From<DomainError> for service_kit::Error {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(v) => service_kit::Error::InvalidArgument(v),
            e @ (DomainError::IllegalTransition { .. } | DomainError::Precondition(_)) => {
                service_kit::Error::FailedPrecondition(e.to_string())
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
