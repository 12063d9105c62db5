//! [`Replica`]: one client's copy of the document, as the lab drives it.
//!
//! ```text
//!   local edit ──► Replica::insert / delete ──► Op (broadcast it)
//!   network    ──► Replica::receive(op) ──► applied now, and any buffered op it unblocks
//!                                       ├─► buffered: an origin or target is missing
//!                                       └─► duplicate: its ids are already applied
//! ```
//!
//! Delivery may be in any order and may repeat: an operation applies once all the ids it
//! names (origins, delete targets) are present, and is ignored when its own ids are already
//! applied. The result does not depend on the order (the fuzzer in
//! `tests/collab_crdt_fuzz.rs` checks this). Positions count code points.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::doc::{Doc, Item, Unready};
use super::{Agent, Id, Version};
use crate::sim::Refusal;

/// The most operations a replica buffers while waiting for their dependencies.
pub const MAX_PENDING: usize = 100_000;

/// An operation as a message between replicas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Characters `id, id+1, ...`: the first after `left`, each next after the previous one,
    /// all before `right` (`None` = the start or the end of the document).
    Insert {
        id: Id,
        left: Option<Id>,
        right: Option<Id>,
        text: String,
    },
    /// Deletes the characters in `targets` (`(first id, count)` ranges); the delete's own ids
    /// are `id .. id + total count`.
    Delete { id: Id, targets: Vec<(Id, u32)> },
}

impl Op {
    /// The operation's first id.
    pub fn id(&self) -> Id {
        match self {
            Op::Insert { id, .. } | Op::Delete { id, .. } => *id,
        }
    }

    /// How many ids (characters inserted or deleted) the operation spans.
    pub fn len(&self) -> u32 {
        match self {
            Op::Insert { text, .. } => text.chars().count() as u32,
            Op::Delete { targets, .. } => targets.iter().map(|t| t.1).sum(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids this operation needs before it can apply (its origins, or the first and last
    /// id of each delete target range): the edges of the causal graph the lab draws.
    pub fn dependencies(&self) -> Vec<Id> {
        match self {
            Op::Insert { left, right, .. } => left.iter().chain(right).copied().collect(),
            Op::Delete { targets, .. } => {
                let mut deps = Vec::with_capacity(targets.len() * 2);
                for &(t, n) in targets {
                    deps.push(t);
                    if n > 1 {
                        deps.push(Id::new(t.agent, t.seq + n - 1));
                    }
                }
                deps
            }
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |o: &Option<Id>| o.map_or("-".to_string(), |i| i.to_string());
        match self {
            Op::Insert {
                id,
                left,
                right,
                text,
            } => write!(
                f,
                "ins {id} {text:?} after {} before {}",
                opt(left),
                opt(right)
            ),
            Op::Delete { id, targets } => {
                write!(f, "del {id} of")?;
                for (t, n) in targets {
                    if *n == 1 {
                        write!(f, " {t}")?;
                    } else {
                        write!(f, " {t}+{n}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// What `receive` did with an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Applied, together with `unblocked` buffered operations it made ready.
    Applied { unblocked: usize },
    /// Buffered until `missing` arrives.
    Buffered { missing: Id },
    /// Already applied (or already buffered): ignored.
    Duplicate,
}

/// A place in the text that stays put through remote edits: beside a given character (alive
/// or deleted since), or at an end of the document. The side is the association: text
/// inserted right at the place goes after an `After` anchor (a caret stays before what others
/// type there) and before a `Before` anchor (the start of a selection stays on the first
/// selected character). On a deleted character, an anchor sits at the tombstone's place.
///
/// | anchor | position now |
/// |---|---|
/// | `Start` | 0 |
/// | `After(id)` | visible characters before `id`, plus one when `id` is visible |
/// | `Before(id)` | visible characters before `id` |
/// | `End` | the text's length |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anchor {
    Start,
    After(Id),
    Before(Id),
    End,
}

impl Anchor {
    /// The character the anchor is tied to (none for the ends of the document).
    pub fn id(self) -> Option<Id> {
        match self {
            Anchor::After(id) | Anchor::Before(id) => Some(id),
            Anchor::Start | Anchor::End => None,
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::Start => f.write_str("start"),
            Anchor::After(id) => write!(f, "after {id}"),
            Anchor::Before(id) => write!(f, "before {id}"),
            Anchor::End => f.write_str("end"),
        }
    }
}

/// One client's replica: its agent number, its document, and the operations it has buffered.
#[derive(Clone, Debug)]
pub struct Replica {
    agent: Agent,
    next_seq: u32,
    doc: Doc,
    pending: Vec<Op>,
    log: Vec<Op>,
}

fn refusal(u: Unready) -> Refusal {
    Refusal(u.to_string())
}

impl Replica {
    pub fn new(agent: Agent) -> Replica {
        Replica {
            agent,
            next_seq: 0,
            doc: Doc::new(),
            pending: Vec::new(),
            log: Vec::new(),
        }
    }

    pub fn agent(&self) -> Agent {
        self.agent
    }

    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The visible text.
    pub fn text(&self) -> String {
        self.doc.text()
    }

    /// Visible characters.
    pub fn len(&self) -> usize {
        self.doc.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc.is_empty()
    }

    /// Every id applied here.
    pub fn version(&self) -> &Version {
        self.doc.version()
    }

    /// Every item with its id, tombstones included, in document order (for drawing).
    pub fn items(&self) -> Vec<Item> {
        self.doc.items()
    }

    /// Operations received but waiting for their dependencies.
    pub fn pending(&self) -> &[Op] {
        &self.pending
    }

    /// Every operation applied here, local and remote, in the order applied.
    pub fn log(&self) -> &[Op] {
        &self.log
    }

    /// The causal graph of the operations applied here (see [`super::graph`]).
    pub fn causal_graph(&self) -> Vec<super::Node> {
        super::causal_graph(&self.log)
    }

    /// The operations applied here that `version` lacks: what a peer with that version needs
    /// (for example when it reconnects).
    pub fn ops_missing_from(&self, version: &Version) -> Vec<Op> {
        self.log
            .iter()
            .filter(|op| !version.overlaps(op.id(), op.len()))
            .cloned()
            .collect()
    }

    /// Types `text` at code point `pos`; returns the operation to broadcast.
    pub fn insert(&mut self, pos: usize, text: &str) -> Result<Op, Refusal> {
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            return Err(Refusal("nothing to insert".into()));
        }
        let id = Id::new(self.agent, self.next_seq);
        let (left, right) = self.doc.insert_at(id, pos, &chars).map_err(refusal)?;
        self.next_seq += chars.len() as u32;
        let op = Op::Insert {
            id,
            left,
            right,
            text: text.to_string(),
        };
        self.log.push(op.clone());
        Ok(op)
    }

    /// Deletes `len` code points at `pos`; returns the operation to broadcast.
    pub fn delete(&mut self, pos: usize, len: usize) -> Result<Op, Refusal> {
        if len == 0 {
            return Err(Refusal("nothing to delete".into()));
        }
        let id = Id::new(self.agent, self.next_seq);
        let mut targets = Vec::new();
        self.doc
            .delete_at(id, pos, len, &mut targets)
            .map_err(refusal)?;
        self.next_seq += len as u32;
        let op = Op::Delete { id, targets };
        self.log.push(op.clone());
        Ok(op)
    }

    fn apply(&mut self, op: &Op) -> Result<(), Unready> {
        match op {
            Op::Insert {
                id,
                left,
                right,
                text,
            } => {
                let chars: Vec<char> = text.chars().collect();
                self.doc.apply_insert(*id, *left, *right, &chars)
            }
            Op::Delete { id, targets } => self.doc.apply_delete(*id, targets),
        }
    }

    /// Receives a remote operation: applies it (and whatever buffered operations it unblocks),
    /// buffers it until its dependencies arrive, or ignores it as a duplicate. An operation
    /// that can never apply is refused.
    pub fn receive(&mut self, op: Op) -> Result<Delivery, Refusal> {
        match self.apply(&op) {
            Ok(()) => {}
            Err(Unready::Duplicate) => return Ok(Delivery::Duplicate),
            Err(Unready::Invalid(m)) => return Err(Refusal(m)),
            Err(Unready::Missing(missing)) => {
                if self.pending.contains(&op) {
                    return Ok(Delivery::Duplicate);
                }
                if self.pending.len() >= MAX_PENDING {
                    return Err(Refusal(format!(
                        "more than {MAX_PENDING} operations are waiting for dependencies"
                    )));
                }
                self.pending.push(op);
                return Ok(Delivery::Buffered { missing });
            }
        }
        self.applied(&op);
        self.log.push(op);
        let mut unblocked = 0;
        loop {
            let mut progress = false;
            let mut i = 0;
            while i < self.pending.len() {
                let op = self.pending[i].clone();
                match self.apply(&op) {
                    Ok(()) => {
                        self.pending.remove(i);
                        self.applied(&op);
                        self.log.push(op);
                        unblocked += 1;
                        progress = true;
                    }
                    Err(Unready::Missing(_)) => i += 1,
                    Err(_) => {
                        self.pending.remove(i);
                    }
                }
            }
            if !progress {
                break;
            }
        }
        Ok(Delivery::Applied { unblocked })
    }

    /// Keeps the local counter past any of this agent's ids seen remotely (a replica
    /// restored from its peers).
    fn applied(&mut self, op: &Op) {
        let id = op.id();
        if id.agent == self.agent {
            self.next_seq = self.next_seq.max(id.seq + op.len());
        }
    }

    /// An anchor for a cursor at code point `pos`: after the character before it.
    pub fn anchor(&mut self, pos: usize) -> Anchor {
        match pos.min(self.doc.len()).checked_sub(1) {
            None => Anchor::Start,
            Some(p) => self.doc.id_at(p).map_or(Anchor::Start, Anchor::After),
        }
    }

    /// An anchor for the start of a selection at code point `pos`: before the character at
    /// `pos` (the end of the document when there is none).
    pub fn anchor_before(&mut self, pos: usize) -> Anchor {
        self.doc.id_at(pos).map_or(Anchor::End, Anchor::Before)
    }

    /// Where an anchor is now, in code points (the start for a character not received).
    pub fn resolve(&self, anchor: Anchor) -> usize {
        self.locate(anchor).unwrap_or(0)
    }

    /// Where an anchor is now, in code points, or `None` when it names a character this
    /// replica has not received yet.
    pub fn locate(&self, anchor: Anchor) -> Option<usize> {
        match anchor {
            Anchor::Start => Some(0),
            Anchor::End => Some(self.doc.len()),
            Anchor::After(id) => self
                .doc
                .position_of(id)
                .map(|(pos, alive)| pos + usize::from(alive)),
            Anchor::Before(id) => self.doc.position_of(id).map(|(pos, _)| pos),
        }
    }
}
