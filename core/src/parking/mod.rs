//! The parking lot lab: a multi-level garage whose entry gates race for spots in one shared spot
//! table, under a concurrency control you choose, with tickets, billing, pre-bookings, sensors
//! that fail and availability displays that can lie.
//!
//! ```text
//!  traffic ─► entry queues ─► E1 E2 … (read ─► write) ─► ticket ─► drive ─► parked ─► stay
//!                                  │  shared spot table  │                              │
//!                                  └─ none / lock / cas / lease / skip_locked ─┘        ▼
//!  displays ◄─ cached sensor counts ◄─ sensors ◄─ vehicles      exit queues ─► X1 X2 … (scan,
//!                                                               bill ─► pay, retried ─► open)
//! ```
//!
//! * [`lot`]: spot and vehicle types, the fit rules, the floor plan and the free index that the
//!   allocation strategies (first fit, nearest, spread, best fit) search.
//! * [`billing`]: the tariff and the bill with its lines (first hour, hourly, daily maximum,
//!   vehicle type, busy-lot surge, subscription, grace period, EV idle fee, lost ticket).
//! * [`traffic`]: arrivals by hour of day (time-varying Poisson), lognormal stays, the mix.
//! * [`lab`]: [`lab::ParkingLab`], the [`crate::Simulation`]: gates, controls, displays,
//!   sensors, payments and the invariants.
//! * [`race`]: many seeded random interleavings of gates racing for the last spots.
//! * [`waits`]: gate queue waits counted per length, with p50/p95/p99 cursors kept current so
//!   that reading them every frame costs nothing however long the run.
//! * `agenda` (private): what is due when, in lanes (gate slots, fixed-delay queues, a heap for
//!   the rest) that merge into exactly the order of one heap, at a fraction of its cost.
//!
//! ## Glossary
//!
//! | term | meaning |
//! |---|---|
//! | spot table | the shared record of which vehicle each spot is assigned to |
//! | read / write | an entry gate's two steps: find a spot that looks free, then assign it |
//! | double assignment | two vehicles assigned one spot: a read of another gate fell between a read and its write |
//! | CAS | compare-and-swap: write only if the spot's version is still the one read |
//! | lease, fencing token | a timed claim on a spot; writes carry the token and a stale one is refused |
//! | skip locked | `SELECT … FOR UPDATE SKIP LOCKED`: lock the first free row nobody else has locked |
//! | hold | a pre-booking's claim on a spot until its arrival time plus `hold_min` |
//! | idempotency key | the ticket number sent with every payment attempt, so a retry never charges twice |
//! | anomaly | a display that says "free" while the table has no free spot |

mod agenda;
pub mod billing;
pub mod lab;
pub mod lot;
pub mod race;
pub mod traffic;
pub mod waits;

use crate::sim::Time;

/// A script of commands touching every input and fault, for the cross-cutting tests: vehicles
/// of each kind by hand, a bus, pre-bookings (one a no-show), a stuck sensor, reconciliation and
/// the attendant's repair, strategy and control changes, a refused manual step, and a stadium
/// emptying.
pub fn sample_inputs() -> Vec<(Time, serde_json::Value)> {
    use serde_json::json;
    vec![
        (1_000, json!({"arrive": {"kind": "bus", "stay_min": 30}})),
        (
            1_000,
            json!({"arrive": {"kind": "car", "ev": true, "stay_min": 200}}),
        ),
        (
            2_000,
            json!({"arrive": {"kind": "van", "permit": true, "pay": "cash"}}),
        ),
        (
            3_000,
            json!({"arrive": {"kind": "motorcycle", "lost_ticket": true, "stay_min": 20}}),
        ),
        (
            5_000,
            json!({"prebook": {"vehicle": {"kind": "car"}, "arrive_in_min": 3, "show": true}}),
        ),
        (
            5_000,
            json!({"prebook": {"vehicle": {"kind": "car"}, "arrive_in_min": 2, "show": false}}),
        ),
        (
            20_000,
            json!({"sensor_fault": {"spot": "1A05", "fault": "stuck_free"}}),
        ),
        (
            25_000,
            json!({"sensor_fault": {"spot": "1A06", "fault": "stuck_occupied"}}),
        ),
        (30_000, json!({"step_gate": {"gate": "E1"}})),
        (40_000, json!({"set_strategy": {"strategy": "spread"}})),
        (90_000, json!("reconcile")),
        (100_000, json!({"override": {"spot": "1A05"}})),
        (110_000, json!({"override": {"spot": "9Z99"}})),
        (150_000, json!({"set_control": {"control": "lease"}})),
        (200_000, json!({"set_strategy": {"strategy": "nearest"}})),
        (
            250_000,
            json!({"special_event": {"exits": 10, "arrivals": 40}}),
        ),
        (400_000, json!({"set_control": {"control": "skip_locked"}})),
        (500_000, json!({"set_strategy": {"strategy": "best_fit"}})),
        (700_000, json!({"set_control": {"control": "lock"}})),
        (
            900_000,
            json!({"special_event": {"exits": 0, "arrivals": 60}}),
        ),
    ]
}
