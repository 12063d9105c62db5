//! What the page knows about each lab beyond the registry: how to draw a run, which faults to
//! offer, which scenario fields have a fixed set of values, and how to narrate commands.
//!
//! A lab without an entry here still works through [`generic`]: the shared controls, log,
//! metrics and scenario form cover it, and its picture is the tail of its log.

pub mod cache;
pub mod cache_mrc;
pub mod elevator;
pub mod scheduler;

use orrery_core::registry::LabRun;
use serde_json::Value;
use yew::prelude::*;

use crate::components::faults::Palette;

/// The page's drawing and vocabulary for one lab.
#[derive(Clone, Copy)]
pub struct LabUi {
    /// Draws a run, interactive; clicks become commands sent through the callback.
    pub view: fn(&dyn LabRun, &Callback<Value>) -> Html,
    /// Draws a small picture of a run for the home page; not interactive.
    pub thumbnail: fn(&dyn LabRun) -> Html,
    /// The faults that can be injected into a run in its current state.
    pub palette: fn(&dyn LabRun) -> Palette,
    /// The allowed values of a scenario field (a dotted path), when it is a choice.
    pub choices: fn(&str) -> Option<&'static [&'static str]>,
    /// Scenario fields (dotted paths) the form shows first, in this order; the rest follow
    /// alphabetically.
    pub form_order: &'static [&'static str],
    /// Scenario fields worth comparing side by side, with their values.
    pub compare: &'static [(&'static str, &'static [&'static str])],
    /// A command (as recorded in the log) in plain language.
    pub describe: fn(&Value) -> Option<String>,
}

/// The drawing for a lab id; labs without their own fall back to [`generic`].
pub fn ui(lab: &str) -> LabUi {
    match lab {
        "cache" => cache::UI,
        "elevator" => elevator::UI,
        "scheduler" => scheduler::UI,
        _ => generic(),
    }
}

/// A lab-agnostic drawing: the latest few lines of the log.
pub fn generic() -> LabUi {
    LabUi {
        view: |run, _| log_tail(run, 12),
        thumbnail: |run| log_tail(run, 4),
        palette: |_| Palette::default(),
        choices: |_| None,
        form_order: &[],
        compare: &[],
        describe: |_| None,
    }
}

fn log_tail(run: &dyn LabRun, lines: usize) -> Html {
    let len = run.log_len();
    html! {
        <pre class="log-tail">
            { for (len.saturating_sub(lines)..len).map(|i| html! { <div>{ run.log_line(i) }</div> }) }
        </pre>
    }
}
