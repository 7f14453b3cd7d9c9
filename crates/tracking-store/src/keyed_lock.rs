//! One async lock per key (a child, a family), created on first use and forgotten once unused.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// A lock per key: holders of one key run one at a time, holders of different keys in parallel.
/// A key's entry lives only while someone holds or waits for it, so the map stays as small as
/// the number of keys in use.
pub struct KeyedLock<K> {
    locks: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

/// Holds one key of a [`KeyedLock`]; dropping it lets the next waiter of that key in.
#[must_use = "the key is released as soon as the guard is dropped"]
pub struct KeyedGuard<'a, K: Eq + Hash + Copy> {
    owner: &'a KeyedLock<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K> Default for KeyedLock<K> {
    fn default() -> Self {
        Self {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Copy> KeyedLock<K> {
    /// An empty set of locks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until `key` is free and holds it until the guard is dropped.
    pub async fn lock(&self, key: K) -> KeyedGuard<'_, K> {
        let lock = Arc::clone(self.locks.lock().entry(key).or_default());
        let guard = lock.lock_owned().await;
        KeyedGuard {
            owner: self,
            key,
            guard: Some(guard),
        }
    }

    /// How many keys are held or waited for.
    pub fn len(&self) -> usize {
        self.locks.lock().len()
    }

    /// Whether no key is held or waited for.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Eq + Hash + Copy> Drop for KeyedGuard<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.owner.locks.lock();
        // Clones are taken only under the map's lock, so a count of one means nobody waits.
        if locks
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

impl<K> fmt::Debug for KeyedLock<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLock")
            .field("keys", &self.locks.lock().len())
            .finish()
    }
}

impl<K: Eq + Hash + Copy + fmt::Debug> fmt::Debug for KeyedGuard<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedGuard")
            .field("key", &self.key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn holders_of_one_key_run_one_at_a_time() {
        let locks = Arc::new(KeyedLock::new());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (locks, inside, most) = (locks.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _guard = locks.lock(7_u32).await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert!(locks.is_empty(), "an unused key is forgotten");
    }

    #[tokio::test]
    async fn different_keys_do_not_wait_for_each_other() {
        let locks = KeyedLock::new();
        let _first = locks.lock(1_u32).await;
        let second = tokio::time::timeout(Duration::from_secs(5), locks.lock(2)).await;
        assert!(second.is_ok());
        assert_eq!(locks.len(), 2);
    }

    #[tokio::test]
    async fn a_key_stays_while_someone_waits_for_it() {
        let locks = Arc::new(KeyedLock::new());
        let first = locks.lock(1_u32).await;
        let waiter = tokio::spawn({
            let locks = Arc::clone(&locks);
            async move {
                let _guard = locks.lock(1).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(first);
        assert_eq!(locks.len(), 1, "the waiter keeps the key");
        waiter.await.unwrap();
        assert!(locks.is_empty());
    }
}
