//! Conventions every API of the suite follows for list and create requests: page sizes,
//! page tokens and client-chosen idempotency keys (`request_id`), with the replay rules of
//! an idempotent create written once ([`create_once`]).

use std::future::Future;

use crate::{
    Error, Result,
    error::{Violations, merge},
    rules::RuleError,
};

/// Page size when a list request gives none.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// The largest page a list returns.
pub const MAX_PAGE_SIZE: i64 = 500;

/// Where a list request starts and how much it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Rows to return: the request's `page_size`, 0 meaning [`DEFAULT_PAGE_SIZE`], clamped
    /// to [`MAX_PAGE_SIZE`].
    pub limit: i64,
    /// The key of the last row of the previous page (empty for the first page).
    pub after: String,
}

/// Reads a list request's `page_size` and `page_token`: a negative size, or a token this
/// service did not issue (see [`next_page_token`]), is `INVALID_ARGUMENT` naming the field.
pub fn page(page_size: i32, page_token: &str) -> Result<Page> {
    let mut v = Violations::new();
    v.check(
        page_size >= 0,
        "page_size",
        "0 for the default of 50, or up to 500",
    );
    let after = if page_token.is_empty() {
        Some(String::new())
    } else {
        decode_token(page_token)
    };
    v.check(
        after.is_some(),
        "page_token",
        "not a token this service issued; pass next_page_token from the previous page",
    );
    v.into_result()?;
    Ok(Page {
        limit: clamp_page_size(page_size),
        after: after.unwrap_or_default(),
    })
}

/// A requested page size clamped: zero or less means the default, more than the maximum
/// means the maximum.
fn clamp_page_size(requested: i32) -> i64 {
    match i64::from(requested) {
        n if n <= 0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

/// The token for the page after `page`, built from its last row's `key`; empty when the
/// page was not full, which tells the client there is nothing more. Opaque to clients: a
/// version, the key in hex and a checksum, so [`page`] recognises what it issued.
pub fn next_page_token<T>(page: &[T], limit: i64, key: impl Fn(&T) -> String) -> String {
    if page.len() as i64 == limit {
        page.last()
            .map(|row| encode_token(&key(row)))
            .unwrap_or_default()
    } else {
        String::new()
    }
}

const TOKEN_VERSION: &str = "p1";

fn encode_token(key: &str) -> String {
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{TOKEN_VERSION}.{hex}.{:08x}", checksum(key.as_bytes()))
}

fn decode_token(token: &str) -> Option<String> {
    // Keys are ids and codes, far below this; a longer token was not issued here.
    if token.len() > 1024 {
        return None;
    }
    let mut parts = token.split('.');
    let (version, hex, sum) = (parts.next()?, parts.next()?, parts.next()?);
    if version != TOKEN_VERSION || parts.next().is_some() || hex.len() % 2 != 0 {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    (format!("{:08x}", checksum(&bytes)) == sum).then_some(())?;
    String::from_utf8(bytes).ok()
}

/// FNV-1a: enough to tell a token this service issued from one a client made up or
/// mangled (it is not a secret: a forged token only pages from another key).
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// Checks a client-chosen idempotency key, adding a violation to `v` when it is bad, so a
/// client sees it beside every other bad field.
pub fn check_request_id(request_id: &str, v: &mut Violations) {
    v.check(
        !request_id.is_empty()
            && request_id.len() <= 128
            && !request_id.chars().any(char::is_control),
        "request_id",
        "required, at most 128 printable characters",
    );
}

/// The request id's check and the rules' verdict on the rest of a create request, as one
/// answer naming every bad field.
pub fn with_request_id<T>(request_id: &str, checked: Result<T, RuleError>) -> Result<T> {
    let mut v = Violations::new();
    check_request_id(request_id, &mut v);
    merge(v, checked.map_err(Error::from))
}

/// What an idempotent create did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created<T> {
    /// It made the thing now.
    New(T),
    /// An earlier attempt with the same `request_id` made it; this is that thing.
    Replayed(T),
}

impl<T> Created<T> {
    /// The thing, new or replayed.
    pub fn into_inner(self) -> T {
        match self {
            Created::New(t) | Created::Replayed(t) => t,
        }
    }
}

/// Creates something at most once per `request_id`. The replay rules, the same for every
/// create of every service:
///
/// - `lookup` finds what an earlier attempt with this request id made; when it finds
///   something, that is the answer and nothing is written (the client's retry after a lost
///   reply gets the first answer);
/// - otherwise `insert` writes it, under a unique key on the request id (and whatever else
///   must be unique, such as a code);
/// - when `insert` fails with [`Error::AlreadyExists`], either a concurrent attempt with
///   the same request id won the race, and `lookup` now finds its result, or another key
///   is taken, and `taken()` says which.
///
/// The caller checks that the replayed thing is visible to the caller before returning it.
pub async fn create_once<T, L, LF, I, IF>(
    lookup: L,
    insert: I,
    taken: impl FnOnce() -> Error,
) -> Result<Created<T>>
where
    L: Fn() -> LF,
    LF: Future<Output = Result<Option<T>>>,
    I: FnOnce() -> IF,
    IF: Future<Output = Result<T>>,
{
    if let Some(existing) = lookup().await? {
        return Ok(Created::Replayed(existing));
    }
    match insert().await {
        Ok(created) => Ok(Created::New(created)),
        Err(Error::AlreadyExists(_)) => match lookup().await? {
            Some(existing) => Ok(Created::Replayed(existing)),
            None => Err(taken()),
        },
        Err(e) => Err(e),
    }
}

/// [`create_once`] for a hot path that should not read before it writes: runs `attempt`;
/// when it fails (whatever it ran into: the unique request id, the last place taken by an
/// earlier attempt, a state that moved on since), `lookup` tells whether an earlier
/// attempt with the same request id went through, and then that is the answer; otherwise
/// the failure stands.
pub async fn replay_on_failure<T, L, LF>(
    attempt: impl Future<Output = Result<T>>,
    lookup: L,
) -> Result<Created<T>>
where
    L: FnOnce() -> LF,
    LF: Future<Output = Result<Option<T>>>,
{
    match attempt.await {
        Ok(created) => Ok(Created::New(created)),
        // The look-up would meet the same outage; say so at once.
        Err(e @ Error::Unavailable(_)) => Err(e),
        Err(e) => match lookup().await? {
            Some(existing) => Ok(Created::Replayed(existing)),
            None => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[tokio::test]
    async fn a_create_is_replayed_from_an_earlier_attempt_without_writing() {
        let store = Mutex::new(Some("first"));
        let made = create_once(
            || async { Ok(*store.lock().unwrap()) },
            || async { panic!("nothing is written on a replay") },
            || Error::AlreadyExists("code".into()),
        )
        .await
        .unwrap();
        assert_eq!(made, Created::Replayed("first"));
    }

    #[tokio::test]
    async fn a_lost_race_returns_the_winners_result() {
        let store = Mutex::new(None);
        let made = create_once(
            || async { Ok(*store.lock().unwrap()) },
            || async {
                // A concurrent attempt with the same request id commits first.
                *store.lock().unwrap() = Some("winner");
                Err::<&str, _>(Error::AlreadyExists("request_id".into()))
            },
            || Error::AlreadyExists("code taken".into()),
        )
        .await
        .unwrap();
        assert_eq!(made, Created::Replayed("winner"));
    }

    #[tokio::test]
    async fn another_taken_key_is_the_callers_error_and_other_failures_pass_through() {
        let taken = create_once(
            || async { Ok(None::<u8>) },
            || async { Err(Error::AlreadyExists("branches_code_key".into())) },
            || Error::AlreadyExists("branch code SZ-01 is already used".into()),
        )
        .await;
        assert!(matches!(taken, Err(Error::AlreadyExists(m)) if m.contains("SZ-01")));
        let failed = create_once(
            || async { Ok(None::<u8>) },
            || async { Err(Error::Unavailable("database".into())) },
            || unreachable!(),
        )
        .await;
        assert!(matches!(failed, Err(Error::Unavailable(_))));
        let new = create_once(|| async { Ok(None) }, || async { Ok(7) }, || unreachable!())
            .await
            .unwrap();
        assert_eq!(new, Created::New(7));
    }

    #[tokio::test]
    async fn a_failed_attempt_is_answered_by_an_earlier_success() {
        let replayed = replay_on_failure(
            async { Err(Error::ResourceExhausted("full".into())) },
            || async { Ok(Some("first booking")) },
        )
        .await
        .unwrap();
        assert_eq!(replayed, Created::Replayed("first booking"));
        let failed = replay_on_failure(
            async { Err::<u8, _>(Error::ResourceExhausted("full".into())) },
            || async { Ok(None) },
        )
        .await;
        assert!(matches!(failed, Err(Error::ResourceExhausted(_))));
    }

    #[test]
    fn the_request_id_and_the_rules_are_checked_together() {
        let mut rules = Violations::new();
        rules.add("name", "required");
        let Err(Error::InvalidArgument(v)) =
            with_request_id::<()>("", Err(RuleError::Invalid(rules)))
        else {
            panic!("invalid argument expected")
        };
        let fields: Vec<_> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["request_id", "name"]);
        assert!(with_request_id("r-1", Ok(3)).is_ok());
    }

    #[test]
    fn page_sizes_are_clamped_and_negative_ones_refused() {
        assert_eq!(page(0, "").unwrap().limit, DEFAULT_PAGE_SIZE);
        assert_eq!(page(7, "").unwrap().limit, 7);
        assert_eq!(page(i32::MAX, "").unwrap().limit, MAX_PAGE_SIZE);
        let Err(Error::InvalidArgument(v)) = page(-3, "") else {
            panic!("negative size refused")
        };
        assert_eq!(v.0[0].field, "page_size");
    }

    #[test]
    fn a_full_page_points_at_its_last_row_and_a_short_one_ends_the_list() {
        let rows = ["a", "b", "c"];
        let token = next_page_token(&rows, 3, |r| r.to_string());
        assert_eq!(page(3, &token).unwrap().after, "c");
        assert_eq!(next_page_token(&rows[..2], 3, |r| r.to_string()), "");
        assert_eq!(next_page_token::<&str>(&[], 3, |r| r.to_string()), "");
        let id = "br_01a24d0e008c72c2bce5fbc36f897de8";
        assert_eq!(
            page(1, &next_page_token(&[id], 1, |r| r.to_string()))
                .unwrap()
                .after,
            id
        );
    }

    #[test]
    fn tokens_the_service_did_not_issue_are_refused() {
        let good = next_page_token(&["SZ-01"], 1, |r| r.to_string());
        let tampered = good.replacen("53", "54", 1);
        for bad in [
            "garbage",
            "c",
            "p1.zz.00000000",
            "p1.41.00000000",
            &tampered,
            &"x".repeat(2000),
        ] {
            let Err(Error::InvalidArgument(v)) = page(10, bad) else {
                panic!("{bad} refused")
            };
            assert_eq!(v.0[0].field, "page_token", "{bad}");
        }
    }

    #[test]
    fn request_ids_must_be_short_printable_and_present() {
        for (id, ok) in [
            ("book-1", true),
            (&"x".repeat(128), true),
            ("", false),
            (&"x".repeat(129), false),
            ("a\nb", false),
        ] {
            let mut v = Violations::new();
            check_request_id(id, &mut v);
            assert_eq!(v.is_empty(), ok, "{id:?}");
        }
    }
}
