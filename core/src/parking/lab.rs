//! The parking lab's simulation: vehicles arrive, entry gates race to assign spots in the shared
//! spot table under a concurrency control, vehicles park, stay, queue at exit gates, pay and
//! leave.
//!
//! **Gates step.** Every gate works one step at a time; between a gate's steps other gates take
//! theirs. With `interleaving: seeded` each gate's next step comes after a seeded random
//! `step_min_ms ..= step_max_ms`; with `manual` a gate steps only on `step_gate`. The steps:
//!
//! ```text
//!  entry gate:  read ──────────────► write ─► ticket, vehicle drives to its spot
//!               (find a spot by the   (assign it; a CAS or a fenced write may fail: read again)
//!                strategy; lock, lease
//!                or row-lock it)
//!  exit gate:   scan ticket, bill ─► pay (may fail; retried with the idempotency key) ─► open:
//!                                                                        spot freed, vehicle gone
//! ```
//!
//! **Concurrency controls** (seeds 001 Q74, 004 §19):
//!
//! | control | read | write | two gates, one last spot |
//! |---|---|---|---|
//! | `none` | find a free spot | assign it, whatever happened since | both assign it: double assignment |
//! | `lock` | take the global lock (or wait) and find | assign, release the lock | the second waits, then finds none |
//! | `cas` | find, remember the spot's version | assign only if the version is unchanged | the second's CAS fails; it reads again |
//! | `lease` | find and lease it with a fencing token, until a timeout | assign only with the newest token | the second never sees it; a stale lease holder is fenced off |
//! | `skip_locked` | `SELECT … FOR UPDATE SKIP LOCKED`: lock the first unlocked free row | assign, commit | the second skips the locked row: lot full |
//!
//! **What the displays show.** Each level's display, and the lobby's, show a count of free spots
//! from the occupancy *sensors*, cached and refreshed every `display_refresh_ms`. Sensors see
//! vehicles, not the table (a car driving to its spot is not seen yet; a stuck sensor lies), so a
//! display can say "free" while the table has no free spot: an anomaly, counted and logged.
//!
//! **Invariants**: a spot holds at most one vehicle (the first double assignment is reported with
//! the exact interleaving of reads and writes that caused it); the counts of free, assigned and
//! claimed spots match the spot table; every exit is paid exactly once (no more, no less).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::agenda::{Agenda, Due};
use super::billing::{self, money, Bill, Tariff};
use super::lot::{
    generated_plan, spot_name, Claim, Lot, NoSpot, Profile, SensorState, Span, SpotMix, SpotType,
    Strategy, VehicleType,
};
use super::traffic::{PayMethod, Traffic};
use super::waits::Waits;
use crate::metrics::{Metrics, Summary};
use crate::rng::Rng;
use crate::sim::{fmt_time, Emit, Refusal, Simulation, Time, Violation};

/// How concurrent entry gates protect the spot table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    None,
    Lock,
    #[default]
    Cas,
    Lease,
    SkipLocked,
}

impl Control {
    pub const ALL: [Control; 5] = [
        Control::None,
        Control::Lock,
        Control::Cas,
        Control::Lease,
        Control::SkipLocked,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Control::None => "none",
            Control::Lock => "lock",
            Control::Cas => "cas",
            Control::Lease => "lease",
            Control::SkipLocked => "skip_locked",
        }
    }

    /// Accepts the names of [`Control::name`] and `skip-locked`.
    pub fn from_name(s: &str) -> Option<Control> {
        let s = s.replace('-', "_");
        Control::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// Who decides the order of the gates' steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interleaving {
    /// Each gate steps after a seeded random delay.
    #[default]
    Seeded,
    /// Gates step only on `step_gate`.
    Manual,
}

/// Everything needed to start a run of the parking lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub seed: u64,
    /// A floor plan: levels of rows of spot codes (`m c L h e r`). Empty: generated from
    /// `levels`, `rows_per_level`, `spots_per_row` and `spot_mix`.
    pub plan: Vec<Vec<String>>,
    pub levels: u32,
    pub rows_per_level: u32,
    pub spots_per_row: u32,
    pub spot_mix: SpotMix,
    pub entry_gates: u32,
    pub exit_gates: u32,
    pub strategy: Strategy,
    pub control: Control,
    pub interleaving: Interleaving,
    pub step_min_ms: u32,
    pub step_max_ms: u32,
    /// How long a lease lasts under the `lease` control.
    pub lease_ms: u32,
    /// From ticket to parked.
    pub drive_ms: u32,
    pub display_refresh_ms: u32,
    /// Consecutive large spots a bus takes.
    pub bus_spots: u32,
    /// How long past its booked arrival a pre-booking's spot is held.
    pub hold_min: u32,
    /// Payment retries carry an idempotency key (off: a retry after a timeout charges again).
    pub idempotency: bool,
    pub tariff: Tariff,
    pub traffic: Traffic,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            plan: Vec::new(),
            levels: 3,
            rows_per_level: 4,
            spots_per_row: 20,
            spot_mix: SpotMix::default(),
            entry_gates: 2,
            exit_gates: 2,
            strategy: Strategy::FirstFit,
            control: Control::Cas,
            interleaving: Interleaving::Seeded,
            step_min_ms: 500,
            step_max_ms: 3_000,
            lease_ms: 5_000,
            drive_ms: 45_000,
            display_refresh_ms: 60_000,
            bus_spots: 3,
            hold_min: 15,
            idempotency: true,
            tariff: Tariff::default(),
            traffic: Traffic::default(),
        }
    }
}

impl Scenario {
    /// The floor plan: `plan`, or one generated from the sizes.
    pub fn floor_plan(&self) -> Vec<Vec<String>> {
        if self.plan.is_empty() {
            generated_plan(
                self.levels,
                self.rows_per_level,
                self.spots_per_row,
                &self.spot_mix,
            )
        } else {
            self.plan.clone()
        }
    }

    /// Explains which field is out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.plan.is_empty() {
            for (name, v, max) in [
                ("levels", self.levels, 20),
                ("rows_per_level", self.rows_per_level, 26),
                ("spots_per_row", self.spots_per_row, 999),
            ] {
                if !(1..=max).contains(&v) {
                    return Err(format!("{name} must be between 1 and {max}, not {v}"));
                }
            }
            self.spot_mix.validate()?;
        }
        for (name, v) in [
            ("entry_gates", self.entry_gates),
            ("exit_gates", self.exit_gates),
        ] {
            if !(1..=16).contains(&v) {
                return Err(format!("{name} must be between 1 and 16, not {v}"));
            }
        }
        if self.step_min_ms == 0
            || self.step_min_ms > self.step_max_ms
            || self.step_max_ms > 600_000
        {
            return Err(format!(
                "step_min_ms and step_max_ms must satisfy 1 <= min <= max <= 600000, not {} and {}",
                self.step_min_ms, self.step_max_ms
            ));
        }
        for (name, v, lo, hi) in [
            ("lease_ms", self.lease_ms, 1, 3_600_000),
            ("drive_ms", self.drive_ms, 0, 3_600_000),
            (
                "display_refresh_ms",
                self.display_refresh_ms,
                1_000,
                3_600_000,
            ),
            ("bus_spots", self.bus_spots, 1, 10),
            ("hold_min", self.hold_min, 1, 1440),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(format!("{name} must be between {lo} and {hi}, not {v}"));
            }
        }
        self.tariff.validate()?;
        self.traffic.validate()
    }
}

/// A vehicle arriving by command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Arrival {
    pub kind: VehicleType,
    pub ev: bool,
    pub permit: bool,
    pub subscriber: bool,
    pub lost_ticket: bool,
    pub pay: PayMethod,
    /// How long it stays; 0 draws from the traffic's stay distribution.
    pub stay_min: u32,
}

/// A click or a fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// A vehicle joins the shortest entry queue.
    Arrive(Arrival),
    /// One step of a gate (`E1`, `X2`), under the manual interleaving.
    StepGate {
        gate: String,
    },
    SetControl {
        control: Control,
    },
    SetStrategy {
        strategy: Strategy,
    },
    /// Books a spot through the app for a vehicle arriving in `arrive_in_min`; `show: false`
    /// is a no-show.
    Prebook {
        vehicle: Profile,
        arrive_in_min: u32,
        show: bool,
    },
    /// Breaks a spot's occupancy sensor.
    SensorFault {
        spot: String,
        fault: SensorState,
    },
    /// The attendant checks a spot by eye and repairs its sensor.
    Override {
        spot: String,
    },
    /// Compares every sensor with the spot table.
    Reconcile,
    /// A stadium empties: `exits` parked vehicles leave now, `arrivals` arrive over minutes.
    SpecialEvent {
        exits: u32,
        arrivals: u32,
    },
}

/// Why an entry gate turned a vehicle away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turned {
    Full,
    NoFit,
}

impl fmt::Display for Turned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Turned::Full => "lot full",
            Turned::NoFit => "no fitting spot",
        })
    }
}

/// What a payment attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayOutcome {
    Approved,
    /// Approved, but the key was already charged: no second charge.
    AlreadyCharged,
    Declined,
    /// The processor charged; the gate did not hear back.
    TimedOut,
}

/// A gate's name: `E1` for the first entry gate, `X2` for the second exit gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateName {
    pub exit: bool,
    pub number: u32,
}

impl fmt::Display for GateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", if self.exit { 'X' } else { 'E' }, self.number)
    }
}

/// One spot, or a run of spots along a row: `1A01`, `1B01-1B03`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spots {
    pub level: u32,
    pub row: u32,
    pub pos: u32,
    pub count: u32,
}

impl fmt::Display for Spots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.count {
            0 => f.write_str("nothing"),
            1 => f.write_str(&spot_name(self.level, self.row, self.pos)),
            n => write!(
                f,
                "{}-{}",
                spot_name(self.level, self.row, self.pos),
                spot_name(self.level, self.row, self.pos + n - 1)
            ),
        }
    }
}

/// An availability display: one per level and one in the lobby.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    Level(u32),
    Lobby,
}

impl fmt::Display for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Board::Level(l) => write!(f, "L{}", l + 1),
            Board::Lobby => f.write_str("lobby"),
        }
    }
}

/// What an entry gate's read did besides finding spots, by control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadHow {
    Plain,
    HoldingLock,
    AtVersion(u64),
    Leased { token: u64, until: Time },
    RowLocked,
    HeldBy(u64),
}

impl fmt::Display for ReadHow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadHow::Plain => Ok(()),
            ReadHow::HoldingLock => f.write_str(" (holding the lock)"),
            ReadHow::AtVersion(v) => write!(f, " at version {v}"),
            ReadHow::Leased { token, until } => {
                write!(f, ", leased with token {token} until {}", fmt_time(*until))
            }
            ReadHow::RowLocked => f.write_str(", row locked (FOR UPDATE SKIP LOCKED)"),
            ReadHow::HeldBy(r) => write!(f, " (held by R{r})"),
        }
    }
}

/// Why an entry gate's write failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteFailure {
    Cas {
        spot: Spots,
        read: u64,
        now: u64,
    },
    Fenced {
        spot: Spots,
        token: u64,
        newest: u64,
    },
    Prebooked {
        spot: Spots,
    },
    HoldExpired {
        reservation: u64,
        spot: Spots,
    },
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteFailure::Cas { spot, read, now } => {
                write!(f, "CAS conflict on {spot} (version {read} read, now {now})")
            }
            WriteFailure::Fenced {
                spot,
                token,
                newest,
            } => write!(
                f,
                "fenced off on {spot} (token {token} is stale, newest {newest})"
            ),
            WriteFailure::Prebooked { spot } => write!(f, "{spot} was pre-booked meanwhile"),
            WriteFailure::HoldExpired { reservation, spot } => {
                write!(f, "the hold of R{reservation} on {spot} expired")
            }
        }
    }
}

/// Something that happened in the parking lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Arrived {
        vehicle: u64,
        profile: Profile,
        gate: GateName,
        queue: usize,
    },
    /// An entry gate's read found spots that look free.
    Read {
        gate: GateName,
        vehicle: u64,
        spots: Spots,
        how: ReadHow,
    },
    WaitsForLock {
        gate: GateName,
        holder: GateName,
    },
    TurnedAway {
        gate: GateName,
        vehicle: u64,
        why: Turned,
    },
    /// A write that assigned the spots; the ticket is issued.
    Assigned {
        gate: GateName,
        vehicle: u64,
        spots: Spots,
        ticket: u64,
    },
    DoubleAssignment {
        spot: Spots,
        holders: Vec<u64>,
    },
    /// A write that failed; the gate reads again.
    WriteFailed {
        gate: GateName,
        vehicle: u64,
        spots: Spots,
        why: WriteFailure,
    },
    LeaseExpired {
        spot: Spots,
        token: u64,
    },
    Parked {
        vehicle: u64,
        spots: Spots,
    },
    EvLimit {
        vehicle: u64,
        spot: Spots,
    },
    Leaves {
        vehicle: u64,
        gate: GateName,
        queue: usize,
    },
    Scanned {
        gate: GateName,
        vehicle: u64,
        ticket: u64,
        lost: bool,
        bill: Bill,
    },
    /// A payment attempt; the idempotency key is the ticket number.
    Payment {
        gate: GateName,
        vehicle: u64,
        method: PayMethod,
        cents: u64,
        key: u64,
        outcome: PayOutcome,
    },
    Opened {
        gate: GateName,
        vehicle: u64,
        spots: Spots,
    },
    Display {
        display: Board,
        free: u32,
    },
    DisplayAnomaly {
        display: Board,
        shows: u32,
    },
    Prebooked {
        reservation: u64,
        vehicle: u64,
        spots: Spots,
        until: Time,
    },
    PrebookRefused {
        why: Turned,
    },
    HoldExpired {
        reservation: u64,
        spots: Spots,
        no_show: bool,
    },
    SensorFault {
        spot: Spots,
        fault: SensorState,
    },
    SensorRepaired {
        spot: Spots,
    },
    Mismatch {
        spot: Spots,
        sensor: bool,
        table: bool,
        cause: &'static str,
    },
    Reconciled {
        mismatches: u32,
        faulty: u32,
    },
    SpecialEvent {
        exits: u32,
        arrivals: u32,
    },
    ControlSet {
        control: Control,
    },
    StrategySet {
        strategy: Strategy,
    },
}

fn occupied(b: bool) -> &'static str {
    if b {
        "occupied"
    } else {
        "free"
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Arrived {
                vehicle,
                profile,
                gate,
                queue,
            } => write!(f, "V{vehicle} ({profile}) queues at {gate} (queue {queue})"),
            Event::Read {
                gate,
                vehicle,
                spots,
                how,
            } => write!(f, "{gate} reads for V{vehicle}: {spots} free{how}"),
            Event::WaitsForLock { gate, holder } => {
                write!(f, "{gate} waits for the lock (held by {holder})")
            }
            Event::TurnedAway { gate, vehicle, why } => {
                write!(f, "{gate} turns V{vehicle} away: {why}")
            }
            Event::Assigned {
                gate,
                vehicle,
                spots,
                ticket,
            } => write!(f, "{gate} writes {spots} = V{vehicle}; ticket T{ticket}"),
            Event::DoubleAssignment { spot, holders } => {
                write!(f, "DOUBLE ASSIGNMENT: {spot} is given to")?;
                for (i, v) in holders.iter().enumerate() {
                    write!(f, "{}V{v}", if i == 0 { " " } else { " and " })?;
                }
                Ok(())
            }
            Event::WriteFailed {
                gate,
                vehicle,
                spots,
                why,
            } => write!(f, "{gate} write of {spots} for V{vehicle} fails: {why}; reads again"),
            Event::LeaseExpired { spot, token } => {
                write!(f, "lease on {spot} (token {token}) expires")
            }
            Event::Parked { vehicle, spots } => write!(f, "V{vehicle} parks in {spots}"),
            Event::EvLimit { vehicle, spot } => {
                write!(f, "V{vehicle} on charger {spot} passes the charging time limit")
            }
            Event::Leaves {
                vehicle,
                gate,
                queue,
            } => write!(f, "V{vehicle} drives out to {gate} (queue {queue})"),
            Event::Scanned {
                gate,
                vehicle,
                ticket,
                lost,
                bill,
            } => {
                if *lost {
                    write!(f, "{gate} V{vehicle} lost ticket T{ticket}; bill {bill}")
                } else {
                    write!(f, "{gate} scans T{ticket} of V{vehicle}: bill {bill}")
                }
            }
            Event::Payment {
                gate,
                vehicle,
                method,
                cents,
                key,
                outcome,
            } => {
                write!(
                    f,
                    "{gate} V{vehicle} pays {} by {} (key T{key}): ",
                    money(*cents as i64),
                    method.name()
                )?;
                f.write_str(match outcome {
                    PayOutcome::Approved => "approved",
                    PayOutcome::AlreadyCharged => "already charged under this key, no second charge",
                    PayOutcome::Declined => "declined, retry",
                    PayOutcome::TimedOut => "timed out after the charge, retry",
                })
            }
            Event::Opened {
                gate,
                vehicle,
                spots,
            } => write!(f, "{gate} opens for V{vehicle}; {spots} free"),
            Event::Display { display, free } => write!(f, "display {display} shows {free} free"),
            Event::DisplayAnomaly { display, shows } => write!(
                f,
                "ANOMALY: display {display} says {shows} free but the table has none"
            ),
            Event::Prebooked {
                reservation,
                vehicle,
                spots,
                until,
            } => write!(
                f,
                "R{reservation} holds {spots} for V{vehicle} until {}",
                fmt_time(*until)
            ),
            Event::PrebookRefused { why } => write!(f, "pre-booking refused: {why}"),
            Event::HoldExpired {
                reservation,
                spots,
                no_show,
            } => write!(
                f,
                "R{reservation} hold on {spots} expires{}",
                if *no_show { ": no-show" } else { "" }
            ),
            Event::SensorFault { spot, fault } => write!(
                f,
                "sensor of {spot} fails: stuck {}",
                occupied(*fault == SensorState::StuckOccupied)
            ),
            Event::SensorRepaired { spot } => {
                write!(f, "attendant checks {spot} and repairs its sensor")
            }
            Event::Mismatch {
                spot,
                sensor,
                table,
                cause,
            } => write!(
                f,
                "reconcile: {spot} sensor {} table {} ({cause})",
                occupied(*sensor),
                occupied(*table)
            ),
            Event::Reconciled { mismatches, faulty } => write!(
                f,
                "reconciliation: {mismatches} spots disagree, {faulty} sensors flagged for the attendant"
            ),
            Event::SpecialEvent { exits, arrivals } => write!(
                f,
                "special event: {exits} vehicles leave now, {arrivals} arrive"
            ),
            Event::ControlSet { control } => {
                write!(f, "concurrency control is now {}", control.name())
            }
            Event::StrategySet { strategy } => {
                write!(f, "allocation strategy is now {}", strategy.name())
            }
        }
    }
}

/// Vehicles by id (ids count up from 1), in a slab: `slot_of[id]` is the vehicle's slot, and a
/// gone vehicle's slot is reused, so the records of the vehicles in and near the lot stay
/// together in one vector (a busy week sees 200,000 vehicles; a few thousand are there at once).
#[derive(Clone, Debug, Default)]
struct Fleet {
    slot_of: Vec<u32>,
    slots: Vec<Vehicle>,
    free: Vec<u32>,
}

/// `slot_of` of an id without a vehicle.
const NO_SLOT: u32 = u32::MAX;

impl Fleet {
    fn slot(&self, v: u64) -> Option<usize> {
        let s = *self.slot_of.get(v as usize)?;
        (s != NO_SLOT).then_some(s as usize)
    }

    fn get(&self, v: &u64) -> Option<&Vehicle> {
        self.slot(*v).map(|s| &self.slots[s])
    }

    fn get_mut(&mut self, v: &u64) -> Option<&mut Vehicle> {
        self.slot(*v).map(|s| &mut self.slots[s])
    }

    fn contains_key(&self, v: &u64) -> bool {
        self.slot(*v).is_some()
    }

    /// Ids that ever had a vehicle: `0 .. ids()`.
    fn ids(&self) -> u64 {
        self.slot_of.len() as u64
    }

    fn insert(&mut self, v: u64, car: Vehicle) {
        let i = v as usize;
        if self.slot_of.len() <= i {
            self.slot_of.resize(i + 1, NO_SLOT);
        }
        if let Some(s) = self.slot(v) {
            self.slots[s] = car;
            return;
        }
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = car;
                s
            }
            None => {
                self.slots.push(car);
                self.slots.len() as u32 - 1
            }
        };
        self.slot_of[i] = s;
    }

    fn remove(&mut self, v: &u64) -> Option<Vehicle> {
        let s = self.slot(*v)?;
        self.slot_of[*v as usize] = NO_SLOT;
        self.free.push(s as u32);
        Some(self.slots[s])
    }
}

/// What an entry gate holds between its read and its write.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    vehicle: u64,
    spots: Span,
    /// The spots' versions at the read (for CAS), in order; a run has at most
    /// [`MAX_BUS_SPOTS`].
    versions: [u64; MAX_BUS_SPOTS],
    /// The lease's fencing token.
    token: u64,
    /// The spots are this pre-booking's hold.
    held: Option<u64>,
}

/// An exit gate's progress with the vehicle at its head.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ExitStage {
    Scan,
    Pay { attempt: u32 },
    Open,
}

#[derive(Clone, Debug)]
struct Gate {
    name: GateName,
    exit: bool,
    queue: VecDeque<u64>,
    pending: Option<Pending>,
    stage: ExitStage,
    scheduled: bool,
    /// Failed writes for the vehicle at the head of an entry gate's queue: its next read is a
    /// retry. Drawn only; no rule reads it.
    retries: u32,
}

impl Gate {
    fn busy(&self) -> bool {
        !self.queue.is_empty()
    }
}

/// A ticket: number, time of issue, occupancy then (permille).
#[derive(Clone, Copy, Debug)]
struct Ticket {
    number: u64,
    issued: Time,
    occupancy: u32,
}

#[derive(Clone, Copy, Debug)]
struct Vehicle {
    profile: Profile,
    lost_ticket: bool,
    pay: PayMethod,
    stay_ms: Time,
    reservation: Option<u64>,
    queued_at: Time,
    /// `(gate, time, gate step number)` of the read that found its spots, for the
    /// double-assignment report.
    read: Option<(usize, Time, u64)>,
    /// The gate step number of the write that assigned its spots (0: none yet).
    wrote: u64,
    spots: Span,
    ticket: Option<Ticket>,
    parked_at: Option<Time>,
    depart_at: Option<(Time, u64)>,
    /// The bill's total, once scanned (the lines go to the event and the page's list).
    bill_cents: Option<u64>,
    /// Times the processor charged this vehicle's ticket.
    charged: u32,
    declines: u32,
}

#[derive(Clone, Debug)]
struct Reservation {
    vehicle: u64,
    spots: Span,
    arrived: bool,
}

/// One spot as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpotView {
    pub name: String,
    pub level: u32,
    pub row: u32,
    pub pos: u32,
    pub kind: SpotType,
    /// Vehicles the table assigns here (two or more: the double assignment).
    pub holders: Vec<u64>,
    /// Vehicles physically here.
    pub parked: Vec<u64>,
    /// The profile of the first vehicle assigned here, for drawing it by type.
    pub occupant: Option<Profile>,
    /// `"lease"`, `"row lock"`, `"hold"` or empty.
    pub claim: &'static str,
    pub sensor: SensorState,
    /// What the sensor reports.
    pub sensed: bool,
}

/// What a gate does next, as the page labels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatePhase {
    /// No vehicle at the gate.
    Idle,
    /// An entry gate's next step reads the spot table.
    Read,
    /// An entry gate read; its next step writes.
    Write,
    /// The global lock is held by another gate: the next step waits.
    Waiting,
    /// An entry gate's write failed (CAS conflict, fenced, hold gone): it reads again.
    Retry,
    /// An exit gate scans the ticket and bills.
    Scan,
    /// An exit gate takes the first payment attempt.
    Pay,
    /// An exit gate retries a declined or timed-out payment, with the idempotency key.
    PayRetry,
    /// An exit gate opens: the spot is freed.
    Open,
}

impl GatePhase {
    pub fn name(self) -> &'static str {
        match self {
            GatePhase::Idle => "idle",
            GatePhase::Read => "read",
            GatePhase::Write => "write",
            GatePhase::Waiting => "waiting",
            GatePhase::Retry => "retry",
            GatePhase::Scan => "scan",
            GatePhase::Pay => "pay",
            GatePhase::PayRetry => "pay retry",
            GatePhase::Open => "open",
        }
    }
}

/// One gate as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateView {
    pub name: String,
    pub exit: bool,
    pub queue: Vec<u64>,
    /// The gate's next step in words: `read for V3`, `write 1A01 for V3`, `pay V7 (attempt 2)`.
    pub next_step: String,
    pub phase: GatePhase,
    /// This gate holds the global lock (control `lock`).
    pub holds_lock: bool,
    /// Failed writes for the vehicle at its head (entry gates).
    pub retries: u32,
}

/// Spots of one level by type (indexed by [`SpotType::index`]): how many, how many free in the
/// table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelStats {
    pub size: [u32; 6],
    pub free: [u32; 6],
    /// Spots whose sensor has failed.
    pub sensor_faults: u32,
}

/// The figures the page shows beside the picture, read from the lab's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub spots: u32,
    /// Spots assigned in the table (a doubly assigned spot counts once).
    pub assigned: u32,
    /// Spots claimed by a lease, row lock or pre-booking hold.
    pub claimed: u32,
    pub arrivals: u64,
    pub tickets: u64,
    pub rejected_full: u64,
    pub rejected_no_fit: u64,
    pub exits: u64,
    pub revenue_cents: u64,
    pub payment_retries: u64,
    pub double_charges: u64,
    pub double_assignments: u64,
    pub display_anomalies: u64,
    pub prebookings: u64,
    pub no_shows: u64,
    /// Time-averaged share of spots assigned, in basis points.
    pub utilisation_bp: u64,
    /// Spots assigned now, permille of all: what a ticket issued now is priced on.
    pub occupancy_permille: u32,
    /// Dynamic pricing now: the surge step `(threshold, multiplier)`, both permille, that a
    /// ticket issued now pays, or `None` for the base rate.
    pub surge: Option<(u32, u32)>,
    pub entry_wait: Summary,
    pub exit_wait: Summary,
}

/// A bill issued at an exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillView {
    pub time: Time,
    pub vehicle: u64,
    pub ticket: u64,
    pub bill: Bill,
}

/// What the page draws at the current time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParkingView {
    pub now: Time,
    pub levels: u32,
    pub spots: Vec<SpotView>,
    pub gates: Vec<GateView>,
    /// `(display, shows free, is an anomaly now)`: levels, then the lobby.
    pub displays: Vec<(String, u32, bool)>,
    /// Free spots in the table, per level.
    pub free_in_table: Vec<u32>,
    /// The last bills, newest last.
    pub bills: Vec<BillView>,
    pub control: Control,
    pub strategy: Strategy,
    pub interleaving: Interleaving,
    pub violation: Option<Violation>,
}

/// Bills kept for [`ParkingView::bills`].
pub const RECENT_BILLS: usize = 8;

/// Counters the lab keeps.
#[derive(Clone, Debug, Default)]
struct Counters {
    arrivals: u64,
    tickets: u64,
    rejected_full: u64,
    rejected_no_fit: u64,
    exits: u64,
    revenue_cents: u64,
    declines: u64,
    timeouts: u64,
    cas_conflicts: u64,
    lease_fenced: u64,
    lease_expiries: u64,
    lock_waits: u64,
    double_assignments: u64,
    double_charges: u64,
    display_anomalies: u64,
    prebookings: u64,
    no_shows: u64,
    lost_tickets: u64,
    ev_overstays: u64,
    mismatches: u64,
}

/// The parking lab. See the module documentation.
#[derive(Clone)]
pub struct ParkingLab {
    scenario: Scenario,
    now: Time,
    lot: Lot,
    control: Control,
    gates: Vec<Gate>,
    entries: usize,
    agenda: Agenda,
    /// Vehicles in or near the lot, boxed so that the B-tree moves pointers, not records.
    vehicles: Fleet,
    next_vehicle: u64,
    next_ticket: u64,
    next_token: u64,
    reservations: BTreeMap<u64, Reservation>,
    next_reservation: u64,
    /// The gate holding the global lock.
    lock: Option<usize>,
    /// Gate steps taken so far: orders the steps of the double-assignment report.
    gate_steps: u64,
    /// Charges per idempotency key of exits in progress.
    processor: BTreeMap<u64, u32>,
    /// Free spots per level as the sensors see them.
    sensed_free: Vec<u32>,
    /// What each display shows (levels, then the lobby), and whether it is an anomaly now.
    displays: Vec<u32>,
    anomalous: Vec<bool>,
    assigned_spots: u32,
    claimed_spots: u32,
    /// Spots of each type.
    type_sizes: [u32; 6],
    /// Spots of each type per level.
    level_sizes: Vec<[u32; 6]>,
    /// Spot-milliseconds of assigned spots, for utilisation.
    assigned_ms: u128,
    assigned_since: Time,
    traffic_rng: Rng,
    gate_rng: Rng,
    pay_rng: Rng,
    counters: Counters,
    violation: Option<Violation>,
    metrics: Metrics,
    /// The last bills issued.
    bills: VecDeque<BillView>,
    /// Queue waits at the gates with their percentiles kept current (read on every frame by
    /// [`ParkingLab::stats`]), handed out as histograms by [`Simulation::metrics`].
    entry_waits: Waits,
    exit_waits: Waits,
}

/// The longest run of spots one vehicle takes (`bus_spots` at most).
const MAX_BUS_SPOTS: usize = 10;

/// Lots up to this many spots are audited in full on every check.
const AUDIT_LIMIT: usize = 2_000;

impl ParkingLab {
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn lot(&self) -> &Lot {
        &self.lot
    }

    pub fn control(&self) -> Control {
        self.control
    }

    /// Gate names, entries first.
    pub fn gate_names(&self) -> Vec<String> {
        self.gates.iter().map(|g| g.name.to_string()).collect()
    }

    /// The gates that have a step to take (a vehicle at their head).
    pub fn busy_gates(&self) -> Vec<String> {
        self.gates
            .iter()
            .filter(|g| g.busy())
            .map(|g| g.name.to_string())
            .collect()
    }

    /// What each display shows: `(name, free)`, levels then the lobby.
    pub fn displays(&self) -> Vec<(String, u32)> {
        self.displays
            .iter()
            .enumerate()
            .map(|(d, &n)| (self.display_name(d).to_string(), n))
            .collect()
    }

    fn display_name(&self, d: usize) -> Board {
        if d < self.lot.levels as usize {
            Board::Level(d as u32)
        } else {
            Board::Lobby
        }
    }

    /// Names spots for an event: one, or a run along a row (a bus).
    fn spots_name(&self, spots: Span) -> Spots {
        match spots.head() {
            None => Spots {
                level: 0,
                row: 0,
                pos: 0,
                count: 0,
            },
            Some(i) => {
                let s = &self.lot.spots[i as usize];
                Spots {
                    level: s.level,
                    row: s.row,
                    pos: s.pos,
                    count: spots.len,
                }
            }
        }
    }

    /// The versions of a run's spots, as a CAS remembers them.
    fn versions(&self, spots: Span) -> [u64; MAX_BUS_SPOTS] {
        let mut v = [0; MAX_BUS_SPOTS];
        for (k, i) in spots.iter().enumerate() {
            v[k] = self.lot.spots[i as usize].version;
        }
        v
    }

    fn spot(&self, i: u32) -> Spots {
        self.spots_name(Span::one(i))
    }

    fn at(&mut self, t: Time, due: Due) -> (Time, u64) {
        self.agenda.at(t, due)
    }

    /// Schedules a busy gate's next step under the seeded interleaving.
    fn kick(&mut self, g: usize) {
        if self.scenario.interleaving == Interleaving::Manual
            || self.gates[g].scheduled
            || !self.gates[g].busy()
        {
            return;
        }
        let d = self.gate_rng.range(
            self.scenario.step_min_ms as u64,
            self.scenario.step_max_ms as u64,
        );
        self.gates[g].scheduled = true;
        self.at(self.now + d, Due::GateStep(g));
    }

    fn shortest(&self, exit: bool) -> usize {
        let (lo, hi) = if exit {
            (self.entries, self.gates.len())
        } else {
            (0, self.entries)
        };
        (lo..hi)
            .min_by_key(|&g| (self.gates[g].queue.len(), g))
            .unwrap_or(lo)
    }

    fn occupancy_permille(&self) -> u32 {
        let n = self.lot.spots.len() as u64;
        (self.assigned_spots as u64 * 1000 / n.max(1)) as u32
    }

    // ---- spot table updates, keeping the counts and the sensors in step ----

    fn account_assigned(&mut self) {
        let now = self.now;
        self.assigned_ms +=
            self.assigned_spots as u128 * (now.saturating_sub(self.assigned_since)) as u128;
        self.assigned_since = now;
    }

    fn set_claim(&mut self, i: u32, claim: Claim) {
        let was = self.lot.spots[i as usize].claim != Claim::Unclaimed;
        let is = claim != Claim::Unclaimed;
        // A claim is a write to the spot's row: it bumps the version a CAS compares.
        self.lot.spots[i as usize].claim = claim;
        self.lot.spots[i as usize].version += 1;
        self.claimed_spots = self.claimed_spots + is as u32 - was as u32;
        self.lot.refile(i);
    }

    fn add_holder(&mut self, i: u32, v: u64) {
        self.account_assigned();
        let s = &mut self.lot.spots[i as usize];
        if s.holders.is_empty() {
            self.assigned_spots += 1;
        }
        s.holders.push(v);
        s.version += 1;
        self.lot.refile(i);
    }

    fn remove_holder(&mut self, i: u32, v: u64) {
        self.account_assigned();
        let s = &mut self.lot.spots[i as usize];
        let before = s.holders.len();
        s.holders.remove(v);
        if before > 0 && s.holders.is_empty() {
            self.assigned_spots -= 1;
        }
        s.version += 1;
        self.lot.refile(i);
    }

    /// Changes what is physically at a spot or its sensor, keeping the sensed counts.
    fn physical(&mut self, i: u32, change: impl FnOnce(&mut super::lot::Spot)) {
        let s = &mut self.lot.spots[i as usize];
        let before = s.sensed();
        change(s);
        let after = s.sensed();
        let l = s.level as usize;
        if before && !after {
            self.sensed_free[l] += 1;
        } else if !before && after {
            self.sensed_free[l] -= 1;
        }
    }

    /// Looks for displays that say "free" while the table has nothing free: every level's
    /// (`None`) or one level's, and the lobby's.
    fn check_displays(&mut self, level: Option<u32>, out: &mut dyn Emit<Event>) {
        let lobby = self.lot.levels as usize;
        let levels = match level {
            Some(l) => l as usize..l as usize + 1,
            None => 0..lobby,
        };
        for d in levels.chain(lobby..lobby + 1) {
            let full = if d == lobby {
                self.lot.free_total() == 0
            } else {
                self.lot.free_on_level(d as u32) == 0
            };
            let bad = full && self.displays[d] > 0;
            if bad && !self.anomalous[d] {
                self.counters.display_anomalies += 1;
                out.emit(
                    self.now,
                    Event::DisplayAnomaly {
                        display: self.display_name(d),
                        shows: self.displays[d],
                    },
                );
            }
            self.anomalous[d] = bad;
        }
    }

    /// The level of a vehicle's spots (a bus's run lies in one row, so on one level).
    fn level_of(&self, spots: Span) -> Option<u32> {
        spots.head().map(|i| self.lot.spots[i as usize].level)
    }

    // ---- vehicles ----

    fn new_vehicle(
        &mut self,
        profile: Profile,
        lost_ticket: bool,
        pay: PayMethod,
        stay_ms: Time,
    ) -> u64 {
        self.next_vehicle += 1;
        let id = self.next_vehicle;
        self.vehicles.insert(
            id,
            Vehicle {
                profile,
                lost_ticket,
                pay,
                stay_ms,
                reservation: None,
                queued_at: 0,
                read: None,
                wrote: 0,
                spots: Span::default(),
                ticket: None,
                parked_at: None,
                depart_at: None,
                bill_cents: None,
                charged: 0,
                declines: 0,
            },
        );
        id
    }

    fn random_vehicle(&mut self) -> u64 {
        let t = &self.scenario.traffic;
        let profile = t.profile(&mut self.traffic_rng);
        let lost = self.traffic_rng.chance(t.lost_ticket_permille as u64, 1000);
        let pay = t.pay_method(&mut self.traffic_rng);
        let stay = t.stay_ms(&mut self.traffic_rng);
        self.new_vehicle(profile, lost, pay, stay)
    }

    fn enqueue(&mut self, v: u64, out: &mut dyn Emit<Event>) {
        let g = self.shortest(false);
        self.counters.arrivals += 1;
        if let Some(r) = self.vehicles.get(&v).and_then(|x| x.reservation) {
            if let Some(res) = self.reservations.get_mut(&r) {
                res.arrived = true;
            }
        }
        let now = self.now;
        let Some(car) = self.vehicles.get_mut(&v) else {
            return;
        };
        car.queued_at = now;
        let profile = car.profile;
        self.gates[g].queue.push_back(v);
        out.emit(
            now,
            Event::Arrived {
                vehicle: v,
                profile,
                gate: self.gates[g].name,
                queue: self.gates[g].queue.len() - 1,
            },
        );
        self.kick(g);
    }

    fn traffic_arrival(&mut self, out: &mut dyn Emit<Event>) {
        let t = &self.scenario.traffic;
        if let Some(next) = t.next_arrival(self.now, &mut self.traffic_rng) {
            self.at(next, Due::TrafficArrival);
        }
        let v = self.random_vehicle();
        let t = &self.scenario.traffic;
        let (prebook, no_show) = (t.prebook_permille as u64, t.no_show_permille as u64);
        if self.traffic_rng.chance(prebook, 1000) {
            let lead = self.traffic_rng.range(15, 60) * 60_000;
            let show = !self.traffic_rng.chance(no_show, 1000);
            self.prebook(v, lead, show, out);
        } else {
            self.enqueue(v, out);
        }
    }

    fn prebook(&mut self, v: u64, lead: Time, show: bool, out: &mut dyn Emit<Event>) {
        let Some(profile) = self.vehicles.get(&v).map(|c| c.profile) else {
            return;
        };
        match self.lot.find(profile, self.scenario.bus_spots) {
            Err(why) => {
                self.vehicles.remove(&v);
                out.emit(self.now, Event::PrebookRefused { why: turned(why) });
            }
            Ok(spots) => {
                self.next_reservation += 1;
                let r = self.next_reservation;
                let until = self.now + lead + self.scenario.hold_min as Time * 60_000;
                for i in spots.iter() {
                    self.set_claim(
                        i,
                        Claim::Hold {
                            reservation: r,
                            until,
                        },
                    );
                }
                self.counters.prebookings += 1;
                if let Some(car) = self.vehicles.get_mut(&v) {
                    car.reservation = Some(r);
                }
                out.emit(
                    self.now,
                    Event::Prebooked {
                        reservation: r,
                        vehicle: v,
                        spots: self.spots_name(spots),
                        until,
                    },
                );
                self.reservations.insert(
                    r,
                    Reservation {
                        vehicle: v,
                        spots,
                        arrived: false,
                    },
                );
                self.at(until, Due::HoldExpires(r));
                if show {
                    self.at(self.now + lead, Due::Comes(v));
                }
                let level = self
                    .reservations
                    .get(&r)
                    .and_then(|x| self.level_of(x.spots));
                self.check_displays(level, out);
            }
        }
    }

    fn hold_expires(&mut self, r: u64, out: &mut dyn Emit<Event>) {
        let Some(res) = self.reservations.remove(&r) else {
            return;
        };
        let mut released = false;
        for i in res.spots.iter() {
            if matches!(self.lot.spots[i as usize].claim, Claim::Hold { reservation, .. } if reservation == r)
            {
                self.set_claim(i, Claim::Unclaimed);
                released = true;
            }
        }
        if !released {
            return;
        }
        if !res.arrived {
            self.counters.no_shows += 1;
            self.vehicles.remove(&res.vehicle);
        }
        out.emit(
            self.now,
            Event::HoldExpired {
                reservation: r,
                spots: self.spots_name(res.spots),
                no_show: !res.arrived,
            },
        );
    }

    // ---- entry gates ----

    fn step_entry(&mut self, g: usize, out: &mut dyn Emit<Event>) {
        if self.gates[g].pending.is_some() {
            self.write(g, out);
        } else {
            self.read(g, out);
        }
    }

    fn read(&mut self, g: usize, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(&v) = self.gates[g].queue.front() else {
            return;
        };
        let gate = self.gates[g].name;
        if self.control == Control::Lock {
            match self.lock {
                Some(h) if h != g => {
                    self.counters.lock_waits += 1;
                    out.emit(
                        now,
                        Event::WaitsForLock {
                            gate,
                            holder: self.gates[h].name,
                        },
                    );
                    return;
                }
                _ => self.lock = Some(g),
            }
        }
        let Some(car) = self.vehicles.get(&v) else {
            return;
        };
        let profile = car.profile;
        // A pre-booked vehicle takes its held spots if the hold is still there.
        if let Some(r) = car.reservation {
            if let Some(res) = self.reservations.get(&r) {
                let spots = res.spots;
                let held = spots.iter().all(|i| {
                    matches!(self.lot.spots[i as usize].claim, Claim::Hold { reservation, .. } if reservation == r)
                });
                if held {
                    let versions = self.versions(spots);
                    out.emit(
                        now,
                        Event::Read {
                            gate,
                            vehicle: v,
                            spots: self.spots_name(spots),
                            how: ReadHow::HeldBy(r),
                        },
                    );
                    if let Some(c) = self.vehicles.get_mut(&v) {
                        c.read = Some((g, now, self.gate_steps));
                    }
                    self.gates[g].pending = Some(Pending {
                        vehicle: v,
                        spots,
                        versions,
                        token: 0,
                        held: Some(r),
                    });
                    return;
                }
            }
        }
        let spots = match self.lot.find(profile, self.scenario.bus_spots) {
            Ok(s) => s,
            Err(why) => {
                let why = turned(why);
                match why {
                    Turned::Full => self.counters.rejected_full += 1,
                    Turned::NoFit => self.counters.rejected_no_fit += 1,
                }
                if self.lock == Some(g) {
                    self.lock = None;
                }
                self.gates[g].queue.pop_front();
                self.gates[g].retries = 0;
                let queued = self.vehicles.remove(&v).map_or(now, |c| c.queued_at);
                self.entry_waits.record(now - queued);
                out.emit(
                    now,
                    Event::TurnedAway {
                        gate,
                        vehicle: v,
                        why,
                    },
                );
                return;
            }
        };
        let versions = self.versions(spots);
        let mut token = 0;
        let how = match self.control {
            Control::None => ReadHow::Plain,
            Control::Lock => ReadHow::HoldingLock,
            Control::Cas => ReadHow::AtVersion(versions[0]),
            Control::Lease => {
                self.next_token += 1;
                token = self.next_token;
                let until = now + self.scenario.lease_ms as Time;
                for i in spots.iter() {
                    self.lot.spots[i as usize].fence = token;
                    self.set_claim(
                        i,
                        Claim::Lease {
                            gate: g,
                            token,
                            until,
                        },
                    );
                    self.at(until, Due::LeaseExpires { spot: i, token });
                }
                ReadHow::Leased { token, until }
            }
            Control::SkipLocked => {
                for i in spots.iter() {
                    self.set_claim(i, Claim::RowLock { gate: g });
                }
                ReadHow::RowLocked
            }
        };
        out.emit(
            now,
            Event::Read {
                gate,
                vehicle: v,
                spots: self.spots_name(spots),
                how,
            },
        );
        if let Some(c) = self.vehicles.get_mut(&v) {
            c.read = Some((g, now, self.gate_steps));
        }
        self.gates[g].pending = Some(Pending {
            vehicle: v,
            spots,
            versions,
            token,
            held: None,
        });
    }

    fn write(&mut self, g: usize, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(p) = self.gates[g].pending.take() else {
            return;
        };
        let gate = self.gates[g].name;
        let names = self.spots_name(p.spots);
        let failure = if let Some(r) = p.held {
            p.spots
                .iter()
                .find(|&i| {
                    !matches!(self.lot.spots[i as usize].claim,
                        Claim::Hold { reservation, .. } if reservation == r)
                })
                .map(|i| WriteFailure::HoldExpired {
                    reservation: r,
                    spot: self.spot(i),
                })
        } else {
            match self.control {
                Control::None => None,
                Control::Cas => p
                    .spots
                    .iter()
                    .zip(p.versions)
                    .find(|&(i, ver)| self.lot.spots[i as usize].version != ver)
                    .map(|(i, ver)| {
                        self.counters.cas_conflicts += 1;
                        WriteFailure::Cas {
                            spot: self.spot(i),
                            read: ver,
                            now: self.lot.spots[i as usize].version,
                        }
                    }),
                Control::Lease => p
                    .spots
                    .iter()
                    .find(|&i| {
                        let s = &self.lot.spots[i as usize];
                        let ours = s.claim == Claim::Unclaimed
                            || matches!(s.claim, Claim::Lease { token, .. } if token == p.token);
                        s.fence != p.token || !s.holders.is_empty() || !ours
                    })
                    .map(|i| {
                        self.counters.lease_fenced += 1;
                        WriteFailure::Fenced {
                            spot: self.spot(i),
                            token: p.token,
                            newest: self.lot.spots[i as usize].fence,
                        }
                    }),
                // The lock and row locks keep other gates out; only a pre-booking through
                // the app can have taken a spot meanwhile.
                Control::Lock | Control::SkipLocked => p
                    .spots
                    .iter()
                    .find(|&i| {
                        let s = &self.lot.spots[i as usize];
                        !s.holders.is_empty()
                            || !matches!(s.claim, Claim::Unclaimed | Claim::RowLock { .. })
                    })
                    .map(|i| WriteFailure::Prebooked { spot: self.spot(i) }),
            }
        };
        if let Some(why) = failure {
            // Give back whatever of this read is still ours, then read again.
            for i in p.spots.iter() {
                if matches!(self.lot.spots[i as usize].claim, Claim::Lease { token, .. } if token == p.token)
                {
                    self.set_claim(i, Claim::Unclaimed);
                }
            }
            self.gates[g].retries += 1;
            out.emit(
                now,
                Event::WriteFailed {
                    gate,
                    vehicle: p.vehicle,
                    spots: names,
                    why,
                },
            );
            return;
        }
        let v = p.vehicle;
        // Occupancy at entry, for dynamic pricing: before this vehicle's own spots.
        let occupancy = self.occupancy_permille();
        for i in p.spots.iter() {
            if self.lot.spots[i as usize].claim != Claim::Unclaimed {
                self.set_claim(i, Claim::Unclaimed);
            }
            self.add_holder(i, v);
        }
        if self.lock == Some(g) {
            self.lock = None;
        }
        if let Some(r) = self.vehicles.get(&v).and_then(|c| c.reservation) {
            self.reservations.remove(&r);
        }
        self.next_ticket += 1;
        let ticket = Ticket {
            number: self.next_ticket,
            issued: now,
            occupancy,
        };
        self.counters.tickets += 1;
        self.gates[g].queue.pop_front();
        self.gates[g].retries = 0;
        let step = self.gate_steps;
        let queued = match self.vehicles.get_mut(&v) {
            Some(c) => {
                c.wrote = step;
                c.spots = p.spots;
                c.ticket = Some(ticket);
                c.queued_at
            }
            None => now,
        };
        self.entry_waits.record(now - queued);
        out.emit(
            now,
            Event::Assigned {
                gate,
                vehicle: v,
                spots: names,
                ticket: ticket.number,
            },
        );
        for i in p.spots.iter() {
            if self.lot.spots[i as usize].holders.len() > 1 {
                let holders = self.lot.spots[i as usize].holders.to_vec();
                self.counters.double_assignments += 1;
                out.emit(
                    now,
                    Event::DoubleAssignment {
                        spot: self.spot(i),
                        holders: holders.clone(),
                    },
                );
                if self.violation.is_none() {
                    self.violation = Some(Violation {
                        invariant: "one vehicle per spot".into(),
                        detail: self.interleaving_report(i, &holders),
                    });
                }
            }
        }
        self.check_displays(self.level_of(p.spots), out);
        self.at(now + self.scenario.drive_ms as Time, Due::Parks(v));
    }

    /// Who read spot `i` free and who wrote it, in the order the gates took those steps
    /// (several steps by hand can share a millisecond).
    fn interleaving_report(&self, i: u32, holders: &[u64]) -> String {
        let mut steps: Vec<(u64, String)> = Vec::new();
        for v in holders {
            let Some(c) = self.vehicles.get(v) else {
                continue;
            };
            if let Some((g, t, seq)) = c.read {
                steps.push((
                    seq,
                    format!(
                        "{} read it free for V{v} at {}",
                        self.gates[g].name,
                        fmt_time(t)
                    ),
                ));
            }
            if let (Some(t), Some((g, _, _))) = (c.ticket, c.read) {
                steps.push((
                    c.wrote,
                    format!(
                        "{} wrote V{v} at {}",
                        self.gates[g].name,
                        fmt_time(t.issued)
                    ),
                ));
            }
        }
        steps.sort();
        let list: Vec<String> = steps.into_iter().map(|s| s.1).collect();
        format!(
            "{} is assigned to {} vehicles: {}",
            self.lot.name(i),
            holders.len(),
            list.join(", then ")
        )
    }

    // ---- parking and leaving ----

    fn parks(&mut self, v: u64, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(c) = self.vehicles.get(&v) else {
            return;
        };
        let spots = c.spots;
        let stay = c.stay_ms;
        let profile = c.profile;
        for i in spots.iter() {
            self.physical(i, |s| s.parked.push(v));
        }
        let key = self.at(now + stay, Due::Departs(v));
        if let Some(c) = self.vehicles.get_mut(&v) {
            c.parked_at = Some(now);
            c.depart_at = Some(key);
        }
        out.emit(
            now,
            Event::Parked {
                vehicle: v,
                spots: self.spots_name(spots),
            },
        );
        let limit = self.scenario.tariff.ev_limit_min as Time * 60_000;
        let on_charger = spots
            .head()
            .is_some_and(|i| self.lot.spots[i as usize].kind == SpotType::Ev);
        if profile.ev && on_charger && limit > 0 && stay > limit {
            self.at(now + limit, Due::EvLimit(v));
        }
    }

    fn departs(&mut self, v: u64, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(c) = self.vehicles.get_mut(&v) else {
            return;
        };
        c.depart_at = None;
        let spots = c.spots;
        c.queued_at = now;
        for i in spots.iter() {
            self.physical(i, |s| s.parked.remove(v));
        }
        let g = self.shortest(true);
        self.gates[g].queue.push_back(v);
        out.emit(
            now,
            Event::Leaves {
                vehicle: v,
                gate: self.gates[g].name,
                queue: self.gates[g].queue.len() - 1,
            },
        );
        self.kick(g);
    }

    // ---- exit gates ----

    fn step_exit(&mut self, g: usize, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(&v) = self.gates[g].queue.front() else {
            return;
        };
        let gate = self.gates[g].name;
        match self.gates[g].stage.clone() {
            ExitStage::Scan => {
                let Some(c) = self.vehicles.get(&v) else {
                    return;
                };
                let Some(ticket) = c.ticket else {
                    return;
                };
                let limit = self.scenario.tariff.ev_limit_min as Time * 60_000;
                let on_charger = c
                    .spots
                    .head()
                    .is_some_and(|i| self.lot.spots[i as usize].kind == SpotType::Ev);
                let parked_for = c.parked_at.map_or(0, |p| now - p);
                let ev_overstay_ms = if c.profile.ev && on_charger && limit > 0 {
                    parked_for.saturating_sub(limit)
                } else {
                    0
                };
                let stay = billing::Stay {
                    kind: c.profile.kind,
                    duration_ms: now - ticket.issued,
                    subscriber: c.profile.subscriber,
                    occupancy_at_entry: ticket.occupancy,
                    ev_overstay_ms,
                    lost_ticket: c.lost_ticket,
                };
                let lost = c.lost_ticket;
                let bill = billing::bill(&self.scenario.tariff, &stay);
                self.bills.push_back(BillView {
                    time: now,
                    vehicle: v,
                    ticket: ticket.number,
                    bill: bill.clone(),
                });
                if self.bills.len() > RECENT_BILLS {
                    self.bills.pop_front();
                }
                if lost {
                    self.counters.lost_tickets += 1;
                }
                let total = bill.total_cents;
                out.emit(
                    now,
                    Event::Scanned {
                        gate,
                        vehicle: v,
                        ticket: ticket.number,
                        lost,
                        bill,
                    },
                );
                if let Some(c) = self.vehicles.get_mut(&v) {
                    c.bill_cents = Some(total);
                }
                self.gates[g].stage = if total == 0 {
                    ExitStage::Open
                } else {
                    ExitStage::Pay { attempt: 1 }
                };
            }
            ExitStage::Pay { attempt } => self.pay(g, v, attempt, out),
            ExitStage::Open => self.open(g, v, out),
        }
    }

    fn pay(&mut self, g: usize, v: u64, attempt: u32, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(c) = self.vehicles.get(&v) else {
            return;
        };
        let cents = c.bill_cents.unwrap_or(0);
        let ticket = c.ticket.map_or(0, |t| t.number);
        // After three declines the driver pays cash.
        let method = if c.declines >= 3 {
            PayMethod::Cash
        } else {
            c.pay
        };
        let key = ticket;
        let t = &self.scenario.traffic;
        let draw = if method == PayMethod::Cash {
            1000
        } else {
            self.pay_rng.below(1000) as u32
        };
        let mut outcome = if draw < t.decline_permille {
            PayOutcome::Declined
        } else if draw < t.decline_permille + t.timeout_permille {
            PayOutcome::TimedOut
        } else {
            PayOutcome::Approved
        };
        if outcome != PayOutcome::Declined {
            let seen = self.processor.get(&key).copied().unwrap_or(0);
            if seen > 0 && self.scenario.idempotency {
                if outcome == PayOutcome::Approved {
                    outcome = PayOutcome::AlreadyCharged;
                }
            } else {
                self.processor.insert(key, seen + 1);
                self.counters.revenue_cents += cents;
                if let Some(c) = self.vehicles.get_mut(&v) {
                    c.charged += 1;
                }
            }
        }
        match outcome {
            PayOutcome::Declined => {
                self.counters.declines += 1;
                if let Some(c) = self.vehicles.get_mut(&v) {
                    c.declines += 1;
                }
                self.gates[g].stage = ExitStage::Pay {
                    attempt: attempt + 1,
                };
            }
            PayOutcome::TimedOut => {
                self.counters.timeouts += 1;
                self.gates[g].stage = ExitStage::Pay {
                    attempt: attempt + 1,
                };
            }
            PayOutcome::Approved | PayOutcome::AlreadyCharged => {
                self.gates[g].stage = ExitStage::Open;
            }
        }
        out.emit(
            now,
            Event::Payment {
                gate: self.gates[g].name,
                vehicle: v,
                method,
                cents,
                key,
                outcome,
            },
        );
    }

    fn open(&mut self, g: usize, v: u64, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let gate = self.gates[g].name;
        if self.control == Control::Lock {
            if let Some(h) = self.lock.filter(|&h| h != g) {
                self.counters.lock_waits += 1;
                out.emit(
                    now,
                    Event::WaitsForLock {
                        gate,
                        holder: self.gates[h].name,
                    },
                );
                return;
            }
        }
        let Some(c) = self.vehicles.remove(&v) else {
            return;
        };
        for i in c.spots.iter() {
            self.remove_holder(i, v);
        }
        self.gates[g].queue.pop_front();
        self.gates[g].stage = ExitStage::Scan;
        self.counters.exits += 1;
        self.exit_waits.record(now - c.queued_at);
        let ticket = c.ticket.map_or(0, |t| t.number);
        self.processor.remove(&ticket);
        let owed = c.bill_cents.is_some_and(|b| b > 0) as u32;
        if c.charged > owed {
            self.counters.double_charges += 1;
        }
        if c.charged != owed && self.violation.is_none() {
            self.violation = Some(Violation {
                invariant: "every exit paid exactly once".into(),
                detail: format!(
                    "V{v} left through {gate} with ticket T{ticket} charged {} times",
                    c.charged
                ),
            });
        }
        out.emit(
            now,
            Event::Opened {
                gate,
                vehicle: v,
                spots: self.spots_name(c.spots),
            },
        );
        self.check_displays(self.level_of(c.spots), out);
    }

    fn step_gate(&mut self, g: usize, out: &mut dyn Emit<Event>) {
        self.gate_steps += 1;
        if self.gates[g].exit {
            self.step_exit(g, out);
        } else {
            self.step_entry(g, out);
        }
    }

    // ---- displays, sensors, reconciliation ----

    fn refresh(&mut self, out: &mut dyn Emit<Event>) {
        let now = self.now;
        self.at(now + self.scenario.display_refresh_ms as Time, Due::Refresh);
        let levels = self.lot.levels as usize;
        let mut shows: Vec<u32> = self.sensed_free.clone();
        shows.push(self.sensed_free.iter().sum());
        for (d, &free) in shows.iter().enumerate().take(levels + 1) {
            if self.displays[d] != free {
                self.displays[d] = free;
                out.emit(
                    now,
                    Event::Display {
                        display: self.display_name(d),
                        free,
                    },
                );
            }
        }
        self.check_displays(None, out);
        // Occupancy gauges, sampled at each refresh.
        let total = self.lot.spots.len() as i64;
        self.metrics
            .gauge("occupancy", now, total - self.lot.free_total() as i64);
        for l in 0..self.lot.levels {
            let used = self.lot.level_size(l) as i64 - self.lot.free_on_level(l) as i64;
            self.metrics
                .gauge(&format!("occupancy_L{}", l + 1), now, used);
        }
        for t in SpotType::ALL {
            let free: u32 = (0..self.lot.levels).map(|l| self.lot.free_of(l, t)).sum();
            let size = self.type_size(t);
            if size > 0 {
                self.metrics.gauge(
                    &format!("occupancy_{}", t.name()),
                    now,
                    (size - free) as i64,
                );
            }
        }
        self.metrics.gauge(
            "display_anomaly",
            now,
            self.anomalous.iter().filter(|&&a| a).count() as i64,
        );
    }

    fn type_size(&self, t: SpotType) -> u32 {
        self.type_sizes[t.index()]
    }

    fn reconcile(&mut self, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let mut mismatches = 0;
        let mut faulty = 0;
        for i in 0..self.lot.spots.len() as u32 {
            let s = &self.lot.spots[i as usize];
            let sensor = s.sensed();
            let table = !s.holders.is_empty();
            if sensor == table {
                continue;
            }
            mismatches += 1;
            let truth = !s.parked.is_empty();
            let cause = if s.sensor != SensorState::Working || truth == table {
                faulty += 1;
                "sensor fault"
            } else if table {
                "vehicle driving to it"
            } else {
                "vehicle leaving through the exit"
            };
            if mismatches <= 20 {
                out.emit(
                    now,
                    Event::Mismatch {
                        spot: self.spot(i),
                        sensor,
                        table,
                        cause,
                    },
                );
            }
        }
        self.counters.mismatches += mismatches as u64;
        out.emit(now, Event::Reconciled { mismatches, faulty });
    }

    fn special_event(&mut self, exits: u32, arrivals: u32, out: &mut dyn Emit<Event>) {
        out.emit(self.now, Event::SpecialEvent { exits, arrivals });
        // The longest parked leave first: parked (with a departure ahead), by (parked at, id).
        let mut parked: Vec<(Time, u64)> = (0..self.vehicles.ids())
            .filter_map(|v| {
                let c = self.vehicles.get(&v)?;
                c.depart_at?;
                Some((c.parked_at?, v))
            })
            .collect();
        parked.sort_unstable();
        let leaving: Vec<u64> = parked
            .into_iter()
            .take(exits as usize)
            .map(|(_, v)| v)
            .collect();
        for v in leaving {
            // Its scheduled departure goes stale: `departs` clears `depart_at`.
            self.departs(v, out);
        }
        if arrivals > 0 {
            self.at(self.now, Due::BurstArrival { left: arrivals });
        }
    }

    fn spot_arg(&self, name: &str) -> Result<u32, Refusal> {
        self.lot
            .by_name(name)
            .ok_or_else(|| Refusal(format!("no spot {name:?}; spots are named like 1A01")))
    }

    /// What the page draws at the current time.
    pub fn view(&self) -> ParkingView {
        self.view_limited(usize::MAX)
    }

    /// [`ParkingLab::view`], with `spots` left empty when the lot has more than `max_spots`
    /// (the page then draws [`ParkingLab::level_stats`] instead of a square per spot).
    pub fn view_limited(&self, max_spots: usize) -> ParkingView {
        let all = self.lot.spots.len() <= max_spots;
        let spots = self
            .lot
            .spots
            .iter()
            .take(if all { usize::MAX } else { 0 })
            .map(|s| SpotView {
                name: spot_name(s.level, s.row, s.pos),
                level: s.level,
                row: s.row,
                pos: s.pos,
                kind: s.kind,
                holders: s.holders.to_vec(),
                parked: s.parked.to_vec(),
                occupant: s
                    .holders
                    .first()
                    .and_then(|v| self.vehicles.get(&v))
                    .map(|c| c.profile),
                claim: match s.claim {
                    Claim::Unclaimed => "",
                    Claim::Lease { .. } => "lease",
                    Claim::RowLock { .. } => "row lock",
                    Claim::Hold { .. } => "hold",
                },
                sensor: s.sensor,
                sensed: s.sensed(),
            })
            .collect();
        let gates = self
            .gates
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let head = g.queue.front();
                let others_lock =
                    self.control == Control::Lock && self.lock.is_some_and(|h| h != i);
                let phase = match (g.exit, head, &g.pending, &g.stage) {
                    (_, None, _, _) => GatePhase::Idle,
                    (false, Some(_), None, _) if others_lock => GatePhase::Waiting,
                    (false, Some(_), None, _) if g.retries > 0 => GatePhase::Retry,
                    (false, Some(_), None, _) => GatePhase::Read,
                    (false, Some(_), Some(_), _) => GatePhase::Write,
                    (true, Some(_), _, ExitStage::Scan) => GatePhase::Scan,
                    (true, Some(_), _, ExitStage::Pay { attempt }) if *attempt > 1 => {
                        GatePhase::PayRetry
                    }
                    (true, Some(_), _, ExitStage::Pay { .. }) => GatePhase::Pay,
                    (true, Some(_), _, ExitStage::Open) if others_lock => GatePhase::Waiting,
                    (true, Some(_), _, ExitStage::Open) => GatePhase::Open,
                };
                let next_step = match (g.exit, head, &g.pending, &g.stage) {
                    (_, None, _, _) => "idle".to_string(),
                    (false, Some(v), None, _) => format!("read for V{v}"),
                    (false, Some(_), Some(p), _) => {
                        format!("write {} for V{}", self.spots_name(p.spots), p.vehicle)
                    }
                    (true, Some(v), _, ExitStage::Scan) => format!("scan the ticket of V{v}"),
                    (true, Some(v), _, ExitStage::Pay { attempt }) => {
                        format!("take payment from V{v} (attempt {attempt})")
                    }
                    (true, Some(v), _, ExitStage::Open) => format!("open for V{v}"),
                };
                GateView {
                    name: g.name.to_string(),
                    exit: g.exit,
                    queue: g.queue.iter().copied().collect(),
                    next_step,
                    phase,
                    holds_lock: self.control == Control::Lock && self.lock == Some(i),
                    retries: g.retries,
                }
            })
            .collect();
        ParkingView {
            now: self.now,
            levels: self.lot.levels,
            spots,
            gates,
            displays: self
                .displays
                .iter()
                .enumerate()
                .map(|(d, &n)| (self.display_name(d).to_string(), n, self.anomalous[d]))
                .collect(),
            free_in_table: (0..self.lot.levels)
                .map(|l| self.lot.free_on_level(l))
                .collect(),
            bills: self.bills.iter().cloned().collect(),
            control: self.control,
            strategy: self.lot.strategy(),
            interleaving: self.scenario.interleaving,
            violation: self.check(),
        }
    }

    /// Spots per level by type, free and with failed sensors: the summary the page draws for
    /// lots too large for a square per spot.
    pub fn level_stats(&self) -> Vec<LevelStats> {
        let mut faults = vec![0; self.lot.levels as usize];
        for s in &self.lot.spots {
            if s.sensor != SensorState::Working {
                faults[s.level as usize] += 1;
            }
        }
        (0..self.lot.levels)
            .map(|l| {
                let mut free = [0; 6];
                for t in SpotType::ALL {
                    free[t.index()] = self.lot.free_of(l, t);
                }
                LevelStats {
                    size: self.level_sizes[l as usize],
                    free,
                    sensor_faults: faults[l as usize],
                }
            })
            .collect()
    }

    /// Time-averaged share of spots assigned so far, in basis points.
    fn utilisation_bp(&self) -> u64 {
        let spots = self.lot.spots.len() as u128;
        let assigned = self.assigned_ms
            + self.assigned_spots as u128 * self.now.saturating_sub(self.assigned_since) as u128;
        if self.now == 0 {
            0
        } else {
            (assigned * 10_000 / (spots * self.now as u128)) as u64
        }
    }

    /// The headline figures: occupancy, rejections, revenue, waits, no-shows.
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            spots: self.lot.spots.len() as u32,
            assigned: self.assigned_spots,
            claimed: self.claimed_spots,
            arrivals: c.arrivals,
            tickets: c.tickets,
            rejected_full: c.rejected_full,
            rejected_no_fit: c.rejected_no_fit,
            exits: c.exits,
            revenue_cents: c.revenue_cents,
            payment_retries: c.declines + c.timeouts,
            double_charges: c.double_charges,
            double_assignments: c.double_assignments,
            display_anomalies: c.display_anomalies,
            prebookings: c.prebookings,
            no_shows: c.no_shows,
            utilisation_bp: self.utilisation_bp(),
            occupancy_permille: self.occupancy_permille(),
            surge: billing::surge_step(&self.scenario.tariff, self.occupancy_permille()),
            entry_wait: self.entry_waits.summary(),
            exit_wait: self.exit_waits.summary(),
        }
    }

    /// Every check that needs a walk over the whole lot.
    pub fn audit(&self) -> Option<Violation> {
        let v = |detail: String| {
            Some(Violation {
                invariant: "counts match the spot table".into(),
                detail,
            })
        };
        if let Some(d) = self.lot.audit() {
            return v(d);
        }
        let assigned = self
            .lot
            .spots
            .iter()
            .filter(|s| !s.holders.is_empty())
            .count() as u32;
        let claimed = self
            .lot
            .spots
            .iter()
            .filter(|s| s.claim != Claim::Unclaimed)
            .count() as u32;
        if assigned != self.assigned_spots || claimed != self.claimed_spots {
            return v(format!(
                "counted {} assigned and {} claimed, the table has {assigned} and {claimed}",
                self.assigned_spots, self.claimed_spots
            ));
        }
        for l in 0..self.lot.levels {
            let sensed = self
                .lot
                .spots
                .iter()
                .filter(|s| s.level == l && !s.sensed())
                .count() as u32;
            if sensed != self.sensed_free[l as usize] {
                return v(format!(
                    "level {} sensed free count {} but the sensors say {sensed}",
                    l + 1,
                    self.sensed_free[l as usize]
                ));
            }
        }
        None
    }
}

fn turned(n: NoSpot) -> Turned {
    match n {
        NoSpot::Full => Turned::Full,
        NoSpot::NoFit => Turned::NoFit,
    }
}

impl Simulation for ParkingLab {
    type Scenario = Scenario;
    type Command = Command;
    type Event = Event;
    const LAB: &'static str = "parking";

    fn new(s: &Scenario) -> Result<ParkingLab, String> {
        s.validate()?;
        let lot = Lot::from_plan(&s.floor_plan(), s.strategy)?;
        let mut gates = Vec::new();
        for (n, exit) in [(s.entry_gates, false), (s.exit_gates, true)] {
            for i in 0..n {
                gates.push(Gate {
                    name: GateName {
                        exit,
                        number: i + 1,
                    },
                    exit,
                    queue: VecDeque::new(),
                    pending: None,
                    stage: ExitStage::Scan,
                    scheduled: false,
                    retries: 0,
                });
            }
        }
        let root = Rng::new(s.seed);
        let mut sensed_free = vec![0; lot.levels as usize];
        for sp in &lot.spots {
            sensed_free[sp.level as usize] += 1;
        }
        let displays_n = lot.levels as usize + 1;
        let mut type_sizes = [0; 6];
        let mut level_sizes = vec![[0; 6]; lot.levels as usize];
        for sp in &lot.spots {
            type_sizes[sp.kind.index()] += 1;
            level_sizes[sp.level as usize][sp.kind.index()] += 1;
        }
        let mut lab = ParkingLab {
            scenario: s.clone(),
            now: 0,
            control: s.control,
            entries: s.entry_gates as usize,
            gates,
            agenda: Agenda::new(s.entry_gates as usize + s.exit_gates as usize),
            vehicles: Fleet::default(),
            next_vehicle: 0,
            next_ticket: 0,
            next_token: 0,
            reservations: BTreeMap::new(),
            next_reservation: 0,
            lock: None,
            gate_steps: 0,
            processor: BTreeMap::new(),
            displays: vec![0; displays_n],
            anomalous: vec![false; displays_n],
            sensed_free,
            assigned_spots: 0,
            claimed_spots: 0,
            type_sizes,
            level_sizes,
            assigned_ms: 0,
            assigned_since: 0,
            traffic_rng: root.fork(1),
            gate_rng: root.fork(2),
            pay_rng: root.fork(3),
            counters: Counters::default(),
            violation: None,
            metrics: Metrics::default(),
            bills: VecDeque::new(),
            entry_waits: Waits::default(),
            exit_waits: Waits::default(),
            lot,
        };
        lab.displays = lab.sensed_free.clone();
        lab.displays.push(lab.sensed_free.iter().sum());
        lab.at(0, Due::Refresh);
        let t = lab.scenario.traffic.clone();
        if let Some(first) = t.next_arrival(0, &mut lab.traffic_rng) {
            lab.at(first, Due::TrafficArrival);
        }
        Ok(lab)
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
        self.agenda.next_time()
    }

    fn advance_to(&mut self, t: Time, out: &mut dyn Emit<Event>) {
        while let Some((key, due)) = self.agenda.pop_until(t) {
            let at = key.0;
            self.now = at;
            match due {
                Due::TrafficArrival => self.traffic_arrival(out),
                Due::BurstArrival { left } => {
                    let v = self.random_vehicle();
                    self.enqueue(v, out);
                    if left > 1 {
                        let gap = self.traffic_rng.range(1_000, 4_000);
                        self.at(at + gap, Due::BurstArrival { left: left - 1 });
                    }
                }
                Due::Comes(v) => {
                    if self.vehicles.contains_key(&v) {
                        self.enqueue(v, out);
                    }
                }
                Due::GateStep(g) => {
                    self.gates[g].scheduled = false;
                    self.step_gate(g, out);
                    self.kick(g);
                }
                Due::Parks(v) => self.parks(v, out),
                Due::Departs(v) => {
                    // A departure moved earlier by a special event left this entry stale.
                    if self.vehicles.get(&v).and_then(|c| c.depart_at) == Some(key) {
                        self.departs(v, out);
                    }
                }
                Due::EvLimit(v) => {
                    if let Some(c) = self.vehicles.get(&v).filter(|c| c.depart_at.is_some()) {
                        let spot = self.spot(c.spots.first);
                        self.counters.ev_overstays += 1;
                        out.emit(at, Event::EvLimit { vehicle: v, spot });
                    }
                }
                Due::LeaseExpires { spot, token } => {
                    if matches!(self.lot.spots[spot as usize].claim, Claim::Lease { token: t, .. } if t == token)
                    {
                        self.set_claim(spot, Claim::Unclaimed);
                        self.counters.lease_expiries += 1;
                        out.emit(
                            at,
                            Event::LeaseExpired {
                                spot: self.spot(spot),
                                token,
                            },
                        );
                    }
                }
                Due::HoldExpires(r) => self.hold_expires(r, out),
                Due::Refresh => self.refresh(out),
            }
        }
        self.now = self.now.max(t);
    }

    fn apply(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let now = self.now;
        match command {
            Command::Arrive(a) => {
                if a.stay_min > 10_080 {
                    return Err(Refusal(format!(
                        "stay_min must be at most 10080 (a week), not {}",
                        a.stay_min
                    )));
                }
                let profile = Profile {
                    kind: a.kind,
                    ev: a.ev,
                    permit: a.permit,
                    subscriber: a.subscriber,
                };
                let stay = if a.stay_min == 0 {
                    self.scenario.traffic.stay_ms(&mut self.traffic_rng)
                } else {
                    a.stay_min as Time * 60_000
                };
                let v = self.new_vehicle(profile, a.lost_ticket, a.pay, stay);
                self.enqueue(v, out);
            }
            Command::StepGate { gate } => {
                let g = self
                    .gates
                    .iter()
                    .position(|x| x.name.to_string() == *gate)
                    .ok_or_else(|| {
                        Refusal(format!(
                            "no gate {gate:?}; gates: {}",
                            self.gate_names().join(", ")
                        ))
                    })?;
                if self.scenario.interleaving != Interleaving::Manual {
                    return Err(Refusal(
                        "gates step on their own under the seeded interleaving; choose manual to step them by hand"
                            .into(),
                    ));
                }
                if !self.gates[g].busy() {
                    return Err(Refusal(format!("{gate} has no vehicle to serve")));
                }
                self.step_gate(g, out);
            }
            Command::SetControl { control } => {
                if let Some(g) = self.gates.iter().find(|g| g.pending.is_some()) {
                    return Err(Refusal(format!(
                        "{} is between its read and its write; change the control when no gate is",
                        g.name
                    )));
                }
                self.control = *control;
                self.lock = None;
                out.emit(now, Event::ControlSet { control: *control });
            }
            Command::SetStrategy { strategy } => {
                self.lot.set_strategy(*strategy);
                out.emit(
                    now,
                    Event::StrategySet {
                        strategy: *strategy,
                    },
                );
            }
            Command::Prebook {
                vehicle,
                arrive_in_min,
                show,
            } => {
                if !(1..=1440).contains(arrive_in_min) {
                    return Err(Refusal(format!(
                        "arrive_in_min must be 1 to 1440, not {arrive_in_min}"
                    )));
                }
                let stay = self.scenario.traffic.stay_ms(&mut self.traffic_rng);
                let v = self.new_vehicle(*vehicle, false, PayMethod::App, stay);
                self.prebook(v, *arrive_in_min as Time * 60_000, *show, out);
            }
            Command::SensorFault { spot, fault } => {
                let i = self.spot_arg(spot)?;
                if *fault == SensorState::Working {
                    return Err(Refusal(
                        "a fault is stuck_occupied or stuck_free; an attendant repairs sensors (override)"
                            .into(),
                    ));
                }
                let fault = *fault;
                self.physical(i, |s| s.sensor = fault);
                out.emit(
                    now,
                    Event::SensorFault {
                        spot: self.spot(i),
                        fault,
                    },
                );
            }
            Command::Override { spot } => {
                let i = self.spot_arg(spot)?;
                if self.lot.spots[i as usize].sensor == SensorState::Working {
                    return Err(Refusal(format!("the sensor of {spot} works")));
                }
                self.physical(i, |s| s.sensor = SensorState::Working);
                out.emit(now, Event::SensorRepaired { spot: self.spot(i) });
            }
            Command::Reconcile => self.reconcile(out),
            Command::SpecialEvent { exits, arrivals } => {
                if *exits > 100_000 || *arrivals > 100_000 {
                    return Err(Refusal(
                        "a special event has at most 100000 exits and 100000 arrivals".into(),
                    ));
                }
                self.special_event(*exits, *arrivals, out);
            }
        }
        Ok(())
    }

    fn check(&self) -> Option<Violation> {
        if let Some(v) = &self.violation {
            return Some(v.clone());
        }
        let total = self.lot.spots.len() as u32;
        let free = self.lot.free_total();
        if free + self.assigned_spots + self.claimed_spots != total {
            return Some(Violation {
                invariant: "counts match the spot table".into(),
                detail: format!(
                    "{free} free + {} assigned + {} claimed is not {total} spots",
                    self.assigned_spots, self.claimed_spots
                ),
            });
        }
        if self.lot.spots.len() <= AUDIT_LIMIT {
            return self.audit();
        }
        None
    }

    fn metrics(&self) -> Metrics {
        let mut m = self.metrics.clone();
        for (name, h) in [
            ("entry_wait_ms", &self.entry_waits),
            ("exit_wait_ms", &self.exit_waits),
        ] {
            if h.count() > 0 {
                m.histograms.insert(name.into(), h.histogram());
            }
        }
        let c = &self.counters;
        for (name, v) in [
            ("arrivals", c.arrivals),
            ("tickets", c.tickets),
            ("rejected_full", c.rejected_full),
            ("rejected_no_fit", c.rejected_no_fit),
            ("exits", c.exits),
            ("revenue_cents", c.revenue_cents),
            ("payment_declines", c.declines),
            ("payment_timeouts", c.timeouts),
            ("double_charges", c.double_charges),
            ("cas_conflicts", c.cas_conflicts),
            ("lease_fenced", c.lease_fenced),
            ("lease_expiries", c.lease_expiries),
            ("lock_waits", c.lock_waits),
            ("double_assignments", c.double_assignments),
            ("display_anomalies", c.display_anomalies),
            ("prebookings", c.prebookings),
            ("no_shows", c.no_shows),
            ("lost_tickets", c.lost_tickets),
            ("ev_overstays", c.ev_overstays),
            ("sensor_mismatches", c.mismatches),
        ] {
            m.counters.insert(name.to_string(), v);
        }
        m.counters
            .insert("utilisation_bp".into(), self.utilisation_bp());
        m
    }
}
