//! Dispatchers: which car answers which hall call, and the LOOK plan every car follows.
//!
//! | dispatcher    | assignment                                                        |
//! |---------------|-------------------------------------------------------------------|
//! | `nearest_car` | once, to the nearest car idle or going the caller's way (seed)    |
//! | `collective`  | none: every car stops for every call ahead in its direction; the  |
//! |               | nearest idle car is sent to calls nobody is heading for           |
//! | `zoning`      | once, to the nearest car whose zone holds the floor               |
//! | `eta`         | continuously, to the car with the least estimated arrival time    |
//! |               | plus the delay the stop adds for its riders                       |
//! | `destination` | per passenger at the hall, grouping riders with shared stops      |
//!
//! A car's *requests* are its car calls plus the hall calls (or destination passengers) it
//! answers; [`look_target`] turns them into the next floor to stop at.

use super::{Dir, DispatcherKind, Elevator, Event, Pid, Service};
use crate::sim::Emit;

/// A floor a car must visit; `dir` is the hall call's direction, `None` for a car call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub floor: u32,
    pub dir: Option<Dir>,
}

/// Ten minutes: the cost of a car that cannot take a call at all soon.
const UNAVAILABLE_MS: u64 = 600_000;

/// Whether hall call `(f, d)` is one car `c` may answer: the car serves the floor, has room,
/// and someone waiting there could ride it (or nobody waits: a bare button press).
fn eligible(el: &Elevator, c: usize, f: u32, d: Dir) -> bool {
    let car = &el.cars[c];
    if car.service != Service::Normal || car.recalled || !el.cfg.serves(c as u32, f) {
        return false;
    }
    if car.riders.len() as u32 >= car.capacity {
        return false;
    }
    if car.floor == f && car.trip.is_none() && car.doors != super::Doors::Opening && !admits_late(el, c) {
        // Done loading here and about to leave: latecomers wait for another car.
        return false;
    }
    let mut waiting = el.halls[f as usize].waiting.iter().filter(|&&p| el.passengers[p as usize].dir() == d).peekable();
    if waiting.peek().is_none() {
        return true;
    }
    waiting.any(|&p| {
        let pass = &el.passengers[p as usize];
        el.cfg.serves(c as u32, pass.to)
            && el.load_kg(car).saturating_add(pass.weight_kg) <= el.cfg.scenario.capacity_kg
    })
}

/// The floors car `c` must visit, and whether it has any hall request at all.
pub fn requests(el: &Elevator, c: usize) -> (Vec<Request>, bool) {
    let car = &el.cars[c];
    let mut out: Vec<Request> = car.car_calls.iter().map(|&floor| Request { floor, dir: None }).collect();
    let mut hall = false;
    if car.service != Service::Normal || car.recalled {
        return (out, false);
    }
    let here = el.car_floor_now(car);
    for (f, h) in el.halls.iter().enumerate() {
        let f = f as u32;
        for d in [Dir::Up, Dir::Down] {
            let Some(call) = h.call(d) else { continue };
            let mine = match el.dispatcher {
                DispatcherKind::Collective => {
                    call.assigned == Some(c as u32)
                        || (car.dir == Some(d) && (d.ahead(here, f) || (f == here && !car.is_moving())))
                }
                DispatcherKind::Destination => {
                    // Bare button presses with nobody behind them are assigned like calls.
                    call.assigned == Some(c as u32)
                }
                _ => call.assigned == Some(c as u32),
            };
            if mine && eligible(el, c, f, d) {
                out.push(Request { floor: f, dir: Some(d) });
                hall = true;
            }
        }
        if el.dispatcher == DispatcherKind::Destination && (car.riders.len() as u32) < car.capacity {
            for &p in &h.waiting {
                let pass = &el.passengers[p as usize];
                if pass.assigned == Some(c as u32) && el.could_ride(c, p) {
                    let r = Request { floor: f, dir: Some(pass.dir()) };
                    if !out.contains(&r) {
                        out.push(r);
                        hall = true;
                    }
                }
            }
        }
    }
    (out, hall)
}

/// Whether car `c`, standing at floor `f`, answers the hall call going `d` there.
pub fn takes_call(el: &Elevator, c: usize, f: u32, d: Dir) -> bool {
    el.halls[f as usize].call(d).is_some()
        && requests(el, c).0.iter().any(|r| r.floor == f && r.dir == Some(d))
}

/// Whether car `c`, standing with its doors still, lets one more passenger in (which keeps
/// it at the floor longer). Experimental knob.
pub fn admits_late(el: &Elevator, c: usize) -> bool {
    let car = &el.cars[c];
    let lim: u64 = std::env::var("ORR_LATE").ok().and_then(|v| v.parse().ok()).unwrap_or(u64::MAX);
    car.riders.is_empty() || el.now.saturating_sub(car.opened_at) < lim
}

/// Until when car `c`, whose dwell is over, keeps its doors open to collect more passengers.
pub fn hold_until(el: &Elevator, c: usize) -> Option<crate::sim::Time> {
    let _ = (el, c);
    None
}

/// LOOK: the next floor to stop at from `here`, going `dir` if set. While moving, `here` is
/// the first floor the car can still stop at.
pub fn look_target(here: u32, dir: Option<Dir>, req: &[Request], moving: bool) -> Option<u32> {
    if req.is_empty() {
        return None;
    }
    let dir = dir.unwrap_or_else(|| {
        let nearest = req.iter().min_by_key(|r| (r.floor.abs_diff(here), r.floor)).map_or(here, |r| r.floor);
        if nearest >= here {
            Dir::Up
        } else {
            Dir::Down
        }
    });
    let _ = moving;
    for d in [dir, dir.flip()] {
        let on_way = |f: u32| f == here || d.ahead(here, f);
        // Calls and car calls ahead that go our way: the nearest.
        let same: Option<u32> = req
            .iter()
            .filter(|r| on_way(r.floor) && r.dir != Some(d.flip()))
            .map(|r| r.floor)
            .min_by_key(|&f| f.abs_diff(here));
        if same.is_some() {
            return same;
        }
        // Calls ahead that go the other way: the farthest, where we turn.
        let turn: Option<u32> = req
            .iter()
            .filter(|r| on_way(r.floor) && r.dir == Some(d.flip()))
            .map(|r| r.floor)
            .max_by_key(|&f| f.abs_diff(here));
        if turn.is_some() {
            return turn;
        }
    }
    None
}

/// Estimated milliseconds until car `c` can open for hall call `(f, d)`, following LOOK through
/// its current requests with a typical stop at each.
pub fn eta_ms(el: &Elevator, c: usize, f: u32, d: Dir, req: &[Request]) -> u64 {
    let car = &el.cars[c];
    let kin = &el.cfg.kin;
    let stop = el.cfg.stop_ms();
    let mut t: u64 = match car.trip {
        Some(_) => 0,
        None if car.doors != super::Doors::Closed => stop / 2,
        None => 0,
    };
    let here = el.car_floor_now(car);
    let Some(mut dir) = car.dir.or(if f == here { Some(d) } else { Some(Dir::of(here, f)) }) else {
        return t;
    };
    let mut pos = here;
    let between = |a: u32, b: u32, dd: Dir| {
        req.iter()
            .filter(|r| r.floor != a && r.floor != b && dd.ahead(a, r.floor) && dd.ahead(r.floor, b))
            .count() as u64
    };
    for leg in 0..3 {
        // While moving, `pos` is the first floor the car can still stop at: reachable too.
        let reaches = d == dir && (dir.ahead(pos, f) || f == pos);
        if reaches {
            return t + kin.travel_ms(pos, f) + between(pos, f, dir) * stop;
        }
        let end = req
            .iter()
            .filter(|r| dir.ahead(pos, r.floor))
            .map(|r| r.floor)
            .max_by_key(|&x| x.abs_diff(pos))
            .unwrap_or(pos);
        if d != dir && (dir.ahead(end, f) || f == end) {
            return t + kin.travel_ms(pos, f) + between(pos, f, dir) * stop;
        }
        let stops = req.iter().filter(|r| dir.ahead(pos, r.floor) && !dir.ahead(end, r.floor)).count() as u64;
        t += kin.travel_ms(pos, end) + stops * stop;
        pos = end;
        dir = dir.flip();
    }
    t + kin.travel_ms(pos, f)
}

fn nearest_cost(el: &Elevator, c: usize, f: u32, d: Dir) -> u64 {
    let car = &el.cars[c];
    let here = el.car_floor_now(car);
    let dist = here.abs_diff(f) as u64;
    let idle = car.trip.is_none() && car.dir.is_none();
    let coming = car.dir == Some(d) && (d.ahead(here, f) || (f == here && car.trip.is_none()));
    if idle || coming {
        dist
    } else {
        2 * el.halls.len() as u64 + dist
    }
}

fn zone_holds(el: &Elevator, c: usize, f: u32) -> bool {
    let s = &el.cfg.scenario;
    if s.served.iter().any(|sv| sv.car == c as u32) {
        return el.cfg.serves(c as u32, f);
    }
    let (lo, hi) = el.cfg.zones[c];
    f == s.lobby || (lo..=hi).contains(&f)
}

/// Whether car `c` is already committed to opening at `f`: braking for it or opening there.
fn committed(el: &Elevator, c: usize, f: u32) -> bool {
    let car = &el.cars[c];
    match car.trip {
        Some(t) => t.to == f && el.now - t.t0 > el.cfg.kin.trip(t.from.abs_diff(t.to)).brake_ms,
        None => car.floor == f && car.doors != super::Doors::Closed,
    }
}

/// Assigns (or, for `eta`, reassigns) every lit hall call.
pub fn assign_calls(el: &mut Elevator, out: &mut dyn Emit<Event>) {
    let kind = el.dispatcher;
    let n = el.cars.len();
    let mut reqs: Vec<Option<Vec<Request>>> = vec![None; n];
    for f in 0..el.halls.len() as u32 {
        for d in [Dir::Up, Dir::Down] {
            let Some(call) = el.halls[f as usize].call(d) else { continue };
            if kind == DispatcherKind::Destination
                && el.halls[f as usize].waiting.iter().any(|&p| el.passengers[p as usize].dir() == d)
            {
                continue;
            }
            let current = call.assigned.filter(|&a| eligible(el, a as usize, f, d));
            let keep = match kind {
                DispatcherKind::Eta | DispatcherKind::Destination => {
                    current.is_some_and(|a| committed(el, a as usize, f))
                }
                _ => current.is_some(),
            };
            if keep {
                continue;
            }
            let candidates: Vec<usize> = (0..n).filter(|&c| eligible(el, c, f, d)).collect();
            let best = match kind {
                DispatcherKind::NearestCar => candidates.iter().copied().min_by_key(|&c| (nearest_cost(el, c, f, d), c)),
                DispatcherKind::Zoning => {
                    let zoned: Vec<usize> = candidates.iter().copied().filter(|&c| zone_holds(el, c, f)).collect();
                    let pool = if zoned.is_empty() { &candidates } else { &zoned };
                    pool.iter().copied().min_by_key(|&c| (nearest_cost(el, c, f, d), c))
                }
                DispatcherKind::Collective => {
                    // A car already heading this way will stop; otherwise send the nearest idle car.
                    let passing = (0..n).any(|c| {
                        let car = &el.cars[c];
                        let here = el.car_floor_now(car);
                        car.service == Service::Normal && car.trip.is_some() && car.dir == Some(d) && d.ahead(here, f)
                    });
                    if passing {
                        None
                    } else {
                        candidates
                            .iter()
                            .copied()
                            .filter(|&c| el.cars[c].trip.is_none() && el.cars[c].dir.is_none())
                            .min_by_key(|&c| (el.car_floor_now(&el.cars[c]).abs_diff(f), c))
                    }
                }
                DispatcherKind::Eta | DispatcherKind::Destination => {
                    let mut best: Option<(u64, usize)> = None;
                    for &c in &candidates {
                        let r = reqs[c].get_or_insert_with(|| requests(el, c).0);
                        let has_stop = r.iter().any(|x| x.floor == f);
                        let mut cost = eta_ms(el, c, f, d, r);
                        if !has_stop {
                            // The stop delays everyone aboard and everyone it already promised.
                            let load = el.cars[c].riders.len() as u64 + r.iter().filter(|x| x.dir.is_some()).count() as u64;
                            cost += load * el.cfg.stop_ms() / 2;
                        }
                        if Some(c as u32) == current {
                            cost = cost.saturating_sub(2_000);
                        }
                        if best.is_none_or(|(b, _)| cost < b) {
                            best = Some((cost, c));
                        }
                    }
                    best.map(|(_, c)| c)
                }
            };
            let new = best.map(|c| c as u32);
            if new != call.assigned {
                if let Some(call) = &mut el.halls[f as usize].calls[if d == Dir::Up { 0 } else { 1 }] {
                    call.assigned = new;
                }
                if let Some(c) = new {
                    out.emit(el.now, Event::Assign { car: c, floor: f, dir: d });
                    reqs[c as usize] = None;
                }
                if let Some(old) = call.assigned {
                    reqs[old as usize] = None;
                }
            }
        }
    }
    if kind == DispatcherKind::Destination {
        // Passengers told to take a car that left service are told another.
        let stranded: Vec<Pid> = el
            .halls
            .iter()
            .flat_map(|h| h.waiting.iter().copied())
            .filter(|&p| {
                el.passengers[p as usize]
                    .assigned
                    .is_none_or(|c| el.cars[c as usize].service != Service::Normal)
            })
            .collect();
        for p in stranded {
            assign_destination(el, p, out);
        }
    }
}

/// Destination dispatch: tells passenger `p` which car to take, preferring cars that already
/// stop at both the passenger's floor and destination, and never a car that would be full.
pub fn assign_destination(el: &mut Elevator, p: Pid, out: &mut dyn Emit<Event>) {
    let pass = el.passengers[p as usize].clone();
    let (f, g, d) = (pass.from, pass.to, pass.dir());
    let stop = el.cfg.stop_ms();
    let mut best: Option<(u64, usize)> = None;
    for c in 0..el.cars.len() {
        let car = &el.cars[c];
        if car.service != Service::Normal || car.recalled || !el.cfg.serves(c as u32, f) || !el.cfg.serves(c as u32, g) {
            continue;
        }
        let (r, _) = requests(el, c);
        let promised = el.halls[f as usize]
            .waiting
            .iter()
            .filter(|&&q| q != p && el.passengers[q as usize].assigned == Some(c as u32))
            .count() as u32;
        let mut cost = eta_ms(el, c, f, d, &r) + el.cfg.kin.travel_ms(f, g);
        let load = car.riders.len() as u64 + r.iter().filter(|x| x.dir.is_some()).count() as u64;
        if !r.iter().any(|x| x.floor == f) {
            cost += load * stop;
        }
        if !r.iter().any(|x| x.floor == g) {
            cost += (load + 1) * stop;
        }
        if car.riders.len() as u32 + promised >= car.capacity || !el.could_ride(c, p) {
            cost += UNAVAILABLE_MS;
        }
        if best.is_none_or(|(b, _)| cost < b) {
            best = Some((cost, c));
        }
    }
    if let Some((_, c)) = best {
        el.passengers[p as usize].assigned = Some(c as u32);
        out.emit(el.now, Event::AssignPassenger { p, car: c as u32 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(floor: u32, dir: Option<Dir>) -> Request {
        Request { floor, dir }
    }

    #[test]
    fn look_serves_ahead_then_turns() {
        let up = Some(Dir::Up);
        let down = Some(Dir::Down);
        // Going up from 3: car call 7, up call 5, down call 9, up call 1.
        let req = [r(7, None), r(5, up), r(9, down), r(1, up)];
        assert_eq!(look_target(3, up, &req, false), Some(5));
        assert_eq!(look_target(3, up, &req[2..], false), Some(9));
        assert_eq!(look_target(3, up, &req[3..], false), Some(1));
        assert_eq!(look_target(3, down, &req, false), Some(1));
        // Idle: the nearest request wins; on a tie, the lower floor.
        assert_eq!(look_target(3, None, &req, false), Some(1));
        assert_eq!(look_target(3, None, &req[..3], false), Some(5));
        assert_eq!(look_target(3, up, &[], false), None);
        // A down call below while going down, with an up call further below: the down call first.
        assert_eq!(look_target(8, down, &[r(2, up), r(5, down)], false), Some(5));
    }
}
