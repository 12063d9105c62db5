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
//! `A1out` costs only its keys. Sizes are ignored: every object counts as 1.
//!
//! Removal ([`Policy::remove`], an invalidation) unlinks a resident key from `A1in` or `Am`
//! and forgets it: it does not go to `A1out`, which remembers keys *paged out* by the policy
//! (a later miss on it would otherwise be taken for a re-reference the policy missed). A key
//! only on `A1out` is not cached, so removing it changes nothing; its ghost stays.

use crate::cache::list::{Arena, List};
use crate::cache::{Access, Policy};
use crate::hash::FixedMap;

const A1IN: u32 = 0;
const AM: u32 = 1;
const A1OUT: u32 = 2;

#[derive(Clone)]
pub struct TwoQ {
    capacity: u64,
    kin: u64,
    kout: u64,
    /// Key to node for all three lists; the node's tag says which.
    map: FixedMap<u64, u32>,
    arena: Arena,
    a1in: List,
    am: List,
    a1out: List,
}

impl TwoQ {
    pub fn new(capacity: u64) -> TwoQ {
        let hint = (capacity.saturating_mul(2)).min(1 << 20) as usize;
        let mut map = FixedMap::default();
        map.reserve(hint);
        TwoQ {
            capacity,
            kin: capacity / 4,
            kout: capacity / 2,
            map,
            arena: Arena::with_capacity(hint),
            a1in: List::default(),
            am: List::default(),
            a1out: List::default(),
        }
    }

    fn resident(&self) -> u64 {
        self.a1in.len as u64 + self.am.len as u64
    }

    /// Frees a slot when the cache is full; returns the key paged out.
    fn reclaim(&mut self) -> Option<u64> {
        if self.resident() < self.capacity {
            return None;
        }
        if self.a1in.len as u64 > self.kin {
            let y = self.arena.pop_back(&mut self.a1in)?;
            self.arena.node_mut(y).tag = A1OUT;
            self.arena.push_front(&mut self.a1out, y);
            if self.a1out.len as u64 > self.kout {
                if let Some(z) = self.arena.pop_back(&mut self.a1out) {
                    let k = self.arena.node(z).key;
                    self.map.remove(&k);
                    self.arena.release(z);
                }
            }
            Some(self.arena.node(y).key)
        } else {
            let y = self.arena.pop_back(&mut self.am)?;
            let k = self.arena.node(y).key;
            self.map.remove(&k);
            self.arena.release(y);
            Some(k)
        }
    }

    #[inline]
    fn serve(&mut self, key: u64) -> Result<(), (bool, Option<u64>)> {
        if self.capacity == 0 {
            return Err((false, None));
        }
        match self.map.get(&key).copied() {
            Some(i) => match self.arena.node(i).tag {
                AM => {
                    self.arena.move_to_front(&mut self.am, i);
                    Ok(())
                }
                A1IN => Ok(()),
                _ => {
                    self.arena.unlink(&mut self.a1out, i);
                    let victim = self.reclaim();
                    self.arena.node_mut(i).tag = AM;
                    self.arena.push_front(&mut self.am, i);
                    Err((true, victim))
                }
            },
            None => {
                let victim = self.reclaim();
                let i = self.arena.alloc(key, 1, A1IN);
                self.arena.push_front(&mut self.a1in, i);
                self.map.insert(key, i);
                Err((true, victim))
            }
        }
    }
}

impl Policy for TwoQ {
    fn name(&self) -> &'static str {
        "2q"
    }
    fn access(&mut self, key: u64, _size: u64) -> Access {
        Access::from_single(self.serve(key))
    }
    fn request(&mut self, key: u64, _size: u64) -> bool {
        self.serve(key).is_ok()
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
        match self.arena.node(i).tag {
            A1IN => self.arena.unlink(&mut self.a1in, i),
            AM => self.arena.unlink(&mut self.am, i),
            _ => return false,
        }
        self.map.remove(&key);
        self.arena.release(i);
        true
    }
}
