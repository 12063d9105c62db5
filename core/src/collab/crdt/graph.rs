//! The causal graph of a replica's edits, for drawing: each run of one agent's edits is a
//! node, with edges to the nodes holding the ids it depends on (its origins, or the
//! characters it deletes).
//!
//! ```text
//!   log:  a "h" a "i" b "!" after a0  a del a1  b "?" after b0
//!   nodes: 0 a ins "hi"  ─┬─► 1 b ins "!?"   (depends on a0)
//!                         └─► 2 a del 1      (deletes a1)
//! ```
//!
//! A node grows while its agent keeps typing at the end of it (each insert's left origin is
//! the node's last character, or it deletes next to what the node deleted) and while every
//! other id the op names is already a parent of the node; otherwise the op starts a new
//! node. Nodes come in the order of their first op in the log, and since an op needs its
//! dependencies first, a node's parents always come before it.

use std::collections::BTreeMap;

use super::{Agent, Id, Op};

/// One run of edits by one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub agent: Agent,
    /// The ids of the run: `start .. end` of the agent's seqs.
    pub start: u32,
    pub end: u32,
    /// Whether the run inserts (its text) or deletes (`None`).
    pub text: Option<String>,
    /// The nodes this one depends on, by index, ascending.
    pub parents: Vec<usize>,
}

impl Node {
    /// One line: `a@0..2 ins "hi" <- 0 3`.
    pub fn line(&self, index: usize) -> String {
        let what = match &self.text {
            Some(t) => format!("ins {t:?}"),
            None => format!("del {}", self.end - self.start),
        };
        let parents: Vec<String> = self.parents.iter().map(|p| p.to_string()).collect();
        format!(
            "{index}: {}@{}..{} {what}{}",
            self.agent,
            self.start,
            self.end,
            if parents.is_empty() {
                String::new()
            } else {
                format!(" <- {}", parents.join(" "))
            }
        )
    }
}

/// The causal graph of `log` (ops in an order in which they applied).
pub fn causal_graph(log: &[Op]) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    // Per agent: `(start seq, end seq, node)` of its nodes, by start.
    let mut spans: BTreeMap<Agent, Vec<(u32, u32, usize)>> = BTreeMap::new();
    // Per agent: the node it is extending.
    let mut open: BTreeMap<Agent, usize> = BTreeMap::new();
    let find = |spans: &BTreeMap<Agent, Vec<(u32, u32, usize)>>, id: Id| {
        let rs = spans.get(&id.agent)?;
        let i = rs.partition_point(|r| r.1 <= id.seq);
        rs.get(i).filter(|r| r.0 <= id.seq).map(|r| r.2)
    };
    for op in log {
        let id = op.id();
        let len = op.len();
        let deps: Vec<usize> = {
            let mut d: Vec<usize> = op
                .dependencies()
                .into_iter()
                .filter_map(|dep| find(&spans, dep))
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        };
        let continues = open.get(&id.agent).copied().filter(|&n| {
            let node = &nodes[n];
            let next = node.end == id.seq;
            let same_kind = node.text.is_some() == matches!(op, Op::Insert { .. });
            let at_end = match op {
                Op::Insert { left, .. } => *left == Some(Id::new(node.agent, node.end - 1)),
                Op::Delete { .. } => true,
            };
            let known = deps.iter().all(|&d| d == n || node.parents.contains(&d));
            next && same_kind && at_end && known
        });
        match continues {
            Some(n) => {
                let node = &mut nodes[n];
                node.end += len;
                if let (Some(t), Op::Insert { text, .. }) = (&mut node.text, op) {
                    t.push_str(text);
                }
                let span = spans
                    .get_mut(&id.agent)
                    .and_then(|rs| rs.iter_mut().find(|r| r.2 == n));
                if let Some(span) = span {
                    span.1 = node.end;
                }
            }
            None => {
                let n = nodes.len();
                nodes.push(Node {
                    agent: id.agent,
                    start: id.seq,
                    end: id.seq + len,
                    text: match op {
                        Op::Insert { text, .. } => Some(text.clone()),
                        Op::Delete { .. } => None,
                    },
                    parents: deps,
                });
                let rs = spans.entry(id.agent).or_default();
                let at = rs.partition_point(|r| r.0 < id.seq);
                rs.insert(at, (id.seq, id.seq + len, n));
                open.insert(id.agent, n);
            }
        }
    }
    nodes
}
