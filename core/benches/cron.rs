//! Next-fire computations per second for a few cron expressions, in UTC and in
//! America/New_York, natively. Run with `cargo bench -p orrery-core --bench cron`. Each case
//! walks a chain of fire times (each `next_after` starts from the previous result) and prints
//! the best of five runs; asserts nothing.

use std::hint::black_box;
use std::time::Instant;

use orrery_core::cron::{Dst, Schedule, Zone};

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
