//! The parking lab's picture: the headline figures, the gates with their next step beside the
//! lot (click one to step it by hand under the manual interleaving), the availability displays
//! against the spot table, a floor plan per level (a summary per level for large lots), and the
//! latest bills with their lines.
//!
//! ```text
//!   control [none ▾]  strategy [first fit ▾]  gates step by hand   arrive: [car] [EV car] [van] …
//!   occupied 12/240 · rejected 0 · revenue 42.00 · entry wait p50 2.1 s p95 5.0 s · …
//!   ┌ entry gates ────────────┐  displays  L1 12 free   L2 0 free ⚠ table: 0   lobby 12 free
//!   │ E1  WRITE  1A01 for V1  │  L1 · 12 of 80 free
//!   │ E2  READ   for V2 · +1  │    A │h│e│e│r│c│c│c│…   colour = spot type; a letter = the
//!   ├ exit gates ─────────────┤    B │h│e│e│r│c│c│c│…   vehicle assigned (c car, v van, …)
//!   │ X1  PAY RETRY  V7 (2)   │  L2 · …
//!   └─────────────────────────┘
//!   bills  T12 V31 9.00 = first hour 3.00 + 3 more hour(s) × 2.00 6.00
//! ```
//!
//! Everything drawn comes from `ParkingLab::view_limited`, `level_stats` and `stats`; nothing
//! here decides what the lot does. Styles are in the `parking` section of `static/style.css`.

use orrery_core::parking::billing::money;
use orrery_core::parking::lab::{
    GatePhase, GateView, Interleaving, LevelStats, ParkingLab, ParkingView, SpotView, Stats,
};
use orrery_core::parking::lot::{Profile, SensorState, SpotType, VehicleType};
use orrery_core::registry::LabRun;
use orrery_core::{Run, Time};
use serde_json::{json, Value};
use yew::prelude::*;

use super::LabUi;
use crate::components::faults::{Fault, Palette};
use crate::components::live_select::live_select;

const CONTROLS: &[&str] = &["none", "lock", "cas", "lease", "skip_locked"];
const STRATEGIES: &[&str] = &["first_fit", "nearest", "spread", "best_fit"];
const INTERLEAVINGS: &[&str] = &["seeded", "manual"];
const LOST_TICKET: &[&str] = &["flat", "plate_lookup"];
/// Lots up to this many spots are drawn a square per spot; larger ones as a summary per level.
const MAX_DRAWN_SPOTS: usize = 2_000;
/// Spots drawn per row; longer rows are cut with a count.
const SPOTS_SHOWN: u32 = 60;
/// Vehicles listed per gate queue; the rest are counted.
const QUEUE_SHOWN: usize = 4;
/// Size of a spot square and the gap, in SVG units.
const CELL: f64 = 15.0;
const GAP: f64 = 2.0;
/// Room for the row letters left of the squares.
const LABEL_W: f64 = 14.0;
/// How far a plan may grow past its natural size to fill the width.
const PLAN_ZOOM: f64 = 2.0;

/// The parking lab's entry in [`super::ui`].
pub const UI: LabUi = LabUi {
    view,
    palette,
    choices,
    form_order: &[
        "seed",
        "control",
        "interleaving",
        "strategy",
        "levels",
        "rows_per_level",
        "spots_per_row",
        "entry_gates",
        "exit_gates",
        "traffic.peak_per_hour",
        "traffic.stay_median_min",
        "lease_ms",
        "step_min_ms",
        "step_max_ms",
        "display_refresh_ms",
        "bus_spots",
        "hold_min",
        "idempotency",
    ],
    compare: &[("strategy", STRATEGIES), ("control", CONTROLS)],
    describe,
    prepare: None,
};

fn parking_run(run: &dyn LabRun) -> Option<&Run<ParkingLab>> {
    run.as_any().downcast_ref::<Run<ParkingLab>>()
}

/// A name as people write it: `skip_locked` is `skip locked`, `cas` is `CAS`.
fn label(name: &str) -> String {
    match name {
        "cas" => "CAS".to_string(),
        "lock" => "global lock".to_string(),
        other => other.replace('_', " "),
    }
}

/// Milliseconds as people read a wait: `850 ms`, `12.4 s`, `3 min 5 s`.
fn duration(ms: Time) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// A basis-point share as a percentage.
fn percent_bp(bp: u64) -> String {
    format!("{:.1}%", bp as f64 / 100.0)
}

/// The letter drawn on a spot for the vehicle assigned there.
fn vehicle_letter(kind: VehicleType) -> &'static str {
    match kind {
        VehicleType::Motorcycle => "m",
        VehicleType::Car => "c",
        VehicleType::Van => "v",
        VehicleType::Truck => "t",
        VehicleType::Bus => "b",
    }
}

/// The mark drawn on a free spot of a special type.
fn type_mark(kind: SpotType) -> &'static str {
    match kind {
        SpotType::Handicapped => "♿",
        SpotType::Ev => "⚡",
        SpotType::Reserved => "R",
        SpotType::Motorcycle => "m",
        SpotType::Compact | SpotType::Large => "",
    }
}

fn type_label(kind: SpotType) -> &'static str {
    match kind {
        SpotType::Ev => "EV charger",
        other => other.name(),
    }
}

fn spot_title(s: &SpotView) -> String {
    let mut t = format!("{} ({})", s.name, type_label(s.kind));
    if !s.holders.is_empty() {
        let hs: Vec<String> = s.holders.iter().map(|v| format!("V{v}")).collect();
        t += &format!(", assigned to {}", hs.join(" and "));
        if let Some(p) = s.occupant {
            t += &format!(" ({p})");
        }
    }
    t += if !s.parked.is_empty() {
        ", a vehicle is there"
    } else if !s.holders.is_empty() {
        ", on its way"
    } else {
        ""
    };
    if !s.claim.is_empty() {
        t += &format!(", {}", s.claim);
    }
    match s.sensor {
        SensorState::Working => {}
        SensorState::StuckFree => t += ", sensor stuck free",
        SensorState::StuckOccupied => t += ", sensor stuck occupied",
    }
    t
}

fn spot_class(s: &SpotView) -> Classes {
    classes!(
        "parking-spot",
        format!("kind-{}", s.kind.name()),
        match s.holders.len() {
            0 => None,
            1 => Some("taken"),
            _ => Some("double"),
        },
        (!s.holders.is_empty() && s.parked.is_empty()).then_some("arriving"),
        match s.claim {
            "lease" => Some("claim-lease"),
            "row lock" => Some("claim-lock"),
            "hold" => Some("claim-hold"),
            _ => None,
        },
    )
}

fn floor_plan(v: &ParkingView, level: u32) -> Html {
    let spots: Vec<&SpotView> = v.spots.iter().filter(|s| s.level == level).collect();
    let rows = spots.iter().map(|s| s.row + 1).max().unwrap_or(0);
    let longest = spots.iter().map(|s| s.pos).max().unwrap_or(0);
    let shown = longest.min(SPOTS_SHOWN);
    let w = LABEL_W + shown as f64 * (CELL + GAP);
    let h = rows as f64 * (CELL + GAP);
    html! {
        <>
            <svg class="parking-plan" viewBox={format!("0 0 {w:.0} {h:.0}")}
                width={format!("{w:.0}")} height={format!("{h:.0}")}
                style={format!("max-width:{:.0}px", w * PLAN_ZOOM)}
                role="img" aria-label={format!("floor plan of level {}", level + 1)}
                data-testid={format!("level-{}", level + 1)}>
                <>{ for (0..rows).map(|r| html! {
                    <text class="parking-row" x="0" y={format!("{:.1}", r as f64 * (CELL + GAP) + CELL / 2.0)}>
                        { ((b'A' + (r % 26) as u8) as char).to_string() }
                    </text>
                }) }</>
                <>{ for spots.iter().filter(|s| s.pos <= SPOTS_SHOWN).map(|s| {
                    let x = LABEL_W + (s.pos - 1) as f64 * (CELL + GAP);
                    let y = s.row as f64 * (CELL + GAP);
                    let mark = match s.occupant {
                        Some(p) if !s.holders.is_empty() => vehicle_letter(p.kind),
                        _ if s.holders.is_empty() => type_mark(s.kind),
                        _ => "",
                    };
                    html! {
                        <g class={spot_class(s)} data-testid={format!("spot-{}", s.name)}
                            data-holders={s.holders.len().to_string()}>
                            <title>{ spot_title(s) }</title>
                            <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={CELL.to_string()}
                                height={CELL.to_string()} rx="2.5" />
                            if !mark.is_empty() {
                                <text x={format!("{:.1}", x + CELL / 2.0)} y={format!("{:.1}", y + CELL / 2.0)}>
                                    { mark }
                                </text>
                            }
                            if s.sensor != SensorState::Working {
                                <line class="parking-sensor" x1={format!("{:.1}", x + 1.5)} y1={format!("{:.1}", y + 1.5)}
                                    x2={format!("{:.1}", x + CELL - 1.5)} y2={format!("{:.1}", y + CELL - 1.5)} />
                            }
                        </g>
                    }
                }) }</>
            </svg>
            if longest > SPOTS_SHOWN {
                <span class="muted small">{ format!("spots {}–{} of each row not drawn", SPOTS_SHOWN + 1, longest) }</span>
            }
        </>
    }
}

/// A large lot's level as rows of bars per spot type.
fn level_summary(stats: &LevelStats) -> Html {
    html! {
        <table class="parking-summary">
            <thead><tr><th>{ "type" }</th><th>{ "used" }</th><th>{ "free" }</th><th>{ "of" }</th><th class="bar"></th></tr></thead>
            <tbody>
                <>{ for SpotType::ALL.into_iter().filter(|t| stats.size[t.index()] > 0).map(|t| {
                    let size = stats.size[t.index()];
                    let free = stats.free[t.index()];
                    let used = size - free.min(size);
                    let pct = used as f64 * 100.0 / size.max(1) as f64;
                    html! {
                        <tr>
                            <th><span class={classes!("parking-swatch", format!("kind-{}", t.name()))}></span>{ type_label(t) }</th>
                            <td>{ used }</td><td>{ free }</td><td>{ size }</td>
                            <td class="bar"><span class="parking-bar"><span style={format!("width:{pct:.1}%")}></span></span></td>
                        </tr>
                    }
                }) }</>
            </tbody>
        </table>
    }
}

fn phase_class(p: GatePhase) -> &'static str {
    match p {
        GatePhase::Idle => "phase-idle",
        GatePhase::Read | GatePhase::Scan => "phase-read",
        GatePhase::Write | GatePhase::Open => "phase-write",
        GatePhase::Waiting => "phase-waiting",
        GatePhase::Retry | GatePhase::PayRetry => "phase-retry",
        GatePhase::Pay => "phase-pay",
    }
}

fn gate_card(g: &GateView, manual: bool, on_command: &Callback<Value>) -> Html {
    let name = g.name.clone();
    let cmd = on_command.clone();
    let busy = !g.queue.is_empty();
    let onclick = Callback::from(move |_| cmd.emit(json!({"step_gate": {"gate": name.clone()}})));
    let title = match (manual, busy) {
        (true, true) => format!("Take {}'s next step: {}", g.name, g.next_step),
        (true, false) => format!("{} has no vehicle to serve", g.name),
        (false, _) => "Gates step on their own under the seeded interleaving".to_string(),
    };
    let waiting: Vec<String> = g
        .queue
        .iter()
        .skip(1)
        .take(QUEUE_SHOWN)
        .map(|v| format!("V{v}"))
        .collect();
    let more = g.queue.len().saturating_sub(1 + QUEUE_SHOWN);
    html! {
        <li>
            <button type="button" class={classes!("parking-gate", phase_class(g.phase), manual.then_some("manual"))}
                data-testid={format!("gate-{}", g.name)} data-phase={g.phase.name()}
                disabled={!manual || !busy} {onclick} {title}>
                <span class="parking-gate-name">{ &g.name }</span>
                <span class="parking-phase" data-testid={format!("gate-{}-phase", g.name)}>{ g.phase.name() }</span>
                if busy {
                    <span class="parking-gate-next" data-testid={format!("gate-{}-next", g.name)}>
                        { g.next_step.clone() }
                        if g.holds_lock { <span class="parking-lock">{ " · holds the lock" }</span> }
                        if g.retries > 0 { <span class="parking-lock">{ format!(" · {} failed write(s)", g.retries) }</span> }
                    </span>
                }
                if !waiting.is_empty() {
                    <span class="parking-queue">
                        { format!("then {}", waiting.join(" ")) }
                        if more > 0 { { format!(" +{more}") } }
                    </span>
                }
            </button>
        </li>
    }
}

fn gates(v: &ParkingView, on_command: &Callback<Value>) -> Html {
    let manual = v.interleaving == Interleaving::Manual;
    let list = |exit: bool| -> Html {
        html! {
            <ul class="parking-gate-list">
                <>{ for v.gates.iter().filter(|g| g.exit == exit).map(|g| gate_card(g, manual, on_command)) }</>
            </ul>
        }
    };
    html! {
        <section class="parking-gates" data-testid="gates" aria-label="gates">
            <h3>{ "Entry gates" }<span class="muted small">{ " read the table, then write" }</span></h3>
            { list(false) }
            <h3>{ "Exit gates" }<span class="muted small">{ " scan, pay, open" }</span></h3>
            { list(true) }
            <p class="muted small" data-testid="gate-hint">
                { if manual {
                    "Gates step by hand: click a gate to take its next step."
                } else {
                    "Gates step on their own (seeded). To step them by hand, set interleaving to manual in the scenario below."
                } }
            </p>
        </section>
    }
}

fn displays(v: &ParkingView) -> Html {
    let table_free = |i: usize| -> u32 {
        v.free_in_table
            .get(i)
            .copied()
            .unwrap_or_else(|| v.free_in_table.iter().sum())
    };
    html! {
        <div class="parking-displays" data-testid="displays">
            <span class="muted small" title="Each display shows a cached count of free spots from the sensors">
                { "displays" }
            </span>
            <>{ for v.displays.iter().enumerate().map(|(i, (name, free, anomaly))| html! {
                <span class={classes!("parking-display", anomaly.then_some("anomaly"))}
                    data-testid={format!("display-{name}")} data-anomaly={anomaly.to_string()}
                    title={format!("display {name} shows {free} free (cached); the table has {} free", table_free(i))}>
                    <span class="parking-display-name">{ name }</span>
                    <span class="parking-display-count">{ format!("{free} free") }</span>
                    if *anomaly {
                        <span class="parking-display-note">{ format!("⚠ the table has {}: anomaly", table_free(i)) }</span>
                    }
                </span>
            }) }</>
        </div>
    }
}

fn stats_row(s: &Stats) -> Html {
    let occ = s.assigned as f64 * 100.0 / s.spots.max(1) as f64;
    let item = |dt: &str, dd: String, id: &str, bad: bool| {
        html! {
            <div class={classes!(bad.then_some(if id == "price" { "surge" } else { "bad" }))}>
                <dt>{ dt.to_string() }</dt><dd data-testid={format!("stat-{id}")}>{ dd }</dd>
            </div>
        }
    };
    html! {
        <dl class="parking-stats" data-testid="parking-stats">
            { item("occupied", format!("{}/{} · {occ:.0}%", s.assigned, s.spots), "occupied", false) }
            { item("rejected", format!("{} full · {} no fit", s.rejected_full, s.rejected_no_fit), "rejected", false) }
            { item("revenue", money(s.revenue_cents as i64), "revenue", false) }
            { item("entry wait p50 / p95", format!("{} / {}", duration(s.entry_wait.p50), duration(s.entry_wait.p95)), "entry-wait", false) }
            { item("exit wait p50 / p95", format!("{} / {}", duration(s.exit_wait.p50), duration(s.exit_wait.p95)), "exit-wait", false) }
            { item("utilisation", percent_bp(s.utilisation_bp), "utilisation", false) }
            { item("price now", price_now(s), "price", s.surge.is_some()) }
            { item("pre-bookings · no-shows", format!("{} · {}", s.prebookings, s.no_shows), "no-shows", false) }
            { item("payment retries", format!("{} · {} double", s.payment_retries, s.double_charges), "payments", s.double_charges > 0) }
            { item("double assignments", s.double_assignments.to_string(), "double", s.double_assignments > 0) }
            { item("display anomalies", s.display_anomalies.to_string(), "anomalies", s.display_anomalies > 0) }
        </dl>
    }
}

/// Dynamic pricing as a ticket issued now would pay it: `×1.5 · 82% ≥ 80%`, or the base rate.
fn price_now(s: &Stats) -> String {
    let occ = s.occupancy_permille as f64 / 10.0;
    match s.surge {
        Some((threshold, m)) => format!(
            "×{} · {occ:.0}% ≥ {:.0}%",
            m as f64 / 1000.0,
            threshold as f64 / 10.0
        ),
        None => format!("base rate · {occ:.0}% full"),
    }
}

fn bills(v: &ParkingView) -> Html {
    html! {
        <section class="parking-bills" data-testid="bills">
            <h3>{ "Latest bills" }<span class="muted small">{ " newest first, every line explained" }</span></h3>
            if v.bills.is_empty() {
                <p class="muted small">{ "No vehicle has paid yet." }</p>
            } else {
                <ul>
                    <>{ for v.bills.iter().rev().map(|b| html! {
                        <li data-testid="bill">
                            <span class="parking-bill-head">
                                <strong>{ money(b.bill.total_cents as i64) }</strong>
                                <span class="muted">{ format!(" T{} · V{}", b.ticket, b.vehicle) }</span>
                            </span>
                            <span class="parking-bill-lines">
                                <>{ for b.bill.lines.iter().map(|l| html! {
                                    <span class="parking-bill-line">{ format!("{} {}", l.label, money(l.cents)) }</span>
                                }) }</>
                            </span>
                        </li>
                    }) }</>
                </ul>
            }
        </section>
    }
}

fn legend() -> Html {
    html! {
        <div class="parking-legend small muted">
            <>{ for SpotType::ALL.into_iter().map(|t| html! {
                <span><span class={classes!("parking-swatch", format!("kind-{}", t.name()))}>{ type_mark(t) }</span>{ type_label(t) }</span>
            }) }</>
            <span><span class="parking-swatch taken">{ "c" }</span>{ "assigned (letter: m c v t b = vehicle)" }</span>
            <span><span class="parking-swatch taken arriving"></span>{ "driving to it" }</span>
            <span><span class="parking-swatch double"></span>{ "two vehicles" }</span>
            <span><span class="parking-swatch claim-lease"></span>{ "lease" }</span>
            <span><span class="parking-swatch claim-lock"></span>{ "row lock" }</span>
            <span><span class="parking-swatch claim-hold"></span>{ "pre-booking hold" }</span>
            <span><span class="parking-swatch sensor">{ "╲" }</span>{ "failed sensor" }</span>
        </div>
    }
}

fn view(run: &dyn LabRun, on_command: &Callback<Value>) -> Html {
    let Some(r) = parking_run(run) else {
        return html! { <p class="muted">{ "This run is not a parking run." }</p> };
    };
    let lab = r.sim();
    let v = lab.view_limited(MAX_DRAWN_SPOTS);
    let levels = lab.level_stats();
    let stats = lab.stats();
    let arrive = |profile: Value| {
        let cmd = on_command.clone();
        Callback::from(move |_| cmd.emit(json!({ "arrive": profile.clone() })))
    };
    let drawn = !v.spots.is_empty();
    html! {
        <div class="parking" data-testid="parking-view">
            <div class="view-bar">
                { live_select(
                    "Control",
                    "control",
                    CONTROLS,
                    v.control.name(),
                    label,
                    |control| json!({"set_control": {"control": control}}),
                    on_command,
                ) }
                { live_select(
                    "Strategy",
                    "strategy",
                    STRATEGIES,
                    v.strategy.name(),
                    label,
                    |strategy| json!({"set_strategy": {"strategy": strategy}}),
                    on_command,
                ) }
                <span class="inline parking-arrive">
                    <span class="muted">{ "Arrive" }</span>
                    <button type="button" data-testid="arrive-car" onclick={arrive(json!({"kind": "car"}))}>{ "car" }</button>
                    <button type="button" data-testid="arrive-ev" onclick={arrive(json!({"kind": "car", "ev": true}))}>{ "EV car" }</button>
                    <button type="button" data-testid="arrive-permit" onclick={arrive(json!({"kind": "car", "permit": true}))}>{ "♿ car" }</button>
                    <button type="button" data-testid="arrive-van" onclick={arrive(json!({"kind": "van"}))}>{ "van" }</button>
                    <button type="button" data-testid="arrive-bus" onclick={arrive(json!({"kind": "bus"}))}>{ "bus" }</button>
                    <button type="button" data-testid="arrive-motorcycle" onclick={arrive(json!({"kind": "motorcycle"}))}>{ "motorcycle" }</button>
                    <button type="button" data-testid="arrive-truck" onclick={arrive(json!({"kind": "truck"}))}>{ "truck" }</button>
                    <button type="button" data-testid="arrive-subscriber" title="A monthly subscriber: a reserved spot first, and no charge"
                        onclick={arrive(json!({"kind": "car", "subscriber": true}))}>{ "subscriber" }</button>
                    <button type="button" data-testid="arrive-lost-ticket" title="A car whose driver will lose the ticket: the lost-ticket policy applies at the exit"
                        onclick={arrive(json!({"kind": "car", "lost_ticket": true}))}>{ "lost ticket" }</button>
                    <button type="button" data-testid="arrive-cash" title="A car that pays cash at the exit (cash is never declined)"
                        onclick={arrive(json!({"kind": "car", "pay": "cash"}))}>{ "pays cash" }</button>
                </span>
            </div>
            <div class="parking-body">
                { gates(&v, on_command) }
                <section class="parking-lot" aria-label="the lot">
                    { displays(&v) }
                    <>{ for (0..v.levels).map(|l| {
                        let st = &levels[l as usize];
                        let size: u32 = st.size.iter().sum();
                        let free = v.free_in_table.get(l as usize).copied().unwrap_or(0);
                        html! {
                            <figure class="parking-level" data-testid={format!("level-card-{}", l + 1)}>
                                <figcaption>
                                    <strong>{ format!("Level {}", l + 1) }</strong>
                                    <span class={classes!("muted", (free == 0).then_some("parking-full"))}>
                                        { format!(" · {free} of {size} free in the table") }
                                    </span>
                                    if st.sensor_faults > 0 {
                                        <span class="parking-fault">{ format!(" · {} failed sensor(s)", st.sensor_faults) }</span>
                                    }
                                </figcaption>
                                if drawn { { floor_plan(&v, l) } } else { { level_summary(st) } }
                            </figure>
                        }
                    }) }</>
                    if !drawn {
                        <p class="muted small">{ format!("{} spots: too many to draw one by one, so each level is summarised by spot type.", stats.spots) }</p>
                    }
                    { legend() }
                </section>
            </div>
            { stats_row(&stats) }
            { bills(&v) }
        </div>
    }
}

fn choices(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "control" => Some(CONTROLS),
        "strategy" => Some(STRATEGIES),
        "interleaving" => Some(INTERLEAVINGS),
        "tariff.lost_ticket" => Some(LOST_TICKET),
        _ => None,
    }
}

/// A vehicle profile in words: `EV car`, `van`, `car (lost ticket)`.
fn vehicle_words(args: &Value) -> String {
    let p: Profile = serde_json::from_value(args.clone()).unwrap_or_default();
    let mut notes = Vec::new();
    if args.get("lost_ticket").and_then(Value::as_bool) == Some(true) {
        notes.push("lost ticket".to_string());
    }
    // Card is the default, so only cash and app are worth a word.
    if let Some(pay) = args
        .get("pay")
        .and_then(Value::as_str)
        .filter(|&p| p != "card")
    {
        notes.push(format!("pays by {pay}"));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    };
    let mut s = String::new();
    if p.ev {
        s += "EV ";
    }
    if p.permit {
        s += "permit-holding ";
    }
    if p.subscriber {
        s += "subscriber's ";
    }
    s + p.kind.name() + &notes
}

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    if command.as_str() == Some("reconcile") {
        return Some("You reconciled the sensors with the spot table".to_string());
    }
    let (name, args) = command.as_object()?.iter().next()?;
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(label);
    let num = |k: &str| args.get(k).and_then(Value::as_u64);
    Some(match name.as_str() {
        "arrive" => format!("A {} arrived", vehicle_words(args)),
        "step_gate" => format!("You stepped gate {}", text("gate")?),
        "set_control" => format!("You set the concurrency control to {}", text("control")?),
        "set_strategy" => format!("You set the allocation strategy to {}", text("strategy")?),
        "prebook" => format!(
            "A driver pre-booked a spot for {} min from now{}",
            num("arrive_in_min")?,
            if args.get("show").and_then(Value::as_bool) == Some(false) {
                " (and will not show)"
            } else {
                ""
            }
        ),
        "sensor_fault" => format!("The sensor of {} failed: {}", text("spot")?, text("fault")?),
        "override" => format!("The attendant repaired the sensor of {}", text("spot")?),
        "special_event" => format!(
            "The stadium empties: {} vehicles leave, {} arrive",
            num("exits")?,
            num("arrivals")?
        ),
        _ => return None,
    })
}

fn palette(run: &dyn LabRun) -> Palette {
    let Some(r) = parking_run(run) else {
        return Palette::default();
    };
    let v = r.sim().view_limited(MAX_DRAWN_SPOTS);
    let mut global = vec![
        Fault::new(
            "prebook",
            "Pre-book a car (in 5 min)",
            json!({"prebook": {"vehicle": {"kind": "car"}, "arrive_in_min": 5, "show": true}}),
        )
        .hint("A driver books through the app: a spot is held until the arrival plus the hold."),
        Fault::new(
            "prebook-no-show",
            "Pre-booking no-show",
            json!({"prebook": {"vehicle": {"kind": "car"}, "arrive_in_min": 1, "show": false}}),
        )
        .hint("A spot is held for a driver who never comes: the hold expires as a no-show."),
        Fault::new(
            "stadium-exits",
            "Stadium empties (30 leave)",
            json!({"special_event": {"exits": 30, "arrivals": 0}}),
        )
        .hint("The 30 longest-parked vehicles leave at once: watch the exit queues."),
        Fault::new(
            "stadium-arrivals",
            "Event crowd (60 arrive)",
            json!({"special_event": {"exits": 0, "arrivals": 60}}),
        )
        .hint("60 vehicles arrive over a few minutes: the gates race for the last spots."),
        Fault::new("reconcile", "Reconcile sensors", json!("reconcile"))
            .hint("Compare every sensor with the spot table and flag faulty sensors."),
    ];
    let working = |s: &&SpotView| s.sensor == SensorState::Working;
    if let Some(s) = v
        .spots
        .iter()
        .filter(working)
        .find(|s| !s.parked.is_empty())
    {
        global.push(
            Fault::new(
                "stuck-free",
                &format!("Sensor of {} stuck free", s.name),
                json!({"sensor_fault": {"spot": s.name, "fault": "stuck_free"}}),
            )
            .hint("An occupied spot's sensor reports it free: the displays overcount."),
        );
    }
    if let Some(s) = v.spots.iter().filter(working).find(|s| s.parked.is_empty()) {
        global.push(
            Fault::new(
                "stuck-occupied",
                &format!("Sensor of {} stuck occupied", s.name),
                json!({"sensor_fault": {"spot": s.name, "fault": "stuck_occupied"}}),
            )
            .hint("A free spot's sensor reports a vehicle: the displays undercount."),
        );
    }
    if let Some(s) = v.spots.iter().find(|s| s.sensor != SensorState::Working) {
        global.push(
            Fault::new(
                "override",
                &format!("Attendant repairs {}", s.name),
                json!({"override": {"spot": s.name}}),
            )
            .hint("The attendant checks the spot by eye and repairs its sensor."),
        );
    }
    Palette {
        target_noun: "",
        targets: Vec::new(),
        global,
    }
}
