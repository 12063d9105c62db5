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
//! access, hence "LRU among equal frequency". Sizes are ignored: every object counts as 1.
//!
//! Removal ([`Policy::remove`], an invalidation) takes the node out of its count's list (and
//! forgets its count, as an eviction does). If that emptied the list of the minimum count, the
//! new minimum is the smallest count left, found by a scan over the distinct counts present
//! (there are few: a count `f` exists only after `f - 1` hits on one key); requests stay O(1).

use crate::cache::list::{Arena, List};
use crate::cache::{Access, Policy};
use crate::hash::FixedMap;

#[derive(Clone)]
pub struct Lfu {
    capacity: u64,
    /// Key to node; a node's `aux` is its count.
    map: FixedMap<u64, u32>,
    arena: Arena,
    /// Count to its list; only non-empty lists are kept.
    lists: FixedMap<u64, List>,
    min: u64,
}

impl Lfu {
    pub fn new(capacity: u64) -> Lfu {
        let hint = capacity.min(1 << 20) as usize;
        let mut map = FixedMap::default();
        map.reserve(hint);
        Lfu {
            capacity,
            map,
            arena: Arena::with_capacity(hint),
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

    #[inline]
    fn serve(&mut self, key: u64) -> Result<(), (bool, Option<u64>)> {
        if let Some(&i) = self.map.get(&key) {
            let f = self.arena.node(i).aux;
            let emptied = self.unlink(f, i);
            if emptied && self.min == f {
                self.min = f + 1;
            }
            self.arena.node_mut(i).aux = f + 1;
            self.push(f + 1, i);
            return Ok(());
        }
        if self.capacity == 0 {
            return Err((false, None));
        }
        let mut victim = None;
        if self.map.len() as u64 >= self.capacity {
            let min = self.min;
            if let Some(v) = self.lists.get(&min).map(|l| l.tail) {
                self.unlink(min, v);
                let k = self.arena.node(v).key;
                self.map.remove(&k);
                self.arena.release(v);
                victim = Some(k);
            }
        }
        let i = self.arena.alloc(key, 1, 0);
        self.push(1, i);
        self.map.insert(key, i);
        self.min = 1;
        Err((true, victim))
    }
}

impl Policy for Lfu {
    fn name(&self) -> &'static str {
        "lfu"
    }
    fn access(&mut self, key: u64, _size: u64) -> Access {
        Access::from_single(self.serve(key))
    }
    fn request(&mut self, key: u64, _size: u64) -> bool {
        self.serve(key).is_ok()
    }
    fn used(&self) -> u64 {
        self.map.len() as u64
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
        self.arena.release(i);
        if emptied && self.min == f {
            self.min = self.lists.keys().copied().min().unwrap_or(0);
        }
        true
    }
}
