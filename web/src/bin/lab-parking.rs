//! The parking lot lab's bundle.

use orrery_web::labs::{parking, BundledLab};

fn main() {
    orrery_web::start(vec![BundledLab {
        lab: orrery_core::registry::parking(),
        ui: parking::UI,
    }]);
}
