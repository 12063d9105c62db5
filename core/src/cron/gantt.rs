//! Executions for the scheduler lab's Gantt chart, read from a run's event log: each delivery of
//! a run to a worker becomes one bar from its `Started` event to the event that ended it.
//!
//! ```text
//!   time ─────────────────────────────────────────────►
//!   report  [w0 report@60s #1 ▓▓▓▓▓ failed] [w2 #2 ▓▓▓▓▓ ok]
//!   sync    [w1 sync@30s #1 ▓▓▓▓▓▓▓▓ ok]
//!   billing [w3 billing@300s #1 ▓▓▓ crashed]          [w0 #2 ▓▓▓ …running]
//! ```
//!
//! | event | ends the bar of | outcome |
//! |---|---|---|
//! | `Applied` | its worker | `Applied`, or `Duplicate` when the target applied the run again |
//! | `Fenced` | its worker | `Fenced` (the target refused a stale token) |
//! | `Failed` | its worker | `Failed` (a retry follows) |
//! | `DeadLettered` | the worker running that run, if any | `DeadLettered` (the last attempt failed) |
//! | `Replaced` | its worker | `Replaced` (overlap policy `replace`) |
//! | `WorkerDown` | its worker | `Crashed` |
//!
//! A bar with no ending event yet is `Running`. This reads events only; the scheduler's rules
//! live in [`super::lab`].

use std::collections::BTreeMap;

use super::lab::{Event, RunKey};
use crate::run::{Entry, EntryKind};
use crate::sim::Time;

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Applied,
    Duplicate,
    Fenced,
    Failed,
    DeadLettered,
    Replaced,
    Crashed,
}

impl Outcome {
    /// A short lowercase name, for CSS classes and labels.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Fenced => "fenced",
            Outcome::Failed => "failed",
            Outcome::DeadLettered => "dead-lettered",
            Outcome::Replaced => "replaced",
            Outcome::Crashed => "crashed",
        }
    }
}

/// One delivery of a run to a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    pub run: RunKey,
    pub worker: u32,
    /// The delivery number, from 1.
    pub attempt: u32,
    pub start: Time,
    /// When it ended; `None` while running.
    pub end: Option<Time>,
    pub outcome: Outcome,
}

/// The executions that started at or after `from`, in start order (then by worker). Bars
/// that started earlier are left out, so a caller wanting a window of width `w` that still
/// shows long runs passes a `from` some way before the window.
pub fn executions(log: &[Entry<Event>], from: Time) -> Vec<Execution> {
    let first = log.partition_point(|e| e.time < from);
    let mut out: Vec<Execution> = Vec::new();
    // The open bar of each worker: an index into `out`.
    let mut open: BTreeMap<u32, usize> = BTreeMap::new();
    let close = |out: &mut Vec<Execution>, i: usize, t: Time, outcome: Outcome| {
        out[i].end = Some(t);
        out[i].outcome = outcome;
    };
    for e in &log[first..] {
        let EntryKind::Event(ev) = &e.kind else {
            continue;
        };
        let (worker, outcome) = match ev {
            Event::Started {
                run,
                worker,
                attempt,
                ..
            } => {
                if let Some(i) = open.remove(worker) {
                    close(&mut out, i, e.time, Outcome::Crashed);
                }
                open.insert(*worker, out.len());
                out.push(Execution {
                    run: run.clone(),
                    worker: *worker,
                    attempt: *attempt,
                    start: e.time,
                    end: None,
                    outcome: Outcome::Running,
                });
                continue;
            }
            Event::Applied {
                worker, duplicate, ..
            } => (
                *worker,
                if *duplicate {
                    Outcome::Duplicate
                } else {
                    Outcome::Applied
                },
            ),
            Event::Fenced { worker, .. } => (*worker, Outcome::Fenced),
            Event::Failed { worker, .. } => (*worker, Outcome::Failed),
            Event::Replaced { worker, .. } => (*worker, Outcome::Replaced),
            Event::WorkerDown { worker, .. } => (*worker, Outcome::Crashed),
            Event::DeadLettered { run, .. } => {
                let Some((&w, _)) = open.iter().find(|(_, &i)| out[i].run == *run) else {
                    continue;
                };
                (w, Outcome::DeadLettered)
            }
            _ => continue,
        };
        if let Some(i) = open.remove(&worker) {
            close(&mut out, i, e.time, outcome);
        }
    }
    out
}

/// Each worker's busy share of equal time buckets, in permille, for charting utilisation over
/// time: `result[worker][bucket]` over `buckets` buckets splitting `[from, to)`. A bar still
/// running counts up to `to`. Pass executions read from `from` or earlier, so that bars that
/// started before the window are counted for their part inside it.
///
/// ```text
///   bucket      |  0  |  1  |  2  |
///   worker 0    [▓▓▓▓▓▓▓▓]          →  1000  600    0
/// ```
pub fn utilisation(
    executions: &[Execution],
    workers: u32,
    from: Time,
    to: Time,
    buckets: usize,
) -> Vec<Vec<u32>> {
    let mut busy = vec![vec![0u64; buckets]; workers as usize];
    if buckets == 0 || to <= from {
        return busy.into_iter().map(|_| Vec::new()).collect();
    }
    let span = to - from;
    // Bucket `b` covers `[from + span·b/buckets, from + span·(b+1)/buckets)`.
    let edge = |b: usize| from + span * b as u64 / buckets as u64;
    for x in executions {
        let Some(row) = busy.get_mut(x.worker as usize) else {
            continue;
        };
        let (start, end) = (x.start.max(from), x.end.unwrap_or(to).min(to));
        if start >= end {
            continue;
        }
        let first = ((start - from) * buckets as u64 / span) as usize;
        for (b, cell) in row.iter_mut().enumerate().skip(first) {
            let (lo, hi) = (edge(b), edge(b + 1));
            if lo >= end {
                break;
            }
            *cell += end.min(hi) - start.max(lo);
        }
    }
    busy.into_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(b, &ms)| {
                    let width = edge(b + 1) - edge(b);
                    (ms * 1000).checked_div(width).unwrap_or(0) as u32
                })
                .collect()
        })
        .collect()
}
