//! App servers' local ("near") caches in front of the shared cache, and how they are kept
//! coherent.
//!
//! ```text
//!   request ─► app server s (round robin) ─► local copy fresh? ── yes ─► served (maybe stale)
//!                                                   └─ no ─► shared cache ─► store
//!   write acknowledged ─► pub/sub: "invalidate key vN" ─► every other app server, after
//!                         pubsub_delay_ms, each message dropped with pubsub_drop_percent
//! ```
//!
//! | coherence | a local copy is used when | cost |
//! |---|---|---|
//! | `pub_sub` | it has not expired and no invalidation for it arrived | one message per write and server; a delayed or dropped message leaves a stale copy until it expires |
//! | `ttl_only` | it has not expired | nothing; copies are stale for up to the local TTL after a write |
//! | `versioned_keys` | its version is the one the shared cache holds now | every read asks the shared tier for the key's current version |
//!
//! A [`LocalCache`] holds at most `capacity` copies; a fill into a full cache evicts the copy
//! filled longest ago (FIFO), so the cache stays small and its behaviour easy to follow. It is
//! an ordered map (no hash iteration) and every choice is a function of its contents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::Time;

/// How app servers keep their local copies coherent with writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coherence {
    /// Writers publish invalidations that the other app servers apply when they arrive.
    #[default]
    PubSub,
    /// No messages: a copy lives out its local TTL.
    TtlOnly,
    /// The key's name carries its version; a copy of an older version is never used.
    VersionedKeys,
}

/// One local copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Copy {
    pub version: u64,
    pub filled_at: Time,
}

/// One app server's local cache.
#[derive(Clone, Debug, Default)]
pub struct LocalCache {
    copies: BTreeMap<u64, Copy>,
}

impl LocalCache {
    /// The copy of `key` if it is still within `ttl_ms` (0: forever) at `now`; an expired copy
    /// is dropped.
    pub fn get(&mut self, key: u64, now: Time, ttl_ms: u64) -> Option<Copy> {
        let c = *self.copies.get(&key)?;
        if ttl_ms > 0 && now >= c.filled_at + ttl_ms {
            self.copies.remove(&key);
            return None;
        }
        Some(c)
    }

    /// Stores `version` of `key`, evicting the copy filled longest ago when full.
    pub fn fill(&mut self, key: u64, version: u64, now: Time, capacity: u64) {
        if capacity == 0 {
            return;
        }
        if !self.copies.contains_key(&key) && self.copies.len() as u64 >= capacity {
            let oldest = self
                .copies
                .iter()
                .min_by_key(|(k, c)| (c.filled_at, **k))
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.copies.remove(&k);
            }
        }
        self.copies.insert(
            key,
            Copy {
                version,
                filled_at: now,
            },
        );
    }

    /// Drops the copy of `key` if it is older than `version`; returns the dropped version.
    pub fn invalidate(&mut self, key: u64, version: u64) -> Option<u64> {
        let c = *self.copies.get(&key)?;
        if c.version < version {
            self.copies.remove(&key);
            Some(c.version)
        } else {
            None
        }
    }

    /// Drops every copy (the server's process restarted, or its cache was flushed).
    pub fn clear(&mut self) {
        self.copies.clear();
    }

    pub fn len(&self) -> usize {
        self.copies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.copies.is_empty()
    }

    /// The copies in key order, at most `limit`.
    pub fn copies(&self, limit: usize) -> Vec<(u64, Copy)> {
        self.copies
            .iter()
            .take(limit)
            .map(|(&k, &c)| (k, c))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_expire_are_evicted_oldest_first_and_invalidate_only_older_versions() {
        let mut l = LocalCache::default();
        l.fill(1, 1, 0, 2);
        l.fill(2, 1, 10, 2);
        l.fill(3, 1, 20, 2);
        assert_eq!(l.get(1, 20, 0), None, "the oldest fill was evicted");
        assert_eq!(l.get(2, 20, 0).map(|c| c.version), Some(1));
        assert_eq!(l.get(2, 1_010, 1_000), None, "expired after its TTL");
        assert_eq!(l.invalidate(3, 1), None, "same version: kept");
        assert_eq!(l.invalidate(3, 2), Some(1));
        assert!(l.is_empty());
    }
}
