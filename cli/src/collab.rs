//! `orrery collab ...`: replays editing traces through the sequence CRDT, OT or the gap buffer,
//! and runs conformance files, printing JSON (pretty, or one line with `--json`).

use std::time::Instant;

use orrery_core::collab::trace::{self, Trace};
use orrery_core::collab::{crdt, ot, rope};

use crate::Args;

fn read(args: &Args, what: &str) -> Result<(String, Vec<u8>), String> {
    let path = args
        .words
        .get(2)
        .ok_or(format!("collab {what}: which FILE?"))?
        .clone();
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    Ok((path, bytes))
}

fn print(args: &Args, out: serde_json::Value) {
    if args.flags.contains_key("json") {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
}

/// What a replay leaves: the gap buffer's text, OT's text, or the CRDT document (whose size
/// is reported).
enum Replayed {
    Rope(rope::GapBuffer),
    Ot(String),
    Crdt(crdt::Doc),
}

/// `orrery collab replay FILE [--engine crdt|ot|rope] [--json]`; for the CRDT it also prints
/// the structure's items (tombstones included), runs and estimated bytes.
pub fn cmd_replay(args: &Args) -> Result<(), String> {
    let (path, bytes) = read(args, "replay")?;
    let engine = args.flags.get("engine").map_or("crdt", String::as_str);
    if !matches!(engine, "crdt" | "ot" | "rope") {
        return Err(format!(
            "collab replay: --engine {engine:?}: expected crdt, ot or rope"
        ));
    }
    let trace = trace::parse(&bytes).map_err(|e| format!("{path}: {e}"))?;
    let start = Instant::now();
    let doc = match (&trace, engine) {
        (Trace::Sequential(t), "rope") => Replayed::Rope(rope::replay(t)),
        (Trace::Sequential(t), "ot") => {
            Replayed::Ot(ot::trace::replay(t).map_err(|e| format!("{path}: {e}"))?)
        }
        (Trace::Sequential(t), _) => Replayed::Crdt(crdt::replay(t).map_err(|e| e.to_string())?),
        (Trace::Concurrent(t), "crdt") => {
            Replayed::Crdt(crdt::merge(t).map_err(|e| e.to_string())?)
        }
        (Trace::Concurrent(_), _) => {
            return Err(format!(
                "{path}: the {engine} engine cannot merge a concurrent trace; use --engine crdt"
            ))
        }
    };
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let (text, structure) = match doc {
        Replayed::Rope(buffer) => (buffer.text(), serde_json::Value::Null),
        Replayed::Ot(text) => (text, serde_json::Value::Null),
        Replayed::Crdt(doc) => (
            doc.text(),
            serde_json::json!({
                "items": doc.item_count(),
                "runs": doc.run_count(),
                "bytes": doc.memory_bytes(),
            }),
        ),
    };
    let kind = match trace {
        Trace::Sequential(_) => "sequential",
        Trace::Concurrent(_) => "concurrent",
    };
    print(
        args,
        serde_json::json!({
            "file": path,
            "kind": kind,
            "engine": engine,
            "chars": text.chars().count(),
            "end_content_matches": text == trace.end_content(),
            "ms": (ms * 1000.0).round() / 1000.0,
            "crdt": structure,
        }),
    );
    Ok(())
}

/// `orrery collab conformance FILE [--json]`.
pub fn cmd_conformance(args: &Args) -> Result<(), String> {
    let (path, bytes) = read(args, "conformance")?;
    let cases = trace::parse_conformance(&bytes).map_err(|e| format!("{path}: {e}"))?;
    let start = Instant::now();
    let mut failed = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        match crdt::conformance(case) {
            Ok(text) if text == case.end_content => {}
            Ok(_) => failed.push(serde_json::json!({"case": i, "error": "endContent differs"})),
            Err(e) => failed.push(serde_json::json!({"case": i, "error": e.to_string()})),
        }
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let passed = cases.len() - failed.len();
    failed.truncate(10);
    print(
        args,
        serde_json::json!({
            "file": path,
            "cases": cases.len(),
            "passed": passed,
            "ms": (ms * 1000.0).round() / 1000.0,
            "first_failures": failed,
        }),
    );
    Ok(())
}
