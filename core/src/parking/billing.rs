//! Billing: a tariff turns a stay into a bill whose lines explain every cent.
//!
//! The billing strategies compose in a fixed order, each adding lines to the bill:
//!
//! ```text
//!  stay ─► subscription? ─► grace period? ─► per day: first hour + started hours, capped at the
//!          (free)            (free)           daily maximum ─► × vehicle type ─► × busy-lot surge
//!          ─► EV idle fee (charger held past its limit) ─► lost-ticket fee
//! ```
//!
//! Money is integer cents; multipliers are permille and round half up once per line.
//!
//! | stay (car, default tariff) | bill |
//! |---|---|
//! | 8 min | 0.00 (grace period of 10 min) |
//! | 50 min | 3.00 (first hour) |
//! | 3 h 10 min | 3.00 + 3 × 2.00 = 9.00 |
//! | 26 h | 20.00 (a day at the maximum) + 3.00 (first hour of day 2) + 2.00 = 25.00 |

use std::fmt;

use serde::{Deserialize, Serialize};

use super::lot::VehicleType;
use crate::sim::Time;

const HOUR: Time = 3_600_000;
const DAY: Time = 24 * HOUR;

/// What the lot does when a driver has lost the ticket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LostTicket {
    /// A flat fee instead of the time-based bill.
    #[default]
    Flat,
    /// The entry time is found from the plate camera; the normal bill plus the fee.
    PlateLookup,
}

/// The prices and rules of the lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tariff {
    pub first_hour_cents: u64,
    /// Each started hour after the first.
    pub hourly_cents: u64,
    /// The most one day (24 h from entry) costs; 0 for no cap.
    pub daily_max_cents: u64,
    /// Stays this short are free.
    pub grace_min: u32,
    /// Multipliers per vehicle type in permille: motorcycle, car, van, truck, bus.
    pub vehicle_permille: [u32; 5],
    /// Dynamic pricing: `(occupancy at entry in permille, multiplier in permille)`; the
    /// highest threshold reached applies.
    pub surge: Vec<(u32, u32)>,
    pub lost_ticket: LostTicket,
    pub lost_ticket_cents: u64,
    /// Charging sessions longer than this pay the idle fee; 0 for no limit.
    pub ev_limit_min: u32,
    /// Per started hour past the EV limit.
    pub ev_idle_cents: u64,
}

impl Default for Tariff {
    fn default() -> Self {
        Tariff {
            first_hour_cents: 300,
            hourly_cents: 200,
            daily_max_cents: 2_000,
            grace_min: 10,
            vehicle_permille: [500, 1000, 1250, 2000, 4000],
            surge: vec![(800, 1250), (950, 1500)],
            lost_ticket: LostTicket::Flat,
            lost_ticket_cents: 2_500,
            ev_limit_min: 120,
            ev_idle_cents: 500,
        }
    }
}

impl Tariff {
    pub fn validate(&self) -> Result<(), String> {
        let max = 1_000_000;
        for (name, v) in [
            ("first_hour_cents", self.first_hour_cents),
            ("hourly_cents", self.hourly_cents),
            ("daily_max_cents", self.daily_max_cents),
            ("lost_ticket_cents", self.lost_ticket_cents),
            ("ev_idle_cents", self.ev_idle_cents),
        ] {
            if v > max {
                return Err(format!("tariff.{name} must be at most {max}, not {v}"));
            }
        }
        if self.vehicle_permille.iter().any(|&m| m > 100_000) {
            return Err("tariff.vehicle_permille: each at most 100000".into());
        }
        if self.surge.len() > 16 || self.surge.iter().any(|&(o, m)| o > 1000 || m > 100_000) {
            return Err(
                "tariff.surge: at most 16 steps, occupancy at most 1000, multiplier at most 100000"
                    .into(),
            );
        }
        if self.grace_min > 1440 || self.ev_limit_min > 10_080 {
            return Err(
                "tariff: grace_min at most 1440, ev_limit_min at most 10080 minutes".into(),
            );
        }
        Ok(())
    }
}

/// One line of a bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillLine {
    pub label: String,
    /// Signed: a cap is a negative line.
    pub cents: i64,
}

/// A bill: the total and the lines that add up to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    pub total_cents: u64,
    pub lines: Vec<BillLine>,
}

impl Bill {
    fn line(&mut self, label: String, cents: i64) {
        self.lines.push(BillLine { label, cents });
    }

    fn sum(&self) -> i64 {
        self.lines.iter().map(|l| l.cents).sum()
    }
}

/// Formats cents as `12.34` (negative as `-1.00`).
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

impl fmt::Display for Bill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", money(self.total_cents as i64))?;
        for (i, l) in self.lines.iter().enumerate() {
            let sep = if i == 0 { " = " } else { " + " };
            write!(f, "{sep}{}: {}", l.label, money(l.cents))?;
        }
        Ok(())
    }
}

/// Everything about one stay that the bill depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stay {
    pub kind: VehicleType,
    pub duration_ms: Time,
    pub subscriber: bool,
    /// Occupancy of the lot when the ticket was issued, permille.
    pub occupancy_at_entry: u32,
    /// Time on an EV charger past the limit, if any.
    pub ev_overstay_ms: Time,
    pub lost_ticket: bool,
}

/// Dynamic pricing: the surge step `(occupancy threshold, multiplier)`, both permille, that a
/// ticket issued at this occupancy pays: the highest threshold reached, if any.
pub fn surge_step(t: &Tariff, occupancy_permille: u32) -> Option<(u32, u32)> {
    t.surge
        .iter()
        .filter(|&&(o, _)| occupancy_permille >= o)
        .max_by_key(|&&(o, _)| o)
        .copied()
}

fn scale(cents: u64, permille: u32) -> u64 {
    (cents * permille as u64 + 500) / 1000
}

fn started_hours(ms: Time) -> u64 {
    ms.div_ceil(HOUR)
}

/// The bill for a stay under a tariff.
pub fn bill(t: &Tariff, s: &Stay) -> Bill {
    let mut b = Bill::default();
    if s.lost_ticket && t.lost_ticket == LostTicket::Flat {
        b.line("lost ticket (flat fee)".into(), t.lost_ticket_cents as i64);
        b.total_cents = b.sum().max(0) as u64;
        return b;
    }
    if s.subscriber {
        b.line("monthly subscription".into(), 0);
    } else if s.duration_ms <= t.grace_min as Time * 60_000 {
        b.line(format!("grace period ({} min)", t.grace_min), 0);
    } else {
        let days = s.duration_ms / DAY;
        let rest = s.duration_ms % DAY;
        let day_cost = |ms: Time| -> u64 {
            let hours = started_hours(ms);
            if hours == 0 {
                0
            } else {
                t.first_hour_cents + (hours - 1) * t.hourly_cents
            }
        };
        let capped = |c: u64| {
            if t.daily_max_cents > 0 {
                c.min(t.daily_max_cents)
            } else {
                c
            }
        };
        if days > 0 {
            let full = capped(day_cost(DAY));
            b.line(
                format!("{days} day(s) × {}", money(full as i64)),
                (days * full) as i64,
            );
        }
        if rest > 0 {
            let hours = started_hours(rest);
            b.line("first hour".into(), t.first_hour_cents as i64);
            if hours > 1 {
                b.line(
                    format!(
                        "{} more hour(s) × {}",
                        hours - 1,
                        money(t.hourly_cents as i64)
                    ),
                    ((hours - 1) * t.hourly_cents) as i64,
                );
            }
            let raw = day_cost(rest);
            let cap = capped(raw);
            if cap < raw {
                b.line("daily maximum".into(), cap as i64 - raw as i64);
            }
        }
        let base = b.sum().max(0) as u64;
        let m = t.vehicle_permille[s.kind.index()];
        if m != 1000 {
            let scaled = scale(base, m);
            b.line(
                format!("{} rate ×{}", s.kind.name(), permille(m)),
                scaled as i64 - base as i64,
            );
        }
        if let Some((o, m)) = surge_step(t, s.occupancy_at_entry) {
            let before = b.sum().max(0) as u64;
            let scaled = scale(before, m);
            b.line(
                format!(
                    "busy lot at entry ({}% ≥ {}%) ×{}",
                    s.occupancy_at_entry / 10,
                    o / 10,
                    permille(m)
                ),
                scaled as i64 - before as i64,
            );
        }
    }
    if s.ev_overstay_ms > 0 && t.ev_idle_cents > 0 {
        let h = started_hours(s.ev_overstay_ms);
        b.line(
            format!("charger idle fee, {h} hour(s) past the limit"),
            (h * t.ev_idle_cents) as i64,
        );
    }
    if s.lost_ticket {
        b.line(
            "lost ticket (entry found by plate)".into(),
            t.lost_ticket_cents as i64,
        );
    }
    b.total_cents = b.sum().max(0) as u64;
    b
}

/// `1250` as `1.25`.
fn permille(m: u32) -> String {
    let s = format!("{}.{:03}", m / 1000, m % 1000);
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}
