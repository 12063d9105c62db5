//! The collaborative editing lab (`collab`): 2 to 8 clients edit one text, and every edit is
//! applied to two engines side by side, on one simulated network.
//!
//! ```text
//!                 CRDT: one link per ordered pair of clients (reordering, duplicates)
//!        c0 ◄──────────────────────────────────────────────► c1
//!         ▲ \                                               / ▲
//!         │  `──────────────► c2 ◄─────────────────────────'  │
//!         │                                                   │
//!         └──── up/down ────►  OT server  ◄──── up/down ──────┘
//!                 OT: client ↔ server links, in order (TCP-like)
//! ```
//!
//! **Edits.** A person (a command) or a scripted typist edits at the client's caret:
//! type text, backspace, move the caret, undo, redo. Typists either press seeded random keys
//! or replay a real person's typing (the opening of the automerge-paper trace, embedded as
//! [`TRACE_EXCERPT`]), patch by patch, relative to their own caret ([`TypistKind`]). The same edit goes to the client's
//! [`Replica`] (the sequence CRDT, which broadcasts an operation to every peer) and to the
//! client's OT [`Client`](crate::collab::ot::Client) inside a [`Session`] (which sends its
//! operation to the server when nothing of its own is in flight, and buffers it otherwise).
//! Each engine keeps the client's caret through remote edits in its own way: OT transforms
//! the caret position, the CRDT keeps an [`Anchor`] (the character before the caret).
//!
//! **Network.** Every message gets an id, a send time and a delivery time drawn from the
//! scenario's latency distribution, one seeded stream per engine:
//!
//! | link | order | faults |
//! |---|---|---|
//! | CRDT `ci->cj` | any (`reorder`), or first in first out | duplication (`duplicate_permille`) |
//! | OT `ci->server`, `server->ci` | in order always: a later message never overtakes | none |
//!
//! With automatic delivery a message arrives at its delivery time; without, it waits for a
//! command (deliver the next message of a link, one message by id, or everything). A message
//! on a link to or from an offline client, or across a partition, is held; when the link
//! opens again, held messages whose time has passed get a fresh latency from then. The OT
//! server sits with the clients that no partition group lists.
//!
//! **Convergence.** An engine is *complete* when every replica has every edit: for the CRDT,
//! every replica's version holds every id generated and nothing is buffered; for OT, every
//! client is synchronized at the server's revision. At that moment the lab records the time
//! since the last edit, and [`CollabLab::check`] requires every replica of that engine to hold
//! the same text (the first two that differ are named otherwise).
//!
//! **The engines may legitimately disagree.** When two people type at the same place at the
//! same time, FugueMax orders the runs by agent number while OT orders them by arrival at
//! the server; and an edit at a caret lands on whatever text that engine shows the typist at
//! that moment. So the CRDT and OT documents are required to be equal only when no edit was
//! concurrent with another (an edit is *concurrent* when its client had not yet received
//! some other client's edit in either engine, or another client still had an edit of its own
//! unconfirmed); otherwise a difference is reported as an event and counted, not flagged.
//!
//! **Undo.** OT undo is the client's [`UndoHistory`](crate::collab::ot::UndoHistory). CRDT
//! undo is built here the same way in spirit: a step (a burst of typing or of deleting, as
//! OT groups them) is undone by deleting the step's own characters that are still alive and
//! by inserting again, as new characters at their tombstones' places, the characters it
//! deleted; redo undoes the undo.
//!
//! **Presence.** Each engine shows every client the others' carets and selections. OT
//! sends a caret as a position on a revision, which the server and the clients transform
//! ([`Session`]). The CRDT side (with `crdt_presence`, on in new scenarios and off in links
//! made before it) sends a [`Presence`] over the same peer links as its operations (same
//! latency, reordering, duplication, partitions, offline clients), as the Yjs awareness
//! protocol does: the caret and the selection's other end as [`Anchor`]s on character ids,
//! and a counter per sender, so a receiver ignores an older presence that arrives after a
//! newer one, and duplicates. Presence is coalesced and ephemeral:
//!
//! | when | what happens |
//! |---|---|
//! | the run starts (t=0) | every client announces its caret at the start (counter 1), so each caret shows everywhere before anyone moves one |
//! | a client's anchors change (a caret move, an edit, its caret's character deleted) | its counter grows; each open link to a peer gets the newest presence unless one is in flight on it |
//! | that presence is delivered | the link gets the newest presence, if a newer one is due |
//! | a link is cut (offline, partition) | presence in flight on it is dropped, never held |
//! | the link opens again | it gets the newest presence at once |
//!
//! The receiver resolves the anchors on its own replica whenever it draws them, so a remote
//! caret stays on its character through later edits (at the tombstone's place once that
//! character is deleted). A presence naming a character the receiver has not received yet
//! is pending: the receiver keeps drawing the last presence it showed (nothing if none) and
//! shows the new one when the character arrives. When every CRDT edit and the newest
//! presence of every client are everywhere, [`CollabLab::check`] requires every replica to
//! show every client's selection exactly where that client has it.
//!
//! **Sizes.** Messages are counted as they would be encoded in a compact binary form
//! (LEB128 integers, UTF-8 text): `bytes` is the whole message, `meta_bytes` is everything
//! but the inserted text. Presence (OT carets and CRDT presence) is counted apart, as
//! `presence_messages` and `presence_bytes`; a CRDT presence is a tag, the sender, its
//! counter and two anchors (a tag and an id each).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::crdt::{
    self, Anchor, AnchoredSelection, Delivery, Id, PeerCaret, Presence, Presences, Received,
    Replica,
};
use super::ot::{
    self, ClientState, Component, Down, Op, OtError, Selection, Session, TransformStep,
    UndoSettings, Up,
};
use crate::metrics::{Metrics, Summary};
use crate::rng::Rng;
use crate::sim::{Emit, Refusal, Simulation, Time, Violation};

/// The fewest and most clients.
pub const MIN_CLIENTS: u32 = 2;
pub const MAX_CLIENTS: u32 = 8;
/// The most characters one typed command inserts.
pub const MAX_TYPED: usize = 10_000;
/// Transform steps kept for the view.
pub const RECENT_STEPS: usize = 64;
/// Messages one `deliver_all` delivers at most (it also delivers what deliveries send).
pub const MAX_DELIVER_ALL: usize = 100_000;

/// How message latency is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Latency {
    /// Always `latency_ms`.
    Fixed,
    /// Uniform in `latency_ms ± jitter_ms`.
    #[default]
    Uniform,
    /// `latency_ms / 2` plus an exponential tail of mean `latency_ms / 2`; one message in 20
    /// draws its tail with a ten times longer mean (a retransmission, a congested hop).
    LongTail,
}

/// What scripted typists type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypistKind {
    /// Seeded random keystrokes: letters, backspaces, caret moves, now and then an undo.
    #[default]
    Random,
    /// A real person's typing: the patches of [`TRACE_EXCERPT`], one per keystroke, each
    /// made relative to the typist's own caret (a patch at the trace's cursor types at the
    /// caret; one elsewhere first moves the caret by the same distance). Typist `i` starts
    /// `i / clients` of the way into the excerpt and stops at its end.
    Trace,
}

/// The opening of a real editing trace, embedded for trace typists: Martin Kleppmann typing
/// the LaTeX source of the Automerge paper (`josephg/editing-traces`,
/// `sequential_traces/automerge-paper.json`, the trace `shared/data/collab/sequential` holds
/// in full), its first 400 patches unchanged. JSON `{source, end, patches: [[pos, del, ins]]}`.
pub const TRACE_EXCERPT: &str = include_str!("typist_trace.json");

/// The excerpt's patches `(pos, del, ins)`, in code points.
pub fn trace_patches() -> &'static [(usize, usize, String)] {
    #[derive(Deserialize)]
    struct Excerpt {
        patches: Vec<(usize, usize, String)>,
    }
    static PATCHES: std::sync::OnceLock<Vec<(usize, usize, String)>> = std::sync::OnceLock::new();
    PATCHES.get_or_init(|| {
        serde_json::from_str::<Excerpt>(TRACE_EXCERPT)
            .map(|e| e.patches)
            .unwrap_or_default()
    })
}

/// Everything needed to start a run of the collaborative editing lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub seed: u64,
    /// Clients, 2 to 8.
    pub clients: u32,
    /// The first this many clients start with a scripted typist.
    pub typists: u32,
    /// What typists type (`random` when absent, as in links made before trace typists).
    pub typist_kind: TypistKind,
    /// Keystrokes per second of a typist within a burst.
    pub typing_cps: u32,
    /// The mean pause between a typist's bursts.
    pub pause_ms: u32,
    /// Typists delete more than they type once the text they see is this long.
    pub max_len: u32,
    pub latency: Latency,
    pub latency_ms: u32,
    pub jitter_ms: u32,
    /// CRDT peer links deliver in the order of drawn times (a later message may overtake);
    /// off, each CRDT link is first in first out.
    pub reorder: bool,
    /// Chance in a thousand that the network delivers a CRDT message twice.
    pub duplicate_permille: u32,
    /// Deliver messages at their time without being asked.
    pub auto_deliver: bool,
    /// OT and CRDT undo steps kept per client.
    pub undo_limit: u32,
    /// Edits of one kind closer than this are one undo step.
    pub burst_ms: u32,
    /// CRDT clients send their carets and selections to their peers (presence). Off when
    /// absent, so links made before CRDT presence replay as they did; on in new scenarios.
    #[serde(default = "absent")]
    pub crdt_presence: bool,
}

/// The value of a switch missing from an older link.
fn absent() -> bool {
    false
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            clients: 3,
            typists: 2,
            typist_kind: TypistKind::Random,
            typing_cps: 6,
            pause_ms: 4_000,
            max_len: 200,
            latency: Latency::Uniform,
            latency_ms: 150,
            jitter_ms: 100,
            reorder: true,
            duplicate_permille: 20,
            auto_deliver: true,
            undo_limit: 100,
            burst_ms: 1_000,
            crdt_presence: true,
        }
    }
}

impl Scenario {
    /// Explains which field is out of range.
    pub fn validate(&self) -> Result<(), String> {
        let range = |name: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between {lo} and {hi}, not {v}"))
            }
        };
        range("clients", self.clients, MIN_CLIENTS, MAX_CLIENTS)?;
        range("typists", self.typists, 0, self.clients)?;
        range("typing_cps", self.typing_cps, 1, 50)?;
        range("pause_ms", self.pause_ms, 0, 600_000)?;
        range("max_len", self.max_len, 1, 100_000)?;
        range("latency_ms", self.latency_ms, 0, 60_000)?;
        range("jitter_ms", self.jitter_ms, 0, 60_000)?;
        range("duplicate_permille", self.duplicate_permille, 0, 500)?;
        range("undo_limit", self.undo_limit, 1, 10_000)?;
        range("burst_ms", self.burst_ms, 0, 60_000)
    }
}

/// One direction of one link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// CRDT: from one client to another.
    Peer { from: u32, to: u32 },
    /// OT: from a client to the server.
    Up { client: u32 },
    /// OT: from the server to a client.
    Down { client: u32 },
}

impl Link {
    pub fn engine(self) -> Engine {
        match self {
            Link::Peer { .. } => Engine::Crdt,
            _ => Engine::Ot,
        }
    }

    fn ot(self) -> Option<ot::Link> {
        match self {
            Link::Peer { .. } => None,
            Link::Up { client } => Some(ot::Link::Up(client)),
            Link::Down { client } => Some(ot::Link::Down(client)),
        }
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Link::Peer { from, to } => write!(f, "c{from}->c{to}"),
            Link::Up { client } => write!(f, "c{client}->server"),
            Link::Down { client } => write!(f, "server->c{client}"),
        }
    }
}

/// Which engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Crdt,
    Ot,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Crdt => "crdt",
            Engine::Ot => "ot",
        })
    }
}

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    Crdt(crdt::Op),
    /// A CRDT client's caret and selection, to a peer.
    Presence(Presence),
    Up(Up),
    Down(Down),
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Crdt(op) => write!(f, "{op}"),
            Payload::Presence(p) => write!(f, "{p}"),
            Payload::Up(Up::Op(o)) => write!(f, "op on r{}: {}", o.base, o.op),
            Payload::Up(Up::Presence(r, s)) => {
                write!(f, "caret on r{r}: {}..{}", s.anchor, s.head)
            }
            Payload::Down(Down::Ack(r)) => write!(f, "ack r{r}"),
            Payload::Down(Down::Remote(r, c, op)) => write!(f, "r{r} by c{c}: {op}"),
            Payload::Down(Down::Presence(r, c, s)) => {
                write!(f, "c{c}'s caret on r{r}: {}..{}", s.anchor, s.head)
            }
        }
    }
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: u64,
    pub link: Link,
    pub sent: Time,
    /// When automatic delivery delivers it (if its link is open).
    pub due: Time,
    pub payload: Payload,
    /// Encoded size, and the part of it that is not inserted text.
    pub bytes: u32,
    pub meta_bytes: u32,
    /// A copy made by the network (duplication), not by the sender.
    pub copy: bool,
}

/// A click, a keystroke or a fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Types `text` at `client`'s caret.
    Type {
        client: u32,
        text: String,
    },
    /// Deletes `count` characters before `client`'s caret.
    Backspace {
        client: u32,
        count: u32,
    },
    /// Moves `client`'s caret to `pos` (clamped to each engine's text); with `anchor`, selects
    /// from `anchor` to `pos`.
    Select {
        client: u32,
        pos: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anchor: Option<u32>,
    },
    Undo {
        client: u32,
    },
    Redo {
        client: u32,
    },
    /// Delivers the next message of a link (the earliest due; for OT the oldest).
    DeliverNext {
        link: Link,
    },
    /// Delivers one message; on an OT link the messages before it go first, in order.
    Deliver {
        id: u64,
    },
    /// Delivers every message on open links, and what those deliveries send, until none is left.
    DeliverAll,
    /// Automatic delivery on or off.
    Auto {
        on: bool,
    },
    /// Takes a client off the network or brings it back.
    Offline {
        client: u32,
        on: bool,
    },
    /// Cuts the listed groups of clients off from each other and from the rest; the server
    /// stays with the clients no group lists.
    Partition {
        groups: Vec<Vec<u32>>,
    },
    Heal,
    /// Starts or stops a client's scripted typist.
    Typist {
        client: u32,
        on: bool,
    },
}

/// An OT event as the lab logs it (documents left out: the views show them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtEvent {
    Local {
        client: u32,
        what: &'static str,
        op: Op,
        sent: bool,
    },
    Applied {
        author: u32,
        revision: u64,
        op: Op,
    },
    /// Boxed: a step holds three operations, and the log keeps every event.
    Transform(Box<TransformStep>),
    Acked {
        client: u32,
        revision: u64,
        buffer: Option<Op>,
    },
    Forwarded {
        client: u32,
        revision: u64,
        selection: Selection,
    },
    Caret {
        client: u32,
        peer: u32,
        selection: Selection,
    },
    Remote {
        client: u32,
        revision: u64,
        applied: Op,
    },
}

impl From<ot::Event> for OtEvent {
    fn from(e: ot::Event) -> OtEvent {
        match e {
            ot::Event::Local {
                client,
                what,
                op,
                sent,
                ..
            } => OtEvent::Local {
                client,
                what,
                op,
                sent,
            },
            ot::Event::Applied {
                author,
                revision,
                op,
                ..
            } => OtEvent::Applied {
                author,
                revision,
                op,
            },
            ot::Event::Transform(s) => OtEvent::Transform(Box::new(s)),
            ot::Event::Acked {
                client,
                revision,
                sent,
            } => OtEvent::Acked {
                client,
                revision,
                buffer: sent,
            },
            ot::Event::Forwarded {
                client,
                revision,
                selection,
            } => OtEvent::Forwarded {
                client,
                revision,
                selection,
            },
            ot::Event::Caret {
                client,
                peer,
                selection,
            } => OtEvent::Caret {
                client,
                peer,
                selection,
            },
            ot::Event::Remote {
                client,
                revision,
                applied,
                ..
            } => OtEvent::Remote {
                client,
                revision,
                applied,
            },
        }
    }
}

impl fmt::Display for OtEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OtEvent::Local {
                client,
                what,
                op,
                sent,
            } => write!(
                f,
                "ot c{client} {what} {op}{}",
                if *sent { ", sent" } else { ", held" }
            ),
            OtEvent::Applied {
                author,
                revision,
                op,
            } => write!(f, "ot server r{revision} from c{author}: {op}"),
            OtEvent::Transform(step) => write!(f, "ot transform {step}"),
            OtEvent::Acked {
                client,
                revision,
                buffer,
            } => match buffer {
                Some(op) => write!(f, "ot c{client} ack r{revision}, sends its buffer {op}"),
                None => write!(f, "ot c{client} ack r{revision}, synchronized"),
            },
            OtEvent::Forwarded {
                client,
                revision,
                selection,
            } => write!(
                f,
                "ot server forwards c{client}'s caret at r{revision}: {}..{}",
                selection.anchor, selection.head
            ),
            OtEvent::Caret {
                client,
                peer,
                selection,
            } => write!(
                f,
                "ot c{client} shows c{peer}'s caret at {}..{}",
                selection.anchor, selection.head
            ),
            OtEvent::Remote {
                client,
                revision,
                applied,
            } => write!(f, "ot c{client} applies r{revision} as {applied}"),
        }
    }
}

/// Something that happened in the lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Text typed at the caret, at these positions in the CRDT and OT texts.
    Typed {
        client: u32,
        text: String,
        crdt_at: usize,
        ot_at: usize,
        concurrent: bool,
    },
    /// Characters deleted before the caret: `(position, count)` per engine.
    Erased {
        client: u32,
        crdt: (usize, usize),
        ot: (usize, usize),
        concurrent: bool,
    },
    Caret {
        client: u32,
        pos: u32,
        anchor: Option<u32>,
    },
    /// A CRDT presence that was pending is shown: its characters have arrived.
    PresenceShown {
        client: u32,
        peer: u32,
        clock: u64,
        at: String,
    },
    /// A presence on a link that was cut is dropped (presence is not held).
    Dropped {
        id: u64,
        link: Link,
    },
    /// An undo or redo, and whether each engine had a step to undo.
    Undone {
        client: u32,
        redo: bool,
        crdt: bool,
        ot: bool,
    },
    Sent {
        id: u64,
        link: Link,
        what: String,
    },
    /// The network will deliver message `id` twice: the copy is `copy`.
    Duplicated {
        id: u64,
        copy: u64,
    },
    Delivered {
        id: u64,
        link: Link,
        outcome: String,
    },
    Ot(OtEvent),
    /// Every replica of an engine has every edit, `after_ms` after the last edit.
    Converged {
        engine: Engine,
        after_ms: Time,
        chars: usize,
    },
    /// An engine had every edit everywhere but its replicas differ.
    Diverged {
        engine: Engine,
        detail: String,
    },
    EnginesAgree {
        chars: usize,
    },
    EnginesDiffer {
        detail: String,
    },
    Offline {
        client: u32,
        on: bool,
    },
    Partitioned {
        groups: Vec<Vec<u32>>,
    },
    Healed,
    Auto {
        on: bool,
    },
    Typist {
        client: u32,
        on: bool,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let concurrent = |c: bool| if c { " (concurrent)" } else { "" };
        match self {
            Event::Typed {
                client,
                text,
                crdt_at,
                ot_at,
                concurrent: c,
            } => write!(
                f,
                "c{client} types {text:?} at crdt {crdt_at}, ot {ot_at}{}",
                concurrent(*c)
            ),
            Event::Erased {
                client,
                crdt,
                ot,
                concurrent: c,
            } => write!(
                f,
                "c{client} erases {} at crdt {}, {} at ot {}{}",
                crdt.1,
                crdt.0,
                ot.1,
                ot.0,
                concurrent(*c)
            ),
            Event::Caret {
                client,
                pos,
                anchor: None,
            } => write!(f, "c{client} moves the caret to {pos}"),
            Event::Caret {
                client,
                pos,
                anchor: Some(a),
            } => write!(f, "c{client} selects {a}..{pos}"),
            Event::PresenceShown {
                client,
                peer,
                clock,
                at,
            } => write!(
                f,
                "c{client} shows c{peer}'s presence #{clock} at {at}: its characters arrived"
            ),
            Event::Dropped { id, link } => {
                write!(
                    f,
                    "#{id} {link} dropped: presence is not held on a cut link"
                )
            }
            Event::Undone {
                client,
                redo,
                crdt,
                ot,
            } => {
                let step = |b: bool| if b { "a step" } else { "nothing" };
                write!(
                    f,
                    "c{client} {}: crdt {}, ot {}",
                    if *redo { "redo" } else { "undo" },
                    step(*crdt),
                    step(*ot)
                )
            }
            Event::Sent { id, link, what } => write!(f, "#{id} {link} sent: {what}"),
            Event::Duplicated { id, copy } => {
                write!(f, "#{id} duplicated by the network as #{copy}")
            }
            Event::Delivered { id, link, outcome } => {
                write!(f, "#{id} {link} delivered: {outcome}")
            }
            Event::Ot(e) => write!(f, "{e}"),
            Event::Converged {
                engine,
                after_ms,
                chars,
            } => write!(
                f,
                "{engine} converged {after_ms} ms after the last edit: {chars} chars everywhere"
            ),
            Event::Diverged { engine, detail } => write!(f, "{engine} DIVERGED: {detail}"),
            Event::EnginesAgree { chars } => {
                write!(f, "crdt and ot agree: the same {chars} chars")
            }
            Event::EnginesDiffer { detail } => write!(f, "crdt and ot differ: {detail}"),
            Event::Offline { client, on: true } => write!(f, "c{client} goes offline"),
            Event::Offline { client, on: false } => write!(f, "c{client} is back online"),
            Event::Partitioned { groups } => write!(f, "partition: {}", groups_text(groups)),
            Event::Healed => f.write_str("partition healed"),
            Event::Auto { on } => {
                write!(f, "automatic delivery {}", if *on { "on" } else { "off" })
            }
            Event::Typist { client, on } => write!(
                f,
                "c{client}'s typist {}",
                if *on { "starts" } else { "stops" }
            ),
        }
    }
}

fn groups_text(groups: &[Vec<u32>]) -> String {
    let g: Vec<String> = groups
        .iter()
        .map(|g| {
            let names: Vec<String> = g.iter().map(|c| format!("c{c}")).collect();
            format!("{{{}}}", names.join(" "))
        })
        .collect();
    format!("{} | the rest with the server", g.join(" | "))
}

/// What a client did to its CRDT replica, for undo.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    /// Inserted the ids `id .. id+len`.
    Inserted { id: Id, len: u32 },
    /// Deleted these characters (their ids and text), in document order.
    Deleted { chars: Vec<(Id, char)> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Typing,
    Deleting,
}

/// A client's CRDT undo and redo stacks of steps (each a list of actions in the order done).
#[derive(Clone, Debug, Default)]
struct CrdtUndo {
    undo: Vec<Vec<Action>>,
    redo: Vec<Vec<Action>>,
    /// The open burst: when it was last extended, and its kind.
    open: Option<(Time, Kind)>,
    /// Characters that an undo or redo typed again: the deleted id and its new copy's id.
    /// Later steps that name the old id act on the copy, as OT's restored text is the text.
    revived: BTreeMap<Id, Id>,
}

impl CrdtUndo {
    /// The live copy of a character, following revivals.
    fn current(&self, mut id: Id) -> Id {
        while let Some(&next) = self.revived.get(&id) {
            id = next;
        }
        id
    }
}

/// A scripted typist.
#[derive(Clone, Debug)]
struct Typist {
    on: bool,
    next: Time,
    /// Keystrokes left in the current burst.
    burst: u32,
    rng: Rng,
    /// A trace typist's next patch, and where the trace's cursor is (after the last patch).
    patch: usize,
    cursor: usize,
}

/// Counters per engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub messages: u64,
    pub bytes: u64,
    pub meta_bytes: u64,
    pub presence_messages: u64,
    pub presence_bytes: u64,
    pub delivered: u64,
    pub duplicates: u64,
    pub converged: u64,
    pub divergences: u64,
}

/// CRDT presence on one peer link.
#[derive(Clone, Copy, Debug, Default)]
struct PresenceLink {
    /// The sender's presence in flight on the link (not a network copy).
    in_flight: Option<u64>,
    /// The counter of the presence last put on the link (0: none, or it was dropped).
    sent: u64,
}

/// The collaborative editing lab. See the module documentation.
#[derive(Clone)]
pub struct CollabLab {
    scenario: Scenario,
    now: Time,
    replicas: Vec<Replica>,
    carets: Vec<Anchor>,
    /// Per client: the other end of its CRDT selection, if it has one.
    tails: Vec<Option<Anchor>>,
    /// Per client: its CRDT presence counter and the selection it announced last.
    published: Vec<(u64, AnchoredSelection)>,
    /// Whether the clients announced their first carets (at t=0, with `crdt_presence`), so
    /// that every caret is shown everywhere before anyone moves one.
    announced: bool,
    /// Per client: the other clients' CRDT presence as it knows it.
    presences: Vec<Presences>,
    /// Per peer link, at `from * clients + to`: presence sending on it.
    presence_links: Vec<PresenceLink>,
    crdt_undo: Vec<CrdtUndo>,
    session: Session,
    in_flight: BTreeMap<u64, Message>,
    /// `(due, id)` of every message in flight, soonest first.
    schedule: BTreeSet<(Time, u64)>,
    /// The ids queued on each OT link, oldest first (mirrors the session's queues).
    ot_queues: BTreeMap<Link, VecDeque<u64>>,
    /// The latest delivery time on each in-order link.
    last_due: BTreeMap<Link, Time>,
    next_id: u64,
    offline: Vec<bool>,
    /// Partition group per client; the server is in group 0.
    group: Vec<u32>,
    groups: Vec<Vec<u32>>,
    auto: bool,
    typists: Vec<Typist>,
    crdt_net: Rng,
    ot_net: Rng,
    crdt_stats: EngineStats,
    ot_stats: EngineStats,
    /// CRDT ids generated by all clients so far.
    generated: u64,
    last_edit: Option<Time>,
    /// Whether each engine (crdt, ot) is complete since the last edit.
    complete: [bool; 2],
    edits: u64,
    concurrent_edits: u64,
    /// Whether each client's caret was last placed while it was behind (see `behind`).
    stale_caret: Vec<bool>,
    engine_differences: u64,
    recent_steps: VecDeque<TransformStep>,
    metrics: Metrics,
}

/// LEB128 size of an integer.
fn varint(n: u64) -> u32 {
    let bits = 64 - n.leading_zeros().min(63);
    bits.div_ceil(7)
}

fn id_bytes(id: Id) -> u32 {
    varint(id.agent as u64) + varint(id.seq as u64)
}

/// `(bytes, meta_bytes)` of a CRDT operation: a tag, its ids, origins, and text.
fn crdt_size(op: &crdt::Op) -> (u32, u32) {
    match op {
        crdt::Op::Insert {
            id,
            left,
            right,
            text,
        } => {
            let origin = |o: &Option<Id>| 1 + o.map_or(0, id_bytes);
            let meta = 1 + id_bytes(*id) + origin(left) + origin(right) + varint(text.len() as u64);
            (meta + text.len() as u32, meta)
        }
        crdt::Op::Delete { id, targets } => {
            let meta = 1
                + id_bytes(*id)
                + varint(targets.len() as u64)
                + targets
                    .iter()
                    .map(|(t, n)| id_bytes(*t) + varint(*n as u64))
                    .sum::<u32>();
            (meta, meta)
        }
    }
}

/// `(bytes, meta_bytes)` of an OT operation: a count and tagged components.
fn op_size(op: &Op) -> (u32, u32) {
    let mut total = varint(op.components().len() as u64);
    let mut text = 0;
    for c in op.components() {
        total += 1;
        match c {
            Component::Skip(n) | Component::Delete(n) => total += varint(*n as u64),
            Component::Insert(s) => {
                total += varint(s.len() as u64) + s.len() as u32;
                text += s.len() as u32;
            }
        }
    }
    (total, total - text)
}

/// An anchor's encoded size: a tag, and the character's id.
fn anchor_bytes(a: Anchor) -> u32 {
    1 + a.id().map_or(0, id_bytes)
}

/// A CRDT presence's encoded size: a tag, the sender, its counter and the two anchors (the
/// second's tag also says whether there is a selection).
fn presence_size(p: &Presence) -> u32 {
    1 + varint(p.agent as u64)
        + varint(p.clock)
        + anchor_bytes(p.selection.head)
        + p.selection.tail.map_or(1, anchor_bytes)
}

fn selection_bytes(s: &Selection) -> u32 {
    varint(s.anchor as u64) + varint(s.head as u64)
}

/// `(bytes, meta_bytes)` of an OT message.
fn ot_size(p: &Payload) -> (u32, u32) {
    let (b, m) = match p {
        Payload::Crdt(op) => return crdt_size(op),
        Payload::Presence(p) => {
            let n = presence_size(p);
            return (n, n);
        }
        Payload::Up(Up::Op(o)) => {
            let (b, m) = op_size(&o.op);
            (b + varint(o.base), m + varint(o.base))
        }
        Payload::Up(Up::Presence(r, s)) => {
            let n = varint(*r) + selection_bytes(s);
            (n, n)
        }
        Payload::Down(Down::Ack(r)) => (varint(*r), varint(*r)),
        Payload::Down(Down::Remote(r, c, op)) => {
            let (b, m) = op_size(op);
            let head = varint(*r) + varint(*c as u64);
            (b + head, m + head)
        }
        Payload::Down(Down::Presence(r, c, s)) => {
            let n = varint(*r) + varint(*c as u64) + selection_bytes(s);
            (n, n)
        }
    };
    (b + 1, m + 1)
}

fn is_presence(p: &Payload) -> bool {
    matches!(
        p,
        Payload::Presence(..) | Payload::Up(Up::Presence(..)) | Payload::Down(Down::Presence(..))
    )
}

/// A text cut to `n` characters around `at`, for messages.
fn excerpt(s: &str, at: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let from = at.saturating_sub(12);
    let to = (at + 12).min(chars.len());
    let mut out: String = chars[from.min(to)..to].iter().collect();
    if from > 0 {
        out.insert(0, '…');
    }
    if to < chars.len() {
        out.push('…');
    }
    out
}

/// The first position where two texts differ.
fn first_difference(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn differ(what_a: &str, a: &str, what_b: &str, b: &str) -> String {
    let at = first_difference(a, b);
    format!(
        "{what_a} has {:?} but {what_b} has {:?} (first difference at {at}; {} and {} chars)",
        excerpt(a, at),
        excerpt(b, at),
        a.chars().count(),
        b.chars().count()
    )
}

impl CollabLab {
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn clients(&self) -> u32 {
        self.scenario.clients
    }

    /// A client's CRDT replica (its text, items with ids and tombstones, version, buffer).
    pub fn replica(&self, client: u32) -> Option<&Replica> {
        self.replicas.get(client as usize)
    }

    /// The OT server and clients (texts, states with pending and buffer, revisions, carets).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// A client's caret in its CRDT text.
    pub fn crdt_caret(&self, client: u32) -> usize {
        match (
            self.replicas.get(client as usize),
            self.carets.get(client as usize),
        ) {
            (Some(r), Some(a)) => r.resolve(*a),
            _ => 0,
        }
    }

    /// A client's CRDT selection in its own text: the caret, and the other end of a selection.
    pub fn crdt_selection(&self, client: u32) -> (usize, Option<usize>) {
        let c = client as usize;
        let tail = match (self.replicas.get(c), self.tails.get(c)) {
            (Some(r), Some(Some(t))) => Some(r.resolve(*t)),
            _ => None,
        };
        (self.crdt_caret(client), tail)
    }

    /// The other clients' carets and selections as `client`'s CRDT editor shows them (empty
    /// without `crdt_presence`): each one heard from, where it is drawn, and any newer
    /// presence still waiting for a character.
    pub fn crdt_peers(&self, client: u32) -> Vec<PeerCaret> {
        let c = client as usize;
        match (self.replicas.get(c), self.presences.get(c)) {
            (Some(r), Some(p)) => p.carets(r),
            _ => Vec::new(),
        }
    }

    /// A client's OT selection: the caret, and the other end of a selection.
    pub fn ot_selection(&self, client: u32) -> (usize, Option<usize>) {
        let s = self
            .session
            .clients()
            .get(client as usize)
            .map_or(Selection::default(), |c| c.selection());
        (s.head, (s.anchor != s.head).then_some(s.anchor))
    }

    /// A client's caret in its OT text.
    pub fn ot_caret(&self, client: u32) -> usize {
        self.session
            .clients()
            .get(client as usize)
            .map_or(0, |c| c.selection().head)
    }

    /// A client's CRDT and OT undo depths.
    pub fn undo_depth(&self, client: u32) -> (usize, usize) {
        let crdt = self
            .crdt_undo
            .get(client as usize)
            .map_or(0, |u| u.undo.len());
        let ot = self
            .session
            .clients()
            .get(client as usize)
            .map_or(0, |c| c.undo_history().undo_len());
        (crdt, ot)
    }

    /// Every message in flight, by id.
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.in_flight.values()
    }

    /// The latest transform steps, on the server and the clients, oldest first.
    pub fn recent_steps(&self) -> impl Iterator<Item = &TransformStep> {
        self.recent_steps.iter()
    }

    pub fn offline(&self, client: u32) -> bool {
        self.offline.get(client as usize).copied().unwrap_or(false)
    }

    pub fn typist_on(&self, client: u32) -> bool {
        self.typists.get(client as usize).is_some_and(|t| t.on)
    }

    /// The partition groups, empty when there is none.
    pub fn partition(&self) -> &[Vec<u32>] {
        &self.groups
    }

    pub fn auto_deliver(&self) -> bool {
        self.auto
    }

    pub fn stats(&self, engine: Engine) -> EngineStats {
        match engine {
            Engine::Crdt => self.crdt_stats,
            Engine::Ot => self.ot_stats,
        }
    }

    /// Whether every replica of an engine has every edit.
    pub fn complete(&self, engine: Engine) -> bool {
        match engine {
            Engine::Crdt => self
                .replicas
                .iter()
                .all(|r| r.version().count() == self.generated && r.pending().is_empty()),
            Engine::Ot => {
                let revision = self.session.server().revision();
                self.session
                    .clients()
                    .iter()
                    .all(|c| c.state() == &ClientState::Synchronized && c.revision() == revision)
            }
        }
    }

    /// How long an engine took to converge after the last edit, over every convergence so far
    /// (the `<engine>_converge_ms` histogram of [`Simulation::metrics`], without copying the
    /// rest of the metrics, for drawing every frame).
    pub fn converge_summary(&self, engine: Engine) -> Summary {
        self.metrics.summary(&format!("{engine}_converge_ms"))
    }

    /// Edits so far, and how many of them were concurrent with another.
    pub fn edits(&self) -> (u64, u64) {
        (self.edits, self.concurrent_edits)
    }

    /// Whether a link holds its messages (an end offline, or a partition between the ends).
    pub fn blocked(&self, link: Link) -> bool {
        let (a, b) = match link {
            Link::Peer { from, to } => (from, Some(to)),
            Link::Up { client } | Link::Down { client } => (client, None),
        };
        let off = |c: u32| self.offline.get(c as usize).copied().unwrap_or(true);
        let group = |c: u32| self.group.get(c as usize).copied().unwrap_or(0);
        match b {
            Some(b) => off(a) || off(b) || group(a) != group(b),
            None => off(a) || group(a) != 0,
        }
    }

    fn client_ok(&self, client: u32) -> Result<usize, Refusal> {
        if client < self.scenario.clients {
            Ok(client as usize)
        } else {
            Err(Refusal(format!(
                "no client c{client}: there are {} (c0 to c{})",
                self.scenario.clients,
                self.scenario.clients - 1
            )))
        }
    }

    fn draw_latency(&mut self, engine: Engine) -> Time {
        let s = &self.scenario;
        let (kind, ms, jitter) = (s.latency, s.latency_ms as u64, s.jitter_ms as u64);
        let rng = match engine {
            Engine::Crdt => &mut self.crdt_net,
            Engine::Ot => &mut self.ot_net,
        };
        match kind {
            Latency::Fixed => ms,
            Latency::Uniform => rng.range(ms.saturating_sub(jitter), ms + jitter),
            Latency::LongTail => {
                let tail = if rng.chance(1, 20) { ms * 5 } else { ms / 2 };
                ms / 2 + rng.exp_ms(tail.max(1))
            }
        }
    }

    /// When a message put on `link` now is due.
    fn due(&mut self, link: Link) -> Time {
        let t = self.now + self.draw_latency(link.engine());
        let in_order = link.engine() == Engine::Ot || !self.scenario.reorder;
        if in_order {
            let last = self.last_due.entry(link).or_insert(0);
            *last = (*last).max(t);
            *last
        } else {
            t
        }
    }

    fn send(&mut self, link: Link, payload: Payload, copy: bool, out: &mut dyn Emit<Event>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let (bytes, meta_bytes) = ot_size(&payload);
        let due = self.due(link);
        let stats = match link.engine() {
            Engine::Crdt => &mut self.crdt_stats,
            Engine::Ot => &mut self.ot_stats,
        };
        if copy {
            stats.duplicates += 1;
        } else if is_presence(&payload) {
            stats.presence_messages += 1;
            stats.presence_bytes += bytes as u64;
        } else {
            stats.messages += 1;
            stats.bytes += bytes as u64;
            stats.meta_bytes += meta_bytes as u64;
        }
        if !copy {
            out.emit(
                self.now,
                Event::Sent {
                    id,
                    link,
                    what: payload.to_string(),
                },
            );
        }
        self.schedule.insert((due, id));
        self.in_flight.insert(
            id,
            Message {
                id,
                link,
                sent: self.now,
                due,
                payload,
                bytes,
                meta_bytes,
                copy,
            },
        );
        id
    }

    /// Sends a CRDT operation of `from` to every peer, duplicating some.
    fn broadcast(&mut self, from: u32, op: &crdt::Op, out: &mut dyn Emit<Event>) {
        for to in 0..self.scenario.clients {
            if to == from {
                continue;
            }
            let link = Link::Peer { from, to };
            let id = self.send(link, Payload::Crdt(op.clone()), false, out);
            let dup = self.scenario.duplicate_permille;
            if dup > 0 && self.crdt_net.chance(dup as u64, 1000) {
                let copy = self.send(link, Payload::Crdt(op.clone()), true, out);
                out.emit(self.now, Event::Duplicated { id, copy });
            }
        }
    }

    /// Runs an OT session call, logs its events and puts the messages it queued in flight.
    fn ot_call(
        &mut self,
        out: &mut dyn Emit<Event>,
        call: impl FnOnce(&mut Session, &mut Vec<ot::Event>) -> Result<(), OtError>,
    ) -> Result<(), Refusal> {
        let mut events = Vec::new();
        let result = call(&mut self.session, &mut events);
        for e in events {
            if let ot::Event::Transform(step) = &e {
                self.recent_steps.push_back(step.clone());
                if self.recent_steps.len() > RECENT_STEPS {
                    self.recent_steps.pop_front();
                }
            }
            out.emit(self.now, Event::Ot(e.into()));
        }
        for c in 0..self.scenario.clients {
            for link in [Link::Up { client: c }, Link::Down { client: c }] {
                let known = self.ot_queues.get(&link).map_or(0, VecDeque::len);
                let queued: Vec<Payload> = match link {
                    Link::Up { .. } => self
                        .session
                        .queued_up(c)
                        .skip(known)
                        .map(|m| Payload::Up(m.clone()))
                        .collect(),
                    _ => self
                        .session
                        .queued_down(c)
                        .skip(known)
                        .map(|m| Payload::Down(m.clone()))
                        .collect(),
                };
                for payload in queued {
                    let id = self.send(link, payload, false, out);
                    self.ot_queues.entry(link).or_default().push_back(id);
                }
            }
        }
        result.map_err(|e| Refusal(format!("ot: {e}")))
    }

    /// Whether `client` lacks some other client's edit in either engine, or another client
    /// still has an edit of its own unconfirmed by the OT server.
    fn behind(&self, client: usize) -> bool {
        let crdt_behind = self.replicas[client].version().count() < self.generated;
        let server = self.session.server().revision();
        let ot_behind = self.session.clients().iter().enumerate().any(|(i, c)| {
            if i == client {
                c.revision() < server
            } else {
                c.state() != &ClientState::Synchronized
            }
        });
        crdt_behind || ot_behind
    }

    /// Notes an edit by `client` now; returns whether it is concurrent with another edit
    /// (made while behind, or at a caret placed while behind).
    fn note_edit(&mut self, client: usize) -> bool {
        let concurrent = self.behind(client) || self.stale_caret[client];
        self.stale_caret[client] = false;
        self.edits += 1;
        self.concurrent_edits += concurrent as u64;
        self.last_edit = Some(self.now);
        self.complete = [false, false];
        concurrent
    }

    /// Records a CRDT action for undo, growing the open burst when it continues it.
    fn record(&mut self, client: usize, kind: Kind, action: Action) {
        let (limit, burst) = (
            self.scenario.undo_limit as usize,
            self.scenario.burst_ms as Time,
        );
        let now = self.now;
        let u = &mut self.crdt_undo[client];
        let grows = matches!(u.open, Some((t, k)) if k == kind && now.saturating_sub(t) <= burst)
            && !u.undo.is_empty();
        if grows {
            if let Some(top) = u.undo.last_mut() {
                top.push(action);
            }
        } else {
            u.undo.push(vec![action]);
            if u.undo.len() > limit {
                let excess = u.undo.len() - limit;
                u.undo.drain(..excess);
            }
        }
        u.open = Some((now, kind));
        u.redo.clear();
    }

    /// Inserts `text` into `client`'s replica at `pos` and broadcasts it; the caret moves
    /// past the text when it was at or after `pos`. Returns the action for undo.
    fn crdt_insert(
        &mut self,
        client: usize,
        pos: usize,
        text: &str,
        out: &mut dyn Emit<Event>,
    ) -> Result<Action, Refusal> {
        let mut caret = self.replicas[client].resolve(self.carets[client]);
        let op = self.replicas[client].insert(pos, text)?;
        let len = op.len();
        if caret >= pos {
            caret += len as usize;
        }
        self.carets[client] = self.replicas[client].anchor(caret);
        self.generated += len as u64;
        self.broadcast(client as u32, &op, out);
        Ok(Action::Inserted { id: op.id(), len })
    }

    /// Puts a caret's anchor on the visible character before it again. An anchor on a
    /// tombstone would let text inserted later at the caret land before it (the insert's
    /// origins are visible characters), where OT keeps the caret before such text.
    fn reanchor(&mut self, client: usize) {
        let r = &mut self.replicas[client];
        let pos = r.resolve(self.carets[client]);
        self.carets[client] = r.anchor(pos);
    }

    /// Deletes `len` characters of `client`'s replica at `pos` and broadcasts it. Returns the
    /// action for undo.
    fn crdt_delete(
        &mut self,
        client: usize,
        pos: usize,
        len: usize,
        out: &mut dyn Emit<Event>,
    ) -> Result<Action, Refusal> {
        let text: Vec<char> = self.replicas[client]
            .text()
            .chars()
            .skip(pos)
            .take(len)
            .collect();
        let op = self.replicas[client].delete(pos, len)?;
        let crdt::Op::Delete { targets, .. } = &op else {
            return Err(Refusal("a delete made an insert".into()));
        };
        let ids = targets
            .iter()
            .flat_map(|&(t, n)| (0..n).map(move |k| Id::new(t.agent, t.seq + k)));
        let chars = ids.zip(text).collect();
        self.reanchor(client);
        self.generated += op.len() as u64;
        self.broadcast(client as u32, &op, out);
        Ok(Action::Deleted { chars })
    }

    fn type_text(
        &mut self,
        client: u32,
        text: &str,
        out: &mut dyn Emit<Event>,
    ) -> Result<(), Refusal> {
        let c = self.client_ok(client)?;
        let n = text.chars().count();
        if n == 0 || n > MAX_TYPED {
            return Err(Refusal(format!(
                "type 1 to {MAX_TYPED} characters, not {n}"
            )));
        }
        let concurrent = self.note_edit(c);
        let crdt_at = self.crdt_caret(client);
        let ot_at = self.ot_caret(client);
        out.emit(
            self.now,
            Event::Typed {
                client,
                text: text.to_string(),
                crdt_at,
                ot_at,
                concurrent,
            },
        );
        let action = self.crdt_insert(c, crdt_at, text, out)?;
        self.record(c, Kind::Typing, action);
        let now = self.now;
        self.ot_call(out, |s, ev| {
            s.edit(client, &Op::splice(ot_at, 0, text), now, ev)
        })
    }

    fn backspace(
        &mut self,
        client: u32,
        count: u32,
        out: &mut dyn Emit<Event>,
    ) -> Result<(), Refusal> {
        let c = self.client_ok(client)?;
        let (crdt_caret, ot_caret) = (self.crdt_caret(client), self.ot_caret(client));
        let crdt_n = (count as usize).min(crdt_caret);
        let ot_n = (count as usize).min(ot_caret);
        if crdt_n == 0 && ot_n == 0 {
            return Err(Refusal(format!(
                "c{client}: nothing before the caret to erase"
            )));
        }
        let concurrent = self.note_edit(c);
        out.emit(
            self.now,
            Event::Erased {
                client,
                crdt: (crdt_caret - crdt_n, crdt_n),
                ot: (ot_caret - ot_n, ot_n),
                concurrent,
            },
        );
        if crdt_n > 0 {
            let action = self.crdt_delete(c, crdt_caret - crdt_n, crdt_n, out)?;
            self.record(c, Kind::Deleting, action);
        }
        if ot_n > 0 {
            let now = self.now;
            let op = Op::splice(ot_caret - ot_n, ot_n, "");
            self.ot_call(out, |s, ev| s.edit(client, &op, now, ev))?;
        }
        Ok(())
    }

    /// Moves the caret to `pos`; with `anchor`, selects from `anchor` to `pos`. In the CRDT
    /// the selection's other end is tied to the first or last selected character (the one
    /// beside it inside the selection), so text typed at either edge stays outside.
    fn select(
        &mut self,
        client: u32,
        pos: u32,
        anchor: Option<u32>,
        out: &mut dyn Emit<Event>,
    ) -> Result<(), Refusal> {
        let c = self.client_ok(client)?;
        let r = &mut self.replicas[c];
        let head = (pos as usize).min(r.len());
        self.carets[c] = r.anchor(head);
        self.tails[c] = match anchor.map(|a| (a as usize).min(r.len())) {
            Some(a) if a < head => Some(r.anchor_before(a)),
            Some(a) if a > head => Some(r.anchor(a)),
            _ => None,
        };
        self.crdt_undo[c].open = None;
        // A caret placed on texts that differ lands on different characters in each engine.
        self.stale_caret[c] = self.behind(c);
        out.emit(
            self.now,
            Event::Caret {
                client,
                pos,
                anchor,
            },
        );
        let selection = Selection {
            anchor: anchor.unwrap_or(pos) as usize,
            head: pos as usize,
        };
        self.ot_call(out, |s, _| {
            s.select(client, selection);
            Ok(())
        })
    }

    /// A client's CRDT selection as it would announce it; a selection whose ends met (its
    /// text was erased) becomes a plain caret.
    fn own_selection(&mut self, c: usize) -> AnchoredSelection {
        let r = &self.replicas[c];
        if let Some(t) = self.tails[c] {
            if r.resolve(t) == r.resolve(self.carets[c]) {
                self.tails[c] = None;
            }
        }
        AnchoredSelection {
            head: self.carets[c],
            tail: self.tails[c],
        }
    }

    /// Announces every CRDT client's selection that changed, and offers the newest presence
    /// to every peer link that can take it (see the module documentation).
    fn share_presence(&mut self, out: &mut dyn Emit<Event>) {
        if !self.scenario.crdt_presence {
            return;
        }
        let n = self.scenario.clients as usize;
        for from in 0..n {
            let selection = self.own_selection(from);
            let (clock, last) = self.published[from];
            if selection != last {
                self.published[from] = (clock + 1, selection);
            }
            for to in 0..n {
                if to != from {
                    self.offer_presence(from, to, out);
                }
            }
        }
    }

    /// Sends `from`'s newest presence to `to` unless the link is cut, one is in flight on it,
    /// or `to` was sent this one already.
    fn offer_presence(&mut self, from: usize, to: usize, out: &mut dyn Emit<Event>) {
        let at = from * self.scenario.clients as usize + to;
        let (clock, selection) = self.published[from];
        let l = self.presence_links[at];
        let link = Link::Peer {
            from: from as u32,
            to: to as u32,
        };
        if clock == 0 || l.in_flight.is_some() || l.sent >= clock || self.blocked(link) {
            return;
        }
        let presence = Presence {
            agent: from as u32,
            clock,
            selection,
        };
        let id = self.send(link, Payload::Presence(presence), false, out);
        self.presence_links[at] = PresenceLink {
            in_flight: Some(id),
            sent: clock,
        };
        let dup = self.scenario.duplicate_permille;
        if dup > 0 && self.crdt_net.chance(dup as u64, 1000) {
            let copy = self.send(link, Payload::Presence(presence), true, out);
            out.emit(self.now, Event::Duplicated { id, copy });
        }
    }

    /// Drops the CRDT presence in flight on links that are cut: presence is ephemeral, and
    /// the newest is sent when the link opens again.
    fn drop_cut_presence(&mut self, out: &mut dyn Emit<Event>) {
        let cut: Vec<(u64, Link)> = self
            .in_flight
            .values()
            .filter(|m| matches!(m.payload, Payload::Presence(_)) && self.blocked(m.link))
            .map(|m| (m.id, m.link))
            .collect();
        let n = self.scenario.clients as usize;
        for (id, link) in cut {
            if let Some(m) = self.in_flight.remove(&id) {
                self.schedule.remove(&(m.due, id));
            }
            if let Link::Peer { from, to } = link {
                let l = &mut self.presence_links[from as usize * n + to as usize];
                if l.in_flight == Some(id) {
                    *l = PresenceLink::default();
                }
            }
            out.emit(self.now, Event::Dropped { id, link });
        }
    }

    /// After any step: announces changed CRDT selections, then notes convergence.
    fn settle(&mut self, out: &mut dyn Emit<Event>) {
        self.share_presence(out);
        self.observe(out);
    }

    /// Undoes one CRDT step of `client` (redo: one undone step), returning the number of
    /// operations sent. Steps whose effect is gone already (all their text deleted by
    /// others) are dropped, as OT drops steps that became no-ops.
    fn crdt_undo(
        &mut self,
        c: usize,
        redo: bool,
        out: &mut dyn Emit<Event>,
    ) -> Result<usize, Refusal> {
        self.crdt_undo[c].open = None;
        loop {
            let step = if redo {
                self.crdt_undo[c].redo.pop()
            } else {
                self.crdt_undo[c].undo.pop()
            };
            let Some(step) = step else {
                return Ok(0);
            };
            let mut inverse = Vec::new();
            for action in step.into_iter().rev() {
                self.invert(c, action, &mut inverse, out)?;
            }
            if inverse.is_empty() {
                continue;
            }
            let ops = inverse.len();
            let u = &mut self.crdt_undo[c];
            if redo {
                u.undo.push(inverse);
            } else {
                u.redo.push(inverse);
            }
            return Ok(ops);
        }
    }

    /// Applies the inverse of one action, appending the actions done to `done`.
    fn invert(
        &mut self,
        c: usize,
        action: Action,
        done: &mut Vec<Action>,
        out: &mut dyn Emit<Event>,
    ) -> Result<(), Refusal> {
        match action {
            Action::Inserted { id, len } => {
                let u = &self.crdt_undo[c];
                let mut alive: Vec<usize> = (0..len)
                    .filter_map(|k| {
                        let id = u.current(Id::new(id.agent, id.seq + k));
                        match self.replicas[c].doc().position_of(id) {
                            Some((p, true)) => Some(p),
                            _ => None,
                        }
                    })
                    .collect();
                alive.sort_unstable();
                // Runs of consecutive positions, deleted from the right so positions hold.
                let mut runs: Vec<(usize, usize)> = Vec::new();
                for p in alive {
                    match runs.last_mut() {
                        Some((s, n)) if *s + *n == p => *n += 1,
                        _ => runs.push((p, 1)),
                    }
                }
                for (start, n) in runs.into_iter().rev() {
                    done.push(self.crdt_delete(c, start, n, out)?);
                }
            }
            Action::Deleted { chars } => {
                let mut i = 0;
                while i < chars.len() {
                    let at = |r: &Replica, id: Id| r.doc().position_of(id).map(|(p, _)| p);
                    let Some(p) = at(&self.replicas[c], chars[i].0) else {
                        i += 1;
                        continue;
                    };
                    let mut j = i + 1;
                    while j < chars.len() && at(&self.replicas[c], chars[j].0) == Some(p) {
                        j += 1;
                    }
                    let text: String = chars[i..j].iter().map(|&(_, ch)| ch).collect();
                    let action = self.crdt_insert(c, p, &text, out)?;
                    if let Action::Inserted { id, .. } = action {
                        for (k, &(old, _)) in chars[i..j].iter().enumerate() {
                            let copy = Id::new(id.agent, id.seq + k as u32);
                            self.crdt_undo[c].revived.insert(old, copy);
                        }
                    }
                    done.push(action);
                    i = j;
                }
            }
        }
        Ok(())
    }

    fn undo(&mut self, client: u32, redo: bool, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let c = self.client_ok(client)?;
        let before = self.session.clients()[c].undo_history().clone();
        let (undo_len, redo_len) = (before.undo_len(), before.redo_len());
        let has_ot = if redo { redo_len > 0 } else { undo_len > 0 };
        let has_crdt = if redo {
            !self.crdt_undo[c].redo.is_empty()
        } else {
            !self.crdt_undo[c].undo.is_empty()
        };
        if !has_ot && !has_crdt {
            return Err(Refusal(format!(
                "c{client}: nothing to {}",
                if redo { "redo" } else { "undo" }
            )));
        }
        self.note_edit(c);
        out.emit(
            self.now,
            Event::Undone {
                client,
                redo,
                crdt: has_crdt,
                ot: has_ot,
            },
        );
        self.crdt_undo(c, redo, out)?;
        self.ot_call(out, |s, ev| {
            if redo {
                s.redo(client, ev)
            } else {
                s.undo(client, ev)
            }
        })
    }

    /// Delivers message `id` (which must be deliverable) now.
    fn deliver(&mut self, id: u64, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let Some(msg) = self.in_flight.remove(&id) else {
            return Err(Refusal(format!("no message #{id} in flight")));
        };
        self.schedule.remove(&(msg.due, id));
        let link = msg.link;
        match msg.payload {
            Payload::Crdt(op) => {
                self.crdt_stats.delivered += 1;
                let Link::Peer { to, .. } = link else {
                    return Err(Refusal("a CRDT message off a peer link".into()));
                };
                let received = self.replicas[to as usize].receive(op);
                self.reanchor(to as usize);
                let shown =
                    self.presences[to as usize].resolve_pending(&self.replicas[to as usize]);
                let outcome = match received {
                    Ok(Delivery::Applied { unblocked: 0 }) => "applied".to_string(),
                    Ok(Delivery::Applied { unblocked }) => {
                        format!("applied, and {unblocked} buffered ops it unblocked")
                    }
                    Ok(Delivery::Buffered { missing }) => {
                        format!("buffered, waiting for {missing}")
                    }
                    Ok(Delivery::Duplicate) => "duplicate, ignored".to_string(),
                    Err(r) => format!("refused: {r}"),
                };
                out.emit(self.now, Event::Delivered { id, link, outcome });
                for (peer, clock) in shown {
                    let at = self.peer_text(to, peer);
                    out.emit(
                        self.now,
                        Event::PresenceShown {
                            client: to,
                            peer,
                            clock,
                            at,
                        },
                    );
                }
            }
            Payload::Presence(presence) => {
                self.crdt_stats.delivered += 1;
                let Link::Peer { from, to } = link else {
                    return Err(Refusal("a CRDT presence off a peer link".into()));
                };
                let n = self.scenario.clients as usize;
                let l = &mut self.presence_links[from as usize * n + to as usize];
                if l.in_flight == Some(id) {
                    l.in_flight = None;
                }
                let (t, p) = (to as usize, presence.agent);
                let outcome = match self.presences[t].receive(&self.replicas[t], presence) {
                    Received::Shown => format!("shown at {}", self.peer_text(to, p)),
                    Received::Pending { missing } => {
                        match self.presences[t].shown(&self.replicas[t], p) {
                            Some(_) => format!(
                                "pending until {missing} arrives (#{} still shown, at {})",
                                self.shown_clock(to, p),
                                self.peer_text(to, p)
                            ),
                            None => format!("pending until {missing} arrives (nothing shown yet)"),
                        }
                    }
                    Received::Stale { newest } => format!("older than #{newest}, ignored"),
                    Received::Duplicate => "duplicate, ignored".to_string(),
                };
                out.emit(self.now, Event::Delivered { id, link, outcome });
            }
            _ => {
                self.ot_stats.delivered += 1;
                if let Some(q) = self.ot_queues.get_mut(&link) {
                    q.pop_front();
                }
                out.emit(
                    self.now,
                    Event::Delivered {
                        id,
                        link,
                        outcome: "in order".into(),
                    },
                );
                let ot_link = link.ot().ok_or(Refusal("not an OT link".into()))?;
                self.ot_call(out, |s, ev| s.deliver(ot_link, ev))?;
            }
        }
        self.settle(out);
        Ok(())
    }

    /// Where `client` shows `peer`'s CRDT selection, as text: `5`, or `2..5` for a selection
    /// (from its other end to the caret).
    fn peer_text(&self, client: u32, peer: u32) -> String {
        let c = client as usize;
        match self.presences[c].shown(&self.replicas[c], peer) {
            Some((head, None)) => head.to_string(),
            Some((head, Some(tail))) => format!("{tail}..{head}"),
            None => "nowhere".to_string(),
        }
    }

    /// The counter of `peer`'s presence that `client` shows.
    fn shown_clock(&self, client: u32, peer: u32) -> u64 {
        self.presences[client as usize]
            .carets(&self.replicas[client as usize])
            .iter()
            .find(|p| p.agent == peer)
            .and_then(|p| p.shown)
            .map_or(0, |(clock, _, _)| clock)
    }

    /// The message a link delivers next: the earliest due (ties by id); an OT link's oldest.
    fn next_on(&self, link: Link) -> Option<u64> {
        if link.engine() == Engine::Ot {
            return self.ot_queues.get(&link).and_then(|q| q.front().copied());
        }
        self.in_flight
            .values()
            .filter(|m| m.link == link)
            .min_by_key(|m| (m.due, m.id))
            .map(|m| m.id)
    }

    fn deliverable(&self, link: Link) -> Result<(), Refusal> {
        if self.blocked(link) {
            return Err(Refusal(format!(
                "{link} is cut: an end is offline or across a partition"
            )));
        }
        Ok(())
    }

    /// The next message automatic delivery delivers: on an open link, due soonest.
    fn next_due(&self) -> Option<(Time, u64)> {
        if !self.auto {
            return None;
        }
        self.next_open().map(|(t, id)| (t.max(self.now), id))
    }

    /// The message on an open link due soonest, whether or not delivery is automatic.
    fn next_open(&self) -> Option<(Time, u64)> {
        self.schedule
            .iter()
            .find(|(_, id)| {
                self.in_flight
                    .get(id)
                    .is_some_and(|m| !self.blocked(m.link))
            })
            .copied()
    }

    /// Gives messages held on links that just opened, and already past due, a fresh latency;
    /// in-order links keep their order (a message is never due before an older one).
    fn release_held(&mut self) {
        let held: Vec<(u64, Link)> = self
            .in_flight
            .values()
            .filter(|m| m.due < self.now && !self.blocked(m.link))
            .map(|m| (m.id, m.link))
            .collect();
        for (id, link) in held {
            let due = self.now + self.draw_latency(link.engine());
            if let Some(m) = self.in_flight.get_mut(&id) {
                m.due = due;
            }
        }
        let mut last: BTreeMap<Link, Time> = BTreeMap::new();
        let reorder = self.scenario.reorder;
        for m in self.in_flight.values_mut() {
            if m.link.engine() == Engine::Crdt && reorder {
                continue;
            }
            let l = last.entry(m.link).or_insert(0);
            m.due = m.due.max(*l);
            *l = m.due;
        }
        for (link, t) in last {
            let e = self.last_due.entry(link).or_insert(0);
            *e = (*e).max(t);
        }
        self.schedule = self.in_flight.values().map(|m| (m.due, m.id)).collect();
    }

    /// Notes engines becoming complete after the last edit, and compares replicas.
    fn observe(&mut self, out: &mut dyn Emit<Event>) {
        let Some(last) = self.last_edit else {
            return;
        };
        for (i, engine) in [Engine::Crdt, Engine::Ot].into_iter().enumerate() {
            if self.complete[i] || !self.complete(engine) {
                continue;
            }
            self.complete[i] = true;
            let after_ms = self.now - last;
            self.metrics
                .record(&format!("{engine}_converge_ms"), after_ms);
            match self.divergence(engine) {
                None => {
                    let chars = self.text(engine, 0).chars().count();
                    let stats = match engine {
                        Engine::Crdt => &mut self.crdt_stats,
                        Engine::Ot => &mut self.ot_stats,
                    };
                    stats.converged += 1;
                    out.emit(
                        self.now,
                        Event::Converged {
                            engine,
                            after_ms,
                            chars,
                        },
                    );
                }
                Some(detail) => {
                    match engine {
                        Engine::Crdt => self.crdt_stats.divergences += 1,
                        Engine::Ot => self.ot_stats.divergences += 1,
                    }
                    out.emit(self.now, Event::Diverged { engine, detail });
                }
            }
            if self.complete == [true, true] {
                let (a, b) = (self.text(Engine::Crdt, 0), self.text(Engine::Ot, 0));
                if a == b {
                    out.emit(
                        self.now,
                        Event::EnginesAgree {
                            chars: a.chars().count(),
                        },
                    );
                } else {
                    self.engine_differences += 1;
                    out.emit(
                        self.now,
                        Event::EnginesDiffer {
                            detail: differ("crdt", &a, "ot", &b),
                        },
                    );
                }
            }
        }
    }

    /// A client's text in one engine.
    pub fn text(&self, engine: Engine, client: u32) -> String {
        match engine {
            Engine::Crdt => self
                .replicas
                .get(client as usize)
                .map(Replica::text)
                .unwrap_or_default(),
            Engine::Ot => self
                .session
                .clients()
                .get(client as usize)
                .map(|c| c.doc().to_string())
                .unwrap_or_default(),
        }
    }

    /// The first two replicas of an engine whose texts differ (OT: against the server).
    fn divergence(&self, engine: Engine) -> Option<String> {
        match engine {
            Engine::Crdt => {
                let first = self.replicas[0].text();
                (1..self.replicas.len()).find_map(|i| {
                    let t = self.replicas[i].text();
                    (t != first).then(|| differ("c0", &first, &format!("c{i}"), &t))
                })
            }
            Engine::Ot => {
                let server = self.session.server().doc();
                self.session.clients().iter().find_map(|c| {
                    (c.doc() != server)
                        .then(|| differ(&format!("c{}", c.id()), c.doc(), "the server", server))
                })
            }
        }
    }

    /// When every client's newest CRDT presence has reached every peer (the CRDT being
    /// complete), the first client shown elsewhere other than where it has its selection.
    fn presence_divergence(&self) -> Option<String> {
        if !self.scenario.crdt_presence {
            return None;
        }
        let n = self.scenario.clients;
        let quiet = (0..n).all(|from| {
            let clock = self.published[from as usize].0;
            (0..n).all(|to| to == from || self.presences[to as usize].newest(from) == clock)
        });
        if !quiet {
            return None;
        }
        for from in 0..n {
            if self.published[from as usize].0 == 0 {
                continue;
            }
            let own = self.crdt_selection(from);
            for to in (0..n).filter(|&to| to != from) {
                let shown = self.presences[to as usize].shown(&self.replicas[to as usize], from);
                if shown != Some(own) {
                    return Some(format!(
                        "c{from} has its selection at {own:?} but c{to} shows it at {shown:?}"
                    ));
                }
            }
        }
        None
    }

    /// One patch of a trace typist, at its caret; the typist stops after the last one.
    fn trace_keystroke(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        let client = c as u32;
        let patches = trace_patches();
        let Some((pos, del, ins)) = patches.get(self.typists[c].patch) else {
            self.typists[c].on = false;
            out.emit(self.now, Event::Typist { client, on: false });
            return;
        };
        // Where the patch's deletion ends (where backspacing starts), relative to the cursor.
        let target = (pos + del) as i64 - self.typists[c].cursor as i64;
        let caret = self.crdt_caret(client) as i64;
        let len = self.replicas[c].len() as i64;
        // A refused step (nothing to erase at the start of the text) is a key that did nothing.
        if target != 0 {
            let _ = self.select(client, (caret + target).clamp(0, len) as u32, None, out);
        }
        if *del > 0 {
            let _ = self.backspace(client, *del as u32, out);
        }
        if !ins.is_empty() {
            let _ = self.type_text(client, ins, out);
        }
        let t = &mut self.typists[c];
        t.cursor = pos + ins.chars().count();
        t.patch += 1;
    }

    /// One keystroke of `client`'s typist.
    fn keystroke(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        let client = c as u32;
        let len = self.replicas[c].len();
        let long = len >= self.scenario.max_len as usize;
        let roll = self.typists[c].rng.below(100);
        let caret = self.crdt_caret(client);
        let result = if self.scenario.typist_kind == TypistKind::Trace {
            self.trace_keystroke(c, out);
            Ok(())
        } else if roll < 2 {
            self.undo(client, false, out)
        } else if roll < 8 {
            let pos = self.typists[c].rng.below(len as u64 + 1) as u32;
            self.select(client, pos, None, out)
        } else if roll < (if long { 60 } else { 22 }) && caret > 0 {
            self.backspace(client, 1, out)
        } else {
            const KEYS: &[u8] = b"etaoinshrdlu etaoin shrdlu cmfwyp ";
            let k = KEYS[self.typists[c].rng.below(KEYS.len() as u64) as usize] as char;
            self.type_text(client, &k.to_string(), out)
        };
        // A typist's refused keystroke (nothing to undo, say) is simply a key that did nothing.
        let _ = result;
        let t = &mut self.typists[c];
        let gap = 1000 / self.scenario.typing_cps as Time;
        if t.burst > 1 {
            t.burst -= 1;
            t.next = self.now + gap;
        } else {
            t.burst = t.rng.range(3, 15) as u32;
            t.next = self.now + gap + t.rng.exp_ms(self.scenario.pause_ms as u64);
        }
    }

    fn next_keystroke(&self) -> Option<(Time, usize)> {
        self.typists
            .iter()
            .enumerate()
            .filter(|(_, t)| t.on)
            .map(|(i, t)| (t.next, i))
            .min()
    }
}

impl Simulation for CollabLab {
    type Scenario = Scenario;
    type Command = Command;
    type Event = Event;
    const LAB: &'static str = "collab";

    fn new(s: &Scenario) -> Result<CollabLab, String> {
        s.validate()?;
        let root = Rng::new(s.seed);
        let n = s.clients as usize;
        let undo = UndoSettings {
            limit: s.undo_limit as usize,
            burst_ms: s.burst_ms as Time,
        };
        let typists = (0..n)
            .map(|i| {
                let mut rng = root.fork(100 + i as u64);
                let next = rng.range(200, 1_500);
                let patches = trace_patches();
                let patch = i * patches.len() / n;
                Typist {
                    on: (i as u32) < s.typists,
                    next,
                    burst: rng.range(3, 15) as u32,
                    rng,
                    patch,
                    cursor: patches.get(patch).map_or(0, |p| p.0 + p.1),
                }
            })
            .collect();
        let mut replicas: Vec<Replica> = (0..n).map(|i| Replica::new(i as u32)).collect();
        let carets: Vec<Anchor> = replicas.iter_mut().map(|r| r.anchor(0)).collect();
        // Counter 1: the caret at the start is announced at t=0 (see `announced`).
        let published = carets
            .iter()
            .map(|&a| (u64::from(s.crdt_presence), AnchoredSelection::caret(a)))
            .collect();
        Ok(CollabLab {
            scenario: s.clone(),
            now: 0,
            replicas,
            carets,
            tails: vec![None; n],
            published,
            announced: !s.crdt_presence,
            presences: vec![Presences::new(); n],
            presence_links: vec![PresenceLink::default(); n * n],
            crdt_undo: vec![CrdtUndo::default(); n],
            session: Session::new(n, "", undo),
            in_flight: BTreeMap::new(),
            schedule: BTreeSet::new(),
            ot_queues: BTreeMap::new(),
            last_due: BTreeMap::new(),
            next_id: 1,
            offline: vec![false; n],
            group: vec![0; n],
            groups: Vec::new(),
            auto: s.auto_deliver,
            typists,
            crdt_net: root.fork(1),
            ot_net: root.fork(2),
            crdt_stats: EngineStats::default(),
            ot_stats: EngineStats::default(),
            generated: 0,
            last_edit: None,
            complete: [false, false],
            edits: 0,
            concurrent_edits: 0,
            stale_caret: vec![false; n],
            engine_differences: 0,
            recent_steps: VecDeque::new(),
            metrics: Metrics::default(),
        })
    }

    fn seed(s: &Scenario) -> u64 {
        s.seed
    }

    fn with_seed(s: &Scenario, seed: u64) -> Scenario {
        Scenario { seed, ..s.clone() }
    }

    fn now(&self) -> Time {
        self.now
    }

    fn next_deadline(&self) -> Option<Time> {
        if !self.announced {
            return Some(self.now);
        }
        let msg = self.next_due().map(|(t, _)| t);
        let key = self.next_keystroke().map(|(t, _)| t.max(self.now));
        [msg, key].into_iter().flatten().min()
    }

    fn advance_to(&mut self, t: Time, out: &mut dyn Emit<Event>) {
        if !self.announced {
            self.announced = true;
            self.share_presence(out);
        }
        loop {
            let msg = self.next_due().filter(|&(d, _)| d <= t);
            let key = self
                .next_keystroke()
                .map(|(d, c)| (d.max(self.now), c))
                .filter(|&(d, _)| d <= t);
            match (msg, key) {
                (Some((dm, id)), k) if k.is_none_or(|(dk, _)| dm <= dk) => {
                    self.now = dm;
                    let _ = self.deliver(id, out);
                }
                (_, Some((dk, c))) => {
                    self.now = dk;
                    self.keystroke(c, out);
                    self.settle(out);
                }
                _ => break,
            }
        }
        self.now = self.now.max(t);
    }

    fn apply(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let now = self.now;
        match command {
            Command::Type { client, text } => self.type_text(*client, text, out)?,
            Command::Backspace { client, count } => {
                if *count == 0 {
                    return Err(Refusal("erase at least one character".into()));
                }
                self.backspace(*client, *count, out)?
            }
            Command::Select {
                client,
                pos,
                anchor,
            } => self.select(*client, *pos, *anchor, out)?,
            Command::Undo { client } => self.undo(*client, false, out)?,
            Command::Redo { client } => self.undo(*client, true, out)?,
            Command::DeliverNext { link } => {
                let ok = |c: u32| c < self.scenario.clients;
                let valid = match *link {
                    Link::Peer { from, to } => ok(from) && ok(to) && from != to,
                    Link::Up { client } | Link::Down { client } => ok(client),
                };
                if !valid {
                    return Err(Refusal(format!("no link {link}")));
                }
                self.deliverable(*link)?;
                let id = self
                    .next_on(*link)
                    .ok_or_else(|| Refusal(format!("nothing in flight on {link}")))?;
                self.deliver(id, out)?;
            }
            Command::Deliver { id } => {
                let link = self
                    .in_flight
                    .get(id)
                    .map(|m| m.link)
                    .ok_or_else(|| Refusal(format!("no message #{id} in flight")))?;
                self.deliverable(link)?;
                if link.engine() == Engine::Ot {
                    while let Some(first) = self.next_on(link) {
                        self.deliver(first, out)?;
                        if first == *id {
                            break;
                        }
                    }
                } else {
                    self.deliver(*id, out)?;
                }
            }
            Command::DeliverAll => {
                let mut delivered = 0;
                while let Some((_, id)) = self.next_open() {
                    if delivered >= MAX_DELIVER_ALL {
                        return Err(Refusal(format!(
                            "stopped after delivering {MAX_DELIVER_ALL} messages"
                        )));
                    }
                    self.deliver(id, out)?;
                    delivered += 1;
                }
                if delivered == 0 {
                    return Err(Refusal("nothing deliverable in flight".into()));
                }
            }
            Command::Auto { on } => {
                if self.auto == *on {
                    return Err(Refusal(format!(
                        "automatic delivery is already {}",
                        if *on { "on" } else { "off" }
                    )));
                }
                self.auto = *on;
                out.emit(now, Event::Auto { on: *on });
                if *on {
                    self.release_held();
                }
            }
            Command::Offline { client, on } => {
                let c = self.client_ok(*client)?;
                if self.offline[c] == *on {
                    return Err(Refusal(format!(
                        "c{client} is already {}",
                        if *on { "offline" } else { "online" }
                    )));
                }
                self.offline[c] = *on;
                out.emit(
                    now,
                    Event::Offline {
                        client: *client,
                        on: *on,
                    },
                );
                self.drop_cut_presence(out);
                self.release_held();
            }
            Command::Partition { groups } => {
                let mut group = vec![0; self.scenario.clients as usize];
                for (g, members) in groups.iter().enumerate() {
                    if members.is_empty() {
                        return Err(Refusal("a partition group is empty".into()));
                    }
                    for &m in members {
                        let c = self.client_ok(m)?;
                        if group[c] != 0 {
                            return Err(Refusal(format!("c{m} is in two groups")));
                        }
                        group[c] = g as u32 + 1;
                    }
                }
                if groups.is_empty() {
                    return Err(Refusal("list at least one group to cut off".into()));
                }
                self.group = group;
                self.groups = groups.clone();
                out.emit(
                    now,
                    Event::Partitioned {
                        groups: groups.clone(),
                    },
                );
                self.drop_cut_presence(out);
            }
            Command::Heal => {
                if self.groups.is_empty() {
                    return Err(Refusal("there is no partition to heal".into()));
                }
                self.group.iter_mut().for_each(|g| *g = 0);
                self.groups.clear();
                out.emit(now, Event::Healed);
                self.release_held();
            }
            Command::Typist { client, on } => {
                let c = self.client_ok(*client)?;
                if self.typists[c].on == *on {
                    return Err(Refusal(format!(
                        "c{client}'s typist is already {}",
                        if *on { "on" } else { "off" }
                    )));
                }
                let t = &mut self.typists[c];
                t.on = *on;
                t.next = now + 1000 / self.scenario.typing_cps as Time;
                out.emit(
                    now,
                    Event::Typist {
                        client: *client,
                        on: *on,
                    },
                );
            }
        }
        self.settle(out);
        Ok(())
    }

    fn check(&self) -> Option<Violation> {
        let violation = |invariant: &str, detail: String| {
            Some(Violation {
                invariant: invariant.into(),
                detail,
            })
        };
        for c in 0..self.scenario.clients {
            let up = self.session.queued_up(c).count();
            let down = self.session.queued_down(c).count();
            let len = |l: Link| self.ot_queues.get(&l).map_or(0, VecDeque::len);
            if up != len(Link::Up { client: c }) || down != len(Link::Down { client: c }) {
                return violation(
                    "ot links",
                    format!("c{c}: the session queues {up} up and {down} down, the network holds other counts"),
                );
            }
        }
        if self.schedule.len() != self.in_flight.len() {
            return violation(
                "network",
                format!(
                    "{} messages in flight but {} scheduled",
                    self.in_flight.len(),
                    self.schedule.len()
                ),
            );
        }
        let crdt = self.complete(Engine::Crdt);
        let ot = self.complete(Engine::Ot);
        if crdt {
            if let Some(d) = self.divergence(Engine::Crdt) {
                return violation("crdt converges", d);
            }
        }
        if ot {
            if let Some(d) = self.divergence(Engine::Ot) {
                return violation("ot converges", d);
            }
        }
        if crdt {
            if let Some(d) = self.presence_divergence() {
                return violation("crdt presence", d);
            }
        }
        if crdt && ot && self.concurrent_edits == 0 {
            let (a, b) = (self.text(Engine::Crdt, 0), self.text(Engine::Ot, 0));
            if a != b {
                return violation(
                    "engines agree",
                    format!(
                        "no edit was concurrent, yet {}",
                        differ("crdt", &a, "ot", &b)
                    ),
                );
            }
        }
        None
    }

    fn metrics(&self) -> Metrics {
        let mut m = self.metrics.clone();
        for (engine, s) in [("crdt", self.crdt_stats), ("ot", self.ot_stats)] {
            for (name, v) in [
                ("messages", s.messages),
                ("bytes", s.bytes),
                ("meta_bytes", s.meta_bytes),
                ("presence_messages", s.presence_messages),
                ("presence_bytes", s.presence_bytes),
                ("delivered", s.delivered),
                ("duplicates", s.duplicates),
                ("converged", s.converged),
                ("divergences", s.divergences),
            ] {
                m.counters.insert(format!("{engine}_{name}"), v);
            }
        }
        m.counters.insert("edits".into(), self.edits);
        m.counters
            .insert("concurrent_edits".into(), self.concurrent_edits);
        m.counters
            .insert("engine_differences".into(), self.engine_differences);
        m.counters
            .insert("in_flight".into(), self.in_flight.len() as u64);
        m
    }
}

/// A script touching every input: typing by hand at the same place on two clients, an
/// offline client whose edits sync on reconnect, a partition and its healing, manual delivery
/// (next on a link, by id, everything), undo and redo, caret moves, and typists that all
/// stop by 75 s, so that the rest of an hour is quiet and the run converges.
pub fn sample_inputs() -> Vec<(Time, serde_json::Value)> {
    use serde_json::json;
    vec![
        (500, json!({"type": {"client": 2, "text": "Hello"}})),
        (3_000, json!({"type": {"client": 0, "text": "A"}})),
        (3_000, json!({"type": {"client": 1, "text": "B"}})),
        (5_000, json!({"offline": {"client": 1, "on": true}})),
        (5_500, json!({"type": {"client": 1, "text": " offline"}})),
        (12_000, json!({"offline": {"client": 1, "on": false}})),
        (15_000, json!({"partition": {"groups": [[0]]}})),
        (16_000, json!({"type": {"client": 2, "text": " cut"}})),
        (20_000, json!("heal")),
        (25_000, json!({"auto": {"on": false}})),
        (25_000, json!({"type": {"client": 2, "text": "!"}})),
        (
            26_000,
            json!({"deliver_next": {"link": {"peer": {"from": 2, "to": 0}}}}),
        ),
        (
            26_500,
            json!({"deliver_next": {"link": {"up": {"client": 2}}}}),
        ),
        (27_000, json!({"deliver": {"id": 1}})),
        (28_000, json!("deliver_all")),
        (28_000, json!({"auto": {"on": true}})),
        (30_000, json!({"undo": {"client": 2}})),
        (31_000, json!({"redo": {"client": 2}})),
        (32_000, json!({"select": {"client": 2, "pos": 0}})),
        (32_500, json!({"backspace": {"client": 2, "count": 2}})),
        (
            33_000,
            json!({"select": {"client": 1, "pos": 1, "anchor": 4}}),
        ),
        (40_000, json!({"typist": {"client": 2, "on": true}})),
        (50_000, json!({"offline": {"client": 2, "on": true}})),
        (60_000, json!({"typist": {"client": 0, "on": false}})),
        (62_000, json!({"offline": {"client": 2, "on": false}})),
        (70_000, json!({"typist": {"client": 1, "on": false}})),
        (75_000, json!({"typist": {"client": 2, "on": false}})),
        (75_000, json!({"undo": {"client": 0}})),
    ]
}
