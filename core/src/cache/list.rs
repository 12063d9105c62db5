//! Doubly linked lists of cache entries in one `Vec` arena, addressed by `u32` indices.
//!
//! LRU, LFU, 2Q, ARC and SIEVE all keep entries in recency-ordered lists and move an entry from
//! one place (or one list) to another in O(1). A pointer-based list is awkward in safe Rust, so
//! every entry lives in a slot of [`Arena::nodes`] and links to its neighbours by slot index;
//! [`NIL`] is the null link. Several [`List`]s may share one arena, and an entry moves between
//! them by [`Arena::unlink`] then [`Arena::push_front`], keeping its slot (so a key-to-slot map
//! stays valid). Freed slots are reused through a free list.
//!
//! ```text
//!   List { head: 2, tail: 0, len: 3 }
//!
//!   front (most recent)                     back (oldest)
//!   slot 2 ──next──▶ slot 5 ──next──▶ slot 0 ──next──▶ NIL
//!   NIL ◀──prev── slot 2 ◀──prev── slot 5 ◀──prev── slot 0
//! ```
//!
//! Each node carries the key, one `aux` word (the object's size, or LFU's frequency) and one
//! `tag` word (which list the node is on, or SIEVE's visited bit), so the policies need no side
//! tables.

/// The null link.
pub const NIL: u32 = u32::MAX;

/// One entry.
#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub key: u64,
    /// The object's size, or a policy's per-entry counter.
    pub aux: u64,
    pub prev: u32,
    pub next: u32,
    /// Which list the node is on, or a policy's per-entry flag.
    pub tag: u32,
}

/// The ends and length of one list in an [`Arena`].
#[derive(Clone, Copy, Debug)]
pub struct List {
    pub head: u32,
    pub tail: u32,
    pub len: u32,
}

impl Default for List {
    fn default() -> Self {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

/// The slots shared by one policy's lists.
#[derive(Clone, Debug, Default)]
pub struct Arena {
    pub nodes: Vec<Node>,
    free: Vec<u32>,
}

impl Arena {
    pub fn with_capacity(n: usize) -> Arena {
        Arena {
            nodes: Vec::with_capacity(n),
            free: Vec::new(),
        }
    }

    /// A fresh, unlinked slot.
    pub fn alloc(&mut self, key: u64, aux: u64, tag: u32) -> u32 {
        let node = Node {
            key,
            aux,
            prev: NIL,
            next: NIL,
            tag,
        };
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Returns an unlinked slot for reuse.
    pub fn release(&mut self, i: u32) {
        self.free.push(i);
    }

    #[inline]
    pub fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    #[inline]
    pub fn node_mut(&mut self, i: u32) -> &mut Node {
        &mut self.nodes[i as usize]
    }

    /// Links the unlinked slot `i` at the front (most recent end) of `list`.
    #[inline]
    pub fn push_front(&mut self, list: &mut List, i: u32) {
        let old = list.head;
        {
            let n = &mut self.nodes[i as usize];
            n.prev = NIL;
            n.next = old;
        }
        if old == NIL {
            list.tail = i;
        } else {
            self.nodes[old as usize].prev = i;
        }
        list.head = i;
        list.len += 1;
    }

    /// Unlinks slot `i` from `list`, which must hold it.
    #[inline]
    pub fn unlink(&mut self, list: &mut List, i: u32) {
        let (prev, next) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next)
        };
        if prev == NIL {
            list.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            list.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        list.len -= 1;
    }

    /// Moves slot `i`, already on `list`, to its front.
    #[inline]
    pub fn move_to_front(&mut self, list: &mut List, i: u32) {
        if list.head != i {
            self.unlink(list, i);
            self.push_front(list, i);
        }
    }

    /// Unlinks and returns the back (oldest) slot of `list`, if any.
    #[inline]
    pub fn pop_back(&mut self, list: &mut List) -> Option<u32> {
        let i = list.tail;
        if i == NIL {
            return None;
        }
        self.unlink(list, i);
        Some(i)
    }
}
