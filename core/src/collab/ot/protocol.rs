//! The client/server protocol of OT as sans-IO state machines (the Jupiter/Google Wave
//! protocol, as in ot.js and ShareJS): the caller moves the messages.
//!
//! The **server** keeps the document and the history of operations; revision `n` is the
//! document after `n` operations. A client sends an operation with the revision it was made
//! on (its base); the server transforms it against every operation since that base (the
//! history's operations go first, so the incoming one takes [`Side::Right`]), applies it,
//! acknowledges it to its author and sends it to everyone else.
//!
//! A **client** has at most one operation in flight, so the server never has to transform
//! against more than one unacknowledged operation per client:
//!
//! ```text
//!                     local edit                       local edit (composed into buffer)
//!   Synchronized ───────────────► AwaitingConfirm(p) ───────────► AwaitingWithBuffer(p, b)
//!        ▲         send p                 │  ▲                              │
//!        └──────────── ack ───────────────┘  └────── ack: send b ───────────┘
//!   remote op r:  AwaitingConfirm(p):      p' = p ⊳ r (right),  r' = r ⊳ p (left), apply r'
//!                 AwaitingWithBuffer(p,b): p' = p ⊳ r,  r' = r ⊳ p,  b' = b ⊳ r',  r'' = r' ⊳ b
//! ```
//!
//! Messages from the server to one client must arrive in order (as over TCP); the revision
//! numbers they carry are checked. Every transform, on the server and the clients, can be
//! recorded as a [`TransformStep`] for the lab's step-by-step view.
//!
//! **Presence.** A synchronized client shares its caret on its revision; the server moves it
//! through the history since then and forwards it. A receiving client (which has reached
//! that revision, the downlink being in order) keeps other users' carets in the server's
//! coordinates, moves them through each server operation as it learns it (remote ones on
//! arrival, its own on ack), and shows them moved through its unconfirmed operations. So a
//! caret goes through exactly the operations, in the server's order, that move its owner's
//! own caret, and every client shows it exactly where its owner has it at quiescence.

use std::collections::BTreeMap;
use std::fmt;

use super::op::{Op, OtError, Selection, Side};
use super::undo::UndoHistory;
use crate::sim::Time;

/// The number of operations the server has applied; the document's version.
pub type Revision = u64;

/// Which client, by index.
pub type ClientId = u32;

/// Where a transform happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    Server,
    Client(ClientId),
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Site::Server => f.write_str("server"),
            Site::Client(c) => write!(f, "client {c}"),
        }
    }
}

/// One transform: `op` rewritten to apply after `against`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformStep {
    pub site: Site,
    /// What was transformed, in the words of the view: "incoming", "pending", "buffer",
    /// "remote", "undo".
    pub role: &'static str,
    pub op: Op,
    /// What it was transformed against, and that operation's role.
    pub against: Op,
    pub against_role: String,
    pub side: Side,
    pub result: Op,
}

impl fmt::Display for TransformStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {} against {} {} ({}) -> {}",
            self.site,
            self.role,
            self.op,
            self.against_role,
            self.against,
            match self.side {
                Side::Left => "left",
                Side::Right => "right",
            },
            self.result
        )
    }
}

/// Transforms and records the step.
fn transform(
    steps: &mut Vec<TransformStep>,
    site: Site,
    role: &'static str,
    op: &Op,
    against_role: impl Into<String>,
    against: &Op,
    side: Side,
) -> Result<Op, OtError> {
    let result = op.transform(against, side)?;
    steps.push(TransformStep {
        site,
        role,
        op: op.clone(),
        against: against.clone(),
        against_role: against_role.into(),
        side,
        result: result.clone(),
    });
    Ok(result)
}

/// An operation in the server's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revisioned {
    /// The revision this operation created (the first operation creates revision 1).
    pub revision: Revision,
    pub author: ClientId,
    pub op: Op,
}

/// The central server: one order for all operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    doc: String,
    history: Vec<Revisioned>,
}

impl Server {
    pub fn new(doc: &str) -> Server {
        Server {
            doc: doc.to_string(),
            history: Vec::new(),
        }
    }

    pub fn doc(&self) -> &str {
        &self.doc
    }

    pub fn revision(&self) -> Revision {
        self.history.len() as Revision
    }

    pub fn history(&self) -> &[Revisioned] {
        &self.history
    }

    /// Receives `op` from `author`, made on revision `base`: transforms it against the
    /// history since `base`, applies it and returns it as it entered the history (the caller
    /// acknowledges it to the author and sends it to everyone else). A refused operation
    /// leaves the server unchanged.
    pub fn receive(
        &mut self,
        author: ClientId,
        base: Revision,
        op: &Op,
        steps: &mut Vec<TransformStep>,
    ) -> Result<Revisioned, OtError> {
        let revision = self.revision();
        if base > revision {
            return Err(OtError::UnknownRevision {
                base,
                server: revision,
            });
        }
        let mut op = op.clone();
        let mut local_steps = Vec::new();
        for h in &self.history[base as usize..] {
            op = transform(
                &mut local_steps,
                Site::Server,
                "incoming",
                &op,
                format!("r{}", h.revision),
                &h.op,
                Side::Right,
            )?;
        }
        self.doc = op.apply(&self.doc)?;
        steps.append(&mut local_steps);
        let entry = Revisioned {
            revision: revision + 1,
            author,
            op,
        };
        self.history.push(entry.clone());
        Ok(entry)
    }
}

impl Server {
    /// A caret that `author` placed on revision `base`, moved to the current revision, for
    /// the caller to forward to everyone else with [`Server::revision`].
    pub fn presence(&self, base: Revision, selection: Selection) -> Result<Selection, OtError> {
        let revision = self.revision();
        if base > revision {
            return Err(OtError::UnknownRevision {
                base,
                server: revision,
            });
        }
        Ok(self.history[base as usize..]
            .iter()
            .fold(selection, |s, h| h.op.transform_selection(s)))
    }
}

/// What a client is waiting for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// Nothing in flight: the client has seen every acknowledged change of its own.
    Synchronized,
    /// One operation sent, not yet acknowledged.
    AwaitingConfirm(Op),
    /// One operation in flight and later local changes composed into a buffer, sent on ack.
    AwaitingWithBuffer(Op, Op),
}

impl ClientState {
    /// The state's name, for the view.
    pub fn name(&self) -> &'static str {
        match self {
            ClientState::Synchronized => "synchronized",
            ClientState::AwaitingConfirm(_) => "awaiting confirm",
            ClientState::AwaitingWithBuffer(_, _) => "awaiting with buffer",
        }
    }
}

/// An operation for the server, made on revision `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub base: Revision,
    pub op: Op,
}

/// Settings of the per-user undo history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UndoSettings {
    /// The most undo steps kept.
    pub limit: usize,
    /// Local changes of one kind closer than this (ms) are one undo step.
    pub burst_ms: Time,
}

impl Default for UndoSettings {
    fn default() -> UndoSettings {
        UndoSettings {
            limit: 100,
            burst_ms: 1000,
        }
    }
}

/// One editor: its copy of the document, its protocol state, its caret and undo history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    id: ClientId,
    doc: String,
    revision: Revision,
    state: ClientState,
    selection: Selection,
    /// Other users' carets in the server's document at this client's revision (without this
    /// client's unconfirmed operations), so that they move through exactly the operations,
    /// in exactly the order, that move each user's own caret.
    peers: BTreeMap<ClientId, Selection>,
    history: UndoHistory,
}

impl Client {
    /// A client that has loaded the server's document at `revision`.
    pub fn new(id: ClientId, doc: &str, revision: Revision, undo: UndoSettings) -> Client {
        Client {
            id,
            doc: doc.to_string(),
            revision,
            state: ClientState::Synchronized,
            selection: Selection::default(),
            peers: BTreeMap::new(),
            history: UndoHistory::new(undo.limit, undo.burst_ms),
        }
    }

    pub fn id(&self) -> ClientId {
        self.id
    }

    pub fn doc(&self) -> &str {
        &self.doc
    }

    /// The last server revision this client has incorporated.
    pub fn revision(&self) -> Revision {
        self.revision
    }

    pub fn state(&self) -> &ClientState {
        &self.state
    }

    /// This user's caret and selection.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// Places the caret (clamped to the document).
    pub fn select(&mut self, selection: Selection) {
        let n = self.doc.chars().count();
        self.selection = Selection {
            anchor: selection.anchor.min(n),
            head: selection.head.min(n),
        };
    }

    /// Other users' carets as this client shows them (in its own document), by client.
    pub fn peers(&self) -> BTreeMap<ClientId, Selection> {
        let local = |s: Selection| match &self.state {
            ClientState::Synchronized => s,
            ClientState::AwaitingConfirm(p) => p.transform_selection(s),
            ClientState::AwaitingWithBuffer(p, b) => {
                b.transform_selection(p.transform_selection(s))
            }
        };
        self.peers.iter().map(|(&c, &s)| (c, local(s))).collect()
    }

    /// This user's caret for the others, in the coordinates of the server's revision this
    /// client is at; `None` while an operation of its own is unconfirmed (the caret would
    /// point into text the server has not placed yet), so the caller sends it on the ack
    /// that synchronizes the client.
    pub fn presence(&self) -> Option<(Revision, Selection)> {
        (self.state == ClientState::Synchronized).then_some((self.revision, self.selection))
    }

    /// Another user's caret, as the server forwarded it at `revision` (which this client
    /// has reached, the downlink being in order).
    pub fn on_presence(
        &mut self,
        peer: ClientId,
        revision: Revision,
        selection: Selection,
    ) -> Result<(), OtError> {
        if revision != self.revision {
            return Err(OtError::Unexpected("a caret out of order"));
        }
        self.peers.insert(peer, selection);
        Ok(())
    }

    /// Moves other users' carets through the server's next operation.
    fn move_peers(&mut self, op: &Op) {
        for s in self.peers.values_mut() {
            *s = op.transform_selection(*s);
        }
    }

    pub fn undo_history(&self) -> &UndoHistory {
        &self.history
    }

    /// A local change at `now`: applied at once, recorded for undo, and sent if nothing is in
    /// flight (the returned message), else buffered. A refused change leaves the client as it
    /// was.
    pub fn edit(&mut self, op: &Op, now: Time) -> Result<Option<Outgoing>, OtError> {
        let after = op.apply(&self.doc)?;
        let (state, out) = self.after_local(op)?;
        self.history.record(op, &self.doc, now)?;
        self.commit_local(op, after, state);
        Ok(out)
    }

    /// Undoes this user's latest undo step (transformed through everything since): returns
    /// the operation applied and the message to send, if any; `None` when there is nothing
    /// to undo (not an error).
    pub fn undo(&mut self) -> Result<Option<(Op, Option<Outgoing>)>, OtError> {
        let mut history = self.history.clone();
        let step = history.undo(&self.doc)?;
        self.apply_step(step, history)
    }

    /// Redoes the latest undone step, like [`Client::undo`].
    pub fn redo(&mut self) -> Result<Option<(Op, Option<Outgoing>)>, OtError> {
        let mut history = self.history.clone();
        let step = history.redo(&self.doc)?;
        self.apply_step(step, history)
    }

    /// Applies an undo or redo step as a local change, with the history that produced it.
    /// Pressing undo with nothing to undo still ends a typing burst.
    fn apply_step(
        &mut self,
        step: Option<Op>,
        history: UndoHistory,
    ) -> Result<Option<(Op, Option<Outgoing>)>, OtError> {
        let Some(op) = step else {
            self.history = history;
            return Ok(None);
        };
        let after = op.apply(&self.doc)?;
        let (state, out) = self.after_local(&op)?;
        self.history = history;
        self.commit_local(&op, after, state);
        Ok(Some((op, out)))
    }

    /// The protocol state after a local change, and the message to send, if any.
    fn after_local(&self, op: &Op) -> Result<(ClientState, Option<Outgoing>), OtError> {
        if op.is_noop() {
            return Ok((self.state.clone(), None));
        }
        Ok(match &self.state {
            ClientState::Synchronized => (
                ClientState::AwaitingConfirm(op.clone()),
                Some(Outgoing {
                    base: self.revision,
                    op: op.clone(),
                }),
            ),
            ClientState::AwaitingConfirm(p) => {
                (ClientState::AwaitingWithBuffer(p.clone(), op.clone()), None)
            }
            ClientState::AwaitingWithBuffer(p, b) => (
                ClientState::AwaitingWithBuffer(p.clone(), b.compose(op)?),
                None,
            ),
        })
    }

    fn commit_local(&mut self, op: &Op, after: String, state: ClientState) {
        self.doc = after;
        self.state = state;
        self.selection = Selection {
            anchor: op.transform_cursor(self.selection.anchor, Side::Right),
            head: op.transform_cursor(self.selection.head, Side::Right),
        };
    }

    /// The server acknowledged this client's operation as `revision`; returns the buffer to
    /// send next, if any.
    pub fn on_ack(&mut self, revision: Revision) -> Result<Option<Outgoing>, OtError> {
        if revision != self.revision + 1 {
            return Err(OtError::Unexpected("an acknowledgement out of order"));
        }
        let state = std::mem::replace(&mut self.state, ClientState::Synchronized);
        match state {
            ClientState::Synchronized => {
                self.state = state;
                Err(OtError::Unexpected(
                    "an acknowledgement with nothing in flight",
                ))
            }
            ClientState::AwaitingConfirm(pending) => {
                // The pending operation, transformed against every remote one since it was
                // sent, is exactly the server's revision.
                self.move_peers(&pending);
                self.revision = revision;
                Ok(None)
            }
            ClientState::AwaitingWithBuffer(pending, buffer) => {
                self.move_peers(&pending);
                self.revision = revision;
                self.state = ClientState::AwaitingConfirm(buffer.clone());
                Ok(Some(Outgoing {
                    base: revision,
                    op: buffer,
                }))
            }
        }
    }

    /// Another client's operation, as the server's history holds it at `revision`: transformed
    /// against this client's operations in flight and buffered, then applied. Returns the
    /// operation as applied to this client's document.
    pub fn on_remote(
        &mut self,
        revision: Revision,
        op: &Op,
        steps: &mut Vec<TransformStep>,
    ) -> Result<Op, OtError> {
        if revision != self.revision + 1 {
            return Err(OtError::Unexpected("a remote operation out of order"));
        }
        let site = Site::Client(self.id);
        let remote = format!("remote r{revision}");
        let mut local_steps = Vec::new();
        let (state, applied) = match &self.state {
            ClientState::Synchronized => (ClientState::Synchronized, op.clone()),
            ClientState::AwaitingConfirm(p) => {
                let p2 = transform(
                    &mut local_steps,
                    site,
                    "pending",
                    p,
                    &remote,
                    op,
                    Side::Right,
                )?;
                let r2 = transform(
                    &mut local_steps,
                    site,
                    "remote",
                    op,
                    "pending",
                    p,
                    Side::Left,
                )?;
                (ClientState::AwaitingConfirm(p2), r2)
            }
            ClientState::AwaitingWithBuffer(p, b) => {
                let p2 = transform(
                    &mut local_steps,
                    site,
                    "pending",
                    p,
                    &remote,
                    op,
                    Side::Right,
                )?;
                let r2 = transform(
                    &mut local_steps,
                    site,
                    "remote",
                    op,
                    "pending",
                    p,
                    Side::Left,
                )?;
                let b2 = transform(
                    &mut local_steps,
                    site,
                    "buffer",
                    b,
                    &remote,
                    &r2,
                    Side::Right,
                )?;
                let r3 = transform(
                    &mut local_steps,
                    site,
                    "remote",
                    &r2,
                    "buffer",
                    b,
                    Side::Left,
                )?;
                (ClientState::AwaitingWithBuffer(p2, b2), r3)
            }
        };
        let doc = applied.apply(&self.doc)?;
        self.history.transform(&applied)?;
        self.doc = doc;
        self.state = state;
        self.revision = revision;
        self.selection = applied.transform_selection(self.selection);
        self.move_peers(op);
        steps.append(&mut local_steps);
        Ok(applied)
    }
}
