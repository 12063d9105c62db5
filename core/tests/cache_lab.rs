//! Cache lab behaviour: event-log snapshots of tiny caches for every command, the lab's policy
//! against a plain trace replay of the same keys, and the stampede with and without
//! single-flight.

use expect_test::{expect, Expect};
use orrery_core::cache::lab::{Arrivals, CacheLab, Scenario};
use orrery_core::cache::policy;
use orrery_core::cache::replay::replay;
use orrery_core::cache::workload::{Pattern, Workload};
use orrery_core::run::{EntryKind, Run};
use orrery_core::sim::{Simulation, Time};

/// Capacity 3, keys 0..10, one request a second, evenly spaced.
fn tiny(pattern: Pattern) -> Scenario {
    Scenario {
        capacity: 3,
        keys: 10,
        rate_per_s: 1,
        arrivals: Arrivals::Uniform,
        origin_latency_ms: 300,
        workload: Workload {
            pattern,
            loop_len: 4,
            ..Workload::default()
        },
        ..Scenario::default()
    }
}

fn run_of(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> Run<CacheLab> {
    Run::scripted(scenario, commands, until).expect("valid scenario and commands")
}

/// Runs `commands` (`(time_ms, command JSON)`) to `until` ms and compares the log.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    expect.assert_eq(&run_of(scenario, commands, until).transcript());
}

#[test]
fn a_loop_longer_than_the_cache_always_misses_under_lru() {
    check(
        tiny(Pattern::Loop),
        &[],
        6_500,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            2.000s get 1: miss, fetching
            2.300s fetched 1 from origin
            3.000s get 2: miss, fetching
            3.300s fetched 2 from origin
            4.000s get 3: miss, fetching (evicts 0)
            4.300s fetched 3 from origin
            5.000s get 0: miss, fetching (evicts 1)
            5.300s fetched 0 from origin
            6.000s get 1: miss, fetching (evicts 2)
            6.300s fetched 1 from origin
        "#]],
    );
}

#[test]
fn gets_by_hand_hit_and_flush_empties_the_cache() {
    check(
        tiny(Pattern::Scan),
        &[
            (1_500, r#"{"get":{"key":0}}"#),
            (1_600, r#""flush""#),
            (1_600, r#"{"get":{"key":0}}"#),
        ],
        2_500,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            1.500s > {"get":{"key":0}}
            1.500s get 0: hit
            1.600s > "flush"
            1.600s cache flushed
            1.600s > {"get":{"key":0}}
            1.600s get 0: miss, fetching
            1.900s fetched 0 from origin
            2.000s get 1: miss, fetching
            2.300s fetched 1 from origin
        "#]],
    );
}

#[test]
fn policy_changes_start_cold_and_opt_is_refused() {
    check(
        tiny(Pattern::Loop),
        &[
            (2_500, r#"{"set_policy":{"policy":"arc"}}"#),
            (2_600, r#"{"set_policy":{"policy":"opt"}}"#),
            (2_700, r#"{"set_policy":{"policy":"mru"}}"#),
        ],
        3_500,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            2.000s get 1: miss, fetching
            2.300s fetched 1 from origin
            2.500s > {"set_policy":{"policy":"arc"}}
            2.500s policy is now arc (cold cache)
            2.600s > {"set_policy":{"policy":"opt"}} refused: opt (Belady) needs to know every future request, so it cannot run live; compare against it in trace replay
            2.700s > {"set_policy":{"policy":"mru"}} refused: no eviction policy "mru"; policies: lru, fifo, clock, lfu, 2q, arc, sieve, lirs, s3fifo, wtinylfu
            3.000s get 2: miss, fetching
            3.300s fetched 2 from origin
        "#]],
    );
}

#[test]
fn a_scan_burst_requests_new_keys_once_a_millisecond() {
    check(
        tiny(Pattern::Loop),
        &[
            (1_500, r#"{"burst":{"len":4}}"#),
            (1_600, r#"{"burst":{"len":0}}"#),
        ],
        1_900,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            1.500s > {"burst":{"len":4}}
            1.500s scan burst of 4 keys
            1.500s get 10: miss, fetching
            1.501s get 11: miss, fetching
            1.502s get 12: miss, fetching (evicts 0)
            1.503s get 13: miss, fetching (evicts 10)
            1.600s > {"burst":{"len":0}} refused: a burst is 1 to 100000 keys, not 0
            1.800s fetched 10 from origin
            1.801s fetched 11 from origin
            1.802s fetched 12 from origin
            1.803s fetched 13 from origin
        "#]],
    );
}

#[test]
fn skew_applies_to_zipf_only() {
    check(
        tiny(Pattern::Zipf),
        &[(500, r#"{"set_skew":{"skew_milli":1500}}"#)],
        1_000,
        expect![[r#"
            0.500s > {"set_skew":{"skew_milli":1500}}
            0.500s zipf skew is now 1.500
            1.000s get 5: miss, fetching
        "#]],
    );
    check(
        tiny(Pattern::Uniform),
        &[
            (500, r#"{"set_skew":{"skew_milli":1500}}"#),
            (600, r#"{"set_skew":{"skew_milli":1500}}"#),
        ],
        500,
        expect![[r#"
            0.500s > {"set_skew":{"skew_milli":1500}} refused: the workload is uniform: skew applies to zipf and mixed
        "#]],
    );
}

#[test]
fn a_down_origin_fails_misses_but_hits_are_still_served() {
    check(
        tiny(Pattern::Loop),
        &[
            (1_500, r#"{"origin_down":{"on":true}}"#),
            (1_500, r#"{"origin_down":{"on":true}}"#),
            (1_600, r#"{"get":{"key":0}}"#),
            (2_400, r#"{"origin_down":{"on":false}}"#),
        ],
        3_500,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            1.500s > {"origin_down":{"on":true}}
            1.500s origin is down
            1.500s > {"origin_down":{"on":true}} refused: the origin is already down
            1.600s > {"get":{"key":0}}
            1.600s get 0: hit
            2.000s get 1: miss, fetching from a down origin
            2.300s origin down: get 1 failed
            2.400s > {"origin_down":{"on":false}}
            2.400s origin is back up
            3.000s get 2: miss, fetching
            3.300s fetched 2 from origin
        "#]],
    );
    let run = run_of(
        tiny(Pattern::Loop),
        &[(1_500, r#"{"origin_down":{"on":true}}"#)],
        2_500,
    );
    let m = run.metrics();
    assert_eq!((m.counter("requests"), m.counter("failed")), (2, 1));
    assert_eq!(
        run.sim().view().used,
        1,
        "nothing admitted from a down origin"
    );
}

/// N requests for the hottest key right after a flush, before its fetch completes.
fn stampede(single_flight: bool, n: usize) -> Run<CacheLab> {
    let scenario = Scenario {
        single_flight,
        ..tiny(Pattern::Loop)
    };
    let mut commands = vec![(1_500, r#""flush""#)];
    commands.extend(std::iter::repeat_n((1_500, r#"{"get":{"key":0}}"#), n));
    run_of(scenario, &commands, 1_900)
}

#[test]
fn the_stampede_and_its_cure() {
    let fetches = |run: &Run<CacheLab>| run.metrics().counter("origin_fetches");
    let off = stampede(false, 5);
    let on = stampede(true, 5);
    // One fetch of key 0 before the flush, then 5 without single-flight, 1 with it.
    assert_eq!(fetches(&off), 1 + 5);
    assert_eq!(fetches(&on), 1 + 1);
    assert_eq!(on.metrics().counter("coalesced"), 4);
    assert_eq!(off.violation(), None);
    assert_eq!(on.violation(), None);
    let tail = |run: &Run<CacheLab>| -> String {
        run.log()
            .iter()
            .filter(|e| e.time >= 1_500 && !matches!(e.kind, EntryKind::Command(_)))
            .map(|e| e.line().trim_start().to_string() + "\n")
            .collect()
    };
    expect![[r#"
        1.500s cache flushed
        1.500s get 0: miss, fetching
        1.500s get 0: miss, fetching, 2 fetches of it in flight
        1.500s get 0: miss, fetching, 3 fetches of it in flight
        1.500s get 0: miss, fetching, 4 fetches of it in flight
        1.500s get 0: miss, fetching, 5 fetches of it in flight
        1.800s fetched 0 from origin
        1.800s fetched 0 from origin
        1.800s fetched 0 from origin
        1.800s fetched 0 from origin
        1.800s fetched 0 from origin
    "#]]
    .assert_eq(&tail(&off));
    expect![[r#"
        1.500s cache flushed
        1.500s get 0: miss, fetching
        1.500s get 0: waits for the fetch in flight
        1.500s get 0: waits for the fetch in flight
        1.500s get 0: waits for the fetch in flight
        1.500s get 0: waits for the fetch in flight
        1.800s fetched 0 from origin for 5 requests
    "#]]
    .assert_eq(&tail(&on));
    let view = on.sim().view();
    let outcomes: Vec<&str> = view.recent.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "miss",
            "miss",
            "coalesced",
            "coalesced",
            "coalesced",
            "coalesced"
        ]
    );
}

/// The keys the lab requested, in order, from its log.
fn requested_keys(run: &Run<CacheLab>) -> Vec<u64> {
    run.log()
        .iter()
        .filter_map(|e| {
            let line = e.line();
            let rest = line.trim_start().split_once(" get ")?.1;
            let (key, outcome) = rest.split_once(':')?;
            (!outcome.contains("origin down")).then(|| key.parse().ok())?
        })
        .collect()
}

#[test]
fn the_lab_does_not_distort_the_policy() {
    for latency in [0, 250] {
        let scenario = Scenario {
            seed: 11,
            capacity: 50,
            keys: 2_000,
            rate_per_s: 200,
            origin_latency_ms: latency,
            ..Scenario::default()
        };
        let run = run_of(scenario, &[], 60_000);
        let keys = requested_keys(&run);
        assert!(keys.len() > 10_000, "{}", keys.len());
        let mut lru = policy::by_name("lru", 50).expect("lru");
        let stats = replay(lru.as_mut(), &keys);
        let m = run.metrics();
        assert_eq!(m.counter("requests"), stats.requests);
        // The policy saw exactly the replayed sequence: same state, and with an instant origin
        // the same hits; with a slow one, some policy hits wait for a fetch still in flight.
        assert_eq!(
            run.sim().policy().segments(usize::MAX),
            lru.segments(usize::MAX)
        );
        if latency == 0 {
            assert_eq!(m.counter("hits"), stats.hits);
        } else {
            assert!(m.counter("hits") < stats.hits);
            assert!(m.counter("hits") + m.counter("misses") >= stats.hits);
        }
        assert!(stats.hit_ratio_bp() > 2_000, "{}", stats.hit_ratio_bp());
    }
}

#[test]
fn every_policy_keeps_the_invariants_under_every_pattern() {
    for name in policy::NAMES {
        for pattern in [
            Pattern::Zipf,
            Pattern::Uniform,
            Pattern::Scan,
            Pattern::Loop,
            Pattern::Mixed,
        ] {
            for single_flight in [false, true] {
                let scenario = Scenario {
                    policy: name.to_string(),
                    capacity: 20,
                    keys: 100,
                    rate_per_s: 100,
                    single_flight,
                    workload: Workload {
                        pattern,
                        loop_len: 30,
                        burst_every_ms: 5_000,
                        burst_len: 50,
                        ..Workload::default()
                    },
                    ..Scenario::default()
                };
                let run = run_of(
                    scenario,
                    &[
                        (3_000, r#"{"origin_down":{"on":true}}"#),
                        (4_000, r#"{"origin_down":{"on":false}}"#),
                        (6_000, r#"{"burst":{"len":40}}"#),
                    ],
                    20_000,
                );
                assert_eq!(run.violation(), None, "{name} {pattern:?} {single_flight}");
                let view = run.sim().view();
                assert!(view.used <= 20);
                assert!(!view.segments.is_empty());
                assert!(view.segments.iter().all(|(_, k)| k.len() <= 256));
                assert!(view.recent.len() <= 64);
            }
        }
    }
}

#[test]
fn views_show_the_policy_lists() {
    let run = run_of(
        Scenario {
            policy: "arc".into(),
            ..tiny(Pattern::Loop)
        },
        &[],
        9_500,
    );
    let view = run.sim().view();
    let names: Vec<&str> = view.segments.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["T1", "T2", "B1", "B2"]);
    assert!(view.arc_p_milli.is_some());
    // CLOCK draws its queue newest first, the hand at the end; LFU has no inspection view and
    // falls back to the cached keys in key order.
    let run = run_of(
        Scenario {
            policy: "clock".into(),
            ..tiny(Pattern::Loop)
        },
        &[],
        9_500,
    );
    let view = run.sim().view();
    assert_eq!(view.segments, [("CLOCK".to_string(), vec![0, 3, 2])]);
    let run = run_of(
        Scenario {
            policy: "lfu".into(),
            ..tiny(Pattern::Loop)
        },
        &[],
        9_500,
    );
    let view = run.sim().view();
    assert_eq!(view.segments, [("cache".to_string(), vec![0, 2, 3])]);
}

#[test]
fn out_of_range_scenarios_name_the_field() {
    for (json, field) in [
        (serde_json::json!({"capacity": 0}), "capacity"),
        (serde_json::json!({"keys": 20_000_000}), "keys"),
        (serde_json::json!({"rate_per_s": 0}), "rate_per_s"),
        (serde_json::json!({"policy": "opt"}), "policy"),
        (serde_json::json!({"policy": "nope"}), "policy"),
        (
            serde_json::json!({"origin_latency_ms": 100_000}),
            "origin_latency_ms",
        ),
        (
            serde_json::json!({"workload": {"skew_milli": 9_000}}),
            "skew_milli",
        ),
        (serde_json::json!({"workload": {"loop_len": 0}}), "loop_len"),
    ] {
        let scenario: Scenario = serde_json::from_value(json.clone()).expect("parses");
        let err = CacheLab::new(&scenario).err().unwrap_or_default();
        assert!(err.contains(field), "{json}: {err}");
    }
    let old: Scenario = serde_json::from_value(serde_json::json!({})).expect("defaults");
    assert_eq!(old, Scenario::default());
}
