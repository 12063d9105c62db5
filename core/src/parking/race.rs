//! The race search: many small seeded runs in which entry gates race for the last few spots,
//! stepped in a random interleaving, to find a double assignment (or to show there is none).
//!
//! Each run is drawn from its seed: a one-level lot with 1 to 3 compact spots and a row end of
//! three large spots (buses take two), 2 to 4 entry gates, as many vehicles as gates plus up to
//! two (cars, vans and buses), all arriving at time 0, and a lease timeout of 1 ms to 3 s. Then,
//! until no entry gate has a vehicle, one busy gate chosen at random takes a step, after a random
//! pause of up to 2 s (so leases do expire between a read and its write). The invariants are
//! checked after every step.
//!
//! ```text
//!  seed ─► lot, gates, vehicles ─► E2 read, E1 read, E2 write, (1.4 s), E1 write … ─► check()
//! ```

use super::lab::{Arrival, Command, Control, Interleaving, ParkingLab, Scenario};
use super::lot::VehicleType;
use super::traffic::Traffic;
use crate::rng::Rng;
use crate::sim::{Simulation, Time, Violation};

/// One run of the race.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceRun {
    pub seed: u64,
    /// The gates in the order they stepped.
    pub steps: Vec<String>,
    pub violation: Option<Violation>,
}

/// Many runs under one control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceReport {
    pub control: Control,
    pub runs: u64,
    /// Runs that broke an invariant, by seed.
    pub violations: Vec<RaceRun>,
}

/// The scenario and arrivals of race run `seed`.
pub fn race_setup(control: Control, seed: u64) -> (Scenario, Vec<Arrival>) {
    let mut rng = Rng::new(seed);
    let compact = rng.range(1, 3) as usize;
    let gates = rng.range(2, 4) as u32;
    let vehicles = gates as u64 + rng.range(0, 2);
    let row = "c".repeat(compact) + "LLL";
    let scenario = Scenario {
        seed,
        plan: vec![vec![row]],
        entry_gates: gates,
        exit_gates: 1,
        control,
        interleaving: Interleaving::Manual,
        lease_ms: rng.range(1, 3_000) as u32,
        drive_ms: 1_000,
        bus_spots: 2,
        traffic: Traffic {
            peak_per_hour: 0,
            ..Traffic::default()
        },
        ..Scenario::default()
    };
    let arrivals = (0..vehicles)
        .map(|_| {
            let kind = match rng.below(6) {
                0 => VehicleType::Bus,
                1 => VehicleType::Van,
                _ => VehicleType::Car,
            };
            Arrival {
                kind,
                stay_min: 600,
                ..Arrival::default()
            }
        })
        .collect();
    (scenario, arrivals)
}

/// Runs race `seed` under `control`.
pub fn race_once(control: Control, seed: u64) -> Result<RaceRun, String> {
    let (scenario, arrivals) = race_setup(control, seed);
    let mut lab = ParkingLab::new(&scenario)?;
    let mut out: Vec<(Time, super::lab::Event)> = Vec::new();
    for a in arrivals {
        lab.apply(&Command::Arrive(a), &mut out).map_err(|r| r.0)?;
    }
    let mut rng = Rng::new(seed).fork(7);
    let mut steps = Vec::new();
    let mut violation = lab.check();
    for _ in 0..400 {
        if violation.is_some() {
            break;
        }
        let busy: Vec<String> = lab
            .busy_gates()
            .into_iter()
            .filter(|g| g.starts_with('E'))
            .collect();
        if busy.is_empty() {
            break;
        }
        let gate = busy[rng.below(busy.len() as u64) as usize].clone();
        let t = lab.now() + rng.range(0, 2_000);
        lab.advance_to(t, &mut out);
        violation = lab.check();
        if violation.is_some() {
            break;
        }
        lab.apply(&Command::StepGate { gate: gate.clone() }, &mut out)
            .map_err(|r| r.0)?;
        steps.push(gate);
        violation = lab.check();
        out.clear();
    }
    Ok(RaceRun {
        seed,
        steps,
        violation,
    })
}

/// Runs `runs` races with seeds `first_seed ..` under `control`.
pub fn race(control: Control, runs: u64, first_seed: u64) -> Result<RaceReport, String> {
    let mut violations = Vec::new();
    for seed in first_seed..first_seed.saturating_add(runs) {
        let r = race_once(control, seed)?;
        if r.violation.is_some() {
            violations.push(r);
        }
    }
    Ok(RaceReport {
        control,
        runs,
        violations,
    })
}
