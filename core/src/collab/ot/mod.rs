//! Operational transformation (OT) for plain text, the way Google Docs-style editors keep
//! replicas equal: a central server puts every edit in one order, and each replica rewrites
//! (transforms) the edits it receives against the concurrent edits it already made.
//!
//! ```text
//!   client A: local op a ──► server: a' = a transformed against history since a's base,
//!                                    applied, revision n+1, ack to A, a' to everyone else
//!   client B: receives a' ──► transforms a' against its own unacknowledged ops, applies it
//! ```
//!
//! * [`op`]: the text operation type ([`Op`]: skip, insert, delete counted in code points)
//!   with `apply`, `compose`, `transform`, `invert` and cursor mapping. It is the type of the
//!   reference data in `shared/data/collab/ot/` and matches every case there.
//! * [`protocol`]: the client/server protocol as sans-IO state machines ([`Server`],
//!   [`Client`] with its [`ClientState`]), recording every transform as a [`TransformStep`].
//! * [`session`]: a server and clients joined by in-order queues that the caller delivers
//!   from, reporting each step as an [`Event`] (the lab's network, and the fuzzers').
//! * [`text`]: a gap-buffer document that operations apply to in place, and [`trace`]:
//!   replay of sequential editing traces through it.
//! * [`undo`]: undo and redo per user ([`UndoHistory`]), transformed through others' edits,
//!   with typing bursts grouped and a history limit.

pub mod op;
pub mod protocol;
pub mod session;
pub mod text;
pub mod trace;
pub mod undo;

pub use op::{Component, Op, OpBuilder, OtError, Selection, Side};
pub use protocol::{
    Client, ClientId, ClientState, Outgoing, Revision, Server, TransformStep, UndoSettings,
};
pub use session::{Down, Event, Link, Session, Up};
pub use undo::UndoHistory;
