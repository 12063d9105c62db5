//! The cache lab: eviction policies written here, replayed on real traces, and a live
//! simulation of requests over time.
//!
//! [`policy`] holds the eviction policies behind one [`Policy`] trait, [`trace`] reads the trace
//! formats of `shared/data/cache`, and [`replay`] runs a policy over a trace and counts hits.
//! [`mrc`] computes miss-ratio curves (LRU in one pass by stack distances) in resumable slices.
//! [`list`] is the `Vec`-arena doubly linked list the recency-ordered policies share.
//! [`lab`] is the lab's [`crate::Simulation`] ([`lab::CacheLab`]): requests from a
//! [`workload`] arrive over simulated time, miss to a slow origin, stampede or coalesce; writes
//! reach the versioned backing [`store`] by write-through, write-back, write-around or
//! write-behind, and values expire (TTL, negative caching, stale-while-revalidate, XFetch).
//! [`compare`] runs a second policy in lockstep with the lab's, request by request.

pub mod compare;
pub mod lab;
pub mod list;
pub mod mrc;
pub mod near;
pub mod policy;
pub mod replay;
pub mod ring;
pub mod store;
pub mod trace;
pub mod workload;

/// What a cache did with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// The key was cached.
    Hit,
    /// The key was not cached; it was admitted (or not, for policies that may refuse) and these
    /// keys were evicted to make room, in eviction order.
    Miss { admitted: bool, evicted: Vec<u64> },
}

impl Access {
    /// The access for a [`Policy::serve`] outcome (`None` on a hit, `Some(admitted)` on a
    /// miss), with the victims it pushed onto `evicted`.
    pub(crate) fn from_sized(outcome: Option<bool>, evicted: Vec<u64>) -> Access {
        match outcome {
            None => Access::Hit,
            Some(admitted) => Access::Miss { admitted, evicted },
        }
    }
}

/// An eviction policy over integer keys with a capacity counted in objects (every request of
/// size 1) or in bytes (requests carry sizes). Every online policy honours sizes, and with
/// every size 1 makes exactly the decisions of its object-count algorithm; OPT ignores sizes.
///
/// Implementations are deterministic: no hashing with random state, no ambient randomness.
/// They are `Clone` (through [`PolicyClone`]) so that a simulation holding one can be
/// checkpointed and forked.
pub trait Policy: PolicyClone {
    /// The stable name used on the command line and in links: `lru`, `arc`, …
    fn name(&self) -> &'static str;
    /// Serves one request for `key` of `size` units: `None` on a hit, `Some(admitted)` on a
    /// miss. The keys evicted to make room are pushed onto `evicted`, in eviction order, when
    /// it is given ([`Policy::request`] does not ask for them).
    fn serve(&mut self, key: u64, size: u64, evicted: Option<&mut Vec<u64>>) -> Option<bool>;
    /// Serves one request for `key` of `size` units.
    fn access(&mut self, key: u64, size: u64) -> Access {
        let mut evicted = Vec::new();
        let outcome = self.serve(key, size, Some(&mut evicted));
        Access::from_sized(outcome, evicted)
    }
    /// How many units are cached now; never above the capacity.
    fn used(&self) -> u64;
    fn capacity(&self) -> u64;
    /// Whether `key` is cached, without touching any state.
    fn contains(&self, key: u64) -> bool;
    /// Deletes `key` from the cache, as an invalidation or a delete does: its slot (and its
    /// size) is freed at once, so no later request has to evict anything for it, and the next
    /// request for `key` is a miss. Returns whether `key` was cached.
    ///
    /// Only resident objects are deleted. History a policy keeps about keys it evicted (ARC's
    /// `B1`/`B2`, 2Q's `A1out`, LIRS's non-resident HIR entries, S3-FIFO's ghost queue,
    /// W-TinyLFU's frequency sketch) stays as it is: it records what the *policy* did or what
    /// was requested, both still true. A deleted resident object does not become a ghost,
    /// because the policy did not evict it, and a ghost hit would then tell the adaptation that
    /// an eviction was a mistake when none was made. Each policy's module says where an
    /// object is unlinked from.
    fn remove(&mut self, key: u64) -> bool;
    /// Serves one request exactly like [`Policy::access`] but reports only whether it hit,
    /// without building the list of evicted keys. Replaying a long trace calls this.
    fn request(&mut self, key: u64, size: u64) -> bool {
        self.serve(key, size, None).is_none()
    }
    /// The policy's internal lists for drawing, each named and listed most recent first (for
    /// example `T1`, `T2`, `B1`, `B2` for ARC, where the `B` lists are ghosts: keys only, not
    /// cached), with at most `limit` keys each. Empty for a policy without an inspection view.
    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        let _ = limit;
        Vec::new()
    }
    /// ARC's adaptation target `p` (the size `T1` aims for) in thousandths of an object; `None`
    /// for policies without one.
    fn target_milli(&self) -> Option<u64> {
        None
    }
}

/// Clones a boxed policy; implemented for every `Policy + Clone`.
pub trait PolicyClone {
    fn clone_box(&self) -> Box<dyn Policy>;
}

impl<T: Policy + Clone + 'static> PolicyClone for T {
    fn clone_box(&self) -> Box<dyn Policy> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Policy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The keys of `list` in `arena` from its front (most recent), at most `limit`.
pub(crate) fn list_keys(arena: &list::Arena, l: &list::List, limit: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(limit.min(l.len as usize));
    let mut at = l.head;
    while at != list::NIL && out.len() < limit {
        let n = arena.node(at);
        out.push(n.key);
        at = n.next;
    }
    out
}
