//! Collaborative text editing: the algorithms of the collaborative editing lab.
//!
//! Two families of algorithms keep replicas of one text document equal while people edit
//! concurrently:
//!
//! | family | what travels | who orders edits | module |
//! |---|---|---|---|
//! | operational transformation (OT) | position-based operations | a central server | [`ot`] |
//! | sequence CRDT | operations on unique character ids | nobody: merge is commutative | (beside this one) |
//!
//! Both count positions in Unicode code points, so an emoji is one position everywhere.

pub mod ot;
