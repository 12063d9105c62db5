//! Simulation speed of the parking lab: a 10,000-spot garage (5 levels of 20 rows of 100
//! spots), 8 gates (4 entry, 4 exit), commuter traffic peaking at 3,000 arrivals an hour, over
//! 7 simulated days, natively, under each concurrency control. Run with
//! `cargo bench -p orrery-core --bench parking`; name controls to run only those
//! (`cargo bench -p orrery-core --bench parking -- cas lease`). Prints, of five runs, the median
//! wall time, the median CPU time (Linux) and the best wall time, and the run's figures;
//! asserts nothing.
//!
//! `cargo bench -p orrery-core --bench parking -- frame` instead prints what the page pays per
//! frame after 7 simulated days (of the garage and of the default lot): the median cost of one
//! call of each accessor it reads while drawing (`stats`, `level_stats`, `view_limited`) and of
//! `metrics` (the metrics panel, a few times a second), and of the clone a `Run` checkpoint
//! takes every 20 simulated seconds.
//!
//! The simulation is driven directly (no `Run`: no log, no checkpoints), with events counted
//! and dropped, which is what the page does between frames. `tests/parking_scale.rs` pins what
//! these runs do, event by event.

use std::time::Instant;

use orrery_core::parking::lab::{Control, Event, ParkingLab, Scenario};
use orrery_core::sim::{Emit, Simulation, Time};

/// Runs per control; the median and the fastest are printed.
const RUNS: usize = 5;

/// This thread's CPU time in milliseconds, from Linux's `/proc/thread-self/schedstat` (`None`
/// elsewhere). On a machine shared with other builds, wall time mostly measures the queue for a
/// core; CPU time measures the simulation.
fn cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e6)
}

/// The median and the smallest of some timings.
fn median_best(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0])
}

/// Counts events and drops them.
struct Count(u64);

impl Emit<Event> for Count {
    fn emit(&mut self, _: Time, _: Event) {
        self.0 += 1;
    }
}

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

/// The median time of one call of `f`, in microseconds, over `calls` calls after a warm-up.
fn per_call_us<T>(calls: usize, mut f: impl FnMut() -> T) -> f64 {
    std::hint::black_box(f());
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        std::hint::black_box(f());
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    median_best(times).0
}

/// What the page pays per frame after a week: one call of each accessor it draws from.
fn frame_costs(week: Time) {
    for (name, scenario) in [
        ("10,000-spot garage (cas)", garage(Control::Cas)),
        ("default lot", Scenario::default()),
    ] {
        let mut lab = ParkingLab::new(&scenario).expect("the bench scenario is valid");
        lab.advance_to(week, &mut Count(0));
        let s = lab.stats();
        println!(
            "{name} after 7 days: {} entry waits, {} exit waits (entry p50 {} ms, p95 {} ms)",
            s.entry_wait.count, s.exit_wait.count, s.entry_wait.p50, s.entry_wait.p95
        );
        // The page's limit for drawing a square per spot (web/src/labs/parking.rs).
        let drawn = 2_000;
        for (accessor, us) in [
            ("stats()", per_call_us(200, || lab.stats())),
            ("level_stats()", per_call_us(200, || lab.level_stats())),
            (
                "view_limited(2000)",
                per_call_us(200, || lab.view_limited(drawn)),
            ),
            ("metrics()", per_call_us(50, || lab.metrics())),
            (
                "clone() (a Run checkpoint)",
                per_call_us(50, || lab.clone()),
            ),
            (
                "metrics() + wait summaries",
                per_call_us(50, || {
                    let m = lab.metrics();
                    (m.summary("entry_wait_ms"), m.summary("exit_wait_ms"))
                }),
            ),
        ] {
            println!("  {accessor:<28} {us:>10.1} µs per call (median)");
        }
    }
}

fn main() {
    let week: Time = 7 * 24 * 3_600_000;
    // Cargo passes `--bench`; every other argument names a control, or `frame`.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if wanted.iter().any(|w| w == "frame") {
        frame_costs(week);
    }
    for control in [
        Control::Cas,
        Control::Lock,
        Control::Lease,
        Control::SkipLocked,
        Control::None,
    ] {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == control.name()) {
            continue;
        }
        let scenario = garage(control);
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut summary = String::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let cpu = cpu_ms();
            let mut lab = ParkingLab::new(&scenario).expect("the bench scenario is valid");
            let mut out = Count(0);
            lab.advance_to(week, &mut out);
            walls.push(start.elapsed().as_secs_f64() * 1000.0);
            if let (Some(a), Some(b)) = (cpu, cpu_ms()) {
                cpus.push(b - a);
            }
            let m = lab.metrics();
            summary = format!(
                "{} events, {} arrivals, {} tickets, {} exits, {} turned away, entry wait p95 {} ms, utilisation {}.{:02}%, revenue {}",
                out.0,
                m.counter("arrivals"),
                m.counter("tickets"),
                m.counter("exits"),
                m.counter("rejected_full") + m.counter("rejected_no_fit"),
                m.summary("entry_wait_ms").p95,
                m.counter("utilisation_bp") / 100,
                m.counter("utilisation_bp") % 100,
                m.counter("revenue_cents") / 100,
            );
        }
        let (wall, best) = median_best(walls);
        let cpu = if cpus.len() == RUNS {
            let (cpu, _) = median_best(cpus);
            format!(", {cpu:>7.1} ms CPU")
        } else {
            String::new()
        };
        println!(
            "10,000 spots, 5 levels, 8 gates, 7 days, {:<11} median {wall:>7.1} ms wall{cpu} (best {best:.1} ms wall): {summary}",
            control.name(),
        );
    }
}
