//! S3-FIFO, three static FIFO queues (Juncheng Yang, Yazhuo Zhang, Ziyue Qiu, Yao Yue and
//! K. V. Rashmi, "FIFO queues are all you need for cache eviction", SOSP 2023).
//!
//! Most objects in real traces are requested once and never again ("one-hit wonders"). S3-FIFO
//! filters them out with a small FIFO in front of the main one, and remembers what it filtered
//! in a ghost FIFO so a quick second request is recognised:
//!
//! ```text
//!   new key ──▶ [ small S, 10% ] ──freq ≥ 1──▶ [ main M, 90% ] ──freq > 0: back in, freq - 1
//!                     │ freq = 0                     │ freq = 0
//!                     ▼                              ▼
//!              [ ghost G: keys only,            evicted
//!                as many as M holds ]
//!   key found in G ──────────────────────────▶ main M
//! ```
//!
//! * Every cached object has a 2-bit frequency: a hit adds one, up to 3. Hits move nothing.
//! * A miss inserts into S (or into M if the key is in G) after evicting while the cache is full.
//! * Eviction takes from S when S holds at least its 10% share (or M is empty), else from M.
//! * Evicting from S looks at S's oldest object: accessed since insertion (`freq ≥ 1`) moves it
//!   to M's head (evicting from M if M is over its share) and looks again; otherwise it leaves
//!   the cache and its key goes to G. So one eviction from S ends with one key in G.
//! * Evicting from M looks at M's oldest object: `freq > 0` puts it back at the head with
//!   `freq - 1` ("reinsertion", a CLOCK in FIFO form); `freq = 0` evicts it.
//! * G is a FIFO of keys as long as M's share; the oldest key falls off.
//!
//! S's share is 10% of the capacity (at least one object); M has the rest. The paper's
//! pseudocode promotes from S at `freq > 1` in one place, its text and its artifact at `freq ≥ 1`
//! (the default threshold); this follows the latter. An object keeps its frequency when it moves
//! to M.
//!
//! Worked example, capacity 4 (S's share 1, M's 3, G's 3), trace `1 2 1 3 4 5 2 1 6`:
//!
//! ```text
//! req  result  S (head..tail)  M (head..tail)  G (newest..)  evicted  note
//!  1   miss    1               -               -
//!  2   miss    2 1             -               -                      not full: S may pass its share
//!  1   hit     2 1             -               -                      freq(1) = 1
//!  3   miss    3 2 1           -               -
//!  4   miss    4 3 2 1         -               -                      now full
//!  5   miss    5 4 3           1               2             2        1 (freq 1) to M; 2 (freq 0) to G
//!  2   miss    5 4             2 1             3             3        3 to G; 2 found in G: into M
//!  1   hit     5 4             2 1             3                      freq(1) = 2
//!  6   miss    6 5             2 1             4 3           4
//! ```
//!
//! All operations are O(1) amortised: the FIFOs are `VecDeque`s, membership is a [`FixedMap`]
//! lookup, and G deletes lazily (a key found in G leaves a stale slot, skipped when it reaches
//! the front; the deque is compacted when stale slots outnumber live ones). Sizes are ignored:
//! every object counts as one unit.

use std::collections::VecDeque;

use crate::cache::{Access, Policy};
use crate::hash::FixedMap;

#[derive(Clone, Copy, Debug)]
struct Entry {
    freq: u8,
}

/// The S3-FIFO policy. See the module documentation.
#[derive(Clone, Debug)]
pub struct S3Fifo {
    capacity: u64,
    small_cap: usize,
    main_cap: usize,
    ghost_cap: usize,
    /// Small FIFO; the front is the head (newest), the back the tail (oldest).
    small: VecDeque<u64>,
    /// Main FIFO, same orientation.
    main: VecDeque<u64>,
    resident: FixedMap<u64, Entry>,
    /// Ghost FIFO of `(key, sequence)`; an entry is live while `ghost_index` maps its key to its
    /// sequence number.
    ghost: VecDeque<(u64, u64)>,
    ghost_index: FixedMap<u64, u64>,
    ghost_seq: u64,
}

impl S3Fifo {
    pub fn new(capacity: u64) -> Self {
        let c = usize::try_from(capacity).unwrap_or(usize::MAX);
        let small_cap = (c / 10).max(1).min(c);
        let main_cap = c - small_cap;
        S3Fifo {
            capacity,
            small_cap,
            main_cap,
            ghost_cap: main_cap,
            small: VecDeque::new(),
            main: VecDeque::new(),
            resident: FixedMap::default(),
            ghost: VecDeque::new(),
            ghost_index: FixedMap::default(),
            ghost_seq: 0,
        }
    }

    /// The small FIFO from head (newest) to tail, with frequencies.
    pub fn small(&self) -> Vec<(u64, u8)> {
        self.small
            .iter()
            .map(|&k| (k, self.resident[&k].freq))
            .collect()
    }

    /// The main FIFO from head (newest) to tail, with frequencies.
    pub fn main(&self) -> Vec<(u64, u8)> {
        self.main
            .iter()
            .map(|&k| (k, self.resident[&k].freq))
            .collect()
    }

    /// The ghost FIFO's live keys from newest to oldest.
    pub fn ghost(&self) -> Vec<u64> {
        self.ghost
            .iter()
            .rev()
            .filter(|(k, s)| self.ghost_index.get(k) == Some(s))
            .map(|&(k, _)| k)
            .collect()
    }

    fn evict(&mut self, out: &mut Vec<u64>) {
        if self.small.len() >= self.small_cap || self.main.is_empty() {
            self.evict_small(out);
        } else {
            self.evict_main(out);
        }
    }

    fn evict_small(&mut self, out: &mut Vec<u64>) {
        while let Some(t) = self.small.pop_back() {
            if self.resident[&t].freq >= 1 {
                self.main.push_front(t);
                if self.main.len() > self.main_cap {
                    self.evict_main(out);
                }
            } else {
                self.resident.remove(&t);
                out.push(t);
                self.remember(t);
                return;
            }
        }
    }

    fn evict_main(&mut self, out: &mut Vec<u64>) {
        while let Some(t) = self.main.pop_back() {
            let e = self
                .resident
                .get_mut(&t)
                .expect("main FIFO keys are resident");
            if e.freq > 0 {
                e.freq -= 1;
                self.main.push_front(t);
            } else {
                self.resident.remove(&t);
                out.push(t);
                return;
            }
        }
    }

    fn remember(&mut self, key: u64) {
        if self.ghost_cap == 0 {
            return;
        }
        self.ghost_seq += 1;
        self.ghost_index.insert(key, self.ghost_seq);
        self.ghost.push_back((key, self.ghost_seq));
        while self.ghost_index.len() > self.ghost_cap {
            let Some((k, s)) = self.ghost.pop_front() else {
                break;
            };
            if self.ghost_index.get(&k) == Some(&s) {
                self.ghost_index.remove(&k);
            }
        }
        if self.ghost.len() > 2 * self.ghost_cap + 16 {
            let index = &self.ghost_index;
            self.ghost.retain(|(k, s)| index.get(k) == Some(s));
        }
    }
}

impl Policy for S3Fifo {
    fn name(&self) -> &'static str {
        "s3fifo"
    }

    fn access(&mut self, key: u64, _size: u64) -> Access {
        if self.capacity == 0 {
            return Access::Miss {
                admitted: false,
                evicted: Vec::new(),
            };
        }
        if let Some(e) = self.resident.get_mut(&key) {
            e.freq = (e.freq + 1).min(3);
            return Access::Hit;
        }
        let mut evicted = Vec::new();
        while (self.small.len() + self.main.len()) as u64 >= self.capacity {
            self.evict(&mut evicted);
        }
        if self.ghost_index.remove(&key).is_some() {
            self.main.push_front(key);
        } else {
            self.small.push_front(key);
        }
        self.resident.insert(key, Entry { freq: 0 });
        Access::Miss {
            admitted: true,
            evicted,
        }
    }

    fn used(&self) -> u64 {
        self.resident.len() as u64
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        let keys = |v: Vec<(u64, u8)>| v.into_iter().take(limit).map(|(k, _)| k).collect();
        let mut ghost = self.ghost();
        ghost.truncate(limit);
        vec![
            ("S", keys(self.small())),
            ("M", keys(self.main())),
            ("G", ghost),
        ]
    }
    fn contains(&self, key: u64) -> bool {
        self.resident.contains_key(&key)
    }
}
