//! CLOCK (second chance): FIFO that spares an object referenced since it was last passed.
//!
//! The cache is a ring of `capacity` slots, each holding a key and a reference bit, and a hand.
//! A hit sets the bit. A miss fills the next empty slot while there is one; once the ring is
//! full, the hand sweeps: a slot with its bit set has the bit cleared and is passed over (its
//! second chance); the first slot with a clear bit is the victim, and the new key takes its
//! slot with a clear bit. The hand then points just past it.
//!
//! ```text
//!   capacity 4, ring full, hand at slot 1; request e (a miss):
//!
//!   slot   0    1    2    3            0    1    2    3
//!   key    a    b    c    d     →      a    b    e    d
//!   bit    1    1    0    1            1    0    0    1
//!               ^hand                                ^hand
//!   b's bit is cleared and b is passed; c (bit 0) is evicted; e takes slot 2.
//! ```
//!
//! This is exactly "second-chance FIFO": pop the oldest; if referenced, clear and push it back
//! as the newest. That is how it is kept here: a queue in the shared arena
//! ([`crate::cache::list`]), newest at the front, the hand always at the back. Passing over a
//! referenced object moves it from the back to the front, which is the hand stepping past it;
//! the new object enters at the front, just behind the hand. Kept this way, CLOCK needs no
//! fixed ring of slots, so objects of different sizes and removals fit without holes:
//!
//! * Sizes: the capacity counts units and each object occupies its size; a miss sweeps and
//!   evicts until the new object fits. An object larger than the whole capacity is not admitted.
//! * Removal ([`Policy::remove`], an invalidation) unlinks the object wherever it is in the
//!   queue, in O(1); the hand is unaffected (it is the queue's back).

use crate::cache::list::{Arena, List};
use crate::cache::Policy;
use crate::hash::FixedMap;

#[derive(Clone)]
pub struct Clock {
    capacity: u64,
    used: u64,
    map: FixedMap<u64, u32>,
    /// Node `aux` is the size, `tag` the reference bit.
    arena: Arena,
    /// Newest at the front; the hand is at the back.
    queue: List,
}

impl Clock {
    pub fn new(capacity: u64) -> Clock {
        Clock::with_room(capacity, capacity.min(1 << 20) as usize)
    }

    /// A cache of `capacity` units with its tables sized for `hint` objects up front (with
    /// byte capacities, the capacity says little about how many objects will fit).
    pub fn with_room(capacity: u64, hint: usize) -> Clock {
        let mut map = FixedMap::default();
        map.reserve(hint);
        Clock {
            capacity,
            used: 0,
            map,
            arena: Arena::with_capacity(hint),
            queue: List::default(),
        }
    }

    /// Sweeps from the hand: clears and passes referenced objects, evicts the first clear one.
    fn evict(&mut self) -> Option<u64> {
        loop {
            let v = self.arena.pop_back(&mut self.queue)?;
            let n = self.arena.node_mut(v);
            if n.tag != 0 {
                n.tag = 0;
                self.arena.push_front(&mut self.queue, v);
                continue;
            }
            let n = *n;
            self.used -= n.aux;
            self.map.remove(&n.key);
            self.arena.release(v);
            return Some(n.key);
        }
    }
}

impl Policy for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }
    #[inline]
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if let Some(&i) = self.map.get(&key) {
            self.arena.node_mut(i).tag = 1;
            return None;
        }
        if size > self.capacity {
            return Some(false);
        }
        while self.used + size > self.capacity {
            let Some(k) = self.evict() else {
                break;
            };
            if let Some(e) = evicted.as_deref_mut() {
                e.push(k);
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
            "CLOCK",
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
