//! The seeded fault driver shared by the scheduler fuzzers (`cron_lab.rs` with fencing on and
//! off, `cron_lab_lost.rs` for the "no run lost" audit). It drives the simulation directly,
//! without a `Run`'s log and checkpoints, so a simulated day stays cheap, and checks the
//! invariants after every stretch of time and every command.

use orrery_core::cron::lab::{Command, Scenario, SchedulerLab};
use orrery_core::rng::Rng;
use orrery_core::sim::{Simulation, Time, Violation};

/// Runs `scenario` to `until` with a random command every 1 to 41 s. Each command is one of
/// `kinds` kinds: 0 to 8 are the faults every fuzzer shares (leader and node crashes,
/// partitions, clock skew, the store down, a worker crash, a slow run, a manual trigger); any
/// other kind is `extra(kind, rng)`. Returns the lab at the end, or the first violation with
/// its time.
pub fn drive(
    scenario: &Scenario,
    rng: &mut Rng,
    until: Time,
    kinds: u64,
    mut extra: impl FnMut(u64, &mut Rng) -> serde_json::Value,
) -> Result<SchedulerLab, (Time, Violation)> {
    let nodes = u64::from(scenario.nodes);
    let workers = u64::from(scenario.workers);
    let mut lab = SchedulerLab::new(scenario).expect("valid");
    let mut events = Vec::new();
    let mut t = 0;
    while t < until {
        t += 1_000 + rng.below(40_000);
        lab.advance_to(t.min(until), &mut events);
        events.clear();
        if let Some(v) = lab.check() {
            return Err((lab.now(), v));
        }
        let node = rng.below(nodes);
        let cmd = match rng.below(kinds) {
            0 => serde_json::json!("crash_leader"),
            1 => serde_json::json!({"crash_node": {"node": node}}),
            2 => serde_json::json!({"partition_leader": {"on": rng.chance(2, 3)}}),
            3 => serde_json::json!({"partition": {"node": node, "on": rng.chance(1, 2)}}),
            4 => {
                serde_json::json!({"clock_skew": {"node": node, "skew_ms": rng.range(0, 40_000) as i64 - 20_000}})
            }
            5 => serde_json::json!({"store_down": {"on": rng.chance(1, 2)}}),
            6 => serde_json::json!({"crash_worker": {"worker": rng.below(workers)}}),
            7 => serde_json::json!({"slow_job": {"job": "report", "extra_ms": rng.below(60_000)}}),
            8 => serde_json::json!({"trigger": {"name": "billing"}}),
            kind => extra(kind, rng),
        };
        let cmd: Command = serde_json::from_value(cmd).expect("a command");
        let _ = lab.apply(&cmd, &mut events);
        events.clear();
        if let Some(v) = lab.check() {
            return Err((lab.now(), v));
        }
    }
    Ok(lab)
}
