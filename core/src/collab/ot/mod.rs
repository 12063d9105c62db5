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

pub mod op;

pub use op::{Component, Op, OpBuilder, OtError, Selection, Side};
