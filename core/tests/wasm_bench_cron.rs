//! The wasm twin of the scheduler month in `benches/cron.rs`: the same 30 days of 1,000 jobs
//! on 20 workers with faults every six hours (`cron::lab::benchmark_month`), run in headless
//! Chromium and timed with `performance.now()`. It prints one line in the native bench's
//! format and asserts nothing but the absence of a violation. Run it optimised (it is not part
//! of `scripts/test.sh`, which runs only `--test wasm`):
//! `cargo test --release --target wasm32-unknown-unknown -p orrery-core --test wasm_bench_cron -- --nocapture`.
#![cfg(target_arch = "wasm32")]

use orrery_core::cron::lab::{benchmark_month, Event, SchedulerLab};
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

#[wasm_bindgen_test]
fn a_month_of_1000_jobs_on_20_workers() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("the page has window.performance");
    let (scenario, commands, until) = benchmark_month();
    let start = performance.now();
    let mut lab = SchedulerLab::new(&scenario).expect("valid");
    let mut out = Count(0);
    for (t, command) in &commands {
        lab.advance_to(*t, &mut out);
        let _ = lab.apply(command, &mut out);
    }
    lab.advance_to(until, &mut out);
    let wall = performance.now() - start;
    let m = lab.metrics();
    console_log!(
        "wasm: scheduler: 30 days, 1000 jobs, 20 workers, faults every 6 h: {:.2} s wall, {} events, {} applied, {} retries",
        wall / 1000.0,
        out.0,
        m.counter("applied"),
        m.counter("retries"),
    );
    assert_eq!(lab.check(), None);
}
