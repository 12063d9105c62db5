//! `orrery run cache` with the read and write strategies, expiry and app servers from a scenario
//! file: the new metrics are reported, the runs keep their invariants, and an out-of-range field
//! exits with status 2 naming it.

mod common;
use common::orrery;

/// Writes `json` to a scenario file of its own and returns its path.
fn scenario_file(name: &str, json: &str) -> String {
    let dir = std::env::temp_dir().join(format!("orrery-cache-strategies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, json).expect("scenario file");
    path.display().to_string()
}

#[test]
fn runs_report_stale_reads_lost_writes_bytes_and_local_hits() {
    let file = scenario_file(
        "all",
        r#"{"write_percent": 20, "write_strategy": "write_through", "ttl_ms": 5000,
            "stale_while_revalidate_ms": 1000, "app_servers": 3, "pubsub_drop_percent": 10}"#,
    );
    let (code, out, err) = orrery(&[
        "run",
        "cache",
        "--seed",
        "3",
        "--scenario",
        &file,
        "--until",
        "120",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    let m = &v["metrics"];
    for counter in [
        "writes",
        "store_commits",
        "stale_reads",
        "lost_writes",
        "bytes_hit",
        "bytes_requested",
        "local_hits",
        "invalidations_sent",
        "served_expired",
    ] {
        assert!(m.get(counter).is_some(), "missing {counter} in {m}");
    }
    assert!(m["writes"].as_u64().unwrap_or(0) > 0);
    assert!(m["local_hits"].as_u64().unwrap_or(0) > 0);
    assert_eq!(v["violations"], serde_json::json!([]), "{out}");
}

#[test]
fn an_out_of_range_strategy_field_exits_2_naming_it() {
    let file = scenario_file("bad", r#"{"write_percent": 150}"#);
    let (code, _, err) = orrery(&["run", "cache", "--scenario", &file, "--until", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("write_percent"), "{err}");
    let file = scenario_file("unknown", r#"{"write_strategy": "write_sideways"}"#);
    let (code, _, err) = orrery(&["run", "cache", "--scenario", &file, "--until", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("write_sideways") || err.contains("write_strategy"),
        "{err}"
    );
}
