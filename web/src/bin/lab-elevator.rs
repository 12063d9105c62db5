//! The elevator lab's bundle.

use orrery_web::labs::{elevator, BundledLab};

fn main() {
    orrery_web::start(vec![BundledLab {
        lab: orrery_core::registry::elevator(),
        ui: elevator::UI,
    }]);
}
