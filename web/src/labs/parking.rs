//! The parking lab's picture: the invariant strip, the gates with their next step (click one to
//! step it by hand under the manual interleaving), the availability displays, a floor plan per
//! level, and the latest bills with their lines.
//!
//! ```text
//!   ✔ a spot holds at most one vehicle · counts match the table · every exit paid once
//!   [E1 write 1A01 for V1 · 2 queued] [E2 read for V2] [X1 idle]    control [cas ▾] strategy [first fit ▾]
//!   displays  L1 12 free   L2 0 free (ANOMALY: the table has none)   lobby 12 free
//!   L1  A │h│e│e│r│c│c│c│…     a square per spot: colour = type, dark = assigned,
//!       B │h│e│e│r│c│c│c│…     outline = lease / row lock / hold, red = two vehicles, ✕ = sensor fault
//!   bills  T12 V31 9.00 = first hour: 3.00 + 3 more hour(s) × 2.00: 6.00
//! ```
//!
//! Everything drawn comes from `ParkingLab::view()`; nothing here decides what the lot does.
//! Styles are inline so the page needs no stylesheet of its own.

use orrery_core::parking::billing::money;
use orrery_core::parking::lab::{Interleaving, ParkingLab, ParkingView, SpotView};
use orrery_core::parking::lot::{SensorState, SpotType};
use orrery_core::registry::LabRun;
use orrery_core::Run;
use serde_json::{json, Value};
use yew::prelude::*;

use super::LabUi;
use crate::components::faults::{Fault, Palette};
use crate::components::live_select::live_select;

const CONTROLS: &[&str] = &["none", "lock", "cas", "lease", "skip_locked"];
const STRATEGIES: &[&str] = &["first_fit", "nearest", "spread", "best_fit"];
const INTERLEAVINGS: &[&str] = &["seeded", "manual"];
const LOST_TICKET: &[&str] = &["flat", "plate_lookup"];
/// Spots drawn per row; longer rows are cut with a count.
const SPOTS_SHOWN: u32 = 60;
/// Size of a spot square and the gap, in SVG units.
const CELL: f64 = 14.0;
const GAP: f64 = 2.0;

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
        "idempotency",
    ],
    compare: &[("control", CONTROLS), ("strategy", STRATEGIES)],
    describe,
};

fn parking_view(run: &dyn LabRun) -> Option<ParkingView> {
    run.as_any()
        .downcast_ref::<Run<ParkingLab>>()
        .map(|r| r.sim().view())
}

/// A name as people write it: `skip_locked` is `skip locked`.
fn label(name: &str) -> String {
    name.replace('_', " ")
}

fn kind_colour(kind: SpotType) -> &'static str {
    match kind {
        SpotType::Motorcycle => "#b9a3e3",
        SpotType::Compact => "#9cc3e6",
        SpotType::Large => "#8fd19e",
        SpotType::Handicapped => "#f2c14e",
        SpotType::Ev => "#6fd6d0",
        SpotType::Reserved => "#e6a0c4",
    }
}

/// The colour of an assigned spot of a type: a darker shade of [`kind_colour`].
fn kind_colour_taken(kind: SpotType) -> &'static str {
    match kind {
        SpotType::Motorcycle => "#5e4b8b",
        SpotType::Compact => "#2f5f8a",
        SpotType::Large => "#2e7d4a",
        SpotType::Handicapped => "#9a7412",
        SpotType::Ev => "#1f7f79",
        SpotType::Reserved => "#8e3b66",
    }
}

/// The fill of a spot: its type's colour, darker when assigned, red when assigned twice.
fn spot_fill(s: &SpotView) -> &'static str {
    match s.holders.len() {
        0 => kind_colour(s.kind),
        1 => kind_colour_taken(s.kind),
        _ => "#d62828",
    }
}

fn spot_title(s: &SpotView) -> String {
    let mut t = format!("{} ({})", s.name, s.kind.name());
    if !s.holders.is_empty() {
        let hs: Vec<String> = s.holders.iter().map(|v| format!("V{v}")).collect();
        t += &format!(", assigned to {}", hs.join(" and "));
    }
    if !s.parked.is_empty() {
        t += ", a vehicle is there";
    }
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

fn floor_plan(v: &ParkingView, level: u32, small: bool) -> Html {
    let spots: Vec<&SpotView> = v.spots.iter().filter(|s| s.level == level).collect();
    let rows = spots.iter().map(|s| s.row + 1).max().unwrap_or(0);
    let longest = spots
        .iter()
        .map(|s| s.pos)
        .max()
        .unwrap_or(0)
        .min(SPOTS_SHOWN);
    let label_w = if small { 0.0 } else { 18.0 };
    let w = label_w + longest as f64 * (CELL + GAP);
    let h = rows as f64 * (CELL + GAP);
    html! {
        <svg viewBox={format!("0 0 {w:.0} {h:.0}")} width={format!("{w:.0}")} height={format!("{h:.0}")}
            role="img" aria-label={format!("floor plan of level {}", level + 1)}
            data-testid={format!("level-{}", level + 1)}>
            if !small {
                { for (0..rows).map(|r| html! {
                    <text x="2" y={format!("{:.1}", r as f64 * (CELL + GAP) + CELL - 3.0)}
                        font-size="10" fill="currentColor">
                        { ((b'A' + (r % 26) as u8) as char).to_string() }
                    </text>
                }) }
            }
            { for spots.iter().filter(|s| s.pos <= SPOTS_SHOWN).map(|s| {
                let x = label_w + (s.pos - 1) as f64 * (CELL + GAP);
                let y = s.row as f64 * (CELL + GAP);
                let stroke = match s.claim {
                    "lease" => "#e07a00",
                    "row lock" => "#5a189a",
                    "hold" => "#0077b6",
                    _ => "none",
                };
                html! {
                    <g>
                        <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={CELL.to_string()}
                            height={CELL.to_string()} rx="2" fill={spot_fill(s)} stroke={stroke}
                            stroke-width="2" data-testid={format!("spot-{}", s.name)}>
                            <title>{ spot_title(s) }</title>
                        </rect>
                        if s.sensor != SensorState::Working && !small {
                            <text x={format!("{:.1}", x + 3.0)} y={format!("{:.1}", y + CELL - 3.0)}
                                font-size="10" fill="#000">{ "✕" }</text>
                        }
                    </g>
                }
            }) }
        </svg>
    }
}

fn invariant_strip(v: &ParkingView) -> Html {
    match &v.violation {
        None => html! {
            <div data-testid="invariants" style="padding:4px 8px;border-radius:4px;background:#e3f6e8;color:#14532d">
                { "✔ a spot holds at most one vehicle · counts match the spot table · every exit paid exactly once" }
            </div>
        },
        Some(x) => html! {
            <div data-testid="invariants" role="alert"
                style="padding:4px 8px;border-radius:4px;background:#fde2e2;color:#7f1d1d">
                <strong>{ format!("✘ {}", x.invariant) }</strong>{ ": " }{ &x.detail }
            </div>
        },
    }
}

fn gates(v: &ParkingView, on_command: &Callback<Value>) -> Html {
    let manual = v.interleaving == Interleaving::Manual;
    html! {
        <div style="display:flex;flex-wrap:wrap;gap:6px;margin:6px 0">
            { for v.gates.iter().map(|g| {
                let name = g.name.clone();
                let cmd = on_command.clone();
                let busy = !g.queue.is_empty();
                let onclick = Callback::from(move |_| {
                    cmd.emit(json!({"step_gate": {"gate": name.clone()}}));
                });
                let text = format!(
                    "{} · {}{}",
                    g.name,
                    g.next_step,
                    if g.queue.len() > 1 { format!(" · {} queued", g.queue.len()) } else { String::new() }
                );
                let title = if manual {
                    "Click to take this gate's next step"
                } else {
                    "Gates step on their own under the seeded interleaving"
                };
                html! {
                    <button type="button" data-testid={format!("gate-{}", g.name)}
                        disabled={!manual || !busy} {onclick} title={title}
                        style={format!("border-radius:4px;padding:2px 8px;{}",
                            if g.exit { "border:1px solid #888" } else { "border:1px solid #246" })}>
                        { text }
                    </button>
                }
            }) }
        </div>
    }
}

fn displays(v: &ParkingView) -> Html {
    html! {
        <div data-testid="displays" style="display:flex;flex-wrap:wrap;gap:6px;margin:6px 0">
            <span class="muted">{ "displays" }</span>
            { for v.displays.iter().map(|(name, free, anomaly)| html! {
                <span data-testid={format!("display-{name}")}
                    style={if *anomaly { "background:#fde2e2;color:#7f1d1d;padding:0 6px;border-radius:4px" }
                        else { "background:#eef;padding:0 6px;border-radius:4px" }}>
                    { format!("{name}: {free} free") }
                    if *anomaly { { " (ANOMALY: the table has none)" } }
                </span>
            }) }
        </div>
    }
}

fn bills(v: &ParkingView) -> Html {
    if v.bills.is_empty() {
        return html! {};
    }
    html! {
        <div data-testid="bills" style="margin-top:6px">
            <div class="muted">{ "latest bills" }</div>
            <ul style="margin:2px 0;padding-left:16px">
                { for v.bills.iter().rev().map(|b| html! {
                    <li>
                        <strong>{ format!("T{} V{}: {}", b.ticket, b.vehicle, money(b.bill.total_cents as i64)) }</strong>
                        { for b.bill.lines.iter().map(|l| html! {
                            <span class="muted">{ format!(" · {} {}", l.label, money(l.cents)) }</span>
                        }) }
                    </li>
                }) }
            </ul>
        </div>
    }
}

fn view(run: &dyn LabRun, on_command: &Callback<Value>) -> Html {
    let Some(v) = parking_view(run) else {
        return html! { <p class="muted">{ "This run is not a parking run." }</p> };
    };
    let arrive = |kind: &'static str| {
        let cmd = on_command.clone();
        Callback::from(move |_| cmd.emit(json!({"arrive": {"kind": kind}})))
    };
    html! {
        <div class="parking" data-testid="parking-view">
            { invariant_strip(&v) }
            <div class="view-bar" style="display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-top:6px">
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
                <span class="muted">{ "arrive:" }</span>
                <button type="button" data-testid="arrive-car" onclick={arrive("car")}>{ "car" }</button>
                <button type="button" data-testid="arrive-van" onclick={arrive("van")}>{ "van" }</button>
                <button type="button" data-testid="arrive-bus" onclick={arrive("bus")}>{ "bus" }</button>
                <button type="button" data-testid="arrive-motorcycle" onclick={arrive("motorcycle")}>{ "motorcycle" }</button>
            </div>
            { gates(&v, on_command) }
            { displays(&v) }
            { for (0..v.levels).map(|l| html! {
                <div style="display:flex;gap:8px;align-items:flex-start;margin:4px 0">
                    <span style="min-width:5em">
                        { format!("L{} ", l + 1) }
                        <span class="muted">{ format!("{} free", v.free_in_table.get(l as usize).copied().unwrap_or(0)) }</span>
                    </span>
                    { floor_plan(&v, l, false) }
                </div>
            }) }
            <p class="legend muted">
                { "Colour is the spot type (motorcycle, compact, large, handicapped, EV, reserved); \
                   dark is assigned in the table, red is assigned to two vehicles. Outlines: lease \
                   (orange), row lock (purple), pre-booking hold (blue). ✕ marks a failed sensor." }
            </p>
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

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    if command.as_str() == Some("reconcile") {
        return Some("You reconciled the sensors with the spot table".to_string());
    }
    let (name, args) = command.as_object()?.iter().next()?;
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(label);
    let num = |k: &str| args.get(k).and_then(Value::as_u64);
    Some(match name.as_str() {
        "arrive" => format!("A {} arrived", text("kind").unwrap_or_else(|| "car".into())),
        "step_gate" => format!("You stepped gate {}", text("gate")?),
        "set_control" => format!("You set the concurrency control to {}", text("control")?),
        "set_strategy" => format!("You set the allocation strategy to {}", text("strategy")?),
        "prebook" => format!(
            "A driver pre-booked a spot for {} min from now",
            num("arrive_in_min")?
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
    let Some(v) = parking_view(run) else {
        return Palette::default();
    };
    let mut global = vec![
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
