//! The cache lab's request generator: which key each request asks for.
//!
//! Keys are integers `0..keys`; for the skewed patterns key `0` is the most popular.
//!
//! | pattern | key of request `n` |
//! |---|---|
//! | `zipf` | rank `r` with probability ∝ `1 / (r + 1)^s`, `s = skew_milli / 1000` |
//! | `uniform` | any key, equally likely |
//! | `scan` | `n mod keys`: a sequential sweep, forever |
//! | `loop` | `n mod loop_len`: the same `loop_len` keys in a cycle |
//! | `mixed` | `zipf`, plus a scan burst of `burst_len` new keys every `burst_every_ms` |
//!
//! **Phase changes.** A workload's popularity moves over time: a [`Phase`] (from the scenario's
//! `phases` schedule, or the lab's `phase` command) sets a new skew and *shifts* the working
//! set: with shift `d`, the pattern's key `k` becomes `(k + d) mod keys`, so the hot keys of the
//! previous phase turn cold at once and a cache warmed on them has to relearn.
//!
//! **Zipf without floats in state.** The distribution is precomputed at construction into an
//! integer cumulative table over *cells*: one cell per rank for the first 65,536 ranks, then
//! cells whose widths grow by 1/16 each, so that ten million keys need a few hundred cells and
//! the density changes by at most about 6% across a cell (keys inside a cell are equally
//! likely). A draw is `rng.below(total)` and a binary search for its cell, then a uniform rank
//! inside the cell. The floats (`libm::pow`) live only while the table is built and are rounded
//! to integers, so every target builds the same table. The table is shared (`Rc`) between
//! checkpoints of a run.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// The shape of the request stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// A few keys are hot: Zipf's law with skew `skew_milli / 1000`.
    #[default]
    Zipf,
    /// Every key equally likely.
    Uniform,
    /// Keys in order, `0, 1, 2, …`, wrapping at the key space.
    Scan,
    /// The first `loop_len` keys in a cycle: LRU's worst case when the loop is longer than the
    /// cache.
    Loop,
    /// Zipf with a periodic scan burst of new keys.
    Mixed,
}

impl Pattern {
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Zipf => "zipf",
            Pattern::Uniform => "uniform",
            Pattern::Scan => "scan",
            Pattern::Loop => "loop",
            Pattern::Mixed => "mixed",
        }
    }

    /// Whether the pattern draws from the Zipf distribution (and so uses the skew).
    pub fn is_skewed(self) -> bool {
        matches!(self, Pattern::Zipf | Pattern::Mixed)
    }
}

/// The workload part of the scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Workload {
    pub pattern: Pattern,
    /// Zipf skew in thousandths: 900 is 0.9; 0 is uniform.
    pub skew_milli: u32,
    /// How many keys the `loop` pattern cycles over.
    pub loop_len: u64,
    /// For `mixed`: a scan burst starts every this many milliseconds (0: never).
    pub burst_every_ms: u64,
    /// For `mixed`: how many new keys each burst requests, one per millisecond.
    pub burst_len: u64,
    /// Scheduled phase changes, in increasing `at_ms` order.
    pub phases: Vec<Phase>,
}

/// A change of workload phase: a new skew and a shifted working set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Phase {
    /// When the phase starts (ignored for the `phase` command, which starts it now).
    pub at_ms: u64,
    /// The Zipf skew from then on, in thousandths (zipf and mixed patterns only).
    pub skew_milli: u32,
    /// How far the working set moves: key `k` becomes `(k + shift) mod keys`.
    pub shift: u64,
}

/// The most phases a schedule may hold.
pub const MAX_PHASES: usize = 100;

impl Default for Workload {
    fn default() -> Self {
        Workload {
            pattern: Pattern::Zipf,
            skew_milli: 900,
            loop_len: 150,
            burst_every_ms: 60_000,
            burst_len: 300,
            phases: Vec::new(),
        }
    }
}

/// The largest skew accepted, in thousandths.
pub const MAX_SKEW_MILLI: u32 = 5_000;
/// The longest scan burst, in keys.
pub const MAX_BURST: u64 = 100_000;

impl Workload {
    /// Explains which field is out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.skew_milli > MAX_SKEW_MILLI {
            return Err(format!(
                "workload.skew_milli must be at most {MAX_SKEW_MILLI}, not {}",
                self.skew_milli
            ));
        }
        if !(1..=10_000_000).contains(&self.loop_len) {
            return Err(format!(
                "workload.loop_len must be between 1 and 10000000, not {}",
                self.loop_len
            ));
        }
        if self.burst_every_ms != 0 && self.burst_every_ms < 1_000 {
            return Err(format!(
                "workload.burst_every_ms must be 0 (no bursts) or at least 1000, not {}",
                self.burst_every_ms
            ));
        }
        if self.burst_len > MAX_BURST {
            return Err(format!(
                "workload.burst_len must be at most {MAX_BURST}, not {}",
                self.burst_len
            ));
        }
        if self.phases.len() > MAX_PHASES {
            return Err(format!(
                "workload.phases holds at most {MAX_PHASES} phases, not {}",
                self.phases.len()
            ));
        }
        for (i, p) in self.phases.iter().enumerate() {
            if p.skew_milli > MAX_SKEW_MILLI {
                return Err(format!(
                    "workload.phases[{i}].skew_milli must be at most {MAX_SKEW_MILLI}, not {}",
                    p.skew_milli
                ));
            }
            if i > 0 && p.at_ms <= self.phases[i - 1].at_ms {
                return Err(format!(
                    "workload.phases[{i}].at_ms must be later than the phase before it ({} ms), not {}",
                    self.phases[i - 1].at_ms, p.at_ms
                ));
            }
        }
        Ok(())
    }
}

/// Ranks below this each get a cell of their own in the Zipf table.
const EXACT_RANKS: u64 = 1 << 16;
/// The table's total weight: draws are `below(TOTAL)`.
const TOTAL: u64 = 1 << 53;

/// A precomputed Zipf distribution over ranks `0..n`. See the module documentation.
#[derive(Debug, PartialEq, Eq)]
pub struct Zipf {
    /// First rank of each cell; a cell ends where the next begins (the last at `n`).
    starts: Vec<u64>,
    /// Cumulative weight up to and including each cell; the last is [`TOTAL`].
    cdf: Vec<u64>,
    n: u64,
}

impl Zipf {
    /// The distribution over `n >= 1` ranks with skew `skew_milli / 1000`.
    pub fn new(n: u64, skew_milli: u32) -> Zipf {
        let n = n.max(1);
        let s = skew_milli as f64 / 1000.0;
        let mut starts = Vec::new();
        let mut r = 0;
        while r < n {
            starts.push(r);
            let width = if r < EXACT_RANKS { 1 } else { (r / 16).max(1) };
            r = r.saturating_add(width).min(n);
        }
        // The mass of ranks a..b (1-based a+1..=b): exact sums for single ranks, the integral
        // of x^-s over [a + 1/2, b + 1/2] for wider cells.
        let mass = |a: u64, b: u64| -> f64 {
            if b - a == 1 {
                return libm::pow((a + 1) as f64, -s);
            }
            let (lo, hi) = (a as f64 + 0.5, b as f64 + 0.5);
            if (s - 1.0).abs() < 1e-9 {
                libm::log(hi) - libm::log(lo)
            } else {
                (libm::pow(hi, 1.0 - s) - libm::pow(lo, 1.0 - s)) / (1.0 - s)
            }
        };
        let masses: Vec<f64> = (0..starts.len())
            .map(|i| {
                let end = starts.get(i + 1).copied().unwrap_or(n);
                mass(starts[i], end)
            })
            .collect();
        let sum: f64 = masses.iter().sum();
        let mut cdf = Vec::with_capacity(masses.len());
        let mut acc = 0.0;
        for m in &masses {
            acc += m;
            let c = libm::round(acc / sum * TOTAL as f64);
            cdf.push((c as u64).min(TOTAL));
        }
        if let Some(last) = cdf.last_mut() {
            *last = TOTAL;
        }
        Zipf { starts, cdf, n }
    }

    /// Draws a rank.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.below(TOTAL);
        // The first cell whose cumulative weight exceeds u.
        let cell = self.cdf.partition_point(|&c| c <= u);
        let cell = cell.min(self.cdf.len() - 1);
        let start = self.starts[cell];
        let end = self.starts.get(cell + 1).copied().unwrap_or(self.n);
        if end - start <= 1 {
            start
        } else {
            start + rng.below(end - start)
        }
    }
}

/// The request generator: pattern state plus its own random stream.
#[derive(Clone, Debug)]
pub struct Generator {
    pattern: Pattern,
    keys: u64,
    loop_len: u64,
    zipf: Option<Rc<Zipf>>,
    /// Requests generated so far (the position of `scan` and `loop`).
    n: u64,
    /// The current phase's shift of the working set.
    shift: u64,
    rng: Rng,
}

impl Generator {
    pub fn new(w: &Workload, keys: u64, rng: Rng) -> Generator {
        let zipf = w
            .pattern
            .is_skewed()
            .then(|| Rc::new(Zipf::new(keys, w.skew_milli)));
        Generator {
            pattern: w.pattern,
            keys: keys.max(1),
            loop_len: w.loop_len.max(1),
            zipf,
            n: 0,
            shift: 0,
            rng,
        }
    }

    /// Changes the Zipf skew from now on.
    pub fn set_skew(&mut self, skew_milli: u32) {
        if self.pattern.is_skewed() {
            self.zipf = Some(Rc::new(Zipf::new(self.keys, skew_milli)));
        }
    }

    /// Starts a phase: a new skew (for the skewed patterns) and a shifted working set.
    pub fn set_phase(&mut self, skew_milli: u32, shift: u64) {
        self.set_skew(skew_milli);
        self.shift = shift % self.keys;
    }

    /// The key of the next request.
    pub fn next_key(&mut self) -> u64 {
        let n = self.n;
        self.n += 1;
        let key = match self.pattern {
            Pattern::Zipf | Pattern::Mixed => match &self.zipf {
                Some(z) => z.sample(&mut self.rng),
                None => self.rng.below(self.keys),
            },
            Pattern::Uniform => self.rng.below(self.keys),
            Pattern::Scan => n % self.keys,
            Pattern::Loop => n % self.loop_len,
        };
        if self.shift == 0 {
            key
        } else {
            (key % self.keys + self.shift) % self.keys
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_is_skewed_towards_low_ranks_and_stays_in_range() {
        let z = Zipf::new(1000, 1000);
        let mut rng = Rng::new(5);
        let mut counts = [0u64; 1000];
        for _ in 0..100_000 {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        // With s = 1 and n = 1000, P(rank 0) = 1 / H(1000) ≈ 0.134, P(rank 1) ≈ 0.067.
        assert!((12_500..14_500).contains(&counts[0]), "{}", counts[0]);
        assert!((6_000..7_400).contains(&counts[1]), "{}", counts[1]);
        assert!(counts[0] > counts[9] && counts[9] > counts[99]);
    }

    #[test]
    fn large_key_spaces_use_few_cells() {
        let z = Zipf::new(10_000_000, 900);
        assert!(z.starts.len() < 70_000, "{}", z.starts.len());
        let mut rng = Rng::new(1);
        assert!((0..10_000).all(|_| z.sample(&mut rng) < 10_000_000));
        let zero = Zipf::new(100, 0);
        let mut counts = [0u32; 100];
        for _ in 0..20_000 {
            counts[zero.sample(&mut rng) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (120..280).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn scan_and_loop_are_sequential() {
        let mut w = Workload {
            pattern: Pattern::Loop,
            loop_len: 3,
            ..Workload::default()
        };
        let mut g = Generator::new(&w, 10, Rng::new(1));
        let keys: Vec<u64> = (0..7).map(|_| g.next_key()).collect();
        assert_eq!(keys, [0, 1, 2, 0, 1, 2, 0]);
        w.pattern = Pattern::Scan;
        let mut g = Generator::new(&w, 4, Rng::new(1));
        let keys: Vec<u64> = (0..6).map(|_| g.next_key()).collect();
        assert_eq!(keys, [0, 1, 2, 3, 0, 1]);
    }

    #[test]
    fn a_phase_shifts_the_working_set() {
        let w = Workload {
            pattern: Pattern::Loop,
            loop_len: 3,
            ..Workload::default()
        };
        let mut g = Generator::new(&w, 10, Rng::new(1));
        g.set_phase(900, 8);
        let keys: Vec<u64> = (0..4).map(|_| g.next_key()).collect();
        assert_eq!(keys, [8, 9, 0, 8]);
        let bad = Workload {
            phases: vec![
                Phase {
                    at_ms: 5,
                    ..Phase::default()
                },
                Phase {
                    at_ms: 5,
                    ..Phase::default()
                },
            ],
            ..Workload::default()
        };
        assert!(bad.validate().unwrap_err().contains("phases[1].at_ms"));
    }
}
