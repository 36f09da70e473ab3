//! What every service's edge tests check, through the real client: ids of 1 to 128 ASCII
//! letters, digits and `_-.:` refused before any look-up; free text trimmed, bounded and
//! free of control characters; dates of years 1 to 9999; money up to ¥1,000,000; page
//! tokens the service issued and page sizes that are not negative; every refused token
//! told the same thing; and no answer long enough to echo what was sent.
//!
//! A service's tests keep what is theirs (their RPCs, field tables and request builders)
//! and hand this module a closure that makes one call. The tables collect every case that
//! breaks a rule into a list of failures, and [`none_broken`] fails once, listing them all.

use hospital_proto::common;
use tonic::{Code, Status};

use crate::{bad_fields, scheduling::date};

mod paging;
mod tokens;

pub use paging::{Page, bad_page_tokens, every_list_pages_only_by_its_own_tokens, tampered};
pub use tokens::{
    NO_ALGORITHM_TOKEN, every_rpc_refuses_every_token, expiring_in, refused_tokens,
    tampered_signature, unix_now,
};

/// What a call under test answered, its response dropped.
pub type Answer = Result<(), Status>;

/// One call under test: `rpc` with every field valid but `field`, which carries `value`.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// The RPC, by its name in the contract (`CreateBranch`).
    pub rpc: &'a str,
    /// The field under test as the request spells it (`customer.name`); empty for none.
    pub field: &'a str,
    /// What the field under test carries.
    pub value: &'a str,
}

impl<'a> Case<'a> {
    /// `rpc` with `field` carrying `value`.
    pub fn new(rpc: &'a str, field: &'a str, value: &'a str) -> Self {
        Self { rpc, field, value }
    }

    /// `rpc` with every field valid.
    pub fn valid(rpc: &'a str) -> Self {
        Self::new(rpc, "", "")
    }

    /// What the request's field `name` carries: the value under test when `name` is the
    /// field under test, `valid` otherwise.
    pub fn or(&self, name: &str, valid: &str) -> String {
        if name == self.field {
            self.value
        } else {
            valid
        }
        .to_owned()
    }
}

/// Whether `status` refuses `field` (or an element of it, `field[i]…`) as invalid.
pub fn refuses(status: &Status, field: &str) -> bool {
    status.code() == Code::InvalidArgument
        && bad_fields(status).iter().any(|g| {
            g == field
                || g.strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
        })
}

/// What came back, short enough to read in a failure list.
pub fn answer<T>(got: &Result<T, Status>) -> String {
    match got {
        Ok(_) => "accepted".into(),
        Err(s) if s.code() == Code::InvalidArgument => {
            format!("INVALID_ARGUMENT naming {:?}", bad_fields(s))
        }
        Err(s) => format!(
            "{:?}: {:?}",
            s.code(),
            s.message().chars().take(160).collect::<String>()
        ),
    }
}

/// Records a failure unless the answer is short (no echo of what was sent).
pub fn short(failures: &mut Vec<String>, case: &str, got: &Answer) {
    if let Err(s) = got
        && (s.message().len() >= 1024 || s.details().len() >= 4096)
    {
        failures.push(format!(
            "{case}: a {}-byte message and {}-byte details",
            s.message().len(),
            s.details().len()
        ));
    }
}

/// Records a failure unless `got` is INVALID_ARGUMENT naming `field`, answered briefly.
pub fn expect_refused(failures: &mut Vec<String>, case: &str, field: &str, got: &Answer) {
    short(failures, case, got);
    if !matches!(got, Err(s) if refuses(s, field)) {
        failures.push(format!("{case}: {}", answer(got)));
    }
}

/// Fails listing every break of the rule found in `cases` cases.
pub fn none_broken(failures: &[String], cases: usize) {
    assert!(
        failures.is_empty(),
        "{} breaks of the rule in {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A mebibyte of text: more than any field may hold.
pub fn one_mib() -> String {
    "x".repeat(1 << 20)
}

/// Values no id may take, and what each is; `prefix` and `non_ascii` make them look like
/// the service's own ids (`br` and `分院`, say).
pub fn bad_ids(prefix: &str, non_ascii: &str) -> Vec<(&'static str, String)> {
    vec![
        ("1 MiB", one_mib()),
        ("129 characters", "x".repeat(129)),
        ("a space", format!("{prefix} 1")),
        ("non-ASCII", non_ascii.into()),
        ("NUL", format!("{prefix}_\0")),
        ("an escape", format!("{prefix}_\u{1b}[2J")),
        ("a LIKE wildcard", format!("{prefix}_%")),
        ("a slash", format!("{prefix}/1")),
    ]
}

/// Values no request id (a client's idempotency key: at most 128 printable characters
/// rather than an id's alphabet) may take.
pub fn bad_request_ids() -> Vec<(&'static str, String)> {
    vec![
        ("1 MiB", one_mib()),
        ("129 characters", "x".repeat(129)),
        ("NUL", "req-\0".into()),
        ("an escape", "req-\u{1b}[2J".into()),
    ]
}

/// What an id field may not take: [`bad_request_ids`] for `request_id`, else
/// [`bad_ids`] with `prefix` and `non_ascii`.
pub fn bad_values_of(field: &str, prefix: &str, non_ascii: &str) -> Vec<(&'static str, String)> {
    if field == "request_id" {
        bad_request_ids()
    } else {
        bad_ids(prefix, non_ascii)
    }
}

/// Calls each `(rpc, field)` of `fields` with every one of [`bad_values_of`] the field
/// through `call`, and records each answer that is not INVALID_ARGUMENT naming the field,
/// answered briefly; `context` says what the other ids of the calls are. Returns how many
/// cases ran.
pub async fn refuses_bad_ids(
    failures: &mut Vec<String>,
    fields: &[(&str, &str)],
    (prefix, non_ascii): (&str, &str),
    context: &str,
    mut call: impl AsyncFnMut(Case<'_>) -> Answer,
) -> usize {
    let mut cases = 0;
    for &(rpc, field) in fields {
        for (what, value) in bad_values_of(field, prefix, non_ascii) {
            cases += 1;
            let got = call(Case::new(rpc, field, &value)).await;
            let case = format!("{rpc}.{field} = {what} ({context})");
            expect_refused(failures, &case, field, &got);
        }
    }
    cases
}

/// Calls each `(rpc, field)` of `fields` with ids of one and of 128 characters through
/// `call`, and records each answer that refuses the field or is long. Returns how many
/// cases ran.
pub async fn passes_ids_at_the_bounds(
    failures: &mut Vec<String>,
    fields: &[(&str, &str)],
    mut call: impl AsyncFnMut(Case<'_>) -> Answer,
) -> usize {
    let mut cases = 0;
    for &(rpc, field) in fields {
        for value in ["a".to_owned(), "Ab-9_.:".repeat(18) + "xx"] {
            assert!(value.len() == 1 || value.len() == 128);
            cases += 1;
            let got = call(Case::new(rpc, field, &value)).await;
            short(failures, &format!("{rpc}.{field}"), &got);
            if matches!(&got, Err(s) if refuses(s, field)) {
                failures.push(format!(
                    "{rpc}.{field} = {} characters: {}",
                    value.len(),
                    answer(&got)
                ));
            }
        }
    }
    cases
}

/// Free text no field may take, and what each is: a mebibyte, `head` and `tail` joined by
/// a NUL or a bell, an escape before `head`, and one character past `max` when the field
/// has a bound.
pub fn bad_texts(head: &str, tail: &str, max: Option<usize>) -> Vec<(String, String)> {
    let mut values = vec![
        ("1 MiB".to_owned(), one_mib()),
        ("NUL".to_owned(), format!("{head}\0{tail}")),
        ("a bell".to_owned(), format!("{head}\u{7}{tail}")),
        ("an escape".to_owned(), format!("\u{1b}[31m{head}")),
    ];
    if let Some(max) = max {
        values.push((format!("{} characters", max + 1), "字".repeat(max + 1)));
    }
    values
}

/// Calls each `(rpc, field, max)` of `fields` (`max` the most characters allowed once
/// trimmed, `None` where the rule is a format) with every one of [`bad_texts`] through
/// `call`, and fails unless each is INVALID_ARGUMENT naming the field, answered briefly.
pub async fn refuses_bad_texts(
    fields: &[(&str, &str, Option<usize>)],
    (head, tail): (&str, &str),
    mut call: impl AsyncFnMut(Case<'_>) -> Answer,
) {
    let mut failures = Vec::new();
    let mut cases = 0;
    for &(rpc, field, max) in fields {
        for (what, value) in bad_texts(head, tail, max) {
            cases += 1;
            let got = call(Case::new(rpc, field, &value)).await;
            let case = format!("{rpc}.{field} = {what}");
            expect_refused(&mut failures, &case, field, &got);
        }
    }
    none_broken(&failures, cases);
}

/// `text` with spaces around it.
pub fn padded(text: &str) -> String {
    format!("  {text}  ")
}

/// A stored text, sketched for a failure list.
pub fn sketch(stored: &str) -> String {
    let n = stored.chars().count();
    if n <= 12 {
        return format!("{stored:?}");
    }
    let head: String = stored.chars().take(6).collect();
    let tail: String = stored.chars().skip(n - 6).collect();
    format!("{n} characters, {head:?}…{tail:?}")
}

/// Sends `max` characters of `unit` between spaces through `send`, which answers with
/// what was stored: the text must be accepted and stored without the spaces (a line of an
/// audit trail or a timeline may put a label before it). When the text at the bound is
/// refused, four characters between spaces show whether the trimming itself holds.
pub async fn trims<F, Fut>(failures: &mut Vec<String>, case: &str, unit: &str, max: usize, send: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<String, Status>>,
{
    let kept = |stored: &str, want: &str| stored == want || stored.ends_with(&format!(": {want}"));
    let long = unit.repeat(max);
    match send(padded(&long)).await {
        Ok(stored) if kept(&stored, &long) => {}
        Ok(stored) => failures.push(format!(
            "{case}: {max} characters between spaces stored as {}",
            sketch(&stored)
        )),
        Err(e) => {
            failures.push(format!(
                "{case}: {max} characters between spaces: {}",
                answer(&Err::<(), _>(e))
            ));
            let short = unit.repeat(4);
            match send(padded(&short)).await {
                Ok(stored) if kept(&stored, &short) => {}
                Ok(stored) => failures.push(format!(
                    "{case}: 4 characters between spaces stored as {}",
                    sketch(&stored)
                )),
                Err(e) => failures.push(format!(
                    "{case}: 4 characters between spaces: {}",
                    answer(&Err::<(), _>(e))
                )),
            }
        }
    }
}

/// Dates no field may take, and what each is: years outside 1 to 9999 and days off the
/// calendar, in `month` of 2026 (or of the year before the era) where a month is needed.
pub fn bad_dates(month: i32) -> [(&'static str, common::Date); 9] {
    [
        ("year 0", date(0, 1, 1)),
        ("year -1", date(-1, 12, 25)),
        ("year -2026", date(-2026, month, 1)),
        ("year 10000", date(10_000, 1, 1)),
        ("year i32::MIN", date(i32::MIN, 1, 1)),
        ("month 13", date(2026, 13, 1)),
        ("month 0", date(2026, 0, 1)),
        ("day 0", date(2026, month, 0)),
        ("30 February", date(2026, 2, 30)),
    ]
}

/// Calls each `(rpc, field)` of `fields` with every one of [`bad_dates`] (`month`) through
/// `call(rpc, field, date)`, every other date valid, and fails unless each is
/// INVALID_ARGUMENT naming the field.
pub async fn refuses_bad_dates(
    fields: &[(&str, &str)],
    month: i32,
    mut call: impl AsyncFnMut(&str, &str, common::Date) -> Answer,
) {
    let bad = bad_dates(month);
    let mut failures = Vec::new();
    for &(rpc, field) in fields {
        for (what, d) in bad {
            let got = call(rpc, field, d).await;
            let case = format!("{rpc}.{field} = {what}");
            expect_refused(&mut failures, &case, field, &got);
        }
    }
    none_broken(&failures, fields.len() * bad.len());
}

/// Fails when `got` is INTERNAL or UNKNOWN: a value may be refused, but never fails the
/// server.
pub fn never_fails_the_server<T: std::fmt::Debug>(got: &Result<T, Status>) {
    assert!(
        !matches!(got, Err(s) if matches!(s.code(), Code::Internal | Code::Unknown)),
        "{got:?}"
    );
}

/// A million yuan in minor units (fen): the most any amount may be.
pub const MILLION_YUAN: i64 = 100_000_000;

/// Calls `rpc` with every amount past [`MILLION_YUAN`] or below zero through `call(i,
/// minor_units)` (`i` numbers the calls, for request ids), and fails unless each is
/// INVALID_ARGUMENT naming `field`.
pub async fn refuses_bad_money(
    rpc: &str,
    field: &str,
    mut call: impl AsyncFnMut(usize, i64) -> Answer,
) {
    let bad = [
        ("i64::MAX", i64::MAX),
        ("100000001", MILLION_YUAN + 1),
        ("i64::MIN", i64::MIN),
        ("-1", -1),
    ];
    let mut failures = Vec::new();
    for (i, (what, minor)) in bad.into_iter().enumerate() {
        let got = call(i, minor).await;
        let case = format!("{rpc}.{field} = {what}");
        expect_refused(&mut failures, &case, field, &got);
    }
    none_broken(&failures, bad.len());
}
