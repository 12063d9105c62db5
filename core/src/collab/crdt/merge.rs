//! Replaying and merging editing histories through the CRDT.
//!
//! * [`replay`]: a sequential trace, as local edits of one agent.
//! * [`merge`] and [`conformance`]: a concurrent history, a graph of transactions each made
//!   by one agent at the version named by its parents. Each agent keeps a branch (a [`Doc`])
//!   that first receives every operation in the closure of the transaction's parents that it
//!   lacks, in causal order, then makes the transaction's edits locally, which yields
//!   operations with origins. Every operation also goes to one final document, whose text is
//!   the merge.
//!
//! ```text
//!   txn 7 by b, parents [5, 6]     branch b holds {0..4}  ─ receives ops of 5, 6 ─► edits
//!   txn 8 by c, parents []         branch c holds {2}, not within {} ─► a new empty branch
//! ```
//!
//! Real traces keep one branch per agent moving forward. A random history may fork an
//! agent (edit on two branches): then the branch is rebuilt from the empty document.

use std::collections::BTreeMap;

use super::doc::{Doc, Unready};
use super::{Agent, Id};
use crate::collab::trace::{ConcurrentTrace, ConformanceCase, Patch, SequentialTrace};
use crate::sim::Refusal;

/// Replays a sequential trace as local edits of agent 0.
pub fn replay(trace: &SequentialTrace) -> Result<Doc, Refusal> {
    let mut doc = Doc::new();
    let mut seq = 0u32;
    let start: Vec<char> = trace.start_content.chars().collect();
    if !start.is_empty() {
        doc.insert_at(Id::new(0, 0), 0, &start)
            .map_err(|e| Refusal(e.to_string()))?;
        seq = start.len() as u32;
    }
    let mut targets = Vec::new();
    let mut chars = Vec::new();
    for (t, txn) in trace.txns.iter().enumerate() {
        for p in &txn.patches {
            local_patch(&mut doc, 0, &mut seq, p, &mut targets, &mut chars)
                .map_err(|e| Refusal(format!("txn {t}: {e}")))?;
            targets.clear();
        }
    }
    Ok(doc)
}

/// The operations of one local patch, kept to send to other branches.
#[derive(Clone, Debug)]
enum Edit {
    Insert {
        id: Id,
        left: Option<Id>,
        right: Option<Id>,
        text: Vec<char>,
    },
    Delete {
        id: Id,
        targets: Vec<(Id, u32)>,
    },
}

fn local_patch(
    doc: &mut Doc,
    agent: Agent,
    seq: &mut u32,
    p: &Patch,
    targets: &mut Vec<(Id, u32)>,
    chars: &mut Vec<char>,
) -> Result<(), Unready> {
    let Patch(pos, del, ins) = p;
    if *del > 0 {
        doc.delete_at(Id::new(agent, *seq), *pos, *del, targets)?;
        *seq += *del as u32;
    }
    if !ins.is_empty() {
        chars.clear();
        chars.extend(ins.chars());
        doc.insert_at(Id::new(agent, *seq), *pos, chars)?;
        *seq += chars.len() as u32;
    }
    Ok(())
}

fn apply_edit(doc: &mut Doc, e: &Edit) -> Result<(), Unready> {
    match e {
        Edit::Insert {
            id,
            left,
            right,
            text,
        } => doc.apply_insert(*id, *left, *right, text),
        Edit::Delete { id, targets } => doc.apply_delete(*id, targets),
    }
}

/// One transaction of a concurrent history, with parents as transaction indices.
struct Txn<'a> {
    parents: Vec<usize>,
    agent: Agent,
    seq_start: u32,
    patches: &'a [Patch],
}

struct Branch {
    doc: Doc,
    applied: Vec<bool>,
    last: Option<usize>,
}

/// Whether `target` is in the causal closure of `parents` (txn indices below `now`).
fn reaches(
    txns: &[Txn],
    parents: &[usize],
    target: usize,
    stamp: &mut [usize],
    now: usize,
) -> bool {
    let mut stack: Vec<usize> = parents.to_vec();
    while let Some(p) = stack.pop() {
        if p == target {
            return true;
        }
        if p < target || stamp[p] == now {
            continue;
        }
        stamp[p] = now;
        stack.extend(&txns[p].parents);
    }
    false
}

fn merge_txns(txns: &[Txn]) -> Result<Doc, Refusal> {
    let n = txns.len();
    let mut edits: Vec<Vec<Edit>> = Vec::with_capacity(n);
    let mut branches: BTreeMap<Agent, Branch> = BTreeMap::new();
    let mut full = Doc::new();
    let mut reach_stamp = vec![usize::MAX; n];
    let mut missing_stamp = vec![usize::MAX; n];
    for (i, t) in txns.iter().enumerate() {
        if let Some(&p) = t.parents.iter().find(|&&p| p >= i) {
            return Err(Refusal(format!(
                "txn {i}: parent {p} is not an earlier txn"
            )));
        }
        let forward = match branches.get(&t.agent) {
            None => false,
            Some(b) => b
                .last
                .is_none_or(|l| reaches(txns, &t.parents, l, &mut reach_stamp, i)),
        };
        if !forward {
            branches.insert(
                t.agent,
                Branch {
                    doc: Doc::new(),
                    applied: vec![false; n],
                    last: None,
                },
            );
        }
        let b = branches.get_mut(&t.agent).expect("inserted above");
        let mut missing = Vec::new();
        let mut stack = t.parents.clone();
        while let Some(p) = stack.pop() {
            if b.applied[p] || missing_stamp[p] == i {
                continue;
            }
            missing_stamp[p] = i;
            missing.push(p);
            stack.extend(&txns[p].parents);
        }
        missing.sort_unstable();
        for m in missing {
            for e in &edits[m] {
                apply_edit(&mut b.doc, e)
                    .map_err(|e| Refusal(format!("txn {i}: merging txn {m}: {e}")))?;
            }
            b.applied[m] = true;
        }
        let mut seq = t.seq_start;
        let mut out = Vec::new();
        for (k, p) in t.patches.iter().enumerate() {
            let Patch(pos, del, ins) = p;
            let fail = |e: Unready| Refusal(format!("txn {i} patch {k}: {e}"));
            if *del > 0 {
                let id = Id::new(t.agent, seq);
                let mut targets = Vec::new();
                b.doc
                    .delete_at(id, *pos, *del, &mut targets)
                    .map_err(fail)?;
                seq += *del as u32;
                out.push(Edit::Delete { id, targets });
            }
            if !ins.is_empty() {
                let id = Id::new(t.agent, seq);
                let text: Vec<char> = ins.chars().collect();
                let (left, right) = b.doc.insert_at(id, *pos, &text).map_err(fail)?;
                seq += text.len() as u32;
                out.push(Edit::Insert {
                    id,
                    left,
                    right,
                    text,
                });
            }
        }
        for e in &out {
            apply_edit(&mut full, e).map_err(|e| Refusal(format!("txn {i}: {e}")))?;
        }
        edits.push(out);
        b.applied[i] = true;
        b.last = Some(i);
    }
    Ok(full)
}

/// Merges a concurrent trace (agents numbered as in the file, seqs counted per agent).
pub fn merge(trace: &ConcurrentTrace) -> Result<Doc, Refusal> {
    let mut next: BTreeMap<Agent, u32> = BTreeMap::new();
    let txns: Vec<Txn> = trace
        .txns
        .iter()
        .map(|t| {
            let seq = next.entry(t.agent).or_default();
            let seq_start = *seq;
            *seq += t
                .patches
                .iter()
                .map(|p| (p.1 + p.2.chars().count()) as u32)
                .sum::<u32>();
            Txn {
                parents: t.parents.clone(),
                agent: t.agent,
                seq_start,
                patches: &t.patches,
            }
        })
        .collect();
    merge_txns(&txns)
}

/// Merges one conformance case; returns the merged text. Agents are numbered in the order of
/// their names, so ties break by name as in diamond-types.
pub fn conformance(case: &ConformanceCase) -> Result<String, Refusal> {
    let mut names: Vec<&str> = case.txns.iter().map(|t| t.agent.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut by_last: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, t) in case.txns.iter().enumerate() {
        if t.span[1] <= t.span[0] {
            return Err(Refusal(format!("txn {i}: empty span")));
        }
        by_last.insert(t.span[1] - 1, i);
    }
    let mut txns = Vec::with_capacity(case.txns.len());
    for (i, t) in case.txns.iter().enumerate() {
        let parents = t
            .parents
            .iter()
            .map(|lv| {
                by_last.get(lv).copied().ok_or_else(|| {
                    Refusal(format!(
                        "txn {i}: parent {lv} is not the last version of a txn"
                    ))
                })
            })
            .collect::<Result<Vec<usize>, Refusal>>()?;
        let agent = names.binary_search(&t.agent.as_str()).unwrap_or(0) as Agent;
        txns.push(Txn {
            parents,
            agent,
            seq_start: t.seq_start,
            patches: &t.ops,
        });
    }
    Ok(merge_txns(&txns)?.text())
}
