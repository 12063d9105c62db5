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
//! This is exactly "second-chance FIFO": pop the oldest; if referenced, clear and push it back.
//! Sizes are ignored: every object counts as 1.

use crate::cache::{Access, Policy};
use crate::hash::FixedMap;

#[derive(Clone)]
pub struct Clock {
    capacity: u64,
    /// `(key, referenced)`; grows up to `capacity`.
    ring: Vec<(u64, bool)>,
    map: FixedMap<u64, u32>,
    hand: usize,
}

impl Clock {
    pub fn new(capacity: u64) -> Clock {
        let hint = capacity.min(1 << 20) as usize;
        let mut map = FixedMap::default();
        map.reserve(hint);
        Clock {
            capacity,
            ring: Vec::with_capacity(hint),
            map,
            hand: 0,
        }
    }

    /// Serves a request: `Ok(())` on a hit, else the evicted key (if any) and whether admitted.
    #[inline]
    fn serve(&mut self, key: u64) -> Result<(), (bool, Option<u64>)> {
        if let Some(&i) = self.map.get(&key) {
            self.ring[i as usize].1 = true;
            return Ok(());
        }
        if self.capacity == 0 {
            return Err((false, None));
        }
        if (self.ring.len() as u64) < self.capacity {
            self.map.insert(key, self.ring.len() as u32);
            self.ring.push((key, false));
            return Err((true, None));
        }
        let n = self.ring.len();
        loop {
            let slot = &mut self.ring[self.hand];
            if slot.1 {
                slot.1 = false;
                self.hand = (self.hand + 1) % n;
            } else {
                break;
            }
        }
        let victim = self.ring[self.hand].0;
        self.map.remove(&victim);
        self.ring[self.hand] = (key, false);
        self.map.insert(key, self.hand as u32);
        self.hand = (self.hand + 1) % n;
        Err((true, Some(victim)))
    }
}

impl Policy for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }
    fn access(&mut self, key: u64, _size: u64) -> Access {
        Access::from_single(self.serve(key))
    }
    fn request(&mut self, key: u64, _size: u64) -> bool {
        self.serve(key).is_ok()
    }
    fn used(&self) -> u64 {
        self.ring.len() as u64
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }
}
