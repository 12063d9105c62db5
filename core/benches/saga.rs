//! Saga lab speed: 10,000 sagas with random faults, natively. Run with
//! `cargo bench -p orrery-core --bench saga`. Prints figures (best of five); asserts nothing.
//!
//! Two shapes: the checker's (10,000 seeded runs of one saga each, as `orrery saga check
//! --runs 10000` runs them, per coordination mode), and one long simulation of 10,000 sagas
//! started 500 ms apart whose events are all collected (the simulation alone: a [`Run`] would
//! also keep a checkpoint, a clone of the whole state, every 20 simulated seconds).
//!
//! A third figure is memory: how much a page's [`Run`] (its checkpoints included) raises the
//! process's resident high-water mark over 200, then 400 order sagas. Twice the sagas should
//! cost about twice the memory, not four times.
//!
//! [`Run`]: orrery_core::run::Run

use std::time::Instant;

use orrery_core::run::Run;

use orrery_core::saga::check::{self, Options};
use orrery_core::saga::lab::{Mode, SagaLab};
use orrery_core::sim::Simulation;

const REPEATS: usize = 5;

/// The process's resident memory high-water mark in bytes (Linux), or 0.
fn peak_rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The growth of the resident high-water mark while a run of the page's default scenario with `sagas` sagas 10 s apart,
/// is advanced until its `sagas` sagas have all finished (a page's run keeps its checkpoints),
/// and the length of its log. Called with growing `sagas`, so each call raises the mark.
fn run_memory(sagas: u32) -> (usize, usize) {
    let before = peak_rss();
    let s = orrery_core::saga::lab::Scenario {
        sagas,
        ..Default::default()
    };
    let mut run: Run<SagaLab> = Run::new(s).expect("valid");
    run.advance_to(1_000 + sagas as u64 * 10_000 + 60_000);
    let bytes = peak_rss().saturating_sub(before);
    let entries = run.log().len();
    drop(run);
    (bytes, entries)
}

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
    for sagas in [200, 400] {
        let (bytes, entries) = run_memory(sagas);
        println!(
            "memory, a page's run of {sagas} order sagas 10 s apart: {:>7.1} MB resident ({entries} log entries, a checkpoint every 20 s)",
            bytes as f64 / 1e6
        );
    }
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
