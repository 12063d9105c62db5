//! The `orrery` runner as a user calls it: digests are stable per seed, a link from `orrery
//! link` reproduces the run, and bad input exits with status 2 and a message, never a panic.

use std::process::Command;

fn orrery(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn digest(args: &[&str]) -> String {
    let (code, out, err) = orrery(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    for key in [
        "lab",
        "seed",
        "until_s",
        "events",
        "digest",
        "metrics",
        "violations",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {out}");
    }
    v["digest"].as_str().expect("digest").to_string()
}

#[test]
fn digests_are_stable_per_seed_and_links_reproduce_them() {
    let a = digest(&["run", "elevator", "--seed", "7", "--until", "600", "--json"]);
    let b = digest(&["run", "elevator", "--seed", "7", "--until", "600", "--json"]);
    let c = digest(&["run", "elevator", "--seed", "8", "--until", "600", "--json"]);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let (code, link, _) = orrery(&["link", "elevator", "--seed", "7"]);
    assert_eq!(code, 0);
    let whole = format!("https://orrery.example/#{}", link.trim());
    for l in [link.trim(), whole.as_str()] {
        let d = digest(&["run", "elevator", "--link", l, "--until", "600", "--json"]);
        assert_eq!(d, a);
    }
}

#[test]
fn bad_input_exits_with_status_2_and_a_message() {
    let (_, link, _) = orrery(&["link", "elevator", "--seed", "7"]);
    let cut = &link.trim()[..30];
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", "elevator", "--link", cut],
        vec!["run", "elevator", "--link", "/elevator?s=9.AAAA"],
        vec!["run", "nosuchlab"],
        vec!["run", "elevator", "--seed", "x"],
        vec!["run", "elevator", "--scenario", "/nonexistent.json"],
        vec!["frobnicate"],
        vec![],
    ];
    for args in cases {
        let (code, _, err) = orrery(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.starts_with("orrery: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn labs_lists_the_elevator() {
    let (code, out, _) = orrery(&["labs"]);
    assert_eq!(code, 0);
    assert!(out.contains("elevator"));
}
