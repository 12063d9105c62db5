//! The lot: levels of rows of spots, the fit rules, and the index of free spots that the
//! allocation strategies search.
//!
//! A spot is named by level, row letter and position: `2B07` is level 2, row B, spot 7.
//! Each row runs away from the lift, so a spot's walk (metres to the lift, plus a climb per
//! level) grows with its position:
//!
//! ```text
//!  level 1   lift ─ A01 A02 A03 … A20      walk(spot) = 40·(level−1) + 6·row + 3·(pos−1)
//!                 ─ B01 B02 B03 … B20
//! ```
//!
//! **Fit rules** (seed 001 Q56, extended): a motorcycle fits anywhere general; a car in a
//! compact or large spot; vans and trucks in a large spot; a bus only in `bus_spots`
//! consecutive large spots of one row. The special spots need an entitlement:
//!
//! | vehicle \ spot | motorcycle | compact | large | handicapped | EV | reserved |
//! |---|---|---|---|---|---|---|
//! | motorcycle | yes | yes | yes | permit | no | subscriber |
//! | car | no | yes | yes | permit | EV only | subscriber |
//! | van | no | no | yes | permit | no | subscriber |
//! | truck | no | no | yes | no | no | no |
//! | bus | no | no | a run of large | no | no | no |
//!
//! A vehicle entitled to a special spot (a permit, an EV, a subscription) is offered that spot
//! first under every strategy, then the general spots in the strategy's order:
//!
//! | strategy | general spots tried in the order of |
//! |---|---|
//! | `first_fit` | level, row, position (the seed's linear scan) |
//! | `nearest` | walk to the lift, then position |
//! | `spread` | the level with the most free spots first (no clustering), then position |
//! | `best_fit` | smallest fitting type first (motorcycle, compact, large), then position |
//!
//! **Free index.** A spot is *free in the table* when no vehicle is assigned to it and no gate,
//! lease or reservation claims it. The free spots sit in one ordered set per (level, type),
//! keyed by position or by walk, so a search costs a few B-tree look-ups, not a scan.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The kinds of spot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpotType {
    Motorcycle,
    Compact,
    Large,
    Handicapped,
    Ev,
    Reserved,
}

impl SpotType {
    pub const ALL: [SpotType; 6] = [
        SpotType::Motorcycle,
        SpotType::Compact,
        SpotType::Large,
        SpotType::Handicapped,
        SpotType::Ev,
        SpotType::Reserved,
    ];

    /// The one-letter code of a floor plan: `m c L h e r`.
    pub fn code(self) -> char {
        match self {
            SpotType::Motorcycle => 'm',
            SpotType::Compact => 'c',
            SpotType::Large => 'L',
            SpotType::Handicapped => 'h',
            SpotType::Ev => 'e',
            SpotType::Reserved => 'r',
        }
    }

    pub fn from_code(c: char) -> Option<SpotType> {
        SpotType::ALL.into_iter().find(|t| t.code() == c)
    }

    pub fn name(self) -> &'static str {
        match self {
            SpotType::Motorcycle => "motorcycle",
            SpotType::Compact => "compact",
            SpotType::Large => "large",
            SpotType::Handicapped => "handicapped",
            SpotType::Ev => "ev",
            SpotType::Reserved => "reserved",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The kinds of vehicle.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum VehicleType {
    Motorcycle,
    #[default]
    Car,
    Van,
    Truck,
    Bus,
}

impl VehicleType {
    pub const ALL: [VehicleType; 5] = [
        VehicleType::Motorcycle,
        VehicleType::Car,
        VehicleType::Van,
        VehicleType::Truck,
        VehicleType::Bus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            VehicleType::Motorcycle => "motorcycle",
            VehicleType::Car => "car",
            VehicleType::Van => "van",
            VehicleType::Truck => "truck",
            VehicleType::Bus => "bus",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A vehicle as the lot sees it: its type and what it is entitled to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub kind: VehicleType,
    /// An electric vehicle that wants a charger.
    pub ev: bool,
    /// A handicapped permit.
    pub permit: bool,
    /// A monthly subscriber.
    pub subscriber: bool,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        for (on, tag) in [
            (self.ev, "EV"),
            (self.permit, "permit"),
            (self.subscriber, "subscriber"),
        ] {
            if on {
                write!(f, " {tag}")?;
            }
        }
        Ok(())
    }
}

/// Whether one spot of type `spot` can take this vehicle (a bus needs a run of them; see
/// [`Lot::find`]).
pub fn fits(p: Profile, spot: SpotType) -> bool {
    use SpotType as S;
    use VehicleType as V;
    match (p.kind, spot) {
        (V::Motorcycle, S::Motorcycle | S::Compact | S::Large) => true,
        (V::Car, S::Compact | S::Large) => true,
        (V::Van | V::Truck | V::Bus, S::Large) => true,
        (V::Motorcycle | V::Car | V::Van, S::Handicapped) => p.permit,
        (V::Car, S::Ev) => p.ev,
        (V::Motorcycle | V::Car | V::Van, S::Reserved) => p.subscriber,
        _ => false,
    }
}

/// The special spot types, in the order an entitled vehicle is offered them.
const SPECIAL: [SpotType; 3] = [SpotType::Handicapped, SpotType::Ev, SpotType::Reserved];

/// The general spot types, smallest first.
const GENERAL: [SpotType; 3] = [SpotType::Motorcycle, SpotType::Compact, SpotType::Large];

/// The general spot types that fit this vehicle, smallest first, without allocating.
fn general(p: Profile) -> ([SpotType; 3], usize) {
    let mut out = GENERAL;
    let mut n = 0;
    for t in GENERAL {
        if fits(p, t) {
            out[n] = t;
            n += 1;
        }
    }
    (out, n)
}

/// How an entry gate chooses among free spots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    #[default]
    FirstFit,
    Nearest,
    Spread,
    BestFit,
}

impl Strategy {
    pub const ALL: [Strategy; 4] = [
        Strategy::FirstFit,
        Strategy::Nearest,
        Strategy::Spread,
        Strategy::BestFit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::FirstFit => "first_fit",
            Strategy::Nearest => "nearest",
            Strategy::Spread => "spread",
            Strategy::BestFit => "best_fit",
        }
    }
}

/// What keeps a spot out of the free index besides an assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Unclaimed,
    /// A lease with a fencing token, valid until a time (the `lease` control).
    Lease {
        gate: usize,
        token: u64,
        until: u64,
    },
    /// A row lock held by a gate's open transaction (the `skip_locked` control).
    RowLock {
        gate: usize,
    },
    /// A pre-booking's hold, until a time.
    Hold {
        reservation: u64,
        until: u64,
    },
}

/// What an occupancy sensor reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorState {
    /// Reports what is physically there.
    #[default]
    Working,
    /// Always reports a vehicle.
    StuckOccupied,
    /// Always reports an empty spot.
    StuckFree,
}

/// The vehicles at one spot, in the order they came: none or one without a heap allocation
/// (vehicle ids count from 1, so `first == 0` is none); a second and later, which only a double
/// assignment brings, go to `more`. Spots are scanned and cloned in bulk, so they stay flat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    first: u64,
    more: Vec<u64>,
}

impl Ids {
    pub fn is_empty(&self) -> bool {
        self.first == 0
    }

    pub fn len(&self) -> usize {
        (self.first != 0) as usize + self.more.len()
    }

    pub fn first(&self) -> Option<u64> {
        (self.first != 0).then_some(self.first)
    }

    /// Adds vehicle `v` (an id from 1).
    pub fn push(&mut self, v: u64) {
        debug_assert!(v != 0, "vehicle ids count from 1");
        if self.first == 0 {
            self.first = v;
        } else {
            self.more.push(v);
        }
    }

    /// Removes vehicle `v`, keeping the others in order.
    pub fn remove(&mut self, v: u64) {
        if self.more.is_empty() {
            if self.first == v {
                self.first = 0;
            }
            return;
        }
        let mut rest = self.to_vec();
        rest.retain(|&x| x != v);
        *self = Ids::default();
        for x in rest {
            self.push(x);
        }
    }

    pub fn clear(&mut self) {
        *self = Ids::default();
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.first().into_iter().chain(self.more.iter().copied())
    }

    pub fn to_vec(&self) -> Vec<u64> {
        self.iter().collect()
    }
}

/// Spots `first .. first + len` of the table: one spot, or a bus's run along one row (the
/// indices of a row are consecutive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub first: u32,
    pub len: u32,
}

impl Span {
    pub fn one(i: u32) -> Span {
        Span { first: i, len: 1 }
    }

    pub fn iter(self) -> std::ops::Range<u32> {
        self.first..self.first + self.len
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The first spot, if any.
    pub fn head(self) -> Option<u32> {
        (self.len > 0).then_some(self.first)
    }
}

/// One spot: its place, its row in the shared spot table, and what is physically there.
#[derive(Clone, Debug)]
pub struct Spot {
    pub level: u32,
    pub row: u32,
    /// 1-based position along the row.
    pub pos: u32,
    pub kind: SpotType,
    /// Metres to the lift.
    pub walk: u32,
    /// Vehicles the spot table assigns here. More than one is the double assignment.
    pub holders: Ids,
    /// Bumped by every write: the version a compare-and-swap compares.
    pub version: u64,
    /// The newest lease token issued for this spot; a write with an older one is fenced off.
    pub fence: u64,
    pub claim: Claim,
    /// Vehicles physically parked here.
    pub parked: Ids,
    pub sensor: SensorState,
}

impl Spot {
    /// Free in the table: nobody assigned, nothing claims it.
    pub fn is_free(&self) -> bool {
        self.holders.is_empty() && self.claim == Claim::Unclaimed
    }

    /// What the sensor says: occupied or not.
    pub fn sensed(&self) -> bool {
        match self.sensor {
            SensorState::Working => !self.parked.is_empty(),
            SensorState::StuckOccupied => true,
            SensorState::StuckFree => false,
        }
    }
}

/// Formats a spot name like `2B07`.
pub fn spot_name(level: u32, row: u32, pos: u32) -> String {
    let letter = (b'A' + (row % 26) as u8) as char;
    format!("{}{letter}{pos:02}", level + 1)
}

/// Why a search found nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoSpot {
    /// No spot at all is free in the table.
    Full,
    /// Spots are free, but none (or no run of them) fits this vehicle.
    NoFit,
}

/// The lot: every spot in level, row, position order, and the free index.
#[derive(Clone, Debug)]
pub struct Lot {
    pub spots: Vec<Spot>,
    pub levels: u32,
    /// `rows[level]` is a list of `(first spot index, length)`.
    pub rows: Vec<Vec<(u32, u32)>>,
    strategy: Strategy,
    /// `free[level * 6 + type]`: free spots as `(key, index)`, the key being the walk under
    /// `nearest` and the index otherwise.
    free: Vec<BTreeSet<(u32, u32)>>,
    /// Spots per level.
    level_size: Vec<u32>,
}

impl Lot {
    /// Builds a lot from a plan: levels of rows of spot codes (`m c L h e r`).
    pub fn from_plan(plan: &[Vec<String>], strategy: Strategy) -> Result<Lot, String> {
        if plan.is_empty() || plan.len() > 20 {
            return Err(format!(
                "plan: a lot has 1 to 20 levels, not {}",
                plan.len()
            ));
        }
        let mut spots = Vec::new();
        let mut rows = Vec::new();
        for (l, level) in plan.iter().enumerate() {
            if level.is_empty() || level.len() > 26 {
                return Err(format!(
                    "plan: level {} has {} rows; a level has 1 to 26",
                    l + 1,
                    level.len()
                ));
            }
            let mut level_rows = Vec::new();
            for (r, row) in level.iter().enumerate() {
                let n = row.chars().count();
                if n == 0 || n > 999 {
                    return Err(format!(
                        "plan: row {} has {n} spots; a row has 1 to 999",
                        spot_name(l as u32, r as u32, 1)
                    ));
                }
                level_rows.push((spots.len() as u32, n as u32));
                for (p, c) in row.chars().enumerate() {
                    let kind = SpotType::from_code(c).ok_or_else(|| {
                        format!(
                            "plan: spot {} is {c:?}; codes are m c L h e r",
                            spot_name(l as u32, r as u32, p as u32 + 1)
                        )
                    })?;
                    spots.push(Spot {
                        level: l as u32,
                        row: r as u32,
                        pos: p as u32 + 1,
                        kind,
                        walk: 40 * l as u32 + 6 * r as u32 + 3 * p as u32,
                        holders: Ids::default(),
                        version: 0,
                        fence: 0,
                        claim: Claim::Unclaimed,
                        parked: Ids::default(),
                        sensor: SensorState::Working,
                    });
                }
            }
            rows.push(level_rows);
        }
        if spots.len() > 100_000 {
            return Err(format!("plan: at most 100000 spots, not {}", spots.len()));
        }
        let levels = plan.len() as u32;
        let mut level_size = vec![0; levels as usize];
        for s in &spots {
            level_size[s.level as usize] += 1;
        }
        let mut lot = Lot {
            spots,
            levels,
            rows,
            strategy,
            free: Vec::new(),
            level_size,
        };
        lot.rebuild_index();
        Ok(lot)
    }

    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Changes the strategy and rebuilds the free index for its key.
    pub fn set_strategy(&mut self, strategy: Strategy) {
        self.strategy = strategy;
        self.rebuild_index();
    }

    fn rebuild_index(&mut self) {
        self.free = vec![BTreeSet::new(); self.levels as usize * 6];
        for i in 0..self.spots.len() as u32 {
            if self.spots[i as usize].is_free() {
                self.index_insert(i);
            }
        }
    }

    fn slot(&self, i: u32) -> (usize, (u32, u32)) {
        let s = &self.spots[i as usize];
        let key = match self.strategy {
            Strategy::Nearest => s.walk,
            _ => i,
        };
        (s.level as usize * 6 + s.kind.index(), (key, i))
    }

    fn index_insert(&mut self, i: u32) {
        let (b, k) = self.slot(i);
        self.free[b].insert(k);
    }

    fn index_remove(&mut self, i: u32) {
        let (b, k) = self.slot(i);
        self.free[b].remove(&k);
    }

    /// Re-files spot `i` after its holders or claim changed.
    pub fn refile(&mut self, i: u32) {
        if self.spots[i as usize].is_free() {
            self.index_insert(i);
        } else {
            self.index_remove(i);
        }
    }

    pub fn name(&self, i: u32) -> String {
        let s = &self.spots[i as usize];
        spot_name(s.level, s.row, s.pos)
    }

    /// Finds a spot by its name (`2B07`: level 2, row B, position 7).
    pub fn by_name(&self, name: &str) -> Option<u32> {
        let at = name.find(|c: char| c.is_ascii_alphabetic())?;
        let (level, rest) = name.split_at(at);
        let mut chars = rest.chars();
        let letter = chars.next()?;
        let level: u32 = level.parse().ok()?;
        let pos: u32 = chars.as_str().parse().ok()?;
        let row = (letter as u32).checked_sub('A' as u32)?;
        let &(first, len) = self
            .rows
            .get(level.checked_sub(1)? as usize)?
            .get(row as usize)?;
        let i = first + pos.checked_sub(1)?;
        // Names are canonical (`1A01`, not `1A1`): the round trip must match.
        (pos <= len && self.name(i) == name).then_some(i)
    }

    /// Spots free in the table, in all.
    pub fn free_total(&self) -> u32 {
        self.free.iter().map(|s| s.len() as u32).sum()
    }

    /// Spots free in the table on one level.
    pub fn free_on_level(&self, level: u32) -> u32 {
        let b = level as usize * 6;
        self.free[b..b + 6].iter().map(|s| s.len() as u32).sum()
    }

    pub fn level_size(&self, level: u32) -> u32 {
        self.level_size[level as usize]
    }

    /// Free spots of one type on one level.
    pub fn free_of(&self, level: u32, kind: SpotType) -> u32 {
        self.free[level as usize * 6 + kind.index()].len() as u32
    }

    /// The best free spot of these types under the strategy, as `(key, index)`; `level`
    /// restricts the search to one level.
    fn best_of(&self, types: &[SpotType], level: Option<u32>) -> Option<u32> {
        let levels = match level {
            Some(l) => l..l + 1,
            None => 0..self.levels,
        };
        let mut best: Option<(u32, u32)> = None;
        for l in levels {
            for t in types {
                if let Some(&k) = self.free[l as usize * 6 + t.index()].first() {
                    if best.is_none_or(|b| k < b) {
                        best = Some(k);
                    }
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// The level with the most free spots (as a share of its size) that has one of these
    /// types free; ties go to the lower level.
    fn emptiest_level(&self, types: &[SpotType]) -> Option<u32> {
        let mut best: Option<(u64, u32)> = None;
        for l in 0..self.levels {
            if types.iter().all(|&t| self.free_of(l, t) == 0) {
                continue;
            }
            // Free share in parts per million, compared as "larger is better".
            let share = self.free_on_level(l) as u64 * 1_000_000 / self.level_size(l) as u64;
            if best.is_none_or(|(s, _)| share > s) {
                best = Some((share, l));
            }
        }
        best.map(|(_, l)| l)
    }

    fn pick(&self, types: &[SpotType]) -> Option<u32> {
        if types.is_empty() {
            return None;
        }
        match self.strategy {
            Strategy::FirstFit | Strategy::Nearest => self.best_of(types, None),
            Strategy::Spread => {
                let l = self.emptiest_level(types)?;
                self.best_of(types, Some(l))
            }
            Strategy::BestFit => types.iter().find_map(|t| self.best_of(&[*t], None)),
        }
    }

    /// The spots the strategy gives this vehicle (one, or a run of `bus_spots` large spots
    /// for a bus), or why there are none.
    pub fn find(&self, p: Profile, bus_spots: u32) -> Result<Span, NoSpot> {
        let found = if p.kind == VehicleType::Bus {
            self.find_run(bus_spots)
        } else {
            let (general, n) = general(p);
            SPECIAL
                .into_iter()
                .filter(|&t| fits(p, t))
                .find_map(|t| self.pick(&[t]))
                .or_else(|| self.pick(&general[..n]))
                .map(Span::one)
        };
        found.ok_or(if self.free_total() == 0 {
            NoSpot::Full
        } else {
            NoSpot::NoFit
        })
    }

    /// A run of `n` consecutive free large spots in one row, by the strategy's order of the
    /// run's first spot.
    fn find_run(&self, n: u32) -> Option<Span> {
        let order: Vec<u32> = match self.strategy {
            Strategy::Spread => {
                let mut ls: Vec<u32> = (0..self.levels).collect();
                ls.sort_by_key(|&l| {
                    (
                        std::cmp::Reverse(
                            self.free_on_level(l) as u64 * 1_000_000 / self.level_size(l) as u64,
                        ),
                        l,
                    )
                });
                ls
            }
            _ => (0..self.levels).collect(),
        };
        let mut best: Option<(u32, u32)> = None;
        for l in order {
            if self.free_of(l, SpotType::Large) < n {
                continue;
            }
            for &(first, len) in &self.rows[l as usize] {
                let mut run = 0;
                for i in first..first + len {
                    let s = &self.spots[i as usize];
                    if s.kind == SpotType::Large && s.is_free() {
                        run += 1;
                        if run == n {
                            let start = i + 1 - n;
                            let key = match self.strategy {
                                Strategy::Nearest => self.spots[start as usize].walk,
                                _ => start,
                            };
                            if best.is_none_or(|b| (key, start) < b) {
                                best = Some((key, start));
                            }
                            break;
                        }
                    } else {
                        run = 0;
                    }
                }
            }
            // Only `nearest` can find a closer run on a later level: under the others the first
            // run found is the one (levels and rows in order; `spread`'s emptiest level first).
            if best.is_some() && self.strategy != Strategy::Nearest {
                break;
            }
        }
        best.map(|(_, start)| Span {
            first: start,
            len: n,
        })
    }

    /// Recounts the free index from the table; returns what disagrees.
    pub fn audit(&self) -> Option<String> {
        let mut counts = vec![0u32; self.free.len()];
        for (i, s) in self.spots.iter().enumerate() {
            let (b, k) = self.slot(i as u32);
            let indexed = self.free[b].contains(&k);
            if indexed != s.is_free() {
                return Some(format!(
                    "spot {} is {} in the table but {} in the free index",
                    self.name(i as u32),
                    if s.is_free() { "free" } else { "taken" },
                    if indexed { "listed" } else { "missing" }
                ));
            }
            counts[b] += indexed as u32;
        }
        for (b, set) in self.free.iter().enumerate() {
            if set.len() as u32 != counts[b] {
                return Some(format!(
                    "the free index lists {} {} spots on level {}, the table has {}",
                    set.len(),
                    SpotType::ALL[b % 6].name(),
                    b / 6 + 1,
                    counts[b]
                ));
            }
        }
        None
    }
}

/// A floor plan generated from sizes: per row, handicapped spots nearest the lift, then EV
/// and reserved, compact, large (together, so buses fit) and motorcycle spots at the far end.
pub fn generated_plan(levels: u32, rows: u32, per_row: u32, mix: &SpotMix) -> Vec<Vec<String>> {
    let share = |permille: u32| (per_row * permille + 500) / 1000;
    let h = share(mix.handicapped);
    let e = share(mix.ev);
    let r = share(mix.reserved);
    let large = share(mix.large);
    let m = share(mix.motorcycle);
    let fixed = h + e + r + large + m;
    let c = per_row.saturating_sub(fixed);
    let mut row = String::new();
    for (n, code) in [
        (h, 'h'),
        (e, 'e'),
        (r, 'r'),
        (c, 'c'),
        (large, 'L'),
        (m, 'm'),
    ] {
        for _ in 0..n {
            row.push(code);
        }
    }
    let row: String = row.chars().take(per_row as usize).collect();
    (0..levels)
        .map(|_| (0..rows).map(|_| row.clone()).collect())
        .collect()
}

/// Shares of each special spot type per row, in permille (the rest are compact).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpotMix {
    pub motorcycle: u32,
    pub large: u32,
    pub handicapped: u32,
    pub ev: u32,
    pub reserved: u32,
}

impl Default for SpotMix {
    fn default() -> Self {
        SpotMix {
            motorcycle: 50,
            large: 250,
            handicapped: 50,
            ev: 100,
            reserved: 50,
        }
    }
}

impl SpotMix {
    pub fn validate(&self) -> Result<(), String> {
        let sum = self.motorcycle + self.large + self.handicapped + self.ev + self.reserved;
        if sum > 1000 {
            return Err(format!(
                "spot_mix: the shares add up to {sum} permille, more than 1000"
            ));
        }
        Ok(())
    }
}
