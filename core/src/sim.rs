//! The engine contract: what every lab implements so that [`crate::Run`] can drive it.
//!
//! A simulation is a state machine over integer simulated time. It changes on its own only at
//! deadlines it announces ([`Simulation::next_deadline`]), so a quiet hour costs nothing, and
//! from outside only through [`Simulation::apply`]. Everything it does is reported as events,
//! which the web app animates and tests snapshot one line each.
//!
//! ```text
//!   caller time t ──► advance_to(t) ──► events (time, seq) ──► log, view, metrics
//!   click / fault ──► apply(cmd) ─────► events, or a Refusal with a reason
//!                     check() ────────► first invariant violation, if any
//! ```

use std::fmt;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::metrics::Metrics;

/// Simulated time in milliseconds since the start of the run.
pub type Time = u64;

/// Formats a simulated time as seconds with millisecond precision, e.g. `12.345s`.
pub fn fmt_time(t: Time) -> String {
    format!("{}.{:03}s", t / 1000, t % 1000)
}

/// A command that the simulation declined, with a reason a person can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A broken invariant: which one, and what exactly was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub invariant: String,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.invariant, self.detail)
    }
}

/// Receives the events a simulation emits, stamped with the time they happened.
pub trait Emit<E> {
    fn emit(&mut self, time: Time, event: E);
}

impl<E> Emit<E> for Vec<(Time, E)> {
    fn emit(&mut self, time: Time, event: E) {
        self.push((time, event));
    }
}

/// The contract every lab implements.
///
/// Implementations must be deterministic: the same scenario and the same commands at the same
/// times produce the same events in the same order, natively and in wasm.
pub trait Simulation: Clone + 'static {
    /// Everything needed to start a run, including the seed. Missing fields take defaults so
    /// that old links keep loading.
    type Scenario: Serialize + DeserializeOwned + Default + Clone + fmt::Debug + PartialEq;
    /// An input from outside: a click, a typed character, an injected fault.
    type Command: Serialize + DeserializeOwned + Clone + fmt::Debug + PartialEq;
    /// Something that happened. `Display` prints it as one stable line of plain language.
    type Event: Clone + fmt::Debug + fmt::Display;

    /// The stable identifier used in links and on the command line, e.g. `"elevator"`.
    const LAB: &'static str;

    /// Builds the initial state, or explains which scenario field is out of range.
    fn new(scenario: &Self::Scenario) -> Result<Self, String>;
    /// The seed stored in a scenario.
    fn seed(scenario: &Self::Scenario) -> u64;
    /// Returns the scenario with another seed.
    fn with_seed(scenario: &Self::Scenario, seed: u64) -> Self::Scenario;
    /// The current simulated time.
    fn now(&self) -> Time;
    /// When the machine next changes on its own, if ever.
    fn next_deadline(&self) -> Option<Time>;
    /// Processes everything due up to and including `t` in a stable order, then sets the
    /// clock to `t`. `t` is never earlier than [`Simulation::now`].
    fn advance_to(&mut self, t: Time, out: &mut dyn Emit<Self::Event>);
    /// Applies an outside command at the current time.
    fn apply(
        &mut self,
        command: &Self::Command,
        out: &mut dyn Emit<Self::Event>,
    ) -> Result<(), Refusal>;
    /// The lab's invariants; returns the first one that does not hold.
    fn check(&self) -> Option<Violation>;
    /// Counters, gauges and histograms so far.
    fn metrics(&self) -> Metrics;
}
