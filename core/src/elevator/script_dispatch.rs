//! The user-written dispatcher: a cost function in Orrery script ([`crate::script`]) that the
//! core evaluates for every (car, hall call) pair it considers. The car with the lowest cost
//! answers the call; ties go to the lower car number. Like `eta`, assignments are reconsidered
//! once a second until a car is braking for the call.
//!
//! The script sees the variables of [`SCHEMA`] (all integers unless marked bool). Each
//! evaluation may take at most [`BUDGET`] steps; a script cannot loop, so the budget only bites
//! on enormous programs. A runtime error (overflow, division by zero, the budget) rules that
//! car out for that decision, is counted in the `script_errors` metric and reported as an event
//! (once per distinct message in a row); the run goes on. A compile error is a scenario error
//! (the page shows it with line and column) or, for a `set_script` command, a refusal.

use super::dispatch::{committed, hall_jobs, insertion_cost, requests, route, Plan};
use super::{Dir, Elevator};
use crate::script::{Program, ScriptError, Type, Value};

/// At most this many evaluation steps per (car, call) cost.
pub const BUDGET: u64 = 10_000;

/// The example the scenario starts with: close to `eta`, but never sends a full car.
pub const EXAMPLE: &str = "\
// Cost of sending this car to this hall call; the lowest wins.
// eta_cost_ms is what the built-in eta dispatcher would charge.
let full = if car_free == 0 { 1_000_000_000 } else { 0 };
let detour = if same_direction { 0 } else { 5_000 * distance };
let keep = if current { 2_000 } else { 0 };
eta_cost_ms + detour + full - keep
";

/// The variables a dispatcher script can read, with their types and meaning.
pub const SCHEMA: &[(&str, Type, &str)] = &[
    ("floors", Type::Int, "floors in the building"),
    ("cars", Type::Int, "cars in the building"),
    ("lobby", Type::Int, "the lobby floor"),
    ("now_ms", Type::Int, "simulated time in milliseconds"),
    ("call_floor", Type::Int, "the floor of the hall call"),
    (
        "call_up",
        Type::Bool,
        "true for an up call, false for a down call",
    ),
    ("call_age_ms", Type::Int, "how long the call has been lit"),
    (
        "waiting",
        Type::Int,
        "people waiting at the call's floor going its way",
    ),
    ("car", Type::Int, "the car being costed (0-based)"),
    (
        "car_floor",
        Type::Int,
        "the car's floor, or the next floor it can stop at while moving",
    ),
    ("car_moving", Type::Bool, "whether the car is moving"),
    (
        "car_dir",
        Type::Int,
        "the car's direction lamp: 1 up, -1 down, 0 none",
    ),
    ("car_riders", Type::Int, "people in the car"),
    ("car_capacity", Type::Int, "people the car can hold"),
    ("car_free", Type::Int, "room left in the car"),
    (
        "car_stops",
        Type::Int,
        "floors the car must still visit (car calls and its hall calls)",
    ),
    ("distance", Type::Int, "floors between the car and the call"),
    (
        "same_direction",
        Type::Bool,
        "car idle, or heading the call's way with the call ahead",
    ),
    (
        "eta_cost_ms",
        Type::Int,
        "the built-in eta cost: callers' wait plus half the delay to others",
    ),
    (
        "current",
        Type::Bool,
        "whether this car already holds the call",
    ),
];

/// Compiles a dispatcher script against [`SCHEMA`].
pub fn compile(source: &str) -> Result<Program, ScriptError> {
    Program::compile(source, SCHEMA)
}

fn values(
    el: &Elevator,
    c: usize,
    f: u32,
    d: Dir,
    plan: &Plan,
    current: Option<u32>,
) -> Vec<Value> {
    let car = &el.cars[c];
    let s = &el.cfg.scenario;
    let here = el.car_floor_now(car);
    let call = el.halls[f as usize].call(d);
    let waiting = el.halls[f as usize]
        .waiting
        .iter()
        .filter(|&&p| el.passengers[p as usize].dir() == d)
        .count() as i64;
    let stops = requests(el, c).0.len() as i64;
    let same = match car.dir {
        None => true,
        Some(cd) => cd == d && (cd.ahead(here, f) || (f == here && car.trip.is_none())),
    };
    let i = |x: u64| Value::Int(x.min(i64::MAX as u64) as i64);
    vec![
        Value::Int(s.floors as i64),
        Value::Int(s.cars as i64),
        Value::Int(s.lobby as i64),
        i(el.now),
        Value::Int(f as i64),
        Value::Bool(d == Dir::Up),
        i(call.map_or(0, |cl| el.now.saturating_sub(cl.since))),
        Value::Int(waiting),
        Value::Int(c as i64),
        Value::Int(here as i64),
        Value::Bool(car.trip.is_some()),
        Value::Int(match car.dir {
            Some(Dir::Up) => 1,
            Some(Dir::Down) => -1,
            None => 0,
        }),
        Value::Int(car.riders.len() as i64),
        Value::Int(car.capacity as i64),
        Value::Int(car.capacity.saturating_sub(car.riders.len() as u32) as i64),
        Value::Int(stops),
        Value::Int(here.abs_diff(f) as i64),
        Value::Bool(same),
        i(insertion_cost(el, plan, f, d, waiting.max(1) as u32)),
        Value::Bool(current == Some(c as u32)),
    ]
}

/// Picks the car for hall call `(f, d)` among `candidates` by the script's cost. Returns the
/// choice and the first runtime error met, if any.
pub(super) fn choose(
    el: &Elevator,
    candidates: &[usize],
    f: u32,
    d: Dir,
    current: Option<u32>,
    plans: &mut [Option<Plan>],
) -> (Option<usize>, Option<String>) {
    let mut best: Option<(i64, usize)> = None;
    let mut error = None;
    for &c in candidates {
        let plan =
            plans[c].get_or_insert_with(|| route(el, c, &hall_jobs(el, c, &requests(el, c).0)));
        let vals = values(el, c, f, d, plan, current);
        match el.script.eval(&vals, BUDGET) {
            Ok(cost) => {
                if best.is_none_or(|(b, _)| cost < b) {
                    best = Some((cost, c));
                }
            }
            Err(e) => {
                error.get_or_insert_with(|| format!("car {c}, call at floor {f} {d}: {e}"));
            }
        }
    }
    // A car already braking for the call keeps it whatever the script says.
    if let Some(a) = current.filter(|&a| committed(el, a as usize, f)) {
        return (Some(a as usize), error);
    }
    (best.map(|(_, c)| c), error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_compiles_and_every_variable_is_documented() {
        compile(EXAMPLE).expect("example compiles");
        for (name, _, doc) in SCHEMA {
            assert!(!doc.is_empty(), "{name}");
        }
    }

    #[test]
    fn compile_errors_name_the_place() {
        let e = compile("let x = distanse;\nx")
            .expect_err("unknown name")
            .to_string();
        assert!(e.contains("line 1") && e.contains("distance"), "{e}");
    }
}
