//! The wasm twin of `benches/parking.rs`: the 10,000-spot, 5-level, 8-gate garage over 7
//! simulated days under each concurrency control, run in headless Chromium and timed with
//! `performance.now()`. It prints one line per control and asserts nothing. Run it optimised (it
//! is not part of `scripts/test.sh`):
//! `cargo test --release --target wasm32-unknown-unknown -p orrery-core --test parking_wasm_bench -- --nocapture`.
#![cfg(target_arch = "wasm32")]

use orrery_core::parking::lab::{Control, Event, ParkingLab, Scenario};
use orrery_core::sim::{Emit, Simulation, Time};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Counts events and drops them.
struct Count(u64);

impl Emit<Event> for Count {
    fn emit(&mut self, _: Time, _: Event) {
        self.0 += 1;
    }
}

/// The benchmark's garage.
fn garage(control: Control) -> Scenario {
    let mut s = Scenario {
        levels: 5,
        rows_per_level: 20,
        spots_per_row: 100,
        entry_gates: 4,
        exit_gates: 4,
        control,
        ..Scenario::default()
    };
    s.traffic.peak_per_hour = 3_000;
    s
}

#[wasm_bindgen_test]
fn a_week_of_a_10000_spot_garage() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("the page has window.performance");
    // A simulated day first, untimed: the browser compiles wasm in tiers (a quick baseline, then
    // optimised code for the hot functions), and without a warm-up the first control timed
    // would pay for the compiler.
    let mut warm = ParkingLab::new(&garage(Control::Cas)).expect("valid");
    warm.advance_to(24 * 3_600_000, &mut Count(0));
    // One run per control: the page's main thread is blocked while it runs, and the test runner
    // gives up on a page that does not answer within `WASM_BINDGEN_TEST_TIMEOUT`.
    for control in [
        Control::Cas,
        Control::Lock,
        Control::Lease,
        Control::SkipLocked,
        Control::None,
    ] {
        let s = garage(control);
        let start = performance.now();
        let mut lab = ParkingLab::new(&s).expect("valid");
        let mut out = Count(0);
        lab.advance_to(7 * 24 * 3_600_000, &mut out);
        let wall = performance.now() - start;
        let events = out.0;
        console_log!(
            "wasm: 10,000 spots, 5 levels, 8 gates, 7 days, {:<11} {wall:>7.1} ms wall, {events} events",
            control.name()
        );
    }
}
