//! Next-fire computations per second for a few cron expressions, in UTC and in
//! America/New_York, natively; the page's week heatmap of a few jobs in several zones, shown in
//! UTC and in New York; then the scheduler lab simulating 30 days of 1,000 jobs on 20
//! workers with a fault every few hours. Run with `cargo bench -p orrery-core --bench cron`
//! (add `-- scheduler` for the simulation alone).
//! Each next-fire case walks a chain of fire times (each `next_after` starts from the previous
//! result) and prints the best of five runs; asserts nothing.

use std::hint::black_box;
use std::time::Instant;

use orrery_core::cron::heatmap::{week_in, Job};
use orrery_core::cron::lab::{benchmark_month, SchedulerLab};
use orrery_core::cron::{Dst, Schedule, Zone};
use orrery_core::sim::{Emit, Simulation, Time};

/// Counts events without keeping them.
struct Count(u64);

impl<E> Emit<E> for Count {
    fn emit(&mut self, _: Time, _: E) {
        self.0 += 1;
    }
}

/// The benchmark month ([`benchmark_month`]: 1,000 jobs on 20 workers for 30 days with a
/// leader crash, a partitioned leader, a worker crash and the store down in every six hours).
fn simulate_month() {
    let (scenario, commands, until) = benchmark_month();
    let t0 = Instant::now();
    let mut lab = SchedulerLab::new(&scenario).expect("a valid scenario");
    let mut out = Count(0);
    for (t, command) in &commands {
        lab.advance_to(*t, &mut out);
        let _ = lab.apply(command, &mut out);
    }
    lab.advance_to(until, &mut out);
    let secs = t0.elapsed().as_secs_f64();
    let m = lab.metrics();
    println!(
        "scheduler: 30 days, 1000 jobs, 20 workers, faults every 6 h: {secs:.2} s wall, {} events, {} applied, {} retries, {} dead-lettered, lag p99 {} ms, violation: {:?}",
        out.0,
        m.counter("applied"),
        m.counter("retries"),
        m.counter("dead_lettered"),
        m.summary("lag_ms").p99,
        lab.check().map(|v| v.to_string()),
    );
}

/// The week heatmap (`cron::heatmap::week_in`) of eight jobs, half of them per-second or
/// per-ten-seconds (capped per cell), in UTC, New York, London and Lord Howe; best of five.
fn heatmap_week() {
    let jobs: Vec<(Schedule, Zone)> = [
        ("*/10 * * * * *", "UTC"),
        ("* * * * * *", "America/New_York"),
        ("0 * * * * *", "Europe/London"),
        ("0 9 * * 1-5", "America/New_York"),
        ("30 2 * * *", "Australia/Lord_Howe"),
        ("0 */5 * * * *", "UTC"),
        ("15 10 L * *", "Europe/London"),
        ("0 0 * * 0", "Australia/Lord_Howe"),
    ]
    .iter()
    .map(|(e, z)| {
        (
            Schedule::parse(e).expect("an expression"),
            Zone::named(z).expect("a zone"),
        )
    })
    .collect();
    let list: Vec<Job> = jobs
        .iter()
        .map(|(schedule, zone)| Job {
            schedule,
            zone,
            dst: Dst::default(),
        })
        .collect();
    for display in ["UTC", "America/New_York"] {
        let zone = Zone::named(display).expect("a zone");
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t0 = Instant::now();
            black_box(week_in(&list, black_box(1_704_067_200), &zone));
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!(
            "heatmap: a week of 8 jobs in 4 zones shown in {display}: {:.1} ms",
            best * 1e3
        );
    }
}

const EXPRESSIONS: [&str; 7] = [
    "* * * * *",
    "*/5 * * * *",
    "0 9 * * 1-5",
    "0 0 1,15 * 3",
    "0 12 * * 5L",
    "0 0 29 2 *",
    "*/10 * 9-17 * * MON-FRI",
];

fn main() {
    simulate_month();
    if std::env::args().skip(1).any(|a| a == "scheduler") {
        return;
    }
    heatmap_week();
    // 2024-01-01T00:00:00Z.
    let start = 1_704_067_200i64;
    for zone_name in ["UTC", "America/New_York"] {
        let zone = Zone::named(zone_name).expect("a zone");
        for expr in EXPRESSIONS {
            let s = Schedule::parse(expr).expect("an expression");
            let n: u32 = if expr.contains("29 2") {
                20_000
            } else {
                200_000
            };
            let mut best = f64::INFINITY;
            for _ in 0..5 {
                let t0 = Instant::now();
                let mut t = start;
                for _ in 0..n {
                    t = match s.next_after(black_box(t), &zone, Dst::default()) {
                        Some(next) => next,
                        None => start,
                    };
                }
                black_box(t);
                best = best.min(t0.elapsed().as_secs_f64());
            }
            println!(
                "{zone_name:<17} {expr:<26} {:>7.2} M next-fire/s",
                f64::from(n) / best / 1e6
            );
        }
    }
}
