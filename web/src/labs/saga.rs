//! The saga lab's picture: the invariant strip, a live sequence diagram with a lane per
//! participant, each saga's state machine, each service's local state, a filterable history of
//! the log (kept in step with the log and drawn a page at a time, see [`HistoryLog`]), and the
//! fault palette.
//!
//! ```text
//!   ✓ money conserved  ✓ goods conserved  ✓ nobody charged twice  ✗ saga 4 stuck
//!   orchestrator   orders   inventory   payment          (lanes; time runs down)
//!       │ ─create_order─► │          │                   arrows: sent → delivered, labelled
//!       │ ◄──done──────── │          │                   with the time on the bus; orange
//!       │ ─ ─undo─ ─ ─ ─► │          │                   dashed for compensations, ✗ lost
//!   saga 3  [create_order]→[reserve_inventory]→[undo reserve_inventory]→[compensated]
//!   inventory  up  stock 1997  reserved 3  processed 12 (last: …)  outbox 0
//! ```
//!
//! Everything drawn comes from the run's state and log; nothing here decides what a service
//! does. An arrow starts when its message was sent (the log) and ends when it was delivered
//! ([`SagaLab::delivered_at`]); one still in flight ends at the present.

use orrery_core::link;
use orrery_core::registry::LabRun;
use orrery_core::run::{Entry, EntryKind, Input};
use orrery_core::saga::flow::{
    Action, Flow, Pool, Resource, ServiceName, Step, StepKind, FLOWS, MAX_STEPS,
};
use orrery_core::saga::lab::{
    Body, Command, Event, Happened, Node, Phase, SagaLab, SagaStatus, Scenario,
};
use orrery_core::sim::fmt_time;
use orrery_core::{Run, Time};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Range;
use std::rc::Rc;
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
    prepare: None,
};

const MODES: &[&str] = &["orchestration", "choreography", "two_phase_commit"];
const ISOLATIONS: &[&str] = &["semantic_lock", "none"];
const COMPENSATE: &[&str] = &["completed", "all"];
const BOOLS: &[&str] = &["true", "false"];

/// Messages the sequence diagram shows (the newest).
const MESSAGES_SHOWN: usize = 18;
/// Log entries the history table keeps as rows (the newest).
const HISTORY_ENTRIES: usize = 20_000;
/// Rows the history table draws at a time: one page.
const HISTORY_PAGE: usize = 50;
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
            <FlowEditor key={lab.flow().name.clone()} flow={Rc::new(lab.flow().clone())}
                scenario={Rc::new(serde_json::to_value(lab.scenario()).unwrap_or(Value::Null))} />
            <SagaHistory source={HistorySource::of(r)} lanes={Rc::new(lanes(lab).iter().map(Node::to_string).collect::<Vec<_>>())} />
        </div>
    }
}

fn settings(lab: &SagaLab, on_command: &Callback<Value>) -> Html {
    let toggle = |id: &'static str,
                  label: &'static str,
                  on: bool,
                  cmd: Value,
                  hint: &'static str| {
        let cb = on_command.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(cmd.clone()));
        html! {
            <button data-testid={id} class={classes!("saga-toggle", on.then_some("on"))}
                aria-pressed={on.to_string()} title={hint} {onclick}>
                { label }<span class="saga-toggle-state">{ if on { "on" } else { "off" } }</span>
            </button>
        }
    };
    let start = {
        let cb = on_command.clone();
        Callback::from(move |_: MouseEvent| cb.emit(json!("start_saga")))
    };
    let s = lab.scenario();
    html! {
        <div class="saga-settings">
            <div class="saga-flow-name">
                <strong data-testid="saga-flow">{ &lab.flow().name }</strong>
                <ModeSwitch mode={s.mode.name()}
                    scenario={Rc::new(serde_json::to_value(s).unwrap_or(Value::Null))} />
            </div>
            <div class="saga-buttons">
                { toggle("saga-outbox", "Outbox", lab.outbox_on(),
                    json!({"outbox": {"on": !lab.outbox_on()}}),
                    "Write outgoing messages in the same local transaction; a relay publishes them.") }
                { toggle("saga-idempotency", "Idempotent consumers", lab.idempotency_on(),
                    json!({"idempotency": {"on": !lab.idempotency_on()}}),
                    "Services record processed message keys and absorb repeats.") }
                <button data-testid="saga-start" class="primary" onclick={start}>{ "Start a saga" }</button>
            </div>
        </div>
    }
}

fn invariants(run: &dyn LabRun, lab: &SagaLab) -> Html {
    let mut items: Vec<(bool, String)> = Vec::new();
    for r in Resource::ALL {
        let used = Pool::ALL.iter().any(|p| {
            p.resource() == r && lab.flow().steps.iter().any(|s| s.service() == p.service())
        });
        if !used {
            continue;
        }
        let sum: i64 = Pool::ALL
            .iter()
            .filter(|p| p.resource() == r)
            .map(|&p| lab.pool(p))
            .sum();
        items.push((sum == lab.total(r), format!("{} conserved", r.name())));
    }
    let violation = run.violation();
    match lab.safety_violation() {
        None => items.push((
            true,
            "nobody charged twice · each step applied once".to_string(),
        )),
        Some(v) => items.push((false, v.to_string())),
    }
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
    let lost: Vec<u32> = lab
        .sagas()
        .values()
        .filter(|i| i.lost)
        .map(|i| i.id)
        .collect();
    items.push((
        lost.is_empty(),
        if lost.is_empty() {
            "every saga can finish".to_string()
        } else {
            format!("lost (a message it needed was lost): saga {}", join(&lost))
        },
    ));
    let c = &lab.counters;
    html! {
        <div class="saga-invariants" data-testid="saga-invariants">
            <ul class="saga-checks">
                <>{ for items.iter().map(|(ok, text)| html! {
                    <li class={if *ok { "ok" } else { "bad" }} data-ok={ok.to_string()}>
                        <span aria-hidden="true">{ if *ok { "✓" } else { "✗" } }</span>{ " " }{ text }
                    </li>
                }) }</>
            </ul>
            <dl class="saga-counts">
                <div><dt>{ "completed" }</dt><dd data-testid="saga-completed">{ c.completed }</dd></div>
                <div><dt>{ "compensated" }</dt><dd data-testid="saga-compensated">{ c.compensated }</dd></div>
                <div class={classes!((c.rollback_incomplete > 0).then_some("bad"))}><dt>{ "rollback incomplete" }</dt><dd>{ c.rollback_incomplete }</dd></div>
                <div><dt>{ "messages" }</dt><dd>{ c.messages_sent }</dd></div>
                <div><dt>{ "duplicates absorbed" }</dt><dd data-testid="saga-absorbed">{ c.duplicates_absorbed }</dd></div>
            </dl>
            if let Some((t, _, v)) = violation {
                <p class="saga-violation" data-testid="saga-violation">
                    { format!("First violation at {}: {v}", fmt_time(t)) }
                </p>
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

/// Whether a message belongs to a compensation (an undo command, its reply, a choreography
/// "compensated" event, or a two-phase-commit abort).
fn compensating(body: &Body) -> bool {
    match *body {
        Body::Command(k) | Body::Reply(k, _) => k.phase == Phase::Compensate,
        Body::Event(_, Happened::Compensated(_) | Happened::Failed(_)) => true,
        Body::Decision(_, commit) => !commit,
        _ => false,
    }
}

/// What a message says, as the log line has it after the route ("create_order (saga 1)").
fn message_label(line: &str) -> String {
    line.split_once(": ")
        .map_or(line, |(_, rest)| rest)
        .split(" [caused by")
        .next()
        .unwrap_or_default()
        .to_string()
}

struct Arrow {
    msg: u64,
    saga: u32,
    from: Node,
    to: Node,
    sent: Time,
    /// Delivery times (empty while in flight or when lost).
    delivered: Vec<Time>,
    lost: bool,
    undo: bool,
    retry: bool,
    label: String,
}

/// The sequence diagram of the last [`MESSAGES_SHOWN`] messages: lanes across, one row per
/// message down, in the order they were sent. Time runs down but not to scale (a 20 ms bus
/// delay next to a 10 s gap between sagas would be invisible): an arrow ends at the height
/// where its delivery falls between the sends around it, and is labelled with its time on the
/// bus.
fn sequence(r: &Run<SagaLab>, lab: &SagaLab) -> Html {
    let lanes = lanes(lab);
    let now = r.now();
    const W: f64 = 760.0;
    const TOP: f64 = 30.0;
    const ROW: f64 = 22.0;
    const LEFT: f64 = 170.0;
    let lane_x = |n: Node| -> Option<f64> {
        let i = lanes.iter().position(|&l| l == n)?;
        Some(LEFT + i as f64 * (W - LEFT - 130.0) / (lanes.len().max(2) - 1) as f64)
    };
    // The bus's own lane, where losses, redeliveries and lost acknowledgements are marked.
    const BUS_X: f64 = W - 40.0;
    let mut bus_marks = Vec::new();
    let mut dropped = std::collections::BTreeSet::new();
    let mut arrows = Vec::new();
    let mut marks = Vec::new();
    let mut from = now;
    for e in r.log().iter().rev() {
        if arrows.len() == MESSAGES_SHOWN && e.time < from {
            break;
        }
        let EntryKind::Event(ev) = &e.kind else {
            continue;
        };
        match ev {
            Event::Dropped { msg, .. } => {
                dropped.insert(*msg);
                bus_marks.push((e.time, "fail", ev.to_string()));
            }
            Event::AckLost { .. } | Event::Unavailable { .. } => {
                bus_marks.push((e.time, "fail", ev.to_string()));
            }
            Event::Redelivered { .. } => bus_marks.push((e.time, "retry", ev.to_string())),
            Event::Sent { msg, .. } if arrows.len() < MESSAGES_SHOWN => {
                from = e.time;
                arrows.push(Arrow {
                    msg: msg.id,
                    saga: msg.body.saga(),
                    from: msg.from,
                    to: msg.to,
                    sent: e.time,
                    delivered: lab.delivered_at(msg.id).to_vec(),
                    lost: dropped.contains(&msg.id),
                    undo: compensating(&msg.body),
                    retry: msg.attempt > 1,
                    label: message_label(&ev.to_string()),
                });
            }
            Event::Sent { .. } => {}
            Event::Crashed { node, .. } | Event::Recovered { node, .. } => {
                marks.push((e.time, *node, "crash", ev.to_string()));
            }
            Event::Committed { service, phase, .. } => marks.push((
                e.time,
                Node::Service(*service),
                if *phase == Phase::Compensate {
                    "undo"
                } else {
                    "commit"
                },
                ev.to_string(),
            )),
            Event::Declined { service, .. } | Event::TransientError { service, .. } => {
                marks.push((e.time, Node::Service(*service), "fail", ev.to_string()));
            }
            Event::Absorbed { service, .. } => {
                marks.push((e.time, Node::Service(*service), "absorbed", ev.to_string()));
            }
            Event::Timeout { .. } | Event::GaveUp { .. } => {
                marks.push((e.time, lanes[0], "fail", ev.to_string()));
            }
            _ => {}
        }
    }
    arrows.reverse();
    marks.retain(|m| m.0 >= from);
    bus_marks.retain(|m| m.0 >= from);
    let rows = arrows.len();
    let h = TOP + (rows.max(4) as f64 + 1.0) * ROW;
    // Anchors (time, height): each send at its row, the present below the last; any time is
    // placed by interpolating between the anchors around it.
    let row_y = |i: usize| TOP + (i as f64 + 0.6) * ROW;
    let mut anchors: Vec<(Time, f64)> = arrows
        .iter()
        .enumerate()
        .map(|(i, a)| (a.sent, row_y(i)))
        .collect();
    anchors.push((now.max(from), row_y(rows)));
    let y = |t: Time| -> f64 {
        let after = anchors.partition_point(|&(at, _)| at < t);
        match (after.checked_sub(1).map(|i| anchors[i]), anchors.get(after)) {
            (_, Some(&(at, ay))) if at == t => ay,
            (Some((t0, y0)), Some(&(t1, y1))) => {
                y0 + (y1 - y0) * (t - t0) as f64 / (t1 - t0).max(1) as f64
            }
            (None, Some(&(_, ay))) => ay,
            (Some((_, y0)), None) => y0,
            (None, None) => TOP,
        }
    };
    html! {
        <section class="saga-seq" aria-labelledby="saga-seq-title">
            <div class="saga-section-head">
                <h2 id="saga-seq-title">{ "Sequence diagram" }</h2>
                <span class="muted small">{ format!("the last {MESSAGES_SHOWN} messages, one per row, time runs down") }</span>
            </div>
            <div class="saga-seq-scroll">
            <svg class="saga-sequence" data-testid="saga-sequence" viewBox={format!("0 0 {W} {h}")}
                role="img" aria-label="sequence diagram of the latest messages">
                <defs>
                    <marker id="saga-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
                        markerHeight="7" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke" />
                    </marker>
                </defs>
                <>{ for arrows.iter().enumerate().map(|(i, a)| html! {
                    <text class="saga-row-time" x="8" y={(row_y(i) + 3.0).to_string()}>
                        { format!("{} saga {}", fmt_time(a.sent), a.saga) }
                    </text>
                }) }</>
                <>{ for lanes.iter().map(|&n| {
                    let x = lane_x(n).unwrap_or(0.0);
                    let up = node_up(lab, n);
                    html! {
                        <g class={classes!("saga-lane", (!up).then_some("down"))} data-testid="saga-lane" data-node={n.to_string()}>
                            <text class="saga-lane-name" x={x.to_string()} y="16">
                                { if up { n.to_string() } else { format!("{n} (down)") } }
                            </text>
                            <line x1={x.to_string()} x2={x.to_string()} y1={(TOP - 8.0).to_string()}
                                y2={(h - 4.0).to_string()} />
                        </g>
                    }
                }) }</>
                <>{ for arrows.iter().enumerate().rev().filter_map(|(i, a)| {
                    let (x1, x2) = (lane_x(a.from)?, lane_x(a.to)?);
                    let end = a.delivered.first().copied();
                    let y1 = row_y(i);
                    let (x2, y2) = match end {
                        Some(t) => (x2, y(t)),
                        None if a.lost => (BUS_X, y1 + ROW * 0.4),
                        None => {
                            // In flight: as far as the present, along the way to the receiver.
                            let dur = (now - a.sent).max(1) as f64;
                            let whole = (lab.bus().delay_ms + lab.bus().jitter_ms).max(1) as f64;
                            let f = (dur / whole).min(0.9);
                            (x1 + (x2 - x1) * f, y(now).max(y1 + 2.0))
                        }
                    };
                    let class = classes!(
                        "saga-msg",
                        a.undo.then_some("undo"),
                        a.retry.then_some("retry"),
                        a.lost.then_some("lost"),
                        (end.is_none() && !a.lost).then_some("flight"),
                    );
                    let bus = end.map(|t| format!(" · {} ms", t - a.sent)).unwrap_or_default();
                    let twice = if a.delivered.len() > 1 { " ×2" } else { "" };
                    // Labels start right of the leftmost lane the arrow touches, clear of the
                    // time column.
                    let tx = x1.min(lane_x(a.to).unwrap_or(x1)) + 6.0;
                    Some(html! {
                        <g {class} data-testid="saga-arrow" data-msg={a.msg.to_string()}
                            data-saga={a.saga.to_string()} data-undo={a.undo.to_string()}
                            data-sent={a.sent.to_string()}
                            data-delivered={end.map(|t| t.to_string()).unwrap_or_default()}>
                            <title>{ format!("#{} {} → {}: {}{}", a.msg, a.from, a.to, a.label, bus) }</title>
                            <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()}
                                y2={y2.to_string()} marker-end={(!a.lost && end.is_some()).then_some("url(#saga-arrow)")} />
                            if a.lost {
                                <text class="saga-lost" x={x2.to_string()} y={(y2 + 4.0).to_string()}>{ "✗" }</text>
                            }
                            <text x={tx.to_string()} y={(y1 - 2.0).to_string()}>
                                { format!("#{} {}{}{}", a.msg, a.label, bus, twice) }
                            </text>
                        </g>
                    })
                }) }</>
                <g class="saga-lane bus" data-testid="saga-lane" data-node="bus">
                    <text class="saga-lane-name" x={BUS_X.to_string()} y="16">{ "bus" }</text>
                    <line x1={BUS_X.to_string()} x2={BUS_X.to_string()} y1={(TOP - 8.0).to_string()}
                        y2={(h - 4.0).to_string()} />
                </g>
                <>{ for bus_marks.iter().map(|(t, kind, text)| html! {
                    <circle class={classes!("saga-mark", *kind)} cx={BUS_X.to_string()} cy={y(*t).to_string()} r="4">
                        <title>{ format!("{} {text}", fmt_time(*t)) }</title>
                    </circle>
                }) }</>
                <>{ for marks.iter().filter_map(|(t, n, kind, text)| {
                    let x = lane_x(*n)?;
                    Some(html! {
                        <circle class={classes!("saga-mark", *kind)} cx={x.to_string()} cy={y(*t).to_string()} r="4">
                            <title>{ format!("{} {text}", fmt_time(*t)) }</title>
                        </circle>
                    })
                }) }</>
            </svg>
            </div>
            <ul class="saga-legend">
                <li><span class="swatch cmd"></span>{ "command / reply (sent → delivered, time on the bus)" }</li>
                <li><span class="swatch undo"></span>{ "compensation" }</li>
                <li><span class="swatch retry"></span>{ "retry" }</li>
                <li><span class="swatch lost"></span>{ "lost ✗" }</li>
                <li><span class="dot commit"></span>{ "commit" }</li>
                <li><span class="dot undo"></span>{ "undone" }</li>
                <li><span class="dot fail"></span>{ "failure, timeout" }</li>
                <li><span class="dot absorbed"></span>{ "duplicate absorbed" }</li>
            </ul>
        </section>
    }
}

/// Each recent saga's state machine: the flow's steps forward, the compensations it ran, the
/// end state; the states it went through are filled and the current one is outlined.
fn sagas(lab: &SagaLab) -> Html {
    let recent: Vec<_> = lab.sagas().values().rev().take(SAGAS_SHOWN).collect();
    let steps: Vec<&str> = lab.flow().steps.iter().map(|s| s.name.as_str()).collect();
    html! {
        <section class="saga-machines-panel" aria-labelledby="saga-machines-title">
            <div class="saga-section-head">
                <h2 id="saga-machines-title">{ "Sagas" }</h2>
                <span class="muted small">{ format!("state machines of the newest {SAGAS_SHOWN}") }</span>
            </div>
            if recent.is_empty() {
                <p class="muted small">{ "No saga has started yet: press play, or Start a saga." }</p>
            }
            <ol class="saga-machines" data-testid="saga-machines">
                <>{ for recent.iter().map(|info| {
                    let visited: Vec<&str> = info.history.iter().map(|(_, s)| s.as_str()).collect();
                    let current = visited.last().copied().unwrap_or_default();
                    let status = if info.lost { "lost" } else if info.stuck { "stuck" } else { info.status.name() };
                    let state = |name: String, class: &'static str| {
                        let seen = visited.contains(&name.as_str());
                        let at = name == current;
                        let when = info.history.iter().find(|(_, s)| *s == name).map(|(t, _)| fmt_time(*t));
                        html! {
                            <li class={classes!("saga-state", class, seen.then_some("seen"), at.then_some("current"))}
                                data-state={name.clone()} aria-current={at.then_some("step")}
                                title={when.map(|w| format!("entered at {w}")).unwrap_or_else(|| "not reached".into())}>
                                { name }
                            </li>
                        }
                    };
                    let undo: Vec<&str> = visited.iter().copied().filter(|s| s.starts_with("undo ")).collect();
                    let ended_badly = matches!(info.status, SagaStatus::Compensated | SagaStatus::RollbackIncomplete)
                        || info.status == SagaStatus::Compensating;
                    html! {
                        <li class={classes!("saga-machine", status.replace(' ', "-"))} data-testid={format!("saga-{}", info.id)}
                            data-status={status}>
                            <div class="saga-machine-head">
                                <strong>{ format!("saga {}", info.id) }</strong>
                                <span class="saga-status">{ status }</span>
                                <span class="muted small">{ format!("{} {} · {} · started {}", info.quantity,
                                    if info.quantity == 1 { "item" } else { "items" }, info.price, fmt_time(info.started)) }</span>
                            </div>
                            <ol class="saga-states forward">
                                <>{ for steps.iter().map(|s| state(s.to_string(), "step")) }</>
                                { state("completed".into(), "end ok") }
                            </ol>
                            if ended_badly || !undo.is_empty() {
                                <ol class="saga-states backward" data-testid="saga-undo-chain">
                                    <>{ for undo.iter().map(|s| state(s.to_string(), "undo")) }</>
                                    { if info.status == SagaStatus::RollbackIncomplete {
                                        state("rollback incomplete".into(), "end bad")
                                    } else {
                                        state("compensated".into(), "end undone")
                                    } }
                                </ol>
                            }
                        </li>
                    }
                }) }</>
            </ol>
        </section>
    }
}

/// An idempotency key as a short label: "s3 authorize_payment" or "s3 undo authorize_payment".
fn key_label(lab: &SagaLab, saga: u32, step: u8, phase: Phase) -> String {
    let name = lab
        .flow()
        .steps
        .get(step as usize)
        .map_or("?", |s| s.name.as_str());
    let undo = if phase == Phase::Compensate {
        "undo "
    } else {
        ""
    };
    format!("s{saga} {undo}{name}")
}

/// The orders service's records by status, e.g. "2 completed · 1 cancelled".
fn order_counts(lab: &SagaLab) -> String {
    let mut counts: Vec<(&'static str, u32)> = Vec::new();
    for id in lab.sagas().keys() {
        if let Some(status) = lab.order(*id) {
            match counts.iter_mut().find(|(n, _)| *n == status.name()) {
                Some((_, c)) => *c += 1,
                None => counts.push((status.name(), 1)),
            }
        }
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(n, c)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Each service the flow uses: up or down, its pools, processed ids, outbox and locks.
fn services(lab: &SagaLab) -> Html {
    let used: Vec<ServiceName> = ServiceName::ALL
        .into_iter()
        .filter(|s| lab.flow().steps.iter().any(|st| st.service() == *s))
        .collect();
    html! {
        <section class="saga-services-panel" aria-labelledby="saga-services-title">
            <div class="saga-section-head">
                <h2 id="saga-services-title">{ "Services' local state" }</h2>
            </div>
            <div class="saga-services" data-testid="saga-services">
                <>{ for used.iter().map(|&s| {
                    let svc = &lab.services[s.index()];
                    let processed: Vec<String> = svc.inbox.keys().rev().take(3)
                        .map(|k| key_label(lab, k.saga, k.step, k.phase)).collect();
                    let outbox: Vec<String> = svc.outbox.iter().take(3)
                        .map(|m| format!("#{} to {}", m.id, m.to)).collect();
                    html! {
                        <div class={classes!("saga-service", (!svc.up).then_some("down"))} data-testid={format!("saga-service-{}", s.name())}>
                            <div class="saga-service-head">
                                <strong>{ s.name() }</strong>
                                <span class={if svc.up { "up" } else { "down" }}>{ if svc.up { "up" } else { "down" } }</span>
                            </div>
                            <dl>
                                <>{ for Pool::ALL.iter().filter(|p| p.service() == s).map(|p| html! {
                                    <div><dt>{ p.name() }</dt><dd data-pool={p.name()}>{ lab.pool(*p) }</dd></div>
                                }) }</>
                            </dl>
                            if s == ServiceName::Orders {
                                <p class="small" data-testid="saga-orders">
                                    <span class="muted">{ "orders: " }</span>{ order_counts(lab) }
                                </p>
                            }
                            <p class="small"><span class="muted">{ format!("processed ids {}: ", svc.inbox.len()) }</span>
                                { if processed.is_empty() { "none".to_string() } else { processed.join(", ") } }</p>
                            <p class="small"><span class="muted">{ format!("outbox {}: ", svc.outbox.len()) }</span>
                                { if outbox.is_empty() { "empty".to_string() } else { outbox.join(", ") } }</p>
                            if !svc.locks.is_empty() {
                                <p class="small"><span class="muted">{ format!("locks held {}: ", svc.locks.len()) }</span>
                                    { svc.locks.iter().take(3).map(|k| key_label(lab, k.saga, k.step, k.phase)).collect::<Vec<_>>().join(", ") }</p>
                            }
                        </div>
                    }
                }) }</>
            </div>
        </section>
    }
}

/// One row of the history table.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    time: Time,
    saga: Option<u32>,
    /// The participants the row concerns (sender and receiver for a message).
    nodes: Vec<String>,
    kind: &'static str,
    text: String,
}

/// The kinds the history table filters by.
const KINDS: &[&str] = &[
    "command", "reply", "event", "2pc", "service", "saga", "fault", "input",
];

fn history_row(e: &Entry<Event>) -> HistoryRow {
    let (saga, nodes, kind): (Option<u32>, Vec<String>, &'static str) = match &e.kind {
        EntryKind::Command(_) | EntryKind::Refused { .. } => (None, vec![], "input"),
        EntryKind::Event(ev) => match ev {
            Event::Sent { msg, .. } => (
                Some(msg.body.saga()),
                vec![msg.from.to_string(), msg.to.to_string()],
                match msg.body {
                    Body::Command(_) => "command",
                    Body::Reply(..) => "reply",
                    Body::Event(..) => "event",
                    _ => "2pc",
                },
            ),
            Event::Dropped { to, .. }
            | Event::Redelivered { to, .. }
            | Event::Unavailable { to, .. } => (None, vec![to.to_string()], "fault"),
            Event::AckLost { by, .. } => (None, vec![by.to_string()], "fault"),
            Event::Crashed { node, .. } | Event::Recovered { node, .. } => {
                (None, vec![node.to_string()], "fault")
            }
            Event::LostPublish { service, saga, .. }
            | Event::TransientError { service, saga, .. } => {
                (Some(*saga), vec![service.name().to_string()], "fault")
            }
            Event::Committed { service, saga, .. }
            | Event::NothingToUndo { service, saga, .. }
            | Event::Declined { service, saga, .. }
            | Event::Locked { service, saga, .. }
            | Event::Absorbed { service, saga, .. }
            | Event::Voted { service, saga, .. }
            | Event::Released { service, saga, .. } => {
                (Some(*saga), vec![service.name().to_string()], "service")
            }
            Event::Relayed { service, .. } => (None, vec![service.name().to_string()], "service"),
            Event::Timeout { saga, .. }
            | Event::GaveUp { saga, .. }
            | Event::CrashBeforeSend { saga, .. } => {
                (Some(*saga), vec!["orchestrator".into()], "fault")
            }
            Event::Waiting { saga, .. } => (Some(*saga), vec!["orchestrator".into()], "saga"),
            Event::OrchestratorRelayed { .. } => (None, vec!["orchestrator".into()], "service"),
            Event::Lost { saga, .. } => (Some(*saga), vec![], "saga"),
            Event::SagaStarted { saga, .. }
            | Event::Compensating { saga, .. }
            | Event::LateReply { saga, .. }
            | Event::Finished { saga, .. }
            | Event::Stuck { saga, .. }
            | Event::Decided { saga, .. }
            | Event::DirtyRead { saga, .. }
            | Event::LostUpdate { saga, .. } => (Some(*saga), vec![], "saga"),
            Event::FaultArmed { .. } | Event::Setting { .. } => (None, vec![], "input"),
        },
    };
    let text = match &e.kind {
        EntryKind::Event(ev) => ev.to_string(),
        EntryKind::Command(c) => format!("> {c}"),
        EntryKind::Refused { command, reason } => format!("refused {command}: {reason}"),
    };
    HistoryRow {
        time: e.time,
        saga,
        nodes,
        kind,
        text,
    }
}

thread_local! {
    /// The history rows of the runs drawn lately (two when comparing), by the run's address.
    static HISTORIES: RefCell<Vec<(usize, Rc<RefCell<HistoryLog>>)>> = const { RefCell::new(Vec::new()) };
    /// The next [`HistoryLog::generation`], unique across runs.
    static NEXT_GENERATION: Cell<u64> = const { Cell::new(1) };
}

/// How many runs' history rows are kept: the two sides of a comparison.
const HISTORIES_KEPT: usize = 2;

fn next_generation() -> u64 {
    NEXT_GENERATION.with(|g| {
        let n = g.get();
        g.set(n + 1);
        n
    })
}

/// The history rows of one run: each log entry converted once, and kept in step with the log
/// from one frame to the next instead of rebuilt.
///
/// | between two frames the run…              | the rows…                                        |
/// |------------------------------------------|--------------------------------------------------|
/// | advanced (the log grew)                  | get the new entries appended                     |
/// | sought back (the log is shorter)         | are cut to the log's length                      |
/// | took a command (a new timeline)          | are cut before the time of the first changed input, then appended |
/// | is another scenario                      | are rebuilt                                      |
///
/// This holds because a run's log is a function of its scenario, its inputs and how far it
/// went: with the same scenario and inputs, a shorter log is a prefix of a longer one, and an
/// input at time t changes no entry before t. Only the newest [`HISTORY_ENTRIES`] entries are
/// kept; older rows fall off the front in batches.
///
/// `generation` changes whenever rows the table may have filtered could differ from the
/// rows now at the same log index (a new timeline, a rebuild); the table then filters afresh,
/// and otherwise filters only the rows it has not seen.
pub struct HistoryLog {
    scenario: Scenario,
    inputs: Vec<Input<Command>>,
    generation: u64,
    /// How many of the newest entries are kept ([`HISTORY_ENTRIES`]; smaller in tests).
    cap: usize,
    /// The log index of `rows[0]`.
    start: usize,
    rows: Vec<HistoryRow>,
    /// How many rows concern each saga (the saga filter's choices).
    sagas: BTreeMap<u32, usize>,
}

impl HistoryLog {
    fn new(r: &Run<SagaLab>) -> HistoryLog {
        HistoryLog::with_cap(r, HISTORY_ENTRIES)
    }

    fn with_cap(r: &Run<SagaLab>, cap: usize) -> HistoryLog {
        let mut h = HistoryLog {
            scenario: r.scenario().clone(),
            inputs: r.inputs().to_vec(),
            generation: next_generation(),
            cap,
            start: 0,
            rows: Vec::new(),
            sagas: BTreeMap::new(),
        };
        h.append(r.log());
        h
    }

    /// The log index just past the last row.
    fn end(&self) -> usize {
        self.start + self.rows.len()
    }

    /// Brings the rows in step with the run's log.
    fn sync(&mut self, r: &Run<SagaLab>) {
        if self.scenario != *r.scenario() {
            *self = HistoryLog::with_cap(r, self.cap);
            return;
        }
        if self.inputs.as_slice() != r.inputs() {
            let (old, new) = (&self.inputs, r.inputs());
            let first = old
                .iter()
                .zip(new)
                .position(|(a, b)| a != b)
                .unwrap_or(old.len().min(new.len()));
            let changed_at = [old.get(first), new.get(first)]
                .into_iter()
                .flatten()
                .map(|i| i.time)
                .min()
                .unwrap_or(0);
            let keep = self.rows.partition_point(|row| row.time < changed_at);
            self.cut(self.start + keep);
            self.inputs = new.to_vec();
            self.generation = next_generation();
        }
        self.cut(r.log().len());
        self.append(r.log());
    }

    /// Drops the rows from log index `len` on.
    fn cut(&mut self, len: usize) {
        let keep = len.saturating_sub(self.start).min(self.rows.len());
        for row in self.rows.drain(keep..) {
            uncount(&mut self.sagas, row.saga);
        }
    }

    /// Converts the log entries past the last row (after [`HistoryLog::cut`] to the log).
    fn append(&mut self, log: &[Entry<Event>]) {
        if self.rows.is_empty() {
            // Nothing kept: start from the newest entries. Rows the table has not filtered
            // may now come before the ones it has, so it must filter afresh.
            let start = log.len().saturating_sub(self.cap);
            if start < self.start {
                self.generation = next_generation();
            }
            self.start = start;
        }
        for e in &log[self.end().min(log.len())..] {
            let row = history_row(e);
            if let Some(s) = row.saga {
                *self.sagas.entry(s).or_default() += 1;
            }
            self.rows.push(row);
        }
        if self.rows.len() > self.cap + self.cap / 4 {
            let dropped = self.rows.len() - self.cap;
            for row in self.rows.drain(..dropped) {
                uncount(&mut self.sagas, row.saga);
            }
            self.start += dropped;
        }
    }
}

fn uncount(sagas: &mut BTreeMap<u32, usize>, saga: Option<u32>) {
    if let Some(s) = saga {
        if let Some(n) = sagas.get_mut(&s) {
            *n -= 1;
            if *n == 0 {
                sagas.remove(&s);
            }
        }
    }
}

/// The history rows of this run, in step with its log.
fn history_of(r: &Run<SagaLab>) -> Rc<RefCell<HistoryLog>> {
    let key = r as *const Run<SagaLab> as usize;
    HISTORIES.with(|h| {
        let mut h = h.borrow_mut();
        let log = match h.iter().position(|(k, _)| *k == key) {
            Some(i) => {
                let log = h.remove(i).1;
                log.borrow_mut().sync(r);
                log
            }
            None => Rc::new(RefCell::new(HistoryLog::new(r))),
        };
        h.insert(0, (key, Rc::clone(&log)));
        h.truncate(HISTORIES_KEPT);
        log
    })
}

/// The history table's input: a run's rows and where they stand. Two sources are equal when
/// they are the same rows at the same generation and extent, so the table draws again only
/// when the log changed.
#[derive(Clone)]
struct HistorySource {
    log: Rc<RefCell<HistoryLog>>,
    generation: u64,
    start: usize,
    end: usize,
}

impl HistorySource {
    fn of(r: &Run<SagaLab>) -> HistorySource {
        let log = history_of(r);
        let (generation, start, end) = {
            let l = log.borrow();
            (l.generation, l.start, l.end())
        };
        HistorySource {
            log,
            generation,
            start,
            end,
        }
    }
}

impl PartialEq for HistorySource {
    fn eq(&self, other: &HistorySource) -> bool {
        Rc::ptr_eq(&self.log, &other.log)
            && (self.generation, self.start, self.end) == (other.generation, other.start, other.end)
    }
}

/// What the history table shows: rows of one saga, participant and kind within a time range
/// (each empty or `None` for all).
#[derive(Clone, Debug, Default, PartialEq)]
struct HistoryFilter {
    saga: Option<u32>,
    node: String,
    kind: String,
    from: Option<Time>,
    to: Option<Time>,
}

impl HistoryFilter {
    fn matches(&self, r: &HistoryRow) -> bool {
        self.saga.is_none_or(|s| r.saga == Some(s))
            && (self.node.is_empty() || r.nodes.contains(&self.node))
            && (self.kind.is_empty() || r.kind == self.kind)
            && self.from.is_none_or(|t| r.time >= t)
            && self.to.is_none_or(|t| r.time <= t)
    }
}

/// The log indices of the rows matching a filter, kept up to date with the least work: a new
/// filter or generation filters every row again; otherwise only rows past the last scan are
/// filtered, and indices cut off either end are dropped.
#[derive(Debug, Default)]
struct Matches {
    generation: Option<u64>,
    filter: HistoryFilter,
    /// The log index up to which rows have been filtered.
    scanned: usize,
    found: Vec<usize>,
}

impl Matches {
    fn update(&mut self, log: &HistoryLog, filter: &HistoryFilter) {
        if self.generation != Some(log.generation) || self.filter != *filter {
            *self = Matches {
                generation: Some(log.generation),
                filter: filter.clone(),
                scanned: log.start,
                found: Vec::new(),
            };
        }
        let end = log.end();
        let kept = self.found.partition_point(|&i| i < end);
        self.found.truncate(kept);
        let fallen = self.found.partition_point(|&i| i < log.start);
        self.found.drain(..fallen);
        for i in self.scanned.clamp(log.start, end)..end {
            if filter.matches(&log.rows[i - log.start]) {
                self.found.push(i);
            }
        }
        self.scanned = end;
    }
}

/// The positions in `found` (log indices of matching rows, ascending) of the page shown: the
/// newest [`HISTORY_PAGE`] rows when `anchor` is `None` (following the run), or the page
/// ending at the row with log index `anchor` (or the last before it); a page near the oldest
/// row is filled from the front.
fn page_of(found: &[usize], anchor: Option<usize>) -> Range<usize> {
    let end = anchor.map_or(found.len(), |a| found.partition_point(|&i| i <= a));
    let end = end.max(HISTORY_PAGE.min(found.len()));
    end.saturating_sub(HISTORY_PAGE)..end
}

/// Parses a time typed in seconds ("1.25") as milliseconds; empty is no bound.
fn parse_seconds(s: &str) -> Result<Option<Time>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if (0.0..1e12).contains(&v) => Ok(Some((v * 1000.0).round() as Time)),
        _ => Err(format!("“{s}” is not a time in seconds")),
    }
}

#[derive(Properties, PartialEq)]
struct HistoryProps {
    source: HistorySource,
    lanes: Rc<Vec<String>>,
}

/// The history table: the newest log entries, filtered by saga, participant, kind and a time
/// range, one page of [`HISTORY_PAGE`] rows at a time. The newest page follows the run; an
/// older page stays put while the run goes on. Changing a filter returns to the newest page.
#[function_component(SagaHistory)]
fn saga_history(props: &HistoryProps) -> Html {
    let saga = use_state(String::new);
    let node = use_state(String::new);
    let kind = use_state(String::new);
    let from = use_state(String::new);
    let to = use_state(String::new);
    // `None`: the newest page; `Some(i)`: the page ending at log index `i`.
    let anchor = use_state(|| None::<usize>);
    let matches = use_mut_ref(Matches::default);
    let on_select = |h: UseStateHandle<String>| {
        let anchor = anchor.clone();
        Callback::from(move |e: web_sys::Event| {
            if let Some(el) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                h.set(el.value());
                anchor.set(None);
            }
        })
    };
    let on_input = |h: UseStateHandle<String>| {
        let anchor = anchor.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(el) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                h.set(el.value());
                anchor.set(None);
            }
        })
    };
    let range = parse_seconds(&from).and_then(|a| parse_seconds(&to).map(|b| (a, b)));
    let (lo, hi) = range.clone().unwrap_or((None, None));
    let filter = HistoryFilter {
        saga: saga.parse().ok(),
        node: (*node).clone(),
        kind: (*kind).clone(),
        from: lo,
        to: hi,
    };
    let log = props.source.log.borrow();
    let mut matches = matches.borrow_mut();
    matches.update(&log, &filter);
    let found = &matches.found;
    let page = page_of(found, *anchor);
    let live = anchor.is_none();
    let go = |to: Option<usize>| {
        let anchor = anchor.clone();
        Callback::from(move |_: MouseEvent| anchor.set(to))
    };
    let older = (page.start > 0).then(|| go(Some(found[page.start - 1])));
    let newer = (!live).then(|| {
        let end = page.end + HISTORY_PAGE;
        go((end < found.len()).then(|| found[end - 1]))
    });
    let reset = {
        let hs = [
            saga.clone(),
            node.clone(),
            kind.clone(),
            from.clone(),
            to.clone(),
        ];
        let anchor = anchor.clone();
        Callback::from(move |_: MouseEvent| {
            hs.iter().for_each(|h| h.set(String::new()));
            anchor.set(None);
        })
    };
    let count = if found.is_empty() {
        format!("0 of {} entries", log.rows.len())
    } else {
        format!(
            "{}–{} of {} matching{}",
            page.start + 1,
            page.end,
            found.len(),
            if found.len() == log.rows.len() {
                String::new()
            } else {
                format!(" ({} entries)", log.rows.len())
            }
        )
    };
    html! {
        <section class="saga-history" aria-labelledby="saga-history-title" data-testid="saga-history">
            <div class="saga-section-head">
                <h2 id="saga-history-title">{ "History" }</h2>
                <span class="muted small" data-testid="saga-history-count">{ count }</span>
                if log.start > 0 {
                    <span class="muted small">{ format!("the newest {HISTORY_ENTRIES} log entries") }</span>
                }
            </div>
            <div class="saga-filters">
                <label>{ "Saga" }
                    <select data-testid="saga-filter-saga" onchange={on_select(saga.clone())}>
                        <option value="" selected={saga.is_empty()}>{ "all" }</option>
                        <>{ for log.sagas.keys().map(|s| html! {
                            <option value={s.to_string()} selected={*saga == s.to_string()}>{ s }</option>
                        }) }</>
                    </select>
                </label>
                <label>{ "Service" }
                    <select data-testid="saga-filter-node" onchange={on_select(node.clone())}>
                        <option value="" selected={node.is_empty()}>{ "all" }</option>
                        <>{ for props.lanes.iter().map(|n| html! {
                            <option value={n.clone()} selected={*node == *n}>{ n }</option>
                        }) }</>
                    </select>
                </label>
                <label>{ "Kind" }
                    <select data-testid="saga-filter-kind" onchange={on_select(kind.clone())}>
                        <option value="" selected={kind.is_empty()}>{ "all" }</option>
                        <>{ for KINDS.iter().map(|k| html! {
                            <option value={*k} selected={kind.as_str() == *k}>{ *k }</option>
                        }) }</>
                    </select>
                </label>
                <label>{ "From (s)" }
                    <input data-testid="saga-filter-from" inputmode="decimal" size="6" value={(*from).clone()} oninput={on_input(from.clone())} />
                </label>
                <label>{ "To (s)" }
                    <input data-testid="saga-filter-to" inputmode="decimal" size="6" value={(*to).clone()} oninput={on_input(to.clone())} />
                </label>
                <button onclick={reset}>{ "Clear" }</button>
            </div>
            if let Err(e) = &range {
                <p class="saga-filter-error" role="alert">{ e }</p>
            }
            <div class="saga-history-scroll">
                <table>
                    <thead><tr><th>{ "time" }</th><th>{ "saga" }</th><th>{ "kind" }</th><th>{ "what happened" }</th></tr></thead>
                    <tbody>
                        <>{ for found[page.clone()].iter().map(|&i| {
                            let r = &log.rows[i - log.start];
                            html! {
                                <tr key={i} data-kind={r.kind} data-entry={i.to_string()}>
                                    <td class="t">{ fmt_time(r.time) }</td>
                                    <td>{ r.saga.map(|s| s.to_string()).unwrap_or_default() }</td>
                                    <td><span class={classes!("saga-kind", r.kind)}>{ r.kind }</span></td>
                                    <td class="what">{ &r.text }</td>
                                </tr>
                            }
                        }) }</>
                    </tbody>
                </table>
            </div>
            <nav class="saga-history-pager" aria-label="history pages" data-testid="saga-history-pager"
                data-live={live.to_string()}>
                <button data-testid="saga-history-older" disabled={older.is_none()}
                    onclick={older.unwrap_or_default()}>{ "‹ Older" }</button>
                <button data-testid="saga-history-newer" disabled={newer.is_none()}
                    onclick={newer.unwrap_or_default()}>{ "Newer ›" }</button>
                <button data-testid="saga-history-newest" disabled={live}
                    onclick={go(None)}>{ "Newest »" }</button>
                <span class="muted small">
                    { if live { "following the run" } else { "held at this page" } }
                </span>
            </nav>
        </section>
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
                if bus.drop_pct > 0 {
                    format!("Bus drops {}%", bus.drop_pct)
                } else {
                    "Bus drops 10%".to_string()
                }
                .as_str(),
                json!({"bus": {"drop_pct": if bus.drop_pct > 0 { 0 } else { 10 }}}),
            )
            .pressed(bus.drop_pct > 0),
            Fault::new(
                "bus-duplicate",
                if bus.duplicate_pct > 0 {
                    format!("Bus duplicates {}%", bus.duplicate_pct)
                } else {
                    "Bus duplicates 10%".to_string()
                }
                .as_str(),
                json!({"bus": {"duplicate_pct": if bus.duplicate_pct > 0 { 0 } else { 10 }}}),
            )
            .pressed(bus.duplicate_pct > 0),
            Fault::new(
                "bus-delay",
                "Bus delay 500 ms",
                json!({"bus": {"delay_ms": if bus.delay_ms >= 500 { lab.scenario().bus.delay_ms.min(499) } else { 500 }}}),
            )
            .hint("Every delivery takes 500 ms longer: replies may miss the orchestrator's timeout.")
            .pressed(bus.delay_ms >= 500),
            Fault::new(
                "bus-reorder",
                "Bus reorders (jitter 400 ms)",
                json!({"bus": {"jitter_ms": if bus.jitter_ms >= 400 { lab.scenario().bus.jitter_ms.min(399) } else { 400 }}}),
            )
            .hint("Each delivery waits up to 400 ms more, so messages overtake each other.")
            .pressed(bus.jitter_ms >= 400),
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
        "bus" => {
            let mut parts = Vec::new();
            if let Some(v) = args.get("drop_pct").and_then(Value::as_u64) {
                parts.push(format!("loss to {v}%"));
            }
            if let Some(v) = args.get("duplicate_pct").and_then(Value::as_u64) {
                parts.push(format!("duplication to {v}%"));
            }
            if let Some(v) = args.get("jitter_ms").and_then(Value::as_u64) {
                parts.push(format!("jitter to {v} ms"));
            }
            if let Some(v) = args.get("delay_ms").and_then(Value::as_u64) {
                parts.push(format!("delay to {v} ms"));
            }
            format!("You set the bus's {}", parts.join(", "))
        }
        "outbox" => format!("You turned the outbox {}", if on() { "on" } else { "off" }),
        "idempotency" => format!(
            "You turned idempotent consumers {}",
            if on() { "on" } else { "off" }
        ),
        _ => return None,
    })
}

#[derive(Properties, PartialEq)]
struct FlowEditorProps {
    /// The run's flow, which the editor starts from.
    flow: Rc<Flow>,
    /// The run's scenario, which a new run keeps apart from the flow.
    scenario: Rc<Value>,
}

/// The action with this name.
fn action(name: &str) -> Option<Action> {
    Action::ALL.into_iter().find(|a| a.name() == name)
}

const KIND_NAMES: [StepKind; 3] = [
    StepKind::Compensatable,
    StepKind::Pivot,
    StepKind::Retriable,
];

/// A scenario running `steps` as a custom flow, checked by the core, as a share link's fragment
/// for a new run; or why it cannot run.
fn custom_flow_link(scenario: &Value, steps: &[Step]) -> Result<String, String> {
    let mut v = scenario.clone();
    let flow = Flow {
        name: "custom".into(),
        steps: steps.to_vec(),
    };
    v["flow"] = json!("custom");
    v["custom_flow"] = serde_json::to_value(&flow).map_err(|e| e.to_string())?;
    new_run_link(v)
}

/// A new run of `scenario` (checked by the core) as a share link's fragment, or why it cannot
/// run.
fn new_run_link(v: Value) -> Result<String, String> {
    let parsed: Scenario = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    parsed.validate()?;
    let payload = link::Payload {
        v: link::VERSION,
        lab: "saga".into(),
        scenario: v,
        inputs: Vec::new(),
        cursor: 0,
        view: Default::default(),
    };
    Ok(format!("#/saga?s={}", link::encode(&payload)))
}

/// A small flow editor: steps with their action, kind and compensation; "Run this flow"
/// starts a new run of it (through a link, so it can be shared at once).
#[function_component(FlowEditor)]
fn flow_editor(props: &FlowEditorProps) -> Html {
    let steps = {
        let flow = Rc::clone(&props.flow);
        use_state(move || flow.steps.clone())
    };
    let error = use_state(|| None::<String>);
    let edit = |i: usize, f: fn(&mut Step, String)| {
        let steps = steps.clone();
        Callback::from(move |e: web_sys::Event| {
            let value = if let Some(el) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                el.value()
            } else if let Some(el) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                el.value()
            } else {
                return;
            };
            let mut v = (*steps).clone();
            if let Some(s) = v.get_mut(i) {
                f(s, value);
            }
            steps.set(v);
        })
    };
    let change = |i: usize, f: fn(&mut Vec<Step>, usize)| {
        let steps = steps.clone();
        Callback::from(move |_: MouseEvent| {
            let mut v = (*steps).clone();
            f(&mut v, i);
            steps.set(v);
        })
    };
    let run = {
        let steps = steps.clone();
        let error = error.clone();
        let scenario = Rc::clone(&props.scenario);
        Callback::from(
            move |_: MouseEvent| match custom_flow_link(&scenario, &steps) {
                Ok(fragment) => {
                    error.set(None);
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_hash(&fragment);
                    }
                }
                Err(e) => error.set(Some(e)),
            },
        )
    };
    let n = steps.len();
    html! {
        <details class="saga-editor" data-testid="saga-editor">
            <summary><h2>{ "Flow editor" }</h2>
                <span class="muted small">{ "build a flow from steps and run it" }</span></summary>
            <ol class="saga-editor-steps">
                <>{ for steps.iter().enumerate().map(|(i, s)| {
                    let undo: Vec<Action> = Action::ALL.into_iter().filter(|c| c.reverses(s.action)).collect();
                    html! {
                        <li class="saga-editor-step" data-testid="saga-editor-step">
                            <label>{ "name" }
                                <input value={s.name.clone()} onchange={edit(i, |s, v| s.name = v)} />
                            </label>
                            <label>{ "action" }
                                <select onchange={edit(i, |s, v| if let Some(a) = action(&v) {
                                    s.action = a;
                                    if s.compensation.is_some_and(|c| !c.reverses(a)) {
                                        s.compensation = Action::ALL.into_iter().find(|c| c.reverses(a));
                                    }
                                })}>
                                    <>{ for Action::ALL.iter().map(|a| html! {
                                        <option value={a.name()} selected={*a == s.action}>
                                            { format!("{} ({})", a.name(), a.service().name()) }
                                        </option>
                                    }) }</>
                                </select>
                            </label>
                            <label>{ "kind" }
                                <select data-testid="saga-editor-kind" onchange={edit(i, |s, v| {
                                    if let Some(k) = KIND_NAMES.into_iter().find(|k| k.name() == v) {
                                        s.kind = k;
                                        s.compensation = if k == StepKind::Compensatable {
                                            Action::ALL.into_iter().find(|c| c.reverses(s.action))
                                        } else {
                                            None
                                        };
                                    }
                                })}>
                                    <>{ for KIND_NAMES.iter().map(|k| html! {
                                        <option value={k.name()} selected={*k == s.kind}>{ k.name() }</option>
                                    }) }</>
                                </select>
                            </label>
                            <label>{ "compensation" }
                                <select onchange={edit(i, |s, v| s.compensation = action(&v))}>
                                    <option value="" selected={s.compensation.is_none()}>{ "none" }</option>
                                    <>{ for undo.iter().map(|a| html! {
                                        <option value={a.name()} selected={s.compensation == Some(*a)}>{ a.name() }</option>
                                    }) }</>
                                </select>
                            </label>
                            <span class="saga-editor-moves">
                                <button title="move up" aria-label="move up" disabled={i == 0}
                                    onclick={change(i, |v, i| v.swap(i - 1, i))}>{ "↑" }</button>
                                <button title="move down" aria-label="move down" disabled={i + 1 == n}
                                    onclick={change(i, |v, i| v.swap(i, i + 1))}>{ "↓" }</button>
                                <button title="remove" aria-label="remove step" disabled={n == 1}
                                    onclick={change(i, |v, i| { v.remove(i); })}>{ "✕" }</button>
                            </span>
                        </li>
                    }
                }) }</>
            </ol>
            <div class="saga-editor-actions">
                <button onclick={change(n, |v, i| v.push(Step {
                    name: format!("step_{}", i + 1),
                    action: Action::BookHotel,
                    compensation: Some(Action::CancelHotel),
                    kind: StepKind::Compensatable,
                }))} disabled={n >= MAX_STEPS}>{ "Add a step" }</button>
                <button class="primary" data-testid="saga-editor-run" onclick={run}>{ "Run this flow" }</button>
            </div>
            if let Some(e) = &*error {
                <p class="saga-editor-error" role="alert" data-testid="saga-editor-error">{ e }</p>
            }
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct ModeSwitchProps {
    scenario: Rc<Value>,
    mode: &'static str,
}

/// Orchestration, choreography or two-phase commit: choosing one starts a new run of the same
/// scenario in that mode (through a link, like the flow editor).
#[function_component(ModeSwitch)]
fn mode_switch(props: &ModeSwitchProps) -> Html {
    let error = use_state(|| None::<String>);
    let onchange = {
        let error = error.clone();
        let scenario = Rc::clone(&props.scenario);
        Callback::from(move |e: web_sys::Event| {
            let Some(el) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
                return;
            };
            let mut v = (*scenario).clone();
            v["mode"] = json!(el.value());
            match new_run_link(v) {
                Ok(fragment) => {
                    error.set(None);
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_hash(&fragment);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    html! {
        <label class="saga-mode-switch">
            <span class="muted small">{ "mode" }</span>
            <select data-testid="saga-mode-select" {onchange}>
                <>{ for MODES.iter().map(|m| html! {
                    <option value={*m} selected={*m == props.mode}>{ m.replace('_', " ") }</option>
                }) }</>
            </select>
            if let Some(e) = &*error {
                <span class="saga-editor-error" role="alert">{ e }</span>
            }
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A busy run: sagas every second with random faults on a lossy, duplicating bus.
    fn busy_run() -> Run<SagaLab> {
        let mut scenario = Scenario {
            sagas: 40,
            every_ms: 1_000,
            chaos_pct: 30,
            ..Scenario::default()
        };
        scenario.bus.drop_pct = 10;
        scenario.bus.duplicate_pct = 10;
        Run::new(scenario).expect("a valid scenario")
    }

    /// The rows and the filter's matches must equal a conversion and filtering of the log
    /// from scratch.
    fn check(h: &HistoryLog, m: &mut Matches, f: &HistoryFilter, r: &Run<SagaLab>) {
        let log = r.log();
        assert_eq!(h.end(), log.len(), "the rows reach the end of the log");
        assert!(
            h.rows.len() <= h.cap + h.cap / 4,
            "at most the cap and a batch"
        );
        let fresh: Vec<HistoryRow> = log[h.start..].iter().map(history_row).collect();
        assert!(h.rows == fresh, "rows differ from the log at {}", r.now());
        let mut sagas: BTreeMap<u32, usize> = BTreeMap::new();
        for s in fresh.iter().filter_map(|r| r.saga) {
            *sagas.entry(s).or_default() += 1;
        }
        assert_eq!(h.sagas, sagas);
        m.update(h, f);
        let want: Vec<usize> = (h.start..h.end())
            .filter(|&i| f.matches(&fresh[i - h.start]))
            .collect();
        assert_eq!(m.found, want, "matches at {}", r.now());
    }

    #[test]
    fn rows_follow_the_log_through_growth_seeks_and_new_timelines() {
        for cap in [HISTORY_ENTRIES, 120] {
            let mut r = busy_run();
            let mut h = HistoryLog::with_cap(&r, cap);
            let filters = [
                HistoryFilter::default(),
                HistoryFilter {
                    saga: Some(3),
                    ..HistoryFilter::default()
                },
                HistoryFilter {
                    kind: "command".into(),
                    node: "payment".into(),
                    from: Some(5_000),
                    to: Some(30_000),
                    ..HistoryFilter::default()
                },
            ];
            let mut matches: Vec<Matches> = filters.iter().map(|_| Matches::default()).collect();
            let mut sync_and_check = |h: &mut HistoryLog, r: &Run<SagaLab>| {
                h.sync(r);
                for (f, m) in filters.iter().zip(&mut matches) {
                    check(h, m, f, r);
                }
            };
            for t in (0..=40_000).step_by(700) {
                r.advance_to(t);
                sync_and_check(&mut h, &r);
            }
            let generation = h.generation;
            // Seeking back cuts the rows; the same timeline grows back the same rows. (With the
            // small cap the seek goes back past the oldest row kept: the rows are rebuilt.)
            r.seek(12_345);
            sync_and_check(&mut h, &r);
            r.advance_to(20_000);
            sync_and_check(&mut h, &r);
            if cap == HISTORY_ENTRIES {
                assert_eq!(h.generation, generation, "a seek is not a new timeline");
            }
            // A command after a seek back is a new timeline from its time on.
            r.seek(9_000);
            r.apply(Command::StartSaga)
                .expect("starting a saga is accepted");
            r.advance_to(9_500);
            sync_and_check(&mut h, &r);
            assert_ne!(h.generation, generation, "a command starts a new timeline");
            r.advance_to(45_000);
            sync_and_check(&mut h, &r);
            // Another scenario in the same place rebuilds.
            let mut other = Run::new(Scenario {
                sagas: 3,
                ..Scenario::default()
            })
            .expect("a valid scenario");
            other.advance_to(10_000);
            sync_and_check(&mut h, &other);
        }
    }

    #[test]
    fn pages_walk_from_the_newest_rows_to_the_oldest() {
        // Matching rows at odd log indices 1, 3, …, 239: 120 rows, pages of 50.
        let found: Vec<usize> = (0..120).map(|i| 2 * i + 1).collect();
        assert_eq!(page_of(&found, None), 70..120, "the newest page");
        // "Older" anchors at the row before the page's first.
        let older = page_of(&found, Some(found[70 - 1]));
        assert_eq!(older, 20..70);
        assert_eq!(
            page_of(&found, Some(found[older.start - 1])),
            0..50,
            "the oldest page is full"
        );
        // An anchor between rows ends the page at the row before it.
        assert_eq!(page_of(&found, Some(100)), 0..50);
        assert_eq!(page_of(&found, Some(160)), 30..80);
        // An anchor at or past the newest row is the newest page, also as the run grows.
        assert_eq!(page_of(&found, Some(10_000)), 70..120);
        assert_eq!(page_of(&found[..10], Some(3)), 0..10);
        assert_eq!(page_of(&[], Some(3)), 0..0);
        assert_eq!(page_of(&[], None), 0..0);
    }
}
