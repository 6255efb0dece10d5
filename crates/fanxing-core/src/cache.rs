//! Computed results kept for a while: dashboards, impact estimates and
//! ranked matches are asked for far more often than their data change.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Values by key, each served for `ttl` after it was computed, and all
/// forgotten by [`TtlCache::clear`] when a change must show at once.
pub struct TtlCache<K, V> {
    ttl: Duration,
    /// The most values kept; beyond it the oldest half is dropped.
    capacity: usize,
    map: Mutex<HashMap<K, (Instant, Arc<V>)>>,
    /// When expired values were last dropped (at most once a `ttl`, so
    /// that keeping a value costs the same however many are kept).
    swept: Mutex<Instant>,
    /// One gate per key being computed by [`TtlCache::get_or_fill`].
    filling: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
    /// Bumped by every [`TtlCache::clear`]: a value computed across a
    /// clear is not kept.
    generation: AtomicU64,
}

impl<K: Eq + Hash + Clone, V> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> TtlCache<K, V> {
        TtlCache::with_capacity(ttl, usize::MAX)
    }

    /// A cache that keeps at most `capacity` values.
    pub fn with_capacity(ttl: Duration, capacity: usize) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            capacity: capacity.max(1),
            map: Mutex::new(HashMap::new()),
            swept: Mutex::new(Instant::now()),
            filling: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The value for `key`, unless it is missing or too old.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    /// Keeps `value` for `key`. What has expired is dropped once a `ttl`
    /// or when the cache is full; if it is still full, the older half is.
    pub fn put(&self, key: K, value: Arc<V>) {
        let ttl = self.ttl;
        let sweep = self.swept.lock().is_ok_and(|mut at| {
            let due = at.elapsed() >= ttl;
            if due {
                *at = Instant::now();
            }
            due
        });
        if let Ok(mut map) = self.map.lock() {
            if sweep || map.len() >= self.capacity {
                map.retain(|_, (at, _)| at.elapsed() < ttl);
            }
            if map.len() >= self.capacity {
                let mut ages: Vec<Instant> = map.values().map(|(at, _)| *at).collect();
                ages.sort_unstable();
                let cut = ages[ages.len() / 2];
                map.retain(|_, (at, _)| *at > cut);
            }
            map.insert(key, (Instant::now(), value));
        }
    }

    /// The value for `key` and how old it is, unless missing or too old.
    fn get_aged(&self, key: &K) -> Option<(Arc<V>, Duration)> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .map(|(at, v)| (v.clone(), at.elapsed()))
            .filter(|(_, age)| *age < self.ttl)
    }

    /// The value for `key`; when it is missing or too old, `fill` computes
    /// it. Callers asking for the same key meanwhile wait for that one
    /// computation instead of each making their own. A value past three
    /// quarters of its time to live is computed afresh by the first caller
    /// that finds it so, while the others are still served the value kept
    /// (never older than the time to live): nobody waits when a busy key
    /// comes due. A value whose computation a [`TtlCache::clear`] overtook
    /// is returned to its caller but not kept.
    pub async fn get_or_fill<F, Fut, E>(&self, key: &K, fill: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let fresh = |age: Duration| age < self.ttl.mul_f64(0.75);
        let current = self.get_aged(key);
        if let Some((v, age)) = &current {
            if fresh(*age) {
                return Ok(v.clone());
            }
        }
        let gate = match self.filling.lock() {
            Ok(mut f) => f.entry(key.clone()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let _turn = match &current {
            // Someone is computing it afresh: the kept value still serves.
            Some((v, _)) => match gate.try_lock() {
                Ok(turn) => turn,
                Err(_) => return Ok(v.clone()),
            },
            None => gate.lock().await,
        };
        let current = self.get_aged(key);
        if let Some((v, age)) = &current {
            if fresh(*age) {
                return Ok(v.clone());
            }
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let filled = fill().await.map(Arc::new);
        match &filled {
            Ok(v) if self.generation.load(Ordering::SeqCst) == generation => {
                self.put(key.clone(), v.clone());
            }
            Ok(_) => {}
            // What no longer holds is not served to anyone else either.
            Err(_) => {
                if let Ok(mut map) = self.map.lock() {
                    map.remove(key);
                }
            }
        }
        if let Ok(mut f) = self.filling.lock() {
            f.remove(key);
        }
        filled
    }

    /// How many values are held, expired ones included.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
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

    #[tokio::test]
    async fn callers_at_once_share_one_computation() {
        use std::sync::atomic::AtomicUsize;
        let c: Arc<TtlCache<u32, usize>> = Arc::new(TtlCache::new(Duration::from_secs(60)));
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (c, runs) = (c.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                c.get_or_fill(&7, || async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, ()>(runs.fetch_add(1, Ordering::SeqCst) + 1)
                })
                .await
                .map(|v| *v)
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(1));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // A failed computation keeps nothing; the next caller computes.
        let failed = c
            .get_or_fill(&8, || async { Err::<usize, &str>("no") })
            .await;
        assert_eq!(failed, Err("no"));
        assert_eq!(
            *c.get_or_fill(&8, || async { Ok::<_, ()>(2) })
                .await
                .unwrap(),
            2
        );
    }

    #[tokio::test]
    async fn a_value_computed_across_a_clear_is_not_kept() {
        let c: TtlCache<u32, &str> = TtlCache::new(Duration::from_secs(60));
        let v = c
            .get_or_fill(&1, || async {
                c.clear();
                Ok::<_, ()>("before the change")
            })
            .await
            .unwrap();
        assert_eq!(*v, "before the change");
        assert!(c.get(&1).is_none());
    }

    #[test]
    fn keeps_at_most_its_capacity() {
        let c: TtlCache<u32, u32> = TtlCache::with_capacity(Duration::from_secs(60), 4);
        for i in 0..10 {
            c.put(i, Arc::new(i));
            std::thread::sleep(Duration::from_millis(2));
        }
        let kept = (0..10).filter(|i| c.get(i).is_some()).count();
        assert!((1..=4).contains(&kept), "{kept}");
        assert!(c.get(&9).is_some(), "the newest is kept");
    }

    #[test]
    fn expired_values_are_dropped_without_a_capacity() {
        let c: TtlCache<u32, u32> = TtlCache::new(Duration::from_millis(20));
        for i in 0..100 {
            c.put(i, Arc::new(i));
        }
        std::thread::sleep(Duration::from_millis(30));
        c.put(100, Arc::new(100));
        assert_eq!(c.held(), 1, "the hundred expired values are gone");
    }

    #[tokio::test]
    async fn a_value_coming_due_is_refreshed_by_one_caller_while_others_are_served() {
        let c: Arc<TtlCache<u32, &str>> = Arc::new(TtlCache::new(Duration::from_millis(400)));
        c.put(1, Arc::new("old"));
        tokio::time::sleep(Duration::from_millis(320)).await;
        let refresher = {
            let c = c.clone();
            tokio::spawn(async move {
                c.get_or_fill(&1, || async {
                    tokio::time::sleep(Duration::from_millis(60)).await;
                    Ok::<_, ()>("new")
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let asked = std::time::Instant::now();
        let other = c
            .get_or_fill(&1, || async { Ok::<_, ()>("a second refresh") })
            .await
            .unwrap();
        assert_eq!(*other, "old", "served the kept value");
        assert!(
            asked.elapsed() < Duration::from_millis(40),
            "without waiting"
        );
        assert_eq!(*refresher.await.unwrap().unwrap(), "new");
        assert_eq!(c.get(&1).as_deref(), Some(&"new"));
    }

    #[tokio::test]
    async fn a_failed_refresh_is_not_served_to_anyone() {
        let c: TtlCache<u32, &str> = TtlCache::new(Duration::from_millis(200));
        c.put(1, Arc::new("kept"));
        tokio::time::sleep(Duration::from_millis(160)).await;
        let v = c.get_or_fill(&1, || async { Err::<&str, _>("gone") }).await;
        assert_eq!(v, Err("gone"));
        assert!(c.get(&1).is_none(), "forgotten");
    }
}
