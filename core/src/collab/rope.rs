//! The floor and the oracle: a gap buffer of code points that replays edits with no metadata.
//!
//! ```text
//!   [ h e l l o _ _ _ _ _ w o r l d ]
//!               ^gap start ^gap end
//! ```
//!
//! An edit moves the gap to its position (copying only the characters between the old and the
//! new position) and then inserts into the gap or widens it. Typing is local, so a real trace
//! moves the gap a few characters at a time. It keeps no ids and no tombstones, so it cannot
//! merge concurrent edits: it is what a CRDT costs relative to plain text, and what the
//! fuzzers compare a single replica's text with after every step.

use crate::collab::trace::{Patch, SequentialTrace};

/// A text as a gap buffer of code points.
#[derive(Clone, Debug, Default)]
pub struct GapBuffer {
    buf: Vec<char>,
    gap_start: usize,
    gap_end: usize,
}

impl GapBuffer {
    pub fn new() -> GapBuffer {
        GapBuffer::default()
    }

    pub fn from_text(text: &str) -> GapBuffer {
        let mut b = GapBuffer::new();
        b.insert(0, text);
        b
    }

    /// The length in code points.
    pub fn len(&self) -> usize {
        self.buf.len() - (self.gap_end - self.gap_start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn move_gap(&mut self, pos: usize) {
        if pos < self.gap_start {
            let n = self.gap_start - pos;
            self.buf.copy_within(pos..self.gap_start, self.gap_end - n);
            self.gap_start = pos;
            self.gap_end -= n;
        } else if pos > self.gap_start {
            let n = pos - self.gap_start;
            self.buf
                .copy_within(self.gap_end..self.gap_end + n, self.gap_start);
            self.gap_start += n;
            self.gap_end += n;
        }
    }

    fn reserve_gap(&mut self, need: usize) {
        let gap = self.gap_end - self.gap_start;
        if gap >= need {
            return;
        }
        let grow = (need - gap).max(self.buf.len() / 2).max(64);
        let tail = self.buf.len() - self.gap_end;
        self.buf.resize(self.buf.len() + grow, '\0');
        let new_end = self.buf.len() - tail;
        self.buf
            .copy_within(self.gap_end..self.gap_end + tail, new_end);
        self.gap_end = new_end;
    }

    /// Inserts `text` at code point `pos` (clamped to the length).
    pub fn insert(&mut self, pos: usize, text: &str) {
        let pos = pos.min(self.len());
        let n = text.chars().count();
        self.reserve_gap(n);
        self.move_gap(pos);
        for (i, c) in text.chars().enumerate() {
            self.buf[self.gap_start + i] = c;
        }
        self.gap_start += n;
    }

    /// Deletes `len` code points at `pos` (clamped to the text).
    pub fn delete(&mut self, pos: usize, len: usize) {
        let pos = pos.min(self.len());
        let len = len.min(self.len() - pos);
        self.move_gap(pos);
        self.gap_end += len;
    }

    /// Applies one patch: delete, then insert, at the same position.
    pub fn apply(&mut self, patch: &Patch) {
        if patch.1 > 0 {
            self.delete(patch.0, patch.1);
        }
        if !patch.2.is_empty() {
            self.insert(patch.0, &patch.2);
        }
    }

    /// The text as a string.
    pub fn text(&self) -> String {
        self.buf[..self.gap_start]
            .iter()
            .chain(&self.buf[self.gap_end..])
            .collect()
    }
}

/// Replays every patch of a sequential trace from its start content; returns the text.
pub fn replay(trace: &SequentialTrace) -> GapBuffer {
    let mut b = GapBuffer::from_text(&trace.start_content);
    for txn in &trace.txns {
        for p in &txn.patches {
            b.apply(p);
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_match_a_string_splice() {
        let mut b = GapBuffer::new();
        b.insert(0, "world");
        b.insert(0, "hello ");
        b.delete(5, 1);
        b.insert(5, ", ");
        b.insert(b.len(), "!");
        b.delete(0, 1);
        b.insert(0, "H");
        assert_eq!(b.text(), "Hello, world!");
        assert_eq!(b.len(), 13);
    }
}
