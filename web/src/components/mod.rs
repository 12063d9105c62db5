//! The controls and panels every lab page shares; none of them knows which lab it serves.

pub mod compare;
pub mod controls;
pub mod faults;
pub mod invariants;
pub mod live_select;
pub mod log;
pub mod metrics;
pub mod scenario;
pub mod share;
