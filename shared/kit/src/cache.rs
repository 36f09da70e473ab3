//! A bounded in-memory map for values a service reads on its hot path and may keep: values
//! that never change once written (a package, a slot's times), or values the writing
//! statement re-checks by version, so a stale copy is caught by the database and never
//! acted on. It is not a place for anything another replica may change unnoticed.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

/// Values by id, shared between tasks, holding at most `capacity` entries.
///
/// When full, an insert empties the map first: the hot set refills with one read per entry,
/// and no bookkeeping runs on the read path.
#[derive(Debug)]
pub struct Cache<V> {
    entries: RwLock<HashMap<String, Arc<V>>>,
    capacity: usize,
}

impl<V> Cache<V> {
    /// An empty cache of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The value under `id`, if cached.
    pub fn get(&self, id: &str) -> Option<Arc<V>> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }

    /// Caches `value` under `id` (replacing what was there) and returns it.
    pub fn put(&self, id: &str, value: V) -> Arc<V> {
        let value = Arc::new(value);
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(id) {
            entries.clear();
        }
        entries.insert(id.to_owned(), value.clone());
        value
    }

    /// Forgets `id`.
    pub fn forget(&self, id: &str) {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(id);
    }

    /// How many entries are cached.
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_it_was_given_and_replaces_on_put() {
        let c = Cache::new(4);
        assert!(c.get("a").is_none());
        c.put("a", 1);
        assert_eq!(c.get("a").as_deref(), Some(&1));
        c.put("a", 2);
        assert_eq!(c.get("a").as_deref(), Some(&2));
        c.forget("a");
        assert!(c.get("a").is_none());
        assert!(c.is_empty());
    }

    #[test]
    fn never_holds_more_than_its_capacity() {
        let c = Cache::new(3);
        for i in 0..10 {
            c.put(&i.to_string(), i);
            assert!(c.len() <= 3, "{} entries after {i}", c.len());
            assert_eq!(c.get(&i.to_string()).as_deref(), Some(&i));
        }
        // Replacing an entry of a full cache keeps the others.
        let before = c.len();
        c.put("9", 90);
        assert_eq!(c.len(), before);
    }
}
