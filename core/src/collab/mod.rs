//! Collaborative text editing: the algorithms of the collaborative editing lab.
//!
//! Two families of algorithms keep replicas of one text document equal while people edit
//! concurrently:
//!
//! | family | what travels | who orders edits | module |
//! |---|---|---|---|
//! | operational transformation (OT) | position-based operations | a central server | [`ot`] |
//! | sequence CRDT | operations on unique character ids | nobody: merge is commutative | [`crdt`] |
//!
//! Both count positions in Unicode code points, so an emoji is one position everywhere. The
//! editing traces they are tested and measured on are read by [`trace`]; [`rope`] is a plain
//! text buffer that is both the speed floor and the oracle.
//!
//! ```text
//!   trace file ──► trace::parse ──► Trace::Sequential ──► rope::replay   (plain text, no ids)
//!                                    │                   └► crdt::replay  (ids, runs, tombstones)
//!                                    └► Trace::Concurrent ─► crdt::merge   (replicas per agent)
//! ```
//!
//! * [`ot`]: the text operation type (`apply`, `compose`, `transform`, `invert`), the
//!   client/server protocol, undo and a session of clients around a server.
//! * [`crdt`]: FugueMax ordering of concurrent inserts over runs of `(agent, seq)` ids, kept
//!   in a chunked list with cached lengths; [`crdt::Replica`] is what a client of the lab runs.
//! * [`trace`]: readers for the sequential and concurrent editing traces and the conformance
//!   cases of `shared/data/collab`.
//! * [`lab`]: the live lab (`collab`): clients editing through both engines side by side on a
//!   simulated network of links you control.
//! * [`live`]: live collaboration between browser tabs: a [`crdt::Replica`] per tab, kept
//!   equal by messages over a broadcast channel (hello, updates with operations and carets,
//!   heartbeats, bye), sans-IO.
//! * [`rope`]: a gap buffer of code points that replays a sequential trace with no metadata.

pub mod crdt;
pub mod lab;
pub mod live;
pub mod ot;
pub mod rope;
pub mod trace;
