//! The parking lab's gate waits: the percentiles its cursors keep (`parking::waits::Waits`)
//! equal, after every recorded wait, the nearest-rank percentiles of a plain sort of the waits
//! recorded so far; and a run's `stats()` reports the same wait summaries as its metrics.
//!
//! ```text
//!   waits ─► Waits::record ─► summary()          (cursors, O(1) per read)
//!        └─► sort ─► ⌈p·n/100⌉-th smallest        (the oracle)         ─► equal after each wait
//! ```

use orrery_core::metrics::Summary;
use orrery_core::parking::lab::{ParkingLab, Scenario};
use orrery_core::parking::waits::Waits;
use orrery_core::run::Run;
use orrery_core::sim::Time;
use proptest::collection::vec;
use proptest::prelude::{prop_assert_eq, prop_oneof, proptest, ProptestConfig};
use proptest::strategy::Strategy;

/// Nearest-rank summary of a plain sort: the oracle.
fn sorted_summary(waits: &[Time]) -> Summary {
    if waits.is_empty() {
        return Summary::default();
    }
    let mut sorted = waits.to_vec();
    sorted.sort();
    let n = sorted.len() as u64;
    let at = |p: u64| sorted[((p * n).div_ceil(100).max(1) - 1) as usize];
    Summary {
        count: n,
        mean: (sorted.iter().map(|&w| w as u128).sum::<u128>() / n as u128) as u64,
        p50: at(50),
        p95: at(95),
        p99: at(99),
        max: sorted[sorted.len() - 1],
    }
}

/// Waits with many repeats (a few lengths), spread out, or at the extremes of `u64`.
fn waits() -> impl Strategy<Value = Vec<Time>> {
    let wait = prop_oneof![
        0u64..4,
        0u64..1_000,
        0u64..100_000_000,
        prop_oneof![0u64..2, (u64::MAX - 2)..=u64::MAX],
    ];
    vec(wait, 0..400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, rng_seed: proptest::test_runner::RngSeed::Fixed(50877), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn percentiles_equal_a_sort_of_the_recorded_waits(waits in waits()) {
        let mut w = Waits::default();
        prop_assert_eq!(w.summary(), Summary::default());
        for (i, &x) in waits.iter().enumerate() {
            w.record(x);
            prop_assert_eq!(w.summary(), sorted_summary(&waits[..=i]), "after {} waits", i + 1);
        }
        prop_assert_eq!(w.count(), waits.len() as u64);
        let h = w.histogram();
        prop_assert_eq!(h.summary(), sorted_summary(&waits));
        prop_assert_eq!(h.count(), waits.len() as u64);
    }

    #[test]
    fn waits_arriving_in_order_or_reversed_agree_with_the_sort(n in 1usize..600, up in proptest::bool::ANY) {
        let mut waits: Vec<Time> = (0..n as u64).map(|i| i * 7 % 50 + i / 3).collect();
        waits.sort();
        if !up {
            waits.reverse();
        }
        let mut w = Waits::default();
        for (i, &x) in waits.iter().enumerate() {
            w.record(x);
            prop_assert_eq!(w.summary(), sorted_summary(&waits[..=i]));
        }
    }
}

#[test]
fn a_runs_stats_report_the_wait_summaries_of_its_metrics() {
    let mut run = Run::<ParkingLab>::new(Scenario::default()).expect("the default scenario");
    for hour in 1..=6 {
        run.advance_to(hour * 3_600_000);
        let stats = run.sim().stats();
        let m = run.metrics();
        assert!(stats.entry_wait.count > 0, "hour {hour}: gates were used");
        assert_eq!(stats.entry_wait, m.summary("entry_wait_ms"), "hour {hour}");
        assert_eq!(stats.exit_wait, m.summary("exit_wait_ms"), "hour {hour}");
    }
}
