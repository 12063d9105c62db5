//! A document that operations apply to in place: a gap buffer of code points.
//!
//! [`Op::apply`] builds a new string, which costs the whole document per operation. Replaying
//! an editing trace (hundreds of thousands of one-character edits near each other) wants the
//! cost of an edit to follow the distance from the previous edit instead. A gap buffer keeps
//! the free space where the last edit happened:
//!
//! ```text
//!   chars   h e l l o _ _ _ _ _ w o r l d       "hello world", gap after "hello"
//!           └ before ┘└── gap ──┘└ after ┘      an edit at 5 writes into the gap;
//!                                               an edit at 2 first moves "llo" across it
//! ```

use super::op::{Component, Op, OtError};

/// Text as a gap buffer of code points.
#[derive(Clone, Debug, Default)]
pub struct Text {
    chars: Vec<char>,
    gap_start: usize,
    gap_end: usize,
}

impl Text {
    pub fn new(s: &str) -> Text {
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        Text {
            chars,
            gap_start: n,
            gap_end: n,
        }
    }

    /// The length in code points.
    pub fn len(&self) -> usize {
        self.chars.len() - (self.gap_end - self.gap_start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the gap to code-point position `pos` (at most the length).
    fn move_gap(&mut self, pos: usize) {
        if pos < self.gap_start {
            let n = self.gap_start - pos;
            self.chars
                .copy_within(pos..self.gap_start, self.gap_end - n);
            self.gap_start -= n;
            self.gap_end -= n;
        } else if pos > self.gap_start {
            let n = pos - self.gap_start;
            self.chars
                .copy_within(self.gap_end..self.gap_end + n, self.gap_start);
            self.gap_start += n;
            self.gap_end += n;
        }
    }

    /// Makes the gap at least `n` long, doubling the buffer as needed.
    fn reserve(&mut self, n: usize) {
        let gap = self.gap_end - self.gap_start;
        if gap >= n {
            return;
        }
        let extra = (n - gap).max(self.chars.len()).max(64);
        let old_len = self.chars.len();
        self.chars.resize(old_len + extra, '\0');
        self.chars
            .copy_within(self.gap_end..old_len, self.gap_end + extra);
        self.gap_end += extra;
    }

    /// Applies `op` in place; an operation that does not fit leaves the text unchanged.
    pub fn apply(&mut self, op: &Op) -> Result<(), OtError> {
        let len = self.len();
        let reach = op.input_len();
        if reach > len {
            return Err(OtError::PastEnd {
                what: "skip or delete",
                doc_len: len,
                reach,
            });
        }
        let mut pos = 0usize;
        for c in op.components() {
            match c {
                Component::Skip(n) => pos += n,
                Component::Insert(s) => {
                    self.move_gap(pos);
                    // Reserve by bytes, an upper bound on code points.
                    self.reserve(s.len());
                    for ch in s.chars() {
                        self.chars[self.gap_start] = ch;
                        self.gap_start += 1;
                        pos += 1;
                    }
                }
                Component::Delete(n) => {
                    self.move_gap(pos);
                    self.gap_end += n;
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        for &c in self.chars[..self.gap_start]
            .iter()
            .chain(&self.chars[self.gap_end..])
        {
            f.write_char(c)?;
        }
        Ok(())
    }
}
