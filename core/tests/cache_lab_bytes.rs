//! The cache lab with a capacity in bytes (`capacity_unit: bytes`): a miss evicts until the new
//! value fits, a value larger than the whole cache is not admitted and counted, the byte hit
//! ratio is reported, and only the policies that honour sizes may run. A seeded fuzzer runs
//! every sized policy with writes, TTLs and faults and checks the lab's invariants (bytes cached
//! never above the capacity and equal to the sizes of the resident keys) after every step.

use expect_test::{expect, Expect};
use orrery_core::cache::lab::{Arrivals, CacheLab, CapacityUnit, Command, Scenario, WriteStrategy};
use orrery_core::cache::policy::NAMES;
use orrery_core::cache::store::object_size;
use orrery_core::cache::workload::{Pattern, Workload};
use orrery_core::rng::Rng;
use orrery_core::run::Run;
use orrery_core::sim::{Simulation, Time};

/// 30,000 bytes of LRU, values of 2,000 to 40,000 bytes (some larger than the cache), one
/// background read a second of key 0; the rest by hand.
fn bytes() -> Scenario {
    Scenario {
        capacity: 30_000,
        capacity_unit: CapacityUnit::Bytes,
        min_size_bytes: 2_000,
        max_size_bytes: 40_000,
        keys: 10,
        rate_per_s: 1,
        arrivals: Arrivals::Uniform,
        origin_latency_ms: 100,
        workload: Workload {
            pattern: Pattern::Loop,
            loop_len: 1,
            ..Workload::default()
        },
        ..Scenario::default()
    }
}

fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    let sizes: Vec<String> = (0..scenario.keys)
        .map(|k| {
            let size = object_size(
                scenario.seed,
                k,
                scenario.min_size_bytes,
                scenario.max_size_bytes,
            );
            format!("{k}:{size}")
        })
        .collect();
    let mut text = format!("sizes {}\n", sizes.join(" "));
    let run = Run::<CacheLab>::scripted(scenario, commands, until).expect("valid");
    for e in run.log() {
        text.push_str(e.line().trim_start());
        text.push('\n');
    }
    let sim = run.sim();
    let view = sim.view();
    let sizes: Vec<String> = view
        .entries
        .iter()
        .map(|e| format!("{}:{}", e.key, e.size))
        .collect();
    let m = run.metrics();
    text.push_str(&format!(
        "cached {} ({} of {} bytes); requests={} hits={} not_admitted={} bytes_hit={} of {}\n",
        sizes.join(" "),
        view.used,
        view.capacity,
        m.counter("requests"),
        m.counter("hits"),
        m.counter("not_admitted"),
        m.counter("bytes_hit"),
        m.counter("bytes_requested"),
    ));
    if let Some((t, _, v)) = run.violation() {
        text.push_str(&format!("VIOLATION at {t}: {v}\n"));
    }
    expect.assert_eq(&text);
}

#[test]
fn a_miss_evicts_until_the_value_fits_and_a_huge_value_is_not_cached() {
    // 0 and 2 fit together (28,554 bytes); 7 evicts 0; 6 evicts 7 and then 2; 1 (39,689
    // bytes) never fits and is not cached (its request is still served from the origin); 2
    // again no longer fits beside 6.
    check(
        bytes(),
        &[
            (1_200, r#"{"get":{"key":2}}"#),
            (1_300, r#"{"get":{"key":7}}"#),
            (1_500, r#"{"get":{"key":2}}"#),
            (1_600, r#"{"get":{"key":6}}"#),
            (1_700, r#"{"get":{"key":1}}"#),
            (1_900, r#"{"get":{"key":2}}"#),
        ],
        2_000,
        expect![[r#"
            sizes 0:17746 1:39689 2:10808 3:31080 4:38262 5:35350 6:24288 7:14458 8:36364 9:28492
            1.000s get 0: miss, fetching
            1.100s fetched 0 from origin
            1.200s > {"get":{"key":2}}
            1.200s get 2: miss, fetching
            1.300s fetched 2 from origin
            1.300s > {"get":{"key":7}}
            1.300s get 7: miss, fetching (evicts 0)
            1.400s fetched 7 from origin
            1.500s > {"get":{"key":2}}
            1.500s get 2: hit
            1.600s > {"get":{"key":6}}
            1.600s get 6: miss, fetching (evicts 7, 2)
            1.700s fetched 6 from origin
            1.700s > {"get":{"key":1}}
            1.700s 1 is 39689 bytes, larger than the whole cache (30000 bytes): not cached
            1.700s get 1: miss, fetching
            1.800s fetched 1 from origin
            1.900s > {"get":{"key":2}}
            1.900s get 2: miss, fetching (evicts 6)
            2.000s fetched 2 from origin
            2.000s get 0: miss, fetching
            cached 2:10808 (28554 of 30000 bytes); requests=8 hits=1 not_admitted=1 bytes_hit=10808 of 146351
        "#]],
    );
}

#[test]
fn every_policy_runs_in_bytes() {
    for name in NAMES {
        let s = Scenario {
            policy: name.to_string(),
            compare_policy: Some(
                NAMES[(NAMES.iter().position(|n| n == name).unwrap() + 3) % NAMES.len()]
                    .to_string(),
            ),
            ..bytes()
        };
        let mut run = Run::<CacheLab>::new(s).unwrap_or_else(|e| panic!("{name}: {e}"));
        run.advance_to(5_000);
        assert!(run.violation().is_none(), "{name}");
        let view = run.sim().view();
        assert!(view.used <= view.capacity, "{name}");
    }
    let mut run = Run::<CacheLab>::new(bytes()).expect("valid");
    assert!(run
        .apply(Command::SetPolicy {
            policy: "arc".into(),
        })
        .is_ok());
    let refusal = run
        .apply(Command::SetPolicy {
            policy: "opt".into(),
        })
        .expect_err("opt needs the future");
    assert!(
        refusal.0.contains("opt") || refusal.0.contains("OPT"),
        "{}",
        refusal.0
    );
    let s = Scenario {
        capacity: 2_000_000,
        ..bytes()
    };
    assert!(
        CacheLab::new(&s).is_ok(),
        "a byte capacity may pass a million"
    );
    let s = Scenario {
        capacity: 2_000_000,
        ..Scenario::default()
    };
    let err = CacheLab::new(&s).err().unwrap_or_default();
    assert!(err.contains("objects"), "{err}");
}

#[test]
fn fuzz_sized_policies_keep_their_byte_books() {
    let mut rng = Rng::new(0xB17E5);
    let mut not_admitted = 0;
    for case in 0..40 {
        let policy = NAMES[rng.range(0, NAMES.len() as u64 - 1) as usize];
        let min = rng.range(1, 5_000);
        let scenario = Scenario {
            seed: rng.next_u64(),
            policy: policy.into(),
            capacity: rng.range(1_000, 60_000),
            capacity_unit: CapacityUnit::Bytes,
            min_size_bytes: min,
            max_size_bytes: min + rng.range(0, 20_000),
            keys: rng.range(5, 60),
            rate_per_s: 50,
            origin_latency_ms: rng.range(0, 200) as u32,
            write_percent: rng.range(0, 30) as u32,
            ttl_ms: [0, 300][rng.range(0, 1) as usize],
            write_strategy: [
                WriteStrategy::WriteAround,
                WriteStrategy::WriteThrough,
                WriteStrategy::WriteBack,
                WriteStrategy::WriteBehind,
            ][rng.range(0, 3) as usize],
            ..Scenario::default()
        };
        let mut run = Run::<CacheLab>::new(scenario.clone()).expect("valid scenario");
        for step in 0..50u64 {
            run.advance_to(step * 100);
            if rng.range(0, 20) == 0 {
                let policy = NAMES[rng.range(0, NAMES.len() as u64 - 1) as usize];
                let _ = run.apply(Command::SetPolicy {
                    policy: policy.into(),
                });
            }
            if let Some((t, _, v)) = run.violation() {
                panic!("case {case} ({scenario:?}): violation at {t}: {v}");
            }
            let view = run.sim().view();
            assert!(view.used <= view.capacity, "case {case}");
        }
        let m = run.metrics();
        assert!(m.counter("bytes_hit") <= m.counter("bytes_requested"));
        let refused = run
            .log()
            .iter()
            .filter(|e| e.line().contains("larger than the whole cache"))
            .count() as u64;
        assert_eq!(m.counter("not_admitted"), refused, "case {case}");
        not_admitted += refused;
    }
    assert!(not_admitted > 0, "some values were larger than their cache");
}

#[test]
fn the_byte_hit_ratio_favours_small_values() {
    // Under LRU in bytes, small values fit more of them, so of the same requests the bytes hit
    // are a smaller share than the hits: the byte hit ratio is below the hit ratio.
    let s = Scenario {
        capacity: 200_000,
        capacity_unit: CapacityUnit::Bytes,
        keys: 500,
        rate_per_s: 200,
        ..Scenario::default()
    };
    let run = Run::<CacheLab>::scripted(s, &[], 60_000).expect("valid");
    let m = run.metrics();
    let hit_bp = m.counter("hits") * 10_000 / m.counter("requests");
    let byte_bp = m.counter("bytes_hit") * 10_000 / m.counter("bytes_requested");
    expect!["hit ratio 2701 bp, byte hit ratio 2283 bp"].assert_eq(&format!(
        "hit ratio {hit_bp} bp, byte hit ratio {byte_bp} bp"
    ));
    assert!(run.sim().check().is_none());
}
