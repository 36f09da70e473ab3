//! The one mapping from service errors to `tonic::Status`.
//!
//! Each service converts its domain errors into [`Error`]; the gRPC edge turns an [`Error`]
//! into a [`tonic::Status`] through the single exhaustive `match` in `From<Error> for
//! Status`. Database errors are classified by kind and SQLSTATE on the way in.

use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A result whose error is the kit's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, as in the `.proto` (`customer.phone`).
    pub field: String,
    /// What is wrong, for a person to read.
    pub description: String,
}

/// The invalid fields of one request, collected so a client sees all of them at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(pub Vec<FieldViolation>);

impl Violations {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set of one violation of `field`.
    pub fn one(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut v = Self::new();
        v.add(field, description);
        v
    }

    /// Records a violation of `field`.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Records a violation of `field` unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: &str, description: &str) {
        if !ok {
            self.add(field, description);
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else the violations as [`Error::InvalidArgument`].
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(self))
        }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for v in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{}: {}", v.field, v.description)?;
        }
        Ok(())
    }
}

/// The edge's (or a use case's own) violations and the rules' verdict as one answer, one
/// entry per field (the first found kept), so a client sees every bad field at once.
pub fn merge<T>(mut found: Violations, rules: Result<T>) -> Result<T> {
    match rules {
        Err(Error::InvalidArgument(more)) => {
            for f in more.0 {
                if !found.0.iter().any(|e| e.field == f.field) {
                    found.0.push(f);
                }
            }
            Err(Error::InvalidArgument(found))
        }
        other if found.is_empty() => other,
        _ => Err(Error::InvalidArgument(found)),
    }
}

/// Every way a request can fail, whatever the service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; names each bad field.
    #[error("invalid argument: {0}")]
    InvalidArgument(Violations),
    /// The thing named does not exist (or is outside the caller's sight).
    #[error("{0} not found")]
    NotFound(String),
    /// A create would duplicate something that must be unique.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The request is well-formed but the current state forbids it (an illegal status
    /// change, a booking on a closed day).
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// A limited resource is used up (a full slot).
    #[error("resource exhausted: {0}")]
    ResourceExhausted(String),
    /// A concurrent change won (a stale `expected_version`, or a transaction the database
    /// aborted for serialization); the client may read again and retry.
    #[error("aborted: {0}")]
    Aborted(String),
    /// The caller is known but may not do this here.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// No valid credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// A dependency (the database, another service) cannot be reached now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A database error that is not the caller's fault.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A bug or an unexpected failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// An [`Error::InvalidArgument`] naming one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut v = Violations::new();
        v.add(field, description);
        Self::InvalidArgument(v)
    }

    /// The same error with every violated field under `from` (`opening_hours`, covering
    /// `opening_hours[0].weekday`) renamed under `to` (`opening_hours.hours`): rules that
    /// name fields one way serve requests that nest them another.
    pub fn rename_fields(self, from: &str, to: &str) -> Self {
        match self {
            Error::InvalidArgument(mut v) => {
                for f in &mut v.0 {
                    let rest = f.field.strip_prefix(from);
                    if let Some(rest) = rest.filter(|r| r.is_empty() || r.starts_with(['[', '.'])) {
                        f.field = format!("{to}{rest}");
                    }
                }
                Error::InvalidArgument(v)
            }
            other => other,
        }
    }

    /// Whether retrying the same transaction may succeed (serialization failure, deadlock,
    /// SQLite busy).
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Aborted(m) if m.starts_with(TRANSIENT))
    }
}

const TRANSIENT: &str = "concurrent transaction";

/// SQLSTATEs and SQLite result codes meaning "try the transaction again".
fn is_transient_code(code: &str) -> bool {
    matches!(
        code,
        // serialization_failure, deadlock_detected
        "40001" | "40P01"
        // SQLITE_BUSY, SQLITE_LOCKED and their extended forms
        | "5" | "6" | "261" | "262" | "517" | "773"
    )
}

/// SQLSTATEs meaning the database cannot serve us now (an outage, not a bug and not the
/// caller's fault): connection exceptions (class 08), operator intervention such as a
/// shutdown or a database closed to connections (class 57), insufficient resources such
/// as too many connections (class 53), and a database that does not accept connections.
fn is_outage_code(code: &str, message: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57")
        || code.starts_with("53")
        || (code == "55000" && message.contains("not currently accepting connections"))
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &err {
            sqlx::Error::RowNotFound => Error::NotFound("row".into()),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Error::Unavailable(format!("database: {err}"))
            }
            sqlx::Error::Database(db) => {
                if db
                    .code()
                    .as_deref()
                    .is_some_and(|c| is_outage_code(c, db.message()))
                {
                    return Error::Unavailable("database unavailable".into());
                }
                if db.code().as_deref().is_some_and(is_transient_code) {
                    return Error::Aborted(format!("{TRANSIENT}: {}", db.message()));
                }
                // Class 22, data exception: a value the database cannot store (a NUL
                // character in text, say). The caller's input, not our fault.
                if db.code().is_some_and(|c| c.starts_with("22")) {
                    return Error::invalid("request", "contains a value that cannot be stored");
                }
                match db.kind() {
                    ErrorKind::UniqueViolation => {
                        Error::AlreadyExists(db.constraint().unwrap_or("record").to_owned())
                    }
                    ErrorKind::ForeignKeyViolation => Error::FailedPrecondition(format!(
                        "referenced record missing ({})",
                        db.constraint().unwrap_or("foreign key")
                    )),
                    _ => Error::Database(err),
                }
            }
            _ => Error::Database(err),
        }
    }
}

/// The longest status message sent: messages are for people; anything longer is an
/// echo of input the edge should have refused, and must not reach a client that way.
pub const MAX_MESSAGE_CHARS: usize = 512;

fn bounded(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => message,
        Some((cut, _)) => format!("{}…", &message[..cut]),
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let status = status(err);
        if status.message().chars().count() <= MAX_MESSAGE_CHARS {
            return status;
        }
        Status::with_details(
            status.code(),
            bounded(status.message().to_owned()),
            status.details().to_vec().into(),
        )
    }
}

fn status(err: Error) -> Status {
    match err {
        Error::InvalidArgument(violations) => {
            let mut details = ErrorDetails::new();
            for v in &violations.0 {
                details.add_bad_request_violation(v.field.clone(), v.description.clone());
            }
            Status::with_error_details(
                Code::InvalidArgument,
                format!("invalid request: {violations}"),
                details,
            )
        }
        Error::NotFound(what) => Status::not_found(format!("{what} not found")),
        Error::AlreadyExists(what) => Status::already_exists(what),
        Error::FailedPrecondition(why) => Status::failed_precondition(why),
        Error::ResourceExhausted(why) => Status::resource_exhausted(why),
        Error::Aborted(why) => Status::aborted(why),
        Error::PermissionDenied(why) => Status::permission_denied(why),
        Error::Unauthenticated(why) => Status::unauthenticated(why),
        Error::Unavailable(why) => {
            tracing::warn!(error = %why, "dependency unavailable");
            Status::unavailable(why)
        }
        Error::Database(e) => {
            tracing::error!(error = %e, "database error");
            Status::internal("internal error")
        }
        Error::Internal(e) => {
            tracing::error!(error = format!("{e:#}"), "internal error");
            Status::internal("internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_every_field() {
        let mut v = Violations::new();
        v.add("slot_id", "required");
        v.add("customer.phone", "must be 11 digits");
        let status: Status = Error::InvalidArgument(v).into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .expect("bad request details")
            .field_violations
            .iter()
            .map(|f| f.field.clone())
            .collect();
        assert_eq!(fields, ["slot_id", "customer.phone"]);
    }

    #[test]
    fn no_status_message_repeats_more_than_a_short_prefix() {
        let huge = "x".repeat(1 << 20);
        let status: Status = Error::NotFound(format!("work order {huge}")).into();
        assert!(status.message().chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(status.message().starts_with("work order xxx"));
        let mut v = Violations::new();
        v.add("name", format!("bad: {huge}"));
        let status: Status = Error::InvalidArgument(v).into();
        assert!(status.message().len() < 2048);
        assert!(
            !status
                .get_error_details()
                .bad_request()
                .unwrap()
                .field_violations
                .is_empty()
        );
    }

    #[test]
    fn internal_errors_do_not_leak_their_text() {
        let status: Status = Error::Internal(anyhow::anyhow!("secret detail")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
    }
}
