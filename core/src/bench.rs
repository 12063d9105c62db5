//! The simulation-speed benchmark shared by the native bench (`benches/elevator.rs`) and its
//! wasm twin in headless Chromium (`tests/wasm_bench.rs`): the same scenarios, the same
//! measuring loop and the same output line, so the two figures compare like for like.
//!
//! The crate reads no clock, so the caller passes one in: a function returning wall
//! milliseconds (`Instant` natively, `performance.now()` in the browser).

use crate::elevator::{Elevator, Pattern, Scenario};
use crate::run::Run;
use crate::Time;

/// How many times each scenario runs; the fastest run counts.
pub const REPEATS: usize = 5;

/// The benchmark scenarios: a name, the scenario, and how far to run it (simulated ms).
pub fn scenarios() -> Vec<(&'static str, Scenario, Time)> {
    let mut tall = Scenario {
        floors: 40,
        cars: 8,
        capacities: vec![16],
        capacity_kg: 1_250,
        ..Scenario::default()
    };
    tall.traffic.pattern = Pattern::UpPeak;
    tall.traffic.per_hour = 2_000;
    let mut lunch = tall.clone();
    lunch.traffic.pattern = Pattern::Lunch;
    vec![
        ("40 floors, 8 cars, up-peak 2000/h, 1 hour", tall, 3_600_000),
        ("40 floors, 8 cars, lunch 2000/h, 1 hour", lunch, 3_600_000),
        (
            "default building (12 floors, 3 cars), 1 hour",
            Scenario::default(),
            3_600_000,
        ),
    ]
}

/// One scenario's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub name: &'static str,
    /// The fastest of the repeats, in wall milliseconds.
    pub best_wall_ms: f64,
    pub until: Time,
    /// Log entries at the end of the run.
    pub events: usize,
}

impl Figure {
    /// Simulated seconds per wall second.
    pub fn times_real_time(&self) -> f64 {
        self.until as f64 / self.best_wall_ms.max(1e-9)
    }

    /// The one line both benches print.
    pub fn line(&self) -> String {
        format!(
            "{:<44} {:>8.1} ms wall for {:>5} s simulated, {:>7} events: {:>10.0}× real time",
            self.name,
            self.best_wall_ms,
            self.until / 1000,
            self.events,
            self.times_real_time()
        )
    }
}

/// Runs `scenario` from time 0 to `until` [`REPEATS`] times, timing each run with `clock`
/// (wall milliseconds), and keeps the fastest.
pub fn measure(
    name: &'static str,
    scenario: &Scenario,
    until: Time,
    clock: &mut dyn FnMut() -> f64,
) -> Figure {
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..REPEATS {
        let start = clock();
        let mut run: Run<Elevator> = Run::new(scenario.clone()).expect("benchmark scenario");
        run.advance_to(until);
        let took = clock() - start;
        events = run.log().len();
        best = best.min(took);
    }
    Figure {
        name,
        best_wall_ms: best,
        until,
        events,
    }
}

/// Capacities at which [`cache_replay`] measures every policy (the ARC paper's smallest and
/// largest OLTP cache sizes).
pub const CACHE_CAPACITIES: [u64; 2] = [1_000, 15_000];

/// One policy's replay speed at one capacity.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheFigure {
    pub policy: &'static str,
    pub capacity: u64,
    pub requests: usize,
    /// The fastest of [`REPEATS`] replays, in wall milliseconds.
    pub best_wall_ms: f64,
    /// Hit ratio in percent with two decimals, as the conformance table prints it.
    pub hit_ratio: String,
}

impl CacheFigure {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / (self.best_wall_ms.max(1e-9) / 1000.0)
    }

    /// The one line both cache benches print.
    pub fn line(&self) -> String {
        format!(
            "{:<9} capacity {:>6}: {:>6.1} M requests/s  (hit ratio {}%)",
            self.policy,
            self.capacity,
            self.requests_per_second() / 1e6,
            self.hit_ratio
        )
    }
}

/// Replays `keys` through every online policy at [`CACHE_CAPACITIES`], [`REPEATS`] times each,
/// timing with `clock` (wall milliseconds); shared by `benches/cache.rs` and its wasm twin.
pub fn cache_replay(keys: &[u64], clock: &mut dyn FnMut() -> f64) -> Vec<CacheFigure> {
    use crate::cache::policy::{by_name, NAMES};
    use crate::cache::replay::replay;
    let mut out = Vec::new();
    for &policy in NAMES {
        for capacity in CACHE_CAPACITIES {
            let mut best = f64::MAX;
            let mut hit_ratio = String::new();
            for _ in 0..REPEATS {
                let Ok(mut p) = by_name(policy, capacity) else {
                    continue;
                };
                let start = clock();
                let stats = replay(&mut *p, keys);
                best = best.min(clock() - start);
                hit_ratio = stats.percent();
            }
            if best < f64::MAX {
                out.push(CacheFigure {
                    policy,
                    capacity,
                    requests: keys.len(),
                    best_wall_ms: best,
                    hit_ratio,
                });
            }
        }
    }
    out
}
