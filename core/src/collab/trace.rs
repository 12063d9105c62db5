//! Editing-trace formats of `shared/data/collab`, parsed from bytes (gzip or plain JSON).
//!
//! Every position and length counts Unicode code points. A patch `[pos, del, ins]` deletes
//! `del` code points at `pos`, then inserts `ins` at `pos`.
//!
//! | kind | JSON | meaning |
//! |---|---|---|
//! | sequential | `{startContent, endContent, txns:[{patches}]}` | every patch in order, on one document |
//! | concurrent | `{kind:"concurrent", endContent, numAgents, txns:[{parents, agent, patches}]}` | a txn's patches apply, in order, at the version named by `parents` (txn indices) |
//! | conformance | one JSON object a line: `{txns:[{span, parents, agent, seqStart, ops}], endContent}` | like concurrent, but `parents` and `span` count local versions (one per inserted or deleted code point) and agents are names |
//!
//! Parsing takes bytes, never paths: the command line and the browser read the file. Malformed
//! input is an [`Err`] with a message; for conformance files it names the line.

use std::fmt;

use serde::Deserialize;

/// The most bytes a gzip trace may inflate to.
pub const MAX_INFLATED_BYTES: usize = 1 << 30;

/// One edit: delete `del` code points at `pos`, then insert `ins` there.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Patch(pub usize, pub usize, pub String);

/// A transaction of a sequential trace: patches applied one after another.
#[derive(Clone, Debug, Deserialize)]
pub struct SequentialTxn {
    pub patches: Vec<Patch>,
}

/// A whole sequential trace: one author, one document.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SequentialTrace {
    #[serde(default)]
    pub start_content: String,
    pub end_content: String,
    pub txns: Vec<SequentialTxn>,
}

impl SequentialTrace {
    /// How many patches the trace holds.
    pub fn patch_count(&self) -> usize {
        self.txns.iter().map(|t| t.patches.len()).sum()
    }
}

/// A transaction of a concurrent trace: patches by `agent` at the version `parents`.
#[derive(Clone, Debug, Deserialize)]
pub struct ConcurrentTxn {
    pub parents: Vec<usize>,
    pub agent: u32,
    pub patches: Vec<Patch>,
}

/// A whole concurrent trace: several agents, a causal graph of transactions.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcurrentTrace {
    pub end_content: String,
    #[serde(default)]
    pub num_agents: u32,
    pub txns: Vec<ConcurrentTxn>,
}

/// Either kind of trace file.
#[derive(Clone, Debug)]
pub enum Trace {
    Sequential(SequentialTrace),
    Concurrent(ConcurrentTrace),
}

impl Trace {
    /// The content the trace must end with.
    pub fn end_content(&self) -> &str {
        match self {
            Trace::Sequential(t) => &t.end_content,
            Trace::Concurrent(t) => &t.end_content,
        }
    }
}

/// A transaction of a conformance case, in local versions (one per code point inserted or
/// deleted, numbered across the whole case).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceTxn {
    pub span: [usize; 2],
    pub parents: Vec<usize>,
    pub agent: String,
    pub seq_start: u32,
    pub ops: Vec<Patch>,
}

/// One conformance case: a random concurrent history and the content it must merge to.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceCase {
    pub txns: Vec<ConformanceTxn>,
    pub end_content: String,
}

/// Why a trace could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError(pub String);

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TraceError {}

/// Inflates gzip bytes (magic `1f 8b`), or returns plain bytes as they are.
pub fn inflate(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, TraceError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let truncated = || TraceError("gzip: the header is truncated".into());
    if bytes.len() < 18 {
        return Err(TraceError("gzip: truncated".into()));
    }
    if bytes[2] != 8 {
        return Err(TraceError("gzip: unknown compression method".into()));
    }
    let flags = bytes[3];
    let mut at = 10usize;
    if flags & FEXTRA != 0 {
        let n = *bytes.get(at).ok_or_else(truncated)? as usize
            | (*bytes.get(at + 1).ok_or_else(truncated)? as usize) << 8;
        at += 2 + n;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = bytes
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
                .ok_or_else(truncated)?;
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    let body = bytes.get(at..).ok_or_else(truncated)?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(body, MAX_INFLATED_BYTES)
        .map(std::borrow::Cow::Owned)
        .map_err(|_| {
            TraceError("gzip: the compressed data is corrupt, truncated or too large".into())
        })
}

/// Parses a sequential or concurrent trace file (the `kind` field tells them apart).
pub fn parse(bytes: &[u8]) -> Result<Trace, TraceError> {
    let text = inflate(bytes)?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| TraceError(format!("not JSON: {e}")))?;
    let concurrent = value.get("kind").and_then(|k| k.as_str()) == Some("concurrent");
    if concurrent {
        let t: ConcurrentTrace = serde_json::from_value(value)
            .map_err(|e| TraceError(format!("not a concurrent trace: {e}")))?;
        Ok(Trace::Concurrent(t))
    } else {
        let t: SequentialTrace = serde_json::from_value(value)
            .map_err(|e| TraceError(format!("not a sequential trace: {e}")))?;
        Ok(Trace::Sequential(t))
    }
}

/// Parses a conformance file: one case per non-blank line.
pub fn parse_conformance(bytes: &[u8]) -> Result<Vec<ConformanceCase>, TraceError> {
    let text = inflate(bytes)?;
    let mut cases = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let case: ConformanceCase = serde_json::from_slice(line)
            .map_err(|e| TraceError(format!("line {}: not a conformance case: {e}", n + 1)))?;
        cases.push(case);
    }
    if cases.is_empty() {
        return Err(TraceError("the conformance file holds no cases".into()));
    }
    Ok(cases)
}
