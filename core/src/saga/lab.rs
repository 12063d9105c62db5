//! The saga lab's simulation: services with local state, an at-least-once bus, and one of three
//! coordinators (orchestrator, choreography, two-phase commit) running a flow for many sagas.
//!
//! ```text
//!   orchestration                          choreography                      two-phase commit
//!   orchestrator ──command──► service      client ──requested──► svc 0       coordinator ──prepare──► all
//!        ▲  saga log            │          svc k ──step k done──► svc k+1          ▲ votes (locks held)
//!        └──────reply───────────┘          svc k ──step k failed──► svc k-1        └─► commit / abort
//! ```
//!
//! **Services.** A local transaction changes the service's pools (see [`super::flow`]) and, with
//! idempotency on, records its idempotency key (saga, step, direction) in the service's inbox in
//! the same transaction; a message whose key is in the inbox is absorbed as a duplicate, and a
//! forward command arriving after its step was compensated is absorbed too. A duplicate is
//! absorbed silently (a dedup table), or, with `replay_replies` on, answered with the outcome
//! recorded for its key (an idempotency-key store, 001 Q81). With the outbox on, the reply or
//! event is written to the outbox table in the same transaction and a relay publishes it
//! `relay_ms` later (after recovery, if the service crashed); with it off, the service
//! publishes after committing, and a crash in between loses the message. (A lost reply is
//! then recovered only if the triggering message is redelivered and the duplicate answered
//! with its recorded outcome: the inbox doing the outbox's work.)
//!
//! **Bus.** Every published message is kept by the broker until its consumer acknowledges it:
//! a delivery attempt takes `delay_ms` plus up to `jitter_ms` (so messages overtake each other),
//! may be dropped, may be duplicated, and a message not acknowledged within `redeliver_ms` is
//! delivered again. Consumers acknowledge after processing; an acknowledgement may be lost
//! (with the drop probability), which is how at-least-once delivery produces duplicates.
//!
//! **Orchestrator.** Every decision is appended to a durable saga log first; the state machine
//! of each saga is a fold of its log records, so a recovering orchestrator rebuilds it from the
//! log and re-sends each saga's current command (same idempotency key). A command whose reply
//! does not arrive within `timeout_ms` is re-sent with exponential backoff; after
//! `max_attempts` its outcome is unknown and the saga compensates it too (compensating a step
//! that never ran is a recorded no-op). Compensation runs in reverse order over the steps that
//! completed (or, with `compensate: all`, the seeds' naive code: every compensatable step) and
//! is retried until it succeeds, up to `max_compensation_attempts` ("rollback incomplete").
//!
//! A pivot or retriable step is never given up on: it may have committed and cannot be undone,
//! so the orchestrator asks again until it hears Done or Declined.
//!
//! **The orchestrator's outbox.** The orchestrator appends a record to its log and sends the
//! command that record calls for: a dual write. With the outbox on, the command is a row of its
//! outbox written in the same local transaction as the log record, and its relay publishes it
//! (at once: the relay tails the orchestrator's own store). Timers live in memory, so a
//! recovering orchestrator has the relay publish the rows a crash left behind and re-sends each
//! other saga's current command (same idempotency key) with a fresh timeout. With the outbox
//! off, the log cannot say whether a command left before a crash; this orchestrator trusts its
//! log and waits for the reply, so a crash between the log write and the send (the
//! `crash_before_send` fault) loses the command, and a crash also loses any retry its timers
//! held.
//!
//! ```text
//!   outbox on:  [log record + outbox row] ─ one transaction ─► relay ─► bus    (crash: row kept)
//!   outbox off: [log record] ──► send ──► bus                                  (crash: command lost)
//! ```
//!
//! **Choreography.** Each service reacts to the previous step's event (or the client's
//! request) and publishes its own; a failure event travels back down the chain, each service
//! compensating its step and passing the failure on. Every message names its cause, so the
//! log is the causal chain. Nobody waits for replies: transient errors are retried by
//! redelivery with backoff, and a lost event is lost for good unless something redelivers it.
//!
//! **Two-phase commit.** The coordinator prepares the participants one after the other, in
//! the flow's order (each prepared step holds a lock on its service, so a second saga's
//! prepare there waits), logs commit when all vote yes and abort on a no or a timeout, and
//! sends the decision until every participant acknowledges it. While the coordinator is down
//! after the prepares, the participants can neither commit nor abort: they stay blocked,
//! holding their locks. A coordinator that restarts without a logged decision presumes abort.
//!
//! **Concurrent sagas.** All order sagas share one stock. With `isolation: none` a saga can be
//! declined for stock another saga holds and later releases (a dirty read, counted), and a
//! release that writes back the stock read before the reservation erases later reservations
//! (a lost update, which breaks conservation). With the semantic lock a saga waits while
//! another's reservation is pending; this serializes sagas on the stock, so sagas arriving
//! faster than the lock is released queue up (and, under long crashes, pile up).
//!
//! **Invariants** ([`SagaLab::check`]): every resource's pools sum to their initial total;
//! no step's effect is applied twice or undone twice; a Completed saga has every step applied
//! once and a Compensated saga none; every saga can finish; and a saga unfinished after
//! `stuck_after_ms` is reported as stuck.
//!
//! **Lost versus stuck.** A saga that lost a message (a publish lost in a crash, a command or
//! a retry lost with the orchestrator's memory) is a suspect. After every step the lab asks,
//! for each suspect, whether anything can still move it:
//!
//! | can move the saga | cannot |
//! |---|---|
//! | a reply, request or vote on the bus or in an outbox | a duplicate the service absorbs without answering |
//! | a command or event the service would run, or answer with its recorded outcome | a command for a step the orchestrator no longer waits for |
//! | a timer whose retries end in giving up (a compensatable step, a compensation) | retries of a pivot or retriable step that are all absorbed |
//! | a node down with no recovery planned (a person must act: stuck) | an orchestrator recovering without an outbox (it re-sends nothing) |
//!
//! A suspect nothing can move is **lost**, at that instant: a liveness violation ("every saga
//! can finish") naming the saga, its step and the lost message. A saga still waiting on
//! something that can happen is only reported **stuck** at its deadline.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::flow::{Amount, Effect, Flow, OrderStatus, Pool, Resource, ServiceName, StepKind};
use crate::metrics::Metrics;
use crate::rng::Rng;
use crate::sim::{fmt_time, Emit, Refusal, Simulation, Time, Violation};

/// A saga instance's number, from 1.
pub type SagaId = u32;
/// A message's number on the bus, from 1.
pub type MsgId = u64;

/// How the steps of a saga are coordinated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Orchestration,
    Choreography,
    TwoPhaseCommit,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Orchestration => "orchestration",
            Mode::Choreography => "choreography",
            Mode::TwoPhaseCommit => "two_phase_commit",
        }
    }

    pub fn from_name(s: &str) -> Option<Mode> {
        [
            Mode::Orchestration,
            Mode::Choreography,
            Mode::TwoPhaseCommit,
        ]
        .into_iter()
        .find(|m| m.name() == s)
    }
}

/// How concurrent sagas on the same stock are isolated from each other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// Reservations are visible at once (a saga may be declined for stock that another,
    /// later compensated saga held: a dirty read), and releasing a reservation restores the
    /// stock read before it (a before-image, which overwrites other sagas' reservations in
    /// between: a lost update).
    None,
    /// A reservation is pending until the saga ships or releases it; other sagas wait (retry)
    /// while one is pending, and a release adds the quantity back.
    #[default]
    SemanticLock,
}

/// Which steps a failing saga compensates (orchestration; in choreography each service
/// compensates its own step, and two-phase commit aborts every prepared one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compensate {
    /// Only the steps that completed, in reverse order.
    #[default]
    Completed,
    /// Every compensatable step in reverse, as the seeds' orchestrator code does.
    All,
}

/// The message bus's behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BusConfig {
    pub delay_ms: u64,
    /// Up to this much extra delay per delivery, drawn uniformly: messages overtake each other.
    pub jitter_ms: u64,
    /// Percent of delivery attempts and acknowledgements lost.
    pub drop_pct: u32,
    /// Percent of messages delivered twice.
    pub duplicate_pct: u32,
    /// An unacknowledged message is delivered again after this long.
    pub redeliver_ms: u64,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            delay_ms: 20,
            jitter_ms: 30,
            drop_pct: 0,
            duplicate_pct: 0,
            redeliver_ms: 3_000,
        }
    }
}

/// A fault injected into one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A business failure: payment declined, no seats.
    Decline,
    /// The service fails transiently this many times; a retry then succeeds.
    Transient { times: u32 },
    /// The step succeeds but its reply's first delivery is lost; the bus delivers it again
    /// after `redeliver_ms`, later than the orchestrator's timeout.
    LoseReply,
    /// The service crashes on receiving the command, before doing anything.
    Crash { for_ms: u64 },
    /// The service commits the step, then crashes before publishing its reply.
    CrashAfterCommit { for_ms: u64 },
    /// The step's compensation fails this many times before it succeeds.
    CompensationFailure { times: u32 },
    /// Two-phase commit: the coordinator crashes right after sending the prepares.
    CoordinatorCrash { for_ms: u64 },
    /// Orchestration: the orchestrator crashes after appending the record that makes this
    /// step its saga's next command to its log, before the command leaves (see
    /// [`SagaLab`]'s orchestrator outbox).
    CrashBeforeSend { for_ms: u64 },
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::Decline => f.write_str("decline"),
            FaultKind::Transient { times } => write!(f, "transient error ×{times}"),
            FaultKind::LoseReply => f.write_str("lose the reply"),
            FaultKind::Crash { for_ms } => write!(f, "crash for {}", fmt_time(*for_ms)),
            FaultKind::CrashAfterCommit { for_ms } => {
                write!(f, "crash after commit for {}", fmt_time(*for_ms))
            }
            FaultKind::CompensationFailure { times } => {
                write!(f, "compensation failure ×{times}")
            }
            FaultKind::CoordinatorCrash { for_ms } => {
                write!(
                    f,
                    "coordinator crash after prepare for {}",
                    fmt_time(*for_ms)
                )
            }
            FaultKind::CrashBeforeSend { for_ms } => write!(
                f,
                "orchestrator crash between its log write and the send for {}",
                fmt_time(*for_ms)
            ),
        }
    }
}

/// A one-shot fault: the first time `step` runs (for `saga`, or any saga) it fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub saga: Option<SagaId>,
    pub step: String,
    pub kind: FaultKind,
}

/// Who can crash: the orchestrator (the coordinator in two-phase commit) or a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    Client,
    Orchestrator,
    #[serde(untagged)]
    Service(ServiceName),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Client => f.write_str("client"),
            Node::Orchestrator => f.write_str("orchestrator"),
            Node::Service(s) => f.write_str(s.name()),
        }
    }
}

/// A crash planned in the scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedCrash {
    pub at_ms: Time,
    pub node: Node,
    pub for_ms: u64,
}

/// Everything needed to start a run of the saga lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub seed: u64,
    /// A built-in flow ([`super::flow::FLOWS`]) or `"custom"` for [`Scenario::custom_flow`].
    pub flow: String,
    pub custom_flow: Option<Flow>,
    pub mode: Mode,
    pub outbox: bool,
    pub idempotency: bool,
    /// An absorbed duplicate is answered with the outcome recorded for its key (the
    /// idempotency-key store of 001 Q81), instead of being dropped silently (a plain dedup
    /// table): a retry then recovers a reply lost in a crash, even without an outbox.
    pub replay_replies: bool,
    pub isolation: Isolation,
    pub compensate: Compensate,
    /// How many sagas start (0: no limit), one every `every_ms` from `first_at_ms`.
    pub sagas: u32,
    pub every_ms: u64,
    pub first_at_ms: Time,
    /// Each order is for 1 to this many items; its price is `unit_price` per item.
    pub max_quantity: u32,
    pub unit_price: u64,
    pub stock: i64,
    pub funds: i64,
    pub seats: i64,
    pub rooms: i64,
    pub bus: BusConfig,
    pub timeout_ms: u64,
    pub max_attempts: u32,
    pub backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub max_compensation_attempts: u32,
    pub relay_ms: u64,
    pub stuck_after_ms: u64,
    pub faults: Vec<Fault>,
    pub crashes: Vec<PlannedCrash>,
    /// Percent chance that each step of each saga gets a random fault (drawn from the seed),
    /// and that each saga sees an orchestrator crash.
    pub chaos_pct: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            flow: "order".into(),
            custom_flow: None,
            mode: Mode::Orchestration,
            outbox: true,
            idempotency: true,
            replay_replies: false,
            isolation: Isolation::SemanticLock,
            compensate: Compensate::Completed,
            sagas: 0,
            every_ms: 10_000,
            first_at_ms: 1_000,
            max_quantity: 3,
            unit_price: 50,
            stock: 2_000,
            funds: 1_000_000,
            seats: 1_000,
            rooms: 1_000,
            bus: BusConfig::default(),
            timeout_ms: 2_000,
            max_attempts: 4,
            backoff_ms: 250,
            max_backoff_ms: 8_000,
            max_compensation_attempts: 10,
            relay_ms: 50,
            stuck_after_ms: 300_000,
            faults: Vec::new(),
            crashes: Vec::new(),
            chaos_pct: 0,
        }
    }
}

fn in_range(name: &str, v: u64, lo: u64, hi: u64) -> Result<(), String> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(format!("{name} must be between {lo} and {hi}, not {v}"))
    }
}

impl Scenario {
    /// The flow the scenario names, or why it cannot run.
    pub fn resolve_flow(&self) -> Result<Flow, String> {
        let flow = if self.flow == "custom" {
            self.custom_flow
                .clone()
                .ok_or("flow: \"custom\" needs custom_flow")?
        } else {
            Flow::builtin(&self.flow).ok_or_else(|| {
                format!(
                    "flow: no flow {:?}; flows: {}, custom",
                    self.flow,
                    super::flow::FLOWS.join(", ")
                )
            })?
        };
        flow.validate().map_err(|e| format!("custom_flow: {e}"))?;
        Ok(flow)
    }

    /// Explains which field is out of range.
    pub fn validate(&self) -> Result<Flow, String> {
        let flow = self.resolve_flow()?;
        in_range("every_ms", self.every_ms, 1, 3_600_000)?;
        in_range("first_at_ms", self.first_at_ms, 0, 3_600_000)?;
        in_range("max_quantity", self.max_quantity as u64, 1, 1_000)?;
        in_range("unit_price", self.unit_price, 0, 1_000_000)?;
        for (name, v) in [
            ("stock", self.stock),
            ("funds", self.funds),
            ("seats", self.seats),
            ("rooms", self.rooms),
        ] {
            in_range(name, v.max(-1) as u64, 0, 1_000_000_000_000)
                .map_err(|_| format!("{name} must be between 0 and 10^12, not {v}"))?;
        }
        let b = &self.bus;
        in_range("bus.delay_ms", b.delay_ms, 0, 60_000)?;
        in_range("bus.jitter_ms", b.jitter_ms, 0, 60_000)?;
        in_range("bus.drop_pct", b.drop_pct as u64, 0, 90)?;
        in_range("bus.duplicate_pct", b.duplicate_pct as u64, 0, 100)?;
        in_range("bus.redeliver_ms", b.redeliver_ms, 1, 600_000)?;
        in_range("timeout_ms", self.timeout_ms, 1, 600_000)?;
        in_range("max_attempts", self.max_attempts as u64, 1, 100)?;
        in_range("backoff_ms", self.backoff_ms, 1, 600_000)?;
        in_range("max_backoff_ms", self.max_backoff_ms, 1, 3_600_000)?;
        in_range(
            "max_compensation_attempts",
            self.max_compensation_attempts as u64,
            1,
            1_000,
        )?;
        in_range("relay_ms", self.relay_ms, 1, 600_000)?;
        in_range("stuck_after_ms", self.stuck_after_ms, 1_000, 86_400_000)?;
        in_range("chaos_pct", self.chaos_pct as u64, 0, 100)?;
        for (i, f) in self.faults.iter().enumerate() {
            check_fault(&flow, f).map_err(|e| format!("faults[{i}]: {e}"))?;
        }
        for (i, c) in self.crashes.iter().enumerate() {
            if c.node == Node::Client {
                return Err(format!("crashes[{i}]: the client does not crash"));
            }
            in_range(&format!("crashes[{i}].for_ms"), c.for_ms, 1, 86_400_000)?;
        }
        Ok(flow)
    }
}

fn check_fault(flow: &Flow, f: &Fault) -> Result<(), String> {
    if !flow.steps.iter().any(|s| s.name == f.step) {
        let names: Vec<&str> = flow.steps.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "no step {:?} in flow {}; steps: {}",
            f.step,
            flow.name,
            names.join(", ")
        ));
    }
    match f.kind {
        FaultKind::Transient { times } | FaultKind::CompensationFailure { times }
            if !(1..=1_000).contains(&times) =>
        {
            Err(format!("times must be between 1 and 1000, not {times}"))
        }
        FaultKind::Crash { for_ms }
        | FaultKind::CrashAfterCommit { for_ms }
        | FaultKind::CoordinatorCrash { for_ms }
        | FaultKind::CrashBeforeSend { for_ms }
            if !(1..=86_400_000).contains(&for_ms) =>
        {
            Err(format!(
                "for_ms must be between 1 and 86400000, not {for_ms}"
            ))
        }
        _ => Ok(()),
    }
}

/// A click or a fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Starts one more saga now.
    StartSaga,
    /// Arms a one-shot fault on a step.
    Inject {
        fault: Fault,
    },
    /// Crashes a node now; it recovers after `for_ms`, or on `recover` when absent.
    Crash {
        node: Node,
        #[serde(default)]
        for_ms: Option<u64>,
    },
    Recover {
        node: Node,
    },
    /// Changes the bus's loss, duplication, jitter and base delay.
    Bus {
        #[serde(default)]
        drop_pct: Option<u32>,
        #[serde(default)]
        duplicate_pct: Option<u32>,
        #[serde(default)]
        jitter_ms: Option<u64>,
        /// Left out of the command's JSON when absent, so the log lines of runs recorded
        /// before it existed stay byte-identical.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delay_ms: Option<u64>,
    },
    /// Delivers the next message published twice.
    DuplicateNext,
    /// Loses the next message's first delivery attempt.
    DropNext,
    Outbox {
        on: bool,
    },
    Idempotency {
        on: bool,
    },
}

/// Forward step or its compensation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Forward,
    Compensate,
}

/// The idempotency key of one direction of one step of one saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub saga: SagaId,
    pub step: u8,
    pub phase: Phase,
}

/// How a local transaction ended, as a reply or a vote carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Declined,
    /// A transient error: try again.
    Failed,
    /// Another saga holds a lock on what this step needs: try again later.
    Busy,
}

impl Outcome {
    /// The word for it as a two-phase-commit vote.
    fn vote(self) -> &'static str {
        match self {
            Outcome::Done => "yes",
            Outcome::Declined => "no",
            Outcome::Failed => "failed",
            Outcome::Busy => "busy",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Declined => "declined",
            Outcome::Failed => "failed",
            Outcome::Busy => "busy",
        }
    }
}

/// What happened, as a choreography event says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Happened {
    Requested,
    Done(u8),
    Failed(u8),
    Compensated(u8),
}

/// What a message says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    Command(Key),
    Reply(Key, Outcome),
    Event(SagaId, Happened),
    Prepare(Key),
    Vote(Key, Outcome),
    Decision(Key, bool),
    Ack(Key),
}

impl Body {
    /// The saga the message belongs to.
    pub fn saga(&self) -> SagaId {
        match *self {
            Body::Command(k)
            | Body::Reply(k, _)
            | Body::Prepare(k)
            | Body::Vote(k, _)
            | Body::Decision(k, _)
            | Body::Ack(k) => k.saga,
            Body::Event(s, _) => s,
        }
    }
}

/// One message on the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: MsgId,
    pub from: Node,
    pub to: Node,
    pub body: Body,
    /// The message whose handling produced this one: the causal chain.
    pub cause: Option<MsgId>,
    pub attempt: u32,
    /// The lose-reply fault: the first delivery attempt is lost.
    pub lose_first: bool,
}

/// Where a saga instance is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaStatus {
    Running,
    Compensating,
    Completed,
    Compensated,
    /// A compensation kept failing: a person must finish the rollback.
    RollbackIncomplete,
}

impl SagaStatus {
    pub fn name(self) -> &'static str {
        match self {
            SagaStatus::Running => "running",
            SagaStatus::Compensating => "compensating",
            SagaStatus::Completed => "completed",
            SagaStatus::Compensated => "compensated",
            SagaStatus::RollbackIncomplete => "rollback incomplete",
        }
    }

    pub fn finished(self) -> bool {
        matches!(self, SagaStatus::Completed | SagaStatus::Compensated)
    }
}

/// A step's name, shared between the flow and the events that mention it.
pub type Name = Arc<str>;

/// Something that happened in the saga lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    SagaStarted {
        saga: SagaId,
        quantity: u32,
        price: u64,
    },
    Sent {
        msg: Message,
        what: Name,
    },
    Dropped {
        msg: MsgId,
        to: Node,
    },
    AckLost {
        msg: MsgId,
        by: Node,
    },
    Redelivered {
        msg: MsgId,
        to: Node,
    },
    Unavailable {
        msg: MsgId,
        to: Node,
    },
    Committed {
        service: ServiceName,
        saga: SagaId,
        step: Name,
        phase: Phase,
        state: String,
        /// Committed, prepared (two-phase commit) or rolled back.
        verb: &'static str,
    },
    NothingToUndo {
        service: ServiceName,
        saga: SagaId,
        step: Name,
    },
    Declined {
        service: ServiceName,
        saga: SagaId,
        step: Name,
        reason: &'static str,
    },
    TransientError {
        service: ServiceName,
        saga: SagaId,
        step: Name,
        phase: Phase,
    },
    Locked {
        service: ServiceName,
        saga: SagaId,
        step: Name,
        holder: SagaId,
    },
    Absorbed {
        service: ServiceName,
        msg: MsgId,
        saga: SagaId,
        step: Name,
        late: bool,
        /// Answered with the outcome recorded for its key.
        replayed: bool,
    },
    LostPublish {
        service: ServiceName,
        saga: SagaId,
        step: Name,
    },
    Relayed {
        service: ServiceName,
        count: u32,
    },
    /// The orchestrator crashed after logging the step that is its saga's next command and
    /// before the command left: in its outbox (`outboxed`), or lost.
    CrashBeforeSend {
        saga: SagaId,
        step: Name,
        outboxed: bool,
    },
    /// The orchestrator's relay published commands a crash left in its outbox.
    OrchestratorRelayed {
        count: u32,
    },
    /// A recovered orchestrator without an outbox resumes a saga waiting for a reply: its log
    /// cannot tell whether the command left before the crash, so it sends nothing.
    Waiting {
        saga: SagaId,
        step: Name,
        phase: Phase,
    },
    /// Nothing in flight or scheduled can move the saga any more: a message it needs was lost.
    Lost {
        saga: SagaId,
        detail: String,
    },
    Timeout {
        saga: SagaId,
        step: Name,
        phase: Phase,
        attempt: u32,
    },
    GaveUp {
        saga: SagaId,
        step: Name,
    },
    Compensating {
        saga: SagaId,
        steps: Vec<Name>,
    },
    LateReply {
        saga: SagaId,
        step: Name,
    },
    Finished {
        saga: SagaId,
        status: SagaStatus,
        after_ms: Time,
    },
    Stuck {
        saga: SagaId,
        detail: String,
    },
    Crashed {
        node: Node,
        until: Option<Time>,
    },
    Recovered {
        node: Node,
        resumed: u32,
    },
    DirtyRead {
        saga: SagaId,
        read_from: SagaId,
    },
    LostUpdate {
        saga: SagaId,
        overwritten: i64,
    },
    Voted {
        service: ServiceName,
        saga: SagaId,
        step: Name,
        vote: Outcome,
    },
    Released {
        service: ServiceName,
        saga: SagaId,
        step: Name,
        commit: bool,
    },
    Decided {
        saga: SagaId,
        commit: bool,
    },
    FaultArmed {
        fault: String,
    },
    Setting {
        what: String,
    },
}

fn phase_word(p: Phase) -> &'static str {
    match p {
        Phase::Forward => "",
        Phase::Compensate => "undo ",
    }
}

fn body_text(b: &Body, what: &str) -> String {
    match *b {
        Body::Command(k) => format!("{}{what} (saga {})", phase_word(k.phase), k.saga),
        Body::Reply(k, o) => format!(
            "{}{what}: {} (saga {})",
            phase_word(k.phase),
            o.name(),
            k.saga
        ),
        Body::Event(s, h) => match h {
            Happened::Requested => format!("saga {s} requested"),
            Happened::Done(_) => format!("{what} done (saga {s})"),
            Happened::Failed(_) => format!("{what} failed (saga {s})"),
            Happened::Compensated(_) => format!("{what} compensated (saga {s})"),
        },
        Body::Prepare(k) => format!("prepare {what} (saga {})", k.saga),
        Body::Vote(k, o) => format!("vote {what}: {} (saga {})", o.vote(), k.saga),
        Body::Decision(k, c) => format!(
            "{} {what} (saga {})",
            if c { "commit" } else { "abort" },
            k.saga
        ),
        Body::Ack(k) => format!("ack {what} (saga {})", k.saga),
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::SagaStarted { saga, quantity, price } => {
                let items = if *quantity == 1 { "item" } else { "items" };
                write!(f, "saga {saga} started: {quantity} {items} for {price}")
            }
            Event::Sent { msg, what } => {
                write!(f, "#{} {} → {}: {}", msg.id, msg.from, msg.to, body_text(&msg.body, what))?;
                if msg.attempt > 1 {
                    write!(f, ", attempt {}", msg.attempt)?;
                }
                if let Some(c) = msg.cause {
                    write!(f, " [caused by #{c}]")?;
                }
                Ok(())
            }
            Event::Dropped { msg, to } => write!(f, "#{msg} to {to} lost in transit"),
            Event::AckLost { msg, by } => write!(f, "#{msg}: the acknowledgement from {by} was lost"),
            Event::Redelivered { msg, to } => write!(f, "#{msg} not acknowledged: redelivering to {to}"),
            Event::Unavailable { msg, to } => write!(f, "#{msg} not delivered: {to} is down"),
            Event::Committed { service, saga, step, phase, state, verb } => write!(
                f,
                "{service}: {verb} {}{step} for saga {saga} ({state})",
                if *verb == "committed" { phase_word(*phase) } else { "" },
                service = service.name()
            ),
            Event::NothingToUndo { service, saga, step } => write!(
                f,
                "{}: nothing to undo for {step} of saga {saga} (it never ran here)",
                service.name()
            ),
            Event::Declined { service, saga, step, reason } => {
                write!(f, "{}: {step} for saga {saga} declined: {reason}", service.name())
            }
            Event::TransientError { service, saga, step, phase } => write!(
                f,
                "{}: {}{step} for saga {saga} failed (transient)",
                service.name(),
                phase_word(*phase)
            ),
            Event::Locked { service, saga, step, holder } => write!(
                f,
                "{}: {step} for saga {saga} waits: saga {holder} holds a lock",
                service.name()
            ),
            Event::Absorbed { service, msg, saga, step, late, replayed } => {
                write!(f, "{}: duplicate #{msg} ({step}, saga {saga}) absorbed", service.name())?;
                if *late {
                    f.write_str(": the step was already compensated")?;
                }
                if *replayed {
                    f.write_str(", answered with the recorded outcome")?;
                }
                Ok(())
            }
            Event::LostPublish { service, saga, step } => write!(
                f,
                "{}: crashed after committing {step} for saga {saga}: the message was never published",
                service.name()
            ),
            Event::Relayed { service, count } => {
                let rows = if *count == 1 { "row" } else { "rows" };
                write!(f, "{}: relay published {count} outbox {rows}", service.name())
            }
            Event::CrashBeforeSend { saga, step, outboxed: true } => write!(
                f,
                "orchestrator: crashed after logging {step} for saga {saga}: the command waits in its outbox"
            ),
            Event::CrashBeforeSend { saga, step, outboxed: false } => write!(
                f,
                "orchestrator: crashed after logging {step} for saga {saga}: the command was never sent"
            ),
            Event::OrchestratorRelayed { count } => {
                let rows = if *count == 1 { "row" } else { "rows" };
                write!(f, "orchestrator: relay published {count} outbox {rows}")
            }
            Event::Waiting { saga, step, phase } => write!(
                f,
                "orchestrator: saga {saga} waits for the reply to {}{step} (without an outbox its log cannot tell whether the command was sent)",
                phase_word(*phase)
            ),
            Event::Lost { saga, detail } => write!(f, "saga {saga} LOST: {detail}"),
            Event::Timeout { saga, step, phase, attempt } => write!(
                f,
                "orchestrator: no reply to {}{step} of saga {saga} (attempt {attempt})",
                phase_word(*phase)
            ),
            Event::GaveUp { saga, step } => write!(
                f,
                "orchestrator: gave up on {step} of saga {saga}: outcome unknown, compensating it too"
            ),
            Event::Compensating { saga, steps } => {
                write!(f, "saga {saga} compensates ")?;
                if steps.is_empty() {
                    return f.write_str("nothing: no step completed");
                }
                for (i, s) in steps.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(s)?;
                }
                Ok(())
            }
            Event::LateReply { saga, step } => {
                write!(f, "orchestrator: late reply to {step} of saga {saga} ignored")
            }
            Event::Finished { saga, status, after_ms } => {
                write!(f, "saga {saga} {} after {}", status.name(), fmt_time(*after_ms))
            }
            Event::Stuck { saga, detail } => write!(f, "saga {saga} STUCK: {detail}"),
            Event::Crashed { node, until: Some(t) } => {
                write!(f, "{node} crashed (down until {})", fmt_time(*t))
            }
            Event::Crashed { node, until: None } => write!(f, "{node} crashed"),
            Event::Recovered { node, resumed } => {
                write!(f, "{node} recovered")?;
                if *resumed > 0 {
                    write!(f, ", resumed {resumed} sagas from its log")?;
                }
                Ok(())
            }
            Event::DirtyRead { saga, read_from } => write!(
                f,
                "dirty read: saga {saga} was declined for stock that saga {read_from} held and has now released"
            ),
            Event::LostUpdate { saga, overwritten } => write!(
                f,
                "lost update: saga {saga}'s release wrote back the stock it read before reserving, so {overwritten} items reserved since are counted in stock too"
            ),
            Event::Voted { service, saga, step, vote } => {
                write!(f, "{}: votes {} on {step} of saga {saga}", service.name(), vote.vote())
            }
            Event::Released { service, saga, step, commit } => write!(
                f,
                "{}: {} {step} of saga {saga}, lock released",
                service.name(),
                if *commit { "commits" } else { "aborts" }
            ),
            Event::Decided { saga, commit } => write!(
                f,
                "coordinator: saga {saga} decided {}",
                if *commit { "commit" } else { "abort" }
            ),
            Event::FaultArmed { fault } => write!(f, "fault armed: {fault}"),
            Event::Setting { what } => f.write_str(what),
        }
    }
}

/// One service's durable state.
#[derive(Clone, Debug)]
pub struct Service {
    pub name: ServiceName,
    pub up: bool,
    down_epoch: u64,
    /// Idempotency keys of processed messages (with idempotency on).
    /// The outcome recorded with each key: what a duplicate is answered with when
    /// [`Scenario::replay_replies`] is on.
    pub inbox: BTreeMap<Key, Outcome>,
    /// Messages written in a local transaction, waiting for the relay.
    pub outbox: VecDeque<Message>,
    relay_scheduled: bool,
    /// Two-phase commit: steps prepared and waiting for the decision, holding their locks.
    pub locks: BTreeSet<Key>,
    /// Two-phase commit: the vote given per key.
    votes: BTreeMap<Key, Outcome>,
}

/// The orchestrator's durable log records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEntry {
    Started,
    StepDone(u8),
    StepFailed(u8),
    GaveUp(u8),
    Compensated(u8),
    RollbackIncomplete,
    Vote(u8, bool),
    Decision(bool),
    Acked(u8),
    Finished(bool),
}

/// One saga's state machine as the orchestrator holds it: a fold of its log records.
#[derive(Clone, Debug, Default)]
struct OrchSaga {
    step: u8,
    compensating: bool,
    completed: u32,
    to_compensate: VecDeque<u8>,
    finished: bool,
    /// Volatile: the attempt of the current command.
    attempt: u32,
    yes: u32,
    no: bool,
    decision: Option<bool>,
    acked: u32,
    /// Two-phase commit, volatile: the attempt of each participant's current message.
    attempts: [u32; super::flow::MAX_STEPS],
}

impl OrchSaga {
    fn attempt_of(&self, step: u8) -> u32 {
        self.attempts[step as usize]
    }

    fn set_attempt(&mut self, step: u8, attempt: u32) {
        self.attempts[step as usize] = attempt;
    }
}

/// How a local transaction went.
#[derive(Clone, Copy, Debug)]
struct Tx {
    outcome: Outcome,
    /// The crash-after-commit fault fired: the service goes down for this long.
    crash_after: Option<u64>,
    /// The lose-reply fault fired.
    lose_reply: bool,
    /// A duplicate absorbed by the inbox: nothing was done and nothing is published.
    absorbed: bool,
    /// The inbox holds an outcome for the key that a duplicate may be answered with.
    recorded: bool,
}

impl Tx {
    fn of(outcome: Outcome) -> Tx {
        Tx {
            outcome,
            crash_after: None,
            lose_reply: false,
            absorbed: false,
            recorded: false,
        }
    }
}

/// The lab's view of one saga.
#[derive(Clone, Debug)]
pub struct SagaInfo {
    pub id: SagaId,
    pub status: SagaStatus,
    pub started: Time,
    pub finished: Option<Time>,
    pub quantity: u32,
    pub price: u64,
    /// The step being worked on, and whether forward or compensating.
    pub at: (u8, Phase),
    pub stuck: bool,
    /// Nothing in flight or scheduled can move it: a message it needed was lost.
    pub lost: bool,
    /// `(time, state)` transitions of the saga's state machine.
    pub history: Vec<(Time, String)>,
}

#[derive(Clone, Debug)]
enum Pending {
    /// A delivery attempt; `true` when this attempt is lost (the lose-reply fault).
    Deliver(Message, bool),
    AckDeadline(MsgId),
    OrchTimeout {
        key: Key,
        attempt: u32,
        epoch: u64,
    },
    OrchSend {
        key: Key,
        attempt: u32,
        epoch: u64,
    },
    Relay(ServiceName),
    Recover(Node, u64),
    Crash(Node, u64),
    StartSaga,
    StuckCheck(SagaId),
}

#[derive(Clone, Debug)]
struct Unacked {
    msg: Message,
    next: Time,
    deliveries: u32,
}

/// Counters behind [`SagaLab::metrics`].
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub started: u64,
    pub completed: u64,
    pub compensated: u64,
    pub rollback_incomplete: u64,
    pub stuck: u64,
    pub messages_sent: u64,
    pub deliveries: u64,
    pub dropped: u64,
    pub redelivered: u64,
    pub duplicates_absorbed: u64,
    pub retries: u64,
    pub timeouts: u64,
    pub lost_publishes: u64,
    /// Sagas that can never finish because a message they needed was lost.
    pub lost_sagas: u64,
    pub dirty_reads: u64,
    pub lost_updates: u64,
}

/// The saga lab. See the module documentation.
#[derive(Clone)]
pub struct SagaLab {
    scenario: Scenario,
    flow: Flow,
    names: Vec<Name>,
    now: Time,
    seq: u64,
    next_msg: MsgId,
    queue: BTreeMap<(Time, u64), Pending>,
    unacked: BTreeMap<MsgId, Unacked>,
    bus: BusConfig,
    bus_rng: Rng,
    chaos_rng: Rng,
    order_rng: Rng,
    duplicate_next: bool,
    drop_next: bool,
    outbox: bool,
    idempotency: bool,
    pub services: Vec<Service>,
    /// Pool balances, indexed by [`Pool::index`].
    pools: [i64; 14],
    totals: [i64; 4],
    orders: BTreeMap<SagaId, OrderStatus>,
    /// Net applications of each step's effect: +1 forward, -1 compensation.
    applied: BTreeMap<(SagaId, u8), i32>,
    /// The semantic lock on the stock: the saga whose reservation is pending.
    stock_lock: Option<SagaId>,
    /// Stock read before each saga's reservation (the before-image).
    before_image: BTreeMap<SagaId, i64>,
    /// Uncommitted reservations, and the sagas declined while each was visible.
    pending_reservations: BTreeMap<SagaId, Vec<SagaId>>,
    orch_up: bool,
    orch_epoch: u64,
    log: Vec<(SagaId, LogEntry)>,
    /// The log's index by saga: the positions of each unfinished saga's records, and the sagas
    /// whose last record finished them. Recovery folds only the unfinished sagas' records.
    log_open: BTreeMap<SagaId, Vec<u32>>,
    log_closed: BTreeSet<SagaId>,
    /// Commands written with their log record and not yet relayed (only a crash leaves any).
    orch_outbox: VecDeque<Message>,
    orch: BTreeMap<SagaId, OrchSaga>,
    faults: Vec<Fault>,
    /// Each saga's view, shared between a run's checkpoints until it changes (copy on write):
    /// a finished saga's history is stored once, however many checkpoints hold it.
    sagas: BTreeMap<SagaId, Arc<SagaInfo>>,
    started: u32,
    /// Sagas started by the schedule (not by hand).
    periodic: u32,
    safety: Option<Violation>,
    /// Sagas that lost a message they may need, with the latest loss: checked after every
    /// step until they finish or nothing can move them any more.
    suspects: BTreeMap<SagaId, String>,
    /// The first saga that nothing can move any more.
    liveness: Option<Violation>,
    stuck_violation: Option<Violation>,
    pub counters: Counters,
    /// How the next local transaction's event names it: committed, prepared, rolled back.
    verb: &'static str,
    step_attempts: Vec<u64>,
    step_failures: Vec<u64>,
    completion_ms: crate::metrics::Histogram,
    /// When each recent message reached its receiver (every delivery, duplicates included),
    /// for drawing; the oldest are forgotten past [`DELIVERIES_KEPT`] messages. Not in the log.
    delivered: BTreeMap<MsgId, Vec<Time>>,
}

/// How many messages' delivery times [`SagaLab::delivered_at`] remembers.
pub const DELIVERIES_KEPT: usize = 4_096;

fn bit(step: u8) -> u32 {
    1 << step
}

impl SagaLab {
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    pub fn sagas(&self) -> &BTreeMap<SagaId, Arc<SagaInfo>> {
        &self.sagas
    }

    pub fn pool(&self, p: Pool) -> i64 {
        self.pools[p.index()]
    }

    pub fn order(&self, saga: SagaId) -> Option<OrderStatus> {
        self.orders.get(&saga).copied()
    }

    /// The orchestrator's durable log.
    pub fn saga_log(&self) -> &[(SagaId, LogEntry)] {
        &self.log
    }

    pub fn orchestrator_up(&self) -> bool {
        self.orch_up
    }

    /// The bus as it behaves now (the `bus` command changes it).
    pub fn bus(&self) -> &BusConfig {
        &self.bus
    }

    pub fn outbox_on(&self) -> bool {
        self.outbox
    }

    pub fn idempotency_on(&self) -> bool {
        self.idempotency
    }

    /// Messages on the bus not yet acknowledged, oldest first.
    pub fn unacked(&self) -> impl Iterator<Item = &Message> {
        self.unacked.values().map(|u| &u.msg)
    }

    /// The resources' totals at the start, which their pools must always sum to.
    pub fn total(&self, r: Resource) -> i64 {
        self.totals[r as usize]
    }

    /// When a message reached its receiver, once per delivery (a duplicate twice); empty while
    /// it is in flight, when it was lost or its receiver was down, or when it is older than the
    /// last [`DELIVERIES_KEPT`] messages delivered.
    pub fn delivered_at(&self, msg: MsgId) -> &[Time] {
        self.delivered.get(&msg).map_or(&[], Vec::as_slice)
    }

    /// Whether anything is still scheduled.
    pub fn quiet(&self) -> bool {
        self.queue.is_empty()
    }

    /// The first broken safety invariant (conservation, double application, inconsistent
    /// end state), leaving out stuck sagas.
    pub fn safety_violation(&self) -> Option<&Violation> {
        self.safety.as_ref()
    }

    fn name(&self, step: u8) -> Name {
        self.names[step as usize].clone()
    }

    fn schedule(&mut self, at: Time, p: Pending) {
        self.seq += 1;
        self.queue.insert((at, self.seq), p);
    }

    fn backoff(&self, attempt: u32) -> u64 {
        let shift = attempt.saturating_sub(1).min(20);
        (self.scenario.backoff_ms << shift).min(self.scenario.max_backoff_ms)
    }

    fn violate(&mut self, invariant: &str, detail: String) {
        if self.safety.is_none() {
            self.safety = Some(Violation {
                invariant: invariant.into(),
                detail,
            });
        }
    }

    fn set_state(&mut self, saga: SagaId, at: (u8, Phase), status: SagaStatus) {
        let now = self.now;
        let name = self.names[at.0 as usize].clone();
        if let Some(info) = self.sagas.get_mut(&saga) {
            if info.status.finished() || info.status == SagaStatus::RollbackIncomplete {
                return;
            }
            let info = Arc::make_mut(info);
            let label = match (status, at.1) {
                (SagaStatus::Running, _) => format!("{name}"),
                (SagaStatus::Compensating, _) => format!("undo {name}"),
                (s, _) => s.name().to_string(),
            };
            if info.history.last().map(|h| &h.1) != Some(&label) {
                info.history.push((now, label));
            }
            info.at = at;
            info.status = status;
        }
    }

    // ---------------------------------------------------------------- the bus

    fn publish(&mut self, mut msg: Message, out: &mut dyn Emit<Event>) {
        self.next_msg += 1;
        msg.id = self.next_msg;
        self.counters.messages_sent += 1;
        let what = self.msg_step_name(&msg.body);
        out.emit(
            self.now,
            Event::Sent {
                msg: msg.clone(),
                what,
            },
        );
        let redeliver = self.now + self.bus.redeliver_ms;
        self.unacked.insert(
            msg.id,
            Unacked {
                msg: msg.clone(),
                next: redeliver,
                deliveries: 0,
            },
        );
        self.schedule(redeliver, Pending::AckDeadline(msg.id));
        if std::mem::take(&mut self.drop_next) {
            msg.lose_first = true;
        }
        let dup = std::mem::take(&mut self.duplicate_next)
            || (self.bus.duplicate_pct > 0
                && self.bus_rng.chance(self.bus.duplicate_pct as u64, 100));
        let t = self.now + self.delay();
        let lose = std::mem::take(&mut msg.lose_first);
        if dup {
            let t = self.now + self.delay();
            self.schedule(t, Pending::Deliver(msg.clone(), false));
        }
        self.schedule(t, Pending::Deliver(msg, lose));
    }

    fn delay(&mut self) -> u64 {
        let j = if self.bus.jitter_ms > 0 {
            self.bus_rng.below(self.bus.jitter_ms + 1)
        } else {
            0
        };
        self.bus.delay_ms + j
    }

    fn lost(&mut self) -> bool {
        self.bus.drop_pct > 0 && self.bus_rng.chance(self.bus.drop_pct as u64, 100)
    }

    fn msg_step_name(&self, b: &Body) -> Name {
        let step = match *b {
            Body::Command(k)
            | Body::Reply(k, _)
            | Body::Prepare(k)
            | Body::Vote(k, _)
            | Body::Decision(k, _)
            | Body::Ack(k) => k.step,
            Body::Event(_, Happened::Requested) => 0,
            Body::Event(_, Happened::Done(s) | Happened::Failed(s) | Happened::Compensated(s)) => s,
        };
        self.name(step)
    }

    fn node_up(&self, n: Node) -> bool {
        match n {
            Node::Client => true,
            Node::Orchestrator => self.orch_up,
            Node::Service(s) => self.services[s.index()].up,
        }
    }

    fn deliver(&mut self, msg: Message, lose: bool, out: &mut dyn Emit<Event>) {
        if lose || self.lost() {
            out.emit(
                self.now,
                Event::Dropped {
                    msg: msg.id,
                    to: msg.to,
                },
            );
            self.counters.dropped += 1;
            return;
        }
        if !self.node_up(msg.to) {
            out.emit(
                self.now,
                Event::Unavailable {
                    msg: msg.id,
                    to: msg.to,
                },
            );
            return;
        }
        self.counters.deliveries += 1;
        self.delivered.entry(msg.id).or_default().push(self.now);
        if self.delivered.len() > DELIVERIES_KEPT {
            self.delivered.pop_first();
        }
        let deliveries = match self.unacked.get_mut(&msg.id) {
            Some(u) => {
                u.deliveries += 1;
                u.deliveries
            }
            None => 1,
        };
        let handled = match msg.to {
            Node::Client => self.client_receive(&msg, out),
            Node::Orchestrator => self.orch_receive(&msg, out),
            Node::Service(s) => self.service_receive(s, &msg, deliveries, out),
        };
        match handled {
            Handled::Ack => {
                if self.unacked.contains_key(&msg.id) {
                    if self.lost() {
                        out.emit(
                            self.now,
                            Event::AckLost {
                                msg: msg.id,
                                by: msg.to,
                            },
                        );
                    } else {
                        self.unacked.remove(&msg.id);
                    }
                }
            }
            Handled::NoAck => {}
            Handled::RetryAfter(ms) => {
                let at = self.now + ms;
                if let Some(u) = self.unacked.get_mut(&msg.id) {
                    u.next = at;
                    self.schedule(at, Pending::AckDeadline(msg.id));
                }
            }
        }
    }

    fn ack_deadline(&mut self, id: MsgId, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(u) = self.unacked.get_mut(&id) else {
            return;
        };
        if u.next != now {
            return;
        }
        u.next = now + self.bus.redeliver_ms;
        let (msg, next) = (u.msg.clone(), u.next);
        self.counters.redelivered += 1;
        out.emit(
            now,
            Event::Redelivered {
                msg: id,
                to: msg.to,
            },
        );
        self.schedule(next, Pending::AckDeadline(id));
        let t = now + self.delay();
        self.schedule(t, Pending::Deliver(msg, false));
    }

    // ---------------------------------------------------------------- crashes

    fn crash(&mut self, node: Node, for_ms: Option<u64>, out: &mut dyn Emit<Event>) {
        let until = for_ms.map(|d| self.now + d);
        match node {
            Node::Client => return,
            Node::Orchestrator => {
                if !self.orch_up {
                    return;
                }
                self.orch_up = false;
                self.orch_epoch += 1;
                if self.scenario.mode == Mode::Orchestration && !self.outbox {
                    // Its timers go with it, and without an outbox its recovery sends nothing:
                    // every saga it was driving may now depend on what is already on the bus.
                    let t = fmt_time(self.now);
                    for (&saga, o) in &self.orch {
                        if !o.finished {
                            self.suspects.insert(
                                saga,
                                format!(
                                    "the orchestrator crashed at {t}, losing its timers, and without an outbox its recovery re-sends nothing"
                                ),
                            );
                        }
                    }
                }
                // Its in-memory state machines are gone; the log survives.
                self.orch.clear();
                if let Some(t) = until {
                    self.schedule(t, Pending::Recover(node, self.orch_epoch));
                }
            }
            Node::Service(s) => {
                let svc = &mut self.services[s.index()];
                if !svc.up {
                    return;
                }
                svc.up = false;
                svc.down_epoch += 1;
                svc.relay_scheduled = false;
                let epoch = svc.down_epoch;
                if let Some(t) = until {
                    self.schedule(t, Pending::Recover(node, epoch));
                }
            }
        }
        out.emit(self.now, Event::Crashed { node, until });
    }

    fn recover(&mut self, node: Node, out: &mut dyn Emit<Event>) {
        match node {
            Node::Client => {}
            Node::Orchestrator => {
                if self.orch_up {
                    return;
                }
                self.orch_up = true;
                self.orch_epoch += 1;
                // Rebuild every open saga's state machine from its records in the durable log
                // (the log's index by saga, as a store would keep it; finished sagas need no
                // state machine, only to be known as finished).
                let open = std::mem::take(&mut self.log_open);
                for (&saga, records) in &open {
                    for &at in records {
                        let e = self.log[at as usize].1.clone();
                        self.fold(saga, &e);
                    }
                }
                self.log_open = open;
                let active: Vec<SagaId> = self
                    .orch
                    .iter()
                    .filter(|(_, o)| !o.finished)
                    .map(|(s, _)| *s)
                    .collect();
                out.emit(
                    self.now,
                    Event::Recovered {
                        node,
                        resumed: active.len() as u32,
                    },
                );
                // Commands a crash left in the outbox: the relay publishes them, and their
                // timeouts are armed again.
                let rows: Vec<Message> = self.orch_outbox.drain(..).collect();
                let mut relayed = BTreeSet::new();
                if !rows.is_empty() {
                    out.emit(
                        self.now,
                        Event::OrchestratorRelayed {
                            count: rows.len() as u32,
                        },
                    );
                }
                for m in rows {
                    if let Body::Command(key) = m.body {
                        relayed.insert(key);
                        if let Some(o) = self.orch.get_mut(&key.saga) {
                            o.attempt = m.attempt;
                        }
                        let attempt = m.attempt;
                        self.publish(m, out);
                        self.arm_timeout(key, attempt);
                    }
                }
                for saga in active {
                    if self.scenario.mode == Mode::TwoPhaseCommit {
                        self.tpc_recover(saga, out);
                    } else if self
                        .current_key(saga)
                        .is_some_and(|(k, _)| relayed.contains(&k))
                    {
                        // The relay just published its command.
                    } else if self.outbox
                        || self
                            .current_key(saga)
                            .is_none_or(|(k, _)| k.step as usize >= self.flow.steps.len())
                    {
                        // The outbox says what was sent; the timers were lost in the crash, so
                        // the current command goes again (same idempotency key).
                        self.drive(saga, out);
                    } else if let Some((key, _)) = self
                        .current_key(saga)
                        .filter(|(k, _)| (k.step as usize) < self.flow.steps.len())
                    {
                        // Without an outbox the log cannot tell whether the command left before
                        // the crash: this orchestrator trusts its log and waits for the reply.
                        let at = if key.phase == Phase::Forward {
                            SagaStatus::Running
                        } else {
                            SagaStatus::Compensating
                        };
                        self.set_state(saga, (key.step, key.phase), at);
                        out.emit(
                            self.now,
                            Event::Waiting {
                                saga,
                                step: self.name(key.step),
                                phase: key.phase,
                            },
                        );
                    }
                }
            }
            Node::Service(s) => {
                let svc = &mut self.services[s.index()];
                if svc.up {
                    return;
                }
                svc.up = true;
                let pending = !svc.outbox.is_empty();
                out.emit(self.now, Event::Recovered { node, resumed: 0 });
                if pending {
                    self.schedule_relay(s);
                }
            }
        }
    }

    // ---------------------------------------------------------------- services

    fn schedule_relay(&mut self, s: ServiceName) {
        let svc = &mut self.services[s.index()];
        if !svc.relay_scheduled {
            svc.relay_scheduled = true;
            let at = self.now + self.scenario.relay_ms;
            self.schedule(at, Pending::Relay(s));
        }
    }

    fn relay(&mut self, s: ServiceName, out: &mut dyn Emit<Event>) {
        let svc = &mut self.services[s.index()];
        svc.relay_scheduled = false;
        if !svc.up || svc.outbox.is_empty() {
            return;
        }
        let rows: Vec<Message> = svc.outbox.drain(..).collect();
        out.emit(
            self.now,
            Event::Relayed {
                service: s,
                count: rows.len() as u32,
            },
        );
        for m in rows {
            self.publish(m, out);
        }
    }

    /// Sends a message a local transaction produced: through the outbox, or directly.
    fn emit_message(
        &mut self,
        s: ServiceName,
        msg: Message,
        crash_after_commit: Option<u64>,
        out: &mut dyn Emit<Event>,
    ) {
        if self.outbox {
            self.services[s.index()].outbox.push_back(msg);
            if let Some(d) = crash_after_commit {
                self.crash(Node::Service(s), Some(d), out);
            } else {
                self.schedule_relay(s);
            }
        } else if let Some(d) = crash_after_commit {
            let step = self.msg_step_name(&msg.body);
            let saga = msg.body.saga();
            let (undo, what) = match msg.body {
                Body::Reply(k, _) => (phase_word(k.phase), "reply"),
                Body::Event(_, Happened::Compensated(_)) => ("undo ", "event"),
                Body::Event(..) => ("", "event"),
                Body::Vote(..) => ("", "vote"),
                _ => ("", "acknowledgement"),
            };
            let cause = format!(
                "{} committed {undo}{step} at {} and crashed before publishing its {what} (no outbox)",
                s.name(),
                fmt_time(self.now)
            );
            self.suspects.insert(saga, cause);
            out.emit(
                self.now,
                Event::LostPublish {
                    service: s,
                    saga,
                    step,
                },
            );
            self.counters.lost_publishes += 1;
            self.crash(Node::Service(s), Some(d), out);
        } else {
            self.publish(msg, out);
        }
    }

    /// Takes the first armed fault for this step and phase, if any.
    fn take_fault(&mut self, key: Key) -> Option<FaultKind> {
        let name = &self.names[key.step as usize];
        let idx = self.faults.iter().position(|f| {
            f.saga.is_none_or(|s| s == key.saga)
                && *f.step == **name
                && match f.kind {
                    FaultKind::CompensationFailure { .. } => key.phase == Phase::Compensate,
                    FaultKind::CoordinatorCrash { .. } | FaultKind::CrashBeforeSend { .. } => false,
                    _ => key.phase == Phase::Forward,
                }
        })?;
        let f = &mut self.faults[idx];
        match &mut f.kind {
            FaultKind::Transient { times } | FaultKind::CompensationFailure { times }
                if *times > 1 =>
            {
                *times -= 1;
                Some(f.kind.clone())
            }
            _ => Some(self.faults.remove(idx).kind),
        }
    }

    fn amount(&self, saga: SagaId, a: Amount) -> i64 {
        let info = self.sagas.get(&saga);
        match a {
            Amount::Quantity => info.map_or(1, |i| i.quantity as i64),
            Amount::Price => info.map_or(0, |i| i.price as i64),
            Amount::One => 1,
        }
    }

    fn describe(&self, effect: Effect, saga: SagaId) -> String {
        match effect {
            Effect::Move { from, to, .. } => format!(
                "{} {}, {} {}",
                from.name(),
                self.pool(from),
                to.name(),
                self.pool(to)
            ),
            Effect::Order(_) => format!(
                "order {}",
                self.orders.get(&saga).map_or("none", |s| s.name())
            ),
        }
    }

    fn change_applied(&mut self, key: Key, by: i32) {
        let n = {
            let e = self.applied.entry((key.saga, key.step)).or_insert(0);
            *e += by;
            *e
        };
        let step = self.flow.steps[key.step as usize].clone();
        if n > 1 {
            let what = if step.action.takes_money() {
                "nobody charged twice"
            } else {
                "each step applied once"
            };
            self.violate(
                what,
                format!("{} applied {n} times for saga {}", step.name, key.saga),
            );
        } else if n < 0 {
            self.violate(
                "each step undone once",
                format!(
                    "{} undone more often than done for saga {} (net {n})",
                    step.name, key.saga
                ),
            );
        }
        if let Some(info) = self.sagas.get(&key.saga) {
            if info.status.finished() {
                self.check_end_state(key.saga);
            }
        }
    }

    /// The local transaction for `key` at `s`. Returns the outcome and a crash-after-commit
    /// duration when that fault fired; `None` when the service crashed before doing anything.
    fn local_tx(
        &mut self,
        s: ServiceName,
        key: Key,
        msg: MsgId,
        out: &mut dyn Emit<Event>,
    ) -> Option<Tx> {
        let now = self.now;
        let name = self.name(key.step);
        let step = self.flow.steps[key.step as usize].clone();
        if self.idempotency {
            let inbox = &self.services[s.index()].inbox;
            let late = key.phase == Phase::Forward
                && inbox.contains_key(&Key {
                    phase: Phase::Compensate,
                    ..key
                });
            let stored = inbox.get(&key).copied();
            if stored.is_some() || late {
                self.counters.duplicates_absorbed += 1;
                out.emit(
                    now,
                    Event::Absorbed {
                        service: s,
                        msg,
                        saga: key.saga,
                        step: name,
                        late,
                        replayed: stored.is_some() && self.scenario.replay_replies,
                    },
                );
                return Some(Tx {
                    absorbed: true,
                    recorded: stored.is_some(),
                    ..Tx::of(stored.unwrap_or(Outcome::Done))
                });
            }
        }
        if key.phase == Phase::Forward {
            self.step_attempts[key.step as usize] += 1;
        }
        let mut crash_after = None;
        let mut lose_reply = false;
        match self.take_fault(key) {
            Some(FaultKind::Crash { for_ms }) => {
                self.crash(Node::Service(s), Some(for_ms), out);
                return None;
            }
            Some(FaultKind::Transient { .. } | FaultKind::CompensationFailure { .. }) => {
                out.emit(
                    now,
                    Event::TransientError {
                        service: s,
                        saga: key.saga,
                        step: name,
                        phase: key.phase,
                    },
                );
                if key.phase == Phase::Forward {
                    self.step_failures[key.step as usize] += 1;
                }
                return Some(Tx::of(Outcome::Failed));
            }
            Some(FaultKind::Decline) => {
                return Some(self.decline(s, key, "declined (injected)", out));
            }
            Some(FaultKind::LoseReply) => lose_reply = true,
            Some(FaultKind::CrashAfterCommit { for_ms }) => crash_after = Some(for_ms),
            Some(FaultKind::CoordinatorCrash { .. } | FaultKind::CrashBeforeSend { .. }) | None => {
            }
        }
        let effect = match (key.phase, step.compensation) {
            (Phase::Forward, _) => step.action.effect(),
            (Phase::Compensate, Some(c)) => c.effect(),
            // Two-phase commit undoes a prepared step of any kind.
            (Phase::Compensate, None) => match step.action.effect() {
                Effect::Move { from, to, amount } => Effect::Move {
                    from: to,
                    to: from,
                    amount,
                },
                Effect::Order(_) => Effect::Order(OrderStatus::Cancelled),
            },
        };
        if key.phase == Phase::Compensate
            && self.idempotency
            && self
                .applied
                .get(&(key.saga, key.step))
                .copied()
                .unwrap_or(0)
                <= 0
        {
            self.services[s.index()].inbox.insert(key, Outcome::Done);
            out.emit(
                now,
                Event::NothingToUndo {
                    service: s,
                    saga: key.saga,
                    step: name,
                },
            );
            return Some(Tx {
                crash_after,
                lose_reply,
                ..Tx::of(Outcome::Done)
            });
        }
        let mut dirty = Vec::new();
        match effect {
            Effect::Move { from, to, amount } => {
                let amt = self.amount(key.saga, amount);
                if key.phase == Phase::Forward && from == Pool::Stock {
                    if self.scenario.isolation == Isolation::SemanticLock {
                        if let Some(holder) = self.stock_lock.filter(|&h| h != key.saga) {
                            out.emit(
                                now,
                                Event::Locked {
                                    service: s,
                                    saga: key.saga,
                                    step: name,
                                    holder,
                                },
                            );
                            return Some(Tx::of(Outcome::Busy));
                        }
                    }
                    if self.pool(from) < amt {
                        for readers in self.pending_reservations.values_mut() {
                            readers.push(key.saga);
                        }
                    }
                }
                if key.phase == Phase::Forward && from.must_cover() && self.pool(from) < amt {
                    let reason = match from.resource() {
                        Resource::Goods => "out of stock",
                        Resource::Money => "insufficient funds",
                        Resource::Seats => "no seats left",
                        Resource::Rooms => "no rooms left",
                    };
                    return Some(self.decline(s, key, reason, out));
                }
                if from == Pool::Stock {
                    self.before_image.insert(key.saga, self.pool(Pool::Stock));
                    self.pending_reservations.insert(key.saga, Vec::new());
                    if self.scenario.isolation == Isolation::SemanticLock {
                        self.stock_lock = Some(key.saga);
                    }
                }
                let lost_update = to == Pool::Stock
                    && self.scenario.isolation == Isolation::None
                    && self.before_image.contains_key(&key.saga);
                if lost_update {
                    let before = self.before_image[&key.saga];
                    let fair = self.pool(Pool::Stock) + amt;
                    self.pools[Pool::Stock.index()] = before;
                    self.pools[from.index()] -= amt;
                    if fair != before {
                        self.counters.lost_updates += 1;
                        out.emit(
                            now,
                            Event::LostUpdate {
                                saga: key.saga,
                                overwritten: before - fair,
                            },
                        );
                    }
                } else {
                    self.pools[from.index()] -= amt;
                    self.pools[to.index()] += amt;
                }
                if from == Pool::Reserved || to == Pool::Stock {
                    if self.stock_lock == Some(key.saga) {
                        self.stock_lock = None;
                    }
                    let readers = self.pending_reservations.remove(&key.saga);
                    if to == Pool::Stock {
                        dirty = readers.unwrap_or_default();
                    }
                }
            }
            Effect::Order(status) => {
                self.orders.insert(key.saga, status);
            }
        }
        if self.idempotency {
            self.services[s.index()].inbox.insert(key, Outcome::Done);
        }
        let state = self.describe(effect, key.saga);
        out.emit(
            now,
            Event::Committed {
                service: s,
                saga: key.saga,
                step: name,
                phase: key.phase,
                state,
                verb: self.verb,
            },
        );
        for r in dirty {
            self.counters.dirty_reads += 1;
            out.emit(
                now,
                Event::DirtyRead {
                    saga: r,
                    read_from: key.saga,
                },
            );
        }
        self.change_applied(key, if key.phase == Phase::Forward { 1 } else { -1 });
        Some(Tx {
            crash_after,
            lose_reply,
            ..Tx::of(Outcome::Done)
        })
    }

    fn decline(
        &mut self,
        s: ServiceName,
        key: Key,
        reason: &'static str,
        out: &mut dyn Emit<Event>,
    ) -> Tx {
        self.step_failures[key.step as usize] += 1;
        let retriable = self.flow.steps[key.step as usize].kind == StepKind::Retriable;
        if self.idempotency && !retriable {
            self.services[s.index()]
                .inbox
                .insert(key, Outcome::Declined);
        }
        out.emit(
            self.now,
            Event::Declined {
                service: s,
                saga: key.saga,
                step: self.name(key.step),
                reason,
            },
        );
        Tx::of(Outcome::Declined)
    }

    fn service_receive(
        &mut self,
        s: ServiceName,
        msg: &Message,
        deliveries: u32,
        out: &mut dyn Emit<Event>,
    ) -> Handled {
        match msg.body {
            Body::Command(key) => {
                let Some(tx) = self.local_tx(s, key, msg.id, out) else {
                    return Handled::NoAck;
                };
                // An absorbed duplicate is acknowledged without a reply, unless the service
                // answers duplicates with the outcome it recorded.
                if !tx.absorbed || (self.scenario.replay_replies && tx.recorded) {
                    let reply = Message {
                        id: 0,
                        from: Node::Service(s),
                        to: Node::Orchestrator,
                        body: Body::Reply(key, tx.outcome),
                        cause: Some(msg.id),
                        attempt: msg.attempt,
                        lose_first: tx.lose_reply,
                    };
                    self.emit_message(s, reply, tx.crash_after, out);
                }
                if tx.crash_after.is_some() {
                    Handled::NoAck
                } else {
                    Handled::Ack
                }
            }
            Body::Event(saga, happened) => {
                self.choreo_receive(s, msg, saga, happened, deliveries, out)
            }
            Body::Prepare(key) => self.tpc_prepare(s, msg, key, out),
            Body::Decision(key, commit) => self.tpc_decide(s, msg, key, commit, deliveries, out),
            _ => Handled::Ack,
        }
    }

    // ---------------------------------------------------------------- saga start

    /// Starts the next saga; a periodic start schedules the one after it.
    fn start_saga(&mut self, periodic: bool, out: &mut dyn Emit<Event>) {
        self.started += 1;
        let saga = self.started;
        let quantity = 1 + self.order_rng.below(self.scenario.max_quantity as u64) as u32;
        let price = quantity as u64 * self.scenario.unit_price;
        self.counters.started += 1;
        self.sagas.insert(
            saga,
            Arc::new(SagaInfo {
                id: saga,
                status: SagaStatus::Running,
                started: self.now,
                finished: None,
                quantity,
                price,
                at: (0, Phase::Forward),
                stuck: false,
                lost: false,
                history: vec![(self.now, "started".into())],
            }),
        );
        out.emit(
            self.now,
            Event::SagaStarted {
                saga,
                quantity,
                price,
            },
        );
        self.chaos(saga);
        let check_at = self.now + self.scenario.stuck_after_ms;
        self.schedule(check_at, Pending::StuckCheck(saga));
        match self.scenario.mode {
            Mode::Orchestration => {
                if self.orch_up {
                    self.append(saga, LogEntry::Started);
                    self.drive(saga, out);
                } else {
                    // The request waits on the bus until the orchestrator is back.
                    self.publish(
                        Message {
                            id: 0,
                            from: Node::Client,
                            to: Node::Orchestrator,
                            body: Body::Event(saga, Happened::Requested),
                            cause: None,
                            attempt: 1,
                            lose_first: false,
                        },
                        out,
                    );
                }
            }
            Mode::Choreography => {
                let to = Node::Service(self.flow.steps[0].service());
                self.publish(
                    Message {
                        id: 0,
                        from: Node::Client,
                        to,
                        body: Body::Event(saga, Happened::Requested),
                        cause: None,
                        attempt: 1,
                        lose_first: false,
                    },
                    out,
                );
            }
            Mode::TwoPhaseCommit => {
                if self.orch_up {
                    self.append(saga, LogEntry::Started);
                    self.tpc_start(saga, out);
                } else {
                    self.publish(
                        Message {
                            id: 0,
                            from: Node::Client,
                            to: Node::Orchestrator,
                            body: Body::Event(saga, Happened::Requested),
                            cause: None,
                            attempt: 1,
                            lose_first: false,
                        },
                        out,
                    );
                }
            }
        }
        if periodic {
            self.periodic += 1;
        }
        let limit = self.scenario.sagas;
        if periodic && (limit == 0 || self.periodic < limit) {
            let at = self.now + self.scenario.every_ms;
            self.schedule(at, Pending::StartSaga);
        }
    }

    /// Random faults for a new saga, drawn from the seed when `chaos_pct` is set.
    fn chaos(&mut self, saga: SagaId) {
        let pct = self.scenario.chaos_pct as u64;
        if pct == 0 {
            return;
        }
        for i in 0..self.flow.steps.len() {
            if !self.chaos_rng.chance(pct, 100) {
                continue;
            }
            let kinds = if self.scenario.mode == Mode::TwoPhaseCommit {
                7
            } else {
                6
            };
            let r = &mut self.chaos_rng;
            let kind = match r.below(kinds) {
                0 => FaultKind::Decline,
                1 => FaultKind::Transient {
                    times: 1 + r.below(3) as u32,
                },
                2 => FaultKind::LoseReply,
                3 => FaultKind::Crash {
                    for_ms: 500 + r.below(10_000),
                },
                4 => FaultKind::CrashAfterCommit {
                    for_ms: 500 + r.below(10_000),
                },
                5 => FaultKind::CompensationFailure {
                    times: 1 + r.below(3) as u32,
                },
                _ => FaultKind::CoordinatorCrash {
                    for_ms: 500 + r.below(10_000),
                },
            };
            self.faults.push(Fault {
                saga: Some(saga),
                step: self.flow.steps[i].name.clone(),
                kind,
            });
        }
        if self.chaos_rng.chance(pct, 100) && self.scenario.mode != Mode::Choreography {
            let at = self.now + self.chaos_rng.below(3_000);
            let for_ms = 500 + self.chaos_rng.below(10_000);
            // In orchestration, half of these crashes strike between a log write and the send.
            if self.scenario.mode == Mode::Orchestration && self.chaos_rng.chance(1, 2) {
                let i = self.chaos_rng.below(self.flow.steps.len() as u64) as usize;
                self.faults.push(Fault {
                    saga: Some(saga),
                    step: self.flow.steps[i].name.clone(),
                    kind: FaultKind::CrashBeforeSend { for_ms },
                });
            } else {
                self.schedule(at, Pending::Crash(Node::Orchestrator, for_ms));
            }
        }
    }

    // ---------------------------------------------------------------- orchestrator

    fn append(&mut self, saga: SagaId, e: LogEntry) {
        self.fold(saga, &e);
        let terminal = matches!(e, LogEntry::Finished(_) | LogEntry::RollbackIncomplete);
        let at = self.log.len() as u32;
        self.log.push((saga, e));
        if terminal {
            // A finished saga needs no state machine, only to be known as finished.
            self.orch.remove(&saga);
            self.log_open.remove(&saga);
            self.log_closed.insert(saga);
        } else if !self.log_closed.contains(&saga) {
            self.log_open.entry(saga).or_default().push(at);
        }
    }

    /// Applies one log record to the saga's state machine (live, and on recovery).
    fn fold(&mut self, saga: SagaId, e: &LogEntry) {
        let steps = self.flow.steps.len() as u8;
        let naive = self.scenario.compensate == Compensate::All;
        let kinds = &self.flow.steps;
        let o = self.orch.entry(saga).or_default();
        o.attempt = 0;
        let start_compensation = |o: &mut OrchSaga, failed: u8, include: bool| {
            o.compensating = true;
            o.to_compensate.clear();
            let upto = if naive { steps } else { failed + include as u8 };
            for i in (0..upto).rev() {
                let done = o.completed & bit(i) != 0 || (include && i == failed) || naive;
                if done && kinds[i as usize].kind == StepKind::Compensatable {
                    o.to_compensate.push_back(i);
                }
            }
        };
        match *e {
            LogEntry::Started => {}
            LogEntry::StepDone(i) => {
                o.completed |= bit(i);
                o.step = i + 1;
            }
            LogEntry::StepFailed(i) => start_compensation(o, i, false),
            LogEntry::GaveUp(i) => start_compensation(o, i, true),
            LogEntry::Compensated(_) => {
                o.to_compensate.pop_front();
            }
            LogEntry::RollbackIncomplete | LogEntry::Finished(_) => o.finished = true,
            LogEntry::Vote(i, yes) => {
                if yes {
                    o.yes |= bit(i);
                } else {
                    o.no = true;
                }
            }
            LogEntry::Decision(c) => o.decision = Some(c),
            LogEntry::Acked(i) => o.acked |= bit(i),
        }
    }

    /// Does the next thing the saga's state machine calls for.
    fn drive(&mut self, saga: SagaId, out: &mut dyn Emit<Event>) {
        let Some(o) = self.orch.get(&saga) else {
            return;
        };
        if o.finished {
            return;
        }
        let steps = self.flow.steps.len() as u8;
        if !o.compensating {
            if o.step >= steps {
                self.finish(saga, SagaStatus::Completed, out);
            } else {
                let key = Key {
                    saga,
                    step: o.step,
                    phase: Phase::Forward,
                };
                self.set_state(saga, (o.step, Phase::Forward), SagaStatus::Running);
                self.send_command(key, 1, out);
            }
        } else if let Some(&i) = o.to_compensate.front() {
            let key = Key {
                saga,
                step: i,
                phase: Phase::Compensate,
            };
            self.set_state(saga, (i, Phase::Compensate), SagaStatus::Compensating);
            self.send_command(key, 1, out);
        } else {
            self.finish(saga, SagaStatus::Compensated, out);
        }
    }

    /// Sends a saga's command. With the outbox on, the command is a row written in the same
    /// local transaction as the log record that decided it, and the relay publishes it at once;
    /// the crash-before-send fault strikes between the two, leaving the row for the relay at
    /// recovery. With the outbox off the command is sent after the log write, and the same
    /// crash loses it.
    fn send_command(&mut self, key: Key, attempt: u32, out: &mut dyn Emit<Event>) {
        if let Some(o) = self.orch.get_mut(&key.saga) {
            o.attempt = attempt;
        }
        let to = Node::Service(self.flow.steps[key.step as usize].service());
        let msg = Message {
            id: 0,
            from: Node::Orchestrator,
            to,
            body: Body::Command(key),
            cause: None,
            attempt,
            lose_first: false,
        };
        if let Some(for_ms) = self.take_send_fault(key) {
            let step = self.name(key.step);
            if self.outbox {
                self.orch_outbox.push_back(msg);
            } else {
                self.counters.lost_publishes += 1;
                let cause = format!(
                    "the orchestrator crashed at {} after logging {step}, before sending its command (no outbox)",
                    fmt_time(self.now)
                );
                self.suspects.insert(key.saga, cause);
            }
            out.emit(
                self.now,
                Event::CrashBeforeSend {
                    saga: key.saga,
                    step,
                    outboxed: self.outbox,
                },
            );
            self.crash(Node::Orchestrator, Some(for_ms), out);
            return;
        }
        self.publish(msg, out);
        self.arm_timeout(key, attempt);
    }

    /// Takes the crash-before-send fault armed for this forward step, if any.
    fn take_send_fault(&mut self, key: Key) -> Option<u64> {
        if key.phase != Phase::Forward || self.faults.is_empty() {
            return None;
        }
        let name = &self.names[key.step as usize];
        let i = self.faults.iter().position(|f| {
            f.saga.is_none_or(|s| s == key.saga)
                && *f.step == **name
                && matches!(f.kind, FaultKind::CrashBeforeSend { .. })
        })?;
        match self.faults.remove(i).kind {
            FaultKind::CrashBeforeSend { for_ms } => Some(for_ms),
            _ => None,
        }
    }

    fn arm_timeout(&mut self, key: Key, attempt: u32) {
        let at = self.now + self.scenario.timeout_ms;
        let epoch = self.orch_epoch;
        self.schedule(
            at,
            Pending::OrchTimeout {
                key,
                attempt,
                epoch,
            },
        );
    }

    /// The key the saga's state machine is waiting on, if any.
    fn current_key(&self, saga: SagaId) -> Option<(Key, u32)> {
        let o = self.orch.get(&saga)?;
        if o.finished {
            return None;
        }
        let (step, phase) = if o.compensating {
            (*o.to_compensate.front()?, Phase::Compensate)
        } else {
            (o.step, Phase::Forward)
        };
        Some((Key { saga, step, phase }, o.attempt))
    }

    fn retry_later(&mut self, key: Key, attempt: u32) {
        self.counters.retries += 1;
        let at = self.now + self.backoff(attempt);
        let epoch = self.orch_epoch;
        if let Some(o) = self.orch.get_mut(&key.saga) {
            // No timeout is pending while waiting to retry.
            o.attempt = attempt;
        }
        self.schedule(
            at,
            Pending::OrchSend {
                key,
                attempt: attempt + 1,
                epoch,
            },
        );
    }

    fn orch_receive(&mut self, msg: &Message, out: &mut dyn Emit<Event>) -> Handled {
        match msg.body {
            Body::Event(saga, Happened::Requested) => {
                if !self.orch.contains_key(&saga) && !self.log_closed.contains(&saga) {
                    self.append(saga, LogEntry::Started);
                    if self.scenario.mode == Mode::TwoPhaseCommit {
                        self.tpc_start(saga, out);
                    } else {
                        self.drive(saga, out);
                    }
                }
                Handled::Ack
            }
            Body::Reply(key, outcome) => {
                self.on_reply(key, outcome, msg.attempt, out);
                Handled::Ack
            }
            Body::Vote(key, vote) => {
                self.tpc_vote(key, vote, out);
                Handled::Ack
            }
            Body::Ack(key) => {
                self.tpc_acked(key, out);
                Handled::Ack
            }
            _ => Handled::Ack,
        }
    }

    fn on_reply(&mut self, key: Key, outcome: Outcome, sent: u32, out: &mut dyn Emit<Event>) {
        let Some((current, attempt)) = self.current_key(key.saga) else {
            out.emit(
                self.now,
                Event::LateReply {
                    saga: key.saga,
                    step: self.name(key.step),
                },
            );
            return;
        };
        if current != key {
            out.emit(
                self.now,
                Event::LateReply {
                    saga: key.saga,
                    step: self.name(key.step),
                },
            );
            return;
        }
        // Attempt 0: recovered without an outbox, the orchestrator does not know which attempt
        // is on the bus and takes any.
        if matches!(outcome, Outcome::Failed | Outcome::Busy) && attempt != 0 && sent != attempt {
            // A transient failure of an earlier attempt: a newer one is under way. (Done and
            // Declined are recorded by the service, so they hold for every attempt.)
            return;
        }
        let kind = self.flow.steps[key.step as usize].kind;
        let attempt = attempt.max(1);
        match (outcome, key.phase) {
            (Outcome::Done, Phase::Forward) => {
                self.append(key.saga, LogEntry::StepDone(key.step));
                self.drive(key.saga, out);
            }
            (Outcome::Done, Phase::Compensate) => {
                self.append(key.saga, LogEntry::Compensated(key.step));
                self.drive(key.saga, out);
            }
            (Outcome::Declined, Phase::Forward) if kind != StepKind::Retriable => {
                self.fail_step(key, false, out);
            }
            (Outcome::Busy, _) => self.retry_later(key, attempt),
            // A transient failure is not recorded by the service, so an earlier attempt still
            // on the bus may yet commit: giving up leaves the outcome unknown, and only a
            // compensatable step may be given up on (and is then compensated too).
            (_, Phase::Forward) => {
                if kind == StepKind::Compensatable && attempt >= self.scenario.max_attempts {
                    self.fail_step(key, true, out);
                } else {
                    self.retry_later(key, attempt);
                }
            }
            (_, Phase::Compensate) => {
                if attempt >= self.scenario.max_compensation_attempts {
                    self.rollback_incomplete(key.saga, out);
                } else {
                    self.retry_later(key, attempt);
                }
            }
        }
    }

    fn fail_step(&mut self, key: Key, gave_up: bool, out: &mut dyn Emit<Event>) {
        if gave_up {
            out.emit(
                self.now,
                Event::GaveUp {
                    saga: key.saga,
                    step: self.name(key.step),
                },
            );
            self.append(key.saga, LogEntry::GaveUp(key.step));
        } else {
            self.append(key.saga, LogEntry::StepFailed(key.step));
        }
        let steps: Vec<Name> = self.orch[&key.saga]
            .to_compensate
            .iter()
            .map(|&i| self.name(i))
            .collect();
        out.emit(
            self.now,
            Event::Compensating {
                saga: key.saga,
                steps,
            },
        );
        self.drive(key.saga, out);
    }

    fn rollback_incomplete(&mut self, saga: SagaId, out: &mut dyn Emit<Event>) {
        self.append(saga, LogEntry::RollbackIncomplete);
        self.mark_rollback_incomplete(saga, out);
    }

    /// A compensation gave up: the saga is neither completed nor compensated.
    fn mark_rollback_incomplete(&mut self, saga: SagaId, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(info) = self.sagas.get_mut(&saga) else {
            return;
        };
        if info.status.finished() || info.status == SagaStatus::RollbackIncomplete {
            return;
        }
        let info = Arc::make_mut(info);
        info.status = SagaStatus::RollbackIncomplete;
        info.history.push((now, "rollback incomplete".into()));
        let after_ms = now - info.started;
        self.counters.rollback_incomplete += 1;
        out.emit(
            now,
            Event::Finished {
                saga,
                status: SagaStatus::RollbackIncomplete,
                after_ms,
            },
        );
    }

    fn orch_timeout(&mut self, key: Key, attempt: u32, out: &mut dyn Emit<Event>) {
        let Some((current, cur_attempt)) = self.current_key(key.saga) else {
            return;
        };
        if current != key || cur_attempt != attempt {
            return;
        }
        self.counters.timeouts += 1;
        out.emit(
            self.now,
            Event::Timeout {
                saga: key.saga,
                step: self.name(key.step),
                phase: key.phase,
                attempt,
            },
        );
        let kind = self.flow.steps[key.step as usize].kind;
        match key.phase {
            // Only a compensatable step can be given up on with its outcome unknown: it is
            // compensated too. A pivot or retriable step that may have committed cannot be
            // undone, so the orchestrator asks again until it hears a definite answer.
            Phase::Forward
                if kind == StepKind::Compensatable && attempt >= self.scenario.max_attempts =>
            {
                self.fail_step(key, true, out)
            }
            Phase::Compensate if attempt >= self.scenario.max_compensation_attempts => {
                self.rollback_incomplete(key.saga, out)
            }
            _ => self.retry_later(key, attempt),
        }
    }

    fn finish(&mut self, saga: SagaId, status: SagaStatus, out: &mut dyn Emit<Event>) {
        if matches!(
            self.scenario.mode,
            Mode::Orchestration | Mode::TwoPhaseCommit
        ) {
            self.append(saga, LogEntry::Finished(status == SagaStatus::Completed));
        }
        self.finish_info(saga, status, out);
    }

    fn finish_info(&mut self, saga: SagaId, status: SagaStatus, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(info) = self.sagas.get_mut(&saga) else {
            return;
        };
        if info.status.finished() {
            return;
        }
        let info = Arc::make_mut(info);
        info.status = status;
        info.finished = Some(now);
        info.history.push((now, status.name().to_string()));
        let after = now - info.started;
        self.completion_ms.record(after);
        match status {
            SagaStatus::Completed => self.counters.completed += 1,
            _ => self.counters.compensated += 1,
        }
        out.emit(
            now,
            Event::Finished {
                saga,
                status,
                after_ms: after,
            },
        );
        // Semantic lock: a saga that ends releases any reservation still pending.
        if self.stock_lock == Some(saga) {
            self.stock_lock = None;
        }
        self.pending_reservations.remove(&saga);
        self.check_end_state(saga);
    }

    /// A Completed saga has every step applied once; a Compensated one none.
    fn check_end_state(&mut self, saga: SagaId) {
        let Some(status) = self.sagas.get(&saga).map(|i| i.status) else {
            return;
        };
        let want = match status {
            SagaStatus::Completed => 1,
            SagaStatus::Compensated => 0,
            _ => return,
        };
        for (i, step) in self.flow.steps.iter().enumerate() {
            let n = self.applied.get(&(saga, i as u8)).copied().unwrap_or(0);
            if n != want {
                let detail = format!(
                    "saga {saga} is {} but {} is applied {n} times",
                    status.name(),
                    step.name
                );
                self.violate("finished sagas are consistent", detail);
                return;
            }
        }
    }

    // ---------------------------------------------------------------- choreography

    fn client_receive(&mut self, msg: &Message, out: &mut dyn Emit<Event>) -> Handled {
        if let Body::Event(saga, h) = msg.body {
            match h {
                Happened::Done(_) => self.finish_info(saga, SagaStatus::Completed, out),
                Happened::Failed(_) | Happened::Compensated(_) => {
                    self.finish_info(saga, SagaStatus::Compensated, out)
                }
                Happened::Requested => {}
            }
        }
        Handled::Ack
    }

    fn choreo_receive(
        &mut self,
        s: ServiceName,
        msg: &Message,
        saga: SagaId,
        happened: Happened,
        deliveries: u32,
        out: &mut dyn Emit<Event>,
    ) -> Handled {
        let n = self.flow.steps.len() as u8;
        let key = match happened {
            Happened::Requested => Key {
                saga,
                step: 0,
                phase: Phase::Forward,
            },
            Happened::Done(k) if k + 1 < n => Key {
                saga,
                step: k + 1,
                phase: Phase::Forward,
            },
            Happened::Failed(k) | Happened::Compensated(k) if k > 0 => Key {
                saga,
                step: k - 1,
                phase: Phase::Compensate,
            },
            _ => return Handled::Ack,
        };
        let kind = self.flow.steps[key.step as usize].kind;
        if key.phase == Phase::Compensate && kind != StepKind::Compensatable {
            // Nothing to undo for a pivot; pass the failure along.
            let next = Happened::Compensated(key.step);
            self.choreo_publish(s, saga, next, msg.id, None, false, out);
            return Handled::Ack;
        }
        let status = if key.phase == Phase::Forward {
            SagaStatus::Running
        } else {
            SagaStatus::Compensating
        };
        self.set_state(saga, (key.step, key.phase), status);
        let Some(tx) = self.local_tx(s, key, msg.id, out) else {
            return Handled::NoAck;
        };
        if tx.absorbed && !(self.scenario.replay_replies && tx.recorded) {
            return Handled::Ack;
        }
        let next = match (tx.outcome, key.phase) {
            (Outcome::Done, Phase::Forward) => Happened::Done(key.step),
            (Outcome::Done, Phase::Compensate) => Happened::Compensated(key.step),
            (Outcome::Declined, Phase::Forward) if kind != StepKind::Retriable => {
                Happened::Failed(key.step)
            }
            (Outcome::Busy, _) => {
                self.counters.retries += 1;
                return Handled::RetryAfter(self.backoff(deliveries));
            }
            (_, Phase::Forward)
                if kind != StepKind::Retriable && deliveries >= self.scenario.max_attempts =>
            {
                // The service gives up on the step and records that, so a duplicate of the
                // triggering event cannot run it later.
                if self.idempotency {
                    self.services[s.index()]
                        .inbox
                        .insert(key, Outcome::Declined);
                }
                Happened::Failed(key.step)
            }
            (_, Phase::Compensate) if deliveries >= self.scenario.max_compensation_attempts => {
                // Dead-lettered: nobody will finish this rollback.
                self.mark_rollback_incomplete(saga, out);
                return Handled::Ack;
            }
            _ => {
                self.counters.retries += 1;
                return Handled::RetryAfter(self.backoff(deliveries));
            }
        };
        if let Happened::Failed(_) = next {
            let steps: Vec<Name> = (0..key.step)
                .rev()
                .filter(|&i| self.flow.steps[i as usize].kind == StepKind::Compensatable)
                .map(|i| self.name(i))
                .collect();
            out.emit(self.now, Event::Compensating { saga, steps });
        }
        self.choreo_publish(s, saga, next, msg.id, tx.crash_after, tx.lose_reply, out);
        if tx.crash_after.is_some() {
            Handled::NoAck
        } else {
            Handled::Ack
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn choreo_publish(
        &mut self,
        s: ServiceName,
        saga: SagaId,
        h: Happened,
        cause: MsgId,
        crash_after: Option<u64>,
        lose_first: bool,
        out: &mut dyn Emit<Event>,
    ) {
        let n = self.flow.steps.len() as u8;
        let to = match h {
            Happened::Done(k) if k + 1 < n => {
                Node::Service(self.flow.steps[k as usize + 1].service())
            }
            Happened::Failed(k) | Happened::Compensated(k) if k > 0 => {
                Node::Service(self.flow.steps[k as usize - 1].service())
            }
            _ => Node::Client,
        };
        let msg = Message {
            id: 0,
            from: Node::Service(s),
            to,
            body: Body::Event(saga, h),
            cause: Some(cause),
            attempt: 1,
            lose_first,
        };
        self.emit_message(s, msg, crash_after, out);
    }

    // ---------------------------------------------------------------- two-phase commit

    /// Starts a two-phase commit. Participants are prepared one after the other, in the
    /// flow's order, so a later step sees what an earlier one prepared (as statements of one
    /// distributed transaction do).
    fn tpc_start(&mut self, saga: SagaId, out: &mut dyn Emit<Event>) {
        self.set_state(saga, (0, Phase::Forward), SagaStatus::Running);
        let key = Key {
            saga,
            step: 0,
            phase: Phase::Forward,
        };
        self.tpc_send(key, 1, out);
    }

    /// After a coordinator restart: presumed abort for a saga without a logged decision,
    /// otherwise the decision again to every participant that has not acknowledged it.
    fn tpc_recover(&mut self, saga: SagaId, out: &mut dyn Emit<Event>) {
        let Some(o) = self.orch.get(&saga).cloned() else {
            return;
        };
        match o.decision {
            None => self.tpc_decide_now(saga, false, out),
            Some(_) => {
                for i in 0..self.flow.steps.len() as u8 {
                    if o.acked & bit(i) == 0 {
                        let key = Key {
                            saga,
                            step: i,
                            phase: Phase::Compensate,
                        };
                        self.tpc_send(key, 1, out);
                    }
                }
            }
        }
    }

    /// Sends a prepare (phase forward) or the decision (phase compensate) to one participant.
    fn tpc_send(&mut self, key: Key, attempt: u32, out: &mut dyn Emit<Event>) {
        if let Some(o) = self.orch.get_mut(&key.saga) {
            o.set_attempt(key.step, attempt);
        }
        let to = Node::Service(self.flow.steps[key.step as usize].service());
        let body = match key.phase {
            Phase::Forward => Body::Prepare(key),
            Phase::Compensate => {
                let commit = self
                    .orch
                    .get(&key.saga)
                    .and_then(|o| o.decision)
                    .unwrap_or(false);
                Body::Decision(key, commit)
            }
        };
        self.publish(
            Message {
                id: 0,
                from: Node::Orchestrator,
                to,
                body,
                cause: None,
                attempt,
                lose_first: false,
            },
            out,
        );
        let at = self.now + self.scenario.timeout_ms;
        let epoch = self.orch_epoch;
        self.schedule(
            at,
            Pending::OrchTimeout {
                key,
                attempt,
                epoch,
            },
        );
    }

    fn tpc_timeout(&mut self, key: Key, attempt: u32, out: &mut dyn Emit<Event>) {
        let Some(o) = self.orch.get(&key.saga).cloned() else {
            return;
        };
        if o.finished {
            return;
        }
        let waiting = match key.phase {
            Phase::Forward => o.decision.is_none() && o.yes & bit(key.step) == 0,
            Phase::Compensate => o.acked & bit(key.step) == 0,
        };
        if !waiting || o.attempt_of(key.step) != attempt {
            return;
        }
        self.counters.timeouts += 1;
        out.emit(
            self.now,
            Event::Timeout {
                saga: key.saga,
                step: self.name(key.step),
                phase: key.phase,
                attempt,
            },
        );
        if key.phase == Phase::Forward && attempt >= self.scenario.max_attempts {
            self.tpc_decide_now(key.saga, false, out);
        } else {
            self.counters.retries += 1;
            self.tpc_send(key, attempt + 1, out);
        }
    }

    fn tpc_vote(&mut self, key: Key, vote: Outcome, out: &mut dyn Emit<Event>) {
        let Some(o) = self.orch.get(&key.saga) else {
            return;
        };
        if o.finished || o.decision.is_some() || o.yes & bit(key.step) != 0 {
            return;
        }
        match vote {
            Outcome::Done => {
                self.append(key.saga, LogEntry::Vote(key.step, true));
                let n = self.flow.steps.len() as u8;
                if key.step + 1 < n {
                    self.set_state(
                        key.saga,
                        (key.step + 1, Phase::Forward),
                        SagaStatus::Running,
                    );
                    let next = Key {
                        step: key.step + 1,
                        ..key
                    };
                    self.tpc_send(next, 1, out);
                    return;
                }
                // Every participant is prepared and holds its locks. The coordinator-crash
                // fault strikes here, before the decision is logged.
                let saga = key.saga;
                let crash = self.faults.iter().position(|f| {
                    f.saga.is_none_or(|s| s == saga)
                        && matches!(f.kind, FaultKind::CoordinatorCrash { .. })
                });
                if let Some(i) = crash {
                    if let FaultKind::CoordinatorCrash { for_ms } = self.faults.remove(i).kind {
                        self.crash(Node::Orchestrator, Some(for_ms), out);
                        return;
                    }
                }
                self.tpc_decide_now(saga, true, out);
            }
            Outcome::Declined => {
                self.append(key.saga, LogEntry::Vote(key.step, false));
                self.tpc_decide_now(key.saga, false, out);
            }
            // A participant that is busy or failed is asked again; the prepare's timeout
            // bounds how long.
            Outcome::Failed | Outcome::Busy => {}
        }
    }

    fn tpc_decide_now(&mut self, saga: SagaId, commit: bool, out: &mut dyn Emit<Event>) {
        self.append(saga, LogEntry::Decision(commit));
        out.emit(self.now, Event::Decided { saga, commit });
        let status = if commit {
            SagaStatus::Running
        } else {
            SagaStatus::Compensating
        };
        self.set_state(saga, (0, Phase::Compensate), status);
        for i in 0..self.flow.steps.len() as u8 {
            let key = Key {
                saga,
                step: i,
                phase: Phase::Compensate,
            };
            self.tpc_send(key, 1, out);
        }
    }

    fn tpc_acked(&mut self, key: Key, out: &mut dyn Emit<Event>) {
        let Some(o) = self.orch.get(&key.saga) else {
            return;
        };
        if o.finished || o.acked & bit(key.step) != 0 {
            return;
        }
        let commit = o.decision == Some(true);
        self.append(key.saga, LogEntry::Acked(key.step));
        let all = (1u32 << self.flow.steps.len()) - 1;
        if self.orch[&key.saga].acked == all {
            let status = if commit {
                SagaStatus::Completed
            } else {
                SagaStatus::Compensated
            };
            self.finish(key.saga, status, out);
        }
    }

    fn tpc_prepare(
        &mut self,
        s: ServiceName,
        msg: &Message,
        key: Key,
        out: &mut dyn Emit<Event>,
    ) -> Handled {
        let i = s.index();
        let recorded = self.services[i].votes.get(&key).copied();
        let aborted = self.services[i].inbox.contains_key(&Key {
            phase: Phase::Compensate,
            ..key
        });
        let holder = self.services[i]
            .locks
            .iter()
            .find(|k| k.saga != key.saga)
            .map(|k| k.saga);
        let vote = if let Some(v) = recorded.filter(|_| self.idempotency) {
            // A duplicate prepare gets the vote already given.
            self.counters.duplicates_absorbed += 1;
            v
        } else if aborted && self.idempotency {
            // The abort overtook the prepare: never prepare afterwards.
            self.counters.duplicates_absorbed += 1;
            Outcome::Declined
        } else if let Some(holder) = holder {
            out.emit(
                self.now,
                Event::Locked {
                    service: s,
                    saga: key.saga,
                    step: self.name(key.step),
                    holder,
                },
            );
            Outcome::Busy
        } else {
            self.verb = "prepared";
            let tx = self.local_tx(s, key, msg.id, out);
            self.verb = "committed";
            let Some(tx) = tx else {
                return Handled::NoAck;
            };
            if tx.outcome == Outcome::Done {
                self.services[i].locks.insert(key);
            }
            if matches!(tx.outcome, Outcome::Done | Outcome::Declined) {
                self.services[i].votes.insert(key, tx.outcome);
            }
            tx.outcome
        };
        out.emit(
            self.now,
            Event::Voted {
                service: s,
                saga: key.saga,
                step: self.name(key.step),
                vote,
            },
        );
        let reply = Message {
            id: 0,
            from: Node::Service(s),
            to: Node::Orchestrator,
            body: Body::Vote(key, vote),
            cause: Some(msg.id),
            attempt: msg.attempt,
            lose_first: false,
        };
        self.emit_message(s, reply, None, out);
        Handled::Ack
    }

    #[allow(clippy::too_many_arguments)]
    fn tpc_decide(
        &mut self,
        s: ServiceName,
        msg: &Message,
        key: Key,
        commit: bool,
        deliveries: u32,
        out: &mut dyn Emit<Event>,
    ) -> Handled {
        let i = s.index();
        let fwd = Key {
            phase: Phase::Forward,
            ..key
        };
        if !self.services[i].locks.contains(&fwd) {
            // Nothing held: a duplicate decision, or an abort for a step never prepared.
            if self.idempotency && self.services[i].inbox.insert(key, Outcome::Done).is_some() {
                self.counters.duplicates_absorbed += 1;
            }
        } else if commit {
            self.services[i].locks.remove(&fwd);
            if self.idempotency {
                self.services[i].inbox.insert(key, Outcome::Done);
            }
            out.emit(
                self.now,
                Event::Released {
                    service: s,
                    saga: key.saga,
                    step: self.name(key.step),
                    commit,
                },
            );
        } else {
            self.verb = "rolled back";
            let tx = self.local_tx(s, key, msg.id, out);
            self.verb = "committed";
            let Some(tx) = tx else {
                return Handled::NoAck;
            };
            if tx.outcome == Outcome::Failed {
                return Handled::RetryAfter(self.backoff(deliveries));
            }
            self.services[i].locks.remove(&fwd);
            out.emit(
                self.now,
                Event::Released {
                    service: s,
                    saga: key.saga,
                    step: self.name(key.step),
                    commit,
                },
            );
        }
        let reply = Message {
            id: 0,
            from: Node::Service(s),
            to: Node::Orchestrator,
            body: Body::Ack(key),
            cause: Some(msg.id),
            attempt: msg.attempt,
            lose_first: false,
        };
        self.emit_message(s, reply, None, out);
        Handled::Ack
    }

    // ---------------------------------------------------------------- lost sagas

    /// Decides, for every saga that lost a message, whether anything can still move it; a saga
    /// that nothing can move is lost, the first one a liveness violation. Runs after every
    /// step of the simulation, so the verdict comes at the first instant it is true, and costs
    /// nothing while no message was lost.
    fn settle_suspects(&mut self, out: &mut dyn Emit<Event>) {
        if self.suspects.is_empty() {
            return;
        }
        let suspects: Vec<SagaId> = self.suspects.keys().copied().collect();
        for saga in suspects {
            let open = self.sagas.get(&saga).is_some_and(|i| {
                matches!(i.status, SagaStatus::Running | SagaStatus::Compensating)
            });
            if !open {
                self.suspects.remove(&saga);
                continue;
            }
            if self.can_move(saga) {
                continue;
            }
            let cause = self.suspects.remove(&saga).unwrap_or_default();
            let Some(info) = self.sagas.get_mut(&saga).map(Arc::make_mut) else {
                continue;
            };
            info.lost = true;
            let (step, phase) = info.at;
            let status = info.status;
            let now = self.now;
            let detail = format!(
                "{} at {}{}: {cause}; nothing in flight or scheduled can move it",
                status.name(),
                phase_word(phase),
                self.names[step as usize]
            );
            self.counters.lost_sagas += 1;
            out.emit(
                now,
                Event::Lost {
                    saga,
                    detail: detail.clone(),
                },
            );
            if self.liveness.is_none() {
                self.liveness = Some(Violation {
                    invariant: "every saga can finish".into(),
                    detail: format!("saga {saga} can never finish: {detail}"),
                });
            }
        }
    }

    /// Whether a service would answer a command for `key` now: it runs it, or it absorbs it
    /// but replays the outcome it recorded. An absorbed duplicate is answered by nothing.
    fn answers(&self, s: ServiceName, key: Key) -> bool {
        if !self.idempotency {
            return true;
        }
        let inbox = &self.services[s.index()].inbox;
        let stored = inbox.contains_key(&key);
        let late = key.phase == Phase::Forward
            && inbox.contains_key(&Key {
                phase: Phase::Compensate,
                ..key
            });
        (!stored && !late) || (stored && self.scenario.replay_replies)
    }

    /// Whether delivering this message could move its saga: anything to the orchestrator or
    /// the client could; a command or event to a service could unless the service absorbs it
    /// without answering, or answers a command the orchestrator no longer waits for.
    fn message_can_move(&self, m: &Message, current: Option<Key>) -> bool {
        let Node::Service(s) = m.to else {
            return true;
        };
        match m.body {
            Body::Command(k) => current.is_none_or(|c| c == k) && self.answers(s, k),
            Body::Event(saga, h) => {
                let n = self.flow.steps.len() as u8;
                let key = match h {
                    Happened::Requested => Key {
                        saga,
                        step: 0,
                        phase: Phase::Forward,
                    },
                    Happened::Done(k) if k + 1 < n => Key {
                        saga,
                        step: k + 1,
                        phase: Phase::Forward,
                    },
                    Happened::Failed(k) | Happened::Compensated(k) if k > 0 => Key {
                        saga,
                        step: k - 1,
                        phase: Phase::Compensate,
                    },
                    _ => return false,
                };
                let kind = self.flow.steps[key.step as usize].kind;
                (key.phase == Phase::Compensate && kind != StepKind::Compensatable)
                    || self.answers(s, key)
            }
            _ => true,
        }
    }

    /// Whether anything in flight or scheduled can still change the saga's state, or it waits
    /// visibly on a person (a node down with no recovery planned).
    fn can_move(&self, saga: SagaId) -> bool {
        let current = self.current_key(saga).map(|(k, _)| k);
        let mut in_flight = self
            .unacked
            .values()
            .map(|u| &u.msg)
            .chain(self.queue.values().filter_map(|p| match p {
                Pending::Deliver(m, _) => Some(m),
                _ => None,
            }))
            .chain(self.services.iter().flat_map(|s| s.outbox.iter()))
            .chain(self.orch_outbox.iter())
            .filter(|m| m.body.saga() == saga);
        if in_flight.any(|m| self.message_can_move(m, current)) {
            return true;
        }
        match self.scenario.mode {
            Mode::Choreography => false,
            Mode::TwoPhaseCommit => {
                !self.orch_up
                    || self.queue.values().any(|p| {
                        matches!(p, Pending::OrchTimeout { key, .. } | Pending::OrchSend { key, .. } if key.saga == saga)
                    })
            }
            Mode::Orchestration => {
                if !self.orch_up {
                    let epoch = self.orch_epoch;
                    let recovery = self.queue.values().any(|p| {
                        matches!(p, Pending::Recover(Node::Orchestrator, e) if *e == epoch)
                    });
                    // Down for good waits on a person; a recovery with the outbox re-sends.
                    return !recovery || self.outbox;
                }
                let Some((key, attempt)) = self.current_key(saga) else {
                    return false;
                };
                if key.step as usize >= self.flow.steps.len() {
                    return true;
                }
                let epoch = self.orch_epoch;
                let timer = self.queue.values().any(|p| match *p {
                    Pending::OrchTimeout {
                        key: k,
                        attempt: a,
                        epoch: e,
                    } => k == key && a == attempt && e == epoch,
                    Pending::OrchSend { key: k, epoch: e, .. } => k == key && e == epoch,
                    _ => false,
                });
                // A timer retries; retries end in giving up (a compensatable step is then
                // compensated, a compensation marked incomplete), or, for a pivot or
                // retriable step, go on for ever and help only if the service answers.
                let kind = self.flow.steps[key.step as usize].kind;
                timer
                    && (key.phase == Phase::Compensate
                        || kind == StepKind::Compensatable
                        || self.answers(self.flow.steps[key.step as usize].service(), key))
            }
        }
    }

    // ---------------------------------------------------------------- stuck sagas

    fn stuck_check(&mut self, saga: SagaId, out: &mut dyn Emit<Event>) {
        let Some(info) = self.sagas.get(&saga) else {
            return;
        };
        if info.status.finished() || info.stuck || info.lost {
            return;
        }
        let (step, phase) = info.at;
        let mut detail = format!(
            "{} after {}, at {}{}",
            info.status.name(),
            fmt_time(self.now - info.started),
            phase_word(phase),
            self.names[step as usize]
        );
        let locks: Vec<String> = self
            .services
            .iter()
            .filter(|s| s.locks.iter().any(|k| k.saga == saga))
            .map(|s| s.name.name().to_string())
            .collect();
        if !locks.is_empty() {
            detail.push_str(&format!("; locks held by {}", locks.join(", ")));
        }
        if let Some(info) = self.sagas.get_mut(&saga).map(Arc::make_mut) {
            info.stuck = true;
        }
        self.counters.stuck += 1;
        out.emit(
            self.now,
            Event::Stuck {
                saga,
                detail: detail.clone(),
            },
        );
        if self.stuck_violation.is_none() {
            self.stuck_violation = Some(Violation {
                invariant: "every saga finishes".into(),
                detail: format!("saga {saga}: {detail}"),
            });
        }
    }

    fn conservation(&self) -> Option<Violation> {
        let mut sums = [0i64; 4];
        for p in Pool::ALL {
            sums[p.resource() as usize] += self.pools[p.index()];
        }
        for r in Resource::ALL {
            let (have, want) = (sums[r as usize], self.totals[r as usize]);
            if have != want {
                let pools: Vec<String> = Pool::ALL
                    .iter()
                    .filter(|p| p.resource() == r)
                    .map(|p| format!("{} {}", p.name(), self.pools[p.index()]))
                    .collect();
                return Some(Violation {
                    invariant: format!("{} conserved", r.name()),
                    detail: format!("{} sum to {have}, not {want}", pools.join(" + ")),
                });
            }
        }
        None
    }
}

/// What a consumer tells the broker after handling a delivery.
enum Handled {
    Ack,
    /// No acknowledgement: the broker redelivers after its timeout.
    NoAck,
    /// A negative acknowledgement: deliver again after this many milliseconds.
    RetryAfter(u64),
}

impl Simulation for SagaLab {
    type Scenario = Scenario;
    type Command = Command;
    type Event = Event;
    const LAB: &'static str = "saga";

    fn new(s: &Scenario) -> Result<SagaLab, String> {
        let flow = s.validate()?;
        let root = Rng::new(s.seed);
        let mut pools = [0i64; 14];
        pools[Pool::Stock.index()] = s.stock;
        pools[Pool::Funds.index()] = s.funds;
        pools[Pool::AccountA.index()] = s.funds;
        pools[Pool::Seats.index()] = s.seats;
        pools[Pool::Rooms.index()] = s.rooms;
        let mut totals = [0i64; 4];
        for p in Pool::ALL {
            totals[p.resource() as usize] += pools[p.index()];
        }
        let services = ServiceName::ALL
            .iter()
            .map(|&name| Service {
                name,
                up: true,
                down_epoch: 0,
                inbox: BTreeMap::new(),
                outbox: VecDeque::new(),
                relay_scheduled: false,
                locks: BTreeSet::new(),
                votes: BTreeMap::new(),
            })
            .collect();
        let n = flow.steps.len();
        let mut lab = SagaLab {
            scenario: s.clone(),
            names: flow
                .steps
                .iter()
                .map(|st| Name::from(st.name.as_str()))
                .collect(),
            flow,
            now: 0,
            seq: 0,
            next_msg: 0,
            queue: BTreeMap::new(),
            unacked: BTreeMap::new(),
            bus: s.bus.clone(),
            bus_rng: root.fork(1),
            chaos_rng: root.fork(2),
            order_rng: root.fork(3),
            duplicate_next: false,
            drop_next: false,
            outbox: s.outbox,
            idempotency: s.idempotency,
            services,
            pools,
            totals,
            orders: BTreeMap::new(),
            applied: BTreeMap::new(),
            stock_lock: None,
            before_image: BTreeMap::new(),
            pending_reservations: BTreeMap::new(),
            orch_up: true,
            orch_epoch: 0,
            log: Vec::new(),
            log_open: BTreeMap::new(),
            log_closed: BTreeSet::new(),
            orch_outbox: VecDeque::new(),
            orch: BTreeMap::new(),
            faults: s.faults.clone(),
            sagas: BTreeMap::new(),
            started: 0,
            periodic: 0,
            safety: None,
            suspects: BTreeMap::new(),
            liveness: None,
            stuck_violation: None,
            counters: Counters::default(),
            verb: "committed",
            step_attempts: vec![0; n],
            step_failures: vec![0; n],
            completion_ms: Default::default(),
            delivered: BTreeMap::new(),
        };
        lab.schedule(s.first_at_ms, Pending::StartSaga);
        for c in &s.crashes {
            lab.schedule(c.at_ms, Pending::Crash(c.node, c.for_ms));
        }
        Ok(lab)
    }

    fn seed(s: &Scenario) -> u64 {
        s.seed
    }

    fn with_seed(s: &Scenario, seed: u64) -> Scenario {
        Scenario { seed, ..s.clone() }
    }

    fn now(&self) -> Time {
        self.now
    }

    fn next_deadline(&self) -> Option<Time> {
        self.queue.keys().next().map(|&(t, _)| t)
    }

    fn advance_to(&mut self, t: Time, out: &mut dyn Emit<Event>) {
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > t {
                break;
            }
            let ((at, _), p) = entry.remove_entry();
            self.now = at;
            match p {
                Pending::Deliver(m, lose) => self.deliver(m, lose, out),
                Pending::AckDeadline(id) => self.ack_deadline(id, out),
                Pending::OrchTimeout {
                    key,
                    attempt,
                    epoch,
                } => {
                    if epoch == self.orch_epoch && self.orch_up {
                        if self.scenario.mode == Mode::TwoPhaseCommit {
                            self.tpc_timeout(key, attempt, out);
                        } else {
                            self.orch_timeout(key, attempt, out);
                        }
                    }
                }
                Pending::OrchSend {
                    key,
                    attempt,
                    epoch,
                } => {
                    if epoch == self.orch_epoch && self.orch_up {
                        if self.scenario.mode == Mode::TwoPhaseCommit {
                            let o = self.orch.get(&key.saga);
                            if o.is_some_and(|o| o.decision.is_none() && !o.finished) {
                                self.tpc_send(key, attempt, out);
                            }
                        } else if self.current_key(key.saga).map(|c| c.0) == Some(key) {
                            self.send_command(key, attempt, out);
                        }
                    }
                }
                Pending::Relay(s) => self.relay(s, out),
                Pending::Recover(node, epoch) => {
                    let current = match node {
                        Node::Orchestrator => self.orch_epoch,
                        Node::Service(s) => self.services[s.index()].down_epoch,
                        Node::Client => 0,
                    };
                    if current == epoch {
                        self.recover(node, out);
                    }
                }
                Pending::Crash(node, for_ms) => self.crash(node, Some(for_ms), out),
                Pending::StartSaga => self.start_saga(true, out),
                Pending::StuckCheck(saga) => self.stuck_check(saga, out),
            }
            self.settle_suspects(out);
        }
        self.now = self.now.max(t);
    }

    fn apply(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let now = self.now;
        match command {
            Command::StartSaga => self.start_saga(false, out),
            Command::Inject { fault } => {
                check_fault(&self.flow, fault).map_err(Refusal)?;
                if matches!(fault.kind, FaultKind::CoordinatorCrash { .. })
                    && self.scenario.mode != Mode::TwoPhaseCommit
                {
                    return Err(Refusal(
                        "a coordinator crash after prepare needs mode two_phase_commit".into(),
                    ));
                }
                if matches!(fault.kind, FaultKind::CrashBeforeSend { .. })
                    && self.scenario.mode != Mode::Orchestration
                {
                    return Err(Refusal(
                        "an orchestrator crash between its log write and the send needs mode orchestration"
                            .into(),
                    ));
                }
                let saga = fault
                    .saga
                    .map_or("the next saga".to_string(), |s| format!("saga {s}"));
                out.emit(
                    now,
                    Event::FaultArmed {
                        fault: format!("{} at {} for {saga}", fault.kind, fault.step),
                    },
                );
                self.faults.push(fault.clone());
            }
            Command::Crash { node, for_ms } => {
                if *node == Node::Client {
                    return Err(Refusal("the client does not crash".into()));
                }
                if !self.node_up(*node) {
                    return Err(Refusal(format!("{node} is already down")));
                }
                if for_ms.is_some_and(|d| !(1..=86_400_000).contains(&d)) {
                    return Err(Refusal("for_ms must be between 1 and 86400000".into()));
                }
                self.crash(*node, *for_ms, out);
            }
            Command::Recover { node } => {
                if self.node_up(*node) {
                    return Err(Refusal(format!("{node} is not down")));
                }
                self.recover(*node, out);
            }
            Command::Bus {
                drop_pct,
                duplicate_pct,
                jitter_ms,
                delay_ms,
            } => {
                if drop_pct.is_some_and(|d| d > 90) {
                    return Err(Refusal("drop_pct must be at most 90".into()));
                }
                if duplicate_pct.is_some_and(|d| d > 100) {
                    return Err(Refusal("duplicate_pct must be at most 100".into()));
                }
                if jitter_ms.is_some_and(|j| j > 60_000) {
                    return Err(Refusal("jitter_ms must be at most 60000".into()));
                }
                if let Some(d) = drop_pct {
                    self.bus.drop_pct = *d;
                }
                if let Some(d) = duplicate_pct {
                    self.bus.duplicate_pct = *d;
                }
                if delay_ms.is_some_and(|d| d > 60_000) {
                    return Err(Refusal("delay_ms must be at most 60000".into()));
                }
                if let Some(j) = jitter_ms {
                    self.bus.jitter_ms = *j;
                }
                if let Some(d) = delay_ms {
                    self.bus.delay_ms = *d;
                }
                let b = &self.bus;
                let mut what = format!(
                    "bus: drop {}%, duplicate {}%, jitter {} ms",
                    b.drop_pct, b.duplicate_pct, b.jitter_ms
                );
                // Mentioned only when set, so the lines of older runs stay as they were.
                if delay_ms.is_some() {
                    what.push_str(&format!(", delay {} ms", b.delay_ms));
                }
                out.emit(now, Event::Setting { what });
            }
            Command::DuplicateNext => {
                self.duplicate_next = true;
                out.emit(
                    now,
                    Event::Setting {
                        what: "the next message will be delivered twice".into(),
                    },
                );
            }
            Command::DropNext => {
                self.drop_next = true;
                out.emit(
                    now,
                    Event::Setting {
                        what: "the next delivery will be lost".into(),
                    },
                );
            }
            Command::Outbox { on } => {
                self.outbox = *on;
                out.emit(
                    now,
                    Event::Setting {
                        what: format!("outbox {}", if *on { "on" } else { "off" }),
                    },
                );
            }
            Command::Idempotency { on } => {
                self.idempotency = *on;
                out.emit(
                    now,
                    Event::Setting {
                        what: format!("idempotent consumers {}", if *on { "on" } else { "off" }),
                    },
                );
            }
        }
        self.settle_suspects(out);
        Ok(())
    }

    fn check(&self) -> Option<Violation> {
        if let Some(v) = &self.safety {
            return Some(v.clone());
        }
        if let Some(v) = self.conservation() {
            return Some(v);
        }
        if let Some(v) = &self.liveness {
            return Some(v.clone());
        }
        self.stuck_violation.clone()
    }

    fn metrics(&self) -> Metrics {
        let mut m = Metrics::default();
        let c = &self.counters;
        for (name, v) in [
            ("sagas_started", c.started),
            ("completed", c.completed),
            ("compensated", c.compensated),
            ("rollback_incomplete", c.rollback_incomplete),
            ("stuck", c.stuck),
            ("messages_sent", c.messages_sent),
            ("deliveries", c.deliveries),
            ("dropped", c.dropped),
            ("redelivered", c.redelivered),
            ("duplicates_absorbed", c.duplicates_absorbed),
            ("retries", c.retries),
            ("timeouts", c.timeouts),
            ("lost_publishes", c.lost_publishes),
            ("lost_sagas", c.lost_sagas),
            ("dirty_reads", c.dirty_reads),
            ("lost_updates", c.lost_updates),
        ] {
            m.counters.insert(name.to_string(), v);
        }
        let finished = c.completed + c.compensated;
        if let Some(rate) = (c.compensated * 1000).checked_div(finished) {
            m.counters.insert("compensation_rate_permille".into(), rate);
        }
        for (i, step) in self.flow.steps.iter().enumerate() {
            let (a, f) = (self.step_attempts[i], self.step_failures[i]);
            m.counters.insert(format!("step.{}.attempts", step.name), a);
            m.counters.insert(format!("step.{}.failures", step.name), f);
            if let Some(rate) = (f * 1000).checked_div(a) {
                m.counters
                    .insert(format!("step.{}.failure_rate_permille", step.name), rate);
            }
        }
        m.histograms
            .insert("completion_ms".into(), self.completion_ms.clone());
        m
    }
}

/// A script of commands touching every input and fault, for the cross-cutting tests and as an
/// example: a declined payment, a transient inventory error, a lost reply, a service crash, a
/// crash after commit (the outbox saves the reply), a compensation that fails twice, duplicate
/// and dropped messages, an orchestrator crash and recovery, and a refused command.
pub fn sample_inputs() -> Vec<(Time, serde_json::Value)> {
    use serde_json::json;
    let inject = |step: &str, kind: serde_json::Value| json!({"inject": {"fault": {"step": step, "kind": kind}}});
    vec![
        (2_000, inject("authorize_payment", json!("decline"))),
        (
            8_000,
            inject("reserve_inventory", json!({"transient": {"times": 2}})),
        ),
        (14_000, inject("create_shipment", json!("lose_reply"))),
        (
            20_000,
            inject("authorize_payment", json!({"crash": {"for_ms": 4000}})),
        ),
        (
            30_000,
            inject(
                "reserve_inventory",
                json!({"crash_after_commit": {"for_ms": 3000}}),
            ),
        ),
        (
            40_000,
            inject(
                "reserve_inventory",
                json!({"compensation_failure": {"times": 2}}),
            ),
        ),
        (40_000, inject("complete_order", json!("decline"))),
        (50_000, json!("duplicate_next")),
        (
            55_000,
            json!({"bus": {"drop_pct": 10, "duplicate_pct": 10}}),
        ),
        (
            70_000,
            json!({"crash": {"node": "orchestrator", "for_ms": 5000}}),
        ),
        (90_000, json!({"bus": {"drop_pct": 0, "duplicate_pct": 0}})),
        (95_000, json!({"crash": {"node": "payment"}})),
        (100_000, json!({"recover": {"node": "payment"}})),
        (110_000, json!({"recover": {"node": "payment"}})),
        (120_000, json!("start_saga")),
        (130_000, inject("no_such_step", json!("decline"))),
    ]
}
