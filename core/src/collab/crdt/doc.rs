//! [`Doc`]: the CRDT's items in document order, as runs in a chunked list with cached lengths.
//!
//! ```text
//!   order:  [ chunk 3 ][ chunk 0 ][ chunk 1 ] ...    chunk ids in document order
//!   chunk:  visible = 12, runs = [ Run{a:0..5} Run{b:0..3 deleted} Run{a:5..12} ... ] (≤ 32)
//!   run:    consecutive ids of one agent, typed left to right, all alive or all deleted
//!   agents: agent → per seq: chunk holding that id, the character, and the seqs known
//! ```
//!
//! * Position → item: walk chunks adding their visible counts, starting from a remembered
//!   chunk (the last one edited), because typing is local; then walk the chunk's runs.
//! * Id → item: `agents[agent].chunk[seq]` names the chunk; its runs are scanned.
//! * Document order of two items: `(chunk's place in order, run index, offset)`, compared as
//!   a tuple. A chunk's place is cached and rewritten only when a chunk splits.
//!
//! Integration is FugueMax (YjsMod in Gentle's reference CRDTs, the ordering of diamond-types
//! and the Eg-walker paper): a new item goes between its left origin and right origin; among
//! concurrent items there it skips those whose left origin lies to its right (they belong to
//! a subtree further right), stops at the first whose left origin lies to the left, and for
//! siblings with the same left origin orders by right origin, then by `(agent, seq)`.

use std::fmt;

use super::{Id, Version};

/// The most runs a chunk holds before it splits in two.
const MAX_RUNS: usize = 32;
/// No chunk holds this seq (not yet received, or the seq of a delete).
const NONE: u32 = u32::MAX;
/// The largest agent number a document accepts (agents are small dense numbers).
pub const MAX_AGENT: u32 = 1 << 16;
/// The largest seq a document accepts.
pub const MAX_SEQ: u32 = 1 << 30;
/// How far past an agent's highest known seq an operation may start. Tables are dense by
/// seq, so a hostile seq far ahead would otherwise allocate gigabytes; honest gaps are only
/// as long as the operations still in flight.
pub const MAX_SEQ_GAP: u32 = 1 << 20;

/// Consecutive characters `id .. id+len` of one agent: char `k > 0` has left origin
/// `id+k-1`; every char shares the right origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    id: Id,
    len: u32,
    origin_left: Option<Id>,
    origin_right: Option<Id>,
    deleted: bool,
}

impl Run {
    fn last(&self) -> Id {
        Id::new(self.id.agent, self.id.seq + self.len - 1)
    }
    fn contains(&self, id: Id) -> bool {
        id.agent == self.id.agent && id.seq >= self.id.seq && id.seq < self.id.seq + self.len
    }
    fn visible(&self) -> usize {
        if self.deleted {
            0
        } else {
            self.len as usize
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Chunk {
    runs: Vec<Run>,
    visible: usize,
    /// This chunk's place in `Doc::order`.
    place: usize,
}

#[derive(Clone, Debug, Default)]
struct AgentLog {
    /// Per seq: the chunk holding the character, or [`NONE`].
    chunk: Vec<u32>,
    /// Per seq: the character (`'\0'` for the seqs of deletes).
    text: Vec<char>,
}

/// One item (character) of the document, for drawing: its id, the character, and whether it
/// is a tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: Id,
    pub ch: char,
    pub deleted: bool,
}

/// Where an item is: chunk id, run index in the chunk, offset in the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct At {
    chunk: u32,
    run: usize,
    off: u32,
}

/// Document order as a comparable tuple: `(place + 1, run, off)`; `BEFORE` and `END` bound it.
type Key = (usize, usize, u32);
const BEFORE: Key = (0, 0, 0);
const END: Key = (usize::MAX, 0, 0);

/// Why an operation cannot be applied (yet, or ever).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unready {
    /// An id the operation refers to is unknown: buffer the operation until it arrives.
    Missing(Id),
    /// Some of the operation's own ids are already known, so it is a duplicate (all known)
    /// or a conflicting reuse of ids (some known).
    Duplicate,
    /// The operation can never apply: the message says why.
    Invalid(String),
}

impl fmt::Display for Unready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unready::Missing(id) => write!(f, "waiting for {id}"),
            Unready::Duplicate => f.write_str("already applied"),
            Unready::Invalid(m) => f.write_str(m),
        }
    }
}

/// A sequence CRDT document: every character ever inserted, in FugueMax order, with
/// tombstones for deleted ones.
#[derive(Clone, Debug)]
pub struct Doc {
    chunks: Vec<Chunk>,
    order: Vec<u32>,
    agents: Vec<AgentLog>,
    visible: usize,
    items: usize,
    runs: usize,
    version: Version,
    /// A chunk's place in `order` and the visible characters before it.
    hint: (usize, usize),
}

impl Default for Doc {
    fn default() -> Doc {
        Doc::new()
    }
}

impl Doc {
    pub fn new() -> Doc {
        Doc {
            chunks: vec![Chunk::default()],
            order: vec![0],
            agents: Vec::new(),
            visible: 0,
            items: 0,
            runs: 0,
            version: Version::default(),
            hint: (0, 0),
        }
    }

    /// Visible characters.
    pub fn len(&self) -> usize {
        self.visible
    }

    pub fn is_empty(&self) -> bool {
        self.visible == 0
    }

    /// Every item ever inserted, tombstones included.
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// Runs of the internal structure (a measure of how compact it is).
    pub fn run_count(&self) -> usize {
        self.runs
    }

    /// Every id this document has applied (inserts and deletes).
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// An estimate of the bytes the structure holds: runs, chunk headers, per-seq tables.
    pub fn memory_bytes(&self) -> usize {
        let runs: usize = self
            .chunks
            .iter()
            .map(|c| c.runs.capacity() * std::mem::size_of::<Run>() + std::mem::size_of::<Chunk>())
            .sum();
        let agents: usize = self
            .agents
            .iter()
            .map(|a| a.chunk.capacity() * 4 + a.text.capacity() * 4)
            .sum();
        runs + agents + self.order.capacity() * 4
    }

    /// The visible text.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.visible);
        for &c in &self.order {
            for r in &self.chunks[c as usize].runs {
                if !r.deleted {
                    let t = &self.agents[r.id.agent as usize].text;
                    s.extend(&t[r.id.seq as usize..(r.id.seq + r.len) as usize]);
                }
            }
        }
        s
    }

    /// Every item in document order, tombstones included.
    pub fn items(&self) -> Vec<Item> {
        let mut out = Vec::with_capacity(self.items);
        for &c in &self.order {
            for r in &self.chunks[c as usize].runs {
                let t = &self.agents[r.id.agent as usize].text;
                for k in 0..r.len {
                    let id = Id::new(r.id.agent, r.id.seq + k);
                    out.push(Item {
                        id,
                        ch: t[id.seq as usize],
                        deleted: r.deleted,
                    });
                }
            }
        }
        out
    }

    // ---- lookups -------------------------------------------------------------------------

    fn find(&self, id: Id) -> Option<At> {
        let log = self.agents.get(id.agent as usize)?;
        let chunk = *log.chunk.get(id.seq as usize)?;
        if chunk == NONE {
            return None;
        }
        let runs = &self.chunks[chunk as usize].runs;
        let run = runs.iter().position(|r| r.contains(id))?;
        Some(At {
            chunk,
            run,
            off: id.seq - runs[run].id.seq,
        })
    }

    /// Whether the character `id` has been inserted here.
    pub fn has_item(&self, id: Id) -> bool {
        self.agents
            .get(id.agent as usize)
            .and_then(|l| l.chunk.get(id.seq as usize))
            .is_some_and(|&c| c != NONE)
    }

    fn key(&self, at: At) -> Key {
        (self.chunks[at.chunk as usize].place + 1, at.run, at.off)
    }

    fn run_at(&self, at: At) -> &Run {
        &self.chunks[at.chunk as usize].runs[at.run]
    }

    fn first(&self) -> Option<At> {
        for &c in &self.order {
            if !self.chunks[c as usize].runs.is_empty() {
                return Some(At {
                    chunk: c,
                    run: 0,
                    off: 0,
                });
            }
        }
        None
    }

    fn next(&self, at: At) -> Option<At> {
        let chunk = &self.chunks[at.chunk as usize];
        if at.off + 1 < chunk.runs[at.run].len {
            return Some(At {
                off: at.off + 1,
                ..at
            });
        }
        if at.run + 1 < chunk.runs.len() {
            return Some(At {
                chunk: at.chunk,
                run: at.run + 1,
                off: 0,
            });
        }
        let c = *self.order.get(chunk.place + 1)?;
        Some(At {
            chunk: c,
            run: 0,
            off: 0,
        })
    }

    /// The chunk place holding visible character `pos` (`pos < len`), and the visible
    /// characters before that chunk.
    fn seek_chunk(&mut self, pos: usize) -> (usize, usize) {
        let (mut place, mut start) = self.hint;
        if place >= self.order.len() {
            (place, start) = (0, 0);
        }
        while pos < start {
            place -= 1;
            start -= self.chunks[self.order[place] as usize].visible;
        }
        loop {
            let v = self.chunks[self.order[place] as usize].visible;
            if pos < start + v {
                break;
            }
            start += v;
            place += 1;
        }
        self.hint = (place, start);
        (place, start)
    }

    /// The visible character at `pos` (`pos < len`).
    fn at_visible(&mut self, pos: usize) -> At {
        let (place, start) = self.seek_chunk(pos);
        let chunk_id = self.order[place];
        let mut left = pos - start;
        for (i, r) in self.chunks[chunk_id as usize].runs.iter().enumerate() {
            let v = r.visible();
            if left < v {
                return At {
                    chunk: chunk_id,
                    run: i,
                    off: left as u32,
                };
            }
            left -= v;
        }
        unreachable!("a chunk's visible count is the sum of its runs'")
    }

    /// Where an item is: how many visible items precede it, and whether it is visible itself.
    pub fn position_of(&self, id: Id) -> Option<(usize, bool)> {
        let at = self.find(id)?;
        let place = self.chunks[at.chunk as usize].place;
        let mut pos: usize = self.order[..place]
            .iter()
            .map(|&c| self.chunks[c as usize].visible)
            .sum();
        let chunk = &self.chunks[at.chunk as usize];
        pos += chunk.runs[..at.run].iter().map(Run::visible).sum::<usize>();
        let alive = !chunk.runs[at.run].deleted;
        if alive {
            pos += at.off as usize;
        }
        Some((pos, alive))
    }

    /// The id of the visible character at `pos`, if any.
    pub fn id_at(&mut self, pos: usize) -> Option<Id> {
        if pos >= self.visible {
            return None;
        }
        let at = self.at_visible(pos);
        let r = self.run_at(at);
        Some(Id::new(r.id.agent, r.id.seq + at.off))
    }

    // ---- structural edits ----------------------------------------------------------------

    fn visible_changed(&mut self, chunk: u32, delta: isize) {
        let c = &mut self.chunks[chunk as usize];
        c.visible = c.visible.wrapping_add_signed(delta);
        self.visible = self.visible.wrapping_add_signed(delta);
        if c.place < self.hint.0 {
            self.hint.1 = self.hint.1.wrapping_add_signed(delta);
        }
    }

    /// Splits run `at.run` so that `at.off` starts a new run (no-op at either end).
    fn split_run(&mut self, at: At) {
        let runs = &mut self.chunks[at.chunk as usize].runs;
        let r = &mut runs[at.run];
        if at.off == 0 || at.off >= r.len {
            return;
        }
        let right = Run {
            id: Id::new(r.id.agent, r.id.seq + at.off),
            len: r.len - at.off,
            origin_left: Some(Id::new(r.id.agent, r.id.seq + at.off - 1)),
            origin_right: r.origin_right,
            deleted: r.deleted,
        };
        r.len = at.off;
        runs.insert(at.run + 1, right);
        self.runs += 1;
    }

    /// Joins run `r` with its neighbours where they continue one another (after a delete
    /// made them alike), so that backspacing over typed text leaves one deleted run.
    fn join_runs(&mut self, chunk: u32, r: usize) {
        let runs = &mut self.chunks[chunk as usize].runs;
        let continues = |a: &Run, b: &Run| {
            a.deleted == b.deleted
                && a.id.agent == b.id.agent
                && a.id.seq + a.len == b.id.seq
                && b.origin_left == Some(a.last())
                && b.origin_right == a.origin_right
        };
        if r + 1 < runs.len() && continues(&runs[r], &runs[r + 1]) {
            runs[r].len += runs[r + 1].len;
            runs.remove(r + 1);
            self.runs -= 1;
        }
        if r > 0 && continues(&runs[r - 1], &runs[r]) {
            runs[r - 1].len += runs[r].len;
            runs.remove(r);
            self.runs -= 1;
        }
    }

    /// Splits a chunk that holds too many runs, moving its second half into a new chunk.
    fn maybe_split_chunk(&mut self, chunk: u32) {
        if self.chunks[chunk as usize].runs.len() <= MAX_RUNS {
            return;
        }
        let new_id = self.chunks.len() as u32;
        let half = self.chunks[chunk as usize].runs.len() / 2;
        let moved: Vec<Run> = self.chunks[chunk as usize].runs.split_off(half);
        let moved_visible: usize = moved.iter().map(Run::visible).sum();
        for r in &moved {
            let log = &mut self.agents[r.id.agent as usize];
            for s in r.id.seq..r.id.seq + r.len {
                log.chunk[s as usize] = new_id;
            }
        }
        let place = self.chunks[chunk as usize].place;
        self.chunks[chunk as usize].visible -= moved_visible;
        self.chunks.push(Chunk {
            runs: moved,
            visible: moved_visible,
            place: place + 1,
        });
        self.order.insert(place + 1, new_id);
        for p in place + 2..self.order.len() {
            self.chunks[self.order[p] as usize].place = p;
        }
        if self.hint.0 > place {
            self.hint.0 += 1;
        }
    }

    fn agent_log(&mut self, agent: u32) -> &mut AgentLog {
        let a = agent as usize;
        if self.agents.len() <= a {
            self.agents.resize_with(a + 1, AgentLog::default);
        }
        &mut self.agents[a]
    }

    /// Records the ids `id .. id+len` as applied, and the characters if it is an insert.
    fn record(&mut self, id: Id, len: u32, chunk: u32, text: Option<&[char]>) {
        self.version.add(id, len);
        let log = self.agent_log(id.agent);
        let end = (id.seq + len) as usize;
        if log.chunk.len() < end {
            log.chunk.resize(end, NONE);
            log.text.resize(end, '\0');
        }
        if let Some(text) = text {
            log.chunk[id.seq as usize..end].fill(chunk);
            log.text[id.seq as usize..end].copy_from_slice(text);
        }
    }

    /// Checks that `id .. id+len` are new ids in range.
    fn check_new(&self, id: Id, len: u32) -> Result<(), Unready> {
        if id.agent >= MAX_AGENT {
            return Err(Unready::Invalid(format!(
                "agent {} is out of range (at most {})",
                id.agent,
                MAX_AGENT - 1
            )));
        }
        if len == 0 {
            return Err(Unready::Invalid(
                "an operation must touch at least one character".into(),
            ));
        }
        if id.seq.checked_add(len).is_none_or(|e| e > MAX_SEQ) {
            return Err(Unready::Invalid(format!(
                "seq {} + {len} is out of range",
                id.seq
            )));
        }
        let known = self
            .agents
            .get(id.agent as usize)
            .map_or(0, |l| l.chunk.len());
        if id.seq as usize > known + MAX_SEQ_GAP as usize {
            return Err(Unready::Invalid(format!(
                "seq {} of agent {} is more than {MAX_SEQ_GAP} past its last known seq",
                id.seq, id.agent
            )));
        }
        if self.version.overlaps(id, len) {
            return Err(Unready::Duplicate);
        }
        Ok(())
    }

    /// Inserts the run `(id, len, origins)` right after `after` (or at the very start).
    fn place_run(
        &mut self,
        after: Option<At>,
        id: Id,
        text: &[char],
        ol: Option<Id>,
        or: Option<Id>,
    ) {
        let len = text.len() as u32;
        let (chunk, index) = match after {
            None => (self.order[0], 0),
            Some(at) => {
                let run_len = self.run_at(at).len;
                if at.off + 1 < run_len {
                    self.split_run(At {
                        off: at.off + 1,
                        ..at
                    });
                }
                (at.chunk, at.run + 1)
            }
        };
        let runs = &mut self.chunks[chunk as usize].runs;
        let extends = index > 0 && {
            let prev = &runs[index - 1];
            !prev.deleted
                && prev.id.agent == id.agent
                && prev.id.seq + prev.len == id.seq
                && ol == Some(prev.last())
                && prev.origin_right == or
        };
        if extends {
            runs[index - 1].len += len;
        } else {
            runs.insert(
                index,
                Run {
                    id,
                    len,
                    origin_left: ol,
                    origin_right: or,
                    deleted: false,
                },
            );
            self.runs += 1;
        }
        self.items += len as usize;
        self.record(id, len, chunk, Some(text));
        self.visible_changed(chunk, len as isize);
        self.maybe_split_chunk(chunk);
    }

    /// FugueMax: where, after the left origin, a new item with these origins goes. Returns the
    /// item to insert after (`None` = the very start).
    fn integrate(&self, id: Id, ol: Option<Id>, or: Option<Id>) -> Result<Option<At>, Unready> {
        let left_at = match ol {
            None => None,
            Some(o) => Some(self.find(o).ok_or(Unready::Missing(o))?),
        };
        let right_key = match or {
            None => END,
            Some(o) => self.key(self.find(o).ok_or(Unready::Missing(o))?),
        };
        let left_key = left_at.map_or(BEFORE, |a| self.key(a));
        if right_key <= left_key {
            return Err(Unready::Invalid(format!(
                "the right origin of {id} is not to the right of its left origin"
            )));
        }
        let mut dest = left_at;
        let mut i = match left_at {
            None => self.first(),
            Some(a) => self.next(a),
        };
        let mut scanning = false;
        while let Some(cur) = i {
            let cur_key = self.key(cur);
            if cur_key == right_key {
                break;
            }
            let run = self.run_at(cur);
            let other = Id::new(run.id.agent, run.id.seq + cur.off);
            let other_left = if cur.off > 0 {
                Some(Id::new(run.id.agent, run.id.seq + cur.off - 1))
            } else {
                run.origin_left
            };
            let oleft = match other_left {
                None => BEFORE,
                Some(o) => self.key(self.find(o).ok_or(Unready::Missing(o))?),
            };
            let oright = match run.origin_right {
                None => END,
                Some(o) => self.key(self.find(o).ok_or(Unready::Missing(o))?),
            };
            if oleft < left_key {
                break;
            }
            if oleft == left_key {
                if oright < right_key {
                    scanning = true;
                } else if oright == right_key {
                    if id < other {
                        break;
                    }
                    scanning = false;
                } else {
                    scanning = false;
                }
            }
            if !scanning {
                dest = Some(cur);
            }
            i = self.next(cur);
        }
        Ok(dest)
    }

    // ---- operations ----------------------------------------------------------------------

    /// Applies a remote insert of `text` with ids from `id` and the given origins.
    pub fn apply_insert(
        &mut self,
        id: Id,
        origin_left: Option<Id>,
        origin_right: Option<Id>,
        text: &[char],
    ) -> Result<(), Unready> {
        self.check_new(id, text.len() as u32)?;
        let after = self.integrate(id, origin_left, origin_right)?;
        self.place_run(after, id, text, origin_left, origin_right);
        Ok(())
    }

    /// Applies a remote delete `id .. id+n` of the characters `targets` (`(first id, len)`
    /// ranges whose lengths sum to `n`). Deleting a tombstone again changes nothing.
    pub fn apply_delete(&mut self, id: Id, targets: &[(Id, u32)]) -> Result<(), Unready> {
        let n: u64 = targets.iter().map(|t| t.1 as u64).sum();
        if n > MAX_SEQ as u64 {
            return Err(Unready::Invalid("a delete of too many characters".into()));
        }
        self.check_new(id, n as u32)?;
        for &(t, len) in targets {
            if len == 0 || t.seq.checked_add(len).is_none() {
                return Err(Unready::Invalid(format!(
                    "a delete target range at {t} is empty or overflows"
                )));
            }
            for s in [t.seq, t.seq + len - 1] {
                let probe = Id::new(t.agent, s);
                if !self.has_item(probe) {
                    return Err(Unready::Missing(probe));
                }
            }
            // Every id in between must exist too (a range of one agent's inserts may have
            // holes where that agent deleted).
            let log = &self.agents[t.agent as usize];
            if let Some(s) = (t.seq..t.seq + len).find(|&s| log.chunk[s as usize] == NONE) {
                return Err(Unready::Missing(Id::new(t.agent, s)));
            }
        }
        for &(t, len) in targets {
            self.delete_ids(t, len);
        }
        let chunk = 0;
        self.record(id, n as u32, chunk, None);
        Ok(())
    }

    fn delete_ids(&mut self, mut id: Id, mut len: u32) {
        while len > 0 {
            let at = self.find(id).expect("checked before");
            let run = self.run_at(at);
            let m = len.min(run.len - at.off);
            if !run.deleted {
                self.split_run(at);
                let at = At {
                    run: at.run + usize::from(at.off > 0),
                    off: 0,
                    ..at
                };
                self.split_run(At { off: m, ..at });
                self.chunks[at.chunk as usize].runs[at.run].deleted = true;
                self.visible_changed(at.chunk, -(m as isize));
                self.join_runs(at.chunk, at.run);
                self.maybe_split_chunk(at.chunk);
            }
            id.seq += m;
            len -= m;
        }
    }

    /// A local insert at visible position `pos` with ids from `id`: computes the origins
    /// (the visible character before `pos`, and the item right after it), integrates, and
    /// returns the origins for the message.
    pub fn insert_at(
        &mut self,
        id: Id,
        pos: usize,
        text: &[char],
    ) -> Result<(Option<Id>, Option<Id>), Unready> {
        if pos > self.visible {
            return Err(Unready::Invalid(format!(
                "insert at {pos} is past the end ({})",
                self.visible
            )));
        }
        self.check_new(id, text.len() as u32)?;
        let left = if pos == 0 {
            None
        } else {
            Some(self.at_visible(pos - 1))
        };
        let right = match left {
            None => self.first(),
            Some(a) => self.next(a),
        };
        let id_of = |d: &Doc, a: At| {
            let r = d.run_at(a);
            Id::new(r.id.agent, r.id.seq + a.off)
        };
        let ol = left.map(|a| id_of(self, a));
        let or = right.map(|a| id_of(self, a));
        self.place_run(left, id, text, ol, or);
        Ok((ol, or))
    }

    /// A local delete of `len` visible characters at `pos` with ids from `id`: marks them
    /// deleted and appends their id ranges to `targets`.
    pub fn delete_at(
        &mut self,
        id: Id,
        pos: usize,
        len: usize,
        targets: &mut Vec<(Id, u32)>,
    ) -> Result<(), Unready> {
        if pos.checked_add(len).is_none_or(|e| e > self.visible) {
            return Err(Unready::Invalid(format!(
                "delete of {len} at {pos} is past the end ({})",
                self.visible
            )));
        }
        self.check_new(id, len as u32)?;
        let mut left = len;
        while left > 0 {
            let at = self.at_visible(pos);
            let run = self.run_at(at);
            let m = (left as u32).min(run.len - at.off);
            let first = Id::new(run.id.agent, run.id.seq + at.off);
            match targets.last_mut() {
                Some((t, n)) if t.agent == first.agent && t.seq + *n == first.seq => *n += m,
                _ => targets.push((first, m)),
            }
            self.delete_ids(first, m);
            left -= m as usize;
        }
        self.record(id, len as u32, 0, None);
        Ok(())
    }

    /// Checks the structure's invariants (cached counts, places, id tables); for tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut visible = 0;
        let mut items = 0;
        let mut runs = 0;
        let mut seen = std::collections::BTreeSet::new();
        for (p, &c) in self.order.iter().enumerate() {
            let chunk = &self.chunks[c as usize];
            if chunk.place != p {
                return Err(format!("chunk {c} thinks it is at {} not {p}", chunk.place));
            }
            if chunk.runs.len() > MAX_RUNS {
                return Err(format!("chunk {c} holds {} runs", chunk.runs.len()));
            }
            let v: usize = chunk.runs.iter().map(Run::visible).sum();
            if v != chunk.visible {
                return Err(format!(
                    "chunk {c} caches {} visible, holds {v}",
                    chunk.visible
                ));
            }
            for r in &chunk.runs {
                if r.len == 0 {
                    return Err(format!("empty run at {}", r.id));
                }
                for s in r.id.seq..r.id.seq + r.len {
                    if !seen.insert((r.id.agent, s)) {
                        return Err(format!("{} is in the list twice", Id::new(r.id.agent, s)));
                    }
                    if !self.version.contains(Id::new(r.id.agent, s)) {
                        return Err(format!("{} is not in the version", Id::new(r.id.agent, s)));
                    }
                    if self.agents[r.id.agent as usize].chunk[s as usize] != c {
                        return Err(format!("id table is wrong for {}", Id::new(r.id.agent, s)));
                    }
                }
            }
            visible += v;
            items += chunk.runs.iter().map(|r| r.len as usize).sum::<usize>();
            runs += chunk.runs.len();
        }
        if visible != self.visible || items != self.items || runs != self.runs {
            return Err(format!(
                "totals {}/{}/{} cached, {visible}/{items}/{runs} held",
                self.visible, self.items, self.runs
            ));
        }
        let (place, start) = self.hint;
        if place < self.order.len() {
            let before: usize = self.order[..place]
                .iter()
                .map(|&c| self.chunks[c as usize].visible)
                .sum();
            if before != start {
                return Err(format!(
                    "hint says {start} before place {place}, really {before}"
                ));
            }
        }
        Ok(())
    }
}
