//! Traffic: who arrives when, what they drive, and how long they stay.
//!
//! * **Arrivals** are a time-varying Poisson process: the rate is constant within each hour of
//!   the day (`peak_per_hour × profile[hour] / 1000`). A gap is drawn at the current hour's
//!   rate; if it crosses into the next hour, the draw is discarded and redrawn from the hour
//!   boundary at the new rate, which is exact for a piecewise-constant rate because the
//!   exponential distribution is memoryless.
//! * **Stays** are lognormal (long-tailed: most people stay an hour or two, a few all week):
//!   `median × e^(σ·Z)` with `Z` standard normal by Box–Muller, through `libm` so that native
//!   and wasm draw the same milliseconds, clamped to 5 minutes … 7 days.
//! * **Mix**: vehicle type by weight; EV, permit, subscriber, pre-booking, no-show, lost ticket
//!   and payment method by permille.

use serde::{Deserialize, Serialize};

use super::lot::{Profile, VehicleType};
use crate::rng::Rng;
use crate::sim::Time;

const HOUR: Time = 3_600_000;

/// How drivers pay at the exit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    Cash,
    #[default]
    Card,
    App,
}

impl PayMethod {
    pub fn name(self) -> &'static str {
        match self {
            PayMethod::Cash => "cash",
            PayMethod::Card => "card",
            PayMethod::App => "app",
        }
    }
}

/// The traffic of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Traffic {
    /// Arrivals per hour at the busiest hour; 0 for no background traffic.
    pub peak_per_hour: u32,
    /// The rate in each hour of the day, permille of the peak.
    pub profile: [u32; 24],
    /// The hour of day at time 0.
    pub start_hour: u32,
    pub stay_median_min: u32,
    /// The lognormal σ in thousandths.
    pub stay_sigma_milli: u32,
    /// Weights of motorcycle, car, van, truck, bus.
    pub mix: [u32; 5],
    /// Of cars: electric, permille.
    pub ev_permille: u32,
    pub permit_permille: u32,
    pub subscriber_permille: u32,
    /// Arrivals that booked ahead through the app.
    pub prebook_permille: u32,
    /// Of pre-bookings: never come.
    pub no_show_permille: u32,
    pub lost_ticket_permille: u32,
    /// Weights of cash, card, app.
    pub pay_mix: [u32; 3],
    /// Chance that a card or app payment is declined, permille.
    pub decline_permille: u32,
    /// Chance that a card or app payment times out after the processor charged it.
    pub timeout_permille: u32,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            peak_per_hour: 180,
            profile: [
                50, 30, 20, 20, 30, 100, 300, 700, 1000, 800, 600, 600, 700, 600, 500, 500, 600,
                700, 600, 400, 300, 200, 150, 100,
            ],
            start_hour: 8,
            stay_median_min: 90,
            stay_sigma_milli: 900,
            mix: [50, 800, 80, 50, 20],
            ev_permille: 150,
            permit_permille: 50,
            subscriber_permille: 80,
            prebook_permille: 60,
            no_show_permille: 200,
            lost_ticket_permille: 10,
            pay_mix: [150, 650, 200],
            decline_permille: 50,
            timeout_permille: 30,
        }
    }
}

impl Traffic {
    pub fn validate(&self) -> Result<(), String> {
        if self.peak_per_hour > 100_000 {
            return Err(format!(
                "traffic.peak_per_hour must be at most 100000, not {}",
                self.peak_per_hour
            ));
        }
        if self.profile.iter().any(|&p| p > 1000) {
            return Err("traffic.profile: each hour at most 1000 permille".into());
        }
        if self.start_hour > 23 {
            return Err(format!(
                "traffic.start_hour must be 0 to 23, not {}",
                self.start_hour
            ));
        }
        if !(1..=10_080).contains(&self.stay_median_min) {
            return Err(format!(
                "traffic.stay_median_min must be 1 to 10080, not {}",
                self.stay_median_min
            ));
        }
        if self.stay_sigma_milli > 3_000 {
            return Err(format!(
                "traffic.stay_sigma_milli must be at most 3000, not {}",
                self.stay_sigma_milli
            ));
        }
        if self.mix.iter().sum::<u32>() == 0 || self.mix.iter().any(|&w| w > 1_000_000) {
            return Err("traffic.mix: weights up to 1000000, not all zero".into());
        }
        if self.pay_mix.iter().sum::<u32>() == 0 || self.pay_mix.iter().any(|&w| w > 1_000_000) {
            return Err("traffic.pay_mix: weights up to 1000000, not all zero".into());
        }
        for (name, v) in [
            ("ev_permille", self.ev_permille),
            ("permit_permille", self.permit_permille),
            ("subscriber_permille", self.subscriber_permille),
            ("prebook_permille", self.prebook_permille),
            ("no_show_permille", self.no_show_permille),
            ("lost_ticket_permille", self.lost_ticket_permille),
            ("decline_permille", self.decline_permille),
            ("timeout_permille", self.timeout_permille),
        ] {
            if v > 1000 {
                return Err(format!("traffic.{name} must be at most 1000, not {v}"));
            }
        }
        if self.decline_permille + self.timeout_permille > 1000 {
            return Err("traffic: decline_permille + timeout_permille exceeds 1000".into());
        }
        Ok(())
    }

    /// Arrivals per hour at simulated time `t`.
    pub fn rate_at(&self, t: Time) -> u64 {
        let hour = ((t / HOUR + self.start_hour as u64) % 24) as usize;
        self.peak_per_hour as u64 * self.profile[hour] as u64 / 1000
    }

    /// The first arrival strictly after `t`, or `None` when no hour in the next eight days
    /// has any traffic.
    pub fn next_arrival(&self, t: Time, rng: &mut Rng) -> Option<Time> {
        let mut at = t;
        for _ in 0..(24 * 8) {
            let hour_end = (at / HOUR + 1) * HOUR;
            if let Some(mean) = HOUR.checked_div(self.rate_at(at)) {
                let gap = rng.exp_ms(mean).max(1);
                if at + gap < hour_end {
                    return Some(at + gap);
                }
            }
            at = hour_end;
        }
        None
    }

    /// A lognormal stay in milliseconds.
    pub fn stay_ms(&self, rng: &mut Rng) -> Time {
        let u1 = 1.0 - rng.unit();
        let u2 = rng.unit();
        let z = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2);
        let sigma = self.stay_sigma_milli as f64 / 1000.0;
        let median = self.stay_median_min as f64 * 60_000.0;
        let x = median * libm::exp(sigma * z);
        let ms = libm::round(x.clamp(300_000.0, 7.0 * 24.0 * HOUR as f64)) as u64;
        ms.max(1)
    }

    /// A vehicle drawn from the mix.
    pub fn profile(&self, rng: &mut Rng) -> Profile {
        let kind = VehicleType::ALL[weighted(&self.mix, rng)];
        let ev = kind == VehicleType::Car && rng.chance(self.ev_permille as u64, 1000);
        let permit = kind != VehicleType::Truck
            && kind != VehicleType::Bus
            && rng.chance(self.permit_permille as u64, 1000);
        let subscriber = kind != VehicleType::Truck
            && kind != VehicleType::Bus
            && rng.chance(self.subscriber_permille as u64, 1000);
        Profile {
            kind,
            ev,
            permit,
            subscriber,
        }
    }

    pub fn pay_method(&self, rng: &mut Rng) -> PayMethod {
        [PayMethod::Cash, PayMethod::Card, PayMethod::App][weighted(&self.pay_mix, rng)]
    }
}

/// An index drawn with probability proportional to its weight (weights not all zero).
fn weighted(weights: &[u32], rng: &mut Rng) -> usize {
    let total: u64 = weights.iter().map(|&w| w as u64).sum();
    let mut x = rng.below(total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if x < w as u64 {
            return i;
        }
        x -= w as u64;
    }
    weights.len() - 1
}
