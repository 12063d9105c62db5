//! Replaying and merging editing histories through the CRDT.
//!
//! * [`replay`]: a sequential trace, as local edits of one agent.
//! * [`merge`] and [`conformance`]: a concurrent history, a graph of transactions each made
//!   by one agent at the version named by its parents. Each agent keeps a branch (a [`Doc`])
//!   that first receives every operation in the closure of the transaction's parents that it
//!   lacks, in causal order, then makes the transaction's edits locally, which yields
//!   operations with origins. At the end, the last transaction's branch receives every
//!   operation it lacks: its text is the merge.
//!
//! ```text
//!   txn 7 by b, parents [5, 6]     branch b holds {0..4}  ─ receives ops of 5, 6 ─► edits
//!   txn 8 by c, parents [3]        branch c holds {0..2, 6}, not within {0..3}
//!                                  ─► copy of the branch holding {0..3} (or empty), edits
//! ```
//!
//! Real traces keep one branch per agent moving forward. A random history may fork an
//! agent (edit on two branches): then the agent's branch restarts from a copy of the most
//! advanced branch whose history lies within the parents' closure, or from the empty
//! document.

use std::collections::BTreeMap;

use super::doc::{Doc, Unready};
use super::{Agent, Id};
use crate::collab::trace::{ConcurrentTrace, ConformanceCase, Patch, SequentialTrace};
use crate::sim::Refusal;

/// Replays a sequential trace as local edits of agent 0.
pub fn replay(trace: &SequentialTrace) -> Result<Doc, Refusal> {
    let mut doc = Doc::new();
    // At least one id per txn; reserving up front saves copying the tables as they grow.
    doc.reserve(0, trace.txns.len() + trace.start_content.len());
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

/// The operations of one local patch, kept to send to other branches. An insert's text is
/// `chars[text.0 .. text.0 + text.1]` of the merge's shared character buffer.
#[derive(Clone, Debug)]
enum Edit {
    Insert {
        id: Id,
        left: Option<Id>,
        right: Option<Id>,
        text: (usize, usize),
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
        for c in ins.chars() {
            chars.push(c);
        }
        doc.insert_at(Id::new(agent, *seq), *pos, chars)?;
        *seq += chars.len() as u32;
    }
    Ok(())
}

fn apply_edit(doc: &mut Doc, chars: &[char], e: &Edit) -> Result<(), Unready> {
    match e {
        Edit::Insert {
            id,
            left,
            right,
            text,
        } => doc.apply_insert(*id, *left, *right, &chars[text.0..text.0 + text.1]),
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

#[derive(Clone)]
struct Branch {
    doc: Doc,
    applied: Vec<bool>,
    last: Option<usize>,
}

/// Marks for graph walks: a txn is visited in the current walk if its mark equals `walk`.
struct Walks {
    mark: Vec<u64>,
    walk: u64,
    stack: Vec<usize>,
}

impl Walks {
    fn start(&mut self) -> u64 {
        self.walk += 1;
        self.walk
    }
}

/// Whether `target` is in the causal closure of `parents`.
fn reaches(txns: &[Txn], parents: &[usize], target: usize, w: &mut Walks) -> bool {
    let now = w.start();
    let (stamp, stack) = (&mut w.mark, &mut w.stack);
    stack.clear();
    stack.extend_from_slice(parents);
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
    // Every txn's edits, one after another: txn i's are `edits[edit_start[i]..edit_start[i+1]]`.
    let mut edits: Vec<Edit> = Vec::new();
    let mut edit_start: Vec<usize> = Vec::with_capacity(n + 1);
    edit_start.push(0);
    let mut chars: Vec<char> = Vec::new();
    let mut branches: BTreeMap<Agent, Branch> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut w = Walks {
        mark: vec![0; n],
        walk: 0,
        stack: Vec::new(),
    };
    for (i, t) in txns.iter().enumerate() {
        if let Some(&p) = t.parents.iter().find(|&&p| p >= i) {
            return Err(Refusal(format!(
                "txn {i}: parent {p} is not an earlier txn"
            )));
        }
        let forward = match branches.get(&t.agent) {
            None => false,
            Some(b) => b.last.is_none_or(|l| reaches(txns, &t.parents, l, &mut w)),
        };
        if !forward {
            // Start from the most advanced branch that lies within the parents' closure (its
            // history is the closure of its last txn), or from the empty document.
            let mut base: Option<&Branch> = None;
            for b in branches.values() {
                if let Some(l) = b.last {
                    if base.is_none_or(|x| x.last < b.last) && reaches(txns, &t.parents, l, &mut w)
                    {
                        base = Some(b);
                    }
                }
            }
            let branch = base.cloned().unwrap_or_else(|| Branch {
                doc: Doc::new(),
                applied: vec![false; n],
                last: None,
            });
            branches.insert(t.agent, branch);
        }
        let b = branches.get_mut(&t.agent).expect("inserted above");
        missing.clear();
        let now = w.start();
        w.stack.clear();
        w.stack.extend_from_slice(&t.parents);
        while let Some(p) = w.stack.pop() {
            if b.applied[p] || w.mark[p] == now {
                continue;
            }
            w.mark[p] = now;
            missing.push(p);
            w.stack.extend(&txns[p].parents);
        }
        missing.sort_unstable();
        for &m in &missing {
            for e in &edits[edit_start[m]..edit_start[m + 1]] {
                apply_edit(&mut b.doc, &chars, e)
                    .map_err(|e| Refusal(format!("txn {i}: merging txn {m}: {e}")))?;
            }
            b.applied[m] = true;
        }
        let mut seq = t.seq_start;
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
                edits.push(Edit::Delete { id, targets });
            }
            if !ins.is_empty() {
                let id = Id::new(t.agent, seq);
                let start = chars.len();
                chars.extend(ins.chars());
                let len = chars.len() - start;
                let (left, right) = b.doc.insert_at(id, *pos, &chars[start..]).map_err(fail)?;
                seq += len as u32;
                edits.push(Edit::Insert {
                    id,
                    left,
                    right,
                    text: (start, len),
                });
            }
        }
        edit_start.push(edits.len());
        b.applied[i] = true;
        b.last = Some(i);
    }
    // The merge: the last transaction's branch, after it receives everything it lacks.
    let Some(last) = txns.last() else {
        return Ok(Doc::new());
    };
    let b = branches.get_mut(&last.agent).expect("the last txn made it");
    for m in 0..n {
        if !b.applied[m] {
            for e in &edits[edit_start[m]..edit_start[m + 1]] {
                apply_edit(&mut b.doc, &chars, e)
                    .map_err(|e| Refusal(format!("merging txn {m} at the end: {e}")))?;
            }
        }
    }
    Ok(std::mem::take(&mut b.doc))
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
