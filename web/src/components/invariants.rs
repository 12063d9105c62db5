//! The invariant strip: green while every invariant holds, red from the first violation on,
//! with a button that seeks to it.

use orrery_core::sim::fmt_time;
use orrery_core::Time;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InvariantsProps {
    /// A label for the run in compare mode; empty otherwise.
    pub label: String,
    /// The violation the run has reached: its time and what broke.
    pub current: Option<(Time, String)>,
    /// The first violation seen on this timeline, which may lie after the run's time.
    pub seen: Option<(Time, String)>,
    pub on_jump: Callback<Time>,
}

#[function_component(Invariants)]
pub fn invariants(props: &InvariantsProps) -> Html {
    let jump = |t: Time| {
        let cb = props.on_jump.clone();
        html! {
            <button data-testid="jump-to-violation" onclick={Callback::from(move |_: MouseEvent| cb.emit(t))}>
                { "Jump to it" }
            </button>
        }
    };
    let prefix = (!props.label.is_empty())
        .then(|| html! { <strong>{ format!("{}: ", props.label) }</strong> });
    match (&props.current, &props.seen) {
        (Some((t, what)), _) => html! {
            <div class="invariants violated" data-testid="invariants" role="alert">
                <span class="dot" aria-hidden="true" />
                <span class="what">
                    { prefix }{ format!("Invariant violated at {}: {what}", fmt_time(*t)) }
                </span>
                { jump(*t) }
            </div>
        },
        (None, Some((t, what))) => html! {
            <div class="invariants ok ahead" data-testid="invariants">
                <span class="dot" aria-hidden="true" />
                <span class="what">
                    { prefix }{ format!("All invariants hold so far; later, at {}: {what}", fmt_time(*t)) }
                </span>
                { jump(*t) }
            </div>
        },
        (None, None) => html! {
            <div class="invariants ok" data-testid="invariants">
                <span class="dot" aria-hidden="true" />
                <span class="what">{ prefix }{ "All invariants hold" }</span>
            </div>
        },
    }
}
