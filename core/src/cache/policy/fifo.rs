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

use std::collections::VecDeque;

use crate::cache::{Access, Policy};
use crate::hash::FixedSet;

#[derive(Clone)]
pub struct Fifo {
    capacity: u64,
    used: u64,
    set: FixedSet<u64>,
    /// `(key, size)`, oldest at the front.
    queue: VecDeque<(u64, u64)>,
}

impl Fifo {
    pub fn new(capacity: u64) -> Fifo {
        let hint = capacity.min(1 << 20) as usize;
        let mut set = FixedSet::default();
        set.reserve(hint);
        Fifo {
            capacity,
            used: 0,
            set,
            queue: VecDeque::with_capacity(hint),
        }
    }

    #[inline]
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if self.set.contains(&key) {
            return None;
        }
        if size > self.capacity {
            return Some(false);
        }
        while self.used + size > self.capacity {
            let Some((k, s)) = self.queue.pop_front() else {
                break;
            };
            self.used -= s;
            self.set.remove(&k);
            if let Some(e) = evicted.as_deref_mut() {
                e.push(k);
            }
        }
        self.queue.push_back((key, size));
        self.set.insert(key);
        self.used += size;
        Some(true)
    }
}

impl Policy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }
    fn access(&mut self, key: u64, size: u64) -> Access {
        let mut evicted = Vec::new();
        let outcome = self.serve(key, size, Some(&mut evicted));
        Access::from_sized(outcome, evicted)
    }
    fn request(&mut self, key: u64, size: u64) -> bool {
        self.serve(key, size, None).is_none()
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        let keys = self.queue.iter().rev().take(limit).map(|&(k, _)| k);
        vec![("FIFO", keys.collect())]
    }
    fn contains(&self, key: u64) -> bool {
        self.set.contains(&key)
    }
}
