//! Prints the elevator lab's log for the sample inputs, for eyeballing behaviour.
use orrery_core::registry;
fn main() {
    let lab = registry::find("elevator").expect("lab");
    let mut s = (lab.default_scenario)();
    s["seed"] = 3.into();
    let mut run = (lab.create)(&s).expect("scenario");
    for (t, c) in (lab.sample_inputs)() {
        run.advance_to(t);
        let _ = run.apply_json(&c);
    }
    run.advance_to(200_000);
    print!("{}", run.log_text());
}
