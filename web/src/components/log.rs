//! The event log: the run's own plain-language lines, newest at the bottom, following the
//! latest entry unless the person scrolls up. Only the rows in view are in the DOM.

use orrery_core::sim::fmt_time;
use serde_json::Value;
use yew::prelude::*;

use crate::labs;
use crate::state::{SessionRef, Side};

/// The height of one row in CSS pixels; `.log-row` in style.css uses the same.
const ROW_PX: f64 = 22.0;
/// How many of the latest entries the log shows.
const WINDOW: usize = 200;
/// Rows drawn beyond each edge of the viewport.
const OVERSCAN: usize = 6;
/// At least the height of the log's viewport in CSS pixels (`.log` in style.css); reading the
/// real height would force a layout on every frame.
const VIEW_PX: f64 = 340.0;

#[derive(Properties, PartialEq)]
pub struct LogProps {
    pub session: SessionRef,
    pub rev: u64,
    pub lab: &'static str,
}

/// How a log line reads on the page.
struct Narrated {
    text: String,
    class: &'static str,
}

/// Splits the run's line after its time stamp and narrates command lines.
fn narrate(line: &str, describe: fn(&Value) -> Option<String>) -> Narrated {
    let text = line
        .trim_start()
        .split_once(' ')
        .map_or(line, |(_, rest)| rest);
    let Some(command) = text.strip_prefix("> ") else {
        return Narrated {
            text: text.to_string(),
            class: "event",
        };
    };
    let (json, refusal) = match command.split_once(" refused: ") {
        Some((json, reason)) => (json, Some(reason)),
        None => (command, None),
    };
    let said = serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|v| describe(&v))
        .unwrap_or_else(|| format!("You sent {json}"));
    match refusal {
        Some(reason) => Narrated {
            text: format!("{said}: refused, {reason}"),
            class: "refused",
        },
        None => Narrated {
            text: said,
            class: "command",
        },
    }
}

#[function_component(Log)]
pub fn log(props: &LogProps) -> Html {
    let node = use_node_ref();
    // How far the view is scrolled up from the newest entry, in pixels; 0 follows the newest.
    // The container is a column-reverse flexbox, so the browser keeps it pinned to the bottom
    // as entries arrive without the page reading layout on every frame.
    let from_bottom = use_state_eq(|| 0.0f64);
    let side = use_state_eq(|| Side::A);
    let on_scroll = {
        let node = node.clone();
        let from_bottom = from_bottom.clone();
        Callback::from(move |_: Event| {
            if let Some(el) = node.cast::<web_sys::Element>() {
                let up = -f64::from(el.scroll_top());
                from_bottom.set(if up < ROW_PX / 2.0 { 0.0 } else { up });
            }
        })
    };
    let session = props.session.0.borrow();
    let compare = session.b.is_some();
    let side_now = if compare { *side } else { Side::A };
    let len = session.run(side_now).map_or(0, |r| r.log_len());
    let seen_len = use_mut_ref(|| len);
    {
        // While the person reads older entries, new ones would push the text up; scrolling
        // up by as much as was added keeps the same entries in view.
        let node = node.clone();
        let reading = *from_bottom > 0.0;
        use_effect(move || {
            let added = len.saturating_sub(*seen_len.borrow());
            *seen_len.borrow_mut() = len;
            if reading && added > 0 {
                if let Some(el) = node.cast::<web_sys::Element>() {
                    let shift = (added as f64 * ROW_PX) as i32;
                    el.set_scroll_top(el.scroll_top().saturating_sub(shift));
                }
            }
        });
    }
    let to_latest = {
        let node = node.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(el) = node.cast::<web_sys::Element>() {
                el.set_scroll_top(0);
            }
        })
    };
    let Some(run) = session.run(side_now) else {
        return html! {};
    };
    let describe = labs::ui(props.lab).describe;
    let start = len.saturating_sub(WINDOW);
    let count = len - start;
    let visible = (VIEW_PX / ROW_PX).ceil() as usize;
    let top_px = (count as f64 * ROW_PX - VIEW_PX - *from_bottom).max(0.0);
    let first = ((top_px / ROW_PX).floor() as usize).saturating_sub(OVERSCAN);
    let last = (first + visible + 2 * OVERSCAN).min(count);
    let rows = (first..last).map(|k| {
        let i = start + k;
        let n = narrate(&run.log_line(i), describe);
        html! {
            <div class={classes!("log-row", n.class)} style={format!("top:{}px", k as f64 * ROW_PX)}>
                <span class="log-time">{ fmt_time(run.log_time(i)) }</span>
                <span class="log-text" title={n.text.clone()}>{ n.text }</span>
            </div>
        }
    });
    let tab = |s: Side, name: String| {
        let side = side.clone();
        let onclick = Callback::from(move |_: MouseEvent| side.set(s));
        html! {
            <button class={classes!("tab", (side_now == s).then_some("current"))}
                aria-pressed={if side_now == s { "true" } else { "false" }} {onclick}>{ name }</button>
        }
    };
    html! {
        <section class="panel log-panel" aria-labelledby="log-title">
            <div class="panel-head">
                <h2 id="log-title">{ "Event log" }</h2>
                if compare {
                    <span class="tabs">
                        { tab(Side::A, format!("A · {}", session.label(Side::A))) }
                        { tab(Side::B, format!("B · {}", session.label(Side::B))) }
                    </span>
                }
                <span class="muted small">
                    { if len > WINDOW { format!("latest {WINDOW} of {len}") } else { format!("{len} entries") } }
                </span>
                if *from_bottom > 0.0 {
                    <button class="tab" onclick={to_latest} title="Follow the newest entries again">
                        { "Latest ↓" }
                    </button>
                }
            </div>
            <div class="log" data-testid="log" ref={node} onscroll={on_scroll} role="log"
                aria-live="off" tabindex="0">
                <div class="log-inner" style={format!("height:{}px", count as f64 * ROW_PX)}>
                    <>{ for rows }</>
                </div>
                if len == 0 {
                    <p class="muted empty">{ "Nothing has happened yet. Press Play or Step." }</p>
                }
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_narrated() {
        let d: fn(&Value) -> Option<String> = |_| Some("You did it".into());
        let n = narrate("     1.000s > {\"x\":1} refused: full", d);
        assert_eq!(
            (n.text.as_str(), n.class),
            ("You did it: refused, full", "refused")
        );
        let n = narrate("     1.000s car 0 stops", d);
        assert_eq!((n.text.as_str(), n.class), ("car 0 stops", "event"));
    }
}
