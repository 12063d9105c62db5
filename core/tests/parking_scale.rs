//! The parking lab at benchmark scale: the 10,000-spot, 5-level, 8-gate garage of
//! `benches/parking.rs` under every concurrency control and every allocation strategy, with a
//! stadium, stuck sensors, reconciliation and strategy changes along the way. Each run's event
//! log (every line, as the page and the digests print it) and its final figures are hashed and
//! compared with digests pinned when the lab was first measured, so a speed-up that changes
//! what happens (one event, one spot, one cent) fails here.
//!
//! ```text
//!  garage(control, strategy) ─► 6 simulated hours (7 days with RUN_SLOW_TESTS) ─► SHA-256 of
//!  "time event" lines + stats ─► pinned digest
//! ```

use orrery_core::parking::lab::{Command, Control, Event, ParkingLab, Scenario};
use orrery_core::parking::lot::Strategy;
use orrery_core::sim::{Emit, Simulation, Time};
use sha2::{Digest, Sha256};

const HOUR: Time = 3_600_000;

/// The benchmark's garage.
fn garage(control: Control, strategy: Strategy) -> Scenario {
    let mut s = Scenario {
        levels: 5,
        rows_per_level: 20,
        spots_per_row: 100,
        entry_gates: 4,
        exit_gates: 4,
        control,
        strategy,
        ..Scenario::default()
    };
    s.traffic.peak_per_hour = 3_000;
    s
}

/// Hashes every event as the log prints it, and counts them.
struct Hasher {
    sha: Sha256,
    events: u64,
}

impl Emit<Event> for Hasher {
    fn emit(&mut self, t: Time, e: Event) {
        self.events += 1;
        self.sha.update(format!("{t} {e}\n").as_bytes());
    }
}

/// Commands along the way: faults, a reconciliation, a stadium, a strategy change and back.
fn inputs(strategy: Strategy) -> Vec<(Time, Command)> {
    let cmd = |json: &str| -> Command { serde_json::from_str(json).expect("a command") };
    vec![
        (
            HOUR / 2,
            cmd(r#"{"sensor_fault":{"spot":"1A20","fault":"stuck_free"}}"#),
        ),
        (
            HOUR,
            cmd(r#"{"sensor_fault":{"spot":"3C50","fault":"stuck_occupied"}}"#),
        ),
        (
            2 * HOUR,
            cmd(r#"{"special_event":{"exits":300,"arrivals":400}}"#),
        ),
        (2 * HOUR + 1, cmd(r#""reconcile""#)),
        (
            3 * HOUR,
            cmd(r#"{"prebook":{"vehicle":{"kind":"bus"},"arrive_in_min":20,"show":true}}"#),
        ),
        (
            3 * HOUR + 7,
            cmd(r#"{"set_strategy":{"strategy":"best_fit"}}"#),
        ),
        (4 * HOUR, Command::SetStrategy { strategy }),
        (4 * HOUR + 10, cmd(r#"{"override":{"spot":"1A20"}}"#)),
    ]
}

/// The final figures as they printed when the digests were pinned: `Stats` in debug form,
/// without the fields added since (the dynamic price now, which the log already determines).
fn pinned_stats(lab: &ParkingLab) -> String {
    let all = format!("{:?}", lab.stats());
    match (
        all.find(", occupancy_permille: "),
        all.find(", entry_wait: "),
    ) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &all[..a], &all[b..]),
        _ => all,
    }
}

/// Runs the garage to `until` with the inputs and returns the digest and the event count.
fn digest(control: Control, strategy: Strategy, until: Time) -> (String, u64) {
    let mut lab = ParkingLab::new(&garage(control, strategy)).expect("valid");
    let mut out = Hasher {
        sha: Sha256::new(),
        events: 0,
    };
    for (t, c) in inputs(strategy) {
        if t > until {
            break;
        }
        lab.advance_to(t, &mut out);
        // A control change is refused while a gate is between its read and its write; the
        // refusal is part of what is hashed.
        let r = lab.apply(&c, &mut out);
        out.sha.update(format!("{t} > {c:?} {r:?}\n").as_bytes());
    }
    lab.advance_to(until, &mut out);
    out.sha
        .update(format!("{}\n{:?}\n", pinned_stats(&lab), lab.check()).as_bytes());
    let hex: String = out.sha.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (hex, out.events)
}

fn check(until: Time, expected: &[(&str, &str, &str, u64)]) {
    let mut got = Vec::new();
    for &(control, strategy, _, _) in expected {
        let c = Control::from_name(control).expect("a control");
        let s = Strategy::ALL
            .into_iter()
            .find(|s| s.name() == strategy)
            .expect("a strategy");
        let (hex, events) = digest(c, s, until);
        got.push(format!("{control} {strategy} {hex} {events}"));
    }
    let want: Vec<String> = expected
        .iter()
        .map(|(c, s, h, n)| format!("{c} {s} {h} {n}"))
        .collect();
    assert_eq!(got, want, "the garage's event logs changed");
}

#[test]
fn six_hours_of_the_10000_spot_garage_happen_exactly_as_pinned() {
    check(
        6 * HOUR,
        &[
            ("none", "first_fit", "7c3bf36cf58855e1", 94595),
            ("lock", "first_fit", "1d9fb3dead8c6a3d", 120225),
            ("cas", "first_fit", "e5f1fcc7806353a2", 108058),
            ("lease", "first_fit", "36e702779adf6562", 91610),
            ("skip_locked", "first_fit", "1ff4d21c0fe29ea8", 91610),
            ("cas", "nearest", "78e017dff119e5fe", 109309),
            ("lease", "spread", "d0cff414aa14ba3a", 92371),
            ("skip_locked", "best_fit", "9dd69bcbc6801242", 91586),
            ("none", "nearest", "949b86b1ddb6901c", 95058),
        ],
    );
}

#[test]
fn a_week_of_the_10000_spot_garage_happens_exactly_as_pinned() {
    if std::env::var_os("RUN_SLOW_TESTS").is_none() {
        eprintln!("skipping a week of the garage: set RUN_SLOW_TESTS=1 to run it");
        return;
    }
    check(
        7 * 24 * HOUR,
        &[
            ("none", "first_fit", "59e0a9f597bab5e0", 1678733),
            ("lock", "first_fit", "b285ff960167d1e2", 2783686),
            ("cas", "first_fit", "648746a5598ed06a", 1828505),
            ("lease", "first_fit", "7d9a684cd559138c", 1640368),
            ("skip_locked", "first_fit", "501bb8e51adcfeea", 1640368),
            ("cas", "nearest", "911956605f2668c2", 1848331),
            ("lease", "spread", "1a86e27950b03a77", 1658432),
            ("skip_locked", "best_fit", "490dc3f0b2933708", 1640041),
        ],
    );
}
