//! Deleting objects from the eviction policies ([`Policy::remove`], what an invalidation does)
//! and byte capacity (per-object sizes).
//!
//! | test | checks |
//! |---|---|
//! | `books_with_removes` | every policy (OPT too) under requests mixed with deletions: a deleted key is not cached, its next request misses, `used` counts exactly the cached keys and never exceeds the capacity |
//! | `byte_books` | the sized policies (LRU, FIFO, CLOCK, SIEVE, S3-FIFO) with sizes and deletions: `used` is the sum of the cached objects' sizes, never above the capacity; an object larger than the cache is refused and evicts nothing |
//! | `*_remove_*` snapshots | where a deletion leaves each policy's lists, and that ghosts and history stay (ARC, 2Q, LIRS, S3-FIFO) |
//!
//! The exact per-request behaviour of LRU, FIFO, CLOCK, LFU, 2Q, ARC and SIEVE with deletions
//! is checked against oracles in `cache_props.rs`.

use expect_test::{expect, Expect};
use orrery_core::cache::policy::lirs::Lirs;
use orrery_core::cache::policy::opt::Opt;
use orrery_core::cache::policy::s3fifo::S3Fifo;
use orrery_core::cache::policy::{by_name, NAMES};
use orrery_core::cache::replay::replay_sized;
use orrery_core::cache::{Access, Policy};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// A request `(key, size)` or a deletion.
#[derive(Clone, Copy, Debug)]
enum Op {
    Get(u64, u64),
    Remove(u64),
}

fn ops(sizes: std::ops::Range<u64>) -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        prop_oneof![
            4 => ((0u64..30), sizes).prop_map(|(k, s)| Op::Get(k, s)),
            1 => (0u64..30).prop_map(Op::Remove),
        ],
        0..400,
    )
}

/// Every policy by name, plus OPT over the requested keys.
fn all_policies(capacity: u64, ops: &[Op]) -> Vec<Box<dyn Policy>> {
    let keys: Vec<u64> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Get(k, _) => Some(*k),
            Op::Remove(_) => None,
        })
        .collect();
    let mut out: Vec<Box<dyn Policy>> = NAMES
        .iter()
        .map(|n| by_name(n, capacity).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    out.push(Box::new(Opt::new(capacity, &keys)));
    out
}

/// Runs `ops` through `p` (with sizes when `sized`), checking the books after every step.
fn keep_books(p: &mut dyn Policy, ops: &[Op], sized: bool) -> Result<(), TestCaseError> {
    let name = p.name();
    let mut sizes = std::collections::BTreeMap::new();
    for (t, &op) in ops.iter().enumerate() {
        match op {
            Op::Remove(k) => {
                let was = p.contains(k);
                prop_assert_eq!(p.remove(k), was, "{} at {}: remove({}) result", name, t, k);
                prop_assert!(
                    !p.contains(k),
                    "{} at {}: {} cached after remove",
                    name,
                    t,
                    k
                );
                prop_assert!(!p.remove(k), "{} at {}: second remove({})", name, t, k);
            }
            Op::Get(k, size) => {
                let size = if sized { size } else { 1 };
                let before = p.contains(k);
                let result = p.access(k, size);
                prop_assert_eq!(
                    before,
                    result == Access::Hit,
                    "{} at {}: key {}",
                    name,
                    t,
                    k
                );
                match &result {
                    Access::Hit => {}
                    Access::Miss { admitted, evicted } => {
                        prop_assert_eq!(p.contains(k), *admitted, "{} at {}", name, t);
                        if *admitted {
                            sizes.insert(k, size);
                        }
                        if size > p.capacity() {
                            prop_assert!(
                                !admitted,
                                "{} at {}: {} > capacity admitted",
                                name,
                                t,
                                size
                            );
                            prop_assert!(
                                evicted.is_empty(),
                                "{} at {}: evicted for a refused object",
                                name,
                                t
                            );
                        }
                        for e in evicted {
                            prop_assert!(!p.contains(*e), "{} at {}: {} evicted", name, t, e);
                        }
                    }
                }
            }
        }
        let cached: u64 = (0..30)
            .filter(|&x| p.contains(x))
            .map(|x| if sized { sizes[&x] } else { 1 })
            .sum();
        prop_assert_eq!(p.used(), cached, "{} at {}", name, t);
        prop_assert!(p.used() <= p.capacity(), "{} at {}", name, t);
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x5E1E7E),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn books_with_removes(capacity in 1u64..20, ops in ops(1..2)) {
        for mut p in all_policies(capacity, &ops) {
            keep_books(p.as_mut(), &ops, false)?;
        }
    }

    #[test]
    fn byte_books(capacity in 0u64..40, ops in ops(1..12)) {
        for name in NAMES {
            let mut p = by_name(name, capacity).unwrap_or_else(|e| panic!("{e}"));
            keep_books(p.as_mut(), &ops, true)?;
        }
    }

    /// With every size 1, a sized policy's byte hit ratio is its hit ratio, and sizes that
    /// are all equal to `s` behave as unit sizes with `capacity / s` objects.
    #[test]
    fn equal_sizes_scale_the_capacity(capacity in 1u64..20, keys in proptest::collection::vec(0u64..30, 0..300), s in 1u64..5) {
        for name in NAMES {
            let unit: Vec<(u64, u64)> = keys.iter().map(|&k| (k, 1)).collect();
            let scaled: Vec<(u64, u64)> = keys.iter().map(|&k| (k, s)).collect();
            let mut a = by_name(name, capacity).unwrap_or_else(|e| panic!("{e}"));
            let mut b = by_name(name, capacity * s).unwrap_or_else(|e| panic!("{e}"));
            let (sa, sb) = (replay_sized(a.as_mut(), &unit), replay_sized(b.as_mut(), &scaled));
            prop_assert_eq!(sa.hit_ratio_bp(), sa.byte_hit_ratio_bp(), "{}", name);
            if !["s3fifo", "lirs", "wtinylfu"].contains(name) {
                // S3-FIFO's 10% share of S, LIRS's 1% HIR part and W-TinyLFU's 1% window round
                // differently in bytes and in objects.
                prop_assert_eq!(sa.hits, sb.hits, "{} with size {}", name, s);
            }
        }
    }
}

/// Applies `ops` (`k` requests `k`, `-k` deletes it) and draws the policy's lists.
fn walk(p: &mut dyn Policy, ops: &[i64], state: impl Fn(&dyn Policy) -> String) -> String {
    let mut out = String::new();
    for &op in ops {
        let k = op.unsigned_abs();
        let what = if op < 0 {
            format!(
                "remove {k}: {}",
                if p.remove(k) { "removed" } else { "not cached" }
            )
        } else {
            match p.access(k, 1) {
                Access::Hit => format!("get {k}: hit"),
                Access::Miss { evicted, .. } if evicted.is_empty() => format!("get {k}: miss"),
                Access::Miss { evicted, .. } => format!("get {k}: miss, evicts {evicted:?}"),
            }
        };
        out += &format!("{what:<28} {}\n", state(p));
    }
    out
}

fn segments(p: &dyn Policy) -> String {
    p.segments(16)
        .into_iter()
        .map(|(n, k)| format!("{n} {k:?}"))
        .collect::<Vec<_>>()
        .join("  ")
}

fn check(name: &str, capacity: u64, ops: &[i64], e: Expect) {
    let mut p = by_name(name, capacity).unwrap_or_else(|e| panic!("{e}"));
    e.assert_eq(&walk(p.as_mut(), ops, segments));
}

#[test]
fn lru_remove_frees_the_slot() {
    // With 2 deleted, 4 fits without evicting anyone.
    check(
        "lru",
        3,
        &[1, 2, 3, -2, 4, 5],
        expect![[r#"
            get 1: miss                  LRU [1]
            get 2: miss                  LRU [2, 1]
            get 3: miss                  LRU [3, 2, 1]
            remove 2: removed            LRU [3, 1]
            get 4: miss                  LRU [4, 3, 1]
            get 5: miss, evicts [1]      LRU [5, 4, 3]
        "#]],
    );
}

#[test]
fn arc_remove_makes_no_ghost_and_keeps_ghosts() {
    // 1 goes to B1 when 3 arrives; deleting 2 (in T2) frees a slot and makes no ghost;
    // deleting 1 (a ghost) changes nothing. The B1 hit on 1 raises p to 1 and takes the free
    // slot instead of evicting; with T1 at its target, 4 then evicts T2's LRU into B2.
    check(
        "arc",
        2,
        &[1, 2, 2, 3, -2, -1, 1, 4],
        expect![[r#"
            get 1: miss                  T1 [1]  T2 []  B1 []  B2 []
            get 2: miss                  T1 [2, 1]  T2 []  B1 []  B2 []
            get 2: hit                   T1 [1]  T2 [2]  B1 []  B2 []
            get 3: miss, evicts [1]      T1 [3]  T2 [2]  B1 [1]  B2 []
            remove 2: removed            T1 [3]  T2 []  B1 [1]  B2 []
            remove 1: not cached         T1 [3]  T2 []  B1 [1]  B2 []
            get 1: miss                  T1 [3]  T2 [1]  B1 []  B2 []
            get 4: miss, evicts [1]      T1 [4, 3]  T2 []  B1 []  B2 [1]
        "#]],
    );
}

#[test]
fn twoq_remove_keeps_a1out() {
    // Deleting 5 from A1in does not page it out to A1out; 1's ghost survives its deletion
    // and still sends 1 to Am.
    check(
        "2q",
        4,
        &[1, 2, 3, 4, 5, -5, -1, 1, -1],
        expect![[r#"
            get 1: miss                  A1in [1]  Am []  A1out []
            get 2: miss                  A1in [2, 1]  Am []  A1out []
            get 3: miss                  A1in [3, 2, 1]  Am []  A1out []
            get 4: miss                  A1in [4, 3, 2, 1]  Am []  A1out []
            get 5: miss, evicts [1]      A1in [5, 4, 3, 2]  Am []  A1out [1]
            remove 5: removed            A1in [4, 3, 2]  Am []  A1out [1]
            remove 1: not cached         A1in [4, 3, 2]  Am []  A1out [1]
            get 1: miss                  A1in [4, 3, 2]  Am [1]  A1out []
            remove 1: removed            A1in [4, 3, 2]  Am []  A1out []
        "#]],
    );
}

#[test]
fn lirs_remove_of_a_lir_block_reopens_the_lir_set() {
    let mut p = Lirs::new(3);
    let state = |p: &dyn Policy| segments(p);
    // 1 and 2 are LIR, 3 a resident HIR. Deleting LIR block 2 leaves the LIR set one short, so
    // 4 becomes LIR at once; deleting 1, S's bottom, prunes the non-resident 3 above it.
    expect![[r#"
        get 1: miss                  S [1]  Q []
        get 2: miss                  S [2, 1]  Q []
        get 3: miss                  S [3, 2, 1]  Q [3]
        remove 2: removed            S [3, 1]  Q [3]
        get 4: miss                  S [4, 3, 1]  Q [3]
        get 5: miss, evicts [3]      S [5, 4, 3, 1]  Q [5]
        remove 1: removed            S [5, 4]  Q [5]
    "#]]
    .assert_eq(&walk(&mut p, &[1, 2, 3, -2, 4, 5, -1], state));
}

#[test]
fn s3fifo_remove_keeps_the_ghost_and_frees_units() {
    // Deleting 3 from S and 1 from M frees their units; 2's ghost survives a deletion and
    // still sends 2 to M; 6 then fits without an eviction.
    let mut p = S3Fifo::new(4);
    let state = |p: &dyn Policy| format!("{}  used {}", segments(p), p.used());
    expect![[r#"
        get 1: miss                  S [1]  M []  G []  used 1
        get 2: miss                  S [2, 1]  M []  G []  used 2
        get 1: hit                   S [2, 1]  M []  G []  used 2
        get 3: miss                  S [3, 2, 1]  M []  G []  used 3
        get 4: miss                  S [4, 3, 2, 1]  M []  G []  used 4
        get 5: miss, evicts [2]      S [5, 4, 3]  M [1]  G [2]  used 4
        remove 3: removed            S [5, 4]  M [1]  G [2]  used 3
        remove 2: not cached         S [5, 4]  M [1]  G [2]  used 3
        get 2: miss                  S [5, 4]  M [2, 1]  G []  used 4
        remove 1: removed            S [5, 4]  M [2]  G []  used 3
        get 6: miss                  S [6, 5, 4]  M [2]  G []  used 4
        get 7: miss, evicts [4]      S [7, 6, 5]  M [2]  G [4]  used 4
    "#]]
    .assert_eq(&walk(
        &mut p,
        &[1, 2, 1, 3, 4, 5, -3, -2, 2, -1, 6, 7],
        state,
    ));
}

#[test]
fn sized_lru_refuses_an_object_larger_than_the_cache() {
    let mut p = by_name("lru", 10).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        p.access(1, 6),
        Access::Miss { admitted: true, .. }
    ));
    assert_eq!(
        p.access(2, 11),
        Access::Miss {
            admitted: false,
            evicted: vec![]
        }
    );
    assert_eq!(
        p.access(3, 5),
        Access::Miss {
            admitted: true,
            evicted: vec![1]
        }
    );
    assert_eq!(p.used(), 5);
}
