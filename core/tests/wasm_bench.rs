//! The wasm twin of `benches/elevator.rs` and `benches/cache.rs`: the same scenarios, trace
//! and measuring loops (`orrery_core::bench`), run in headless Chromium and timed with
//! `performance.now()`. The OLTP trace is compiled in from `../shared/data/cache`.
//! It prints one line per scenario in the native bench's format and asserts nothing. Run it
//! optimised (it is not part of `scripts/test.sh`; CI runs only `--test wasm`):
//! `cargo test --release --target wasm32-unknown-unknown -p orrery-core --test wasm_bench -- --nocapture`.
#![cfg(target_arch = "wasm32")]

use orrery_core::bench;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn simulated_seconds_per_wall_second() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("the page has window.performance");
    let mut clock = || performance.now();
    for (name, scenario, until) in bench::scenarios() {
        let figure = bench::measure(name, &scenario, until, &mut clock);
        console_log!("{}", figure.line());
    }
}

/// The ARC paper's OLTP trace, built into the test binary (the browser has no file system).
const OLTP: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/cache/OLTP.lis.gz"
));

#[wasm_bindgen_test]
fn cache_policy_requests_per_second() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("the page has window.performance");
    let keys = orrery_core::cache::trace::parse(OLTP, orrery_core::cache::trace::Format::Arc)
        .expect("OLTP parses");
    let mut clock = || performance.now();
    for figure in bench::cache_replay(&keys, &mut clock) {
        console_log!("{}", figure.line());
    }
}
