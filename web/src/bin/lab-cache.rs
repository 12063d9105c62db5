//! The cache lab's bundle.

use orrery_web::labs::{cache, BundledLab};

fn main() {
    orrery_web::start(vec![BundledLab {
        lab: orrery_core::registry::cache(),
        ui: cache::UI,
    }]);
}
