//! App servers with local caches in front of the shared cache: the invalidation that arrives
//! after a stale read, the dropped message that leaves a copy stale until its TTL, versioned
//! keys that never use an old copy, and the stale window each coherence scheme leaves under load.

use expect_test::{expect, Expect};
use orrery_core::cache::lab::{Arrivals, CacheLab, ReadStrategy, Scenario, WriteStrategy};
use orrery_core::cache::near::Coherence;
use orrery_core::cache::workload::{Pattern, Workload};
use orrery_core::run::Run;
use orrery_core::sim::Time;

/// Two app servers taking requests in turn, local copies that live 2 s, invalidations that
/// take 100 ms, a store 300 ms away and a background read of key 0 or 1 once a second.
fn two_apps(coherence: Coherence, pubsub_drop_percent: u32) -> Scenario {
    Scenario {
        capacity: 3,
        keys: 10,
        rate_per_s: 1,
        arrivals: Arrivals::Uniform,
        origin_latency_ms: 300,
        write_strategy: WriteStrategy::WriteAround,
        app_servers: 2,
        local_ttl_ms: 2_000,
        coherence,
        pubsub_delay_ms: 100,
        pubsub_drop_percent,
        workload: Workload {
            pattern: Pattern::Loop,
            loop_len: 2,
            ..Workload::default()
        },
        ..Scenario::default()
    }
}

fn run_of(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> Run<CacheLab> {
    Run::scripted(scenario, commands, until).expect("valid scenario and commands")
}

/// The log lines about key 5 (the by-hand key) and the counters, compared with `expect`.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    let run = run_of(scenario, commands, until);
    let mut text: String = run
        .log()
        .iter()
        .map(|e| e.line().trim_start().to_string())
        .filter(|l| l.contains(" 5") && !l.contains('>'))
        .map(|l| l + "\n")
        .collect();
    let m = run.metrics();
    text.push_str(&format!(
        "local_hits={} stale_reads={} invalidations_sent={} invalidations_dropped={} version_checks={}\n",
        m.counter("local_hits"),
        m.counter("stale_reads"),
        m.counter("invalidations_sent"),
        m.counter("invalidations_dropped"),
        m.counter("version_checks"),
    ));
    if let Some((t, _, v)) = run.violation() {
        text.push_str(&format!("VIOLATION at {t}: {v}\n"));
    }
    expect.assert_eq(&text);
}

/// Both app servers read key 5, one writes it, and both read it again while the invalidation
/// is on its way and after.
const SCRIPT: &[(Time, &str)] = &[
    (100, r#"{"get":{"key":5}}"#),
    (500, r#"{"get":{"key":5}}"#),
    (600, r#"{"get":{"key":5}}"#),
    (1_300, r#"{"put":{"key":5}}"#),
    (1_650, r#"{"get":{"key":5}}"#),
    (1_700, r#"{"get":{"key":5}}"#),
    (1_800, r#"{"get":{"key":5}}"#),
    (1_850, r#"{"get":{"key":5}}"#),
];

#[test]
fn pub_sub_invalidation_ends_the_stale_window_when_it_arrives() {
    check(
        two_apps(Coherence::PubSub, 0),
        SCRIPT,
        2_500,
        expect![[r#"
        0.100s get 5: miss, fetching
        0.400s fetched 5 from origin
        0.500s get 5: hit
        0.600s app 0: get 5: local hit
        1.300s put 5 v2: write-around, writing the store
        1.600s store committed 5 v2 (write-around), cached copy dropped
        1.600s pub/sub: invalidate 5 below v2 to 1 app server
        1.650s app 1: get 5: local hit, STALE: version 1 but the store has 2
        1.700s app 1: invalidated its copy of 5 (v1)
        1.700s get 5: miss, fetching
        1.800s get 5: miss, fetching, 2 fetches of it in flight
        1.850s get 5: miss, fetching, 3 fetches of it in flight
        2.000s fetched 5 from origin
        2.100s fetched 5 from origin
        2.150s fetched 5 from origin
        local_hits=2 stale_reads=1 invalidations_sent=1 invalidations_dropped=0 version_checks=0
    "#]],
    );
}

#[test]
fn a_dropped_invalidation_leaves_the_copy_stale_until_its_ttl() {
    check(
        two_apps(Coherence::PubSub, 100),
        SCRIPT,
        2_500,
        expect![[r#"
        0.100s get 5: miss, fetching
        0.400s fetched 5 from origin
        0.500s get 5: hit
        0.600s app 0: get 5: local hit
        1.300s put 5 v2: write-around, writing the store
        1.600s store committed 5 v2 (write-around), cached copy dropped
        1.600s pub/sub: invalidate 5 below v2 to 1 app server, 1 message DROPPED
        1.650s app 1: get 5: local hit, STALE: version 1 but the store has 2
        1.700s get 5: miss, fetching
        1.800s app 1: get 5: local hit, STALE: version 1 but the store has 2
        1.850s get 5: miss, fetching, 2 fetches of it in flight
        2.000s fetched 5 from origin
        2.150s fetched 5 from origin
        local_hits=3 stale_reads=2 invalidations_sent=1 invalidations_dropped=1 version_checks=0
    "#]],
    );
}

#[test]
fn versioned_keys_never_use_a_copy_of_an_older_version() {
    check(
        two_apps(Coherence::VersionedKeys, 0),
        SCRIPT,
        2_500,
        expect![[r#"
        0.100s get 5: miss, fetching
        0.400s fetched 5 from origin
        0.500s get 5: hit
        0.600s app 0: get 5: local hit
        1.300s put 5 v2: write-around, writing the store
        1.600s store committed 5 v2 (write-around), cached copy dropped
        1.650s get 5: miss, fetching
        1.700s get 5: miss, fetching, 2 fetches of it in flight
        1.800s get 5: miss, fetching, 3 fetches of it in flight
        1.850s get 5: miss, fetching, 4 fetches of it in flight
        1.950s fetched 5 from origin
        2.000s fetched 5 from origin
        2.100s fetched 5 from origin
        2.150s fetched 5 from origin
        local_hits=1 stale_reads=0 invalidations_sent=0 invalidations_dropped=0 version_checks=3
    "#]],
    );
}

/// Four app servers under a skewed load with writes: how much the local caches serve, how
/// many reads are stale, how long after the write a stale local copy was read (the stale
/// window), and what each scheme costs in messages or version checks.
#[test]
fn the_stale_window_of_each_coherence_scheme_under_load() {
    let base = Scenario {
        seed: 5,
        capacity: 200,
        keys: 500,
        rate_per_s: 400,
        origin_latency_ms: 50,
        write_percent: 5,
        // Read-through and write-through keep the shared tier itself coherent, so what is
        // measured is the local caches' own stale window.
        read_strategy: ReadStrategy::ReadThrough,
        write_strategy: WriteStrategy::WriteThrough,
        app_servers: 4,
        local_capacity: 50,
        local_ttl_ms: 5_000,
        pubsub_delay_ms: 100,
        workload: Workload {
            skew_milli: 1_100,
            ..Workload::default()
        },
        ..Scenario::default()
    };
    let mut table = String::new();
    for (name, s) in [
        ("pub/sub, 100 ms", base.clone()),
        (
            "pub/sub, 20% dropped",
            Scenario {
                pubsub_drop_percent: 20,
                ..base.clone()
            },
        ),
        (
            "ttl only",
            Scenario {
                coherence: Coherence::TtlOnly,
                ..base.clone()
            },
        ),
        (
            "versioned keys",
            Scenario {
                coherence: Coherence::VersionedKeys,
                ..base.clone()
            },
        ),
    ] {
        let run = run_of(s, &[], 60_000);
        assert_eq!(run.violation(), None, "{name}");
        let m = run.metrics();
        let age = m.summary("stale_age_ms");
        let reads = m.counter("requests");
        table.push_str(&format!(
            "{name}: local hits {}% of {reads} reads, stale reads {} (p99 {} ms, max {} ms after the write), messages {}, version checks {}\n",
            m.counter("local_hits") * 100 / reads,
            m.counter("stale_reads"),
            age.p99,
            age.max,
            m.counter("invalidations_sent") - m.counter("invalidations_dropped"),
            m.counter("version_checks"),
        ));
    }
    expect![[r#"
        pub/sub, 100 ms: local hits 52% of 22903 reads, stale reads 1263 (p99 99 ms, max 99 ms after the write), messages 3636, version checks 0
        pub/sub, 20% dropped: local hits 52% of 22903 reads, stale reads 1898 (p99 962 ms, max 1407 ms after the write), messages 2940, version checks 0
        ttl only: local hits 55% of 22903 reads, stale reads 4743 (p99 1057 ms, max 1443 ms after the write), messages 0, version checks 0
        versioned keys: local hits 50% of 22903 reads, stale reads 5 (p99 0 ms, max 0 ms after the write), messages 0, version checks 13018
    "#]].assert_eq(&table);
}

/// The registry's cross-cutting tests run the default scenario, which has no app servers; this
/// checks the same two properties with them: advancing in many small steps or one leap gives
/// the same log, and so does replaying the recorded inputs.
#[test]
fn runs_with_app_servers_are_partition_independent_and_replay() {
    let scenario = Scenario {
        seed: 9,
        rate_per_s: 300,
        write_percent: 20,
        app_servers: 3,
        pubsub_drop_percent: 25,
        ttl_ms: 2_000,
        stale_while_revalidate_ms: 500,
        early_refresh_beta_milli: 1_000,
        write_strategy: WriteStrategy::WriteBehind,
        ..Scenario::default()
    };
    let commands: &[(Time, &str)] = &[
        (2_000, r#"{"put":{"key":0}}"#),
        (4_000, r#""crash""#),
        (6_000, r#"{"phase":{"skew_milli":1200,"shift":300}}"#),
    ];
    let leap = run_of(scenario.clone(), commands, 10_000);
    let mut steps: Run<CacheLab> = Run::new(scenario.clone()).expect("valid");
    let mut next = commands.iter().peekable();
    for t in (0..=10_000).step_by(7) {
        while let Some(&&(at, json)) = next.peek() {
            if at > t {
                break;
            }
            steps.advance_to(at);
            let _ = steps.apply(serde_json::from_str(json).expect("command"));
            next.next();
        }
        steps.advance_to(t);
    }
    steps.advance_to(10_000);
    assert_eq!(leap.digest(), steps.digest());
    assert!(leap.metrics().counter("local_hits") > 0);
    assert!(leap.metrics().counter("invalidations_dropped") > 0);
    let mut replayed =
        Run::<CacheLab>::with_inputs(scenario, leap.inputs().to_vec()).expect("replay");
    replayed.advance_to(10_000);
    assert_eq!(replayed.digest(), leap.digest());
    assert_eq!(leap.violation(), None);
}

/// Three cache nodes share the keys on a consistent-hash ring; a fourth joins and node 1
/// leaves: only the cached keys on arcs that changed hands move, and each misses once.
#[test]
fn nodes_joining_and_leaving_the_ring_move_only_their_keys() {
    let scenario = Scenario {
        capacity: 8,
        keys: 8,
        rate_per_s: 2,
        arrivals: Arrivals::Uniform,
        origin_latency_ms: 100,
        cache_nodes: 3,
        vnodes: 16,
        workload: Workload {
            pattern: Pattern::Loop,
            loop_len: 8,
            ..Workload::default()
        },
        ..Scenario::default()
    };
    let run = run_of(
        scenario,
        &[
            (4_200, r#""add_node""#),
            (6_200, r#"{"remove_node":{"node":1}}"#),
            (6_300, r#"{"remove_node":{"node":1}}"#),
        ],
        8_200,
    );
    let text: String = run
        .log()
        .iter()
        .filter(|e| e.time >= 4_000)
        .map(|e| e.line().trim_start().to_string() + "\n")
        .collect();
    expect![[r#"
        4.000s get 7: miss, fetching
        4.100s fetched 7 from origin
        4.200s > "add_node"
        4.200s cache node 3 joined: 27.4% of the ring changed hands, 3 cached keys moved (0, 5, 6)
        4.500s get 0: miss, fetching
        4.600s fetched 0 from origin
        5.000s get 1: hit
        5.500s get 2: hit
        6.000s get 3: hit
        6.200s > {"remove_node":{"node":1}}
        6.200s cache node 1 left: 21.7% of the ring changed hands, 1 cached key moved (2)
        6.300s > {"remove_node":{"node":1}} refused: there is no cache node 1; nodes: [0, 2, 3]
        6.500s get 4: hit
        7.000s get 5: miss, fetching
        7.100s fetched 5 from origin
        7.500s get 6: miss, fetching
        7.600s fetched 6 from origin
        8.000s get 7: hit
    "#]]
    .assert_eq(&text);
    assert_eq!(run.violation(), None);
    let nodes: Vec<u32> = run.sim().view().nodes.iter().map(|n| n.0).collect();
    assert_eq!(nodes, [0, 2, 3]);
}

/// Under load with a thousand cached keys on four nodes, a fifth node takes about a fifth of
/// them, not all (the point of consistent hashing).
#[test]
fn a_joining_node_takes_about_its_share_of_the_cached_keys() {
    let scenario = Scenario {
        capacity: 1_000,
        keys: 1_000,
        rate_per_s: 2_000,
        arrivals: Arrivals::Uniform,
        origin_latency_ms: 10,
        cache_nodes: 4,
        vnodes: 128,
        workload: Workload {
            pattern: Pattern::Scan,
            ..Workload::default()
        },
        ..Scenario::default()
    };
    let run = run_of(scenario, &[(1_000, r#""add_node""#)], 1_000);
    let moved = run
        .log()
        .iter()
        .map(|e| e.line())
        .find(|l| l.contains("cache node 4 joined"))
        .expect("the join is logged");
    let n: u32 = moved
        .split("changed hands, ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!((150..=250).contains(&n), "{n} of 1000 keys moved: {moved}");
}
