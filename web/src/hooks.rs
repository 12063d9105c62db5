//! Effects at the edge of the page: animation frames, the keyboard and the address bar. Each
//! hook turns a browser event into a callback or an action.
//!
//! Every animation frame also records its cost (advance plus render) in
//! `window.__orreryFrameMs`, which `scripts/bench-frame.mjs` reads.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{request_animation_frame, AnimationFrame};
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// The address bar's fragment without the leading `#`.
pub fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

/// The page's address without its fragment: origin and path (and query, if any).
pub fn base_url() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let origin = location.origin().unwrap_or_default();
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    format!("{origin}{path}{search}")
}

/// Calls `on_frame` with the wall milliseconds since the previous frame, on every animation
/// frame while `active`. The first frame after activation reports 0.
#[hook]
pub fn use_animation_frame(active: bool, on_frame: Callback<f64>) {
    let latest = use_mut_ref(|| on_frame.clone());
    *latest.borrow_mut() = on_frame;
    use_effect_with(active, move |&active| {
        let alive = Rc::new(Cell::new(active));
        let slot: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
        if active {
            schedule(Rc::clone(&slot), Rc::clone(&alive), latest, None);
        }
        move || {
            alive.set(false);
            slot.borrow_mut().take();
        }
    });
}

fn schedule(
    slot: Rc<RefCell<Option<AnimationFrame>>>,
    alive: Rc<Cell<bool>>,
    on_frame: Rc<RefCell<Callback<f64>>>,
    last: Option<f64>,
) {
    let next_slot = Rc::clone(&slot);
    let frame = request_animation_frame(move |now| {
        if !alive.get() {
            return;
        }
        let started = performance_now();
        let dt = last.map_or(0.0, |last| (now - last).max(0.0));
        let callback = on_frame.borrow().clone();
        callback.emit(dt);
        record_frame_cost(started);
        if alive.get() {
            schedule(next_slot, alive, on_frame, Some(now));
        }
    });
    *slot.borrow_mut() = Some(frame);
}

/// How many of the latest frame costs `window.__orreryFrameMs` keeps.
const FRAME_COSTS_KEPT: u32 = 600;

/// The page's monotonic clock in milliseconds, or NaN where there is none.
pub fn performance_now() -> f64 {
    thread_local! {
        static PERFORMANCE: Option<web_sys::Performance> =
            web_sys::window().and_then(|w| w.performance());
    }
    PERFORMANCE.with(|p| p.as_ref().map_or(f64::NAN, |p| p.now()))
}

/// Appends the wall milliseconds from `started` to the end of this frame's rendering to the
/// array `window.__orreryFrameMs` (created on first use; a reader may replace or empty it),
/// keeping the latest [`FRAME_COSTS_KEPT`]. The callback's reducer (the advance) runs at once,
/// but Yew renders in a microtask it queues then; a task spawned now runs after it in the same
/// FIFO microtask queue, so it sees the render done. (Should Yew's scheduler yield to the
/// browser mid-render, which it does only after 16 ms, the rest is not counted.)
fn record_frame_cost(started: f64) {
    wasm_bindgen_futures::spawn_local(async move {
        let cost = performance_now() - started;
        let Some(window) = web_sys::window() else {
            return;
        };
        thread_local! {
            static KEY: JsValue = JsValue::from_str("__orreryFrameMs");
        }
        let key = KEY.with(JsValue::clone);
        let costs = match js_sys::Reflect::get(&window, &key)
            .ok()
            .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
        {
            Some(costs) => costs,
            None => {
                let costs = js_sys::Array::new();
                if js_sys::Reflect::set(&window, &key, &costs).is_err() {
                    return;
                }
                costs
            }
        };
        costs.push(&JsValue::from_f64(cost));
        while costs.length() > FRAME_COSTS_KEPT {
            costs.shift();
        }
    });
}

/// A keyboard shortcut of the lab page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    PlayPause,
    Step,
    StepBack,
    Slower,
    Faster,
}

/// Listens for the lab page's shortcuts on the whole document, except while the person types
/// in a field or presses a focused button (which keeps its own meaning for space).
#[hook]
pub fn use_shortcuts(on_key: Callback<Shortcut>) {
    let latest = use_mut_ref(|| on_key.clone());
    *latest.borrow_mut() = on_key;
    use_effect_with((), move |_| {
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .map(|document| {
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&document, "keydown", options, move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if event.ctrl_key() || event.meta_key() || event.alt_key() || is_typing(event) {
                        return;
                    }
                    let shortcut = match event.key().as_str() {
                        " " | "Spacebar" => Shortcut::PlayPause,
                        "." => Shortcut::Step,
                        "," => Shortcut::StepBack,
                        "[" => Shortcut::Slower,
                        "]" => Shortcut::Faster,
                        _ => return,
                    };
                    event.prevent_default();
                    let callback = latest.borrow().clone();
                    callback.emit(shortcut);
                })
            });
        move || drop(listener)
    });
}

/// True when the key goes to a text field, a select or a focused button.
fn is_typing(event: &web_sys::KeyboardEvent) -> bool {
    let Some(target) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    let tag = target.tag_name().to_ascii_lowercase();
    let editable = target
        .get_attribute("contenteditable")
        .is_some_and(|v| v != "false");
    let is_button = matches!(tag.as_str(), "button" | "summary" | "a");
    let is_range = tag == "input" && target.get_attribute("type").as_deref() == Some("range");
    editable
        || matches!(tag.as_str(), "textarea" | "select")
        || (tag == "input" && !is_range)
        || (is_button && event.key() == " ")
}

/// The address bar's fragment, kept current as it changes.
#[hook]
pub fn use_hash() -> String {
    let hash = use_state(current_hash);
    {
        let hash = hash.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| hash.set(current_hash()))
            });
            move || drop(listener)
        });
    }
    (*hash).clone()
}
