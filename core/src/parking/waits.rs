//! Gate queue waits, kept so that their percentiles can be read on every frame.
//!
//! The page redraws the headline figures (entry and exit wait p50 and p95) many times a second,
//! and after a simulated week of the 10,000-spot garage the entry gates alone have recorded
//! about 200,000 waits. Copying and sorting them on every read costs O(n log n) per frame.
//! Instead the waits are kept as a count per distinct length, with one cursor per reported
//! percentile that remembers where that percentile falls. Recording a wait moves each cursor by
//! at most one distinct length, so reading a percentile never walks the waits:
//!
//! ```text
//!   counts (ms):  850 ×3 │ 1200 ×2 │ 1900 ×3 │ 4100 ×2          n = 10
//!                          ▲ p50 cursor: at 1200 with 3 waits below; rank ⌈50·10/100⌉ = 5 ≤ 3 + 2 ✓
//!   record 4100:  n = 11, rank ⌈50·11/100⌉ = 6 > 3 + 2, so the cursor steps to 1900
//!                 with 5 below (5 < 6 ≤ 5 + 3 ✓); reading p50 is then just its value
//! ```
//!
//! | operation                 | cost                               |
//! |---------------------------|------------------------------------|
//! | [`Waits::record`]         | O(log d), d distinct wait lengths  |
//! | [`Waits::summary`]        | O(1)                               |
//! | [`Waits::histogram`]      | O(n), for [`crate::metrics`]       |
//!
//! Percentiles are nearest-rank (the ⌈p·n/100⌉-th smallest wait, 1-based), exactly what
//! [`Histogram::summary`] computes from the same waits, so nothing the lab reports changes;
//! `tests/parking_waits.rs` checks them against a sort of the recorded waits.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

use crate::metrics::{Histogram, Summary};
use crate::sim::Time;

/// The percentiles a [`Summary`] reports, in its field order.
const PERCENTS: [u64; 3] = [50, 95, 99];

/// Where one percentile falls among the recorded waits.
///
/// Invariant (with at least one wait): `below < rank ≤ below + at`, where `rank` is the
/// percentile's nearest rank, `below` counts the waits shorter than `value` and `at` those of
/// exactly `value` (kept here so that a wait that moves no cursor costs no look-up).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cursor {
    percent: u64,
    value: Time,
    below: u64,
    at: u64,
}

/// Waits in milliseconds, counted per distinct length, with their percentiles kept current.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waits {
    /// How many waits of each length.
    counts: BTreeMap<Time, u64>,
    count: u64,
    sum: u128,
    cursors: [Cursor; 3],
}

impl Default for Waits {
    fn default() -> Waits {
        Waits {
            counts: BTreeMap::new(),
            count: 0,
            sum: 0,
            cursors: PERCENTS.map(|percent| Cursor {
                percent,
                value: 0,
                below: 0,
                at: 0,
            }),
        }
    }
}

/// The nearest rank of `percent` among `n` values: ⌈percent·n/100⌉, at least 1.
fn nearest_rank(percent: u64, n: u64) -> u64 {
    (percent * n).div_ceil(100).max(1)
}

impl Waits {
    /// Records one wait and moves each percentile's cursor to where it now falls.
    pub fn record(&mut self, wait: Time) {
        *self.counts.entry(wait).or_default() += 1;
        self.count += 1;
        self.sum += wait as u128;
        for c in &mut self.cursors {
            if self.count == 1 {
                *c = Cursor {
                    percent: c.percent,
                    value: wait,
                    below: 0,
                    at: 1,
                };
                continue;
            }
            match wait.cmp(&c.value) {
                Ordering::Less => c.below += 1,
                Ordering::Equal => c.at += 1,
                Ordering::Greater => {}
            }
            let rank = nearest_rank(c.percent, self.count);
            // The rank moved below the cursor's length: step to the next shorter one.
            while rank <= c.below {
                let Some((&shorter, &k)) = self.counts.range(..c.value).next_back() else {
                    break;
                };
                c.value = shorter;
                c.below -= k;
                c.at = k;
            }
            // The rank moved past the cursor's length: step to the next longer one.
            while rank > c.below + c.at {
                let longer = self
                    .counts
                    .range((Bound::Excluded(c.value), Bound::Unbounded))
                    .next();
                let Some((&longer, &k)) = longer else {
                    break;
                };
                c.below += c.at;
                c.value = longer;
                c.at = k;
            }
        }
    }

    /// How many waits were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Count, mean, nearest-rank p50, p95, p99 and the longest wait; all zero when empty.
    pub fn summary(&self) -> Summary {
        if self.count == 0 {
            return Summary::default();
        }
        let [p50, p95, p99] = self.cursors.each_ref().map(|c| c.value);
        Summary {
            count: self.count,
            mean: (self.sum / self.count as u128) as u64,
            p50,
            p95,
            p99,
            max: self.counts.last_key_value().map_or(0, |(&v, _)| v),
        }
    }

    /// The waits as a [`Histogram`] for [`crate::sim::Simulation::metrics`], shortest first.
    pub fn histogram(&self) -> Histogram {
        let mut h = Histogram::default();
        for (&v, &k) in &self.counts {
            for _ in 0..k {
                h.record(v);
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagram_in_the_module_docs() {
        let mut w = Waits::default();
        for v in [850, 1200, 1900, 850, 4100, 1900, 850, 1200, 4100, 1900] {
            w.record(v);
        }
        assert_eq!((w.cursors[0].value, w.cursors[0].below), (1200, 3));
        w.record(4100);
        assert_eq!((w.cursors[0].value, w.cursors[0].below), (1900, 5));
        let s = w.summary();
        assert_eq!(
            (s.count, s.p50, s.p95, s.p99, s.max),
            (11, 1900, 4100, 4100, 4100)
        );
        assert_eq!(s, w.histogram().summary());
    }

    #[test]
    fn empty_is_all_zero() {
        assert_eq!(Waits::default().summary(), Summary::default());
        assert_eq!(Waits::default().histogram(), Histogram::default());
    }
}
