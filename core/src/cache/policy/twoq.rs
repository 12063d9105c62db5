//! 2Q (Johnson and Shasha, VLDB 1994), the full version with `A1in`, `A1out` and `Am`.
//!
//! A first access puts a key on `A1in`, a FIFO of resident objects seen once recently. A key
//! paged out of `A1in` is remembered (key only, not resident) on `A1out`, a FIFO of ghosts. A
//! miss on a key remembered in `A1out` proves it is re-referenced beyond a short burst, so it
//! enters `Am`, an LRU of resident hot objects. A hit in `A1in` changes nothing (correlated
//! references); a hit in `Am` moves the key to its front.
//!
//! ```text
//!            first miss           paged out of A1in         miss on a ghost
//!   new ──▶ [ A1in  FIFO ] ──▶ [ A1out  ghost FIFO ] ──▶ [ Am  LRU ] ◀─┐ hit: to front
//!                                 │ falls off: forgotten      └─────┘
//!                                                             tail: paged out, forgotten
//! ```
//!
//! `reclaimfor` (the paper's Figure): when the cache is full, if `|A1in| > Kin` page out the
//! back of `A1in` to the front of `A1out` (dropping the back of `A1out` beyond `Kout`), else
//! page out the back of `Am`. Here `Kin = capacity / 4` and `Kout = capacity / 2` (in keys,
//! rounded down), the paper's recommended 25% and 50%. Resident objects are `A1in` plus `Am`;
//! `A1out` costs only its keys.
//!
//! **Sizes** (byte capacity). Every list is measured in the units of the capacity (bytes):
//! `A1in` and `Am` by the sizes of their objects, `A1out` by the sizes its keys had when they
//! were paged out. `Kin` is 25% of the capacity in bytes and `Kout` 50%, as in the object
//! version; a miss runs `reclaimfor` until the new object fits (from `A1in` while it holds more
//! than `Kin` bytes, else from `Am`, else from `A1in` when `Am` is empty, which only a large
//! object can need), and `A1out` drops its oldest keys while it remembers more than `Kout`
//! bytes. libCacheSim bounds its ghost list the same way (its ghost FIFO is a cache whose
//! occupancy is the sizes of the objects it remembers); a bound by a count of keys would need
//! an object count that a byte capacity does not give, and would let a few large paged-out
//! objects and many small ones weigh the same in the history. An object larger than the whole
//! capacity is not admitted: the request changes nothing (a key on `A1out` stays there). A
//! ghost that returns is admitted to `Am` with its new size. With every size 1 this is exactly
//! the object-count policy.
//!
//! Removal ([`Policy::remove`], an invalidation) unlinks a resident key from `A1in` or `Am`
//! and forgets it: it does not go to `A1out`, which remembers keys *paged out* by the policy
//! (a later miss on it would otherwise be taken for a re-reference the policy missed). A key
//! only on `A1out` is not cached, so removing it changes nothing; its ghost stays.

use crate::cache::list::{Arena, List};
use crate::cache::Policy;
use crate::hash::FixedMap;

const A1IN: u32 = 0;
const AM: u32 = 1;
const A1OUT: u32 = 2;

#[derive(Clone)]
pub struct TwoQ {
    capacity: u64,
    kin: u64,
    kout: u64,
    /// Units held by `A1in`, `Am` and (remembered) `A1out`.
    a1in_used: u64,
    am_used: u64,
    a1out_used: u64,
    /// Key to node for all three lists; the node's tag says which, its `aux` its size.
    map: FixedMap<u64, u32>,
    arena: Arena,
    a1in: List,
    am: List,
    a1out: List,
}

impl TwoQ {
    pub fn new(capacity: u64) -> TwoQ {
        TwoQ::with_room(capacity, capacity.min(1 << 20) as usize)
    }

    /// A cache of `capacity` units with its tables sized for `hint` resident objects up front.
    pub fn with_room(capacity: u64, hint: usize) -> TwoQ {
        let hint = hint.saturating_mul(2).min(1 << 20);
        let mut map = FixedMap::default();
        map.reserve(hint);
        TwoQ {
            capacity,
            kin: capacity / 4,
            kout: capacity / 2,
            a1in_used: 0,
            am_used: 0,
            a1out_used: 0,
            map,
            arena: Arena::with_capacity(hint),
            a1in: List::default(),
            am: List::default(),
            a1out: List::default(),
        }
    }

    fn resident(&self) -> u64 {
        self.a1in_used + self.am_used
    }

    /// `reclaimfor`: pages out one resident object; returns its key.
    fn reclaim(&mut self) -> Option<u64> {
        if self.a1in_used > self.kin || self.am.len == 0 {
            let y = self.arena.pop_back(&mut self.a1in)?;
            let size = self.arena.node(y).aux;
            self.a1in_used -= size;
            self.arena.node_mut(y).tag = A1OUT;
            self.arena.push_front(&mut self.a1out, y);
            self.a1out_used += size;
            while self.a1out_used > self.kout {
                let Some(z) = self.arena.pop_back(&mut self.a1out) else {
                    break;
                };
                let n = *self.arena.node(z);
                self.a1out_used -= n.aux;
                self.map.remove(&n.key);
                self.arena.release(z);
            }
            Some(self.arena.node(y).key)
        } else {
            let y = self.arena.pop_back(&mut self.am)?;
            let n = *self.arena.node(y);
            self.am_used -= n.aux;
            self.map.remove(&n.key);
            self.arena.release(y);
            Some(n.key)
        }
    }

    /// Pages out objects until `size` more units fit, appending their keys to `evicted`.
    fn reclaim_for(&mut self, size: u64, mut evicted: Option<&mut Vec<u64>>) {
        while self.resident() + size > self.capacity {
            let Some(k) = self.reclaim() else {
                break;
            };
            if let Some(e) = evicted.as_deref_mut() {
                e.push(k);
            }
        }
    }
}

impl Policy for TwoQ {
    fn name(&self) -> &'static str {
        "2q"
    }
    /// Serves a request; evicted keys are appended to `evicted` when given. Returns `None` on a
    /// hit, else whether the object was admitted.
    #[inline]
    fn serve(&mut self, key: u64, size: u64, evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if self.capacity == 0 {
            return Some(false);
        }
        match self.map.get(&key).copied() {
            Some(i) => match self.arena.node(i).tag {
                AM => {
                    self.arena.move_to_front(&mut self.am, i);
                    None
                }
                A1IN => None,
                _ => {
                    if size > self.capacity {
                        return Some(false);
                    }
                    self.arena.unlink(&mut self.a1out, i);
                    self.a1out_used -= self.arena.node(i).aux;
                    self.reclaim_for(size, evicted);
                    let n = self.arena.node_mut(i);
                    n.tag = AM;
                    n.aux = size;
                    self.arena.push_front(&mut self.am, i);
                    self.am_used += size;
                    Some(true)
                }
            },
            None => {
                if size > self.capacity {
                    return Some(false);
                }
                self.reclaim_for(size, evicted);
                let i = self.arena.alloc(key, size, A1IN);
                self.arena.push_front(&mut self.a1in, i);
                self.a1in_used += size;
                self.map.insert(key, i);
                Some(true)
            }
        }
    }
    fn used(&self) -> u64 {
        self.resident()
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        let l = |list: &List| crate::cache::list_keys(&self.arena, list, limit);
        vec![
            ("A1in", l(&self.a1in)),
            ("Am", l(&self.am)),
            ("A1out", l(&self.a1out)),
        ]
    }
    fn contains(&self, key: u64) -> bool {
        self.map
            .get(&key)
            .is_some_and(|&i| self.arena.node(i).tag != A1OUT)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(&i) = self.map.get(&key) else {
            return false;
        };
        let size = self.arena.node(i).aux;
        match self.arena.node(i).tag {
            A1IN => {
                self.arena.unlink(&mut self.a1in, i);
                self.a1in_used -= size;
            }
            AM => {
                self.arena.unlink(&mut self.am, i);
                self.am_used -= size;
            }
            _ => return false,
        }
        self.map.remove(&key);
        self.arena.release(i);
        true
    }
}
