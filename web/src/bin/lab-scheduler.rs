//! The scheduler lab's bundle.

use orrery_web::labs::{scheduler, BundledLab};

fn main() {
    orrery_web::start(vec![BundledLab {
        lab: orrery_core::registry::scheduler(),
        ui: scheduler::UI,
    }]);
}
