//! `orrery parking race` as a user calls it: with no control the seeded search reports double
//! assignments with their seeds (and the same seeds every time), with any control it reports
//! none, `orrery run parking` works through the registry, and bad flags exit with status 2.

mod common;
use common::orrery;

fn race_json(control: &str, runs: &str) -> serde_json::Value {
    let (code, out, err) = orrery(&[
        "parking",
        "race",
        "--control",
        control,
        "--runs",
        runs,
        "--json",
    ]);
    assert_eq!(code, 0, "{control}: {err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}

#[test]
fn with_no_control_the_race_reports_violations_with_their_seeds() {
    let v = race_json("none", "300");
    assert_eq!(v["control"], "none");
    assert_eq!(v["runs"], 300);
    let violations = v["violations"].as_array().expect("a list");
    assert!(violations.len() > 30, "{v}");
    let first = &violations[0];
    assert!(first["seed"].is_u64());
    assert_eq!(first["invariant"], "one vehicle per spot");
    assert!(first["detail"]
        .as_str()
        .is_some_and(|d| d.contains("read it free")));
    // The same seeds every time.
    assert_eq!(race_json("none", "300"), v);
}

#[test]
fn with_any_control_the_race_reports_none() {
    for control in ["lock", "cas", "lease", "skip-locked", "skip_locked"] {
        let v = race_json(control, "2000");
        assert_eq!(v["violations"], serde_json::json!([]), "{control}");
    }
    let (code, out, _) = orrery(&["parking", "race", "--control", "cas", "--runs", "50"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("control cas: 50 runs, 0 with a violation"),
        "{out}"
    );
}

#[test]
fn the_lab_runs_through_the_registry() {
    let (code, out, err) = orrery(&["run", "parking", "--seed", "3", "--until", "3600", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(v["lab"], "parking");
    assert!(
        v["metrics"]["tickets"].as_u64().is_some_and(|t| t > 50),
        "{v}"
    );
    assert_eq!(v["violations"], serde_json::json!([]));
    let (code, labs, _) = orrery(&["labs"]);
    assert_eq!(code, 0);
    assert!(labs.contains("parking"));
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    for (args, says) in [
        (
            vec!["parking", "race", "--control", "mutex"],
            "no concurrency control",
        ),
        (vec!["parking", "race", "--runs", "0"], "--runs"),
        (vec!["parking", "race", "--runs", "many"], "not a number"),
        (vec!["parking"], "usage"),
    ] {
        let (code, _, err) = orrery(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
