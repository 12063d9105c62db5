//! A lab's page: the shared controls and panels around the lab's own picture, wired to the
//! [`Page`] reducer, with the effects (animation frames, keys, clipboard, timers) as hooks.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use orrery_core::registry::Lab;
use orrery_core::Time;
use serde_json::Value;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::compare::CompareBar;
use crate::components::controls::{Controls, Tick};
use crate::components::faults::FaultPalette;
use crate::components::invariants::Invariants;
use crate::components::log::Log;
use crate::components::metrics::MetricsPanel;
use crate::components::scenario::ScenarioForm;
use crate::components::share::Share;
use crate::hooks::{base_url, use_animation_frame, use_shortcuts, Shortcut};
use crate::labs;
use crate::state::{Action, Marker, Page, Session, SessionRef, Side};

/// What a lab's drawing may read besides its run, as a Yew context: the page's session and its
/// slow revision ([`Page::slow_rev`]), which moves at most every 250 ms while playing and on
/// every other change (a command, a seek, a step, a pause). Panels that are costly to draw and
/// that nobody reads at 60 frames a second (a CRDT's items, a transform history) redraw when
/// it moves, not on every frame; what moves (texts, messages, the clock) still redraws every
/// frame. The context is equal from frame to frame until the slow revision moves, so its
/// consumers are not rendered in between.
#[derive(Clone, PartialEq)]
pub struct SlowView {
    pub rev: u64,
    pub session: SessionRef,
}

/// How many positions the seek bar's ticks snap to.
const TICK_BINS: u64 = 400;
/// How long a notice stays, in milliseconds.
const NOTICE_MS: u32 = 5_000;

#[derive(Properties, PartialEq)]
pub struct LabPageProps {
    pub lab: String,
    /// The whole fragment when the address is a share link.
    pub link: Option<String>,
}

/// A lab's page keyed by its fragment, as [`crate::labs::LabPageFn`]: a new fragment is a new
/// page with fresh state.
pub fn render(id: String, link: Option<String>, key: String) -> Html {
    html! { <LabPage {key} lab={id} {link} /> }
}

/// What the page opens with: a page, or a note while a link waits for data it needs.
enum Opening {
    /// The page; `retry` when the link's data failed to load and can be tried again.
    Open {
        page: Page,
        retry: bool,
    },
    Waiting(String),
}

/// Completes a link's scenario through the lab's [`labs::Prepare`]: the link to open (itself
/// when nothing was added, or when it does not parse and `Page::open` will say why), or what
/// stops it.
fn prepare_link(
    link: &str,
    prepare: labs::Prepare,
    wake: &Callback<()>,
) -> Result<String, labs::Prepared> {
    let Ok((_, mut payload)) = orrery_core::link::parse(link) else {
        return Ok(link.to_string());
    };
    match (prepare.scenario)(payload.scenario.clone(), wake) {
        labs::Prepared::Ready(scenario) if scenario == payload.scenario => Ok(link.to_string()),
        labs::Prepared::Ready(scenario) => {
            payload.scenario = scenario;
            Ok(orrery_core::link::fragment(&payload))
        }
        other => Err(other),
    }
}

/// A counter that moves when a load the page waits for ends, or on "Try again".
struct Wakes(u32);

impl Reducible for Wakes {
    type Action = ();
    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Wakes(self.0 + 1))
    }
}

/// Opens the run (from the link or the default scenario), then hands it to the body. A link
/// whose scenario needs data the page loads on demand ([`labs::Prepare`]) waits for it first,
/// and opens again when it arrives.
#[function_component(LabPage)]
pub fn lab_page(props: &LabPageProps) -> Html {
    let wakes = use_reducer(|| Wakes(0));
    let wake = {
        let dispatcher = wakes.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(()))
    };
    let opened = {
        let id = props.lab.clone();
        let link = props.link.clone();
        let wake = wake.clone();
        use_memo(wakes.0, move |_| -> Result<(Lab, Opening), String> {
            let lab = labs::find(&id).ok_or_else(|| format!("There is no lab called “{id}”."))?;
            let (link, stopped) = match (link, labs::ui(lab.id).prepare) {
                (Some(link), Some(prepare)) => match prepare_link(&link, prepare, &wake) {
                    Ok(link) => (Some(link), None),
                    Err(labs::Prepared::Loading(note)) => return Ok((lab, Opening::Waiting(note))),
                    Err(other) => (None, Some(other)),
                },
                (link, _) => (link, None),
            };
            let mut page = Page::open(lab, link.as_deref())?;
            let retry = matches!(stopped, Some(labs::Prepared::Failed(_)));
            if let Some(labs::Prepared::Failed(e) | labs::Prepared::Refused(e)) = stopped {
                page.link_error = Some(e);
            }
            Ok((lab, Opening::Open { page, retry }))
        })
    };
    match &*opened {
        Ok((_, Opening::Waiting(note))) => html! {
            <main class="lab-page">
                <p class="notice" role="status" data-testid="prepare-status">{ note }</p>
            </main>
        },
        Ok((lab, Opening::Open { page, retry })) => {
            let retry = retry.then(|| {
                let lab = lab.id;
                Callback::from(move |_: MouseEvent| {
                    if let Some(prepare) = labs::ui(lab).prepare {
                        (prepare.retry)();
                    }
                    wake.emit(());
                })
            });
            html! {
                <LabBody key={wakes.0} lab={LabKey(*lab)} initial={Initial(Rc::new(page.clone()))}
                    retry_link={retry} />
            }
        }
        Err(e) => html! {
            <main class="lab-page">
                <div class="error-banner" role="alert">{ format!("This lab could not start: {e}") }</div>
            </main>
        },
    }
}

/// A lab as a property; labs are equal when their ids are.
#[derive(Clone, Copy)]
struct LabKey(Lab);

impl PartialEq for LabKey {
    fn eq(&self, other: &LabKey) -> bool {
        self.0.id == other.0.id
    }
}

/// The page state the body starts from; read once.
#[derive(Clone)]
struct Initial(Rc<Page>);

impl PartialEq for Initial {
    fn eq(&self, other: &Initial) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct LabBodyProps {
    lab: LabKey,
    initial: Initial,
    /// "Try again" for a link whose data failed to load.
    #[prop_or_default]
    retry_link: Option<Callback<MouseEvent>>,
}

/// A scenario from the form waiting for the data it needs, or the failure to load it.
#[derive(Clone, PartialEq)]
struct Preparing {
    text: String,
    failed: bool,
}

/// Applies a scenario from the form through the lab's [`labs::Prepare`]: at once when it is
/// ready, or again when its data arrives, unless another scenario was applied meanwhile
/// (`pending` holds the scenario waiting; `generation` tells them apart).
fn apply_scenario(
    scenario: Value,
    prepare: Option<labs::Prepare>,
    dispatch: Callback<Action>,
    status: UseStateHandle<Option<Preparing>>,
    pending: Rc<RefCell<(u64, Option<Value>)>>,
) {
    let Some(prepare) = prepare else {
        dispatch.emit(Action::Scenario(scenario));
        return;
    };
    let generation = {
        let mut p = pending.borrow_mut();
        p.0 += 1;
        p.1 = Some(scenario.clone());
        p.0
    };
    let wake = {
        let (scenario, dispatch, status, pending) = (
            scenario.clone(),
            dispatch.clone(),
            status.clone(),
            pending.clone(),
        );
        Callback::from(move |()| {
            if pending.borrow().0 == generation {
                apply_scenario(
                    scenario.clone(),
                    Some(prepare),
                    dispatch.clone(),
                    status.clone(),
                    pending.clone(),
                );
            }
        })
    };
    match (prepare.scenario)(scenario, &wake) {
        labs::Prepared::Ready(scenario) => {
            pending.borrow_mut().1 = None;
            status.set(None);
            dispatch.emit(Action::Scenario(scenario));
        }
        labs::Prepared::Loading(text) => status.set(Some(Preparing {
            text,
            failed: false,
        })),
        labs::Prepared::Failed(text) => status.set(Some(Preparing { text, failed: true })),
        labs::Prepared::Refused(e) => {
            pending.borrow_mut().1 = None;
            status.set(None);
            dispatch.emit(Action::ScenarioRefused(e));
        }
    }
}

/// The seek bar's ticks: inputs, refusals and the first violation, snapped to bins so a
/// long run draws a bounded number of them.
fn ticks(s: &Session) -> Rc<Vec<(f64, Tick)>> {
    let end = s.horizon.max(s.a.now()).max(1);
    let bin = |t: Time| (t.min(end) * TICK_BINS / end).min(TICK_BINS);
    let mut set: BTreeSet<(u64, Tick)> = s
        .markers
        .iter()
        .map(|(&(t, _), kind)| {
            let tick = match kind {
                Marker::Input => Tick::Input,
                Marker::Refusal => Tick::Refusal,
            };
            (bin(t), tick)
        })
        .collect();
    if let Some((t, _)) = &s.first_violation {
        set.insert((bin(*t), Tick::Violation));
    }
    Rc::new(
        set.into_iter()
            .map(|(b, k)| (b as f64 / TICK_BINS as f64, k))
            .collect(),
    )
}

#[function_component(LabBody)]
fn lab_body(props: &LabBodyProps) -> Html {
    let lab = props.lab.0;
    let ui = labs::ui(lab.id);
    let page = {
        let initial = Rc::clone(&props.initial.0);
        use_reducer(move || (*initial).clone())
    };
    let dispatch = {
        let dispatcher = page.dispatcher();
        use_memo((), move |_| {
            Callback::from(move |a: Action| dispatcher.dispatch(a))
        })
    };
    let dispatch: Callback<Action> = (*dispatch).clone();
    let on_command = {
        let d = dispatch.clone();
        use_memo((), move |_| {
            Callback::from(move |v: Value| d.emit(Action::Command(v)))
        })
    };
    let on_command: Callback<Value> = (*on_command).clone();
    {
        let d = dispatch.clone();
        use_animation_frame(
            page.playing,
            Callback::from(move |dt: f64| d.emit(Action::Tick(dt))),
        );
    }
    {
        let d = dispatch.clone();
        use_shortcuts(Callback::from(move |key: Shortcut| {
            d.emit(match key {
                Shortcut::PlayPause => Action::TogglePlay,
                Shortcut::Step => Action::Step,
                Shortcut::StepBack => Action::StepBack,
                Shortcut::Slower => Action::Slower,
                Shortcut::Faster => Action::Faster,
            })
        }));
    }
    {
        let d = dispatch.clone();
        use_effect_with(page.notice.as_ref().map(|n| n.id), move |id| {
            let timer =
                id.map(|id| Timeout::new(NOTICE_MS, move || d.emit(Action::DismissNotice(id))));
            move || drop(timer)
        });
    }
    let on_share = {
        let d = dispatch.clone();
        let page = page.clone();
        Callback::from(move |_: ()| {
            let url = format!("{}#{}", base_url(), page.fragment());
            d.emit(Action::Shared(url.clone()));
            let d = d.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // `navigator.clipboard` is undefined outside secure contexts (plain http from
                // another host), so it is read as a plain property before use.
                let clipboard = web_sys::window()
                    .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"clipboard".into()).ok())
                    .filter(|c| c.is_object())
                    .map(|c| c.unchecked_into::<web_sys::Clipboard>());
                let copied = match clipboard {
                    Some(clipboard) => {
                        wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&url))
                            .await
                            .is_ok()
                    }
                    None => false,
                };
                let text = if copied {
                    "Link copied. Whoever opens it sees this run at this moment."
                } else {
                    "The browser did not allow copying; copy the link from the field instead."
                };
                d.emit(Action::Notify {
                    text: text.into(),
                    error: !copied,
                });
            });
        })
    };
    let on_jump = {
        let d = dispatch.clone();
        Callback::from(move |t: Time| {
            d.emit(Action::Pause);
            d.emit(Action::Seek(t));
        })
    };
    let on_compare = {
        let d = dispatch.clone();
        Callback::from(move |spec| d.emit(Action::Compare(spec)))
    };
    let preparing = use_state(|| None::<Preparing>);
    let pending = use_mut_ref(|| (0u64, None::<Value>));
    let on_scenario = {
        let (d, preparing, pending) = (dispatch.clone(), preparing.clone(), pending.clone());
        Callback::from(move |v: Value| {
            apply_scenario(v, ui.prepare, d.clone(), preparing.clone(), pending.clone())
        })
    };
    let retry_scenario = {
        let (d, preparing, pending) = (dispatch.clone(), preparing.clone(), pending.clone());
        Callback::from(move |_: MouseEvent| {
            let waiting = pending.borrow().1.clone();
            if let (Some(prepare), Some(v)) = (ui.prepare, waiting) {
                (prepare.retry)();
                apply_scenario(
                    v,
                    Some(prepare),
                    d.clone(),
                    preparing.clone(),
                    pending.clone(),
                );
            }
        })
    };

    let session_ref = SessionRef(Rc::clone(&page.session));
    // The scenario changes only through actions, which all move the slow revision; copying it
    // out of the run (and printing it for the form's key) on every frame would be wasted.
    let scenario = {
        let session = Rc::clone(&page.session);
        use_memo(page.slow_rev, move |_| {
            let scenario = session.borrow().a.scenario_json();
            let key = scenario.to_string();
            (scenario, key)
        })
    };
    let (scenario, scenario_key) = (scenario.0.clone(), scenario.1.clone());
    let slow_view = SlowView {
        rev: page.slow_rev,
        session: session_ref.clone(),
    };
    let s = page.session.borrow();
    let now = s.a.now();
    let compare = s.b.is_some();
    let stage = |side: Side| -> Html {
        let Some(run) = s.run(side) else {
            return Html::default();
        };
        let violation = run.violation().map(|(t, _, v)| (t, v.to_string()));
        let seen = if side == Side::A {
            s.first_violation.clone()
        } else {
            violation.clone()
        };
        let label = if compare {
            format!(
                "{} · {}",
                if side == Side::A { "A" } else { "B" },
                s.label(side)
            )
        } else {
            String::new()
        };
        html! {
            <div key={if side == Side::A { "a" } else { "b" }}
                class={classes!("stage", compare.then_some(if side == Side::A { "side-a" } else { "side-b" }))}>
                <Invariants label={label.clone()} current={violation} {seen} on_jump={on_jump.clone()} />
                if compare {
                    <h3 class="stage-label">{ label }</h3>
                }
                { (ui.view)(run, &on_command) }
            </div>
        }
    };
    let views = if compare {
        html! { <div class="stages two">{ stage(Side::A) }{ stage(Side::B) }</div> }
    } else {
        html! { <div class="stages">{ stage(Side::A) }</div> }
    };
    html! {
        <ContextProvider<SlowView> context={slow_view}>
        <main class="lab-page">
            <div class="lab-head">
                <div class="lab-title">
                    <h1>{ lab.title }</h1>
                    <p class="muted">{ lab.summary }</p>
                </div>
                <Share url={page.share_url.clone()} on_share={on_share} />
            </div>
            if let Some(e) = &page.link_error {
                <div class="error-banner" role="alert">
                    <strong>{ "This link could not be opened. " }</strong>
                    <span class="message">{ format!("{}.", e.trim_end_matches('.')) }</span>
                    <span>{ " Showing the lab's default scenario instead." }</span>
                    if let Some(retry) = &props.retry_link {
                        { " " }
                        <button type="button" data-testid="prepare-retry" onclick={retry.clone()}>{ "Try again" }</button>
                    }
                </div>
            }
            <Controls playing={page.playing} speed={page.speed} now={now} end={s.horizon}
                ticks={ticks(&s)} digest={(!page.playing).then(|| s.a.digest())}
                dispatch={dispatch.clone()} />
            if let Some(n) = &page.notice {
                <div class={classes!("notice", n.error.then_some("error"))} role="status">{ &n.text }</div>
            }
            <CompareBar lab={lab.id} spec={s.compare.clone()} scenario={scenario.clone()}
                on_change={on_compare} />
            <div class={classes!("lab-grid", compare.then_some("comparing"))}>
                <div class="main-col">
                    { views }
                    <FaultPalette palette={(ui.palette)(s.a.as_ref())} on_command={on_command.clone()} />
                </div>
                <aside class="side-col">
                    <MetricsPanel session={session_ref.clone()} rev={page.slow_rev} />
                    // The log follows the slow revision too: while playing it gains lines faster
                    // than anyone reads (a dozen a frame with 8 typists), so it moves a few
                    // times a second, and at once on every action.
                    <Log session={session_ref} rev={page.slow_rev} lab={lab.id} />
                </aside>
            </div>
            if let Some(p) = &*preparing {
                <p class={classes!("notice", p.failed.then_some("error"))}
                    role={if p.failed { "alert" } else { "status" }} data-testid="prepare-status">
                    { &p.text }
                    if p.failed {
                        { " " }
                        <button type="button" data-testid="prepare-retry" onclick={retry_scenario}>{ "Try again" }</button>
                    }
                </p>
            }
            <ScenarioForm key={scenario_key} scenario={scenario} lab={lab.id}
                error={page.form_error.clone()} on_apply={on_scenario} />
            <footer class="keys muted">
                <span><kbd>{ "space" }</kbd>{ " play/pause" }</span>
                <span><kbd>{ "." }</kbd>{ " step" }</span>
                <span><kbd>{ "," }</kbd>{ " back" }</span>
                <span><kbd>{ "[" }</kbd>{ " " }<kbd>{ "]" }</kbd>{ " speed" }</span>
            </footer>
        </main>
        </ContextProvider<SlowView>>
    }
}
