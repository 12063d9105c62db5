//! The cache lab's miss-ratio curves: hit ratio against capacity for several policies on one
//! trace (a file opened from disk, or 200,000 requests of the current scenario's workload),
//! computed by `orrery_core::cache::mrc::MrcJob` in slices, one slice per animation frame,
//! so the page (and the simulation) keeps running while a progress bar fills.
//!
//! ```text
//!   ▸ Miss-ratio curves
//!     source (•) trace file [choose…] format [arc ▾]   ( ) current workload
//!     policies [x] LRU [ ] FIFO … [x] OPT    max capacity [auto]   [Compute] [Cancel]
//!     ▓▓▓▓▓▓▓░░░░░ 58%
//!     100% ┤         ____----- OPT (dashed)
//!          │   __----  ___---- ARC
//!       0% ┼──────────────────── capacity
//! ```
//!
//! Each slice serves a budget of requests sized from the previous slice's measured cost so
//! that a frame spends about [`FRAME_BUDGET_MS`] here. Two steps of the job cannot be sliced
//! (parsing the file and building OPT's next-use table); on a million-request trace they take
//! tens of milliseconds each, once.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use gloo::render::{request_animation_frame, AnimationFrame};
use orrery_core::cache::lab::Scenario;
use orrery_core::cache::mrc::{even_capacities, Curves, MrcJob};
use orrery_core::cache::trace::{self, Format};
use orrery_core::cache::workload::Generator;
use orrery_core::rng::Rng;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::cache::{policy_label, POLICIES};
use crate::hooks::performance_now;

/// Requests generated from the current workload.
pub const WORKLOAD_REQUESTS: u64 = 200_000;
/// Capacities on each curve.
pub const POINTS: u64 = 16;
/// Milliseconds of work per animation frame the job aims for: with the simulation's own
/// advance and render (a few ms) a frame still fits in 16.7 ms.
pub const FRAME_BUDGET_MS: f64 = 8.0;
/// The first slice's budget, in requests served, before anything is measured.
const FIRST_BUDGET: u64 = 50_000;
const MIN_BUDGET: u64 = 2_000;
const MAX_BUDGET: u64 = 4_000_000;
/// Policies ticked when the panel opens.
const DEFAULT_POLICIES: &[&str] = &["lru", "arc", "lirs", "s3fifo", "wtinylfu", "opt"];

/// Every policy the panel offers: the online ones, then OPT.
fn all_policies() -> Vec<&'static str> {
    POLICIES.iter().copied().chain(["opt"]).collect()
}

/// The next slice's budget: scaled so that a slice that took `took_ms` for `budget` requests
/// would have taken [`FRAME_BUDGET_MS`], at most doubling or halving per frame.
pub fn next_budget(budget: u64, took_ms: f64) -> u64 {
    let scale = if took_ms > 0.0 && took_ms.is_finite() {
        (FRAME_BUDGET_MS / took_ms).clamp(0.5, 2.0)
    } else {
        2.0
    };
    ((budget as f64 * scale) as u64).clamp(MIN_BUDGET, MAX_BUDGET)
}

/// A trace format guessed from a file name (`.gz` aside): `.lis` is ARC's, `.trace` LIRS's.
pub fn format_for(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".lis") {
        Some("arc")
    } else if name.ends_with(".trace") {
        Some("lirs")
    } else if name.ends_with(".txt") || name.ends_with(".keys") {
        Some("lines")
    } else {
        None
    }
}

/// A file read from disk.
#[derive(Debug)]
struct TraceFile {
    name: String,
    bytes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Loading,
    Running {
        done: u64,
        total: u64,
    },
    Done {
        curves: Rc<Curves>,
        /// Wall milliseconds from the click to the last slice, parsing included.
        ms: f64,
        /// Of which reading the trace (parse or generate).
        prepare_ms: f64,
        source: String,
    },
    Cancelled,
    Error(String),
}

/// The frame loop of a job under way; dropping it cancels the next frame.
type Driver = Rc<RefCell<Option<AnimationFrame>>>;

#[derive(Properties, PartialEq)]
pub struct MrcPanelProps {
    pub scenario: Rc<Scenario>,
}

/// The panel: a `<details>`, closed at first.
#[function_component(MrcPanel)]
pub fn mrc_panel(props: &MrcPanelProps) -> Html {
    let policies = use_memo((), |_| all_policies());
    let from_file = use_state(|| true);
    let format = use_state(|| "arc".to_string());
    let file: UseStateHandle<Option<Rc<TraceFile>>> = use_state(|| None);
    let selected = use_state(|| {
        all_policies()
            .iter()
            .map(|p| DEFAULT_POLICIES.contains(p))
            .collect::<Vec<bool>>()
    });
    let status = use_state(|| Status::Idle);
    let max_ref = use_node_ref();
    let driver: Driver = (*use_memo((), |_| Rc::new(RefCell::new(None)))).clone();
    {
        // Leaving the page stops the job.
        let driver = Rc::clone(&driver);
        use_effect_with((), move |_| move || drop(driver.borrow_mut().take()));
    }

    let on_file = {
        let file = file.clone();
        let format = format.clone();
        let status = status.clone();
        let from_file = from_file.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let Some(f) = input.files().and_then(|list| list.get(0)) else {
                return;
            };
            let name = f.name();
            if let Some(guess) = format_for(&name) {
                format.set(guess.to_string());
            }
            from_file.set(true);
            status.set(Status::Loading);
            let file = file.clone();
            let status = status.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        file.set(Some(Rc::new(TraceFile { name, bytes })));
                        status.set(Status::Idle);
                    }
                    Err(e) => {
                        file.set(None);
                        status.set(Status::Error(format!(
                            "{name} could not be read: {}",
                            e.as_string().unwrap_or_else(|| format!("{e:?}"))
                        )));
                    }
                }
            });
        })
    };
    let on_format = {
        let format = format.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                format.set(s.value());
            }
        })
    };
    let on_source = |file_source: bool| {
        let from_file = from_file.clone();
        Callback::from(move |_: Event| from_file.set(file_source))
    };
    let on_toggle = |i: usize| {
        let selected = selected.clone();
        Callback::from(move |_: Event| {
            let mut next = (*selected).clone();
            if let Some(x) = next.get_mut(i) {
                *x = !*x;
            }
            selected.set(next);
        })
    };
    let on_cancel = {
        let driver = Rc::clone(&driver);
        let status = status.clone();
        Callback::from(move |_: MouseEvent| {
            driver.borrow_mut().take();
            status.set(Status::Cancelled);
        })
    };
    let on_run = {
        let driver = Rc::clone(&driver);
        let status = status.clone();
        let file = file.clone();
        let format = format.clone();
        let from_file = from_file.clone();
        let selected = selected.clone();
        let policies = Rc::clone(&policies);
        let scenario = Rc::clone(&props.scenario);
        let max_ref = max_ref.clone();
        Callback::from(move |_: MouseEvent| {
            driver.borrow_mut().take();
            let started = performance_now();
            let names: Vec<&str> = policies
                .iter()
                .zip(selected.iter())
                .filter(|(_, on)| **on)
                .map(|(p, _)| *p)
                .collect();
            let max = max_ref
                .cast::<HtmlInputElement>()
                .and_then(|i| i.value().trim().parse::<u64>().ok())
                .filter(|&m| m > 0);
            let prepared = prepare(*from_file, file.as_deref(), &format, &scenario, &names, max);
            let (job, source) = match prepared {
                Ok(x) => x,
                Err(e) => {
                    status.set(Status::Error(e));
                    return;
                }
            };
            let prepare_ms = performance_now() - started;
            let p = job.progress();
            status.set(Status::Running {
                done: p.done,
                total: p.total,
            });
            let run = Running {
                job,
                budget: FIRST_BUDGET,
                started,
                prepare_ms,
                source,
                status: status.clone(),
            };
            pump(Rc::clone(&driver), run);
        })
    };

    let running = matches!(*status, Status::Running { .. } | Status::Loading);
    let file_label = file
        .as_ref()
        .map(|f| format!("{} ({} bytes)", f.name, f.bytes.len()));
    html! {
        <details class="panel mrc" data-testid="mrc">
            <summary data-testid="mrc-open"><h2>{ "Miss-ratio curves" }</h2>
                <span class="muted small">{ " hit ratio against capacity, every policy on one trace" }</span>
            </summary>
            <div class="mrc-form">
                <fieldset class="mrc-source">
                    <legend>{ "Trace" }</legend>
                    <label class="inline">
                        <input type="radio" name="mrc-source" checked={*from_file}
                            data-testid="mrc-source-file" onchange={on_source(true)} />
                        <span>{ "File" }</span>
                    </label>
                    <input type="file" data-testid="mrc-file" aria-label="Trace file"
                        accept=".lis,.trace,.txt,.gz,text/plain,application/gzip" onchange={on_file} />
                    <label class="inline">
                        <span>{ "format" }</span>
                        <select data-testid="mrc-format" onchange={on_format}>
                            { for Format::NAMES.iter().map(|f| html! {
                                <option value={*f} selected={*format == *f}>{ *f }</option>
                            }) }
                        </select>
                    </label>
                    if let Some(l) = file_label {
                        <span class="muted small" data-testid="mrc-file-name">{ l }</span>
                    }
                    <label class="inline">
                        <input type="radio" name="mrc-source" checked={!*from_file}
                            data-testid="mrc-source-workload" onchange={on_source(false)} />
                        <span>{ format!("Current workload ({}k requests)", WORKLOAD_REQUESTS / 1000) }</span>
                    </label>
                </fieldset>
                <fieldset class="mrc-policies">
                    <legend>{ "Policies" }</legend>
                    { for policies.iter().enumerate().map(|(i, p)| html! {
                        <label class="inline">
                            <input type="checkbox" checked={selected.get(i).copied().unwrap_or(false)}
                                data-testid={format!("mrc-policy-{p}")} onchange={on_toggle(i)} />
                            <span>{ policy_label(p) }</span>
                        </label>
                    }) }
                </fieldset>
                <div class="mrc-actions">
                    <label class="inline" title="The largest capacity; by default 4× the scenario's, never more than the trace's distinct keys">
                        <span>{ "max capacity" }</span>
                        <input ref={max_ref} type="number" min="1" data-testid="mrc-max"
                            placeholder={format!("auto ({})", props.scenario.capacity.saturating_mul(4))} />
                    </label>
                    <button class="primary" data-testid="mrc-run" onclick={on_run} disabled={running}>
                        { "Compute" }
                    </button>
                    <button data-testid="mrc-cancel" onclick={on_cancel} disabled={!running}>{ "Cancel" }</button>
                </div>
            </div>
            { status_view(&status) }
        </details>
    }
}

/// The job under way, carried from frame to frame.
struct Running {
    job: MrcJob,
    budget: u64,
    started: f64,
    prepare_ms: f64,
    source: String,
    status: UseStateHandle<Status>,
}

/// Serves one slice on the next animation frame, then schedules the next or reports the end.
fn pump(driver: Driver, mut run: Running) {
    let slot = Rc::clone(&driver);
    let frame = request_animation_frame(move |_| {
        let t0 = performance_now();
        let p = run.job.step(run.budget);
        let took = performance_now() - t0;
        run.budget = next_budget(run.budget, took);
        if let Some(curves) = run.job.result() {
            slot.borrow_mut().take();
            run.status.set(Status::Done {
                curves: Rc::new(curves),
                ms: performance_now() - run.started,
                prepare_ms: run.prepare_ms,
                source: run.source,
            });
        } else {
            run.status.set(Status::Running {
                done: p.done,
                total: p.total,
            });
            pump(slot, run);
        }
    });
    *driver.borrow_mut() = Some(frame);
}

/// Reads the trace and builds the job: keys, capacities and policies checked.
fn prepare(
    from_file: bool,
    file: Option<&TraceFile>,
    format: &str,
    scenario: &Scenario,
    names: &[&str],
    max: Option<u64>,
) -> Result<(MrcJob, String), String> {
    if names.is_empty() {
        return Err("Tick at least one policy.".into());
    }
    let (keys, source) = if from_file {
        let file = file.ok_or("Choose a trace file first (or the current workload).")?;
        let fmt = Format::from_name(format).ok_or_else(|| format!("no trace format {format:?}"))?;
        let keys = trace::parse(&file.bytes, fmt).map_err(|e| {
            if e.line == 0 {
                format!("{}: {}", file.name, e.message)
            } else {
                format!("{}, line {}: {}", file.name, e.line, e.message)
            }
        })?;
        (keys, format!("{} ({format})", file.name))
    } else {
        (
            workload_keys(scenario, WORKLOAD_REQUESTS),
            "the current workload".into(),
        )
    };
    if keys.is_empty() {
        return Err("The trace has no requests.".into());
    }
    let distinct = keys.iter().copied().collect::<HashSet<u64>>().len() as u64;
    let max = max
        .unwrap_or_else(|| scenario.capacity.saturating_mul(4))
        .min(distinct)
        .max(1);
    let capacities = even_capacities(POINTS, max);
    let source = format!(
        "{source}: {} requests, {distinct} distinct keys",
        keys.len()
    );
    let job = MrcJob::new(keys, names, &capacities)?;
    Ok((job, source))
}

/// `n` requests of the scenario's workload, from its seed: the same keys every time.
pub fn workload_keys(s: &Scenario, n: u64) -> Vec<u64> {
    let mut g = Generator::new(&s.workload, s.keys, Rng::new(s.seed).fork(2));
    (0..n).map(|_| g.next_key()).collect()
}

fn status_view(status: &Status) -> Html {
    match status {
        Status::Idle => html! {},
        Status::Loading => html! { <p class="muted small">{ "Reading the file…" }</p> },
        Status::Cancelled => {
            html! { <p class="muted small" data-testid="mrc-cancelled">{ "Cancelled." }</p> }
        }
        Status::Error(e) => html! {
            <p class="mrc-error" role="alert" data-testid="mrc-error">{ e }</p>
        },
        Status::Running { done, total } => {
            let pct = if *total == 0 {
                100.0
            } else {
                *done as f64 * 100.0 / *total as f64
            };
            html! {
                <div class="mrc-progress">
                    <progress data-testid="mrc-progress" max={total.to_string()} value={done.to_string()}></progress>
                    <span class="muted small">{ format!("{pct:.0}%") }</span>
                </div>
            }
        }
        Status::Done {
            curves,
            ms,
            prepare_ms,
            source,
        } => html! {
            <div class="mrc-result">
                <p class="muted small">
                    { source.clone() }{ " · " }
                    <span data-testid="mrc-time" data-ms={format!("{ms:.0}")}
                        title="Wall time from the click to the last point, reading the trace included">
                        { format!("computed in {ms:.0} ms") }
                    </span>
                    { format!(" (reading the trace {prepare_ms:.0} ms)") }
                </p>
                <Chart curves={Rc::clone(curves)} />
            </div>
        },
    }
}

/// A policy's colour, fixed per policy whatever else is drawn.
fn colour(policy: &str) -> &'static str {
    match policy {
        "lru" => "#3451d1",
        "fifo" => "#868e96",
        "clock" => "#0ca678",
        "lfu" => "#ae3ec9",
        "2q" => "#f08c00",
        "arc" => "#e03131",
        "sieve" => "#1098ad",
        "lirs" => "#7048e8",
        "s3fifo" => "#2f9e44",
        "wtinylfu" => "#d6336c",
        _ => "#1c2230",
    }
}

#[derive(Properties, PartialEq)]
struct ChartProps {
    curves: Rc<Curves>,
}

const W: f64 = 640.0;
const H: f64 = 300.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 22.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 34.0;

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// The chart: capacity across, hit ratio up, one line per policy, OPT dashed.
#[function_component(Chart)]
fn chart(props: &ChartProps) -> Html {
    let c = &props.curves;
    let max_cap = c.capacities.last().copied().unwrap_or(1).max(1) as f64;
    let x = |cap: u64| LEFT + cap as f64 / max_cap * (W - LEFT - RIGHT);
    let y = |bp: u64| TOP + (1.0 - bp as f64 / 10_000.0) * (H - TOP - BOTTOM);
    let x_ticks: Vec<u64> = {
        let mut t: Vec<u64> = (0..=4)
            .map(|i| (max_cap * i as f64 / 4.0).round() as u64)
            .collect();
        t.dedup();
        t
    };
    let last = c.capacities.len().saturating_sub(1);
    html! {
        <div class="mrc-chart-wrap">
            <svg class="mrc-chart" data-testid="mrc-chart" viewBox={format!("0 0 {W} {H}")}
                role="img" aria-label="Hit ratio against cache capacity, one line per policy">
                { for [0u64, 2500, 5000, 7500, 10000].iter().map(|&bp| html! {
                    <g class="grid">
                        <line x1={f1(LEFT)} x2={f1(W - RIGHT)} y1={f1(y(bp))} y2={f1(y(bp))} />
                        <text class="y-tick" x={f1(LEFT - 6.0)} y={f1(y(bp))}>{ format!("{}%", bp / 100) }</text>
                    </g>
                }) }
                { for x_ticks.iter().map(|&cap| html! {
                    <text class="x-tick" x={f1(x(cap))} y={f1(H - BOTTOM + 14.0)}>{ cap }</text>
                }) }
                <text class="axis-label" x={f1(W - RIGHT)} y={f1(H - 4.0)}>{ "capacity (objects)" }</text>
                { for c.curves.iter().enumerate().map(|(i, curve)| {
                    let stats: Vec<(u64, u64)> = (0..c.capacities.len())
                        .map(|j| (c.capacities[j], c.stats(i, j).hit_ratio_bp()))
                        .collect();
                    let points = stats.iter()
                        .map(|&(cap, bp)| format!("{},{}", f1(x(cap)), f1(y(bp))))
                        .collect::<Vec<_>>()
                        .join(" ");
                    let opt = curve.policy == "opt";
                    let col = colour(&curve.policy);
                    html! {
                        <g class={classes!("curve", opt.then_some("opt"))} data-policy={curve.policy.clone()}
                            style={format!("--c:{col}")}>
                            <polyline points={points} />
                            { for stats.iter().map(|&(cap, bp)| html! {
                                <circle cx={f1(x(cap))} cy={f1(y(bp))} r="2.4"
                                    data-capacity={cap.to_string()} data-hit-bp={bp.to_string()}>
                                    <title>{ format!("{} at {cap}: {}.{:02}%", policy_label(&curve.policy), bp / 100, bp % 100) }</title>
                                </circle>
                            }) }
                        </g>
                    }
                }) }
            </svg>
            <ul class="mrc-legend" data-testid="mrc-legend">
                { for c.curves.iter().enumerate().map(|(i, curve)| {
                    let bp = c.stats(i, last).hit_ratio_bp();
                    html! {
                        <li class={classes!(curve.policy.eq("opt").then_some("opt"))}
                            style={format!("--c:{}", colour(&curve.policy))}>
                            <span class="swatch"></span>
                            { policy_label(&curve.policy) }
                            <span class="muted">{ format!(" {}.{:02}%", bp / 100, bp % 100) }</span>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_guessed_from_names() {
        assert_eq!(format_for("OLTP.lis.gz"), Some("arc"));
        assert_eq!(format_for("loop.trace"), Some("lirs"));
        assert_eq!(format_for("keys.TXT.gz"), Some("lines"));
        assert_eq!(format_for("data.bin"), None);
    }

    #[test]
    fn budgets_adapt_to_the_frame() {
        assert_eq!(next_budget(100_000, 16.0), 50_000);
        assert_eq!(next_budget(100_000, 2.0), 200_000);
        assert_eq!(next_budget(100_000, 8.0), 100_000);
        assert_eq!(next_budget(100_000, 0.0), 200_000);
        assert_eq!(next_budget(1_000, 100.0), MIN_BUDGET);
    }

    #[test]
    fn the_workload_trace_is_deterministic_and_every_policy_is_offered() {
        let s = Scenario::default();
        let a = workload_keys(&s, 1_000);
        assert_eq!(a, workload_keys(&s, 1_000));
        assert!(a.iter().all(|&k| k < s.keys));
        let all = all_policies();
        assert!(DEFAULT_POLICIES.iter().all(|p| all.contains(p)));
        assert_eq!(all.len(), orrery_core::cache::policy::NAMES.len() + 1);
    }
}
