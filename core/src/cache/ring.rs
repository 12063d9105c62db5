//! A consistent-hash ring with virtual nodes: which cache node owns a key, and which keys move
//! when a node joins or leaves.
//!
//! # The model
//!
//! The ring is the whole `u64` range bent into a circle: position `u64::MAX` is followed by
//! `0`. Every physical node (a `u32` id) is placed at `vnodes` points on it, its *virtual
//! nodes*; every key is placed at one point. A key belongs to the first virtual node at or
//! after its position, walking clockwise (upwards, wrapping past `u64::MAX` to `0`). So a
//! virtual node at position `p` owns the *arc* `(q, p]`, where `q` is the position of the
//! virtual node before it.
//!
//! ```text
//!                         0 = 2^64
//!              key 7 ×    │    • 2.0 (0x0d21)
//!                  ·      ·      • 1.1 (0x0e57)
//!    1.0 (0xd8a4) •                 ·
//!               ·                     ·
//!              ·         clockwise     • 3.1 (0x3e72)
//!   0xc000 ─  ·              ↻          × key 3 (0x466b)  ─ 0x4000
//!              ·                       ·
//!               ·                     • 2.1 (0x55d1)
//!                 ·                 ·
//!                     ·   •   ·
//!                     3.0 (0x761b)
//!                          │
//!                        0x8000
//! ```
//!
//! (The worked example below, drawn: positions are the top 16 bits of the real `u64`s.)
//! Key 3 at `0x466b` is owned by the first point clockwise from it, `2.1`: node 2. Remove node
//! 2 and its arcs pass to the next points clockwise: key 3 goes to `3.0` (node 3), keys 6 and 7
//! (on the arc that wraps across the top to `2.0`) go to `1.1` (node 1). No other key moves.
//!
//! Many virtual nodes per physical node cut the ring into many short arcs, so each node's
//! share of the ring (and of the keys) tends to `1 / nodes`, and a joining node takes a little
//! from every other node instead of everything from one neighbour.
//!
//! # Positions: a fixed, portable hash
//!
//! Positions come from SplitMix64's finalizer ([`mix`], Stafford's "Mix13" variant), a bijection
//! on `u64` computed with wrapping integer arithmetic only, so the same on every target and in
//! every process; it is never `std`'s per-process `RandomState`.
//!
//! - Virtual node `r` of node `n` sits at `mix(((n as u64) << 32 | r as u64) ^ VNODE_SALT)`.
//! - Key `k` sits at `mix(k ^ KEY_SALT)` ([`key_position`]).
//!
//! Because `mix` is a bijection, two different `(node, replica)` pairs never share a position.
//! Points are still sorted by `(position, node, replica)`, so even a tie would be broken by node
//! id, then replica. A key landing exactly on a point belongs to that point. Changing the hash
//! or the salts moves every key: it is a format change, pinned by the golden snapshot in
//! `core/tests/cache_ring.rs`.
//!
//! # Worked example
//!
//! Nodes 1, 2 and 3 with 2 virtual nodes each (`Ring::with_nodes(2, 1..=3)`). Positions are
//! shown as their top 16 bits (`0x0000` is the top of the ring, `0x8000` half way round):
//!
//! | point | position | owns the arc       | keys among 0..12   |
//! |-------|----------|--------------------|--------------------|
//! | 2.0   | `0x0d21` | `(0xd8a4, 0x0d21]` | 6, 7               |
//! | 1.1   | `0x0e57` | `(0x0d21, 0x0e57]` |                    |
//! | 3.1   | `0x3e72` | `(0x0e57, 0x3e72]` | 5, 9, 11           |
//! | 2.1   | `0x55d1` | `(0x3e72, 0x55d1]` | 3                  |
//! | 3.0   | `0x761b` | `(0x55d1, 0x761b]` | 1                  |
//! | 1.0   | `0xd8a4` | `(0x761b, 0xd8a4]` | 0, 2, 4, 8, 10     |
//!
//! Shares: node 1 owns 389,635 parts per million of the ring, node 2 296,320, node 3 314,044
//! (two virtual nodes each are far too few to balance; see the tests for 100 and more).
//! Removing node 2 hands arc `(0x3e72, 0x55d1]` to node 3 and the wrapping arc
//! `(0xd8a4, 0x0d21]` to node 1; every other key stays where it was. [`Ring::remove_node`]
//! returns exactly those two arcs as a [`Moved`], and [`Moved::keys`] picks out the caller's
//! keys that fall in them:
//!
//! ```
//! use orrery_core::cache::ring::Ring;
//!
//! let mut ring = Ring::with_nodes(2, 1..=3);
//! assert_eq!(ring.owner(3), Some(2));
//! let moved = ring.remove_node(2);
//! assert_eq!(moved.transfers.len(), 2);
//! assert_eq!(
//!     moved.keys(0..12),
//!     [(3, Some(2), Some(3)), (6, Some(2), Some(1)), (7, Some(2), Some(1))],
//! );
//! assert_eq!(ring.owner(3), Some(3));
//! ```
//!
//! Lookups are `O(log points)` binary searches over the sorted points; adding or removing a
//! node re-sorts, `O(points log points)`.

use serde::{Deserialize, Serialize};

/// A physical cache node's id.
pub type NodeId = u32;

/// Salt for virtual-node positions. Keys have their own salt, so a key whose value equals a
/// virtual node's packed `(node, replica)` does not sit exactly on that point.
const VNODE_SALT: u64 = 0x6A09_E667_F3BC_C908;
/// Salt for key positions.
const KEY_SALT: u64 = 0xBB67_AE85_84CA_A73B;

/// SplitMix64's finalizer: a fixed bijection on `u64` that spreads nearby inputs far apart.
pub fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Where `key` sits on the ring.
pub fn key_position(key: u64) -> u64 {
    mix(key ^ KEY_SALT)
}

/// Where virtual node `replica` of `node` sits on the ring.
pub fn vnode_position(node: NodeId, replica: u32) -> u64 {
    mix(((u64::from(node) << 32) | u64::from(replica)) ^ VNODE_SALT)
}

/// One virtual node: a physical node's point on the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Point {
    /// Position on the ring.
    pub pos: u64,
    /// The physical node this point belongs to.
    pub node: NodeId,
    /// Which of the node's virtual nodes this is, `0..vnodes`.
    pub replica: u32,
}

/// An arc of the ring, `(start, end]` clockwise: from just after `start` up to and including
/// `end`, wrapping past `u64::MAX` when `start > end`. `start == end` is the whole ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Arc {
    /// Exclusive start.
    pub start: u64,
    /// Inclusive end.
    pub end: u64,
}

impl Arc {
    /// Whether ring position `pos` lies on this arc.
    pub fn contains(&self, pos: u64) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => self.start < pos && pos <= self.end,
            std::cmp::Ordering::Greater => pos > self.start || pos <= self.end,
            std::cmp::Ordering::Equal => true,
        }
    }

    /// How many positions the arc covers (`2^64` for the whole ring).
    pub fn len(&self) -> u128 {
        if self.start == self.end {
            1 << 64
        } else {
            u128::from(self.end.wrapping_sub(self.start))
        }
    }

    /// Always false: an arc covers at least one position.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// An arc whose owner changed: keys on `arc` were on `from` and are now on `to`. `None` means
/// no node (the ring was, or became, empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Transfer {
    /// The part of the ring that changed hands.
    pub arc: Arc,
    /// Its owner before.
    pub from: Option<NodeId>,
    /// Its owner after.
    pub to: Option<NodeId>,
}

/// Which arcs changed owner between two rings, disjoint and sorted clockwise by `arc.end`.
/// Adjacent pieces with the same `from` and `to` are merged into one transfer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    /// The transfers, sorted by `arc.end`.
    pub transfers: Vec<Transfer>,
}

impl Moved {
    /// Whether nothing changed hands.
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty()
    }

    /// The transfer covering ring position `pos`, if that position changed hands.
    pub fn transfer_at(&self, pos: u64) -> Option<&Transfer> {
        // Transfers are disjoint; the non-wrapping ones are sorted by end and the first one
        // ending at or after `pos` is the only candidate among them. A wrapping arc (at most
        // one, always last) covers what lies above the others' ends and below their starts; so
        // does a whole-ring arc (`start == end`, then the only transfer).
        let wraps = self
            .transfers
            .last()
            .is_some_and(|t| t.arc.start >= t.arc.end);
        let straight = &self.transfers[..self.transfers.len() - usize::from(wraps)];
        let i = straight.partition_point(|t| t.arc.end < pos);
        if let Some(t) = straight.get(i).filter(|t| t.arc.contains(pos)) {
            return Some(t);
        }
        self.transfers
            .last()
            .filter(|t| wraps && t.arc.contains(pos))
    }

    /// The keys among `keys` that move, in input order, each as `(key, from, to)`.
    pub fn keys(
        &self,
        keys: impl IntoIterator<Item = u64>,
    ) -> Vec<(u64, Option<NodeId>, Option<NodeId>)> {
        keys.into_iter()
            .filter_map(|k| self.transfer_at(key_position(k)).map(|t| (k, t.from, t.to)))
            .collect()
    }

    /// How much of the ring changed hands, in parts per million (rounded down).
    pub fn share(&self) -> u64 {
        ppm(self.transfers.iter().map(|t| t.arc.len()).sum())
    }
}

/// A consistent-hash ring of physical nodes, each placed at `vnodes` virtual nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ring {
    vnodes: u32,
    /// The physical nodes, sorted.
    nodes: Vec<NodeId>,
    /// Every virtual node, sorted by `(pos, node, replica)`.
    points: Vec<Point>,
}

impl Ring {
    /// An empty ring placing each node at `vnodes_per_node` points (at least 1; 0 counts as 1).
    pub fn new(vnodes_per_node: u32) -> Ring {
        Ring {
            vnodes: vnodes_per_node.max(1),
            nodes: Vec::new(),
            points: Vec::new(),
        }
    }

    /// A ring holding `nodes`, with `vnodes_per_node` points each.
    pub fn with_nodes(vnodes_per_node: u32, nodes: impl IntoIterator<Item = NodeId>) -> Ring {
        let mut ring = Ring::new(vnodes_per_node);
        for n in nodes {
            ring.insert(n);
        }
        ring.points.sort_unstable();
        ring
    }

    /// Virtual nodes per physical node.
    pub fn vnodes_per_node(&self) -> u32 {
        self.vnodes
    }

    /// The physical nodes on the ring, sorted by id.
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Whether `node` is on the ring.
    pub fn contains_node(&self, node: NodeId) -> bool {
        self.nodes.binary_search(&node).is_ok()
    }

    /// Every virtual node, sorted clockwise from position 0 (ties by node id, then replica):
    /// what a view draws.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// Adds `node` with its virtual nodes and returns the arcs it took over (all with
    /// `to == Some(node)`). Adding a node already on the ring changes nothing.
    pub fn add_node(&mut self, node: NodeId) -> Moved {
        if self.contains_node(node) {
            return Moved::default();
        }
        let before = self.clone();
        self.insert(node);
        self.points.sort_unstable();
        Ring::diff(&before, self)
    }

    /// Removes `node` and returns the arcs it owned with their new owners (all with
    /// `from == Some(node)`). Removing a node not on the ring changes nothing.
    pub fn remove_node(&mut self, node: NodeId) -> Moved {
        let Ok(i) = self.nodes.binary_search(&node) else {
            return Moved::default();
        };
        let before = self.clone();
        self.nodes.remove(i);
        self.points.retain(|p| p.node != node);
        Ring::diff(&before, self)
    }

    fn insert(&mut self, node: NodeId) {
        if let Err(i) = self.nodes.binary_search(&node) {
            self.nodes.insert(i, node);
            self.points.extend((0..self.vnodes).map(|replica| Point {
                pos: vnode_position(node, replica),
                node,
                replica,
            }));
        }
    }

    /// Index in `points` of the point owning ring position `pos`.
    fn point_at(&self, pos: u64) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let i = self.points.partition_point(|p| p.pos < pos);
        Some(if i == self.points.len() { 0 } else { i })
    }

    /// The node owning ring position `pos`; `None` on an empty ring.
    pub fn owner_at(&self, pos: u64) -> Option<NodeId> {
        self.point_at(pos).map(|i| self.points[i].node)
    }

    /// The node owning `key`; `None` on an empty ring.
    pub fn owner(&self, key: u64) -> Option<NodeId> {
        self.owner_at(key_position(key))
    }

    /// Up to `n` distinct physical nodes for `key`, clockwise from its owner: the owner first,
    /// then the replicas. Fewer than `n` when the ring has fewer nodes; empty on an empty ring.
    pub fn owners(&self, key: u64, n: usize) -> Vec<NodeId> {
        let want = n.min(self.nodes.len());
        let mut out: Vec<NodeId> = Vec::with_capacity(want);
        let Some(start) = self.point_at(key_position(key)) else {
            return out;
        };
        let len = self.points.len();
        for step in 0..len {
            if out.len() == want {
                break;
            }
            let node = self.points[(start + step) % len].node;
            if !out.contains(&node) {
                out.push(node);
            }
        }
        out
    }

    /// The arc owned by each point, in `points()` order.
    pub fn arcs(&self) -> impl Iterator<Item = (Arc, &Point)> + '_ {
        let last = self.points.last().map_or(0, |p| p.pos);
        let starts = std::iter::once(last).chain(self.points.iter().map(|p| p.pos));
        starts
            .zip(&self.points)
            .map(|(start, p)| (Arc { start, end: p.pos }, p))
    }

    /// `node`'s fraction of the ring in parts per million, rounded down; 0 for a node not on
    /// the ring. Over all nodes the shares add up to 1,000,000 less at most one per node.
    pub fn share(&self, node: NodeId) -> u64 {
        ppm(self
            .arcs()
            .filter(|(_, p)| p.node == node)
            .map(|(a, _)| a.len())
            .sum())
    }

    /// Which arcs of the ring changed owner from `before` to `after` (any two rings, not only
    /// one step apart). Each key whose owner differs lies on exactly one returned arc.
    pub fn diff(before: &Ring, after: &Ring) -> Moved {
        // Owners are constant between consecutive boundaries of either ring, so compare them
        // on each elementary arc (b[i-1], b[i]].
        let mut bounds: Vec<u64> = before
            .points
            .iter()
            .chain(&after.points)
            .map(|p| p.pos)
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut transfers: Vec<Transfer> = Vec::new();
        let Some(&last) = bounds.last() else {
            return Moved::default();
        };
        let mut start = last;
        for &end in &bounds {
            let (from, to) = (before.owner_at(end), after.owner_at(end));
            if from != to {
                match transfers.last_mut() {
                    Some(t) if t.arc.end == start && t.from == from && t.to == to => {
                        t.arc.end = end;
                    }
                    _ => transfers.push(Transfer {
                        arc: Arc { start, end },
                        from,
                        to,
                    }),
                }
            }
            start = end;
        }
        // The wrapping arc (last, first] comes first in the loop; merge it with the last
        // transfer when they touch across the top of the ring.
        if transfers.len() > 1 {
            let (head, tail) = (transfers[0], transfers[transfers.len() - 1]);
            if tail.arc.end == head.arc.start && tail.from == head.from && tail.to == head.to {
                transfers.remove(0);
                let t = transfers.last_mut().expect("at least one transfer left");
                t.arc.end = head.arc.end;
            }
        }
        // A wrapping or whole-ring arc (start >= end) covers low positions: keep it last, as
        // `transfer_at` expects, by sorting on end with the wrapping one at the back.
        transfers.sort_by_key(|t| (t.arc.start >= t.arc.end, t.arc.end));
        Moved { transfers }
    }
}

/// `len` positions as parts per million of the ring, rounded down.
fn ppm(len: u128) -> u64 {
    ((len * 1_000_000) >> 64) as u64
}
