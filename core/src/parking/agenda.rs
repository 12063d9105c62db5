//! The parking lab's agenda: everything due at a time, taken in `(time, sequence)` order, the
//! sequence numbering things in the order they were scheduled, so simultaneous things happen in
//! that order.
//!
//! One binary heap would do, but most of what a busy garage schedules is either one of a few
//! standing appointments or due after a delay that is the same all run long, and a heap of a
//! few thousand departures makes every one of those pay a climb down and up the heap. So the
//! agenda keeps lanes, each already in order, and takes the earliest head:
//!
//! | lane | holds | why it is in order |
//! |---|---|---|
//! | gates | each gate's next step (at most one per gate) | one slot per gate, scanned |
//! | traffic, refresh | the next background arrival, the next display refresh | one slot each |
//! | drives | vehicles reaching their spot, `drive_ms` after their ticket | a fixed delay from a clock that only moves forward: first in, first due |
//! | leases | lease timeouts, `lease_ms` after the read | likewise |
//! | heap | departures, EV limits, hold expiries, pre-booked arrivals, stadium crowds | a binary heap |
//!
//! Keys are unique, so taking the smallest head each time yields exactly the order one heap of
//! everything would.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::sim::Time;

/// When something is due, and its place among things due at the same time.
pub(super) type Key = (Time, u64);

/// A key as one number that compares the same way: time in the high half, sequence in the low.
type Packed = u128;

/// An empty slot: later than any key.
const EMPTY: Packed = Packed::MAX;

fn pack((t, seq): Key) -> Packed {
    ((t as Packed) << 64) | seq as Packed
}

fn unpack(p: Packed) -> Key {
    ((p >> 64) as Time, p as u64)
}

/// Something due at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Due {
    TrafficArrival,
    BurstArrival {
        left: u32,
    },
    /// A pre-booked vehicle reaches the entry.
    Comes(u64),
    GateStep(usize),
    Parks(u64),
    Departs(u64),
    EvLimit(u64),
    LeaseExpires {
        spot: u32,
        token: u64,
    },
    HoldExpires(u64),
    Refresh,
}

/// An agenda entry, ordered by its key alone.
#[derive(Clone, Copy, Debug)]
struct Scheduled {
    at: Key,
    due: Due,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

/// Where the earliest entry waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    Gate(usize),
    Traffic,
    Refresh,
    Drives,
    Leases,
    Heap,
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub(super) struct Agenda {
    seq: u64,
    /// The slots, [`EMPTY`] when nothing is scheduled.
    gates: Vec<Packed>,
    traffic: Packed,
    refresh: Packed,
    drives: VecDeque<(Key, u64)>,
    leases: VecDeque<(Key, u32, u64)>,
    heap: BinaryHeap<Reverse<Scheduled>>,
}

impl Agenda {
    pub(super) fn new(gates: usize) -> Agenda {
        Agenda {
            seq: 0,
            gates: vec![EMPTY; gates],
            traffic: EMPTY,
            refresh: EMPTY,
            drives: VecDeque::new(),
            leases: VecDeque::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// Schedules `due` at `t` and returns its key.
    pub(super) fn at(&mut self, t: Time, due: Due) -> Key {
        let key = (t, self.seq);
        self.seq += 1;
        match due {
            Due::GateStep(g) => {
                debug_assert!(self.gates[g] == EMPTY, "one step per gate");
                self.gates[g] = pack(key);
            }
            Due::TrafficArrival => {
                debug_assert!(self.traffic == EMPTY, "one traffic arrival at a time");
                self.traffic = pack(key);
            }
            Due::Refresh => {
                debug_assert!(self.refresh == EMPTY, "one refresh at a time");
                self.refresh = pack(key);
            }
            Due::Parks(v) => {
                debug_assert!(self.drives.back().is_none_or(|b| b.0 <= key));
                self.drives.push_back((key, v));
            }
            Due::LeaseExpires { spot, token } => {
                debug_assert!(self.leases.back().is_none_or(|b| b.0 <= key));
                self.leases.push_back((key, spot, token));
            }
            _ => self.heap.push(Reverse(Scheduled { at: key, due })),
        }
        key
    }

    /// The lane holding the earliest entry, and its key.
    fn first(&self) -> Option<(Key, Lane)> {
        let mut best = EMPTY;
        let mut lane = Lane::Heap;
        for (g, &k) in self.gates.iter().enumerate() {
            if k < best {
                best = k;
                lane = Lane::Gate(g);
            }
        }
        for (k, l) in [
            (self.traffic, Lane::Traffic),
            (self.refresh, Lane::Refresh),
            (
                self.drives.front().map_or(EMPTY, |e| pack(e.0)),
                Lane::Drives,
            ),
            (
                self.leases.front().map_or(EMPTY, |e| pack(e.0)),
                Lane::Leases,
            ),
            (self.heap.peek().map_or(EMPTY, |e| pack(e.0.at)), Lane::Heap),
        ] {
            if k < best {
                best = k;
                lane = l;
            }
        }
        (best != EMPTY).then(|| (unpack(best), lane))
    }

    /// The time of the earliest entry.
    pub(super) fn next_time(&self) -> Option<Time> {
        self.first().map(|(k, _)| k.0)
    }

    /// Takes the earliest entry if it is due at or before `t`.
    pub(super) fn pop_until(&mut self, t: Time) -> Option<(Key, Due)> {
        let (key, lane) = self.first().filter(|(k, _)| k.0 <= t)?;
        let due = match lane {
            Lane::Gate(g) => {
                self.gates[g] = EMPTY;
                Due::GateStep(g)
            }
            Lane::Traffic => {
                self.traffic = EMPTY;
                Due::TrafficArrival
            }
            Lane::Refresh => {
                self.refresh = EMPTY;
                Due::Refresh
            }
            Lane::Drives => Due::Parks(self.drives.pop_front()?.1),
            Lane::Leases => {
                let (_, spot, token) = self.leases.pop_front()?;
                Due::LeaseExpires { spot, token }
            }
            Lane::Heap => self.heap.pop()?.0.due,
        };
        Some((key, due))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The agenda hands out entries exactly as one heap of everything would.
    #[test]
    fn lanes_merge_into_the_order_of_one_heap() {
        let mut rng = crate::rng::Rng::new(7);
        let mut agenda = Agenda::new(3);
        let mut oracle: BinaryHeap<Reverse<Scheduled>> = BinaryHeap::new();
        let mut now: Time = 0;
        let mut got = Vec::new();
        let mut want = Vec::new();
        for _ in 0..5_000 {
            // Schedule a few things from now, as the lab would, then take what is due.
            for _ in 0..rng.below(3) {
                let due = match rng.below(6) {
                    0 => Due::Parks(rng.below(100)),
                    1 => Due::LeaseExpires {
                        spot: rng.below(10) as u32,
                        token: rng.below(10),
                    },
                    2 => Due::GateStep(rng.below(3) as usize),
                    3 => Due::Refresh,
                    4 => Due::TrafficArrival,
                    _ => Due::Departs(rng.below(100)),
                };
                let t = match due {
                    Due::Parks(_) => now + 45,
                    Due::LeaseExpires { .. } => now + 30,
                    _ => now + rng.below(100),
                };
                let free = match due {
                    Due::GateStep(g) => agenda.gates[g] == EMPTY,
                    Due::Refresh => agenda.refresh == EMPTY,
                    Due::TrafficArrival => agenda.traffic == EMPTY,
                    _ => true,
                };
                if free {
                    let at = agenda.at(t, due);
                    oracle.push(Reverse(Scheduled { at, due }));
                }
            }
            now += rng.below(20);
            while let Some(e) = agenda.pop_until(now) {
                got.push(e);
            }
            while oracle.peek().is_some_and(|e| e.0.at.0 <= now) {
                let e = oracle.pop().expect("peeked").0;
                want.push((e.at, e.due));
            }
            assert_eq!(agenda.next_time(), oracle.peek().map(|e| e.0.at.0));
        }
        assert!(got.len() > 1_000);
        assert_eq!(got, want);
    }
}
