//! Orrery's simulation core: one deterministic engine contract and every lab built on it.
//!
//! The crate is sans-IO: it never reads a clock, never draws ambient randomness and never
//! touches a browser or the OS. Time comes in from the caller as integer simulated
//! milliseconds ([`Time`]); randomness comes from the run's own [`rng::Rng`].
//!
//! * [`sim`] holds the [`Simulation`] contract every lab implements.
//! * [`run`] wraps any simulation in a [`Run`]: record inputs, replay, step, seek, fork.
//! * [`link`] encodes and decodes share links.
//! * [`registry`] lists every lab behind an object-safe [`registry::LabRun`] so that
//!   cross-cutting tests, the command-line runner and the web app treat labs uniformly.
//! * [`elevator`] is the first lab.
//! * [`cache`] holds the cache lab: eviction policies, trace replay, and the live simulation
//!   of requests over time ([`cache::lab::CacheLab`]).
//! * [`collab`] holds the collaborative editing algorithms: operational transformation
//!   ([`collab::ot`]), the sequence CRDT ([`collab::crdt`]), editing-trace readers and a plain
//!   gap buffer, and the live lab of both side by side on one network
//!   ([`collab::lab::CollabLab`]).
//! * [`saga`] holds the saga lab: orchestration, choreography and two-phase commit of one
//!   business flow over a faulty bus, with outbox, idempotency and compensation.
//! * [`bench`] holds the simulation-speed benchmark shared by the native and wasm benches.

pub mod bench;
pub mod cache;
pub mod collab;
pub mod cron;
pub mod elevator;
pub mod gzip;
pub mod hash;
pub mod link;
pub mod metrics;
pub mod parking;
pub mod registry;
pub mod rng;
pub mod run;
pub mod saga;
pub mod script;
pub mod sim;

pub use metrics::Metrics;
pub use run::Run;
pub use sim::{Refusal, Simulation, Time, Violation};
