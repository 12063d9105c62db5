//! Seeded fuzzers for the sequence CRDT, in the style of diamond-types' and automerge's:
//!
//! * one replica, random inserts and deletes (multi-byte characters included), compared with
//!   a plain string oracle after every step and checked for internal invariants every 25;
//! * several replicas typing concurrently over a network that reorders, duplicates and
//!   partitions; at quiescence every replica holds the same items (ids, order, tombstones),
//!   the same version and nothing pending, and a fresh replica that receives every operation
//!   in creation order agrees with them.
//!
//! Seeds are fixed and printed on failure; `RUN_SLOW_TESTS` runs ten times as many.

use orrery_core::collab::crdt::{Delivery, Op, Replica};
use orrery_core::rng::Rng;

const ALPHABET: &[char] = &['a', 'b', 'c', 'x', 'y', ' ', 'é', '😀', '\n'];

fn seeds(n: u64) -> std::ops::Range<u64> {
    let n = if std::env::var_os("RUN_SLOW_TESTS").is_some() {
        n * 10
    } else {
        n
    };
    0..n
}

fn random_text(rng: &mut Rng) -> String {
    let n = if rng.chance(1, 8) { rng.range(2, 7) } else { 1 };
    (0..n)
        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
        .collect()
}

/// A random local edit on `r`, applied to the oracle too; returns the operation.
fn random_edit(rng: &mut Rng, r: &mut Replica, oracle: Option<&mut Vec<char>>) -> Op {
    let len = r.len();
    if len > 0 && rng.chance(2, 5) {
        let pos = rng.below(len as u64) as usize;
        let n = (rng.range(1, 4) as usize).min(len - pos);
        if let Some(o) = oracle {
            o.drain(pos..pos + n);
        }
        r.delete(pos, n).expect("a delete within the text")
    } else {
        // Typing is local: often right after the previous edit's neighbourhood.
        let pos = rng.below(len as u64 + 1) as usize;
        let text = random_text(rng);
        if let Some(o) = oracle {
            for (i, c) in text.chars().enumerate() {
                o.insert(pos + i, c);
            }
        }
        r.insert(pos, &text).expect("an insert within the text")
    }
}

#[test]
fn one_replica_equals_a_plain_string_after_every_step() {
    for seed in seeds(40) {
        let mut rng = Rng::new(seed);
        let mut r = Replica::new(0);
        let mut oracle: Vec<char> = Vec::new();
        for step in 0..600 {
            random_edit(&mut rng, &mut r, Some(&mut oracle));
            let expected: String = oracle.iter().collect();
            assert_eq!(r.text(), expected, "seed {seed} step {step}");
            assert_eq!(r.len(), oracle.len(), "seed {seed} step {step}");
            if step % 25 == 0 {
                r.doc()
                    .check_invariants()
                    .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
            }
        }
    }
}

/// A network of `n` replicas with one queue per directed link.
struct Network {
    replicas: Vec<Replica>,
    /// `queues[from][to]`: operations in flight.
    queues: Vec<Vec<Vec<Op>>>,
    /// Replicas cut off from everyone while partitioned.
    cut: Vec<bool>,
    created: Vec<Op>,
}

impl Network {
    fn new(n: usize) -> Network {
        Network {
            replicas: (0..n as u32).map(Replica::new).collect(),
            queues: vec![vec![Vec::new(); n]; n],
            cut: vec![false; n],
            created: Vec::new(),
        }
    }

    fn broadcast(&mut self, from: usize, op: Op, rng: &mut Rng) {
        for to in 0..self.replicas.len() {
            if to != from {
                self.queues[from][to].push(op.clone());
                if rng.chance(1, 10) {
                    self.queues[from][to].push(op.clone());
                }
            }
        }
        self.created.push(op);
    }

    /// Delivers one random queued operation on a random live link; false if none could move.
    fn deliver_one(&mut self, rng: &mut Rng, seed: u64) -> bool {
        let n = self.replicas.len();
        let links: Vec<(usize, usize)> = (0..n)
            .flat_map(|f| (0..n).map(move |t| (f, t)))
            .filter(|&(f, t)| !self.queues[f][t].is_empty() && !self.cut[f] && !self.cut[t])
            .collect();
        if links.is_empty() {
            return false;
        }
        let (f, t) = links[rng.below(links.len() as u64) as usize];
        let q = &mut self.queues[f][t];
        let i = rng.below(q.len() as u64) as usize;
        let op = if rng.chance(1, 10) {
            q[i].clone()
        } else {
            q.remove(i)
        };
        let d = self.replicas[t].receive(op);
        assert!(
            matches!(
                d,
                Ok(Delivery::Applied { .. } | Delivery::Buffered { .. } | Delivery::Duplicate)
            ),
            "seed {seed}: {d:?}"
        );
        true
    }
}

fn converge(seed: u64, replicas: usize, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut net = Network::new(replicas);
    for _ in 0..steps {
        match rng.below(10) {
            0..=3 => {
                let r = rng.below(replicas as u64) as usize;
                let op = random_edit(&mut rng, &mut net.replicas[r], None);
                net.broadcast(r, op, &mut rng);
            }
            4 => {
                let r = rng.below(replicas as u64) as usize;
                net.cut[r] = !net.cut[r];
            }
            _ => {
                net.deliver_one(&mut rng, seed);
            }
        }
    }
    net.cut.iter_mut().for_each(|c| *c = false);
    while net.deliver_one(&mut rng, seed) {}
    let first = &net.replicas[0];
    for r in &net.replicas {
        r.doc()
            .check_invariants()
            .unwrap_or_else(|e| panic!("seed {seed} replica {}: {e}", r.agent()));
        assert!(
            r.pending().is_empty(),
            "seed {seed}: replica {} still waits",
            r.agent()
        );
        assert_eq!(r.version(), first.version(), "seed {seed}");
        assert_eq!(
            r.text(),
            first.text(),
            "seed {seed}: replica {} differs",
            r.agent()
        );
        assert!(
            r.items() == first.items(),
            "seed {seed}: items of {} differ",
            r.agent()
        );
    }
    let mut fresh = Replica::new(99);
    for op in &net.created {
        fresh.receive(op.clone()).expect("a created op applies");
    }
    assert_eq!(fresh.text(), first.text(), "seed {seed}: in creation order");
    assert!(fresh.pending().is_empty(), "seed {seed}");
}

#[test]
fn replicas_converge_whatever_the_delivery_order() {
    for seed in seeds(60) {
        converge(seed, 2 + (seed % 4) as usize, 300);
    }
}

#[test]
fn long_histories_converge_across_chunk_splits() {
    for seed in seeds(3) {
        converge(1000 + seed, 3, 4000);
    }
}
