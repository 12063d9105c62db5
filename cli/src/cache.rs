//! `orrery cache sim` and `orrery cache mrc`: trace replay from the command line.
//!
//! `cache sim` replays a trace through each policy at each capacity and prints one row per
//! pair: requests, hits and the hit ratio, and the bytes requested, the bytes served from the
//! cache and the byte hit ratio (both in percent with two decimals).
//!
//! **Units.** With `--unit objects` (the default) the capacity counts objects and every object
//! takes one slot, as in the published hit-ratio tables; sizes, if the trace has them, only
//! weigh the byte counts. With `--unit bytes` the capacity counts bytes (binary suffixes
//! `K`, `M`, `G`: `64M` is 64 × 2²⁰), every object occupies its size, and each policy runs its
//! sized variant (see `orrery_core::cache::policy::sized_by_name`).
//!
//! **Sizes** come from the trace when it has them (a `lines` trace of `key size` lines, see
//! `orrery_core::cache::trace::parse_sized`) or from `--sizes fixed:N` or
//! `--sizes uniform:MIN-MAX`, a pure function of the key (`SizeSpec::size`: the same size for
//! every request of a key, on every run). Without either, every object is 1 byte, which
//! `--unit bytes` refuses as a likely mistake. Giving `--sizes` for a trace that has a size
//! column is refused too, rather than silently preferring one.
//!
//! Worked example, `lines` trace `a 100`, `b 20`, `a 100`, `c 50`, `b 20`, LRU, `--unit bytes
//! --capacity 150`: `a` misses (100 held), `b` misses (120), `a` hits, `c` misses and evicts
//! `b`, the least recent (150), `b` misses and evicts `a` (70). One hit in five: hit ratio
//! 20.00; 100 of 290 bytes from the cache: byte hit ratio 34.48.

use orrery_core::cache::replay::{self, Stats};
use orrery_core::cache::trace::{self, SizeSpec};
use orrery_core::cache::{mrc, policy, Policy};

use crate::{num, Args};

/// What the capacity counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Objects,
    Bytes,
}

/// Parses a capacity: a plain count of objects, or bytes with an optional binary suffix.
fn capacity(text: &str, unit: Unit) -> Result<u64, String> {
    let bad = || match unit {
        Unit::Objects => format!("--capacity: {text:?} is not a number of objects"),
        Unit::Bytes => format!(
            "--capacity: {text:?} is not a number of bytes (a whole number, optionally with a \
             binary suffix K, M or G, e.g. 64M)"
        ),
    };
    let (digits, shift) = match (unit, text.char_indices().last()) {
        (Unit::Bytes, Some((i, c))) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => return Err(bad()),
            };
            (&text[..i], shift)
        }
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let n = n
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("--capacity: {text:?} overflows 64 bits"))?;
    if unit == Unit::Bytes && n < 1 {
        return Err(format!(
            "--capacity: {text:?} bytes; a capacity in bytes must be at least 1"
        ));
    }
    Ok(n)
}

fn format_of(args: &Args, cmd: &str) -> Result<trace::Format, String> {
    let name = args
        .flags
        .get("format")
        .ok_or(format!("cache {cmd}: --format arc|lirs|lines is required"))?;
    trace::Format::from_name(name).ok_or_else(|| {
        format!(
            "no trace format {name:?}; formats: {}",
            trace::Format::NAMES.join(", ")
        )
    })
}

/// Replays a trace file through each policy at each capacity; one row per pair.
pub(crate) fn cmd_sim(args: &Args) -> Result<(), String> {
    let path = args
        .flags
        .get("trace")
        .ok_or("cache sim: --trace FILE is required")?;
    let format = format_of(args, "sim")?;
    let policies: Vec<&str> = args
        .flags
        .get("policies")
        .ok_or("cache sim: --policies lru,arc,... is required")?
        .split(',')
        .collect();
    for name in &policies {
        if !policy::NAMES.contains(name) {
            return Err(format!(
                "no eviction policy {name:?}; policies: {}",
                policy::NAMES.join(", ")
            ));
        }
    }
    let unit = match args.flags.get("unit").map(String::as_str) {
        None | Some("objects") => Unit::Objects,
        Some("bytes") => Unit::Bytes,
        Some(other) => return Err(format!("--unit: {other:?}; units: objects, bytes")),
    };
    let capacities = args
        .flags
        .get("capacity")
        .ok_or("cache sim: --capacity N[,N...] is required")?
        .split(',')
        .map(|c| capacity(c, unit))
        .collect::<Result<Vec<u64>, String>>()?;
    let spec = match args.flags.get("sizes") {
        Some(s) => Some(SizeSpec::parse(s).map_err(|e| format!("--sizes: {e}"))?),
        None => None,
    };
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let parsed = trace::parse_sized(&bytes, format).map_err(|e| format!("{path}: {e}"))?;
    let sizes: Vec<u64> = match (parsed.sizes, spec) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "{path}: the trace has a size column, so --sizes would contradict it; \
                 drop --sizes or the column"
            ))
        }
        (Some(sizes), None) => sizes,
        (None, Some(spec)) => parsed.keys.iter().map(|&k| spec.size(k)).collect(),
        (None, None) if unit == Unit::Bytes => {
            return Err(format!(
                "{path}: --unit bytes needs object sizes: a `key size` trace (--format lines) \
                 or --sizes fixed:N|uniform:MIN-MAX"
            ))
        }
        (None, None) => vec![1; parsed.keys.len()],
    };
    let keys = parsed.keys;
    let json = args.flags.contains_key("json");
    let mut rows = Vec::new();
    if !json {
        println!(
            "{:<8} {:>12} {:>12} {:>12} {:>9} {:>16} {:>16} {:>14}",
            "policy",
            "capacity",
            "requests",
            "hits",
            "hit_ratio",
            "bytes_requested",
            "bytes_hit",
            "byte_hit_ratio"
        );
    }
    // The distinct keys, to size the sized policies' tables up front.
    let distinct = {
        let mut k = keys.clone();
        k.sort_unstable();
        k.dedup();
        k.len()
    };
    for name in &policies {
        for &capacity in &capacities {
            let s = match unit {
                Unit::Objects => {
                    let mut p = policy::by_name(name, capacity)?;
                    replay_counting_bytes(&mut *p, &keys, &sizes)
                }
                Unit::Bytes => {
                    let mut p = policy::sized_by_name(name, capacity, distinct.min(1 << 20))?;
                    let requests: Vec<(u64, u64)> =
                        keys.iter().copied().zip(sizes.iter().copied()).collect();
                    replay::replay_sized(&mut *p, &requests)
                }
            };
            if json {
                rows.push(serde_json::json!({
                    "policy": name, "capacity": capacity,
                    "unit": if unit == Unit::Bytes { "bytes" } else { "objects" },
                    "requests": s.requests, "hits": s.hits,
                    "hit_ratio": s.hit_ratio_bp() as f64 / 100.0,
                    "bytes_requested": s.bytes, "bytes_hit": s.bytes_hit,
                    "byte_hit_ratio": s.byte_hit_ratio_bp() as f64 / 100.0,
                }));
            } else {
                let bp = s.byte_hit_ratio_bp();
                println!(
                    "{:<8} {:>12} {:>12} {:>12} {:>9} {:>16} {:>16} {:>14}",
                    name,
                    capacity,
                    s.requests,
                    s.hits,
                    s.percent(),
                    s.bytes,
                    s.bytes_hit,
                    format!("{}.{:02}", bp / 100, bp % 100)
                );
            }
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(rows));
    }
    Ok(())
}

/// Replays `keys` with unit sizes (a capacity in objects), counting each request's bytes.
fn replay_counting_bytes(p: &mut dyn Policy, keys: &[u64], sizes: &[u64]) -> Stats {
    let mut s = Stats::default();
    for (&k, &size) in keys.iter().zip(sizes) {
        let hit = p.request(k, 1);
        s.requests += 1;
        s.bytes += size;
        if hit {
            s.hits += 1;
            s.bytes_hit += size;
        }
    }
    s
}

/// Computes a miss-ratio curve per policy from a trace file; one row per capacity.
pub(crate) fn cmd_mrc(args: &Args) -> Result<(), String> {
    let need = |name: &str, what: &str| {
        args.flags
            .get(name)
            .ok_or(format!("cache mrc: --{name} {what} is required"))
    };
    let path = need("trace", "FILE")?;
    let format_name = need("format", "arc|lirs|lines")?;
    let format = trace::Format::from_name(format_name).ok_or_else(|| {
        format!(
            "no trace format {format_name:?}; formats: {}",
            trace::Format::NAMES.join(", ")
        )
    })?;
    let policies: Vec<&str> = need("policies", "lru,arc,...")?.split(',').collect();
    let capacities = match (args.flags.get("capacities"), num::<u64>(args, "points")?) {
        (Some(list), None) => list
            .split(',')
            .map(|c| {
                c.parse::<u64>()
                    .map_err(|_| format!("--capacities: {c:?} is not a number"))
            })
            .collect::<Result<Vec<u64>, String>>()?,
        (None, Some(points)) => {
            let max = num::<u64>(args, "max")?.ok_or("cache mrc: --points needs --max C")?;
            if points == 0 || points > 10_000 {
                return Err("--points must be between 1 and 10000".into());
            }
            mrc::even_capacities(points, max)
        }
        _ => {
            return Err("cache mrc: give either --capacities N,N,... or --points N --max C".into())
        }
    };
    // Checks the policy names before reading a possibly large trace.
    mrc::MrcJob::new(Vec::new(), &policies, &capacities)?;
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let keys = trace::parse(&bytes, format).map_err(|e| format!("{path}: {e}"))?;
    let curves = mrc::MrcJob::new(keys, &policies, &capacities)?.run();
    if args.flags.contains_key("json") {
        let out = serde_json::json!({
            "requests": curves.requests,
            "capacities": curves.capacities,
            "curves": curves.curves.iter().enumerate().map(|(p, c)| serde_json::json!({
                "policy": c.policy,
                "hits": c.hits,
                "hit_ratio": (0..c.hits.len())
                    .map(|i| curves.stats(p, i).hit_ratio_bp() as f64 / 100.0)
                    .collect::<Vec<f64>>(),
            })).collect::<Vec<_>>(),
        });
        println!("{out}");
        return Ok(());
    }
    let mut header = format!("{:>10}", "capacity");
    for c in &curves.curves {
        header += &format!(" {:>9}", c.policy);
    }
    println!("{header}");
    for (i, capacity) in curves.capacities.iter().enumerate() {
        let mut row = format!("{capacity:>10}");
        for p in 0..curves.curves.len() {
            row += &format!(" {:>9}", curves.stats(p, i).percent());
        }
        println!("{row}");
    }
    Ok(())
}
