//! Transport controls: play/pause, step, step back, speed, the seek bar with its event
//! markers, fork, reset, new seed, and the current time with the run's fingerprint.

use std::rc::Rc;

use orrery_core::sim::fmt_time;
use orrery_core::Time;
use yew::prelude::*;

use crate::state::{Action, SPEEDS};

/// What a tick under the seek bar stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tick {
    Input,
    Refusal,
    Violation,
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub playing: bool,
    pub speed: usize,
    pub now: Time,
    /// The end of the seek bar: the furthest time seen on this timeline.
    pub end: Time,
    /// Ticks as (fraction of the bar, kind).
    pub ticks: Rc<Vec<(f64, Tick)>>,
    /// The run's digest, shown when paused (hashing the log every frame would be wasteful).
    pub digest: Option<String>,
    pub dispatch: Callback<Action>,
}

fn speed_label(s: f64) -> String {
    format!("{s}×")
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let d = &props.dispatch;
    let send = |action: fn() -> Action| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.emit(action()))
    };
    let on_speed = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                if let Ok(i) = select.value().parse::<usize>() {
                    d.emit(Action::SetSpeed(i));
                }
            }
        })
    };
    let on_seek = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Ok(t) = input.value().parse::<f64>() {
                    d.emit(Action::Seek(t.max(0.0) as Time));
                }
            }
        })
    };
    let on_new_seed = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| {
            // The one place the page draws randomness: a seed for a brand-new run.
            let seed = (js_sys::Math::random() * 4_294_967_296.0).floor() as u64;
            d.emit(Action::Reseed(seed));
        })
    };
    let end = props.end.max(props.now).max(1);
    let play_label = if props.playing { "Pause" } else { "Play" };
    html! {
        <section class="controls" aria-label="Transport">
            <div class="transport">
                <button class={classes!("primary", "play", props.playing.then_some("on"))}
                    data-testid="play" aria-pressed={if props.playing { "true" } else { "false" }}
                    title="Play or pause (space)" onclick={send(|| Action::TogglePlay)}>
                    <span aria-hidden="true" class="glyph">{ if props.playing { "❚❚" } else { "▶" } }</span>
                    { play_label }
                </button>
                <button data-testid="step-back" title="Back to the previous event (,)"
                    aria-label="Step back" onclick={send(|| Action::StepBack)}>{ "◀︎ Back" }</button>
                <button data-testid="step" title="Forward to the next event (.)"
                    aria-label="Step" onclick={send(|| Action::Step)}>{ "Step ▶︎" }</button>
                <label class="speed" title="Speed ([ and ])">
                    <span class="sr-only">{ "Speed" }</span>
                    <select data-testid="speed" onchange={on_speed}>
                        <>{ for SPEEDS.iter().enumerate().map(|(i, &s)| html! {
                            <option value={i.to_string()} selected={i == props.speed}>{ speed_label(s) }</option>
                        }) }</>
                    </select>
                </label>
                <span class="clock">
                    <span class="time" data-testid="time">{ fmt_time(props.now) }</span>
                    <span class="muted">{ " / " }{ fmt_time(props.end.max(props.now)) }</span>
                </span>
                <span class="spacer" />
                <button data-testid="fork" title="What if from here: forget the recorded future"
                    onclick={send(|| Action::Fork)}>{ "Fork" }</button>
                <button data-testid="reset" title="Start this scenario again from time 0"
                    onclick={send(|| Action::Reset)}>{ "Reset" }</button>
                <button data-testid="new-seed" title="Start this scenario with a new random seed"
                    onclick={on_new_seed}>{ "New seed" }</button>
            </div>
            <div class="seek">
                <input type="range" data-testid="seek" aria-label="Seek" min="0"
                    max={end.to_string()} step="1" value={props.now.min(end).to_string()}
                    oninput={on_seek} />
                <div class="ticks" aria-hidden="true">
                    <>{ for props.ticks.iter().map(|&(at, kind)| {
                        let class = match kind {
                            Tick::Input => "tick input",
                            Tick::Refusal => "tick refusal",
                            Tick::Violation => "tick violation",
                        };
                        html! { <span {class} style={format!("left:{:.2}%", at * 100.0)} /> }
                    }) }</>
                </div>
            </div>
            <div class="fingerprint muted">
                <span>{ "Run fingerprint " }</span>
                <code data-testid="digest" title="SHA-256 of the event log: equal fingerprints mean identical runs">
                    { props.digest.clone().unwrap_or_else(|| "shown when paused".into()) }
                </code>
            </div>
        </section>
    }
}
