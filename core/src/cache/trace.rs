//! Trace formats of `shared/data/cache`, parsed from bytes into a sequence of integer keys.
//!
//! Parsing takes bytes, never paths: the command line and the browser read the file and hand
//! its contents over. A gzip file (magic bytes `1f 8b`) is inflated first, whatever the format.
//!
//! | format | one line | requests |
//! |---|---|---|
//! | [`Format::Arc`] (the ARC paper's `.lis`) | `start count ignored reqno` | `count` requests: keys `start, start+1, …, start+count−1` |
//! | [`Format::Lirs`] (the LIRS traces) | one integer key; a line `*` is a checkpoint | one request, or none for `*` |
//! | [`Format::Lines`] | any string | one request; the n-th distinct string is key n (from 0) |
//!
//! Blank lines are skipped and surrounding whitespace (including a `\r`) is ignored. For
//! example, the `.lis` text
//!
//! ```text
//! 100 3 0 0
//! 7 1 0 1
//! ```
//!
//! gives the keys `100 101 102 7`. Malformed input is an [`Err`] naming the line (from 1). A
//! trace may hold at most [`MAX_REQUESTS`] requests, so a hostile `count` cannot exhaust memory.
//! Only the first member of a multi-member gzip file is read.

use std::fmt;

use crate::hash::FixedMap;

/// The most requests one trace may expand to (the ARC paper's P3 trace has 3.9 million).
pub const MAX_REQUESTS: u64 = 1 << 27;
/// The most bytes a gzip trace may inflate to.
pub const MAX_INFLATED_BYTES: usize = 1 << 31;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Arc,
    Lirs,
    Lines,
}

impl Format {
    /// Every format's name, as the runner spells it.
    pub const NAMES: &'static [&'static str] = &["arc", "lirs", "lines"];

    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "arc" => Some(Format::Arc),
            "lirs" => Some(Format::Lirs),
            "lines" => Some(Format::Lines),
            _ => None,
        }
    }
}

/// Why a trace could not be read: the line (from 1; 0 for the file as a whole) and a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    pub line: u64,
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for TraceError {}

fn whole(message: impl Into<String>) -> TraceError {
    TraceError {
        line: 0,
        message: message.into(),
    }
}

/// Parses a trace (gzip or plain) into its keys, one per request.
pub fn parse(bytes: &[u8], format: Format) -> Result<Vec<u64>, TraceError> {
    let inflated;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        inflated = gunzip(bytes)?;
        &inflated[..]
    } else {
        bytes
    };
    match format {
        Format::Arc => parse_arc(text),
        Format::Lirs => parse_lirs(text),
        Format::Lines => parse_lines(text),
    }
}

/// Inflates the first member of a gzip file (RFC 1952), see [`crate::gzip`].
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, TraceError> {
    crate::gzip::gunzip(bytes, MAX_INFLATED_BYTES).map_err(whole)
}

/// Splits text into `(line number from 1, trimmed line)`, skipping blank lines.
fn lines(text: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    text.split(|&b| b == b'\n')
        .enumerate()
        .map(|(n, l)| (n as u64 + 1, l.trim_ascii()))
        .filter(|(_, l)| !l.is_empty())
}

fn number(field: &[u8], line: u64, what: &str) -> Result<u64, TraceError> {
    let bad = || TraceError {
        line,
        message: format!(
            "{what} {:?} is not a non-negative integer",
            String::from_utf8_lossy(field)
        ),
    };
    if field.is_empty() || field.len() > 20 {
        return Err(bad());
    }
    let mut n: u64 = 0;
    for &b in field {
        if !b.is_ascii_digit() {
            return Err(bad());
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add((b - b'0') as u64))
            .ok_or_else(bad)?;
    }
    Ok(n)
}

fn too_long(line: u64) -> TraceError {
    TraceError {
        line,
        message: format!("the trace is longer than {MAX_REQUESTS} requests"),
    }
}

fn parse_arc(text: &[u8]) -> Result<Vec<u64>, TraceError> {
    let mut keys = Vec::new();
    for (line, l) in lines(text) {
        let mut fields = l
            .split(|b| b.is_ascii_whitespace())
            .filter(|f| !f.is_empty());
        let (Some(start), Some(count)) = (fields.next(), fields.next()) else {
            return Err(TraceError {
                line,
                message: "expected `start count ignored reqno`".into(),
            });
        };
        let start = number(start, line, "start block")?;
        let count = number(count, line, "count")?;
        if keys.len() as u64 + count > MAX_REQUESTS {
            return Err(too_long(line));
        }
        if start.checked_add(count).is_none() {
            return Err(TraceError {
                line,
                message: "start + count overflows 64 bits".into(),
            });
        }
        keys.extend(start..start + count);
    }
    Ok(keys)
}

fn parse_lirs(text: &[u8]) -> Result<Vec<u64>, TraceError> {
    let mut keys = Vec::new();
    for (line, l) in lines(text) {
        if l == b"*" {
            continue;
        }
        if keys.len() as u64 >= MAX_REQUESTS {
            return Err(too_long(line));
        }
        keys.push(number(l, line, "key")?);
    }
    Ok(keys)
}

fn parse_lines(text: &[u8]) -> Result<Vec<u64>, TraceError> {
    let mut keys = Vec::new();
    let mut ids: FixedMap<&[u8], u64> = FixedMap::default();
    for (line, l) in lines(text) {
        if keys.len() as u64 >= MAX_REQUESTS {
            return Err(too_long(line));
        }
        let next = ids.len() as u64;
        keys.push(*ids.entry(l).or_insert(next));
    }
    Ok(keys)
}
