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

/// The one rule for a free-text field (a name, a brand, a department, a summary): at most
/// `max` characters once trimmed, no control characters at all (NUL above all, which
/// PostgreSQL refuses and SQLite would store), and not blank when `required`. Records a
/// violation of `field` and returns the trimmed text to store.
pub fn text(v: &mut Violations, field: &str, value: &str, max: usize, required: bool) -> String {
    check_text(v, field, value, max, required, false)
}

/// [`text`] for a note or a description, where line breaks are allowed.
pub fn note(v: &mut Violations, field: &str, value: &str, max: usize, required: bool) -> String {
    check_text(v, field, value, max, required, true)
}

fn check_text(
    v: &mut Violations,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    lines: bool,
) -> String {
    let trimmed = value.trim();
    let controls = trimmed
        .chars()
        .any(|c| c.is_control() && !(lines && (c == '\n' || c == '\r' || c == '\t')));
    let ok = !(required && trimmed.is_empty()) && trimmed.chars().count() <= max && !controls;
    if !ok {
        let what = if lines {
            "characters"
        } else {
            "characters on one line"
        };
        let rule = format!("at most {max} {what}, no control characters");
        v.add(
            field,
            if required {
                format!("required, {rule}")
            } else {
                rule
            },
        );
    }
    trimmed.to_owned()
}

/// The longest id accepted anywhere.
pub const MAX_ID_LEN: usize = 128;

/// Whether `value` looks like an id: 1 to [`MAX_ID_LEN`] ASCII letters, digits, `_`, `-`,
/// `.` or `:`. Every id the suite issues (`apt_…`, `br_…`) and every id a client brings
/// (`staff-nurse-7`, `cus_…`) fits; anything else is refused before any look-up, so no
/// status message ever carries more of it than that.
pub fn is_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

/// The largest amount of money any request may carry, in minor units (fen): ¥1,000,000.
/// Nothing a customer-service desk prices or grants comes near it; an amount above it is
/// a typo or an attack, not a price.
pub const MAX_MONEY_MINOR: i64 = 100_000_000;

/// Records a violation of `field` unless `minor` is between 0 and [`MAX_MONEY_MINOR`].
pub fn money(v: &mut Violations, field: &str, minor: i64) {
    v.check(
        (0..=MAX_MONEY_MINOR).contains(&minor),
        field,
        "between 0 and 100000000 (¥1,000,000) in minor units",
    );
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
    fn free_text_is_trimmed_bounded_and_free_of_control_characters() {
        let mut v = Violations::new();
        assert_eq!(text(&mut v, "name", "  腹部彩超 ", 10, true), "腹部彩超");
        assert!(v.is_empty());
        text(&mut v, "name", "a\0b", 10, true);
        text(&mut v, "brand", "   ", 10, true);
        text(&mut v, "department", &"科".repeat(11), 10, true);
        text(&mut v, "summary", "one\ntwo", 10, false);
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "brand", "department", "summary"]);
        let mut v = Violations::new();
        assert_eq!(
            note(&mut v, "note", "line one\nline two", 100, false),
            "line one\nline two"
        );
        note(&mut v, "note", "bell\u{7}", 100, false);
        assert_eq!(v.0.len(), 1);
        assert_eq!(text(&mut Violations::new(), "note", "", 10, false), "");
    }

    #[test]
    fn money_has_a_sane_range() {
        let mut v = Violations::new();
        money(&mut v, "price.minor_units", 59_900);
        money(&mut v, "price.minor_units", MAX_MONEY_MINOR);
        assert!(v.is_empty());
        money(&mut v, "price.minor_units", i64::MAX);
        money(&mut v, "price.minor_units", -1);
        assert_eq!(v.0.len(), 2);
    }

    #[test]
    fn printable_refuses_control_characters_but_not_line_breaks() {
        assert!(printable("前台\n态度", 10));
        assert!(!printable("a\0b", 10));
        assert!(!printable("abc", 2));
    }
}
