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
//! several patches is a multi-cursor edit). Traces are read by the shared reader,
//! [`crate::collab::trace`]; OT replays only sequential ones (a concurrent trace has no
//! server order to replay).

use super::op::{Op, OtError};
use super::text::Text;
use crate::collab::trace::{self, Trace};

pub use crate::collab::trace::{Patch, SequentialTrace};

/// Reads a sequential trace from its JSON, gzipped or not; a concurrent trace is an error.
pub fn parse(bytes: &[u8]) -> Result<SequentialTrace, String> {
    match trace::parse(bytes) {
        Ok(Trace::Sequential(t)) => Ok(t),
        Ok(Trace::Concurrent(_)) => {
            Err("a concurrent trace: OT replays sequential traces only".into())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Every patch of `trace` as an operation, in order.
pub fn ops(trace: &SequentialTrace) -> impl Iterator<Item = Op> + '_ {
    trace
        .txns
        .iter()
        .flat_map(|t| &t.patches)
        .map(|Patch(pos, del, text)| Op::splice(*pos, *del, text))
}

/// Applies every patch of `trace`, as an operation, to a gap-buffer document; returns the
/// final text. A patch that does not fit the document is an error.
pub fn replay(trace: &SequentialTrace) -> Result<String, OtError> {
    let mut text = Text::new(&trace.start_content);
    for op in ops(trace) {
        text.apply(&op)?;
    }
    Ok(text.to_string())
}
