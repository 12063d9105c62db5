//! Dispatchers: which car answers which hall call, and the LOOK plan every car follows.
//!
//! | dispatcher    | assignment | idle cars | latecomers at a car about to leave |
//! |---------------|------------|-----------|------------------------------------|
//! | `nearest_car` | once, to the nearest car idle or going the caller's way (the seed's) | stay (scenario parking) | always let in |
//! | `collective`  | none: every car stops for every call ahead in its direction; a call nobody heads for goes to the nearest idle car, or failing one the car that can be there soonest | as `nearest_car` | always let in |
//! | `zoning`      | once, to the nearest car whose zone holds the floor | as `nearest_car` | always let in |
//! | `eta`         | each call to the car whose plan it costs least (below), reconsidered once a second; where more wait than that car can take, free cars are sent too | as `nearest_car` | let in only if the riders' delay is worth less than the latecomer's wait for the next car |
//! | `destination` | per passenger at the hall, estimated time to destination (below) | as `nearest_car` | always let in (the car was chosen per passenger) |
//!
//! A car's *requests* are its car calls plus the hall calls (or destination passengers) it
//! answers; [`look_target`] turns them into the next floor to stop at.
//!
//! `eta` and `destination` both cost a choice by following a car's [`route`]: its current
//! jobs (riders to drop, people to pick up) served in LOOK order with a stop time at each,
//! giving when each job is done. `eta` (an ETA / "relative system response" style group
//! control) charges a hall call the caller's wait plus half the delay the extra stop adds for
//! everyone the car serves after it (`insertion_cost`); destinations of people at a hall are
//! unknown to it, though it counts how many wait (hall occupancy sensing). `destination`
//! (destination dispatch by estimated time to destination) knows every destination: it adds
//! the passenger's pick-up and drop-off to each car's plan and charges their wait (1.5×) and
//! ride plus every delay that causes to the others already told to take that car.
//!
//! Scenario options act alongside: `parking` moves idle cars (stay, lobby, spread), and
//! `hold_riders`/`hold_ms` keep a lightly loaded car waiting for more ([`hold_until`]).

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
/// `eta`: how much a minute of delay to people already served counts against a minute of the
/// new caller's wait, in percent.
const ETA_DELAY_PCT: u64 = 50;
/// `eta`: the bonus (per waiting person) for keeping a call on the car it has.
const STICK_MS: u64 = 2_000;
/// `eta`: how often it reconsiders every assignment (new calls are assigned at once).
const REVIEW_MS: u64 = 1_000;
/// `eta`: how much the riders' delay from letting a latecomer in counts against the
/// latecomer's wait for the next car, in percent.
const LATE_WEIGHT_PCT: u64 = 100;
/// `destination`: how much a minute of the new passenger's wait counts against a minute of
/// riding, in percent (waiting feels longer).
const DD_WAIT_PCT: u64 = 150;

/// Whether hall call `(f, d)` is one car `c` may answer: the car serves the floor, has room,
/// and someone waiting there could ride it (or nobody waits: a bare button press).
pub(super) fn eligible(el: &Elevator, c: usize, f: u32, d: Dir) -> bool {
    eligible_as(el, c, f, d, true)
}

/// [`eligible`], optionally without asking whether a car standing at `f` turns latecomers away.
fn eligible_as(el: &Elevator, c: usize, f: u32, d: Dir, strict: bool) -> bool {
    let car = &el.cars[c];
    if car.service != Service::Normal || car.recalled || !el.cfg.serves(c as u32, f) {
        return false;
    }
    if car.riders.len() as u32 >= car.capacity {
        return false;
    }
    if strict
        && car.floor == f
        && car.trip.is_none()
        && car.doors != super::Doors::Opening
        && !admits_late(el, c)
    {
        // Done loading here and about to leave: latecomers wait for another car.
        return false;
    }
    let mut waiting = el.halls[f as usize]
        .waiting
        .iter()
        .filter(|&&p| el.passengers[p as usize].dir() == d)
        .peekable();
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
    requests_as(el, c, true)
}

fn requests_as(el: &Elevator, c: usize, strict: bool) -> (Vec<Request>, bool) {
    let car = &el.cars[c];
    let mut out: Vec<Request> = car
        .car_calls
        .iter()
        .map(|&floor| Request { floor, dir: None })
        .collect();
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
                DispatcherKind::Eta => {
                    call.assigned == Some(c as u32) || call.helpers & (1 << c) != 0
                }
                DispatcherKind::Collective => {
                    call.assigned == Some(c as u32)
                        || (car.dir == Some(d)
                            && (d.ahead(here, f) || (f == here && !car.is_moving())))
                }
                DispatcherKind::Destination => {
                    // Bare button presses with nobody behind them are assigned like calls.
                    call.assigned == Some(c as u32)
                }
                _ => call.assigned == Some(c as u32),
            };
            if mine && eligible_as(el, c, f, d, strict) {
                out.push(Request {
                    floor: f,
                    dir: Some(d),
                });
                hall = true;
            }
        }
        if el.dispatcher == DispatcherKind::Destination && (car.riders.len() as u32) < car.capacity
        {
            for &p in &h.waiting {
                let pass = &el.passengers[p as usize];
                if pass.assigned == Some(c as u32) && el.could_ride(c, p) {
                    let r = Request {
                        floor: f,
                        dir: Some(pass.dir()),
                    };
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
        && requests(el, c)
            .0
            .iter()
            .any(|r| r.floor == f && r.dir == Some(d))
}

/// Whether car `c`, standing with its doors still after loading, lets one more passenger in,
/// which keeps everyone it serves waiting one more dwell. `eta` weighs that against how long
/// the latecomer would wait for the next car (a door-hold decision); the other dispatchers
/// always let them in (destination dispatch already chose the car per passenger).
pub fn admits_late(el: &Elevator, c: usize) -> bool {
    let car = &el.cars[c];
    if el.dispatcher != DispatcherKind::Eta || car.riders.is_empty() {
        return true;
    }
    let Some(d) = car.dir else { return true };
    let f = car.floor;
    let s = &el.cfg.scenario;
    let ext = (s.dwell_ms + s.board_ms) as u64;
    let own = route(el, c, &hall_jobs(el, c, &requests_as(el, c, false).0));
    // Everyone aboard and everyone it will pick up waits one more dwell...
    let affected: u64 = own.stops.iter().map(|x| x.people as u64).sum();
    // ...against the latecomer's wait for the next car.
    let next_car = (0..el.cars.len())
        .filter(|&o| o != c && eligible_as(el, o, f, d, false))
        .map(|o| {
            let plan = route(el, o, &hall_jobs(el, o, &requests_as(el, o, false).0));
            insertion_cost(el, &plan, f, d, 1)
        })
        .min()
        .unwrap_or(NEVER);
    ext * affected * LATE_WEIGHT_PCT / 100 <= next_car
}

/// Until when car `c`, whose dwell is over, keeps its doors open to collect more passengers:
/// the scenario's hold for load (energy saving), for a car with riders but fewer than
/// `hold_riders`, up to `hold_ms` after its doors opened.
pub fn hold_until(el: &Elevator, c: usize) -> Option<crate::sim::Time> {
    let s = &el.cfg.scenario;
    let car = &el.cars[c];
    let riders = car.riders.len() as u32;
    if riders == 0
        || riders >= s.hold_riders.min(car.capacity)
        || car.service != Service::Normal
        || car.recalled
    {
        return None;
    }
    Some(car.opened_at + s.hold_ms as u64)
}

/// LOOK: the next floor to stop at from `here`, going `dir` if set. While moving, `here` is
/// the first floor the car can still stop at.
pub fn look_target(here: u32, dir: Option<Dir>, req: &[Request], moving: bool) -> Option<u32> {
    if req.is_empty() {
        return None;
    }
    let dir = dir.unwrap_or_else(|| {
        let nearest = req
            .iter()
            .min_by_key(|r| (r.floor.abs_diff(here), r.floor))
            .map_or(here, |r| r.floor);
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

/// One thing a car's plan must do: pick people up (at a floor, going a way), drop them off,
/// or both. A hall call is a pick-up whose destinations are unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub pick: Option<(u32, Dir)>,
    pub drop: Option<u32>,
    /// People it stands for.
    pub n: u32,
}

/// A time beyond any plan.
pub const NEVER: u64 = u64::MAX / 4;

/// A stop in a car's plan: when it arrives and leaves, which way it leaves, and how many
/// people's pick-up (hall calls) or drop-off happens there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    pub floor: u32,
    pub arrive: u64,
    pub leave: u64,
    pub dir: Option<Dir>,
    pub people: u32,
}

/// Where a car's plan starts, its stops, and each job's pick-up and drop-off (ms from now).
#[derive(Clone, Debug)]
pub struct Plan {
    pub floor: u32,
    pub ready: u64,
    trip: Option<super::Trip>,
    pub stops: Vec<Stop>,
    pub times: Vec<(u64, u64)>,
}

impl Plan {
    /// Travel time from `a` to `b` on the plan's first leg (`first`), which may start in motion.
    fn leg(&self, el: &Elevator, a: u32, b: u32, first: bool) -> u64 {
        let kin = &el.cfg.kin;
        match self.trip.filter(|_| first) {
            Some(tr) => {
                let elapsed = el.now - tr.t0;
                if b == a || Dir::of(tr.from, tr.to).ahead(a, b) {
                    kin.travel_ms(tr.from, b).saturating_sub(elapsed)
                } else {
                    kin.travel_ms(tr.from, a).saturating_sub(elapsed) + kin.travel_ms(a, b)
                }
            }
            None => kin.travel_ms(a, b),
        }
    }
}

/// Follows car `c` through `jobs` the way LOOK would serve them: each stop, and when each job's
/// people are all picked up and all dropped off. A group larger than the room left boards in
/// parts, over later rounds. Cost: linear in jobs and floors per stop, no more stops than two
/// passes over the building.
pub fn route(el: &Elevator, c: usize, jobs: &[Job]) -> Plan {
    let car = &el.cars[c];
    let s = &el.cfg.scenario;
    let now = el.now;
    let fixed = (s.door_open_ms + s.door_close_ms + s.dwell_ms) as u64;
    let alight = (s.alight_ms_min as u64 + s.alight_ms_max as u64) / 2;
    let (floor, ready) = match car.trip {
        Some(_) => (el.car_floor_now(car), 0),
        None => {
            let rest = match car.doors {
                super::Doors::Closed => 0,
                super::Doors::Closing => car.until.saturating_sub(now),
                super::Doors::Opening => {
                    car.until.saturating_sub(now) + (s.dwell_ms + s.door_close_ms) as u64
                }
                super::Doors::Open => {
                    let end = match car.dwell_started {
                        Some(t0) => (t0 + s.dwell_ms as u64).max(car.until),
                        None => car.until + s.dwell_ms as u64,
                    };
                    end.saturating_sub(now) + s.door_close_ms as u64
                }
            };
            (car.floor, rest)
        }
    };
    let mut plan = Plan {
        floor,
        ready,
        trip: car.trip,
        stops: Vec::new(),
        times: vec![(NEVER, NEVER); jobs.len()],
    };
    /// Where a job stands: people still to pick up (`pending` while any), people aboard
    /// (`riding` while its drop-off is still to come), and whether the full car left it.
    #[derive(Clone, Copy)]
    struct State {
        left: u32,
        aboard: u32,
        pending: bool,
        riding: bool,
        blocked: bool,
    }
    let mut st: Vec<State> = jobs
        .iter()
        .map(|j| State {
            left: if j.pick.is_some() { j.n } else { 0 },
            aboard: if j.pick.is_none() { j.n } else { 0 },
            pending: j.pick.is_some(),
            riding: j.pick.is_none() && j.drop.is_some(),
            blocked: false,
        })
        .collect();
    // Per floor: how many jobs want a stop there (pick-ups by direction, drop-offs), and the
    // jobs picking up / dropping off there (`by_floor[at[f]..at[f + 1]]`, pick-ups first).
    let nf = el.halls.len();
    const UP: usize = 0;
    const DOWN: usize = 1;
    const DROP: usize = 2;
    let slot = |d: Dir| if d == Dir::Up { UP } else { DOWN };
    let mut want = vec![[0u32; 3]; nf];
    let mut at = vec![0usize; nf + 1];
    for (i, j) in jobs.iter().enumerate() {
        if let Some((f, d)) = j.pick {
            want[f as usize][slot(d)] += 1;
            at[f as usize + 1] += 1;
        } else {
            plan.times[i].0 = 0;
        }
        if let Some(g) = j.drop {
            at[g as usize + 1] += 1;
            if st[i].riding {
                want[g as usize][DROP] += 1;
            }
        }
    }
    for f in 0..nf {
        at[f + 1] += at[f];
    }
    let mut fill = at.clone();
    let mut by_floor = vec![(0usize, false); at[nf]];
    for pass in [true, false] {
        for (i, j) in jobs.iter().enumerate() {
            let f = if pass { j.pick.map(|(f, _)| f) } else { j.drop };
            if let Some(f) = f {
                by_floor[fill[f as usize]] = (i, pass);
                fill[f as usize] += 1;
            }
        }
    }
    let (mut pos, mut t, mut dir) = (floor, ready, car.dir);
    let mut load = car.riders.len() as u32;
    let mut reqs: Vec<Request> = Vec::with_capacity(nf);
    let cap = car.capacity.max(1);
    let rounds: usize = jobs.iter().map(|j| (j.n / cap) as usize).sum();
    // In a saturated building everything past two passes is far off anyway: [`NEVER`].
    let horizon = 2 * nf + 4;
    for _ in 0..(2 * (jobs.len() + rounds) + 2).min(horizon) {
        reqs.clear();
        for (f, w) in want.iter().enumerate() {
            let floor = f as u32;
            if w[DROP] > 0 {
                reqs.push(Request { floor, dir: None });
            }
            if w[UP] > 0 {
                reqs.push(Request {
                    floor,
                    dir: Some(Dir::Up),
                });
            }
            if w[DOWN] > 0 {
                reqs.push(Request {
                    floor,
                    dir: Some(Dir::Down),
                });
            }
        }
        let Some(x) = look_target(pos, dir, &reqs, false) else {
            break;
        };
        t += plan.leg(el, pos, x, plan.stops.is_empty());
        if x != pos {
            dir = Some(Dir::of(pos, x));
        }
        pos = x;
        let xi = x as usize;
        let here = &by_floor[at[xi]..at[xi + 1]];
        let arrive = t;
        let mut people = 0u32;
        let mut outs = 0u64;
        for &(i, pick) in here {
            if pick || !st[i].riding {
                continue;
            }
            let j = &mut st[i];
            j.riding = false;
            want[xi][DROP] -= 1;
            load = load.saturating_sub(j.aboard);
            outs += j.aboard as u64;
            people += j.aboard;
            j.aboard = 0;
            if !j.pending {
                plan.times[i].1 = t;
            }
            // Room again: those left behind for lack of it want their stop back.
            for (b, k) in st.iter_mut().enumerate() {
                if k.blocked {
                    k.blocked = false;
                    if let Some((f, d)) = jobs[b].pick {
                        want[f as usize][slot(d)] += 1;
                    }
                }
            }
        }
        let ahead = |d: Dir| {
            let beyond = if d == Dir::Up {
                &want[xi + 1..]
            } else {
                &want[..xi]
            };
            beyond.iter().any(|w| w.iter().any(|&k| k > 0))
        };
        let stays = |d: Dir| want[xi][slot(d)] > 0;
        dir = match dir {
            Some(d) if ahead(d) || stays(d) => Some(d),
            Some(d) if stays(d.flip()) || ahead(d.flip()) => Some(d.flip()),
            _ => [Dir::Up, Dir::Down]
                .into_iter()
                .find(|&d| stays(d))
                .or_else(|| [Dir::Up, Dir::Down].into_iter().find(|&d| ahead(d))),
        };
        let mut ins = 0u64;
        for &(i, pick) in here {
            let job = &jobs[i];
            let j = &mut st[i];
            let Some((_, d)) = job.pick.filter(|_| pick && j.pending && !j.blocked) else {
                continue;
            };
            if Some(d) != dir {
                continue;
            }
            // Hall calls (destinations unknown) do not count against the load.
            let k = match job.drop {
                Some(_) => j.left.min(car.capacity.saturating_sub(load)),
                None => j.left,
            };
            want[xi][slot(d)] -= 1;
            j.left -= k;
            ins += k as u64;
            match job.drop {
                Some(g) => {
                    load += k;
                    j.aboard += k;
                    if !j.riding {
                        j.riding = true;
                        want[g as usize][DROP] += 1;
                    }
                }
                None => people += k,
            }
            if j.left == 0 {
                j.pending = false;
                plan.times[i].0 = t;
            } else {
                j.blocked = true;
            }
        }
        t += fixed + ins * s.board_ms as u64 + outs * alight;
        plan.stops.push(Stop {
            floor: x,
            arrive,
            leave: t,
            dir,
            people,
        });
    }
    plan
}

/// The jobs car `c` has now under a hall-call dispatcher: its riders and car calls, and the
/// hall calls it answers (as many people as wait there that way).
pub(super) fn hall_jobs(el: &Elevator, c: usize, req: &[Request]) -> Vec<Job> {
    let car = &el.cars[c];
    req.iter()
        .map(|r| match r.dir {
            None => {
                let n = car
                    .riders
                    .iter()
                    .filter(|&&p| el.passengers[p as usize].to == r.floor)
                    .count() as u32;
                Job {
                    pick: None,
                    drop: Some(r.floor),
                    n,
                }
            }
            Some(d) => {
                let n = el.halls[r.floor as usize]
                    .waiting
                    .iter()
                    .filter(|&&p| el.passengers[p as usize].dir() == d)
                    .count();
                Job {
                    pick: Some((r.floor, d)),
                    drop: None,
                    n: (n as u32).max(1),
                }
            }
        })
        .collect()
}

/// What it costs (ms, summed over the people concerned) for car `c`, following `plan`, to
/// also answer the hall call `(f, d)` with `n` people behind it: their wait, plus the delay
/// the extra stop brings everyone served after it. The stop goes where LOOK would make it:
/// on a leg already heading that way, or after the last stop.
pub(super) fn insertion_cost(el: &Elevator, plan: &Plan, f: u32, d: Dir, n: u32) -> u64 {
    let s = &el.cfg.scenario;
    let kin = &el.cfg.kin;
    let fixed = (s.door_open_ms + s.door_close_ms + s.dwell_ms) as u64;
    let board = s.board_ms as u64 * n as u64;
    let stops = &plan.stops;
    let mut after = vec![0u64; stops.len() + 1];
    for k in (0..stops.len()).rev() {
        after[k] = after[k + 1] + stops[k].people as u64;
    }
    let n64 = n as u64;
    let cost =
        |pick: u64, extra: u64, affected: u64| pick * n64 + extra * affected * ETA_DELAY_PCT / 100;
    let (mut prev, mut prev_leave) = (plan.floor, plan.ready);
    let mut best = NEVER;
    for (k, next) in stops.iter().enumerate() {
        let first = k == 0;
        if next.floor == f && next.dir == Some(d) {
            best = best.min(cost(next.arrive, board, after[k + 1]));
        }
        let leaves_that_way = prev != next.floor && Dir::of(prev, next.floor) == d;
        let between = d.ahead(prev, f) || (first && prev == f);
        if leaves_that_way && between && d.ahead(f, next.floor) {
            let to_f = plan.leg(el, prev, f, first);
            let extra = (to_f + fixed + board + kin.travel_ms(f, next.floor))
                .saturating_sub(plan.leg(el, prev, next.floor, first));
            best = best.min(cost(prev_leave + to_f, extra, after[k]));
        }
        prev = next.floor;
        prev_leave = next.leave;
    }
    let to_f = plan.leg(el, prev, f, stops.is_empty());
    best.min(cost(prev_leave + to_f, 0, 0))
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
pub(super) fn committed(el: &Elevator, c: usize, f: u32) -> bool {
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
    let mut plans: Vec<Option<Plan>> = vec![None; n];
    // Reconsidering every assignment is the costly part: at most once a second.
    let review = el.reassigned_at.is_none_or(|t| el.now >= t + REVIEW_MS);
    if review {
        el.reassigned_at = Some(el.now);
    }
    let mut script_error: Option<String> = None;
    for f in 0..el.halls.len() as u32 {
        for d in [Dir::Up, Dir::Down] {
            if let Some(message) = script_error.take() {
                el.script_failed(message, out);
            }
            let Some(call) = el.halls[f as usize].call(d) else {
                continue;
            };
            if kind == DispatcherKind::Destination
                && el.halls[f as usize]
                    .waiting
                    .iter()
                    .any(|&p| el.passengers[p as usize].dir() == d)
            {
                continue;
            }
            let current = call.assigned.filter(|&a| eligible(el, a as usize, f, d));
            let keep = match kind {
                DispatcherKind::Eta | DispatcherKind::Destination | DispatcherKind::Script => {
                    current.is_some_and(|a| !review || committed(el, a as usize, f))
                }
                _ => current.is_some(),
            };
            if keep {
                continue;
            }
            let candidates: Vec<usize> = (0..n).filter(|&c| eligible(el, c, f, d)).collect();
            let best = match kind {
                DispatcherKind::NearestCar => candidates
                    .iter()
                    .copied()
                    .min_by_key(|&c| (nearest_cost(el, c, f, d), c)),
                DispatcherKind::Zoning => {
                    let zoned: Vec<usize> = candidates
                        .iter()
                        .copied()
                        .filter(|&c| zone_holds(el, c, f))
                        .collect();
                    let pool = if zoned.is_empty() {
                        &candidates
                    } else {
                        &zoned
                    };
                    pool.iter()
                        .copied()
                        .min_by_key(|&c| (nearest_cost(el, c, f, d), c))
                }
                DispatcherKind::Collective => {
                    // A car already heading this way with room will stop; otherwise send the
                    // nearest idle car, or failing one, the car that can be there soonest.
                    let passing = candidates.iter().any(|&c| {
                        let car = &el.cars[c];
                        car.trip.is_some()
                            && car.dir == Some(d)
                            && d.ahead(el.car_floor_now(car), f)
                    });
                    let idle = candidates
                        .iter()
                        .copied()
                        .filter(|&c| el.cars[c].trip.is_none() && el.cars[c].dir.is_none())
                        .min_by_key(|&c| (el.car_floor_now(&el.cars[c]).abs_diff(f), c));
                    if passing {
                        None
                    } else if idle.is_some() {
                        idle
                    } else {
                        candidates.iter().copied().min_by_key(|&c| {
                            let plan = plans[c].get_or_insert_with(|| {
                                route(el, c, &hall_jobs(el, c, &requests(el, c).0))
                            });
                            (insertion_cost(el, plan, f, d, 1), c)
                        })
                    }
                }
                DispatcherKind::Script => {
                    let (best, error) =
                        super::script_dispatch::choose(el, &candidates, f, d, current, &mut plans);
                    if let Some(message) = error {
                        script_error = Some(message);
                    }
                    best
                }
                DispatcherKind::Eta | DispatcherKind::Destination => {
                    let n_wait = (el.halls[f as usize]
                        .waiting
                        .iter()
                        .filter(|&&p| el.passengers[p as usize].dir() == d)
                        .count() as u32)
                        .max(1);
                    let mut best: Option<(u64, usize)> = None;
                    for &c in &candidates {
                        let plan = plans[c].get_or_insert_with(|| {
                            let r = requests(el, c).0;
                            route(el, c, &hall_jobs(el, c, &r))
                        });
                        let mut cost = insertion_cost(el, plan, f, d, n_wait);
                        if Some(c as u32) == current {
                            cost = cost.saturating_sub(STICK_MS * n_wait as u64);
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
                if let Some(call) =
                    &mut el.halls[f as usize].calls[if d == Dir::Up { 0 } else { 1 }]
                {
                    call.assigned = new;
                }
                if let Some(c) = new {
                    out.emit(
                        el.now,
                        Event::Assign {
                            car: c,
                            floor: f,
                            dir: d,
                        },
                    );
                    plans[c as usize] = None;
                }
                if let Some(old) = call.assigned {
                    plans[old as usize] = None;
                }
            }
        }
    }
    if let Some(message) = script_error.take() {
        el.script_failed(message, out);
    }
    if kind == DispatcherKind::Eta {
        send_helpers(el);
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

/// Where more people wait than the cars answering can take, sends free cars too (nearest
/// first). A car is free when it has no riders, no car calls and no hall call of its own.
fn send_helpers(el: &mut Elevator) {
    let n = el.cars.len();
    let assigned: Vec<bool> = (0..n)
        .map(|c| {
            el.halls.iter().any(|h| {
                h.calls
                    .iter()
                    .flatten()
                    .any(|call| call.assigned == Some(c as u32))
            })
        })
        .collect();
    let mut free: Vec<usize> = (0..n)
        .filter(|&c| {
            let car = &el.cars[c];
            car.service == Service::Normal
                && !car.recalled
                && car.riders.is_empty()
                && car.car_calls.is_empty()
                && !assigned[c]
        })
        .collect();
    for f in 0..el.halls.len() {
        for d in [Dir::Up, Dir::Down] {
            let Some(call) = el.halls[f].call(d) else {
                continue;
            };
            let mut helpers = 0u32;
            if !free.is_empty() {
                let waiting = el.halls[f]
                    .waiting
                    .iter()
                    .filter(|&&p| el.passengers[p as usize].dir() == d)
                    .count() as u32;
                let mut room = call.assigned.map_or(0, |a| {
                    let car = &el.cars[a as usize];
                    car.capacity.saturating_sub(car.riders.len() as u32)
                });
                let floor = f as u32;
                while room < waiting && !free.is_empty() {
                    let Some(k) = (0..free.len())
                        .filter(|&k| eligible(el, free[k], floor, d))
                        .min_by_key(|&k| {
                            (
                                el.cfg
                                    .kin
                                    .travel_ms(el.car_floor_now(&el.cars[free[k]]), floor),
                                free[k],
                            )
                        })
                    else {
                        break;
                    };
                    let c = free.remove(k);
                    helpers |= 1 << c;
                    room += el.cars[c].capacity;
                }
            }
            if let Some(call) = &mut el.halls[f].calls[if d == Dir::Up { 0 } else { 1 }] {
                call.helpers = helpers;
            }
        }
    }
}

/// Destination dispatch by estimated time to destination: tells passenger `p` the car that
/// brings them to their floor soonest, counting the delay their stops add for everyone that
/// car already carries or was told to take ([`route`] with and without them).
pub fn assign_destination(el: &mut Elevator, p: Pid, out: &mut dyn Emit<Event>) {
    let pass = el.passengers[p as usize].clone();
    let (f, g, d) = (pass.from, pass.to, pass.dir());
    let s = &el.cfg.scenario;
    let ext = (s.dwell_ms + s.board_ms) as u64;
    let mut best: Option<(u64, usize)> = None;
    for (c, mut jobs) in destination_jobs(el, p).into_iter().enumerate() {
        let car = &el.cars[c];
        if car.service != Service::Normal
            || car.recalled
            || !el.cfg.serves(c as u32, f)
            || !el.cfg.serves(c as u32, g)
        {
            continue;
        }
        let base = route(el, c, &jobs);
        jobs.push(Job {
            pick: Some((f, d)),
            drop: Some(g),
            n: 1,
        });
        let with = route(el, c, &jobs);
        let (pick, drop) = with.times[jobs.len() - 1];
        let mut cost = if drop >= NEVER {
            UNAVAILABLE_MS * 10
        } else {
            pick * DD_WAIT_PCT / 100 + (drop - pick)
        };
        for (i, j) in jobs[..jobs.len() - 1].iter().enumerate() {
            let key = |t: (u64, u64)| if j.drop.is_some() { t.1 } else { t.0 };
            let (b, w) = (key(base.times[i]).min(NEVER), key(with.times[i]).min(NEVER));
            // Someone it could no longer reach counts as a long delay, not an endless one.
            cost += w.saturating_sub(b).min(UNAVAILABLE_MS) * j.n.max(1) as u64;
        }
        // Standing here with its doors open: one more to let in keeps everyone a little longer.
        if car.trip.is_none()
            && car.floor == f
            && car.doors != super::Doors::Closed
            && car.dwell_started.is_some()
        {
            cost += ext * (car.riders.len() as u64 + jobs.len() as u64 - 1);
        }
        if !el.could_ride(c, p) {
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

/// The jobs of every car under destination dispatch, where every passenger's destination is
/// known: its riders, the passengers told to take it, and bare presses; without passenger
/// `skip`. One pass over the halls for all cars.
fn destination_jobs(el: &Elevator, skip: Pid) -> Vec<Vec<Job>> {
    let mut all: Vec<Vec<Job>> = el
        .cars
        .iter()
        .map(|car| {
            let mut floors: std::collections::BTreeSet<u32> = car.car_calls.clone();
            floors.extend(car.riders.iter().map(|&q| el.passengers[q as usize].to));
            floors
                .into_iter()
                .map(|g| {
                    let n = car
                        .riders
                        .iter()
                        .filter(|&&q| el.passengers[q as usize].to == g)
                        .count();
                    Job {
                        pick: None,
                        drop: Some(g),
                        n: n as u32,
                    }
                })
                .collect()
        })
        .collect();
    for (f, h) in el.halls.iter().enumerate() {
        let floor_starts: Vec<usize> = all.iter().map(Vec::len).collect();
        for &q in &h.waiting {
            let pass = &el.passengers[q as usize];
            if let Some(c) = pass.assigned.filter(|_| q != skip) {
                // People with the same floors travel as one group: plans stay small however
                // many wait.
                let (pick, drop) = (Some((f as u32, pass.dir())), Some(pass.to));
                let jobs = &mut all[c as usize];
                let this_floor = &mut jobs[floor_starts[c as usize]..];
                match this_floor
                    .iter_mut()
                    .find(|j| j.pick == pick && j.drop == drop)
                {
                    Some(j) => j.n += 1,
                    None => jobs.push(Job { pick, drop, n: 1 }),
                }
            }
        }
        for d in [Dir::Up, Dir::Down] {
            if let Some(c) = h.call(d).and_then(|call| call.assigned) {
                all[c as usize].push(Job {
                    pick: Some((f as u32, d)),
                    drop: None,
                    n: 0,
                });
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::super::{Pattern, Scenario};
    use super::*;
    use crate::sim::{Simulation, Time};

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
        assert_eq!(
            look_target(8, down, &[r(2, up), r(5, down)], false),
            Some(5)
        );
    }

    fn quiet(dispatcher: DispatcherKind) -> Scenario {
        let mut s = Scenario {
            dispatcher,
            ..Scenario::default()
        };
        s.traffic.pattern = Pattern::None;
        s
    }

    #[test]
    fn route_follows_look_and_counts_stops() {
        let el = Elevator::new(&quiet(DispatcherKind::Eta)).expect("valid");
        let job = |pick: Option<(u32, Dir)>, drop: Option<u32>| Job { pick, drop, n: 1 };
        // Car 0 idle at the lobby: drop at 5; pick up at 3 going up to 8; pick up at 6 going down to 1.
        let jobs = [
            job(None, Some(5)),
            job(Some((3, Dir::Up)), Some(8)),
            job(Some((6, Dir::Down)), Some(1)),
        ];
        let plan = route(&el, 0, &jobs);
        let floors: Vec<u32> = plan.stops.iter().map(|x| x.floor).collect();
        assert_eq!(floors, [3, 5, 8, 6, 1]);
        assert!(plan.stops.windows(2).all(|w| w[0].leave <= w[1].arrive));
        let (t3, t5, t8) = (
            plan.stops[0].arrive,
            plan.stops[1].arrive,
            plan.stops[2].arrive,
        );
        assert_eq!(
            plan.times,
            [
                (0, t5),
                (t3, t8),
                (plan.stops[3].arrive, plan.stops[4].arrive)
            ]
        );
        // Stopping at 3 costs the stop time and the slower trip, not just the travel.
        let kin = &el.cfg.kin;
        assert!(
            t5 >= kin.travel_ms(0, 3) + kin.travel_ms(3, 5) + el.cfg.stop_ms()
                - el.cfg.scenario.board_ms as u64
        );
    }

    #[test]
    fn insertion_on_the_way_is_cheaper_than_after_turning() {
        let el = Elevator::new(&quiet(DispatcherKind::Eta)).expect("valid");
        let plan = route(
            &el,
            0,
            &[Job {
                pick: None,
                drop: Some(10),
                n: 1,
            }],
        );
        let on_the_way = insertion_cost(&el, &plan, 5, Dir::Up, 1);
        let after_turning = insertion_cost(&el, &plan, 5, Dir::Down, 1);
        assert!(
            on_the_way < after_turning,
            "{on_the_way} vs {after_turning}"
        );
        // Beyond the last stop nobody else is delayed: just the caller's wait.
        let beyond = insertion_cost(&el, &plan, 11, Dir::Down, 1);
        assert_eq!(beyond, plan.stops[0].leave + el.cfg.kin.travel_ms(10, 11));
    }

    /// When the first car with a passenger bound for floor 5 leaves the lobby.
    fn departs(s: &Scenario) -> Time {
        let mut el = Elevator::new(s).expect("valid");
        let mut out: Vec<(Time, Event)> = Vec::new();
        el.apply(&super::super::Command::Spawn { from: 0, to: 5 }, &mut out)
            .expect("spawn");
        el.advance_to(60_000, &mut out);
        out.iter()
            .find_map(|(t, e)| matches!(e, Event::Depart { from: 0, .. }).then_some(*t))
            .expect("departs")
    }

    #[test]
    fn hold_for_load_keeps_a_light_car_waiting() {
        let plain = quiet(DispatcherKind::NearestCar);
        let held = Scenario {
            hold_riders: 4,
            hold_ms: 20_000,
            ..plain.clone()
        };
        let (a, b) = (departs(&plain), departs(&held));
        assert!(
            a < 10_000 && b >= 20_000,
            "left at {a} ms without hold, {b} ms with"
        );
    }

    #[test]
    fn best_dispatcher_beats_nearest_car_in_up_peak() {
        let text = include_str!("../../tests/data/up-peak-20x6.json");
        let base: Scenario = serde_json::from_str(text).expect("scenario");
        let mean_wait = |d: DispatcherKind| -> u64 {
            (1..=3)
                .map(|seed| {
                    let mut el = Elevator::new(&Scenario {
                        seed,
                        dispatcher: d,
                        ..base.clone()
                    })
                    .expect("valid");
                    el.advance_to(3_600_000, &mut Vec::new());
                    el.metrics().summary("wait_ms").mean
                })
                .sum::<u64>()
                / 3
        };
        let (nearest, eta) = (
            mean_wait(DispatcherKind::NearestCar),
            mean_wait(DispatcherKind::Eta),
        );
        assert!(
            eta * 100 <= nearest * 85,
            "eta {eta} ms vs nearest_car {nearest} ms"
        );
    }
}
