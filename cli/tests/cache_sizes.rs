//! `orrery cache sim` with object sizes: `--unit bytes` capacities (with binary suffixes),
//! sizes from a `key size` trace or from `--sizes`, and the byte columns in text and JSON, for
//! both units; bad size input exits with status 2 and a message, never a panic.

mod common;
use common::orrery;

use std::path::PathBuf;

/// A fresh directory for this test's trace files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("orrery-cache-sizes-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("a temp dir");
    d
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("written");
    p.to_str().expect("utf-8").to_string()
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = orrery(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(out.trim()).expect("one JSON array")
}

/// The hand-checked trace: `a 100`, `b 20`, `a 100`, `c 50`, `b 20` with LRU in 150 bytes.
///
/// | request | result | held (most recent first) | bytes held |
/// |---|---|---|---|
/// | a 100 | miss | a | 100 |
/// | b 20 | miss | b a | 120 |
/// | a 100 | hit | a b | 120 |
/// | c 50 | miss, evicts b (120 + 50 > 150) | c a | 150 |
/// | b 20 | miss, evicts a (150 + 20 > 150) | b c | 70 |
///
/// One hit in five requests: hit ratio 20.00. Bytes requested 100 + 20 + 100 + 50 + 20 = 290,
/// bytes hit 100: byte hit ratio 100 / 290 = 34.48%. In objects (capacity 2, same trace):
/// a, b miss; a hits; c evicts b; b evicts a: the same single hit, and the same byte counts.
const HAND: &str = "a 100\nb 20\na 100\nc 50\nb 20\n";

#[test]
fn a_hand_checked_byte_hit_ratio_in_text_and_json() {
    let d = dir("hand");
    let trace = write(&d, "hand.txt", HAND);
    let base = [
        "cache",
        "sim",
        "--trace",
        &trace,
        "--format",
        "lines",
        "--policies",
        "lru",
    ];
    let (code, out, err) = orrery(&[&base[..], &["--unit", "bytes", "--capacity", "150"]].concat());
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec![
                "policy",
                "capacity",
                "requests",
                "hits",
                "hit_ratio",
                "bytes_requested",
                "bytes_hit",
                "byte_hit_ratio"
            ],
            vec!["lru", "150", "5", "1", "20.00", "290", "100", "34.48"],
        ]
    );
    let v = json(
        &[
            &base[..],
            &["--unit", "bytes", "--capacity", "150", "--json"],
        ]
        .concat(),
    );
    assert_eq!(v[0]["unit"], "bytes");
    assert_eq!(v[0]["bytes_requested"], 290);
    assert_eq!(v[0]["bytes_hit"], 100);
    assert_eq!(v[0]["byte_hit_ratio"], 34.48);
    assert_eq!(v[0]["hit_ratio"], 20.0);
    // Objects: the sizes only weigh the byte counts.
    let v = json(&[&base[..], &["--capacity", "2", "--json"]].concat());
    assert_eq!(v[0]["unit"], "objects");
    assert_eq!(
        (v[0]["hits"].as_u64(), v[0]["bytes_hit"].as_u64()),
        (Some(1), Some(100))
    );
    assert_eq!(v[0]["byte_hit_ratio"], 34.48);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn every_policy_replays_in_bytes_within_its_capacity_suffixes_and_all() {
    let d = dir("all");
    // 400 requests over 40 keys: key k has size 1 KiB × (1 + k mod 4), a loop with repeats.
    let mut text = String::new();
    for i in 0..400u64 {
        let k = (i * 7 + i / 13) % 40;
        text += &format!("k{k} {}\n", 1024 * (1 + k % 4));
    }
    let trace = write(&d, "loop.txt", &text);
    let names = "lru,fifo,clock,lfu,2q,arc,sieve,lirs,s3fifo,wtinylfu";
    let v = json(&[
        "cache",
        "sim",
        "--trace",
        &trace,
        "--format",
        "lines",
        "--policies",
        names,
        "--unit",
        "bytes",
        "--capacity",
        "16K,32768,1M",
        "--json",
    ]);
    let rows = v.as_array().expect("rows");
    assert_eq!(rows.len(), 30);
    for row in rows {
        let cap = row["capacity"].as_u64().expect("capacity");
        assert!([16 * 1024, 32 * 1024, 1 << 20].contains(&cap), "{row}");
        assert_eq!(row["requests"], 400);
        let (hits, bytes_hit) = (
            row["hits"].as_u64().unwrap(),
            row["bytes_hit"].as_u64().unwrap(),
        );
        assert!(
            bytes_hit <= row["bytes_requested"].as_u64().unwrap(),
            "{row}"
        );
        assert!(
            bytes_hit >= hits * 1024 && bytes_hit <= hits * 4096,
            "{row}"
        );
        if cap == 1 << 20 {
            // Everything fits: only the 40 first requests miss, whatever the policy.
            assert_eq!(hits, 360, "{row}");
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn assigned_sizes_are_a_function_of_the_key() {
    let d = dir("spec");
    let trace = write(&d, "keys.lis", "1\n2\n3\n1\n2\n3\n*\n4\n1\n");
    let base = [
        "cache",
        "sim",
        "--trace",
        &trace,
        "--format",
        "lirs",
        "--policies",
        "lru,arc",
    ];
    // fixed:N: every byte count is N times the request count.
    let v = json(
        &[
            &base[..],
            &["--sizes", "fixed:512", "--capacity", "3", "--json"],
        ]
        .concat(),
    );
    for row in v.as_array().unwrap() {
        assert_eq!(row["bytes_requested"], 8 * 512);
        assert_eq!(
            row["bytes_hit"].as_u64(),
            row["hits"].as_u64().map(|h| h * 512)
        );
    }
    // uniform: the same sizes on every run, and in both units the same bytes requested.
    let uniform = [&base[..], &["--sizes", "uniform:100-1000", "--json"]].concat();
    let a = json(&[&uniform[..], &["--capacity", "3"]].concat());
    let b = json(&[&uniform[..], &["--capacity", "3"]].concat());
    assert_eq!(a, b);
    let c = json(&[&uniform[..], &["--unit", "bytes", "--capacity", "1G"]].concat());
    let requested = a[0]["bytes_requested"].as_u64().unwrap();
    assert_eq!(c[0]["bytes_requested"].as_u64(), Some(requested));
    assert!((8 * 100..=8 * 1000).contains(&requested), "{requested}");
    // A whole gigabyte holds everything: the four first requests miss.
    assert_eq!(c[0]["hits"], 4);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_size_input_is_refused_with_status_2() {
    let d = dir("bad");
    let sized = write(&d, "sized.txt", HAND);
    let plain = write(&d, "plain.txt", "a\nb\na\n");
    let lirs = write(&d, "sized.lirs", "1 100\n2 200\n");
    let arc = write(&d, "sized.lis", "1 2 0 0 512\n");
    let ragged = write(&d, "ragged.txt", "a 100\nb\n");
    let zero = write(&d, "zero.txt", "a 100\nb 0\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![&plain, "lines", "--sizes", "fixed:0"],
            "size spec \"fixed:0\"",
        ),
        (
            vec![&plain, "lines", "--sizes", "uniform:9-3"],
            "MIN is above MAX",
        ),
        (vec![&plain, "lines", "--sizes", "pareto:1"], "unknown kind"),
        (vec![&plain, "lines", "--sizes", "uniform:5"], "MIN-MAX"),
        (vec![&sized, "lines", "--sizes", "fixed:10"], "size column"),
        (
            vec![&lirs, "lirs", "--sizes", "fixed:10"],
            "the lirs format has no size column",
        ),
        (vec![&arc, "arc"], "the arc format has no size column"),
        (vec![&ragged, "lines"], "line 2: expected `key size`"),
        (vec![&zero, "lines"], "line 2: size 0"),
        (
            vec![&plain, "lines", "--unit", "bytes", "--capacity", "0"],
            "at least 1",
        ),
        (
            vec![&plain, "lines", "--unit", "bytes", "--capacity", "0K"],
            "at least 1",
        ),
        (
            vec![&plain, "lines", "--unit", "bytes", "--capacity", "12Q"],
            "binary suffix",
        ),
        (
            vec![
                &plain,
                "lines",
                "--unit",
                "bytes",
                "--capacity",
                "99999999999G",
            ],
            "overflows",
        ),
        (
            vec![&plain, "lines", "--unit", "bytes", "--capacity", "64"],
            "needs object sizes",
        ),
        (vec![&plain, "lines", "--unit", "parsecs"], "--unit"),
        (
            vec![&plain, "lines", "--capacity", "64M"],
            "not a number of objects",
        ),
    ];
    for (mut args, needle) in cases {
        let (trace, format) = (args.remove(0), args.remove(0));
        let mut all = vec![
            "cache",
            "sim",
            "--trace",
            trace,
            "--format",
            format,
            "--policies",
            "lru",
        ];
        if !args.contains(&"--capacity") {
            all.extend(["--capacity", "2"]);
        }
        all.extend(args);
        let (code, out, err) = orrery(&all);
        assert_eq!(code, 2, "{all:?}: {out}");
        assert!(
            err.starts_with("orrery: ") && err.contains(needle),
            "{all:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{all:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&d);
}
