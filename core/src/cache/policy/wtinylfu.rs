//! W-TinyLFU, a small LRU window in front of a frequency-filtered segmented LRU (Gil Einziger,
//! Roy Friedman and Ben Manes, "TinyLFU: A Highly Efficient Cache Admission Policy", ACM
//! Transactions on Storage 13(4), 2017; the design of Caffeine).
//!
//! ```text
//!  miss ──▶ [ window LRU, 1% ] ──candidate (window's LRU end)──┐
//!                                                             ▼
//!                       TinyLFU: admit if est(candidate) > est(victim), else drop candidate
//!                                                             │
//!           ┌──────────────── main SLRU, 99% ─────────────────▼───────┐
//!           │ [ protected, 80% of main ] ◀─hit─ [ probation, 20% ]    │
//!           │            └──overflow (LRU end)──▶ probation's MRU end │
//!           └─────────────────────────────────────── victim: probation's LRU end
//! ```
//!
//! * A miss enters the window's most recent end. When the window is over its share, its least
//!   recent object is the *candidate*: if the main area has room it enters probation; otherwise
//!   it competes with the *victim*, probation's least recent object, and is admitted (evicting
//!   the victim) only if its estimated frequency is strictly higher. Ties reject the candidate,
//!   which protects the main area from a scan.
//! * A hit in the window refreshes it there; a hit in probation promotes to protected, whose
//!   least recent object falls back to probation's most recent end when protected is over 80%
//!   of the main area; a hit in protected refreshes it there.
//!
//! **Frequency estimates.** Every request (hit or miss) is recorded in a *doorkeeper* and a
//! *count-min sketch*:
//!
//! * The doorkeeper is a Bloom filter (two hash functions over a bit set of `32 × width` bits).
//!   A key's first request only sets its doorkeeper bits; later ones increment the sketch. This
//!   keeps one-hit wonders out of the sketch.
//! * The sketch has depth 4 and `width` 4-bit counters per row (`width` the capacity rounded up
//!   to a power of two, at least 16), sixteen to a `u64` word. A request increments the key's
//!   counter in every row (saturating at 15); the estimate is the minimum over the rows, plus
//!   one if the doorkeeper has the key.
//! * **Aging.** After `W = 10 × capacity` recorded requests, every counter is halved, the
//!   doorkeeper is cleared and the sample count is halved (the TinyLFU "reset"), so the sketch
//!   follows a changing popularity.
//!
//! The hash functions are fixed and portable: a key is premixed with a fixed multiply and
//! xor-shift, then row `r` takes the top bits of the product with a fixed odd constant
//! (multiply-shift hashing). Nothing is randomized, so two runs and two targets agree.
//!
//! Worked example, capacity 3 (window 1, main 2: protected 1, probation 1), trace `1 2 3 2 4`:
//!
//! ```text
//! req  result  window  probation  protected  note
//!  1   miss    1       -          -
//!  2   miss    2       1          -          candidate 1: main has room
//!  3   miss    3       2 1        -          candidate 2: main has room
//!  2   hit     3       1          2          promoted to protected
//!  4   miss    4       1          2          candidate 3 (est. 1) vs victim 1 (est. 1): tie, 3 dropped
//! ```
//!
//! Every request is O(1).
//!
//! **Sizes** (byte capacity, with weights as Caffeine has them). The window holds 1% of the
//! capacity in bytes (at least one byte), the main area the rest, protected 80% of the main
//! area's bytes; each object weighs its size. A miss enters the window; while the window holds
//! more than its share, its least recent object is a candidate for the main area. A candidate
//! that fits in the main area's free bytes enters probation. Otherwise it competes with the
//! victim (probation's least recent object, or protected's if probation is empty) as above, and
//! the loser is evicted; while the candidate keeps winning and still does not fit, it competes
//! with the next victim. So a large candidate may displace several small objects, each of which
//! it out-scores, and a candidate that loses once is gone (Caffeine's `evictFromMain`, without
//! its random admission of warm candidates against hash flooding). A candidate larger than the
//! whole main area is evicted at once. A hit in probation that overfills protected demotes
//! protected's least recent objects until it fits again. The sketch is sized for the expected
//! number of objects (the `hint` of [`WTinyLfu::with_room`]), not the bytes, and ages after ten
//! times that many requests. Every request is recorded in the sketch, including one for an
//! object larger than the whole capacity, which is not admitted. With every size 1 (and the
//! hint equal to the capacity) this is exactly the object-count policy. A new object larger
//! than the window is a candidate at once; if it loses, the request reports it as not
//! admitted (turned away by the filter) rather than as admitted and evicted.
//!
//! **Removal** ([`Policy::remove`], an invalidation) unlinks the object from whichever segment
//! holds it (window, probation or protected), in O(1). The sketch and the doorkeeper keep its
//! counts, as Caffeine's `invalidate` does: they estimate how often the key is *requested*,
//! which a delete does not change, so a popular key that is invalidated and read again is
//! readmitted on its merit. Segments are not rebalanced: the freed slot is taken by the next
//! candidate the main area has room for.

use super::index_list::IndexList;
use crate::cache::Policy;
use crate::hash::FixedMap;

/// Fixed odd multipliers for the four sketch rows.
const ROW_MULTIPLIERS: [u64; 4] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0xD6E8_FEB8_6659_FD93,
];
/// Fixed odd multipliers for the doorkeeper's two hash functions.
const DOOR_MULTIPLIERS: [u64; 2] = [0xFF51_AFD7_ED55_8CCD, 0xC4CE_B9FE_1A85_EC53];

/// A fixed premix so that consecutive keys spread before multiply-shift.
fn premix(key: u64) -> u64 {
    let x = (key ^ (key >> 32)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 31)
}

/// Multiply-shift: the top `bits` bits of `x × a`.
fn multiply_shift(x: u64, a: u64, bits: u32) -> usize {
    (x.wrapping_mul(a) >> (64 - bits)) as usize
}

/// The doorkeeper and the 4-bit count-min sketch, with aging.
#[derive(Clone, Debug)]
struct FrequencySketch {
    /// log2 of the counters per row.
    row_bits: u32,
    /// Four rows of 4-bit counters, sixteen to a word.
    table: Vec<u64>,
    door_bits: u32,
    door: Vec<u64>,
    samples: u64,
    sample_size: u64,
}

impl FrequencySketch {
    fn new(capacity: usize) -> Self {
        let width = capacity.clamp(16, 1 << 26).next_power_of_two();
        let row_bits = width.trailing_zeros();
        let door_bits = row_bits + 5;
        FrequencySketch {
            row_bits,
            table: vec![0; 4 * width / 16],
            door_bits,
            door: vec![0; (1usize << door_bits) / 64],
            samples: 0,
            sample_size: (capacity as u64).saturating_mul(10).max(1),
        }
    }

    fn counter_slot(&self, row: usize, x: u64) -> (usize, u32) {
        let i = (row << self.row_bits) + multiply_shift(x, ROW_MULTIPLIERS[row], self.row_bits);
        (i / 16, (i % 16) as u32 * 4)
    }

    fn door_slot(&self, h: usize, x: u64) -> (usize, u64) {
        let i = multiply_shift(x, DOOR_MULTIPLIERS[h], self.door_bits);
        (i / 64, 1 << (i % 64))
    }

    fn in_door(&self, x: u64) -> bool {
        (0..2).all(|h| {
            let (w, bit) = self.door_slot(h, x);
            self.door[w] & bit != 0
        })
    }

    fn record(&mut self, key: u64) {
        let x = premix(key);
        if self.in_door(x) {
            for row in 0..4 {
                let (w, shift) = self.counter_slot(row, x);
                if (self.table[w] >> shift) & 0xF < 15 {
                    self.table[w] += 1 << shift;
                }
            }
        } else {
            for h in 0..2 {
                let (w, bit) = self.door_slot(h, x);
                self.door[w] |= bit;
            }
        }
        self.samples += 1;
        if self.samples >= self.sample_size {
            for word in &mut self.table {
                *word = (*word >> 1) & 0x7777_7777_7777_7777;
            }
            self.door.fill(0);
            self.samples /= 2;
        }
    }

    fn estimate(&self, key: u64) -> u8 {
        let x = premix(key);
        let min = (0..4)
            .map(|row| {
                let (w, shift) = self.counter_slot(row, x);
                ((self.table[w] >> shift) & 0xF) as u8
            })
            .min()
            .unwrap_or(0);
        min + u8::from(self.in_door(x))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    Window,
    Probation,
    Protected,
}

/// The W-TinyLFU policy. See the module documentation.
#[derive(Clone, Debug)]
pub struct WTinyLfu {
    capacity: u64,
    /// The window's, the main area's and protected's shares, in units of the capacity.
    window_cap: u64,
    main_cap: u64,
    protected_cap: u64,
    window_used: u64,
    probation_used: u64,
    protected_used: u64,
    keys: Vec<u64>,
    /// Each slot's size.
    sizes: Vec<u64>,
    segments: Vec<Segment>,
    free: Vec<u32>,
    index: FixedMap<u64, u32>,
    window: IndexList,
    probation: IndexList,
    protected: IndexList,
    sketch: FrequencySketch,
}

impl WTinyLfu {
    pub fn new(capacity: u64) -> Self {
        WTinyLfu::with_room(capacity, usize::try_from(capacity).unwrap_or(usize::MAX))
    }

    /// A cache of `capacity` units whose frequency sketch is sized for `hint` objects.
    pub fn with_room(capacity: u64, hint: usize) -> Self {
        let window_cap = (capacity / 100).max(1).min(capacity);
        let main_cap = capacity - window_cap;
        WTinyLfu {
            capacity,
            window_cap,
            main_cap,
            protected_cap: main_cap / 100 * 80 + main_cap % 100 * 80 / 100,
            window_used: 0,
            probation_used: 0,
            protected_used: 0,
            keys: Vec::new(),
            sizes: Vec::new(),
            segments: Vec::new(),
            free: Vec::new(),
            index: FixedMap::default(),
            window: IndexList::new(),
            probation: IndexList::new(),
            protected: IndexList::new(),
            sketch: FrequencySketch::new(hint),
        }
    }

    /// The window from most to least recent.
    pub fn window(&self) -> Vec<u64> {
        self.list(&self.window)
    }

    /// Probation from most to least recent (the victim last).
    pub fn probation(&self) -> Vec<u64> {
        self.list(&self.probation)
    }

    /// Protected from most to least recent.
    pub fn protected(&self) -> Vec<u64> {
        self.list(&self.protected)
    }

    /// The admission filter's frequency estimate for `key` (sketch plus doorkeeper).
    pub fn frequency(&self, key: u64) -> u8 {
        self.sketch.estimate(key)
    }

    fn list(&self, list: &IndexList) -> Vec<u64> {
        let mut out = Vec::with_capacity(list.len());
        let mut at = list.back();
        while let Some(i) = at {
            out.push(self.keys[i as usize]);
            at = list.prev(i);
        }
        out.reverse();
        out
    }

    fn alloc(&mut self, key: u64, size: u64) -> u32 {
        let i = match self.free.pop() {
            Some(i) => {
                self.keys[i as usize] = key;
                self.sizes[i as usize] = size;
                self.segments[i as usize] = Segment::Window;
                i
            }
            None => {
                self.keys.push(key);
                self.sizes.push(size);
                self.segments.push(Segment::Window);
                (self.keys.len() - 1) as u32
            }
        };
        self.index.insert(key, i);
        i
    }

    fn release(&mut self, i: u32) -> u64 {
        let key = self.keys[i as usize];
        self.index.remove(&key);
        self.free.push(i);
        key
    }

    /// Moves slot `i` into probation (most recent end).
    fn enter_probation(&mut self, i: u32) {
        self.probation.push_front(i);
        self.probation_used += self.sizes[i as usize];
        self.segments[i as usize] = Segment::Probation;
    }

    /// Evicts slot `i` of the main area (probation or protected); returns its key.
    fn evict_main(&mut self, i: u32) -> u64 {
        let size = self.sizes[i as usize];
        if self.probation.remove(i) {
            self.probation_used -= size;
        } else if self.protected.remove(i) {
            self.protected_used -= size;
        }
        self.release(i)
    }

    /// Offers the window's least recent object to the main area: it enters probation if it
    /// fits, else competes with probation's victims, the loser evicted each time. Returns
    /// whether the candidate stays cached.
    fn admit_candidate(&mut self, candidate: u32, evicted: &mut Option<&mut Vec<u64>>) -> bool {
        let size = self.sizes[candidate as usize];
        let push = |e: &mut Option<&mut Vec<u64>>, k: u64| {
            if let Some(e) = e.as_deref_mut() {
                e.push(k);
            }
        };
        if size > self.main_cap {
            let k = self.release(candidate);
            push(evicted, k);
            return false;
        }
        loop {
            if self.probation_used + self.protected_used + size <= self.main_cap {
                self.enter_probation(candidate);
                return true;
            }
            let victim = self.probation.back().or(self.protected.back());
            let admit = victim.is_some_and(|v| {
                self.sketch.estimate(self.keys[candidate as usize])
                    > self.sketch.estimate(self.keys[v as usize])
            });
            match victim {
                Some(v) if admit => {
                    let k = self.evict_main(v);
                    push(evicted, k);
                }
                _ => {
                    let k = self.release(candidate);
                    push(evicted, k);
                    return false;
                }
            }
        }
    }
}

impl Policy for WTinyLfu {
    fn name(&self) -> &'static str {
        "wtinylfu"
    }

    /// Serves a request; evicted keys are appended to `evicted` when given. Returns `None` on a
    /// hit, else whether the object was admitted (to the window).
    fn serve(&mut self, key: u64, size: u64, mut evicted: Option<&mut Vec<u64>>) -> Option<bool> {
        if self.capacity == 0 {
            return Some(false);
        }
        self.sketch.record(key);
        if let Some(&i) = self.index.get(&key) {
            match self.segments[i as usize] {
                Segment::Window => self.window.move_to_front(i),
                Segment::Protected => self.protected.move_to_front(i),
                Segment::Probation => {
                    let s = self.sizes[i as usize];
                    self.probation.remove(i);
                    self.probation_used -= s;
                    self.protected.push_front(i);
                    self.protected_used += s;
                    self.segments[i as usize] = Segment::Protected;
                    while self.protected_used > self.protected_cap {
                        let Some(d) = self.protected.pop_back() else {
                            break;
                        };
                        self.protected_used -= self.sizes[d as usize];
                        self.enter_probation(d);
                    }
                }
            }
            return None;
        }
        if size > self.capacity {
            return Some(false);
        }
        let i = self.alloc(key, size);
        self.window.push_front(i);
        self.window_used += size;
        let mut admitted = true;
        while self.window_used > self.window_cap {
            let Some(candidate) = self.window.pop_back() else {
                break;
            };
            self.window_used -= self.sizes[candidate as usize];
            if !self.admit_candidate(candidate, &mut evicted) && candidate == i {
                // The new object itself left at once (larger than the window, it was a
                // candidate at once and lost): not admitted, rather than admitted and evicted.
                admitted = false;
            }
        }
        if !admitted {
            if let Some(e) = evicted {
                e.retain(|&k| k != key);
            }
        }
        Some(admitted)
    }

    fn used(&self) -> u64 {
        self.window_used + self.probation_used + self.protected_used
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn segments(&self, limit: usize) -> Vec<(&'static str, Vec<u64>)> {
        let l = |mut v: Vec<u64>| {
            v.truncate(limit);
            v
        };
        vec![
            ("window", l(self.window())),
            ("probation", l(self.probation())),
            ("protected", l(self.protected())),
        ]
    }
    fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(&i) = self.index.get(&key) else {
            return false;
        };
        let size = self.sizes[i as usize];
        match self.segments[i as usize] {
            Segment::Window => {
                self.window.remove(i);
                self.window_used -= size;
            }
            Segment::Probation => {
                self.probation.remove(i);
                self.probation_used -= size;
            }
            Segment::Protected => {
                self.protected.remove(i);
                self.protected_used -= size;
            }
        }
        self.release(i);
        true
    }
}
