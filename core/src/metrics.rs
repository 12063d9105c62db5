//! Metrics every lab reports: counters, gauges sampled over time, and histograms with
//! nearest-rank percentiles.
//!
//! Names are stable strings (`"wait_ms"`, `"delivered"`); the command-line runner prints them as
//! JSON and the web app charts them. All values are integers: floats appear only in views.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::Time;

/// A value that changes over time, kept as `(time, value)` samples at each change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub samples: Vec<(Time, i64)>,
}

impl Series {
    /// Records `value` at `time`, replacing a sample at the same time and skipping repeats.
    pub fn set(&mut self, time: Time, value: i64) {
        match self.samples.last_mut() {
            Some((t, v)) if *t == time => *v = value,
            Some((_, v)) if *v == value => {}
            _ => self.samples.push((time, value)),
        }
    }

    pub fn last(&self) -> i64 {
        self.samples.last().map_or(0, |s| s.1)
    }

    pub fn max(&self) -> i64 {
        self.samples.iter().map(|s| s.1).max().unwrap_or(0)
    }
}

/// All samples of one quantity; percentiles are computed on demand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    samples: Vec<u64>,
}

/// The usual summary of a histogram.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub count: u64,
    pub mean: u64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

impl Histogram {
    pub fn record(&mut self, value: u64) {
        self.samples.push(value);
    }

    pub fn count(&self) -> u64 {
        self.samples.len() as u64
    }

    /// Nearest-rank percentile summary; all zero when empty.
    pub fn summary(&self) -> Summary {
        if self.samples.is_empty() {
            return Summary::default();
        }
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let n = sorted.len() as u64;
        let rank = |p: u64| {
            // Nearest rank: ceil(p/100 * n), 1-based.
            let r = (p * n).div_ceil(100).max(1);
            sorted[(r - 1) as usize]
        };
        let sum: u128 = sorted.iter().map(|&x| x as u128).sum();
        Summary {
            count: n,
            mean: (sum / n as u128) as u64,
            p50: rank(50),
            p95: rank(95),
            p99: rank(99),
            max: *sorted.last().unwrap_or(&0),
        }
    }
}

/// Everything a lab measures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    pub counters: BTreeMap<String, u64>,
    pub gauges: BTreeMap<String, Series>,
    pub histograms: BTreeMap<String, Histogram>,
}

impl Metrics {
    pub fn add(&mut self, name: &str, by: u64) {
        *self.counters.entry(name.to_string()).or_default() += by;
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    pub fn gauge(&mut self, name: &str, time: Time, value: i64) {
        self.gauges
            .entry(name.to_string())
            .or_default()
            .set(time, value);
    }

    pub fn record(&mut self, name: &str, value: u64) {
        self.histograms
            .entry(name.to_string())
            .or_default()
            .record(value);
    }

    pub fn summary(&self, name: &str) -> Summary {
        self.histograms
            .get(name)
            .map(Histogram::summary)
            .unwrap_or_default()
    }

    /// A JSON object: counters as numbers, gauges as `{last, max}`, histograms as summaries.
    pub fn to_json(&self) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        for (k, v) in &self.counters {
            obj.insert(k.clone(), (*v).into());
        }
        for (k, g) in &self.gauges {
            obj.insert(
                k.clone(),
                serde_json::json!({ "last": g.last(), "max": g.max() }),
            );
        }
        for (k, h) in &self.histograms {
            let s = h.summary();
            obj.insert(
                k.clone(),
                serde_json::json!({
                    "count": s.count, "mean": s.mean, "p50": s.p50,
                    "p95": s.p95, "p99": s.p99, "max": s.max
                }),
            );
        }
        serde_json::Value::Object(obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut h = Histogram::default();
        for v in 1..=100 {
            h.record(v);
        }
        let s = h.summary();
        assert_eq!((s.p50, s.p95, s.p99, s.max, s.mean), (50, 95, 99, 100, 50));
        let mut one = Histogram::default();
        one.record(7);
        assert_eq!(one.summary().p99, 7);
        assert_eq!(Histogram::default().summary(), Summary::default());
    }

    #[test]
    fn series_skips_repeats_and_merges_same_time() {
        let mut s = Series::default();
        s.set(0, 1);
        s.set(5, 1);
        s.set(5, 2);
        s.set(5, 3);
        s.set(9, 0);
        assert_eq!(s.samples, vec![(0, 1), (5, 3), (9, 0)]);
        assert_eq!((s.last(), s.max()), (0, 3));
    }
}
