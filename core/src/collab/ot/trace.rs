//! Replay of sequential editing traces (josephg/editing-traces) through OT: each patch becomes
//! an operation applied to the document.
//!
//! The format (gzip JSON; positions and lengths count code points):
//!
//! ```text
//!   {"startContent": "", "endContent": "…",
//!    "txns": [{"time": "…", "patches": [[pos, delLen, insStr], …]}, …]}
//! ```
//!
//! Patches apply in order, each to the document the previous one left (a transaction with
//! several patches is a multi-cursor edit). This is a small reader private to OT; the lab's
//! shared trace reader lives beside the CRDT.

use serde::Deserialize;

use super::op::{Op, OtError};
use super::text::Text;

/// One edit: at `pos`, delete `del` characters, then insert `text`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Patch(pub usize, pub usize, pub String);

#[derive(Clone, Debug, Deserialize)]
pub struct Txn {
    pub patches: Vec<Patch>,
}

/// A sequential trace: one user's edits in order, and the text they end with.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SequentialTrace {
    #[serde(default)]
    pub start_content: String,
    pub end_content: String,
    pub txns: Vec<Txn>,
}

impl SequentialTrace {
    /// Reads a trace from its JSON, gzipped or not.
    pub fn parse(bytes: &[u8]) -> Result<SequentialTrace, String> {
        let inflated;
        let json = if bytes.starts_with(&[0x1f, 0x8b]) {
            inflated = crate::cache::trace::gunzip(bytes).map_err(|e| e.to_string())?;
            &inflated[..]
        } else {
            bytes
        };
        serde_json::from_slice(json).map_err(|e| format!("not a sequential trace: {e}"))
    }

    /// Every patch as an operation, in order.
    pub fn ops(&self) -> impl Iterator<Item = Op> + '_ {
        self.txns
            .iter()
            .flat_map(|t| &t.patches)
            .map(|Patch(pos, del, text)| Op::splice(*pos, *del, text))
    }

    /// How many patches the trace has.
    pub fn patches(&self) -> usize {
        self.txns.iter().map(|t| t.patches.len()).sum()
    }
}

/// Applies every patch of `trace`, as an operation, to a gap-buffer document; returns the
/// final text. A patch that does not fit the document is an error.
pub fn replay(trace: &SequentialTrace) -> Result<String, OtError> {
    let mut text = Text::new(&trace.start_content);
    for op in trace.ops() {
        text.apply(&op)?;
    }
    Ok(text.to_string())
}
