//! OPT, Belady's optimal offline policy (L. A. Belady, "A study of replacement algorithms for a
//! virtual-storage computer", IBM Systems Journal 5(2), 1966; Mattson, Gecsei, Slutz and
//! Traiger, "Evaluation techniques for storage hierarchies", 1970, for its optimality).
//!
//! Knowing the whole future, evict the cached key whose next use is farthest away (or that is
//! never used again). No policy that sees only the past can get more hits on the same trace, so
//! OPT is the ceiling every other policy is drawn against.
//!
//! Because it needs the future, OPT is not built by name: [`Opt::new`] takes the capacity and
//! the whole trace's keys and precomputes, for every position `t`, the position of the next
//! request for the same key (`never` if none), in one backward pass. Requests must then be
//! replayed in the same order.
//!
//! The cached keys sit in a B-tree ordered by `(next use, key)`, so the farthest is the last
//! entry, found and updated in O(log n) per request. A miss whose own next use is at least as far
//! as the farthest cached key's is not admitted (bypass): caching it could only displace a key
//! needed sooner. This is the optimum over policies that may decline to cache (and so also over
//! those that must cache every miss).
//!
//! Worked example, capacity 2, trace `1 2 3 1 2 3 1` (positions 0..6):
//!
//! ```text
//! t  req  next use  result  cache (next use)   note
//! 0   1   3         miss    1(3)
//! 1   2   4         miss    1(3) 2(4)
//! 2   3   5         miss    1(3) 2(4)          3's next use (5) is farthest: not admitted
//! 3   1   6         hit     1(6) 2(4)
//! 4   2   never     hit     1(6) 2(never)
//! 5   3   never     miss    1(6) 2(never)      3 (never) ties the farthest: not admitted
//! 6   1   never     hit
//! ```
//!
//! Three hits; LRU gets none on this loop. If a request does not match the key the trace
//! promised at that position (a caller replaying a different stream), its next use is taken as
//! `never`: the policy stays well defined but is no longer optimal. Sizes are ignored: every
//! object counts as one unit.
//!
//! **Removal** ([`Policy::remove`]) frees the key's slot. OPT is optimal over a trace of
//! requests; deletes are not part of that trace, so it plans as if every cached key will be
//! served at its next use. An offline policy that also knew the future deletes would treat a
//! key deleted before its next request as never used again (evict it first, or not admit it);
//! this one only learns of a delete when it happens, and so is the ceiling only for traces
//! without deletes.

use std::collections::BTreeSet;

use crate::cache::Policy;
use crate::hash::FixedMap;

/// The next use of a key that is never requested again.
const NEVER: u64 = u64::MAX;

/// Belady's OPT over a known trace. See the module documentation.
#[derive(Clone, Debug)]
pub struct Opt {
    capacity: u64,
    keys: Vec<u64>,
    /// For each position, the position of the next request for the same key, or [`NEVER`].
    next_use: Vec<u64>,
    /// The position of the next request to serve.
    position: usize,
    /// Cached keys with their next use.
    cached: FixedMap<u64, u64>,
    /// `(next use, key)` for every cached key; the last is the one to evict.
    by_next_use: BTreeSet<(u64, u64)>,
}

impl Opt {
    /// OPT with room for `capacity` objects over the trace `keys`, which the caller then replays
    /// in order through [`Policy::access`].
    pub fn new(capacity: u64, keys: &[u64]) -> Self {
        let mut next_use = vec![NEVER; keys.len()];
        let mut seen: FixedMap<u64, u64> = FixedMap::default();
        for (t, &k) in keys.iter().enumerate().rev() {
            if let Some(&n) = seen.get(&k) {
                next_use[t] = n;
            }
            seen.insert(k, t as u64);
        }
        Opt {
            capacity,
            keys: keys.to_vec(),
            next_use,
            position: 0,
            cached: FixedMap::default(),
            by_next_use: BTreeSet::new(),
        }
    }

    /// The cached keys with their next use (`None` for never), the farthest last.
    pub fn cached(&self) -> Vec<(u64, Option<u64>)> {
        self.by_next_use
            .iter()
            .map(|&(n, k)| (k, (n != NEVER).then_some(n)))
            .collect()
    }
}

impl Policy for Opt {
    fn name(&self) -> &'static str {
        "opt"
    }

    fn serve(&mut self, key: u64, _size: u64, evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        let t = self.position;
        self.position += 1;
        let next = match self.keys.get(t) {
            Some(&k) if k == key => self.next_use[t],
            _ => NEVER,
        };
        if let Some(old) = self.cached.insert(key, next) {
            self.by_next_use.remove(&(old, key));
            self.by_next_use.insert((next, key));
            return None;
        }
        self.cached.remove(&key);
        if self.capacity == 0 {
            return Some(false);
        }
        if self.cached.len() as u64 >= self.capacity {
            match self.by_next_use.last() {
                Some(&(far, _)) if far <= next => return Some(false),
                _ => {}
            }
            if let Some((_, victim)) = self.by_next_use.pop_last() {
                self.cached.remove(&victim);
                if let Some(e) = evicted {
                    e.push(victim);
                }
            }
        }
        self.cached.insert(key, next);
        self.by_next_use.insert((next, key));
        Some(true)
    }

    fn used(&self) -> u64 {
        self.cached.len() as u64
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn contains(&self, key: u64) -> bool {
        self.cached.contains_key(&key)
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(next) = self.cached.remove(&key) else {
            return false;
        };
        self.by_next_use.remove(&(next, key));
        true
    }
}
