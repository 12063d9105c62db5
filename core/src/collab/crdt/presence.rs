//! Presence for the sequence CRDT: where the other users' carets and selections are, tied to
//! characters rather than positions, as the Yjs awareness protocol does.
//!
//! A user's selection is two [`Anchor`]s: the `head` (the caret, where typing goes) and, for
//! a selection, the `tail` (its other end). Each change is announced as a [`Presence`] with a
//! per-sender counter, `clock`, that grows by one per announcement. A receiver keeps, per
//! sender, the newest presence it has seen:
//!
//! | presence received | what the receiver does | [`Received`] |
//! |---|---|---|
//! | older than the newest seen (reordered, or a network copy) | ignores it | `Stale` |
//! | the newest seen again (a duplicate) | ignores it | `Duplicate` |
//! | newer, and every anchored character is here | shows it | `Shown` |
//! | newer, but names a character not received yet | keeps it pending, still shows the last one shown (if any) | `Pending` |
//!
//! A pending presence is shown as soon as the characters it names arrive
//! ([`Presences::resolve_pending`]). Positions are never stored: they are computed from the
//! anchors on the receiver's own replica each time they are asked for, so a remote caret
//! stays on its character through any later edit, and when that character is deleted it
//! stays at the tombstone's place.
//!
//! ```text
//!   c0 "ab|c"  head = after 0@1 ──presence #3──► c1 "ab|c"          shown at 2
//!   c1 types "X" at 0                            c1 "Xab|c"         the anchor moves it to 3
//!   c0 types "d" after "c": head = after 0@3 ─#4─► c1 lacks 0@3    pending (#3 still drawn)
//!   the insert of 0@3 reaches c1 ───────────────► c1 "Xabcd|"       #4 shown at 5
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Agent, Anchor, Id, Replica};

/// A caret and, for a selection, its other end, as anchors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchoredSelection {
    /// The caret: where the user types.
    pub head: Anchor,
    /// The selection's other end (OT's `anchor`), or `None` for a plain caret.
    pub tail: Option<Anchor>,
}

impl AnchoredSelection {
    /// A plain caret.
    pub fn caret(head: Anchor) -> AnchoredSelection {
        AnchoredSelection { head, tail: None }
    }

    /// The first character named by an anchor that `replica` has not received.
    pub fn missing(&self, replica: &Replica) -> Option<Id> {
        [Some(self.head), self.tail]
            .into_iter()
            .flatten()
            .filter_map(Anchor::id)
            .find(|&id| !replica.doc().has_item(id))
    }
}

impl fmt::Display for AnchoredSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tail {
            None => write!(f, "{}", self.head),
            Some(tail) => write!(f, "{tail} .. {}", self.head),
        }
    }
}

/// One announcement of a user's selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Whose selection it is.
    pub agent: Agent,
    /// The sender's counter: 1 for its first announcement, one more for each next.
    pub clock: u64,
    pub selection: AnchoredSelection,
}

impl fmt::Display for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.selection.tail.is_some() {
            "selection"
        } else {
            "caret"
        };
        write!(
            f,
            "c{}'s {what} #{}: {}",
            self.agent, self.clock, self.selection
        )
    }
}

/// What [`Presences::receive`] did with a presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// Shown now.
    Shown,
    /// Kept until the character `missing` arrives; the last presence shown stays drawn.
    Pending { missing: Id },
    /// Older than presence `newest` of the same sender, seen already: ignored.
    Stale { newest: u64 },
    /// Seen already: ignored.
    Duplicate,
}

/// Another user's selection as this replica shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCaret {
    pub agent: Agent,
    /// The presence shown, if any: its counter, caret position and selection's other end.
    pub shown: Option<(u64, usize, Option<usize>)>,
    /// A newer presence waiting for a character: its counter and the character.
    pub pending: Option<(u64, Id)>,
}

/// What a replica knows of one other user's selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Peer {
    shown: Option<(u64, AnchoredSelection)>,
    pending: Option<(u64, AnchoredSelection)>,
}

impl Peer {
    fn newest(&self) -> u64 {
        let clock = |p: &Option<(u64, AnchoredSelection)>| p.map_or(0, |(c, _)| c);
        clock(&self.shown).max(clock(&self.pending))
    }
}

/// The other users' selections as one replica knows them. See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Presences {
    /// By agent, sorted (a few peers: a vector is smaller than a map in the wasm bundle).
    peers: Vec<(Agent, Peer)>,
}

impl Presences {
    pub fn new() -> Presences {
        Presences::default()
    }

    fn peer(&self, agent: Agent) -> Option<&Peer> {
        let i = self.peers.binary_search_by_key(&agent, |p| p.0).ok()?;
        Some(&self.peers[i].1)
    }

    /// Takes in a presence received by `replica`'s owner.
    pub fn receive(&mut self, replica: &Replica, presence: Presence) -> Received {
        let i = match self.peers.binary_search_by_key(&presence.agent, |p| p.0) {
            Ok(i) => i,
            Err(i) => {
                self.peers.insert(i, (presence.agent, Peer::default()));
                i
            }
        };
        let peer = &mut self.peers[i].1;
        let newest = peer.newest();
        if presence.clock < newest {
            return Received::Stale { newest };
        }
        if presence.clock == newest {
            return Received::Duplicate;
        }
        match presence.selection.missing(replica) {
            Some(missing) => {
                peer.pending = Some((presence.clock, presence.selection));
                Received::Pending { missing }
            }
            None => {
                peer.shown = Some((presence.clock, presence.selection));
                peer.pending = None;
                Received::Shown
            }
        }
    }

    /// Shows the pending presences whose characters `replica` now has (call it after the
    /// replica received operations); returns the senders and counters newly shown.
    pub fn resolve_pending(&mut self, replica: &Replica) -> Vec<(Agent, u64)> {
        let mut shown = Vec::new();
        for (agent, peer) in &mut self.peers {
            let agent = *agent;
            if let Some((clock, selection)) = peer.pending {
                if selection.missing(replica).is_none() {
                    peer.shown = Some((clock, selection));
                    peer.pending = None;
                    shown.push((agent, clock));
                }
            }
        }
        shown
    }

    /// The newest presence counter seen from `agent` (0 for none).
    pub fn newest(&self, agent: Agent) -> u64 {
        self.peer(agent).map_or(0, Peer::newest)
    }

    /// Whether any presence waits for a character.
    pub fn any_pending(&self) -> bool {
        self.peers.iter().any(|(_, p)| p.pending.is_some())
    }

    /// Every other user heard from, with where `replica` shows them now.
    pub fn carets(&self, replica: &Replica) -> Vec<PeerCaret> {
        self.peers
            .iter()
            .map(|&(agent, p)| PeerCaret {
                agent,
                shown: p.shown.map(|(clock, s)| {
                    (
                        clock,
                        replica.resolve(s.head),
                        s.tail.map(|t| replica.resolve(t)),
                    )
                }),
                pending: p
                    .pending
                    .and_then(|(clock, s)| s.missing(replica).map(|id| (clock, id))),
            })
            .collect()
    }

    /// Where `replica` shows `agent`'s selection now: the caret and the selection's other end.
    pub fn shown(&self, replica: &Replica, agent: Agent) -> Option<(usize, Option<usize>)> {
        let (_, s) = self.peer(agent)?.shown?;
        Some((replica.resolve(s.head), s.tail.map(|t| replica.resolve(t))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caret_stays_on_its_character_and_waits_for_a_missing_one() {
        let mut a = Replica::new(0);
        let mut b = Replica::new(1);
        let op = a.insert(0, "abc").unwrap_or_else(|e| panic!("{e}"));
        let _ = b.receive(op);
        let mut seen = Presences::new();
        let at_2 = AnchoredSelection::caret(a.anchor(2));
        let p = |clock, selection| Presence {
            agent: 0,
            clock,
            selection,
        };
        assert_eq!(seen.receive(&b, p(1, at_2)), Received::Shown);
        assert_eq!(seen.shown(&b, 0), Some((2, None)));
        let x = b.insert(0, "X").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            seen.shown(&b, 0),
            Some((3, None)),
            "moved by a remote insert"
        );
        let _ = a.receive(x);
        let d = a.insert(4, "d").unwrap_or_else(|e| panic!("{e}"));
        let at_end = AnchoredSelection::caret(a.anchor(5));
        assert_eq!(
            seen.receive(&b, p(3, at_end)),
            Received::Pending {
                missing: Id::new(0, 3)
            }
        );
        assert_eq!(seen.receive(&b, p(2, at_2)), Received::Stale { newest: 3 });
        assert_eq!(seen.receive(&b, p(3, at_end)), Received::Duplicate);
        assert_eq!(seen.shown(&b, 0), Some((3, None)), "the last shown stays");
        let _ = b.receive(d);
        assert_eq!(seen.resolve_pending(&b), vec![(0, 3)]);
        assert_eq!(seen.shown(&b, 0), Some((5, None)));
        let del = b.delete(3, 2).unwrap_or_else(|e| panic!("{e}"));
        let _ = del;
        assert_eq!(
            seen.shown(&b, 0),
            Some((3, None)),
            "at the tombstone's place"
        );
    }

    #[test]
    fn a_selection_keeps_its_characters_when_text_is_typed_at_its_edges() {
        let mut a = Replica::new(0);
        let _ = a.insert(0, "hello");
        let sel = AnchoredSelection {
            head: a.anchor(4),
            tail: Some(a.anchor_before(1)),
        };
        let mut seen = Presences::new();
        let p = Presence {
            agent: 0,
            clock: 1,
            selection: sel,
        };
        assert_eq!(seen.receive(&a, p), Received::Shown);
        let _ = a.insert(4, "!");
        let _ = a.insert(1, "?");
        assert_eq!(a.text(), "h?ell!o");
        assert_eq!(seen.shown(&a, 0), Some((5, Some(2))), "still \"ell\"");
        assert_eq!(a.locate(Anchor::End), Some(7));
        assert_eq!(a.anchor_before(7), Anchor::End);
    }
}
