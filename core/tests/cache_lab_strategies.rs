//! The cache lab's read and write strategies, expiry and stampedes: event-log snapshots of tiny
//! caches (write-back losing writes in a crash, write-around's next read missing, the
//! cache-aside race that leaves a stale value, read-through refusing it, write-through,
//! write-behind's queue, TTL stampedes with and without single-flight, stale-while-revalidate,
//! XFetch, negative caching, phase changes), and a seeded fuzzer that checks the invariants after
//! every step and that no write is lost without a crash or a down origin.

use expect_test::{expect, Expect};
use orrery_core::cache::lab::{Arrivals, CacheLab, Command, ReadStrategy, Scenario, WriteStrategy};
use orrery_core::cache::near::Coherence;
use orrery_core::cache::workload::{Pattern, Phase, Workload};
use orrery_core::rng::Rng;
use orrery_core::run::Run;
use orrery_core::sim::{Simulation, Time};

/// Capacity 3, keys 0..10 in a loop of 4, one read a second, a store 300 ms away, no flush
/// timer: every write below is made by hand.
fn tiny(write_strategy: WriteStrategy) -> Scenario {
    Scenario {
        capacity: 3,
        keys: 10,
        rate_per_s: 1,
        arrivals: Arrivals::Uniform,
        origin_latency_ms: 300,
        write_strategy,
        flush_every_ms: 0,
        workload: Workload {
            pattern: Pattern::Loop,
            loop_len: 4,
            ..Workload::default()
        },
        ..Scenario::default()
    }
}

fn run_of(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> Run<CacheLab> {
    Run::scripted(scenario, commands, until).expect("valid scenario and commands")
}

/// The counters a strategy is judged by, one line.
fn counters(run: &Run<CacheLab>) -> String {
    let m = run.metrics();
    [
        "requests",
        "hits",
        "misses",
        "writes",
        "store_commits",
        "stale_reads",
        "lost_writes",
        "origin_fetches",
    ]
    .iter()
    .map(|n| format!("{n}={}", m.counter(n)))
    .collect::<Vec<_>>()
    .join(" ")
}

/// Runs `commands` (`(time_ms, command JSON)`) to `until` ms and compares the log, the counters
/// and any invariant violation with `expect`.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    let run = run_of(scenario, commands, until);
    let mut text: String = run
        .log()
        .iter()
        .map(|e| e.line().trim_start().to_string() + "\n")
        .collect();
    text.push_str(&counters(&run));
    text.push('\n');
    if let Some((t, _, v)) = run.violation() {
        text.push_str(&format!("VIOLATION at {t}: {v}\n"));
    }
    expect.assert_eq(&text);
}

#[test]
fn write_back_holds_writes_until_a_crash_loses_them() {
    check(
        tiny(WriteStrategy::WriteBack),
        &[
            (1_500, r#"{"put":{"key":7}}"#),
            (1_600, r#"{"put":{"key":7}}"#),
            (1_700, r#"{"put":{"key":8}}"#),
            (1_800, r#"{"get":{"key":7}}"#),
            (1_900, r#""crash""#),
            (1_950, r#"{"get":{"key":7}}"#),
        ],
        2_300,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            1.500s > {"put":{"key":7}}
            1.500s put 7 v2: write-back, cached dirty
            1.600s > {"put":{"key":7}}
            1.600s put 7 v3: write-back, cached dirty
            1.700s > {"put":{"key":8}}
            1.700s put 8 v2: write-back, cached dirty
            1.800s > {"get":{"key":7}}
            1.800s get 7: hit
            1.900s > "crash"
            1.900s cache crashed and restarted cold: 3 unflushed writes LOST (keys 7, 8)
            1.950s > {"get":{"key":7}}
            1.950s get 7: miss, fetching
            2.000s get 1: miss, fetching
            2.250s fetched 7 from origin
            2.300s fetched 1 from origin
            requests=4 hits=1 misses=3 writes=3 store_commits=0 stale_reads=0 lost_writes=3 origin_fetches=3
        "#]],
    );
}

#[test]
fn write_back_flushes_on_eviction_and_on_the_timer() {
    check(
        Scenario {
            flush_every_ms: 2_000,
            ..tiny(WriteStrategy::WriteBack)
        },
        &[
            (500, r#"{"put":{"key":7}}"#),
            (2_050, r#"{"put":{"key":9}}"#),
            (2_500, r#"{"put":{"key":8}}"#),
            (2_600, r#"{"put":{"key":8}}"#),
            (3_500, r#"{"get":{"key":5}}"#),
        ],
        3_900,
        expect![[r#"
            0.500s > {"put":{"key":7}}
            0.500s put 7 v2: write-back, cached dirty
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            2.000s flush timer: 1 dirty entry (1 write) to the store
            2.000s get 1: miss, fetching
            2.050s > {"put":{"key":9}}
            2.050s put 9 v2: write-back, cached dirty (evicts 7)
            2.300s fetched 1 from origin
            2.300s store committed 7 v2 (write-back flush)
            2.500s > {"put":{"key":8}}
            2.500s put 8 v2: write-back, cached dirty (evicts 0)
            2.600s > {"put":{"key":8}}
            2.600s put 8 v3: write-back, cached dirty
            3.000s get 2: miss, fetching (evicts 1)
            3.300s fetched 2 from origin
            3.500s > {"get":{"key":5}}
            3.500s evicted dirty 9 v2: flushing 1 write to the store
            3.500s get 5: miss, fetching (evicts 9)
            3.800s fetched 5 from origin
            3.800s store committed 9 v2 (write-back flush)
            requests=4 hits=0 misses=4 writes=4 store_commits=2 stale_reads=0 lost_writes=0 origin_fetches=4
        "#]],
    );
}

#[test]
fn write_around_drops_the_cached_copy_so_the_next_read_misses() {
    check(
        tiny(WriteStrategy::WriteAround),
        &[
            (1_400, r#"{"get":{"key":0}}"#),
            (1_500, r#"{"put":{"key":0}}"#),
            (1_700, r#"{"get":{"key":0}}"#),
            (1_900, r#"{"get":{"key":0}}"#),
        ],
        2_500,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            1.400s > {"get":{"key":0}}
            1.400s get 0: hit
            1.500s > {"put":{"key":0}}
            1.500s put 0 v2: write-around, writing the store
            1.700s > {"get":{"key":0}}
            1.700s get 0: hit
            1.800s store committed 0 v2 (write-around), cached copy dropped
            1.900s > {"get":{"key":0}}
            1.900s get 0: miss, fetching
            2.000s get 1: miss, fetching
            2.200s fetched 0 from origin
            2.300s fetched 1 from origin
            requests=5 hits=2 misses=3 writes=1 store_commits=1 stale_reads=0 lost_writes=0 origin_fetches=3
        "#]],
    );
}

#[test]
fn write_through_updates_the_cache_when_the_store_commits() {
    check(
        tiny(WriteStrategy::WriteThrough),
        &[
            (1_400, r#"{"put":{"key":0}}"#),
            (1_500, r#"{"get":{"key":0}}"#),
            (1_800, r#"{"get":{"key":0}}"#),
        ],
        2_000,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            1.400s > {"put":{"key":0}}
            1.400s put 0 v2: write-through, writing the store, then cache
            1.500s > {"get":{"key":0}}
            1.500s get 0: hit
            1.700s store committed 0 v2 (write-through), cache updated
            1.800s > {"get":{"key":0}}
            1.800s get 0: hit
            2.000s get 1: miss, fetching
            requests=4 hits=2 misses=2 writes=1 store_commits=1 stale_reads=0 lost_writes=0 origin_fetches=2
        "#]],
    );
}

/// A read misses key 5 at 1.0 s while a write-around write of it, issued at 0.8 s, commits at
/// 1.1 s: the fetch read version 1 before the commit and answers at 1.3 s.
fn the_race(read_strategy: ReadStrategy) -> Scenario {
    Scenario {
        read_strategy,
        rate_per_s: 1,
        ..tiny(WriteStrategy::WriteAround)
    }
}

const RACE: &[(Time, &str)] = &[
    (800, r#"{"put":{"key":5}}"#),
    (950, r#"{"get":{"key":5}}"#),
    (1_400, r#"{"get":{"key":5}}"#),
];

#[test]
fn cache_aside_caches_what_it_read_before_a_write_so_later_reads_are_stale() {
    check(
        the_race(ReadStrategy::CacheAside),
        RACE,
        1_500,
        expect![[r#"
        0.800s > {"put":{"key":5}}
        0.800s put 5 v2: write-around, writing the store
        0.950s > {"get":{"key":5}}
        0.950s get 5: miss, fetching
        1.000s get 0: miss, fetching
        1.100s store committed 5 v2 (write-around)
        1.250s fetched 5 from origin, STALE: version 1 but the store has 2
        1.300s fetched 0 from origin
        1.400s > {"get":{"key":5}}
        1.400s get 5: hit, STALE: version 1 but the store has 2
        requests=3 hits=1 misses=2 writes=1 store_commits=1 stale_reads=2 lost_writes=0 origin_fetches=2
    "#]],
    );
}

#[test]
fn read_through_refuses_a_load_overtaken_by_a_write() {
    check(
        the_race(ReadStrategy::ReadThrough),
        RACE,
        1_500,
        expect![[r#"
        0.800s > {"put":{"key":5}}
        0.800s put 5 v2: write-around, writing the store
        0.950s > {"get":{"key":5}}
        0.950s get 5: miss, fetching
        1.000s get 0: miss, fetching
        1.100s store committed 5 v2 (write-around)
        1.250s fetched 5 from origin, not cached, STALE: version 1 but the store has 2
        1.300s fetched 0 from origin
        1.400s > {"get":{"key":5}}
        1.400s get 5: miss, fetching
        requests=3 hits=0 misses=3 writes=1 store_commits=1 stale_reads=1 lost_writes=0 origin_fetches=3
    "#]],
    );
}

#[test]
fn write_behind_queues_writes_and_a_crash_loses_the_queue() {
    check(
        Scenario {
            write_behind_delay_ms: 500,
            ..tiny(WriteStrategy::WriteBehind)
        },
        &[
            (1_100, r#"{"put":{"key":7}}"#),
            (1_200, r#"{"put":{"key":7}}"#),
            (1_300, r#"{"put":{"key":8}}"#),
            (2_100, r#""crash""#),
        ],
        2_500,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.100s > {"put":{"key":7}}
            1.100s put 7 v2: write-behind, cached, 1 queued
            1.200s > {"put":{"key":7}}
            1.200s put 7 v3: write-behind, cached, 2 queued
            1.300s fetched 0 from origin
            1.300s > {"put":{"key":8}}
            1.300s put 8 v2: write-behind, cached, 3 queued
            1.900s store committed 7 v2 (write-behind queue)
            2.000s get 1: miss, fetching (evicts 0)
            2.100s > "crash"
            2.100s cache crashed and restarted cold: 1 unflushed write LOST (keys 8)
            2.200s store committed 7 v3 (write-behind queue)
            2.300s fetched 1 from origin
            requests=2 hits=0 misses=2 writes=3 store_commits=2 stale_reads=0 lost_writes=1 origin_fetches=2
        "#]],
    );
}

#[test]
fn writes_to_a_down_origin_fail_and_a_failed_flush_keeps_the_entry_dirty() {
    check(
        tiny(WriteStrategy::WriteThrough),
        &[
            (1_100, r#"{"origin_down":{"on":true}}"#),
            (1_200, r#"{"put":{"key":7}}"#),
        ],
        1_600,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.100s > {"origin_down":{"on":true}}
            1.100s origin is down
            1.200s > {"put":{"key":7}}
            1.200s put 7 v2: write-through, writing the store, then cache
            1.300s fetched 0 from origin
            1.500s origin down: write of 7 v2 failed, client told
            requests=1 hits=0 misses=1 writes=1 store_commits=0 stale_reads=0 lost_writes=0 origin_fetches=1
        "#]],
    );
    check(
        Scenario {
            flush_every_ms: 1_000,
            ..tiny(WriteStrategy::WriteBack)
        },
        &[
            (900, r#"{"put":{"key":7}}"#),
            (950, r#"{"origin_down":{"on":true}}"#),
            (1_500, r#"{"origin_down":{"on":false}}"#),
        ],
        2_400,
        expect![[r#"
            0.900s > {"put":{"key":7}}
            0.900s put 7 v2: write-back, cached dirty
            0.950s > {"origin_down":{"on":true}}
            0.950s origin is down
            1.000s flush timer: 1 dirty entry (1 write) to the store
            1.000s get 0: miss, fetching from a down origin
            1.300s origin down: get 0 failed
            1.300s origin down: write of 7 v2 failed, entry dirty again
            1.500s > {"origin_down":{"on":false}}
            1.500s origin is back up
            2.000s flush timer: 1 dirty entry (1 write) to the store
            2.000s get 1: miss, fetching
            2.300s fetched 1 from origin
            2.300s store committed 7 v2 (write-back flush)
            requests=2 hits=0 misses=1 writes=1 store_commits=1 stale_reads=0 lost_writes=0 origin_fetches=2
        "#]],
    );
}

/// Key 0 is cached at 0.5 s with a 1 s TTL; at 2.0 s, five reads of it arrive together.
fn expiry(single_flight: bool, stale_while_revalidate_ms: u64) -> Run<CacheLab> {
    let scenario = Scenario {
        ttl_ms: 1_000,
        single_flight,
        stale_while_revalidate_ms,
        rate_per_s: 1,
        ..tiny(WriteStrategy::WriteAround)
    };
    let mut commands = vec![(500, r#"{"get":{"key":0}}"#)];
    commands.extend(std::iter::repeat_n((2_000, r#"{"get":{"key":0}}"#), 5));
    run_of(scenario, &commands, 2_400)
}

fn key0(run: &Run<CacheLab>) -> String {
    let mut text: String = run
        .log()
        .iter()
        .map(|e| e.line().trim_start().to_string())
        .filter(|l| l.contains(" 0 ") || l.contains(" 0:"))
        .map(|l| l + "\n")
        .collect();
    text.push_str(&counters(run));
    text.push('\n');
    text
}

#[test]
fn an_expiring_hot_key_stampedes_unless_single_flight_or_stale_while_revalidate() {
    expect![[r#"
        0.500s get 0: miss, fetching
        0.800s fetched 0 from origin
        1.000s get 0: hit
        2.000s get 0: miss, fetching
        2.000s get 0: miss, fetching, 2 fetches of it in flight
        2.000s get 0: miss, fetching, 3 fetches of it in flight
        2.000s get 0: miss, fetching, 4 fetches of it in flight
        2.000s get 0: miss, fetching, 5 fetches of it in flight
        2.300s fetched 0 from origin
        2.300s fetched 0 from origin
        2.300s fetched 0 from origin
        2.300s fetched 0 from origin
        2.300s fetched 0 from origin
        requests=8 hits=1 misses=7 writes=0 store_commits=0 stale_reads=0 lost_writes=0 origin_fetches=7
    "#]].assert_eq(&key0(&expiry(false, 0)));
    expect![[r#"
        0.500s get 0: miss, fetching
        0.800s fetched 0 from origin
        1.000s get 0: hit
        2.000s get 0: miss, fetching
        2.000s get 0: waits for the fetch in flight
        2.000s get 0: waits for the fetch in flight
        2.000s get 0: waits for the fetch in flight
        2.000s get 0: waits for the fetch in flight
        2.300s fetched 0 from origin for 5 requests
        requests=8 hits=1 misses=3 writes=0 store_commits=0 stale_reads=0 lost_writes=0 origin_fetches=3
    "#]].assert_eq(&key0(&expiry(true, 0)));
    expect![[r#"
        0.500s get 0: miss, fetching
        0.800s fetched 0 from origin
        1.000s get 0: hit
        2.000s get 0: expired 0.200s ago, served stale while refreshing
        2.000s get 0: expired 0.200s ago, served stale while a refresh is in flight
        2.000s get 0: expired 0.200s ago, served stale while a refresh is in flight
        2.000s get 0: expired 0.200s ago, served stale while a refresh is in flight
        2.000s get 0: expired 0.200s ago, served stale while a refresh is in flight
        2.300s refreshed 0 from origin in the background
        requests=8 hits=6 misses=2 writes=0 store_commits=0 stale_reads=0 lost_writes=0 origin_fetches=3
    "#]].assert_eq(&key0(&expiry(false, 5_000)));
}

#[test]
fn negative_caching_stops_repeated_reads_of_an_absent_key() {
    let absent = Scenario {
        absent_percent: 100,
        ..tiny(WriteStrategy::WriteAround)
    };
    let commands: &[(Time, &str)] = &[
        (100, r#"{"get":{"key":9}}"#),
        (500, r#"{"get":{"key":9}}"#),
        (900, r#"{"put":{"key":9}}"#),
        (950, r#"{"get":{"key":9}}"#),
        (1_300, r#"{"get":{"key":9}}"#),
    ];
    check(
        absent.clone(),
        commands,
        1_700,
        expect![[r#"
        0.100s > {"get":{"key":9}}
        0.100s get 9: miss, fetching
        0.400s 9 not found at origin, not cached
        0.500s > {"get":{"key":9}}
        0.500s get 9: miss, fetching
        0.800s 9 not found at origin, not cached
        0.900s > {"put":{"key":9}}
        0.900s put 9 v1: write-around, writing the store
        0.950s > {"get":{"key":9}}
        0.950s get 9: miss, fetching
        1.000s get 0: miss, fetching
        1.200s store committed 9 v1 (write-around)
        1.250s 9 not found at origin, not cached, STALE: version 0 but the store has 1
        1.300s 0 not found at origin, not cached
        1.300s > {"get":{"key":9}}
        1.300s get 9: miss, fetching
        1.600s fetched 9 from origin
        requests=5 hits=0 misses=5 writes=1 store_commits=1 stale_reads=1 lost_writes=0 origin_fetches=5
    "#]],
    );
    check(
        Scenario {
            negative_ttl_ms: 10_000,
            ..absent
        },
        commands,
        1_700,
        expect![[r#"
            0.100s > {"get":{"key":9}}
            0.100s get 9: miss, fetching
            0.400s 9 not found at origin, cached as not-found
            0.500s > {"get":{"key":9}}
            0.500s get 9: hit (cached not-found)
            0.900s > {"put":{"key":9}}
            0.900s put 9 v1: write-around, writing the store
            0.950s > {"get":{"key":9}}
            0.950s get 9: hit (cached not-found)
            1.000s get 0: miss, fetching
            1.200s store committed 9 v1 (write-around), cached copy dropped
            1.300s 0 not found at origin, cached as not-found
            1.300s > {"get":{"key":9}}
            1.300s get 9: miss, fetching
            1.600s fetched 9 from origin
            requests=5 hits=2 misses=3 writes=1 store_commits=1 stale_reads=0 lost_writes=0 origin_fetches=3
        "#]],
    );
}

#[test]
fn a_scheduled_phase_shifts_the_working_set() {
    check(
        Scenario {
            workload: Workload {
                pattern: Pattern::Loop,
                loop_len: 2,
                phases: vec![Phase {
                    at_ms: 3_500,
                    skew_milli: 900,
                    shift: 5,
                }],
                ..Workload::default()
            },
            ..tiny(WriteStrategy::WriteAround)
        },
        &[(5_500, r#"{"phase":{"skew_milli":900,"shift":0}}"#)],
        6_500,
        expect![[r#"
            1.000s get 0: miss, fetching
            1.300s fetched 0 from origin
            2.000s get 1: miss, fetching
            2.300s fetched 1 from origin
            3.000s get 0: hit
            3.500s workload phase: zipf skew 0.900, working set shifted by 5
            4.000s get 6: miss, fetching
            4.300s fetched 6 from origin
            5.000s get 5: miss, fetching (evicts 1)
            5.300s fetched 5 from origin
            5.500s > {"phase":{"skew_milli":900,"shift":0}}
            5.500s workload phase: zipf skew 0.900, working set shifted by 0
            6.000s get 1: miss, fetching (evicts 0)
            6.300s fetched 1 from origin
            requests=6 hits=1 misses=5 writes=0 store_commits=0 stale_reads=0 lost_writes=0 origin_fetches=5
        "#]],
    );
}

/// A hot key under load with a 5 s TTL: how often the store is asked for key 0 (about a third
/// of all reads at skew 1.2) after the cold start, how many reads of it waited, and the peak
/// origin load, with each cure.
#[test]
fn the_cures_for_a_hot_key_expiring_under_load() {
    const WARM: Time = 10_000;
    let base = Scenario {
        seed: 3,
        capacity: 200,
        keys: 200,
        rate_per_s: 400,
        origin_latency_ms: 200,
        ttl_ms: 5_000,
        workload: Workload {
            skew_milli: 1_200,
            ..Workload::default()
        },
        ..Scenario::default()
    };
    let mut table = String::new();
    for (name, s) in [
        ("plain", base.clone()),
        (
            "single-flight",
            Scenario {
                single_flight: true,
                ..base.clone()
            },
        ),
        (
            "stale-while-revalidate",
            Scenario {
                stale_while_revalidate_ms: 2_000,
                ..base.clone()
            },
        ),
        (
            "xfetch",
            Scenario {
                early_refresh_beta_milli: 1_000,
                ..base.clone()
            },
        ),
        (
            "jitter",
            Scenario {
                ttl_jitter_ms: 2_000,
                ..base.clone()
            },
        ),
    ] {
        let run = run_of(s, &[], 60_000);
        assert_eq!(run.violation(), None, "{name}");
        // After the cold start (whose own stampede every variant shares).
        let warm = run.log().iter().filter(|e| e.time >= WARM);
        let (mut store_reads, mut waited) = (0, 0);
        for e in warm {
            let l = e.line();
            store_reads += (l.contains("get 0: miss") || l.contains("refreshed 0 ")) as u32;
            waited += (l.contains("get 0: miss") || l.contains("get 0: waits")) as u32;
        }
        let m = run.metrics();
        let peak = m.gauges.get("origin_load_per_s").map_or(0, |g| {
            g.samples
                .iter()
                .filter(|s| s.0 >= WARM)
                .map(|s| s.1)
                .max()
                .unwrap_or(0)
        });
        table.push_str(&format!(
            "{name}: key 0 read from the store {store_reads} times, {waited} reads of it waited; peak origin load {peak}/s\n",
        ));
    }
    expect![[r#"
        plain: key 0 read from the store 234 times, 234 reads of it waited; peak origin load 114/s
        single-flight: key 0 read from the store 10 times, 224 reads of it waited; peak origin load 47/s
        stale-while-revalidate: key 0 read from the store 10 times, 0 reads of it waited; peak origin load 51/s
        xfetch: key 0 read from the store 11 times, 0 reads of it waited; peak origin load 50/s
        jitter: key 0 read from the store 160 times, 160 reads of it waited; peak origin load 83/s
    "#]].assert_eq(&table);
}

/// Random scenarios and commands under every strategy (with app servers and their local caches,
/// and cache nodes joining and leaving the ring, in some), with the invariants checked after
/// every step. Without faults no write is lost or fails; when every write is made by hand, a final
/// flush and a quiet minute later the store holds exactly the last version written of every key
/// (no write lost, none reordered); a run without writes never reads a stale value.
#[test]
fn fuzz_strategies_keep_invariants_and_lose_no_write_without_a_crash() {
    let strategies = [
        WriteStrategy::WriteAround,
        WriteStrategy::WriteThrough,
        WriteStrategy::WriteBack,
        WriteStrategy::WriteBehind,
    ];
    for seed in 0..48u64 {
        let mut rng = Rng::new(seed);
        let write_strategy = strategies[(seed % 4) as usize];
        let faults = rng.chance(1, 2);
        let by_hand_only = rng.chance(1, 2);
        let scenario = Scenario {
            seed,
            policy: ["lru", "arc", "s3fifo", "wtinylfu", "clock"][rng.below(5) as usize].into(),
            capacity: rng.range(2, 30),
            keys: rng.range(5, 60),
            rate_per_s: rng.range(5, 300) as u32,
            origin_latency_ms: rng.range(0, 300) as u32,
            single_flight: rng.chance(1, 2),
            read_strategy: if rng.chance(1, 2) {
                ReadStrategy::CacheAside
            } else {
                ReadStrategy::ReadThrough
            },
            write_strategy,
            write_percent: if by_hand_only {
                0
            } else {
                rng.range(1, 60) as u32
            },
            absent_percent: rng.range(0, 30) as u32,
            ttl_ms: [0, 500, 3_000][rng.below(3) as usize],
            ttl_jitter_ms: rng.range(0, 500),
            negative_ttl_ms: [0, 1_000][rng.below(2) as usize],
            stale_while_revalidate_ms: [0, 1_000][rng.below(2) as usize],
            early_refresh_beta_milli: [0, 1_000, 3_000][rng.below(3) as usize],
            flush_every_ms: [0, 700][rng.below(2) as usize],
            write_behind_delay_ms: rng.range(0, 800),
            app_servers: rng.below(4) as u32,
            local_capacity: rng.range(1, 20),
            local_ttl_ms: [0, 800][rng.below(2) as usize],
            coherence: [
                Coherence::PubSub,
                Coherence::TtlOnly,
                Coherence::VersionedKeys,
            ][rng.below(3) as usize],
            pubsub_delay_ms: rng.range(0, 300),
            pubsub_drop_percent: [0, 30][rng.below(2) as usize],
            cache_nodes: rng.range(1, 4) as u32,
            vnodes: rng.range(1, 32) as u32,
            ..Scenario::default()
        };
        let fresh = CacheLab::new(&scenario).expect("valid");
        let mut puts = std::collections::BTreeMap::<u64, u64>::new();
        let mut run: Run<CacheLab> = Run::new(scenario.clone()).expect("valid");
        let mut t = 0;
        for _ in 0..60 {
            t += rng.range(1, 400);
            run.advance_to(t);
            let key = rng.below(scenario.keys + 2);
            let cmd = match rng.below(if faults { 10 } else { 7 }) {
                0..=2 => Command::Get { key },
                3..=5 => {
                    *puts.entry(key).or_default() += 1;
                    Command::Put { key }
                }
                6 => match rng.below(3) {
                    0 => Command::Phase {
                        skew_milli: rng.range(0, 1_500) as u32,
                        shift: rng.below(100),
                    },
                    1 => Command::AddNode,
                    _ => Command::RemoveNode {
                        node: rng.below(5) as u32,
                    },
                },
                7 => Command::Crash,
                8 => Command::OriginDown {
                    on: rng.chance(1, 2),
                },
                _ => Command::Flush,
            };
            let _ = run.apply(cmd);
            assert_eq!(run.violation(), None, "seed {seed}: {scenario:?}");
        }
        let _ = run.apply(Command::OriginDown { on: false });
        let _ = run.apply(Command::Flush);
        run.advance_to(t + 30_000);
        let m = run.metrics();
        assert_eq!(run.violation(), None, "seed {seed}");
        if faults {
            continue;
        }
        assert_eq!(m.counter("lost_writes"), 0, "seed {seed}: {scenario:?}");
        assert_eq!(m.counter("failed_writes"), 0, "seed {seed}");
        if by_hand_only {
            for (&key, &n) in &puts {
                assert_eq!(
                    run.sim().store_version(key),
                    fresh.store_version(key) + n,
                    "seed {seed}: key {key} after {n} writes; {scenario:?}"
                );
            }
            if puts.is_empty() {
                assert_eq!(m.counter("stale_reads"), 0, "seed {seed}");
            }
        }
    }
}

/// The metrics a run reports beside the hit ratio: bytes, latency percentiles, stale reads,
/// writes and origin load.
#[test]
fn metrics_include_bytes_latency_staleness_and_origin_load() {
    let run = run_of(
        Scenario {
            write_percent: 20,
            ttl_ms: 10_000,
            ..Scenario::default()
        },
        &[],
        120_000,
    );
    assert_eq!(run.violation(), None);
    let m = run.metrics();
    let latency = m.summary("latency_ms");
    let text = format!(
        "hit ratio {}%, byte hit ratio {}%, latency p50 {} ms p99 {} ms, {}\npeak origin load {}/s\n",
        m.counter("hits") * 100 / m.counter("requests"),
        m.counter("bytes_hit") * 100 / m.counter("bytes_requested"),
        latency.p50,
        latency.p99,
        counters(&run),
        m.gauges.get("origin_load_per_s").map_or(0, |g| g.max()),
    );
    expect![[r#"
        hit ratio 34%, byte hit ratio 33%, latency p50 200 ms p99 200 ms, requests=1892 hits=651 misses=1241 writes=489 store_commits=488 stale_reads=11 lost_writes=0 origin_fetches=1241
        peak origin load 26/s
    "#]].assert_eq(&text);
}
