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
//!
//! **Sizes.** [`parse_sized`] also reads object sizes where a trace carries them: a `lines`
//! trace whose first line is `key size` (two fields, the second an integer) has a size column,
//! and then every line must be `key size` with a size from 1 to [`MAX_SIZE`]; the key is the
//! first field (`GET 200` is then key `GET` of 200 bytes, while [`parse`] keeps reading the whole
//! line as the key). The ARC and LIRS formats have no size column: [`parse_sized`] refuses a
//! LIRS line with a second field and an ARC line with a fifth. A trace without sizes gets them
//! from a [`SizeSpec`] (`fixed:N` or `uniform:MIN-MAX`): a pure function of the key, the same
//! for every request of it, with no random state (see [`SizeSpec::size`]).
//!
//! | `lines` text | keys | sizes |
//! |---|---|---|
//! | `a 100` / `b 20` / `a 100` | `0 1 0` | `100 20 100` |

use std::fmt;

use crate::hash::FixedMap;

/// The most requests one trace may expand to (the ARC paper's P3 trace has 3.9 million).
pub const MAX_REQUESTS: u64 = 1 << 27;
/// The largest object size a trace or a [`SizeSpec`] may give (4 GiB), so that the bytes of a
/// whole trace ([`MAX_REQUESTS`] requests) add up within 64 bits.
pub const MAX_SIZE: u64 = 1 << 32;
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

/// A trace's text: `bytes` inflated when they are gzip, else as they are.
fn text_of(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, TraceError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Ok(std::borrow::Cow::Owned(gunzip(bytes)?))
    } else {
        Ok(std::borrow::Cow::Borrowed(bytes))
    }
}

/// Parses a trace (gzip or plain) into its keys, one per request.
pub fn parse(bytes: &[u8], format: Format) -> Result<Vec<u64>, TraceError> {
    let text = text_of(bytes)?;
    let text = &text[..];
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

/// A trace's keys and, when it carries them, each request's size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizedTrace {
    pub keys: Vec<u64>,
    /// One size per request, or `None` for a trace without a size column.
    pub sizes: Option<Vec<u64>>,
}

/// Parses a trace (gzip or plain) into its keys and, for a `lines` trace with a size column,
/// its sizes; refuses a size column in a format that has none.
pub fn parse_sized(bytes: &[u8], format: Format) -> Result<SizedTrace, TraceError> {
    let text = text_of(bytes)?;
    let text = &text[..];
    let fields = |l: &[u8]| split_fields(l).len();
    let no_column = |line: u64, format: &str, what: &str| TraceError {
        line,
        message: format!(
            "the {format} format has no size column ({what}); write `key size` lines with \
             --format lines, or assign sizes with --sizes"
        ),
    };
    match format {
        Format::Arc => {
            if let Some((line, _)) = lines(text).find(|&(_, l)| fields(l) > 4) {
                return Err(no_column(
                    line,
                    "arc",
                    "more than `start count ignored reqno`",
                ));
            }
            Ok(SizedTrace {
                keys: parse_arc(text)?,
                sizes: None,
            })
        }
        Format::Lirs => {
            if let Some((line, _)) = lines(text).find(|&(_, l)| l != b"*" && fields(l) > 1) {
                return Err(no_column(line, "lirs", "one key per line"));
            }
            Ok(SizedTrace {
                keys: parse_lirs(text)?,
                sizes: None,
            })
        }
        Format::Lines => {
            let sized = lines(text).next().is_some_and(|(_, l)| {
                let f: Vec<&[u8]> = split_fields(l);
                f.len() == 2 && f[1].iter().all(u8::is_ascii_digit)
            });
            if !sized {
                return Ok(SizedTrace {
                    keys: parse_lines(text)?,
                    sizes: None,
                });
            }
            let mut keys = Vec::new();
            let mut sizes = Vec::new();
            let mut ids: FixedMap<&[u8], u64> = FixedMap::default();
            for (line, l) in lines(text) {
                if keys.len() as u64 >= MAX_REQUESTS {
                    return Err(too_long(line));
                }
                let f = split_fields(l);
                if f.len() != 2 {
                    return Err(TraceError {
                        line,
                        message: "expected `key size` (the first line has a size column)".into(),
                    });
                }
                let size = number(f[1], line, "size")?;
                if !(1..=MAX_SIZE).contains(&size) {
                    return Err(TraceError {
                        line,
                        message: format!("size {size} is not between 1 and {MAX_SIZE}"),
                    });
                }
                let next = ids.len() as u64;
                keys.push(*ids.entry(f[0]).or_insert(next));
                sizes.push(size);
            }
            Ok(SizedTrace {
                keys,
                sizes: Some(sizes),
            })
        }
    }
}

fn split_fields(l: &[u8]) -> Vec<&[u8]> {
    l.split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
        .collect()
}

/// Sizes assigned to a trace that carries none: every object `Fixed(n)` bytes, or
/// `Uniform { min, max }`, each key's size drawn once from `min..=max` by a hash of the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeSpec {
    Fixed(u64),
    Uniform { min: u64, max: u64 },
}

impl SizeSpec {
    /// Parses `fixed:N` or `uniform:MIN-MAX` (plain integers, 1 to [`MAX_SIZE`]).
    pub fn parse(spec: &str) -> Result<SizeSpec, String> {
        let bad = |why: &str| {
            format!("size spec {spec:?}: {why}; expected fixed:N or uniform:MIN-MAX (bytes, 1 to {MAX_SIZE})")
        };
        let size = |n: &str| -> Result<u64, String> {
            let v: u64 = n
                .parse()
                .map_err(|_| bad(&format!("{n:?} is not a number")))?;
            if (1..=MAX_SIZE).contains(&v) {
                Ok(v)
            } else {
                Err(bad(&format!("{v} is out of range")))
            }
        };
        if let Some(n) = spec.strip_prefix("fixed:") {
            return Ok(SizeSpec::Fixed(size(n)?));
        }
        if let Some(range) = spec.strip_prefix("uniform:") {
            let (min, max) = range
                .split_once('-')
                .ok_or_else(|| bad("a uniform range is MIN-MAX"))?;
            let (min, max) = (size(min)?, size(max)?);
            if min > max {
                return Err(bad("MIN is above MAX"));
            }
            return Ok(SizeSpec::Uniform { min, max });
        }
        Err(bad("unknown kind"))
    }

    /// The size of `key`: for `Uniform`, `min + h(key) mod (max - min + 1)` where `h` is the
    /// SplitMix64 finalizer (a fixed bijection of 64-bit integers), so every request for a key
    /// has the same size, on every run and target, and nothing depends on the order of
    /// requests. (The modulo's bias is below 2⁻³¹ for any range allowed.)
    pub fn size(&self, key: u64) -> u64 {
        match *self {
            SizeSpec::Fixed(n) => n,
            SizeSpec::Uniform { min, max } => min + mix(key) % (max - min + 1),
        }
    }
}

/// The SplitMix64 output function: its step (the golden-ratio increment) and finalizer.
fn mix(key: u64) -> u64 {
    crate::cache::ring::mix(key.wrapping_add(0x9E37_79B9_7F4A_7C15))
}
