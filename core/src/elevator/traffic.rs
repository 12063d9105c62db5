//! Passenger arrivals: when the next one comes (Poisson or evenly spaced) and where from and to
//! (the traffic pattern). Draws come from the run's own traffic stream of the PRNG.

use super::scenario::{Arrivals, Pattern};
use super::{Elevator, Event};
use crate::sim::{Emit, Time};

/// When the next traffic arrival happens, if traffic is on.
pub(super) fn next_arrival(el: &mut Elevator) -> Option<Time> {
    let t = &el.cfg.scenario.traffic;
    if t.pattern == Pattern::None || t.per_hour == 0 {
        return None;
    }
    let per_hour = t.per_hour as u64;
    match t.arrivals {
        // Evenly spaced from time zero, like Elevator Saga's spawner: the n-th at n/rate.
        Arrivals::Uniform => Some(el.spawned_by_traffic * 3_600_000 / per_hour),
        Arrivals::Poisson => {
            let mean = (3_600_000 / per_hour).max(1);
            let gap = el.traffic_rng.exp_ms(mean).max(1);
            Some(el.now + gap)
        }
    }
}

/// Draws one trip for the pattern; `None` if no car could carry it after a few tries.
fn draw_trip(el: &mut Elevator) -> Option<(u32, u32)> {
    let s = &el.cfg.scenario;
    let n = s.floors as u64;
    let lobby = s.lobby;
    let pattern = s.traffic.pattern;
    for _ in 0..20 {
        let r = &mut el.traffic_rng;
        let other = |r: &mut crate::rng::Rng| {
            // A uniform floor other than the lobby.
            let x = r.below(n - 1) as u32;
            if x >= lobby {
                x + 1
            } else {
                x
            }
        };
        let (from, to) = match pattern {
            Pattern::UpPeak => (lobby, other(r)),
            Pattern::DownPeak => (other(r), lobby),
            Pattern::Lunch => match r.below(20) {
                0..=8 => (other(r), lobby),
                9..=17 => (lobby, other(r)),
                _ => {
                    let a = r.below(n) as u32;
                    (a, r.below(n) as u32)
                }
            },
            Pattern::InterFloor => {
                let a = r.below(n) as u32;
                (a, r.below(n) as u32)
            }
            Pattern::Saga => {
                // Elevator Saga: from floor 0 half the time, else uniform over all floors;
                // from floor 0 to a uniform other floor; else to floor 0 ten times in eleven.
                let from = if r.chance(1, 2) { 0 } else { r.below(n) as u32 };
                let to = if from == 0 {
                    1 + r.below(n - 1) as u32
                } else if r.chance(10, 11) {
                    0
                } else {
                    let x = r.below(n - 1) as u32;
                    if x >= from {
                        x + 1
                    } else {
                        x
                    }
                };
                (from, to)
            }
            Pattern::Custom => {
                let m = &s.traffic.matrix;
                let total: u64 = m
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        row.iter()
                            .enumerate()
                            .filter(|&(j, _)| i != j)
                            .map(|(_, &w)| w as u64)
                            .sum::<u64>()
                    })
                    .sum();
                let mut x = r.below(total.max(1));
                let mut pick = (0, 1);
                'outer: for (i, row) in m.iter().enumerate() {
                    for (j, &w) in row.iter().enumerate() {
                        if i == j {
                            continue;
                        }
                        if x < w as u64 {
                            pick = (i as u32, j as u32);
                            break 'outer;
                        }
                        x -= w as u64;
                    }
                }
                pick
            }
            Pattern::None => return None,
        };
        if from == to {
            continue;
        }
        if (0..s.cars).any(|c| el.cfg.serves(c, from) && el.cfg.serves(c, to)) {
            return Some((from, to));
        }
    }
    None
}

/// The traffic arrival due now.
pub(super) fn arrival(el: &mut Elevator, out: &mut dyn Emit<Event>) {
    el.spawned_by_traffic += 1;
    let Some((from, to)) = draw_trip(el) else {
        return;
    };
    if el.mode == super::Mode::FireRecall {
        el.metrics.add("turned_away", 1);
        out.emit(
            el.now,
            Event::CallRefused {
                floor: from,
                reason: "fire recall, take the stairs",
            },
        );
        return;
    }
    el.spawn(from, to, out);
}
