//! Simulation speed of the parking lab: a 10,000-spot garage (5 levels of 20 rows of 100
//! spots), 8 gates (4 entry, 4 exit) under CAS, commuter traffic peaking at 3,000 arrivals an
//! hour, over 7 simulated days, natively. Run with `cargo bench -p orrery-core --bench parking`.
//! Prints the best of three runs and the run's figures; asserts nothing.
//!
//! The simulation is driven directly (no `Run`: no log, no checkpoints), with events counted
//! and dropped, which is what the page does between frames.

use std::time::Instant;

use orrery_core::parking::lab::{Control, Event, ParkingLab, Scenario};
use orrery_core::sim::{Emit, Simulation, Time};

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

fn main() {
    let week: Time = 7 * 24 * 3_600_000;
    for control in [
        Control::Cas,
        Control::Lock,
        Control::Lease,
        Control::SkipLocked,
        Control::None,
    ] {
        let scenario = garage(control);
        let mut best = f64::INFINITY;
        let mut summary = String::new();
        for _ in 0..3 {
            let start = Instant::now();
            let mut lab = ParkingLab::new(&scenario).expect("the bench scenario is valid");
            let mut out = Count(0);
            lab.advance_to(week, &mut out);
            best = best.min(start.elapsed().as_secs_f64());
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
        println!(
            "10,000 spots, 5 levels, 8 gates, 7 days, {:<11} {:>7.1} ms wall: {summary}",
            control.name(),
            best * 1000.0
        );
    }
}
