//! Computed results kept for a while: dashboards and impact estimates are
//! asked for far more often than their data change.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Values by key, each served for `ttl` after it was computed, and all
/// forgotten by [`TtlCache::clear`] when a change must show at once.
pub struct TtlCache<K, V> {
    ttl: Duration,
    map: Mutex<HashMap<K, (Instant, Arc<V>)>>,
}

impl<K: Eq + Hash, V> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The value for `key`, unless it is missing or too old.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    /// Keeps `value` for `key`, dropping whatever has expired.
    pub fn put(&self, key: K, value: Arc<V>) {
        if let Ok(mut map) = self.map.lock() {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            map.insert(key, (Instant::now(), value));
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_until_expired_or_cleared() {
        let c: TtlCache<u32, &str> = TtlCache::new(Duration::from_millis(50));
        assert!(c.get(&1).is_none());
        c.put(1, Arc::new("a"));
        assert_eq!(c.get(&1).as_deref(), Some(&"a"));
        assert!(c.get(&2).is_none());
        c.clear();
        assert!(c.get(&1).is_none());
        c.put(1, Arc::new("b"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.get(&1).is_none(), "expired");
    }
}
