//! The saga lab's bundle.

use orrery_web::labs::{saga, BundledLab};

fn main() {
    orrery_web::start(vec![BundledLab {
        lab: orrery_core::registry::saga(),
        ui: saga::UI,
    }]);
}
