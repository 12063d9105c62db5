//! The cache lab's miss-ratio curves: hit ratio against capacity for several policies on one
//! trace (a file opened from disk, or 200,000 requests of the current scenario's workload),
//! computed by `orrery_core::cache::mrc::MrcJob` off the page's thread: in Web Workers (the
//! `mrc-worker` binary), one per spare core up to four, each computing some of the policies,
//! so the page (and the simulation) keeps running while a progress bar fills. Where a worker
//! cannot start, the job runs on the page in slices, one per animation frame.
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
//! The page and a worker speak JSON strings ([`WorkerRequest`], [`WorkerReply`]):
//!
//! ```text
//!   page                         worker (mrc-worker_loader.js)
//!    new Worker ───────────────►  starts, sets its handler
//!               ◄─────────────── Ready
//!    {request, bytes} ─────────►  prepare (parse or generate), then MrcJob::step in ~50 ms
//!               ◄─────────────── Progress {done, total} after each step
//!               ◄─────────────── Done {curves, source, prepare_ms} | Error(message)
//!    terminate() on Cancel, on leaving the page, or when every worker is done
//! ```
//!
//! On the page's thread, each slice serves a budget of requests sized from the previous
//! slice's measured cost so that a frame spends about [`FRAME_BUDGET_MS`] here. Two steps of
//! the job cannot be sliced (parsing the file and building OPT's next-use table); on a
//! million-request trace they take tens of milliseconds each, once.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use gloo::render::{request_animation_frame, AnimationFrame};
use orrery_core::cache::lab::Scenario;
use orrery_core::cache::mrc::{even_capacities, Curve, Curves, MrcJob};
use orrery_core::cache::trace::{self, Format};
use orrery_core::cache::workload::Generator;
use orrery_core::rng::Rng;
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
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
/// Milliseconds of work between two progress reports of a worker.
const WORKER_STEP_MS: f64 = 50.0;
/// At most this many workers share a job.
const MAX_WORKERS: usize = 4;
/// The worker's loader, written by Trunk beside the page (`data-loader-shim`).
const WORKER_URL: &str = "./mrc-worker_loader.js";
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
pub struct TraceFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What the page asks a worker to compute: [`prepare`]'s arguments, the file's bytes aside
/// (they travel beside the request as a `Uint8Array`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerRequest {
    pub from_file: bool,
    pub file_name: String,
    pub format: String,
    pub scenario: Scenario,
    pub policies: Vec<String>,
    pub max: Option<u64>,
}

/// What a worker says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WorkerReply {
    /// Started and listening: the page sends the request only after this.
    Ready,
    Progress {
        done: u64,
        total: u64,
    },
    Done {
        curves: Curves,
        source: String,
        prepare_ms: f64,
    },
    Error(String),
}

/// The worker's side: computes `request` to the end, reporting through `post` after each step
/// of about [`WORKER_STEP_MS`] (`now` is the worker's wall clock in ms).
pub fn serve(
    request: &WorkerRequest,
    bytes: Vec<u8>,
    now: &dyn Fn() -> f64,
    post: &mut dyn FnMut(&WorkerReply),
) {
    let started = now();
    let file = TraceFile {
        name: request.file_name.clone(),
        bytes,
    };
    let names: Vec<&str> = request.policies.iter().map(String::as_str).collect();
    let prepared = prepare(
        request.from_file,
        Some(&file),
        &request.format,
        &request.scenario,
        &names,
        request.max,
    );
    let (mut job, source) = match prepared {
        Ok(x) => x,
        Err(e) => return post(&WorkerReply::Error(e)),
    };
    let prepare_ms = now() - started;
    let mut budget = FIRST_BUDGET;
    loop {
        let t0 = now();
        let p = job.step(budget);
        let took = now() - t0;
        let scale = if took > 0.0 {
            (WORKER_STEP_MS / took).clamp(0.5, 4.0)
        } else {
            4.0
        };
        budget = ((budget as f64 * scale) as u64).clamp(MIN_BUDGET, 64 * MAX_BUDGET);
        if let Some(curves) = job.result() {
            return post(&WorkerReply::Done {
                curves,
                source,
                prepare_ms,
            });
        }
        post(&WorkerReply::Progress {
            done: p.done,
            total: p.total,
        });
    }
}

/// Deals `n` policies to `workers` workers round-robin: which policy indices each computes.
pub fn deal(n: usize, workers: usize) -> Vec<Vec<usize>> {
    let workers = workers.clamp(1, n.max(1));
    let mut hands = vec![Vec::new(); workers];
    for i in 0..n {
        hands[i % workers].push(i);
    }
    hands
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
        /// How many workers computed it; 0 when it ran on the page's thread.
        workers: usize,
    },
    Cancelled,
    Error(String),
}

/// A job under way: on the page's thread, the frame loop (dropping it cancels the next
/// frame); in workers, the pool (dropping it terminates them).
#[derive(Default)]
enum Job {
    #[default]
    None,
    /// Held for its `Drop`, which cancels the next frame.
    Frames { _frame: AnimationFrame },
    /// Held for its `Drop`, which terminates the workers.
    Workers { _pool: Pool },
}

type Driver = Rc<RefCell<Job>>;

/// The workers of one job and their message handlers, which must live as long as they do.
struct Pool {
    workers: Vec<web_sys::Worker>,
    _handlers: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

impl Pool {
    fn terminate(&self) {
        for w in &self.workers {
            w.terminate();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// What the workers of one job have reported so far.
struct Gather {
    progress: Vec<(u64, u64)>,
    /// Each worker's policy indices and, once done, its curves.
    hands: Vec<Vec<usize>>,
    results: Vec<Option<Curve>>,
    requests: u64,
    capacities: Vec<u64>,
    source: String,
    prepare_ms: f64,
    remaining: usize,
    failed: bool,
}

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
    let driver: Driver = (*use_memo((), |_| Rc::new(RefCell::new(Job::None)))).clone();
    {
        // Leaving the page stops the job.
        let driver = Rc::clone(&driver);
        use_effect_with((), move |_| move || drop(driver.take()));
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
            drop(driver.take());
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
            drop(driver.take());
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
            if names.is_empty() {
                status.set(Status::Error("Tick at least one policy.".into()));
                return;
            }
            if *from_file && file.is_none() {
                status.set(Status::Error(
                    "Choose a trace file first (or the current workload).".into(),
                ));
                return;
            }
            let request = WorkerRequest {
                from_file: *from_file,
                file_name: file.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
                format: (*format).clone(),
                scenario: (*scenario).clone(),
                policies: names.iter().map(|p| p.to_string()).collect(),
                max,
            };
            let bytes = file.as_ref().map(|f| f.bytes.as_slice()).unwrap_or(&[]);
            if let Ok(pool) = start_workers(&request, bytes, status.clone(), started) {
                status.set(Status::Running { done: 0, total: 0 });
                *driver.borrow_mut() = Job::Workers { _pool: pool };
                return;
            }
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
                            <>{ for Format::NAMES.iter().map(|f| html! {
                                <option value={*f} selected={*format == *f}>{ *f }</option>
                            }) }</>
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
                    <>{ for policies.iter().enumerate().map(|(i, p)| html! {
                        <label class="inline">
                            <input type="checkbox" checked={selected.get(i).copied().unwrap_or(false)}
                                data-testid={format!("mrc-policy-{p}")} onchange={on_toggle(i)} />
                            <span>{ policy_label(p) }</span>
                        </label>
                    }) }</>
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

/// How many workers to use: one per core beyond the page's own, at least one, at most
/// [`MAX_WORKERS`] and never more than there are policies.
fn worker_count(policies: usize) -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(1.0) as usize;
    cores
        .saturating_sub(1)
        .clamp(1, MAX_WORKERS)
        .min(policies.max(1))
}

/// Starts the workers of a job; each gets the request with its hand of policies once it says
/// it is ready. Fails (and the caller computes on the page) when a worker cannot be created.
fn start_workers(
    request: &WorkerRequest,
    bytes: &[u8],
    status: UseStateHandle<Status>,
    started: f64,
) -> Result<Pool, JsValue> {
    let hands = deal(request.policies.len(), worker_count(request.policies.len()));
    let gather = Rc::new(RefCell::new(Gather {
        progress: vec![(0, 0); hands.len()],
        results: vec![None; request.policies.len()],
        hands: hands.clone(),
        requests: 0,
        capacities: Vec::new(),
        source: String::new(),
        prepare_ms: 0.0,
        remaining: hands.len(),
        failed: false,
    }));
    let workers: Vec<web_sys::Worker> = hands
        .iter()
        .map(|_| web_sys::Worker::new(WORKER_URL))
        .collect::<Result<_, _>>()?;
    let mut handlers = Vec::new();
    for (i, hand) in hands.iter().enumerate() {
        let mut own = request.clone();
        own.policies = hand.iter().map(|&p| request.policies[p].clone()).collect();
        let message = js_sys::Object::new();
        let json = serde_json::to_string(&own).unwrap_or_default();
        js_sys::Reflect::set(&message, &"request".into(), &json.into())?;
        js_sys::Reflect::set(
            &message,
            &"bytes".into(),
            &js_sys::Uint8Array::from(bytes).into(),
        )?;
        let worker = workers[i].clone();
        let all = workers.clone();
        let gather = Rc::clone(&gather);
        let status = status.clone();
        let handler =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let reply = e
                    .data()
                    .as_string()
                    .and_then(|s| serde_json::from_str::<WorkerReply>(&s).ok())
                    .unwrap_or_else(|| WorkerReply::Error("a worker sent a garbled reply".into()));
                let mut g = gather.borrow_mut();
                if g.failed {
                    return;
                }
                match reply {
                    WorkerReply::Ready => {
                        let _ = worker.post_message(&message);
                    }
                    WorkerReply::Progress { done, total } => g.progress[i] = (done, total),
                    WorkerReply::Error(message) => {
                        g.failed = true;
                        all.iter().for_each(web_sys::Worker::terminate);
                        status.set(Status::Error(message));
                        return;
                    }
                    WorkerReply::Done {
                        curves,
                        source,
                        prepare_ms,
                    } => {
                        worker.terminate();
                        let total = g.progress[i].1.max(1);
                        g.progress[i] = (total, total);
                        g.requests = curves.requests;
                        g.capacities = curves.capacities.clone();
                        g.prepare_ms = g.prepare_ms.max(prepare_ms);
                        // The source line names the policies of the first hand only; the
                        // trace part (before the colon's details) is the same for all.
                        if g.source.is_empty() {
                            g.source = source;
                        }
                        let hand = g.hands[i].clone();
                        for (curve, p) in curves.curves.into_iter().zip(hand) {
                            g.results[p] = Some(curve);
                        }
                        g.remaining -= 1;
                    }
                }
                if g.remaining == 0 {
                    let curves = Curves {
                        requests: g.requests,
                        capacities: g.capacities.clone(),
                        curves: g.results.iter().flatten().cloned().collect(),
                    };
                    status.set(Status::Done {
                        curves: Rc::new(curves),
                        ms: performance_now() - started,
                        prepare_ms: g.prepare_ms,
                        source: g.source.clone(),
                        workers: g.hands.len(),
                    });
                } else {
                    let (done, total) = g
                        .progress
                        .iter()
                        .fold((0, 0), |(d, t), &(a, b)| (d + a, t + b));
                    status.set(Status::Running { done, total });
                }
            });
        workers[i].set_onmessage(Some(handler.as_ref().unchecked_ref()));
        handlers.push(handler);
    }
    Ok(Pool {
        workers,
        _handlers: handlers,
    })
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
            drop(slot.take());
            run.status.set(Status::Done {
                curves: Rc::new(curves),
                ms: performance_now() - run.started,
                prepare_ms: run.prepare_ms,
                source: run.source,
                workers: 0,
            });
        } else {
            run.status.set(Status::Running {
                done: p.done,
                total: p.total,
            });
            pump(slot, run);
        }
    });
    *driver.borrow_mut() = Job::Frames { _frame: frame };
}

/// Reads the trace and builds the job: keys, capacities and policies checked.
pub fn prepare(
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
            // Workers report their totals after reading the trace; until then it is 0 of 0.
            let pct = if *total == 0 {
                0.0
            } else {
                *done as f64 * 100.0 / *total as f64
            };
            html! {
                <div class="mrc-progress">
                    <progress data-testid="mrc-progress" max={total.max(&1).to_string()} value={done.to_string()}></progress>
                    <span class="muted small">{ format!("{pct:.0}%") }</span>
                </div>
            }
        }
        Status::Done {
            curves,
            ms,
            prepare_ms,
            source,
            workers,
        } => html! {
            <div class="mrc-result">
                <p class="muted small">
                    { source.clone() }{ " · " }
                    <span data-testid="mrc-time" data-ms={format!("{ms:.0}")}
                        title="Wall time from the click to the last point, reading the trace included">
                        { format!("computed in {ms:.0} ms") }
                    </span>
                    { format!(" (reading the trace {prepare_ms:.0} ms)") }
                    <span data-testid="mrc-where">{ match workers {
                        0 => " on the page's thread".to_string(),
                        1 => " in a worker".to_string(),
                        n => format!(" in {n} workers"),
                    } }</span>
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
                <>{ for [0u64, 2500, 5000, 7500, 10000].iter().map(|&bp| html! {
                    <g class="grid">
                        <line x1={f1(LEFT)} x2={f1(W - RIGHT)} y1={f1(y(bp))} y2={f1(y(bp))} />
                        <text class="y-tick" x={f1(LEFT - 6.0)} y={f1(y(bp))}>{ format!("{}%", bp / 100) }</text>
                    </g>
                }) }</>
                <>{ for x_ticks.iter().map(|&cap| html! {
                    <text class="x-tick" x={f1(x(cap))} y={f1(H - BOTTOM + 14.0)}>{ cap }</text>
                }) }</>
                <text class="axis-label" x={f1(W - RIGHT)} y={f1(H - 4.0)}>{ "capacity (objects)" }</text>
                <>{ for c.curves.iter().enumerate().map(|(i, curve)| {
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
                            <>{ for stats.iter().map(|&(cap, bp)| html! {
                                <circle cx={f1(x(cap))} cy={f1(y(bp))} r="2.4"
                                    data-capacity={cap.to_string()} data-hit-bp={bp.to_string()}>
                                    <title>{ format!("{} at {cap}: {}.{:02}%", policy_label(&curve.policy), bp / 100, bp % 100) }</title>
                                </circle>
                            }) }</>
                        </g>
                    }
                }) }</>
            </svg>
            <ul class="mrc-legend" data-testid="mrc-legend">
                <>{ for c.curves.iter().enumerate().map(|(i, curve)| {
                    let bp = c.stats(i, last).hit_ratio_bp();
                    html! {
                        <li class={classes!(curve.policy.eq("opt").then_some("opt"))}
                            style={format!("--c:{}", colour(&curve.policy))}>
                            <span class="swatch"></span>
                            { policy_label(&curve.policy) }
                            <span class="muted">{ format!(" {}.{:02}%", bp / 100, bp % 100) }</span>
                        </li>
                    }
                }) }</>
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
