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
//! identical on every target.
//!
//! **Sizes** (byte capacity). Every list is measured in the units of the capacity: `T1` and
//! `T2` by the sizes of their objects, `B1` and `B2` by the sizes their keys had when they were
//! evicted, and `p` is a target in bytes (in units of 2⁻³² byte). Each rule above reads its
//! counts as bytes, the way libCacheSim sizes ARC:
//!
//! * A ghost hit on `x` of size `s` in `B1` moves `p` up by `s × max(1, |B2|/|B1|)` (capped at
//!   `c`), in `B2` down by `s × max(1, |B1|/|B2|)`; then REPLACE evicts (from `T1` or `T2` by
//!   the same rule, one object at a time) until `x` fits, and `x` enters `T2` with size `s`.
//! * A new key of size `s`: if `|T1| + |B1| + s > c`, `B1` forgets its LRU keys until `T1 ∪ B1`
//!   has room for `x` (or `B1` is empty), and if `T1` alone still has no room, `T1`'s LRU
//!   objects are deleted without becoming ghosts; otherwise, if all four lists plus `s` exceed
//!   `2c`, `B2` forgets its LRU keys until they do not. Then REPLACE runs until `x` fits.
//! * Ghosts are trimmed by bytes at the end of every request, so that `|T1| + |B1| ≤ c` and all
//!   four lists hold at most `2c` bytes (`B1` first, then `B2`): a returning ghost may come back
//!   larger than it left, which the object version never sees.
//!
//! An object larger than the whole capacity is not admitted and changes nothing (not even `p`).
//! With every size 1 every "until" above stops after the one step of the paper, and the trim
//! never fires: this is exactly the object-count policy.
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
use crate::cache::Policy;
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
    /// Units in `T1`, `T2`, `B1`, `B2` (sizes in node `aux`), indexed by tag.
    bytes: [u64; 4],
}

impl Arc {
    pub fn new(capacity: u64) -> Arc {
        Arc::with_room(capacity, capacity.min(1 << 20) as usize)
    }

    /// A cache of `capacity` units with its tables sized for `hint` resident objects up front.
    pub fn with_room(capacity: u64, hint: usize) -> Arc {
        let hint = hint.saturating_mul(2).min(1 << 21);
        let mut map = FixedMap::default();
        map.reserve(hint);
        Arc {
            capacity,
            p: 0,
            map,
            arena: Arena::with_capacity(hint),
            lists: [List::default(); 4],
            bytes: [0; 4],
        }
    }

    /// The adaptation target `p`, as a whole number and a fraction of 2³².
    pub fn target(&self) -> (u64, u32) {
        ((self.p >> FRAC) as u64, self.p as u32)
    }

    /// Units in list `tag`.
    #[inline]
    fn len(&self, tag: u32) -> u64 {
        self.bytes[tag as usize]
    }

    /// Whether `size` more units overflow `T1` and `T2`.
    #[inline]
    fn no_room(&self, size: u64) -> bool {
        self.len(T1) + self.len(T2) + size > self.capacity
    }

    /// Moves node `i` from its list to the MRU end of list `to`.
    fn relink(&mut self, i: u32, to: u32) {
        let n = *self.arena.node(i);
        self.arena.unlink(&mut self.lists[n.tag as usize], i);
        self.bytes[n.tag as usize] -= n.aux;
        self.arena.node_mut(i).tag = to;
        self.arena.push_front(&mut self.lists[to as usize], i);
        self.bytes[to as usize] += n.aux;
    }

    /// Unlinks the LRU node of list `tag` and forgets its key; returns the key.
    fn drop_lru(&mut self, tag: u32) -> Option<u64> {
        let v = self.arena.pop_back(&mut self.lists[tag as usize])?;
        let n = *self.arena.node(v);
        self.bytes[tag as usize] -= n.aux;
        self.map.remove(&n.key);
        self.arena.release(v);
        Some(n.key)
    }

    /// REPLACE: evicts `T1`'s or `T2`'s LRU into its ghost list; returns the evicted key.
    fn replace(&mut self, in_b2: bool) -> Option<u64> {
        let t1 = self.len(T1) as u128;
        let from_t1 = t1 >= 1 && ((in_b2 && t1 << FRAC == self.p) || t1 << FRAC > self.p);
        let (from, to) = if from_t1 || self.lists[T2 as usize].len == 0 {
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

    /// Runs REPLACE until `size` more units fit in `T1` and `T2`.
    fn replace_for(&mut self, size: u64, in_b2: bool, evicted: &mut Option<&mut Vec<u64>>) {
        while self.no_room(size) {
            let Some(k) = self.replace(in_b2) else {
                break;
            };
            if let Some(e) = evicted.as_deref_mut() {
                e.push(k);
            }
        }
    }

    /// Forgets ghosts until `|T1| + |B1| <= c` and all four lists hold at most `2c` units. A
    /// no-op with unit sizes, where the paper's steps keep both bounds.
    fn trim_ghosts(&mut self) {
        let c = self.capacity;
        while self.len(T1) + self.len(B1) > c && self.drop_lru(B1).is_some() {}
        let total = |a: &Arc| a.bytes.iter().sum::<u64>();
        while total(self) > 2 * c {
            if self.drop_lru(B2).is_none() && self.drop_lru(B1).is_none() {
                break;
            }
        }
    }
}

impl Policy for Arc {
    fn name(&self) -> &'static str {
        "arc"
    }
    /// Serves a request; evicted keys are appended to `evicted` when given. Returns `None` on a
    /// hit, else whether the object was admitted.
    #[inline]
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        let c = self.capacity;
        if c == 0 {
            return Some(false);
        }
        if let Some(&i) = self.map.get(&key) {
            let tag = self.arena.node(i).tag;
            if tag == T2 {
                self.arena.move_to_front(&mut self.lists[T2 as usize], i);
                return None;
            }
            if tag == T1 {
                self.relink(i, T2);
                return None;
            }
            if size > c {
                return Some(false);
            }
            let (b1, b2) = (self.len(B1).max(1) as u128, self.len(B2).max(1) as u128);
            if tag == B1 {
                let delta = ((b2 << FRAC) / b1).max(1 << FRAC);
                let delta = delta.saturating_mul(size as u128);
                self.p = self.p.saturating_add(delta).min((c as u128) << FRAC);
            } else {
                let delta = ((b1 << FRAC) / b2).max(1 << FRAC);
                let delta = delta.saturating_mul(size as u128);
                self.p = self.p.saturating_sub(delta);
            }
            // Out of its ghost list first, with the size it had, so REPLACE cannot pick it.
            let old = self.arena.node(i).aux;
            self.arena.unlink(&mut self.lists[tag as usize], i);
            self.bytes[tag as usize] -= old;
            self.replace_for(size, tag == B2, &mut evicted);
            let n = self.arena.node_mut(i);
            n.tag = T2;
            n.aux = size;
            self.arena.push_front(&mut self.lists[T2 as usize], i);
            self.bytes[T2 as usize] += size;
            self.trim_ghosts();
            return Some(true);
        }
        if size > c {
            return Some(false);
        }
        let (t1, b1) = (self.len(T1), self.len(B1));
        if t1 + b1 + size > c {
            while self.len(T1) + self.len(B1) + size > c && self.drop_lru(B1).is_some() {}
            while self.len(T1) + size > c {
                let Some(k) = self.drop_lru(T1) else {
                    break;
                };
                if let Some(e) = evicted.as_deref_mut() {
                    e.push(k);
                }
            }
        } else {
            let total = |a: &Arc| a.bytes.iter().sum::<u64>();
            while total(self) + size > 2 * c && self.drop_lru(B2).is_some() {}
        }
        self.replace_for(size, false, &mut evicted);
        let i = self.arena.alloc(key, size, T1);
        self.arena.push_front(&mut self.lists[T1 as usize], i);
        self.bytes[T1 as usize] += size;
        self.map.insert(key, i);
        self.trim_ghosts();
        Some(true)
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
        self.bytes[tag as usize] -= self.arena.node(i).aux;
        self.map.remove(&key);
        self.arena.release(i);
        true
    }
}
