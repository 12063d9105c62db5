//! Byte capacity for every policy: each policy's sized variant (built by
//! [`sized_by_name`]) against its object-count algorithm and against the books of bytes.
//!
//! * With every size 1, the sized policy makes exactly the object policy's decisions: the same
//!   outcome (hit, or miss with the same admission and the same evicted keys in order) at every
//!   request, for every policy.
//! * With any sizes, the bytes a policy holds are the sizes of the keys it reports cached and
//!   never exceed its capacity; an object larger than the capacity is never admitted and evicts
//!   nothing; an evicted key is no longer cached.
//! * Sized LFU is checked against a vector-scan oracle in `cache_props.rs`. OPT has no sized
//!   variant: with sizes, evicting the furthest next use is no longer optimal (the optimum is
//!   NP-hard), so it is not the ceiling of a byte hit ratio and is not offered in bytes.
//! * One snapshot per policy of a small sized run, request by request, with the policy's lists.
//!
//! The proptest seed is fixed, so a failure reproduces run after run.

use expect_test::{expect, Expect};
use orrery_core::cache::policy::{by_name, sized_by_name, NAMES};
use orrery_core::cache::{Access, Policy};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x512E5),
        ..ProptestConfig::default()
    }
}

/// Checks the byte books of `p` after one request for `key` of `size` that returned `access`:
/// `used` is the sum of the sizes of the cached keys among `0..keys`, within the capacity.
fn books(
    p: &dyn Policy,
    sizes: &[u64],
    key: u64,
    size: u64,
    access: &Access,
) -> Result<(), TestCaseError> {
    let name = p.name();
    if let Access::Miss { admitted, evicted } = access {
        if size > p.capacity() {
            prop_assert!(!admitted, "{} admitted {} of size {}", name, key, size);
            prop_assert!(evicted.is_empty(), "{} evicted for a refused object", name);
        }
        for e in evicted {
            prop_assert!(!p.contains(*e), "{}: evicted {} is still cached", name, e);
        }
        prop_assert_eq!(*admitted, p.contains(key), "{} admitted {}", name, key);
    } else {
        prop_assert!(p.contains(key), "{}: hit on {} not cached", name, key);
    }
    let cached: u64 = (0..sizes.len() as u64)
        .filter(|&k| p.contains(k))
        .map(|k| sizes[k as usize])
        .sum();
    prop_assert!(
        p.used() <= cached,
        "{}: holds {} bytes, keys cached {}",
        name,
        p.used(),
        cached
    );
    prop_assert!(p.used() <= p.capacity(), "{} over capacity", name);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// (a) Unit sizes: the sized variant is the object policy, decision by decision.
    #[test]
    fn unit_sizes_make_the_object_policys_decisions(
        capacity in 0u64..40,
        keys in proptest::collection::vec(0u64..60, 0..600),
    ) {
        for name in NAMES {
            let mut objects = by_name(name, capacity).unwrap_or_else(|e| panic!("{e}"));
            let mut bytes = sized_by_name(name, capacity, capacity as usize)
                .unwrap_or_else(|e| panic!("{e}"));
            for (t, &k) in keys.iter().enumerate() {
                let a = objects.access(k, 1);
                let b = bytes.access(k, 1);
                prop_assert_eq!(&a, &b, "{} cap {} at request {} (key {})", name, capacity, t, k);
            }
            prop_assert_eq!(objects.segments(100), bytes.segments(100), "{}", name);
        }
    }

    /// (b) Any sizes: the books balance and the capacity holds, request by request. Sizes are
    /// fixed per key (as the lab and the runner assign them), some larger than the cache.
    #[test]
    fn bytes_held_never_exceed_the_capacity(
        capacity in 1u64..200,
        sizes in proptest::collection::vec(1u64..80, 30),
        keys in proptest::collection::vec(0u64..30, 0..500),
    ) {
        for name in NAMES {
            let mut p = sized_by_name(name, capacity, 8).unwrap_or_else(|e| panic!("{e}"));
            for &k in &keys {
                let size = sizes[k as usize];
                let a = p.access(k, size);
                books(p.as_ref(), &sizes, k, size, &a)?;
            }
            let cached: u64 = (0..30u64).filter(|&k| p.contains(k)).map(|k| sizes[k as usize]).sum();
            prop_assert_eq!(p.used(), cached, "{}", name);
        }
    }

    /// A request replayed through `request` hits exactly when `access` says so, with sizes.
    #[test]
    fn request_and_access_agree_with_sizes(
        capacity in 1u64..100,
        sizes in proptest::collection::vec(1u64..40, 20),
        keys in proptest::collection::vec(0u64..20, 0..300),
    ) {
        for name in NAMES {
            let mut a = sized_by_name(name, capacity, 8).unwrap_or_else(|e| panic!("{e}"));
            let mut b = sized_by_name(name, capacity, 8).unwrap_or_else(|e| panic!("{e}"));
            for &k in &keys {
                let s = sizes[k as usize];
                prop_assert_eq!(a.request(k, s), b.access(k, s) == Access::Hit, "{}", name);
            }
        }
    }
}

/// One line per request: key and size, the outcome, the bytes held, and the policy's lists.
fn check(name: &str, capacity: u64, trace: &[(u64, u64)], expect: Expect) {
    let mut p = sized_by_name(name, capacity, 4).unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for &(k, s) in trace {
        let outcome = match p.access(k, s) {
            Access::Hit => "hit ".to_string(),
            Access::Miss {
                admitted: false,
                evicted,
            } => format!("miss, not admitted{}", evicts(&evicted)),
            Access::Miss { evicted, .. } => format!("miss{}", evicts(&evicted)),
        };
        let lists: Vec<String> = p
            .segments(10)
            .into_iter()
            .map(|(l, keys)| {
                let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                format!("{l}[{}]", keys.join(" "))
            })
            .collect();
        out += &format!(
            "{k}:{s:<3} {outcome:<24} {:>2}/{capacity}  {}\n",
            p.used(),
            lists.join(" ")
        );
    }
    expect.assert_eq(&out);
}

fn evicts(keys: &[u64]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    format!(", evicts {}", keys.join(" "))
}

/// A small trace with sizes 1 to 6 over a capacity of 10: a large object that evicts
/// several, a return of evicted keys (ghost hits for ARC, 2Q and LIRS), and an object of 11
/// that no policy admits.
const TRACE: &[(u64, u64)] = &[
    (1, 3),
    (2, 2),
    (1, 3),
    (3, 4),
    (4, 6),
    (2, 2),
    (1, 3),
    (5, 1),
    (3, 4),
    (6, 11),
    (1, 3),
    (5, 1),
    (2, 2),
];

#[test]
fn lfu_evicts_the_least_frequent_until_it_fits() {
    check(
        "lfu",
        10,
        TRACE,
        expect![[r#"
            1:3   miss                      3/10  
            2:2   miss                      5/10  
            1:3   hit                       5/10  
            3:4   miss                      9/10  
            4:6   miss, evicts 2 3          9/10  
            2:2   miss, evicts 4            5/10  
            1:3   hit                       5/10  
            5:1   miss                      6/10  
            3:4   miss                     10/10  
            6:11  miss, not admitted       10/10  
            1:3   hit                      10/10  
            5:1   hit                      10/10  
            2:2   hit                      10/10  
        "#]],
    );
}

#[test]
fn twoq_measures_its_queues_in_bytes() {
    check(
        "2q",
        10,
        TRACE,
        expect![[r#"
            1:3   miss                      3/10  A1in[1] Am[] A1out[]
            2:2   miss                      5/10  A1in[2 1] Am[] A1out[]
            1:3   hit                       5/10  A1in[2 1] Am[] A1out[]
            3:4   miss                      9/10  A1in[3 2 1] Am[] A1out[]
            4:6   miss, evicts 1 2         10/10  A1in[4 3] Am[] A1out[2 1]
            2:2   miss, evicts 3            8/10  A1in[4] Am[2] A1out[3]
            1:3   miss, evicts 4            5/10  A1in[1] Am[2] A1out[]
            5:1   miss                      6/10  A1in[5 1] Am[2] A1out[]
            3:4   miss                     10/10  A1in[3 5 1] Am[2] A1out[]
            6:11  miss, not admitted       10/10  A1in[3 5 1] Am[2] A1out[]
            1:3   hit                      10/10  A1in[3 5 1] Am[2] A1out[]
            5:1   hit                      10/10  A1in[3 5 1] Am[2] A1out[]
            2:2   hit                      10/10  A1in[3 5 1] Am[2] A1out[]
        "#]],
    );
}

#[test]
fn arc_adapts_p_in_bytes() {
    check(
        "arc",
        10,
        TRACE,
        expect![[r#"
            1:3   miss                      3/10  T1[1] T2[] B1[] B2[]
            2:2   miss                      5/10  T1[2 1] T2[] B1[] B2[]
            1:3   hit                       5/10  T1[2] T2[1] B1[] B2[]
            3:4   miss                      9/10  T1[3 2] T2[1] B1[] B2[]
            4:6   miss, evicts 2 3          9/10  T1[4] T2[1] B1[3] B2[]
            2:2   miss, evicts 4            5/10  T1[2] T2[1] B1[4] B2[]
            1:3   hit                       5/10  T1[2] T2[1] B1[4] B2[]
            5:1   miss                      6/10  T1[5 2] T2[1] B1[4] B2[]
            3:4   miss                     10/10  T1[3 5 2] T2[1] B1[] B2[]
            6:11  miss, not admitted       10/10  T1[3 5 2] T2[1] B1[] B2[]
            1:3   hit                      10/10  T1[3 5 2] T2[1] B1[] B2[]
            5:1   hit                      10/10  T1[3 2] T2[5 1] B1[] B2[]
            2:2   hit                      10/10  T1[3] T2[2 5 1] B1[] B2[]
        "#]],
    );
}

#[test]
fn lirs_keeps_its_lir_budget_in_bytes() {
    check(
        "lirs",
        10,
        TRACE,
        expect![[r#"
            1:3   miss                      3/10  S[1] Q[]
            2:2   miss                      5/10  S[2 1] Q[]
            1:3   hit                       5/10  S[1 2] Q[]
            3:4   miss                      9/10  S[3 1 2] Q[]
            4:6   miss, evicts 2 1         10/10  S[4 3] Q[4]
            2:2   miss, evicts 4            6/10  S[2 4 3] Q[]
            1:3   miss                      9/10  S[1 2 4 3] Q[]
            5:1   miss                     10/10  S[5 1 2 4 3] Q[5]
            3:4   hit                      10/10  S[3 5 1 2] Q[5]
            6:11  miss, not admitted       10/10  S[3 5 1 2] Q[5]
            1:3   hit                      10/10  S[1 3 5 2] Q[5]
            5:1   hit                      10/10  S[5 1 3] Q[2]
            2:2   hit                      10/10  S[2 5 1 3] Q[2]
        "#]],
    );
}

#[test]
fn wtinylfu_admits_by_frequency_with_weights() {
    check(
        "wtinylfu",
        10,
        TRACE,
        expect![[r#"
            1:3   miss                      3/10  window[] probation[1] protected[]
            2:2   miss                      5/10  window[] probation[2 1] protected[]
            1:3   hit                       5/10  window[] probation[2] protected[1]
            3:4   miss                      9/10  window[] probation[3 2] protected[1]
            4:6   miss, not admitted        9/10  window[] probation[3 2] protected[1]
            2:2   hit                       9/10  window[] probation[3] protected[2 1]
            1:3   hit                       9/10  window[] probation[3] protected[1 2]
            5:1   miss                     10/10  window[5] probation[3] protected[1 2]
            3:4   hit                      10/10  window[5] probation[2] protected[3 1]
            6:11  miss, not admitted       10/10  window[5] probation[2] protected[3 1]
            1:3   hit                      10/10  window[5] probation[2] protected[1 3]
            5:1   hit                      10/10  window[5] probation[2] protected[1 3]
            2:2   hit                      10/10  window[5] probation[3] protected[2 1]
        "#]],
    );
}

#[test]
fn the_object_policies_sized_before_this_change() {
    for (name, expect) in [
        (
            "lru",
            expect![[r#"
            1:3   miss                      3/10  LRU[1]
            2:2   miss                      5/10  LRU[2 1]
            1:3   hit                       5/10  LRU[1 2]
            3:4   miss                      9/10  LRU[3 1 2]
            4:6   miss, evicts 2 1         10/10  LRU[4 3]
            2:2   miss, evicts 3            8/10  LRU[2 4]
            1:3   miss, evicts 4            5/10  LRU[1 2]
            5:1   miss                      6/10  LRU[5 1 2]
            3:4   miss                     10/10  LRU[3 5 1 2]
            6:11  miss, not admitted       10/10  LRU[3 5 1 2]
            1:3   hit                      10/10  LRU[1 3 5 2]
            5:1   hit                      10/10  LRU[5 1 3 2]
            2:2   hit                      10/10  LRU[2 5 1 3]
        "#]],
        ),
        (
            "fifo",
            expect![[r#"
            1:3   miss                      3/10  FIFO[1]
            2:2   miss                      5/10  FIFO[2 1]
            1:3   hit                       5/10  FIFO[2 1]
            3:4   miss                      9/10  FIFO[3 2 1]
            4:6   miss, evicts 1 2         10/10  FIFO[4 3]
            2:2   miss, evicts 3            8/10  FIFO[2 4]
            1:3   miss, evicts 4            5/10  FIFO[1 2]
            5:1   miss                      6/10  FIFO[5 1 2]
            3:4   miss                     10/10  FIFO[3 5 1 2]
            6:11  miss, not admitted       10/10  FIFO[3 5 1 2]
            1:3   hit                      10/10  FIFO[3 5 1 2]
            5:1   hit                      10/10  FIFO[3 5 1 2]
            2:2   hit                      10/10  FIFO[3 5 1 2]
        "#]],
        ),
        (
            "clock",
            expect![[r#"
            1:3   miss                      3/10  CLOCK[1]
            2:2   miss                      5/10  CLOCK[2 1]
            1:3   hit                       5/10  CLOCK[2 1]
            3:4   miss                      9/10  CLOCK[3 2 1]
            4:6   miss, evicts 2 3          9/10  CLOCK[4 1]
            2:2   miss, evicts 1            8/10  CLOCK[2 4]
            1:3   miss, evicts 4            5/10  CLOCK[1 2]
            5:1   miss                      6/10  CLOCK[5 1 2]
            3:4   miss                     10/10  CLOCK[3 5 1 2]
            6:11  miss, not admitted       10/10  CLOCK[3 5 1 2]
            1:3   hit                      10/10  CLOCK[3 5 1 2]
            5:1   hit                      10/10  CLOCK[3 5 1 2]
            2:2   hit                      10/10  CLOCK[3 5 1 2]
        "#]],
        ),
        (
            "sieve",
            expect![[r#"
            1:3   miss                      3/10  
            2:2   miss                      5/10  
            1:3   hit                       5/10  
            3:4   miss                      9/10  
            4:6   miss, evicts 2 3          9/10  
            2:2   miss, evicts 1            8/10  
            1:3   miss, evicts 4            5/10  
            5:1   miss                      6/10  
            3:4   miss                     10/10  
            6:11  miss, not admitted       10/10  
            1:3   hit                      10/10  
            5:1   hit                      10/10  
            2:2   hit                      10/10  
        "#]],
        ),
        (
            "s3fifo",
            expect![[r#"
            1:3   miss                      3/10  S[1] M[] G[]
            2:2   miss                      5/10  S[2 1] M[] G[]
            1:3   hit                       5/10  S[2 1] M[] G[]
            3:4   miss                      9/10  S[3 2 1] M[] G[]
            4:6   miss, evicts 2 3          9/10  S[4] M[1] G[3 2]
            2:2   miss, evicts 4            5/10  S[2] M[1] G[4]
            1:3   hit                       5/10  S[2] M[1] G[4]
            5:1   miss                      6/10  S[5 2] M[1] G[4]
            3:4   miss                     10/10  S[3 5 2] M[1] G[4]
            6:11  miss, not admitted       10/10  S[3 5 2] M[1] G[4]
            1:3   hit                      10/10  S[3 5 2] M[1] G[4]
            5:1   hit                      10/10  S[3 5 2] M[1] G[4]
            2:2   hit                      10/10  S[3 5 2] M[1] G[4]
        "#]],
        ),
    ] {
        check(name, 10, TRACE, expect);
    }
}

#[test]
fn opt_has_no_sized_variant() {
    let err = sized_by_name("opt", 100, 10).err().unwrap_or_default();
    assert!(err.contains("NP-hard"), "{err}");
    let err = sized_by_name("mru", 100, 10).err().unwrap_or_default();
    assert!(err.contains("no eviction policy"), "{err}");
}

#[test]
fn arc_target_moves_by_the_size_of_the_ghost_hit() {
    // Capacity 10: 1 (4 bytes) twice goes to T2, 2 (3 bytes) to T1; 3 (5 bytes) does not fit,
    // and REPLACE (|T1| = 3 > p = 0) sends 2 to B1. Its return is a B1 hit of 3 bytes with B2
    // empty: p moves up by 3 × max(1, 0/3) = 3 bytes.
    let mut p = sized_by_name("arc", 10, 4).unwrap_or_else(|e| panic!("{e}"));
    for (k, s) in [(1, 4), (1, 4), (2, 3), (3, 5)] {
        p.access(k, s);
    }
    assert_eq!(p.target_milli(), Some(0));
    let lists = p.segments(10);
    assert_eq!(lists[2], ("B1", vec![2]));
    assert_eq!(
        p.access(2, 3),
        Access::Miss {
            admitted: true,
            evicted: vec![3]
        }
    );
    assert_eq!(p.target_milli(), Some(3_000));
    assert!(p.contains(2));
    assert_eq!(p.used(), 7);
}

#[test]
fn a_lines_trace_may_carry_sizes_and_a_spec_assigns_them_per_key() {
    use orrery_core::cache::trace::{parse, parse_sized, Format, SizeSpec};
    let t = parse_sized(b"a 100\nb 20\n\na 100\n", Format::Lines).expect("sized");
    assert_eq!(t.keys, [0, 1, 0]);
    assert_eq!(t.sizes, Some(vec![100, 20, 100]));
    // Without the column, or read by `parse`, the whole line is the key, as before.
    let t = parse_sized(b"GET /a\nGET /b\n", Format::Lines).expect("plain");
    assert_eq!((t.keys, t.sizes), (vec![0, 1], None));
    assert_eq!(
        parse(b"a 100\nb 20\n", Format::Lines).expect("plain"),
        [0, 1]
    );
    let e = parse_sized(b"1 100\n", Format::Lirs).expect_err("no column");
    assert_eq!(e.line, 1);
    assert!(parse_sized(b"1 2 0 0\n", Format::Arc).is_ok());
    let spec = SizeSpec::parse("uniform:10-20").expect("spec");
    let sizes: Vec<u64> = (0..8).map(|k| spec.size(k)).collect();
    expect!["[11, 19, 16, 14, 20, 11, 11, 12]"].assert_eq(&format!("{sizes:?}"));
    assert_eq!(SizeSpec::parse("fixed:7").map(|s| s.size(99)), Ok(7));
}
