//! The elevator lab's scenario: the building, its cars, physics, dispatcher and traffic.
//!
//! Every field has a default so that old links keep loading; [`Scenario::validate`] turns an
//! out-of-range value into a message naming the field.

use serde::{Deserialize, Serialize};

/// Which algorithm assigns hall calls to cars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatcherKind {
    /// The seed's "nearest car": the nearest car going the caller's way, or idle; fixed.
    NearestCar,
    /// Collective control: every car stops at every call in its direction of travel.
    Collective,
    /// Floors divided among cars; each call goes to a car of its zone.
    Zoning,
    /// Estimated time of arrival with a cost for delaying riders; reassigned continuously.
    #[default]
    Eta,
    /// Destination dispatch: the passenger enters the destination at the hall and is told a car.
    Destination,
    /// The user's own cost function in Orrery script ([`Scenario::script`]): for each hall call
    /// the car with the lowest cost answers; reconsidered like `eta`.
    Script,
}

impl DispatcherKind {
    pub const ALL: [DispatcherKind; 6] = [
        DispatcherKind::NearestCar,
        DispatcherKind::Collective,
        DispatcherKind::Zoning,
        DispatcherKind::Eta,
        DispatcherKind::Destination,
        DispatcherKind::Script,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DispatcherKind::NearestCar => "nearest_car",
            DispatcherKind::Collective => "collective",
            DispatcherKind::Zoning => "zoning",
            DispatcherKind::Eta => "eta",
            DispatcherKind::Destination => "destination",
            DispatcherKind::Script => "script",
        }
    }

    pub fn from_name(s: &str) -> Option<DispatcherKind> {
        DispatcherKind::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// What an idle car with nothing to do does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parking {
    /// Stays where it is.
    #[default]
    Stay,
    /// Returns to the lobby.
    Lobby,
    /// Spreads out: car i parks at floor i * floors / cars.
    Spread,
}

/// Where passengers come from and go to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Morning: from the lobby to every other floor.
    #[default]
    UpPeak,
    /// Evening: from every floor to the lobby.
    DownPeak,
    /// Lunch: half to the lobby, half from it.
    Lunch,
    /// Uniform between any two different floors.
    InterFloor,
    /// Elevator Saga's rule: origin the lobby half the time, else uniform; from the lobby to a
    /// uniform other floor, else to the lobby 10 times in 11.
    Saga,
    /// A custom origin-destination weight matrix (`matrix[from][to]`).
    Custom,
    /// Nobody arrives on their own; only clicks and commands bring passengers.
    None,
}

/// How arrivals are spaced in time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// A Poisson process: exponential gaps.
    #[default]
    Poisson,
    /// Evenly spaced, like Elevator Saga's spawner.
    Uniform,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Traffic {
    pub pattern: Pattern,
    /// Passengers per hour.
    pub per_hour: u32,
    pub arrivals: Arrivals,
    /// For [`Pattern::Custom`]: `matrix[from][to]` relative weights.
    pub matrix: Vec<Vec<u32>>,
}

impl Default for Traffic {
    fn default() -> Traffic {
        Traffic {
            pattern: Pattern::UpPeak,
            per_hour: 600,
            arrivals: Arrivals::Poisson,
            matrix: Vec::new(),
        }
    }
}

/// Floors one car serves, as ranges like `"0,10-19"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    pub car: u32,
    pub floors: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub seed: u64,
    pub floors: u32,
    pub cars: u32,
    /// People per car, cycled over the cars (Elevator Saga style).
    pub capacities: Vec<u32>,
    /// Rated load per car; above it the car refuses to close.
    pub capacity_kg: u32,
    pub floor_height_mm: u32,
    pub speed_mm_s: u32,
    pub accel_mm_s2: u32,
    pub decel_mm_s2: u32,
    pub door_open_ms: u32,
    pub door_close_ms: u32,
    /// How long doors stay open after the last person moved.
    pub dwell_ms: u32,
    /// When someone boards during the dwell, keep the doors open for one more whole `dwell_ms`
    /// after the current one ends (Elevator Saga's "re-arrival"), instead of `dwell_ms` from
    /// that moment.
    pub dwell_in_periods: bool,
    pub board_ms: u32,
    pub alight_ms_min: u32,
    pub alight_ms_max: u32,
    /// Passenger weights are uniform in this range.
    pub weight_kg_min: u32,
    pub weight_kg_max: u32,
    /// Floors served per car; cars not listed serve every floor.
    pub served: Vec<Served>,
    pub dispatcher: DispatcherKind,
    pub parking: Parking,
    /// Energy saving: a car that stopped with riders aboard but fewer than this many keeps its
    /// doors open (up to `hold_ms` after opening) for more passengers. 0 turns it off.
    pub hold_riders: u32,
    pub hold_ms: u32,
    /// The user-written dispatcher's cost function, in Orrery script (see
    /// [`super::script_dispatch`] for the variables). Used when `dispatcher` is `script`.
    pub script: String,
    /// Where fire recall sends every car.
    pub recall_floor: u32,
    pub lobby: u32,
    pub traffic: Traffic,
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario {
            seed: 1,
            floors: 12,
            cars: 3,
            capacities: vec![8],
            capacity_kg: 630,
            floor_height_mm: 3_500,
            speed_mm_s: 2_500,
            accel_mm_s2: 1_000,
            decel_mm_s2: 1_000,
            door_open_ms: 1_500,
            door_close_ms: 2_000,
            dwell_ms: 2_000,
            dwell_in_periods: false,
            board_ms: 1_000,
            alight_ms_min: 1_000,
            alight_ms_max: 1_500,
            weight_kg_min: 55,
            weight_kg_max: 100,
            served: Vec::new(),
            dispatcher: DispatcherKind::Eta,
            parking: Parking::Lobby,
            hold_riders: 0,
            hold_ms: 0,
            script: super::script_dispatch::EXAMPLE.to_string(),
            recall_floor: 0,
            lobby: 0,
            traffic: Traffic::default(),
        }
    }
}

/// Parses `"0,10-19"` into a sorted list of floors below `floors`.
pub fn parse_floor_set(s: &str, floors: u32) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let lo: u32 = lo
            .parse()
            .map_err(|_| format!("{part:?} is not a floor or range"))?;
        let hi: u32 = hi
            .parse()
            .map_err(|_| format!("{part:?} is not a floor or range"))?;
        if lo > hi || hi >= floors {
            return Err(format!("{part:?} is outside floors 0-{}", floors - 1));
        }
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err("a car must serve at least one floor".into());
    }
    Ok(out)
}

impl Scenario {
    /// Elevator Saga's physics and stop rules (see [`super::saga`] for the sources): floors of
    /// unit height, 2.6 floors/s, 2.1 and 2.6 floors/s²; a car that stops stands one second,
    /// and a passenger who arrives meanwhile makes it stand one more whole second; everyone
    /// gets in and out at once when it stops (walking takes the passenger time, not the car's);
    /// capacity by people only; evenly spaced spawns from time zero; idle cars stay put.
    pub fn saga(floors: u32, cars: u32, capacities: Vec<u32>, per_hour: u32) -> Scenario {
        Scenario {
            floors,
            cars,
            capacities,
            capacity_kg: u32::MAX,
            floor_height_mm: 1_000,
            speed_mm_s: 2_600,
            accel_mm_s2: 2_100,
            decel_mm_s2: 2_600,
            door_open_ms: 0,
            door_close_ms: 0,
            dwell_ms: 1_000,
            dwell_in_periods: true,
            board_ms: 0,
            alight_ms_min: 0,
            alight_ms_max: 0,
            // In the game an idle car stays where it is unless the player's code moves it.
            parking: Parking::Stay,
            traffic: Traffic {
                pattern: Pattern::Saga,
                per_hour,
                arrivals: Arrivals::Uniform,
                matrix: Vec::new(),
            },
            ..Scenario::default()
        }
    }

    /// Checks every range; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let range = |name: &str, v: u32, lo: u32, hi: u32| {
            if v < lo || v > hi {
                Err(format!("{name} must be between {lo} and {hi}, not {v}"))
            } else {
                Ok(())
            }
        };
        range("floors", self.floors, 2, 200)?;
        range("cars", self.cars, 1, 32)?;
        if self.capacities.is_empty() {
            return Err("capacities must list at least one car capacity".into());
        }
        for &c in &self.capacities {
            range("capacities", c, 1, 100)?;
        }
        range(
            "capacity_kg",
            self.capacity_kg.min(1_000_000),
            50,
            1_000_000,
        )?;
        range("floor_height_mm", self.floor_height_mm, 500, 20_000)?;
        range("speed_mm_s", self.speed_mm_s, 100, 20_000)?;
        range("accel_mm_s2", self.accel_mm_s2, 100, 10_000)?;
        range("decel_mm_s2", self.decel_mm_s2, 100, 10_000)?;
        range("door_open_ms", self.door_open_ms, 0, 30_000)?;
        range("door_close_ms", self.door_close_ms, 0, 30_000)?;
        range("dwell_ms", self.dwell_ms, 0, 60_000)?;
        range("board_ms", self.board_ms, 0, 30_000)?;
        range("alight_ms_min", self.alight_ms_min, 0, 30_000)?;
        range(
            "alight_ms_max",
            self.alight_ms_max,
            self.alight_ms_min,
            30_000,
        )?;
        range("weight_kg_min", self.weight_kg_min, 1, 500)?;
        range("weight_kg_max", self.weight_kg_max, self.weight_kg_min, 500)?;
        range("hold_riders", self.hold_riders, 0, 100)?;
        range("hold_ms", self.hold_ms, 0, 600_000)?;
        super::script_dispatch::compile(&self.script).map_err(|e| format!("script: {e}"))?;
        range("recall_floor", self.recall_floor, 0, self.floors - 1)?;
        range("lobby", self.lobby, 0, self.floors - 1)?;
        range("traffic.per_hour", self.traffic.per_hour, 0, 100_000)?;
        for s in &self.served {
            range("served.car", s.car, 0, self.cars - 1)?;
            parse_floor_set(&s.floors, self.floors)
                .map_err(|e| format!("served floors of car {}: {e}", s.car))?;
        }
        if self.traffic.pattern == Pattern::Custom {
            let n = self.floors as usize;
            let m = &self.traffic.matrix;
            if m.len() != n || m.iter().any(|row| row.len() != n) {
                return Err(format!("traffic.matrix must be {n}×{n} for {n} floors"));
            }
            if m.iter()
                .enumerate()
                .all(|(i, row)| row.iter().enumerate().all(|(j, &w)| i == j || w == 0))
            {
                return Err("traffic.matrix has no trips between different floors".into());
            }
        }
        Ok(())
    }
}
