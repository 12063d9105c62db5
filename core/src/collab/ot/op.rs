//! The text operation: skip, insert and delete components counted in code points.
//!
//! An operation walks the document from its start. Each component either skips (retains)
//! characters, inserts a string at the current place, or deletes characters at the current
//! place; characters after the last component are kept. Applying `[2, "XY", {d:1}]` to `abcd`:
//!
//! ```text
//!   input   a b │     │ c │ d      skip 2 (copy "ab"), insert "XY", delete 1 ("c"),
//!   output  a b │ X Y │   │ d      and the rest ("d") is kept
//! ```
//!
//! **Normal form.** Every [`Op`] is normalized on construction, exactly as the reference
//! implementation (`ot-text-unicode`) appends components: empty components vanish, adjacent
//! components of one kind merge, and a trailing skip is dropped. The order of an insert and a
//! delete at one place is kept as produced (the reference data holds both orders, for example
//! the composition `[{d:1}, "ca…", …]`), because it decides the tie-break of a later
//! [`Op::transform`]; [`Op::splice`] builds edits with the insert first.
//!
//! **Transform.** `a.transform(&b, side)` rewrites `a` to apply after `b`, where both were made
//! on the same document. When both insert at one place, `Side::Left` puts `a`'s text first.
//! The pair satisfies TP1: `apply(apply(d, a), b') == apply(apply(d, b), a')` with
//! `a' = a.transform(b, Left)` and `b' = b.transform(a, Right)`.
//!
//! **Compose.** `a.compose(&b)` is one operation with the effect of `a` then `b`.
//!
//! | component | JSON | input consumed | output produced |
//! |---|---|---|---|
//! | skip n | `n` | n | n (copied) |
//! | insert s | `"s"` | 0 | chars(s) |
//! | delete n | `{"d": n}` | n | 0 |

use std::fmt;

use serde::{Deserialize, Serialize};

/// One step of an operation. Lengths count Unicode code points, never bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component {
    /// Keep this many characters of the input.
    Skip(usize),
    /// Insert this text at the current place.
    Insert(String),
    /// Remove this many characters of the input at the current place.
    Delete(usize),
}

/// Which operation's insert goes first when two operations insert at the same place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The transformed operation's insert goes first (to the left).
    Left,
    /// The other operation's insert goes first.
    Right,
}

impl Side {
    /// The other side.
    pub fn flip(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

/// Why an operation could not be built, applied or combined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtError {
    /// A component of zero length (`0`, `""` or `{d:0}`) in an operation from outside.
    EmptyComponent { index: usize },
    /// The operation reaches past the end of the document it is applied to.
    PastEnd {
        /// What the operation does there: "skip" or "delete".
        what: &'static str,
        /// The code-point position where the document ends.
        doc_len: usize,
        /// How far the operation reaches.
        reach: usize,
    },
    /// The operation is longer than [`MAX_LEN`] characters (skips, deletes and inserts
    /// together), so lengths could overflow.
    Overflow,
    /// A client sent an operation based on a revision the server has not reached.
    UnknownRevision { base: u64, server: u64 },
    /// A message arrived that the receiving state machine cannot be waiting for.
    Unexpected(&'static str),
}

impl fmt::Display for OtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtError::EmptyComponent { index } => {
                write!(f, "component {index} is empty (skips, inserts and deletes must be non-empty)")
            }
            OtError::PastEnd {
                what,
                doc_len,
                reach,
            } => write!(
                f,
                "the operation's {what} reaches position {reach}, past the end of the {doc_len}-character document"
            ),
            OtError::Overflow => write!(f, "the operation is longer than {MAX_LEN} characters"),
            OtError::UnknownRevision { base, server } => write!(
                f,
                "the operation is based on revision {base}, but the server is at revision {server}"
            ),
            OtError::Unexpected(what) => write!(f, "unexpected message: {what}"),
        }
    }
}

impl std::error::Error for OtError {}

/// The longest operation accepted from outside, counting skips, deletes and inserted
/// characters together; a quarter of the address space, so that sums of two never overflow.
pub const MAX_LEN: usize = usize::MAX / 4;

/// The number of code points in `s`.
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A text operation in normal form (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Wire>", into = "Vec<Wire>")]
pub struct Op {
    components: Vec<Component>,
}

/// Appends components to an operation under construction, keeping it in normal form.
#[derive(Clone, Debug, Default)]
pub struct OpBuilder {
    components: Vec<Component>,
}

impl OpBuilder {
    pub fn new() -> OpBuilder {
        OpBuilder::default()
    }

    /// Keeps `n` characters.
    pub fn skip(&mut self, n: usize) -> &mut OpBuilder {
        if n > 0 {
            if let Some(Component::Skip(last)) = self.components.last_mut() {
                *last += n;
            } else {
                self.components.push(Component::Skip(n));
            }
        }
        self
    }

    /// Inserts `text` here.
    pub fn insert(&mut self, text: &str) -> &mut OpBuilder {
        if !text.is_empty() {
            if let Some(Component::Insert(last)) = self.components.last_mut() {
                last.push_str(text);
            } else {
                self.components.push(Component::Insert(text.to_string()));
            }
        }
        self
    }

    /// Deletes `n` characters here.
    pub fn delete(&mut self, n: usize) -> &mut OpBuilder {
        if n > 0 {
            if let Some(Component::Delete(last)) = self.components.last_mut() {
                *last += n;
            } else {
                self.components.push(Component::Delete(n));
            }
        }
        self
    }

    fn piece(&mut self, piece: Piece<'_>) {
        match piece {
            Piece::Skip(n) => self.skip(n),
            Piece::Insert(s) => self.insert(s),
            Piece::Delete(n) => self.delete(n),
        };
    }

    /// The finished operation, without a trailing skip.
    pub fn build(mut self) -> Op {
        if let Some(Component::Skip(_)) = self.components.last() {
            self.components.pop();
        }
        Op {
            components: self.components,
        }
    }
}

/// A part of a component handed out by [`Reader`]; inserts borrow their text.
#[derive(Clone, Copy, Debug)]
enum Piece<'a> {
    Skip(usize),
    Insert(&'a str),
    Delete(usize),
}

impl Piece<'_> {
    /// The length this piece counts against the walk of the other operation.
    fn len(&self) -> usize {
        match *self {
            Piece::Skip(n) | Piece::Delete(n) => n,
            Piece::Insert(s) => chars(s),
        }
    }
}

/// Which kind of component a [`Reader`] hands out whole, never split.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Whole {
    Inserts,
    Deletes,
}

/// Walks an operation's components, handing out pieces of at most a requested length.
/// Past the last component the operation keeps every character, so the reader hands out
/// skips forever when asked for a length.
struct Reader<'a> {
    components: &'a [Component],
    index: usize,
    /// How far into the current component: code points for skips and deletes, bytes for
    /// inserts.
    offset: usize,
}

impl<'a> Reader<'a> {
    fn new(op: &'a Op) -> Reader<'a> {
        Reader {
            components: &op.components,
            index: 0,
            offset: 0,
        }
    }

    fn next_is_insert(&self) -> bool {
        matches!(self.components.get(self.index), Some(Component::Insert(_)))
    }

    /// The rest of the current component, whole.
    fn take_rest(&mut self) -> Option<Piece<'a>> {
        let c = self.components.get(self.index)?;
        let piece = match c {
            Component::Skip(n) => Piece::Skip(n - self.offset),
            Component::Delete(n) => Piece::Delete(n - self.offset),
            Component::Insert(s) => Piece::Insert(&s[self.offset..]),
        };
        self.index += 1;
        self.offset = 0;
        Some(piece)
    }

    /// At most `max` characters of the current component (or all of it, if it is of the
    /// `whole` kind); a skip of `max` past the end.
    fn take(&mut self, max: usize, whole: Whole) -> Piece<'a> {
        let Some(c) = self.components.get(self.index) else {
            return Piece::Skip(max);
        };
        match c {
            Component::Skip(n) | Component::Delete(n) => {
                let rest = n - self.offset;
                let is_delete = matches!(c, Component::Delete(_));
                if rest <= max || (is_delete && whole == Whole::Deletes) {
                    self.take_rest().unwrap_or(Piece::Skip(max))
                } else {
                    self.offset += max;
                    if is_delete {
                        Piece::Delete(max)
                    } else {
                        Piece::Skip(max)
                    }
                }
            }
            Component::Insert(s) => {
                let rest = &s[self.offset..];
                if whole == Whole::Inserts {
                    return self.take_rest().unwrap_or(Piece::Skip(max));
                }
                match rest.char_indices().nth(max) {
                    Some((end, _)) => {
                        self.offset += end;
                        Piece::Insert(&rest[..end])
                    }
                    None => self.take_rest().unwrap_or(Piece::Skip(max)),
                }
            }
        }
    }
}

impl Op {
    /// The operation that changes nothing.
    pub fn noop() -> Op {
        Op::default()
    }

    /// Builds an operation from components, normalizing it; empty components are refused,
    /// as the reference implementation refuses them.
    pub fn from_components(components: impl IntoIterator<Item = Component>) -> Result<Op, OtError> {
        let mut b = OpBuilder::new();
        let mut total = 0usize;
        for (index, c) in components.into_iter().enumerate() {
            let len = match &c {
                Component::Skip(n) | Component::Delete(n) => *n,
                Component::Insert(s) => chars(s),
            };
            total = total
                .checked_add(len)
                .filter(|t| *t <= MAX_LEN)
                .ok_or(OtError::Overflow)?;
            match c {
                Component::Skip(0) | Component::Delete(0) => {
                    return Err(OtError::EmptyComponent { index })
                }
                Component::Insert(ref s) if s.is_empty() => {
                    return Err(OtError::EmptyComponent { index })
                }
                Component::Skip(n) => b.skip(n),
                Component::Insert(s) => b.insert(&s),
                Component::Delete(n) => b.delete(n),
            };
        }
        Ok(b.build())
    }

    /// One edit at code-point position `pos`: delete `del` characters and insert `text` there
    /// (the insert comes first in the operation).
    pub fn splice(pos: usize, del: usize, text: &str) -> Op {
        let mut b = OpBuilder::new();
        b.skip(pos).insert(text).delete(del);
        b.build()
    }

    /// The components, in normal form.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// True when the operation changes nothing.
    pub fn is_noop(&self) -> bool {
        self.components.is_empty()
    }

    /// The fewest characters a document needs for this operation to apply (skips plus deletes).
    pub fn input_len(&self) -> usize {
        self.components
            .iter()
            .map(|c| match c {
                Component::Skip(n) | Component::Delete(n) => *n,
                Component::Insert(_) => 0,
            })
            .sum()
    }

    /// True when every component is an insert or a skip.
    pub fn only_inserts(&self) -> bool {
        self.components
            .iter()
            .all(|c| !matches!(c, Component::Delete(_)))
    }

    /// True when every component is a delete or a skip.
    pub fn only_deletes(&self) -> bool {
        self.components
            .iter()
            .all(|c| !matches!(c, Component::Insert(_)))
    }

    /// Applies the operation to `doc`.
    pub fn apply(&self, doc: &str) -> Result<String, OtError> {
        let mut out = String::with_capacity(doc.len());
        let mut rest = doc;
        let mut pos = 0usize;
        for c in &self.components {
            match c {
                Component::Skip(n) | Component::Delete(n) => {
                    let at = split_at_chars(rest, *n).ok_or_else(|| OtError::PastEnd {
                        what: if matches!(c, Component::Skip(_)) {
                            "skip"
                        } else {
                            "delete"
                        },
                        doc_len: pos + chars(rest),
                        reach: pos + n,
                    })?;
                    if matches!(c, Component::Skip(_)) {
                        out.push_str(&rest[..at]);
                    }
                    rest = &rest[at..];
                    pos += n;
                }
                Component::Insert(s) => out.push_str(s),
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// One operation with the effect of `self` followed by `other`.
    ///
    /// `other` walks the output of `self`: its skips copy `self`'s pieces (deletes of `self`
    /// pass through whole), its deletes cancel `self`'s inserts or delete what `self` skipped,
    /// and its inserts go in as they are.
    ///
    /// Operations carry no document length (trailing skips are dropped), so any two compose:
    /// this returns `Ok` for every pair in normal form, and the `Result` is the contract
    /// shared with [`Op::apply`] for callers that handle operations from the wire.
    pub fn compose(&self, other: &Op) -> Result<Op, OtError> {
        let mut out = OpBuilder::new();
        let mut first = Reader::new(self);
        for c in &other.components {
            match c {
                Component::Skip(n) => {
                    let mut left = *n;
                    while left > 0 {
                        let piece = first.take(left, Whole::Deletes);
                        out.piece(piece);
                        if !matches!(piece, Piece::Delete(_)) {
                            left -= piece.len();
                        }
                    }
                }
                Component::Insert(s) => {
                    out.insert(s);
                }
                Component::Delete(n) => {
                    let mut left = *n;
                    while left > 0 {
                        match first.take(left, Whole::Deletes) {
                            Piece::Skip(k) => {
                                out.delete(k);
                                left -= k;
                            }
                            Piece::Insert(s) => left -= chars(s),
                            Piece::Delete(k) => {
                                out.delete(k);
                            }
                        }
                    }
                }
            }
        }
        while let Some(piece) = first.take_rest() {
            out.piece(piece);
        }
        Ok(out.build())
    }

    /// Rewrites `self` to apply after `other`, both made on the same document.
    ///
    /// `self`'s inserts are never split; characters that `other` deleted drop out of `self`'s
    /// skips and deletes; `other`'s inserts become skips, placed after `self`'s insert at the
    /// same place when `side` is [`Side::Left`]. Like [`Op::compose`], `Ok` for every pair in
    /// normal form.
    pub fn transform(&self, other: &Op, side: Side) -> Result<Op, OtError> {
        let mut out = OpBuilder::new();
        let mut mine = Reader::new(self);
        for c in &other.components {
            match c {
                Component::Skip(n) => {
                    let mut left = *n;
                    while left > 0 {
                        let piece = mine.take(left, Whole::Inserts);
                        out.piece(piece);
                        if !matches!(piece, Piece::Insert(_)) {
                            left -= piece.len();
                        }
                    }
                }
                Component::Insert(s) => {
                    if side == Side::Left && mine.next_is_insert() {
                        if let Some(piece) = mine.take_rest() {
                            out.piece(piece);
                        }
                    }
                    out.skip(chars(s));
                }
                Component::Delete(n) => {
                    let mut left = *n;
                    while left > 0 {
                        match mine.take(left, Whole::Inserts) {
                            Piece::Skip(k) | Piece::Delete(k) => left -= k,
                            Piece::Insert(s) => {
                                out.insert(s);
                            }
                        }
                    }
                }
            }
        }
        while let Some(piece) = mine.take_rest() {
            out.piece(piece);
        }
        Ok(out.build())
    }

    /// The operation that undoes `self`, given the document `self` was applied to. It applies
    /// to `self.apply(doc)` and gives back `doc`.
    pub fn invert(&self, doc: &str) -> Result<Op, OtError> {
        let mut out = OpBuilder::new();
        let mut rest = doc;
        let mut pos = 0usize;
        for c in &self.components {
            match c {
                Component::Skip(n) | Component::Delete(n) => {
                    let at = split_at_chars(rest, *n).ok_or_else(|| OtError::PastEnd {
                        what: if matches!(c, Component::Skip(_)) {
                            "skip"
                        } else {
                            "delete"
                        },
                        doc_len: pos + chars(rest),
                        reach: pos + n,
                    })?;
                    if matches!(c, Component::Skip(_)) {
                        out.skip(*n);
                    } else {
                        out.insert(&rest[..at]);
                    }
                    rest = &rest[at..];
                    pos += n;
                }
                Component::Insert(s) => {
                    out.delete(chars(s));
                }
            }
        }
        Ok(out.build())
    }

    /// Where a cursor at code-point position `cursor` ends up after this operation, as the
    /// reference implementation maps it: text inserted exactly at the cursor lands after the
    /// cursor (the cursor stays put), and a cursor inside deleted text moves to the start of
    /// the deletion.
    pub fn transform_position(&self, cursor: usize) -> usize {
        let mut cursor = cursor;
        let mut pos = 0usize;
        for c in &self.components {
            if cursor <= pos {
                break;
            }
            match c {
                Component::Skip(n) => pos += n,
                Component::Insert(s) => {
                    let n = chars(s);
                    pos += n;
                    cursor += n;
                }
                Component::Delete(n) => cursor -= (*n).min(cursor - pos),
            }
        }
        cursor
    }

    /// Where a cursor ends up, choosing what happens to text inserted exactly at it:
    /// [`Side::Left`] keeps the cursor before the new text (as [`Op::transform_position`],
    /// right for other people's edits), [`Side::Right`] moves it after (right for one's own
    /// typing).
    pub fn transform_cursor(&self, cursor: usize, side: Side) -> usize {
        if side == Side::Left {
            return self.transform_position(cursor);
        }
        let mut cursor = cursor;
        let mut pos = 0usize;
        for c in &self.components {
            if cursor < pos {
                break;
            }
            match c {
                Component::Skip(n) => pos += n,
                Component::Insert(s) => {
                    let n = chars(s);
                    pos += n;
                    cursor += n;
                }
                Component::Delete(n) => cursor -= (*n).min(cursor - pos),
            }
        }
        cursor
    }

    /// Maps a selection (anchor and head, in either order) through this operation.
    pub fn transform_selection(&self, selection: Selection) -> Selection {
        Selection {
            anchor: self.transform_position(selection.anchor),
            head: self.transform_position(selection.head),
        }
    }
}

/// A cursor with a selection: `anchor` is where it started, `head` where the caret is. Equal
/// positions mean a plain cursor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub anchor: usize,
    pub head: usize,
}

impl Selection {
    /// A plain cursor at `pos`.
    pub fn cursor(pos: usize) -> Selection {
        Selection {
            anchor: pos,
            head: pos,
        }
    }
}

/// The byte index after the first `n` code points of `s`, or `None` when `s` is shorter.
fn split_at_chars(s: &str, n: usize) -> Option<usize> {
    if n == 0 {
        return Some(0);
    }
    match s.char_indices().nth(n) {
        Some((at, _)) => Some(at),
        None if chars(s) == n => Some(s.len()),
        None => None,
    }
}

impl fmt::Display for Op {
    /// The JSON form, e.g. `[2,"XY",{"d":1}]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match c {
                Component::Skip(n) => write!(f, "{n}")?,
                Component::Insert(s) => {
                    let quoted = serde_json::to_string(s).map_err(|_| fmt::Error)?;
                    f.write_str(&quoted)?;
                }
                Component::Delete(n) => write!(f, "{{\"d\":{n}}}")?,
            }
        }
        f.write_str("]")
    }
}

/// The JSON shape of a component: a number, a string, or `{"d": n}` (or `{"d": "text"}`, the
/// reference's invertible delete, read as its length).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Wire {
    Skip(u64),
    Insert(String),
    Delete { d: WireDelete },
}

/// The length of a JSON delete: a count or the deleted text.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WireDelete {
    Count(u64),
    Text(String),
}

impl TryFrom<Vec<Wire>> for Op {
    type Error = OtError;

    fn try_from(wire: Vec<Wire>) -> Result<Op, OtError> {
        let mut components = Vec::with_capacity(wire.len());
        for w in wire {
            components.push(match w {
                Wire::Skip(n) => {
                    Component::Skip(usize::try_from(n).map_err(|_| OtError::Overflow)?)
                }
                Wire::Insert(s) => Component::Insert(s),
                Wire::Delete {
                    d: WireDelete::Count(n),
                } => Component::Delete(usize::try_from(n).map_err(|_| OtError::Overflow)?),
                Wire::Delete {
                    d: WireDelete::Text(s),
                } => Component::Delete(chars(&s)),
            });
        }
        Op::from_components(components)
    }
}

impl From<Op> for Vec<Wire> {
    fn from(op: Op) -> Vec<Wire> {
        op.components
            .into_iter()
            .map(|c| match c {
                Component::Skip(n) => Wire::Skip(n as u64),
                Component::Insert(s) => Wire::Insert(s),
                Component::Delete(n) => Wire::Delete {
                    d: WireDelete::Count(n as u64),
                },
            })
            .collect()
    }
}
