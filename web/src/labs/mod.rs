//! What the page knows about each lab beyond the registry: how to draw a run, which faults to
//! offer, which scenario fields have a fixed set of values, and how to narrate commands.
//!
//! Each bundle installs the labs it carries ([`install`]); [`find`], [`ui`] and
//! [`open_link`] look only there, never at the whole registry, so a bundle links in no other
//! lab. A lab without a drawing of its own still works through [`generic`]: the shared
//! controls, log, metrics and scenario form cover it, and its picture is the tail of its log.

pub mod cache;
pub mod cache_mrc;
pub mod collab;
pub mod elevator;
pub mod parking;
pub mod saga;
pub mod scheduler;

use std::cell::RefCell;

use orrery_core::link::{self, LinkError};
use orrery_core::registry::{Lab, LabRun, ViewOptions};
use serde_json::Value;
use yew::prelude::*;

use crate::components::faults::Palette;

/// The page's drawing and vocabulary for one lab.
#[derive(Clone, Copy)]
pub struct LabUi {
    /// Draws a run, interactive; clicks become commands sent through the callback.
    pub view: fn(&dyn LabRun, &Callback<Value>) -> Html,
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
    /// A step between a scenario and its run, for scenarios that name data the page loads on
    /// demand; `None` (every lab but the scheduler) builds scenarios as they are.
    pub prepare: Option<Prepare>,
}

/// Completes a scenario before a run is built from it (the scheduler adds the time-zone data
/// its jobs name, fetched once). The shared page calls it for the scenario form, for links
/// and for compare mode's run B:
///
/// ```text
///   scenario ─► (prepare.scenario)(json, wake) ─► Ready(json') ─► build the run
///                                              ├► Loading(note): show it; wake() ─► ask again
///                                              ├► Failed(why): show it, "Try again" ─► retry(), ask again
///                                              └► Refused(why): the scenario's error
/// ```
#[derive(Clone, Copy)]
pub struct Prepare {
    /// May start a load; then `wake` is called once, when it ends.
    pub scenario: fn(Value, &Callback<()>) -> Prepared,
    /// Forgets a failed load, so that the next call starts it again.
    pub retry: fn(),
    /// The scenario field this step fills in (`tzif`): the form leaves it out and keeps it.
    pub owns: &'static str,
}

/// What [`Prepare::scenario`] made of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Prepared {
    /// Ready to build, completed with whatever it needed.
    Ready(Value),
    /// Waiting for data; the text says what is loading.
    Loading(String),
    /// The data could not be loaded; the text says why.
    Failed(String),
    /// The scenario names something that does not exist.
    Refused(String),
}

/// A lab a bundle carries: its registry entry and its drawing.
#[derive(Clone, Copy)]
pub struct BundledLab {
    pub lab: Lab,
    pub ui: LabUi,
}

/// Draws a lab's page: the lab id and, for a share link, the whole fragment; the key remounts
/// the page when the fragment changes.
pub type LabPageFn = fn(id: String, link: Option<String>, key: String) -> Html;

thread_local! {
    /// The labs of the running bundle, set once by [`install`] before the app mounts.
    static BUNDLE: RefCell<Vec<BundledLab>> = const { RefCell::new(Vec::new()) };
    /// How this bundle draws a lab page; `None` in the home page's bundle, which has no lab
    /// and leaves the lab page out of its code.
    static LAB_PAGE: RefCell<Option<LabPageFn>> = const { RefCell::new(None) };
}

/// Sets the labs this bundle carries and how it draws their pages.
pub fn install(labs: Vec<BundledLab>, lab_page: Option<LabPageFn>) {
    BUNDLE.with(|b| *b.borrow_mut() = labs);
    LAB_PAGE.with(|p| *p.borrow_mut() = lab_page);
}

/// The page of a bundled lab, drawn by the function the bundle installed.
pub fn lab_page(id: String, link: Option<String>, key: String) -> Html {
    match LAB_PAGE.with(|p| *p.borrow()) {
        Some(draw) => draw(id, link, key),
        None => Html::default(),
    }
}

/// The bundled lab with this id; `None` when the lab lives in another bundle or nowhere.
pub fn find(id: &str) -> Option<Lab> {
    BUNDLE.with(|b| b.borrow().iter().find(|l| l.lab.id == id).map(|l| l.lab))
}

/// The drawing for a lab id; labs without their own fall back to [`generic`].
pub fn ui(lab: &str) -> LabUi {
    BUNDLE
        .with(|b| b.borrow().iter().find(|l| l.lab.id == lab).map(|l| l.ui))
        .unwrap_or_else(generic)
}

/// Opens a share link of a bundled lab as a run at the link's cursor, with its view options.
pub fn open_link(s: &str) -> Result<(Box<dyn LabRun>, ViewOptions), LinkError> {
    let (id, payload) = link::parse(s)?;
    let lab = find(&id).ok_or(LinkError::UnknownLab(id))?;
    let run = (lab.open)(&payload)?;
    Ok((run, payload.view))
}

/// A lab-agnostic drawing: the latest few lines of the log.
pub fn generic() -> LabUi {
    LabUi {
        view: |run, _| log_tail(run, 12),
        palette: |_| Palette::default(),
        choices: |_| None,
        form_order: &[],
        compare: &[],
        describe: |_| None,
        prepare: None,
    }
}

fn log_tail(run: &dyn LabRun, lines: usize) -> Html {
    let len = run.log_len();
    html! {
        <pre class="log-tail">
            <>{ for (len.saturating_sub(lines)..len).map(|i| html! { <div>{ run.log_line(i) }</div> }) }</>
        </pre>
    }
}
