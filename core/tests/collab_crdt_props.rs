//! Properties of the sequence CRDT against simple oracles (proptest):
//!
//! * any sequence of local edits on one replica gives the text a `Vec<char>` splice gives;
//! * operations made by three replicas that sync now and then merge to the same items
//!   whatever order a fourth replica receives them in (any permutation, with repeats).
//!
//! Random actions are normalized into valid ranges, so every generated case is meaningful.

use orrery_core::collab::crdt::{Op, Replica};
use proptest::prelude::*;

/// An action: replica, kind (insert or delete), a position and a length to normalize, text.
type Action = (usize, bool, usize, usize, String);

fn action() -> impl Strategy<Value = Action> {
    (
        0..3usize,
        any::<bool>(),
        any::<usize>(),
        1..4usize,
        "[a-cé😀]{1,3}",
    )
}

fn apply(r: &mut Replica, oracle: Option<&mut Vec<char>>, a: &Action) -> Op {
    let (_, delete, pos, len, text) = a;
    let n = r.len();
    if *delete && n > 0 {
        let pos = pos % n;
        let len = (*len).min(n - pos);
        if let Some(o) = oracle {
            o.drain(pos..pos + len);
        }
        r.delete(pos, len).expect("in range")
    } else {
        let pos = pos % (n + 1);
        if let Some(o) = oracle {
            for (i, c) in text.chars().enumerate() {
                o.insert(pos + i, c);
            }
        }
        r.insert(pos, text).expect("in range")
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, rng_seed: proptest::test_runner::RngSeed::Fixed(95043), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn one_replica_matches_a_string_splice(actions in prop::collection::vec(action(), 0..80)) {
        let mut r = Replica::new(0);
        let mut oracle = Vec::new();
        for a in &actions {
            apply(&mut r, Some(&mut oracle), a);
            prop_assert_eq!(r.text(), oracle.iter().collect::<String>());
        }
        prop_assert!(r.doc().check_invariants().is_ok());
    }

    #[test]
    fn delivery_order_does_not_change_the_merge(
        actions in prop::collection::vec(action(), 1..60),
        syncs in prop::collection::vec(any::<bool>(), 60),
        order in prop::collection::vec(any::<u32>(), 120),
        repeats in prop::collection::vec(any::<bool>(), 120),
    ) {
        let mut replicas: Vec<Replica> = (0..3).map(Replica::new).collect();
        let mut ops: Vec<Op> = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            ops.push(apply(&mut replicas[a.0], None, a));
            // Now and then every replica catches up, so later edits build on others' text.
            if syncs[i] {
                for r in &mut replicas {
                    for op in &ops {
                        r.receive(op.clone()).expect("a valid op");
                    }
                }
            }
        }
        let mut in_order = Replica::new(9);
        for op in &ops {
            in_order.receive(op.clone()).expect("a valid op");
        }
        let mut idx: Vec<usize> = (0..ops.len()).collect();
        idx.sort_by_key(|&i| (order[i % order.len()], i));
        let mut shuffled = Replica::new(9);
        for (k, &i) in idx.iter().enumerate() {
            shuffled.receive(ops[i].clone()).expect("a valid op");
            if repeats[k % repeats.len()] {
                shuffled.receive(ops[i].clone()).expect("a valid op");
            }
        }
        prop_assert!(shuffled.pending().is_empty());
        prop_assert_eq!(shuffled.text(), in_order.text());
        prop_assert!(shuffled.items() == in_order.items());
        for r in &mut replicas {
            for op in &ops {
                r.receive(op.clone()).expect("a valid op");
            }
            prop_assert_eq!(r.text(), in_order.text());
        }
    }
}
