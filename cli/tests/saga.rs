//! `orrery saga check` as a user calls it: counts per outcome, violations with their seeds and
//! a link that `orrery run --link` reopens to the same violation, and bad flags as errors.

mod common;
use common::orrery;

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = orrery(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}

#[test]
fn a_clean_check_reports_every_run_finished() {
    let v = json(&["saga", "check", "--runs", "200", "--json"]);
    assert_eq!(v["runs"], 200);
    let done = v["completed"].as_u64().unwrap_or(0) + v["compensated"].as_u64().unwrap_or(0);
    assert_eq!(done, 200, "{v}");
    assert_eq!(v["stuck"], 0);
    assert_eq!(v["violations"].as_array().map(Vec::len), Some(0));
    let (code, text, _) = orrery(&["saga", "check", "--runs", "20", "--flow", "travel"]);
    assert_eq!(code, 0);
    for word in [
        "runs",
        "completed",
        "compensated",
        "stuck",
        "lost",
        "violations",
    ] {
        assert!(text.contains(word), "{text}");
    }
}

#[test]
fn violations_come_with_a_seed_and_a_link_that_reproduces_them() {
    let v = json(&[
        "saga",
        "check",
        "--runs",
        "100",
        "--idempotency",
        "off",
        "--mode",
        "choreography",
        "--json",
    ]);
    let violations = v["violations"].as_array().expect("a list");
    assert!(!violations.is_empty(), "{v}");
    let first = &violations[0];
    assert!(first["seed"].as_u64().is_some());
    let link = first["link"].as_str().expect("a link");
    let run = json(&["run", "saga", "--link", link, "--until", "600", "--json"]);
    let seen = &run["violations"][0];
    assert_eq!(seen["invariant"], first["invariant"], "{run}");
    assert_eq!(seen["detail"], first["detail"]);
    // Without an outbox, sagas are lost: each is a violation with a link that reopens it.
    let lost = json(&[
        "saga",
        "check",
        "--runs",
        "100",
        "--outbox",
        "off",
        "--mode",
        "choreography",
        "--json",
    ]);
    assert!(lost["lost"].as_u64().unwrap_or(0) > 0, "{lost}");
    let first = &lost["violations"][0];
    assert_eq!(first["invariant"], "every saga can finish", "{lost}");
    let link = first["link"].as_str().expect("a link");
    let run = json(&["run", "saga", "--link", link, "--until", "600", "--json"]);
    assert_eq!(run["violations"][0]["detail"], first["detail"], "{run}");
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    for args in [
        vec!["saga", "check", "--flow", "nope"],
        vec!["saga", "check", "--mode", "sideways"],
        vec!["saga", "check", "--outbox", "maybe"],
        vec!["saga", "check", "--runs", "x"],
        vec!["saga", "check", "--runs", "0"],
        vec!["saga", "check", "--chaos", "150"],
    ] {
        let (code, _, err) = orrery(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.starts_with("orrery: "), "{args:?}: {err}");
    }
}
