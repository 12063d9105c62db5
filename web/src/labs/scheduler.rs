//! The scheduler lab's picture: a cron expression box (description and next runs in a chosen
//! zone), a week heatmap of every job's fire times with collisions marked, and the cluster:
//! nodes with the lease and fencing tokens, the queue, the workers and the exactly-once strip.
//!
//! ```text
//!   [ 0 9 * * 1-5        ] [Europe/London   ]   At 09:00, Monday through Friday
//!   next: 2024-01-01T09:00:00+00:00 …
//!   week  Mon ▇▇░░▇ … (7 × 24 hours in [UTC ▾], darker = more fires, dot = two jobs at once)
//!   store ● lease node 1, token 3, expires 41.0s
//!   node 0 ✕ crashed   node 1 ★ leader (token 3)   node 2 follower, skew −20000 ms
//!   queue (fair share) billing@300s p9 …   lag p50/p99 per tenant: shop 0.1s/2.0s, ads …
//!   workers 0: report@240s ▓▓▓░░
//!   busy over time  w0 ▓▓▒░▓▓▓▒ … (one row per worker, 24 buckets from 0 s to the last event)
//!   target: 120 applied, 0 duplicates (fencing on) · no run lost: 130 due runs audited
//! ```
//!
//! Everything drawn comes from `SchedulerLab::view()` and the core cron engine; nothing here
//! decides what the scheduler does. The fault palette sends the lab's commands.
//!
//! **Charts read the log, once per log growth.** The utilisation strip and the per-tenant lag
//! come from the whole run so far, so they are kept in a small per-run cache ([`Charts`]) and
//! recomputed only when the log has grown, never on frames that only move the clock. The
//! executions behind the strip are read incrementally: bars that ended before the earliest
//! bar still running never change, so only the log from there on is read again. The strip
//! ends at the last logged event, so it is a function of the log alone and a share link draws
//! it identically.
//!
//! **Time zones are loaded on demand.** The bundle carries no tz database (`orrery-core` is
//! built without `tzdb-bundled`), so UTC works at once and the first zone other than UTC
//! fetches `tzdata.bin` (a relative URL, so any base path works) into one [`TzData`] that the
//! page keeps for its lifetime; every expression box shares it, and it is fetched once.
//! Scenarios use the same load: [`prepare_scenario`] (the lab's `LabUi::prepare`) adds the
//! TZif data of the zones the jobs name to the scenario's `tzif` before a run is built, so
//! the run, and its share link, need no database afterwards. The heatmap's display zone is
//! UTC, a job's zone (resolved from the scenario's data) or the browser's own (which may
//! need the load).
//!
//! ```text
//!   zone "UTC" ──────────────────────────────► Zone::named ──► next runs
//!   zone "Asia/Tokyo" ─► Idle ─► Loading ("loading time zones…") ─► Ready(TzData) ─► TzData::zone
//!                                       └─► Failed ("could not load …", Try again) ─► Idle
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use orrery_core::cron::gantt::{executions, utilisation, Execution};
use orrery_core::cron::heatmap;
use orrery_core::cron::lab::{Pool, Scenario, SchedulerLab, SchedulerView};
use orrery_core::cron::{civil, Dst, Field, Fold, Gap, Schedule, TzData, Zone};
use orrery_core::metrics::Summary;
use orrery_core::registry::LabRun;
use orrery_core::{Run, Time};
use serde_json::{json, Value};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::{LabUi, Prepare, Prepared};
use crate::components::faults::{Fault, Palette};

const MISFIRE: &[&str] = &["fire_once", "fire_all", "skip"];
const OVERLAP: &[&str] = &["allow", "skip", "queue", "replace"];
/// Zones offered by the expression box before the tz database is loaded (then every zone is).
const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Tokyo",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The scheduler lab's entry in [`super::ui`].
pub const UI: LabUi = LabUi {
    view,
    palette,
    choices,
    form_order: &[
        "seed",
        "nodes",
        "workers",
        "fencing",
        "lease_ttl_ms",
        "renew_ms",
        "visibility_timeout_ms",
        "heartbeat_ms",
        "max_attempts",
        "backoff_base_ms",
        "backoff_max_ms",
        "misfire_grace_ms",
        "restart_ms",
        "epoch",
    ],
    compare: &[("fencing", &["true", "false"])],
    describe,
    prepare: Some(Prepare {
        scenario: prepare_scenario,
        retry: retry_tzdata,
        owns: "tzif",
    }),
};

/// Adds to a scenario the TZif data of the zones its jobs name and it does not carry, from
/// the page's one tz database (fetched on the first need), so that the run needs no database
/// and its share link replays anywhere. UTC-only scenarios are ready at once, with no fetch.
fn prepare_scenario(scenario: Value, wake: &Callback<()>) -> Prepared {
    let Ok(mut parsed) = serde_json::from_value::<Scenario>(scenario.clone()) else {
        // Not a scenario at all: building it says what is wrong.
        return Prepared::Ready(scenario);
    };
    if parsed.zones_needed().is_empty() {
        return Prepared::Ready(scenario);
    }
    match tzdata_state() {
        TzLoad::Ready(data) => match parsed.carry_zones(&data) {
            Ok(()) => {
                let mut scenario = scenario;
                if let (Some(fields), Ok(tzif)) =
                    (scenario.as_object_mut(), serde_json::to_value(&parsed.tzif))
                {
                    fields.insert("tzif".into(), tzif);
                }
                Prepared::Ready(scenario)
            }
            Err(e) => Prepared::Refused(e),
        },
        TzLoad::Failed(e) => Prepared::Failed(format!(
            "Could not load the time zones ({TZDATA_URL}) that this scenario's jobs name: {e}."
        )),
        TzLoad::Idle | TzLoad::Loading => {
            request_tzdata(wake.clone());
            Prepared::Loading(format!(
                "Loading time zones for {}…",
                parsed.zones_needed().join(", ")
            ))
        }
    }
}

fn scheduler_run(run: &dyn LabRun) -> Option<&Run<SchedulerLab>> {
    run.as_any().downcast_ref::<Run<SchedulerLab>>()
}

fn snapshot(run: &dyn LabRun) -> Option<SchedulerView> {
    scheduler_run(run).map(|r| r.sim().view())
}

fn choices(field: &str) -> Option<&'static [&'static str]> {
    match field {
        f if f.ends_with(".misfire") => Some(MISFIRE),
        f if f.ends_with(".overlap") => Some(OVERLAP),
        _ => None,
    }
}

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    if command.as_str() == Some("crash_leader") {
        return Some("You crashed the leader".into());
    }
    let (name, args) = command.as_object()?.iter().next()?;
    let num = |k: &str| args.get(k).and_then(Value::as_i64);
    let on = args.get("on").and_then(Value::as_bool).unwrap_or(false);
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_string);
    Some(match name.as_str() {
        "crash_node" => format!("You crashed node {}", num("node")?),
        "partition_leader" if on => "You cut the leader off from the store".into(),
        "partition_leader" => "You healed every partition".into(),
        "partition" => format!(
            "You {} node {}",
            if on { "partitioned" } else { "reconnected" },
            num("node")?
        ),
        "clock_skew" => format!(
            "You set node {}'s clock {} ms off",
            num("node")?,
            num("skew_ms")?
        ),
        "store_down" if on => "You took the coordination store down".into(),
        "store_down" => "You brought the coordination store back".into(),
        "crash_worker" => format!("You crashed worker {}", num("worker")?),
        "slow_job" => format!("You slowed {} by {} ms", text("job")?, num("extra_ms")?),
        "add_job" => "You added a job".into(),
        "update_job" => "You changed a job".into(),
        "delete_job" => format!("You deleted {}", text("name")?),
        "trigger" => format!("You triggered {} by hand", text("name")?),
        _ => return None,
    })
}

fn palette(run: &dyn LabRun) -> Palette {
    let Some(v) = snapshot(run) else {
        return Palette::default();
    };
    let targets = v
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let faults = vec![
                Fault::new("crash-node", "Crash", json!({"crash_node": {"node": i}}))
                    .hint("The node stops; it restarts after restart_ms."),
                Fault::new(
                    "partition-node",
                    "Partition",
                    json!({"partition": {"node": i, "on": !n.partitioned}}),
                )
                .pressed(n.partitioned)
                .hint("Cut the node off from the store and the other nodes (it still reaches the queue)."),
                Fault::new(
                    "skew-node",
                    "Clock −20 s",
                    json!({"clock_skew": {"node": i, "skew_ms": if n.skew_ms == 0 { -20_000 } else { 0 }}}),
                )
                .pressed(n.skew_ms != 0)
                .hint("The node's clock runs 20 s behind: it believes its lease lasts longer."),
            ];
            (format!("node {i}"), faults)
        })
        .collect();
    let first_job = v.jobs.first().map(|(n, _)| n.clone()).unwrap_or_default();
    // The first busy worker, so the crash lands mid-job when there is one.
    let busy_worker = v
        .workers
        .iter()
        .position(|w| w.up && w.run.is_some())
        .unwrap_or(0);
    Palette {
        target_noun: "Node",
        targets,
        global: vec![
            Fault::new("crash-leader", "Crash leader", json!("crash_leader"))
                .hint("The leader dies; another node takes the lease when it expires."),
            Fault::new(
                "partition-leader",
                "Partition leader",
                json!({"partition_leader": {"on": true}}),
            )
            .hint("The leader cannot renew its lease but keeps scheduling until it expires by its clock."),
            Fault::new("heal", "Heal partitions", json!({"partition_leader": {"on": false}})),
            Fault::new(
                "store-down",
                "Store down",
                json!({"store_down": {"on": v.store_up}}),
            )
            .pressed(!v.store_up)
            .hint("Nobody can renew or take the lease."),
            Fault::new("crash-worker", &format!("Crash worker {busy_worker}"), json!({"crash_worker": {"worker": busy_worker}}))
                .hint("A busy worker dies mid-job; its run reappears after the visibility timeout."),
            Fault::new(
                "slow-job",
                &format!("Slow {first_job}"),
                json!({"slow_job": {"job": first_job, "extra_ms": 30_000}}),
            )
            .hint("This job's runs take 30 s longer from now on."),
            Fault::new("trigger", &format!("Trigger {first_job}"), json!({"trigger": {"name": first_job}}))
                .hint("Run the first job now, by hand."),
            Fault::new(
                "add-job",
                "Add job “adhoc”",
                json!({"add_job": {"job": {"name": "adhoc", "cron": "*/15 * * * * *", "duration_ms": 4_000, "priority": 6}}}),
            )
            .hint("Register a job that runs every 15 s, while the cluster runs."),
            Fault::new(
                "change-job",
                "“adhoc” every 5 s",
                json!({"update_job": {"job": {"name": "adhoc", "cron": "*/5 * * * * *", "duration_ms": 4_000, "priority": 6}}}),
            )
            .hint("Change the added job's schedule to every 5 s."),
            Fault::new("delete-job", "Delete “adhoc”", json!({"delete_job": {"name": "adhoc"}}))
                .hint("Remove the added job; its queued runs are discarded."),
        ],
    }
}

fn view(run: &dyn LabRun, _on_command: &Callback<Value>) -> Html {
    let Some(r) = scheduler_run(run) else {
        return Html::default();
    };
    let v = r.sim().view();
    let jobs: Rc<Vec<HeatJob>> = Rc::new(
        r.sim()
            .job_schedules()
            .map(|(name, schedule, zone, dst)| {
                (name.to_string(), schedule.clone(), zone.clone(), dst)
            })
            .collect(),
    );
    let now_unix = v.epoch + (v.now / 1000) as i64;
    // The Gantt shows up to GANTT_WINDOW_MS ending now (at least GANTT_MIN_MS, so the start of
    // a run is not one thin sliver); bars that started up to one more window earlier still
    // show their tails.
    let window_to = v.now.max(GANTT_MIN_MS);
    let window_from = window_to.saturating_sub(GANTT_WINDOW_MS);
    let bars = executions(r.log(), window_from.saturating_sub(GANTT_WINDOW_MS));
    let dead: Vec<String> = r
        .sim()
        .dead_letters()
        .iter()
        .rev()
        .take(DLQ_SHOWN)
        .map(|k| k.to_string())
        .collect();
    let violation = |name: &str| {
        run.violation()
            .filter(|(_, _, v)| v.invariant == name)
            .map(|(t, _, v)| (t, v.detail.clone()))
    };
    let duplicate = violation("exactly-once");
    let lost = violation("no run lost");
    let charts = charts(r);
    html! {
        <div class="scheduler" data-testid="scheduler">
            <div class="scheduler-top">
                <CronBox {now_unix} />
                <Heatmap jobs={jobs.clone()} epoch={v.epoch} />
            </div>
            { gantt(&v, &jobs, &bars, window_from, window_to) }
            { cluster(&v, &dead, duplicate, &charts, (r.sim().audited_runs(), lost), r.sim().scenario().pool) }
        </div>
    }
}

/// Runs shown in the expression box.
const NEXT_SHOWN: usize = 8;
/// The Gantt's window, in simulated milliseconds, and its least width.
const GANTT_WINDOW_MS: u64 = 120_000;
const GANTT_MIN_MS: u64 = 20_000;
/// Dead-lettered runs listed (latest first); the rest are counted.
const DLQ_SHOWN: usize = 8;
/// Queued runs listed; the rest are counted.
const QUEUE_LISTED: usize = 12;
const GAPS: &[(&str, &str)] = &[("next_valid", "next valid instant"), ("skip", "skip it")];
const FOLDS: &[(&str, &str)] = &[("once", "once"), ("twice", "twice")];

/// Buckets of the utilisation strip, from time 0 to the last logged event (the strip's CSS
/// grid has as many columns).
const UTIL_BUCKETS: usize = 24;
/// Runs whose charts are cached: compare mode draws two at once.
const CHARTS_KEPT: usize = 4;

/// What the page charts from the whole run so far, recomputed only when the log grows.
#[derive(Clone, Default)]
struct Charts {
    /// `busy[worker][bucket]` in permille over `[0, to)`.
    busy: Vec<Vec<u32>>,
    /// The strip's end: the time of the last logged event.
    to: Time,
    /// Schedule lag p50/p99 per tenant, when jobs name more than one tenant.
    tenant_lag: Vec<(String, Summary)>,
    /// Runs the misfire policy dropped (counted by the core as `missed`).
    missed: u64,
}

/// One run's cached charts and the executions read so far.
struct ChartCache {
    /// The run's address and scenario: a replaced run (new scenario, reseed) starts afresh.
    run: usize,
    scenario: Scenario,
    log_len: usize,
    /// Every execution from time 0; those starting before `settled` have ended for good.
    executions: Vec<Execution>,
    settled: Time,
    charts: Rc<Charts>,
}

thread_local! {
    /// Most recently used first.
    static CHARTS: RefCell<Vec<ChartCache>> = const { RefCell::new(Vec::new()) };
}

/// The run's charts, from the cache when its log has not grown since they were computed.
fn charts(r: &Run<SchedulerLab>) -> Rc<Charts> {
    let address = r as *const Run<SchedulerLab> as usize;
    let log = r.log();
    CHARTS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let found = cache
            .iter()
            .position(|c| c.run == address && c.scenario == *r.sim().scenario());
        let mut entry = match found {
            Some(i) => cache.remove(i),
            None => ChartCache {
                run: address,
                scenario: r.sim().scenario().clone(),
                log_len: usize::MAX,
                executions: Vec::new(),
                settled: 0,
                charts: Rc::default(),
            },
        };
        if entry.log_len != log.len() {
            if log.len() < entry.log_len {
                // A seek backwards (or a fresh entry): read everything again.
                entry.executions.clear();
                entry.settled = 0;
            }
            let settled = entry.settled;
            entry.executions.retain(|x| x.start < settled);
            entry.executions.extend(executions(log, settled));
            let to = log.last().map_or(0, |e| e.time);
            entry.settled = entry
                .executions
                .iter()
                .filter(|x| x.end.is_none())
                .map(|x| x.start)
                .min()
                .unwrap_or(to);
            entry.log_len = log.len();
            entry.charts = Rc::new(compute_charts(r, &entry.executions, to));
        }
        let charts = entry.charts.clone();
        cache.insert(0, entry);
        cache.truncate(CHARTS_KEPT);
        charts
    })
}

fn compute_charts(r: &Run<SchedulerLab>, bars: &[Execution], to: Time) -> Charts {
    let sim = r.sim();
    let tenant_lag = sim.tenant_lag();
    Charts {
        busy: utilisation(bars, sim.scenario().workers, 0, to, UTIL_BUCKETS),
        to,
        tenant_lag: if tenant_lag.len() > 1 {
            tenant_lag
        } else {
            Vec::new()
        },
        missed: sim.missed_runs(),
    }
}

/// The pool order in words, and what it means.
fn pool_words(pool: Pool) -> (&'static str, &'static str, &'static str) {
    match pool {
        Pool::Priority => (
            "priority",
            "priority order",
            "Idle workers take the highest priority, then the earliest scheduled run.",
        ),
        Pool::Fifo => (
            "fifo",
            "FIFO",
            "Idle workers take runs in the order they were enqueued.",
        ),
        Pool::FairShare => (
            "fair_share",
            "fair share",
            "Idle workers serve the backlogged tenant furthest behind its weighted share, then by priority.",
        ),
    }
}

/// Where the tz database is fetched from, relative to the page.
const TZDATA_URL: &str = "tzdata.bin";

/// The page's tz database: not asked for yet, on its way, loaded, or failed with a message.
#[derive(Clone)]
enum TzLoad {
    Idle,
    Loading,
    Ready(Rc<TzData>),
    Failed(String),
}

thread_local! {
    /// One load for the whole page, shared by every expression box (compare mode draws two).
    static TZDATA: RefCell<TzLoad> = const { RefCell::new(TzLoad::Idle) };
    /// Boxes to redraw when the load ends.
    static TZDATA_WAITING: RefCell<Vec<Callback<()>>> = const { RefCell::new(Vec::new()) };
}

fn tzdata_state() -> TzLoad {
    TZDATA.with(|t| t.borrow().clone())
}

/// Starts the fetch unless it has started already, and redraws `redraw` when it ends.
fn request_tzdata(redraw: Callback<()>) {
    let start = TZDATA.with(|t| {
        let mut t = t.borrow_mut();
        match *t {
            TzLoad::Idle => {
                *t = TzLoad::Loading;
                true
            }
            _ => false,
        }
    });
    if !matches!(tzdata_state(), TzLoad::Loading) {
        return;
    }
    TZDATA_WAITING.with(|w| w.borrow_mut().push(redraw));
    if start {
        wasm_bindgen_futures::spawn_local(async {
            let loaded = match fetch_tzdata().await {
                Ok(data) => TzLoad::Ready(Rc::new(data)),
                Err(e) => TzLoad::Failed(e),
            };
            TZDATA.with(|t| *t.borrow_mut() = loaded);
            for redraw in TZDATA_WAITING.with(|w| std::mem::take(&mut *w.borrow_mut())) {
                redraw.emit(());
            }
        });
    }
}

/// A JavaScript exception as text.
fn js_text(e: wasm_bindgen::JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.message()),
        None => e.as_string().unwrap_or_else(|| format!("{e:?}")),
    }
}

/// Fetches and parses `tzdata.bin`.
async fn fetch_tzdata() -> Result<TzData, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(TZDATA_URL))
        .await
        .map_err(js_text)?;
    let response: web_sys::Response = response.dyn_into().map_err(js_text)?;
    if !response.ok() {
        return Err(format!(
            "the server answered {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(js_text)?)
        .await
        .map_err(js_text)?;
    TzData::parse(&js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The tz database for a box that `needs` it: starts the fetch the first time, and redraws
/// the box when it ends. `attempt` changes when the user asks to try again.
#[hook]
fn use_tzdata(needs: bool, attempt: u32) -> TzLoad {
    let redraw = use_force_update();
    use_effect_with((needs, attempt), move |(needs, _)| {
        if *needs {
            request_tzdata(Callback::from(move |()| redraw.force_update()));
        }
    });
    tzdata_state()
}

/// Forgets a failed load so that the next request fetches again.
fn retry_tzdata() {
    TZDATA.with(|t| {
        let mut t = t.borrow_mut();
        if matches!(*t, TzLoad::Failed(_)) {
            *t = TzLoad::Idle;
        }
    });
}

#[derive(Properties)]
struct ZoneListProps {
    data: Option<Rc<TzData>>,
}

impl PartialEq for ZoneListProps {
    fn eq(&self, other: &Self) -> bool {
        match (&self.data, &other.data) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// The zone picker's suggestions: the short list, then every zone once the data is loaded.
/// A component of its own so that hundreds of options are not redrawn with every frame.
#[function_component(ZoneList)]
fn zone_list(props: &ZoneListProps) -> Html {
    let options = |names: &mut dyn Iterator<Item = &str>| -> Html {
        names
            .map(|z| html! { <option value={z.to_string()} /> })
            .collect()
    };
    html! {
        <datalist id="scheduler-zones" data-testid="cron-zones">
            { match &props.data {
                Some(data) => options(&mut std::iter::once("UTC").chain(data.names())),
                None => options(&mut ZONES.iter().copied()),
            } }
        </datalist>
    }
}

/// How the chosen zone stands: resolved, waiting for the data, or a message.
enum ZoneChoice {
    Zone(Zone),
    Loading,
    Bad(String),
    LoadFailed(String),
}

#[derive(Properties, PartialEq)]
struct CronBoxProps {
    now_unix: i64,
}

/// `YYYY-MM-DD` of a Unix second, in UTC.
fn date_of(unix: i64) -> String {
    let (y, m, d) = civil::civil_from_days(unix.div_euclid(civil::DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The Unix second of midnight UTC of a `YYYY-MM-DD` date, if it is one.
fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > civil::month_len(y, m) {
        return None;
    }
    Some(civil::days_from_civil(y, m, d) * civil::DAY)
}

/// The names of the words of an expression, when it has five or six of them.
fn field_names(words: usize) -> Option<&'static [Field]> {
    const FIVE: &[Field] = &[
        Field::Minute,
        Field::Hour,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
    ];
    const SIX: &[Field] = &[
        Field::Second,
        Field::Minute,
        Field::Hour,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
    ];
    match words {
        5 => Some(FIVE),
        6 => Some(SIX),
        _ => None,
    }
}

fn on_value(state: UseStateHandle<String>) -> Callback<Event> {
    Callback::from(move |e: Event| {
        if let Some(el) = e.target_dyn_into::<HtmlSelectElement>() {
            state.set(el.value());
        } else if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
            state.set(el.value());
        }
    })
}

/// The expression box: the fields as written, the description, and the next runs in a chosen
/// zone under a chosen DST policy, from a chosen day (the run's day at first).
#[function_component(CronBox)]
fn cron_box(props: &CronBoxProps) -> Html {
    let expr = use_state(|| "30 2 * * 1-5".to_string());
    let zone = use_state(|| "UTC".to_string());
    let attempt = use_state(|| 0u32);
    let gap = use_state(|| "next_valid".to_string());
    let fold = use_state(|| "once".to_string());
    let from = use_state(String::new);
    let oninput = {
        let expr = expr.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            expr.set(input.value());
        })
    };
    let zone_input = {
        let zone = zone.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            zone.set(input.value());
        })
    };
    let retry = {
        let attempt = attempt.clone();
        Callback::from(move |_: MouseEvent| {
            retry_tzdata();
            attempt.set(*attempt + 1);
        })
    };
    let from_input = {
        let from = from.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            from.set(input.value());
        })
    };
    let dst = Dst {
        gap: if *gap == "skip" {
            Gap::Skip
        } else {
            Gap::NextValid
        },
        fold: if *fold == "twice" {
            Fold::Twice
        } else {
            Fold::Once
        },
    };
    // UTC (and, natively, any zone) needs no data; anything else waits for the tz database.
    let zone_name = zone.trim();
    let builtin = Zone::named(zone_name).ok();
    let tz = use_tzdata(builtin.is_none() && !zone_name.is_empty(), *attempt);
    let choice = match (builtin, &tz) {
        (Some(z), _) => ZoneChoice::Zone(z),
        (None, _) if zone_name.is_empty() => {
            ZoneChoice::Bad("Choose a time zone, such as UTC or Europe/London.".into())
        }
        (None, TzLoad::Ready(data)) => match data.zone(zone_name) {
            Ok(z) => ZoneChoice::Zone(z),
            Err(e) => ZoneChoice::Bad(e),
        },
        (None, TzLoad::Idle | TzLoad::Loading) => ZoneChoice::Loading,
        (None, TzLoad::Failed(e)) => ZoneChoice::LoadFailed(e.clone()),
    };
    let loaded = match &tz {
        TzLoad::Ready(data) => Some(data.clone()),
        _ => None,
    };
    // The chosen day starts at local midnight in the chosen zone (near enough: the offset at
    // UTC midnight).
    let start = match (parse_date(&from), &choice) {
        (Some(day), ZoneChoice::Zone(z)) => day - i64::from(z.offset_at(day)),
        (Some(day), _) => day,
        (None, _) => props.now_unix,
    };
    let shown_from = if from.is_empty() {
        date_of(props.now_unix)
    } else {
        (*from).clone()
    };
    let parsed = Schedule::parse(&expr);
    let bad_field = parsed.as_ref().err().and_then(|e| e.field);
    let words: Vec<&str> = expr.split_whitespace().collect();
    let fields = field_names(words.len()).map(|names| {
        html! {
            <ol class="scheduler-fields" data-testid="cron-fields" aria-label="fields">
                <>{ for names.iter().zip(&words).map(|(f, w)| {
                    let bad = Some(*f) == bad_field;
                    html! {
                        <li class={classes!(bad.then_some("bad"))}
                            data-testid={if bad { "cron-error-field" } else { "cron-field" }}>
                            <code>{ *w }</code>
                            <span>{ f.name() }</span>
                        </li>
                    }
                }) }</>
            </ol>
        }
    });
    let body = match (&parsed, &choice) {
        (Err(e), _) => html! {
            <p class="scheduler-error" data-testid="cron-error" role="alert">
                { e.field.map(|f| html! { <strong>{ format!("{} field: ", f.name()) }</strong> }) }
                { e.message.clone() }
            </p>
        },
        (_, ZoneChoice::Bad(e)) => html! {
            <p class="scheduler-error" data-testid="cron-error" role="alert">{ e.clone() }</p>
        },
        (Ok(s), ZoneChoice::Loading) => html! {
            <>
                <p class="scheduler-describe" data-testid="cron-description">{ s.describe() }</p>
                <p class="muted" data-testid="cron-tz-loading" role="status">{ "loading time zones…" }</p>
            </>
        },
        (_, ZoneChoice::LoadFailed(e)) => html! {
            <p class="scheduler-error" data-testid="cron-tz-error" role="alert">
                { format!("Could not load the time zones ({TZDATA_URL}): {e}. UTC still works. ") }
                <button type="button" data-testid="cron-tz-retry" onclick={retry}>{ "Try again" }</button>
            </p>
        },
        (Ok(s), ZoneChoice::Zone(z)) => {
            let times = s.fire_times(start - 1, z, dst, NEXT_SHOWN, false);
            html! {
                <>
                    <p class="scheduler-describe" data-testid="cron-description">{ s.describe() }</p>
                    if times.is_empty() {
                        <p class="muted" data-testid="cron-none">{ "It never fires after this day." }</p>
                    } else {
                        <ol class="scheduler-next" data-testid="cron-next">
                            <>{ for times.iter().map(|t| html! { <li><time>{ z.format(*t) }</time></li> }) }</>
                        </ol>
                    }
                </>
            }
        }
    };
    html! {
        <section class="scheduler-panel scheduler-cron" data-testid="cron-box">
            <h2>{ "Cron expression" }</h2>
            <label class="scheduler-expr">
                <span class="sr-only">{ "Cron expression" }</span>
                <input data-testid="cron-expr" value={(*expr).clone()} {oninput}
                    spellcheck="false" autocomplete="off"
                    aria-invalid={if parsed.is_err() { "true" } else { "false" }}
                    placeholder="sec? min hour day month weekday, or @daily" />
            </label>
            { fields }
            <div class="scheduler-opts">
                <label class="scheduler-zone" title="UTC, or any IANA time zone (the zone list loads on first use)">
                    <span>{ "zone" }</span>
                    <input data-testid="cron-zone" list="scheduler-zones" value={(*zone).clone()}
                        oninput={zone_input} spellcheck="false" autocomplete="off"
                        placeholder="UTC or Region/City" />
                    <ZoneList data={loaded} />
                </label>
                <label>
                    <span>{ "from" }</span>
                    <input type="date" data-testid="cron-from" value={shown_from} oninput={from_input} />
                </label>
                <label title="A local time that spring-forward skips">
                    <span>{ "DST gap" }</span>
                    <select data-testid="cron-gap" onchange={on_value(gap.clone())}>
                        <>{ for GAPS.iter().map(|(v, l)| html! { <option value={*v} selected={*v == gap.as_str()}>{ *l }</option> }) }</>
                    </select>
                </label>
                <label title="A local time that fall-back repeats">
                    <span>{ "DST fold" }</span>
                    <select data-testid="cron-fold" onchange={on_value(fold.clone())}>
                        <>{ for FOLDS.iter().map(|(v, l)| html! { <option value={*v} selected={*v == fold.as_str()}>{ *l }</option> }) }</>
                    </select>
                </label>
            </div>
            { body }
        </section>
    }
}

/// A job as the heatmap and the Gantt draw it: name, schedule, the zone it runs in and its
/// DST policy.
type HeatJob = (String, Schedule, Zone, Dst);

#[derive(Properties, PartialEq)]
struct HeatmapProps {
    jobs: Rc<Vec<HeatJob>>,
    epoch: i64,
}

/// The browser's own IANA zone (`Intl.DateTimeFormat().resolvedOptions().timeZone`), if it
/// says one.
fn browser_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()?
        .as_string()
        .filter(|z| !z.is_empty())
}

/// The heatmap's display zones: UTC, the browser's own, then the jobs' zones, each once.
fn display_zones(jobs: &[HeatJob], browser: Option<&str>) -> Vec<(String, String)> {
    let mut out = vec![("UTC".to_string(), "UTC".to_string())];
    if let Some(b) = browser.filter(|b| !Zone::named(b).is_ok_and(|z| z.is_utc())) {
        out.push((b.to_string(), format!("{b} (yours)")));
    }
    for (_, _, zone, _) in jobs {
        if !zone.is_utc() && !out.iter().any(|(z, _)| z == zone.name()) {
            out.push((
                zone.name().to_string(),
                format!("{} (a job's)", zone.name()),
            ));
        }
    }
    out
}

/// The 7 × 24 week heatmap of all jobs' fire times (`orrery_core::cron::heatmap`), each job on
/// its own zone's clock, placed in the hours of a chosen display zone; hours where two jobs
/// fire at the same second are outlined.
#[function_component(Heatmap)]
fn heatmap(props: &HeatmapProps) -> Html {
    let display = use_state(|| "UTC".to_string());
    let attempt = use_state(|| 0u32);
    let browser = use_memo((), |_| browser_zone());
    let zones = display_zones(&props.jobs, browser.as_deref());
    // A job's zone is resolved already (from the scenario's data); UTC needs nothing; only
    // the browser's own zone may need the tz database.
    let from_jobs = props
        .jobs
        .iter()
        .map(|(_, _, z, _)| z)
        .find(|z| z.name() == display.as_str())
        .cloned();
    let builtin = from_jobs.or_else(|| Zone::named(&display).ok());
    let tz = use_tzdata(builtin.is_none(), *attempt);
    let zone: Result<Zone, Html> = match (builtin, &tz) {
        (Some(z), _) => Ok(z),
        (None, TzLoad::Ready(data)) => data.zone(&display).map_err(|e| html! { { e } }),
        (None, TzLoad::Idle | TzLoad::Loading) => Err(html! {
            <span data-testid="heatmap-tz-loading" role="status">{ "loading time zones…" }</span>
        }),
        (None, TzLoad::Failed(e)) => {
            let retry = {
                let attempt = attempt.clone();
                Callback::from(move |_: MouseEvent| {
                    retry_tzdata();
                    attempt.set(*attempt + 1);
                })
            };
            Err(html! {
                <span data-testid="heatmap-tz-error" role="alert">
                    { format!("Could not load the time zones ({TZDATA_URL}): {e}. ") }
                    <button type="button" onclick={retry}>{ "Try again" }</button>
                </span>
            })
        }
    };
    let shown = zone.as_ref().map_or_else(|_| Zone::utc(), Zone::clone);
    let week = use_memo(
        (props.jobs.clone(), props.epoch, shown.name().to_string()),
        move |(jobs, epoch, _)| {
            let list: Vec<heatmap::Job> = jobs
                .iter()
                .map(|(_, schedule, zone, dst)| heatmap::Job {
                    schedule,
                    zone,
                    dst: *dst,
                })
                .collect();
            heatmap::week_in(&list, *epoch, &shown)
        },
    );
    let max = week
        .cells
        .iter()
        .flat_map(|row| row.iter().map(|c| c.fires))
        .max()
        .unwrap_or(0)
        .max(1);
    let collisions = week.cells.iter().flatten().filter(|c| c.collision).count();
    let capped = week.cells.iter().flatten().any(|c| c.capped);
    let shifted = week.cells.iter().flatten().any(|c| c.seconds != 3600);
    let zone_name = match &zone {
        Ok(z) => z.name().to_string(),
        Err(_) => "UTC".to_string(),
    };
    html! {
        <section class="scheduler-panel scheduler-heatmap" data-testid="heatmap" data-zone={zone_name.clone()}>
            <div class="scheduler-heat-head">
                <h2>{ "Week of fire times" }</h2>
                <label class="scheduler-heat-zone" title="The wall clock the hours are shown in; each job still fires on its own zone's clock">
                    <span>{ "hours in" }</span>
                    <select data-testid="heatmap-zone" onchange={on_value(display.clone())}>
                        <>{ for zones.iter().map(|(z, label)| html! {
                            <option value={z.clone()} selected={*z == *display}>{ label.clone() }</option>
                        }) }</>
                    </select>
                </label>
            </div>
            if let Err(note) = &zone {
                <p class="muted small">{ note.clone() }{ " Showing UTC meanwhile." }</p>
            }
            <div class="scheduler-heat" role="img" aria-label={format!("fires per day and hour over the first week, in {zone_name}")}>
                <span />
                <>{ for (0..24).map(|h| html! { <span class="scheduler-hour">{ if h % 3 == 0 { format!("{h}") } else { String::new() } }</span> }) }</>
                <>{ for week.cells.iter().enumerate().map(|(d, row)| {
                    let day = DAYS[week.weekdays[d] as usize];
                    html! {
                        <>
                            <span class="scheduler-day">{ day }</span>
                            <>{ for row.iter().enumerate().map(|(h, c)| {
                                let level = if c.fires == 0 { 0.0 } else { 0.15 + 0.85 * (f64::from(c.fires) / f64::from(max)).sqrt() };
                                let more = if c.capped { " or more" } else { "" };
                                let clash = if c.collision { "; two jobs at the same second" } else { "" };
                                let clock = match c.seconds {
                                    0 => " (skipped: the clocks jump forward)".to_string(),
                                    3600 => String::new(),
                                    s if s > 3600 => " (happens twice: the clocks go back)".to_string(),
                                    s => format!(" (lasts {} minutes: the clocks jump forward)", s / 60),
                                };
                                html! {
                                    <span class={classes!("scheduler-cell", c.collision.then_some("collision"),
                                            (c.seconds == 0).then_some("skipped"), (c.seconds > 3600).then_some("doubled"))}
                                        data-fires={c.fires.to_string()}
                                        title={format!("{day} {h:02}:00 {zone_name}{clock}: {}{more} fires from {} job(s){clash}", c.fires, c.jobs)}
                                        style={format!("--level:{level:.2}")} />
                                }
                            }) }</>
                        </>
                    }
                }) }</>
            </div>
            <p class="scheduler-legend muted">
                <span class="scheduler-cell" style="--level:.3" />{ " few " }
                <span class="scheduler-cell" style="--level:1" />{ " many fires · " }
                <span class="scheduler-cell collision" style="--level:.5" />
                { format!(" jobs fire at the same second ({collisions} of 168 hours)") }
                if shifted {
                    { " · " }<span class="scheduler-cell skipped" />{ " hour skipped or shortened by a clock change" }
                }
                if capped { { format!(" · at most {} fires counted per job per hour", week.per_cell) } }
            </p>
        </section>
    }
}

fn fmt_ms(t: u64) -> String {
    format!("{}.{}s", t / 1000, t % 1000 / 100)
}

/// A per-job Gantt of executions over the last [`GANTT_WINDOW_MS`]: one row per job, one bar
/// per delivery, coloured by how it ended, labelled with its worker.
fn gantt(v: &SchedulerView, jobs: &[HeatJob], bars: &[Execution], from: Time, to: Time) -> Html {
    let zone_of = |name: &str| {
        jobs.iter()
            .find(|(n, _, _, _)| n == name)
            .map(|(_, _, z, _)| z)
    };
    // When a run was due on its job's wall clock (UTC for jobs in UTC or no longer known).
    let due = |b: &Execution| {
        let unix = v.epoch + (b.run.scheduled / 1000) as i64;
        match zone_of(&b.run.job) {
            Some(z) => z.format(unix),
            None => Zone::utc().format(unix),
        }
    };
    let span = (to - from).max(1) as f64;
    let mut names: Vec<String> = v.jobs.iter().map(|(n, _)| n.clone()).collect();
    for b in bars {
        if !names.iter().any(|n| **n == *b.run.job) {
            names.push(b.run.job.to_string());
        }
    }
    let pct = |t: Time| (t.clamp(from, to) - from) as f64 * 100.0 / span;
    html! {
        <section class="scheduler-panel scheduler-gantt" data-testid="gantt">
            <h2>{ "Executions per job" }</h2>
            <div class="scheduler-gantt-rows">
                <>{ for names.iter().map(|name| {
                    let row: Vec<&Execution> = bars.iter()
                        .filter(|b| *b.run.job == **name && b.end.is_none_or(|e| e >= from))
                        .collect();
                    html! {
                        <div class="scheduler-gantt-row" data-testid={format!("gantt-row-{name}")}>
                            <span class="scheduler-gantt-job" title={name.clone()}>
                                <span>{ name }</span>
                                if let Some(z) = zone_of(name).filter(|z| !z.is_utc()) {
                                    <small class="muted" data-testid="gantt-zone" title={z.name().to_string()}>
                                        { z.name().rsplit('/').next().unwrap_or(z.name()).replace('_', " ") }
                                    </small>
                                }
                            </span>
                            <div class="scheduler-gantt-track">
                                <>{ for row.iter().map(|b| {
                                    let end = b.end.unwrap_or(v.now);
                                    let left = pct(b.start);
                                    let width = (pct(end) - left).max(0.6);
                                    let title = format!("{} · due {} · worker {} · attempt {} · {} → {} · {}",
                                        b.run, due(b), b.worker, b.attempt, fmt_ms(b.start),
                                        b.end.map(fmt_ms).unwrap_or_else(|| "running".into()), b.outcome.name());
                                    html! {
                                        <span class={classes!("scheduler-bar", b.outcome.name())}
                                            data-testid="gantt-bar" data-outcome={b.outcome.name()} data-due={due(b)}
                                            style={format!("left:{left:.2}%;width:{width:.2}%")} {title}>
                                            { format!("w{}", b.worker) }
                                            if b.attempt > 1 { { format!(" #{}", b.attempt) } }
                                        </span>
                                    }
                                }) }</>
                            </div>
                        </div>
                    }
                }) }</>
            </div>
            <div class="scheduler-gantt-axis muted" aria-hidden="true">
                <span>{ fmt_ms(from) }</span>
                <span>{ if v.now >= to { format!("now {}", fmt_ms(v.now)) } else { fmt_ms(to) } }</span>
            </div>
            <p class="scheduler-legend muted">
                <span class="scheduler-bar applied" />{ " applied " }
                <span class="scheduler-bar failed" />{ " failed, retried " }
                <span class="scheduler-bar dead-lettered" />{ " dead-lettered " }
                <span class="scheduler-bar crashed" />{ " worker crashed / replaced " }
                <span class="scheduler-bar fenced" />{ " fenced " }
                <span class="scheduler-bar duplicate" />{ " duplicate " }
                <span class="scheduler-bar running" />{ " running · label: worker, #attempt" }
            </p>
        </section>
    }
}

/// The per-worker utilisation strip: one row per worker, one cell per bucket, darker = busier.
fn utilisation_strip(v: &SchedulerView, charts: &Charts) -> Html {
    let buckets = charts.busy.first().map_or(0, Vec::len) as u64;
    if buckets == 0 {
        return html! {};
    }
    let to = charts.to;
    let edge = |b: u64| to * b / buckets;
    html! {
        <div class="scheduler-strip" data-testid="util-strip" role="img"
            aria-label="each worker's busy share per time bucket">
            <span class="scheduler-strip-title muted">{ "busy over time · darker = busier" }</span>
            <>{ for charts.busy.iter().enumerate().map(|(w, row)| {
                let down = v.workers.get(w).is_some_and(|x| !x.up);
                html! {
                    <div class="scheduler-strip-row" data-testid={format!("util-row-{w}")}>
                        <span class={classes!("scheduler-strip-name", down.then_some("down"))}>{ format!("w{w}") }</span>
                        <span class="scheduler-strip-cells">
                            <>{ for row.iter().enumerate().map(|(b, &permille)| {
                                let title = format!("worker {w}, {} to {}: {}% busy",
                                    fmt_ms(edge(b as u64)), fmt_ms(edge(b as u64 + 1)), permille / 10);
                                html! {
                                    <span class="scheduler-strip-cell" data-permille={permille.to_string()} {title}
                                        style={format!("--level:{:.2}", f64::from(permille) / 1000.0)} />
                                }
                            }) }</>
                        </span>
                    </div>
                }
            }) }</>
            <div class="scheduler-strip-axis muted" aria-hidden="true">
                <span>{ "0s" }</span>
                <span>{ format!("{} per cell · {}", fmt_ms(to / buckets), fmt_ms(to)) }</span>
            </div>
        </div>
    }
}

/// Schedule lag (due time to first start) per tenant, when jobs name more than one.
fn tenant_lag(charts: &Charts) -> Html {
    if charts.tenant_lag.is_empty() {
        return html! {};
    }
    html! {
        <table class="scheduler-lag" data-testid="tenant-lag">
            <caption class="muted">{ "schedule lag per tenant" }</caption>
            <thead><tr><th>{ "tenant" }</th><th>{ "runs" }</th><th>{ "p50" }</th><th>{ "p99" }</th></tr></thead>
            <tbody>
                <>{ for charts.tenant_lag.iter().map(|(tenant, s)| html! {
                    <tr data-testid={format!("tenant-lag-{tenant}")}>
                        <td>{ tenant }</td>
                        <td>{ s.count }</td>
                        <td>{ fmt_ms(s.p50) }</td>
                        <td>{ fmt_ms(s.p99) }</td>
                    </tr>
                }) }</>
            </tbody>
        </table>
    }
}

/// The audited runs and the first run found lost, if any.
type LostAudit = (u64, Option<(Time, String)>);

fn cluster(
    v: &SchedulerView,
    dead: &[String],
    duplicate: Option<(Time, String)>,
    charts: &Charts,
    (audited, lost): LostAudit,
    pool: Pool,
) -> Html {
    let (pool_id, pool_name, pool_hint) = pool_words(pool);
    let lease = match &v.lease {
        Some(l) if l.expires > v.now => html! {
            <>
                { "lease held by " }<strong data-testid="lease-holder">{ format!("node {}", l.holder) }</strong>
                { " · token " }<strong data-testid="lease-token">{ l.token }</strong>
                { format!(" · expires at {} (in {})", fmt_ms(l.expires), fmt_ms(l.expires - v.now)) }
            </>
        },
        Some(l) => html! {
            <>{ format!("lease expired at {} (last: node {}, token {})", fmt_ms(l.expires), l.holder, l.token) }</>
        },
        None => html! { <>{ "no lease taken yet" }</> },
    };
    let leaders = v.nodes.iter().filter(|n| n.leading).count();
    let busy = v.workers.iter().filter(|w| w.run.is_some()).count();
    html! {
        <div class="scheduler-cluster">
            <section class="scheduler-panel" data-testid="store">
                <h2>{ "Coordination store" }</h2>
                <p>
                    <span class={classes!("scheduler-badge", if v.store_up { "ok" } else { "bad" })}>
                        { if v.store_up { "up" } else { "unavailable" } }
                    </span>
                    { " " }{ lease }
                </p>
                if leaders > 1 {
                    <p class="scheduler-warn" data-testid="two-leaders">
                        { format!("{leaders} nodes act as leader at once: each believes its own lease") }
                    </p>
                }
            </section>
            <section class="scheduler-panel">
                <h2>{ "Scheduler nodes" }</h2>
                <ul class="scheduler-nodes" data-testid="nodes">
                    <>{ for v.nodes.iter().enumerate().map(|(i, n)| {
                        let role = if !n.up { "down" } else if n.leading { "leader" } else { "follower" };
                        let token = n.lease.map(|(t, _)| t);
                        html! {
                            <li class={classes!("scheduler-node", role, n.partitioned.then_some("partitioned"))}
                                data-testid={format!("node-{i}")} data-role={role}
                                data-token={token.map(|t| t.to_string()).unwrap_or_default()}>
                                <strong>{ format!("node {i}") }</strong>
                                <span class="scheduler-role">{ match role { "leader" => "★ leader", "down" => "✕ crashed", _ => "follower" } }</span>
                                if let Some((t, exp)) = n.lease {
                                    <span class="small">{ format!("token {t} · lease until {} by its clock", fmt_ms(exp)) }</span>
                                }
                                if n.partitioned { <span class="scheduler-badge bad">{ "partitioned" }</span> }
                                if n.skew_ms != 0 { <span class="scheduler-badge warn">{ format!("clock {:+} s", n.skew_ms as f64 / 1000.0) }</span> }
                            </li>
                        }
                    }) }</>
                </ul>
            </section>
            <section class="scheduler-panel" data-testid="queue">
                <h2>
                    { "Queue " }
                    <span class="scheduler-pool" data-testid="queue-pool" data-pool={pool_id} title={pool_hint}>{ format!("({pool_name})") }</span>
                    { format!(" · {} runs", v.queue_depth) }
                </h2>
                { tenant_lag(charts) }
                if v.queue.is_empty() {
                    <p class="muted">{ "Empty." }</p>
                } else {
                    <ol class="scheduler-queue">
                        <>{ for v.queue.iter().take(QUEUE_LISTED).map(|q| html! {
                            <li class={classes!(q.worker.is_some().then_some("taken"))}>
                                <code>{ q.run.to_string() }</code>
                                <span class="muted">{ format!("p{} · try {} · token {}", q.priority, q.attempts, q.token) }</span>
                                <span>{ match q.worker {
                                    Some(w) => format!("worker {w}, hidden until {}", fmt_ms(q.until)),
                                    None if q.until > v.now => format!("retry at {}", fmt_ms(q.until)),
                                    None => "ready".to_string(),
                                } }</span>
                            </li>
                        }) }</>
                    </ol>
                    if v.queue_depth > QUEUE_LISTED {
                        <p class="muted small">{ format!("and {} more", v.queue_depth - QUEUE_LISTED) }</p>
                    }
                }
            </section>
            <section class="scheduler-panel" data-testid="workers">
                <h2>{ format!("Workers · {busy} of {} busy", v.workers.len()) }</h2>
                <ul class="scheduler-workers">
                    <>{ for v.workers.iter().enumerate().map(|(i, w)| {
                        let util = (w.busy_ms * 100).checked_div(v.now).unwrap_or(0);
                        let (state, text, progress) = match (&w.run, w.up) {
                            (_, false) => ("down", "crashed".to_string(), 0),
                            (Some((run, start, end)), true) => {
                                let pct = v.now.saturating_sub(*start) * 100 / (end - start).max(1);
                                ("busy", run.to_string(), pct.min(100))
                            }
                            (None, true) => ("idle", "idle".to_string(), 0),
                        };
                        html! {
                            <li class={classes!("scheduler-worker", state)} data-testid={format!("worker-{i}")}>
                                <span class="scheduler-worker-name">{ format!("worker {i}") }</span>
                                <span class="scheduler-worker-run">
                                    { text }
                                    <span class="scheduler-progress"><span style={format!("width:{progress}%")} /></span>
                                </span>
                                <span class="scheduler-util" title="time busy since the start">{ format!("{util}% used") }</span>
                            </li>
                        }
                    }) }</>
                </ul>
                { utilisation_strip(v, charts) }
            </section>
            <section class="scheduler-panel" data-testid="dlq">
                <h2>{ format!("Dead-letter queue · {}", v.dead_letters) }</h2>
                if dead.is_empty() {
                    <p class="muted">{ "Nothing dead-lettered." }</p>
                } else {
                    <p class="scheduler-dlq"><>{ for dead.iter().map(|d| html! { <code>{ d }</code> }) }</></p>
                }
            </section>
            <div class="scheduler-invariants">
            <section class={classes!("scheduler-panel", "scheduler-invariant", (v.duplicates > 0).then_some("broken"))}
                data-testid="exactly-once" data-duplicates={v.duplicates.to_string()}>
                <h2>{ "Exactly once at the target" }</h2>
                <p>
                    <strong>{ format!("{} applied", v.applied) }</strong>
                    { " · " }
                    <strong class={classes!((v.duplicates > 0).then_some("bad"))}>{ format!("{} duplicates", v.duplicates) }</strong>
                    { format!(" · fencing {}", if v.fencing { "on" } else { "off" }) }
                </p>
                if let Some((t, detail)) = duplicate {
                    <p class="scheduler-interleaving" data-testid="duplicate-detail">
                        { format!("First duplicate at {}: {detail}", fmt_ms(t)) }
                    </p>
                }
            </section>
            <section class={classes!("scheduler-panel", "scheduler-invariant", lost.is_some().then_some("broken"))}
                data-testid="no-run-lost" data-audited={audited.to_string()} data-lost={lost.is_some().to_string()}>
                <h2>{ "No run lost" }</h2>
                <p>
                    <strong>{ format!("{audited} due {} audited", if audited == 1 { "run" } else { "runs" }) }</strong>
                    { " · " }
                    <span title="Runs the misfire policy chose not to fire after downtime">{ format!("{} skipped by misfire policy", charts.missed) }</span>
                    { " · " }
                    <strong class={classes!(lost.is_some().then_some("bad"))}>{ if lost.is_some() { "a run was lost" } else { "none lost" } }</strong>
                </p>
                if let Some((t, detail)) = lost {
                    <p class="scheduler-interleaving" data-testid="lost-detail">
                        { format!("At {}: {detail}", fmt_ms(t)) }
                    </p>
                }
            </section>
            </div>
        </div>
    }
}
