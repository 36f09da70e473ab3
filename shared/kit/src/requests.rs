//! Conventions every API of the suite follows for list and create requests: page sizes,
//! page tokens and client-chosen idempotency keys (`request_id`).

use crate::error::Violations;

/// Page size when a list request gives none.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// The largest page a list returns.
pub const MAX_PAGE_SIZE: i64 = 500;

/// Clamps a requested page size: zero or less means the default, more than the maximum
/// means the maximum.
pub fn page_size(requested: i32) -> i64 {
    match i64::from(requested) {
        n if n <= 0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

/// The token for the page after `page`, built from its last row's `key`; empty when the
/// page was not full, which tells the client there is nothing more.
pub fn next_page_token<T>(page: &[T], limit: i64, key: impl Fn(&T) -> String) -> String {
    if page.len() as i64 == limit {
        page.last().map(key).unwrap_or_default()
    } else {
        String::new()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_clamped() {
        assert_eq!(page_size(0), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(-3), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7), 7);
        assert_eq!(page_size(i32::MAX), MAX_PAGE_SIZE);
    }

    #[test]
    fn a_full_page_points_at_its_last_row_and_a_short_one_ends_the_list() {
        let rows = ["a", "b", "c"];
        assert_eq!(next_page_token(&rows, 3, |r| r.to_string()), "c");
        assert_eq!(next_page_token(&rows[..2], 3, |r| r.to_string()), "");
        assert_eq!(next_page_token::<&str>(&[], 3, |r| r.to_string()), "");
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
