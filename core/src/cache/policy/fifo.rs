//! FIFO: evict the object that entered the cache first; hits change nothing.
//!
//! A queue holds the resident objects in admission order and a hash set answers "is it
//! cached?". A miss pushes at the back and pops from the front until the new object fits.
//!
//! Capacity 3 (unit sizes), requests `a b c a d a`:
//!
//! | request | result | queue, oldest → newest | evicted |
//! |---|---|---|---|
//! | a | miss | a | |
//! | b | miss | a b | |
//! | c | miss | a b c | |
//! | a | hit | a b c | |
//! | d | miss | b c d | a |
//! | a | miss | c d a | b |
//!
//! Sizes: the capacity counts units and each object occupies its size; an object larger than
//! the whole capacity is not admitted.
//!
//! The queue is a linked list in the shared arena ([`crate::cache::list`]), newest at the
//! front, so that removal ([`Policy::remove`], an invalidation) unlinks an object from the
//! middle of the queue in O(1), as a hash map to its node finds it.

use crate::cache::list::{Arena, List};
use crate::cache::Policy;
use crate::hash::FixedMap;

#[derive(Clone)]
pub struct Fifo {
    capacity: u64,
    used: u64,
    map: FixedMap<u64, u32>,
    /// Node `aux` is the size.
    arena: Arena,
    /// Newest at the front, oldest at the back.
    queue: List,
}

impl Fifo {
    pub fn new(capacity: u64) -> Fifo {
        Fifo::with_room(capacity, capacity.min(1 << 20) as usize)
    }

    /// A cache of `capacity` units with its tables sized for `hint` objects up front (with
    /// byte capacities, the capacity says little about how many objects will fit).
    pub fn with_room(capacity: u64, hint: usize) -> Fifo {
        let mut map = FixedMap::default();
        map.reserve(hint);
        Fifo {
            capacity,
            used: 0,
            map,
            arena: Arena::with_capacity(hint),
            queue: List::default(),
        }
    }
}

impl Policy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }
    #[inline]
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if self.map.contains_key(&key) {
            return None;
        }
        if size > self.capacity {
            return Some(false);
        }
        while self.used + size > self.capacity {
            let Some(v) = self.arena.pop_back(&mut self.queue) else {
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
        self.arena.push_front(&mut self.queue, i);
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
            "FIFO",
            crate::cache::list_keys(&self.arena, &self.queue, limit),
        )]
    }
    fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(i) = self.map.remove(&key) else {
            return false;
        };
        self.arena.unlink(&mut self.queue, i);
        self.used -= self.arena.node(i).aux;
        self.arena.release(i);
        true
    }
}
