//! Opaque ids with a type prefix (`apt_…`, `br_…`), time-ordered so that inserts stay
//! close together in indexes and paging by id follows creation order.

/// A new id: `prefix`, an underscore and 32 hex digits of a UUIDv7.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// Whether `id` has the shape of an id made by [`new_id`] with `prefix`.
pub fn is_valid(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_are_recognised() {
        let id = new_id("apt");
        assert!(is_valid("apt", &id));
        assert!(!is_valid("br", &id));
        assert!(!is_valid("apt", "apt_123"));
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let a = new_id("x");
        let b = new_id("x");
        assert!(a < b);
    }
}
