//! ARC, the Adaptive Replacement Cache (Megiddo and Modha, FAST 2003).
//!
//! Four LRU lists over a cache of `c` objects: `T1` holds resident keys seen once recently, `T2`
//! resident keys seen at least twice; `B1` and `B2` are ghosts (keys only) recently evicted from
//! `T1` and `T2`. `|T1| + |T2| <= c` and `|T1| + |B1| <= c` and all four together hold at most
//! `2c` keys. The target `p` is the size `T1` should have; a hit on a ghost says which side was
//! evicted too early and moves `p` towards it.
//!
//! ```text
//!      B1 (ghosts)      T1 (once)     !    T2 (twice+)      B2 (ghosts)
//!   ◀─ lru ... mru ─┬─ lru ... mru ─  !  ─ mru ... lru ─┬─ mru ... lru ─▶
//!                   └─ REPLACE ◀─────  p  ──────▶ REPLACE ┘
//! ```
//!
//! Request for `x` (the paper's Figure 4):
//!
//! | case | `x` is | action |
//! |---|---|---|
//! | I | in `T1` or `T2` | hit; move `x` to the MRU end of `T2` |
//! | II | in `B1` | `p ← min(c, p + max(1, |B2|/|B1|))`; REPLACE; move `x` to `T2` |
//! | III | in `B2` | `p ← max(0, p − max(1, |B1|/|B2|))`; REPLACE; move `x` to `T2` |
//! | IV | nowhere, `|T1|+|B1| = c` | if `|T1| < c`: drop `B1`'s LRU, REPLACE; else drop `T1`'s LRU |
//! | IV | nowhere, `|T1|+|B1| < c` | if all four hold `≥ c`: drop `B2`'s LRU if they hold `2c`, REPLACE |
//!
//! then case IV puts `x` at the MRU end of `T1`. REPLACE evicts `T1`'s LRU into `B1` if `T1` is
//! non-empty and (`|T1| > p`, or `x ∈ B2` and `|T1| = p`), else `T2`'s LRU into `B2`.
//!
//! **Arithmetic of `p`.** The paper's `p` is real-valued (integer `p` drifts by about 0.1 point
//! of hit ratio on OLTP). Floating point may not feed simulation state here, so `p` is kept in
//! fixed point: an integer count of 2⁻³² objects (a `u128`, so any `u64` capacity fits). The
//! ratios `|B2|/|B1|` are divided in that unit, rounding down, which differs from the real value
//! by under 2⁻³² per adaptation; the comparisons with `|T1|` are exact. Integer arithmetic is
//! identical on every target. Sizes are ignored: every object counts as 1.
//!
//! **Removal** ([`Policy::remove`], an invalidation) unlinks a resident key from `T1` or `T2`
//! and forgets it; it does *not* become a ghost in `B1`/`B2`, because a ghost hit means "the
//! policy evicted this too early" and moves `p`, and the policy evicted nothing. A key that is
//! only a ghost is not cached; removing it changes nothing. After a removal the cache has a
//! free slot while ghosts exist, a state the paper's algorithm never reaches (without deletes,
//! `|T1| + |T2| = c` from the first time it fills). So REPLACE runs only when the cache is full:
//! a ghost hit or a new key takes the free slot instead of evicting. The ghost bookkeeping of
//! case IV (dropping `B1`'s or `B2`'s LRU) is unchanged, so all four lists still hold at most
//! `2c` keys. Without removals this is exactly the paper's algorithm.

use crate::cache::list::{Arena, List};
use crate::cache::{Access, Policy};
use crate::hash::FixedMap;

const T1: u32 = 0;
const T2: u32 = 1;
const B1: u32 = 2;
const B2: u32 = 3;
/// Fractional bits of `p`.
const FRAC: u32 = 32;

#[derive(Clone)]
pub struct Arc {
    capacity: u64,
    /// The target size of `T1`, in units of 2⁻³² objects.
    p: u128,
    map: FixedMap<u64, u32>,
    arena: Arena,
    /// `T1`, `T2`, `B1`, `B2`, indexed by tag.
    lists: [List; 4],
}

impl Arc {
    pub fn new(capacity: u64) -> Arc {
        let hint = (capacity.saturating_mul(2)).min(1 << 21) as usize;
        let mut map = FixedMap::default();
        map.reserve(hint);
        Arc {
            capacity,
            p: 0,
            map,
            arena: Arena::with_capacity(hint),
            lists: [List::default(); 4],
        }
    }

    /// The adaptation target `p`, as a whole number and a fraction of 2³².
    pub fn target(&self) -> (u64, u32) {
        ((self.p >> FRAC) as u64, self.p as u32)
    }

    /// Whether `T1` and `T2` fill the cache.
    fn full(&self) -> bool {
        self.len(T1) + self.len(T2) >= self.capacity
    }

    fn len(&self, tag: u32) -> u64 {
        self.lists[tag as usize].len as u64
    }

    /// Moves node `i` from its list to the MRU end of list `to`.
    fn relink(&mut self, i: u32, to: u32) {
        let from = self.arena.node(i).tag;
        self.arena.unlink(&mut self.lists[from as usize], i);
        self.arena.node_mut(i).tag = to;
        self.arena.push_front(&mut self.lists[to as usize], i);
    }

    /// Forgets the LRU key of ghost list `tag`.
    fn drop_lru(&mut self, tag: u32) {
        if let Some(v) = self.arena.pop_back(&mut self.lists[tag as usize]) {
            let k = self.arena.node(v).key;
            self.map.remove(&k);
            self.arena.release(v);
        }
    }

    /// REPLACE: evicts `T1`'s or `T2`'s LRU into its ghost list; returns the evicted key.
    fn replace(&mut self, in_b2: bool) -> Option<u64> {
        let t1 = self.len(T1) as u128;
        let from_t1 = t1 >= 1 && ((in_b2 && t1 << FRAC == self.p) || t1 << FRAC > self.p);
        let (from, to) = if from_t1 || self.len(T2) == 0 {
            (T1, B1)
        } else {
            (T2, B2)
        };
        let v = self.lists[from as usize].tail;
        if v == crate::cache::list::NIL {
            return None;
        }
        self.relink(v, to);
        Some(self.arena.node(v).key)
    }

    #[inline]
    fn serve(&mut self, key: u64) -> Result<(), (bool, Option<u64>)> {
        let c = self.capacity;
        if c == 0 {
            return Err((false, None));
        }
        if let Some(&i) = self.map.get(&key) {
            let tag = self.arena.node(i).tag;
            match tag {
                T1 | T2 => {
                    if tag == T2 {
                        self.arena.move_to_front(&mut self.lists[T2 as usize], i);
                    } else {
                        self.relink(i, T2);
                    }
                    return Ok(());
                }
                B1 => {
                    let (b1, b2) = (self.len(B1) as u128, self.len(B2) as u128);
                    let delta = ((b2 << FRAC) / b1).max(1 << FRAC);
                    self.p = (self.p + delta).min((c as u128) << FRAC);
                    let victim = if self.full() {
                        self.replace(false)
                    } else {
                        None
                    };
                    self.relink(i, T2);
                    return Err((true, victim));
                }
                _ => {
                    let (b1, b2) = (self.len(B1) as u128, self.len(B2) as u128);
                    let delta = ((b1 << FRAC) / b2).max(1 << FRAC);
                    self.p = self.p.saturating_sub(delta);
                    let victim = if self.full() {
                        self.replace(true)
                    } else {
                        None
                    };
                    self.relink(i, T2);
                    return Err((true, victim));
                }
            }
        }
        let (t1, t2, b1, b2) = (self.len(T1), self.len(T2), self.len(B1), self.len(B2));
        let mut victim = None;
        if t1 + b1 == c {
            if t1 < c {
                self.drop_lru(B1);
                if t1 + t2 >= c {
                    victim = self.replace(false);
                }
            } else if let Some(v) = self.arena.pop_back(&mut self.lists[T1 as usize]) {
                let k = self.arena.node(v).key;
                self.map.remove(&k);
                self.arena.release(v);
                victim = Some(k);
            }
        } else {
            let total = t1 + t2 + b1 + b2;
            if total >= c {
                if total >= 2 * c {
                    self.drop_lru(B2);
                }
                if t1 + t2 >= c {
                    victim = self.replace(false);
                }
            }
        }
        let i = self.arena.alloc(key, 1, T1);
        self.arena.push_front(&mut self.lists[T1 as usize], i);
        self.map.insert(key, i);
        Err((true, victim))
    }
}

impl Policy for Arc {
    fn name(&self) -> &'static str {
        "arc"
    }
    fn access(&mut self, key: u64, _size: u64) -> Access {
        Access::from_single(self.serve(key))
    }
    fn request(&mut self, key: u64, _size: u64) -> bool {
        self.serve(key).is_ok()
    }
    fn used(&self) -> u64 {
        self.len(T1) + self.len(T2)
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        let l = |tag: u32| crate::cache::list_keys(&self.arena, &self.lists[tag as usize], limit);
        vec![("T1", l(T1)), ("T2", l(T2)), ("B1", l(B1)), ("B2", l(B2))]
    }
    fn target_milli(&self) -> Option<u64> {
        let milli = (self.p * 1000) >> FRAC;
        Some(u64::try_from(milli).unwrap_or(u64::MAX))
    }
    fn contains(&self, key: u64) -> bool {
        self.map
            .get(&key)
            .is_some_and(|&i| self.arena.node(i).tag <= T2)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(&i) = self.map.get(&key) else {
            return false;
        };
        let tag = self.arena.node(i).tag;
        if tag > T2 {
            return false;
        }
        self.arena.unlink(&mut self.lists[tag as usize], i);
        self.map.remove(&key);
        self.arena.release(i);
        true
    }
}
