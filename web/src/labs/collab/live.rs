//! The collab page's live session: a text area shared by every tab of this browser that has
//! the page open, through one [`LiveTab`] (a FugueMax CRDT replica) per tab and the browser's
//! `BroadcastChannel`.
//!
//! ```text
//!   keystroke ─► LiveTab::edit ─► update ─► channel.postMessage(json) ─► other tabs
//!   channel message ─► Message::decode ─► LiveTab::receive ─► text area value + selection
//!   every 250 ms ─► LiveTab::tick ─► heartbeat, requests    pagehide ─► bye
//! ```
//!
//! This is not the simulated run: it is live, has a random agent number per tab, and is not
//! in share links. The protocol (what to send, when a tab is in sync, where carets are) is
//! `orrery_core::collab::live`; this file only moves messages and draws. One panel per tab is
//! live: in compare mode the second one says so.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Interval;
use orrery_core::collab::live::{LiveTab, Message, MAX_LIVE_AGENT};
use wasm_bindgen::prelude::*;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use super::{chars_to_utf16, utf16_to_chars};

/// The channel every tab of this origin with the collab page open listens on.
const CHANNEL: &str = "orrery-collab-live";
/// How often the tab ticks (heartbeats, requests, forgetting silent peers).
const TICK_MS: u32 = 250;
/// Colours of peers' carets.
const COLOURS: &[&str] = &[
    "#0f8b8d", "#7b4bb7", "#c2410c", "#2563eb", "#b91c1c", "#4d7c0f", "#a16207", "#be185d",
];

#[wasm_bindgen]
extern "C" {
    /// The browser's `BroadcastChannel` (bound here: web-sys would need a feature for it).
    type BroadcastChannel;
    #[wasm_bindgen(constructor, catch)]
    fn new(name: &str) -> Result<BroadcastChannel, JsValue>;
    #[wasm_bindgen(method, js_name = postMessage)]
    fn post_message(this: &BroadcastChannel, message: &str);
    #[wasm_bindgen(method, setter)]
    fn set_onmessage(this: &BroadcastChannel, handler: Option<&js_sys::Function>);
    #[wasm_bindgen(method)]
    fn close(this: &BroadcastChannel);
}

/// What a mounted live panel keeps alive: the channel's message handler, the ticker and the
/// page-hide listener.
type Handles = (
    Closure<dyn FnMut(web_sys::MessageEvent)>,
    Interval,
    EventListener,
);

thread_local! {
    /// Whether a live panel is mounted in this tab already.
    static MOUNTED: Cell<bool> = const { Cell::new(false) };
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

/// A peer's colour, by its place among this tab's peers (agents are random numbers).
fn colour(tab: &LiveTab, agent: u32) -> &'static str {
    let i = tab.peers().keys().take_while(|&&a| a < agent).count();
    COLOURS[i % COLOURS.len()]
}

/// A tab's live state: the protocol and the channel it talks on.
struct Live {
    tab: LiveTab,
    channel: Option<BroadcastChannel>,
    /// Why the channel is missing, when it is.
    error: Option<String>,
}

impl Live {
    fn post(&self, msg: &Message) {
        if let Some(c) = &self.channel {
            c.post_message(&msg.encode());
        }
    }
}

/// The text area's selection in code points.
fn selection(el: &HtmlTextAreaElement, text: &str) -> (usize, usize) {
    let start = el.selection_start().ok().flatten().unwrap_or(0);
    let end = el.selection_end().ok().flatten().unwrap_or(start);
    (utf16_to_chars(text, start), utf16_to_chars(text, end))
}

/// Puts the tab's text and selection into the text area.
fn show(el: &HtmlTextAreaElement, tab: &LiveTab) {
    let text = tab.text();
    if el.value() != text {
        el.set_value(&text);
        let (s, e) = tab.selection();
        let _ = el.set_selection_range(chars_to_utf16(&text, s), chars_to_utf16(&text, e));
    }
}

/// The live session panel.
#[function_component(LivePanel)]
pub fn live_panel() -> Html {
    let primary = use_memo((), |_| MOUNTED.with(|m| !m.replace(true)));
    let live: Rc<RefCell<Option<Live>>> = use_mut_ref(|| None);
    let area = use_node_ref();
    let redraw = use_force_update();
    {
        let (live, area, redraw, primary) = (live.clone(), area.clone(), redraw.clone(), *primary);
        use_effect_with((), move |_| {
            let mut keep: Option<Handles> = None;
            if primary {
                let agent = 1 + (js_sys::Math::random() * (MAX_LIVE_AGENT - 1) as f64) as u32;
                let mut state = Live {
                    tab: LiveTab::new(agent.min(MAX_LIVE_AGENT - 1)),
                    channel: None,
                    error: None,
                };
                match BroadcastChannel::new(CHANNEL) {
                    Ok(c) => state.channel = Some(c),
                    Err(_) => {
                        state.error = Some("this browser has no BroadcastChannel".into());
                    }
                }
                let hello = state.tab.join(now());
                state.post(&hello);
                let on_message = {
                    let (live, area, redraw) = (live.clone(), area.clone(), redraw.clone());
                    Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                        move |e: web_sys::MessageEvent| {
                            let Some(json) = e.data().as_string() else {
                                return;
                            };
                            let Ok(msg) = Message::decode(&json) else {
                                return;
                            };
                            let mut guard = live.borrow_mut();
                            let Some(l) = guard.as_mut() else {
                                return;
                            };
                            let received = l.tab.receive(msg, now());
                            for reply in &received.replies {
                                l.post(reply);
                            }
                            if received.changed {
                                if let Some(el) = area.cast::<HtmlTextAreaElement>() {
                                    show(&el, &l.tab);
                                }
                            }
                            drop(guard);
                            redraw.force_update();
                        },
                    )
                };
                if let Some(c) = &state.channel {
                    c.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                }
                let ticker = {
                    let (live, redraw) = (live.clone(), redraw.clone());
                    Interval::new(TICK_MS, move || {
                        let mut guard = live.borrow_mut();
                        let Some(l) = guard.as_mut() else {
                            return;
                        };
                        let peers = l.tab.peers().len();
                        for m in l.tab.tick(now()) {
                            l.post(&m);
                        }
                        let changed = peers != l.tab.peers().len();
                        drop(guard);
                        if changed {
                            redraw.force_update();
                        }
                    })
                };
                let bye = {
                    let live = live.clone();
                    EventListener::new(&gloo::utils::window(), "pagehide", move |_| {
                        if let Some(l) = live.borrow().as_ref() {
                            l.post(&l.tab.leave());
                        }
                    })
                };
                *live.borrow_mut() = Some(state);
                keep = Some((on_message, ticker, bye));
                redraw.force_update();
            }
            move || {
                if let Some(l) = live.borrow_mut().take() {
                    l.post(&l.tab.leave());
                    if let Some(c) = &l.channel {
                        c.set_onmessage(None);
                        c.close();
                    }
                }
                drop(keep);
                if primary {
                    MOUNTED.with(|m| m.set(false));
                }
            }
        });
    }
    if !*primary {
        return html! {
            <section class="collab-live">
                <h4>{ "Live session" }</h4>
                <p class="muted">{ "The live session is in the first picture of this tab." }</p>
            </section>
        };
    }
    let oninput = {
        let (live, area, redraw) = (live.clone(), area.clone(), redraw.clone());
        Callback::from(move |_: InputEvent| {
            let Some(el) = area.cast::<HtmlTextAreaElement>() else {
                return;
            };
            let mut guard = live.borrow_mut();
            let Some(l) = guard.as_mut() else {
                return;
            };
            let value = el.value();
            let sel = selection(&el, &value);
            match l.tab.edit(&value, sel, now()) {
                Ok(Some(m)) => l.post(&m),
                Ok(None) => {}
                Err(_) => show(&el, &l.tab),
            }
            drop(guard);
            redraw.force_update();
        })
    };
    let on_caret = {
        let (live, area) = (live.clone(), area.clone());
        move || {
            let Some(el) = area.cast::<HtmlTextAreaElement>() else {
                return;
            };
            let mut guard = live.borrow_mut();
            let Some(l) = guard.as_mut() else {
                return;
            };
            let value = el.value();
            if value != l.tab.text() {
                return;
            }
            if let Some(m) = l.tab.select(selection(&el, &value), now()) {
                l.post(&m);
            }
        }
    };
    let onkeyup = {
        let f = on_caret.clone();
        Callback::from(move |_: KeyboardEvent| f())
    };
    let onmouseup = {
        let f = on_caret.clone();
        Callback::from(move |_: MouseEvent| f())
    };
    let onselect = Callback::from(move |_: Event| on_caret());
    let guard = live.borrow();
    let body = match guard.as_ref() {
        None => html! { <p class="muted">{ "Starting…" }</p> },
        Some(l) => status(l),
    };
    html! {
        <section class="collab-live" data-testid="live">
            <h4>{ "Live session: edit together across this browser's tabs" }</h4>
            <p class="muted">
                { "Open this page in another tab and type in either: every tab edits one text through the FugueMax CRDT, over the browser's BroadcastChannel. This is live, not part of the simulated run, and not in share links." }
            </p>
            <textarea ref={area} class="collab-live-editor" data-testid="live-editor"
                aria-label="live shared text" spellcheck="false" placeholder="Type here; your other tabs see it."
                {oninput} {onkeyup} {onmouseup} {onselect} />
            { body }
        </section>
    }
}

/// The session's status, peers and carets.
fn status(l: &Live) -> Html {
    let tab = &l.tab;
    let chars = tab.replica().len();
    let peers = tab.peers();
    let (class, text) = if let Some(e) = &l.error {
        ("collab-status warn", format!("offline: {e}"))
    } else if tab.collision() {
        (
            "collab-status warn",
            "another tab drew the same agent number: reload this tab".to_string(),
        )
    } else if peers.is_empty() {
        (
            "collab-status",
            "alone: open this page in another tab".to_string(),
        )
    } else if tab.in_sync() {
        (
            "collab-status ok",
            format!(
                "in sync with {} other tab{} ✓",
                peers.len(),
                if peers.len() == 1 { "" } else { "s" }
            ),
        )
    } else {
        ("collab-status", "syncing…".to_string())
    };
    let text_now = tab.text();
    let mut carets: Vec<(usize, u32)> = peers
        .keys()
        .filter_map(|&a| tab.peer_caret(a).map(|p| (p, a)))
        .collect();
    carets.sort_unstable();
    html! {
        <>
            <div class="collab-live-status">
                <span class={class} data-testid="live-status">{ text }</span>
                <span class="muted" data-testid="live-chars">{ format!("{chars} chars") }</span>
                <span class="muted">{ format!("you are tab {}", tab.agent()) }</span>
            </div>
            if !peers.is_empty() {
                <ul class="collab-live-peers" data-testid="live-peers">
                    <>{ for peers.iter().map(|(&a, p)| {
                        let same = &p.presence.version == tab.replica().version();
                        let caret = tab.peer_caret(a).map_or("caret not here yet".to_string(), |c| format!("caret at {c}"));
                        html! {
                            <li style={format!("--peer: {}", colour(tab, a))}>
                                <b>{ format!("tab {a}") }</b>
                                { format!(" {} chars, {caret}, {}", p.presence.chars, if same { "same version" } else { "other version" }) }
                            </li>
                        }
                    }) }</>
                </ul>
                <div class="collab-live-carets" aria-label="the text with other tabs' carets" data-testid="live-carets">
                    { carets_view(tab, &text_now, &carets) }
                </div>
            }
        </>
    }
}

/// The text with a coloured bar at each peer's caret.
fn carets_view(tab: &LiveTab, text: &str, carets: &[(usize, u32)]) -> Html {
    let chars: Vec<char> = text.chars().collect();
    let mut parts = Vec::new();
    let mut from = 0;
    for &(at, agent) in carets {
        let at = at.min(chars.len());
        parts.push(html! { { chars[from..at].iter().collect::<String>() } });
        parts.push(html! {
            <span class="collab-live-caret" style={format!("--peer: {}", colour(tab, agent))} title={format!("tab {agent}")} />
        });
        from = at;
    }
    parts.push(html! { { chars[from..].iter().collect::<String>() } });
    html! { <>{ for parts }</> }
}
