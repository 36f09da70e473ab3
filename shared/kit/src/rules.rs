//! What a service's domain rules can refuse, shared by every service: plain values, no
//! tonic or sqlx, mapped once onto [`Error`](crate::Error) and so onto a status code.

use crate::error::Violations;

/// A refusal by the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Malformed input, field by field (`INVALID_ARGUMENT`).
    #[error("invalid input: {0}")]
    Invalid(Violations),
    /// A status change the lifecycle does not allow (`FAILED_PRECONDITION`).
    #[error("cannot {action} {subject} that is {from}")]
    IllegalTransition {
        /// What changes, with its article: "an appointment", "a work order".
        subject: &'static str,
        /// The current status.
        from: &'static str,
        /// What was attempted.
        action: &'static str,
    },
    /// The request is well-formed but the state forbids it (`FAILED_PRECONDITION`).
    #[error("{0}")]
    Precondition(String),
    /// The caller's role or level may not do this (`PERMISSION_DENIED`).
    #[error("{0}")]
    NotAllowed(String),
    /// A limit would be passed (`RESOURCE_EXHAUSTED`).
    #[error("{0}")]
    Exhausted(String),
}

impl From<RuleError> for crate::Error {
    fn from(e: RuleError) -> Self {
        use crate::Error;
        match e {
            RuleError::Invalid(v) => Error::InvalidArgument(v),
            RuleError::NotAllowed(m) => Error::PermissionDenied(m),
            RuleError::Exhausted(m) => Error::ResourceExhausted(m),
            e @ (RuleError::IllegalTransition { .. } | RuleError::Precondition(_)) => {
                Error::FailedPrecondition(e.to_string())
            }
        }
    }
}

/// `Ok(())` when nothing was recorded, else [`RuleError::Invalid`].
pub fn check(v: Violations) -> Result<(), RuleError> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(RuleError::Invalid(v))
    }
}

/// Whether `s` is at most `max` characters without control characters (PostgreSQL refuses
/// NUL in text; the others have no place in a name or a note), line breaks allowed.
pub fn printable(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(|c| c.is_control() && c != '\n')
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn each_refusal_has_its_status_code() {
        let code = |e: RuleError| tonic::Status::from(crate::Error::from(e)).code();
        let mut v = Violations::new();
        v.add("name", "required");
        assert_eq!(code(RuleError::Invalid(v)), Code::InvalidArgument);
        let t = RuleError::IllegalTransition {
            subject: "a work order",
            from: "CLOSED",
            action: "acknowledge",
        };
        assert_eq!(
            t.to_string(),
            "cannot acknowledge a work order that is CLOSED"
        );
        assert_eq!(code(t), Code::FailedPrecondition);
        assert_eq!(
            code(RuleError::Precondition("x".into())),
            Code::FailedPrecondition
        );
        assert_eq!(
            code(RuleError::NotAllowed("x".into())),
            Code::PermissionDenied
        );
        assert_eq!(
            code(RuleError::Exhausted("x".into())),
            Code::ResourceExhausted
        );
    }

    #[test]
    fn printable_refuses_control_characters_but_not_line_breaks() {
        assert!(printable("前台\n态度", 10));
        assert!(!printable("a\0b", 10));
        assert!(!printable("abc", 2));
    }
}
