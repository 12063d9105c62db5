//! The golden digests of `tests/golden/digests.txt`, recomputed in wasm inside headless
//! Chromium: proof that a run in the browser is byte-identical to the same run natively
//! (`tests/registry.rs` checks the same file natively). Run with
//! `cargo test --target wasm32-unknown-unknown -p orrery-core --test wasm`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("golden/digests.txt");

#[wasm_bindgen_test]
fn golden_digests_match_native() {
    let mut checked = 0;
    for line in GOLDEN.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts.len(), 4, "bad golden line {line:?}");
        let lab = orrery_core::registry::find(parts[0]).expect("lab in registry");
        let seed: u64 = parts[1].parse().expect("seed");
        let until: u64 = parts[2].parse().expect("until");
        let run = orrery_core::registry::sample_run(&lab, seed, until).expect("runs");
        assert_eq!(run.digest(), parts[3], "{line}");
        checked += 1;
    }
    assert!(checked >= 2);
}

#[wasm_bindgen_test]
fn links_round_trip_in_the_browser() {
    for lab in orrery_core::registry::labs() {
        let run = orrery_core::registry::sample_run(&lab, 3, 90_000).expect("runs");
        let link = run.link(&Default::default());
        let (opened, _) = orrery_core::registry::open_link(&link).expect("opens");
        assert_eq!(opened.digest(), run.digest());
        assert!(orrery_core::registry::open_link(&link[..link.len() / 2]).is_err());
    }
}
