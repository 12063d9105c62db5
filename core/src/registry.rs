//! The registry of labs, and [`LabRun`]: an object-safe view of any [`Run`] so that the
//! command-line runner, the web app and the cross-cutting tests handle every lab alike.
//!
//! Adding a lab means implementing [`Simulation`] and adding one line to [`labs`]; the
//! determinism, replay, link and invariant tests in `core/tests/registry.rs` then cover it.

use std::any::Any;
use std::collections::BTreeMap;

use crate::link::{self, LinkError, Payload};
use crate::metrics::Metrics;
use crate::run::{Input, Run, MAX_TIME};
use crate::sim::{Simulation, Time, Violation};

/// What the registry knows about a lab without starting it.
#[derive(Clone, Copy)]
pub struct Lab {
    /// Stable id used in links and on the command line.
    pub id: &'static str,
    pub title: &'static str,
    /// One sentence for the home page and `orrery labs`.
    pub summary: &'static str,
    /// Starts a run from scenario JSON (missing fields take defaults).
    pub create: fn(&serde_json::Value) -> Result<Box<dyn LabRun>, String>,
    /// Rebuilds a run from a decoded link payload and seeks it to the payload's cursor.
    pub open: fn(&Payload) -> Result<Box<dyn LabRun>, LinkError>,
    /// The default scenario as JSON.
    pub default_scenario: fn() -> serde_json::Value,
    /// A representative script of commands `(time_ms, command)` that exercises the lab's
    /// inputs and faults; cross-cutting tests replay it. Empty without the `samples` feature.
    pub sample_inputs: fn() -> Vec<(Time, serde_json::Value)>,
}

/// What the home page and the navigation know of a lab without any of its code: the web app
/// is split into one bundle per lab, and the home page's bundle carries only this list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabInfo {
    /// Stable id used in links and on the command line.
    pub id: &'static str,
    pub title: &'static str,
    /// One sentence for the home page and `orrery labs`.
    pub summary: &'static str,
}

/// Every lab, in the order the home page shows them. [`labs`] lists the same ids in the same
/// order (a test checks it).
pub const CATALOG: &[LabInfo] = &[
    LabInfo {
        id: "elevator",
        title: "Elevator",
        summary: "A building of cars, hall and car calls, door and motion state machines, dispatchers and faults.",
    },
    LabInfo {
        id: "cache",
        title: "Cache",
        summary: "Reads and writes hit or miss a cache in front of a slow store: eviction policies, write strategies, expiry, stampedes, app servers and a ring of cache nodes.",
    },
    LabInfo {
        id: "scheduler",
        title: "Scheduler",
        summary: "Distributed cron: leader leases with fencing tokens, a job queue with retries and dead letters, workers, and every fault.",
    },
    LabInfo {
        id: "parking",
        title: "Parking lot",
        summary: "Entry gates race for the last spot under a concurrency control; allocation strategies, tickets, billing, sensors and displays.",
    },
    LabInfo {
        id: "saga",
        title: "Saga",
        summary: "One business flow across services that own their data: orchestration, choreography or two-phase commit over a faulty bus, with outbox, idempotency and compensation.",
    },
    LabInfo {
        id: "collab",
        title: "Collaborative editing",
        summary: "Clients type into one text through a sequence CRDT and OT side by side, over a network of links you delay, cut and deliver by hand.",
    },
];
/// A lab's sample inputs where the `samples` feature is on (the default: the tests, the CLI);
/// the web bundles turn it off, never replay them, and so do not carry them (about 2 KB of
/// gzip per page).
#[cfg(feature = "samples")]
macro_rules! samples {
    ($f:path) => {
        $f
    };
}
#[cfg(not(feature = "samples"))]
macro_rules! samples {
    ($f:path) => {
        no_samples
    };
}

/// The sample inputs of a build without the `samples` feature: none.
#[cfg(not(feature = "samples"))]
fn no_samples() -> Vec<(Time, serde_json::Value)> {
    Vec::new()
}

/// The catalog entry of a lab id.
pub fn info(id: &str) -> Option<&'static LabInfo> {
    CATALOG.iter().find(|l| l.id == id)
}

/// The elevator lab.
pub fn elevator() -> Lab {
    lab::<crate::elevator::Elevator>(samples!(crate::elevator::sample_inputs))
}

/// The cache lab.
pub fn cache() -> Lab {
    lab::<crate::cache::lab::CacheLab>(samples!(crate::cache::lab::sample_inputs))
}

/// The scheduler lab (distributed cron).
pub fn scheduler() -> Lab {
    lab::<crate::cron::lab::SchedulerLab>(samples!(crate::cron::lab::sample_inputs))
}

/// The parking lot lab.
pub fn parking() -> Lab {
    lab::<crate::parking::lab::ParkingLab>(samples!(crate::parking::sample_inputs))
}

/// The saga lab.
pub fn saga() -> Lab {
    lab::<crate::saga::SagaLab>(samples!(crate::saga::lab::sample_inputs))
}

/// The collaborative editing lab.
pub fn collab() -> Lab {
    lab::<crate::collab::lab::CollabLab>(samples!(crate::collab::lab::sample_inputs))
}

/// Every lab, in the order of [`CATALOG`]. Code that only needs one lab (a web bundle) calls
/// that lab's own function instead, so that the others are not linked in.
pub fn labs() -> Vec<Lab> {
    vec![
        elevator(),
        cache(),
        scheduler(),
        parking(),
        saga(),
        collab(),
    ]
}

/// The lab with this id.
pub fn find(id: &str) -> Option<Lab> {
    labs().into_iter().find(|l| l.id == id)
}

/// A run of `lab`'s default scenario with `seed`, driven to `until` with the lab's sample
/// inputs applied at their times: the reference run of the cross-cutting tests and of the
/// golden digests checked natively and in wasm.
pub fn sample_run(lab: &Lab, seed: u64, until: Time) -> Result<Box<dyn LabRun>, String> {
    let mut scenario = (lab.default_scenario)();
    scenario["seed"] = seed.into();
    let mut run = (lab.create)(&scenario)?;
    for (t, cmd) in (lab.sample_inputs)() {
        if t > until {
            break;
        }
        run.advance_to(t);
        let _ = run.apply_json(&cmd);
    }
    run.advance_to(until);
    Ok(run)
}

/// View options carried by a link (speed, panels, compare mode): never simulation state.
pub type ViewOptions = BTreeMap<String, String>;

/// Opens a whole URL, a fragment or a bare `/lab?s=…` as a run at the link's cursor, with the
/// link's view options.
pub fn open_link(s: &str) -> Result<(Box<dyn LabRun>, ViewOptions), LinkError> {
    let (lab, payload) = link::parse(s)?;
    let lab = find(&lab).ok_or(LinkError::UnknownLab(lab))?;
    let run = (lab.open)(&payload)?;
    Ok((run, payload.view))
}

/// A lab's registry entry; its title and summary come from [`CATALOG`].
fn lab<S: Simulation>(sample_inputs: fn() -> Vec<(Time, serde_json::Value)>) -> Lab {
    let (title, summary) = info(S::LAB).map_or((S::LAB, ""), |i| (i.title, i.summary));
    Lab {
        id: S::LAB,
        title,
        summary,
        create: |json| {
            let scenario = scenario_from_json::<S>(json)?;
            Ok(Box::new(Run::<S>::new(scenario)?) as Box<dyn LabRun>)
        },
        open: |payload| Ok(Box::new(run_from_payload::<S>(payload)?) as Box<dyn LabRun>),
        default_scenario: || serde_json::to_value(S::Scenario::default()).unwrap_or_default(),
        sample_inputs,
    }
}

/// Reads a scenario from JSON; absent fields take their defaults.
pub fn scenario_from_json<S: Simulation>(json: &serde_json::Value) -> Result<S::Scenario, String> {
    let json = if json.is_null() {
        serde_json::json!({})
    } else {
        json.clone()
    };
    serde_json::from_value(json).map_err(|e| format!("scenario: {e}"))
}

/// Rebuilds a typed run from a link payload, replays its inputs and seeks to its cursor.
pub fn run_from_payload<S: Simulation>(p: &Payload) -> Result<Run<S>, LinkError> {
    if p.lab != S::LAB {
        return Err(LinkError::UnknownLab(p.lab.clone()));
    }
    let scenario = scenario_from_json::<S>(&p.scenario).map_err(LinkError::Invalid)?;
    let mut inputs = Vec::with_capacity(p.inputs.len());
    for (i, (time, cmd)) in p.inputs.iter().enumerate() {
        let command: S::Command = serde_json::from_value(cmd.clone())
            .map_err(|e| LinkError::Invalid(format!("input {}: {e}", i + 1)))?;
        inputs.push(Input {
            time: *time,
            command,
        });
    }
    if p.cursor > MAX_TIME {
        return Err(LinkError::Invalid(format!(
            "the time cursor {} ms is past the limit of {MAX_TIME} ms",
            p.cursor
        )));
    }
    let mut run = Run::<S>::with_inputs(scenario, inputs).map_err(LinkError::Invalid)?;
    run.advance_to(p.cursor);
    Ok(run)
}

/// The link payload for a typed run at its current time.
pub fn payload_of<S: Simulation>(run: &Run<S>, view: &BTreeMap<String, String>) -> Payload {
    Payload {
        v: link::VERSION,
        lab: S::LAB.to_string(),
        scenario: serde_json::to_value(run.scenario()).unwrap_or_default(),
        inputs: run
            .inputs()
            .iter()
            .map(|i| (i.time, serde_json::to_value(&i.command).unwrap_or_default()))
            .collect(),
        cursor: run.now(),
        view: view.clone(),
    }
}

/// An object-safe view of a [`Run`] of any lab.
pub trait LabRun {
    fn lab(&self) -> &'static str;
    fn now(&self) -> Time;
    fn seed(&self) -> u64;
    fn scenario_json(&self) -> serde_json::Value;
    fn next_time(&self) -> Option<Time>;
    fn advance_to(&mut self, t: Time);
    fn seek(&mut self, t: Time);
    fn step(&mut self) -> bool;
    fn step_back(&mut self) -> bool;
    /// Applies a command given as JSON; a malformed command or a refusal is an `Err` message.
    fn apply_json(&mut self, command: &serde_json::Value) -> Result<(), String>;
    fn log_len(&self) -> usize;
    fn log_time(&self, i: usize) -> Time;
    fn log_line(&self, i: usize) -> String;
    fn log_text(&self) -> String;
    fn digest(&self) -> String;
    fn metrics(&self) -> Metrics;
    fn violation(&self) -> Option<(Time, usize, Violation)>;
    fn inputs_len(&self) -> usize;
    /// The share-link fragment (`/lab?s=…`) for this run at its current time.
    fn link(&self, view: &BTreeMap<String, String>) -> String;
    fn fork(&self) -> Box<dyn LabRun>;
    /// A new run of the same scenario with another seed and no inputs.
    fn reseed(&self, seed: u64) -> Box<dyn LabRun>;
    fn as_any(&self) -> &dyn Any;
}

impl<S: Simulation> LabRun for Run<S> {
    fn lab(&self) -> &'static str {
        S::LAB
    }
    fn now(&self) -> Time {
        Run::now(self)
    }
    fn seed(&self) -> u64 {
        S::seed(self.scenario())
    }
    fn scenario_json(&self) -> serde_json::Value {
        serde_json::to_value(self.scenario()).unwrap_or_default()
    }
    fn next_time(&self) -> Option<Time> {
        Run::next_time(self)
    }
    fn advance_to(&mut self, t: Time) {
        Run::advance_to(self, t)
    }
    fn seek(&mut self, t: Time) {
        Run::seek(self, t)
    }
    fn step(&mut self) -> bool {
        Run::step(self)
    }
    fn step_back(&mut self) -> bool {
        Run::step_back(self)
    }
    fn apply_json(&mut self, command: &serde_json::Value) -> Result<(), String> {
        let cmd: S::Command = serde_json::from_value(command.clone())
            .map_err(|e| format!("not a command of the {} lab: {e}", S::LAB))?;
        self.apply(cmd).map_err(|r| r.0)
    }
    fn log_len(&self) -> usize {
        self.log().len()
    }
    fn log_time(&self, i: usize) -> Time {
        self.log().get(i).map_or(0, |e| e.time)
    }
    fn log_line(&self, i: usize) -> String {
        self.log().get(i).map(|e| e.line()).unwrap_or_default()
    }
    fn log_text(&self) -> String {
        Run::log_text(self)
    }
    fn digest(&self) -> String {
        Run::digest(self)
    }
    fn metrics(&self) -> Metrics {
        Run::metrics(self)
    }
    fn violation(&self) -> Option<(Time, usize, Violation)> {
        Run::violation(self).cloned()
    }
    fn inputs_len(&self) -> usize {
        self.inputs().len()
    }
    fn link(&self, view: &BTreeMap<String, String>) -> String {
        link::fragment(&payload_of(self, view))
    }
    fn fork(&self) -> Box<dyn LabRun> {
        Box::new(Run::fork(self))
    }
    fn reseed(&self, seed: u64) -> Box<dyn LabRun> {
        let scenario = S::with_seed(self.scenario(), seed);
        match Run::<S>::new(scenario) {
            Ok(r) => Box::new(r),
            Err(_) => Box::new(self.fork()),
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
