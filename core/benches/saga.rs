//! Saga lab speed: 10,000 sagas with random faults, natively. Run with
//! `cargo bench -p orrery-core --bench saga`. Prints figures (best of five); asserts nothing.
//!
//! Two shapes: the checker's (10,000 seeded runs of one saga each, as `orrery saga check
//! --runs 10000` runs them, per coordination mode), and one long simulation of 10,000 sagas
//! started 500 ms apart whose events are all collected (the simulation alone: a [`Run`] would
//! also keep a checkpoint, a clone of the whole state, every 20 simulated seconds).
//!
//! [`Run`]: orrery_core::run::Run

use std::time::Instant;

use orrery_core::saga::check::{self, Options};
use orrery_core::saga::lab::{Mode, SagaLab};
use orrery_core::sim::Simulation;

const REPEATS: usize = 5;

fn best<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..REPEATS {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("at least one repeat"))
}

fn main() {
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
        let (secs, r) = best(|| check::check(&o).expect("runs"));
        println!(
            "check, {:<16} 10,000 runs × 1 order saga, faults 30%/step: {:>7.1} ms ({} completed, {} compensated, {} messages, {} violations)",
            mode.name(),
            secs * 1e3,
            r.completed,
            r.compensated,
            r.messages,
            r.violations.len()
        );
    }
    // The travel flow (the order flow's semantic lock on the stock serializes concurrent
    // sagas), at a fault rate where services are not down most of the time: at 30% per step
    // and five sagas a second, crashes of a few seconds overlap and a service stays down,
    // with every message to it redelivered every few seconds.
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
    let (secs, (events, done)) = best(|| {
        let mut lab = SagaLab::new(&s).expect("valid");
        let mut events = Vec::new();
        lab.advance_to(until, &mut events);
        let m = lab.metrics();
        (
            events.len(),
            m.counter("completed") + m.counter("compensated"),
        )
    });
    println!(
        "one simulation, orchestration, 10,000 travel sagas 500 ms apart, faults 5%/step, events kept: {:>7.1} ms ({done} finished, {events} events, {:.0} s simulated)",
        secs * 1e3,
        until as f64 / 1e3
    );
}
