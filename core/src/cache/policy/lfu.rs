//! LFU: evict the least frequently used object; among equals, the least recently used.
//!
//! The O(1) scheme of Shah, Mitra and Matani (2010), with one list per frequency instead of a
//! heap. Each resident key has a node holding its count; the nodes of count `f` form one
//! recency list, and `min` is the smallest count present. A hit moves the node from list `f` to
//! the front of list `f + 1` (and bumps `min` if list `f` emptied and was the minimum). A miss
//! evicts the back of list `min`, then inserts the new key with count 1 and sets `min = 1`.
//! Counts are forgotten on eviction (in-cache LFU).
//!
//! Capacity 2, requests `a a b c`:
//!
//! | request | result | lists (count: front → back) | min | evicted |
//! |---|---|---|---|---|
//! | a | miss | 1: a | 1 | |
//! | a | hit | 2: a | 2 | |
//! | b | miss | 1: b · 2: a | 1 | |
//! | c | miss | 1: c · 2: a | 1 | b |
//!
//! Within one list the order is the order of arrival at that count, which is the order of last
//! access, hence "LRU among equal frequency".
//!
//! **Sizes** (byte capacity, as libCacheSim's LFU): each object occupies its size and the
//! capacity counts units. A miss evicts the least frequent object (the oldest among equals, as
//! above) again and again until the new object fits; when the list of the minimum count
//! empties on the way, the next minimum is found by a scan over the distinct counts. An object
//! larger than the whole capacity is not admitted and evicts nothing. A hit keeps the size the
//! object was admitted with. With every size 1 this is exactly the object-count policy: one
//! eviction when the cache is full.
//!
//! Removal ([`Policy::remove`], an invalidation) takes the node out of its count's list (and
//! forgets its count, as an eviction does). If that emptied the list of the minimum count, the
//! new minimum is the smallest count left, found by a scan over the distinct counts present
//! (there are few: a count `f` exists only after `f - 1` hits on one key); requests stay O(1).

use crate::cache::list::{Arena, List};
use crate::cache::Policy;
use crate::hash::FixedMap;

#[derive(Clone)]
pub struct Lfu {
    capacity: u64,
    used: u64,
    /// Key to node; a node's `aux` is its count.
    map: FixedMap<u64, u32>,
    arena: Arena,
    /// Each node's size, by slot.
    sizes: Vec<u64>,
    /// Count to its list; only non-empty lists are kept.
    lists: FixedMap<u64, List>,
    min: u64,
}

impl Lfu {
    pub fn new(capacity: u64) -> Lfu {
        Lfu::with_room(capacity, capacity.min(1 << 20) as usize)
    }

    /// A cache of `capacity` units with its tables sized for `hint` objects up front.
    pub fn with_room(capacity: u64, hint: usize) -> Lfu {
        let mut map = FixedMap::default();
        map.reserve(hint);
        Lfu {
            capacity,
            used: 0,
            map,
            arena: Arena::with_capacity(hint),
            sizes: Vec::with_capacity(hint),
            lists: FixedMap::default(),
            min: 0,
        }
    }

    fn push(&mut self, count: u64, i: u32) {
        let list = self.lists.entry(count).or_default();
        self.arena.push_front(list, i);
    }

    /// Unlinks node `i` from the list of `count`, dropping the list if it empties; returns
    /// whether it emptied.
    fn unlink(&mut self, count: u64, i: u32) -> bool {
        let Some(list) = self.lists.get_mut(&count) else {
            return false;
        };
        self.arena.unlink(list, i);
        if list.len == 0 {
            self.lists.remove(&count);
            true
        } else {
            false
        }
    }

    /// Evicts the least frequent object, the oldest among equals (the back of the list of
    /// `min`, which must be current); returns its key.
    fn evict(&mut self) -> Option<u64> {
        let min = self.min;
        let v = self.lists.get(&min)?.tail;
        self.unlink(min, v);
        let k = self.arena.node(v).key;
        self.used -= self.sizes[v as usize];
        self.map.remove(&k);
        self.arena.release(v);
        Some(k)
    }
}

impl Policy for Lfu {
    fn name(&self) -> &'static str {
        "lfu"
    }
    /// Serves a request; evicted keys are appended to `evicted` when given. Returns `None` on a
    /// hit, else whether the object was admitted.
    #[inline]
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if let Some(&i) = self.map.get(&key) {
            let f = self.arena.node(i).aux;
            let emptied = self.unlink(f, i);
            if emptied && self.min == f {
                self.min = f + 1;
            }
            self.arena.node_mut(i).aux = f + 1;
            self.push(f + 1, i);
            return None;
        }
        if size > self.capacity || self.capacity == 0 {
            return Some(false);
        }
        while self.used + size > self.capacity {
            if !self.lists.contains_key(&self.min) {
                // The minimum's list emptied on the previous eviction (only a large object
                // evicts twice); the next minimum is the smallest count left.
                self.min = self.lists.keys().copied().min().unwrap_or(0);
            }
            let Some(k) = self.evict() else {
                break;
            };
            if let Some(e) = evicted.as_deref_mut() {
                e.push(k);
            }
        }
        let i = self.arena.alloc(key, 1, 0);
        if self.sizes.len() <= i as usize {
            self.sizes.resize(i as usize + 1, 0);
        }
        self.sizes[i as usize] = size;
        self.push(1, i);
        self.map.insert(key, i);
        self.used += size;
        self.min = 1;
        Some(true)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(i) = self.map.remove(&key) else {
            return false;
        };
        let f = self.arena.node(i).aux;
        let emptied = self.unlink(f, i);
        self.used -= self.sizes[i as usize];
        self.arena.release(i);
        if emptied && self.min == f {
            self.min = self.lists.keys().copied().min().unwrap_or(0);
        }
        true
    }
}
