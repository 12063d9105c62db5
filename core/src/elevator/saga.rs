//! Elevator Saga's graded challenges, run under its physics and spawning rules.
//!
//! The challenge file (`shared/data/elevator/elevator-saga-challenges.json`) gives each
//! challenge's building, spawn rate and goal. A goal is met as in the game: enough passengers
//! transported before the time limit, or before the move budget or the worst wait (spawn to
//! exit, ride included) is exceeded.

use serde::Deserialize;

use super::{DispatcherKind, Elevator, Event, Scenario};
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
    /// The scenario Elevator Saga would run for this challenge.
    pub fn scenario(&self, dispatcher: DispatcherKind, seed: u64) -> Scenario {
        let per_hour = libm::round(self.spawn_per_s * 3600.0) as u32;
        Scenario {
            seed,
            dispatcher,
            ..Scenario::saga(self.floors, self.cars, self.capacities.clone(), per_hour)
        }
    }
}

/// How one run of a challenge went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub pass: bool,
    pub transported: u64,
    /// When the run was decided.
    pub elapsed_ms: Time,
    pub moves: u64,
    pub max_wait_ms: u64,
    pub avg_wait_ms: u64,
}

/// Runs one challenge with one dispatcher and seed until the goal is met or failed.
pub fn run_challenge(ch: &Challenge, dispatcher: DispatcherKind, seed: u64) -> Result<Outcome, String> {
    let mut el = Elevator::new(&ch.scenario(dispatcher, seed))?;
    let g = &ch.goal;
    let limit: Time = g.within_s.map_or(4 * 3600 * 1000, |s| s * 1000);
    let mut sink: Vec<(Time, Event)> = Vec::new();
    loop {
        let m = el.metrics();
        let transported = m.counter("delivered");
        let moves = m.counter("moves");
        let waits = m.summary("saga_wait_ms");
        let done = |pass: bool| Outcome {
            pass,
            transported,
            elapsed_ms: el.now(),
            moves,
            max_wait_ms: waits.max,
            avg_wait_ms: waits.mean,
        };
        if g.max_moves.is_some_and(|mm| moves > mm) || g.max_wait_s.is_some_and(|w| waits.max > w * 1000) {
            return Ok(done(false));
        }
        if transported >= g.transport {
            return Ok(done(el.now() <= limit));
        }
        match el.next_deadline() {
            Some(t) if t <= limit => {
                el.advance_to(t, &mut sink);
                sink.clear();
            }
            _ => return Ok(done(false)),
        }
    }
}
