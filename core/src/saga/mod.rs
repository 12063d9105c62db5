//! The saga lab: one business flow (an order, a trip, a bank transfer, a payment) run across
//! services that each own their data, coordinated by an orchestrator, by choreography, or by
//! two-phase commit for contrast, over a bus that delays, drops, duplicates and reorders.
//!
//! ```text
//!            ┌──────────── saga log (durable) ───────────┐
//!            │  orchestrator: a state machine per saga   │
//!            └──────┬──────────────────────────▲─────────┘
//!           command │   at-least-once bus      │ reply
//!     ┌─────────────▼─────┐  (delay, drop,  ┌──┴───────────────────┐
//!     │ service           │   duplicate,    │ relay: outbox ──► bus │
//!     │  inbox (dedup)    │   reorder)      └──────────────────────┘
//!     │  local state ─────┼── one local transaction ──► outbox row
//!     └───────────────────┘
//! ```
//!
//! * [`flow`]: services, resource pools, the catalogue of local transactions and the built-in
//!   flows, with each step marked compensatable, pivot or retriable.
//! * [`lab`]: the live simulation ([`lab::SagaLab`], id `saga`): the bus, the services with
//!   inbox and outbox, the orchestrator with its log, choreography, two-phase commit, faults,
//!   invariants and metrics.
//! * [`check`]: many seeded runs with random faults, as `orrery saga check` and the property
//!   tests run them.
//!
//! Glossary:
//!
//! | term | meaning |
//! |---|---|
//! | compensation | a local transaction that semantically undoes a completed step |
//! | pivot | the go/no-go step: once it commits, the saga runs to the end |
//! | outbox | a table written in the same local transaction as the change; a relay publishes it |
//! | idempotent consumer | a consumer that records processed idempotency keys and absorbs repeats |
//! | semantic lock | a pending flag on data a saga changed but has not finished with |
//! | stuck | a saga not finished `stuck_after_ms` after it started, still waiting on something that can happen |
//! | lost | a saga that nothing in flight or scheduled can move, because a message it needed was lost |

pub mod check;
pub mod flow;
pub mod lab;

pub use flow::{Action, Flow, ServiceName, Step, StepKind, FLOWS};
pub use lab::{Command, Event, Mode, SagaLab, SagaStatus, Scenario};
