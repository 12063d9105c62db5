//! The cache lab's simulation: requests from a workload arrive over time at a cache in front of
//! a slow backing store (the origin); reads hit, miss, stampede or coalesce behind one fetch
//! (single-flight); writes take one of four paths to the store; values expire, are served stale
//! while they revalidate, or are refreshed early; a crash loses the writes only the cache held.
//!
//! ```text
//!                 reads ──► cache ──miss──► fetch (origin_latency_ms) ──► store
//!   workload ─┤                 ▲                                         ▲   versions
//!                 writes ─┬─────┘ write-back: dirty, flushed on eviction or timer ──┤
//!                         ├─ write-through: store, then cache ──────────────────────┤
//!                         ├─ write-around: store, then the cached copy is dropped ──┤
//!                         └─ write-behind: cache, and a queue drained to the store ─┘
//! ```
//!
//! **Slots and values.** As in trace-driven simulators, the eviction policy sees every served
//! read (and every write that goes through the cache) at its arrival time, in arrival order,
//! through [`Policy::access`]: a miss is admitted (and its victims evicted) at once, while the
//! fetch from the origin only delays the *response*. So the policy's state is exactly that of
//! [`crate::cache::replay`] over the same keys, and the lab adds time on top. Beside the policy
//! the lab keeps the *value* in each slot: its version, size, expiry and whether it is dirty. A
//! slot admitted by a miss has no value until its fetch completes (it is *reserved* for it).
//!
//! **Capacity in objects or bytes.** By default (`capacity_unit: objects`) every value takes
//! one slot. With `capacity_unit: bytes` the capacity counts bytes and every value takes its
//! size (drawn per key from `min_size_bytes..=max_size_bytes`): the policy evicts until the
//! new value fits, and a value larger than the whole cache is not admitted (`not_admitted`, and
//! its reads keep missing). Every policy runs this way, each measuring its lists and shares in
//! bytes (see [`policy::sized_by_name`] and each policy's module). The byte hit ratio
//! (`bytes_hit` over `bytes_requested`) is counted in both modes.
//!
//! **Comparing policies.** With `compare_policy`, a second policy runs in lockstep with the lab's
//! ([`super::compare::Lockstep`]): it is given every access and deletion the lab's policy is,
//! in the same order, only observes (the log is unchanged), restarts cold with the lab's
//! policy, and the view carries the last requests with both outcomes and why they differ.
//!
//! **Deleting entries.** Whenever the lab drops a value, it deletes the entry from the policy
//! too ([`Policy::remove`]), so the slot is free at once and the next read is a miss for both
//! the lab and the policy (each policy's module says what a deletion does to its lists and why
//! ghosts stay). The deletions, in the order the lab makes them:
//!
//! | when | what is deleted |
//! |---|---|
//! | a write-around write commits | the cached copy (the invalidation) |
//! | a read finds the value expired beyond `stale_while_revalidate_ms` | the expired entry, lazily, as memcached and Redis do on access; the read then misses and is admitted again |
//! | a fetch completes and leaves nothing to cache (not found without negative caching, or a read-through load overtaken by a write) | the reserved slot, unless another fetch or a store write for the key is still on its way |
//! | a store write that was to fill a reserved slot fails (write-through with the origin down) | the reserved slot, likewise |
//! | a cache node joins or leaves | the moved keys' entries (their new owner does not have them) |
//!
//! A slot reserved for a fetch in flight is kept when its key is invalidated (there is no value
//! yet to delete): with cache-aside the application puts what it fetched into the cache
//! whatever happened meanwhile, which is the race described below. So the policy's state is
//! that of a replay of the same requests *and deletions*; without writes, TTLs or node changes
//! there are none, and it is exactly [`crate::cache::replay`] over the same keys.
//!
//! | the key's value is | fetch in flight | `single_flight` | outcome |
//! |---|---|---|---|
//! | fresh | any | either | `hit` (XFetch may start a background refresh) |
//! | expired, within `stale_while_revalidate_ms` | any | either | `stale`: served at once, refreshed in the background |
//! | absent, invalidated or expired | yes | on | `coalesced`: waits for that fetch |
//! | absent, invalidated or expired | — | — | `miss`: fetches (`failed` while the origin is down) |
//!
//! **Versions and stale reads.** The store holds every key's newest committed version
//! ([`super::store::Store`]). A fetch reads the version when it starts and delivers it when it
//! completes; a write is issued the key's next version and commits after the store's latency. A
//! read *served* a version older than the store's newest committed one is a **stale read**: a
//! hit on an entry that a write bypassed, or the requests a fetch answers with what it read
//! before a write committed. With **cache-aside**, the application puts what it fetched into the
//! cache unconditionally, so a fetch that raced a write-around leaves the old version cached
//! (the classic race); with **read-through** the cache itself loads the key and knows the writes
//! that went through it, so a load that completes after such a write is not installed.
//!
//! | write strategy | the write | acknowledged | the store | the cached copy |
//! |---|---|---|---|---|
//! | `write_around` | store only | at commit | commits after the latency | dropped at commit |
//! | `write_through` | store, then cache | at commit | commits after the latency | updated at commit |
//! | `write_back` | cache only, dirty | at once | on eviction or every `flush_every_ms` | dirty until flushed |
//! | `write_behind` | cache and a queue | at once | the queue, one at a time, each `write_behind_delay_ms` after it was queued | dirty until its queued writes commit |
//!
//! A `crash` restarts the cache cold: the dirty entries of write-back and the queue of
//! write-behind are gone, and every write among them is a **lost write**. A store write started
//! while the origin is down fails after the latency: a client's write-through or write-around
//! fails (the client is told), a failed flush leaves the entry dirty if it is still cached (the
//! writes are lost if it was evicted), and a failed write-behind write is lost.
//!
//! **Expiry.** A value fetched or written lives `ttl_ms` (0: forever) plus a uniform jitter in
//! `0..=ttl_jitter_ms` (a dirty value lives at least until its writes reach the store); a not-found answer is cached for `negative_ttl_ms` (0: not cached, so
//! every read of an absent key goes to the store). With `stale_while_revalidate_ms`, an expired
//! value is still served that long after expiry while one background fetch refreshes it. With
//! `early_refresh_beta_milli` (XFetch, Vattani et al. 2015), a fresh hit refreshes in the
//! background when `now + δ·β·(−ln u) ≥ expiry`, where δ is how long the value's fetch took and
//! `u` is uniform: the probability rises as expiry nears, so one request renews a hot key before
//! it expires and the stampede never starts.
//!
//! **App servers.** With `app_servers > 0`, requests go round robin through app servers, each
//! with a small local cache in front of the shared one ([`super::near`]): a usable local copy
//! is served at once without touching the shared cache or its policy; otherwise the read goes to
//! the shared cache and its answer fills the local copy. A write's acknowledgement drops the
//! writer's own copy and, under pub/sub coherence, sends invalidations to the others, which may
//! be delayed or dropped; a stale local read records how long after the newer version was
//! committed it happened (`stale_age_ms`, the stale window).
//!
//! **Cache nodes.** The shared cache's keys are partitioned among `cache_nodes` nodes on a
//! consistent-hash ring with `vnodes` virtual nodes each ([`super::ring`]). When a node joins
//! (`add_node`) or leaves (`remove_node`), exactly the cached keys on arcs that changed hands
//! move: their values stay behind on the old owner, so each misses once on its new one (a dirty
//! write-back value is handed to the store first). Simplification: one eviction policy spans
//! all nodes (as if their memory were pooled), so the policy still sees exactly the replayed
//! request sequence; real nodes evict independently.
//!
//! Arrivals are kept in microseconds (Poisson gaps from [`Rng::exp_ms`] with a mean of
//! `1_000_000 / rate_per_s`, or evenly spaced) and happen at the whole millisecond they fall in;
//! each is a write with probability `write_percent`. Scan bursts (the `burst` command, and the
//! `mixed` pattern's periodic ones) read new keys, numbered from `keys` upwards and never
//! requested before, one per millisecond. At one time, fetch completions come first, then store
//! commits, the write-behind queue, the flush timer, phase changes, burst starts, burst requests
//! and background arrivals. Random draws come from separate streams of the seed (arrivals, keys,
//! read or write, TTL jitter, XFetch), each drawn only when its feature is on.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::compare::{CompareView, Lockstep};
use super::near::{Coherence, LocalCache};
use super::policy::{self, NAMES};
use super::ring::{NodeId, Ring};
use super::store::{object_size, Store};
use super::workload::{Generator, Phase, Workload, MAX_BURST, MAX_SKEW_MILLI};
use super::{Access, Policy};
use crate::hash::FixedMap;
use crate::metrics::Metrics;
use crate::rng::Rng;
use crate::sim::{fmt_time, Emit, Refusal, Simulation, Time, Violation};

/// How request arrival times are spaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Independent arrivals: exponential gaps.
    #[default]
    Poisson,
    /// Exactly evenly spaced.
    Uniform,
}

/// What the cache's capacity counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityUnit {
    /// Objects: every value takes one slot, whatever its size.
    #[default]
    Objects,
    /// Bytes: a value takes its size (see `min_size_bytes`), a miss evicts until it fits, and
    /// a value larger than the whole cache is not cached. Every policy measures its lists in
    /// bytes then.
    Bytes,
}

/// Who fills the cache on a miss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadStrategy {
    /// The application reads the store and puts what it read into the cache, unconditionally.
    #[default]
    CacheAside,
    /// The cache loads the key itself, and drops a load overtaken by a write it saw.
    ReadThrough,
}

/// Which way a write goes to the store. See the module documentation's table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteStrategy {
    #[default]
    WriteAround,
    WriteThrough,
    WriteBack,
    WriteBehind,
}

impl WriteStrategy {
    pub fn name(self) -> &'static str {
        match self {
            WriteStrategy::WriteAround => "write-around",
            WriteStrategy::WriteThrough => "write-through",
            WriteStrategy::WriteBack => "write-back",
            WriteStrategy::WriteBehind => "write-behind",
        }
    }

    /// Whether the cache may hold writes the store has not committed.
    pub fn holds_dirty(self) -> bool {
        matches!(self, WriteStrategy::WriteBack | WriteStrategy::WriteBehind)
    }
}

/// Everything needed to start a run of the cache lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub seed: u64,
    /// A name in [`policy::NAMES`]. OPT needs the future and cannot run live.
    pub policy: String,
    /// Objects the cache holds, or bytes with `capacity_unit: bytes`.
    pub capacity: u64,
    pub capacity_unit: CapacityUnit,
    /// A second policy run in lockstep on the same requests for the request-by-request
    /// comparison ([`super::compare`]); `None`, empty or `"none"`: no comparison.
    pub compare_policy: Option<String>,
    /// The key space of the workload: keys `0..keys`.
    pub keys: u64,
    pub workload: Workload,
    /// Background requests per second.
    pub rate_per_s: u32,
    pub arrivals: Arrivals,
    /// How long a fetch from, or a write to, the store takes.
    pub origin_latency_ms: u32,
    /// Coalesce concurrent misses for a key into one origin fetch.
    pub single_flight: bool,
    pub read_strategy: ReadStrategy,
    pub write_strategy: WriteStrategy,
    /// Percent of background requests that are writes.
    pub write_percent: u32,
    /// Percent of keys the store does not have (reads of them are "not found").
    pub absent_percent: u32,
    /// How long a cached value lives; 0: forever.
    pub ttl_ms: u64,
    /// Each value's lifetime is lengthened by a uniform draw from `0..=ttl_jitter_ms`.
    pub ttl_jitter_ms: u64,
    /// How long a "not found" answer is cached; 0: not cached.
    pub negative_ttl_ms: u64,
    /// How long after expiry a value is still served while it is refreshed; 0: never.
    pub stale_while_revalidate_ms: u64,
    /// XFetch's β in thousandths (1000 is β = 1); 0: no early refresh.
    pub early_refresh_beta_milli: u32,
    /// Write-back: dirty entries are flushed every this many ms; 0: only on eviction.
    pub flush_every_ms: u64,
    /// Write-behind: a queued write is sent to the store no sooner than this after it was queued.
    pub write_behind_delay_ms: u64,
    /// Object sizes are uniform per key in `min_size_bytes..=max_size_bytes`.
    pub min_size_bytes: u64,
    pub max_size_bytes: u64,
    /// App servers in front of the shared cache, each with a local cache (see
    /// [`super::near`]); 0: requests go straight to the shared cache.
    pub app_servers: u32,
    /// Copies each app server's local cache holds.
    pub local_capacity: u64,
    /// How long a local copy lives; 0: until invalidated or evicted.
    pub local_ttl_ms: u64,
    pub coherence: Coherence,
    /// How long an invalidation message takes to reach another app server.
    pub pubsub_delay_ms: u64,
    /// Percent of invalidation messages lost on the way.
    pub pubsub_drop_percent: u32,
    /// Shared cache nodes on a consistent-hash ring; keys are partitioned among them.
    pub cache_nodes: u32,
    /// Virtual nodes per cache node on the ring.
    pub vnodes: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            policy: "lru".into(),
            capacity: 100,
            capacity_unit: CapacityUnit::Objects,
            compare_policy: None,
            keys: 1_000,
            workload: Workload::default(),
            rate_per_s: 20,
            arrivals: Arrivals::Poisson,
            origin_latency_ms: 200,
            single_flight: false,
            read_strategy: ReadStrategy::CacheAside,
            write_strategy: WriteStrategy::WriteAround,
            write_percent: 0,
            absent_percent: 0,
            ttl_ms: 0,
            ttl_jitter_ms: 0,
            negative_ttl_ms: 0,
            stale_while_revalidate_ms: 0,
            early_refresh_beta_milli: 0,
            flush_every_ms: 5_000,
            write_behind_delay_ms: 1_000,
            min_size_bytes: 100,
            max_size_bytes: 10_000,
            app_servers: 0,
            local_capacity: 50,
            local_ttl_ms: 10_000,
            coherence: Coherence::PubSub,
            pubsub_delay_ms: 50,
            pubsub_drop_percent: 0,
            cache_nodes: 1,
            vnodes: 64,
        }
    }
}

/// The longest origin latency accepted.
pub const MAX_ORIGIN_LATENCY_MS: u32 = 60_000;
/// The longest TTL, jitter, window or delay accepted: one day.
pub const MAX_DURATION_MS: u64 = 86_400_000;
/// The largest XFetch β accepted, in thousandths.
pub const MAX_BETA_MILLI: u32 = 100_000;
/// The largest object accepted.
pub const MAX_SIZE_BYTES: u64 = 1 << 30;
/// The largest byte capacity accepted (1 TiB).
pub const MAX_CAPACITY_BYTES: u64 = 1 << 40;
/// Objects a byte-capacity cache reserves room for up front, at most.
const MAX_RESERVE: u64 = 1 << 16;
/// The most cache nodes on the ring at once.
pub const MAX_CACHE_NODES: u32 = 16;
/// The most app servers accepted.
pub const MAX_APP_SERVERS: u32 = 16;
/// The largest local cache accepted.
pub const MAX_LOCAL_CAPACITY: u64 = 1_000;

impl Scenario {
    /// The policy to compare with request by request, if any.
    pub fn compare_name(&self) -> Option<&str> {
        self.compare_policy
            .as_deref()
            .filter(|b| !b.is_empty() && *b != "none")
    }

    /// Explains which field is out of range.
    pub fn validate(&self) -> Result<(), String> {
        check_policy(&self.policy).map_err(|e| format!("policy: {e}"))?;
        if let Some(b) = self.compare_name() {
            check_policy(b).map_err(|e| format!("compare_policy: {e}"))?;
        }
        match self.capacity_unit {
            CapacityUnit::Objects => {
                if !(1..=1_000_000).contains(&self.capacity) {
                    return Err(format!(
                        "capacity must be between 1 and 1000000 objects, not {}",
                        self.capacity
                    ));
                }
            }
            CapacityUnit::Bytes => {
                if !(1..=MAX_CAPACITY_BYTES).contains(&self.capacity) {
                    return Err(format!(
                        "capacity must be between 1 and {MAX_CAPACITY_BYTES} bytes, not {}",
                        self.capacity
                    ));
                }
            }
        }
        if !(1..=10_000_000).contains(&self.keys) {
            return Err(format!(
                "keys must be between 1 and 10000000, not {}",
                self.keys
            ));
        }
        if !(1..=100_000).contains(&self.rate_per_s) {
            return Err(format!(
                "rate_per_s must be between 1 and 100000, not {}",
                self.rate_per_s
            ));
        }
        if self.origin_latency_ms > MAX_ORIGIN_LATENCY_MS {
            return Err(format!(
                "origin_latency_ms must be at most {MAX_ORIGIN_LATENCY_MS}, not {}",
                self.origin_latency_ms
            ));
        }
        if self.app_servers > MAX_APP_SERVERS {
            return Err(format!(
                "app_servers must be at most {MAX_APP_SERVERS}, not {}",
                self.app_servers
            ));
        }
        if !(1..=MAX_CACHE_NODES).contains(&self.cache_nodes) {
            return Err(format!(
                "cache_nodes must be between 1 and {MAX_CACHE_NODES}, not {}",
                self.cache_nodes
            ));
        }
        if !(1..=1_024).contains(&self.vnodes) {
            return Err(format!(
                "vnodes must be between 1 and 1024, not {}",
                self.vnodes
            ));
        }
        if !(1..=MAX_LOCAL_CAPACITY).contains(&self.local_capacity) {
            return Err(format!(
                "local_capacity must be between 1 and {MAX_LOCAL_CAPACITY}, not {}",
                self.local_capacity
            ));
        }
        for (name, v) in [
            ("write_percent", self.write_percent),
            ("absent_percent", self.absent_percent),
            ("pubsub_drop_percent", self.pubsub_drop_percent),
        ] {
            if v > 100 {
                return Err(format!("{name} must be at most 100, not {v}"));
            }
        }
        for (name, v) in [
            ("ttl_ms", self.ttl_ms),
            ("ttl_jitter_ms", self.ttl_jitter_ms),
            ("negative_ttl_ms", self.negative_ttl_ms),
            ("stale_while_revalidate_ms", self.stale_while_revalidate_ms),
            ("flush_every_ms", self.flush_every_ms),
            ("write_behind_delay_ms", self.write_behind_delay_ms),
            ("local_ttl_ms", self.local_ttl_ms),
            ("pubsub_delay_ms", self.pubsub_delay_ms),
        ] {
            if v > MAX_DURATION_MS {
                return Err(format!(
                    "{name} must be at most {MAX_DURATION_MS} (a day), not {v}"
                ));
            }
        }
        if self.flush_every_ms != 0 && self.flush_every_ms < 100 {
            return Err(format!(
                "flush_every_ms must be 0 (flush on eviction only) or at least 100, not {}",
                self.flush_every_ms
            ));
        }
        if self.early_refresh_beta_milli > MAX_BETA_MILLI {
            return Err(format!(
                "early_refresh_beta_milli must be at most {MAX_BETA_MILLI}, not {}",
                self.early_refresh_beta_milli
            ));
        }
        if !(1..=MAX_SIZE_BYTES).contains(&self.min_size_bytes)
            || !(self.min_size_bytes..=MAX_SIZE_BYTES).contains(&self.max_size_bytes)
        {
            return Err(format!(
                "min_size_bytes and max_size_bytes must satisfy 1 <= min <= max <= {MAX_SIZE_BYTES}, not {} and {}",
                self.min_size_bytes, self.max_size_bytes
            ));
        }
        self.workload.validate()
    }
}

/// The cold policy `name` for scenario `s`, with its capacity in objects or bytes.
fn build_policy(s: &Scenario, name: &str) -> Result<Box<dyn Policy>, String> {
    match s.capacity_unit {
        CapacityUnit::Objects => policy::by_name(name, s.capacity),
        CapacityUnit::Bytes => {
            let mean = (s.min_size_bytes / 2 + s.max_size_bytes / 2).max(1);
            let room = (s.capacity / mean + 1).min(MAX_RESERVE) as usize;
            policy::sized_by_name(name, s.capacity, room)
        }
    }
}

/// Whether `name` is a policy the live lab can run.
fn check_policy(name: &str) -> Result<(), String> {
    if name == "opt" {
        return Err(
            "opt (Belady) needs to know every future request, so it cannot run live; \
                    compare against it in trace replay"
                .into(),
        );
    }
    if NAMES.contains(&name) {
        Ok(())
    } else {
        Err(format!(
            "no eviction policy {name:?}; policies: {}",
            NAMES.join(", ")
        ))
    }
}

/// A click or a fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// One read of `key`, now.
    Get { key: u64 },
    /// One write of `key`, now, by the scenario's write strategy.
    Put { key: u64 },
    /// Empties the cache (dirty write-back entries are flushed first; fetches in flight still
    /// complete).
    Flush,
    /// Replaces the cache with a cold one of another policy (dirty entries are flushed first).
    SetPolicy { policy: String },
    /// A scan of `len` new keys, one per millisecond from now.
    Burst { len: u64 },
    /// Changes the Zipf skew of the workload.
    SetSkew { skew_milli: u32 },
    /// Starts a workload phase now: a new skew and a shifted working set.
    Phase { skew_milli: u32, shift: u64 },
    /// The origin fault: while down, every fetch and store write fails after the latency.
    OriginDown { on: bool },
    /// The cache process crashes and restarts cold: writes only it held are lost.
    Crash,
    /// A new cache node joins the ring and takes over its arcs.
    AddNode,
    /// Cache node `node` leaves the ring; its arcs pass to their clockwise neighbours.
    RemoveNode { node: u32 },
}

/// A read answered with a version older than the store's: `(served, newest committed)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stale {
    pub served: u64,
    pub newest: u64,
}

/// Why a write reaches the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    /// A client's write-through write.
    Through,
    /// A client's write-around write.
    Around,
    /// A write-back flush carrying `writes` client writes, on eviction or by the timer.
    Flush { writes: u32, evicted: bool },
    /// The head of the write-behind queue.
    Behind,
}

/// Something that happened in the cache lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A read served from the cache. `negative`: a cached "not found"; `early_refresh`: XFetch
    /// started a background refresh.
    Hit {
        key: u64,
        stale: Option<Stale>,
        negative: bool,
        early_refresh: bool,
    },
    /// A read of an expired value served within the stale-while-revalidate window.
    ServedExpired {
        key: u64,
        /// How long ago the value expired.
        ago: Time,
        stale: Option<Stale>,
        /// Whether this read started the background refresh (else one is in flight).
        refreshing: bool,
    },
    /// A miss that fetches from the origin; `fetches` of this key are now in flight.
    Miss {
        key: u64,
        evicted: Vec<u64>,
        fetches: u32,
    },
    /// A value larger than the whole byte capacity: not cached (its request is still served).
    NotAdmitted {
        key: u64,
        size: u64,
        capacity: u64,
    },
    /// A value the policy's admission filter turned away (W-TinyLFU, when a new value larger
    /// than its window loses to the main area's victim at once): not cached.
    TurnedAway {
        key: u64,
        size: u64,
        policy: String,
    },
    /// A request that waits for the fetch of its key already in flight (single-flight).
    Waits {
        key: u64,
        evicted: Vec<u64>,
    },
    /// A miss while the origin is down: its fetch will fail.
    Unavailable {
        key: u64,
    },
    /// A fetch completed; `requests` were waiting for it.
    Fetched {
        key: u64,
        requests: u32,
        /// Started by XFetch or stale-while-revalidate, not by a miss.
        background: bool,
        /// The store has no such key; `cached` says whether the answer was cached.
        not_found: bool,
        /// Whether the value went into the cache (not when the key was evicted meanwhile, when
        /// read-through saw a newer write, or for an uncached "not found").
        cached: bool,
        stale: Option<Stale>,
    },
    /// A fetch from the down origin failed; `requests` were waiting for it.
    Failed {
        key: u64,
        requests: u32,
        background: bool,
    },
    /// A client's write, issued `version`.
    Write {
        key: u64,
        version: u64,
        strategy: WriteStrategy,
        evicted: Vec<u64>,
        /// Write-behind: writes in the queue now, this one included.
        queued: usize,
    },
    /// A write-back entry evicted dirty: its writes go to the store now.
    FlushOnEviction {
        key: u64,
        version: u64,
        writes: u32,
    },
    /// The write-back timer: `entries` dirty entries holding `writes` writes go to the store.
    FlushTimer {
        entries: usize,
        writes: u64,
    },
    /// The store committed `version` of `key`.
    Committed {
        key: u64,
        version: u64,
        kind: WriteKind,
        /// Write-around: the cached copy was dropped; write-through: the cache was updated.
        cache_changed: bool,
    },
    /// A store write failed because the origin was down; `lost` writes are gone for good.
    WriteFailed {
        key: u64,
        version: u64,
        kind: WriteKind,
        lost: u32,
    },
    Flushed,
    PolicySet {
        policy: String,
    },
    Burst {
        len: u64,
    },
    SkewSet {
        skew_milli: u32,
    },
    PhaseChanged {
        skew_milli: u32,
        shift: u64,
    },
    OriginDown {
        on: bool,
    },
    /// The cache restarted cold; `lost` writes of these keys never reached the store.
    Crashed {
        lost: u64,
        keys: Vec<u64>,
    },
    /// A read served from app server `server`'s local copy.
    LocalHit {
        server: u32,
        key: u64,
        stale: Option<Stale>,
    },
    /// A write was acknowledged: invalidations of `key` below `version` go to `sent` app
    /// servers; `dropped` of them are lost on the way.
    Published {
        key: u64,
        version: u64,
        sent: u32,
        dropped: u32,
    },
    /// An invalidation arrived at app server `server` and dropped its copy of version `had`.
    Invalidated {
        server: u32,
        key: u64,
        had: u64,
    },
    /// Cache node `node` joined (`joined`) or left the ring: `share_ppm` of the ring changed
    /// hands, and these cached keys moved (their values stay behind: the next read misses).
    NodeChanged {
        node: u32,
        joined: bool,
        share_ppm: u64,
        moved: Vec<u64>,
    },
}

struct Keys<'a>(&'a [u64]);

impl fmt::Display for Keys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

struct Evicts<'a>(&'a [u64]);

impl fmt::Display for Evicts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        write!(f, " (evicts {})", Keys(self.0))
    }
}

struct StaleNote(Option<Stale>);

impl fmt::Display for StaleNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(
                f,
                ", STALE: version {} but the store has {}",
                s.served, s.newest
            ),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Hit {
                key,
                stale,
                negative,
                early_refresh,
            } => {
                write!(f, "get {key}: hit")?;
                if *negative {
                    f.write_str(" (cached not-found)")?;
                }
                if *early_refresh {
                    f.write_str(", refreshing early (XFetch)")?;
                }
                write!(f, "{}", StaleNote(*stale))
            }
            Event::ServedExpired {
                key,
                ago,
                stale,
                refreshing,
            } => write!(
                f,
                "get {key}: expired {} ago, served stale while {}{}",
                fmt_time(*ago),
                if *refreshing {
                    "refreshing"
                } else {
                    "a refresh is in flight"
                },
                StaleNote(*stale)
            ),
            Event::Miss {
                key,
                evicted,
                fetches,
            } => {
                write!(f, "get {key}: miss, fetching")?;
                if *fetches > 1 {
                    write!(f, ", {fetches} fetches of it in flight")?;
                }
                write!(f, "{}", Evicts(evicted))
            }
            Event::NotAdmitted {
                key,
                size,
                capacity,
            } => write!(
                f,
                "{key} is {size} bytes, larger than the whole cache ({capacity} bytes): not cached"
            ),
            Event::TurnedAway { key, size, policy } => write!(
                f,
                "{key} ({size} bytes) turned away by {policy}'s admission filter: not cached"
            ),
            Event::Waits { key, evicted } => {
                write!(
                    f,
                    "get {key}: waits for the fetch in flight{}",
                    Evicts(evicted)
                )
            }
            Event::Unavailable { key } => write!(f, "get {key}: miss, fetching from a down origin"),
            Event::Fetched {
                key,
                requests,
                background,
                not_found,
                cached,
                stale,
            } => {
                if *not_found {
                    write!(f, "{key} not found at origin")?;
                } else if *background {
                    write!(f, "refreshed {key} from origin in the background")?;
                } else {
                    write!(f, "fetched {key} from origin")?;
                }
                if *requests > 1 || (*background && *requests > 0) {
                    write!(f, " for {requests} requests")?;
                }
                match (*not_found, *cached) {
                    (true, true) => f.write_str(", cached as not-found")?,
                    (true, false) => f.write_str(", not cached")?,
                    (false, true) => {}
                    (false, false) if stale.is_none() && !*background => {}
                    (false, false) => f.write_str(", not cached")?,
                }
                write!(f, "{}", StaleNote(*stale))
            }
            Event::Failed {
                key,
                requests,
                background,
            } => {
                if *background {
                    write!(f, "origin down: refresh of {key} failed")?;
                } else {
                    write!(f, "origin down: get {key} failed")?;
                }
                if *requests > 1 {
                    write!(f, " ({requests} requests)")?;
                }
                Ok(())
            }
            Event::Write {
                key,
                version,
                strategy,
                evicted,
                queued,
            } => {
                write!(f, "put {key} v{version}: {}, ", strategy.name())?;
                match strategy {
                    WriteStrategy::WriteAround => f.write_str("writing the store")?,
                    WriteStrategy::WriteThrough => f.write_str("writing the store, then cache")?,
                    WriteStrategy::WriteBack => f.write_str("cached dirty")?,
                    WriteStrategy::WriteBehind => write!(f, "cached, {queued} queued")?,
                }
                write!(f, "{}", Evicts(evicted))
            }
            Event::FlushOnEviction {
                key,
                version,
                writes,
            } => write!(
                f,
                "evicted dirty {key} v{version}: flushing {writes} write{} to the store",
                if *writes == 1 { "" } else { "s" }
            ),
            Event::FlushTimer { entries, writes } => write!(
                f,
                "flush timer: {entries} dirty entr{} ({writes} write{}) to the store",
                if *entries == 1 { "y" } else { "ies" },
                if *writes == 1 { "" } else { "s" }
            ),
            Event::Committed {
                key,
                version,
                kind,
                cache_changed,
            } => {
                write!(f, "store committed {key} v{version}")?;
                match (kind, cache_changed) {
                    (WriteKind::Through, true) => f.write_str(" (write-through), cache updated"),
                    (WriteKind::Through, false) => f.write_str(" (write-through), not cached"),
                    (WriteKind::Around, true) => {
                        f.write_str(" (write-around), cached copy dropped")
                    }
                    (WriteKind::Around, false) => f.write_str(" (write-around)"),
                    (WriteKind::Flush { .. }, _) => f.write_str(" (write-back flush)"),
                    (WriteKind::Behind, _) => f.write_str(" (write-behind queue)"),
                }
            }
            Event::WriteFailed {
                key,
                version,
                kind,
                lost,
            } => {
                write!(f, "origin down: write of {key} v{version} failed")?;
                match kind {
                    WriteKind::Through | WriteKind::Around => f.write_str(", client told"),
                    _ if *lost > 0 => write!(
                        f,
                        ", {lost} write{} LOST",
                        if *lost == 1 { "" } else { "s" }
                    ),
                    _ => f.write_str(", entry dirty again"),
                }
            }
            Event::Flushed => f.write_str("cache flushed"),
            Event::PolicySet { policy } => write!(f, "policy is now {policy} (cold cache)"),
            Event::Burst { len } => write!(f, "scan burst of {len} keys"),
            Event::SkewSet { skew_milli } => write!(
                f,
                "zipf skew is now {}.{:03}",
                skew_milli / 1000,
                skew_milli % 1000
            ),
            Event::PhaseChanged { skew_milli, shift } => write!(
                f,
                "workload phase: zipf skew {}.{:03}, working set shifted by {shift}",
                skew_milli / 1000,
                skew_milli % 1000
            ),
            Event::OriginDown { on: true } => f.write_str("origin is down"),
            Event::OriginDown { on: false } => f.write_str("origin is back up"),
            Event::Crashed { lost: 0, .. } => {
                f.write_str("cache crashed and restarted cold, no writes lost")
            }
            Event::LocalHit { server, key, stale } => {
                write!(f, "app {server}: get {key}: local hit{}", StaleNote(*stale))
            }
            Event::Published {
                key,
                version,
                sent,
                dropped,
            } => {
                write!(
                    f,
                    "pub/sub: invalidate {key} below v{version} to {sent} app server{}",
                    if *sent == 1 { "" } else { "s" }
                )?;
                if *dropped > 0 {
                    write!(
                        f,
                        ", {dropped} message{} DROPPED",
                        if *dropped == 1 { "" } else { "s" }
                    )?;
                }
                Ok(())
            }
            Event::NodeChanged {
                node,
                joined,
                share_ppm,
                moved,
            } => {
                const SHOWN: usize = 12;
                write!(
                    f,
                    "cache node {node} {}: {}.{}% of the ring changed hands, {} cached key{} moved",
                    if *joined { "joined" } else { "left" },
                    share_ppm / 10_000,
                    share_ppm % 10_000 / 1_000,
                    moved.len(),
                    if moved.len() == 1 { "" } else { "s" }
                )?;
                if !moved.is_empty() {
                    write!(f, " ({}", Keys(&moved[..moved.len().min(SHOWN)]))?;
                    if moved.len() > SHOWN {
                        write!(f, ", …")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            Event::Invalidated { server, key, had } => {
                write!(f, "app {server}: invalidated its copy of {key} (v{had})")
            }
            Event::Crashed { lost, keys } => write!(
                f,
                "cache crashed and restarted cold: {lost} unflushed write{} LOST (keys {})",
                if *lost == 1 { "" } else { "s" },
                Keys(keys)
            ),
        }
    }
}

/// One fetch from the origin.
#[derive(Clone, Debug)]
struct Fetch {
    key: u64,
    /// False when the origin was down as it started: it will fail.
    ok: bool,
    /// Requests waiting for it, the first included (none for a background refresh).
    requests: u32,
    /// The version the store had when the fetch started (0: not found).
    version: u64,
    started: Time,
    background: bool,
    /// The app server whose read started it (its local cache is filled on completion).
    server: Option<u32>,
}

/// The fetches in flight for one key.
#[derive(Clone, Copy, Debug)]
struct KeyFetches {
    count: u32,
    /// The `(completes at, sequence)` of the latest one, which a coalescing request joins.
    latest: (Time, u64),
}

/// One write on its way to the store.
#[derive(Clone, Copy, Debug)]
struct StoreWrite {
    key: u64,
    version: u64,
    kind: WriteKind,
    ok: bool,
    /// The app server that made a client write (it publishes the invalidation at commit).
    writer: Option<u32>,
}

/// A write waiting in the write-behind queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    pub key: u64,
    pub version: u64,
    pub queued_at: Time,
}

/// The value in one cache slot.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// 0: a cached "not found".
    version: u64,
    /// When it expires; `None`: never.
    expires_at: Option<Time>,
    /// How long the fetch that filled it took (XFetch's δ).
    delta: Time,
    /// Writes held here that the store has not committed (write-back, write-behind).
    unflushed: u32,
}

/// A scan burst in progress.
#[derive(Clone, Copy, Debug)]
struct Burst {
    next_at: Time,
    left: u64,
}

/// One request as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestView {
    /// Its place among every request and write remembered so far, from 0: stable while it is
    /// shown, so the page can key it.
    pub seq: u64,
    pub time: Time,
    pub key: u64,
    /// `"hit"`, `"miss"`, `"coalesced"`, `"failed"`, `"stale"` (expired, served while
    /// revalidating) or `"write"`.
    pub outcome: String,
    pub evicted: Vec<u64>,
    /// Answered with a version older than the store's (known at completion for a miss).
    pub stale: bool,
}

/// One cached value as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView {
    pub key: u64,
    /// 0: a cached "not found".
    pub version: u64,
    /// The store's newest committed version of the key.
    pub store_version: u64,
    pub dirty: bool,
    /// `None`: never expires.
    pub expires_at: Option<Time>,
    pub size: u64,
    /// The cache node that owns the key.
    pub node: u32,
}

/// What the page draws: the cache's internal lists, recent requests and fetches in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheView {
    pub policy: String,
    /// In `capacity_unit`s, as `used` is.
    pub capacity: u64,
    pub used: u64,
    pub capacity_unit: CapacityUnit,
    /// Values not cached because they are larger than the whole byte capacity.
    pub not_admitted: u64,
    /// The request-by-request comparison with `compare_policy`, if the scenario has one.
    pub compare: Option<CompareView>,
    /// The policy's internal lists, most recent first, at most 256 keys each (see
    /// [`Policy::segments`]); one `("cache", keys)` in ascending key order for policies without
    /// an inspection view.
    pub segments: Vec<(String, Vec<u64>)>,
    /// The last 64 requests, newest last.
    pub recent: Vec<RequestView>,
    /// `(key, completes at)` for every fetch in flight, soonest first.
    pub in_flight: Vec<(u64, Time)>,
    pub hits: u64,
    pub misses: u64,
    pub origin_fetches: u64,
    pub coalesced: u64,
    pub keys: u64,
    pub origin_down: bool,
    /// ARC's target size of `T1` in thousandths of an object.
    pub arc_p_milli: Option<u64>,
    pub requests: u64,
    pub failed: u64,
    pub evictions: u64,
    pub single_flight: bool,
    pub skew_milli: u32,
    pub now: Time,
    /// The values of cached keys with a value, in key order, at most 256.
    pub entries: Vec<EntryView>,
    /// The written keys of the store and their versions, in key order, at most 256.
    pub store: Vec<(u64, u64)>,
    /// Store writes in flight: `(key, version, completes at)`, soonest first.
    pub store_writes: Vec<(u64, u64, Time)>,
    /// The write-behind queue, oldest first, at most 256.
    pub write_queue: Vec<Queued>,
    pub read_strategy: ReadStrategy,
    pub write_strategy: WriteStrategy,
    pub writes: u64,
    pub stale_reads: u64,
    pub lost_writes: u64,
    pub dirty: u64,
    pub bytes_requested: u64,
    pub bytes_hit: u64,
    pub ttl_ms: u64,
    /// Store operations (fetches and writes) started in the last second.
    pub origin_load_per_s: u64,
    pub shift: u64,
    /// Each app server's local copies `(key, version, stale)`, in key order, at most 64 each.
    pub app_servers: Vec<Vec<(u64, u64, bool)>>,
    pub local_hits: u64,
    pub coherence: Coherence,
    /// The cache nodes on the ring and their shares of it in parts per million.
    pub nodes: Vec<(u32, u64)>,
}

/// Keys per segment in [`CacheView::segments`].
pub const SEGMENT_LIMIT: usize = 256;
/// Requests in [`CacheView::recent`].
pub const RECENT: usize = 64;
/// Requests in the rolling hit ratio.
const WINDOW: usize = 1_000;
/// The rolling hit ratio is sampled every this many requests.
const SAMPLE_EVERY: u64 = 100;
/// The window of the origin load gauge.
const LOAD_WINDOW_MS: Time = 1_000;

/// The cache lab. See the module documentation.
#[derive(Clone)]
pub struct CacheLab {
    scenario: Scenario,
    now: Time,
    policy: Box<dyn Policy>,
    policy_name: String,
    /// The keys the policy holds, as its accesses reported them (the fallback view, and a
    /// cross-check against [`Policy::used`]).
    resident: BTreeSet<u64>,
    /// The units (objects or bytes) of the resident keys: equals [`Policy::used`].
    resident_units: u64,
    /// Values not cached because they are larger than the whole byte capacity.
    not_admitted: u64,
    /// The second policy of the request-by-request comparison, if any.
    lockstep: Option<Lockstep>,
    /// The values of resident keys that have one.
    values: FixedMap<u64, Entry>,
    /// Resident keys holding writes the store has not committed.
    dirty: BTreeSet<u64>,
    store: Store,
    /// The newest version issued per written key (a write gets the next one).
    issued: FixedMap<u64, u64>,
    /// The sequence number of the latest write per key that the cache saw (read-through drops
    /// loads started before it).
    cache_write_seq: FixedMap<u64, u64>,
    generator: Generator,
    arrival_rng: Rng,
    write_rng: Rng,
    jitter_rng: Rng,
    xfetch_rng: Rng,
    /// The next background arrival, in microseconds.
    next_arrival_us: u64,
    /// Background arrivals so far (evenly spaced arrivals are computed from it).
    arrived: u64,
    burst: Option<Burst>,
    /// The next periodic burst of the `mixed` pattern.
    next_periodic_burst: Option<Time>,
    /// The next never-requested key for scan bursts.
    next_new_key: u64,
    /// The next scheduled phase in `scenario.workload.phases`.
    next_phase: usize,
    /// The next tick of the write-back flush timer.
    next_flush: Option<Time>,
    fetches: BTreeMap<(Time, u64), Fetch>,
    by_key: FixedMap<u64, KeyFetches>,
    writes_in_flight: BTreeMap<(Time, u64), StoreWrite>,
    behind_queue: VecDeque<Queued>,
    /// Whether the write-behind worker has a write in flight.
    behind_busy: bool,
    seq: u64,
    origin_down: bool,
    skew_milli: u32,
    shift: u64,
    requests: u64,
    hits: u64,
    misses: u64,
    coalesced: u64,
    failed: u64,
    origin_fetches: u64,
    evictions: u64,
    writes: u64,
    store_writes: u64,
    failed_writes: u64,
    stale_reads: u64,
    served_expired: u64,
    early_refreshes: u64,
    negative_hits: u64,
    lost_writes: u64,
    bytes_requested: u64,
    bytes_hit: u64,
    /// Start times of store operations in the last [`LOAD_WINDOW_MS`].
    load_window: VecDeque<Time>,
    /// The app servers' local caches (empty without app servers).
    locals: Vec<LocalCache>,
    /// The shared cache's nodes.
    ring: Ring,
    /// The id the next joining node gets.
    next_node: NodeId,
    /// Requests so far through the app servers (round robin).
    next_server: u64,
    /// Invalidation messages on their way: `(server, key, version)`.
    deliveries: BTreeMap<(Time, u64), (u32, u64, u64)>,
    pubsub_rng: Rng,
    /// When the store committed each written key's newest version.
    committed_at: FixedMap<u64, Time>,
    local_hits: u64,
    invalidations_sent: u64,
    invalidations_dropped: u64,
    /// Entries deleted from the policy (see the module documentation's table).
    deletions: u64,
    version_checks: u64,
    /// The last started fetch's key: the single-flight invariant looks at it.
    last_fetch_key: Option<u64>,
    window: VecDeque<bool>,
    window_hits: u64,
    recent: VecDeque<RequestView>,
    /// Gauges and the latency histograms (counters are filled in by [`Simulation::metrics`]).
    metrics: Metrics,
}

/// How a read finds its key's value.
enum Found {
    Fresh(Entry),
    /// Expired this long ago, within the stale-while-revalidate window.
    Servable(Entry, Time),
    Unusable,
}

impl CacheLab {
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The policy, for tests that compare it with a replay.
    pub fn policy(&self) -> &dyn Policy {
        self.policy.as_ref()
    }

    /// The second policy of the request-by-request comparison, if the scenario has one.
    pub fn compare_policy(&self) -> Option<&dyn Policy> {
        self.lockstep.as_ref().map(Lockstep::b)
    }

    /// The store's newest committed version of `key`.
    pub fn store_version(&self, key: u64) -> u64 {
        self.store.version(key)
    }

    /// The version cached for `key` and whether it is dirty, if the cache has a value.
    pub fn cached(&self, key: u64) -> Option<(u64, bool)> {
        self.values.get(&key).map(|e| (e.version, e.unflushed > 0))
    }

    /// What the page draws at the current time.
    pub fn view(&self) -> CacheView {
        let mut segments: Vec<(String, Vec<u64>)> = self
            .policy
            .segments(SEGMENT_LIMIT)
            .into_iter()
            .map(|(n, k)| (n.to_string(), k))
            .collect();
        if segments.is_empty() {
            let keys = self.resident.iter().take(SEGMENT_LIMIT).copied().collect();
            segments.push(("cache".to_string(), keys));
        }
        let entries = self
            .resident
            .iter()
            .filter_map(|&key| {
                let e = self.values.get(&key)?;
                Some(EntryView {
                    key,
                    version: e.version,
                    store_version: self.store.version(key),
                    dirty: e.unflushed > 0,
                    expires_at: e.expires_at,
                    size: self.size(key),
                    node: self.ring.owner(key).unwrap_or(0),
                })
            })
            .take(SEGMENT_LIMIT)
            .collect();
        CacheView {
            policy: self.policy_name.clone(),
            capacity: self.policy.capacity(),
            used: self.policy.used(),
            capacity_unit: self.scenario.capacity_unit,
            not_admitted: self.not_admitted,
            compare: self.lockstep.as_ref().map(Lockstep::view),
            segments,
            recent: self.recent.iter().cloned().collect(),
            in_flight: self.fetches.iter().map(|(&(t, _), f)| (f.key, t)).collect(),
            hits: self.hits,
            misses: self.misses,
            origin_fetches: self.origin_fetches,
            coalesced: self.coalesced,
            keys: self.scenario.keys,
            origin_down: self.origin_down,
            arc_p_milli: self.policy.target_milli(),
            requests: self.requests,
            failed: self.failed,
            evictions: self.evictions,
            single_flight: self.scenario.single_flight,
            skew_milli: self.skew_milli,
            now: self.now,
            entries,
            store: self.store.written(SEGMENT_LIMIT),
            store_writes: self
                .writes_in_flight
                .iter()
                .map(|(&(t, _), w)| (w.key, w.version, t))
                .collect(),
            write_queue: self
                .behind_queue
                .iter()
                .take(SEGMENT_LIMIT)
                .copied()
                .collect(),
            read_strategy: self.scenario.read_strategy,
            write_strategy: self.scenario.write_strategy,
            writes: self.writes,
            stale_reads: self.stale_reads,
            lost_writes: self.lost_writes,
            dirty: self.dirty.len() as u64,
            bytes_requested: self.bytes_requested,
            bytes_hit: self.bytes_hit,
            ttl_ms: self.scenario.ttl_ms,
            origin_load_per_s: self.load_window.len() as u64,
            shift: self.shift,
            app_servers: self
                .locals
                .iter()
                .map(|l| {
                    l.copies(64)
                        .into_iter()
                        .map(|(k, c)| (k, c.version, c.version < self.store.version(k)))
                        .collect()
                })
                .collect(),
            local_hits: self.local_hits,
            coherence: self.scenario.coherence,
            nodes: self
                .ring
                .nodes()
                .iter()
                .map(|&n| (n, self.ring.share(n)))
                .collect(),
        }
    }

    fn size(&self, key: u64) -> u64 {
        let s = &self.scenario;
        object_size(s.seed, key, s.min_size_bytes, s.max_size_bytes)
    }

    /// The units `key` takes in the policy: its size in bytes, or 1 object.
    fn units(&self, key: u64) -> u64 {
        match self.scenario.capacity_unit {
            CapacityUnit::Objects => 1,
            CapacityUnit::Bytes => self.size(key),
        }
    }

    /// The time of the next background arrival.
    fn arrival_ms(&self) -> Time {
        self.next_arrival_us / 1000
    }

    fn schedule_arrival(&mut self) {
        let rate = self.scenario.rate_per_s as u64;
        match self.scenario.arrivals {
            Arrivals::Poisson => {
                self.next_arrival_us += self.arrival_rng.exp_ms(1_000_000 / rate);
            }
            Arrivals::Uniform => {
                self.next_arrival_us = (self.arrived + 1) * 1_000_000 / rate;
            }
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Serves the policy one request; returns the keys it evicted. Evicted values go, and a
    /// dirty write-back value is flushed to the store on its way out.
    fn access(&mut self, key: u64, out: &mut dyn Emit<Event>) -> Vec<u64> {
        let units = self.units(key);
        let access = self.policy.access(key, units);
        if let Some(l) = &mut self.lockstep {
            l.access(self.now, key, units, &access, self.policy.contains(key));
        }
        match access {
            Access::Hit => Vec::new(),
            Access::Miss { admitted, evicted } => {
                if !admitted && units > self.policy.capacity() {
                    self.not_admitted += 1;
                    out.emit(
                        self.now,
                        Event::NotAdmitted {
                            key,
                            size: units,
                            capacity: self.policy.capacity(),
                        },
                    );
                } else if !admitted {
                    out.emit(
                        self.now,
                        Event::TurnedAway {
                            key,
                            size: units,
                            policy: self.policy.name().to_string(),
                        },
                    );
                }
                for &k in &evicted {
                    self.resident.remove(&k);
                    self.resident_units -= self.units(k);
                    let entry = self.values.remove(&k);
                    if self.dirty.remove(&k) {
                        if let (Some(e), WriteStrategy::WriteBack) =
                            (entry, self.scenario.write_strategy)
                        {
                            out.emit(
                                self.now,
                                Event::FlushOnEviction {
                                    key: k,
                                    version: e.version,
                                    writes: e.unflushed,
                                },
                            );
                            self.start_write(
                                k,
                                e.version,
                                WriteKind::Flush {
                                    writes: e.unflushed,
                                    evicted: true,
                                },
                            );
                        }
                    }
                }
                if admitted {
                    self.resident.insert(key);
                    self.resident_units += units;
                }
                self.evictions += evicted.len() as u64;
                evicted
            }
        }
    }

    /// Deletes `key`'s entry: its value and its slot in the policy (see the module
    /// documentation's table of deletions). Returns the value it held, if any.
    fn delete(&mut self, key: u64) -> Option<Entry> {
        if let Some(l) = &mut self.lockstep {
            l.remove(key);
        }
        if self.policy.remove(key) {
            self.resident.remove(&key);
            self.resident_units -= self.units(key);
            self.deletions += 1;
        }
        self.values.remove(&key)
    }

    /// Whether a fetch or a write-through for `key` is on its way: either fills a reserved
    /// slot when it completes.
    fn pending(&self, key: u64) -> bool {
        self.by_key.contains_key(&key)
            || self
                .writes_in_flight
                .values()
                .any(|w| w.key == key && w.kind == WriteKind::Through)
    }

    /// Frees `key`'s slot if it is reserved (resident, no value) and nothing is on its way to
    /// fill it.
    fn release_if_unfilled(&mut self, key: u64) {
        if self.resident.contains(&key) && !self.values.contains_key(&key) && !self.pending(key) {
            self.delete(key);
        }
    }

    /// Counts one store operation started now for the origin load gauge.
    fn origin_op(&mut self) {
        let now = self.now;
        while self
            .load_window
            .front()
            .is_some_and(|&t| t + LOAD_WINDOW_MS <= now)
        {
            self.load_window.pop_front();
        }
        self.load_window.push_back(now);
        self.metrics
            .gauge("origin_load_per_s", now, self.load_window.len() as i64);
    }

    /// Starts a fetch of `key`; returns how many fetches of it are in flight.
    fn start_fetch(&mut self, key: u64, ok: bool, background: bool, server: Option<u32>) -> u32 {
        let seq = self.next_seq();
        let at = (self.now + self.scenario.origin_latency_ms as Time, seq);
        self.origin_fetches += 1;
        self.origin_op();
        let version = self.store.version(key);
        self.fetches.insert(
            at,
            Fetch {
                key,
                ok,
                requests: u32::from(!background),
                version,
                started: self.now,
                background,
                server,
            },
        );
        let kf = self.by_key.entry(key).or_insert(KeyFetches {
            count: 0,
            latest: at,
        });
        kf.count += 1;
        kf.latest = at;
        self.last_fetch_key = Some(key);
        let count = kf.count;
        self.metrics
            .gauge("in_flight", self.now, self.fetches.len() as i64);
        count
    }

    /// Starts a background refresh of `key` unless a fetch of it is in flight; returns whether
    /// it started one.
    fn refresh(&mut self, key: u64) -> bool {
        if self.by_key.contains_key(&key) {
            return false;
        }
        self.start_fetch(key, !self.origin_down, true, None);
        true
    }

    /// Starts a store write of `version` of `key`.
    fn start_write(&mut self, key: u64, version: u64, kind: WriteKind) {
        self.start_client_write(key, version, kind, None);
    }

    /// Starts a store write made by app server `writer` (through and around writes publish
    /// their invalidation when the store commits).
    fn start_client_write(&mut self, key: u64, version: u64, kind: WriteKind, writer: Option<u32>) {
        let seq = self.next_seq();
        let at = (self.now + self.scenario.origin_latency_ms as Time, seq);
        self.store_writes += 1;
        self.origin_op();
        self.writes_in_flight.insert(
            at,
            StoreWrite {
                key,
                version,
                kind,
                ok: !self.origin_down,
                writer,
            },
        );
    }

    /// When a value stored now expires: the TTL plus jitter, or the negative TTL.
    fn expiry(&mut self, negative: bool) -> Option<Time> {
        let s = &self.scenario;
        if negative {
            return Some(self.now + s.negative_ttl_ms);
        }
        if s.ttl_ms == 0 {
            return None;
        }
        let jitter = if s.ttl_jitter_ms > 0 {
            self.jitter_rng.range(0, s.ttl_jitter_ms)
        } else {
            0
        };
        Some(self.now + s.ttl_ms + jitter)
    }

    /// How a read now finds `key`'s value.
    fn find(&self, key: u64) -> Found {
        let Some(&e) = self.values.get(&key) else {
            return Found::Unusable;
        };
        match e.expires_at {
            // A dirty value is the only copy of its writes: it never expires before its flush.
            Some(at) if at <= self.now && e.unflushed == 0 => {
                let ago = self.now - at;
                if ago < self.scenario.stale_while_revalidate_ms && e.version > 0 {
                    Found::Servable(e, ago)
                } else {
                    Found::Unusable
                }
            }
            _ => Found::Fresh(e),
        }
    }

    /// `Some` when `served` is older than the store's newest committed version of `key`.
    fn staleness(&self, key: u64, served: u64) -> Option<Stale> {
        let newest = self.store.version(key);
        (served < newest).then_some(Stale { served, newest })
    }

    /// XFetch: whether a fresh hit on `e` should refresh it now.
    fn refresh_early(&mut self, key: u64, e: &Entry) -> bool {
        let beta = self.scenario.early_refresh_beta_milli as u64;
        let Some(expires_at) = e.expires_at else {
            return false;
        };
        if beta == 0 || e.version == 0 || self.by_key.contains_key(&key) {
            return false;
        }
        let mean = e.delta * beta / 1000;
        if mean == 0 {
            return false;
        }
        self.now + self.xfetch_rng.exp_ms(mean) >= expires_at
    }

    /// One read of `key` at the current time.
    /// One read of `key` at the shared cache, from app server `server` if there are any;
    /// returns the version served now (a hit), if any.
    fn read(&mut self, key: u64, server: Option<u32>, out: &mut dyn Emit<Event>) -> Option<u64> {
        let now = self.now;
        let mut served = None;
        self.requests += 1;
        let size = self.size(key);
        self.bytes_requested += size;
        let found = if self.resident.contains(&key) {
            self.find(key)
        } else {
            Found::Unusable
        };
        if matches!(found, Found::Unusable) && self.values.contains_key(&key) {
            // Expired beyond the stale window: deleted on access, then missed and readmitted.
            self.delete(key);
        }
        let in_flight = self.by_key.get(&key).copied();
        let mut stale = None;
        let (outcome, evicted, latency) = match found {
            Found::Fresh(e) => {
                self.access(key, out);
                self.hits += 1;
                self.bytes_hit += size;
                stale = self.staleness(key, e.version);
                let early_refresh = self.refresh_early(key, &e) && self.refresh(key);
                self.early_refreshes += early_refresh as u64;
                self.negative_hits += (e.version == 0) as u64;
                served = Some(e.version);
                out.emit(
                    now,
                    Event::Hit {
                        key,
                        stale,
                        negative: e.version == 0,
                        early_refresh,
                    },
                );
                ("hit", Vec::new(), Some(0))
            }
            Found::Servable(e, ago) => {
                self.access(key, out);
                self.hits += 1;
                self.served_expired += 1;
                self.bytes_hit += size;
                stale = self.staleness(key, e.version);
                let refreshing = self.refresh(key);
                served = Some(e.version);
                out.emit(
                    now,
                    Event::ServedExpired {
                        key,
                        ago,
                        stale,
                        refreshing,
                    },
                );
                ("stale", Vec::new(), Some(0))
            }
            Found::Unusable => match in_flight {
                Some(kf) if self.scenario.single_flight => {
                    let ok = match self.fetches.get_mut(&kf.latest) {
                        Some(f) => {
                            f.requests += 1;
                            f.ok
                        }
                        None => false,
                    };
                    let evicted = if ok {
                        self.access(key, out)
                    } else {
                        Vec::new()
                    };
                    out.emit(
                        now,
                        Event::Waits {
                            key,
                            evicted: evicted.clone(),
                        },
                    );
                    if ok {
                        self.coalesced += 1;
                        ("coalesced", evicted, Some(kf.latest.0 - now))
                    } else {
                        self.failed += 1;
                        ("failed", evicted, None)
                    }
                }
                _ if self.origin_down => {
                    self.start_fetch(key, false, false, server);
                    self.failed += 1;
                    out.emit(now, Event::Unavailable { key });
                    ("failed", Vec::new(), None)
                }
                _ => {
                    let evicted = self.access(key, out);
                    let fetches = self.start_fetch(key, true, false, server);
                    self.misses += 1;
                    out.emit(
                        now,
                        Event::Miss {
                            key,
                            evicted: evicted.clone(),
                            fetches,
                        },
                    );
                    (
                        "miss",
                        evicted,
                        Some(self.scenario.origin_latency_ms as Time),
                    )
                }
            },
        };
        if stale.is_some() {
            self.stale_reads += 1;
        }
        if let Some(l) = latency {
            self.metrics.record("latency_ms", l);
        }
        let hit = outcome == "hit" || outcome == "stale";
        self.window.push_back(hit);
        self.window_hits += hit as u64;
        if self.window.len() > WINDOW {
            let old = self.window.pop_front().unwrap_or(false);
            self.window_hits -= old as u64;
        }
        if self.requests.is_multiple_of(SAMPLE_EVERY) {
            let bp = self.window_hits * 10_000 / self.window.len() as u64;
            self.metrics.gauge("hit_ratio_bp", now, bp as i64);
        }
        self.remember(key, outcome, evicted, stale.is_some());
        served
    }

    /// The app server the next request goes through, if there are any.
    fn next_app_server(&mut self) -> Option<u32> {
        let n = self.scenario.app_servers as u64;
        if n == 0 {
            return None;
        }
        let s = (self.next_server % n) as u32;
        self.next_server += 1;
        Some(s)
    }

    /// One read of `key` from the workload or by hand: through an app server's local cache
    /// when there are app servers, else straight to the shared cache.
    fn request_read(&mut self, key: u64, out: &mut dyn Emit<Event>) {
        let Some(server) = self.next_app_server() else {
            self.read(key, None, out);
            return;
        };
        let (now, ttl) = (self.now, self.scenario.local_ttl_ms);
        let copy = self.locals[server as usize].get(key, now, ttl);
        let usable = match (self.scenario.coherence, copy) {
            (_, None) => None,
            (Coherence::VersionedKeys, Some(c)) => {
                // The reader asks the shared tier which version is current, then looks for that
                // version's key locally.
                self.version_checks += 1;
                let current = match self.find(key) {
                    Found::Fresh(e) | Found::Servable(e, _) if self.resident.contains(&key) => {
                        Some(e.version)
                    }
                    _ => None,
                };
                (current == Some(c.version)).then_some(c)
            }
            (_, Some(c)) => Some(c),
        };
        if let Some(c) = usable {
            self.requests += 1;
            self.hits += 1;
            self.local_hits += 1;
            let size = self.size(key);
            self.bytes_requested += size;
            self.bytes_hit += size;
            let stale = self.staleness(key, c.version);
            if stale.is_some() {
                self.stale_reads += 1;
                let since = self.committed_at.get(&key).map_or(0, |&t| now - t);
                self.metrics.record("stale_age_ms", since);
            }
            self.metrics.record("latency_ms", 0);
            self.window.push_back(true);
            self.window_hits += 1;
            if self.window.len() > WINDOW {
                let old = self.window.pop_front().unwrap_or(false);
                self.window_hits -= old as u64;
            }
            out.emit(now, Event::LocalHit { server, key, stale });
            self.remember(key, "hit", Vec::new(), stale.is_some());
            return;
        }
        if let Some(v) = self.read(key, Some(server), out) {
            if v > 0 {
                let cap = self.scenario.local_capacity;
                self.locals[server as usize].fill(key, v, now, cap);
            }
        }
    }

    /// One write of `key` from the workload or by hand, through an app server if any.
    fn request_write(&mut self, key: u64, out: &mut dyn Emit<Event>) {
        let server = self.next_app_server();
        self.write(key, server, out);
    }

    /// App server `writer`'s write of `version` of `key` was acknowledged: its own copy goes,
    /// and under pub/sub an invalidation goes to every other app server.
    fn publish(&mut self, key: u64, version: u64, writer: Option<u32>, out: &mut dyn Emit<Event>) {
        let Some(writer) = writer else {
            return;
        };
        self.locals[writer as usize].invalidate(key, version);
        if self.scenario.coherence != Coherence::PubSub {
            return;
        }
        let (mut sent, mut dropped) = (0, 0);
        for s in 0..self.scenario.app_servers {
            if s == writer {
                continue;
            }
            sent += 1;
            let drop = self.scenario.pubsub_drop_percent > 0
                && self.pubsub_rng.below(100) < self.scenario.pubsub_drop_percent as u64;
            if drop {
                dropped += 1;
                continue;
            }
            let seq = self.next_seq();
            self.deliveries.insert(
                (self.now + self.scenario.pubsub_delay_ms, seq),
                (s, key, version),
            );
        }
        self.invalidations_sent += sent as u64;
        self.invalidations_dropped += dropped as u64;
        if sent > 0 {
            out.emit(
                self.now,
                Event::Published {
                    key,
                    version,
                    sent,
                    dropped,
                },
            );
        }
    }

    /// A node joined or left: the cached keys on arcs that changed hands lose their values (the
    /// new owner does not have them); a dirty write-back value is handed to the store first.
    fn nodes_changed(
        &mut self,
        node: NodeId,
        joined: bool,
        moved: super::ring::Moved,
        out: &mut dyn Emit<Event>,
    ) {
        let keys: Vec<u64> = moved
            .keys(self.resident.iter().copied())
            .into_iter()
            .map(|(k, _, _)| k)
            .filter(|k| self.values.contains_key(k))
            .collect();
        for &k in &keys {
            if let Some(e) = self.delete(k) {
                if self.dirty.remove(&k) && self.scenario.write_strategy == WriteStrategy::WriteBack
                {
                    self.start_write(
                        k,
                        e.version,
                        WriteKind::Flush {
                            writes: e.unflushed,
                            evicted: true,
                        },
                    );
                } else {
                    self.dirty.remove(&k);
                }
            }
        }
        out.emit(
            self.now,
            Event::NodeChanged {
                node,
                joined,
                share_ppm: moved.share(),
                moved: keys,
            },
        );
    }

    /// The earliest invalidation message arrives.
    fn deliver(&mut self, out: &mut dyn Emit<Event>) {
        let Some(((at, _), (server, key, version))) = self.deliveries.pop_first() else {
            return;
        };
        if let Some(had) = self.locals[server as usize].invalidate(key, version) {
            out.emit(at, Event::Invalidated { server, key, had });
        }
    }

    fn remember(&mut self, key: u64, outcome: &str, evicted: Vec<u64>, stale: bool) {
        let seq = self.recent.back().map_or(0, |r| r.seq + 1);
        self.recent.push_back(RequestView {
            seq,
            time: self.now,
            key,
            outcome: outcome.to_string(),
            evicted,
            stale,
        });
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    /// One write of `key` at the current time, by the scenario's write strategy.
    fn write(&mut self, key: u64, writer: Option<u32>, out: &mut dyn Emit<Event>) {
        let now = self.now;
        self.writes += 1;
        let version = self
            .issued
            .get(&key)
            .copied()
            .unwrap_or(0)
            .max(self.store.version(key))
            + 1;
        self.issued.insert(key, version);
        let strategy = self.scenario.write_strategy;
        let mut evicted = Vec::new();
        let mut latency = 0;
        match strategy {
            WriteStrategy::WriteAround => {
                self.start_client_write(key, version, WriteKind::Around, writer);
                latency = self.scenario.origin_latency_ms as Time;
            }
            WriteStrategy::WriteThrough => {
                evicted = self.access(key, out);
                self.start_client_write(key, version, WriteKind::Through, writer);
                latency = self.scenario.origin_latency_ms as Time;
            }
            WriteStrategy::WriteBack | WriteStrategy::WriteBehind => {
                evicted = self.access(key, out);
                let seq = self.next_seq();
                self.cache_write_seq.insert(key, seq);
                if self.resident.contains(&key) {
                    let unflushed = self.values.get(&key).map_or(0, |e| e.unflushed) + 1;
                    let delta = self
                        .values
                        .get(&key)
                        .map_or(self.scenario.origin_latency_ms as Time, |e| e.delta);
                    let expires_at = self.expiry(false);
                    self.values.insert(
                        key,
                        Entry {
                            version,
                            expires_at,
                            delta,
                            unflushed,
                        },
                    );
                    self.dirty.insert(key);
                }
                if strategy == WriteStrategy::WriteBehind {
                    self.behind_queue.push_back(Queued {
                        key,
                        version,
                        queued_at: now,
                    });
                    self.metrics
                        .gauge("write_queue", now, self.behind_queue.len() as i64);
                } else if !self.resident.contains(&key) {
                    // A value the policy did not admit (larger than a byte capacity) has
                    // nowhere to live: send the write on at once.
                    self.start_write(
                        key,
                        version,
                        WriteKind::Flush {
                            writes: 1,
                            evicted: true,
                        },
                    );
                }
            }
        }
        self.metrics.record("write_latency_ms", latency);
        out.emit(
            now,
            Event::Write {
                key,
                version,
                strategy,
                evicted: evicted.clone(),
                queued: self.behind_queue.len(),
            },
        );
        self.remember(key, "write", evicted, false);
        if strategy.holds_dirty() {
            // Acknowledged at once: the shared cache holds the new version.
            self.publish(key, version, writer, out);
        }
    }

    fn complete_fetch(&mut self, out: &mut dyn Emit<Event>) {
        let Some(((at, seq), f)) = self.fetches.pop_first() else {
            return;
        };
        if let Some(kf) = self.by_key.get_mut(&f.key) {
            kf.count -= 1;
            if kf.count == 0 {
                self.by_key.remove(&f.key);
            }
        }
        let event = if f.ok {
            let not_found = f.version == 0;
            // The fetch's sequence number was taken when it started.
            let superseded = self.scenario.read_strategy == ReadStrategy::ReadThrough
                && self.cache_write_seq.get(&f.key).is_some_and(|&w| w > seq);
            let dirty = self.values.get(&f.key).is_some_and(|e| e.unflushed > 0);
            let cache = self.resident.contains(&f.key)
                && !superseded
                && !dirty
                && (!not_found || self.scenario.negative_ttl_ms > 0);
            if cache {
                let expires_at = self.expiry(not_found);
                self.values.insert(
                    f.key,
                    Entry {
                        version: f.version,
                        expires_at,
                        delta: at - f.started,
                        unflushed: 0,
                    },
                );
            }
            if let (Some(s), false) = (f.server, not_found) {
                let cap = self.scenario.local_capacity;
                self.locals[s as usize].fill(f.key, f.version, at, cap);
            }
            let stale = self.staleness(f.key, f.version);
            if stale.is_some() && f.requests > 0 {
                self.stale_reads += f.requests as u64;
                for r in self.recent.iter_mut().rev() {
                    if r.time < f.started {
                        break;
                    }
                    if r.key == f.key && (r.outcome == "miss" || r.outcome == "coalesced") {
                        r.stale = true;
                    }
                }
            }
            Event::Fetched {
                key: f.key,
                requests: f.requests,
                background: f.background,
                not_found,
                cached: cache,
                stale: stale.filter(|_| f.requests > 0),
            }
        } else {
            Event::Failed {
                key: f.key,
                requests: f.requests,
                background: f.background,
            }
        };
        out.emit(at, event);
        self.release_if_unfilled(f.key);
        self.metrics
            .gauge("in_flight", self.now, self.fetches.len() as i64);
    }

    /// The store commits (or, with the origin down, fails) the earliest write in flight.
    fn complete_write(&mut self, out: &mut dyn Emit<Event>) {
        let Some(((at, _), w)) = self.writes_in_flight.pop_first() else {
            return;
        };
        if w.kind == WriteKind::Behind {
            self.behind_busy = false;
        }
        if !w.ok {
            let lost = match w.kind {
                WriteKind::Through | WriteKind::Around => {
                    self.failed_writes += 1;
                    0
                }
                WriteKind::Flush { writes, .. } => {
                    // Still cached: dirty again, flushed later; evicted meanwhile: lost.
                    let present = self.values.get(&w.key).map(|e| e.version);
                    match present {
                        Some(v) if v >= w.version => {
                            if let Some(e) = self.values.get_mut(&w.key) {
                                e.unflushed += writes;
                            }
                            self.dirty.insert(w.key);
                            0
                        }
                        _ => writes,
                    }
                }
                WriteKind::Behind => {
                    self.settle_behind(w.key, w.version);
                    1
                }
            };
            self.lost_writes += lost as u64;
            out.emit(
                at,
                Event::WriteFailed {
                    key: w.key,
                    version: w.version,
                    kind: w.kind,
                    lost,
                },
            );
            self.release_if_unfilled(w.key);
            return;
        }
        self.store.commit(w.key, w.version);
        self.committed_at.insert(w.key, at);
        let mut cache_changed = false;
        match w.kind {
            WriteKind::Through => {
                let seq = self.next_seq();
                self.cache_write_seq.insert(w.key, seq);
                let newer = self
                    .values
                    .get(&w.key)
                    .is_some_and(|e| e.version > w.version);
                if self.resident.contains(&w.key) && !newer {
                    let delta = self
                        .values
                        .get(&w.key)
                        .map_or(self.scenario.origin_latency_ms as Time, |e| e.delta);
                    let expires_at = self.expiry(false);
                    self.values.insert(
                        w.key,
                        Entry {
                            version: w.version,
                            expires_at,
                            delta,
                            unflushed: 0,
                        },
                    );
                    cache_changed = true;
                }
            }
            WriteKind::Around => {
                let seq = self.next_seq();
                self.cache_write_seq.insert(w.key, seq);
                // The invalidation. A slot reserved for a fetch in flight has no value yet and
                // stays: cache-aside will put what that fetch read (the race above).
                cache_changed = self.values.remove(&w.key).is_some();
                self.release_if_unfilled(w.key);
            }
            WriteKind::Flush { .. } => {}
            WriteKind::Behind => self.settle_behind(w.key, w.version),
        }
        out.emit(
            at,
            Event::Committed {
                key: w.key,
                version: w.version,
                kind: w.kind,
                cache_changed,
            },
        );
        if matches!(w.kind, WriteKind::Through | WriteKind::Around) {
            self.publish(w.key, w.version, w.writer, out);
        }
    }

    /// A write-behind write of `version` left the queue: the cached entry holds one write less.
    fn settle_behind(&mut self, key: u64, version: u64) {
        if let Some(e) = self.values.get_mut(&key) {
            if e.unflushed > 0 && e.version >= version {
                e.unflushed -= 1;
                if e.unflushed == 0 {
                    self.dirty.remove(&key);
                }
            }
        }
    }

    /// When the write-behind worker takes the head of the queue, if it is idle.
    fn behind_ready(&self) -> Option<Time> {
        if self.behind_busy {
            return None;
        }
        let head = self.behind_queue.front()?;
        Some((head.queued_at + self.scenario.write_behind_delay_ms).max(self.now))
    }

    /// The write-behind worker sends the head of the queue to the store.
    fn send_behind(&mut self) {
        if let Some(q) = self.behind_queue.pop_front() {
            self.behind_busy = true;
            self.start_write(q.key, q.version, WriteKind::Behind);
            self.metrics
                .gauge("write_queue", self.now, self.behind_queue.len() as i64);
        }
    }

    /// The write-back timer sends every dirty entry to the store.
    fn flush_dirty(&mut self, out: &mut dyn Emit<Event>) {
        if self.scenario.write_strategy != WriteStrategy::WriteBack || self.dirty.is_empty() {
            return;
        }
        let keys: Vec<u64> = std::mem::take(&mut self.dirty).into_iter().collect();
        let mut writes = 0;
        for &k in &keys {
            let Some(e) = self.values.get_mut(&k) else {
                continue;
            };
            let (version, n) = (e.version, e.unflushed);
            e.unflushed = 0;
            writes += n as u64;
            self.start_write(
                k,
                version,
                WriteKind::Flush {
                    writes: n,
                    evicted: false,
                },
            );
        }
        out.emit(
            self.now,
            Event::FlushTimer {
                entries: keys.len(),
                writes,
            },
        );
    }

    fn start_burst(&mut self, len: u64, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let b = self.burst.get_or_insert(Burst {
            next_at: now,
            left: 0,
        });
        b.left += len;
        out.emit(now, Event::Burst { len });
    }

    fn start_phase(&mut self, skew_milli: u32, shift: u64, out: &mut dyn Emit<Event>) {
        self.generator.set_phase(skew_milli, shift);
        if self.scenario.workload.pattern.is_skewed() {
            self.skew_milli = skew_milli;
        }
        self.shift = shift % self.scenario.keys;
        out.emit(
            self.now,
            Event::PhaseChanged {
                skew_milli: self.skew_milli,
                shift: self.shift,
            },
        );
    }

    /// A cold cache of policy `name`. Dirty write-back entries are flushed first, unless the
    /// cache `crashed`, when they are lost (and so is the write-behind queue); returns the
    /// writes lost and their keys.
    fn fresh_policy(&mut self, name: &str, crashed: bool) -> Result<(u64, Vec<u64>), Refusal> {
        check_policy(name).map_err(Refusal)?;
        let p = build_policy(&self.scenario, name).map_err(Refusal)?;
        let b = match self.scenario.compare_name() {
            Some(b) => Some(build_policy(&self.scenario, b).map_err(Refusal)?),
            None => None,
        };
        let mut lost = 0;
        let mut keys = BTreeSet::new();
        if crashed {
            for &k in &self.dirty {
                if self.scenario.write_strategy == WriteStrategy::WriteBack {
                    lost += self.values.get(&k).map_or(0, |e| e.unflushed as u64);
                    keys.insert(k);
                }
            }
            for q in self.behind_queue.drain(..) {
                lost += 1;
                keys.insert(q.key);
            }
            self.metrics.gauge("write_queue", self.now, 0);
        } else if self.scenario.write_strategy == WriteStrategy::WriteBack {
            let dirty: Vec<u64> = std::mem::take(&mut self.dirty).into_iter().collect();
            for k in dirty {
                if let Some(e) = self.values.get(&k).copied() {
                    self.start_write(
                        k,
                        e.version,
                        WriteKind::Flush {
                            writes: e.unflushed,
                            evicted: true,
                        },
                    );
                }
            }
        }
        // Write-behind writes stay queued through a graceful flush: the queue is not the cache.
        self.policy = p;
        self.policy_name = name.to_string();
        if let (Some(l), Some(b)) = (&mut self.lockstep, b) {
            l.restart(name, b);
        }
        self.resident.clear();
        self.resident_units = 0;
        self.values.clear();
        self.dirty.clear();
        self.lost_writes += lost;
        Ok((lost, keys.into_iter().collect()))
    }

    /// Whether the scenario's phase schedule has a phase due at or before `t`.
    fn phase_due(&self) -> Option<Time> {
        self.scenario
            .workload
            .phases
            .get(self.next_phase)
            .map(|p| p.at_ms.max(self.now))
    }
}

impl Simulation for CacheLab {
    type Scenario = Scenario;
    type Command = Command;
    type Event = Event;
    const LAB: &'static str = "cache";

    fn new(s: &Scenario) -> Result<CacheLab, String> {
        s.validate()?;
        let policy = build_policy(s, &s.policy).map_err(|e| format!("policy: {e}"))?;
        let lockstep = match s.compare_name() {
            Some(b) => Some(Lockstep::new(
                &s.policy,
                build_policy(s, b).map_err(|e| format!("compare_policy: {e}"))?,
            )),
            None => None,
        };
        let root = Rng::new(s.seed);
        let periodic = s.workload.pattern == super::workload::Pattern::Mixed
            && s.workload.burst_every_ms > 0
            && s.workload.burst_len > 0;
        let flush = s.write_strategy == WriteStrategy::WriteBack && s.flush_every_ms > 0;
        let mut lab = CacheLab {
            scenario: s.clone(),
            now: 0,
            policy,
            policy_name: s.policy.clone(),
            resident: BTreeSet::new(),
            values: FixedMap::default(),
            dirty: BTreeSet::new(),
            store: Store::new(s.seed, s.absent_percent),
            issued: FixedMap::default(),
            cache_write_seq: FixedMap::default(),
            generator: Generator::new(&s.workload, s.keys, root.fork(2)),
            arrival_rng: root.fork(1),
            write_rng: root.fork(3),
            jitter_rng: root.fork(4),
            xfetch_rng: root.fork(5),
            next_arrival_us: 0,
            arrived: 0,
            burst: None,
            next_periodic_burst: periodic.then_some(s.workload.burst_every_ms),
            next_new_key: s.keys,
            next_phase: 0,
            next_flush: flush.then_some(s.flush_every_ms),
            fetches: BTreeMap::new(),
            by_key: FixedMap::default(),
            writes_in_flight: BTreeMap::new(),
            behind_queue: VecDeque::new(),
            behind_busy: false,
            seq: 0,
            origin_down: false,
            skew_milli: s.workload.skew_milli,
            shift: 0,
            requests: 0,
            hits: 0,
            misses: 0,
            coalesced: 0,
            failed: 0,
            origin_fetches: 0,
            evictions: 0,
            writes: 0,
            store_writes: 0,
            failed_writes: 0,
            stale_reads: 0,
            served_expired: 0,
            early_refreshes: 0,
            negative_hits: 0,
            lost_writes: 0,
            bytes_requested: 0,
            bytes_hit: 0,
            load_window: VecDeque::new(),
            locals: vec![LocalCache::default(); s.app_servers as usize],
            ring: Ring::with_nodes(s.vnodes, 0..s.cache_nodes),
            next_node: s.cache_nodes,
            next_server: 0,
            deliveries: BTreeMap::new(),
            pubsub_rng: root.fork(6),
            committed_at: FixedMap::default(),
            local_hits: 0,
            invalidations_sent: 0,
            invalidations_dropped: 0,
            deletions: 0,
            resident_units: 0,
            not_admitted: 0,
            lockstep,
            version_checks: 0,
            last_fetch_key: None,
            window: VecDeque::new(),
            window_hits: 0,
            recent: VecDeque::new(),
            metrics: Metrics::default(),
        };
        lab.schedule_arrival();
        Ok(lab)
    }

    fn seed(s: &Scenario) -> u64 {
        s.seed
    }

    fn with_seed(s: &Scenario, seed: u64) -> Scenario {
        Scenario { seed, ..s.clone() }
    }

    fn now(&self) -> Time {
        self.now
    }

    fn next_deadline(&self) -> Option<Time> {
        let fetch = self.fetches.keys().next().map(|&(t, _)| t);
        let write = self.writes_in_flight.keys().next().map(|&(t, _)| t);
        let delivery = self.deliveries.keys().next().map(|&(t, _)| t);
        let burst = self.burst.map(|b| b.next_at);
        [
            fetch,
            write,
            delivery,
            self.behind_ready(),
            self.next_flush,
            self.phase_due(),
            burst,
            self.next_periodic_burst,
            Some(self.arrival_ms()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn advance_to(&mut self, t: Time, out: &mut dyn Emit<Event>) {
        while let Some(d) = self.next_deadline().filter(|&d| d <= t) {
            self.now = d;
            if self.fetches.keys().next().is_some_and(|&(at, _)| at == d) {
                self.complete_fetch(out);
            } else if self
                .writes_in_flight
                .keys()
                .next()
                .is_some_and(|&(at, _)| at == d)
            {
                self.complete_write(out);
            } else if self
                .deliveries
                .keys()
                .next()
                .is_some_and(|&(at, _)| at == d)
            {
                self.deliver(out);
            } else if self.behind_ready() == Some(d) {
                self.send_behind();
            } else if self.next_flush == Some(d) {
                self.next_flush = Some(d + self.scenario.flush_every_ms);
                self.flush_dirty(out);
            } else if self.phase_due() == Some(d) {
                let p: Phase = self.scenario.workload.phases[self.next_phase];
                self.next_phase += 1;
                self.start_phase(p.skew_milli, p.shift, out);
            } else if self.next_periodic_burst == Some(d) {
                let len = self.scenario.workload.burst_len;
                self.next_periodic_burst = Some(d + self.scenario.workload.burst_every_ms);
                self.start_burst(len, out);
            } else if let Some(b) = self.burst.filter(|b| b.next_at == d) {
                let key = self.next_new_key;
                self.next_new_key += 1;
                self.burst = (b.left > 1).then_some(Burst {
                    next_at: d + 1,
                    left: b.left - 1,
                });
                self.request_read(key, out);
            } else {
                let key = self.generator.next_key();
                self.arrived += 1;
                self.schedule_arrival();
                let is_write = self.scenario.write_percent > 0
                    && self.write_rng.below(100) < self.scenario.write_percent as u64;
                if is_write {
                    self.request_write(key, out);
                } else {
                    self.request_read(key, out);
                }
            }
        }
        self.now = self.now.max(t);
    }

    fn apply(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let now = self.now;
        match command {
            Command::Get { key } => self.request_read(*key, out),
            Command::Put { key } => self.request_write(*key, out),
            Command::Flush => {
                let name = self.policy_name.clone();
                self.fresh_policy(&name, false)?;
                out.emit(now, Event::Flushed);
            }
            Command::Crash => {
                let name = self.policy_name.clone();
                let (lost, keys) = self.fresh_policy(&name, true)?;
                out.emit(now, Event::Crashed { lost, keys });
            }
            Command::SetPolicy { policy } => {
                self.fresh_policy(policy, false)?;
                out.emit(
                    now,
                    Event::PolicySet {
                        policy: policy.clone(),
                    },
                );
            }
            Command::Burst { len } => {
                if !(1..=MAX_BURST).contains(len) {
                    return Err(Refusal(format!(
                        "a burst is 1 to {MAX_BURST} keys, not {len}"
                    )));
                }
                self.start_burst(*len, out);
            }
            Command::SetSkew { skew_milli } => {
                if !self.scenario.workload.pattern.is_skewed() {
                    return Err(Refusal(format!(
                        "the workload is {}: skew applies to zipf and mixed",
                        self.scenario.workload.pattern.name()
                    )));
                }
                if *skew_milli > MAX_SKEW_MILLI {
                    return Err(Refusal(format!(
                        "skew_milli must be at most {MAX_SKEW_MILLI}, not {skew_milli}"
                    )));
                }
                self.skew_milli = *skew_milli;
                self.generator.set_skew(*skew_milli);
                out.emit(
                    now,
                    Event::SkewSet {
                        skew_milli: *skew_milli,
                    },
                );
            }
            Command::Phase { skew_milli, shift } => {
                if *skew_milli > MAX_SKEW_MILLI {
                    return Err(Refusal(format!(
                        "skew_milli must be at most {MAX_SKEW_MILLI}, not {skew_milli}"
                    )));
                }
                self.start_phase(*skew_milli, *shift, out);
            }
            Command::AddNode => {
                if self.ring.nodes().len() as u32 >= MAX_CACHE_NODES {
                    return Err(Refusal(format!(
                        "the ring already has the most nodes, {MAX_CACHE_NODES}"
                    )));
                }
                let node = self.next_node;
                self.next_node += 1;
                let moved = self.ring.add_node(node);
                self.nodes_changed(node, true, moved, out);
            }
            Command::RemoveNode { node } => {
                if !self.ring.contains_node(*node) {
                    return Err(Refusal(format!(
                        "there is no cache node {node}; nodes: {:?}",
                        self.ring.nodes()
                    )));
                }
                if self.ring.nodes().len() == 1 {
                    return Err(Refusal("the last cache node cannot leave".into()));
                }
                let moved = self.ring.remove_node(*node);
                self.nodes_changed(*node, false, moved, out);
            }
            Command::OriginDown { on } => {
                if self.origin_down == *on {
                    return Err(Refusal(
                        if *on {
                            "the origin is already down"
                        } else {
                            "the origin is already up"
                        }
                        .into(),
                    ));
                }
                self.origin_down = *on;
                out.emit(now, Event::OriginDown { on: *on });
            }
        }
        Ok(())
    }

    fn check(&self) -> Option<Violation> {
        let violation = |invariant: &str, detail: String| {
            Some(Violation {
                invariant: invariant.into(),
                detail,
            })
        };
        let (used, capacity) = (self.policy.used(), self.policy.capacity());
        let unit = match self.scenario.capacity_unit {
            CapacityUnit::Objects => "objects",
            CapacityUnit::Bytes => "bytes",
        };
        if used > capacity {
            return violation(
                "capacity",
                format!("{used} {unit} cached, capacity {capacity}"),
            );
        }
        if self.resident_units != used {
            return violation(
                "resident",
                format!(
                    "the policy reports {used} {unit} cached but its accesses admitted {} ({} keys)",
                    self.resident_units,
                    self.resident.len()
                ),
            );
        }
        if self.values.len() > self.resident.len() {
            return violation(
                "values in slots",
                format!(
                    "{} values cached but only {} keys resident",
                    self.values.len(),
                    self.resident.len()
                ),
            );
        }
        if self.scenario.single_flight {
            if let Some(k) = self.last_fetch_key {
                let n = self.by_key.get(&k).map_or(0, |kf| kf.count);
                if n > 1 {
                    return violation("single flight", format!("{n} fetches of key {k} in flight"));
                }
            }
        }
        if !self.dirty.is_empty() && !self.scenario.write_strategy.holds_dirty() {
            return violation(
                "dirty only when the cache holds writes",
                format!(
                    "{} dirty entries under {}",
                    self.dirty.len(),
                    self.scenario.write_strategy.name()
                ),
            );
        }
        for &k in &self.dirty {
            match self.values.get(&k) {
                Some(e) if e.unflushed > 0 && e.version >= self.store.version(k) => {}
                Some(e) if e.unflushed > 0 => {
                    return violation(
                        "dirty values are never older than the store",
                        format!(
                            "key {k} is dirty at version {} but the store has {}",
                            e.version,
                            self.store.version(k)
                        ),
                    )
                }
                _ => {
                    return violation(
                        "dirty entries hold writes",
                        format!("key {k} is marked dirty but holds no unflushed write"),
                    )
                }
            }
        }
        for (i, l) in self.locals.iter().enumerate() {
            if l.len() as u64 > self.scenario.local_capacity {
                return violation(
                    "local capacity",
                    format!(
                        "app server {i} holds {} copies, capacity {}",
                        l.len(),
                        self.scenario.local_capacity
                    ),
                );
            }
        }
        if let Some(r) = self.store.regression() {
            return violation(
                "store versions never go backwards",
                format!(
                    "key {} went from version {} back to {}",
                    r.key, r.from, r.to
                ),
            );
        }
        let sum = self.hits + self.misses + self.coalesced + self.failed;
        if sum != self.requests {
            return violation(
                "accounting",
                format!(
                    "{} requests but {} hits + {} misses + {} coalesced + {} failed",
                    self.requests, self.hits, self.misses, self.coalesced, self.failed
                ),
            );
        }
        None
    }

    fn metrics(&self) -> Metrics {
        let mut m = self.metrics.clone();
        for (name, v) in [
            ("requests", self.requests),
            ("hits", self.hits),
            ("misses", self.misses),
            ("coalesced", self.coalesced),
            ("origin_fetches", self.origin_fetches),
            ("evictions", self.evictions),
            ("failed", self.failed),
            ("writes", self.writes),
            ("store_writes", self.store_writes),
            ("store_commits", self.store.commits()),
            ("failed_writes", self.failed_writes),
            ("stale_reads", self.stale_reads),
            ("served_expired", self.served_expired),
            ("early_refreshes", self.early_refreshes),
            ("negative_hits", self.negative_hits),
            ("lost_writes", self.lost_writes),
            ("bytes_requested", self.bytes_requested),
            ("bytes_hit", self.bytes_hit),
            ("local_hits", self.local_hits),
            ("invalidations_sent", self.invalidations_sent),
            ("invalidations_dropped", self.invalidations_dropped),
            ("deletions", self.deletions),
            ("not_admitted", self.not_admitted),
            ("version_checks", self.version_checks),
        ] {
            m.counters.insert(name.to_string(), v);
        }
        m
    }
}

/// A script of commands touching every input and fault, for the cross-cutting tests and as
/// an example: requests by hand, the origin going down and back, a flush followed by a burst of
/// requests for the hottest key (a stampede), policy changes (one refused), a scan burst, a
/// change of skew, writes by hand, a phase change and a crash.
pub fn sample_inputs() -> Vec<(Time, serde_json::Value)> {
    use serde_json::json;
    let mut v = vec![
        (5_000, json!({"get": {"key": 7}})),
        (5_000, json!({"get": {"key": 7}})),
        (20_000, json!({"origin_down": {"on": true}})),
        (35_000, json!({"origin_down": {"on": false}})),
        (50_000, json!("flush")),
    ];
    for _ in 0..5 {
        v.push((50_000, json!({"get": {"key": 0}})));
    }
    v.extend([
        (70_000, json!({"set_policy": {"policy": "arc"}})),
        (90_000, json!({"burst": {"len": 200}})),
        (110_000, json!({"set_skew": {"skew_milli": 1200}})),
        (120_000, json!({"set_policy": {"policy": "opt"}})),
        (130_000, json!({"set_policy": {"policy": "wtinylfu"}})),
        (150_000, json!({"origin_down": {"on": true}})),
        (150_000, json!({"burst": {"len": 20}})),
        (160_000, json!({"origin_down": {"on": false}})),
        (170_000, json!({"set_policy": {"policy": "s3fifo"}})),
        (180_000, json!({"put": {"key": 0}})),
        (180_000, json!({"get": {"key": 0}})),
        (
            190_000,
            json!({"phase": {"skew_milli": 1100, "shift": 500}}),
        ),
        (200_000, json!({"phase": {"skew_milli": 9000, "shift": 0}})),
        (210_000, json!("crash")),
    ]);
    v
}
