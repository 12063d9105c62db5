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
