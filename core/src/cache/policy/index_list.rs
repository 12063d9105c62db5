//! A doubly linked list over node indices, stored in vectors: the recency lists of LIRS and
//! W-TinyLFU.
//!
//! A policy keeps its entries in an arena (`Vec`) and names them by index; an [`IndexList`]
//! threads some of those indices into one list with O(1) push, unlink and move. Several lists
//! may share one arena (LIRS puts a block in both its stack S and its queue Q), each list with
//! its own links:
//!
//! ```text
//!   front (most recent / top)                      back (least recent / bottom)
//!   head ──▶ [7] ⇄ [2] ⇄ [9] ⇄ [4] ◀── tail
//! ```
//!
//! Indices are `u32` to keep the links small; an arena never holds more than a few times the
//! capacity of its cache.

const NIL: u32 = u32::MAX;

/// One list threaded through arena indices; the front is the most recent end.
#[derive(Clone, Debug, Default)]
pub(crate) struct IndexList {
    prev: Vec<u32>,
    next: Vec<u32>,
    member: Vec<bool>,
    head: u32,
    tail: u32,
    len: usize,
}

impl IndexList {
    pub(crate) fn new() -> Self {
        IndexList {
            prev: Vec::new(),
            next: Vec::new(),
            member: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    fn grow(&mut self, i: u32) {
        let need = i as usize + 1;
        if self.member.len() < need {
            self.prev.resize(need, NIL);
            self.next.resize(need, NIL);
            self.member.resize(need, false);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn contains(&self, i: u32) -> bool {
        self.member.get(i as usize).copied().unwrap_or(false)
    }

    /// The least recent end.
    pub(crate) fn back(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// The neighbour of `i` towards the front, if any.
    pub(crate) fn prev(&self, i: u32) -> Option<u32> {
        let p = self.prev[i as usize];
        (p != NIL).then_some(p)
    }

    /// Puts `i` (not a member) at the front.
    pub(crate) fn push_front(&mut self, i: u32) {
        self.grow(i);
        debug_assert!(!self.member[i as usize]);
        self.member[i as usize] = true;
        self.prev[i as usize] = NIL;
        self.next[i as usize] = self.head;
        if self.head != NIL {
            self.prev[self.head as usize] = i;
        } else {
            self.tail = i;
        }
        self.head = i;
        self.len += 1;
    }

    /// Unlinks `i` if it is a member; returns whether it was.
    pub(crate) fn remove(&mut self, i: u32) -> bool {
        if !self.contains(i) {
            return false;
        }
        let (p, n) = (self.prev[i as usize], self.next[i as usize]);
        if p != NIL {
            self.next[p as usize] = n;
        } else {
            self.head = n;
        }
        if n != NIL {
            self.prev[n as usize] = p;
        } else {
            self.tail = p;
        }
        self.member[i as usize] = false;
        self.prev[i as usize] = NIL;
        self.next[i as usize] = NIL;
        self.len -= 1;
        true
    }

    /// Moves `i` (a member or not) to the front.
    pub(crate) fn move_to_front(&mut self, i: u32) {
        self.remove(i);
        self.push_front(i);
    }

    /// Removes and returns the back (least recent) index.
    pub(crate) fn pop_back(&mut self) -> Option<u32> {
        let t = self.back()?;
        self.remove(t);
        Some(t)
    }
}
