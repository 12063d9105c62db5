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
//! lookup, and deletion is lazy. Each admission stamps the object with a fresh generation; a
//! queue slot `(key, generation)` is live while the key is resident with that generation (and a
//! ghost slot while the ghost index maps the key to it). Dead slots are skipped when they reach
//! the tail, and a queue is compacted when its dead slots outnumber its live ones.
//!
//! **Sizes.** The capacity counts units (bytes, say) and each object occupies its size: S's
//! share is 10% of the capacity in units, M's the rest, and G remembers keys whose sizes add up
//! to at most M's share. A miss evicts until the new object fits; an object larger than the
//! whole capacity is not admitted. With every size 1 this is the object-count policy above.
//!
//! **Removal** ([`Policy::remove`], an invalidation) frees a resident object's units at once,
//! from S or M; its queue slot dies in place. The key does not go to G, which remembers objects
//! S *evicted* (a quick return would be taken for a re-reference S misjudged). A key only in G
//! is not cached; removing it changes nothing and its ghost stays.

use std::collections::VecDeque;

use crate::cache::Policy;
use crate::hash::FixedMap;

#[derive(Clone, Copy, Debug)]
struct Entry {
    freq: u8,
    size: u64,
    /// The admission this entry belongs to; queue slots with another generation are dead.
    generation: u64,
    in_main: bool,
}

/// The S3-FIFO policy. See the module documentation.
#[derive(Clone, Debug)]
pub struct S3Fifo {
    capacity: u64,
    small_cap: u64,
    main_cap: u64,
    ghost_cap: u64,
    /// Small FIFO of `(key, generation)`; the front is the head (newest), the back the tail.
    small: VecDeque<(u64, u64)>,
    /// Main FIFO, same orientation.
    main: VecDeque<(u64, u64)>,
    small_used: u64,
    main_used: u64,
    small_live: usize,
    main_live: usize,
    resident: FixedMap<u64, Entry>,
    generation: u64,
    /// Ghost FIFO of `(key, sequence)`; an entry is live while `ghost_index` maps its key to its
    /// sequence number (and the key's size).
    ghost: VecDeque<(u64, u64)>,
    ghost_index: FixedMap<u64, (u64, u64)>,
    ghost_used: u64,
    ghost_seq: u64,
}

impl S3Fifo {
    pub fn new(capacity: u64) -> Self {
        let small_cap = (capacity / 10).max(1).min(capacity);
        let main_cap = capacity - small_cap;
        S3Fifo {
            capacity,
            small_cap,
            main_cap,
            ghost_cap: main_cap,
            small: VecDeque::new(),
            main: VecDeque::new(),
            small_used: 0,
            main_used: 0,
            small_live: 0,
            main_live: 0,
            resident: FixedMap::default(),
            generation: 0,
            ghost: VecDeque::new(),
            ghost_index: FixedMap::default(),
            ghost_used: 0,
            ghost_seq: 0,
        }
    }

    /// Whether the queue slot `(key, generation)` holds a resident object.
    fn live(&self, slot: (u64, u64)) -> bool {
        self.resident
            .get(&slot.0)
            .is_some_and(|e| e.generation == slot.1)
    }

    fn listed(&self, queue: &VecDeque<(u64, u64)>) -> Vec<(u64, u8)> {
        queue
            .iter()
            .filter_map(|&(k, g)| {
                let e = self.resident.get(&k)?;
                (e.generation == g).then_some((k, e.freq))
            })
            .collect()
    }

    /// The small FIFO from head (newest) to tail, with frequencies.
    pub fn small(&self) -> Vec<(u64, u8)> {
        self.listed(&self.small)
    }

    /// The main FIFO from head (newest) to tail, with frequencies.
    pub fn main(&self) -> Vec<(u64, u8)> {
        self.listed(&self.main)
    }

    /// The ghost FIFO's live keys from newest to oldest.
    pub fn ghost(&self) -> Vec<u64> {
        self.ghost
            .iter()
            .rev()
            .filter(|(k, s)| self.ghost_index.get(k).map(|g| g.0) == Some(*s))
            .map(|&(k, _)| k)
            .collect()
    }

    fn evict(&mut self, out: &mut Vec<u64>) {
        if self.small_used >= self.small_cap || self.main_live == 0 {
            self.evict_small(out);
        } else {
            self.evict_main(out);
        }
    }

    fn evict_small(&mut self, out: &mut Vec<u64>) {
        while let Some(slot) = self.small.pop_back() {
            if !self.live(slot) {
                continue;
            }
            let t = slot.0;
            let Some(e) = self.resident.get_mut(&t) else {
                continue;
            };
            let size = e.size;
            self.small_used -= size;
            self.small_live -= 1;
            if e.freq >= 1 {
                e.in_main = true;
                self.main.push_front(slot);
                self.main_used += size;
                self.main_live += 1;
                if self.main_used > self.main_cap {
                    self.evict_main(out);
                }
            } else {
                self.resident.remove(&t);
                out.push(t);
                self.remember(t, size);
                return;
            }
        }
    }

    fn evict_main(&mut self, out: &mut Vec<u64>) {
        while let Some(slot) = self.main.pop_back() {
            if !self.live(slot) {
                continue;
            }
            let t = slot.0;
            let Some(e) = self.resident.get_mut(&t) else {
                continue;
            };
            if e.freq > 0 {
                e.freq -= 1;
                self.main.push_front(slot);
            } else {
                self.main_used -= e.size;
                self.main_live -= 1;
                self.resident.remove(&t);
                out.push(t);
                return;
            }
        }
    }

    fn remember(&mut self, key: u64, size: u64) {
        if self.ghost_cap == 0 {
            return;
        }
        self.ghost_seq += 1;
        if let Some((_, old)) = self.ghost_index.insert(key, (self.ghost_seq, size)) {
            self.ghost_used -= old;
        }
        self.ghost_used += size;
        self.ghost.push_back((key, self.ghost_seq));
        while self.ghost_used > self.ghost_cap {
            let Some((k, s)) = self.ghost.pop_front() else {
                break;
            };
            if self.ghost_index.get(&k).map(|g| g.0) == Some(s) {
                if let Some((_, size)) = self.ghost_index.remove(&k) {
                    self.ghost_used -= size;
                }
            }
        }
        if self.ghost.len() > 2 * self.ghost_index.len() + 16 {
            let index = &self.ghost_index;
            self.ghost
                .retain(|(k, s)| index.get(k).map(|g| g.0) == Some(*s));
        }
    }

    /// Drops dead slots from a queue once they outnumber the live ones.
    fn compact(&mut self) {
        let resident = &self.resident;
        let live = |&(k, g): &(u64, u64)| resident.get(&k).is_some_and(|e| e.generation == g);
        if self.small.len() > 2 * self.small_live + 16 {
            self.small.retain(live);
        }
        if self.main.len() > 2 * self.main_live + 16 {
            self.main.retain(live);
        }
    }
}

impl Policy for S3Fifo {
    fn name(&self) -> &'static str {
        "s3fifo"
    }

    fn serve(&mut self, key: u64, size: u64, evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if let Some(e) = self.resident.get_mut(&key) {
            e.freq = (e.freq + 1).min(3);
            return None;
        }
        if size > self.capacity || self.capacity == 0 {
            return Some(false);
        }
        let mut out = Vec::new();
        while self.small_used + self.main_used + size > self.capacity
            && self.small_live + self.main_live > 0
        {
            self.evict(&mut out);
        }
        if let Some(e) = evicted {
            e.append(&mut out);
        }
        self.generation += 1;
        let slot = (key, self.generation);
        let in_main = match self.ghost_index.remove(&key) {
            Some((_, ghost_size)) => {
                self.ghost_used -= ghost_size;
                true
            }
            None => false,
        };
        if in_main {
            self.main.push_front(slot);
            self.main_used += size;
            self.main_live += 1;
        } else {
            self.small.push_front(slot);
            self.small_used += size;
            self.small_live += 1;
        }
        self.resident.insert(
            key,
            Entry {
                freq: 0,
                size,
                generation: self.generation,
                in_main,
            },
        );
        self.compact();
        Some(true)
    }

    fn used(&self) -> u64 {
        self.small_used + self.main_used
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
    fn remove(&mut self, key: u64) -> bool {
        let Some(e) = self.resident.remove(&key) else {
            return false;
        };
        if e.in_main {
            self.main_used -= e.size;
            self.main_live -= 1;
        } else {
            self.small_used -= e.size;
            self.small_live -= 1;
        }
        self.compact();
        true
    }
}
