//! A sequence CRDT for text with the FugueMax ordering of concurrent inserts.
//!
//! Every character gets a unique id `(agent, seq)` when it is typed: the agent's number and
//! a counter that also advances for each deleted character. An insert names two neighbours
//! as they were where it was typed: its **left origin** (the visible character before it)
//! and its **right origin** (the item right after the left origin, tombstone or not). A
//! delete names the ids it removes; the characters stay as **tombstones**, so later inserts
//! can still find their origins.
//!
//! ```text
//!  agent a types "hi"      a0 'h' (left: start, right: end)   a1 'i' (left: a0, right: end)
//!  b, seeing "hi", types "!" after "h"  →  b0 '!' (left: a0, right: a1)
//!  a deletes "i"           →  delete a2 of [a1]        text "h!", items h ! i(tombstone)
//! ```
//!
//! Concurrent inserts between the same origins are ordered by FugueMax ([`doc`] describes the
//! scan), so that two users' concurrent runs never interleave and every replica agrees
//! whatever the delivery order. An operation whose origins or targets have not arrived yet
//! is buffered by [`Replica::receive`] until they do; one that arrives twice is recognised
//! by its ids and ignored.
//!
//! | glossary | meaning |
//! |---|---|
//! | item | one inserted character, alive or a tombstone |
//! | run | consecutive ids of one agent typed left to right: stored as one entry |
//! | version | the set of ids applied, per agent disjoint seq ranges ([`Version`]) |
//! | operation | an insert or delete as a message between replicas ([`Op`]) |
//!
//! * [`doc::Doc`]: the items in a chunked list with cached lengths; integration.
//! * [`replica::Replica`]: local edits that return operations, `receive`, buffering,
//!   anchors for remote cursors.
//! * [`presence`]: other users' carets and selections as anchors on character ids, with a
//!   per-sender counter; pending until the characters they name arrive.
//! * [`graph`]: the causal graph of a replica's edits (runs of one agent's edits as nodes,
//!   edges to what they depend on), for drawing.
//! * [`merge`]: replays sequential traces and merges concurrent histories (the traces and
//!   the conformance cases of `shared/data/collab`) through replicas.

pub mod doc;
pub mod graph;
pub mod merge;
pub mod presence;
pub mod replica;
pub mod version;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use doc::{Doc, Item};
pub use graph::{causal_graph, Node};
pub use merge::{conformance, merge, replay};
pub use presence::{AnchoredSelection, PeerCaret, Presence, Presences, Received};
pub use replica::{Anchor, Delivery, Op, Replica};
pub use version::Version;

/// An agent: a replica's number, small and dense (0, 1, 2, ...). Ties between concurrent
/// inserts at the same place are broken by agent number, then seq.
pub type Agent = u32;

/// A unique id of one inserted or deleted character: the agent and its counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Id {
    pub agent: Agent,
    pub seq: u32,
}

impl Id {
    pub const fn new(agent: Agent, seq: u32) -> Id {
        Id { agent, seq }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.agent, self.seq)
    }
}
