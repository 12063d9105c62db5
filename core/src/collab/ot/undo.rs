//! Undo and redo per user in a shared document: undoing your own last change even after other
//! people edited around it.
//!
//! Each local change is stored as its inverse, in the coordinates of the current document.
//! When someone else's operation arrives, every stored inverse is transformed through it, so
//! an undo removes exactly what this user did and keeps everyone else's edits:
//!
//! ```text
//!   stack (top first)   u3  u2  u1        remote op r, in current coordinates
//!   u3' = u3 ⊳ r,  r1 = r ⊳ u3            (r1 applies after undoing u3)
//!   u2' = u2 ⊳ r1, r2 = r1 ⊳ u2           and so on down the stack
//! ```
//!
//! An inverse that becomes a no-op (someone deleted the text this user inserted) drops out.
//! A typing burst is one undo step (the inverses compose into the top entry): inserts that
//! each continue at the caret the previous one left, or deletions that each backspace into
//! the text before the previous one (or delete forward at its place), each within `burst_ms`
//! of the previous change. Other people's edits in between move the burst's place but do not
//! end it. The stack keeps at most `limit`
//! steps, dropping the oldest. A new change clears the redo stack; undoing pushes the inverse
//! of the undo onto it.

use super::op::{chars, Component, Op, OtError, Side};
use crate::sim::Time;

/// What kind of change a step was, for grouping typing bursts, with where it happened (in
/// the document after the change).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// One insert; the caret ends at `end`.
    Typing {
        start: usize,
        end: usize,
    },
    /// One deletion, which left the caret at `at`.
    Deleting {
        at: usize,
        len: usize,
    },
    Other,
}

impl Kind {
    fn of(op: &Op) -> Kind {
        let (skip, rest) = match op.components() {
            [Component::Skip(n), rest @ ..] => (*n, rest),
            rest => (0, rest),
        };
        match rest {
            [Component::Insert(s)] => Kind::Typing {
                start: skip,
                end: skip + chars(s),
            },
            [Component::Delete(n)] => Kind::Deleting { at: skip, len: *n },
            _ => Kind::Other,
        }
    }

    /// True when `next` continues this burst: typing on at the caret, backspacing into the
    /// text before the deletion, or deleting forward at the same place.
    fn continued_by(self, next: Kind) -> bool {
        match (self, next) {
            (Kind::Typing { end, .. }, Kind::Typing { start, .. }) => start == end,
            (Kind::Deleting { at, .. }, Kind::Deleting { at: next_at, len }) => {
                next_at + len == at || next_at == at
            }
            _ => false,
        }
    }

    /// The same place after someone else's operation.
    fn moved(self, op: &Op) -> Kind {
        match self {
            Kind::Typing { start, end } => Kind::Typing {
                start: op.transform_position(start),
                end: op.transform_position(end),
            },
            Kind::Deleting { at, len } => Kind::Deleting {
                at: op.transform_position(at),
                len,
            },
            Kind::Other => Kind::Other,
        }
    }
}

/// One user's undo and redo stacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoHistory {
    /// Inverses of this user's changes, oldest first; the last one undoes the latest change.
    undo: Vec<Op>,
    /// Inverses of undos, oldest first.
    redo: Vec<Op>,
    /// The most undo steps kept.
    limit: usize,
    /// Changes of one kind closer than this (ms) form one undo step.
    burst_ms: Time,
    /// When and what the last recorded change was, while its step may still grow.
    open: Option<(Time, Kind)>,
}

impl UndoHistory {
    /// Keeps at most `limit` steps; groups changes of one kind closer than `burst_ms`.
    pub fn new(limit: usize, burst_ms: Time) -> UndoHistory {
        UndoHistory {
            undo: Vec::new(),
            redo: Vec::new(),
            limit,
            burst_ms,
            open: None,
        }
    }

    /// How many steps can be undone.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    /// How many steps can be redone.
    pub fn redo_len(&self) -> usize {
        self.redo.len()
    }

    /// The stored inverses, oldest first, for the lab's view.
    pub fn undo_steps(&self) -> &[Op] {
        &self.undo
    }

    /// Records a local change `op` made at `now` on `before`.
    pub fn record(&mut self, op: &Op, before: &str, now: Time) -> Result<(), OtError> {
        if op.is_noop() {
            return Ok(());
        }
        let inverse = op.invert(before)?;
        let k = Kind::of(op);
        let grows = match (self.open, self.undo.last()) {
            (Some((t, open_kind)), Some(_)) => {
                open_kind.continued_by(k) && now.saturating_sub(t) <= self.burst_ms
            }
            _ => false,
        };
        if grows {
            if let Some(top) = self.undo.last_mut() {
                *top = inverse.compose(top)?;
            }
        } else {
            self.undo.push(inverse);
            if self.undo.len() > self.limit {
                let excess = self.undo.len() - self.limit;
                self.undo.drain(..excess);
            }
        }
        self.open = Some((now, k));
        self.redo.clear();
        Ok(())
    }

    /// Transforms both stacks through `remote`, an operation by someone else just applied to
    /// the document this user sees.
    pub fn transform(&mut self, remote: &Op) -> Result<(), OtError> {
        if let Some((t, k)) = self.open {
            self.open = Some((t, k.moved(remote)));
        }
        transform_stack(&mut self.undo, remote)?;
        transform_stack(&mut self.redo, remote)
    }

    /// Takes the latest step to undo: the caller applies the returned operation to `doc` as a
    /// local change. `None` when there is nothing to undo.
    pub fn undo(&mut self, doc: &str) -> Result<Option<Op>, OtError> {
        self.open = None;
        let Some(op) = self.undo.pop() else {
            return Ok(None);
        };
        self.redo.push(op.invert(doc)?);
        Ok(Some(op))
    }

    /// Takes the latest undone step to redo, like [`UndoHistory::undo`].
    pub fn redo(&mut self, doc: &str) -> Result<Option<Op>, OtError> {
        self.open = None;
        let Some(op) = self.redo.pop() else {
            return Ok(None);
        };
        self.undo.push(op.invert(doc)?);
        Ok(Some(op))
    }
}

/// Transforms a stack of inverses (oldest first) through `op`, which applies to the current
/// document: the top entry first, then `op` moves past it to the state the next entry applies
/// to. Stored inverses take the right side: other people's text stays before restored text.
fn transform_stack(stack: &mut Vec<Op>, op: &Op) -> Result<(), OtError> {
    let mut op = op.clone();
    let mut kept = Vec::with_capacity(stack.len());
    for entry in stack.iter().rev() {
        let entry2 = entry.transform(&op, Side::Right)?;
        op = op.transform(entry, Side::Left)?;
        if !entry2.is_noop() {
            kept.push(entry2);
        }
    }
    kept.reverse();
    *stack = kept;
    Ok(())
}
