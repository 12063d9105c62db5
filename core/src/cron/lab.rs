//! The scheduler lab (`scheduler`): a distributed cron. Scheduler nodes elect a leader through
//! a TTL lease in a coordination store; the leader scans the jobs' cron expressions and
//! enqueues due runs; workers pull runs from a queue, run them and apply their effect to a
//! target resource. Faults break every part of it, and the invariants watch the effect:
//! **every (job, scheduled time) is applied exactly once**, and **no scheduled run is lost**
//! except as the misfire policy says.
//!
//! ```text
//!   nodes 0..n ──CAS lease (TTL, token)──► coordination store ◄── job cursors (last dispatched)
//!      │ leader scans cron every tick
//!      ▼ enqueue (job, scheduled time, token)
//!   queue (pool order, below) ──pull──► workers 0..w ──effect(token)──► target
//!      ▲ visibility timeout, heartbeats, acks       │ fail: retry with backoff, or dead-letter
//! ```
//!
//! **Leases and tokens.** Every `renew_ms` each node that can reach the store renews its lease
//! (compare-and-set: only the holder, only before it expires) or, once the lease has expired,
//! takes it with the next fencing token (tokens only grow). A node acts as leader while its
//! own clock is before the lease's expiry time as the store reported it, so a node whose clock
//! lags (`clock_skew`) leads for longer than it should. A partitioned node (`partition`)
//! reaches neither the store nor the other nodes but still reaches the queue: it keeps
//! enqueueing until its lease expires by its clock, and cannot record its cursor in the store.
//! The next leader starts from the store's cursor and enqueues those runs again.
//!
//! **Fencing.** A run's effect carries the token of the leader that enqueued it, and the
//! store takes a leader's cursor only with the current lease's token. With `fencing` on the
//! target's write is conditional too: keyed by the run and stamped with its token, it applies
//! each (job, scheduled time) once and refuses a later copy, naming the token that applied it.
//! (A token compared only against the highest seen cannot do this alone: the stale leader's
//! copy may arrive first, and refusing every lower token would drop runs the old leader
//! enqueued legitimately before it died.) With fencing off the target applies whatever
//! arrives, and a partitioned old leader's copy becomes a duplicate, which
//! [`Simulation::check`] reports with the interleaving that caused it.
//!
//! **Workers and the queue.** An idle worker takes the best ready run in the scenario's
//! `pool` order:
//!
//! | `pool` | the run an idle worker takes |
//! |---|---|
//! | `priority` (default) | the highest priority, then the earliest scheduled time |
//! | `fifo` | the earliest enqueued (a retried run keeps its place) |
//! | `fair_share` | from the backlogged tenant furthest behind its share, then by priority |
//!
//! Fair share is stride scheduling, a deficit round-robin over started runs: each tenant has a
//! `pass`, and starting one of its runs adds `STRIDE / weight` to it (weights from
//! `tenant_weights`, default 1). The worker serves the tenant with the lowest pass among those
//! with a run it can take (ties by name). A tenant that was idle comes back at the current
//! pass, not with credit saved up, so a burst of one tenant delays another by at most one run
//! per worker and cannot starve it. Jobs name their tenant (default `default`); the metrics
//! give schedule lag per tenant as `lag_ms.<tenant>` once any job names a tenant.
//!
//! The run is invisible to others for
//! `visibility_timeout_ms`, extended by heartbeats every `heartbeat_ms`; a crashed worker stops
//! heartbeating, so its run reappears and another worker takes it. A failed run is retried
//! after `backoff_base_ms × 2^(attempt-1)` (capped at `backoff_max_ms`) with seeded "equal
//! jitter" (half fixed, half random); after `max_attempts` deliveries it is dead-lettered.
//!
//! | per job | choices |
//! |---|---|
//! | misfire (runs due longer than `misfire_grace_ms` ago, after downtime) | `fire_once` (the latest only), `fire_all`, `skip` |
//! | overlap (a run of the job is still going when the next is taken) | `allow`, `skip` (drop the new run), `queue` (wait), `replace` (cancel the old run) |
//!
//! **No run lost.** [`Simulation::check`] also audits every job against its own history: each
//! version of a job (from its addition or change to the next change or its deletion) owns
//! its fire times. Once the store's cursor for the job passes a due time, no leader will
//! enqueue it again, so some scan must have enumerated it, to enqueue it or to drop it as its
//! misfire policy says (counted in `missed`). From the queue on, the conservation check
//! (enqueued = settled + queued) holds the rest: a run waits, runs or retries in the queue
//! until it is applied, dead-lettered, skipped or replaced by its overlap policy, or discarded
//! with its job. Runs not yet dispatched (the store down, no leader) are late, not lost.
//! A job change keeps the runs that fell due before it (`job_change: keep_due`); with
//! `from_cursor` the new schedule replaces the old from the last dispatched time, and a run
//! that fell due between the leader's scans is lost, which the audit reports.
//!
//! Cron expressions are evaluated in UTC, or on the wall clock of a job's `zone` under the
//! job's `dst` policy (by default a skipped time runs at the next valid instant, a repeated
//! one once; `{"gap": "skip", "fold": "twice"}` chooses otherwise).
//! Simulated time 0 is the scenario's `epoch` (Unix seconds). A zone is resolved from the
//! scenario's own `tzif` data when it carries the zone, so a link replays identically
//! anywhere; otherwise from the bundled database (native builds; see [`super::tzdata`]).
//!
//! At one time, in this order: restarts, expired visibility timeouts, workers (finishing,
//! then heartbeats, by index), nodes (by index), then idle workers pull.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::{civil, tzdata, Dst, Schedule, Zone};
use crate::metrics::{Histogram, Metrics, Series, Summary};
use crate::rng::Rng;
use crate::sim::{Emit, Refusal, Simulation, Time, Violation};

/// What the leader does with runs that fell due more than `misfire_grace_ms` ago.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Misfire {
    /// Run once for all the missed times (the latest of them).
    #[default]
    FireOnce,
    /// Run every missed time.
    FireAll,
    /// Run none of them.
    Skip,
}

/// How a changed schedule treats runs that fell due before the change but were not yet
/// enqueued (the leader scans once per `renew_ms`, later still with a slow clock).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobChange {
    /// Each version of the job keeps the runs that fell due under it: the old schedule up to
    /// the change, the new one after it.
    #[default]
    KeepDue,
    /// The new schedule replaces the old one from the last dispatched time, as rescheduling a
    /// trigger does in many schedulers: a run of the old schedule not yet enqueued is lost,
    /// and the "no run lost" invariant says so.
    FromCursor,
}

fn is_default_job_change(c: &JobChange) -> bool {
    *c == JobChange::default()
}

/// The order in which idle workers take ready runs (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    /// By enqueue order.
    Fifo,
    /// By priority, then scheduled time.
    #[default]
    Priority,
    /// Across tenants in proportion to their weights, then by priority within a tenant.
    FairShare,
}

/// Fair share's pass increment for weight 1; divisible by every weight up to 16, so common
/// weights divide it exactly.
const STRIDE: u64 = 720_720;

/// What a worker does when it takes a run while another run of the same job is going.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    /// Run both.
    #[default]
    Allow,
    /// Drop the new run.
    Skip,
    /// Leave the new run in the queue until the old one ends.
    Queue,
    /// Cancel the old run and run the new one.
    Replace,
}

/// A job as registered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobSpec {
    pub name: String,
    /// Five or six fields (seconds first), evaluated in UTC.
    pub cron: String,
    pub duration_ms: u64,
    /// The chance that one attempt fails, in percent.
    pub fail_percent: u32,
    /// Higher runs first.
    pub priority: u32,
    pub misfire: Misfire,
    pub overlap: Overlap,
    /// Who the job belongs to, for fair-share pool scheduling and per-tenant lag. Left out
    /// of the JSON when it is the default, so that logs and links from before tenants read
    /// the same.
    #[serde(skip_serializing_if = "is_default_tenant")]
    pub tenant: String,
    /// The IANA zone whose wall clock `cron` follows; UTC when absent (and then not written,
    /// so older links read and write the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// What a local time skipped or repeated by the zone's clock changes does (see
    /// [`super::Dst`]); left out of the JSON at the default (`next_valid`, `once`).
    #[serde(skip_serializing_if = "is_default_dst")]
    pub dst: Dst,
}

fn is_default_dst(dst: &Dst) -> bool {
    *dst == Dst::default()
}

fn is_default_tenant(tenant: &str) -> bool {
    tenant == "default"
}

fn is_default_pool(pool: &Pool) -> bool {
    *pool == Pool::default()
}

impl Default for JobSpec {
    fn default() -> Self {
        JobSpec {
            name: "job".into(),
            cron: "0 * * * * *".into(),
            duration_ms: 5_000,
            fail_percent: 0,
            priority: 5,
            misfire: Misfire::FireOnce,
            overlap: Overlap::Allow,
            tenant: "default".into(),
            zone: None,
            dst: Dst::default(),
        }
    }
}

impl JobSpec {
    fn validate(&self) -> Result<Schedule, String> {
        if self.name.is_empty() || self.name.len() > 40 {
            return Err("a job name must have 1 to 40 characters".into());
        }
        if self.duration_ms == 0 || self.duration_ms > 3_600_000 {
            return Err(format!(
                "job {}: duration_ms must be between 1 and 3600000",
                self.name
            ));
        }
        if self.fail_percent > 100 {
            return Err(format!(
                "job {}: fail_percent must be at most 100",
                self.name
            ));
        }
        if self.priority > 9 {
            return Err(format!("job {}: priority must be 0 to 9", self.name));
        }
        if self.tenant.is_empty() || self.tenant.len() > 40 {
            return Err(format!(
                "job {}: a tenant name must have 1 to 40 characters",
                self.name
            ));
        }
        Schedule::parse(&self.cron).map_err(|e| format!("job {}: cron: {e}", self.name))
    }
}

/// Everything needed to start a run of the scheduler lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub seed: u64,
    /// The Unix second at simulated time 0.
    pub epoch: i64,
    /// Scheduler nodes, 1 to 7.
    pub nodes: u32,
    /// Workers, 1 to 50.
    pub workers: u32,
    pub lease_ttl_ms: u64,
    /// How often each node renews (or tries to take) the lease and, as leader, scans.
    pub renew_ms: u64,
    pub visibility_timeout_ms: u64,
    pub heartbeat_ms: u64,
    pub fencing: bool,
    pub max_attempts: u32,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    pub misfire_grace_ms: u64,
    /// How long a crashed node or worker stays down.
    pub restart_ms: u64,
    pub jobs: Vec<JobSpec>,
    /// The order in which idle workers take ready runs. Like the weights, left out of the
    /// JSON at its default, so that links from before pools read the same.
    #[serde(skip_serializing_if = "is_default_pool")]
    pub pool: Pool,
    /// Fair-share weight per tenant, 1 to 100; tenants not listed weigh 1.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tenant_weights: BTreeMap<String, u32>,
    /// What a job change does to runs already due; left out of the JSON at its default.
    #[serde(skip_serializing_if = "is_default_job_change")]
    pub job_change: JobChange,
    /// Time-zone data the jobs' zones need, carried by the scenario so a run is reproducible
    /// without any database: zone name → its TZif file in base64 (see
    /// [`tzdata::tzif_base64`]). Empty (and not written) when every job runs in UTC.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tzif: BTreeMap<String, String>,
}

impl Default for Scenario {
    fn default() -> Self {
        let job =
            |name: &str, cron: &str, duration_ms, fail_percent, priority, misfire, overlap| {
                JobSpec {
                    name: name.into(),
                    cron: cron.into(),
                    duration_ms,
                    fail_percent,
                    priority,
                    misfire,
                    overlap,
                    ..JobSpec::default()
                }
            };
        Scenario {
            seed: 1,
            // 2024-01-01T00:00:00Z.
            epoch: 1_704_067_200,
            nodes: 3,
            workers: 4,
            lease_ttl_ms: 5_000,
            renew_ms: 1_000,
            visibility_timeout_ms: 15_000,
            heartbeat_ms: 5_000,
            fencing: true,
            max_attempts: 4,
            backoff_base_ms: 2_000,
            backoff_max_ms: 30_000,
            misfire_grace_ms: 5_000,
            restart_ms: 20_000,
            jobs: vec![
                job(
                    "heartbeat",
                    "*/10 * * * * *",
                    1_500,
                    0,
                    5,
                    Misfire::Skip,
                    Overlap::Skip,
                ),
                job(
                    "report",
                    "0 * * * * *",
                    20_000,
                    20,
                    3,
                    Misfire::FireOnce,
                    Overlap::Allow,
                ),
                job(
                    "sync",
                    "*/30 * * * * *",
                    25_000,
                    5,
                    4,
                    Misfire::FireOnce,
                    Overlap::Queue,
                ),
                job(
                    "billing",
                    "0 */5 * * * *",
                    8_000,
                    10,
                    9,
                    Misfire::FireAll,
                    Overlap::Replace,
                ),
            ],
            pool: Pool::Priority,
            tenant_weights: BTreeMap::new(),
            job_change: JobChange::KeepDue,
            tzif: BTreeMap::new(),
        }
    }
}

impl Scenario {
    /// Explains which field is out of range.
    pub fn validate(&self) -> Result<(), String> {
        let range = |name: &str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between {lo} and {hi}, not {v}"))
            }
        };
        range("nodes", u64::from(self.nodes), 1, 7)?;
        range("workers", u64::from(self.workers), 1, 50)?;
        range("lease_ttl_ms", self.lease_ttl_ms, 100, 600_000)?;
        range("renew_ms", self.renew_ms, 10, 600_000)?;
        range(
            "visibility_timeout_ms",
            self.visibility_timeout_ms,
            100,
            3_600_000,
        )?;
        range("heartbeat_ms", self.heartbeat_ms, 10, 3_600_000)?;
        range("max_attempts", u64::from(self.max_attempts), 1, 100)?;
        range("backoff_base_ms", self.backoff_base_ms, 1, 3_600_000)?;
        range("backoff_max_ms", self.backoff_max_ms, 1, 86_400_000)?;
        range("misfire_grace_ms", self.misfire_grace_ms, 0, 86_400_000)?;
        range("restart_ms", self.restart_ms, 1, 86_400_000)?;
        if !(civil::MIN_SECOND..=civil::MAX_SECOND / 2).contains(&self.epoch) {
            return Err("epoch must be a Unix second between the years 1 and 5000".into());
        }
        if self.jobs.len() > 2_000 {
            return Err("at most 2000 jobs".into());
        }
        for (tenant, &weight) in &self.tenant_weights {
            if !(1..=100).contains(&weight) {
                return Err(format!(
                    "tenant {tenant}: weight must be between 1 and 100, not {weight}"
                ));
            }
        }
        if self.tzif.len() > tzdata::MAX_SCENARIO_ZONES {
            return Err(format!(
                "tzif: at most {} zones",
                tzdata::MAX_SCENARIO_ZONES
            ));
        }
        for (name, text) in &self.tzif {
            tzdata::zone_from_base64(name, text).map_err(|e| format!("tzif: {e}"))?;
        }
        let mut names = BTreeSet::new();
        for j in &self.jobs {
            j.validate()?;
            self.job_zone(j)?;
            if !names.insert(&j.name) {
                return Err(format!("two jobs are named {}", j.name));
            }
        }
        Ok(())
    }

    /// The zone of a job: UTC, the scenario's own `tzif` data for it, or the bundled database.
    pub fn job_zone(&self, job: &JobSpec) -> Result<Zone, String> {
        let Some(name) = &job.zone else {
            return Ok(Zone::utc());
        };
        match self.tzif.get(name) {
            Some(text) => tzdata::zone_from_base64(name, text),
            None => Zone::named(name),
        }
        .map_err(|e| format!("job {}: zone: {e}", job.name))
    }

    /// The zones the jobs name that the scenario's `tzif` does not carry (UTC aside), each
    /// once, as the jobs spell them: what a build without a tz database must add first.
    pub fn zones_needed(&self) -> Vec<String> {
        let mut needed = BTreeSet::new();
        for job in &self.jobs {
            if let Some(name) = &job.zone {
                if !Zone::is_utc_name(name) && !self.tzif.contains_key(name) {
                    needed.insert(name.clone());
                }
            }
        }
        needed.into_iter().collect()
    }

    /// Adds the TZif data of every zone in [`Scenario::zones_needed`] from a tz database,
    /// keyed as the jobs spell it, so that the scenario runs anywhere without a database. A
    /// zone the database does not hold is refused with its name (and nothing is added).
    pub fn carry_zones(&mut self, data: &tzdata::TzData) -> Result<(), String> {
        let mut found = Vec::new();
        for name in self.zones_needed() {
            let job = self
                .jobs
                .iter()
                .find(|j| j.zone.as_deref() == Some(name.as_str()))
                .map_or("?", |j| j.name.as_str());
            let (_, tzif) = data
                .scenario_tzif(&name)
                .ok_or_else(|| format!("job {job}: zone: {}", Zone::unknown(&name)))?;
            found.push((name, tzif));
        }
        self.tzif.extend(found);
        Ok(())
    }
}

/// A click or a fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// The current leader stops (and restarts after `restart_ms`).
    CrashLeader,
    CrashNode {
        node: u32,
    },
    /// Cuts the current leader off from the store and the other nodes; `on: false` heals
    /// every partition.
    PartitionLeader {
        on: bool,
    },
    Partition {
        node: u32,
        on: bool,
    },
    /// Sets a node's clock to run `skew_ms` ahead (negative: behind) of true time.
    ClockSkew {
        node: u32,
        skew_ms: i64,
    },
    StoreDown {
        on: bool,
    },
    /// The worker stops mid-job (and restarts after `restart_ms`).
    CrashWorker {
        worker: u32,
    },
    /// Runs of the job started from now on take `extra_ms` longer.
    SlowJob {
        job: String,
        extra_ms: u64,
    },
    AddJob {
        job: JobSpec,
    },
    UpdateJob {
        job: JobSpec,
    },
    DeleteJob {
        name: String,
    },
    /// Enqueues a run of the job now, outside its schedule.
    Trigger {
        name: String,
    },
}

/// One run: a job and its scheduled time (simulated ms); manual runs are keyed apart.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunKey {
    /// First, so that ordering runs compares times before names.
    pub scheduled: Time,
    /// Shared with the job (runs are cloned into events often).
    pub job: Rc<str>,
    pub manual: bool,
}

/// Something that happened in the scheduler lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Elected {
        node: u32,
        token: u64,
    },
    /// A node stopped acting as leader: `why` says how it learnt.
    Deposed {
        node: u32,
        token: u64,
        why: &'static str,
    },
    Enqueued {
        run: RunKey,
        node: u32,
        token: u64,
    },
    Missed {
        job: String,
        count: u64,
        policy: Misfire,
    },
    Started {
        run: RunKey,
        worker: u32,
        attempt: u32,
        lag_ms: i64,
    },
    Applied {
        run: RunKey,
        worker: u32,
        token: u64,
        duplicate: bool,
    },
    Fenced {
        run: RunKey,
        worker: u32,
        token: u64,
        why: String,
    },
    Failed {
        run: RunKey,
        worker: u32,
        attempt: u32,
        retry_in_ms: u64,
    },
    DeadLettered {
        run: RunKey,
        attempts: u32,
    },
    Redelivered {
        run: RunKey,
        attempt: u32,
    },
    OverlapSkipped {
        run: RunKey,
    },
    Replaced {
        run: RunKey,
        worker: u32,
    },
    Discarded {
        run: RunKey,
    },
    NodeDown {
        node: u32,
    },
    NodeUp {
        node: u32,
    },
    Partitioned {
        node: u32,
        on: bool,
    },
    Skewed {
        node: u32,
        skew_ms: i64,
    },
    StoreDown {
        on: bool,
    },
    WorkerDown {
        worker: u32,
        run: Option<RunKey>,
    },
    WorkerUp {
        worker: u32,
    },
    Slowed {
        job: String,
        extra_ms: u64,
    },
    JobAdded {
        job: String,
    },
    JobChanged {
        job: String,
    },
    JobDeleted {
        job: String,
    },
    Triggered {
        job: String,
    },
}

/// The `node` of runs enqueued by hand.
pub const BY_HAND: u32 = u32::MAX;

impl fmt::Display for RunKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.manual {
            write!(
                f,
                "{}@manual {}",
                self.job,
                crate::sim::fmt_time(self.scheduled)
            )
        } else {
            write!(f, "{}@{}s", self.job, self.scheduled / 1000)
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Elected { node, token } => write!(f, "node {node} is leader (token {token})"),
            Event::Deposed { node, token, why } => {
                write!(f, "node {node} stops leading (token {token}): {why}")
            }
            Event::Enqueued { run, node, token } if *node == BY_HAND => {
                write!(f, "enqueued {run} by hand (token {token})")
            }
            Event::Enqueued { run, node, token } => {
                write!(f, "node {node} enqueues {run} (token {token})")
            }
            Event::Missed { job, count, policy } => {
                write!(
                    f,
                    "{job}: {count} missed run(s) not fired ({policy:?} misfire)"
                )
            }
            Event::Started {
                run,
                worker,
                attempt,
                lag_ms,
            } => write!(
                f,
                "worker {worker} starts {run} (attempt {attempt}, lag {lag_ms} ms)"
            ),
            Event::Applied {
                run,
                worker,
                token,
                duplicate,
            } => {
                write!(
                    f,
                    "target applies {run} from worker {worker} (token {token})"
                )?;
                if *duplicate {
                    f.write_str(": DUPLICATE")?;
                }
                Ok(())
            }
            Event::Fenced {
                run,
                worker,
                token,
                why,
            } => write!(
                f,
                "target refuses {run} from worker {worker} (token {token}): {why}"
            ),
            Event::Failed {
                run,
                worker,
                attempt,
                retry_in_ms,
            } => write!(
                f,
                "worker {worker}: {run} failed (attempt {attempt}), retry in {retry_in_ms} ms"
            ),
            Event::DeadLettered { run, attempts } => {
                write!(f, "{run} dead-lettered after {attempts} attempts")
            }
            Event::Redelivered { run, attempt } => write!(
                f,
                "{run}: visibility timeout expired, visible again (delivery {attempt} lost)"
            ),
            Event::OverlapSkipped { run } => {
                write!(f, "{run} skipped: the previous run is still going")
            }
            Event::Replaced { run, worker } => {
                write!(f, "worker {worker} cancels {run}: replaced by a newer run")
            }
            Event::Discarded { run } => write!(f, "{run} discarded: the job was deleted"),
            Event::NodeDown { node } => write!(f, "node {node} crashed"),
            Event::NodeUp { node } => write!(f, "node {node} restarted"),
            Event::Partitioned { node, on: true } => write!(f, "node {node} partitioned"),
            Event::Partitioned { node, on: false } => write!(f, "node {node} reconnected"),
            Event::Skewed { node, skew_ms } => write!(f, "node {node} clock skew {skew_ms} ms"),
            Event::StoreDown { on: true } => f.write_str("coordination store unavailable"),
            Event::StoreDown { on: false } => f.write_str("coordination store back"),
            Event::WorkerDown { worker, run } => {
                write!(f, "worker {worker} crashed")?;
                if let Some(r) = run {
                    write!(f, " while running {r}")?;
                }
                Ok(())
            }
            Event::WorkerUp { worker } => write!(f, "worker {worker} restarted"),
            Event::Slowed { job, extra_ms } => {
                write!(f, "{job} runs take {extra_ms} ms longer")
            }
            Event::JobAdded { job } => write!(f, "job {job} added"),
            Event::JobChanged { job } => write!(f, "job {job} changed"),
            Event::JobDeleted { job } => write!(f, "job {job} deleted"),
            Event::Triggered { job } => write!(f, "job {job} triggered by hand"),
        }
    }
}

/// The lease as the store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub holder: u32,
    pub token: u64,
    pub expires: Time,
}

/// A scheduler node.
#[derive(Clone, Debug)]
pub struct Node {
    pub up: bool,
    pub partitioned: bool,
    pub skew_ms: i64,
    /// Whether it acted as leader at its last tick.
    leading: bool,
    /// The lease this node believes it holds: `(token, expiry as the store reported it)`.
    pub lease: Option<(u64, Time)>,
    /// The last scheduled time this node enqueued, per job id (a leader's working copy).
    cursor: Cursors,
    /// A leader's agenda: a min-heap of `(next scheduled time, job)`, so a scan touches only
    /// due jobs. An entry counts only while it matches `next_due`: moving a job pushes a new
    /// entry and leaves the old one to be dropped when it comes up.
    agenda: BinaryHeap<Reverse<(Time, JobId)>>,
    /// The live agenda entry of each job, by id.
    next_due: Cursors,
    restart_at: Option<Time>,
    next_tick: Time,
}

/// Where a queued run is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum MsgState {
    /// Can be taken from `at`.
    Ready { at: Time },
    /// Taken by `worker`, invisible until `until`.
    Taken {
        worker: u32,
        until: Time,
        receipt: u64,
    },
}

/// A queued run.
#[derive(Clone, Debug)]
struct Msg {
    run: RunKey,
    /// The id of `run.job`.
    job: JobId,
    token: u64,
    node: u32,
    priority: u32,
    /// Its job's tenant (an index into the lab's tenants).
    tenant: usize,
    /// Deliveries so far.
    attempts: u32,
    state: MsgState,
    /// Its entry in the timers (a retry's ready time, or the visibility timeout), if any.
    timer: Option<Time>,
}

/// A version of a job's timing: its schedule on the wall clock of its zone, under its DST
/// policy.
type Version = (Schedule, Zone, Dst);

/// One job's due runs as the "no run lost" audit sees them (see [`SchedulerLab::audit`]).
///
/// The audit's own model of which runs are due comes from the job's history, not from the
/// leaders' cursors: each version of the job (its schedule from the moment it was added or
/// changed until the next change or its deletion) owns its fire times in that interval.
///
/// ```text
///   versions   (0 ── */10 ──] 12.5 s (── */20 ──] 40 s deleted
///   due        10 s           20 s                  (none after the deletion)
///   accounted  every scheduled time a scan enumerated: enqueued, or dropped by misfire policy
///   audited    ───────────────────────────► the store's cursor (dispatched for good)
/// ```
#[derive(Clone, Debug, Default)]
struct Ledger {
    /// `(from, schedule)`: the version in force after `from`; `None` once deleted.
    versions: Vec<(Time, Option<Version>)>,
    /// Scheduled times after `audited` that a scan enumerated (a few: the audit follows the
    /// store's cursor closely), unsorted when a stale leader enumerates again.
    accounted: Vec<Time>,
    /// Every due time up to here was checked.
    audited: Time,
}

/// A run a worker is executing.
#[derive(Clone, Debug)]
struct Exec {
    msg: u64,
    /// The job of the run, to count a job's executing runs.
    job: JobId,
    receipt: u64,
    started: Time,
    ends: Time,
    fails: bool,
    next_heartbeat: Time,
}

/// A worker.
#[derive(Clone, Debug)]
pub struct Worker {
    pub up: bool,
    exec: Option<Exec>,
    restart_at: Option<Time>,
    busy_ms: u64,
}

/// A run's first application of its effect at the target (for fencing's answer and the
/// duplicate report), and how many there were.
#[derive(Clone, Copy, Debug)]
struct Applied {
    time: Time,
    token: u64,
    worker: u32,
    node: u32,
    count: u32,
}

/// One job's applied runs, sorted by `(scheduled time, manual)`.
///
/// A job's runs are mostly applied in the order of their scheduled times, so the new run
/// usually goes at the end: one comparison with the last entry, and an append. A run applied
/// out of order (a retry, a stale leader's copy) is found by binary search. A single map of
/// every run of a month would instead miss the cache on almost every application.
///
/// The latest key is kept beside the vector (`last`), and the lab keeps these side by side,
/// so that the usual append reads no entry: a month of 1,000 jobs touches each job's tail
/// once an hour, long after it has left the cache.
#[derive(Clone, Debug, Default)]
struct AppliedRuns {
    runs: Vec<((Time, bool), Applied)>,
    last: Option<(Time, bool)>,
}

impl AppliedRuns {
    /// The entry of run `key`, inserted as `record` if the run was never applied.
    fn entry(&mut self, key: (Time, bool), record: Applied) -> &mut Applied {
        let runs = &mut self.runs;
        let at = match self.last {
            None => 0,
            Some(last) if last < key => runs.len(),
            _ => match runs.binary_search_by(|(k, _)| k.cmp(&key)) {
                Ok(found) => return &mut runs[found].1,
                Err(at) => at,
            },
        };
        if at == runs.len() {
            self.last = Some(key);
        }
        runs.insert(at, (key, record));
        &mut runs[at].1
    }

    fn contains(&self, key: (Time, bool)) -> bool {
        self.runs.binary_search_by(|(k, _)| k.cmp(&key)).is_ok()
    }

    fn iter(&self) -> impl Iterator<Item = &((Time, bool), Applied)> {
        self.runs.iter()
    }
}

/// A job's number: its name interned on first sight (jobs are looked up by number in the
/// hot paths; a deleted and re-added job gets its old number back, so runs, cursors and
/// applications stay keyed by name, as the model says).
type JobId = u32;

/// A time per job id, `None` where there is none; grows as names are interned.
#[derive(Clone, Debug, Default)]
struct Cursors(Vec<Option<Time>>);

impl Cursors {
    fn get(&self, job: JobId) -> Option<Time> {
        self.0.get(job as usize).copied().flatten()
    }
    fn set(&mut self, job: JobId, t: Option<Time>) {
        let i = job as usize;
        if i >= self.0.len() {
            if t.is_none() {
                return;
            }
            self.0.resize(i + 1, None);
        }
        self.0[i] = t;
    }
    fn clear(&mut self) {
        self.0.clear();
    }
}

/// The registered jobs by id, and the id of every name ever registered.
#[derive(Clone, Debug, Default)]
struct Jobs {
    by_id: Vec<Option<Job>>,
    /// The name of every id.
    names: Vec<Rc<str>>,
    ids: BTreeMap<Rc<str>, JobId>,
    live: usize,
}

impl Jobs {
    fn get(&self, id: JobId) -> Option<&Job> {
        self.by_id.get(id as usize).and_then(Option::as_ref)
    }
    fn get_mut(&mut self, id: JobId) -> Option<&mut Job> {
        self.by_id.get_mut(id as usize).and_then(Option::as_mut)
    }
    /// The id of a registered (live) job.
    fn id(&self, name: &str) -> Option<JobId> {
        self.ids
            .get(name)
            .copied()
            .filter(|&id| self.get(id).is_some())
    }
    /// The name of an id, registered or not.
    fn name(&self, id: JobId) -> &Rc<str> {
        &self.names[id as usize]
    }
    fn by_name(&self, name: &str) -> Option<&Job> {
        self.id(name).and_then(|id| self.get(id))
    }
    fn by_name_mut(&mut self, name: &str) -> Option<&mut Job> {
        let id = self.id(name)?;
        self.get_mut(id)
    }
    /// The shared name and id of `name`, interning it on first sight.
    fn intern(&mut self, name: &str) -> (Rc<str>, JobId) {
        if let Some((key, &id)) = self.ids.get_key_value(name) {
            return (key.clone(), id);
        }
        let id = self.by_id.len() as JobId;
        let key: Rc<str> = name.into();
        self.by_id.push(None);
        self.names.push(key.clone());
        self.ids.insert(key.clone(), id);
        (key, id)
    }
    /// Registers `job` under its interned id.
    fn insert(&mut self, id: JobId, job: Job) {
        let slot = &mut self.by_id[id as usize];
        if slot.is_none() {
            self.live += 1;
        }
        *slot = Some(job);
    }
    fn remove(&mut self, name: &str) -> Option<JobId> {
        let id = self.id(name)?;
        self.by_id[id as usize] = None;
        self.live -= 1;
        Some(id)
    }
    fn len(&self) -> usize {
        self.live
    }
    /// Live jobs in name order.
    fn in_name_order(&self) -> impl Iterator<Item = &Job> {
        self.ids.values().filter_map(|&id| self.get(id))
    }
    /// Live job ids in id order.
    fn ids(&self) -> impl Iterator<Item = JobId> + '_ {
        (0..self.by_id.len() as JobId).filter(|&id| self.get(id).is_some())
    }
}

#[derive(Clone, Debug)]
struct Job {
    /// The job's name, shared by its runs.
    key: Rc<str>,
    id: JobId,
    spec: JobSpec,
    schedule: Schedule,
    created: Time,
    extra_ms: u64,
    /// An index into the lab's tenants.
    tenant: usize,
}

/// A tenant's fair-share state.
#[derive(Clone, Debug)]
struct Tenant {
    name: String,
    /// `STRIDE / weight`: what one started run adds to `pass`.
    stride: u64,
    /// Its position in the fair-share round: lowest is served next.
    pass: u64,
    /// The schedule lag of its runs' first attempts, ms.
    lag: Vec<u64>,
}

/// The lab's counters, kept in an array: [`Metrics::add`] allocates the name on every call,
/// and the scheduler counts millions of times in a long run.
#[derive(Clone, Copy)]
enum Count {
    LeaderChanges,
    Missed,
    Enqueued,
    Discarded,
    OverlapSkipped,
    Replaced,
    DeadLettered,
    Retries,
    Fenced,
    Duplicates,
    Applied,
    Redelivered,
}

/// The metric names of [`Count`], in its order.
const COUNT_NAMES: [&str; 12] = [
    "leader_changes",
    "missed",
    "enqueued",
    "discarded",
    "overlap_skipped",
    "replaced",
    "dead_lettered",
    "retries",
    "fenced",
    "duplicates",
    "applied",
    "redelivered",
];

/// The scheduler lab. See the module documentation.
#[derive(Clone)]
pub struct SchedulerLab {
    scenario: Scenario,
    now: Time,
    rng: Rng,
    store_up: bool,
    lease: Option<Lease>,
    next_token: u64,
    /// The last dispatched scheduled time per job id, as the store holds it.
    store_cursor: Cursors,
    /// `(time, node, token)` of every election, for the duplicate report.
    elections: Vec<(Time, u32, u64)>,
    nodes: Vec<Node>,
    workers: Vec<Worker>,
    jobs: Jobs,
    /// How many runs of each job (by id) workers are executing.
    executing: Vec<u32>,
    /// Tenants in order of first appearance, and their indices by name.
    tenants: Vec<Tenant>,
    tenant_ids: BTreeMap<String, usize>,
    /// Fair share's current pass: the pass of the tenant served last.
    round: u64,
    queue: BTreeMap<u64, Msg>,
    /// Messages that can be taken now, best first, keyed by `ready_key` (the pool order).
    ready: BTreeSet<(Reverse<u32>, Time, u64)>,
    /// `(time, id)`: a retry becoming ready or a visibility timeout expiring.
    timers: BTreeSet<(Time, u64)>,
    next_msg: u64,
    next_receipt: u64,
    dead: Vec<RunKey>,
    /// Per job id: its applied runs.
    applied: Vec<AppliedRuns>,
    /// Per job id: its versions and the runs scans accounted for, for the audit.
    ledgers: Vec<Ledger>,
    /// The first run the audit found lost.
    lost: Option<Violation>,
    /// Due runs the audit has checked.
    audited: u64,
    /// The scan's buffer of due times, kept to save an allocation per scanned job.
    due: Vec<Time>,
    max_token_seen: u64,
    duplicate: Option<Violation>,
    /// Messages ever enqueued, and where they went: the conservation check.
    enqueued: u64,
    settled: u64,
    /// The earliest restart, run end or heartbeat of any worker, kept up to date after every
    /// step and command that touches workers, so that steps with nothing for the workers (most
    /// of them: lease renewals) do not look at each one.
    worker_due: Option<Time>,
    counts: [u64; COUNT_NAMES.len()],
    /// The schedule lag of every run's first attempt, ms.
    lag: Vec<u64>,
    /// The queue depth last recorded in the gauge.
    last_depth: Option<usize>,
    /// The queue depth over time (the `queue_depth` gauge).
    depth: Series,
}

/// One node as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub up: bool,
    pub partitioned: bool,
    pub skew_ms: i64,
    /// Acts as leader now, by its own clock.
    pub leading: bool,
    /// The token and lease expiry it believes it holds.
    pub lease: Option<(u64, Time)>,
}

/// One queued run as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedView {
    pub run: RunKey,
    pub priority: u32,
    pub attempts: u32,
    pub token: u64,
    /// The worker running it, if taken.
    pub worker: Option<u32>,
    /// When it becomes visible (ready runs waiting for a retry) or its visibility ends.
    pub until: Time,
}

/// One worker as the page draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerView {
    pub up: bool,
    /// The run it executes, with its start and end.
    pub run: Option<(RunKey, Time, Time)>,
    /// Time spent executing runs so far, including the current one.
    pub busy_ms: u64,
}

/// What the page draws: the store's lease, the nodes, the queue, the workers and the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerView {
    pub now: Time,
    pub epoch: i64,
    pub store_up: bool,
    pub lease: Option<Lease>,
    pub nodes: Vec<NodeView>,
    /// At most [`QUEUE_SHOWN`] runs, best first.
    pub queue: Vec<QueuedView>,
    pub queue_depth: usize,
    pub workers: Vec<WorkerView>,
    /// `(name, cron)` of every job.
    pub jobs: Vec<(String, String)>,
    pub dead_letters: usize,
    pub applied: u64,
    pub duplicates: u64,
    pub fencing: bool,
}

/// Queued runs in [`SchedulerView::queue`].
pub const QUEUE_SHOWN: usize = 40;

impl SchedulerLab {
    /// The snapshot the page draws.
    pub fn view(&self) -> SchedulerView {
        let mut queue: Vec<(&u64, &Msg)> = self.queue.iter().collect();
        queue.sort_by_key(|(id, m)| Self::ready_key(self.scenario.pool, m, **id));
        SchedulerView {
            now: self.now,
            epoch: self.scenario.epoch,
            store_up: self.store_up,
            lease: self.lease.clone(),
            nodes: (0..self.nodes.len() as u32)
                .map(|i| {
                    let n = &self.nodes[i as usize];
                    NodeView {
                        up: n.up,
                        partitioned: n.partitioned,
                        skew_ms: n.skew_ms,
                        leading: self.acts_as_leader(i),
                        lease: n.lease,
                    }
                })
                .collect(),
            queue: queue
                .iter()
                .take(QUEUE_SHOWN)
                .map(|(_, m)| {
                    let (worker, until) = match m.state {
                        MsgState::Ready { at } => (None, at),
                        MsgState::Taken { worker, until, .. } => (Some(worker), until),
                    };
                    QueuedView {
                        run: m.run.clone(),
                        priority: m.priority,
                        attempts: m.attempts,
                        token: m.token,
                        worker,
                        until,
                    }
                })
                .collect(),
            queue_depth: self.queue.len(),
            workers: self
                .workers
                .iter()
                .map(|w| WorkerView {
                    up: w.up,
                    busy_ms: w.busy_ms + w.exec.as_ref().map_or(0, |e| self.now - e.started),
                    run: w.exec.as_ref().and_then(|e| {
                        self.queue
                            .get(&e.msg)
                            .map(|m| (m.run.clone(), e.started, e.ends))
                    }),
                })
                .collect(),
            jobs: self
                .jobs
                .in_name_order()
                .map(|j| (j.spec.name.clone(), j.spec.cron.clone()))
                .collect(),
            dead_letters: self.dead.len(),
            applied: self.counts[Count::Applied as usize],
            duplicates: self.counts[Count::Duplicates as usize],
            fencing: self.scenario.fencing,
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Every registered job's name, schedule, zone and DST policy, in name order (the page's
    /// heatmap and Gantt read them).
    pub fn job_schedules(&self) -> impl Iterator<Item = (&str, &Schedule, &Zone, Dst)> {
        self.jobs.in_name_order().filter_map(|j| {
            let (schedule, zone, dst) = self.ledgers[j.id as usize].versions.last()?.1.as_ref()?;
            Some((j.spec.name.as_str(), schedule, zone, *dst))
        })
    }
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    pub fn workers(&self) -> &[Worker] {
        &self.workers
    }
    pub fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }
    pub fn queue_depth(&self) -> usize {
        self.queue.len()
    }
    pub fn dead_letters(&self) -> &[RunKey] {
        &self.dead
    }
    /// The queue depth over time: a sample at every step that changed it, for charting.
    pub fn queue_depth_over_time(&self) -> &Series {
        &self.depth
    }
    /// Each worker's share of the time so far spent executing runs, in permille.
    pub fn worker_utilisation(&self) -> Vec<u32> {
        self.workers
            .iter()
            .map(|w| {
                let busy = w.busy_ms + w.exec.as_ref().map_or(0, |e| self.now - e.started);
                (busy * 1000).checked_div(self.now).unwrap_or(0) as u32
            })
            .collect()
    }
    /// How many due runs the "no run lost" audit has checked so far.
    pub fn audited_runs(&self) -> u64 {
        self.audited
    }
    /// Runs the misfire policy chose not to fire (the `missed` counter), without building
    /// every metric.
    pub fn missed_runs(&self) -> u64 {
        self.counts[Count::Missed as usize]
    }
    /// The schedule lag summary per tenant (the `lag_ms.<tenant>` histograms) by name, only
    /// for tenants with runs, and empty unless a job names a tenant; without building every
    /// metric.
    pub fn tenant_lag(&self) -> Vec<(String, Summary)> {
        let named = self.tenants.iter().any(|t| t.name != "default");
        let mut out: Vec<(String, Summary)> = self
            .tenants
            .iter()
            .filter(|t| named && !t.lag.is_empty())
            .map(|t| {
                let mut h = Histogram::default();
                for &x in &t.lag {
                    h.record(x);
                }
                (t.name.clone(), h.summary())
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
    /// How many times the target applied each run, in run order.
    pub fn applications(&self) -> impl Iterator<Item = (RunKey, usize)> {
        let mut runs: Vec<(RunKey, usize)> = Vec::new();
        for (id, applied) in self.applied.iter().enumerate() {
            let job = self.jobs.name(id as JobId);
            runs.extend(applied.iter().map(|&((scheduled, manual), a)| {
                let run = RunKey {
                    scheduled,
                    job: job.clone(),
                    manual,
                };
                (run, a.count as usize)
            }));
        }
        runs.sort();
        runs.into_iter()
    }
    /// The node that acts as leader now (by its own clock), if any.
    pub fn acting_leaders(&self) -> Vec<u32> {
        (0..self.nodes.len() as u32)
            .filter(|&i| self.acts_as_leader(i))
            .collect()
    }

    fn local_now(&self, node: u32) -> Time {
        let n = &self.nodes[node as usize];
        (self.now as i64 + n.skew_ms).max(0) as Time
    }

    fn acts_as_leader(&self, node: u32) -> bool {
        let n = &self.nodes[node as usize];
        n.up && n.lease.is_some_and(|(_, exp)| self.local_now(node) < exp)
    }

    fn reaches_store(&self, node: u32) -> bool {
        let n = &self.nodes[node as usize];
        n.up && !n.partitioned && self.store_up
    }

    fn unix(&self, t: Time) -> i64 {
        self.scenario.epoch + (t / 1000) as i64
    }

    fn sim_ms(&self, unix: i64) -> Time {
        ((unix - self.scenario.epoch).max(0) as Time) * 1000
    }

    fn backoff(&mut self, attempt: u32) -> u64 {
        let exp = self
            .scenario
            .backoff_base_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(30));
        let cap = exp.min(self.scenario.backoff_max_ms).max(1);
        cap / 2 + self.rng.below(cap - cap / 2 + 1)
    }

    /// Node `i`'s tick: the lease, then (as leader) the scan.
    fn tick_node(&mut self, i: u32, out: &mut dyn Emit<Event>) {
        let now = self.now;
        if self.reaches_store(i) {
            let held = self.lease.clone().filter(|l| l.expires > now);
            match held {
                Some(l) if l.holder == i => {
                    let expires = now + self.scenario.lease_ttl_ms;
                    self.lease = Some(Lease { expires, ..l });
                    let n = &mut self.nodes[i as usize];
                    if n.lease.is_none() {
                        // Back after a restart (or after doubting its lease): it reloads the
                        // store's cursor as a new leader would.
                        n.cursor = self.store_cursor.clone();
                        self.nodes[i as usize].lease = Some((l.token, expires));
                        self.plan_all(i);
                    } else {
                        n.lease = Some((l.token, expires));
                    }
                }
                Some(_) => {
                    self.nodes[i as usize].leading = false;
                    if let Some((token, _)) = self.nodes[i as usize].lease.take() {
                        out.emit(
                            now,
                            Event::Deposed {
                                node: i,
                                token,
                                why: "the store shows another holder",
                            },
                        );
                    }
                }
                None => {
                    self.next_token += 1;
                    let token = self.next_token;
                    let expires = now + self.scenario.lease_ttl_ms;
                    self.lease = Some(Lease {
                        holder: i,
                        token,
                        expires,
                    });
                    let n = &mut self.nodes[i as usize];
                    n.lease = Some((token, expires));
                    n.cursor = self.store_cursor.clone();
                    self.plan_all(i);
                    self.elections.push((now, i, token));
                    self.counts[Count::LeaderChanges as usize] += 1;
                    out.emit(now, Event::Elected { node: i, token });
                }
            }
        }
        if let Some((token, _)) = self.nodes[i as usize].lease {
            if self.acts_as_leader(i) {
                self.nodes[i as usize].leading = true;
                self.scan(i, token, out);
            } else {
                let n = &mut self.nodes[i as usize];
                n.lease = None;
                // A node whose clock runs ahead may doubt a lease it has just renewed, every
                // tick: it says so once.
                if std::mem::take(&mut n.leading) {
                    out.emit(
                        now,
                        Event::Deposed {
                            node: i,
                            token,
                            why: "its lease expired by its clock",
                        },
                    );
                }
            }
        }
    }

    /// The leader's scan: enqueue every run due by its clock since its cursor.
    fn scan(&mut self, i: u32, token: u64, out: &mut dyn Emit<Event>) {
        const MAX_DUE: usize = 1_000;
        let now = self.now;
        let local = self.local_now(i);
        let local_unix = self.unix(local);
        let grace = self.scenario.misfire_grace_ms;
        // The due jobs, in name order (each is planned again after its scan).
        let mut ids: Vec<JobId> = Vec::new();
        let n = &mut self.nodes[i as usize];
        while let Some(&Reverse((t, id))) = n.agenda.peek() {
            if t > local {
                break;
            }
            n.agenda.pop();
            if n.next_due.get(id) == Some(t) {
                n.next_due.set(id, None);
                ids.push(id);
            }
        }
        if ids.len() > 1 {
            let jobs = &self.jobs;
            ids.sort_by(|&a, &b| {
                let name = |id| jobs.get(id).map(|j: &Job| &*j.key);
                name(a).cmp(&name(b))
            });
        }
        // One buffer of due times for the whole scan.
        let mut due = std::mem::take(&mut self.due);
        for id in ids {
            let Some(job) = self.jobs.get(id) else {
                continue;
            };
            let cursor = self.nodes[i as usize]
                .cursor
                .get(id)
                .unwrap_or(job.created)
                .max(job.created);
            due.clear();
            let mut missed = 0u64;
            let mut t = self.unix(cursor);
            // The first fire time after the due ones (`Some(None)`: there is none), which is
            // the job's next agenda entry: the plan after the scan need not compute it again.
            let mut next: Option<Option<Time>> = Some(None);
            // Each version of the job owns its fire times up to the next change: a run that
            // fell due before a change is still due under the schedule it fell due by.
            let ledger = &mut self.ledgers[id as usize];
            let versions = ledger.versions.len();
            let epoch = self.scenario.epoch;
            let sim_ms = |unix: i64| ((unix - epoch).max(0) as Time) * 1000;
            let from_cursor = self.scenario.job_change == JobChange::FromCursor;
            let first = if from_cursor { versions - 1 } else { 0 };
            'versions: for k in first..versions {
                let until = ledger.versions.get(k + 1).map_or(Time::MAX, |v| v.0);
                let (since, Some((schedule, zone, dst))) = &ledger.versions[k] else {
                    continue;
                };
                let since = if from_cursor { &0 } else { since };
                if until <= cursor {
                    continue;
                }
                let mut from = epoch + ((*since).max(cursor) / 1000) as i64;
                while let Some(n) = schedule.next_after(from, zone, *dst) {
                    let ms = sim_ms(n);
                    if ms > until {
                        continue 'versions;
                    }
                    if n > local_unix {
                        next = Some(Some(ms));
                        break 'versions;
                    }
                    if due.len() == MAX_DUE {
                        missed += 1;
                    } else {
                        due.push(ms);
                    }
                    if ms > ledger.audited {
                        ledger.accounted.push(ms);
                    }
                    (t, from) = (n, n);
                    if missed > 100_000 {
                        next = None;
                        break 'versions;
                    }
                }
            }
            let Some(&last) = due.last() else {
                self.plan_next(i, id, next);
                continue;
            };
            let new_cursor = self.sim_ms(t).max(last);
            // Due times grow, so the late ones (due longer than the grace ago) come first:
            // `due[..late]`. What fires is a tail of `due`: the late runs the policy keeps,
            // then the runs on time.
            let late = due.partition_point(|&d| local.saturating_sub(d) > grace);
            let policy = job.spec.misfire;
            let first_fired = match policy {
                Misfire::FireAll => 0,
                Misfire::FireOnce => late.saturating_sub(1),
                Misfire::Skip => late,
            };
            missed += first_fired as u64;
            if missed > 0 {
                self.counts[Count::Missed as usize] += missed;
                out.emit(
                    now,
                    Event::Missed {
                        job: job.key.to_string(),
                        count: missed,
                        policy,
                    },
                );
            }
            let (priority, tenant) = (job.spec.priority, job.tenant);
            let key = job.key.clone();
            for &scheduled in &due[first_fired..] {
                let run = RunKey {
                    job: key.clone(),
                    scheduled,
                    manual: false,
                };
                self.enqueue(run, id, i, token, (priority, tenant), out);
            }
            self.nodes[i as usize].cursor.set(id, Some(new_cursor));
            self.plan_next(i, id, next);
            let fenced_out =
                self.scenario.fencing && self.lease.as_ref().is_some_and(|l| l.token != token);
            if self.reaches_store(i) && !fenced_out {
                self.store_cursor.set(id, Some(new_cursor));
                self.audit(id, new_cursor);
            }
        }
        self.due = due;
    }

    /// The "no run lost" audit of job `id` up to `horizon`, the scheduled time the store now
    /// records as dispatched: no leader will enqueue a run at or before it again, so every run
    /// due by then must have been enumerated by some scan (and then enqueued, or dropped by
    /// the job's misfire policy, which counts it as missed). What happens to an enqueued run
    /// is the conservation check's business ([`Simulation::check`]): it stays in the queue
    /// (waiting, running, or in retry) until it is applied, dead-lettered, skipped or
    /// replaced by its overlap policy, or discarded with its job. Runs not yet dispatched
    /// (the store is down, no node leads) are late, not lost: their lag shows it.
    fn audit(&mut self, id: JobId, horizon: Time) {
        let ledger = &self.ledgers[id as usize];
        if horizon <= ledger.audited {
            return;
        }
        let from = ledger.audited;
        let mut lost = None;
        let mut audited = 0;
        for (k, (since, schedule)) in ledger.versions.iter().enumerate() {
            let next = ledger.versions.get(k + 1);
            let until = next.map_or(horizon, |v| v.0.min(horizon));
            // A version that the job's deletion ended was audited as far as the store's
            // cursor got while the job lived; the runs the cursor had not reached went with
            // the job, as its queued runs do (discarded).
            let deleted = next.is_some_and(|v| v.1.is_none());
            let Some((schedule, zone, dst)) = schedule.as_ref().filter(|_| !deleted) else {
                continue;
            };
            let lo = (*since).max(from);
            if lo >= until {
                continue;
            }
            let mut t = self.unix(lo);
            while let Some(n) = schedule.next_after(t, zone, *dst) {
                let due = self.sim_ms(n);
                if due > until {
                    break;
                }
                if due > lo && !ledger.accounted.contains(&due) {
                    lost = Some(due);
                    break;
                }
                audited += 1;
                t = n;
            }
            if lost.is_some() {
                break;
            }
        }
        self.audited += audited;
        let ledger = &mut self.ledgers[id as usize];
        ledger.accounted.retain(|&t| t > horizon);
        ledger.audited = horizon;
        if let (Some(due), None) = (lost, &self.lost) {
            let run = RunKey {
                scheduled: due,
                job: self.jobs.name(id).clone(),
                manual: false,
            };
            let changes: Vec<String> = ledger
                .versions
                .windows(2)
                .map(|v| {
                    let what = match (&v[0].1, &v[1].1) {
                        (_, None) => "deleted",
                        (None, Some(_)) => "added again",
                        (Some(_), Some(_)) => "changed",
                    };
                    format!("{what} at {}", crate::sim::fmt_time(v[1].0))
                })
                .collect();
            let history = if changes.is_empty() {
                String::new()
            } else {
                format!("; the job was {}", changes.join(", "))
            };
            self.lost = Some(Violation {
                invariant: "no run lost".into(),
                detail: format!(
                    "{run} was due but never enqueued, and the store's cursor for {} is now at {}s: no leader will enqueue it{history}",
                    run.job,
                    horizon / 1000
                ),
            });
        }
    }

    fn enqueue(
        &mut self,
        run: RunKey,
        job: JobId,
        node: u32,
        token: u64,
        (priority, tenant): (u32, usize),
        out: &mut dyn Emit<Event>,
    ) {
        let now = self.now;
        out.emit(
            now,
            Event::Enqueued {
                run: run.clone(),
                node,
                token,
            },
        );
        self.next_msg += 1;
        let msg = Msg {
            run,
            job,
            token,
            node,
            priority,
            tenant,
            attempts: 0,
            state: MsgState::Ready { at: now },
            timer: None,
        };
        self.ready
            .insert(Self::ready_key(self.scenario.pool, &msg, self.next_msg));
        self.queue.insert(self.next_msg, msg);
        self.enqueued += 1;
        self.counts[Count::Enqueued as usize] += 1;
    }

    /// Removes a message for good.
    fn settle(&mut self, id: u64) -> Option<Msg> {
        let m = self.queue.remove(&id)?;
        self.ready
            .remove(&Self::ready_key(self.scenario.pool, &m, id));
        if let Some(t) = m.timer {
            self.timers.remove(&(t, id));
        }
        self.settled += 1;
        Some(m)
    }

    /// Moves message `id`'s timer to `at` (or removes it).
    fn set_timer(&mut self, id: u64, at: Option<Time>) {
        let Some(m) = self.queue.get_mut(&id) else {
            return;
        };
        if let Some(t) = m.timer.take() {
            self.timers.remove(&(t, id));
        }
        if let Some(t) = at {
            m.timer = Some(t);
            self.timers.insert((t, id));
        }
    }

    /// The first due time of `job` after `cursor` (or its creation), in simulated ms, under
    /// the version of the job in force at that time.
    fn first_due(&self, job: &Job, cursor: Option<Time>) -> Option<Time> {
        let from = cursor.unwrap_or(job.created).max(job.created);
        let versions = &self.ledgers[job.id as usize].versions;
        let from_cursor = self.scenario.job_change == JobChange::FromCursor;
        let first = if from_cursor { versions.len() - 1 } else { 0 };
        for (k, (since, schedule)) in versions.iter().enumerate().skip(first) {
            let since = if from_cursor { &0 } else { since };
            let until = versions.get(k + 1).map_or(Time::MAX, |v| v.0);
            let Some((schedule, zone, dst)) = schedule.as_ref().filter(|_| until > from) else {
                continue;
            };
            let lo = (*since).max(from);
            let due = schedule
                .next_after(self.unix(lo), zone, *dst)
                .map(|n| self.sim_ms(n));
            if due.is_some_and(|d| d <= until) {
                return due;
            }
        }
        None
    }

    /// Puts job `id` on node `i`'s agenda at its next due time (or takes it off).
    fn plan(&mut self, i: u32, id: JobId) {
        self.plan_next(i, id, None);
    }

    /// [`Self::plan`] with the next due time already known (`Some`), as a scan knows it.
    fn plan_next(&mut self, i: u32, id: JobId, next: Option<Option<Time>>) {
        let n = &self.nodes[i as usize];
        let job = self.jobs.get(id);
        let due = match next {
            Some(due) => due,
            None => job.and_then(|j| self.first_due(j, n.cursor.get(id))),
        };
        let live = job.is_some();
        let n = &mut self.nodes[i as usize];
        let due = due.filter(|_| live);
        if n.next_due.get(id) == due {
            return;
        }
        n.next_due.set(id, due);
        if let Some(t) = due {
            n.agenda.push(Reverse((t, id)));
        }
    }

    /// Rebuilds node `i`'s agenda for every job.
    fn plan_all(&mut self, i: u32) {
        let n = &mut self.nodes[i as usize];
        n.agenda.clear();
        n.next_due.clear();
        let ids: Vec<JobId> = self.jobs.ids().collect();
        for id in ids {
            self.plan(i, id);
        }
    }

    /// Re-plans a changed job on every node that has an agenda.
    fn replan(&mut self, id: JobId) {
        for i in 0..self.nodes.len() as u32 {
            if self.nodes[i as usize].lease.is_some() {
                self.plan(i, id);
            }
        }
    }

    /// Whether a run of `job` other than message `except` is being executed.
    fn running_of(&self, job: JobId, except: u64) -> Option<(u32, u64)> {
        // Most jobs have no run going: the count answers without looking at the workers.
        if self.executing.get(job as usize).is_none_or(|&n| n == 0) {
            return None;
        }
        self.workers.iter().enumerate().find_map(|(w, wk)| {
            let e = wk.exec.as_ref()?;
            let m = self.queue.get(&e.msg)?;
            (e.msg != except && m.job == job).then_some((w as u32, e.msg))
        })
    }

    /// Idle worker `w` takes the best ready run, applying overlap policies on the way.
    fn pull(&mut self, w: u32, out: &mut dyn Emit<Event>) {
        let now = self.now;
        loop {
            let Some(id) = self.best_ready() else {
                return;
            };
            let (run, job_id) = {
                let m = &self.queue[&id];
                (m.run.clone(), m.job)
            };
            // What the run needs of its job: overlap, failure chance, duration.
            let Some(job) = self.jobs.get(job_id).map(|j| {
                (
                    j.spec.overlap,
                    j.spec.fail_percent,
                    j.spec.duration_ms + j.extra_ms,
                )
            }) else {
                self.settle(id);
                self.counts[Count::Discarded as usize] += 1;
                out.emit(now, Event::Discarded { run });
                continue;
            };
            if let Some((other_w, other_msg)) = self.running_of(job_id, id) {
                match job.0 {
                    Overlap::Allow | Overlap::Queue => {}
                    Overlap::Skip => {
                        self.settle(id);
                        self.counts[Count::OverlapSkipped as usize] += 1;
                        out.emit(now, Event::OverlapSkipped { run });
                        continue;
                    }
                    Overlap::Replace => {
                        if let Some(old) = self.settle(other_msg) {
                            self.finish_busy(other_w);
                            self.counts[Count::Replaced as usize] += 1;
                            out.emit(
                                now,
                                Event::Replaced {
                                    run: old.run,
                                    worker: other_w,
                                },
                            );
                        }
                    }
                }
            }
            self.next_receipt += 1;
            let receipt = self.next_receipt;
            let fails = self.rng.chance(u64::from(job.1), 100);
            let until = now + self.scenario.visibility_timeout_ms;
            let Some(m) = self.queue.get_mut(&id) else {
                return;
            };
            m.attempts += 1;
            m.state = MsgState::Taken {
                worker: w,
                until,
                receipt,
            };
            let attempt = m.attempts;
            let (key, tenant) = (Self::ready_key(self.scenario.pool, m, id), m.tenant);
            self.ready.remove(&key);
            self.set_timer(id, Some(until));
            let lag_ms = now as i64 - run.scheduled as i64;
            if attempt == 1 {
                self.lag.push(lag_ms.max(0) as u64);
                self.tenants[tenant].lag.push(lag_ms.max(0) as u64);
            }
            if self.scenario.pool == Pool::FairShare {
                let t = &mut self.tenants[tenant];
                self.round = t.pass.max(self.round);
                t.pass = self.round + t.stride;
            }
            self.start_exec(job_id);
            self.workers[w as usize].exec = Some(Exec {
                msg: id,
                job: job_id,
                receipt,
                started: now,
                ends: now + job.2,
                fails,
                next_heartbeat: now + self.scenario.heartbeat_ms,
            });
            out.emit(
                now,
                Event::Started {
                    run,
                    worker: w,
                    attempt,
                    lag_ms,
                },
            );
            return;
        }
    }

    /// The ordering key of a ready message in `ready` under the scenario's pool: fair share
    /// orders by priority within a tenant and picks the tenant in [`Self::best_ready`].
    fn ready_key(pool: Pool, m: &Msg, id: u64) -> (Reverse<u32>, Time, u64) {
        match pool {
            Pool::Fifo => (Reverse(0), 0, id),
            Pool::Priority | Pool::FairShare => (Reverse(m.priority), m.run.scheduled, id),
        }
    }

    /// Whether message `id` must wait for its job's previous run (overlap `queue`).
    fn waits(&self, id: u64) -> bool {
        let job = self.queue[&id].job;
        self.jobs
            .get(job)
            .is_some_and(|j| j.spec.overlap == Overlap::Queue)
            && self.running_of(job, u64::MAX).is_some()
    }

    /// The ready run an idle worker takes next, passing over runs that wait for their job's
    /// previous run.
    fn best_ready(&self) -> Option<u64> {
        let mut ids = self.ready.iter().map(|&(_, _, id)| id);
        if self.scenario.pool != Pool::FairShare {
            return ids.find(|&id| !self.waits(id));
        }
        // The best run of each tenant that has one, then the tenant lowest in the round.
        let mut best: BTreeMap<usize, u64> = BTreeMap::new();
        for id in ids {
            let tenant = self.queue[&id].tenant;
            if !best.contains_key(&tenant) && !self.waits(id) {
                best.insert(tenant, id);
                if best.len() == self.tenants.len() {
                    break;
                }
            }
        }
        best.into_iter()
            .min_by(|(a, _), (b, _)| {
                let (ta, tb) = (&self.tenants[*a], &self.tenants[*b]);
                (ta.pass.max(self.round), &ta.name).cmp(&(tb.pass.max(self.round), &tb.name))
            })
            .map(|(_, id)| id)
    }

    /// The index of `tenant`, registering it on first sight.
    fn tenant_id(&mut self, tenant: &str) -> usize {
        if let Some(&i) = self.tenant_ids.get(tenant) {
            return i;
        }
        let weight = self.scenario.tenant_weights.get(tenant).copied();
        let i = self.tenants.len();
        self.tenants.push(Tenant {
            name: tenant.to_string(),
            stride: STRIDE / u64::from(weight.unwrap_or(1).max(1)),
            // A newcomer joins the round where it is, with no credit saved up.
            pass: self.round,
            lag: Vec::new(),
        });
        self.tenant_ids.insert(tenant.to_string(), i);
        i
    }

    /// The shared name and id of job `name`, with room for its per-job state.
    fn intern(&mut self, name: &str) -> (Rc<str>, JobId) {
        let (key, id) = self.jobs.intern(name);
        let len = id as usize + 1;
        if self.applied.len() < len {
            self.applied.resize_with(len, AppliedRuns::default);
            self.ledgers.resize_with(len, Ledger::default);
            self.executing.resize(len, 0);
        }
        (key, id)
    }

    /// Counts a run of job `job` starting on a worker.
    fn start_exec(&mut self, job: JobId) {
        self.executing[job as usize] += 1;
    }

    /// Ends worker `w`'s execution, counting its busy time.
    fn finish_busy(&mut self, w: u32) -> Option<Exec> {
        let now = self.now;
        let wk = &mut self.workers[w as usize];
        let e = wk.exec.take()?;
        wk.busy_ms += now - e.started;
        self.executing[e.job as usize] -= 1;
        Some(e)
    }

    /// Worker `w` finished its run.
    fn complete(&mut self, w: u32, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let Some(e) = self.finish_busy(w) else {
            return;
        };
        let Some(m) = self.queue.get(&e.msg).cloned() else {
            return;
        };
        let current = matches!(m.state, MsgState::Taken { receipt, .. } if receipt == e.receipt);
        if e.fails {
            if !current {
                return;
            }
            if m.attempts >= self.scenario.max_attempts {
                self.settle(e.msg);
                self.counts[Count::DeadLettered as usize] += 1;
                out.emit(
                    now,
                    Event::DeadLettered {
                        run: m.run.clone(),
                        attempts: m.attempts,
                    },
                );
                self.dead.push(m.run);
                return;
            }
            let retry_in_ms = self.backoff(m.attempts);
            self.counts[Count::Retries as usize] += 1;
            if let Some(q) = self.queue.get_mut(&e.msg) {
                q.state = MsgState::Ready {
                    at: now + retry_in_ms,
                };
            }
            self.set_timer(e.msg, Some(now + retry_in_ms));
            out.emit(
                now,
                Event::Failed {
                    run: m.run,
                    worker: w,
                    attempt: m.attempts,
                    retry_in_ms,
                },
            );
            return;
        }
        // The effect reaches the target whether or not the delivery is still current.
        self.apply_effect(&m, w, out);
        if current {
            self.settle(e.msg);
        }
    }

    fn apply_effect(&mut self, m: &Msg, w: u32, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let record = Applied {
            time: now,
            worker: w,
            token: m.token,
            node: m.node,
            count: 0,
        };
        // One search of the job's applied runs, whether fenced or not.
        let entry = self.applied[m.job as usize].entry((m.run.scheduled, m.run.manual), record);
        if self.scenario.fencing && entry.count > 0 {
            {
                let a = &entry;
                let why = format!(
                    "already applied by worker {} with token {}",
                    a.worker, a.token
                );
                self.counts[Count::Fenced as usize] += 1;
                out.emit(
                    now,
                    Event::Fenced {
                        run: m.run.clone(),
                        worker: w,
                        token: m.token,
                        why,
                    },
                );
                return;
            }
        }
        entry.count += 1;
        self.max_token_seen = self.max_token_seen.max(m.token);
        let duplicate = entry.count > 1;
        if duplicate {
            self.counts[Count::Duplicates as usize] += 1;
            if self.duplicate.is_none() {
                let a = &entry.clone();
                let b = &record;
                let elections: Vec<String> = self
                    .elections
                    .iter()
                    .filter(|(t, _, _)| *t <= now)
                    .map(|(t, n, k)| {
                        format!("node {n} took token {k} at {}", crate::sim::fmt_time(*t))
                    })
                    .collect();
                let detail = format!(
                    "{} applied twice: at {} by worker {} (enqueued by node {} with token {}) and at {} by worker {} (enqueued by node {} with token {}); {}",
                    m.run,
                    crate::sim::fmt_time(a.time),
                    a.worker,
                    a.node,
                    a.token,
                    crate::sim::fmt_time(b.time),
                    b.worker,
                    b.node,
                    b.token,
                    elections[elections.len().saturating_sub(2)..].join(", ")
                );
                self.duplicate = Some(Violation {
                    invariant: "exactly-once".into(),
                    detail,
                });
            }
        } else {
            self.counts[Count::Applied as usize] += 1;
        }
        out.emit(
            now,
            Event::Applied {
                run: m.run.clone(),
                worker: w,
                token: m.token,
                duplicate,
            },
        );
    }

    /// Everything due exactly at `self.now`, in the documented order.
    fn step(&mut self, out: &mut dyn Emit<Event>) {
        let now = self.now;
        for i in 0..self.nodes.len() {
            if self.nodes[i].restart_at == Some(now) {
                let n = &mut self.nodes[i];
                n.restart_at = None;
                n.up = true;
                n.next_tick = now;
                out.emit(now, Event::NodeUp { node: i as u32 });
            }
        }
        // One pass tells which worker phases have anything to do (if any has).
        let (mut restarts, mut ends, mut beats) = (false, false, false);
        let workers_due = self.worker_due.is_some_and(|t| t <= now);
        for wk in self.workers.iter().filter(|_| workers_due) {
            restarts |= wk.restart_at == Some(now);
            if let Some(e) = &wk.exec {
                ends |= e.ends <= now;
                beats |= e.next_heartbeat <= now;
            }
        }
        let mut pulled = false;
        for w in 0..self.workers.len() {
            if restarts && self.workers[w].restart_at == Some(now) {
                self.workers[w].restart_at = None;
                self.workers[w].up = true;
                out.emit(now, Event::WorkerUp { worker: w as u32 });
            }
        }
        while let Some(&(t, id)) = self.timers.first() {
            if t > now {
                break;
            }
            self.timers.remove(&(t, id));
            let max = self.scenario.max_attempts;
            let Some(m) = self.queue.get_mut(&id) else {
                continue;
            };
            m.timer = None;
            let taken = matches!(m.state, MsgState::Taken { .. });
            m.state = MsgState::Ready { at: now };
            let key = Self::ready_key(self.scenario.pool, m, id);
            self.ready.insert(key);
            if !taken {
                // A retry's backoff is over.
                continue;
            }
            let (run, attempt) = (m.run.clone(), m.attempts);
            self.counts[Count::Redelivered as usize] += 1;
            out.emit(
                now,
                Event::Redelivered {
                    run: run.clone(),
                    attempt,
                },
            );
            if attempt >= max {
                self.settle(id);
                self.counts[Count::DeadLettered as usize] += 1;
                out.emit(
                    now,
                    Event::DeadLettered {
                        run: run.clone(),
                        attempts: attempt,
                    },
                );
                self.dead.push(run);
            }
        }
        for w in 0..self.workers.len() {
            if ends && self.workers[w].exec.as_ref().is_some_and(|e| e.ends <= now) {
                self.complete(w as u32, out);
            }
        }
        for w in 0..self.workers.len() {
            if !beats {
                break;
            }
            let Some(e) = self.workers[w].exec.as_mut() else {
                continue;
            };
            if e.next_heartbeat <= now {
                e.next_heartbeat = now + self.scenario.heartbeat_ms;
                let (msg, receipt) = (e.msg, e.receipt);
                let until = now + self.scenario.visibility_timeout_ms;
                let current = self
                    .queue
                    .get_mut(&msg)
                    .is_some_and(|m| match &mut m.state {
                        MsgState::Taken {
                            until: u,
                            receipt: r,
                            ..
                        } if *r == receipt => {
                            *u = until;
                            true
                        }
                        _ => false,
                    });
                if current {
                    self.set_timer(msg, Some(until));
                }
            }
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].up && self.nodes[i].next_tick <= now {
                self.nodes[i].next_tick = now + self.scenario.renew_ms;
                self.tick_node(i as u32, out);
            }
        }
        for w in 0..self.workers.len() {
            if self.ready.is_empty() {
                break;
            }
            if self.workers[w].up && self.workers[w].exec.is_none() {
                pulled = true;
                self.pull(w as u32, out);
            }
        }
        if workers_due || pulled {
            self.worker_due = self.workers_due();
        }
        if self.last_depth != Some(self.queue.len()) {
            self.last_depth = Some(self.queue.len());
            self.depth.set(now, self.queue.len() as i64);
        }
    }

    /// The earliest restart, run end or heartbeat of any worker.
    fn workers_due(&self) -> Option<Time> {
        let mut d: Option<Time> = None;
        let mut at = |t: Time| d = Some(d.map_or(t, |x| x.min(t)));
        for w in &self.workers {
            if let Some(r) = w.restart_at {
                at(r);
            }
            if let Some(e) = &w.exec {
                at(e.ends);
                at(e.next_heartbeat);
            }
        }
        d
    }

    fn crash_node(&mut self, node: u32, out: &mut dyn Emit<Event>) {
        let now = self.now;
        let n = &mut self.nodes[node as usize];
        n.up = false;
        n.leading = false;
        n.lease = None;
        n.restart_at = Some(now + self.scenario.restart_ms);
        out.emit(now, Event::NodeDown { node });
    }

    fn check_node(&self, node: u32) -> Result<(), Refusal> {
        if (node as usize) < self.nodes.len() {
            Ok(())
        } else {
            Err(Refusal(format!(
                "no node {node}; nodes are 0 to {}",
                self.nodes.len() - 1
            )))
        }
    }

    fn current_leader(&self) -> Result<u32, Refusal> {
        self.lease
            .as_ref()
            .filter(|l| l.expires > self.now && self.nodes[l.holder as usize].up)
            .map(|l| l.holder)
            .ok_or_else(|| Refusal("there is no leader right now".into()))
    }
}

impl SchedulerLab {
    /// Applies a command (see [`Simulation::apply`]).
    fn command(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let now = self.now;
        match command {
            Command::CrashLeader => {
                let node = self.current_leader()?;
                self.crash_node(node, out);
            }
            Command::CrashNode { node } => {
                self.check_node(*node)?;
                if !self.nodes[*node as usize].up {
                    return Err(Refusal(format!("node {node} is already down")));
                }
                self.crash_node(*node, out);
            }
            Command::PartitionLeader { on: true } => {
                let node = self.current_leader()?;
                self.nodes[node as usize].partitioned = true;
                out.emit(now, Event::Partitioned { node, on: true });
            }
            Command::PartitionLeader { on: false } => {
                for i in 0..self.nodes.len() {
                    if self.nodes[i].partitioned {
                        self.nodes[i].partitioned = false;
                        out.emit(
                            now,
                            Event::Partitioned {
                                node: i as u32,
                                on: false,
                            },
                        );
                    }
                }
            }
            Command::Partition { node, on } => {
                self.check_node(*node)?;
                self.nodes[*node as usize].partitioned = *on;
                out.emit(
                    now,
                    Event::Partitioned {
                        node: *node,
                        on: *on,
                    },
                );
            }
            Command::ClockSkew { node, skew_ms } => {
                self.check_node(*node)?;
                if skew_ms.unsigned_abs() > 3_600_000 {
                    return Err(Refusal("clock skew must be within one hour".into()));
                }
                self.nodes[*node as usize].skew_ms = *skew_ms;
                out.emit(
                    now,
                    Event::Skewed {
                        node: *node,
                        skew_ms: *skew_ms,
                    },
                );
            }
            Command::StoreDown { on } => {
                self.store_up = !on;
                out.emit(now, Event::StoreDown { on: *on });
            }
            Command::CrashWorker { worker } => {
                let w = self
                    .workers
                    .get(*worker as usize)
                    .ok_or_else(|| Refusal(format!("no worker {worker}")))?;
                if !w.up {
                    return Err(Refusal(format!("worker {worker} is already down")));
                }
                let run = self
                    .finish_busy(*worker)
                    .and_then(|e| self.queue.get(&e.msg).map(|m| m.run.clone()));
                let wk = &mut self.workers[*worker as usize];
                wk.up = false;
                wk.restart_at = Some(now + self.scenario.restart_ms);
                out.emit(
                    now,
                    Event::WorkerDown {
                        worker: *worker,
                        run,
                    },
                );
            }
            Command::SlowJob { job, extra_ms } => {
                let j = self
                    .jobs
                    .by_name_mut(job)
                    .ok_or_else(|| Refusal(format!("no job {job:?}")))?;
                if *extra_ms > 3_600_000 {
                    return Err(Refusal("extra_ms must be at most one hour".into()));
                }
                j.extra_ms = *extra_ms;
                out.emit(
                    now,
                    Event::Slowed {
                        job: job.clone(),
                        extra_ms: *extra_ms,
                    },
                );
            }
            Command::AddJob { job } | Command::UpdateJob { job } => {
                let adding = matches!(command, Command::AddJob { .. });
                let schedule = job.validate().map_err(Refusal)?;
                let zone = self.scenario.job_zone(job).map_err(Refusal)?;
                let tenant = self.tenant_id(&job.tenant);
                match (adding, self.jobs.by_name_mut(&job.name)) {
                    (true, Some(_)) => {
                        return Err(Refusal(format!("job {} already exists", job.name)))
                    }
                    (false, None) => return Err(Refusal(format!("no job {:?}", job.name))),
                    (false, Some(j)) => {
                        j.spec = job.clone();
                        j.schedule = schedule.clone();
                        j.tenant = tenant;
                        let id = j.id;
                        self.ledgers[id as usize]
                            .versions
                            .push((now, Some((schedule, zone, job.dst))));
                        self.replan(id);
                        out.emit(
                            now,
                            Event::JobChanged {
                                job: job.name.clone(),
                            },
                        );
                    }
                    (true, None) => {
                        if self.jobs.len() >= 2_000 {
                            return Err(Refusal("at most 2000 jobs".into()));
                        }
                        let (key, id) = self.intern(&job.name);
                        self.ledgers[id as usize]
                            .versions
                            .push((now, Some((schedule.clone(), zone, job.dst))));
                        self.jobs.insert(
                            id,
                            Job {
                                key,
                                id,
                                spec: job.clone(),
                                schedule,
                                created: now,
                                extra_ms: 0,
                                tenant,
                            },
                        );
                        self.replan(id);
                        out.emit(
                            now,
                            Event::JobAdded {
                                job: job.name.clone(),
                            },
                        );
                    }
                }
            }
            Command::DeleteJob { name } => {
                let Some(id) = self.jobs.remove(name) else {
                    return Err(Refusal(format!("no job {name:?}")));
                };
                self.ledgers[id as usize].versions.push((now, None));
                self.replan(id);
                out.emit(now, Event::JobDeleted { job: name.clone() });
            }
            Command::Trigger { name } => {
                let job = self
                    .jobs
                    .by_name(name)
                    .ok_or_else(|| Refusal(format!("no job {name:?}")))?;
                let (priority, tenant, key, id) =
                    (job.spec.priority, job.tenant, job.key.clone(), job.id);
                out.emit(now, Event::Triggered { job: name.clone() });
                let run = RunKey {
                    job: key,
                    scheduled: now,
                    manual: true,
                };
                if self.applied[id as usize].contains((now, true))
                    || self.queue.values().any(|m| m.run == run)
                {
                    return Ok(());
                }
                self.enqueue(run, id, BY_HAND, self.next_token, (priority, tenant), out);
            }
        }
        // Idle workers take what a command made ready at once.
        for w in 0..self.workers.len() {
            if self.ready.is_empty() {
                break;
            }
            if self.workers[w].up && self.workers[w].exec.is_none() {
                self.pull(w as u32, out);
            }
        }
        Ok(())
    }
}

impl Simulation for SchedulerLab {
    type Scenario = Scenario;
    type Command = Command;
    type Event = Event;

    const LAB: &'static str = "scheduler";

    fn new(scenario: &Scenario) -> Result<Self, String> {
        scenario.validate()?;
        let renew = scenario.renew_ms;
        let n = u64::from(scenario.nodes);
        let mut lab = SchedulerLab {
            scenario: scenario.clone(),
            now: 0,
            rng: Rng::new(scenario.seed),
            store_up: true,
            lease: None,
            next_token: 0,
            store_cursor: Cursors::default(),
            elections: Vec::new(),
            nodes: (0..n)
                .map(|i| Node {
                    up: true,
                    partitioned: false,
                    skew_ms: 0,
                    leading: false,
                    lease: None,
                    cursor: Cursors::default(),
                    agenda: BinaryHeap::new(),
                    next_due: Cursors::default(),
                    restart_at: None,
                    // Staggered so that node 0 usually wins the first election.
                    next_tick: i * renew / n,
                })
                .collect(),
            workers: (0..scenario.workers)
                .map(|_| Worker {
                    up: true,
                    exec: None,
                    restart_at: None,
                    busy_ms: 0,
                })
                .collect(),
            jobs: Jobs::default(),
            executing: Vec::new(),
            tenants: Vec::new(),
            tenant_ids: BTreeMap::new(),
            round: 0,
            queue: BTreeMap::new(),
            ready: BTreeSet::new(),
            timers: BTreeSet::new(),
            next_msg: 0,
            next_receipt: 0,
            dead: Vec::new(),
            applied: Vec::new(),
            ledgers: Vec::new(),
            lost: None,
            audited: 0,
            due: Vec::new(),
            max_token_seen: 0,
            duplicate: None,
            enqueued: 0,
            settled: 0,
            worker_due: None,
            counts: [0; COUNT_NAMES.len()],
            lag: Vec::new(),
            last_depth: None,
            depth: Series::default(),
        };
        for spec in &scenario.jobs {
            let schedule = spec.validate()?;
            let tenant = lab.tenant_id(&spec.tenant);
            let (key, id) = lab.intern(&spec.name);
            lab.ledgers[id as usize].versions.push((
                0,
                Some((schedule.clone(), scenario.job_zone(spec)?, spec.dst)),
            ));
            lab.jobs.insert(
                id,
                Job {
                    key,
                    id,
                    spec: spec.clone(),
                    schedule,
                    created: 0,
                    extra_ms: 0,
                    tenant,
                },
            );
        }
        Ok(lab)
    }

    fn seed(scenario: &Scenario) -> u64 {
        scenario.seed
    }

    fn with_seed(scenario: &Scenario, seed: u64) -> Scenario {
        Scenario {
            seed,
            ..scenario.clone()
        }
    }

    fn now(&self) -> Time {
        self.now
    }

    fn next_deadline(&self) -> Option<Time> {
        let now = self.now;
        let mut d: Option<Time> = None;
        let mut at = |t: Time| {
            let t = t.max(now);
            d = Some(d.map_or(t, |x| x.min(t)));
        };
        for n in &self.nodes {
            if n.up {
                at(n.next_tick);
            }
            if let Some(r) = n.restart_at {
                at(r);
            }
        }
        if let Some(t) = self.worker_due {
            at(t);
        }
        if let Some(&(t, _)) = self.timers.first() {
            at(t);
        }
        d
    }

    fn advance_to(&mut self, t: Time, out: &mut dyn Emit<Event>) {
        while let Some(d) = self.next_deadline() {
            if d > t {
                break;
            }
            self.now = d;
            self.step(out);
        }
        self.now = t;
    }

    fn apply(&mut self, command: &Command, out: &mut dyn Emit<Event>) -> Result<(), Refusal> {
        let result = self.command(command, out);
        self.worker_due = self.workers_due();
        result
    }

    fn check(&self) -> Option<Violation> {
        if let Some(v) = &self.duplicate {
            return Some(v.clone());
        }
        if let Some(v) = &self.lost {
            return Some(v.clone());
        }
        if self.enqueued != self.settled + self.queue.len() as u64 {
            return Some(Violation {
                invariant: "no run lost".into(),
                detail: format!(
                    "{} runs enqueued, {} settled, {} queued",
                    self.enqueued,
                    self.settled,
                    self.queue.len()
                ),
            });
        }
        if let Some(l) = &self.lease {
            if l.token != self.next_token {
                return Some(Violation {
                    invariant: "fencing tokens".into(),
                    detail: format!(
                        "the lease has token {} but {} was issued last",
                        l.token, self.next_token
                    ),
                });
            }
        }
        None
    }

    fn metrics(&self) -> Metrics {
        let mut m = Metrics::default();
        if self.last_depth.is_some() {
            m.gauges.insert("queue_depth".into(), self.depth.clone());
        }
        for (name, &n) in COUNT_NAMES.iter().zip(&self.counts) {
            if n > 0 {
                m.counters.insert(name.to_string(), n);
            }
        }
        let histogram = |samples: &[u64]| {
            let mut h = Histogram::default();
            for &x in samples {
                h.record(x);
            }
            h
        };
        if !self.lag.is_empty() {
            m.histograms.insert("lag_ms".into(), histogram(&self.lag));
        }
        // Per tenant only when jobs name tenants: a lone `default` tenant repeats `lag_ms`.
        let named = self.tenants.iter().any(|t| t.name != "default");
        for t in self.tenants.iter().filter(|t| named && !t.lag.is_empty()) {
            m.histograms
                .insert(format!("lag_ms.{}", t.name), histogram(&t.lag));
        }
        for name in [
            "enqueued",
            "applied",
            "duplicates",
            "fenced",
            "missed",
            "retries",
            "dead_lettered",
        ] {
            m.counters.entry(name.to_string()).or_insert(0);
        }
        let busy: u64 = self
            .workers
            .iter()
            .map(|w| w.busy_ms + w.exec.as_ref().map_or(0, |e| self.now - e.started))
            .sum();
        let capacity = self.now * self.workers.len() as u64;
        m.counters.insert(
            "worker_utilisation_permille".into(),
            (busy * 1000).checked_div(capacity).unwrap_or(0),
        );
        m.counters
            .insert("queue_depth".into(), self.queue.len() as u64);
        m
    }
}

/// A script of commands touching every fault and job change, for the cross-cutting tests and
/// as an example: a leader crash, a partitioned leader with a slow clock, the store going
/// down, a worker crash mid-job, a slow job, jobs added, changed, triggered and deleted.
pub fn sample_inputs() -> Vec<(Time, serde_json::Value)> {
    use serde_json::json;
    vec![
        (95_000, json!("crash_leader")),
        (
            200_000,
            json!({"clock_skew": {"node": 1, "skew_ms": -20_000}}),
        ),
        (200_000, json!({"partition_leader": {"on": true}})),
        (260_000, json!({"partition_leader": {"on": false}})),
        (400_000, json!({"store_down": {"on": true}})),
        (430_000, json!({"store_down": {"on": false}})),
        (500_000, json!({"crash_worker": {"worker": 0}})),
        (
            600_000,
            json!({"slow_job": {"job": "report", "extra_ms": 30_000}}),
        ),
        (
            700_000,
            json!({"add_job": {"job": {"name": "cleanup", "cron": "*/15 * * * * *", "duration_ms": 3000}}}),
        ),
        (
            800_000,
            json!({"update_job": {"job": {"name": "cleanup", "cron": "0 * * * * *", "duration_ms": 3000, "overlap": "skip"}}}),
        ),
        (900_000, json!({"trigger": {"name": "billing"}})),
        (1_000_000, json!({"delete_job": {"name": "cleanup"}})),
        (1_100_000, json!({"crash_node": {"node": 9}})),
    ]
}

/// The benchmark month, shared by the native bench (`benches/cron.rs`) and its wasm twin
/// (`tests/wasm_bench_cron.rs`): 1,000 jobs (a tenth every five minutes, the rest hourly,
/// spread over the hour) on 20 workers and 3 nodes, with a leader crash, a partitioned leader,
/// a worker crash and the store down in every six hours of 30 days. Returns the scenario, the
/// commands with their times, and the end time.
pub fn benchmark_month() -> (Scenario, Vec<(Time, Command)>, Time) {
    let jobs = (0..1000u32)
        .map(|i| JobSpec {
            name: format!("job{i:04}"),
            cron: if i % 10 == 0 {
                format!("{} {}/5 * * * *", i % 60, i % 5)
            } else {
                format!("{} {} * * * *", i % 60, (i / 60) % 60)
            },
            duration_ms: 2_000 + u64::from(i % 7) * 1_000,
            fail_percent: i % 4,
            priority: i % 10,
            ..JobSpec::default()
        })
        .collect();
    let scenario = Scenario {
        nodes: 3,
        workers: 20,
        jobs,
        ..Scenario::default()
    };
    let hour = 3_600_000;
    let faults = [
        (hour, Command::CrashLeader),
        (2 * hour, Command::PartitionLeader { on: true }),
        (2 * hour + 30_000, Command::PartitionLeader { on: false }),
        (3 * hour, Command::CrashWorker { worker: 3 }),
        (4 * hour, Command::StoreDown { on: true }),
        (4 * hour + 20_000, Command::StoreDown { on: false }),
    ];
    let commands = (0..30 * 4)
        .flat_map(|block| {
            faults
                .iter()
                .map(move |(t, c)| (block * 6 * hour + t, c.clone()))
        })
        .collect();
    (scenario, commands, 30 * 24 * hour)
}
