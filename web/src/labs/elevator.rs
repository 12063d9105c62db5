//! The elevator lab's picture: a section through the building, drawn in SVG from the run's view.
//!
//! ```text
//!   floor │ hall  │ waiting   │ shaft 0 │ shaft 1 │ …
//!     9   │  ▲ ▼  │       ● ● │         │ ┌─────┐ │      ● waiting passenger, hue = destination
//!     8   │  ▲ ▼  │           │ ┌─────┐ │ │ ● ● │ │      ▲ ▼ hall buttons, lit while called
//!     …   │       │           │ │▌ ● ▐│ │ └─────┘ │      ▌ ▐ door panels, apart as they open
//! ```
//!
//! Everything drawn comes from `Elevator::view()`; nothing here decides what a car does.
//! Clicking a hall button sends a `call`, clicking a car opens its floor panel for a
//! `car_call`, and each car has an out-of-service toggle (`maintenance`).

use std::rc::Rc;

use orrery_core::elevator::{Elevator, View};
use orrery_core::registry::LabRun;
use orrery_core::Run;
use serde_json::{json, Value};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::LabUi;
use crate::components::faults::{Fault, Palette};
use crate::components::live_select::live_select;
use crate::text::{floor_colour, label};

/// The dispatchers the lab offers, in the order the menus list them.
pub const DISPATCHERS: &[&str] = &[
    "nearest_car",
    "collective",
    "zoning",
    "eta",
    "destination",
    "script",
];
const PARKING: &[&str] = &["stay", "lobby", "spread"];
const PATTERNS: &[&str] = &[
    "up_peak",
    "down_peak",
    "lunch",
    "inter_floor",
    "saga",
    "custom",
    "none",
];
const ARRIVALS: &[&str] = &["poisson", "uniform"];

/// The elevator lab's entry in [`super::ui`].
pub const UI: LabUi = LabUi {
    view,
    palette,
    choices,
    form_order: &[
        "seed",
        "floors",
        "cars",
        "dispatcher",
        "parking",
        "traffic.pattern",
        "traffic.per_hour",
        "traffic.arrivals",
        "capacities",
        "capacity_kg",
        "lobby",
        "recall_floor",
    ],
    compare: &[
        ("dispatcher", DISPATCHERS),
        ("parking", PARKING),
        ("traffic.pattern", PATTERNS),
    ],
    describe,
    prepare: None,
};

/// What one frame of the picture needs, copied out of the run's view so that parts of the
/// drawing can skip redrawing when their part did not change.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot {
    floors: u32,
    cars: Vec<CarSnap>,
    halls: Vec<HallSnap>,
    mode: String,
    dispatcher: String,
    script: Rc<str>,
}

#[derive(Clone, Debug, PartialEq)]
struct CarSnap {
    id: u32,
    position: f64,
    door: f64,
    state: String,
    dir: i8,
    riders: Vec<u32>,
    capacity: u32,
    load_kg: u32,
    capacity_kg: u32,
    car_calls: Vec<u32>,
    in_service: bool,
    overloaded: bool,
    /// Whether the car stops at each floor (express cars skip some).
    served: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
struct HallSnap {
    up: bool,
    down: bool,
    waiting: Vec<u32>,
}

fn elevator_view(run: &dyn LabRun) -> Option<View> {
    let run = run.as_any().downcast_ref::<Run<Elevator>>()?;
    Some(run.sim().view())
}

fn snapshot(run: &dyn LabRun) -> Option<Snapshot> {
    let v = elevator_view(run)?;
    Some(Snapshot {
        floors: v.floors,
        cars: v
            .cars
            .into_iter()
            .map(|c| CarSnap {
                id: c.id,
                position: c.position,
                door: c.door,
                state: c.state,
                dir: c.dir,
                riders: c.riders,
                capacity: c.capacity,
                load_kg: c.load_kg,
                capacity_kg: c.capacity_kg,
                car_calls: c.car_calls,
                in_service: c.in_service,
                overloaded: c.overloaded,
                served: c.served,
            })
            .collect(),
        halls: v
            .halls
            .into_iter()
            .map(|h| HallSnap {
                up: h.up,
                down: h.down,
                waiting: h.waiting,
            })
            .collect(),
        mode: v.mode,
        dispatcher: v.dispatcher,
        script: v.script,
    })
}

fn view(run: &dyn LabRun, on_command: &Callback<Value>) -> Html {
    match snapshot(run) {
        Some(snap) => html! { <Building snap={Rc::new(snap)} on_command={on_command.clone()} /> },
        None => html! { <p class="muted">{ "This run is not an elevator run." }</p> },
    }
}

fn choices(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "dispatcher" => Some(DISPATCHERS),
        "parking" => Some(PARKING),
        "traffic.pattern" => Some(PATTERNS),
        "traffic.arrivals" => Some(ARRIVALS),
        _ => None,
    }
}

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    let (name, args) = command.as_object()?.iter().next()?;
    let num = |k: &str| args.get(k).and_then(Value::as_u64);
    let on = args.get("on").and_then(Value::as_bool);
    Some(match name.as_str() {
        "call" => {
            let dir = args.get("dir").and_then(Value::as_str).unwrap_or("?");
            let arrow = if dir == "down" { "▼ down" } else { "▲ up" };
            format!("You pressed {arrow} at floor {}", num("floor")?)
        }
        "car_call" => format!("You pressed {} inside car {}", num("floor")?, num("car")?),
        "spawn" => format!(
            "You sent a passenger from floor {} to floor {}",
            num("from")?,
            num("to")?
        ),
        "breakdown" => format!("You broke car {} down", num("car")?),
        "repair" => format!("You repaired car {}", num("car")?),
        "maintenance" if on == Some(false) => {
            format!("You returned car {} to service", num("car")?)
        }
        "maintenance" => format!("You took car {} out of service", num("car")?),
        "door_jam" => format!("You jammed the doors of car {}", num("car")?),
        "fire_recall" if on == Some(false) => "You reset the fire alarm".to_string(),
        "fire_recall" => "You pulled the fire alarm: fire recall".to_string(),
        "set_dispatcher" => format!(
            "You switched the dispatcher to {}",
            args.get("dispatcher").and_then(Value::as_str)?
        ),
        "set_script" => "You loaded a new dispatcher script".to_string(),
        "add_cargo" => format!(
            "You loaded {} kg of cargo into car {}",
            num("kg")?,
            num("car")?
        ),
        _ => return None,
    })
}

fn is_broken(state: &str) -> bool {
    state.contains("broken")
}

fn in_maintenance(car: &CarSnap) -> bool {
    car.state.contains("out of service")
        || car.state.contains("maintenance")
        || (!car.in_service && !is_broken(&car.state))
}

fn palette(run: &dyn LabRun) -> Palette {
    let Some(snap) = snapshot(run) else {
        return Palette::default();
    };
    let targets = snap
        .cars
        .iter()
        .map(|car| {
            let id = car.id;
            let broken = is_broken(&car.state);
            let maintenance = in_maintenance(car);
            let faults = vec![
                if broken {
                    Fault::new("repair", "Repair", json!({"repair": {"car": id}}))
                        .hint("Fix the car; it returns to service.")
                } else {
                    Fault::new("breakdown", "Break down", json!({"breakdown": {"car": id}})).hint(
                        "The car stops at the next floor; its riders are rescued and queue again.",
                    )
                },
                Fault::new(
                    "maintenance",
                    "Maintenance",
                    json!({"maintenance": {"car": id, "on": !maintenance}}),
                )
                .pressed(maintenance)
                .hint("Take the car out of service; its calls go to other cars."),
                Fault::new("door-jam", "Jam doors", json!({"door_jam": {"car": id}}))
                    .hint("Something blocks the doors; they reopen and try again."),
                Fault::new(
                    "cargo",
                    "+500 kg cargo",
                    json!({"add_cargo": {"car": id, "kg": 500}}),
                )
                .hint("Load freight; enough of it overloads the car."),
            ];
            // Only lasting conditions go in the name, so the palette does not redraw as the
            // car moves.
            let name = if broken {
                format!("Car {id}: broken down")
            } else if maintenance {
                format!("Car {id}: out of service")
            } else {
                format!("Car {id}")
            };
            (name, faults)
        })
        .collect();
    let fire = snap.mode == "fire recall";
    Palette {
        target_noun: "Car",
        targets,
        global: vec![Fault::new(
            "fire-recall",
            "Fire recall",
            json!({"fire_recall": {"on": !fire}}),
        )
        .pressed(fire)
        .hint("All cars go to the recall floor and open their doors; new calls are refused.")],
    }
}

/// Sizes of the drawing, in SVG user units (pixels when not compact).
#[derive(Clone, Debug, PartialEq)]
struct Geometry {
    floors: u32,
    cars: usize,
    compact: bool,
    floor_h: f64,
    shaft_w: f64,
    label_w: f64,
    hall_w: f64,
    wait_w: f64,
    head_h: f64,
}

impl Geometry {
    /// `room` is the (width, height) the building should fit in when it can; tall buildings
    /// and many cars scroll instead.
    fn new(floors: u32, cars: usize, compact: bool, room: (f64, f64)) -> Geometry {
        let (avail_w, avail_h) = room;
        let n = f64::from(floors.max(1));
        let c = cars.max(1) as f64;
        if compact {
            Geometry {
                floors,
                cars,
                compact,
                floor_h: (180.0 / n).clamp(1.0, 22.0),
                shaft_w: (260.0 / c).clamp(6.0, 56.0),
                label_w: 0.0,
                hall_w: 8.0,
                wait_w: 64.0,
                head_h: 2.0,
            }
        } else {
            let wait_w = if avail_w < 420.0 { 76.0 } else { 120.0 };
            Geometry {
                floors,
                cars,
                compact,
                floor_h: ((avail_h - 34.0) / n).clamp(18.0, 44.0),
                shaft_w: ((avail_w - 34.0 - 30.0 - wait_w - 4.0) / c).clamp(28.0, 80.0),
                label_w: 34.0,
                hall_w: 30.0,
                wait_w,
                head_h: 30.0,
            }
        }
    }

    fn shafts_x(&self) -> f64 {
        self.label_w + self.hall_w + self.wait_w
    }

    fn width(&self) -> f64 {
        self.shafts_x() + self.cars.max(1) as f64 * self.shaft_w + 4.0
    }

    fn height(&self) -> f64 {
        self.head_h + f64::from(self.floors) * self.floor_h + 2.0
    }

    /// The top edge of a floor's band; floor 0 is at the bottom.
    fn floor_top(&self, floor: f64) -> f64 {
        self.head_h + (f64::from(self.floors) - 1.0 - floor) * self.floor_h
    }
}

/// Floor bands and numbers; the part of the drawing that never changes during a run.
#[derive(Properties, PartialEq)]
struct FloorsProps {
    geo: Geometry,
    /// Per car, whether it stops at each floor.
    served: Vec<Vec<bool>>,
}

#[function_component(Floors)]
fn floors(props: &FloorsProps) -> Html {
    let g = &props.geo;
    let width = g.width();
    html! {
        <g class="floors">
            <>{ for (0..g.floors).map(|f| {
                let y = g.floor_top(f64::from(f));
                html! {
                    <g>
                        <rect class={if f % 2 == 0 { "band even" } else { "band" }}
                            x="0" y={fmt(y)} width={fmt(width)} height={fmt(g.floor_h)} />
                        if !g.compact {
                            <text class="floor-num" x={fmt(g.label_w - 8.0)}
                                y={fmt(y + g.floor_h / 2.0)}>{ f }</text>
                        }
                    </g>
                }
            }) }</>
            <>{ for (0..g.cars).map(|i| {
                let x = g.shafts_x() + i as f64 * g.shaft_w + 1.0;
                let skipped = props.served.get(i).into_iter().flatten().enumerate()
                    .filter(|(_, served)| !**served)
                    .map(|(f, _)| html! {
                        <rect class="skipped" x={fmt(x)} y={fmt(g.floor_top(f as f64))}
                            width={fmt(g.shaft_w - 2.0)} height={fmt(g.floor_h)} />
                    });
                html! {
                    <>
                        <rect class="shaft" x={fmt(x)} y={fmt(g.head_h)}
                            width={fmt(g.shaft_w - 2.0)} height={fmt(f64::from(g.floors) * g.floor_h)} />
                        <>{ for skipped }</>
                    </>
                }
            }) }</>
        </g>
    }
}

/// Hall lamps and waiting passengers, one component per floor so that a frame redraws only
/// the floors whose lamps or queues changed.
#[derive(Properties, PartialEq)]
struct HallsProps {
    geo: Geometry,
    halls: Vec<HallSnap>,
    on_command: Option<Callback<Value>>,
}

#[function_component(Halls)]
fn halls(props: &HallsProps) -> Html {
    html! {
        <g class="halls">
            <>{ for props.halls.iter().enumerate().map(|(f, hall)| html! {
                <Hall key={f} floor={f as u32} geo={props.geo.clone()} hall={hall.clone()}
                    on_command={props.on_command.clone()} />
            }) }</>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct HallProps {
    floor: u32,
    geo: Geometry,
    hall: HallSnap,
    on_command: Option<Callback<Value>>,
}

#[function_component(Hall)]
fn hall(props: &HallProps) -> Html {
    let g = &props.geo;
    let floor = props.floor;
    let hall = &props.hall;
    let top_floor = g.floors.saturating_sub(1);
    let r = (g.floor_h * 0.17).clamp(0.8, 4.0);
    let pitch = 2.0 * r + if g.compact { 0.8 } else { 2.0 };
    let wait_end = g.shafts_x() - r - 3.0;
    let max_dots = ((g.wait_w - 22.0) / pitch).floor().max(1.0) as usize;
    let button = |up: bool, lit: bool| -> Html {
        let y0 = g.floor_top(f64::from(floor));
        let half = g.floor_h / 2.0;
        let cx = g.label_w + g.hall_w / 2.0;
        let (tip, base, hit_y) = if up {
            (y0 + 3.0, y0 + half - 1.5, y0)
        } else {
            (y0 + g.floor_h - 3.0, y0 + half + 1.5, y0 + half)
        };
        let w = (half - 4.0).clamp(1.5, 6.0);
        let points = format!(
            "{},{} {},{} {},{}",
            fmt(cx),
            fmt(tip),
            fmt(cx - w),
            fmt(base),
            fmt(cx + w),
            fmt(base)
        );
        let dir = if up { "up" } else { "down" };
        let onclick = props.on_command.clone().map(|cb| {
            Callback::from(move |_: MouseEvent| {
                cb.emit(json!({"call": {"floor": floor, "dir": dir}}))
            })
        });
        let class = classes!("hall-button", lit.then_some("lit"));
        if g.compact {
            return html! { <polygon {class} {points} /> };
        }
        html! {
            <g {class} data-testid={format!("hall-{floor}-{dir}")} role="button"
                aria-label={format!("Call a car {dir} at floor {floor}")}
                aria-pressed={if lit { "true" } else { "false" }} {onclick}>
                <rect class="hit" x={fmt(g.label_w)} y={fmt(hit_y)} width={fmt(g.hall_w)}
                    height={fmt(half)} />
                <polygon {points} />
            </g>
        }
    };
    let cy = g.floor_top(f64::from(floor)) + g.floor_h / 2.0;
    let shown = hall.waiting.len().min(max_dots);
    let extra = hall.waiting.len() - shown;
    html! {
        <g>
            if floor < top_floor { { button(true, hall.up) } }
            if floor > 0 { { button(false, hall.down) } }
            <>{ for hall.waiting.iter().take(shown).enumerate().map(|(k, &dest)| html! {
                <circle class="person" cx={fmt(wait_end - k as f64 * pitch)} cy={fmt(cy)}
                    r={fmt(r)} fill={floor_colour(dest, g.floors)} />
            }) }</>
            if extra > 0 && !g.compact {
                <text class="overflow" x={fmt(wait_end - shown as f64 * pitch - 2.0)}
                    y={fmt(cy)}>{ format!("+{extra}") }</text>
            }
        </g>
    }
}

/// Formats a coordinate with one decimal, which is plenty for the screen.
fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn state_class(car: &CarSnap) -> &'static str {
    let s = car.state.as_str();
    if is_broken(s) {
        "broken"
    } else if s.contains("fire") || s.contains("emergency") {
        "fire"
    } else if !car.in_service || s.contains("out of service") {
        "out"
    } else if s.contains("door") {
        "doors"
    } else if s.contains("up") || s.contains("down") {
        "moving"
    } else {
        "idle"
    }
}

fn arrow(dir: i8) -> &'static str {
    match dir {
        d if d > 0 => "▲",
        d if d < 0 => "▼",
        _ => "•",
    }
}

/// One car in its shaft: body, riders, door panels.
fn car_svg(
    car: &CarSnap,
    g: &Geometry,
    floors: u32,
    on_click: Option<Callback<MouseEvent>>,
) -> Html {
    let x = g.shafts_x() + car.id as f64 * g.shaft_w + 3.0;
    let pos = car.position.clamp(0.0, f64::from(floors.saturating_sub(1)));
    let y = g.floor_top(pos) + if g.compact { 0.3 } else { 2.0 };
    let w = g.shaft_w - 6.0;
    let h = g.floor_h - if g.compact { 0.6 } else { 4.0 };
    let door = car.door.clamp(0.0, 1.0);
    let panel = w / 2.0 * (1.0 - door);
    let rr = (h * 0.13).clamp(0.6, 3.2);
    let pitch = 2.0 * rr + 1.4;
    let cols = ((w - 4.0) / pitch).floor().max(1.0) as usize;
    let rows = ((h - 4.0) / pitch).floor().max(1.0) as usize;
    let riders = car.riders.iter().take(cols * rows).enumerate().map(|(k, &dest)| {
        let cx = 2.0 + rr + (k % cols) as f64 * pitch;
        let cy = h - 2.0 - rr - (k / cols) as f64 * pitch;
        html! { <circle cx={fmt(cx)} cy={fmt(cy)} r={fmt(rr)} fill={floor_colour(dest, floors)} /> }
    });
    let title = format!(
        "Car {}: {}, {} of {} riders, {} of {} kg",
        car.id,
        car.state,
        car.riders.len(),
        car.capacity,
        car.load_kg,
        car.capacity_kg
    );
    let class = classes!(
        "car",
        state_class(car),
        car.overloaded.then_some("overloaded")
    );
    let interactive = on_click.is_some();
    html! {
        <g {class} transform={format!("translate({},{})", fmt(x), fmt(y))}
            data-testid={format!("car-{}", car.id)}
            role={interactive.then_some("button")}
            aria-label={interactive.then(|| format!("{title}. Press a floor button."))}
            onclick={on_click}>
            <title>{ title }</title>
            <rect class="body" width={fmt(w)} height={fmt(h)} rx="2" />
            <>{ for riders }</>
            <rect class="door" x="0" width={fmt(panel)} height={fmt(h)} />
            <rect class="door" x={fmt(w - panel)} width={fmt(panel)} height={fmt(h)} />
        </g>
    }
}

/// The whole section drawing. `on_car` makes cars clickable (not in thumbnails).
fn section_svg(
    snap: &Snapshot,
    g: &Geometry,
    interactive: Option<(&Callback<Value>, &Callback<u32>)>,
) -> Html {
    let width = g.width();
    let height = g.height();
    let view_box = format!("0 0 {} {}", fmt(width), fmt(height));
    let heads = (!g.compact).then(|| {
        html! {
            <g class="car-heads">
                <>{ for snap.cars.iter().map(|car| {
                    let cx = g.shafts_x() + car.id as f64 * g.shaft_w + g.shaft_w / 2.0;
                    html! {
                        <text class={classes!("car-head", state_class(car))} x={fmt(cx)} y="12">
                            <tspan>{ car.id }</tspan>
                            <tspan class="arrow" x={fmt(cx)} dy="13">{ arrow(car.dir) }</tspan>
                        </text>
                    }
                }) }</>
            </g>
        }
    });
    let (width_attr, height_attr) = if g.compact {
        ("100%".to_string(), "100%".to_string())
    } else {
        (fmt(width), fmt(height))
    };
    html! {
        <svg class={classes!("section", g.compact.then_some("compact"))} viewBox={view_box}
            width={width_attr} height={height_attr} preserveAspectRatio="xMidYMid meet"
            role="img" aria-label={format!("Building section: {} floors, {} cars", snap.floors, snap.cars.len())}>
            <Floors geo={g.clone()} served={snap.cars.iter().map(|c| c.served.clone()).collect::<Vec<_>>()} />
            <Halls geo={g.clone()} halls={snap.halls.clone()}
                on_command={interactive.map(|(c, _)| c.clone())} />
            { heads }
            <g class="cars">
                <>{ for snap.cars.iter().map(|car| {
                    let click = interactive.map(|(_, open)| {
                        let open = open.clone();
                        let id = car.id;
                        Callback::from(move |_: MouseEvent| open.emit(id))
                    });
                    car_svg(car, g, snap.floors, click)
                }) }</>
            </g>
        </svg>
    }
}

/// The room the section has on this screen, mirroring the page layout in style.css: the side
/// column beside the main one above 1100 px, the car list beside the drawing when it fits.
fn room() -> (f64, f64) {
    let window = web_sys::window();
    let size = |v: Option<wasm_bindgen::JsValue>| v.and_then(|v| v.as_f64());
    let w = size(window.as_ref().and_then(|w| w.inner_width().ok())).unwrap_or(1280.0);
    let h = size(window.as_ref().and_then(|w| w.inner_height().ok())).unwrap_or(800.0);
    let page = w.min(1480.0) - if w <= 560.0 { 20.0 } else { 40.0 };
    let main = if w > 1100.0 { page - 452.0 } else { page };
    let stage = main - 26.0;
    let width = if stage > 760.0 { stage - 252.0 } else { stage };
    (width.max(280.0), (h * 0.62).clamp(300.0, 640.0))
}

#[derive(Properties, PartialEq)]
struct BuildingProps {
    snap: Rc<Snapshot>,
    on_command: Callback<Value>,
}

/// The interactive building: the section, a floor panel for the chosen car, the car list and
/// a few live controls (dispatcher, send a passenger).
#[function_component(Building)]
fn building(props: &BuildingProps) -> Html {
    let snap = &props.snap;
    let open_car = use_state_eq(|| None::<u32>);
    let from_ref = use_node_ref();
    let to_ref = use_node_ref();
    let geo = Geometry::new(snap.floors, snap.cars.len(), false, room());
    let scroll_ref = use_node_ref();
    {
        // The lobby is where most people arrive: start with the bottom of the building in view.
        let scroll_ref = scroll_ref.clone();
        use_effect_with(snap.floors, move |_| {
            if let Some(el) = scroll_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let on_open = {
        let open_car = open_car.clone();
        Callback::from(move |id: u32| {
            let next = if *open_car == Some(id) {
                None
            } else {
                Some(id)
            };
            open_car.set(next);
        })
    };
    let cmd = props.on_command.clone();
    let top = snap.floors.saturating_sub(1);
    let on_send = {
        let cmd = cmd.clone();
        let from_ref = from_ref.clone();
        let to_ref = to_ref.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let read = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .and_then(|i| i.value().trim().parse::<u32>().ok())
            };
            if let (Some(from), Some(to)) = (read(&from_ref), read(&to_ref)) {
                cmd.emit(json!({"spawn": {"from": from.min(top), "to": to.min(top)}}));
            }
        })
    };
    let panel = open_car.and_then(|id| snap.cars.iter().find(|c| c.id == id)).map(|car| {
        let id = car.id;
        let close = {
            let open_car = open_car.clone();
            Callback::from(move |_: MouseEvent| open_car.set(None))
        };
        html! {
            <div class="car-panel" data-testid="car-panel" role="dialog"
                aria-label={format!("Floor buttons of car {id}")}>
                <div class="car-panel-head">
                    <strong>{ format!("Car {id}") }</strong>
                    <span class="muted">{ format!(" {} · {}", arrow(car.dir), car.state) }</span>
                    <button class="icon" onclick={close} aria-label="Close">{ "×" }</button>
                </div>
                <div class="floor-buttons">
                    <>{ for (0..snap.floors).rev().map(|floor| {
                        let lit = car.car_calls.contains(&floor);
                        let cmd = cmd.clone();
                        let onclick = Callback::from(move |_: MouseEvent| {
                            cmd.emit(json!({"car_call": {"car": id, "floor": floor}}));
                        });
                        html! {
                            <button class={classes!("floor-button", lit.then_some("lit"))}
                                data-testid={format!("car-call-{floor}")}
                                aria-pressed={if lit { "true" } else { "false" }} {onclick}>
                                { floor }
                            </button>
                        }
                    }) }</>
                </div>
            </div>
        }
    });
    html! {
        <div class="elevator">
            <div class="view-bar">
                { live_select(
                    "Dispatcher",
                    "dispatcher",
                    DISPATCHERS,
                    &snap.dispatcher,
                    label,
                    |dispatcher| json!({"set_dispatcher": {"dispatcher": dispatcher}}),
                    &props.on_command,
                ) }
                <form class="inline send" onsubmit={on_send}>
                    <span>{ "Passenger from" }</span>
                    <input ref={from_ref} type="number" min="0" max={top.to_string()} value="0"
                        aria-label="From floor" />
                    <span>{ "to" }</span>
                    <input ref={to_ref} type="number" min="0" max={top.to_string()}
                        value={top.to_string()} aria-label="To floor" />
                    <button type="submit">{ "Send" }</button>
                </form>
                if snap.mode != "normal" {
                    <span class="mode-badge" role="status">{ format!("Mode: {}", snap.mode) }</span>
                }
            </div>
            if snap.dispatcher == "script" {
                <ScriptPanel source={snap.script.clone()} on_command={props.on_command.clone()} />
            }
            <div class="elevator-body">
            <div class="section-scroll" ref={scroll_ref}>
                { section_svg(snap, &geo, Some((&props.on_command, &on_open))) }
            </div>
            <div class="elevator-side">
            { panel.unwrap_or_default() }
            <ul class="car-list">
                <>{ for snap.cars.iter().map(|car| {
                    let id = car.id;
                    let maintenance = in_maintenance(car);
                    let cmd = cmd.clone();
                    let toggle = Callback::from(move |_: MouseEvent| {
                        cmd.emit(json!({"maintenance": {"car": id, "on": !maintenance}}));
                    });
                    let open = {
                        let on_open = on_open.clone();
                        Callback::from(move |_: MouseEvent| on_open.emit(id))
                    };
                    html! {
                        <li class={classes!("car-chip", state_class(car))}>
                            <button class="car-name" onclick={open}
                                aria-label={format!("Floor buttons of car {id}")}>
                                { format!("Car {id} {}", arrow(car.dir)) }
                            </button>
                            <span class="car-state">{ &car.state }</span>
                            <span class="car-load">
                                { format!("{}/{} · {} kg", car.riders.len(), car.capacity, car.load_kg) }
                                if car.overloaded { <strong class="warn">{ " overloaded" }</strong> }
                            </span>
                            <button class={classes!("switch", (!maintenance).then_some("on"))}
                                role="switch" aria-checked={if maintenance { "false" } else { "true" }}
                                data-testid={format!("car-{id}-service")} onclick={toggle}
                                title="Take the car out of service, or return it">
                                { "in service" }
                            </button>
                        </li>
                    }
                }) }</>
            </ul>
            <p class="legend muted">
                { "Dots are people, coloured by the floor they are going to. Click ▲ ▼ to call a car, a car to press its floor buttons." }
            </p>
            </div>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ScriptPanelProps {
    source: Rc<str>,
    on_command: Callback<Value>,
}

/// The user-written dispatcher's editor: the script, a button that loads it into the running
/// simulation (as a recorded `set_script` command, so links replay it), the compile error if
/// any, and the reference of variables and builtins.
#[function_component(ScriptPanel)]
fn script_panel(props: &ScriptPanelProps) -> Html {
    use orrery_core::elevator::script_dispatch::SCHEMA;
    use orrery_core::script::BUILTINS;
    let area = use_node_ref();
    let error = use_state(|| None::<String>);
    let on_load = {
        let area = area.clone();
        let error = error.clone();
        let cmd = props.on_command.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(text) = area
                .cast::<web_sys::HtmlTextAreaElement>()
                .map(|t| t.value())
            else {
                return;
            };
            match orrery_core::elevator::script_dispatch::compile(&text) {
                Ok(_) => {
                    error.set(None);
                    cmd.emit(json!({"set_script": {"source": text}}));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    html! {
        <details class="script-panel" open=true data-testid="script-panel">
            <summary>{ "Dispatcher script" }</summary>
            <p class="muted">
                { "For every hall call, each car's cost is computed by this script; the lowest wins. \
                   Integers and booleans, let, if/else, min/max/abs/clamp; no loops. \
                   Load applies it from now on and is part of the share link." }
            </p>
            <textarea ref={area} rows="8" spellcheck="false" data-testid="script-source"
                value={props.source.to_string()} aria-label="Dispatcher script" />
            <div class="script-actions">
                <button onclick={on_load} data-testid="script-load">{ "Load script" }</button>
                if let Some(e) = &*error {
                    <span class="script-error" role="alert" data-testid="script-error">{ e }</span>
                }
            </div>
            <details class="script-reference">
                <summary>{ "Variables and builtins" }</summary>
                <dl>
                    <>{ for SCHEMA.iter().map(|(name, ty, doc)| html! {
                        <>
                            <dt><code>{ *name }</code>{ format!(" ({})", ty.name()) }</dt>
                            <dd>{ *doc }</dd>
                        </>
                    }) }</>
                    <>{ for BUILTINS.iter().map(|b| html! {
                        <>
                            <dt><code>{ b.signature }</code></dt>
                            <dd>{ b.doc }</dd>
                        </>
                    }) }</>
                </dl>
            </details>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_narrated() {
        let say = |v: Value| describe(&v).unwrap_or_default();
        assert_eq!(
            say(json!({"call": {"floor": 3, "dir": "up"}})),
            "You pressed ▲ up at floor 3"
        );
        assert_eq!(
            say(json!({"maintenance": {"car": 1, "on": false}})),
            "You returned car 1 to service"
        );
        assert_eq!(describe(&json!({"unknown": {}})), None);
    }

    #[test]
    fn geometry_fits_tall_and_wide_buildings() {
        let g = Geometry::new(200, 32, false, (500.0, 600.0));
        assert!(g.floor_h >= 18.0 && g.width() < 1300.0);
        assert_eq!(g.floor_top(199.0), g.head_h);
        let t = Geometry::new(200, 32, true, (0.0, 0.0));
        let phone = Geometry::new(12, 3, false, (344.0, 520.0));
        assert!(phone.width() <= 344.0 && phone.height() <= 520.0);
        assert!(t.height() < 400.0);
    }
}
