//! Many seeded runs with random faults: what `orrery saga check`, the property tests and the
//! benchmark do.
//!
//! A run is a [`Scenario`] with `chaos_pct` set, so its faults are drawn from its seed: the
//! scenario and the seed alone reproduce it, through the registry like any other run, and a
//! violation found here opens in the page from its link.
//!
//! ```text
//!   seed ─► scenario(options, seed) ─► SagaLab ─► advance past the stuck deadline ─► outcome
//!   outcome = sagas completed / compensated / stuck / lost, and the first broken invariant
//! ```
//!
//! A saga is **stuck** when it is unfinished at its deadline but still waits on something
//! that can happen (a node down with no recovery planned, a rollback a person must finish),
//! and **lost** when nothing in flight or scheduled can move it any more because a message it
//! needed was lost: a liveness violation, reported with the saga, its step and the lost
//! publish. With the outbox and idempotent consumers on, neither happens.

use serde::{Deserialize, Serialize};

use super::lab::{BusConfig, Event, Mode, SagaLab, SagaStatus, Scenario};
use crate::sim::{Emit, Simulation, Time, Violation};

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    pub flow: String,
    pub mode: Mode,
    pub outbox: bool,
    pub idempotency: bool,
    /// Services answer duplicates with the outcome they recorded (see
    /// [`Scenario::replay_replies`]).
    pub replay_replies: bool,
    pub runs: u64,
    pub first_seed: u64,
    /// Sagas per run, started `every_ms` apart (concurrent when that is short).
    pub sagas: u32,
    pub every_ms: u64,
    /// Percent chance of a random fault per step, and of an orchestrator crash per saga.
    pub chaos_pct: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            flow: "order".into(),
            mode: Mode::Orchestration,
            outbox: true,
            idempotency: true,
            replay_replies: false,
            runs: 1_000,
            first_seed: 1,
            sagas: 1,
            every_ms: 1_000,
            chaos_pct: 30,
        }
    }
}

/// A saga is reported stuck this long after it started.
pub const STUCK_AFTER_MS: Time = 120_000;

/// The scenario of one run: random faults from the seed, a lossy, duplicating, reordering bus.
pub fn scenario(o: &Options, seed: u64) -> Scenario {
    Scenario {
        seed,
        flow: o.flow.clone(),
        mode: o.mode,
        outbox: o.outbox,
        idempotency: o.idempotency,
        replay_replies: o.replay_replies,
        sagas: o.sagas,
        every_ms: o.every_ms,
        chaos_pct: o.chaos_pct,
        stuck_after_ms: STUCK_AFTER_MS,
        bus: BusConfig {
            drop_pct: 5,
            duplicate_pct: 5,
            jitter_ms: 40,
            ..BusConfig::default()
        },
        ..Scenario::default()
    }
}

/// How one run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub seed: u64,
    pub completed: u32,
    pub compensated: u32,
    /// Unfinished after the stuck deadline but still waiting on something that can happen,
    /// rollbacks left incomplete included.
    pub stuck: u32,
    /// Unfinished, and nothing in flight or scheduled could move them: a message they needed
    /// was lost (a liveness violation).
    pub lost: u32,
    /// The first broken invariant: safety, conservation, or a lost saga (stuck sagas are
    /// counted above, not here).
    pub violation: Option<Violation>,
    pub messages: u64,
}

/// Drops events: the runner only needs the end state.
struct Discard;

impl Emit<Event> for Discard {
    fn emit(&mut self, _: Time, _: Event) {}
}

/// Runs one scenario until its last saga's stuck deadline has passed.
pub fn run(s: &Scenario) -> Result<RunOutcome, String> {
    if s.sagas == 0 {
        return Err("sagas: a checked run needs a number of sagas".into());
    }
    let mut lab = SagaLab::new(s)?;
    let horizon = s.first_at_ms + s.sagas as Time * s.every_ms + s.stuck_after_ms + 1_000;
    lab.advance_to(horizon, &mut Discard);
    let mut o = RunOutcome {
        seed: s.seed,
        completed: 0,
        compensated: 0,
        stuck: 0,
        lost: 0,
        violation: lab.safety_violation().cloned(),
        messages: lab.counters.messages_sent,
    };
    for info in lab.sagas().values() {
        match info.status {
            SagaStatus::Completed => o.completed += 1,
            SagaStatus::Compensated => o.compensated += 1,
            _ if info.lost => o.lost += 1,
            _ => o.stuck += 1,
        }
    }
    if o.violation.is_none() {
        // Conservation is checked at the end: a lost update never repairs itself. A lost saga
        // is a violation; a stuck one is counted, not reported.
        o.violation = lab.check().filter(|v| v.invariant != "every saga finishes");
    }
    Ok(o)
}

/// The totals of many runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub runs: u64,
    pub sagas: u64,
    pub completed: u64,
    pub compensated: u64,
    pub stuck: u64,
    pub lost: u64,
    pub messages: u64,
    /// The seed and first violation of every run that broke an invariant.
    pub violations: Vec<(u64, Violation)>,
    /// The seeds of runs with stuck sagas.
    pub stuck_seeds: Vec<u64>,
}

/// Runs `o.runs` seeds from `o.first_seed`.
pub fn check(o: &Options) -> Result<Report, String> {
    if !(1..=10_000_000).contains(&o.runs) {
        return Err(format!(
            "runs must be between 1 and 10000000, not {}",
            o.runs
        ));
    }
    if !(1..=1_000).contains(&o.sagas) {
        return Err(format!("sagas must be between 1 and 1000, not {}", o.sagas));
    }
    // Refuse a bad flow or mode once, before the loop.
    scenario(o, o.first_seed).validate()?;
    let mut r = Report::default();
    for seed in o.first_seed..o.first_seed.saturating_add(o.runs) {
        let out = run(&scenario(o, seed))?;
        r.runs += 1;
        r.sagas += o.sagas as u64;
        r.completed += out.completed as u64;
        r.compensated += out.compensated as u64;
        r.stuck += out.stuck as u64;
        r.lost += out.lost as u64;
        r.messages += out.messages;
        if out.stuck > 0 {
            r.stuck_seeds.push(seed);
        }
        if let Some(v) = out.violation {
            r.violations.push((seed, v));
        }
    }
    Ok(r)
}
