//! Simulation speed of the elevator lab: simulated seconds per wall second for a 40-floor,
//! 8-car building over an hour of up-peak (and lunch), and for the default building. Run with
//! `cargo bench -p orrery-core --bench elevator`. Prints figures; asserts nothing.
//!
//! The scenarios and the measuring loop live in `orrery_core::bench`, shared with the wasm
//! twin of this bench (`tests/wasm_bench.rs`), which runs them in headless Chromium.

use std::time::Instant;

use orrery_core::bench;

fn main() {
    let origin = Instant::now();
    let mut clock = || origin.elapsed().as_secs_f64() * 1000.0;
    for (name, scenario, until) in bench::scenarios() {
        let figure = bench::measure(name, &scenario, until, &mut clock);
        println!("{}", figure.line());
    }
}
