//! The elevator lab: a building of cars answering hall and car calls under a chosen dispatcher.
//!
//! # Model
//!
//! Each car is two state machines, motion and doors, that change only through
//! [`Elevator::set_doors`] and trip starts/arrivals, so an illegal transition is caught and
//! reported as an invariant violation rather than drawn:
//!
//! ```text
//!  doors:  closed ──► opening ──► open ──► closing ──► closed
//!                        ▲                    │ (someone arrives, a jam)
//!                        └────────────────────┘
//!  motion: stopped ──► moving (accelerating, cruising, decelerating) ──► stopped
//!          only while the doors are closed
//! ```
//!
//! Passengers arrive from the traffic pattern (or a click), press a hall button, board a car
//! whose direction lamp matches (single file, `board_ms` each), press their floor, and leave
//! (`alight_ms_min..=alight_ms_max`). A car that is full leaves them behind; they press again.
//! Cars plan with LOOK (serve everything ahead, then turn); the dispatcher ([`dispatch`])
//! decides which car answers which hall call.
//!
//! Time is integer milliseconds; motion between floors follows [`motion::Kinematics`], whose
//! trip times are precomputed integers, so floats never reach the state.

pub mod dispatch;
pub mod motion;
pub mod saga;
pub mod scenario;
pub mod script_dispatch;
mod traffic;
mod view;

use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;
use crate::rng::Rng;
use crate::sim::{fmt_time, Emit, Refusal, Simulation, Time, Violation};

pub use motion::Kinematics;
pub use scenario::{DispatcherKind, Parking, Pattern, Scenario};
pub use view::{CarView, HallView, View};

/// A passenger's index in [`Elevator::passengers`].
pub type Pid = u32;

/// A direction of travel or of a hall call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    Up,
    Down,
}

impl Dir {
    pub fn of(from: u32, to: u32) -> Dir {
        if to > from {
            Dir::Up
        } else {
            Dir::Down
        }
    }
    pub fn flip(self) -> Dir {
        match self {
            Dir::Up => Dir::Down,
            Dir::Down => Dir::Up,
        }
    }
    fn idx(self) -> usize {
        match self {
            Dir::Up => 0,
            Dir::Down => 1,
        }
    }
    /// True when `f` lies strictly beyond `from` in this direction.
    pub fn ahead(self, from: u32, f: u32) -> bool {
        match self {
            Dir::Up => f > from,
            Dir::Down => f < from,
        }
    }
}

impl fmt::Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dir::Up => "up",
            Dir::Down => "down",
        })
    }
}

/// The doors of a car.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Doors {
    Closed,
    Opening,
    Open,
    Closing,
}

impl fmt::Display for Doors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Doors::Closed => "closed",
            Doors::Opening => "opening",
            Doors::Open => "open",
            Doors::Closing => "closing",
        })
    }
}

/// Whether a car takes calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Service {
    Normal,
    /// Delivering its riders, then out of service; takes no hall calls.
    Maintenance,
    /// Parked by maintenance.
    OutOfService,
    /// Heading for the next floor to stop and be rescued, then broken.
    BreakingDown,
    Broken,
}

/// A committed trip from rest to rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trip {
    pub t0: Time,
    pub from: u32,
    pub to: u32,
}

/// What a car with open doors is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transfer {
    /// Someone is walking out; done at `until`.
    Out(Pid),
    /// Someone is walking in.
    In(Pid),
    /// Someone steps back out because the car is overloaded.
    StepOut(Pid),
    /// Nobody is moving; doors close at `until` unless someone comes.
    Dwell,
}

#[derive(Clone, Debug)]
pub struct Car {
    pub id: u32,
    /// The floor the car stands at, or the floor its current trip left from.
    pub floor: u32,
    pub trip: Option<Trip>,
    pub doors: Doors,
    /// When the current door movement or transfer ends.
    until: Time,
    transfer: Transfer,
    /// The direction lamp: where the car goes next.
    pub dir: Option<Dir>,
    pub car_calls: BTreeSet<u32>,
    pub riders: Vec<Pid>,
    pub cargo_kg: u32,
    pub capacity: u32,
    pub service: Service,
    /// Close attempts that will still fail because of a door jam.
    jams: u32,
    /// Whether the car stops and opens at the end of the current trip.
    open_on_arrival: bool,
    /// Set while fire recall drives this car.
    recalled: bool,
    /// When the doors last became still (nobody moving through them).
    dwell_started: Option<Time>,
    /// When the doors last finished opening.
    opened_at: Time,
}

impl Car {
    pub fn is_moving(&self) -> bool {
        self.trip.is_some()
    }
    fn in_service(&self) -> bool {
        self.service == Service::Normal
    }
}

/// Where a passenger is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whereabouts {
    Waiting(u32),
    Riding(u32),
    Delivered,
    /// Left by the stairs during fire recall.
    Evacuated,
}

#[derive(Clone, Debug)]
pub struct Passenger {
    pub from: u32,
    pub to: u32,
    pub weight_kg: u32,
    pub spawned: Time,
    pub boarded: Option<Time>,
    pub at: Whereabouts,
    /// Destination dispatch: the car the passenger was told to take.
    pub assigned: Option<u32>,
}

impl Passenger {
    pub fn dir(&self) -> Dir {
        Dir::of(self.from, self.to)
    }
}

/// A lit hall button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    pub since: Time,
    pub assigned: Option<u32>,
    /// Idle cars sent as well because more wait than the assigned car can take (bit per car).
    pub helpers: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Hall {
    /// Lit buttons, up and down.
    pub calls: [Option<Call>; 2],
    /// Waiting passengers in arrival order.
    pub waiting: Vec<Pid>,
}

impl Hall {
    pub fn call(&self, d: Dir) -> Option<Call> {
        self.calls[d.idx()]
    }
}

/// The building mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    FireRecall,
}

/// Immutable per-run configuration, shared by every checkpoint.
#[derive(Debug)]
pub struct Config {
    pub scenario: Scenario,
    pub kin: Kinematics,
    /// `served[car][floor]`.
    pub served: Vec<Vec<bool>>,
    /// The zone (floor range, inclusive) of each car for the zoning dispatcher.
    pub zones: Vec<(u32, u32)>,
}

impl Config {
    pub fn serves(&self, car: u32, floor: u32) -> bool {
        self.served[car as usize][floor as usize]
    }
    /// A typical stop: doors open and close, dwell, and one person in or out.
    pub fn stop_ms(&self) -> u64 {
        let s = &self.scenario;
        (s.door_open_ms + s.door_close_ms + s.dwell_ms + s.board_ms) as u64
    }
}

/// A click or a fault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Press a hall button (with nobody behind it).
    Call {
        floor: u32,
        dir: Dir,
    },
    /// Press a floor button inside a car.
    CarCall {
        car: u32,
        floor: u32,
    },
    /// A passenger appears.
    Spawn {
        from: u32,
        to: u32,
    },
    /// The car breaks down: it stops at the next floor it can and its riders are rescued.
    Breakdown {
        car: u32,
    },
    Repair {
        car: u32,
    },
    /// Maintenance on: deliver riders, then leave service. Off: back in service.
    Maintenance {
        car: u32,
        on: bool,
    },
    /// The next three attempts to close the doors fail.
    DoorJam {
        car: u32,
    },
    FireRecall {
        on: bool,
    },
    SetDispatcher {
        dispatcher: DispatcherKind,
    },
    /// Load freight into a car standing with open doors.
    AddCargo {
        car: u32,
        kg: u32,
    },
    /// Replace the dispatcher script (used when the dispatcher is `script`).
    SetScript {
        source: String,
    },
}

/// Something that happened in the building.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Arrive {
        p: Pid,
        from: u32,
        to: u32,
    },
    HallCall {
        floor: u32,
        dir: Dir,
        again: bool,
    },
    Assign {
        car: u32,
        floor: u32,
        dir: Dir,
    },
    AssignPassenger {
        p: Pid,
        car: u32,
    },
    Depart {
        car: u32,
        from: u32,
        to: u32,
    },
    Retarget {
        car: u32,
        to: u32,
    },
    ArriveAt {
        car: u32,
        floor: u32,
    },
    Doors {
        car: u32,
        floor: u32,
        doors: Doors,
    },
    Board {
        p: Pid,
        car: u32,
        floor: u32,
    },
    Alight {
        p: Pid,
        car: u32,
        floor: u32,
        wait_ms: u64,
        journey_ms: u64,
    },
    LeftBehind {
        car: u32,
        floor: u32,
        waiting: u32,
    },
    Overload {
        car: u32,
        load_kg: u32,
        capacity_kg: u32,
        p: Pid,
    },
    DoorJam {
        car: u32,
        floor: u32,
    },
    BrokenDown {
        car: u32,
        floor: u32,
        rescued: u32,
    },
    Repaired {
        car: u32,
    },
    OutOfService {
        car: u32,
        floor: u32,
    },
    BackInService {
        car: u32,
    },
    FireRecall {
        on: bool,
        floor: u32,
    },
    Evacuated {
        count: u32,
        floor: u32,
    },
    CallRefused {
        floor: u32,
        reason: &'static str,
    },
    DispatcherChanged {
        dispatcher: DispatcherKind,
    },
    Cargo {
        car: u32,
        kg: u32,
    },
    Park {
        car: u32,
        floor: u32,
    },
    IllegalTransition {
        car: u32,
        what: String,
    },
    ScriptLoaded,
    ScriptError {
        message: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Arrive { p, from, to } => {
                write!(f, "passenger {p} arrives at floor {from}, going to {to}")
            }
            Event::HallCall {
                floor,
                dir,
                again: false,
            } => write!(f, "hall call {dir} at floor {floor}"),
            Event::HallCall {
                floor,
                dir,
                again: true,
            } => write!(f, "hall call {dir} at floor {floor} pressed again"),
            Event::Assign { car, floor, dir } => {
                write!(f, "car {car} assigned to hall call {dir} at floor {floor}")
            }
            Event::AssignPassenger { p, car } => {
                write!(f, "passenger {p} is told to take car {car}")
            }
            Event::Depart { car, from, to } => {
                write!(f, "car {car} leaves floor {from} for floor {to}")
            }
            Event::Retarget { car, to } => write!(f, "car {car} now stops at floor {to}"),
            Event::ArriveAt { car, floor } => write!(f, "car {car} stops at floor {floor}"),
            Event::Doors { car, floor, doors } => {
                write!(f, "car {car} doors {doors} at floor {floor}")
            }
            Event::Board { p, car, floor } => {
                write!(f, "passenger {p} boards car {car} at floor {floor}")
            }
            Event::Alight {
                p,
                car,
                floor,
                wait_ms,
                journey_ms,
            } => write!(
                f,
                "passenger {p} leaves car {car} at floor {floor} (waited {}, journey {})",
                fmt_time(*wait_ms),
                fmt_time(*journey_ms)
            ),
            Event::LeftBehind {
                car,
                floor,
                waiting,
            } => {
                write!(
                    f,
                    "car {car} is full: {waiting} left waiting at floor {floor}"
                )
            }
            Event::Overload {
                car,
                load_kg,
                capacity_kg,
                p,
            } => write!(
                f,
                "car {car} overloaded ({load_kg} kg of {capacity_kg} kg): passenger {p} steps out"
            ),
            Event::DoorJam { car, floor } => {
                write!(f, "car {car} doors jammed at floor {floor}, reopening")
            }
            Event::BrokenDown {
                car,
                floor,
                rescued,
            } => {
                write!(
                    f,
                    "car {car} broken down at floor {floor}, {rescued} rescued"
                )
            }
            Event::Repaired { car } => write!(f, "car {car} repaired and back in service"),
            Event::OutOfService { car, floor } => {
                write!(f, "car {car} out of service at floor {floor}")
            }
            Event::BackInService { car } => write!(f, "car {car} back in service"),
            Event::FireRecall { on: true, floor } => {
                write!(f, "fire recall: every car to floor {floor}")
            }
            Event::FireRecall { on: false, .. } => write!(f, "fire recall over: normal service"),
            Event::Evacuated { count, floor } => write!(f, "{count} evacuated at floor {floor}"),
            Event::CallRefused { floor, reason } => {
                write!(f, "call at floor {floor} refused: {reason}")
            }
            Event::DispatcherChanged { dispatcher } => {
                write!(f, "dispatcher is now {}", dispatcher.name())
            }
            Event::Cargo { car, kg } => write!(f, "{kg} kg of cargo loaded into car {car}"),
            Event::Park { car, floor } => write!(f, "car {car} parks at floor {floor}"),
            Event::ScriptLoaded => write!(f, "dispatcher script loaded"),
            Event::ScriptError { message } => write!(f, "dispatcher script error: {message}"),
            Event::IllegalTransition { car, what } => {
                write!(f, "car {car} illegal transition: {what}")
            }
        }
    }
}

/// The elevator lab's whole state.
#[derive(Clone, Debug)]
pub struct Elevator {
    pub cfg: Rc<Config>,
    now: Time,
    pub cars: Vec<Car>,
    pub halls: Vec<Hall>,
    pub passengers: Vec<Passenger>,
    pub mode: Mode,
    pub dispatcher: DispatcherKind,
    traffic_rng: Rng,
    rng: Rng,
    /// Arrivals generated so far by the traffic pattern.
    spawned_by_traffic: u64,
    next_spawn: Option<Time>,
    metrics: Metrics,
    delivered: u64,
    evacuated: u64,
    /// An illegal transition or a livelock, reported by [`Simulation::check`].
    fault: Option<Violation>,
    /// When the dispatcher last reconsidered its assignments (`eta` does it once a second).
    reassigned_at: Option<Time>,
    /// The compiled dispatcher script (see [`script_dispatch`]).
    script: Rc<crate::script::Program>,
    /// The source of [`Elevator::script`], for the page's editor.
    pub script_source: Rc<str>,
    /// The last script runtime error reported, so that a repeating error is reported once.
    last_script_error: Option<String>,
}

/// A script of commands touching every input and fault, for the cross-cutting tests and as
/// an example: spawns, buttons, a jam, cargo, a breakdown and repair, maintenance, a dispatcher
/// change and a fire recall.
pub fn sample_inputs() -> Vec<(Time, serde_json::Value)> {
    use serde_json::json;
    vec![
        (2_000, json!({"spawn": {"from": 0, "to": 9}})),
        (2_000, json!({"spawn": {"from": 5, "to": 1}})),
        (3_500, json!({"call": {"floor": 7, "dir": "down"}})),
        (6_000, json!({"car_call": {"car": 1, "floor": 11}})),
        (9_000, json!({"door_jam": {"car": 0}})),
        (12_000, json!({"add_cargo": {"car": 2, "kg": 400}})),
        (20_000, json!({"breakdown": {"car": 1}})),
        (45_000, json!({"repair": {"car": 1}})),
        (50_000, json!({"maintenance": {"car": 2, "on": true}})),
        (
            80_000,
            json!({"set_dispatcher": {"dispatcher": "destination"}}),
        ),
        (95_000, json!({"maintenance": {"car": 2, "on": false}})),
        (120_000, json!({"fire_recall": {"on": true}})),
        (150_000, json!({"fire_recall": {"on": false}})),
        (151_000, json!({"spawn": {"from": 3, "to": 0}})),
        (160_000, json!({"call": {"floor": 0, "dir": "down"}})),
        (165_000, json!({"set_dispatcher": {"dispatcher": "script"}})),
        (170_000, json!({"set_script": {"source": "let x = ;"}})),
        (
            175_000,
            json!({"set_script": {"source": "1_000 / (distance - distance)"}}),
        ),
        (
            200_000,
            json!({"set_script": {"source": "distance * 1_000 + car_riders"}}),
        ),
    ]
}

/// A passenger may wait this long, in normal service, before the lab reports starvation.
pub const STARVATION_MS: Time = 20 * 60 * 1000;

impl Elevator {
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    fn zones(s: &Scenario) -> Vec<(u32, u32)> {
        // Floors above the lobby are split into contiguous bands, one per car; the lobby
        // belongs to every zone.
        let upper = s.floors - 1;
        let n = s.cars;
        (0..n)
            .map(|i| {
                let lo = 1 + i * upper / n;
                let hi = ((i + 1) * upper / n).max(lo);
                (lo.min(s.floors - 1), hi.min(s.floors - 1))
            })
            .collect()
    }

    pub fn car_floor_now(&self, car: &Car) -> u32 {
        match car.trip {
            Some(t) => {
                let d = t.from.abs_diff(t.to);
                let k = self.cfg.kin.first_stoppable(d, self.now - t.t0);
                if t.to > t.from {
                    t.from + k
                } else {
                    t.from - k
                }
            }
            None => car.floor,
        }
    }

    fn load_kg(&self, car: &Car) -> u32 {
        car.cargo_kg
            + car
                .riders
                .iter()
                .map(|&p| self.passengers[p as usize].weight_kg)
                .sum::<u32>()
    }

    fn emit(&mut self, out: &mut dyn Emit<Event>, e: Event) {
        out.emit(self.now, e);
    }

    fn violate(&mut self, invariant: &str, detail: String) {
        if self.fault.is_none() {
            self.fault = Some(Violation {
                invariant: invariant.into(),
                detail,
            });
        }
    }

    /// Moves a car's doors to `to`, checking the transition is legal.
    fn set_doors(&mut self, c: usize, to: Doors, out: &mut dyn Emit<Event>) {
        let from = self.cars[c].doors;
        let legal = matches!(
            (from, to),
            (Doors::Closed, Doors::Opening)
                | (Doors::Opening, Doors::Open)
                | (Doors::Open, Doors::Closing)
                | (Doors::Closing, Doors::Closed)
                | (Doors::Closing, Doors::Opening)
        );
        if !legal || self.cars[c].is_moving() {
            let what = format!(
                "doors {from} → {to}{}",
                if self.cars[c].is_moving() {
                    " while moving"
                } else {
                    ""
                }
            );
            self.violate("legal transitions", format!("car {c}: {what}"));
            self.emit(
                out,
                Event::IllegalTransition {
                    car: c as u32,
                    what,
                },
            );
        }
        self.cars[c].doors = to;
        let floor = self.cars[c].floor;
        self.emit(
            out,
            Event::Doors {
                car: c as u32,
                floor,
                doors: to,
            },
        );
    }

    fn register_call(&mut self, floor: u32, dir: Dir, again: bool, out: &mut dyn Emit<Event>) {
        let h = &mut self.halls[floor as usize];
        if h.calls[dir.idx()].is_none() {
            h.calls[dir.idx()] = Some(Call {
                since: self.now,
                assigned: None,
                helpers: 0,
            });
            self.emit(out, Event::HallCall { floor, dir, again });
            if again {
                self.metrics.add("pressed_again", 1);
            }
        }
    }

    fn spawn(&mut self, from: u32, to: u32, out: &mut dyn Emit<Event>) -> Pid {
        let s = &self.cfg.scenario;
        let weight = self
            .rng
            .range(s.weight_kg_min as u64, s.weight_kg_max as u64) as u32;
        let p = self.passengers.len() as Pid;
        self.passengers.push(Passenger {
            from,
            to,
            weight_kg: weight,
            spawned: self.now,
            boarded: None,
            at: Whereabouts::Waiting(from),
            assigned: None,
        });
        self.halls[from as usize].waiting.push(p);
        self.metrics.add("spawned", 1);
        self.emit(out, Event::Arrive { p, from, to });
        let dir = Dir::of(from, to);
        if self.dispatcher == DispatcherKind::Destination {
            dispatch::assign_destination(self, p, out);
        }
        self.register_call(from, dir, false, out);
        // A car standing here with open doors, going this way, takes them at once. If none is
        // open, one whose doors are closing reopens, as if the passenger pressed in time.
        let fits = |el: &Elevator, c: usize| {
            let car = &el.cars[c];
            !car.is_moving()
                && car.floor == from
                && car.in_service()
                && !car.recalled
                && (car.dir == Some(dir) || car.dir.is_none())
                && el.can_ride(c, p)
        };
        let mut taken = false;
        for c in 0..self.cars.len() {
            if fits(self, c) && matches!(self.cars[c].doors, Doors::Open | Doors::Opening) {
                taken = true;
                if self.cars[c].doors == Doors::Open && self.cars[c].transfer == Transfer::Dwell {
                    self.cars[c].until = self.now;
                }
                break;
            }
        }
        if !taken {
            if let Some(c) = (0..self.cars.len()).find(|&c| {
                fits(self, c) && self.cars[c].doors == Doors::Closing && self.cars[c].jams == 0
            }) {
                self.begin_open(c, out);
            }
        }
        p
    }

    /// Starts a trip, or opens the doors when the target is where the car stands.
    fn go(&mut self, c: usize, to: u32, open: bool, out: &mut dyn Emit<Event>) {
        let car = &self.cars[c];
        if car.doors != Doors::Closed {
            return;
        }
        if to == car.floor {
            if open {
                self.cars[c].dir = self.direction_after_stop(c);
                self.begin_open(c, out);
            }
            return;
        }
        let from = car.floor;
        self.cars[c].trip = Some(Trip {
            t0: self.now,
            from,
            to,
        });
        self.cars[c].open_on_arrival = open;
        if self.cars[c].dir.is_none() || !self.cars[c].dir.is_some_and(|d| d.ahead(from, to)) {
            self.cars[c].dir = Some(Dir::of(from, to));
        }
        self.metrics.add("moves", 1);
        self.emit(
            out,
            Event::Depart {
                car: c as u32,
                from,
                to,
            },
        );
    }

    fn begin_open(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        self.set_doors(c, Doors::Opening, out);
        self.cars[c].until = self.now + self.cfg.scenario.door_open_ms as u64;
    }

    fn begin_close(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        self.set_doors(c, Doors::Closing, out);
        self.cars[c].until = self.now + self.cfg.scenario.door_close_ms as u64;
    }

    /// The car's deadline, if it is doing something timed.
    fn car_deadline(&self, car: &Car) -> Option<Time> {
        if let Some(t) = car.trip {
            return Some(t.t0 + self.cfg.kin.trip(t.from.abs_diff(t.to)).total_ms);
        }
        match car.doors {
            Doors::Closed => None,
            _ => Some(car.until),
        }
    }

    /// A car reaches the end of its trip.
    fn arrive(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        let Some(trip) = self.cars[c].trip.take() else {
            return;
        };
        let floor = trip.to;
        self.cars[c].floor = floor;
        self.metrics
            .add("floors_travelled", trip.from.abs_diff(trip.to) as u64);
        self.emit(
            out,
            Event::ArriveAt {
                car: c as u32,
                floor,
            },
        );
        if self.cars[c].service == Service::BreakingDown {
            self.break_down_here(c, out);
            return;
        }
        if self.cars[c].recalled {
            if floor == self.cfg.scenario.recall_floor {
                self.begin_open(c, out);
            }
            return;
        }
        if self.cars[c].open_on_arrival || self.wants_stop_here(c) {
            self.cars[c].dir = self.direction_after_stop(c);
            self.begin_open(c, out);
        } else if self.cars[c].service == Service::Normal
            && self.cars[c].riders.is_empty()
            && self.is_park_floor(c, floor)
        {
            self.emit(
                out,
                Event::Park {
                    car: c as u32,
                    floor,
                },
            );
            self.cars[c].dir = None;
        }
    }

    fn is_park_floor(&self, c: usize, floor: u32) -> bool {
        self.park_floor(c) == Some(floor)
    }

    /// Where an idle car with nothing to do should wait.
    fn park_floor(&self, c: usize) -> Option<u32> {
        let s = &self.cfg.scenario;
        let f = match s.parking {
            Parking::Stay => return None,
            Parking::Lobby => s.lobby,
            Parking::Spread => (c as u32 * s.floors) / s.cars,
        };
        // A car that cannot reach its parking floor stays put.
        let served = &self.cfg.served[c];
        if served[f as usize] {
            Some(f)
        } else {
            (0..s.floors)
                .filter(|&g| served[g as usize])
                .min_by_key(|&g| g.abs_diff(f))
        }
    }

    /// Whether car `c`, standing at its floor, has a reason to open here.
    fn wants_stop_here(&self, c: usize) -> bool {
        let car = &self.cars[c];
        let f = car.floor;
        if car.car_calls.contains(&f)
            || car
                .riders
                .iter()
                .any(|&p| self.passengers[p as usize].to == f)
        {
            return true;
        }
        if !car.in_service() || car.riders.len() as u32 >= car.capacity {
            return false;
        }
        [Dir::Up, Dir::Down]
            .into_iter()
            .any(|d| dispatch::takes_call(self, c, f, d))
    }

    /// The direction lamp a car shows when it opens at its floor.
    fn direction_after_stop(&self, c: usize) -> Option<Dir> {
        let car = &self.cars[c];
        let f = car.floor;
        let (req, _) = dispatch::requests(self, c);
        let ahead = |d: Dir| req.iter().any(|r| d.ahead(f, r.floor));
        let call_here = |d: Dir| req.iter().any(|r| r.floor == f && r.dir == Some(d));
        match car.dir {
            Some(d) if ahead(d) || call_here(d) => Some(d),
            Some(d) if call_here(d.flip()) || ahead(d.flip()) => Some(d.flip()),
            _ => {
                if call_here(Dir::Up) {
                    Some(Dir::Up)
                } else if call_here(Dir::Down) {
                    Some(Dir::Down)
                } else if ahead(Dir::Up) {
                    Some(Dir::Up)
                } else if ahead(Dir::Down) {
                    Some(Dir::Down)
                } else {
                    None
                }
            }
        }
    }

    /// Takes every rider out at once (breakdown rescue or evacuation). Returns how many.
    fn unload_all(&mut self, c: usize, evacuate: bool) -> u32 {
        let floor = self.cars[c].floor;
        let riders = std::mem::take(&mut self.cars[c].riders);
        self.cars[c].car_calls.clear();
        let n = riders.len() as u32;
        for p in riders {
            if evacuate {
                self.passengers[p as usize].at = Whereabouts::Evacuated;
                self.evacuated += 1;
            } else {
                // Rescued riders wait at this floor and call again for their destination.
                let pass = &mut self.passengers[p as usize];
                pass.at = Whereabouts::Waiting(floor);
                pass.from = floor;
                pass.assigned = None;
                if pass.to == floor {
                    pass.at = Whereabouts::Delivered;
                    self.delivered += 1;
                    self.metrics.add("delivered", 1);
                } else {
                    self.halls[floor as usize].waiting.push(p);
                }
            }
        }
        n
    }

    /// The car with open doors finished its last step; choose the next one.
    fn doors_step(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let floor = self.cars[c].floor;
        // Finish what was under way.
        match self.cars[c].transfer {
            Transfer::Out(p) => {
                self.cars[c].riders.retain(|&q| q != p);
                let pass = &mut self.passengers[p as usize];
                pass.at = Whereabouts::Delivered;
                let wait = pass.boarded.unwrap_or(now) - pass.spawned;
                let journey = now - pass.spawned;
                self.delivered += 1;
                self.metrics.add("delivered", 1);
                self.metrics.record("saga_wait_ms", journey);
                self.emit(
                    out,
                    Event::Alight {
                        p,
                        car: c as u32,
                        floor,
                        wait_ms: wait,
                        journey_ms: journey,
                    },
                );
            }
            Transfer::In(p) => {
                let car = c as u32;
                self.emit(out, Event::Board { p, car, floor });
            }
            Transfer::StepOut(p) => {
                self.cars[c].riders.retain(|&q| q != p);
                self.halls[floor as usize].waiting.insert(0, p);
                self.passengers[p as usize].at = Whereabouts::Waiting(floor);
                self.passengers[p as usize].boarded = None;
            }
            Transfer::Dwell => {}
        }
        self.cars[c].transfer = Transfer::Dwell;
        let cfg = Rc::clone(&self.cfg);
        let s = &cfg.scenario;
        // Recall: everybody out, doors stay open.
        if self.cars[c].recalled {
            if floor != s.recall_floor {
                // Away from the recall floor nobody gets in or out: close and go.
                self.begin_close(c, out);
                return;
            }
            let n = self.unload_all(c, true);
            if n > 0 {
                self.emit(out, Event::Evacuated { count: n, floor });
            }
            self.cars[c].until = Time::MAX;
            return;
        }
        // 1. Riders for this floor leave.
        if let Some(i) = self.cars[c]
            .riders
            .iter()
            .position(|&p| self.passengers[p as usize].to == floor)
        {
            let p = self.cars[c].riders[i];
            self.cars[c].car_calls.remove(&floor);
            let journey = now - self.passengers[p as usize].spawned;
            self.metrics.record("journey_ms", journey);
            let span = (s.alight_ms_max - s.alight_ms_min) as u64;
            let d = s.alight_ms_min as u64
                + if span > 0 {
                    self.rng.below(span + 1)
                } else {
                    0
                };
            self.cars[c].transfer = Transfer::Out(p);
            self.cars[c].until = now + d;
            self.cars[c].dwell_started = None;
            return;
        }
        self.cars[c].car_calls.remove(&floor);
        // 2. Overload: the last to board steps back out.
        let load = self.load_kg(&self.cars[c]);
        if load > s.capacity_kg {
            if let Some(&p) = self.cars[c].riders.last() {
                let cap = s.capacity_kg;
                self.metrics.add("overloads", 1);
                self.emit(
                    out,
                    Event::Overload {
                        car: c as u32,
                        load_kg: load,
                        capacity_kg: cap,
                        p,
                    },
                );
                let d = s.alight_ms_min as u64;
                self.cars[c].transfer = Transfer::StepOut(p);
                self.cars[c].until = now + d;
                self.cars[c].dwell_started = None;
                return;
            }
        }
        // 3. Waiting passengers going our way board, single file; once the doors stand still,
        // the dispatcher may turn latecomers away (its lamp goes dark).
        let late = self.cars[c].dwell_started.is_some();
        if self.cars[c].in_service() && (!late || dispatch::admits_late(self, c)) {
            if let Some(p) = self.next_boarder(c) {
                let pass = &self.passengers[p as usize];
                if self.cars[c].dir.is_none() {
                    self.cars[c].dir = Some(pass.dir());
                }
                let to = pass.to;
                let wait = now - pass.spawned;
                self.halls[floor as usize].waiting.retain(|&q| q != p);
                let pass = &mut self.passengers[p as usize];
                pass.at = Whereabouts::Riding(c as u32);
                pass.boarded = Some(now);
                self.metrics.record("wait_ms", wait);
                self.cars[c].riders.push(p);
                self.cars[c].car_calls.insert(to);
                if let Some(d) = self.cars[c].dir {
                    self.halls[floor as usize].calls[d.idx()] = None;
                }
                self.cars[c].transfer = Transfer::In(p);
                self.cars[c].until = now + s.board_ms as u64;
                // A late boarder restarts the dwell, or (Saga) adds one whole period to it.
                self.cars[c].dwell_started = match self.cars[c].dwell_started {
                    Some(t) if s.dwell_in_periods && t <= now => Some(t + s.dwell_ms as u64),
                    Some(t) if s.dwell_in_periods => Some(t),
                    _ => None,
                };
                return;
            }
        }
        // 4. Nobody moves: dwell, then close, unless the dispatcher holds the car here.
        let dwell = s.dwell_ms as u64;
        let hold = |el: &Elevator| dispatch::hold_until(el, c).filter(|&h| h > now);
        match self.cars[c].dwell_started {
            Some(t) if now >= t + dwell => match hold(self) {
                Some(h) => self.cars[c].until = h,
                None => self.begin_close(c, out),
            },
            Some(t) => self.cars[c].until = t + dwell,
            None if dwell == 0 => match hold(self) {
                Some(h) => {
                    self.cars[c].dwell_started = Some(now);
                    self.cars[c].until = h;
                }
                None => self.begin_close(c, out),
            },
            None => {
                self.cars[c].dwell_started = Some(now);
                self.cars[c].until = now + dwell;
            }
        }
    }

    /// Whether passenger `p` could step into car `c` now: room, rated load, a destination the
    /// car serves, and (under destination dispatch) the car they were told to take.
    pub fn can_ride(&self, c: usize, p: Pid) -> bool {
        self.could_ride(c, p)
            && (self.dispatcher != DispatcherKind::Destination
                || self.passengers[p as usize].assigned == Some(c as u32))
    }

    /// Whether car `c` has room and rated load for passenger `p` and serves their floor.
    pub fn could_ride(&self, c: usize, p: Pid) -> bool {
        let car = &self.cars[c];
        let pass = &self.passengers[p as usize];
        (car.riders.len() as u32) < car.capacity
            && self.load_kg(car).saturating_add(pass.weight_kg) <= self.cfg.scenario.capacity_kg
            && self.cfg.serves(c as u32, pass.to)
    }

    /// The first waiting passenger at the car's floor who may board it.
    fn next_boarder(&self, c: usize) -> Option<Pid> {
        let car = &self.cars[c];
        let hall = &self.halls[car.floor as usize];
        hall.waiting.iter().copied().find(|&p| {
            let dir_ok = car.dir.is_none() || car.dir == Some(self.passengers[p as usize].dir());
            dir_ok && self.can_ride(c, p)
        })
    }

    /// Steps the car whose deadline is now.
    fn step_car(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        if self.cars[c].trip.is_some() {
            self.arrive(c, out);
            return;
        }
        match self.cars[c].doors {
            Doors::Opening => {
                self.set_doors(c, Doors::Open, out);
                self.cars[c].transfer = Transfer::Dwell;
                self.cars[c].dwell_started = None;
                self.cars[c].opened_at = self.now;
                let floor = self.cars[c].floor;
                if let Some(d) = self.cars[c].dir {
                    self.halls[floor as usize].calls[d.idx()] = None;
                }
                if self.cars[c].dir.is_none() {
                    // Opened for a call whose direction we take from the lamp.
                    for d in [Dir::Up, Dir::Down] {
                        if self.halls[floor as usize].calls[d.idx()].is_some() {
                            self.cars[c].dir = Some(d);
                            self.halls[floor as usize].calls[d.idx()] = None;
                            break;
                        }
                    }
                }
                self.doors_step(c, out);
            }
            Doors::Open => self.doors_step(c, out),
            Doors::Closing => {
                if self.cars[c].jams > 0 {
                    self.cars[c].jams -= 1;
                    let floor = self.cars[c].floor;
                    self.emit(
                        out,
                        Event::DoorJam {
                            car: c as u32,
                            floor,
                        },
                    );
                    self.begin_open(c, out);
                    return;
                }
                self.set_doors(c, Doors::Closed, out);
                self.after_close(c, out);
            }
            Doors::Closed => {}
        }
    }

    /// Doors just closed: people left behind press again; maintenance and breakdowns settle.
    fn after_close(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        let floor = self.cars[c].floor;
        let waiting: Vec<Pid> = self.halls[floor as usize].waiting.clone();
        let mut left = 0;
        for p in waiting {
            let d = self.passengers[p as usize].dir();
            if self.cars[c].dir == Some(d) {
                left += 1;
            }
            if self.dispatcher == DispatcherKind::Destination
                && self.passengers[p as usize].assigned == Some(c as u32)
            {
                self.passengers[p as usize].assigned = None;
                dispatch::assign_destination(self, p, out);
            }
            let served_here = self.cars.iter().any(|o| {
                o.id != c as u32
                    && !o.is_moving()
                    && o.floor == floor
                    && o.doors != Doors::Closed
                    && o.dir == Some(d)
            });
            if !served_here {
                self.register_call(floor, d, true, out);
            }
        }
        if left > 0 && self.cars[c].riders.len() as u32 >= self.cars[c].capacity {
            self.emit(
                out,
                Event::LeftBehind {
                    car: c as u32,
                    floor,
                    waiting: left,
                },
            );
        }
        match self.cars[c].service {
            Service::Maintenance if self.cars[c].riders.is_empty() => {
                self.cars[c].service = Service::OutOfService;
                self.cars[c].dir = None;
                self.emit(
                    out,
                    Event::OutOfService {
                        car: c as u32,
                        floor,
                    },
                );
            }
            Service::BreakingDown => self.break_down_here(c, out),
            _ => {}
        }
        if self.cars[c].riders.is_empty() && self.dispatch_requests_empty(c) {
            self.cars[c].dir = None;
        }
    }

    fn dispatch_requests_empty(&self, c: usize) -> bool {
        dispatch::requests(self, c).0.is_empty()
    }

    /// After anything changed: assign calls, start idle cars, retarget moving ones.
    fn settle(&mut self, out: &mut dyn Emit<Event>) {
        if self.mode == Mode::FireRecall {
            return;
        }
        dispatch::assign_calls(self, out);
        for c in 0..self.cars.len() {
            self.plan(c, out);
        }
    }

    /// LOOK planning for one car.
    fn plan(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        let car = &self.cars[c];
        if car.doors != Doors::Closed || car.recalled {
            return;
        }
        let (service, trip, dir, floor) = (car.service, car.trip, car.dir, car.floor);
        let empty = car.riders.is_empty();
        if matches!(
            service,
            Service::Broken | Service::OutOfService | Service::BreakingDown
        ) {
            return;
        }
        let here = self.car_floor_now(car);
        let (req, _) = dispatch::requests(self, c);
        let target = dispatch::look_target(here, dir, &req, trip.is_some());
        match (trip, target) {
            (None, Some(t)) => self.go(c, t, true, out),
            (None, None) => {
                if service == Service::Maintenance && empty {
                    self.cars[c].service = Service::OutOfService;
                    self.emit(
                        out,
                        Event::OutOfService {
                            car: c as u32,
                            floor,
                        },
                    );
                } else if let Some(p) = self.park_floor(c) {
                    if p != floor && service == Service::Normal {
                        self.go(c, p, false, out);
                        self.cars[c].dir = None;
                    }
                }
            }
            (Some(trip), Some(t)) if t != trip.to => {
                let elapsed = self.now - trip.t0;
                let dir = Dir::of(trip.from, trip.to);
                let same_way = t == here || dir.ahead(here, t);
                let d_new = trip.from.abs_diff(t);
                let d_old = trip.from.abs_diff(trip.to);
                let ok = same_way && elapsed <= self.cfg.kin.trip(d_new.min(d_old)).brake_ms;
                if ok {
                    self.cars[c].trip = Some(Trip { to: t, ..trip });
                    self.cars[c].open_on_arrival = true;
                    self.emit(
                        out,
                        Event::Retarget {
                            car: c as u32,
                            to: t,
                        },
                    );
                }
            }
            (Some(_), Some(_)) => self.cars[c].open_on_arrival = true,
            (Some(_), None) => {}
        }
    }
}

impl Elevator {
    fn recall_plan(&mut self, out: &mut dyn Emit<Event>) {
        let home = self.cfg.scenario.recall_floor;
        for c in 0..self.cars.len() {
            if !self.cars[c].recalled {
                continue;
            }
            if let Some(trip) = self.cars[c].trip {
                if trip.to == home {
                    continue;
                }
                let here = self.car_floor_now(&self.cars[c]);
                let dir = Dir::of(trip.from, trip.to);
                let elapsed = self.now - trip.t0;
                let toward = dir.ahead(trip.from, home) && !dir.ahead(home, here);
                let d_new = trip.from.abs_diff(home);
                let d_old = trip.from.abs_diff(trip.to);
                if toward && elapsed <= self.cfg.kin.trip(d_new.min(d_old)).brake_ms {
                    self.cars[c].trip = Some(Trip { to: home, ..trip });
                    self.emit(
                        out,
                        Event::Retarget {
                            car: c as u32,
                            to: home,
                        },
                    );
                } else if here != trip.to {
                    self.cars[c].trip = Some(Trip { to: here, ..trip });
                    self.emit(
                        out,
                        Event::Retarget {
                            car: c as u32,
                            to: here,
                        },
                    );
                }
                continue;
            }
            match self.cars[c].doors {
                Doors::Closed if self.cars[c].floor != home => {
                    self.cars[c].dir = Some(Dir::of(self.cars[c].floor, home));
                    self.go(c, home, true, out);
                }
                Doors::Closed => self.begin_open(c, out),
                _ => {}
            }
        }
    }

    fn set_fire_recall(&mut self, on: bool, out: &mut dyn Emit<Event>) {
        let home = self.cfg.scenario.recall_floor;
        if on {
            self.mode = Mode::FireRecall;
            self.emit(
                out,
                Event::FireRecall {
                    on: true,
                    floor: home,
                },
            );
            for h in &mut self.halls {
                h.calls = [None, None];
            }
            // People waiting at the halls take the stairs.
            for f in 0..self.halls.len() {
                let waiting = std::mem::take(&mut self.halls[f].waiting);
                if !waiting.is_empty() {
                    for &p in &waiting {
                        self.passengers[p as usize].at = Whereabouts::Evacuated;
                    }
                    self.evacuated += waiting.len() as u64;
                    self.emit(
                        out,
                        Event::Evacuated {
                            count: waiting.len() as u32,
                            floor: f as u32,
                        },
                    );
                }
            }
            for c in 0..self.cars.len() {
                let car = &mut self.cars[c];
                if matches!(car.service, Service::Broken | Service::OutOfService) {
                    continue;
                }
                car.recalled = true;
                car.car_calls.clear();
                // Open doors away from the recall floor close at once.
                if car.doors == Doors::Open && car.floor != home && car.transfer == Transfer::Dwell
                {
                    car.until = self.now;
                }
            }
            self.recall_plan(out);
        } else {
            self.mode = Mode::Normal;
            self.emit(
                out,
                Event::FireRecall {
                    on: false,
                    floor: home,
                },
            );
            for c in 0..self.cars.len() {
                if self.cars[c].recalled {
                    self.cars[c].recalled = false;
                    self.cars[c].dir = None;
                    // Riders still aboard press their floors again.
                    let dests: Vec<u32> = self.cars[c]
                        .riders
                        .iter()
                        .map(|&p| self.passengers[p as usize].to)
                        .collect();
                    self.cars[c].car_calls.extend(dests);
                    if self.cars[c].doors == Doors::Open {
                        self.cars[c].until = self.now;
                        self.cars[c].dwell_started = Some(self.now);
                    }
                }
            }
        }
    }

    /// The car stops for good where it stands: its riders step out to wait here for another
    /// car and press the hall buttons again.
    fn break_down_here(&mut self, c: usize, out: &mut dyn Emit<Event>) {
        let floor = self.cars[c].floor;
        let rescued = self.unload_all(c, false);
        self.cars[c].service = Service::Broken;
        self.cars[c].dir = None;
        self.metrics.add("rescued", rescued as u64);
        self.emit(
            out,
            Event::BrokenDown {
                car: c as u32,
                floor,
                rescued,
            },
        );
        for p in self.halls[floor as usize].waiting.clone() {
            let d = self.passengers[p as usize].dir();
            self.register_call(floor, d, true, out);
        }
    }

    fn breakdown(&mut self, c: usize, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        if matches!(
            self.cars[c].service,
            Service::Broken | Service::BreakingDown
        ) {
            return Err(Refusal(format!("car {c} is already broken down")));
        }
        self.cars[c].service = Service::BreakingDown;
        self.cars[c].recalled = false;
        if let Some(trip) = self.cars[c].trip {
            let here = self.car_floor_now(&self.cars[c]);
            if here != trip.to {
                self.cars[c].trip = Some(Trip { to: here, ..trip });
                self.emit(
                    out,
                    Event::Retarget {
                        car: c as u32,
                        to: here,
                    },
                );
            }
            return Ok(());
        }
        if self.cars[c].doors == Doors::Closed {
            self.break_down_here(c, out);
        } else if self.cars[c].doors == Doors::Open {
            // The doors close; the car is broken once they are shut.
            self.cars[c].transfer = Transfer::Dwell;
            self.cars[c].until = self.now;
            self.cars[c].dwell_started = Some(0);
        }
        Ok(())
    }

    fn check_car(&self, car: u32) -> Result<usize, Refusal> {
        if car < self.cars.len() as u32 {
            Ok(car as usize)
        } else {
            Err(Refusal(format!(
                "there is no car {car}; cars are 0 to {}",
                self.cars.len() - 1
            )))
        }
    }

    fn check_floor(&self, floor: u32) -> Result<(), Refusal> {
        if floor < self.halls.len() as u32 {
            Ok(())
        } else {
            Err(Refusal(format!(
                "there is no floor {floor}; floors are 0 to {}",
                self.halls.len() - 1
            )))
        }
    }

    fn gauges(&mut self) {
        let waiting: usize = self.halls.iter().map(|h| h.waiting.len()).sum();
        let riding: usize = self.cars.iter().map(|c| c.riders.len()).sum();
        let now = self.now;
        self.metrics.gauge("waiting", now, waiting as i64);
        self.metrics.gauge("riding", now, riding as i64);
        let longest = self
            .halls
            .iter()
            .map(|h| h.waiting.len())
            .max()
            .unwrap_or(0);
        self.metrics.gauge("longest_queue", now, longest as i64);
    }
}

impl Simulation for Elevator {
    type Scenario = Scenario;
    type Command = Command;
    type Event = Event;
    const LAB: &'static str = "elevator";

    fn new(s: &Scenario) -> Result<Elevator, String> {
        s.validate()?;
        let kin = Kinematics::new(
            s.floor_height_mm,
            s.speed_mm_s,
            s.accel_mm_s2,
            s.decel_mm_s2,
            s.floors,
        );
        let mut served = vec![vec![true; s.floors as usize]; s.cars as usize];
        for sv in &s.served {
            let floors = scenario::parse_floor_set(&sv.floors, s.floors)?;
            let row = &mut served[sv.car as usize];
            row.iter_mut().for_each(|x| *x = false);
            for f in floors {
                row[f as usize] = true;
            }
        }
        let zones = Elevator::zones(s);
        let cfg = Rc::new(Config {
            scenario: s.clone(),
            kin,
            served,
            zones,
        });
        let root = Rng::new(s.seed);
        let cars = (0..s.cars)
            .map(|i| {
                let capacity = s.capacities[i as usize % s.capacities.len()];
                let floor = if cfg.served[i as usize][s.lobby as usize] {
                    s.lobby
                } else {
                    (0..s.floors)
                        .find(|&f| cfg.served[i as usize][f as usize])
                        .unwrap_or(0)
                };
                Car {
                    id: i,
                    floor,
                    trip: None,
                    doors: Doors::Closed,
                    until: 0,
                    transfer: Transfer::Dwell,
                    dir: None,
                    car_calls: BTreeSet::new(),
                    riders: Vec::new(),
                    cargo_kg: 0,
                    capacity,
                    service: Service::Normal,
                    jams: 0,
                    open_on_arrival: false,
                    recalled: false,
                    dwell_started: None,
                    opened_at: 0,
                }
            })
            .collect();
        let mut el = Elevator {
            cfg,
            now: 0,
            cars,
            halls: vec![Hall::default(); s.floors as usize],
            passengers: Vec::new(),
            mode: Mode::Normal,
            dispatcher: s.dispatcher,
            traffic_rng: root.fork(1),
            rng: root.fork(2),
            spawned_by_traffic: 0,
            next_spawn: None,
            metrics: Metrics::default(),
            delivered: 0,
            evacuated: 0,
            fault: None,
            reassigned_at: None,
            script: Rc::new(
                script_dispatch::compile(&s.script).map_err(|e| format!("script: {e}"))?,
            ),
            last_script_error: None,
            script_source: Rc::from(s.script.as_str()),
        };
        el.next_spawn = traffic::next_arrival(&mut el);
        Ok(el)
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
        if self
            .fault
            .as_ref()
            .is_some_and(|f| f.invariant == "progress")
        {
            return None;
        }
        let cars = self
            .cars
            .iter()
            .filter_map(|c| self.car_deadline(c))
            .filter(|&t| t != Time::MAX);
        cars.chain(self.next_spawn).min()
    }

    fn advance_to(&mut self, t: Time, out: &mut dyn Emit<Event>) {
        let mut same_time_steps = 0u32;
        while let Some(d) = self.next_deadline().filter(|&d| d <= t) {
            if d == self.now {
                same_time_steps += 1;
                if same_time_steps > 50_000 {
                    self.violate(
                        "progress",
                        format!(
                            "more than 50,000 steps at {} without time passing",
                            fmt_time(d)
                        ),
                    );
                    break;
                }
            } else {
                same_time_steps = 0;
            }
            self.now = d;
            if self.next_spawn == Some(d) {
                traffic::arrival(self, out);
                self.next_spawn = traffic::next_arrival(self);
            } else if let Some(c) =
                (0..self.cars.len()).find(|&c| self.car_deadline(&self.cars[c]) == Some(d))
            {
                self.step_car(c, out);
            }
            if self.mode == Mode::FireRecall {
                self.recall_plan(out);
            }
            self.settle(out);
            self.gauges();
        }
        self.now = self.now.max(t);
    }

    fn apply(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let fire = self.mode == Mode::FireRecall;
        let refuse_fire = || {
            Err(Refusal(
                "fire recall is on: calls are refused, use the stairs".into(),
            ))
        };
        match *command {
            Command::Call { floor, dir } => {
                self.check_floor(floor)?;
                if fire {
                    return refuse_fire();
                }
                if (floor == 0 && dir == Dir::Down)
                    || (floor + 1 == self.halls.len() as u32 && dir == Dir::Up)
                {
                    return Err(Refusal(format!("floor {floor} has no {dir} button")));
                }
                self.register_call(floor, dir, false, out);
            }
            Command::CarCall { car, floor } => {
                let c = self.check_car(car)?;
                self.check_floor(floor)?;
                if fire {
                    return refuse_fire();
                }
                if !self.cfg.serves(car, floor) {
                    return Err(Refusal(format!("car {car} does not serve floor {floor}")));
                }
                if !matches!(self.cars[c].service, Service::Normal | Service::Maintenance) {
                    return Err(Refusal(format!("car {car} is out of service")));
                }
                self.cars[c].car_calls.insert(floor);
            }
            Command::Spawn { from, to } => {
                self.check_floor(from)?;
                self.check_floor(to)?;
                if from == to {
                    return Err(Refusal("a passenger must go to another floor".into()));
                }
                if fire {
                    return refuse_fire();
                }
                if !(0..self.cars.len() as u32)
                    .any(|c| self.cfg.serves(c, from) && self.cfg.serves(c, to))
                {
                    return Err(Refusal(format!(
                        "no car serves both floor {from} and floor {to}"
                    )));
                }
                self.spawn(from, to, out);
            }
            Command::Breakdown { car } => {
                let c = self.check_car(car)?;
                self.breakdown(c, out)?;
            }
            Command::Repair { car } => {
                let c = self.check_car(car)?;
                if !matches!(
                    self.cars[c].service,
                    Service::Broken | Service::BreakingDown
                ) {
                    return Err(Refusal(format!("car {car} is not broken")));
                }
                if self.cars[c].service == Service::BreakingDown {
                    return Err(Refusal(format!(
                        "car {car} is still stopping; repair it once it is down"
                    )));
                }
                self.cars[c].service = Service::Normal;
                self.emit(out, Event::Repaired { car });
                if fire {
                    self.cars[c].recalled = true;
                }
            }
            Command::Maintenance { car, on } => {
                let c = self.check_car(car)?;
                match (on, self.cars[c].service) {
                    (true, Service::Normal) => self.cars[c].service = Service::Maintenance,
                    (false, Service::Maintenance | Service::OutOfService) => {
                        self.cars[c].service = Service::Normal;
                        self.emit(out, Event::BackInService { car });
                        if fire {
                            self.cars[c].recalled = true;
                        }
                    }
                    (true, _) => {
                        return Err(Refusal(format!("car {car} is not in normal service")))
                    }
                    (false, _) => return Err(Refusal(format!("car {car} is not in maintenance"))),
                }
            }
            Command::DoorJam { car } => {
                let c = self.check_car(car)?;
                self.cars[c].jams = 3;
            }
            Command::FireRecall { on } => {
                if on == fire {
                    return Err(Refusal(format!(
                        "fire recall is already {}",
                        if on { "on" } else { "off" }
                    )));
                }
                self.set_fire_recall(on, out);
            }
            Command::SetDispatcher { dispatcher } => {
                if dispatcher == self.dispatcher {
                    return Err(Refusal(format!(
                        "the dispatcher is already {}",
                        dispatcher.name()
                    )));
                }
                self.dispatcher = dispatcher;
                for h in &mut self.halls {
                    for call in h.calls.iter_mut().flatten() {
                        call.assigned = None;
                    }
                }
                for p in &mut self.passengers {
                    p.assigned = None;
                }
                self.emit(out, Event::DispatcherChanged { dispatcher });
                if dispatcher == DispatcherKind::Destination {
                    let waiting: Vec<Pid> = self
                        .halls
                        .iter()
                        .flat_map(|h| h.waiting.iter().copied())
                        .collect();
                    for p in waiting {
                        dispatch::assign_destination(self, p, out);
                    }
                }
            }
            Command::SetScript { ref source } => {
                let program = script_dispatch::compile(source)
                    .map_err(|e| Refusal(format!("script: {e}")))?;
                self.script = Rc::new(program);
                self.script_source = Rc::from(source.as_str());
                self.last_script_error = None;
                self.emit(out, Event::ScriptLoaded);
            }
            Command::AddCargo { car, kg } => {
                let c = self.check_car(car)?;
                if self.cars[c].is_moving()
                    || !matches!(self.cars[c].doors, Doors::Open | Doors::Opening)
                {
                    return Err(Refusal(format!(
                        "car {car} must stand with open doors to load cargo"
                    )));
                }
                if kg == 0
                    || self.cars[c].cargo_kg.saturating_add(kg) > self.cfg.scenario.capacity_kg
                {
                    return Err(Refusal(format!(
                        "{kg} kg: cargo alone must stay within the rated {} kg",
                        self.cfg.scenario.capacity_kg
                    )));
                }
                self.cars[c].cargo_kg += kg;
                self.emit(out, Event::Cargo { car, kg });
                if self.cars[c].transfer == Transfer::Dwell && self.cars[c].doors == Doors::Open {
                    self.cars[c].until = self.now;
                }
            }
        }
        if self.mode == Mode::FireRecall {
            self.recall_plan(out);
        }
        self.settle(out);
        self.gauges();
        Ok(())
    }

    fn check(&self) -> Option<Violation> {
        if let Some(f) = &self.fault {
            return Some(f.clone());
        }
        let v = |inv: &str, detail: String| {
            Some(Violation {
                invariant: inv.into(),
                detail,
            })
        };
        let cap_kg = self.cfg.scenario.capacity_kg;
        for car in &self.cars {
            if car.is_moving() && car.doors != Doors::Closed {
                return v(
                    "never moves with doors open",
                    format!("car {} is moving with doors {}", car.id, car.doors),
                );
            }
            if car.riders.len() as u32 > car.capacity {
                return v(
                    "load within capacity",
                    format!(
                        "car {} holds {} of {}",
                        car.id,
                        car.riders.len(),
                        car.capacity
                    ),
                );
            }
            let load = self.load_kg(car);
            if car.is_moving() && load > cap_kg {
                return v(
                    "load within capacity",
                    format!("car {} moves with {load} kg of {cap_kg} kg", car.id),
                );
            }
        }
        let waiting: usize = self.halls.iter().map(|h| h.waiting.len()).sum();
        let riding: usize = self.cars.iter().map(|c| c.riders.len()).sum();
        let accounted = waiting as u64 + riding as u64 + self.delivered + self.evacuated;
        if accounted != self.passengers.len() as u64 {
            return v(
                "no passenger lost",
                format!(
                    "{} passengers, but {waiting} waiting + {riding} riding + {} delivered + {} evacuated",
                    self.passengers.len(),
                    self.delivered,
                    self.evacuated
                ),
            );
        }
        if self.mode == Mode::Normal {
            for (f, h) in self.halls.iter().enumerate() {
                let Some(&p) = h.waiting.first() else {
                    continue;
                };
                let pass = &self.passengers[p as usize];
                let served = self.cars.iter().any(|c| {
                    c.service == Service::Normal
                        && self.cfg.serves(c.id, pass.from)
                        && self.cfg.serves(c.id, pass.to)
                });
                if served && self.now.saturating_sub(pass.spawned) > STARVATION_MS {
                    return v(
                        "every passenger delivered",
                        format!(
                            "passenger {p} has waited at floor {f} for over {} minutes",
                            STARVATION_MS / 60_000
                        ),
                    );
                }
            }
        }
        None
    }

    fn metrics(&self) -> Metrics {
        let mut m = self.metrics.clone();
        m.add("delivered", 0);
        m.add("spawned", 0);
        m.add("moves", 0);
        m.counters.insert("evacuated".into(), self.evacuated);
        if let Some(per_hour) = (self.delivered * 3_600_000).checked_div(self.now) {
            m.counters.insert("throughput_per_hour".into(), per_hour);
        }
        m
    }
}

impl Elevator {
    /// A deep consistency check for tests and fuzzers: every passenger is exactly where its
    /// state says, every rider is in one car, lamps and loads agree. Slower than
    /// [`Simulation::check`], which runs after every step.
    pub fn dbg_check(&self) -> Result<(), String> {
        let mut seen = vec![0u8; self.passengers.len()];
        for (f, h) in self.halls.iter().enumerate() {
            for &p in &h.waiting {
                seen[p as usize] += 1;
                if self.passengers[p as usize].at != Whereabouts::Waiting(f as u32) {
                    return Err(format!(
                        "passenger {p} is in the floor {f} queue but {:?}",
                        self.passengers[p as usize].at
                    ));
                }
            }
        }
        for car in &self.cars {
            if car.riders.len() as u32 > car.capacity {
                return Err(format!("car {} over capacity", car.id));
            }
            for &p in &car.riders {
                seen[p as usize] += 1;
                if self.passengers[p as usize].at != Whereabouts::Riding(car.id) {
                    return Err(format!(
                        "passenger {p} is in car {} but {:?}",
                        car.id, self.passengers[p as usize].at
                    ));
                }
                let to = self.passengers[p as usize].to;
                let alighting = !car.is_moving() && to == car.floor;
                if !car.car_calls.contains(&to)
                    && car.service == Service::Normal
                    && !alighting
                    && !car.recalled
                {
                    return Err(format!(
                        "car {} carries passenger {p} without a car call",
                        car.id
                    ));
                }
            }
            if car.is_moving() && car.doors != Doors::Closed {
                return Err(format!("car {} moves with doors {}", car.id, car.doors));
            }
            if let Some(t) = car.trip {
                if t.from == t.to || t.t0 > self.now {
                    return Err(format!("car {} has a degenerate trip {t:?}", car.id));
                }
            }
        }
        for (p, pass) in self.passengers.iter().enumerate() {
            let expected =
                matches!(pass.at, Whereabouts::Waiting(_) | Whereabouts::Riding(_)) as u8;
            if seen[p] != expected {
                return Err(format!(
                    "passenger {p} ({:?}) appears {} times",
                    pass.at, seen[p]
                ));
            }
        }
        Ok(())
    }
}

impl Elevator {
    /// Records a dispatcher script runtime error: counted always, reported once per distinct
    /// message in a row.
    fn script_failed(&mut self, message: String, out: &mut dyn Emit<Event>) {
        self.metrics.add("script_errors", 1);
        if self.last_script_error.as_deref() != Some(message.as_str()) {
            self.last_script_error = Some(message.clone());
            self.emit(out, Event::ScriptError { message });
        }
    }
}
