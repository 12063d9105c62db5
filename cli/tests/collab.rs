//! `orrery collab` as a user calls it: replays reproduce each trace's end content through the
//! CRDT, OT and the gap buffer, the conformance file passes every case, and an unreadable or
//! malformed file (or a wrong engine) exits with status 2 and a message.

mod common;
use common::orrery;

use std::path::PathBuf;

fn data(name: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/collab")
        .join(name);
    if path.exists() {
        Some(path.display().to_string())
    } else {
        eprintln!("skipping: {} is absent", path.display());
        None
    }
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = orrery(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}

#[test]
fn replay_reproduces_the_end_content_with_either_engine() {
    for (name, chars) in [
        ("sequential/rustcode.json.gz", 65_218),
        ("concurrent/friendsforever.json.gz", 21_362),
    ] {
        let Some(file) = data(name) else {
            return;
        };
        let v = json(&["collab", "replay", &file, "--json"]);
        assert_eq!(v["chars"], chars, "{name}: {v}");
        assert_eq!(v["end_content_matches"], true, "{name}: {v}");
        assert!(v["ms"].as_f64().is_some(), "{v}");
        assert!(v["crdt"]["runs"].as_u64().is_some_and(|r| r > 0), "{v}");
    }
    let Some(file) = data("sequential/rustcode.json.gz") else {
        return;
    };
    for engine in ["rope", "ot"] {
        let v = json(&["collab", "replay", &file, "--engine", engine, "--json"]);
        assert_eq!(v["engine"], engine);
        assert_eq!(v["chars"], 65_218, "{v}");
        assert_eq!(v["end_content_matches"], true, "{v}");
    }
}

#[test]
fn ot_refuses_a_concurrent_trace() {
    let Some(file) = data("concurrent/friendsforever.json.gz") else {
        return;
    };
    let (code, _, err) = orrery(&["collab", "replay", &file, "--engine", "ot"]);
    assert_eq!(code, 2);
    assert!(err.contains("the ot engine cannot merge"), "{err}");
}

#[test]
fn the_collab_lab_runs_headless_and_converges() {
    let v = json(&["run", "collab", "--seed", "3", "--until", "600", "--json"]);
    assert_eq!(v["lab"], "collab", "{v}");
    assert_eq!(v["violations"], serde_json::json!([]), "{v}");
    assert!(v["metrics"]["crdt_messages"].as_u64() > Some(0), "{v}");
}

#[test]
fn conformance_passes_every_case() {
    let Some(file) = data("concurrent/conformance-fugue.jsonl.gz") else {
        return;
    };
    let v = json(&["collab", "conformance", &file, "--json"]);
    assert_eq!(v["cases"], 500, "{v}");
    assert_eq!(v["passed"], 500, "{v}");
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let dir = std::env::temp_dir().join(format!("orrery-collab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "{ this is not json").expect("write");
    let bad_gzip = dir.join("bad.json.gz");
    std::fs::write(
        &bad_gzip,
        [
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        ],
    )
    .expect("write");
    let not_json = not_json.display().to_string();
    let bad_gzip = bad_gzip.display().to_string();
    for (args, says) in [
        (
            vec!["collab", "replay", "/no/such/file.json"],
            "No such file",
        ),
        (vec!["collab", "replay", &not_json], "not a trace"),
        (vec!["collab", "replay", &bad_gzip], "gzip"),
        (vec!["collab", "conformance", &not_json], "line 1"),
        (vec!["collab", "replay"], "which FILE"),
        (
            vec!["collab", "replay", &not_json, "--engine", "vim"],
            "expected crdt, ot or rope",
        ),
    ] {
        let (code, out, err) = orrery(&args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
