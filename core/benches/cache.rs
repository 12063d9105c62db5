//! Replay speed of the eviction policies: requests per second replaying the ARC paper's OLTP
//! trace (914,145 requests) at 1,000 and 15,000 keys, natively; `tests/wasm_bench.rs` runs the
//! same loop (`orrery_core::bench::cache_replay`) in headless Chromium. Run with
//! `cargo bench -p orrery-core --bench cache`. Prints figures (best of five runs); asserts
//! nothing. Skips with a message when `../shared/data/cache` is absent.

use std::path::PathBuf;
use std::time::Instant;

use orrery_core::bench;
use orrery_core::cache::trace::{self, Format};

fn main() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/cache/OLTP.lis.gz");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("skipping the cache bench: {} is absent", path.display());
        return;
    };
    let keys = trace::parse(&bytes, Format::Arc).expect("OLTP parses");
    let start = Instant::now();
    let mut clock = || start.elapsed().as_secs_f64() * 1000.0;
    for figure in bench::cache_replay(&keys, &mut clock) {
        println!("{}", figure.line());
    }
}
