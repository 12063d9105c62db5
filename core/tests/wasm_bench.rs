//! The wasm twin of `benches/elevator.rs`: the same scenarios and measuring loop
//! (`orrery_core::bench`), run in headless Chromium and timed with `performance.now()`.
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
