//! Tests of the consistent-hash ring (`cache::ring`): a golden snapshot of positions, owners,
//! shares and moves (a change of hash is a visible format change), property tests against a
//! plain oracle (owners recomputed on both rings; replicas by walking the points), and the
//! balance that virtual nodes buy.
//!
//! The proptest seed is fixed (`RngSeed::Fixed`), so a failure reproduces run after run.

use std::collections::BTreeMap;
use std::fmt::Write;

use expect_test::{expect, Expect};
use orrery_core::cache::ring::{key_position, mix, Moved, NodeId, Ring};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Renders a ring (points, arcs, shares, owners of `keys`) and what removing then re-adding
/// `churn` moves.
fn render(ring: &Ring, keys: std::ops::Range<u64>, churn: NodeId) -> String {
    let mut out = String::new();
    for (arc, p) in ring.arcs() {
        writeln!(
            out,
            "point {}.{} at {:#018x} owns ({:#018x}, {:#018x}]",
            p.node, p.replica, p.pos, arc.start, arc.end
        )
        .unwrap();
    }
    for &n in ring.nodes() {
        writeln!(out, "share {n}: {} ppm", ring.share(n)).unwrap();
    }
    for k in keys.clone() {
        writeln!(
            out,
            "key {k} at {:#018x}: owner {:?}, owners(2) {:?}",
            key_position(k),
            ring.owner(k),
            ring.owners(k, 2)
        )
        .unwrap();
    }
    let mut after = ring.clone();
    let removed = after.remove_node(churn);
    write_moved(&mut out, &format!("remove {churn}"), &removed, keys.clone());
    let added = after.add_node(churn);
    write_moved(&mut out, &format!("add {churn}"), &added, keys);
    assert_eq!(
        &after, ring,
        "removing then re-adding a node restores the ring"
    );
    out
}

fn write_moved(out: &mut String, what: &str, moved: &Moved, keys: std::ops::Range<u64>) {
    writeln!(out, "{what}: {} ppm of the ring moves", moved.share()).unwrap();
    for t in &moved.transfers {
        writeln!(
            out,
            "  ({:#018x}, {:#018x}] {:?} -> {:?}",
            t.arc.start, t.arc.end, t.from, t.to
        )
        .unwrap();
    }
    writeln!(out, "  keys: {:?}", moved.keys(keys)).unwrap();
}

fn check(ring: &Ring, keys: std::ops::Range<u64>, churn: NodeId, expect: Expect) {
    expect.assert_eq(&render(ring, keys, churn));
}

#[test]
fn golden_worked_example() {
    // The module doc's worked example: changing the hash, the salts or the tie rule shows here.
    check(
        &Ring::with_nodes(2, 1..=3),
        0..12,
        2,
        expect![[r#"
            point 2.0 at 0x0d21e365d1ef9544 owns (0xd8a4cbbc377bb457, 0x0d21e365d1ef9544]
            point 1.1 at 0x0e576bf96478b381 owns (0x0d21e365d1ef9544, 0x0e576bf96478b381]
            point 3.1 at 0x3e72f8f8e38d6597 owns (0x0e576bf96478b381, 0x3e72f8f8e38d6597]
            point 2.1 at 0x55d18782cb60b91c owns (0x3e72f8f8e38d6597, 0x55d18782cb60b91c]
            point 3.0 at 0x761b3524404745bc owns (0x55d18782cb60b91c, 0x761b3524404745bc]
            point 1.0 at 0xd8a4cbbc377bb457 owns (0x761b3524404745bc, 0xd8a4cbbc377bb457]
            share 1: 389635 ppm
            share 2: 296320 ppm
            share 3: 314044 ppm
            key 0 at 0x86fa59fa943fe6f8: owner Some(1), owners(2) [1, 2]
            key 1 at 0x6df8f8d77b172277: owner Some(3), owners(2) [3, 1]
            key 2 at 0xcb059510a3eaa16a: owner Some(1), owners(2) [1, 2]
            key 3 at 0x466b1d25f75b1b2c: owner Some(2), owners(2) [2, 3]
            key 4 at 0xb9fbfd9d5ab7f151: owner Some(1), owners(2) [1, 2]
            key 5 at 0x3de803b540ef2e20: owner Some(3), owners(2) [3, 2]
            key 6 at 0x0b0b1a1f7cbef558: owner Some(2), owners(2) [2, 1]
            key 7 at 0xfbca5f1ba4e20279: owner Some(2), owners(2) [2, 1]
            key 8 at 0xa183e8cf7b8df8ce: owner Some(1), owners(2) [1, 2]
            key 9 at 0x33d5d3f116cd63c3: owner Some(3), owners(2) [3, 2]
            key 10 at 0xac933cd6ce378a50: owner Some(1), owners(2) [1, 2]
            key 11 at 0x28d942f46828131b: owner Some(3), owners(2) [3, 2]
            remove 2: 296320 ppm of the ring moves
              (0x3e72f8f8e38d6597, 0x55d18782cb60b91c] Some(2) -> Some(3)
              (0xd8a4cbbc377bb457, 0x0d21e365d1ef9544] Some(2) -> Some(1)
              keys: [(3, Some(2), Some(3)), (6, Some(2), Some(1)), (7, Some(2), Some(1))]
            add 2: 296320 ppm of the ring moves
              (0x3e72f8f8e38d6597, 0x55d18782cb60b91c] Some(3) -> Some(2)
              (0xd8a4cbbc377bb457, 0x0d21e365d1ef9544] Some(1) -> Some(2)
              keys: [(3, Some(3), Some(2)), (6, Some(1), Some(2)), (7, Some(1), Some(2))]
        "#]],
    );
}

#[test]
fn golden_hash_values() {
    let out: Vec<String> = [0u64, 1, 2, u64::MAX]
        .iter()
        .map(|&x| format!("mix({x:#x}) = {:#018x}", mix(x)))
        .collect();
    expect![[r#"
        mix(0x0) = 0x0000000000000000
        mix(0x1) = 0x5692161d100b05e5
        mix(0x2) = 0xdbd238973a2b148a
        mix(0xffffffffffffffff) = 0xb4d055fcf2cbbd7b"#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn empty_ring_owns_nothing() {
    let mut ring = Ring::new(100);
    assert_eq!(ring.owner(42), None);
    assert_eq!(ring.owners(42, 3), Vec::<NodeId>::new());
    assert_eq!(ring.share(1), 0);
    assert!(ring.points().is_empty());
    assert!(ring.remove_node(1).is_empty());
    // The first node takes the whole ring from no one; the last one gives it back.
    let added = ring.add_node(7);
    assert_eq!(added.transfers.len(), 1);
    let t = added.transfers[0];
    assert_eq!((t.from, t.to), (None, Some(7)));
    assert_eq!(t.arc.len(), 1 << 64);
    assert_eq!(added.share(), 1_000_000);
    assert_eq!(ring.share(7), 1_000_000);
    assert_eq!(ring.owners(42, 3), vec![7]);
    assert!(
        ring.add_node(7).is_empty(),
        "adding a node twice changes nothing"
    );
    let removed = ring.remove_node(7);
    assert_eq!(removed.keys(0..5).len(), 5);
    assert!(removed
        .keys(0..5)
        .iter()
        .all(|&(_, f, t)| f == Some(7) && t.is_none()));
    assert_eq!(ring.owner(42), None);
}

#[test]
fn whole_ring_transfer_covers_keys_past_the_last_point() {
    // Regressions found by the property tests: with a single point, the whole-ring arc must
    // cover keys on both sides of that point.
    let moved = Ring::diff(&Ring::with_nodes(1, [0]), &Ring::new(1));
    assert_eq!(moved.keys([16]), [(16, Some(0), None)]);
    let moved = Ring::diff(&Ring::new(1), &Ring::with_nodes(1, [0]));
    assert_eq!(moved.keys([35]), [(35, None, Some(0))]);
}

#[test]
fn zero_vnodes_counts_as_one() {
    let ring = Ring::with_nodes(0, [3]);
    assert_eq!(ring.vnodes_per_node(), 1);
    assert_eq!(ring.owner(0), Some(3));
}

/// For each node of `base..base + 10`, its key count among 100k keys and its ring share, as
/// a deviation from a tenth in percent (rounded towards zero).
fn deviations(vnodes: u32, base: NodeId) -> Vec<(NodeId, i64, i64)> {
    let ring = Ring::with_nodes(vnodes, base..base + 10);
    let mut counts: BTreeMap<NodeId, i64> = BTreeMap::new();
    for k in 0..100_000u64 {
        *counts.entry(ring.owner(k).unwrap()).or_default() += 1;
    }
    let total: u64 = ring.nodes().iter().map(|&n| ring.share(n)).sum();
    assert!(
        (999_990..=1_000_000).contains(&total),
        "shares add up: {total}"
    );
    ring.nodes()
        .iter()
        .map(|&n| {
            let keys = (counts.get(&n).copied().unwrap_or(0) - 10_000) * 100 / 10_000;
            let share = (ring.share(n) as i64 - 100_000) * 100 / 100_000;
            (n, keys, share)
        })
        .collect()
}

/// Node sets for the balance tests: several, so the result is not one lucky set of ids.
const BASES: [NodeId; 7] = [0, 1, 10, 100, 1000, 1 << 20, 4_000_000_000];

#[test]
fn many_vnodes_balance_keys_within_15_percent() {
    // A node's share is a sum of `vnodes` roughly exponential arcs: its relative spread is about
    // 1/sqrt(vnodes), 10% at 100 and 4.4% at 512. Over 10 nodes the worst one lands near two
    // spreads out, so ±15% holds for every node set only from a few hundred virtual nodes.
    for base in BASES {
        for (n, keys, share) in deviations(512, base) {
            assert!(
                keys.abs() <= 15,
                "512 vnodes, node {n}: keys off by {keys}%"
            );
            assert!(
                share.abs() <= 15,
                "512 vnodes, node {n}: share off by {share}%"
            );
        }
    }
}

#[test]
fn a_hundred_vnodes_balance_within_25_percent() {
    for base in BASES {
        for (n, keys, share) in deviations(100, base) {
            assert!(
                keys.abs() <= 25,
                "100 vnodes, node {n}: keys off by {keys}%"
            );
            assert!(
                share.abs() <= 25,
                "100 vnodes, node {n}: share off by {share}%"
            );
        }
    }
}

#[test]
fn a_hundred_vnodes_spread_as_expected() {
    // The root-mean-square deviation over all node sets is near 1/sqrt(100) = 10%: the hash
    // places points like a random placement would, neither clumped nor suspiciously even.
    let devs: Vec<i64> = BASES
        .iter()
        .flat_map(|&b| deviations(100, b))
        .map(|(_, _, share)| share)
        .collect();
    let rms = ((devs.iter().map(|d| d * d).sum::<i64>() as f64) / devs.len() as f64).sqrt();
    assert!((5.0..=15.0).contains(&rms), "rms deviation {rms}%");
}

/// The oracle for moves: every key whose owner differs, found by asking both rings.
fn moved_by_oracle(
    before: &Ring,
    after: &Ring,
    keys: &[u64],
) -> Vec<(u64, Option<NodeId>, Option<NodeId>)> {
    keys.iter()
        .map(|&k| (k, before.owner(k), after.owner(k)))
        .filter(|(_, f, t)| f != t)
        .collect()
}

/// The oracle for replicas: walk the points clockwise from the key, collecting new nodes.
fn owners_by_oracle(ring: &Ring, key: u64, n: usize) -> Vec<NodeId> {
    let pos = key_position(key);
    let pts = ring.points();
    let mut order: Vec<_> = pts.iter().filter(|p| p.pos >= pos).collect();
    order.extend(pts.iter().filter(|p| p.pos < pos));
    let mut out = Vec::new();
    for p in order {
        if out.len() < n && !out.contains(&p.node) {
            out.push(p.node);
        }
    }
    out
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 300,
        rng_seed: RngSeed::Fixed(0x0001_216A),
        ..ProptestConfig::default()
    }
}

fn keys() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![0u64..64, any::<u64>()], 0..200)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn adding_moves_only_keys_to_the_new_node(
        vnodes in 1u32..24,
        nodes in prop::collection::btree_set(0u32..16, 0..6),
        new in 0u32..20,
        keys in keys(),
    ) {
        let before = Ring::with_nodes(vnodes, nodes.iter().copied());
        let mut after = before.clone();
        let moved = after.add_node(new);
        let oracle = moved_by_oracle(&before, &after, &keys);
        prop_assert_eq!(moved.keys(keys.iter().copied()), oracle.clone());
        prop_assert!(oracle.iter().all(|&(_, _, to)| to == Some(new)));
        prop_assert!(moved.transfers.iter().all(|t| t.to == Some(new)));
        if nodes.contains(&new) {
            prop_assert!(moved.is_empty());
        } else {
            // What moved is exactly the new node's share (up to rounding of each sum).
            prop_assert!(moved.share().abs_diff(after.share(new)) <= 1);
        }
    }

    #[test]
    fn removing_moves_only_the_removed_nodes_keys(
        vnodes in 1u32..24,
        nodes in prop::collection::btree_set(0u32..16, 0..6),
        gone in 0u32..20,
        keys in keys(),
    ) {
        let before = Ring::with_nodes(vnodes, nodes.iter().copied());
        let mut after = before.clone();
        let moved = after.remove_node(gone);
        let oracle = moved_by_oracle(&before, &after, &keys);
        prop_assert_eq!(moved.keys(keys.iter().copied()), oracle.clone());
        let owned: Vec<u64> = keys.iter().copied().filter(|&k| before.owner(k) == Some(gone)).collect();
        let moved_keys: Vec<u64> = oracle.iter().map(|&(k, _, _)| k).collect();
        prop_assert_eq!(moved_keys, owned);
        prop_assert!(moved.transfers.iter().all(|t| t.from == Some(gone)));
        prop_assert!(moved.share().abs_diff(before.share(gone)) <= 1);
        prop_assert!(!after.contains_node(gone));
    }

    #[test]
    fn diff_of_any_two_rings_finds_every_moved_key(
        vnodes in 1u32..16,
        a in prop::collection::btree_set(0u32..12, 0..5),
        b in prop::collection::btree_set(0u32..12, 0..5),
        keys in keys(),
    ) {
        let (ra, rb) = (Ring::with_nodes(vnodes, a), Ring::with_nodes(vnodes, b));
        let moved = Ring::diff(&ra, &rb);
        prop_assert_eq!(moved.keys(keys.iter().copied()), moved_by_oracle(&ra, &rb, &keys));
        // Transfers are disjoint: each boundary position lies on at most one of them.
        for t in &moved.transfers {
            let hits = moved.transfers.iter().filter(|u| u.arc.contains(t.arc.end)).count();
            prop_assert_eq!(hits, 1);
        }
    }

    #[test]
    fn owners_are_distinct_nodes_clockwise(
        vnodes in 1u32..24,
        nodes in prop::collection::btree_set(any::<u32>(), 0..7),
        key in any::<u64>(),
        n in 0usize..9,
    ) {
        let ring = Ring::with_nodes(vnodes, nodes.iter().copied());
        let owners = ring.owners(key, n);
        prop_assert_eq!(owners.len(), n.min(nodes.len()));
        prop_assert_eq!(&owners, &owners_by_oracle(&ring, key, n));
        let mut distinct = owners.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assert_eq!(distinct.len(), owners.len());
        prop_assert_eq!(owners.first().copied(), if n == 0 { None } else { ring.owner(key) });
        // Points are sorted, and the order does not depend on insertion order.
        prop_assert!(ring.points().windows(2).all(|w| w[0] < w[1]));
        let reversed = Ring::with_nodes(vnodes, nodes.iter().rev().copied());
        prop_assert_eq!(&reversed, &ring);
    }
}
