//! LIRS, the Low Inter-reference Recency Set policy (Song Jiang and Xiaodong Zhang, "LIRS: An
//! Efficient Low Inter-reference Recency Set Replacement Policy to Improve Buffer Cache
//! Performance", SIGMETRICS 2002).
//!
//! LRU ranks a block by its *recency* (how long since its last use); LIRS ranks it by its
//! *inter-reference recency* (IRR: how many other distinct blocks were used between its last two
//! uses). Blocks with a low IRR are **LIR** blocks and always stay cached; the others are **HIR**
//! blocks, of which only a small portion is resident.
//!
//! * The cache of `c` blocks is split into `c - h` LIR blocks and `h` resident HIR blocks, with
//!   `h` 1% of `c` (at least 1, as in the paper). A cache of one block has no LIR part at all
//!   and is a one-slot FIFO.
//! * **Stack S** holds, most recent first, the LIR blocks and the HIR blocks (resident or not)
//!   whose recency is below the oldest LIR block's. It is *pruned* so its bottom is always a LIR
//!   block: HIR blocks that sink to the bottom are dropped from S (non-resident ones are
//!   forgotten).
//! * **Queue Q** holds the resident HIR blocks in FIFO order; the victim of a miss is Q's front.
//!
//! A request for block X:
//!
//! | X is                    | what happens                                                        |
//! |-------------------------|---------------------------------------------------------------------|
//! | LIR                     | hit; X moves to the top of S; prune S if X was the bottom            |
//! | resident HIR, in S      | hit; X becomes LIR (top of S, out of Q); S's bottom LIR becomes HIR and goes to the end of Q; prune |
//! | resident HIR, not in S  | hit; X goes to the top of S and to the end of Q, still HIR           |
//! | non-resident HIR, in S  | miss; evict Q's front; X becomes LIR as above (its IRR is low)       |
//! | unknown                 | miss; evict Q's front; X is a resident HIR at the top of S and the end of Q |
//!
//! While fewer than `c - h` blocks are LIR (the cache warming up), a missed block becomes LIR
//! directly. An evicted HIR block that is still in S stays there as a non-resident entry, so a
//! quick return is recognised as a low IRR.
//!
//! **Bound on non-resident entries.** The paper lets S grow without limit (a scan can fill it
//! with non-resident entries). Here at most `2c` non-resident entries are kept; beyond that the
//! one deepest in S is forgotten, found in O(log n) through a B-tree keyed by the time each entry
//! last reached the top of S (a non-resident entry never moves in S, so that key is stable).
//!
//! Worked example, `c = 3` (2 LIR + 1 HIR), trace `1 2 3 1 4 4 2`; S top first, `L` LIR, `H`
//! resident HIR, `n` non-resident HIR:
//!
//! ```text
//! req  result  S (top..bottom)        Q (front..end)  note
//!  1   miss    1L                     -               warming up: LIR
//!  2   miss    2L 1L                  -               LIR set full
//!  3   miss    3H 2L 1L               3
//!  1   hit     1L 3H 2L               3               1 was the bottom: prune (2 is LIR, stop)
//!  4   miss    4H 1L 3n 2L            4               evict 3 (Q front), still in S
//!  4   hit     4L 1L                  2               4 in S: LIR; 2 demoted; prune drops 3
//!  2   hit     2H 4L 1L               2               resident HIR not in S: stays HIR
//! ```
//!
//! Every request costs O(1), plus O(log n) when a non-resident entry is recorded or forgotten.
//!
//! **Sizes** (byte capacity, as libCacheSim sizes LIRS). Budgets are in the units of the
//! capacity: the resident HIR part `h` is 1% of the capacity in bytes (at least one byte), the
//! LIR set may hold `c - h` bytes, and the non-resident entries remember at most `2c` bytes (the
//! sizes their blocks had). While the LIR set has room for a missed block it becomes LIR
//! directly. A block that turns LIR (a hit on a resident HIR block in S, or a miss on a
//! non-resident entry) demotes S's bottom LIR block as in the paper, and then further bottom
//! LIR blocks while the LIR set holds more than `c - h` bytes. A miss evicts Q's front until
//! the block fits; if Q runs empty first (a block larger than the HIR part's free room), S's
//! bottom LIR block is demoted and evicted, so the resident HIR part always holds at least the
//! one object that arrived. An object larger than the whole capacity is not admitted and
//! changes nothing. A hit keeps the size the block was admitted with; a non-resident entry that
//! returns takes its new size. With every size 1 this is exactly the object-count policy.
//!
//! **Removal** ([`Policy::remove`], an invalidation) forgets a resident block entirely: out of S
//! and out of Q, in O(1). It does not stay in S as a non-resident entry, because such an entry
//! says "evicted by LIRS, return soon and you are LIR", and LIRS evicted nothing. A removed LIR
//! block leaves the LIR set one short, so the next missed block becomes LIR directly, as while
//! warming up; if it was S's bottom, S is pruned. A non-resident entry is not cached: removing
//! its key changes nothing and the entry stays.

use std::collections::BTreeMap;

use super::index_list::IndexList;
use crate::cache::Policy;
use crate::hash::FixedMap;

/// The status of a block that LIRS knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A low-IRR block: always resident.
    Lir,
    /// A high-IRR block that is resident (in queue Q).
    HirResident,
    /// A high-IRR block that was evicted but is still remembered in stack S.
    HirNonResident,
}

#[derive(Clone, Debug)]
struct Block {
    key: u64,
    status: Status,
    /// When the block last reached the top of S: orders the non-resident entries by depth.
    stamp: u64,
    /// Its size in the units of the capacity.
    size: u64,
}

/// The LIRS policy. See the module documentation.
#[derive(Clone, Debug)]
pub struct Lirs {
    capacity: u64,
    /// Units the LIR set may hold (`c - h`).
    lir_cap: u64,
    /// Units the non-resident entries may remember (`2c`).
    nonresident_cap: u64,
    nonresident_used: u64,
    blocks: Vec<Block>,
    free: Vec<u32>,
    index: FixedMap<u64, u32>,
    /// Stack S; the front is the top.
    stack: IndexList,
    /// Queue Q of resident HIR blocks; the front of the list is the newest, the back the victim.
    queue: IndexList,
    /// Non-resident entries by stamp, so the deepest is first.
    nonresident: BTreeMap<u64, u32>,
    /// Units held by LIR blocks and by all resident blocks.
    lir_used: u64,
    resident: u64,
    tick: u64,
}

impl Lirs {
    pub fn new(capacity: u64) -> Self {
        let hir_cap = (capacity / 100).max(1).min(capacity);
        Lirs {
            capacity,
            lir_cap: capacity - hir_cap,
            nonresident_cap: capacity.saturating_mul(2),
            nonresident_used: 0,
            blocks: Vec::new(),
            free: Vec::new(),
            index: FixedMap::default(),
            stack: IndexList::new(),
            queue: IndexList::new(),
            nonresident: BTreeMap::new(),
            lir_used: 0,
            resident: 0,
            tick: 0,
        }
    }

    /// Stack S from top to bottom, with each block's status (for drawing and tests).
    pub fn stack(&self) -> Vec<(u64, Status)> {
        let mut out = Vec::with_capacity(self.stack.len());
        let mut at = self.stack.back();
        while let Some(i) = at {
            let b = &self.blocks[i as usize];
            out.push((b.key, b.status));
            at = self.stack.prev(i);
        }
        out.reverse();
        out
    }

    /// Queue Q from its front (the next victim) to its end.
    pub fn queue(&self) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.queue.len());
        let mut at = self.queue.back();
        while let Some(i) = at {
            out.push(self.blocks[i as usize].key);
            at = self.queue.prev(i);
        }
        out
    }

    fn alloc(&mut self, key: u64, status: Status, size: u64) -> u32 {
        let block = Block {
            key,
            status,
            stamp: 0,
            size,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.blocks[i as usize] = block;
                i
            }
            None => {
                self.blocks.push(block);
                (self.blocks.len() - 1) as u32
            }
        };
        self.index.insert(key, i);
        i
    }

    fn forget(&mut self, i: u32) {
        self.index.remove(&self.blocks[i as usize].key);
        self.free.push(i);
    }

    fn push_top(&mut self, i: u32) {
        self.tick += 1;
        self.blocks[i as usize].stamp = self.tick;
        self.stack.move_to_front(i);
    }

    /// Drops HIR blocks from the bottom of S until a LIR block is there.
    fn prune(&mut self) {
        while let Some(b) = self.stack.back() {
            let block = &self.blocks[b as usize];
            match block.status {
                Status::Lir => break,
                Status::HirResident => {
                    self.stack.remove(b);
                }
                Status::HirNonResident => {
                    self.nonresident_used -= block.size;
                    self.nonresident.remove(&block.stamp);
                    self.stack.remove(b);
                    self.forget(b);
                }
            }
        }
    }

    /// Turns the bottom LIR block of S into a resident HIR block at the end of Q.
    fn demote_bottom_lir(&mut self) {
        if let Some(b) = self.stack.back() {
            debug_assert_eq!(self.blocks[b as usize].status, Status::Lir);
            self.stack.remove(b);
            self.blocks[b as usize].status = Status::HirResident;
            self.lir_used -= self.blocks[b as usize].size;
            self.queue.push_front(b);
            self.prune();
        }
    }

    /// Evicts the front of Q, keeping it in S as a non-resident entry if it is there.
    fn evict(&mut self) -> Option<u64> {
        if self.queue.len() == 0 {
            // Not reached while the split holds; kept so eviction always frees a slot.
            self.demote_bottom_lir();
        }
        let v = self.queue.pop_back()?;
        let Block {
            key, size, stamp, ..
        } = self.blocks[v as usize];
        self.resident -= size;
        if self.stack.contains(v) {
            self.blocks[v as usize].status = Status::HirNonResident;
            self.nonresident.insert(stamp, v);
            self.nonresident_used += size;
            while self.nonresident_used > self.nonresident_cap {
                let Some((_, old)) = self.nonresident.pop_first() else {
                    break;
                };
                self.nonresident_used -= self.blocks[old as usize].size;
                self.stack.remove(old);
                self.forget(old);
            }
        } else {
            self.forget(v);
        }
        Some(key)
    }

    /// Makes block `i` LIR at the top of S, then demotes S's bottom LIR block (the paper's
    /// swap) and further ones while the LIR set is over its budget.
    fn promote(&mut self, i: u32) {
        self.blocks[i as usize].status = Status::Lir;
        self.lir_used += self.blocks[i as usize].size;
        self.push_top(i);
        self.demote_bottom_lir();
        while self.lir_used > self.lir_cap && self.stack.len() > 0 {
            self.demote_bottom_lir();
        }
    }
}

impl Policy for Lirs {
    fn name(&self) -> &'static str {
        "lirs"
    }

    /// Serves a request; evicted keys are appended to `evicted` when given. Returns `None` on a
    /// hit, else whether the object was admitted.
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if self.capacity == 0 {
            return Some(false);
        }
        let known = self.index.get(&key).copied();
        if let Some(i) = known {
            match self.blocks[i as usize].status {
                Status::Lir => {
                    let was_bottom = self.stack.back() == Some(i);
                    self.push_top(i);
                    if was_bottom {
                        self.prune();
                    }
                    return None;
                }
                Status::HirResident => {
                    if self.stack.contains(i) {
                        self.queue.remove(i);
                        self.promote(i);
                    } else {
                        if self.lir_cap > 0 {
                            self.push_top(i);
                            self.prune();
                        }
                        self.queue.move_to_front(i);
                    }
                    return None;
                }
                Status::HirNonResident => {}
            }
        }
        if size > self.capacity {
            return Some(false);
        }
        if let Some(i) = known {
            // About to become resident: no longer a candidate for forgetting. Marked resident
            // (though in no queue yet) so that a prune while making room cannot forget it.
            let b = &mut self.blocks[i as usize];
            b.status = Status::HirResident;
            self.nonresident_used -= b.size;
            b.size = size;
            let stamp = b.stamp;
            self.nonresident.remove(&stamp);
        }
        while self.resident + size > self.capacity {
            let Some(k) = self.evict() else {
                break;
            };
            if let Some(e) = evicted.as_deref_mut() {
                e.push(k);
            }
        }
        self.resident += size;
        // A pruned entry is no longer in S: it returns as an unknown block would.
        let in_stack = known.filter(|&i| self.stack.contains(i));
        if self.lir_used + size <= self.lir_cap {
            let i = known.unwrap_or_else(|| self.alloc(key, Status::Lir, size));
            self.blocks[i as usize].status = Status::Lir;
            self.lir_used += size;
            self.push_top(i);
        } else if let Some(i) = in_stack {
            // A non-resident entry still in S: its IRR is below the oldest LIR block's recency.
            self.promote(i);
        } else {
            let i = known.unwrap_or_else(|| self.alloc(key, Status::HirResident, size));
            if self.lir_cap > 0 {
                self.push_top(i);
                // With sizes, a block too large for the LIR set may arrive while S holds no
                // LIR block: S's bottom must stay LIR, so such a block does not stay in S.
                self.prune();
            }
            self.queue.push_front(i);
        }
        Some(true)
    }

    fn used(&self) -> u64 {
        self.resident
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        let stack = self
            .stack()
            .into_iter()
            .take(limit)
            .map(|(k, _)| k)
            .collect();
        let mut queue = self.queue();
        queue.reverse();
        queue.truncate(limit);
        vec![("S", stack), ("Q", queue)]
    }
    fn contains(&self, key: u64) -> bool {
        self.index
            .get(&key)
            .is_some_and(|&i| self.blocks[i as usize].status != Status::HirNonResident)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(&i) = self.index.get(&key) else {
            return false;
        };
        let size = self.blocks[i as usize].size;
        match self.blocks[i as usize].status {
            Status::HirNonResident => return false,
            Status::Lir => self.lir_used -= size,
            Status::HirResident => {
                self.queue.remove(i);
            }
        }
        self.resident -= size;
        let was_bottom = self.stack.back() == Some(i);
        self.stack.remove(i);
        self.forget(i);
        if was_bottom {
            self.prune();
        }
        true
    }
}
