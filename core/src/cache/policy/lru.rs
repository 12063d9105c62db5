//! LRU: evict the least recently used object.
//!
//! A hash map finds a key's node; a doubly linked list (in a `Vec` arena, see
//! [`crate::cache::list`]) keeps the nodes in recency order. A hit moves the node to the front;
//! a miss inserts at the front and evicts from the back until the new object fits. Every step
//! is O(1).
//!
//! Capacity 3 (unit sizes), requests `a b c a d`:
//!
//! | request | result | list, front → back | evicted |
//! |---|---|---|---|
//! | a | miss | a | |
//! | b | miss | b a | |
//! | c | miss | c b a | |
//! | a | hit | a c b | |
//! | d | miss | d a c | b |
//!
//! Sizes: the capacity counts units (bytes, say) and each object occupies its size. An object
//! larger than the whole capacity is not admitted (and evicts nothing). A hit keeps the size the
//! object was admitted with.
//!
//! Removal ([`Policy::remove`], an invalidation): the node is unlinked from the list and its
//! size freed, in O(1).

use crate::cache::list::{Arena, List};
use crate::cache::Policy;
use crate::hash::FixedMap;

#[derive(Clone)]
pub struct Lru {
    capacity: u64,
    used: u64,
    map: FixedMap<u64, u32>,
    arena: Arena,
    list: List,
}

impl Lru {
    pub fn new(capacity: u64) -> Lru {
        Lru::with_room(capacity, capacity.min(1 << 20) as usize)
    }

    /// A cache of `capacity` units with its tables sized for `hint` objects up front (with
    /// byte capacities, the capacity says little about how many objects will fit).
    pub fn with_room(capacity: u64, hint: usize) -> Lru {
        let mut map = FixedMap::default();
        map.reserve(hint);
        Lru {
            capacity,
            used: 0,
            map,
            arena: Arena::with_capacity(hint),
            list: List::default(),
        }
    }
}

impl Policy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }
    /// Serves a request; evicted keys are appended to `evicted` when given (replay passes `None`
    /// and so allocates nothing). Returns `None` on a hit, else
    /// whether the object was admitted.
    #[inline]
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if let Some(&i) = self.map.get(&key) {
            self.arena.move_to_front(&mut self.list, i);
            return None;
        }
        if size > self.capacity {
            return Some(false);
        }
        while self.used + size > self.capacity {
            let Some(v) = self.arena.pop_back(&mut self.list) else {
                break;
            };
            let n = *self.arena.node(v);
            self.used -= n.aux;
            self.map.remove(&n.key);
            self.arena.release(v);
            if let Some(e) = evicted.as_deref_mut() {
                e.push(n.key);
            }
        }
        let i = self.arena.alloc(key, size, 0);
        self.arena.push_front(&mut self.list, i);
        self.map.insert(key, i);
        self.used += size;
        Some(true)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        vec![(
            "LRU",
            crate::cache::list_keys(&self.arena, &self.list, limit),
        )]
    }
    fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(i) = self.map.remove(&key) else {
            return false;
        };
        self.arena.unlink(&mut self.list, i);
        self.used -= self.arena.node(i).aux;
        self.arena.release(i);
        true
    }
}
