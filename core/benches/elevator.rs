//! Simulation speed of the elevator lab: simulated seconds per wall second for a 40-floor,
//! 8-car building over an hour of up-peak, and for the default building. Run with
//! `cargo bench -p orrery-core --bench elevator`. Prints figures; asserts nothing.

use std::time::Instant;

use orrery_core::elevator::{Elevator, Pattern, Scenario};
use orrery_core::run::Run;

fn measure(name: &str, scenario: Scenario, until_ms: u64) {
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let mut run: Run<Elevator> = Run::new(scenario.clone()).expect("scenario");
        run.advance_to(until_ms);
        let secs = start.elapsed().as_secs_f64();
        events = run.log().len();
        best = best.min(secs);
    }
    let ratio = (until_ms as f64 / 1000.0) / best;
    println!(
        "{name:<44} {:>8.1} ms wall for {:>5} s simulated, {events:>7} events: {ratio:>10.0}× real time",
        best * 1000.0,
        until_ms / 1000
    );
}

fn main() {
    let mut tall = Scenario { floors: 40, cars: 8, capacities: vec![16], capacity_kg: 1_250, ..Scenario::default() };
    tall.traffic.pattern = Pattern::UpPeak;
    tall.traffic.per_hour = 2_000;
    measure("40 floors, 8 cars, up-peak 2000/h, 1 hour", tall.clone(), 3_600_000);
    tall.traffic.pattern = Pattern::Lunch;
    measure("40 floors, 8 cars, lunch 2000/h, 1 hour", tall, 3_600_000);
    measure("default building (12 floors, 3 cars), 1 hour", Scenario::default(), 3_600_000);
}
