//! Car kinematics: trapezoidal (or triangular) speed profiles from rest to rest.
//!
//! Every trip starts and ends at rest. Two trips that leave the same floor at the same time
//! follow the same curve until the shorter one starts to brake, so a moving car can be
//! retargeted to any floor whose braking point it has not yet passed, exactly:
//!
//! ```text
//!  speed
//!    v ┤      ______________            trip of 6 floors
//!      │    /    ____        \
//!      │  /    /     \        \         trip of 2 floors: same curve until it brakes
//!    0 ┼─/────/───────\────────\──► time
//!        t0          brake(2)  brake(6)
//! ```
//!
//! Trip durations are computed once per distance and stored as integer milliseconds; the
//! continuous position used for drawing ([`Kinematics::distance_at`]) is view math only.

use serde::{Deserialize, Serialize};

/// Times of a trip of some number of floors, in milliseconds from departure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripTimes {
    /// When the car stands still at the destination.
    pub total_ms: u64,
    /// When the car starts braking; before it, trips of any length look the same.
    pub brake_ms: u64,
}

/// Which part of its profile a moving car is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Accelerating,
    Cruising,
    Decelerating,
}

#[derive(Clone, Debug)]
pub struct Kinematics {
    floor_m: f64,
    v: f64,
    a: f64,
    b: f64,
    table: Vec<TripTimes>,
}

fn ms(seconds: f64) -> u64 {
    libm::round(seconds * 1000.0) as u64
}

impl Kinematics {
    /// Speeds in mm/s, accelerations in mm/s², for a building of `floors` floors.
    pub fn new(floor_mm: u32, speed: u32, accel: u32, decel: u32, floors: u32) -> Kinematics {
        let mut k = Kinematics {
            floor_m: floor_mm as f64 / 1000.0,
            v: speed as f64 / 1000.0,
            a: accel as f64 / 1000.0,
            b: decel as f64 / 1000.0,
            table: Vec::new(),
        };
        k.table = (0..floors).map(|d| k.compute(d)).collect();
        k
    }

    /// Peak speed, time at peak reached, brake start and total, in seconds, for `d` floors.
    fn profile(&self, d: u32) -> (f64, f64, f64, f64) {
        let dist = d as f64 * self.floor_m;
        if d == 0 {
            return (0.0, 0.0, 0.0, 0.0);
        }
        let (v, a, b) = (self.v, self.a, self.b);
        let d_min = v * v / (2.0 * a) + v * v / (2.0 * b);
        if dist >= d_min {
            let t_acc = v / a;
            let t_cruise = (dist - d_min) / v;
            (v, t_acc, t_acc + t_cruise, t_acc + t_cruise + v / b)
        } else {
            let vp = (2.0 * a * b * dist / (a + b)).sqrt();
            (vp, vp / a, vp / a, vp / a + vp / b)
        }
    }

    fn compute(&self, d: u32) -> TripTimes {
        let (_, _, brake, total) = self.profile(d);
        TripTimes {
            total_ms: ms(total),
            brake_ms: ms(brake),
        }
    }

    /// Times for a trip of `d` floors.
    pub fn trip(&self, d: u32) -> TripTimes {
        self.table
            .get(d as usize)
            .copied()
            .unwrap_or_else(|| self.compute(d))
    }

    /// Travel time between two floors, from rest to rest.
    pub fn travel_ms(&self, from: u32, to: u32) -> u64 {
        self.trip(from.abs_diff(to)).total_ms
    }

    /// The phase of a trip of `d` floors `elapsed` ms after departure.
    pub fn phase(&self, d: u32, elapsed: u64) -> Phase {
        let (_, t_peak, brake, _) = self.profile(d);
        let t = elapsed as f64 / 1000.0;
        if t >= brake {
            Phase::Decelerating
        } else if t >= t_peak {
            Phase::Cruising
        } else {
            Phase::Accelerating
        }
    }

    /// Distance travelled, in floors, `elapsed` ms into a trip of `d` floors. View math.
    pub fn distance_at(&self, d: u32, elapsed: u64) -> f64 {
        let (vp, t_peak, brake, total) = self.profile(d);
        let t = (elapsed as f64 / 1000.0).min(total);
        let x = if t <= t_peak {
            0.5 * self.a * t * t
        } else if t <= brake {
            0.5 * self.a * t_peak * t_peak + vp * (t - t_peak)
        } else {
            let x_brake = 0.5 * self.a * t_peak * t_peak + vp * (brake - t_peak);
            let td = t - brake;
            x_brake + vp * td - 0.5 * self.b * td * td
        };
        (x / self.floor_m).clamp(0.0, d as f64)
    }

    /// The nearest floor, counted from the trip's origin, at which a car on a trip of `d`
    /// floors can still stop `elapsed` ms after departure.
    pub fn first_stoppable(&self, d: u32, elapsed: u64) -> u32 {
        (1..d)
            .find(|&k| elapsed <= self.trip(k).brake_ms)
            .unwrap_or(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saga_physics_trip_times() {
        // Elevator Saga: 2.6 floors/s, 2.1 up, 2.6 down, unit floors.
        let k = Kinematics::new(1000, 2600, 2100, 2600, 30);
        let got: Vec<_> = [1, 2, 3, 5, 10]
            .iter()
            .map(|&d| (d, k.trip(d).total_ms, k.trip(d).brake_ms))
            .collect();
        expect_test::expect![[r#"
            [
                (
                    1,
                    1312,
                    726,
                ),
                (
                    2,
                    1856,
                    1026,
                ),
                (
                    3,
                    2273,
                    1273,
                ),
                (
                    5,
                    3042,
                    2042,
                ),
                (
                    10,
                    4965,
                    3965,
                ),
            ]
        "#]]
        .assert_debug_eq(&got);
    }

    #[test]
    fn trips_share_a_curve_until_the_shorter_brakes() {
        let k = Kinematics::new(3500, 2500, 1000, 1000, 40);
        for d in 1..20 {
            let t = k.trip(d).brake_ms - 1;
            let a = k.distance_at(d, t);
            let b = k.distance_at(d + 7, t);
            assert!((a - b).abs() < 1e-9, "d={d}: {a} vs {b}");
            assert!((k.distance_at(d, k.trip(d).total_ms) - d as f64).abs() < 1e-3);
            assert!(k.trip(d).total_ms < k.trip(d + 1).total_ms);
        }
    }

    #[test]
    fn stoppable_floor_moves_ahead_with_time() {
        let k = Kinematics::new(3500, 2500, 1000, 1000, 40);
        assert_eq!(k.first_stoppable(10, 0), 1);
        let mut last = 1;
        for e in (0..k.trip(10).total_ms).step_by(250) {
            let s = k.first_stoppable(10, e);
            assert!(s >= last && s <= 10);
            last = s;
        }
        assert_eq!(last, 10);
    }
}
