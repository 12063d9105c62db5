//! [`Run`]: any [`Simulation`] with its recorded inputs, event log, checkpoints and the first
//! invariant violation.
//!
//! The run is the unit the page, the command-line runner and the share link deal in. Its state
//! is always a pure function of `(scenario, inputs applied so far, now)`:
//!
//! ```text
//!  inputs:       (t=3s, call 5↑)   (t=9s, breakdown car 1)   (t=20s, call 2↓)
//!  checkpoints:  t=0 ──────── t=20s ──────── t=40s ──────── …
//!  seek(t):      restore the last checkpoint at or before t, replay inputs up to t
//!  apply(cmd):   drops recorded inputs after now (a "what if" fork), records cmd at now
//! ```
//!
//! A checkpoint is a whole copy of the simulation, and a simulation's state grows as it runs
//! (a CRDT keeps every operation), so checkpoints at a fixed spacing would cost memory
//! quadratic in the run's length: 8 busy typists reached 360 MB of checkpoints in two minutes.
//! The run keeps at most [`MAX_CHECKPOINTS`] besides t=0: when there would be more, it drops
//! every other one and doubles the spacing. Memory stays linear in the run's length, and a
//! seek replays at most about a sixteenth of the run.
//!
//! Architecture invariant: the log after `seek(t)` equals the log of a run that was advanced
//! straight to `t` with the same inputs. Tests over the registry check it for every lab.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::metrics::Metrics;
use crate::sim::{fmt_time, Refusal, Simulation, Time, Violation};

/// Simulated time between checkpoints.
pub const CHECKPOINT_EVERY_MS: Time = 20_000;
/// Log entries between checkpoints, for busy runs.
pub const CHECKPOINT_EVERY_ENTRIES: usize = 4_000;
/// Checkpoints kept besides the one at t=0; the spacings above double each time this many
/// would be exceeded.
pub const MAX_CHECKPOINTS: usize = 32;
/// The latest time a run may be advanced to: 31 days.
pub const MAX_TIME: Time = 31 * 24 * 3600 * 1000;

/// One recorded input: a command applied at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Input<C> {
    pub time: Time,
    pub command: C,
}

/// What a log entry records.
#[derive(Clone, Debug)]
pub enum EntryKind<E> {
    /// Something the simulation did.
    Event(E),
    /// A command from outside that was accepted (shown as its JSON).
    Command(String),
    /// A command that was refused, and why.
    Refused { command: String, reason: String },
}

/// One line of the event log.
#[derive(Clone, Debug)]
pub struct Entry<E> {
    pub time: Time,
    pub kind: EntryKind<E>,
}

impl<E: std::fmt::Display> Entry<E> {
    /// The stable one-line form that snapshots and digests use.
    pub fn line(&self) -> String {
        let t = fmt_time(self.time);
        match &self.kind {
            EntryKind::Event(e) => format!("{t:>10} {e}"),
            EntryKind::Command(c) => format!("{t:>10} > {c}"),
            EntryKind::Refused { command, reason } => {
                format!("{t:>10} > {command} refused: {reason}")
            }
        }
    }
}

#[derive(Clone)]
struct Checkpoint<S> {
    sim: S,
    log_len: usize,
    applied: usize,
    violation: Option<(Time, usize, Violation)>,
}

/// A simulation plus everything needed to replay, rewind and share it.
#[derive(Clone)]
pub struct Run<S: Simulation> {
    scenario: S::Scenario,
    sim: S,
    log: Vec<Entry<S::Event>>,
    inputs: Vec<Input<S::Command>>,
    applied: usize,
    checkpoints: Vec<Checkpoint<S>>,
    /// The spacing of checkpoints as a multiple of [`CHECKPOINT_EVERY_MS`] and
    /// [`CHECKPOINT_EVERY_ENTRIES`]: a power of two.
    spacing: u64,
    violation: Option<(Time, usize, Violation)>,
    buf: Vec<(Time, S::Event)>,
}

impl<S: Simulation> Run<S> {
    /// Starts a run at time 0, or explains what is wrong with the scenario.
    pub fn new(scenario: S::Scenario) -> Result<Run<S>, String> {
        let sim = S::new(&scenario)?;
        let mut run = Run {
            scenario,
            sim: sim.clone(),
            log: Vec::new(),
            inputs: Vec::new(),
            applied: 0,
            checkpoints: vec![Checkpoint {
                sim,
                log_len: 0,
                applied: 0,
                violation: None,
            }],
            spacing: 1,
            violation: None,
            buf: Vec::new(),
        };
        run.check_invariants();
        Ok(run)
    }

    /// Starts a run that will replay `inputs` (sorted by time) as it advances.
    pub fn with_inputs(
        scenario: S::Scenario,
        inputs: Vec<Input<S::Command>>,
    ) -> Result<Run<S>, String> {
        if inputs.windows(2).any(|w| w[0].time > w[1].time) {
            return Err("inputs are not in time order".into());
        }
        if let Some(last) = inputs.last() {
            if last.time > MAX_TIME {
                return Err(format!(
                    "an input is at {}, past the limit",
                    fmt_time(last.time)
                ));
            }
        }
        let mut run = Run::new(scenario)?;
        run.inputs = inputs;
        Ok(run)
    }

    pub fn scenario(&self) -> &S::Scenario {
        &self.scenario
    }

    pub fn sim(&self) -> &S {
        &self.sim
    }

    pub fn now(&self) -> Time {
        self.sim.now()
    }

    pub fn log(&self) -> &[Entry<S::Event>] {
        &self.log
    }

    /// Every recorded input, including those after `now` that a later advance will replay.
    pub fn inputs(&self) -> &[Input<S::Command>] {
        &self.inputs
    }

    /// The first invariant violation: its time, the log length when it was seen, and what.
    pub fn violation(&self) -> Option<&(Time, usize, Violation)> {
        self.violation.as_ref()
    }

    pub fn metrics(&self) -> Metrics {
        self.sim.metrics()
    }

    /// How many checkpoints the run holds (t=0 included), and the time of each.
    pub fn checkpoint_times(&self) -> Vec<Time> {
        self.checkpoints.iter().map(|c| c.sim.now()).collect()
    }

    /// The next time at which something will happen: a deadline or a recorded input.
    pub fn next_time(&self) -> Option<Time> {
        let d = self.sim.next_deadline();
        let i = self.inputs.get(self.applied).map(|i| i.time);
        match (d, i) {
            (Some(d), Some(i)) => Some(d.min(i)),
            (d, i) => d.or(i),
        }
    }

    /// Moves the run to time `t` (clamped to [`MAX_TIME`]), replaying recorded inputs on the
    /// way. Going backwards restores a checkpoint and replays.
    pub fn advance_to(&mut self, t: Time) {
        let t = t.min(MAX_TIME);
        if t < self.now() {
            self.seek(t);
            return;
        }
        loop {
            let deadline = self.sim.next_deadline().filter(|&d| d <= t);
            let input = self
                .inputs
                .get(self.applied)
                .map(|i| i.time)
                .filter(|&i| i <= t);
            match (deadline, input) {
                (Some(d), Some(i)) if i < d => {
                    self.sim_advance(i);
                    let _ = self.apply_recorded();
                }
                (Some(d), _) => self.sim_advance(d),
                (None, Some(i)) => {
                    self.sim_advance(i);
                    let _ = self.apply_recorded();
                }
                (None, None) => {
                    self.sim_advance(t);
                    break;
                }
            }
        }
    }

    /// Advances to the next time something happens; false when nothing ever will.
    pub fn step(&mut self) -> bool {
        match self.next_time() {
            Some(t) if t <= MAX_TIME => {
                self.advance_to(t);
                true
            }
            _ => false,
        }
    }

    /// Goes back to the time of the latest log entry before now; false at the start.
    pub fn step_back(&mut self) -> bool {
        let now = self.now();
        let prev = self.log.iter().rev().map(|e| e.time).find(|&t| t < now);
        match prev {
            Some(t) => {
                self.seek(t);
                true
            }
            None if now > 0 => {
                self.seek(0);
                true
            }
            None => false,
        }
    }

    /// Puts the run at time `t` exactly, backwards or forwards.
    pub fn seek(&mut self, t: Time) {
        let t = t.min(MAX_TIME);
        if t >= self.now() {
            self.advance_to(t);
            return;
        }
        let idx = self
            .checkpoints
            .iter()
            .rposition(|c| c.sim.now() <= t)
            .unwrap_or(0);
        let cp = self.checkpoints[idx].clone();
        self.sim = cp.sim;
        self.log.truncate(cp.log_len);
        self.applied = cp.applied;
        self.violation = cp.violation;
        self.advance_to(t);
    }

    /// Applies a command now. Recorded inputs after now are dropped: this is a new timeline.
    pub fn apply(&mut self, command: S::Command) -> Result<(), Refusal> {
        let now = self.now();
        self.inputs.truncate(self.applied);
        let applied = self.applied;
        self.checkpoints
            .retain(|c| c.sim.now() < now || (c.sim.now() == now && c.applied <= applied));
        self.inputs.push(Input { time: now, command });
        self.apply_recorded()
    }

    /// A copy of this run that forgets the recorded future: "what if" from here.
    pub fn fork(&self) -> Run<S> {
        let mut f = self.clone();
        f.inputs.truncate(f.applied);
        f
    }

    /// The SHA-256 of the log's lines (each followed by a newline), in hex.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for e in &self.log {
            h.update(e.line().as_bytes());
            h.update(b"\n");
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A new run of `scenario` driven through `commands` (`(time_ms, command JSON)`, in time
    /// order) and then to `until`: the shape of every lab's event-log snapshot test. A refused
    /// command is logged as usual; a scenario or command that does not parse is an `Err`.
    pub fn scripted(
        scenario: S::Scenario,
        commands: &[(Time, &str)],
        until: Time,
    ) -> Result<Run<S>, String> {
        let mut run = Run::new(scenario)?;
        for &(t, json) in commands {
            run.advance_to(t);
            let command: S::Command =
                serde_json::from_str(json).map_err(|e| format!("command {json}: {e}"))?;
            let _ = run.apply(command);
        }
        run.advance_to(until);
        Ok(run)
    }

    /// What snapshot tests compare: the log, one line per entry without the time column's
    /// padding, then the first invariant violation, if any.
    pub fn transcript(&self) -> String {
        let mut text: String = self
            .log
            .iter()
            .map(|e| e.line().trim_start().to_string() + "\n")
            .collect();
        if let Some((t, _, v)) = self.violation() {
            text.push_str(&format!("VIOLATION at {t}: {v}\n"));
        }
        text
    }

    /// The log as text, one line per entry.
    pub fn log_text(&self) -> String {
        let mut s = String::new();
        for e in &self.log {
            s.push_str(&e.line());
            s.push('\n');
        }
        s
    }

    fn apply_recorded(&mut self) -> Result<(), Refusal> {
        let input = self.inputs[self.applied].clone();
        self.applied += 1;
        let now = self.now();
        let command = serde_json::to_string(&input.command).unwrap_or_default();
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.sim.apply(&input.command, &mut buf);
        match &result {
            Ok(()) => self.log.push(Entry {
                time: now,
                kind: EntryKind::Command(command),
            }),
            Err(r) => self.log.push(Entry {
                time: now,
                kind: EntryKind::Refused {
                    command,
                    reason: r.0.clone(),
                },
            }),
        }
        self.drain(&mut buf);
        self.buf = buf;
        self.check_invariants();
        result
    }

    fn sim_advance(&mut self, t: Time) {
        let mut buf = std::mem::take(&mut self.buf);
        self.sim.advance_to(t, &mut buf);
        self.drain(&mut buf);
        self.buf = buf;
        self.check_invariants();
        self.maybe_checkpoint();
    }

    fn drain(&mut self, buf: &mut Vec<(Time, S::Event)>) {
        for (time, event) in buf.drain(..) {
            self.log.push(Entry {
                time,
                kind: EntryKind::Event(event),
            });
        }
    }

    fn check_invariants(&mut self) {
        if self.violation.is_none() {
            if let Some(v) = self.sim.check() {
                self.violation = Some((self.now(), self.log.len(), v));
            }
        }
    }

    fn maybe_checkpoint(&mut self) {
        let last = self
            .checkpoints
            .last()
            .expect("the t=0 checkpoint is never removed");
        let due = self.sim.now() >= last.sim.now() + CHECKPOINT_EVERY_MS * self.spacing
            || self.log.len() >= last.log_len + CHECKPOINT_EVERY_ENTRIES * self.spacing as usize;
        if due && self.sim.now() > last.sim.now() {
            self.checkpoints.push(Checkpoint {
                sim: self.sim.clone(),
                log_len: self.log.len(),
                applied: self.applied,
                violation: self.violation.clone(),
            });
            if self.checkpoints.len() > MAX_CHECKPOINTS + 1 {
                // Keep t=0 and every second one after it (the newest among them), so the
                // kept ones are as far apart as the doubled spacing asks.
                let mut i = 0;
                self.checkpoints.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.spacing *= 2;
            }
        }
    }
}
