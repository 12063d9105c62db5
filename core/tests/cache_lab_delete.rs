//! The cache lab deletes entries from its eviction policy whenever it drops a value
//! ([`orrery_core::cache::Policy::remove`]): a write-around invalidation, an expired value found
//! on a read, a fetch that leaves nothing to cache, a node change. The snapshots show the
//! policy's lists beside the log, so the freed slot is visible: the next miss takes it without
//! evicting. A seeded fuzzer checks that the policy never holds a slot the lab has no use for:
//! every resident key without a value is waiting for a fetch or a store write in flight.

use expect_test::{expect, Expect};
use orrery_core::cache::lab::{Arrivals, CacheLab, Command, ReadStrategy, Scenario, WriteStrategy};
use orrery_core::cache::workload::{Pattern, Workload};
use orrery_core::rng::Rng;
use orrery_core::run::Run;
use orrery_core::sim::Time;

/// Capacity 2, keys 0..10 (none requested in the background before 60 s), a store 300 ms away;
/// everything below is done by hand.
fn quiet(write_strategy: WriteStrategy) -> Scenario {
    Scenario {
        capacity: 2,
        keys: 10,
        rate_per_s: 1,
        arrivals: Arrivals::Uniform,
        origin_latency_ms: 300,
        write_strategy,
        flush_every_ms: 0,
        workload: Workload {
            pattern: Pattern::Loop,
            loop_len: 1,
            ..Workload::default()
        },
        ..Scenario::default()
    }
}

/// Applies `commands` at their times and writes the log, each entry followed by the policy's
/// lists when they changed.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    let mut run = Run::<CacheLab>::new(scenario).expect("valid scenario");
    let mut text = String::new();
    let mut shown = 0;
    let mut last = String::new();
    let mut flush = |run: &Run<CacheLab>, text: &mut String| {
        for e in &run.log()[shown..] {
            text.push_str(e.line().trim_start());
            text.push('\n');
        }
        shown = run.log().len();
        let lists = format!("{:?}", run.sim().policy().segments(8));
        if lists != last {
            text.push_str(&format!(
                "    policy {lists}, used {}\n",
                run.sim().policy().used()
            ));
            last = lists;
        }
    };
    for &(t, json) in commands {
        run.advance_to(t);
        flush(&run, &mut text);
        let command: Command = serde_json::from_str(json).expect("command");
        run.apply(command).expect("accepted");
        flush(&run, &mut text);
    }
    run.advance_to(until);
    flush(&run, &mut text);
    let m = run.metrics();
    text.push_str(&format!(
        "hits={} misses={} evictions={} deletions={}\n",
        m.counter("hits"),
        m.counter("misses"),
        m.counter("evictions"),
        m.counter("deletions")
    ));
    if let Some((t, _, v)) = run.violation() {
        text.push_str(&format!("VIOLATION at {t}: {v}\n"));
    }
    expect.assert_eq(&text);
}

#[test]
fn a_write_around_invalidation_frees_the_slot() {
    // Background reads of key 0 once a second; 5 and 6 by hand. When 5's write commits, its
    // copy is deleted from the policy, so 6 fits beside 0 without evicting anything, and the
    // next read of 5 is a miss for the policy as for the lab.
    check(
        quiet(WriteStrategy::WriteAround),
        &[
            (1_100, r#"{"get":{"key":5}}"#),
            (1_500, r#"{"put":{"key":5}}"#),
            (1_900, r#"{"get":{"key":6}}"#),
            (2_500, r#"{"get":{"key":5}}"#),
        ],
        2_900,
        expect![[r#"
            1.000s get 0: miss, fetching
                policy [("LRU", [0])], used 1
            1.100s > {"get":{"key":5}}
            1.100s get 5: miss, fetching
                policy [("LRU", [5, 0])], used 2
            1.300s fetched 0 from origin
            1.400s fetched 5 from origin
            1.500s > {"put":{"key":5}}
            1.500s put 5 v2: write-around, writing the store
            1.800s store committed 5 v2 (write-around), cached copy dropped
                policy [("LRU", [0])], used 1
            1.900s > {"get":{"key":6}}
            1.900s get 6: miss, fetching
                policy [("LRU", [6, 0])], used 2
            2.000s get 0: hit
            2.200s fetched 6 from origin
                policy [("LRU", [0, 6])], used 2
            2.500s > {"get":{"key":5}}
            2.500s get 5: miss, fetching (evicts 6)
                policy [("LRU", [5, 0])], used 2
            2.800s fetched 5 from origin
            hits=1 misses=4 evictions=1 deletions=1
        "#]],
    );
}

#[test]
fn an_expired_value_is_deleted_when_a_read_finds_it() {
    // Values live 500 ms. Each read of an expired value deletes it and misses, for the policy
    // as for the lab (three deletions), and the miss readmits it at the front.
    let scenario = Scenario {
        ttl_ms: 500,
        ..quiet(WriteStrategy::WriteAround)
    };
    check(
        scenario,
        &[
            (1_100, r#"{"get":{"key":5}}"#),
            (2_600, r#"{"get":{"key":5}}"#),
        ],
        3_000,
        expect![[r#"
            1.000s get 0: miss, fetching
                policy [("LRU", [0])], used 1
            1.100s > {"get":{"key":5}}
            1.100s get 5: miss, fetching
                policy [("LRU", [5, 0])], used 2
            1.300s fetched 0 from origin
            1.400s fetched 5 from origin
            2.000s get 0: miss, fetching
            2.300s fetched 0 from origin
                policy [("LRU", [0, 5])], used 2
            2.600s > {"get":{"key":5}}
            2.600s get 5: miss, fetching
                policy [("LRU", [5, 0])], used 2
            2.900s fetched 5 from origin
            3.000s get 0: miss, fetching
                policy [("LRU", [0, 5])], used 2
            hits=0 misses=5 evictions=0 deletions=3
        "#]],
    );
}

#[test]
fn a_not_found_answer_without_negative_caching_leaves_no_slot() {
    // The slot the miss reserved is freed when the answer is "not found" and is not cached.
    let scenario = Scenario {
        absent_percent: 100,
        ..quiet(WriteStrategy::WriteAround)
    };
    check(
        scenario,
        &[],
        1_500,
        expect![[r#"
        1.000s get 0: miss, fetching
        1.300s 0 not found at origin, not cached
            policy [("LRU", [])], used 0
        hits=0 misses=1 evictions=0 deletions=1
    "#]],
    );
}

#[test]
fn a_fetch_in_flight_keeps_its_slot_through_an_invalidation() {
    // Cache-aside: the write of v2 is on its way when the read of 5 misses and fetches v1; the
    // write commits while the fetch is on its way, and there is no value to delete, so the slot
    // stays reserved and the fetch puts the old version there (the cache-aside race: the next
    // read is a stale hit).
    check(
        quiet(WriteStrategy::WriteAround),
        &[
            (1_050, r#"{"put":{"key":5}}"#),
            (1_100, r#"{"get":{"key":5}}"#),
            (1_700, r#"{"get":{"key":5}}"#),
        ],
        1_800,
        expect![[r#"
            1.000s get 0: miss, fetching
                policy [("LRU", [0])], used 1
            1.050s > {"put":{"key":5}}
            1.050s put 5 v2: write-around, writing the store
            1.100s > {"get":{"key":5}}
            1.100s get 5: miss, fetching
                policy [("LRU", [5, 0])], used 2
            1.300s fetched 0 from origin
            1.350s store committed 5 v2 (write-around)
            1.400s fetched 5 from origin, STALE: version 1 but the store has 2
            1.700s > {"get":{"key":5}}
            1.700s get 5: hit, STALE: version 1 but the store has 2
            hits=1 misses=2 evictions=0 deletions=0
        "#]],
    );
}

/// Every resident key without a value has a fetch or a store write on its way.
fn unfilled_slots_are_pending(run: &Run<CacheLab>) -> Result<(), String> {
    let sim = run.sim();
    let view = sim.view();
    let keys = sim.scenario().keys + 2_000;
    for k in 0..keys {
        if !sim.policy().contains(k) || sim.cached(k).is_some() {
            continue;
        }
        let fetching = view.in_flight.iter().any(|&(f, _)| f == k);
        // A write-through fills the slot when it commits.
        let writing = sim.scenario().write_strategy == WriteStrategy::WriteThrough
            && view.store_writes.iter().any(|&(w, _, _)| w == k);
        if !fetching && !writing {
            return Err(format!(
                "at {} key {k} holds a slot with no value and nothing on its way",
                run.now()
            ));
        }
    }
    Ok(())
}

#[test]
fn fuzz_no_slot_is_held_for_nothing() {
    let mut rng = Rng::new(0xDE1E7E);
    for case in 0..40 {
        let strategies = [
            WriteStrategy::WriteAround,
            WriteStrategy::WriteThrough,
            WriteStrategy::WriteBack,
            WriteStrategy::WriteBehind,
        ];
        let scenario = Scenario {
            seed: rng.next_u64(),
            policy: ["lru", "arc", "s3fifo", "lirs", "wtinylfu"][rng.range(0, 4) as usize].into(),
            capacity: rng.range(2, 12),
            keys: rng.range(5, 30),
            rate_per_s: 40,
            origin_latency_ms: rng.range(0, 300) as u32,
            write_percent: rng.range(0, 40) as u32,
            absent_percent: rng.range(0, 30) as u32,
            ttl_ms: [0, 200, 1_000][rng.range(0, 2) as usize],
            negative_ttl_ms: [0, 300][rng.range(0, 1) as usize],
            stale_while_revalidate_ms: [0, 200][rng.range(0, 1) as usize],
            single_flight: rng.range(0, 1) == 1,
            read_strategy: if rng.range(0, 1) == 1 {
                ReadStrategy::ReadThrough
            } else {
                ReadStrategy::CacheAside
            },
            write_strategy: strategies[rng.range(0, 3) as usize],
            cache_nodes: rng.range(1, 3) as u32,
            ..Scenario::default()
        };
        let mut run = Run::<CacheLab>::new(scenario.clone()).expect("valid scenario");
        for step in 0..60u64 {
            let t = step * 100;
            run.advance_to(t);
            let fault = match rng.range(0, 30) {
                0 => Some(Command::OriginDown { on: true }),
                1 => Some(Command::OriginDown { on: false }),
                2 => Some(Command::AddNode),
                3 => Some(Command::RemoveNode { node: 0 }),
                _ => None,
            };
            if let Some(c) = fault {
                let _ = run.apply(c);
            }
            if let Err(e) = unfilled_slots_are_pending(&run) {
                panic!("case {case} ({scenario:?}): {e}");
            }
            if let Some((t, _, v)) = run.violation() {
                panic!("case {case} ({scenario:?}): violation at {t}: {v}");
            }
        }
    }
}
