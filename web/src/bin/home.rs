//! The home page's bundle: the app shell and the catalog of labs, with no lab's code.

fn main() {
    orrery_web::start_home();
}
