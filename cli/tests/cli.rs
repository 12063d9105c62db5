//! The `orrery` runner as a user calls it: digests are stable per seed, a link from `orrery
//! link` reproduces the run, and bad input exits with status 2 and a message, never a panic.

mod common;
use common::orrery;

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

#[test]
fn cache_sim_replays_a_small_trace() {
    let dir = std::env::temp_dir().join(format!("orrery-cache-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let lines = dir.join("abacab.txt");
    std::fs::write(&lines, "a\nb\na\nc\na\nb\n").expect("written");
    let lis = dir.join("small.lis");
    std::fs::write(&lis, "1 2 0 0\n1 2 0 1\n").expect("written");
    let path = lines.to_str().expect("utf-8");
    let (code, out, err) = orrery(&[
        "cache",
        "sim",
        "--trace",
        path,
        "--format",
        "lines",
        "--policies",
        "lru,fifo",
        "--capacity",
        "2,3",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "policy",
            "capacity",
            "requests",
            "hits",
            "hit_ratio",
            "bytes_requested",
            "bytes_hit",
            "byte_hit_ratio"
        ]
    );
    assert_eq!(rows[1], ["lru", "2", "6", "2", "33.33", "6", "2", "33.33"]);
    assert_eq!(rows[4], ["fifo", "3", "6", "3", "50.00", "6", "3", "50.00"]);
    let (code, out, err) = orrery(&[
        "cache",
        "sim",
        "--trace",
        lis.to_str().expect("utf-8"),
        "--format",
        "arc",
        "--policies",
        "arc",
        "--capacity",
        "2",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON array");
    assert_eq!(v[0]["policy"], "arc");
    assert_eq!(v[0]["requests"], 4);
    assert_eq!(v[0]["hits"], 2);
    assert_eq!(v[0]["hit_ratio"], 50.0);

    let bad = dir.join("bad.lis");
    std::fs::write(&bad, "1 2 0 0\nx 1 0 0\n").expect("written");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--trace",
                path,
                "--format",
                "lines",
                "--policies",
                "nope",
                "--capacity",
                "2",
            ],
            "no eviction policy \"nope\"",
        ),
        (
            vec![
                "--trace",
                "/nonexistent.lis",
                "--format",
                "arc",
                "--policies",
                "lru",
                "--capacity",
                "2",
            ],
            "/nonexistent.lis",
        ),
        (
            vec![
                "--trace",
                path,
                "--format",
                "csv",
                "--policies",
                "lru",
                "--capacity",
                "2",
            ],
            "no trace format \"csv\"",
        ),
        (
            vec![
                "--trace",
                path,
                "--format",
                "lines",
                "--policies",
                "lru",
                "--capacity",
                "two",
            ],
            "--capacity",
        ),
        (
            vec![
                "--trace",
                bad.to_str().expect("utf-8"),
                "--format",
                "arc",
                "--policies",
                "lru",
                "--capacity",
                "2",
            ],
            "line 2:",
        ),
        (
            vec!["--format", "arc", "--policies", "lru", "--capacity", "2"],
            "--trace",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = ["cache", "sim"].into_iter().chain(args).collect();
        let (code, _, err) = orrery(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.starts_with("orrery: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cache_mrc_prints_a_curve_per_policy() {
    let dir = std::env::temp_dir().join(format!("orrery-cache-mrc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let lines = dir.join("abacab.txt");
    std::fs::write(&lines, "a\nb\na\nc\na\nb\n").expect("written");
    let path = lines.to_str().expect("utf-8");
    let base = ["cache", "mrc", "--trace", path, "--format", "lines"];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        orrery(&args)
    };
    let (code, out, err) = run(&["--policies", "lru,fifo,opt", "--capacities", "1,2,3"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["capacity", "lru", "fifo", "opt"]);
    assert_eq!(rows[1], ["1", "0.00", "0.00", "33.33"]);
    assert_eq!(rows[2], ["2", "33.33", "16.67", "50.00"]);
    assert_eq!(rows[3], ["3", "50.00", "50.00", "50.00"]);
    let (code, out, err) = run(&["--policies", "lru", "--points", "2", "--max", "4", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["requests"], 6);
    assert_eq!(v["capacities"], serde_json::json!([2, 4]));
    assert_eq!(v["curves"][0]["policy"], "lru");
    assert_eq!(v["curves"][0]["hits"], serde_json::json!([2, 3]));
    assert_eq!(
        v["curves"][0]["hit_ratio"],
        serde_json::json!([33.33, 50.0])
    );

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--policies", "nope", "--capacities", "2"],
            "no eviction policy \"nope\"",
        ),
        (
            vec!["--policies", "lru", "--capacities", "x"],
            "--capacities",
        ),
        (vec!["--policies", "lru", "--points", "3"], "--max"),
        (vec!["--policies", "lru"], "--capacities"),
        (
            vec!["--policies", "lru", "--capacities", "2", "--points", "3"],
            "either",
        ),
    ];
    for (extra, needle) in cases {
        let (code, _, err) = run(&extra);
        assert_eq!(code, 2, "{extra:?}");
        assert!(
            err.starts_with("orrery: ") && err.contains(needle),
            "{extra:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{extra:?}: {err}");
    }
    let (code, _, err) = orrery(&[
        "cache",
        "mrc",
        "--trace",
        "/nonexistent.lis",
        "--format",
        "arc",
        "--policies",
        "lru",
        "--capacities",
        "2",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent.lis"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
