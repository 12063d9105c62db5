//! Replay speed of the eviction policies: requests per second replaying the ARC paper's OLTP
//! trace (914,145 requests) at 1,000 and 15,000 keys, natively. Run with
//! `cargo bench -p orrery-core --bench cache`. Prints figures (best of five runs); asserts
//! nothing. Skips with a message when `../shared/data/cache` is absent.

use std::path::PathBuf;
use std::time::Instant;

use orrery_core::cache::policy::{by_name, NAMES};
use orrery_core::cache::replay::replay;
use orrery_core::cache::trace::{self, Format};

fn main() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/cache/OLTP.lis.gz");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("skipping the cache bench: {} is absent", path.display());
        return;
    };
    let keys = trace::parse(&bytes, Format::Arc).expect("OLTP parses");
    for name in NAMES {
        for capacity in [1000u64, 15000] {
            let mut best = f64::INFINITY;
            let mut ratio = String::new();
            for _ in 0..5 {
                let Ok(mut p) = by_name(name, capacity) else {
                    continue;
                };
                let t = Instant::now();
                let s = replay(&mut *p, &keys);
                best = best.min(t.elapsed().as_secs_f64());
                ratio = s.percent();
            }
            if best.is_finite() {
                println!(
                    "{name:<9} capacity {capacity:>6}: {:>6.1} M requests/s  (hit ratio {ratio}%)",
                    keys.len() as f64 / best / 1e6
                );
            }
        }
    }
}
