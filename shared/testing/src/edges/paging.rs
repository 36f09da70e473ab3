//! Paging: a list accepts only page tokens it issued, and no negative page size.

use tonic::Status;

use super::{expect_refused, none_broken, one_mib};

/// One page of a list: the ids on it and the next page's token (empty on the last).
pub type Page = (Vec<String>, String);

/// `token` with its last character changed: the checksum no longer matches.
pub fn tampered(token: &str) -> String {
    let mut t = token.to_owned();
    let last = t.pop().expect("a non-empty token");
    t.push(if last == '0' { '1' } else { '0' });
    t
}

/// Page tokens no list may accept, and what each is; `real` is one the list issued.
pub fn bad_page_tokens(real: &str) -> [(&'static str, String); 5] {
    [
        ("garbage", "garbage".to_owned()),
        ("a made-up p1 token", "p1.41.00000000".to_owned()),
        ("a tampered token", tampered(real)),
        ("a token with a NUL", format!("{real}\0")),
        ("1 MiB", one_mib()),
    ]
}

/// Holds the paging of each of `lists` through `page(rpc, page_size, page_token)`, which
/// lists one page: the default page (size 0) holds all of at least `min_rows` rows;
/// walking page by page, each `next_page_token` is accepted and the same rows come in the
/// same order; and tokens the list did not issue ([`bad_page_tokens`]) and negative sizes
/// are INVALID_ARGUMENT naming `page_token` or `page_size`, every break listed at the end.
pub async fn every_list_pages_only_by_its_own_tokens(
    lists: &[&str],
    min_rows: usize,
    mut page: impl AsyncFnMut(&str, i32, String) -> Result<Page, Status>,
) {
    let mut failures = Vec::new();
    let mut cases = 0;
    for rpc in lists {
        cases += pages_of(&mut failures, rpc, min_rows, async |size, token| {
            page(rpc, size, token).await
        })
        .await;
    }
    none_broken(&failures, cases);
}

/// [`every_list_pages_only_by_its_own_tokens`] for one list, `rpc`, its refusals recorded
/// in `failures`; returns how many refusal cases ran.
async fn pages_of(
    failures: &mut Vec<String>,
    rpc: &str,
    min_rows: usize,
    mut page: impl AsyncFnMut(i32, String) -> Result<Page, Status>,
) -> usize {
    // Size 0 is the default page, which holds everything here.
    let (all, next) = page(0, String::new())
        .await
        .unwrap_or_else(|e| panic!("{rpc} with page_size 0: {e:?}"));
    assert!(
        all.len() >= min_rows && next.is_empty(),
        "{rpc}: {all:?} {next:?}"
    );
    // Page by page, each next_page_token accepted, the same rows in the same order.
    let (mut walked, mut token, mut issued) = (Vec::new(), String::new(), Vec::new());
    loop {
        let (rows, next) = page(1, token.clone())
            .await
            .unwrap_or_else(|e| panic!("{rpc} with its own token {token:?}: {e:?}"));
        walked.extend(rows);
        if next.is_empty() {
            break;
        }
        assert!(walked.len() <= all.len(), "{rpc} pages without end");
        issued.push(next.clone());
        token = next;
    }
    assert_eq!(walked, all, "{rpc}: paging by one");
    let real = issued.first().expect("a token was issued").clone();
    let mut cases = 0;
    for (what, token) in bad_page_tokens(&real) {
        cases += 1;
        let got = page(1, token).await.map(|_| ());
        let case = format!("{rpc}.page_token = {what}");
        expect_refused(failures, &case, "page_token", &got);
    }
    for size in [-1, i32::MIN] {
        cases += 1;
        let got = page(size, String::new()).await.map(|_| ());
        let case = format!("{rpc}.page_size = {size}");
        expect_refused(failures, &case, "page_size", &got);
    }
    cases
}
