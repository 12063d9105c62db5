//! Two eviction policies on one request stream, request by request.
//!
//! The lab's own policy (A) serves every request; a [`Lockstep`] holds a second policy (B),
//! gives it exactly the same operations in the same order (each access with its size, and each
//! deletion the lab makes), and keeps the last [`ROWS`] requests with both outcomes. Where the
//! two disagree, it says why the one that missed did not have the key, from what it remembers
//! of each key's last departure:
//!
//! ```text
//!   #   key   A (lru)  B (arc)  why
//!   41   12   miss     hit      A evicted 12 9 requests ago (for 30)
//!   42    3   hit      hit
//!   43   30   hit      miss     B did not keep 30 when it was requested 4 requests ago
//! ```
//!
//! | the side that missed last lost the key by | says |
//! |---|---|
//! | eviction, to make room for another key | `A evicted 12 9 requests ago (for 30)` |
//! | refusing it when it was requested (an admission filter, or a value larger than the cache) | `B did not keep 30 when it was requested 4 requests ago` |
//! | nothing it remembers | `A never cached 12` |
//!
//! A deletion (an invalidation) reaches both sides at once, so it never explains a
//! disagreement: after one, both miss until a request readmits the key, and any later
//! difference comes from an eviction or a refusal. A deletion only forgets what was
//! remembered about the key.
//!
//! "Hit" is the policy's answer (was the key resident?), not the lab's (a resident key whose
//! value is still being fetched is a policy hit). The departures are remembered per key until
//! the key is cached again, up to [`MEMORY`] keys (then forgotten, oldest first).

use std::collections::VecDeque;

use super::{Access, Policy};
use crate::hash::FixedMap;
use crate::sim::Time;

/// Requests kept for the strip.
pub const ROWS: usize = 64;
/// Departed keys remembered per side for the explanations.
pub const MEMORY: usize = 1 << 16;

/// One request as both policies saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareRow {
    /// The request's number in the stream, from 1.
    pub index: u64,
    pub time: Time,
    pub key: u64,
    pub a_hit: bool,
    pub b_hit: bool,
    /// Why the side that missed did not have the key, when they disagree.
    pub why: Option<String>,
}

/// What both policies did so far, and the last requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareView {
    pub a: String,
    pub b: String,
    /// Requests since both started cold.
    pub requests: u64,
    pub a_hits: u64,
    pub b_hits: u64,
    /// Requests A hit and B missed.
    pub only_a: u64,
    /// Requests B hit and A missed.
    pub only_b: u64,
    /// The last [`ROWS`] requests, oldest first.
    pub rows: Vec<CompareRow>,
}

/// How a key last left one side's cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gone {
    /// Evicted at request `at` to make room for `for_key`.
    Evicted { at: u64, for_key: u64 },
    /// Requested at `at` but not kept (refused, or evicted by its own admission).
    Refused { at: u64 },
}

/// One side's memory of departures, bounded by [`MEMORY`].
#[derive(Clone, Debug, Default)]
struct Departures {
    by_key: FixedMap<u64, Gone>,
    order: VecDeque<u64>,
}

impl Departures {
    fn record(&mut self, key: u64, gone: Gone) {
        if self.by_key.insert(key, gone).is_none() {
            self.order.push_back(key);
        }
        while self.by_key.len() > MEMORY {
            let Some(k) = self.order.pop_front() else {
                break;
            };
            self.by_key.remove(&k);
        }
        if self.order.len() > 2 * MEMORY {
            let by_key = &self.by_key;
            self.order.retain(|k| by_key.contains_key(k));
        }
    }

    /// Forgets `key`'s departure: it is cached again, or was deleted.
    fn forget(&mut self, key: u64) {
        self.by_key.remove(&key);
    }

    /// Updates from one access: the keys evicted for `key`, and `key` itself if not kept.
    fn access(&mut self, index: u64, key: u64, access: &Access, kept: bool) {
        if let Access::Miss { evicted, .. } = access {
            for &k in evicted.iter().filter(|&&k| k != key) {
                self.record(
                    k,
                    Gone::Evicted {
                        at: index,
                        for_key: key,
                    },
                );
            }
        }
        if kept {
            self.forget(key);
        } else {
            self.record(key, Gone::Refused { at: index });
        }
    }

    fn why(&self, side: &str, key: u64, now: u64) -> String {
        let ago = |at: u64| match now - at {
            1 => "1 request ago".to_string(),
            n => format!("{n} requests ago"),
        };
        match self.by_key.get(&key) {
            Some(&Gone::Evicted { at, for_key }) => {
                format!("{side} evicted {key} {} (for {for_key})", ago(at))
            }
            Some(&Gone::Refused { at }) => {
                format!(
                    "{side} did not keep {key} when it was requested {}",
                    ago(at)
                )
            }
            None => format!("{side} never cached {key}"),
        }
    }
}

/// Policy B beside the lab's policy A. See the module documentation.
#[derive(Clone)]
pub struct Lockstep {
    a_name: String,
    b: Box<dyn Policy>,
    requests: u64,
    a_hits: u64,
    b_hits: u64,
    only_a: u64,
    only_b: u64,
    a_gone: Departures,
    b_gone: Departures,
    rows: VecDeque<CompareRow>,
}

impl Lockstep {
    /// Starts cold beside a cold policy A called `a_name`.
    pub fn new(a_name: &str, b: Box<dyn Policy>) -> Lockstep {
        Lockstep {
            a_name: a_name.to_string(),
            b,
            requests: 0,
            a_hits: 0,
            b_hits: 0,
            only_a: 0,
            only_b: 0,
            a_gone: Departures::default(),
            b_gone: Departures::default(),
            rows: VecDeque::new(),
        }
    }

    /// Policy B.
    pub fn b(&self) -> &dyn Policy {
        self.b.as_ref()
    }

    /// One request of `units` for `key` at `time`: A (the caller's policy) answered `a`, and
    /// whether A holds the key now is `a_kept`; B is served the same request here.
    pub fn access(&mut self, time: Time, key: u64, units: u64, a: &Access, a_kept: bool) {
        self.requests += 1;
        let index = self.requests;
        let b = self.b.access(key, units);
        let b_kept = self.b.contains(key);
        let (a_hit, b_hit) = (*a == Access::Hit, b == Access::Hit);
        let why = match (a_hit, b_hit) {
            (true, false) => Some(self.b_gone.why("B", key, index)),
            (false, true) => Some(self.a_gone.why("A", key, index)),
            _ => None,
        };
        self.a_hits += a_hit as u64;
        self.b_hits += b_hit as u64;
        self.only_a += (a_hit && !b_hit) as u64;
        self.only_b += (b_hit && !a_hit) as u64;
        self.a_gone.access(index, key, a, a_kept);
        self.b_gone.access(index, key, &b, b_kept);
        self.rows.push_back(CompareRow {
            index,
            time,
            key,
            a_hit,
            b_hit,
            why,
        });
        if self.rows.len() > ROWS {
            self.rows.pop_front();
        }
    }

    /// The lab deleted `key` from A; B deletes it too, and both forget why they last lost it.
    pub fn remove(&mut self, key: u64) {
        self.b.remove(key);
        self.a_gone.forget(key);
        self.b_gone.forget(key);
    }

    /// Both sides restart cold (a new policy A, a flush or a crash): B is `b`.
    pub fn restart(&mut self, a_name: &str, b: Box<dyn Policy>) {
        *self = Lockstep::new(a_name, b);
    }

    pub fn view(&self) -> CompareView {
        CompareView {
            a: self.a_name.clone(),
            b: self.b.name().to_string(),
            requests: self.requests,
            a_hits: self.a_hits,
            b_hits: self.b_hits,
            only_a: self.only_a,
            only_b: self.only_b,
            rows: self.rows.iter().cloned().collect(),
        }
    }
}
