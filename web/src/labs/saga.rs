//! The saga lab's picture: a live sequence diagram with a lane per participant, each saga's
//! state machine, each service's local state, the invariant strip and the fault palette.
//!
//! ```text
//!   ✓ money conserved  ✓ goods conserved  ✓ nobody charged twice  ✗ saga 4 stuck
//!   orchestrator   orders   inventory   payment          (lanes; time runs down)
//!       │ ─create_order─► │          │                   arrows: messages sent in the last
//!       │ ◄──done──────── │          │                   few seconds, red when dropped
//!   saga 3  create_order → reserve_inventory → undo reserve_inventory → compensated
//!   inventory  up  stock 1997  reserved 3  inbox 12  outbox 0
//! ```
//!
//! Everything drawn comes from the run's state and log; nothing here decides what a service
//! does. An arrow starts when its message was sent and is drawn one nominal bus delay long:
//! the log records sends, and a delivery shows as the receiver's next line.

use orrery_core::registry::LabRun;
use orrery_core::run::EntryKind;
use orrery_core::saga::flow::{Pool, Resource, ServiceName, FLOWS};
use orrery_core::saga::lab::{Event, Node, SagaLab, SagaStatus};
use orrery_core::{Run, Time};
use serde_json::{json, Value};
use yew::prelude::*;

use super::LabUi;
use crate::components::faults::{Fault, Palette};

/// The saga lab's entry in [`super::ui`].
pub const UI: LabUi = LabUi {
    view,
    palette,
    choices,
    form_order: &[
        "seed",
        "flow",
        "mode",
        "outbox",
        "idempotency",
        "replay_replies",
        "isolation",
        "compensate",
        "sagas",
        "every_ms",
        "chaos_pct",
        "bus.drop_pct",
        "bus.duplicate_pct",
        "bus.jitter_ms",
        "timeout_ms",
        "max_attempts",
    ],
    compare: &[
        ("mode", MODES),
        ("outbox", BOOLS),
        ("idempotency", BOOLS),
        ("replay_replies", BOOLS),
        ("isolation", ISOLATIONS),
    ],
    describe,
};

const MODES: &[&str] = &["orchestration", "choreography", "two_phase_commit"];
const ISOLATIONS: &[&str] = &["semantic_lock", "none"];
const COMPENSATE: &[&str] = &["completed", "all"];
const BOOLS: &[&str] = &["true", "false"];

/// Simulated milliseconds the sequence diagram shows.
const WINDOW_MS: Time = 3_000;
/// Sagas listed with their state machines, newest first.
const SAGAS_SHOWN: usize = 8;

fn saga_run(run: &dyn LabRun) -> Option<&Run<SagaLab>> {
    run.as_any().downcast_ref::<Run<SagaLab>>()
}

/// The lanes: the coordinator (or the client in choreography), then each service the flow
/// uses, in the order the flow first uses it.
fn lanes(lab: &SagaLab) -> Vec<Node> {
    let mut v = vec![
        if lab.scenario().mode == orrery_core::saga::Mode::Choreography {
            Node::Client
        } else {
            Node::Orchestrator
        },
    ];
    for s in &lab.flow().steps {
        let n = Node::Service(s.service());
        if !v.contains(&n) {
            v.push(n);
        }
    }
    v
}

fn node_up(lab: &SagaLab, n: Node) -> bool {
    match n {
        Node::Client => true,
        Node::Orchestrator => lab.orchestrator_up(),
        Node::Service(s) => lab.services[s.index()].up,
    }
}

fn view(run: &dyn LabRun, on_command: &Callback<Value>) -> Html {
    let Some(r) = saga_run(run) else {
        return html! { <p class="muted">{ "This run is not a saga run." }</p> };
    };
    let lab = r.sim();
    html! {
        <div class="saga-stage" data-testid="saga-stage">
            { settings(lab, on_command) }
            { invariants(run, lab) }
            { sequence(r, lab) }
            { sagas(lab) }
            { services(lab) }
        </div>
    }
}

fn settings(lab: &SagaLab, on_command: &Callback<Value>) -> Html {
    let button = |id: &'static str, label: String, cmd: Value| {
        let cb = on_command.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(cmd.clone()));
        html! { <button data-testid={id} {onclick}>{ label }</button> }
    };
    let on = |b: bool| if b { "on" } else { "off" };
    let s = lab.scenario();
    html! {
        <div class="saga-settings" style="display:flex;gap:0.6em;flex-wrap:wrap;align-items:center">
            <strong>{ format!("{} · {}", lab.flow().name, s.mode.name()) }</strong>
            { button("saga-outbox", format!("Outbox: {}", on(lab.outbox_on())),
                json!({"outbox": {"on": !lab.outbox_on()}})) }
            { button("saga-idempotency", format!("Idempotent consumers: {}", on(lab.idempotency_on())),
                json!({"idempotency": {"on": !lab.idempotency_on()}})) }
            { button("saga-start", "Start a saga".to_string(), json!("start_saga")) }
        </div>
    }
}

fn invariants(run: &dyn LabRun, lab: &SagaLab) -> Html {
    let mut items: Vec<(bool, String)> = Vec::new();
    for r in Resource::ALL {
        let sum: i64 = Pool::ALL
            .iter()
            .filter(|p| p.resource() == r)
            .map(|&p| lab.pool(p))
            .sum();
        items.push((sum == lab.total(r), format!("{} conserved", r.name())));
    }
    let violation = run.violation();
    let safety = lab.safety_violation();
    items.push((safety.is_none(), "no step applied twice".to_string()));
    let stuck: Vec<u32> = lab
        .sagas()
        .values()
        .filter(|i| i.stuck)
        .map(|i| i.id)
        .collect();
    items.push((
        stuck.is_empty(),
        if stuck.is_empty() {
            "every saga finishes".to_string()
        } else {
            format!("stuck: saga {}", join(&stuck))
        },
    ));
    let c = &lab.counters;
    html! {
        <div class="invariant-strip" data-testid="saga-invariants"
            style="display:flex;gap:0.8em;flex-wrap:wrap;margin:0.4em 0">
            { for items.iter().map(|(ok, text)| html! {
                <span style={if *ok { "color:#2a7" } else { "color:#c33;font-weight:bold" }}>
                    { if *ok { "✓ " } else { "✗ " } }{ text }
                </span>
            }) }
            <span class="muted">{ format!("{} completed · {} compensated · {} rollback incomplete · {} messages · {} duplicates absorbed",
                c.completed, c.compensated, c.rollback_incomplete, c.messages_sent, c.duplicates_absorbed) }</span>
            if let Some((t, _, v)) = violation {
                <span style="color:#c33" data-testid="saga-violation">
                    { format!("first violation at {}: {v}", orrery_core::sim::fmt_time(t)) }
                </span>
            }
        </div>
    }
}

fn join(ids: &[u32]) -> String {
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sequence diagram of the last [`WINDOW_MS`]: lanes across, time down.
fn sequence(r: &Run<SagaLab>, lab: &SagaLab) -> Html {
    let lanes = lanes(lab);
    let now = r.now();
    let from = now.saturating_sub(WINDOW_MS);
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const TOP: f64 = 26.0;
    let lane_x = |n: Node| -> Option<f64> {
        let i = lanes.iter().position(|&l| l == n)?;
        Some(60.0 + i as f64 * (W - 120.0) / (lanes.len().max(2) - 1) as f64)
    };
    let y = |t: Time| TOP + (t.saturating_sub(from)) as f64 / WINDOW_MS as f64 * (H - TOP - 6.0);
    let delay = lab.bus().delay_ms + lab.bus().jitter_ms / 2;
    let mut dropped = std::collections::BTreeSet::new();
    let mut arrows = Vec::new();
    let mut marks = Vec::new();
    for e in r.log().iter().rev() {
        if e.time < from {
            break;
        }
        let EntryKind::Event(ev) = &e.kind else {
            continue;
        };
        match ev {
            Event::Dropped { msg, .. } => {
                dropped.insert(*msg);
            }
            Event::Sent { msg, what } => {
                arrows.push((e.time, msg.clone(), what.to_string()));
            }
            Event::Crashed { node, .. } | Event::Recovered { node, .. } => {
                marks.push((e.time, *node, ev.to_string()));
            }
            Event::Committed { service, .. }
            | Event::Declined { service, .. }
            | Event::Absorbed { service, .. }
            | Event::TransientError { service, .. } => {
                marks.push((e.time, Node::Service(*service), ev.to_string()));
            }
            _ => {}
        }
    }
    html! {
        <svg class="saga-sequence" data-testid="saga-sequence" viewBox={format!("0 0 {W} {H}")}
            width="100%" role="img" aria-label="sequence diagram of the last three seconds">
            <defs>
                <marker id="saga-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6"
                    markerHeight="6" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor" />
                </marker>
            </defs>
            { for lanes.iter().map(|&n| {
                let x = lane_x(n).unwrap_or(0.0);
                let up = node_up(lab, n);
                html! {
                    <g>
                        <text x={x.to_string()} y="14" text-anchor="middle" font-size="12"
                            fill={if up { "currentColor" } else { "#c33" }}>
                            { if up { n.to_string() } else { format!("{n} (down)") } }
                        </text>
                        <line x1={x.to_string()} x2={x.to_string()} y1={TOP.to_string()}
                            y2={(H - 4.0).to_string()} stroke={if up { "#999" } else { "#c33" }}
                            stroke-dasharray={if up { "none" } else { "4 3" }} />
                    </g>
                }
            }) }
            { for marks.iter().filter_map(|(t, n, text)| {
                let x = lane_x(*n)?;
                Some(html! {
                    <circle cx={x.to_string()} cy={y(*t).to_string()} r="3" fill="#47a">
                        <title>{ text }</title>
                    </circle>
                })
            }) }
            { for arrows.iter().filter_map(|(t, msg, what)| {
                let (x1, x2) = (lane_x(msg.from)?, lane_x(msg.to)?);
                let lost = dropped.contains(&msg.id);
                let (y1, y2) = (y(*t), y(*t + delay));
                let colour = if lost { "#c33" } else if msg.attempt > 1 { "#c80" } else { "#357" };
                Some(html! {
                    <g style={format!("color:{colour}")}>
                        <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()}
                            y2={y2.to_string()} stroke="currentColor" marker-end="url(#saga-arrow)"
                            stroke-dasharray={if lost { "3 3" } else { "none" }} />
                        <text x={((x1 + x2) / 2.0).to_string()} y={((y1 + y2) / 2.0 - 2.0).to_string()}
                            text-anchor="middle" font-size="9" fill="currentColor">
                            { format!("#{} {what}", msg.id) }
                        </text>
                    </g>
                })
            }) }
        </svg>
    }
}

/// Each recent saga's state machine as the chain of states it went through.
fn sagas(lab: &SagaLab) -> Html {
    let recent: Vec<_> = lab.sagas().values().rev().take(SAGAS_SHOWN).collect();
    html! {
        <table class="saga-machines" data-testid="saga-machines" style="font-size:0.85em">
            <tbody>
                { for recent.iter().map(|info| {
                    let colour = match info.status {
                        SagaStatus::Completed => "#2a7",
                        SagaStatus::Compensated => "#a72",
                        SagaStatus::RollbackIncomplete => "#c33",
                        _ if info.stuck => "#c33",
                        _ => "#357",
                    };
                    html! {
                        <tr>
                            <td><strong>{ format!("saga {}", info.id) }</strong></td>
                            <td style={format!("color:{colour}")}>
                                { if info.stuck { "STUCK" } else { info.status.name() } }
                            </td>
                            <td>
                                { for info.history.iter().enumerate().map(|(i, (_, s))| html! {
                                    <>
                                        if i > 0 { <span class="muted">{ " → " }</span> }
                                        <span>{ s }</span>
                                    </>
                                }) }
                            </td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

/// Each service the flow uses: up or down, its pools, inbox, outbox and locks.
fn services(lab: &SagaLab) -> Html {
    let used: Vec<ServiceName> = ServiceName::ALL
        .into_iter()
        .filter(|s| lab.flow().steps.iter().any(|st| st.service() == *s))
        .collect();
    html! {
        <table class="saga-services" data-testid="saga-services" style="font-size:0.85em">
            <tbody>
                { for used.iter().map(|&s| {
                    let svc = &lab.services[s.index()];
                    let pools: Vec<String> = Pool::ALL
                        .iter()
                        .filter(|p| p.service() == s)
                        .map(|p| format!("{} {}", p.name(), lab.pool(*p)))
                        .collect();
                    html! {
                        <tr>
                            <td><strong>{ s.name() }</strong></td>
                            <td style={if svc.up { "color:#2a7" } else { "color:#c33" }}>
                                { if svc.up { "up" } else { "down" } }
                            </td>
                            <td>{ pools.join(" · ") }</td>
                            <td class="muted">{ format!("inbox {} · outbox {} · locks {}",
                                svc.inbox.len(), svc.outbox.len(), svc.locks.len()) }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

fn palette(run: &dyn LabRun) -> Palette {
    let Some(r) = saga_run(run) else {
        return Palette::default();
    };
    let lab = r.sim();
    let inject =
        |step: &str, kind: Value| json!({"inject": {"fault": {"step": step, "kind": kind}}});
    let targets = lab
        .flow()
        .steps
        .iter()
        .map(|st| {
            let n = st.name.as_str();
            let mut faults = vec![
                Fault::new("decline", "Decline", inject(n, json!("decline")))
                    .hint("A business failure: the next saga's step is declined."),
                Fault::new("transient", "Transient ×2", inject(n, json!({"transient": {"times": 2}})))
                    .hint("Fails twice; the retries with backoff succeed."),
                Fault::new("lose-reply", "Lose reply", inject(n, json!("lose_reply")))
                    .hint("The step succeeds but its reply is lost once: a timeout and a retry follow."),
                Fault::new("crash", "Crash 5 s", inject(n, json!({"crash": {"for_ms": 5000}})))
                    .hint("The service crashes on receiving the command."),
                Fault::new("crash-after-commit", "Crash after commit",
                    inject(n, json!({"crash_after_commit": {"for_ms": 3000}})))
                    .hint("Commits, then crashes before publishing: without an outbox the message is lost."),
            ];
            if st.compensation.is_some() {
                faults.push(
                    Fault::new("compensation-failure", "Compensation fails ×3",
                        inject(n, json!({"compensation_failure": {"times": 3}})))
                        .hint("Its compensation fails three times before it succeeds."),
                );
            }
            (n.to_string(), faults)
        })
        .collect();
    let bus = lab.bus();
    let orchestrator_up = lab.orchestrator_up();
    Palette {
        target_noun: "Step",
        targets,
        global: vec![
            if orchestrator_up {
                Fault::new(
                    "crash-orchestrator",
                    "Crash orchestrator 5 s",
                    json!({"crash": {"node": "orchestrator", "for_ms": 5000}}),
                )
                .hint("The orchestrator recovers from its saga log.")
            } else {
                Fault::new(
                    "recover-orchestrator",
                    "Recover orchestrator",
                    json!({"recover": {"node": "orchestrator"}}),
                )
            },
            Fault::new(
                "duplicate-next",
                "Duplicate next message",
                json!("duplicate_next"),
            )
            .hint("The next message is delivered twice."),
            Fault::new("drop-next", "Drop next message", json!("drop_next"))
                .hint("The next message's first delivery is lost; the bus redelivers it."),
            Fault::new(
                "bus-drop",
                "Bus drops 10%",
                json!({"bus": {"drop_pct": if bus.drop_pct > 0 { 0 } else { 10 }}}),
            )
            .pressed(bus.drop_pct > 0),
            Fault::new(
                "bus-duplicate",
                "Bus duplicates 10%",
                json!({"bus": {"duplicate_pct": if bus.duplicate_pct > 0 { 0 } else { 10 }}}),
            )
            .pressed(bus.duplicate_pct > 0),
        ],
    }
}

fn choices(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "flow" => Some(&FLOWS),
        "mode" => Some(MODES),
        "isolation" => Some(ISOLATIONS),
        "compensate" => Some(COMPENSATE),
        _ => None,
    }
}

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    match command.as_str() {
        Some("start_saga") => return Some("You started a saga".into()),
        Some("duplicate_next") => return Some("You duplicated the next message".into()),
        Some("drop_next") => return Some("You dropped the next message".into()),
        _ => {}
    }
    let (name, args) = command.as_object()?.iter().next()?;
    let on = || args.get("on").and_then(Value::as_bool).unwrap_or(false);
    Some(match name.as_str() {
        "inject" => {
            let f = args.get("fault")?;
            format!(
                "You injected {} at {}",
                f.get("kind")?.to_string().replace('"', ""),
                f.get("step")?.as_str()?
            )
        }
        "crash" => format!("You crashed {}", args.get("node")?.as_str()?),
        "recover" => format!("You recovered {}", args.get("node")?.as_str()?),
        "bus" => "You changed the bus's loss and duplication".into(),
        "outbox" => format!("You turned the outbox {}", if on() { "on" } else { "off" }),
        "idempotency" => format!(
            "You turned idempotent consumers {}",
            if on() { "on" } else { "off" }
        ),
        _ => return None,
    })
}
