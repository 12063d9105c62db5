//! The cache lab's simulation: requests from a workload arrive over time at a cache in front of
//! a slow origin; misses fetch, stampede, or coalesce behind one fetch (single-flight).
//!
//! **When the policy is consulted.** As in trace-driven simulators, the eviction policy sees
//! every served request at its arrival time, in arrival order, through [`Policy::access`]: a
//! miss is admitted (and its victims evicted) at once, while the fetch from the origin only
//! delays the *response*. So the policy's state, and its hit ratio, are exactly those of
//! [`crate::cache::replay`] over the same keys; the lab adds time on top. The fetches in flight
//! are tracked beside the policy, for latency, origin load and coalescing:
//!
//! | the key is | `single_flight` | outcome | policy | origin |
//! |---|---|---|---|---|
//! | being fetched | on | `coalesced`: waits for that fetch | `access` | — |
//! | cached, not being fetched | either | `hit`: served at once | `access` | — |
//! | not cached, or being fetched | off | `miss`: waits `origin_latency_ms` | `access` | one more fetch |
//! | not cached, origin down | either | `failed` after the latency | untouched | one failing fetch |
//!
//! A key admitted by the policy whose fetch has not completed has no value yet, so without
//! single-flight every request for it during the fetch goes to the origin again: the stampede.
//! While the origin is down (the `origin_down` fault) hits are still served; a request that needs
//! the origin starts a fetch that fails after the latency, is counted as `failed`, and leaves the
//! policy untouched (nothing is admitted). Requests that coalesce onto such a fetch fail too.
//! Whether a fetch fails is decided when it starts.
//!
//! Arrivals are kept in microseconds (Poisson gaps from [`Rng::exp_ms`] with a mean of
//! `1_000_000 / rate_per_s`, or evenly spaced) and happen at the whole millisecond they fall in.
//! Scan bursts (the `burst` command, and the `mixed` pattern's periodic ones) request new keys,
//! numbered from `keys` upwards and never requested before, one per millisecond. At one time,
//! fetch completions come first, then burst starts, burst requests and background arrivals.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::policy::{self, NAMES};
use super::workload::{Generator, Workload, MAX_BURST, MAX_SKEW_MILLI};
use super::{Access, Policy};
use crate::hash::FixedMap;
use crate::metrics::Metrics;
use crate::rng::Rng;
use crate::sim::{Emit, Refusal, Simulation, Time, Violation};

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

/// Everything needed to start a run of the cache lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub seed: u64,
    /// A name in [`policy::NAMES`]. OPT needs the future and cannot run live.
    pub policy: String,
    /// Objects the cache holds.
    pub capacity: u64,
    /// The key space of the workload: keys `0..keys`.
    pub keys: u64,
    pub workload: Workload,
    /// Background requests per second.
    pub rate_per_s: u32,
    pub arrivals: Arrivals,
    /// How long a fetch from the origin takes.
    pub origin_latency_ms: u32,
    /// Coalesce concurrent misses for a key into one origin fetch.
    pub single_flight: bool,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            policy: "lru".into(),
            capacity: 100,
            keys: 1_000,
            workload: Workload::default(),
            rate_per_s: 20,
            arrivals: Arrivals::Poisson,
            origin_latency_ms: 200,
            single_flight: false,
        }
    }
}

/// The longest origin latency accepted.
pub const MAX_ORIGIN_LATENCY_MS: u32 = 60_000;

impl Scenario {
    /// Explains which field is out of range.
    pub fn validate(&self) -> Result<(), String> {
        check_policy(&self.policy).map_err(|e| format!("policy: {e}"))?;
        if !(1..=1_000_000).contains(&self.capacity) {
            return Err(format!(
                "capacity must be between 1 and 1000000, not {}",
                self.capacity
            ));
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
        self.workload.validate()
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
    /// One request for `key`, now.
    Get { key: u64 },
    /// Empties the cache (fetches in flight still complete).
    Flush,
    /// Replaces the cache with a cold one of another policy.
    SetPolicy { policy: String },
    /// A scan of `len` new keys, one per millisecond from now.
    Burst { len: u64 },
    /// Changes the Zipf skew of the workload.
    SetSkew { skew_milli: u32 },
    /// The origin fault: while down, every fetch fails after the latency.
    OriginDown { on: bool },
}

/// Something that happened in the cache lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Hit {
        key: u64,
    },
    /// A miss that fetches from the origin; `fetches` of this key are now in flight.
    Miss {
        key: u64,
        evicted: Vec<u64>,
        fetches: u32,
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
    },
    /// A fetch from the down origin failed; `requests` were waiting for it.
    Failed {
        key: u64,
        requests: u32,
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
    OriginDown {
        on: bool,
    },
}

struct Evicts<'a>(&'a [u64]);

impl fmt::Display for Evicts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str(" (evicts ")?;
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Hit { key } => write!(f, "get {key}: hit"),
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
            Event::Waits { key, evicted } => {
                write!(
                    f,
                    "get {key}: waits for the fetch in flight{}",
                    Evicts(evicted)
                )
            }
            Event::Unavailable { key } => write!(f, "get {key}: miss, fetching from a down origin"),
            Event::Fetched { key, requests } => {
                write!(f, "fetched {key} from origin")?;
                if *requests > 1 {
                    write!(f, " for {requests} requests")?;
                }
                Ok(())
            }
            Event::Failed { key, requests } => {
                write!(f, "origin down: get {key} failed")?;
                if *requests > 1 {
                    write!(f, " ({requests} requests)")?;
                }
                Ok(())
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
            Event::OriginDown { on: true } => f.write_str("origin is down"),
            Event::OriginDown { on: false } => f.write_str("origin is back up"),
        }
    }
}

/// One fetch from the origin.
#[derive(Clone, Debug)]
struct Fetch {
    key: u64,
    /// False when the origin was down as it started: it will fail.
    ok: bool,
    /// Requests waiting for it, the first included.
    requests: u32,
}

/// The fetches in flight for one key.
#[derive(Clone, Copy, Debug)]
struct KeyFetches {
    count: u32,
    /// The `(completes at, sequence)` of the latest one, which a coalescing request joins.
    latest: (Time, u64),
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
    pub time: Time,
    pub key: u64,
    /// `"hit"`, `"miss"`, `"coalesced"` or `"failed"`.
    pub outcome: String,
    pub evicted: Vec<u64>,
}

/// What the page draws: the cache's internal lists, recent requests and fetches in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheView {
    pub policy: String,
    pub capacity: u64,
    pub used: u64,
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
    /// Added: ARC's target size of `T1` in thousandths of an object.
    pub arc_p_milli: Option<u64>,
    /// Added: the rest of the counters and settings.
    pub requests: u64,
    pub failed: u64,
    pub evictions: u64,
    pub single_flight: bool,
    pub skew_milli: u32,
    pub now: Time,
}

/// Keys per segment in [`CacheView::segments`].
pub const SEGMENT_LIMIT: usize = 256;
/// Requests in [`CacheView::recent`].
pub const RECENT: usize = 64;
/// Requests in the rolling hit ratio.
const WINDOW: usize = 1_000;
/// The rolling hit ratio is sampled every this many requests.
const SAMPLE_EVERY: u64 = 100;

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
    generator: Generator,
    arrival_rng: Rng,
    /// The next background arrival, in microseconds.
    next_arrival_us: u64,
    /// Background arrivals so far (evenly spaced arrivals are computed from it).
    arrived: u64,
    burst: Option<Burst>,
    /// The next periodic burst of the `mixed` pattern.
    next_periodic_burst: Option<Time>,
    /// The next never-requested key for scan bursts.
    next_new_key: u64,
    fetches: BTreeMap<(Time, u64), Fetch>,
    by_key: FixedMap<u64, KeyFetches>,
    seq: u64,
    origin_down: bool,
    skew_milli: u32,
    requests: u64,
    hits: u64,
    misses: u64,
    coalesced: u64,
    failed: u64,
    origin_fetches: u64,
    evictions: u64,
    /// The last started fetch's key: the single-flight invariant looks at it.
    last_fetch_key: Option<u64>,
    window: VecDeque<bool>,
    window_hits: u64,
    recent: VecDeque<RequestView>,
    /// Gauges and the latency histogram (counters are filled in by [`Simulation::metrics`]).
    metrics: Metrics,
}

impl CacheLab {
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The policy, for tests that compare it with a replay.
    pub fn policy(&self) -> &dyn Policy {
        self.policy.as_ref()
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
        CacheView {
            policy: self.policy_name.clone(),
            capacity: self.policy.capacity(),
            used: self.policy.used(),
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

    /// Serves the policy one request; returns the keys it evicted.
    fn access(&mut self, key: u64) -> Vec<u64> {
        match self.policy.access(key, 1) {
            Access::Hit => Vec::new(),
            Access::Miss { admitted, evicted } => {
                for k in &evicted {
                    self.resident.remove(k);
                }
                if admitted {
                    self.resident.insert(key);
                }
                self.evictions += evicted.len() as u64;
                evicted
            }
        }
    }

    /// Starts a fetch of `key`; returns how many fetches of it are in flight.
    fn start_fetch(&mut self, key: u64, ok: bool) -> u32 {
        let at = (self.now + self.scenario.origin_latency_ms as Time, self.seq);
        self.seq += 1;
        self.origin_fetches += 1;
        self.fetches.insert(
            at,
            Fetch {
                key,
                ok,
                requests: 1,
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

    /// One request for `key` at the current time.
    fn request(&mut self, key: u64, out: &mut dyn Emit<Event>) {
        let now = self.now;
        self.requests += 1;
        let in_flight = self.by_key.get(&key).copied();
        let (outcome, evicted, latency) = match in_flight {
            Some(kf) if self.scenario.single_flight => {
                let ok = match self.fetches.get_mut(&kf.latest) {
                    Some(f) => {
                        f.requests += 1;
                        f.ok
                    }
                    None => false,
                };
                let evicted = if ok { self.access(key) } else { Vec::new() };
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
            None if self.policy.contains(key) => {
                self.access(key);
                self.hits += 1;
                out.emit(now, Event::Hit { key });
                ("hit", Vec::new(), Some(0))
            }
            _ if self.origin_down => {
                self.start_fetch(key, false);
                self.failed += 1;
                out.emit(now, Event::Unavailable { key });
                ("failed", Vec::new(), None)
            }
            _ => {
                let evicted = self.access(key);
                let fetches = self.start_fetch(key, true);
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
        };
        if let Some(l) = latency {
            self.metrics.record("latency_ms", l);
        }
        let hit = outcome == "hit";
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
        self.recent.push_back(RequestView {
            time: now,
            key,
            outcome: outcome.to_string(),
            evicted,
        });
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    fn complete_fetch(&mut self, out: &mut dyn Emit<Event>) {
        let Some((at, f)) = self.fetches.pop_first() else {
            return;
        };
        if let Some(kf) = self.by_key.get_mut(&f.key) {
            kf.count -= 1;
            if kf.count == 0 {
                self.by_key.remove(&f.key);
            }
        }
        let event = if f.ok {
            Event::Fetched {
                key: f.key,
                requests: f.requests,
            }
        } else {
            Event::Failed {
                key: f.key,
                requests: f.requests,
            }
        };
        out.emit(at.0, event);
        self.metrics
            .gauge("in_flight", self.now, self.fetches.len() as i64);
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

    fn fresh_policy(&mut self, name: &str) -> Result<(), Refusal> {
        check_policy(name).map_err(Refusal)?;
        let p = policy::by_name(name, self.scenario.capacity).map_err(Refusal)?;
        self.policy = p;
        self.policy_name = name.to_string();
        self.resident.clear();
        Ok(())
    }
}

impl Simulation for CacheLab {
    type Scenario = Scenario;
    type Command = Command;
    type Event = Event;
    const LAB: &'static str = "cache";

    fn new(s: &Scenario) -> Result<CacheLab, String> {
        s.validate()?;
        let policy = policy::by_name(&s.policy, s.capacity).map_err(|e| format!("policy: {e}"))?;
        let root = Rng::new(s.seed);
        let periodic = s.workload.pattern == super::workload::Pattern::Mixed
            && s.workload.burst_every_ms > 0
            && s.workload.burst_len > 0;
        let mut lab = CacheLab {
            scenario: s.clone(),
            now: 0,
            policy,
            policy_name: s.policy.clone(),
            resident: BTreeSet::new(),
            generator: Generator::new(&s.workload, s.keys, root.fork(2)),
            arrival_rng: root.fork(1),
            next_arrival_us: 0,
            arrived: 0,
            burst: None,
            next_periodic_burst: periodic.then_some(s.workload.burst_every_ms),
            next_new_key: s.keys,
            fetches: BTreeMap::new(),
            by_key: FixedMap::default(),
            seq: 0,
            origin_down: false,
            skew_milli: s.workload.skew_milli,
            requests: 0,
            hits: 0,
            misses: 0,
            coalesced: 0,
            failed: 0,
            origin_fetches: 0,
            evictions: 0,
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
        let burst = self.burst.map(|b| b.next_at);
        [
            fetch,
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
                self.request(key, out);
            } else {
                let key = self.generator.next_key();
                self.arrived += 1;
                self.schedule_arrival();
                self.request(key, out);
            }
        }
        self.now = self.now.max(t);
    }

    fn apply(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let now = self.now;
        match command {
            Command::Get { key } => self.request(*key, out),
            Command::Flush => {
                let name = self.policy_name.clone();
                self.fresh_policy(&name)?;
                out.emit(now, Event::Flushed);
            }
            Command::SetPolicy { policy } => {
                self.fresh_policy(policy)?;
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
        if used > capacity {
            return violation(
                "capacity",
                format!("{used} objects cached, capacity {capacity}"),
            );
        }
        if self.resident.len() as u64 != used {
            return violation(
                "resident",
                format!(
                    "the policy reports {used} cached but its accesses admitted {}",
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
        ] {
            m.counters.insert(name.to_string(), v);
        }
        m
    }
}

/// A script of commands touching every input and fault, for the cross-cutting tests and as
/// an example: requests by hand, the origin going down and back, a flush followed by a burst of
/// requests for the hottest key (a stampede), policy changes (one refused), a scan burst and
/// a change of skew.
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
    ]);
    v
}
