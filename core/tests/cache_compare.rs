//! The request-by-request comparison of two policies ([`orrery_core::cache::compare`]): a
//! snapshot of the strip with its explanations, properties against plain replays (each side's
//! hits are exactly those of replaying the same stream alone; a policy compared with itself
//! never disagrees), and the lab running one in lockstep with its own policy.

use expect_test::{expect, Expect};
use orrery_core::cache::compare::{Lockstep, ROWS};
use orrery_core::cache::lab::{CacheLab, CapacityUnit, Scenario};
use orrery_core::cache::policy::{by_name, NAMES};
use orrery_core::cache::replay::replay;
use orrery_core::cache::workload::{Pattern, Workload};
use orrery_core::cache::Policy;
use orrery_core::run::Run;
use orrery_core::sim::Simulation;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Drives `a` and a lockstep `b` through `ops` (`k` requests `k`, `-k` deletes it, as the lab
/// deletes from both) and returns the lockstep.
fn drive(a: &mut dyn Policy, b: &str, capacity: u64, ops: &[i64]) -> Lockstep {
    let mut l = Lockstep::new(a.name(), by_name(b, capacity).expect("policy"));
    for &op in ops {
        let k = op.unsigned_abs();
        if op < 0 {
            a.remove(k);
            l.remove(k);
        } else {
            let access = a.access(k, 1);
            let kept = a.contains(k);
            l.access(0, k, 1, &access, kept);
        }
    }
    l
}

fn check(a: &str, b: &str, capacity: u64, ops: &[i64], e: Expect) {
    let mut pa = by_name(a, capacity).expect("policy");
    let l = drive(pa.as_mut(), b, capacity, ops);
    let v = l.view();
    let mut text = format!("  #  key  {:<5} {:<5} why\n", v.a, v.b);
    for r in &v.rows {
        let hm = |h: bool| if h { "hit" } else { "miss" };
        text += &format!(
            "{:>3}  {:>3}  {:<5} {:<5} {}\n",
            r.index,
            r.key,
            hm(r.a_hit),
            hm(r.b_hit),
            r.why.as_deref().unwrap_or("")
        );
    }
    text += &format!(
        "requests {} · {} hits {} · {} hits {} · only {} {} · only {} {}\n",
        v.requests, v.a, v.a_hits, v.b, v.b_hits, v.a, v.only_a, v.b, v.only_b
    );
    e.assert_eq(&text);
}

#[test]
fn lru_against_fifo_says_who_evicted_what() {
    // Capacity 3. The hit on 1 moves it to LRU's front but not FIFO's, so 4 makes FIFO evict
    // 1 and LRU evict 2: the next 1 disagrees. Deleting 3 reaches both; both miss it next.
    check(
        "lru",
        "fifo",
        3,
        &[1, 2, 3, 1, 4, 1, 2, -3, 3, 5, 3],
        expect![[r#"
              #  key  lru   fifo  why
              1    1  miss  miss  
              2    2  miss  miss  
              3    3  miss  miss  
              4    1  hit   hit   
              5    4  miss  miss  
              6    1  hit   miss  B evicted 1 1 request ago (for 4)
              7    2  miss  miss  
              8    3  miss  miss  
              9    5  miss  miss  
             10    3  hit   hit   
            requests 10 · lru hits 3 · fifo hits 2 · only lru 1 · only fifo 0
        "#]],
    );
}

#[test]
fn lru_against_wtinylfu_shows_the_admission_filter() {
    // Capacity 3: W-TinyLFU's window holds one key. Its filter drops the window's candidates 5
    // and 6 (seen once, no more often than the victim), which LRU keeps; and it keeps 1, seen
    // three times, which LRU evicted for 4.
    check(
        "lru",
        "wtinylfu",
        3,
        &[1, 1, 1, 2, 2, 3, 4, 5, 6, 5, 6, 1],
        expect![[r#"
              #  key  lru   wtinylfu why
              1    1  miss  miss  
              2    1  hit   hit   
              3    1  hit   hit   
              4    2  miss  miss  
              5    2  hit   hit   
              6    3  miss  miss  
              7    4  miss  miss  
              8    5  miss  miss  
              9    6  miss  miss  
             10    5  hit   miss  B evicted 5 1 request ago (for 6)
             11    6  hit   miss  B evicted 6 1 request ago (for 5)
             12    1  miss  hit   A evicted 1 5 requests ago (for 4)
            requests 12 · lru hits 5 · wtinylfu hits 4 · only lru 2 · only wtinylfu 1
        "#]],
    );
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        rng_seed: RngSeed::Fixed(0xC0A1),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Without deletions each side's hits are those of replaying the stream alone, the rows
    /// are the last requests in order, and a policy beside itself never disagrees.
    #[test]
    fn each_side_is_its_own_replay(
        capacity in 1u64..12,
        keys in proptest::collection::vec(0u64..25, 0..300),
        a in 0usize..10,
        b in 0usize..10,
    ) {
        let (a, b) = (NAMES[a], NAMES[b]);
        let ops: Vec<i64> = keys.iter().map(|&k| k as i64).collect();
        let mut pa = by_name(a, capacity).expect("policy");
        let l = drive(pa.as_mut(), b, capacity, &ops);
        let v = l.view();
        let alone = |name: &str| replay(by_name(name, capacity).expect("policy").as_mut(), &keys).hits;
        prop_assert_eq!(v.a_hits, alone(a));
        prop_assert_eq!(v.b_hits, alone(b));
        prop_assert_eq!(v.a_hits - v.only_a, v.b_hits - v.only_b);
        prop_assert_eq!(v.requests, keys.len() as u64);
        let tail: Vec<u64> = keys.iter().rev().take(ROWS).rev().copied().collect();
        prop_assert_eq!(v.rows.iter().map(|r| r.key).collect::<Vec<_>>(), tail);
        for r in &v.rows {
            prop_assert_eq!(r.why.is_some(), r.a_hit != r.b_hit);
        }
        let same = drive(by_name(a, capacity).expect("policy").as_mut(), a, capacity, &ops).view();
        prop_assert_eq!(same.only_a + same.only_b, 0);
    }

    /// With deletions both sides delete the same keys, and B stays in step with a second copy
    /// of itself driven directly.
    #[test]
    fn deletions_reach_both_sides(
        capacity in 1u64..12,
        ops in proptest::collection::vec(-25i64..25, 0..300),
        b in 0usize..10,
    ) {
        let b = NAMES[b];
        let mut pa = by_name("lru", capacity).expect("policy");
        let l = drive(pa.as_mut(), b, capacity, &ops);
        let mut direct = by_name(b, capacity).expect("policy");
        for &op in &ops {
            let k = op.unsigned_abs();
            if op < 0 { direct.remove(k); } else { direct.access(k, 1); }
        }
        prop_assert_eq!(l.b().segments(64), direct.segments(64));
        for k in 0..25 {
            prop_assert_eq!(l.b().contains(k), direct.contains(k));
        }
    }
}

fn lab_scenario() -> Scenario {
    Scenario {
        seed: 7,
        capacity: 20,
        keys: 200,
        rate_per_s: 100,
        compare_policy: Some("arc".into()),
        workload: Workload {
            pattern: Pattern::Zipf,
            ..Workload::default()
        },
        ..Scenario::default()
    }
}

#[test]
fn the_lab_runs_the_second_policy_on_its_own_request_stream() {
    let run = Run::<CacheLab>::scripted(lab_scenario(), &[], 30_000).expect("valid");
    let view = run.sim().view();
    let c = view.compare.expect("a comparison");
    assert_eq!((c.a.as_str(), c.b.as_str()), ("lru", "arc"));
    assert_eq!(c.requests, run.metrics().counter("requests"));
    assert_eq!(c.rows.len(), ROWS);
    // B saw exactly the lab's requests: replaying them through ARC gives its state.
    let keys: Vec<u64> = run
        .log()
        .iter()
        .filter_map(|e| {
            let line = e.line();
            let rest = line.trim_start().split_once(" get ")?.1;
            rest.split_once(':')?.0.parse().ok()
        })
        .collect();
    let mut arc = by_name("arc", 20).expect("arc");
    let stats = replay(arc.as_mut(), &keys);
    let b = run.sim().compare_policy().expect("B");
    assert_eq!(b.segments(usize::MAX), arc.segments(usize::MAX));
    assert_eq!(c.b_hits, stats.hits);
    assert!(c.only_a + c.only_b > 0, "LRU and ARC disagree somewhere");
    // The log is the same as without the comparison: B observes, it never acts.
    let plain = Run::<CacheLab>::scripted(
        Scenario {
            compare_policy: None,
            ..lab_scenario()
        },
        &[],
        30_000,
    )
    .expect("valid");
    assert_eq!(run.digest(), plain.digest());
    // A new policy A restarts both cold.
    let switched = Run::<CacheLab>::scripted(
        lab_scenario(),
        &[(20_000, r#"{"set_policy":{"policy":"sieve"}}"#)],
        20_500,
    )
    .expect("valid");
    let c = switched.sim().view().compare.expect("a comparison");
    assert_eq!((c.a.as_str(), c.b.as_str()), ("sieve", "arc"));
    assert!(c.requests < 100, "{}", c.requests);
}

#[test]
fn compare_policy_is_validated() {
    for (json, want) in [
        (
            serde_json::json!({"compare_policy": "opt"}),
            "compare_policy: opt",
        ),
        (
            serde_json::json!({"compare_policy": "nope"}),
            "compare_policy: no eviction policy",
        ),
    ] {
        let s: Scenario = serde_json::from_value(json.clone()).expect("parses");
        let err = CacheLab::new(&s).err().unwrap_or_default();
        assert!(err.starts_with(want), "{json}: {err}");
    }
    // Any pair of policies compares in bytes.
    for (a, b) in [
        ("s3fifo", "arc"),
        ("arc", "wtinylfu"),
        ("lirs", "2q"),
        ("lfu", "lru"),
    ] {
        let s = Scenario {
            capacity: 100_000,
            capacity_unit: CapacityUnit::Bytes,
            policy: a.into(),
            compare_policy: Some(b.into()),
            ..Scenario::default()
        };
        assert!(CacheLab::new(&s).is_ok(), "{a} vs {b}");
    }
    for off in ["", "none"] {
        let s = Scenario {
            compare_policy: Some(off.into()),
            ..Scenario::default()
        };
        let lab = CacheLab::new(&s).expect("no comparison");
        assert!(lab.view().compare.is_none(), "{off:?}");
    }
}
