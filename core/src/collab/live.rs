//! Live collaboration between browser tabs: each tab holds one [`Replica`] of a shared text
//! and the tabs keep their replicas equal by broadcasting messages to each other (the page
//! uses the browser's `BroadcastChannel`; the tests use a seeded model of it).
//!
//! This is the real thing, not the simulation: nothing here is replayed from a link. It is
//! still sans-IO: the caller passes the time in, posts the messages returned, and hands every
//! message received to [`LiveTab::receive`]. The protocol:
//!
//! ```text
//!   new tab ── hello {version, caret} ──────────────► every tab
//!           ◄── update {to: new tab, ops it lacks, presence} ── each tab that heard it
//!   a keystroke ── update {ops: [insert/delete], presence} ──► every tab
//!   every second ── update {ops: [], presence} (a heartbeat) ──► every tab
//!   closing ── bye ──► every tab
//! ```
//!
//! | term | meaning |
//! |---|---|
//! | presence | what a tab reports about itself: its version, its length, its caret |
//! | caret | an [`Anchor`]: after a character id, so it stays put through others' edits |
//! | in sync | every peer reports the version this tab has, and nothing waits for dependencies |
//! | request | a hello sent again when a peer reports ids this tab lacks (at most every [`REQUEST_GAP_MS`]) |
//!
//! The channel may deliver messages of different senders in any order and ops may name ids
//! that have not arrived: [`Replica::receive`] buffers those, ignores duplicates, and the
//! request above fetches anything lost. A peer silent for [`PEER_TIMEOUT_MS`] is forgotten
//! (its edits stay, of course). Agents must be unique per tab: the page draws a random one
//! below [`MAX_LIVE_AGENT`]; a message signed with this tab's own agent can only come from
//! another tab that drew the same number, which [`LiveTab::collision`] reports.
//!
//! A keystroke is recovered from the text area's old and new value by [`splice`], which
//! uses the caret to place an edit among repeated characters where the person made it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::crdt::{Agent, Anchor, Delivery, Op, Replica, Version};
use crate::sim::{Refusal, Time};

/// How often a tab reports its presence when it has nothing else to send.
pub const HEARTBEAT_MS: Time = 1_000;
/// A peer not heard from for this long is forgotten.
pub const PEER_TIMEOUT_MS: Time = 10_000;
/// The least time between two requests for missing operations.
pub const REQUEST_GAP_MS: Time = 500;
/// How long after a hello remote operations are forwarded to the newcomer.
pub const JOIN_GRACE_MS: Time = 2_000;
/// Agents drawn by tabs are in `1..MAX_LIVE_AGENT` (documents keep a table per agent number).
pub const MAX_LIVE_AGENT: Agent = 4_096;
/// The largest message [`Message::decode`] accepts.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// What a tab reports about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub version: Version,
    /// Visible characters.
    pub chars: u64,
    /// Where its caret is.
    pub caret: Anchor,
}

/// A message between tabs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// A tab joined, or asks for what it lacks: peers answer with the operations missing from
    /// its version.
    Hello { from: Agent, presence: Presence },
    /// Operations in an order they can be applied in (none for a heartbeat or a caret move),
    /// and the sender's presence after them. With `to`, the operations answer one tab's hello
    /// and other tabs skip them (they still read the presence).
    Update {
        from: Agent,
        to: Option<Agent>,
        ops: Vec<Op>,
        presence: Presence,
    },
    /// A tab is closing.
    Bye { from: Agent },
}

impl Message {
    pub fn from(&self) -> Agent {
        match self {
            Message::Hello { from, .. } | Message::Update { from, .. } | Message::Bye { from } => {
                *from
            }
        }
    }

    /// The message as JSON, for the channel.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a message from JSON, refusing anything malformed: bad JSON, version ranges that
    /// are empty or out of order, ids that would overflow.
    pub fn decode(json: &str) -> Result<Message, String> {
        if json.len() > MAX_MESSAGE_BYTES {
            return Err(format!(
                "a message of {} bytes is over the limit of {MAX_MESSAGE_BYTES}",
                json.len()
            ));
        }
        let msg: Message = serde_json::from_str(json).map_err(|e| format!("not a message: {e}"))?;
        let presence = match &msg {
            Message::Hello { presence, .. } | Message::Update { presence, .. } => Some(presence),
            Message::Bye { .. } => None,
        };
        if let Some(p) = presence {
            if !p.version.well_formed() {
                return Err("a version's ranges must be non-empty, sorted and disjoint".into());
            }
        }
        if let Message::Update { ops, .. } = &msg {
            for op in ops {
                let fits = |seq: u32, n: u32| seq.checked_add(n).is_some();
                let ok = fits(op.id().seq, op.len())
                    && match op {
                        Op::Insert { .. } => true,
                        Op::Delete { targets, .. } => targets.iter().all(|&(t, n)| fits(t.seq, n)),
                    };
                if !ok {
                    return Err(format!("operation {} overflows its ids", op.id()));
                }
            }
        }
        Ok(msg)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let presence = |p: &Presence| format!("{} {} chars", p.version, p.chars);
        match self {
            Message::Hello { from, presence: p } => write!(f, "{from} hello {}", presence(p)),
            Message::Update {
                from,
                to,
                ops,
                presence: p,
            } => {
                write!(f, "{from} update")?;
                if let Some(to) = to {
                    write!(f, " to {to}")?;
                }
                for op in ops {
                    write!(f, " [{op}]")?;
                }
                write!(f, " {}", presence(p))
            }
            Message::Bye { from } => write!(f, "{from} bye"),
        }
    }
}

/// A peer as this tab last heard of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub presence: Presence,
    pub last_seen: Time,
}

/// What [`LiveTab::receive`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Messages to broadcast in answer.
    pub replies: Vec<Message>,
    /// Whether the text changed.
    pub changed: bool,
}

/// The edit that turns `old` into `new`: `(position, code points deleted, text inserted)`,
/// all in code points. Among repeated characters the edit could be in several places; it is
/// put where the inserted text ends at `caret` (the caret after the edit), or as near as
/// possible.
pub fn splice(old: &str, new: &str, caret: usize) -> (usize, usize, String) {
    let a: Vec<char> = old.chars().collect();
    let b: Vec<char> = new.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let short = a.len().min(b.len());
    // The longest prefix first; the kept characters (prefix + suffix) are then `kept`, and any
    // split of them into a prefix `p <= prefix` and a suffix `kept - p <= suffix` is the same
    // edit shifted along a repetition.
    let kept = prefix + suffix.min(short - prefix);
    let deleted = a.len() - kept;
    let inserted = b.len() - kept;
    let lowest = kept.saturating_sub(suffix);
    let p = caret.saturating_sub(inserted).clamp(lowest, prefix);
    (p, deleted, b[p..p + inserted].iter().collect())
}

/// One tab of a live session: its replica, its selection, and its peers.
#[derive(Clone, Debug)]
pub struct LiveTab {
    replica: Replica,
    /// The selection's start and end as anchors (the end is the caret).
    selection: (Anchor, Anchor),
    peers: BTreeMap<Agent, Peer>,
    /// Peers that said hello less than [`JOIN_GRACE_MS`] ago, and when: operations of third
    /// tabs that arrive here meanwhile are forwarded to them (see [`LiveTab::receive`]).
    joining: BTreeMap<Agent, Time>,
    last_sent: Option<Time>,
    last_request: Option<Time>,
    /// How many ids this tab had when it last reported its presence.
    announced: u64,
    collision: bool,
    refused: u64,
}

impl LiveTab {
    /// A tab with agent number `agent` (unique among the tabs; see the module documentation).
    pub fn new(agent: Agent) -> LiveTab {
        LiveTab {
            replica: Replica::new(agent),
            selection: (Anchor::Start, Anchor::Start),
            peers: BTreeMap::new(),
            joining: BTreeMap::new(),
            last_sent: None,
            last_request: None,
            announced: 0,
            collision: false,
            refused: 0,
        }
    }

    pub fn agent(&self) -> Agent {
        self.replica.agent()
    }

    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    pub fn text(&self) -> String {
        self.replica.text()
    }

    /// The selection `(start, end)` in code points, where this tab's anchors are now.
    pub fn selection(&self) -> (usize, usize) {
        let (s, e) = self.selection;
        (self.replica.resolve(s), self.replica.resolve(e))
    }

    /// The peers heard from recently, by agent.
    pub fn peers(&self) -> &BTreeMap<Agent, Peer> {
        &self.peers
    }

    /// Where a peer's caret is in this tab's text, when this tab has the character it follows.
    pub fn peer_caret(&self, agent: Agent) -> Option<usize> {
        let peer = self.peers.get(&agent)?;
        self.replica.locate(peer.presence.caret)
    }

    /// Whether every peer reports this tab's version and nothing waits for dependencies.
    pub fn in_sync(&self) -> bool {
        self.replica.pending().is_empty()
            && self
                .peers
                .values()
                .all(|p| &p.presence.version == self.replica.version())
    }

    /// Whether another tab signs its messages with this tab's agent number.
    pub fn collision(&self) -> bool {
        self.collision
    }

    /// Operations received that could never apply.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    fn presence(&mut self) -> Presence {
        self.announced = self.replica.version().count();
        Presence {
            version: self.replica.version().clone(),
            chars: self.replica.len() as u64,
            caret: self.selection.1,
        }
    }

    fn update(&mut self, to: Option<Agent>, ops: Vec<Op>, now: Time) -> Message {
        self.last_sent = Some(now);
        Message::Update {
            from: self.agent(),
            to,
            ops,
            presence: self.presence(),
        }
    }

    fn hello(&mut self, now: Time) -> Message {
        self.last_sent = Some(now);
        self.last_request = Some(now);
        Message::Hello {
            from: self.agent(),
            presence: self.presence(),
        }
    }

    /// The first message of a tab: who it is and what it has.
    pub fn join(&mut self, now: Time) -> Message {
        self.hello(now)
    }

    /// The message a closing tab sends.
    pub fn leave(&self) -> Message {
        Message::Bye { from: self.agent() }
    }

    /// Takes the text area's new value and selection after a local edit: the operations that
    /// make it, as one update to broadcast (`None` when nothing changed but the selection, and
    /// the caret did not move).
    pub fn edit(
        &mut self,
        new: &str,
        selection: (usize, usize),
        now: Time,
    ) -> Result<Option<Message>, Refusal> {
        let old = self.replica.text();
        let (pos, deleted, inserted) = splice(&old, new, selection.1);
        if deleted == 0 && inserted.is_empty() {
            return Ok(self.select(selection, now));
        }
        let mut ops = Vec::with_capacity(2);
        if deleted > 0 {
            ops.push(self.replica.delete(pos, deleted)?);
        }
        if !inserted.is_empty() {
            ops.push(self.replica.insert(pos, &inserted)?);
        }
        self.place(selection);
        Ok(Some(self.update(None, ops, now)))
    }

    fn place(&mut self, (start, end): (usize, usize)) {
        self.selection = (self.replica.anchor(start), self.replica.anchor(end));
    }

    /// Moves the selection; returns an update for the peers when the caret moved.
    pub fn select(&mut self, selection: (usize, usize), now: Time) -> Option<Message> {
        let caret = self.selection.1;
        self.place(selection);
        (self.selection.1 != caret).then(|| self.update(None, Vec::new(), now))
    }

    /// Whether some peer reports ids this tab lacks, or operations wait for dependencies.
    fn lacking(&self) -> bool {
        !self.replica.pending().is_empty()
            || self
                .peers
                .values()
                .any(|p| !self.replica.version().includes(&p.presence.version))
    }

    /// A request for what this tab lacks, if it lacks something and has not asked lately.
    fn request(&mut self, now: Time) -> Option<Message> {
        let due = self
            .last_request
            .is_none_or(|t| now >= t.saturating_add(REQUEST_GAP_MS));
        (due && self.lacking()).then(|| self.hello(now))
    }

    fn heard(&mut self, from: Agent, presence: Presence, now: Time) {
        self.peers.insert(
            from,
            Peer {
                presence,
                last_seen: now,
            },
        );
    }

    /// Takes a message from another tab; returns what to broadcast in answer and whether the
    /// text changed. The selection stays on the characters it was on.
    ///
    /// A hello is answered with the operations its sender lacks. Operations of a third tab
    /// may still be on their way to this tab then, sent before the newcomer listened: so for
    /// [`JOIN_GRACE_MS`] after a hello, remote operations applied here are forwarded to the
    /// newcomer. (Later, a newcomer that still lacks something asks again.)
    pub fn receive(&mut self, msg: Message, now: Time) -> Received {
        let mut out = Received::default();
        let me = self.agent();
        if msg.from() == me {
            self.collision = true;
            return out;
        }
        match msg {
            Message::Hello { from, presence } => {
                let ops = self.replica.ops_missing_from(&presence.version);
                self.heard(from, presence, now);
                self.joining.insert(from, now);
                let answer = self.update(Some(from), ops, now);
                out.replies.push(answer);
            }
            Message::Update {
                from,
                to,
                ops,
                presence,
            } => {
                let before = self.replica.log().len();
                if to.is_none_or(|t| t == me) {
                    for op in ops {
                        match self.replica.receive(op) {
                            Ok(Delivery::Applied { .. }) => out.changed = true,
                            Ok(_) => {}
                            Err(_) => self.refused += 1,
                        }
                    }
                }
                self.heard(from, presence, now);
                let applied = &self.replica.log()[before..];
                if !applied.is_empty() {
                    let applied = applied.to_vec();
                    let joining: Vec<Agent> = self
                        .joining
                        .iter()
                        .filter(|&(&j, &t)| j != from && now < t.saturating_add(JOIN_GRACE_MS))
                        .map(|(&j, _)| j)
                        .collect();
                    for j in joining {
                        let forward = self.update(Some(j), applied.clone(), now);
                        out.replies.push(forward);
                    }
                }
            }
            Message::Bye { from } => {
                self.peers.remove(&from);
                self.joining.remove(&from);
            }
        }
        out.replies.extend(self.request(now));
        out
    }

    /// Called now and then (every few hundred milliseconds): forgets silent peers, asks again
    /// for what is missing, and reports this tab's presence when remote operations changed its
    /// version since it last did (so that peers see it in sync) or when nothing was sent for
    /// [`HEARTBEAT_MS`]. Reporting at the tick rather than on every remote operation sends one
    /// message for a burst of them.
    pub fn tick(&mut self, now: Time) -> Vec<Message> {
        self.peers
            .retain(|_, p| now < p.last_seen.saturating_add(PEER_TIMEOUT_MS));
        self.joining
            .retain(|_, t| now < t.saturating_add(JOIN_GRACE_MS));
        let mut out: Vec<Message> = self.request(now).into_iter().collect();
        let quiet = self
            .last_sent
            .is_none_or(|t| now >= t.saturating_add(HEARTBEAT_MS));
        let changed = self.replica.version().count() != self.announced;
        if out.is_empty() && (quiet || changed) {
            out.push(self.update(None, Vec::new(), now));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_places_an_edit_at_the_caret_among_repeats() {
        assert_eq!(splice("helo", "hello", 4), (3, 0, "l".into()));
        assert_eq!(splice("helo", "hello", 3), (2, 0, "l".into()));
        assert_eq!(splice("aaa", "aaaa", 1), (0, 0, "a".into()));
        assert_eq!(splice("hello", "hXo", 2), (1, 3, "X".into()));
        assert_eq!(splice("abc", "abc", 1), (1, 0, String::new()));
        assert_eq!(splice("", "😀", 1), (0, 0, "😀".into()));
    }
}
