//! Miss-ratio curves: hits against capacity for every policy, LRU in one pass by stack
//! distances, the others by replay at each capacity, as a resumable job for a progress bar.
//!
//! # LRU in one pass (Mattson, Gecsei, Slutz and Traiger, 1970)
//!
//! LRU has the inclusion property: the cache of capacity `c` always holds the `c` most recently
//! used keys, so a larger cache holds everything a smaller one does. A request hits at capacity
//! `c` exactly when its *stack distance* — the number of distinct other keys requested since
//! the key's previous request — is below `c`. A first request (cold) misses at every capacity.
//! So one pass that histograms the distances gives the hits at every capacity at once:
//! `hits(c)` = the number of requests with distance `< c`.
//!
//! The distance is counted in O(log n) with a Fenwick tree over request positions in which
//! exactly one position per key is marked: its latest request. At position `t`, for a key last
//! requested at `p`, the distinct keys since then are the marked positions after `p`; all marks
//! lie before `t`, so that is (the number of keys seen) − (marks at `0..=p`), one prefix sum.
//! Then `p` is unmarked and `t` marked. A [`FixedMap`] maps each key to its latest position.
//!
//! Worked example, requests `a b a c a b` (positions 0..5):
//!
//! | t | key | previous | marks before | distance | marks after |
//! |---|---|---|---|---|---|
//! | 0 | a | — | {} | cold | {0} |
//! | 1 | b | — | {0} | cold | {0, 1} |
//! | 2 | a | 0 | {0, 1} | 1 (position 1: b) | {1, 2} |
//! | 3 | c | — | {1, 2} | cold | {1, 2, 3} |
//! | 4 | a | 2 | {1, 2, 3} | 1 (3: c) | {1, 3, 4} |
//! | 5 | b | 1 | {1, 3, 4} | 2 (3: c, 4: a) | {3, 4, 5} |
//!
//! The histogram is distance 1: 2 requests, distance 2: 1, cold: 3, so LRU gets 0 hits at
//! capacity 1, 2 at capacity 2 (33.33%, as [`super::replay`] finds) and 3 at every capacity
//! from 3 up.
//!
//! # Other policies, and the job
//!
//! No other policy here has the inclusion property, so each is replayed at each capacity; OPT
//! is built with [`Opt::new`] over the whole trace. [`MrcJob`] does all of it in slices:
//! [`MrcJob::step`] serves at most `budget` requests (the LRU pass counts one per request, each
//! replay one per request) and reports [`Progress`], so the page can draw a progress bar
//! between frames. Slicing never changes the result. Results are integers: hits out of
//! requests, per policy and capacity ([`Curves::stats`] gives [`Stats`] for basis points and
//! percent).

use std::rc::Rc;

use super::policy::opt::Opt;
use super::policy::{self, NAMES};
use super::replay::Stats;
use super::Policy;
use crate::hash::FixedMap;

/// LRU stack distances over a trace, fed one request at a time. See the module documentation.
#[derive(Clone, Debug)]
pub struct StackDistances {
    /// Fenwick tree over positions `0..len`, 1-based internally: a 1 at each key's latest
    /// request.
    tree: Vec<u32>,
    /// Each key's latest position.
    last: FixedMap<u64, u32>,
    /// `histogram[d]`: requests at stack distance `d`.
    histogram: Vec<u64>,
    /// First requests for a key (infinite distance).
    cold: u64,
    /// Requests seen; the next request's position.
    position: usize,
}

impl StackDistances {
    /// Room for a trace of `len` requests (at most `u32::MAX`).
    pub fn with_len(len: usize) -> Self {
        StackDistances {
            tree: vec![0; len + 1],
            last: FixedMap::default(),
            histogram: Vec::new(),
            cold: 0,
            position: 0,
        }
    }

    /// The distances of every request in `keys`.
    pub fn of(keys: &[u64]) -> Self {
        let mut s = Self::with_len(keys.len());
        for &k in keys {
            s.access(k);
        }
        s
    }

    fn add(&mut self, position: usize, delta: i32) {
        let mut i = position + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Marks at positions `0..=position`.
    fn prefix(&self, position: usize) -> u32 {
        let mut i = position + 1;
        let mut sum = 0;
        while i > 0 {
            sum += self.tree[i];
            i &= i - 1;
        }
        sum
    }

    /// Records the next request, for `key`, and returns its stack distance (`None` if cold).
    /// Panics if more requests arrive than [`StackDistances::with_len`] made room for.
    pub fn access(&mut self, key: u64) -> Option<u64> {
        let t = self.position;
        assert!(
            t + 1 < self.tree.len(),
            "more requests than with_len allowed"
        );
        self.position += 1;
        let distance = match self.last.insert(key, t as u32) {
            Some(p) => {
                let p = p as usize;
                // The key is already counted in `last.len()`; marks after `p` are the others.
                let d = (self.last.len() as u32 - self.prefix(p)) as usize;
                self.add(p, -1);
                if self.histogram.len() <= d {
                    self.histogram.resize(d + 1, 0);
                }
                self.histogram[d] += 1;
                Some(d as u64)
            }
            None => {
                self.cold += 1;
                None
            }
        };
        self.add(t, 1);
        distance
    }

    /// Requests recorded so far.
    pub fn requests(&self) -> u64 {
        self.position as u64
    }

    /// First requests for a key: misses at every capacity.
    pub fn cold(&self) -> u64 {
        self.cold
    }

    /// `histogram()[d]`: requests at stack distance `d`.
    pub fn histogram(&self) -> &[u64] {
        &self.histogram
    }

    /// LRU's hits at each of `capacities` (in the given order), from one prefix-sum pass.
    pub fn hits(&self, capacities: &[u64]) -> Vec<u64> {
        let mut below = Vec::with_capacity(self.histogram.len() + 1);
        let mut sum = 0u64;
        below.push(0);
        for &h in &self.histogram {
            sum += h;
            below.push(sum);
        }
        capacities
            .iter()
            .map(|&c| below[c.min(self.histogram.len() as u64) as usize])
            .collect()
    }
}

/// LRU's hits on `keys` at each of `capacities`, in one pass.
pub fn lru_hits(keys: &[u64], capacities: &[u64]) -> Vec<u64> {
    StackDistances::of(keys).hits(capacities)
}

/// `points` capacities evenly spaced up to `max`: `⌈max·i/points⌉` for `i` in `1..=points`,
/// without repeats.
pub fn even_capacities(points: u64, max: u64) -> Vec<u64> {
    let mut out: Vec<u64> = (1..=points)
        .map(|i| ((max as u128 * i as u128).div_ceil(points as u128)) as u64)
        .collect();
    out.dedup();
    out
}

/// How far a job is: `done` of `total` units of work (requests served).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// One policy's curve: `hits[i]` at the job's `capacities[i]`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Curve {
    pub policy: String,
    pub hits: Vec<u64>,
}

/// Every policy's curve over the same capacities and trace.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Curves {
    pub requests: u64,
    pub capacities: Vec<u64>,
    /// In the order the policies were given.
    pub curves: Vec<Curve>,
}

impl Curves {
    /// The outcome of curve `policy` at capacity index `capacity`, as a replay would report it.
    pub fn stats(&self, policy: usize, capacity: usize) -> Stats {
        let hits = self.curves[policy].hits[capacity];
        Stats {
            requests: self.requests,
            hits,
            bytes: self.requests,
            bytes_hit: hits,
        }
    }
}

/// One unit of the job: the LRU pass, or one policy replayed at one capacity.
enum Task {
    Lru { curve: usize },
    Replay { curve: usize, capacity: usize },
}

/// The task under way.
enum Running {
    Lru(StackDistances),
    Replay(Box<dyn Policy>, u64),
}

/// A miss-ratio-curve computation done in slices. See the module documentation.
pub struct MrcJob {
    keys: Rc<[u64]>,
    capacities: Vec<u64>,
    policies: Vec<String>,
    hits: Vec<Vec<u64>>,
    tasks: Vec<Task>,
    /// Index of the current task in `tasks`.
    task: usize,
    running: Option<Running>,
    /// Position in `keys` within the current task.
    at: usize,
    done: u64,
}

impl MrcJob {
    /// A job computing each of `policies` (names from [`NAMES`], or `opt`) at each of
    /// `capacities` over `keys`. An unknown name is an error.
    pub fn new(
        keys: impl Into<Rc<[u64]>>,
        policies: &[&str],
        capacities: &[u64],
    ) -> Result<Self, String> {
        let keys = keys.into();
        if keys.len() >= u32::MAX as usize {
            return Err(format!("a trace of {} requests is too long", keys.len()));
        }
        let mut tasks = Vec::new();
        for (curve, &name) in policies.iter().enumerate() {
            match name {
                "lru" => tasks.push(Task::Lru { curve }),
                "opt" => {}
                _ if NAMES.contains(&name) => {}
                _ => {
                    return Err(format!(
                        "no eviction policy {name:?}; policies: {}, opt",
                        NAMES.join(", ")
                    ))
                }
            }
            if name != "lru" {
                tasks
                    .extend((0..capacities.len()).map(|capacity| Task::Replay { curve, capacity }));
            }
        }
        Ok(MrcJob {
            keys,
            capacities: capacities.to_vec(),
            policies: policies.iter().map(|p| p.to_string()).collect(),
            hits: vec![vec![0; capacities.len()]; policies.len()],
            tasks,
            task: 0,
            running: None,
            at: 0,
            done: 0,
        })
    }

    /// Work done and total, in requests served.
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.done,
            total: self.tasks.len() as u64 * self.keys.len() as u64,
        }
    }

    /// Serves at most `budget` requests of work, then returns how far the job is.
    pub fn step(&mut self, budget: u64) -> Progress {
        let mut left = budget;
        while left > 0 && self.task < self.tasks.len() {
            let running = match self.running.take() {
                Some(r) => r,
                None => self.start(),
            };
            let end = self.keys.len().min(
                self.at
                    .saturating_add(usize::try_from(left).unwrap_or(usize::MAX)),
            );
            let slice = &self.keys[self.at..end];
            let running = match running {
                Running::Lru(mut s) => {
                    for &k in slice {
                        s.access(k);
                    }
                    Running::Lru(s)
                }
                Running::Replay(mut p, mut hits) => {
                    for &k in slice {
                        hits += p.request(k, 1) as u64;
                    }
                    Running::Replay(p, hits)
                }
            };
            let n = (end - self.at) as u64;
            left -= n;
            self.done += n;
            self.at = end;
            if self.at == self.keys.len() {
                self.finish(running);
            } else {
                self.running = Some(running);
            }
        }
        self.progress()
    }

    fn start(&self) -> Running {
        match self.tasks[self.task] {
            Task::Lru { .. } => Running::Lru(StackDistances::with_len(self.keys.len())),
            Task::Replay { curve, capacity } => {
                let c = self.capacities[capacity];
                let p: Box<dyn Policy> = match self.policies[curve].as_str() {
                    "opt" => Box::new(Opt::new(c, &self.keys)),
                    // Names were checked in `new`.
                    name => policy::by_name(name, c).unwrap_or_else(|e| unreachable!("{e}")),
                };
                Running::Replay(p, 0)
            }
        }
    }

    fn finish(&mut self, running: Running) {
        match (&self.tasks[self.task], running) {
            (&Task::Lru { curve }, Running::Lru(s)) => {
                self.hits[curve] = s.hits(&self.capacities);
            }
            (&Task::Replay { curve, capacity }, Running::Replay(_, hits)) => {
                self.hits[curve][capacity] = hits;
            }
            _ => unreachable!("a task runs as its own kind"),
        }
        self.task += 1;
        self.at = 0;
    }

    /// Whether every curve is complete.
    pub fn is_done(&self) -> bool {
        self.task == self.tasks.len()
    }

    /// The curves, once the job is done.
    pub fn result(&self) -> Option<Curves> {
        self.is_done().then(|| Curves {
            requests: self.keys.len() as u64,
            capacities: self.capacities.clone(),
            curves: self
                .policies
                .iter()
                .zip(&self.hits)
                .map(|(p, h)| Curve {
                    policy: p.clone(),
                    hits: h.clone(),
                })
                .collect(),
        })
    }

    /// Runs the job to the end and returns the curves.
    pub fn run(mut self) -> Curves {
        while !self.is_done() {
            self.step(u64::MAX);
        }
        self.result()
            .unwrap_or_else(|| unreachable!("the job is done"))
    }
}
