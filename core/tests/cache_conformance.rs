//! Conformance of the eviction policies with published hit ratios on the ARC paper's traces
//! (table in `shared/data/README.md`): LRU exact to two decimals, ARC within 0.05 point.
//!
//! The data lives outside the repository in `../shared/data/cache`; when it is absent the tests
//! say so and pass. Even the P3 trace (3.9 million requests) replays in a few seconds in a
//! debug build, so every case always runs.

use std::path::PathBuf;

use orrery_core::cache::policy::by_name;
use orrery_core::cache::replay::replay;
use orrery_core::cache::trace::{self, Format};

fn data(name: &str) -> Option<Vec<u64>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/cache")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(trace::parse(&bytes, Format::Arc).expect("the trace parses")),
        Err(e) => {
            eprintln!("skipping: {} is absent ({e})", path.display());
            None
        }
    }
}

/// Replays `keys` through `policy` at each capacity and checks the hit ratio in basis points
/// against the published figure, within `tolerance_bp`.
fn check(keys: &[u64], policy: &str, table: &[(u64, u64)], tolerance_bp: u64) {
    let mut wrong = Vec::new();
    for &(capacity, expected_bp) in table {
        let mut p = by_name(policy, capacity).expect("a policy");
        let s = replay(&mut *p, keys);
        let got = s.hit_ratio_bp();
        eprintln!("{policy} at {capacity}: {}%", s.percent());
        if got.abs_diff(expected_bp) > tolerance_bp {
            wrong.push(format!(
                "{policy} at {capacity}: {}%, expected {expected_bp} bp",
                s.percent()
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

const OLTP_LRU: &[(u64, u64)] = &[
    (1000, 3283),
    (2000, 4247),
    (5000, 5365),
    (10000, 6070),
    (15000, 6463),
];
const OLTP_ARC: &[(u64, u64)] = &[
    (1000, 3893),
    (2000, 4608),
    (5000, 5525),
    (10000, 6187),
    (15000, 6540),
];

#[test]
fn oltp_has_the_published_length() {
    let Some(keys) = data("OLTP.lis.gz") else {
        return;
    };
    assert_eq!(keys.len(), 914_145);
}

#[test]
fn lru_on_oltp_matches_the_arc_paper_exactly() {
    let Some(keys) = data("OLTP.lis.gz") else {
        return;
    };
    check(&keys, "lru", OLTP_LRU, 0);
}

#[test]
fn arc_on_oltp_is_within_five_hundredths_of_the_arc_paper() {
    let Some(keys) = data("OLTP.lis.gz") else {
        return;
    };
    check(&keys, "arc", OLTP_ARC, 5);
}

#[test]
fn p3_matches_the_arc_paper() {
    let Some(keys) = data("P3.lis.gz") else {
        return;
    };
    assert_eq!(keys.len(), 3_912_296);
    check(&keys, "lru", &[(32768, 357)], 0);
    check(&keys, "arc", &[(32768, 1712)], 5);
}
