//! The home page: every lab in the registry as a card with a live thumbnail, a small run of
//! the lab's default scenario advanced by animation frames.

use std::cell::RefCell;
use std::rc::Rc;

use orrery_core::registry::{self, LabRun};
use orrery_core::Time;
use yew::prelude::*;

use crate::hooks::{prefers_reduced_motion, use_animation_frame};
use crate::labs;
use crate::state::MAX_FRAME_MS;

/// Thumbnails run faster than real time so that something is always happening.
const THUMB_SPEED: f64 = 4.0;
/// A thumbnail starts over after this much simulated time, so its log stays small.
const THUMB_RESTART_MS: Time = 15 * 60 * 1000;
/// Where a thumbnail starts, so the building is already busy (and where it stays with
/// reduced motion).
const START_AT_MS: Time = 40_000;

#[function_component(Home)]
pub fn home() -> Html {
    let animate = !*use_memo((), |_| prefers_reduced_motion());
    html! {
        <main class="home">
            <section class="hero">
                <h1>{ "System designs you can watch, poke and rewind" }</h1>
                <p>
                    { "Every lab is a real, deterministic simulation running in your browser. \
                       Press play, change a policy, inject a fault, scrub back to the moment \
                       things went wrong, and share the run as a link: whoever opens it sees \
                       exactly the same thing." }
                </p>
            </section>
            <div class="cards">
                { for registry::labs().into_iter().map(|lab| html! {
                    <a class="card" href={format!("#/{}", lab.id)} data-testid={format!("lab-card-{}", lab.id)}>
                        <div class="thumb" aria-hidden="true">
                            <Thumbnail lab={lab.id} {animate} />
                        </div>
                        <div class="card-text">
                            <h2>{ lab.title }</h2>
                            <p>{ lab.summary }</p>
                            <span class="open">{ "Open the lab →" }</span>
                        </div>
                    </a>
                }) }
            </div>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct ThumbnailProps {
    lab: &'static str,
    animate: bool,
}

fn start(lab: &str) -> Option<Box<dyn LabRun>> {
    let lab = registry::find(lab)?;
    (lab.create)(&(lab.default_scenario)()).ok()
}

#[function_component(Thumbnail)]
fn thumbnail(props: &ThumbnailProps) -> Html {
    let lab = props.lab;
    let run: Rc<RefCell<Option<Box<dyn LabRun>>>> = use_mut_ref(move || {
        let mut run = start(lab);
        if let Some(run) = &mut run {
            run.advance_to(START_AT_MS);
        }
        run
    });
    let carry = use_mut_ref(|| 0.0f64);
    let redraw = use_force_update();
    {
        let run = Rc::clone(&run);
        use_animation_frame(
            props.animate,
            Callback::from(move |dt: f64| {
                let mut slot = run.borrow_mut();
                let Some(r) = slot.as_mut() else {
                    return;
                };
                let owed = dt.clamp(0.0, MAX_FRAME_MS) * THUMB_SPEED + *carry.borrow();
                let whole = owed.floor();
                *carry.borrow_mut() = owed - whole;
                let target = r.now() + whole as Time;
                if target > THUMB_RESTART_MS {
                    *slot = start(lab);
                    if let Some(r) = slot.as_mut() {
                        r.advance_to(START_AT_MS);
                    }
                } else {
                    r.advance_to(target);
                }
                redraw.force_update();
            }),
        );
    }
    let slot = run.borrow();
    match slot.as_ref() {
        Some(r) => (labs::ui(lab).thumbnail)(r.as_ref()),
        None => html! { <div class="muted">{ "This lab could not start." }</div> },
    }
}
