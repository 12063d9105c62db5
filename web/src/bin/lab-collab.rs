//! The collaborative editing lab's bundle.

use orrery_web::labs::{collab, BundledLab};

fn main() {
    orrery_web::start(vec![BundledLab {
        lab: orrery_core::registry::collab(),
        ui: collab::UI,
    }]);
}
