//! A server and its clients joined by message queues, one per link and direction, each
//! delivered in order (as over TCP). The caller decides which link delivers next, by hand or
//! from a seeded schedule, so every interleaving the protocol can meet is reachable; the
//! session only moves messages and reports what happened as [`Event`]s.
//!
//! ```text
//!   client 0 ──up 0──►            ──down 0──► client 0
//!   client 1 ──up 1──►   server   ──down 1──► client 1
//!   client 2 ──up 2──►            ──down 2──► client 2
//! ```

use std::collections::VecDeque;
use std::fmt;

use super::op::{Op, OtError, Selection};
use super::protocol::{
    Client, ClientId, ClientState, Outgoing, Revision, Server, TransformStep, UndoSettings,
};
use crate::sim::Time;

/// What a client sends the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Up {
    /// An operation made on a revision.
    Op(Outgoing),
    /// The sender's caret, on a revision.
    Presence(Revision, Selection),
}

/// What the server sends a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Down {
    /// The client's operation entered the history at this revision.
    Ack(Revision),
    /// Someone else's operation, as it entered the history.
    Remote(Revision, ClientId, Op),
    /// Someone else's caret, at a revision.
    Presence(Revision, ClientId, Selection),
}

/// A link and its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Link {
    /// From this client to the server.
    Up(ClientId),
    /// From the server to this client.
    Down(ClientId),
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Link::Up(c) => write!(f, "up {c}"),
            Link::Down(c) => write!(f, "down {c}"),
        }
    }
}

/// What happened in the session, one line each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A client changed its document (an edit, an undo or a redo) and perhaps sent it.
    Local {
        client: ClientId,
        what: &'static str,
        op: Op,
        sent: bool,
        doc: String,
    },
    /// The server put an operation in its history.
    Applied {
        author: ClientId,
        revision: Revision,
        op: Op,
        doc: String,
    },
    /// A transform, on the server or a client.
    Transform(TransformStep),
    /// A client's operation was acknowledged; perhaps its buffer went out.
    Acked {
        client: ClientId,
        revision: Revision,
        sent: Option<Op>,
    },
    /// The server forwarded a client's caret, moved to its current revision.
    Forwarded {
        client: ClientId,
        revision: Revision,
        selection: Selection,
    },
    /// A client shows another's caret.
    Caret {
        client: ClientId,
        peer: ClientId,
        selection: Selection,
    },
    /// A client applied someone else's operation.
    Remote {
        client: ClientId,
        revision: Revision,
        applied: Op,
        doc: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Local {
                client,
                what,
                op,
                sent,
                doc,
            } => write!(
                f,
                "client {client} {what} {op}{} -> {doc:?}",
                if *sent { ", sent" } else { "" }
            ),
            Event::Applied {
                author,
                revision,
                op,
                doc,
            } => write!(
                f,
                "server r{revision} from client {author}: {op} -> {doc:?}"
            ),
            Event::Transform(step) => write!(f, "  {step}"),
            Event::Acked {
                client,
                revision,
                sent,
            } => match sent {
                Some(op) => write!(f, "client {client} ack r{revision}, sent buffer {op}"),
                None => write!(f, "client {client} ack r{revision}"),
            },
            Event::Forwarded {
                client,
                revision,
                selection,
            } => write!(
                f,
                "server forwards client {client}'s caret at r{revision}: {}..{}",
                selection.anchor, selection.head
            ),
            Event::Caret {
                client,
                peer,
                selection,
            } => write!(
                f,
                "client {client} shows client {peer}'s caret at {}..{}",
                selection.anchor, selection.head
            ),
            Event::Remote {
                client,
                revision,
                applied,
                doc,
            } => write!(
                f,
                "client {client} remote r{revision} as {applied} -> {doc:?}"
            ),
        }
    }
}

/// A server, its clients and the queues between them.
#[derive(Clone, Debug)]
pub struct Session {
    server: Server,
    clients: Vec<Client>,
    up: Vec<VecDeque<Up>>,
    down: Vec<VecDeque<Down>>,
    /// Whether each client's caret changed since it was last sent.
    presence_due: Vec<bool>,
}

impl Session {
    /// `clients` clients, all starting from `doc`.
    pub fn new(clients: usize, doc: &str, undo: UndoSettings) -> Session {
        Session {
            server: Server::new(doc),
            clients: (0..clients)
                .map(|i| Client::new(i as ClientId, doc, 0, undo))
                .collect(),
            up: vec![VecDeque::new(); clients],
            down: vec![VecDeque::new(); clients],
            presence_due: vec![false; clients],
        }
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// The messages waiting on the uplink from `client`, oldest first.
    pub fn queued_up(&self, client: ClientId) -> impl Iterator<Item = &Up> {
        self.up.get(client as usize).into_iter().flatten()
    }

    /// The messages waiting on the downlink to `client`, oldest first.
    pub fn queued_down(&self, client: ClientId) -> impl Iterator<Item = &Down> {
        self.down.get(client as usize).into_iter().flatten()
    }

    /// Every link with a message waiting, uplinks first, by client.
    pub fn busy_links(&self) -> Vec<Link> {
        let ups = (0..self.up.len())
            .filter(|&c| !self.up[c].is_empty())
            .map(|c| Link::Up(c as ClientId));
        let downs = (0..self.down.len())
            .filter(|&c| !self.down[c].is_empty())
            .map(|c| Link::Down(c as ClientId));
        ups.chain(downs).collect()
    }

    /// True when no message is waiting and every client is synchronized.
    pub fn quiet(&self) -> bool {
        self.busy_links().is_empty()
            && self
                .clients
                .iter()
                .all(|c| c.state() == &ClientState::Synchronized)
    }

    fn client(&mut self, client: ClientId) -> Result<&mut Client, OtError> {
        self.clients
            .get_mut(client as usize)
            .ok_or(OtError::Unexpected("no such client"))
    }

    fn local(
        &mut self,
        client: ClientId,
        what: &'static str,
        op: Op,
        out: Option<Outgoing>,
        events: &mut Vec<Event>,
    ) {
        let sent = out.is_some();
        if let Some(o) = out {
            self.up[client as usize].push_back(Up::Op(o));
        }
        events.push(Event::Local {
            client,
            what,
            op,
            sent,
            doc: self.clients[client as usize].doc().to_string(),
        });
        self.presence_due[client as usize] = true;
        self.share_presence(client);
    }

    /// Sends `client`'s caret if it changed and the client is synchronized.
    fn share_presence(&mut self, client: ClientId) {
        let c = client as usize;
        if self.presence_due[c] {
            if let Some((revision, selection)) = self.clients[c].presence() {
                self.up[c].push_back(Up::Presence(revision, selection));
                self.presence_due[c] = false;
            }
        }
    }

    /// A local edit by `client` at `now`.
    pub fn edit(
        &mut self,
        client: ClientId,
        op: &Op,
        now: Time,
        events: &mut Vec<Event>,
    ) -> Result<(), OtError> {
        let out = self.client(client)?.edit(op, now)?;
        self.local(client, "edit", op.clone(), out, events);
        Ok(())
    }

    /// Places `client`'s caret; an unknown client is ignored.
    pub fn select(&mut self, client: ClientId, selection: Selection) {
        if let Some(c) = self.clients.get_mut(client as usize) {
            c.select(selection);
            self.presence_due[client as usize] = true;
            self.share_presence(client);
        }
    }

    /// `client` undoes its latest undo step (nothing happens when there is none).
    pub fn undo(&mut self, client: ClientId, events: &mut Vec<Event>) -> Result<(), OtError> {
        if let Some((op, out)) = self.client(client)?.undo()? {
            self.local(client, "undo", op, out, events);
        }
        Ok(())
    }

    /// `client` redoes its latest undone step.
    pub fn redo(&mut self, client: ClientId, events: &mut Vec<Event>) -> Result<(), OtError> {
        if let Some((op, out)) = self.client(client)?.redo()? {
            self.local(client, "redo", op, out, events);
        }
        Ok(())
    }

    /// Delivers the oldest message on `link`; an empty link does nothing.
    pub fn deliver(&mut self, link: Link, events: &mut Vec<Event>) -> Result<(), OtError> {
        let mut steps = Vec::new();
        match link {
            Link::Up(c) => {
                let Some(msg) = self.up.get_mut(c as usize).and_then(|q| q.pop_front()) else {
                    return Ok(());
                };
                let msg = match msg {
                    Up::Op(msg) => msg,
                    Up::Presence(base, selection) => {
                        let selection = self.server.presence(base, selection)?;
                        let revision = self.server.revision();
                        events.push(Event::Forwarded {
                            client: c,
                            revision,
                            selection,
                        });
                        for (i, q) in self.down.iter_mut().enumerate() {
                            if i != c as usize {
                                q.push_back(Down::Presence(revision, c, selection));
                            }
                        }
                        return Ok(());
                    }
                };
                let entry = self.server.receive(c, msg.base, &msg.op, &mut steps)?;
                events.extend(steps.into_iter().map(Event::Transform));
                events.push(Event::Applied {
                    author: c,
                    revision: entry.revision,
                    op: entry.op.clone(),
                    doc: self.server.doc().to_string(),
                });
                for (i, q) in self.down.iter_mut().enumerate() {
                    q.push_back(if i == c as usize {
                        Down::Ack(entry.revision)
                    } else {
                        Down::Remote(entry.revision, c, entry.op.clone())
                    });
                }
            }
            Link::Down(c) => {
                let Some(msg) = self.down.get_mut(c as usize).and_then(|q| q.pop_front()) else {
                    return Ok(());
                };
                match msg {
                    Down::Ack(revision) => {
                        let out = self.client(c)?.on_ack(revision)?;
                        let sent = out.as_ref().map(|o| o.op.clone());
                        if let Some(o) = out {
                            self.up[c as usize].push_back(Up::Op(o));
                        }
                        events.push(Event::Acked {
                            client: c,
                            revision,
                            sent,
                        });
                        self.share_presence(c);
                    }
                    Down::Presence(revision, peer, selection) => {
                        let client = self.client(c)?;
                        client.on_presence(peer, revision, selection)?;
                        let shown = client.peers().get(&peer).copied().unwrap_or(selection);
                        events.push(Event::Caret {
                            client: c,
                            peer,
                            selection: shown,
                        });
                    }
                    Down::Remote(revision, _, op) => {
                        let client = self.client(c)?;
                        let applied = client.on_remote(revision, &op, &mut steps)?;
                        let doc = client.doc().to_string();
                        events.extend(steps.into_iter().map(Event::Transform));
                        events.push(Event::Remote {
                            client: c,
                            revision,
                            applied,
                            doc,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Delivers messages until none is waiting, choosing each time the busy link
    /// `choose(number of busy links)` names.
    pub fn quiesce(
        &mut self,
        mut choose: impl FnMut(usize) -> usize,
        events: &mut Vec<Event>,
    ) -> Result<(), OtError> {
        loop {
            let busy = self.busy_links();
            if busy.is_empty() {
                return Ok(());
            }
            let link = busy[choose(busy.len()).min(busy.len() - 1)];
            self.deliver(link, events)?;
        }
    }

    /// The first difference from the server's document, if any (meaningful when quiet).
    pub fn divergence(&self) -> Option<String> {
        self.clients.iter().find_map(|c| {
            (c.doc() != self.server.doc()).then(|| {
                format!(
                    "client {} holds {:?}, the server {:?}",
                    c.id(),
                    c.doc(),
                    self.server.doc()
                )
            })
        })
    }
}
