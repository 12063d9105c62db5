//! The cache lab (in progress): eviction policies written here, replayed on real traces.
//!
//! [`policy`] holds the eviction policies behind one [`Policy`] trait, [`trace`] reads the trace
//! formats of `shared/data/cache`, and [`replay`] runs a policy over a trace and counts hits.
//! [`list`] is the `Vec`-arena doubly linked list the recency-ordered policies share. The
//! simulation of the lab (request streams over time, write policies, TTLs, distribution) will
//! build on these.

pub mod list;
pub mod policy;
pub mod replay;
pub mod trace;

/// What a cache did with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// The key was cached.
    Hit,
    /// The key was not cached; it was admitted (or not, for policies that may refuse) and these
    /// keys were evicted to make room, in eviction order.
    Miss { admitted: bool, evicted: Vec<u64> },
}

/// An eviction policy over integer keys with a capacity counted in objects (or in bytes when
/// requests carry sizes; a policy that does not support sizes treats every size as 1).
///
/// Implementations are deterministic: no hashing with random state, no ambient randomness.
pub trait Policy {
    /// The stable name used on the command line and in links: `lru`, `arc`, …
    fn name(&self) -> &'static str;
    /// Serves one request for `key` of `size` units.
    fn access(&mut self, key: u64, size: u64) -> Access;
    /// How many units are cached now; never above the capacity.
    fn used(&self) -> u64;
    fn capacity(&self) -> u64;
    /// Whether `key` is cached, without touching any state.
    fn contains(&self, key: u64) -> bool;
    /// Serves one request exactly like [`Policy::access`] but reports only whether it hit.
    /// Replaying a long trace calls this; policies override it to skip building the list of
    /// evicted keys.
    fn request(&mut self, key: u64, size: u64) -> bool {
        matches!(self.access(key, size), Access::Hit)
    }
}
