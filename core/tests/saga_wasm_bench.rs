//! The wasm twin of `benches/saga.rs`: 10,000 sagas with random faults in headless Chromium,
//! timed with `performance.now()`. Two shapes, as natively: the checker's (10,000 seeded runs
//! of one order saga each, faults 30% per step, per coordination mode, as `orrery saga check
//! --runs 10000` runs them), and one simulation of 10,000 travel sagas 500 ms apart with faults
//! 5% per step whose events are all collected. It prints one line per shape and asserts
//! nothing but that the runs completed.
//!
//! It compiles only for wasm32, so native test runs skip it, and it is not part of
//! `scripts/test.sh`. Run it optimised:
//! `cargo test --release --target wasm32-unknown-unknown -p orrery-core --test saga_wasm_bench -- --nocapture`.
#![cfg(target_arch = "wasm32")]

use orrery_core::saga::check::{self, Options};
use orrery_core::saga::lab::{Mode, SagaLab};
use orrery_core::sim::Simulation;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .expect("the page has window.performance")
        .now()
}

#[wasm_bindgen_test]
fn ten_thousand_checked_runs_per_mode() {
    for mode in [
        Mode::Orchestration,
        Mode::Choreography,
        Mode::TwoPhaseCommit,
    ] {
        let o = Options {
            mode,
            runs: 10_000,
            ..Options::default()
        };
        let start = now();
        let r = check::check(&o).expect("runs");
        let wall = now() - start;
        assert_eq!(r.runs, 10_000);
        console_log!(
            "wasm: check, {:<16} 10,000 runs × 1 order saga, faults 30%/step: {wall:>7.1} ms ({} completed, {} compensated, {} messages, {} violations)",
            mode.name(),
            r.completed,
            r.compensated,
            r.messages,
            r.violations.len()
        );
    }
}

#[wasm_bindgen_test]
fn one_simulation_of_ten_thousand_sagas() {
    let o = Options {
        flow: "travel".into(),
        chaos_pct: 5,
        ..Options::default()
    };
    let mut s = check::scenario(&o, 1);
    s.seats = 1_000_000;
    s.rooms = 1_000_000;
    s.sagas = 10_000;
    s.every_ms = 500;
    let until = s.first_at_ms + 10_000 * 500 + 60_000;
    let start = now();
    let mut lab = SagaLab::new(&s).expect("valid");
    let mut events = Vec::new();
    lab.advance_to(until, &mut events);
    let m = lab.metrics();
    let wall = now() - start;
    let done = m.counter("completed") + m.counter("compensated");
    assert!(done > 0);
    console_log!(
        "wasm: one simulation, orchestration, 10,000 travel sagas 500 ms apart, faults 5%/step, events kept: {wall:>7.1} ms ({done} finished, {} events)",
        events.len()
    );
}
