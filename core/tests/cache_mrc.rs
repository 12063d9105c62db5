//! Miss-ratio curves: the one-pass LRU curve equals replaying LRU at every capacity (random
//! traces and the ARC paper's OLTP figures), the sliced job's result does not depend on the
//! slice size, and OPT's curve is never below any other policy's.
//!
//! The seed is fixed (proptest's `RngSeed::Fixed`), so a failure reproduces run after run.

use std::path::PathBuf;

use orrery_core::cache::mrc::{even_capacities, lru_hits, MrcJob, StackDistances};
use orrery_core::cache::policy::{lru::Lru, NAMES};
use orrery_core::cache::replay::replay;
use orrery_core::cache::trace::{self, Format};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        rng_seed: RngSeed::Fixed(0x006d_7263),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn trace_strategy() -> impl Strategy<Value = Vec<u64>> {
    (1u64..80).prop_flat_map(|space| prop::collection::vec(0..space, 0..400))
}

#[test]
fn the_worked_example_of_the_module_documentation() {
    // a b a c a b
    let s = StackDistances::of(&[0, 1, 0, 2, 0, 1]);
    assert_eq!(s.cold(), 3);
    assert_eq!(s.histogram(), &[0, 2, 1]);
    assert_eq!(s.hits(&[0, 1, 2, 3, 100]), [0, 0, 2, 3, 3]);
}

#[test]
fn even_capacities_are_spaced_up_to_the_max() {
    assert_eq!(even_capacities(4, 100), [25, 50, 75, 100]);
    assert_eq!(even_capacities(3, 10), [4, 7, 10]);
    assert_eq!(even_capacities(5, 2), [1, 2]);
    assert!(even_capacities(0, 10).is_empty());
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn one_pass_lru_equals_replay_at_every_capacity(keys in trace_strategy()) {
        let capacities: Vec<u64> = (1..=50).collect();
        let hits = lru_hits(&keys, &capacities);
        for (&c, &h) in capacities.iter().zip(&hits) {
            let s = replay(&mut Lru::new(c), &keys);
            prop_assert_eq!(h, s.hits, "capacity {}", c);
        }
    }

    #[test]
    fn opt_is_never_below_any_policy(keys in trace_strategy()) {
        let mut names: Vec<&str> = NAMES.to_vec();
        names.push("opt");
        let capacities: Vec<u64> = (1..=12).collect();
        let curves = MrcJob::new(keys.clone(), &names, &capacities).expect("a job").run();
        let opt = &curves.curves[names.len() - 1];
        assert_eq!(opt.policy, "opt");
        for curve in &curves.curves {
            for (i, (&h, &best)) in curve.hits.iter().zip(&opt.hits).enumerate() {
                prop_assert!(
                    h <= best,
                    "{} at {}: {} hits, OPT {}", curve.policy, capacities[i], h, best
                );
            }
        }
    }

    #[test]
    fn the_job_result_does_not_depend_on_the_step_budget(
        keys in trace_strategy(),
        budget in 1u64..50,
    ) {
        let names = ["lru", "arc", "opt", "sieve"];
        let capacities = [1, 3, 7, 20];
        let whole = MrcJob::new(keys.clone(), &names, &capacities).expect("a job").run();
        for b in [1, budget, 1000] {
            let mut job = MrcJob::new(keys.clone(), &names, &capacities).expect("a job");
            let mut last = job.progress();
            prop_assert_eq!(last.done, 0);
            prop_assert_eq!(last.total, keys.len() as u64 * (1 + 3 * 4));
            while job.result().is_none() {
                let p = job.step(b);
                prop_assert!(p.done - last.done <= b, "a step did more than its budget");
                prop_assert!(p.done > last.done || p.total == 0 || job.result().is_some());
                last = p;
            }
            prop_assert_eq!(last.done, last.total);
            prop_assert_eq!(job.result(), Some(whole.clone()));
        }
        for (i, &c) in capacities.iter().enumerate() {
            let mut p = orrery_core::cache::policy::by_name("arc", c).expect("arc");
            prop_assert_eq!(whole.curves[1].hits[i], replay(&mut *p, &keys).hits);
        }
    }
}

#[test]
fn unknown_policies_are_errors() {
    let e = MrcJob::new(vec![1, 2, 3], &["lru", "nope"], &[1])
        .err()
        .expect("an error");
    assert!(e.contains("no eviction policy \"nope\""), "{e}");
}

#[test]
fn an_empty_trace_or_no_capacities_finish_at_once() {
    let mut job = MrcJob::new(Vec::new(), &["lru", "arc"], &[1, 2]).expect("a job");
    assert_eq!(job.step(1).total, 0);
    let c = job.result().expect("done");
    assert_eq!(c.curves[0].hits, [0, 0]);
    let c = MrcJob::new(vec![1, 1], &["lru", "opt"], &[])
        .expect("a job")
        .run();
    assert!(c.curves.iter().all(|c| c.hits.is_empty()));
}

#[test]
fn one_pass_lru_reproduces_the_published_oltp_figures() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/cache/OLTP.lis.gz");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("skipping: {} is absent ({e})", path.display());
            return;
        }
    };
    let keys = trace::parse(&bytes, Format::Arc).expect("the trace parses");
    let capacities = [1000, 2000, 5000, 10000, 15000];
    let curves = MrcJob::new(keys, &["lru"], &capacities)
        .expect("a job")
        .run();
    let got: Vec<String> = (0..capacities.len())
        .map(|i| curves.stats(0, i).percent())
        .collect();
    assert_eq!(got, ["32.83", "42.47", "53.65", "60.70", "64.63"]);
}
