//! The collaborative editing lab's page: one live editor per client, the CRDT and OT text of
//! each, the network with its messages in flight, OT's state machines and transform steps,
//! the CRDT's characters with ids and tombstones, and the two engines' metrics side by side.
//!
//! ```text
//!   crdt | ot  messages, bytes, metadata, converge p50       engines: agree ✓   [auto] [all]
//!   ┌ c0 ─ offline ─ typist ─ undo ─ redo ┐  ┌ c1 … ┐        network (click a dot: deliver)
//!   │ textarea (the CRDT text: type here)  │  │      │           c0 ●──●───● c1
//!   │ ot: "…" synchronized r12             │  │      │             ╲ server ╱
//!   └──────────────────────────────────────┘  └──────┘        per link: [next] #12 #15 …
//!   OT server r12: transform steps          CRDT items of c0: h e l̶ l̶ o (ids on hover)
//! ```
//!
//! The run is the source of truth: a textarea's input is turned into commands (move the
//! caret or select, erase, type) at the CRDT caret, and the textarea is redrawn from the run.
//! Nothing here decides what the engines do.
//!
//! Other clients' carets and selections are drawn in each client's colour with a name tag:
//! in the CRDT editor (from the client's CRDT presence, on a mirror of the text behind the
//! transparent textarea, which wraps and scrolls with it) and in the OT line (from OT's
//! transformed carets), with a legend under the editor saying where each one is and whether
//! a newer CRDT presence is pending.

use std::cell::RefCell;
use std::rc::Rc;

use std::collections::BTreeMap;

use orrery_core::collab::crdt::{Node, Op as CrdtOp, Replica};
use orrery_core::collab::lab::{CollabLab, Engine, EngineStats, Link, Payload};
use orrery_core::collab::ot::ClientState;
use orrery_core::registry::LabRun;
use orrery_core::{Run, Simulation, Time};
use serde_json::{json, Value};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use super::LabUi;
use crate::lab_page::SlowView;
use crate::state::Side;

mod live;
use crate::components::faults::{Fault, Palette};

/// The collab lab's entry in [`super::ui`].
pub const UI: LabUi = LabUi {
    view,
    palette,
    choices,
    form_order: &[
        "seed",
        "clients",
        "typists",
        "typist_kind",
        "typing_cps",
        "pause_ms",
        "latency",
        "latency_ms",
        "jitter_ms",
        "reorder",
        "duplicate_permille",
        "auto_deliver",
        "crdt_presence",
    ],
    compare: &[("latency", LATENCIES), ("typist_kind", TYPIST_KINDS)],
    describe,
    prepare: None,
};

const LATENCIES: &[&str] = &["fixed", "uniform", "long_tail"];
/// Random keystrokes, or the opening of a real editing trace (`TypistKind`).
const TYPIST_KINDS: &[&str] = &["random", "trace"];
/// Messages drawn as chips per link under the network; the rest are counted.
const CHIPS_SHOWN: usize = 8;
/// Messages drawn as dots on the network; the rest are counted (8 busy typists keep about a
/// thousand CRDT messages in flight).
const DOTS_SHOWN: usize = 240;
/// CRDT items drawn; the rest are counted.
const ITEMS_SHOWN: usize = 400;
/// Causal graph nodes drawn (the latest).
const GRAPH_SHOWN: usize = 36;
/// Transform steps listed.
const STEPS_SHOWN: usize = 12;
/// Each client's colour (carets, selections, name tags), by client number.
const CLIENT_COLOURS: &[&str] = &[
    "#0f8b8d", "#7b4bb7", "#c2410c", "#2563eb", "#b91c1c", "#4d7c0f", "#a16207", "#be185d",
];

fn colour(client: u32) -> &'static str {
    CLIENT_COLOURS[client as usize % CLIENT_COLOURS.len()]
}

/// Another client's caret (and selection) as one engine shows it here.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PeerMark {
    client: u32,
    /// The caret and the selection's other end, when shown.
    shown: Option<(usize, Option<usize>)>,
    /// A newer CRDT presence waiting for a character: its counter and the character.
    pending: Option<(u64, String)>,
}

fn collab_run(run: &dyn LabRun) -> Option<&Run<CollabLab>> {
    run.as_any().downcast_ref::<Run<CollabLab>>()
}

/// One client as drawn.
#[derive(Clone, Debug, PartialEq)]
struct ClientSnap {
    crdt_text: String,
    ot_text: String,
    crdt_caret: usize,
    ot_caret: usize,
    state: &'static str,
    pending: Option<String>,
    buffer: Option<String>,
    revision: u64,
    offline: bool,
    typist: bool,
    undo: (usize, usize),
    buffered_crdt: usize,
    /// The other end of this client's own CRDT selection.
    crdt_tail: Option<usize>,
    /// Other clients' carets as the CRDT (presence) and OT show them here.
    crdt_peers: Vec<PeerMark>,
    ot_peers: Vec<PeerMark>,
}

#[derive(Clone, Debug, PartialEq)]
struct MsgSnap {
    id: u64,
    link: Link,
    label: String,
    progress: f64,
    blocked: bool,
    copy: bool,
    /// Drawn as a dot on the network.
    dot: bool,
}

/// One CRDT item as drawn: its id, character, whether it is a tombstone, and its agent.
type ItemSnap = (String, char, bool, u32);
/// A client's items (at most [`ITEMS_SHOWN`]) and how many there are in all.
type ItemsSnap = (Vec<ItemSnap>, usize);

/// What one frame draws, copied out of the run.
#[derive(Clone, Debug, PartialEq)]
struct Snap {
    clients: Vec<ClientSnap>,
    server_rev: u64,
    /// The messages drawn: the first [`DOTS_SHOWN`] in flight as dots, and the first
    /// [`CHIPS_SHOWN`] of each link as chips.
    messages: Vec<MsgSnap>,
    in_flight: usize,
    /// Messages in flight per link.
    links: Vec<(Link, usize)>,
    stats: [EngineStats; 2],
    converge_p50: [u64; 2],
    complete: [bool; 2],
    edits: (u64, u64),
    auto: bool,
    partition: Vec<Vec<u32>>,
    /// Whether CRDT clients send presence (off in links made before it).
    crdt_presence: bool,
    /// The run's address, by which [`Internals`] finds it again in the session.
    run: usize,
}

/// What the internal views draw (the OT server's transform steps, one client's CRDT items and
/// causal graph), copied out of the run only when the page's slow revision moves.
#[derive(Clone, Debug, Default, PartialEq)]
struct InternalsSnap {
    server_rev: u64,
    steps: Vec<String>,
    /// The shown client's items and causal graph.
    items: Rc<ItemsSnap>,
    graph: Rc<GraphSnap>,
}

/// The latest [`GRAPH_SHOWN`] nodes of a replica's causal graph, and the index of the first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct GraphSnap {
    first: usize,
    nodes: Vec<Node>,
}

/// What a replica's drawings are computed from: the run (its address), the client, and the
/// replica's log (its length and last operation). A replica changes only when its log grows,
/// so a drawing computed for a key is still right while the key is the same.
type ReplicaKey = (usize, usize, usize, Option<CrdtOp>);

fn replica_key(run: usize, client: usize, replica: &Replica) -> ReplicaKey {
    (
        run,
        client,
        replica.log().len(),
        replica.log().last().cloned(),
    )
}

/// Drawings by `(run, client)`, with the key they were computed for.
type Cache<T> = RefCell<BTreeMap<(usize, usize), (ReplicaKey, Rc<T>)>>;

thread_local! {
    /// Causal graphs and item lists already computed, by replica.
    static GRAPHS: Cache<GraphSnap> = const { RefCell::new(BTreeMap::new()) };
    static ITEMS: Cache<ItemsSnap> = const { RefCell::new(BTreeMap::new()) };
}

/// Looks a replica's drawing up in `cache`, computing it when the replica changed.
fn cached<T>(
    cache: &'static std::thread::LocalKey<Cache<T>>,
    run: usize,
    client: usize,
    replica: &Replica,
    compute: impl FnOnce(&Replica) -> T,
) -> Rc<T> {
    let key = replica_key(run, client, replica);
    cache.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((k, v)) = c.get(&(run, client)) {
            if *k == key {
                return Rc::clone(v);
            }
        }
        let v = Rc::new(compute(replica));
        // Forget the drawings of runs that are gone (a reset, a new seed): compare mode draws
        // two runs of at most 8 clients.
        if c.len() >= 2 * 8 {
            c.retain(|&(r, _), _| r == run);
        }
        c.insert((run, client), (key, Rc::clone(&v)));
        v
    })
}

/// The latest nodes of a replica's causal graph.
fn graph_of(run: usize, client: usize, replica: &Replica) -> Rc<GraphSnap> {
    cached(&GRAPHS, run, client, replica, |r| {
        let nodes = r.causal_graph();
        let first = nodes.len().saturating_sub(GRAPH_SHOWN);
        GraphSnap {
            first,
            nodes: nodes[first..].to_vec(),
        }
    })
}

/// A replica's first [`ITEMS_SHOWN`] items and how many there are.
fn items_of(run: usize, client: usize, replica: &Replica) -> Rc<ItemsSnap> {
    cached(&ITEMS, run, client, replica, |r| {
        let all = r.items();
        let n = all.len();
        let shown = all
            .into_iter()
            .take(ITEMS_SHOWN)
            .map(|i| (i.id.to_string(), i.ch, i.deleted, i.id.agent))
            .collect();
        (shown, n)
    })
}

fn progress(sent: Time, due: Time, now: Time) -> f64 {
    if due <= sent {
        return 0.9;
    }
    ((now.saturating_sub(sent)) as f64 / (due - sent) as f64).clamp(0.0, 0.9)
}

fn snapshot(run: &dyn LabRun) -> Option<Snap> {
    let r = collab_run(run)?;
    let lab = r.sim();
    let now = lab.now();
    let session = lab.session();
    let clients = (0..lab.clients())
        .map(|c| {
            let ot = &session.clients()[c as usize];
            let (pending, buffer) = match ot.state() {
                ClientState::Synchronized => (None, None),
                ClientState::AwaitingConfirm(p) => (Some(p.to_string()), None),
                ClientState::AwaitingWithBuffer(p, b) => (Some(p.to_string()), Some(b.to_string())),
            };
            ClientSnap {
                crdt_text: lab.text(Engine::Crdt, c),
                ot_text: lab.text(Engine::Ot, c),
                crdt_caret: lab.crdt_caret(c),
                ot_caret: lab.ot_caret(c),
                state: ot.state().name(),
                pending,
                buffer,
                revision: ot.revision(),
                offline: lab.offline(c),
                typist: lab.typist_on(c),
                undo: lab.undo_depth(c),
                buffered_crdt: lab.replica(c).map_or(0, |r| r.pending().len()),
                crdt_tail: lab.crdt_selection(c).1,
                crdt_peers: lab
                    .crdt_peers(c)
                    .into_iter()
                    .map(|p| PeerMark {
                        client: p.agent,
                        shown: p.shown.map(|(_, head, tail)| (head, tail)),
                        pending: p.pending.map(|(clock, id)| (clock, id.to_string())),
                    })
                    .collect(),
                ot_peers: ot
                    .peers()
                    .into_iter()
                    .map(|(p, s)| PeerMark {
                        client: p,
                        shown: Some((s.head, (s.anchor != s.head).then_some(s.anchor))),
                        pending: None,
                    })
                    .collect(),
            }
        })
        .collect();
    // Only the messages drawn (as dots, or as chips under their link) are copied and labelled;
    // 8 busy typists keep about a thousand in flight.
    let mut links: BTreeMap<Link, usize> = BTreeMap::new();
    let mut messages = Vec::new();
    let mut in_flight = 0;
    for m in lab.messages() {
        let on_link = links.entry(m.link).or_default();
        *on_link += 1;
        let dot = in_flight < DOTS_SHOWN;
        in_flight += 1;
        if dot || *on_link <= CHIPS_SHOWN {
            messages.push(MsgSnap {
                id: m.id,
                link: m.link,
                label: match &m.payload {
                    Payload::Crdt(op) => op.to_string(),
                    p => p.to_string(),
                },
                progress: progress(m.sent, m.due, now),
                blocked: lab.blocked(m.link),
                copy: m.copy,
                dot,
            });
        }
    }
    Some(Snap {
        clients,
        server_rev: session.server().revision(),
        messages,
        in_flight,
        links: links.into_iter().collect(),
        stats: [lab.stats(Engine::Crdt), lab.stats(Engine::Ot)],
        converge_p50: [
            lab.converge_summary(Engine::Crdt).p50,
            lab.converge_summary(Engine::Ot).p50,
        ],
        complete: [lab.complete(Engine::Crdt), lab.complete(Engine::Ot)],
        edits: lab.edits(),
        auto: lab.auto_deliver(),
        partition: lab.partition().to_vec(),
        crdt_presence: lab.scenario().crdt_presence,
        run: run_address(run),
    })
}

/// A run's address: what tells the two runs of compare mode apart.
fn run_address(run: &dyn LabRun) -> usize {
    run as *const dyn LabRun as *const () as usize
}

/// The internal views' data for client `shown` of a run.
fn internals(run: &dyn LabRun, shown: usize) -> Option<InternalsSnap> {
    let r = collab_run(run)?;
    let lab = r.sim();
    let recent = lab.recent_steps().count();
    let steps = lab
        .recent_steps()
        .skip(recent.saturating_sub(STEPS_SHOWN))
        .map(|s| s.to_string())
        .collect();
    let key = run_address(run);
    let replica = lab.replica(shown as u32);
    Some(InternalsSnap {
        server_rev: lab.session().server().revision(),
        steps,
        items: replica.map(|r| items_of(key, shown, r)).unwrap_or_default(),
        graph: replica.map(|r| graph_of(key, shown, r)).unwrap_or_default(),
    })
}

fn view(run: &dyn LabRun, on_command: &Callback<Value>) -> Html {
    match snapshot(run) {
        Some(snap) => html! {
            <CollabStage snap={Rc::new(snap)} on_command={on_command.clone()} />
        },
        None => html! { <p class="muted">{ "This run is not a collab run." }</p> },
    }
}

fn choices(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "latency" => Some(LATENCIES),
        "typist_kind" => Some(TYPIST_KINDS),
        _ => None,
    }
}

fn link_text(v: &Value) -> Option<String> {
    let (kind, args) = v.as_object()?.iter().next()?;
    let num = |k: &str| args.get(k).and_then(Value::as_u64);
    Some(match kind.as_str() {
        "peer" => format!("c{}→c{}", num("from")?, num("to")?),
        "up" => format!("c{}→server", num("client")?),
        "down" => format!("server→c{}", num("client")?),
        _ => return None,
    })
}

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    match command.as_str() {
        Some("deliver_all") => return Some("You delivered every message in flight".into()),
        Some("heal") => return Some("You healed the partition".into()),
        _ => {}
    }
    let (name, args) = command.as_object()?.iter().next()?;
    let num = |k: &str| args.get(k).and_then(Value::as_u64);
    let on = || args.get("on").and_then(Value::as_bool);
    Some(match name.as_str() {
        "type" => format!(
            "c{} typed {:?}",
            num("client")?,
            args.get("text").and_then(Value::as_str)?
        ),
        "backspace" => format!("c{} erased {}", num("client")?, num("count")?),
        "select" => match num("anchor") {
            Some(a) => format!("c{} selected {a}..{}", num("client")?, num("pos")?),
            None => format!("c{} moved the caret to {}", num("client")?, num("pos")?),
        },
        "undo" => format!("c{} pressed undo", num("client")?),
        "redo" => format!("c{} pressed redo", num("client")?),
        "deliver_next" => format!(
            "You delivered the next message on {}",
            link_text(args.get("link")?)?
        ),
        "deliver" => format!("You delivered message #{}", num("id")?),
        "auto" if on()? => "You turned automatic delivery on".into(),
        "auto" => "You turned automatic delivery off: deliver by hand".into(),
        "offline" if on()? => format!("You took c{} offline", num("client")?),
        "offline" => format!("You brought c{} back online", num("client")?),
        "typist" if on()? => format!("You started c{}'s typist", num("client")?),
        "typist" => format!("You stopped c{}'s typist", num("client")?),
        "partition" => "You cut the network into groups".into(),
        _ => return None,
    })
}

/// The fault buttons. Drawn on every frame, so it reads the few flags it needs from the run,
/// not a whole [`Snap`].
fn palette(run: &dyn LabRun) -> Palette {
    let Some(r) = collab_run(run) else {
        return Palette::default();
    };
    let lab = r.sim();
    let targets = (0..lab.clients())
        .map(|c| {
            let offline = lab.offline(c);
            (
                format!("c{c}"),
                vec![
                    Fault::new(
                        "offline",
                        "Offline",
                        json!({"offline": {"client": c, "on": !offline}}),
                    )
                    .pressed(offline)
                    .hint("Edits stay on this client and sync when it is back."),
                    Fault::new(
                        "cut-off",
                        "Cut off",
                        json!({"partition": {"groups": [[c]]}}),
                    )
                    .hint("A partition: this client alone, the others with the server."),
                ],
            )
        })
        .collect();
    let auto = lab.auto_deliver();
    let mut global = vec![
        Fault::new("auto", "Auto delivery", json!({"auto": {"on": !auto}}))
            .pressed(auto)
            .hint("Off: messages wait until you deliver them."),
        Fault::new("deliver-all", "Deliver all", json!("deliver_all"))
            .hint("Deliver every message on open links, and what they cause."),
    ];
    if !lab.partition().is_empty() {
        global.push(Fault::new("heal", "Heal", json!("heal")).hint("End the partition."));
    }
    Palette {
        target_noun: "Client",
        targets,
        global,
    }
}

#[derive(Properties, PartialEq)]
struct StageProps {
    snap: Rc<Snap>,
    on_command: Callback<Value>,
}

#[function_component(CollabStage)]
fn collab_stage(props: &StageProps) -> Html {
    let snap = &props.snap;
    let cmd = props.on_command.clone();
    let both = snap.complete[0] && snap.complete[1];
    let (agree_class, agree_text) = if !both {
        ("collab-status", "syncing…".to_string())
    } else if snap.clients[0].crdt_text == snap.clients[0].ot_text {
        ("collab-status ok", "engines agree ✓".to_string())
    } else {
        (
            "collab-status warn",
            "engines differ (concurrent edits at one place are ordered differently)".to_string(),
        )
    };
    let row = |name: &str, f: &dyn Fn(&EngineStats) -> u64| {
        html! {
            <tr><td>{ name }</td><td>{ f(&snap.stats[0]) }</td><td>{ f(&snap.stats[1]) }</td></tr>
        }
    };
    let on_auto = {
        let cmd = cmd.clone();
        let on = !snap.auto;
        Callback::from(move |_| cmd.emit(json!({"auto": {"on": on}})))
    };
    let on_all = {
        let cmd = cmd.clone();
        Callback::from(move |_| cmd.emit(json!("deliver_all")))
    };
    html! {
        <div class="collab">
            <div class="collab-top">
                <table class="collab-metrics" aria-label="metrics per engine">
                    <tr><th></th><th>{ "CRDT" }</th><th>{ "OT" }</th></tr>
                    { row("messages", &|s| s.messages) }
                    { row("bytes", &|s| s.bytes) }
                    { row("metadata bytes", &|s| s.meta_bytes) }
                    { row("presence messages", &|s| s.presence_messages) }
                    { row("presence bytes", &|s| s.presence_bytes) }
                    { row("duplicates", &|s| s.duplicates) }
                    <tr><td>{ "converge p50 (ms)" }</td><td>{ snap.converge_p50[0] }</td><td>{ snap.converge_p50[1] }</td></tr>
                    { row("divergences", &|s| s.divergences) }
                </table>
                <div>
                    <div class={agree_class} data-testid="agreement">{ agree_text }</div>
                    <div class="muted">{ format!("{} edits, {} concurrent; OT server at r{}", snap.edits.0, snap.edits.1, snap.server_rev) }</div>
                    if !snap.partition.is_empty() {
                        <div class="collab-status warn">{ format!("partition: {} cut off from the server", groups(&snap.partition)) }</div>
                    }
                    <div class="collab-top">
                        <button aria-pressed={snap.auto.to_string()} onclick={on_auto}>{ if snap.auto { "Auto delivery: on" } else { "Auto delivery: off" } }</button>
                        <button onclick={on_all} disabled={snap.messages.is_empty()}>{ "Deliver all" }</button>
                    </div>
                </div>
            </div>
            <div class="collab-main">
                <div class="collab-clients">
                    <>{ for snap.clients.iter().enumerate().map(|(c, s)| html! {
                        <ClientCard client={c as u32} snap={s.clone()} crdt_presence={snap.crdt_presence} on_command={cmd.clone()} />
                    }) }</>
                </div>
                <Network snap={Rc::clone(snap)} on_command={cmd.clone()} />
            </div>
            <Internals run={snap.run} clients={snap.clients.len()} />
            <live::LivePanel />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct InternalsProps {
    /// The run's address ([`run_address`]).
    run: usize,
    clients: usize,
}

/// The internal views: the OT server's transform steps and one client's CRDT items and causal
/// graph. Nobody reads them at 60 frames a second and they are the costliest to copy and
/// draw (hundreds of items), so they follow the page's slow revision ([`SlowView`]): a few
/// times a second while playing, and at once after every command, step or seek. Their props
/// stay equal between frames, so the frames in between do not render them at all.
#[function_component(Internals)]
fn internals_panel(props: &InternalsProps) -> Html {
    let slow = use_context::<SlowView>();
    let shown = use_state_eq(|| 0usize);
    let shown_client = (*shown).min(props.clients.saturating_sub(1));
    let snap = {
        let slow = slow.clone();
        let run = props.run;
        use_memo(
            (slow.as_ref().map(|v| v.rev), shown_client, run),
            move |_| {
                let slow = slow?;
                let session = slow.session.0.borrow();
                [Side::A, Side::B]
                    .into_iter()
                    .filter_map(|side| session.run(side))
                    .find(|r| run_address(*r) == run)
                    .and_then(|r| internals(r, shown_client))
            },
        )
    };
    let Some(snap) = snap.as_ref() else {
        return html! {};
    };
    html! {
        <div class="collab-panels">
            <section>
                <h4>{ format!("OT server r{}: transform steps, latest last", snap.server_rev) }</h4>
                <pre class="collab-steps" data-testid="steps">
                    { if snap.steps.is_empty() { "No transform yet: edits have not crossed.".to_string() } else { snap.steps.join("\n") } }
                </pre>
            </section>
            <section>
                <h4>
                    { "CRDT items of " }
                    <>{ for (0..props.clients).map(|c| {
                        let shown = shown.clone();
                        html! {
                            <button aria-pressed={(c == shown_client).to_string()} onclick={Callback::from(move |_| shown.set(c))}>{ format!("c{c}") }</button>
                        }
                    }) }</>
                </h4>
                <Items items={Rc::clone(&snap.items)} />
                <CausalGraph graph={Rc::clone(&snap.graph)} />
            </section>
        </div>
    }
}

fn groups(g: &[Vec<u32>]) -> String {
    g.iter()
        .map(|g| {
            let names: Vec<String> = g.iter().map(|c| format!("c{c}")).collect();
            format!("{{{}}}", names.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Properties, PartialEq)]
struct ItemsProps {
    items: Rc<ItemsSnap>,
}

#[function_component(Items)]
fn items(props: &ItemsProps) -> Html {
    let (items, total) = &*props.items;
    let tombs = items.iter().filter(|i| i.2).count();
    html! {
        <>
            <div class="muted">{ format!("{total} items ({tombs} tombstones shown struck through); hover for ids (agent@seq)") }</div>
            <div class="collab-items" data-testid="items">
                <>{ for items.iter().map(|(id, ch, dead, agent)| {
                    let shown = match ch { ' ' => '·', '\n' => '↵', c => *c };
                    html! {
                        <span key={id.as_str()} class={classes!(format!("a{}", agent % 8), dead.then_some("tomb"))} title={id.clone()}>{ shown }</span>
                    }
                }) }</>
                if *total > items.len() {
                    <span>{ format!("+{}", total - items.len()) }</span>
                }
            </div>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct GraphProps {
    graph: Rc<GraphSnap>,
}

/// The causal graph as a DAG: a lane per agent, nodes left to right in the order the replica
/// applied them, an arrow from each node to the nodes it depends on.
#[function_component(CausalGraph)]
fn causal_graph(props: &GraphProps) -> Html {
    let g = &props.graph;
    if g.nodes.is_empty() {
        return html! { <div class="muted">{ "Causal graph: no edits yet." }</div> };
    }
    let mut agents: Vec<u32> = g.nodes.iter().map(|n| n.agent).collect();
    agents.sort_unstable();
    agents.dedup();
    let (dx, dy, left, top) = (26.0, 26.0, 30.0, 14.0);
    let width = left + dx * g.nodes.len() as f64 + 10.0;
    let height = top + dy * agents.len() as f64;
    let at = |i: usize| -> (f64, f64) {
        let n = &g.nodes[i];
        let lane = agents.iter().position(|&a| a == n.agent).unwrap_or(0);
        (left + dx * i as f64 + dx / 2.0, top + dy * lane as f64)
    };
    let mut edges = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        let (x2, y2) = at(i);
        for &p in &n.parents {
            let (x1, y1) = match p.checked_sub(g.first) {
                Some(j) => at(j),
                // A parent older than the nodes drawn: a stub from the left edge.
                None => (left - 6.0, y2),
            };
            let mid = (x1 + x2) / 2.0;
            edges.push(html! {
                <path class="collab-graph-edge" d={format!("M{x1:.1},{y1:.1} C{mid:.1},{y1:.1} {mid:.1},{y2:.1} {x2:.1},{y2:.1}")} />
            });
        }
    }
    html! {
        <div class="collab-graph">
            <div class="muted">{ format!("Causal graph: {} runs of edits{}; each depends on the runs holding its neighbours or the characters it deletes", g.first + g.nodes.len(), if g.first > 0 { format!(", the latest {}", g.nodes.len()) } else { String::new() }) }</div>
            <svg viewBox={format!("0 0 {width:.0} {height:.0}")} width={format!("{width:.0}")} height={format!("{height:.0}")} role="img" aria-label="causal graph of the CRDT's edits" data-testid="causal-graph">
                <>{ for agents.iter().enumerate().map(|(lane, a)| html! {
                    <text x="2" y={format!("{:.1}", top + dy * lane as f64 + 4.0)} font-size="10">{ format!("c{a}") }</text>
                }) }</>
                <>{ for edges }</>
                <>{ for g.nodes.iter().enumerate().map(|(i, n)| {
                    let (x, y) = at(i);
                    let what = match &n.text {
                        Some(t) => format!("inserts {t:?}"),
                        None => format!("deletes {}", n.end - n.start),
                    };
                    let class = classes!("collab-graph-node", format!("a{}", n.agent % 8), n.text.is_none().then_some("del"));
                    html! {
                        <circle class={class} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="7" data-testid="graph-node">
                            <title>{ format!("#{} c{}@{}..{} {what}", g.first + i, n.agent, n.start, n.end) }</title>
                        </circle>
                    }
                }) }</>
            </svg>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CardProps {
    client: u32,
    snap: ClientSnap,
    crdt_presence: bool,
    on_command: Callback<Value>,
}

#[function_component(ClientCard)]
fn client_card(props: &CardProps) -> Html {
    let (c, s, cmd) = (props.client, &props.snap, &props.on_command);
    let button = |label: &str, pressed: Option<bool>, command: Value, enabled: bool| {
        let cmd = cmd.clone();
        html! {
            <button aria-pressed={pressed.map(|p| p.to_string())} disabled={!enabled}
                onclick={Callback::from(move |_| cmd.emit(command.clone()))}>{ label }</button>
        }
    };
    let differs = s.crdt_text != s.ot_text;
    let awaiting = s.state != "synchronized";
    html! {
        <div class={classes!("collab-client", s.offline.then_some("offline"))} data-testid={format!("client-{c}")}>
            <header>
                <b class="who" style={format!("--peer: {}", colour(c))}>{ format!("c{c}") }</b>
                { button("offline", Some(s.offline), json!({"offline": {"client": c, "on": !s.offline}}), true) }
                { button("typist", Some(s.typist), json!({"typist": {"client": c, "on": !s.typist}}), true) }
                { button("undo", None, json!({"undo": {"client": c}}), s.undo.0 + s.undo.1 > 0) }
                { button("redo", None, json!({"redo": {"client": c}}), true) }
            </header>
            <Editor client={c} text={s.crdt_text.clone()} caret={s.crdt_caret} tail={s.crdt_tail}
                peers={s.crdt_peers.clone()} on_command={cmd.clone()} />
            <div class={classes!("collab-line", differs.then_some("differs"))} data-testid={format!("ot-{c}")}>
                <span class="tag">{ "ot" }</span>{ marked_text(&s.ot_text, Some(s.ot_caret), &s.ot_peers, "ot", c) }
            </div>
            { presence_legend(c, s, props.crdt_presence) }
            <div class="collab-state">
                <span class={classes!("st", awaiting.then_some("awaiting"))}>{ s.state }</span>
                { format!(" r{}", s.revision) }
                if let Some(p) = &s.pending { { format!(" · pending {p}") } }
                if let Some(b) = &s.buffer { { format!(" · buffer {b}") } }
                if s.buffered_crdt > 0 { { format!(" · crdt waiting: {} ops", s.buffered_crdt) } }
            </div>
        </div>
    }
}

/// One piece of a text drawn with carets.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Text, and the client whose selection covers it (the lowest numbered, when several do).
    Text(String, Option<u32>),
    /// Another client's caret at a position; `pending` when a newer CRDT presence waits.
    Caret {
        client: u32,
        at: usize,
        pending: bool,
    },
    /// This client's own caret (drawn as `|`).
    Own,
}

/// Cuts `text` into pieces at every caret and selection end (positions in code points,
/// clamped to the text): at each place, the own caret first, then the others' by client.
fn pieces(text: &str, own: Option<usize>, peers: &[PeerMark]) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let shown: Vec<(u32, usize, Option<usize>, bool)> = peers
        .iter()
        .filter_map(|p| {
            let (head, tail) = p.shown?;
            Some((
                p.client,
                head.min(n),
                tail.map(|t| t.min(n)),
                p.pending.is_some(),
            ))
        })
        .collect();
    let mut cuts: Vec<usize> = vec![0, n];
    cuts.extend(own.map(|o| o.min(n)));
    for &(_, head, tail, _) in &shown {
        cuts.push(head);
        cuts.extend(tail);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    for (i, &at) in cuts.iter().enumerate() {
        if own.map(|o| o.min(n)) == Some(at) {
            out.push(Piece::Own);
        }
        for &(client, head, _, pending) in &shown {
            if head == at {
                out.push(Piece::Caret {
                    client,
                    at,
                    pending,
                });
            }
        }
        let Some(&next) = cuts.get(i + 1) else {
            break;
        };
        let by = shown.iter().find_map(|&(client, head, tail, _)| {
            let t = tail?;
            (head.min(t) <= at && next <= head.max(t)).then_some(client)
        });
        out.push(Piece::Text(chars[at..next].iter().collect(), by));
    }
    out
}

/// A text with the own caret (if given) and the others' carets and selections drawn in their
/// colours; `engine` and `viewer` name the carets for the tests (`crdt-caret-1-0`: c0's
/// caret in c1's CRDT editor). Name tags are CSS content, so they are not part of the text.
fn marked_text(
    text: &str,
    own: Option<usize>,
    peers: &[PeerMark],
    engine: &str,
    viewer: u32,
) -> Html {
    // Carets at the same place come one after another; each one's name tag moves right by
    // its place in that run, so the tags sit side by side instead of on top of each other.
    let mut stacked = 0;
    html! {
        <>
            { for pieces(text, own, peers).into_iter().map(|p| {
                stacked = if matches!(p, Piece::Caret { .. }) { stacked + 1 } else { 0 };
                match p {
                    Piece::Text(t, None) => html! { { t } },
                    Piece::Text(t, Some(c)) => html! {
                        <span class="collab-sel" style={format!("--peer: {}", colour(c))}>{ t }</span>
                    },
                    Piece::Caret { client, at, pending } => html! {
                        <span class={classes!("collab-caret", pending.then_some("pending"))}
                            style={format!("--peer: {}; --stack: {}", colour(client), stacked - 1)} data-name={format!("c{client}")}
                            data-testid={format!("{engine}-caret-{viewer}-{client}")} data-pos={at.to_string()} />
                    },
                    Piece::Own => html! { { "|" } },
                }
            }) }
        </>
    }
}

/// Where this client shows each other client, in both engines, and whether a newer CRDT
/// presence is pending: the legend of the carets drawn.
fn presence_legend(c: u32, s: &ClientSnap, crdt_presence: bool) -> Html {
    let at = |shown: Option<(usize, Option<usize>)>| match shown {
        Some((head, None)) => head.to_string(),
        Some((head, Some(tail))) => format!("{}..{}", head.min(tail), head.max(tail)),
        None => "—".to_string(),
    };
    let mut peers: Vec<u32> = s
        .crdt_peers
        .iter()
        .chain(&s.ot_peers)
        .map(|p| p.client)
        .collect();
    peers.sort_unstable();
    peers.dedup();
    let title = "Where this client shows the others' carets. CRDT: from their presence \
        messages, anchored to characters. OT: from the carets the server transforms and \
        forwards. Dashed: a newer CRDT presence is pending until the character it names arrives.";
    html! {
        <div class="collab-presence" title={title} data-testid={format!("presence-{c}")}>
            if peers.is_empty() {
                <span class="muted">{ "no other carets yet" }</span>
            }
            <>{ for peers.iter().map(|&p| {
                let crdt = s.crdt_peers.iter().find(|m| m.client == p);
                let ot = s.ot_peers.iter().find(|m| m.client == p);
                let crdt_text = match crdt {
                    Some(m) => match &m.pending {
                        Some((clock, id)) => format!("crdt {} (#{clock} pending: needs {id})", at(m.shown)),
                        None => format!("crdt {}", at(m.shown)),
                    },
                    None => "crdt —".to_string(),
                };
                let ot_text = format!("ot {}", at(ot.and_then(|m| m.shown)));
                html! {
                    <span class={classes!("peer", crdt.is_some_and(|m| m.pending.is_some()).then_some("pending"))}
                        style={format!("--peer: {}", colour(p))} data-testid={format!("presence-{c}-{p}")}>
                        <b class="who">{ format!("c{p}") }</b>
                        { if crdt_presence { format!(" {crdt_text} · {ot_text}") } else { format!(" {ot_text}") } }
                    </span>
                }
            }) }</>
            if !crdt_presence {
                <span class="muted">{ "CRDT presence is off in this link" }</span>
            }
        </div>
    }
}

/// Code points in the first `units` UTF-16 units of `s`.
fn utf16_to_chars(s: &str, units: u32) -> usize {
    let mut n = 0u32;
    let mut chars = 0;
    for ch in s.chars() {
        if n >= units {
            break;
        }
        n += ch.len_utf16() as u32;
        chars += 1;
    }
    chars
}

/// UTF-16 units in the first `chars` code points of `s`.
fn chars_to_utf16(s: &str, chars: usize) -> u32 {
    s.chars().take(chars).map(|c| c.len_utf16() as u32).sum()
}

/// The commands that turn `old` into `new` at a caret: move the caret to the end of the
/// changed span (when it is not there), erase the old span, type the new one.
pub fn edit_commands(client: u32, old: &str, new: &str, caret: usize) -> Vec<Value> {
    let a: Vec<char> = old.chars().collect();
    let b: Vec<char> = new.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let erased = a.len() - prefix - suffix;
    let typed: String = b[prefix..b.len() - suffix].iter().collect();
    let mut out = Vec::new();
    if erased == 0 && typed.is_empty() {
        return out;
    }
    if caret != prefix + erased {
        out.push(json!({"select": {"client": client, "pos": prefix + erased}}));
    }
    if erased > 0 {
        out.push(json!({"backspace": {"client": client, "count": erased}}));
    }
    if !typed.is_empty() {
        out.push(json!({"type": {"client": client, "text": typed}}));
    }
    out
}

#[derive(Properties, PartialEq)]
struct EditorProps {
    client: u32,
    text: String,
    caret: usize,
    /// The other end of the client's selection.
    tail: Option<usize>,
    /// Other clients' carets as this client's CRDT shows them.
    peers: Vec<PeerMark>,
    on_command: Callback<Value>,
}

/// The selection command for a textarea's selection `start..end` (code points): the caret
/// is the end the selection grew towards.
fn selection_command(client: u32, start: usize, end: usize, backward: bool) -> Value {
    let (pos, anchor) = if start == end {
        (start, None)
    } else if backward {
        (start, Some(end))
    } else {
        (end, Some(start))
    };
    match anchor {
        None => json!({"select": {"client": client, "pos": pos}}),
        Some(a) => json!({"select": {"client": client, "pos": pos, "anchor": a}}),
    }
}

/// A textarea showing the client's CRDT text; input becomes commands, and the run redraws it.
/// Behind it (the textarea is transparent) a mirror of the text with the same box, font and
/// wrapping draws the other clients' carets and selections, scrolled with it.
#[function_component(Editor)]
fn editor(props: &EditorProps) -> Html {
    let node = use_node_ref();
    let mirror = use_node_ref();
    {
        // The selection is set only when the run moved it, never when only the others'
        // carets moved (that would fight a person dragging a selection).
        let node = node.clone();
        use_effect_with(
            (props.text.clone(), props.caret, props.tail),
            move |(text, caret, tail)| {
                if let Some(el) = node.cast::<HtmlTextAreaElement>() {
                    if el.value() != *text {
                        el.set_value(text);
                    }
                    let focused = gloo::utils::document()
                        .active_element()
                        .is_some_and(|a| a == **el);
                    if focused {
                        let head = chars_to_utf16(text, *caret);
                        let other = tail.map_or(head, |t| chars_to_utf16(text, t));
                        let direction = if other > head { "backward" } else { "forward" };
                        let _ = el.set_selection_range_with_direction(
                            head.min(other),
                            head.max(other),
                            direction,
                        );
                    }
                }
            },
        );
    }
    let oninput = {
        let (node, cmd, client) = (node.clone(), props.on_command.clone(), props.client);
        let (old, caret) = (props.text.clone(), props.caret);
        Callback::from(move |_: InputEvent| {
            if let Some(el) = node.cast::<HtmlTextAreaElement>() {
                for c in edit_commands(client, &old, &el.value(), caret) {
                    cmd.emit(c);
                }
            }
        })
    };
    let on_caret = {
        let (node, cmd, client) = (node.clone(), props.on_command.clone(), props.client);
        let (text, caret, tail) = (props.text.clone(), props.caret, props.tail);
        move || {
            if let Some(el) = node.cast::<HtmlTextAreaElement>() {
                if el.value() != text {
                    return;
                }
                let at = |units: Option<u32>| utf16_to_chars(&text, units.unwrap_or(0));
                let start = at(el.selection_start().ok().flatten());
                let end = at(el.selection_end().ok().flatten());
                let backward =
                    el.selection_direction().ok().flatten().as_deref() == Some("backward");
                let command = selection_command(client, start, end, backward);
                let pos = command["select"]["pos"].as_u64().unwrap_or(0) as usize;
                let anchor = command["select"]["anchor"].as_u64().map(|a| a as usize);
                if (pos, anchor) != (caret, tail) {
                    cmd.emit(command);
                }
            }
        }
    };
    let onclick = {
        let f = on_caret.clone();
        Callback::from(move |_: MouseEvent| f())
    };
    let onselect = {
        let f = on_caret.clone();
        Callback::from(move |_: Event| f())
    };
    let onkeyup = Callback::from(move |e: KeyboardEvent| {
        if e.key().starts_with("Arrow") || e.key() == "Home" || e.key() == "End" {
            on_caret()
        }
    });
    // The mirror follows the textarea on its scroll events (which also come when the run's
    // selection or a shorter text scrolls it), never on a redraw: reading scrollTop there forced
    // a layout per editor per frame.
    let onscroll = {
        let (node, mirror) = (node.clone(), mirror.clone());
        Callback::from(move |_: Event| {
            if let (Some(el), Some(m)) = (
                node.cast::<HtmlTextAreaElement>(),
                mirror.cast::<web_sys::Element>(),
            ) {
                m.set_scroll_top(el.scroll_top());
            }
        })
    };
    html! {
        <div class="collab-editor">
            <div class="collab-mirror" ref={mirror} aria-hidden="true">
                { marked_text(&props.text, None, &props.peers, "crdt", props.client) }
                // A last empty line takes room only when it holds something.
                { "\u{200b}" }
            </div>
            <textarea ref={node} aria-label={format!("c{} editor", props.client)} spellcheck="false"
                data-testid={format!("editor-{}", props.client)}
                value={props.text.clone()} {oninput} {onclick} {onkeyup} {onselect} {onscroll} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct NetProps {
    snap: Rc<Snap>,
    on_command: Callback<Value>,
}

/// The clients on a circle around the OT server; CRDT links between clients, OT links to the
/// server; each message a dot on its link, as far along as its delivery time. Click to deliver.
#[function_component(Network)]
fn network(props: &NetProps) -> Html {
    let snap = &props.snap;
    let n = snap.clients.len();
    let (cx, cy) = NET_CENTRE;
    let pos = |c: u32| net_pos(n, c);
    let ends = |l: Link| match l {
        Link::Peer { from, to } => (pos(from), pos(to)),
        Link::Up { client } => (pos(client), (cx, cy)),
        Link::Down { client } => ((cx, cy), pos(client)),
    };
    let deliver = |id: u64| {
        let cmd = props.on_command.clone();
        Callback::from(move |_| cmd.emit(json!({"deliver": {"id": id}})))
    };
    html! {
        <section class="collab-net">
            <h4>{ format!("Network: {} messages in flight (click one to deliver it)", snap.in_flight) }</h4>
            <svg viewBox="0 0 400 300" role="img" aria-label="clients, server and messages in flight">
                <NetBackdrop n={n} server_rev={snap.server_rev}
                    offline={snap.clients.iter().map(|c| c.offline).collect::<Vec<_>>()}
                    cut={(0..n as u32).map(|c| snap.partition.iter().any(|g| g.contains(&c))).collect::<Vec<_>>()} />
                <>{ for snap.messages.iter().filter(|m| m.dot).map(|m| {
                    let ((x1, y1), (x2, y2)) = ends(m.link);
                    let (dx, dy) = (x2 - x1, y2 - y1);
                    let len = (dx * dx + dy * dy).sqrt().max(1.0);
                    // Each direction on its own side of the line.
                    let (ox, oy) = (-dy / len * 5.0, dx / len * 5.0);
                    let t = 0.08 + 0.84 * m.progress;
                    let (x, y) = (x1 + dx * t + ox, y1 + dy * t + oy);
                    let class = classes!("msg", if m.link.engine() == Engine::Crdt { "crdt" } else { "ot" }, m.copy.then_some("copy"), m.blocked.then_some("blocked"));
                    html! {
                        // Keyed, in a fragment of their own: a delivery removes its dot, a
                        // send adds one, and the others only move (cx, cy).
                        <circle key={m.id} class={class} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="5" onclick={deliver(m.id)}
                            data-testid="message">
                            <title>{ format!("#{} {}: {}", m.id, m.link, m.label) }</title>
                        </circle>
                    }
                }) }</>
            </svg>
            <div class="collab-links">
                <>{ for snap.links.iter().map(|&(l, count)| {
                    let msgs: Vec<&MsgSnap> = snap.messages.iter().filter(|m| m.link == l).take(CHIPS_SHOWN).collect();
                    let blocked = msgs.first().is_some_and(|m| m.blocked);
                    let next = {
                        let cmd = props.on_command.clone();
                        let link = serde_json::to_value(l).unwrap_or_default();
                        Callback::from(move |_| cmd.emit(json!({"deliver_next": {"link": link.clone()}})))
                    };
                    let engine = if l.engine() == Engine::Crdt { "crdt" } else { "ot" };
                    html! {
                        <div key={l.to_string()}>
                            <b class={classes!(blocked.then_some("cut"))}>{ format!("{l}{}", if blocked { " (cut)" } else { "" }) }</b>
                            <button onclick={next} disabled={blocked}>{ "next" }</button>
                            <>{ for msgs.iter().take(CHIPS_SHOWN).map(|m| html! {
                                <span key={m.id} class={classes!("chip", engine)} title={m.label.clone()} onclick={deliver(m.id)}>
                                    { format!("#{} {}", m.id, short(&m.label)) }
                                </span>
                            }) }</>
                            if count > CHIPS_SHOWN { { format!("+{}", count - CHIPS_SHOWN) } }
                        </div>
                    }
                }) }</>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct BackdropProps {
    n: usize,
    server_rev: u64,
    offline: Vec<bool>,
    cut: Vec<bool>,
}

/// Where client `c` of `n` sits on the network drawing, and the server's place.
fn net_pos(n: usize, c: u32) -> (f64, f64) {
    let (cx, cy, r) = (NET_CENTRE.0, NET_CENTRE.1, 118.0);
    let a = -std::f64::consts::FRAC_PI_2 + c as f64 * std::f64::consts::TAU / n as f64;
    (cx + r * a.cos(), cy + r * a.sin())
}

const NET_CENTRE: (f64, f64) = (200.0, 150.0);

/// The network's links, server and clients: redrawn only when they change, not when
/// messages move.
#[function_component(NetBackdrop)]
fn net_backdrop(props: &BackdropProps) -> Html {
    let n = props.n;
    let (cx, cy) = NET_CENTRE;
    let pos = |c: u32| net_pos(n, c);
    html! {
        <g>
                <>{ for (0..n as u32).flat_map(|a| (a + 1..n as u32).map(move |b| (a, b))).map(|(a, b)| {
                    let ((x1, y1), (x2, y2)) = (pos(a), pos(b));
                    html! { <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} stroke="#0f8b8d" stroke-opacity="0.25" /> }
                }) }</>
                <>{ for (0..n as u32).map(|c| {
                    let (x, y) = pos(c);
                    html! { <line x1={x.to_string()} y1={y.to_string()} x2={cx.to_string()} y2={cy.to_string()} stroke="#7b4bb7" stroke-opacity="0.3" stroke-dasharray="4 3" /> }
                }) }</>
                <rect x={(cx - 28.0).to_string()} y={(cy - 13.0).to_string()} width="56" height="26" rx="5" fill="#f1eafa" stroke="#7b4bb7" />
                <text x={cx.to_string()} y={(cy + 4.0).to_string()} text-anchor="middle" font-size="11">{ format!("server r{}", props.server_rev) }</text>
                <>{ for props.offline.iter().enumerate().map(|(c, &offline)| {
                    let (x, y) = pos(c as u32);
                    let cut = props.cut.get(c).copied().unwrap_or(false);
                    html! {
                        <g>
                            <circle cx={x.to_string()} cy={y.to_string()} r="16" fill={if cut { "#fde2e2" } else { "#fff" }}
                                stroke={if offline { "#c00" } else { "#444" }} stroke-dasharray={if offline { "3 2" } else { "" }} />
                            <text x={x.to_string()} y={(y + 4.0).to_string()} text-anchor="middle" font-size="12">{ format!("c{c}") }</text>
                        </g>
                    }
                }) }</>
        </g>
    }
}

/// A message label cut to a chip's width.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(22).collect();
    if s.chars().count() > 22 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_and_erasing_in_the_editor_become_commands_at_the_caret() {
        assert_eq!(
            edit_commands(0, "helo", "hello", 3),
            vec![json!({"type": {"client": 0, "text": "l"}})]
        );
        assert_eq!(
            edit_commands(1, "hello", "hllo", 2),
            vec![json!({"backspace": {"client": 1, "count": 1}})]
        );
        assert_eq!(
            edit_commands(0, "hello", "hEllo", 0),
            vec![
                json!({"select": {"client": 0, "pos": 2}}),
                json!({"backspace": {"client": 0, "count": 1}}),
                json!({"type": {"client": 0, "text": "E"}}),
            ]
        );
        assert!(edit_commands(0, "same", "same", 1).is_empty());
    }

    #[test]
    fn carets_convert_between_utf16_and_code_points() {
        let s = "a😀b";
        assert_eq!(chars_to_utf16(s, 2), 3);
        assert_eq!(utf16_to_chars(s, 3), 2);
    }

    #[test]
    fn a_text_is_cut_at_every_caret_and_selection_end() {
        let text = |t: &str, by: Option<u32>| Piece::Text(t.to_string(), by);
        let caret = |client, at, pending| Piece::Caret {
            client,
            at,
            pending,
        };
        assert_eq!(
            pieces("ab", Some(1), &[]),
            vec![text("a", None), Piece::Own, text("b", None)]
        );
        let peers = [
            PeerMark {
                client: 2,
                shown: Some((4, Some(1))),
                pending: None,
            },
            PeerMark {
                client: 0,
                shown: Some((9, None)),
                pending: Some((3, "0@7".into())),
            },
            PeerMark {
                client: 3,
                shown: None,
                pending: Some((1, "3@0".into())),
            },
        ];
        assert_eq!(
            pieces("hello", Some(4), &peers),
            vec![
                text("h", None),
                text("ell", Some(2)),
                Piece::Own,
                caret(2, 4, false),
                text("o", None),
                caret(0, 5, true),
            ]
        );
    }

    #[test]
    fn a_selection_becomes_a_select_command_with_its_caret_where_it_grew() {
        assert_eq!(
            selection_command(1, 2, 5, false),
            json!({"select": {"client": 1, "pos": 5, "anchor": 2}})
        );
        assert_eq!(
            selection_command(1, 2, 5, true),
            json!({"select": {"client": 1, "pos": 2, "anchor": 5}})
        );
        assert_eq!(
            selection_command(0, 3, 3, true),
            json!({"select": {"client": 0, "pos": 3}})
        );
    }

    #[test]
    fn commands_are_narrated() {
        let say = |v: Value| describe(&v).unwrap_or_default();
        assert_eq!(
            say(json!({"type": {"client": 1, "text": "hi"}})),
            "c1 typed \"hi\""
        );
        assert_eq!(
            say(json!({"deliver_next": {"link": {"peer": {"from": 0, "to": 2}}}})),
            "You delivered the next message on c0→c2"
        );
        assert_eq!(
            say(json!("deliver_all")),
            "You delivered every message in flight"
        );
        assert_eq!(describe(&json!({"unknown": {}})), None);
    }
}
