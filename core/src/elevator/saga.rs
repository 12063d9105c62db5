//! Elevator Saga's graded challenges, run under its physics, stop and spawning rules.
//!
//! The challenge file (`shared/data/elevator/elevator-saga-challenges.json`) gives each
//! challenge's building, spawn rate and goal; [`Scenario::saga`] gives the building Saga's
//! rules. What follows is what the game (magwo/elevatorsaga: `world.js`, `elevator.js`,
//! `user.js`, `interfaces.js`, `challenges.js`) does, and how this runner matches it.
//!
//! | rule | Elevator Saga | here |
//! |------|---------------|------|
//! | motion | a per-frame controller (1/60 s) towards 2.6 floors/s, 2.1 up, 2.6 down floors/s² | a trapezoid with those figures: trips within 20 ms of the game's (1 floor 1.31 s, 10 floors 4.97 s) |
//! | stop | a car that stops at its destination waits just over 1 s, then takes its next destination | `dwell_ms` 1000, no door times |
//! | getting in and out | at the stop everyone whose floor it is gets out at once, then everyone whose direction the car's indicator shows gets in at once (up to capacity); walking takes 1 s in and 1 to 1.5 s out, but the car does not wait for it | `board_ms` and `alight_ms` 0; the walk out counts in the wait (below) |
//! | arriving while a car stands there | pressing the hall button makes that car (indicator matching, not full) stop again at the end of its wait: one more second | `dwell_in_periods`: a late boarder adds one whole dwell after the current one |
//! | who may board | only if the car's up/down indicator matches the passenger's direction (both lit by default) | the car's direction lamp, set by the dispatcher; a car with no direction takes anyone |
//! | capacity | by people (slots); weight only for the load factor | `capacity_kg` unlimited |
//! | spawning | one at once, then every 1/rate s; from floor 0 half the time, else any floor; from 0 to any other floor, else to 0 ten times in eleven, else any other floor | [`super::scenario::Pattern::Saga`] with evenly spaced arrivals from time 0 |
//! | `transported` | counted when the passenger gets out | `delivered` |
//! | `moveCount` | +1 each time a car's rounded position changes floor: floors travelled, not trips | floors crossed, counting the half-way points a car in flight has passed |
//! | `maxWaitTime` | every frame, the age of every passenger still in the world: waiting, riding, or walking away after getting out (1 to 1.5 s) | the same: the oldest waiting or riding passenger, and each delivered one until its walk (drawn from a stream of this runner, not the run) ends |
//! | end of a challenge | at the first frame where the time limit, the move limit or the wait limit is reached, or enough are transported; passed if all hold | the same, decided between events |
//!
//! Deliberate differences: trip times follow an exact trapezoid (the game's controller is
//! a few frames slower on some distances); time is continuous, not 1/60 s frames (the game's
//! "1 s" wait is 61 frames, 1.017 s); the game's player code sees a passenger's floor button
//! one second after boarding, here the dispatcher knows at once (the car stands still for
//! that second anyway); a passenger who arrives while a car stands at the floor boards at
//! once here, at the end of the car's current second in the game (the car leaves at the same
//! time either way).
//!
//! What a dispatcher knows is ours, not the game's: the game's player code sees only hall
//! buttons, car buttons and load; `eta` also counts the people waiting at a hall, and
//! `destination` (destination dispatch) knows each passenger's destination before boarding,
//! which no Elevator Saga program can.
//!
//! The built-in dispatchers run every challenge as it is; nothing is keyed on a challenge.
//! The one configuration the runner derives from a goal is by its kind: where the goal counts
//! moves, the building runs in energy-saving mode ([`ENERGY_HOLD_MS`]), the same for every
//! dispatcher.

use serde::Deserialize;

use super::{DispatcherKind, Elevator, Event, Scenario, Whereabouts};
use crate::rng::Rng;
use crate::sim::{Simulation, Time};

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Goal {
    pub transport: u64,
    #[serde(default)]
    pub within_s: Option<u64>,
    #[serde(default)]
    pub max_moves: Option<u64>,
    #[serde(default)]
    pub max_wait_s: Option<u64>,
}

impl std::fmt::Display for Goal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transport {}", self.transport)?;
        if let Some(s) = self.within_s {
            write!(f, " within {s}s")?;
        }
        if let Some(m) = self.max_moves {
            write!(f, " in at most {m} moves")?;
        }
        if let Some(w) = self.max_wait_s {
            write!(f, ", nobody waiting over {w}s")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Challenge {
    pub id: u32,
    pub floors: u32,
    pub cars: u32,
    pub spawn_per_s: f64,
    pub capacities: Vec<u32>,
    pub goal: Goal,
}

#[derive(Deserialize)]
struct File {
    challenges: Vec<Challenge>,
}

/// Reads the challenge file's JSON.
pub fn parse_challenges(json: &str) -> Result<Vec<Challenge>, String> {
    let f: File = serde_json::from_str(json).map_err(|e| format!("challenge file: {e}"))?;
    Ok(f.challenges)
}

impl Challenge {
    /// The scenario Elevator Saga would run for this challenge. Where the goal counts moves,
    /// the building runs in energy-saving mode (see [`ENERGY_HOLD_MS`]).
    pub fn scenario(&self, dispatcher: DispatcherKind, seed: u64) -> Scenario {
        let per_hour = libm::round(self.spawn_per_s * 3600.0) as u32;
        let energy = self.goal.max_moves.is_some();
        Scenario {
            seed,
            dispatcher,
            hold_riders: if energy {
                self.capacities.iter().copied().max().unwrap_or(4)
            } else {
                0
            },
            hold_ms: if energy { ENERGY_HOLD_MS } else { 0 },
            ..Scenario::saga(self.floors, self.cars, self.capacities.clone(), per_hour)
        }
    }
}

/// Energy saving where a goal counts moves: a car that stops with riders aboard waits for a
/// full load, up to this long after opening ([`Scenario::hold_riders`]), as an operator would
/// set a building up where every trip costs. It depends on the goal's kind only, never on a
/// challenge, and is the same for every dispatcher.
pub const ENERGY_HOLD_MS: u32 = 10_000;

/// How one run of a challenge went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub pass: bool,
    pub transported: u64,
    /// When the run was decided.
    pub elapsed_ms: Time,
    /// Elevator Saga's `moveCount`: floors crossed by all cars.
    pub moves: u64,
    /// Elevator Saga's `maxWaitTime`: the oldest any passenger got while in the building.
    pub max_wait_ms: u64,
    /// Elevator Saga's `avgWaitTime`: spawn to getting out, over those transported.
    pub avg_wait_ms: u64,
}

/// The walk out of the car: 1 to 1.5 s in the game.
const WALK_OUT_MS: (u64, u64) = (1_000, 1_500);

/// Floors crossed so far by a car `elapsed` ms into a trip of `d` floors: the game counts a
/// floor when the car's rounded position changes, i.e. at each half-way point.
fn crossed(el: &Elevator, d: u32, elapsed: u64) -> u64 {
    // View math, used only to score: never fed back into the run.
    let x = el.cfg.kin.distance_at(d, elapsed);
    (1..=d).take_while(|&k| x >= k as f64 - 0.5).count() as u64
}

/// Runs one challenge with one dispatcher and seed until the goal is met or failed.
pub fn run_challenge(
    ch: &Challenge,
    dispatcher: DispatcherKind,
    seed: u64,
) -> Result<Outcome, String> {
    let mut el = Elevator::new(&ch.scenario(dispatcher, seed))?;
    let g = &ch.goal;
    let limit: Time = g.within_s.map_or(4 * 3600 * 1000, |s| s * 1000);
    let max_wait: Option<Time> = g.max_wait_s.map(|s| s * 1000);
    let mut walk_rng = Rng::new(seed).fork(0x5a6a);
    let mut sink: Vec<(Time, Event)> = Vec::new();
    // Floors of finished trips, and where each car's current trip started.
    let mut floors_done: u64 = 0;
    let mut trip_from: Vec<u32> = el.cars.iter().map(|c| c.floor).collect();
    let mut transported: u64 = 0;
    let mut wait_sum: u64 = 0;
    // Delivered passengers still walking out: (spawned, leaves the building); and the
    // greatest age of those who left.
    let mut walking: Vec<(Time, Time)> = Vec::new();
    let mut max_left: u64 = 0;
    // The first passenger, in spawn order, who may still be waiting or riding.
    let mut oldest: usize = 0;
    loop {
        let now = el.now();
        let in_flight: u64 = el
            .cars
            .iter()
            .filter_map(|c| c.trip)
            .map(|t| crossed(&el, t.from.abs_diff(t.to), now - t.t0))
            .sum();
        let moves = floors_done + in_flight;
        while oldest < el.passengers.len()
            && !matches!(
                el.passengers[oldest].at,
                Whereabouts::Waiting(_) | Whereabouts::Riding(_)
            )
        {
            oldest += 1;
        }
        walking.retain(|&(spawned, gone)| {
            if gone <= now {
                max_left = max_left.max(gone - spawned);
            }
            gone > now
        });
        let inside = el.passengers.get(oldest).map(|p| p.spawned);
        let done = |pass: bool, at: Time| {
            let walkers = walking
                .iter()
                .map(|&(s, gone)| gone.min(at).saturating_sub(s));
            let waiting = inside.map(|s| at.saturating_sub(s));
            Outcome {
                pass,
                transported,
                elapsed_ms: at,
                moves,
                max_wait_ms: walkers.chain(waiting).fold(max_left, u64::max),
                avg_wait_ms: wait_sum.checked_div(transported).unwrap_or(0),
            }
        };
        // The earliest moment someone in the building (waiting, riding or walking out)
        // reaches the wait limit.
        let wait_hit: Option<Time> = max_wait.and_then(|w| {
            let walkers = walking
                .iter()
                .filter(|&&(s, gone)| gone - s >= w)
                .map(|&(s, _)| s);
            walkers.chain(inside).min().map(|s| s + w)
        });
        if wait_hit.is_some_and(|t| t < now)
            || (g.max_moves.is_some_and(|m| moves >= m) && transported < g.transport)
        {
            return Ok(done(false, now));
        }
        if transported >= g.transport {
            return Ok(done(
                now <= limit && g.max_moves.is_none_or(|m| moves <= m),
                now,
            ));
        }
        let stop = limit.min(wait_hit.unwrap_or(Time::MAX));
        match el.next_deadline() {
            Some(t) if t <= stop => {
                el.advance_to(t, &mut sink);
                for (at, e) in sink.drain(..) {
                    match e {
                        Event::Depart { car, from, .. } => trip_from[car as usize] = from,
                        Event::ArriveAt { car, floor } => {
                            floors_done += trip_from[car as usize].abs_diff(floor) as u64;
                            trip_from[car as usize] = floor;
                        }
                        Event::Alight { journey_ms, .. } => {
                            transported += 1;
                            wait_sum += journey_ms;
                            let walk = walk_rng.range(WALK_OUT_MS.0, WALK_OUT_MS.1);
                            walking.push((at - journey_ms, at + walk));
                        }
                        _ => {}
                    }
                }
            }
            // Nothing more happens before the time or wait limit: the challenge ends there.
            _ => return Ok(done(false, stop)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(goal: Goal) -> Challenge {
        Challenge {
            id: 0,
            floors: 5,
            cars: 1,
            spawn_per_s: 0.4,
            capacities: vec![4],
            goal,
        }
    }

    #[test]
    fn moves_are_floors_crossed_half_way() {
        let el = Elevator::new(
            &challenge(Goal {
                transport: 1,
                within_s: None,
                max_moves: None,
                max_wait_s: None,
            })
            .scenario(DispatcherKind::Eta, 0),
        )
        .expect("valid");
        let trip = el.cfg.kin.trip(3);
        assert_eq!(crossed(&el, 3, 0), 0);
        assert_eq!(crossed(&el, 3, trip.total_ms), 3);
        let half = (1..trip.total_ms)
            .find(|&t| el.cfg.kin.distance_at(3, t) >= 1.5)
            .expect("passes 1.5");
        assert_eq!(crossed(&el, 3, half - 1), 1);
        assert_eq!(crossed(&el, 3, half), 2);
    }

    #[test]
    fn energy_saving_only_where_the_goal_counts_moves() {
        let moves = challenge(Goal {
            transport: 10,
            within_s: None,
            max_moves: Some(30),
            max_wait_s: None,
        });
        let time = challenge(Goal {
            transport: 10,
            within_s: Some(60),
            max_moves: None,
            max_wait_s: None,
        });
        let s = moves.scenario(DispatcherKind::Eta, 0);
        assert_eq!((s.hold_riders, s.hold_ms), (4, ENERGY_HOLD_MS));
        let s = time.scenario(DispatcherKind::Eta, 0);
        assert_eq!((s.hold_riders, s.hold_ms), (0, 0));
    }

    #[test]
    fn a_waiting_passenger_fails_the_wait_limit_before_being_delivered() {
        // Nobody can be delivered within 1 s of spawning: the first passenger fails it at 1 s.
        let ch = challenge(Goal {
            transport: 5,
            within_s: None,
            max_moves: None,
            max_wait_s: Some(1),
        });
        let o = run_challenge(&ch, DispatcherKind::Eta, 0).expect("runs");
        assert!(!o.pass);
        assert_eq!(
            (o.elapsed_ms, o.transported, o.max_wait_ms),
            (1_000, 0, 1_000)
        );
        // A generous goal passes, and the ride counts in the wait.
        let ch = challenge(Goal {
            transport: 5,
            within_s: Some(60),
            max_moves: None,
            max_wait_s: None,
        });
        let o = run_challenge(&ch, DispatcherKind::Eta, 0).expect("runs");
        assert!(o.pass && o.transported >= 5 && o.moves > 0 && o.max_wait_ms >= o.avg_wait_ms);
    }
}
