//! What the page draws: a snapshot of the building at the current time, with continuous car
//! positions and door openings. Floats here are view math only; nothing flows back.

use super::{Doors, Elevator, Mode, Service};
use crate::sim::Time;

#[derive(Clone, Debug, PartialEq)]
pub struct CarView {
    pub id: u32,
    /// Floors above the ground, fractional while moving.
    pub position: f64,
    /// 0 closed, 1 fully open.
    pub door: f64,
    pub state: String,
    /// Direction lamp: -1 down, 0 none, 1 up.
    pub dir: i8,
    /// Destination floor of each rider.
    pub riders: Vec<u32>,
    pub capacity: u32,
    pub load_kg: u32,
    pub capacity_kg: u32,
    pub car_calls: Vec<u32>,
    pub in_service: bool,
    pub overloaded: bool,
    /// Floors this car stops at.
    pub served: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HallView {
    pub up: bool,
    pub down: bool,
    /// Destination of each waiting passenger.
    pub waiting: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub now: Time,
    pub floors: u32,
    pub cars: Vec<CarView>,
    pub halls: Vec<HallView>,
    pub mode: String,
    pub dispatcher: String,
    /// The dispatcher script's source (used when `dispatcher` is `script`).
    pub script: std::rc::Rc<str>,
}

impl Elevator {
    /// Where the car is, in floors, at the current time.
    pub fn position(&self, car: u32) -> f64 {
        let c = &self.cars[car as usize];
        match c.trip {
            None => c.floor as f64,
            Some(t) => {
                let d = t.from.abs_diff(t.to);
                let x = self.cfg.kin.distance_at(d, self.now.saturating_sub(t.t0));
                if t.to > t.from {
                    t.from as f64 + x
                } else {
                    t.from as f64 - x
                }
            }
        }
    }

    fn door_fraction(&self, car: u32) -> f64 {
        let c = &self.cars[car as usize];
        let s = &self.cfg.scenario;
        let left = c.until.saturating_sub(self.now) as f64;
        match c.doors {
            Doors::Closed => 0.0,
            Doors::Open => 1.0,
            Doors::Opening if s.door_open_ms > 0 => 1.0 - left / s.door_open_ms as f64,
            Doors::Closing if s.door_close_ms > 0 => left / s.door_close_ms as f64,
            Doors::Opening => 1.0,
            Doors::Closing => 0.0,
        }
        .clamp(0.0, 1.0)
    }

    fn state_label(&self, car: u32) -> String {
        let c = &self.cars[car as usize];
        if let Some(t) = c.trip {
            let d = t.from.abs_diff(t.to);
            let way = if t.to > t.from { "up" } else { "down" };
            let phase = match self.cfg.kin.phase(d, self.now.saturating_sub(t.t0)) {
                super::motion::Phase::Accelerating => "accelerating",
                super::motion::Phase::Cruising => "moving",
                super::motion::Phase::Decelerating => "decelerating",
            };
            return format!("{phase} {way}");
        }
        if c.recalled {
            return "fire recall".into();
        }
        match (c.service, c.doors) {
            (Service::Broken, _) => "broken down".into(),
            (Service::OutOfService, _) => "out of service".into(),
            (_, Doors::Opening) => "doors opening".into(),
            (_, Doors::Open) => "doors open".into(),
            (_, Doors::Closing) => "doors closing".into(),
            (Service::Maintenance, Doors::Closed) => "maintenance".into(),
            _ => "idle".into(),
        }
    }

    /// The whole building as the page draws it.
    pub fn view(&self) -> View {
        let cap_kg = self.cfg.scenario.capacity_kg;
        let cars = self
            .cars
            .iter()
            .map(|c| {
                let load = self.load_kg(c);
                CarView {
                    id: c.id,
                    position: self.position(c.id),
                    door: self.door_fraction(c.id),
                    state: self.state_label(c.id),
                    dir: match c.dir {
                        Some(super::Dir::Up) => 1,
                        Some(super::Dir::Down) => -1,
                        None => 0,
                    },
                    riders: c
                        .riders
                        .iter()
                        .map(|&p| self.passengers[p as usize].to)
                        .collect(),
                    capacity: c.capacity,
                    load_kg: load,
                    capacity_kg: cap_kg,
                    car_calls: c.car_calls.iter().copied().collect(),
                    in_service: c.service == Service::Normal,
                    overloaded: load > cap_kg,
                    served: self.cfg.served[c.id as usize].clone(),
                }
            })
            .collect();
        let halls = self
            .halls
            .iter()
            .map(|h| HallView {
                up: h.calls[0].is_some(),
                down: h.calls[1].is_some(),
                waiting: h
                    .waiting
                    .iter()
                    .map(|&p| self.passengers[p as usize].to)
                    .collect(),
            })
            .collect();
        View {
            now: self.now,
            floors: self.cfg.scenario.floors,
            cars,
            halls,
            mode: match self.mode {
                Mode::Normal => "normal".into(),
                Mode::FireRecall => "fire recall".into(),
            },
            dispatcher: self.dispatcher.name().into(),
            script: self.script_source.clone(),
        }
    }
}
