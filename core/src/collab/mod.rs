//! The collaborative editing lab's algorithms: a sequence CRDT for text, the editing-trace
//! formats it is tested and measured on, and a plain text buffer that is both the speed floor
//! and the oracle.
//!
//! ```text
//!   trace file ──► trace::parse ──► Trace::Sequential ──► rope::replay   (plain text, no ids)
//!                                    │                   └► crdt::replay  (ids, runs, tombstones)
//!                                    └► Trace::Concurrent ─► crdt::merge   (replicas per agent)
//! ```
//!
//! * [`crdt`]: FugueMax ordering of concurrent inserts over runs of `(agent, seq)` ids, kept
//!   in a chunked list with cached lengths; [`crdt::Replica`] is what a client of the lab runs.
//! * [`trace`]: readers for the sequential and concurrent editing traces and the conformance
//!   cases of `shared/data/collab`.
//! * [`rope`]: a gap buffer of code points that replays a sequential trace with no metadata.

pub mod crdt;
pub mod rope;
pub mod trace;
