//! SIEVE (Zhang et al., NSDI 2024): a FIFO queue with a visited bit and a hand that sweeps it.
//!
//! New objects enter at the head with the bit clear; a hit only sets the bit (no list moves,
//! which makes SIEVE as cheap as FIFO on hits). To evict, the hand starts where it last stopped
//! (or at the tail, the oldest end) and walks towards the head: an object with its bit set has
//! it cleared and survives in place; the first one with a clear bit is evicted, and the hand
//! stays at its newer neighbour. Passing the head wraps the hand to the tail.
//!
//! ```text
//!   head (newest)                                    tail (oldest)
//!     e:0   d:1   c:0   b:1   a:1        request f, cache full
//!                             ^hand
//!   a:1 → a:0, kept; b:1 → b:0, kept; c:0 → evicted, hand stays at d:
//!     f:0   e:0   d:1   b:0   a:0
//!                 ^hand
//! ```
//!
//! Unlike CLOCK, survivors are not moved to the head, so old objects that keep being used sink
//! to the tail side and stay, while new objects that are never revisited are swept out quickly
//! ("lazy promotion, quick demotion").
//!
//! Sizes: the capacity counts units; a miss evicts until the new object fits. An object larger
//! than the whole capacity is not admitted.
//!
//! Removal ([`Policy::remove`], an invalidation) unlinks the object in O(1). If the hand points
//! at it, the hand moves to the object's newer neighbour, the one it would have examined next.

use crate::cache::list::{Arena, List, NIL};
use crate::cache::Policy;
use crate::hash::FixedMap;

#[derive(Clone)]
pub struct Sieve {
    capacity: u64,
    used: u64,
    map: FixedMap<u64, u32>,
    /// Node `aux` is the size, `tag` the visited bit.
    arena: Arena,
    list: List,
    /// The next node to examine, or `NIL` for the tail.
    hand: u32,
}

impl Sieve {
    pub fn new(capacity: u64) -> Sieve {
        Sieve::with_room(capacity, capacity.min(1 << 20) as usize)
    }

    /// A cache of `capacity` units with its tables sized for `hint` objects up front (with
    /// byte capacities, the capacity says little about how many objects will fit).
    pub fn with_room(capacity: u64, hint: usize) -> Sieve {
        let mut map = FixedMap::default();
        map.reserve(hint);
        Sieve {
            capacity,
            used: 0,
            map,
            arena: Arena::with_capacity(hint),
            list: List::default(),
            hand: NIL,
        }
    }

    /// Evicts one object; returns its key.
    fn evict(&mut self) -> Option<u64> {
        let mut o = if self.hand == NIL {
            self.list.tail
        } else {
            self.hand
        };
        if o == NIL {
            return None;
        }
        loop {
            let n = self.arena.node_mut(o);
            if n.tag == 0 {
                break;
            }
            n.tag = 0;
            o = if n.prev == NIL {
                self.list.tail
            } else {
                n.prev
            };
        }
        let n = *self.arena.node(o);
        self.hand = n.prev;
        self.arena.unlink(&mut self.list, o);
        self.arena.release(o);
        self.map.remove(&n.key);
        self.used -= n.aux;
        Some(n.key)
    }
}

impl Policy for Sieve {
    fn name(&self) -> &'static str {
        "sieve"
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
            match self.evict() {
                Some(k) => {
                    if let Some(e) = evicted.as_deref_mut() {
                        e.push(k);
                    }
                }
                None => break,
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
    fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(i) = self.map.remove(&key) else {
            return false;
        };
        let n = *self.arena.node(i);
        if self.hand == i {
            self.hand = n.prev;
        }
        self.arena.unlink(&mut self.list, i);
        self.used -= n.aux;
        self.arena.release(i);
        true
    }
}
