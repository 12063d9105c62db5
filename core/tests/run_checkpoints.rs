//! Checkpoints stay few on long and busy runs (so memory grows linearly with a run, not
//! quadratically), and seeking through thinned checkpoints still lands on exactly the state of
//! a straight run.

use orrery_core::collab::lab::CollabLab;
use orrery_core::elevator::Elevator;
use orrery_core::registry::scenario_from_json;
use orrery_core::run::{Run, CHECKPOINT_EVERY_MS, MAX_CHECKPOINTS};
use orrery_core::sim::{Simulation, Time};
use serde_json::json;

fn run<S: Simulation>(scenario: &serde_json::Value, until: Time) -> Run<S> {
    let mut run = Run::<S>::new(scenario_from_json::<S>(scenario).expect("a valid scenario"))
        .expect("the scenario builds");
    run.advance_to(until);
    run
}

/// The checkpoints are t=0 and at most [`MAX_CHECKPOINTS`] more, in time order, spread over the
/// whole run (no gap longer than an eighth of it).
fn assert_spread(times: &[Time], until: Time, what: &str) {
    assert_eq!(times.first(), Some(&0), "{what}: t=0 is always kept");
    assert!(
        times.len() <= MAX_CHECKPOINTS + 1,
        "{what}: {} checkpoints",
        times.len()
    );
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{what}: {times:?}");
    let mut gaps: Vec<Time> = times.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.push(until - times.last().unwrap());
    let longest = gaps.iter().max().unwrap();
    assert!(
        *longest <= until / 8,
        "{what}: a gap of {longest} ms in a run of {until} ms: {times:?}"
    );
}

#[test]
fn a_long_quiet_run_keeps_few_checkpoints_spread_over_it() {
    // Six hours of a small building: 1,080 checkpoints at the base spacing.
    let scenario = json!({"floors": 8, "cars": 2});
    let until = 6 * 3600 * 1000;
    let mut long = run::<Elevator>(&scenario, until);
    let times = long.checkpoint_times();
    assert_spread(&times, until, "elevator, 6 h");
    assert!(times.len() > MAX_CHECKPOINTS / 2, "{times:?}");
    assert!(
        times[1] >= CHECKPOINT_EVERY_MS * 16,
        "the spacing doubled: {times:?}"
    );
    for t in [until / 3, 7_777_777, 1, until - 1] {
        long.seek(t);
        assert_eq!(
            long.log_text(),
            run::<Elevator>(&scenario, t).log_text(),
            "at {t}"
        );
    }
}

#[test]
fn a_busy_run_thins_its_checkpoints_and_seeks_exactly() {
    // Eight typists with presence write about 3,500 log entries a second: a checkpoint every
    // 4,000 entries at the base spacing.
    let scenario = json!({"clients": 8, "typists": 8, "typing_cps": 10, "pause_ms": 0, "max_len": 2000, "crdt_presence": true});
    let until = 60_000;
    let mut busy = run::<CollabLab>(&scenario, until);
    assert!(
        busy.log().len() > 40 * 4_000,
        "{} entries",
        busy.log().len()
    );
    assert_spread(&busy.checkpoint_times(), until, "collab, 8 typists");
    let end = busy.digest();
    for t in [41_234, 12_345] {
        busy.seek(t);
        assert_eq!(
            busy.digest(),
            run::<CollabLab>(&scenario, t).digest(),
            "at {t}"
        );
    }
    busy.seek(until);
    assert_eq!(busy.digest(), end, "back at the end");
}
