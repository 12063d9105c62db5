//! The cache lab's picture: the policy's own lists, the request stream and the origin, drawn
//! in HTML from the run's view.
//!
//! ```text
//!   62.4 %  hit ratio        policy [ARC ▾]   get key [ 17 ] [Get]
//!   ███████████████░░░░  96 / 100
//!   T1 │ 17 3 88 …         squares are cached keys, most recent first, hue = key
//!   T2 │ 5 1 2 …
//!   B1 ┊ 40 9 …            ghost lists (keys remembered, not cached) are dashed
//!   values    [17 v3 ▬▬▬░] [3 v1 ●dirty] [88 v1 !stale]   version, TTL left, dirty, stale
//!   requests  … [17] [3] [88 ~~41~~] [5 !] [w 9]   green hit, amber miss, blue coalesced,
//!                                                  red failed, violet served expired, w write
//!   origin    17 ▓▓▓░░  3 ▓░░░░               fetches in flight, with their progress
//!   store     write-back · 9 v4 ▓▓░ · queue [7 v2] [8 v5] · written 3 v2, 9 v3 …
//!   app 0     [3 v2] [17 v1!]                 local copies (with app servers); ! stale
//!   LRU vs ARC  #41 12 ○ ● A evicted 12 9 requests ago (for 30)   with `compare_policy`:
//!               #42  3 ● ●                                     the last requests, both
//!                                                              policies, and why they differ
//! ```
//!
//! Everything drawn comes from `CacheLab::view()`; nothing here decides what the cache does.
//! The policy menu sends `set_policy`, the key form sends `get` (or `put`), the fault palette
//! sends the rest (`flush`, `burst`, `origin_down`, `set_skew`, `phase`, `crash`). The states the
//! shared style sheet does not know (stale, served expired, write, dirty) are styled inline.

use std::rc::Rc;

use orrery_core::cache::compare::CompareView;
use orrery_core::cache::lab::{CacheLab, CacheView, CapacityUnit};
use orrery_core::cache::workload::MAX_SKEW_MILLI;
use orrery_core::registry::LabRun;
use orrery_core::{Run, Time};
use serde_json::{json, Value};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::cache_mrc::MrcPanel;
use super::LabUi;
use crate::components::faults::{Fault, Palette};
use crate::components::live_select::live_select;

/// The policies the lab offers, in the order the menus list them: every online policy of
/// `orrery_core::cache::policy::NAMES` (OPT needs the future, so it is not one of them).
pub const POLICIES: &[&str] = &[
    "lru", "fifo", "clock", "lfu", "2q", "arc", "sieve", "lirs", "s3fifo", "wtinylfu",
];
const PATTERNS: &[&str] = &["zipf", "uniform", "scan", "loop", "mixed"];
const ARRIVALS: &[&str] = &["poisson", "uniform"];
const READ_STRATEGIES: &[&str] = &["cache_aside", "read_through"];
const WRITE_STRATEGIES: &[&str] = &[
    "write_around",
    "write_through",
    "write_back",
    "write_behind",
];
const COHERENCE: &[&str] = &["pub_sub", "ttl_only", "versioned_keys"];
const CAPACITY_UNITS: &[&str] = &["objects", "bytes"];
/// The second policy of the request-by-request comparison: any online policy, or none.
const COMPARE_WITH: &[&str] = &[
    "none", "lru", "fifo", "clock", "lfu", "2q", "arc", "sieve", "lirs", "s3fifo", "wtinylfu",
];
/// Local copies drawn per app server.
const COPIES_SHOWN: usize = 24;
/// Cached values drawn; the rest are counted.
const VALUES_SHOWN: usize = 48;
/// Written keys, store writes and queued writes drawn in the store panel.
const STORE_SHOWN: usize = 24;

/// Slots drawn per segment; the rest are counted.
const SLOTS_SHOWN: usize = 64;
/// Slots drawn per ghost segment (keys remembered but not cached).
const GHOSTS_SHOWN: usize = 32;
/// Evicted keys drawn per request chip; the rest are counted.
const EVICTED_SHOWN: usize = 3;

/// The cache lab's entry in [`super::ui`].
pub const UI: LabUi = LabUi {
    view,
    palette,
    choices,
    form_order: &[
        "seed",
        "policy",
        "compare_policy",
        "capacity",
        "capacity_unit",
        "keys",
        "workload.pattern",
        "workload.skew_milli",
        "rate_per_s",
        "arrivals",
        "origin_latency_ms",
        "single_flight",
        "read_strategy",
        "write_strategy",
        "write_percent",
        "ttl_ms",
        "ttl_jitter_ms",
        "stale_while_revalidate_ms",
        "early_refresh_beta_milli",
        "negative_ttl_ms",
        "absent_percent",
        "flush_every_ms",
        "write_behind_delay_ms",
        "min_size_bytes",
        "max_size_bytes",
        "cache_nodes",
        "vnodes",
        "app_servers",
        "coherence",
        "local_capacity",
        "local_ttl_ms",
        "pubsub_delay_ms",
        "pubsub_drop_percent",
        "workload.loop_len",
        "workload.burst_every_ms",
        "workload.burst_len",
    ],
    compare: &[("policy", POLICIES), ("workload.pattern", PATTERNS)],
    describe,
    prepare: None,
};

/// A policy's name as people write it: `s3fifo` is `S3-FIFO`.
pub fn policy_label(name: &str) -> String {
    match name {
        "s3fifo" => "S3-FIFO".to_string(),
        "wtinylfu" => "W-TinyLFU".to_string(),
        other => other.to_uppercase(),
    }
}

/// What one frame of the picture needs, copied out of the run's view so that parts of the
/// drawing skip redrawing when their part did not change.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot {
    policy: String,
    capacity: u64,
    used: u64,
    /// Whether `capacity` and `used` count bytes (else objects).
    bytes: bool,
    not_admitted: u64,
    /// The request-by-request comparison, when the scenario names a second policy.
    compare: Option<Rc<CompareView>>,
    segments: Rc<Vec<Segment>>,
    recent: Rc<Vec<Request>>,
    /// Fetches from the origin in flight: the key and how far along it is, 0 to 1.
    in_flight: Vec<(u64, f64)>,
    requests: u64,
    hits: u64,
    misses: u64,
    origin_fetches: u64,
    coalesced: u64,
    failed: u64,
    evictions: u64,
    keys: u64,
    origin_down: bool,
    single_flight: bool,
    skew_milli: u32,
    /// ARC's adaptive target size of `T1`, in objects (or bytes).
    arc_p: Option<f64>,
    values: Rc<Vec<Value_>>,
    store: Rc<StoreSnap>,
    writes: u64,
    stale_reads: u64,
    lost_writes: u64,
    dirty: u64,
    bytes_requested: u64,
    bytes_hit: u64,
    origin_load: u64,
    shift: u64,
    /// Each app server's local copies: `(key, version, stale)`.
    apps: Rc<Vec<Vec<(u64, u64, bool)>>>,
    local_hits: u64,
    coherence: String,
    /// The cache nodes on the ring and their shares of it, in parts per million.
    nodes: Vec<(u32, u64)>,
}

/// One cached value: its version against the store's, whether it is dirty, and how much of its
/// TTL is left (`None`: no TTL; below 0: expired).
#[derive(Clone, Debug, PartialEq)]
struct Value_ {
    key: u64,
    /// The cache node that owns the key.
    node: u32,
    version: u64,
    store_version: u64,
    dirty: bool,
    ttl_left: Option<f64>,
}

/// The store panel: the strategies, the written keys, writes in flight and the write queue.
#[derive(Clone, Debug, PartialEq)]
struct StoreSnap {
    read_strategy: String,
    write_strategy: String,
    written: Vec<(u64, u64)>,
    /// `(key, version, progress 0 to 1)`.
    writes_in_flight: Vec<(u64, u64, f64)>,
    queue: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, PartialEq)]
struct Segment {
    name: String,
    keys: Vec<u64>,
    /// A list of keys the policy remembers without caching them (ARC's B1/B2, 2Q's A1out…).
    ghost: bool,
}

#[derive(Clone, Debug, PartialEq)]
struct Request {
    seq: u64,
    time: Time,
    key: u64,
    outcome: String,
    evicted: Vec<u64>,
    stale: bool,
}

impl Snapshot {
    /// Hits over requests, in percent, since the start; `None` before the first request.
    fn hit_ratio(&self) -> Option<f64> {
        let n = self.requests;
        (n > 0).then(|| self.hits as f64 * 100.0 / n as f64)
    }

    /// Bytes served from the cache over bytes read, in percent.
    fn byte_hit_ratio(&self) -> Option<f64> {
        let n = self.bytes_requested;
        (n > 0).then(|| self.bytes_hit as f64 * 100.0 / n as f64)
    }
}

/// A strategy's name as people write it: `write_back` is `write-back`.
fn strategy_label(name: &str) -> String {
    name.replace('_', "-")
}

/// Whether a segment holds ghosts (remembered keys, not cached ones), by the names the
/// policies give their lists.
fn is_ghost(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    // S3-FIFO's ghost queue is `G`.
    n == "g"
        || n.starts_with("b1")
        || n.starts_with("b2")
        || n.contains("ghost")
        || n.contains("out")
        || n.contains("nonresident")
        || n.contains("non-resident")
        || n.starts_with("hir-nr")
}

fn cache_run(run: &dyn LabRun) -> Option<&Run<CacheLab>> {
    run.as_any().downcast_ref::<Run<CacheLab>>()
}

fn snapshot(run: &dyn LabRun) -> Option<Snapshot> {
    let r = cache_run(run)?;
    let latency = run
        .scenario_json()
        .get("origin_latency_ms")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Some(from_view(r.sim().view(), latency))
}

fn from_view(v: CacheView, latency: Time) -> Snapshot {
    let now = v.now;
    let ttl = v.ttl_ms;
    // The strategies by their serde names, as the scenario form shows them.
    let label = |x: serde_json::Result<Value>| {
        strategy_label(x.ok().as_ref().and_then(Value::as_str).unwrap_or("?"))
    };
    let values = v
        .entries
        .iter()
        .map(|e| Value_ {
            key: e.key,
            node: e.node,
            version: e.version,
            store_version: e.store_version,
            dirty: e.dirty,
            ttl_left: e
                .expires_at
                .filter(|_| ttl > 0)
                .map(|at| (at as f64 - now as f64) / ttl as f64),
        })
        .collect();
    let store = StoreSnap {
        read_strategy: label(serde_json::to_value(v.read_strategy)),
        write_strategy: label(serde_json::to_value(v.write_strategy)),
        written: v.store.iter().rev().take(STORE_SHOWN).copied().collect(),
        writes_in_flight: v
            .store_writes
            .iter()
            .take(STORE_SHOWN)
            .map(|&(k, ver, done)| (k, ver, progress(done, now, latency)))
            .collect(),
        queue: v
            .write_queue
            .iter()
            .take(STORE_SHOWN)
            .map(|q| (q.key, q.version))
            .collect(),
    };
    Snapshot {
        policy: v.policy,
        capacity: v.capacity,
        used: v.used,
        bytes: v.capacity_unit == CapacityUnit::Bytes,
        not_admitted: v.not_admitted,
        compare: v.compare.map(Rc::new),
        segments: Rc::new(
            v.segments
                .into_iter()
                .map(|(name, keys)| Segment {
                    ghost: is_ghost(&name),
                    name,
                    keys,
                })
                .collect(),
        ),
        recent: Rc::new(
            v.recent
                .into_iter()
                .map(|r| Request {
                    seq: r.seq,
                    time: r.time,
                    key: r.key,
                    outcome: r.outcome,
                    evicted: r.evicted,
                    stale: r.stale,
                })
                .collect(),
        ),
        in_flight: v
            .in_flight
            .into_iter()
            .map(|(key, done)| (key, progress(done, now, latency)))
            .collect(),
        requests: v.requests,
        hits: v.hits,
        misses: v.misses,
        origin_fetches: v.origin_fetches,
        coalesced: v.coalesced,
        failed: v.failed,
        evictions: v.evictions,
        keys: v.keys,
        origin_down: v.origin_down,
        single_flight: v.single_flight,
        skew_milli: v.skew_milli,
        arc_p: v.arc_p_milli.map(|p| p as f64 / 1000.0),
        values: Rc::new(values),
        store: Rc::new(store),
        writes: v.writes,
        stale_reads: v.stale_reads,
        lost_writes: v.lost_writes,
        dirty: v.dirty,
        bytes_requested: v.bytes_requested,
        bytes_hit: v.bytes_hit,
        origin_load: v.origin_load_per_s,
        shift: v.shift,
        apps: Rc::new(v.app_servers),
        local_hits: v.local_hits,
        coherence: label(serde_json::to_value(v.coherence)),
        nodes: v.nodes,
    }
}

/// How far a fetch that completes at `done` is along at `now`, 0 to 1.
fn progress(done: Time, now: Time, latency: Time) -> f64 {
    if latency == 0 {
        return 1.0;
    }
    let remaining = done.saturating_sub(now).min(latency);
    1.0 - remaining as f64 / latency as f64
}

/// A key's colour: a hue from a hash of the key, so the same key looks the same everywhere
/// and neighbouring keys differ.
fn key_hue(key: u64) -> u64 {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 360
}

fn key_style(key: u64) -> String {
    format!("--h:{}", key_hue(key))
}

fn percent(x: f64) -> String {
    format!("{x:.1}%")
}

/// A byte count as people read it: `950 B`, `12.3 kB`, `4.1 MB`, `2.0 GB`.
fn bytes_text(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1_000 {
        return format!("{n} B");
    }
    let mut x = n as f64 / 1_000.0;
    let mut unit = 0;
    while x >= 1_000.0 && unit + 1 < UNITS.len() {
        x /= 1_000.0;
        unit += 1;
    }
    format!("{x:.1} {}", UNITS[unit])
}

fn view(run: &dyn LabRun, on_command: &Callback<Value>) -> Html {
    match snapshot(run) {
        Some(snap) => {
            // The scenario as started (its seed, workload and capacity) for the curves panel;
            // equal props every frame, so the panel is not redrawn while the run plays.
            let scenario = cache_run(run).map(|r| Rc::new(r.sim().scenario().clone()));
            html! {
                <>
                    <CacheStage snap={Rc::new(snap)} on_command={on_command.clone()} />
                    if let Some(scenario) = scenario {
                        <MrcPanel {scenario} />
                    }
                </>
            }
        }
        None => html! { <p class="muted">{ "This run is not a cache run." }</p> },
    }
}

fn choices(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "policy" => Some(POLICIES),
        "workload.pattern" => Some(PATTERNS),
        "arrivals" => Some(ARRIVALS),
        "read_strategy" => Some(READ_STRATEGIES),
        "write_strategy" => Some(WRITE_STRATEGIES),
        "coherence" => Some(COHERENCE),
        "capacity_unit" => Some(CAPACITY_UNITS),
        "compare_policy" => Some(COMPARE_WITH),
        _ => None,
    }
}

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    if command.as_str() == Some("flush") {
        return Some("You flushed the cache: every key is gone".to_string());
    }
    if command.as_str() == Some("add_node") {
        return Some("You added a cache node to the ring".to_string());
    }
    if command.as_str() == Some("crash") {
        return Some(
            "You crashed the cache: it restarts cold, and writes only it held are lost".to_string(),
        );
    }
    let (name, args) = command.as_object()?.iter().next()?;
    let num = |k: &str| args.get(k).and_then(Value::as_u64);
    Some(match name.as_str() {
        "flush" => "You flushed the cache: every key is gone".to_string(),
        "get" => format!("You requested key {}", num("key")?),
        "put" => format!("You wrote key {}", num("key")?),
        "remove_node" => format!("You removed cache node {} from the ring", num("node")?),
        "crash" => "You crashed the cache: it restarts cold".to_string(),
        "phase" => format!(
            "You started a workload phase: skew {:.2}, hot keys moved by {}",
            num("skew_milli")? as f64 / 1000.0,
            num("shift")?
        ),
        "set_policy" => format!(
            "You switched the policy to {}",
            policy_label(args.get("policy").and_then(Value::as_str)?)
        ),
        "burst" => format!("You sent a scan of {} new keys", num("len")?),
        "set_skew" => format!(
            "You set the Zipf skew to {:.2}",
            num("skew_milli")? as f64 / 1000.0
        ),
        "origin_down" if args.get("on").and_then(Value::as_bool) == Some(false) => {
            "You brought the origin back up".to_string()
        }
        "origin_down" => "You took the origin down: misses fail".to_string(),
        _ => return None,
    })
}

fn palette(run: &dyn LabRun) -> Palette {
    let Some(snap) = snapshot(run) else {
        return Palette::default();
    };
    let skew = snap.skew_milli;
    let up = skew.saturating_add(200).min(MAX_SKEW_MILLI);
    let down = skew.saturating_sub(200);
    let down_label = format!("Skew ↓ {:.2}", down as f64 / 1000.0);
    let up_label = format!("Skew ↑ {:.2}", up as f64 / 1000.0);
    Palette {
        target_noun: "",
        targets: Vec::new(),
        global: vec![
            Fault::new("flush", "Flush", json!("flush"))
                .hint("Empty the cache at once: every next request misses."),
            Fault::new("burst", "Scan burst (200)", json!({"burst": {"len": 200}})).hint(
                "200 requests for keys never seen before: watch which policies resist the scan.",
            ),
            Fault::new(
                "origin-down",
                "Origin down",
                json!({"origin_down": {"on": !snap.origin_down}}),
            )
            .pressed(snap.origin_down)
            .hint("The origin stops answering: misses fail until it is back."),
            Fault::new(
                "skew-up",
                &up_label,
                json!({"set_skew": {"skew_milli": up}}),
            )
            .hint("Make the hot keys hotter (a steeper Zipf)."),
            Fault::new(
                "skew-down",
                &down_label,
                json!({"set_skew": {"skew_milli": down}}),
            )
            .hint("Spread requests over more keys (a flatter Zipf)."),
            Fault::new("crash", "Crash cache", json!("crash")).hint(
                "The cache process dies and restarts cold: dirty write-back entries and the \
                 write-behind queue are lost.",
            ),
            Fault::new(
                "phase",
                "Phase change",
                json!({"phase": {"skew_milli": skew, "shift": (snap.shift + snap.keys / 2) % snap.keys.max(1)}}),
            )
            .hint("Move the working set: yesterday's hot keys go cold, new ones heat up."),
            Fault::new("put-hot", "Write hot key", json!({"put": {"key": snap.shift}}))
                .hint("Write the hottest key by the scenario's write strategy."),
            Fault::new("add-node", "Add cache node", json!("add_node"))
                .hint("A node joins the ring: only the keys on the arcs it takes move (and miss once)."),
            Fault::new(
                "remove-node",
                "Remove cache node",
                json!({"remove_node": {"node": snap.nodes.last().map_or(0, |n| n.0)}}),
            )
            .hint("The newest node leaves the ring: its keys pass to their clockwise neighbours."),
        ],
    }
}

#[derive(Properties, PartialEq)]
struct StageProps {
    snap: Rc<Snapshot>,
    on_command: Callback<Value>,
}

/// The interactive picture: the headline and live controls, the policy's lists, the request
/// stream and the origin.
#[function_component(CacheStage)]
fn cache_stage(props: &StageProps) -> Html {
    let snap = &props.snap;
    let key_ref = use_node_ref();
    let cmd = props.on_command.clone();
    let max_key = snap.keys.saturating_sub(1);
    let on_get = {
        let cmd = cmd.clone();
        let key_ref = key_ref.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let key = key_ref
                .cast::<HtmlInputElement>()
                .and_then(|i| i.value().trim().parse::<u64>().ok());
            if let Some(key) = key {
                cmd.emit(json!({"get": {"key": key}}));
            }
        })
    };
    let on_put = {
        let cmd = cmd.clone();
        let key_ref = key_ref.clone();
        Callback::from(move |_: MouseEvent| {
            let key = key_ref
                .cast::<HtmlInputElement>()
                .and_then(|i| i.value().trim().parse::<u64>().ok());
            if let Some(key) = key {
                cmd.emit(json!({"put": {"key": key}}));
            }
        })
    };
    let ratio = snap.hit_ratio();
    let fill = if snap.capacity == 0 {
        0.0
    } else {
        (snap.used as f64 / snap.capacity as f64).min(1.0) * 100.0
    };
    html! {
        <div class="cache" data-testid="cache-view">
            <div class="view-bar">
                { live_select(
                    "Policy",
                    "policy",
                    POLICIES,
                    &snap.policy,
                    policy_label,
                    |policy| json!({"set_policy": {"policy": policy}}),
                    &props.on_command,
                ) }
                <form class="inline" onsubmit={on_get}>
                    <span>{ "Key" }</span>
                    <input ref={key_ref} type="number" min="0" max={max_key.to_string()} value="0"
                        data-testid="get-key" aria-label="Key to request" />
                    <button type="submit" data-testid="get-submit">{ "Get" }</button>
                    <button type="button" data-testid="put-submit" onclick={on_put}>{ "Put" }</button>
                </form>
            </div>
            <div class="cache-head">
                <div class="hit-ratio" title="Hits over requests served so far">
                    <span class="big" data-testid="hit-ratio">
                        { ratio.map(percent).unwrap_or_else(|| "–".to_string()) }
                    </span>
                    <span class="muted">{ "hit ratio" }</span>
                </div>
                <dl class="cache-stats">
                    <div><dt>{ "requests" }</dt><dd data-testid="requests">{ snap.requests }</dd></div>
                    <div><dt>{ "hits" }</dt><dd>{ snap.hits }</dd></div>
                    <div><dt>{ "misses" }</dt><dd>{ snap.misses }</dd></div>
                    <div><dt>{ "coalesced" }</dt><dd>{ snap.coalesced }</dd></div>
                    <div><dt>{ "evicted" }</dt><dd>{ snap.evictions }</dd></div>
                    if snap.failed > 0 {
                        <div class="bad"><dt>{ "failed" }</dt><dd>{ snap.failed }</dd></div>
                    }
                    <div title="Bytes served from the cache over bytes read (objects have sizes)">
                        <dt>{ "byte hit ratio" }</dt>
                        <dd data-testid="byte-hit-ratio">{ snap.byte_hit_ratio().map(percent).unwrap_or_else(|| "–".to_string()) }</dd>
                    </div>
                    <div><dt>{ "writes" }</dt><dd data-testid="writes">{ snap.writes }</dd></div>
                    <div title="Reads answered with a version older than the store's newest committed write"
                        style={(snap.stale_reads > 0).then_some("color:var(--bad)")}>
                        <dt>{ "stale reads" }</dt><dd data-testid="stale-reads">{ snap.stale_reads }</dd>
                    </div>
                    <div title="Writes the cache held that never reached the store (crash, or a failed flush)"
                        style={(snap.lost_writes > 0).then_some("color:var(--bad)")}>
                        <dt>{ "lost writes" }</dt><dd data-testid="lost-writes">{ snap.lost_writes }</dd>
                    </div>
                    <div title="Fetches and writes started at the store in the last second">
                        <dt>{ "origin load" }</dt><dd data-testid="origin-load">{ format!("{}/s", snap.origin_load) }</dd>
                    </div>
                </dl>
            </div>
            <div class="capacity" title="Cached units over capacity">
                <div class="capacity-bar" role="meter" aria-label="Cache used"
                    aria-valuemin="0" aria-valuemax={snap.capacity.to_string()}
                    aria-valuenow={snap.used.to_string()}>
                    <div class="capacity-fill" style={format!("width:{fill:.1}%")}></div>
                </div>
                <span class="capacity-text" data-testid="capacity-text">
                    { if snap.bytes {
                        format!("{} / {} cached", bytes_text(snap.used), bytes_text(snap.capacity))
                    } else {
                        format!("{} / {} cached", snap.used, snap.capacity)
                    } }
                </span>
                if snap.not_admitted > 0 {
                    <span class="capacity-text" data-testid="not-admitted"
                        title="Values larger than the whole cache: never cached, every read misses">
                        { format!("{} too large to cache", snap.not_admitted) }
                    </span>
                }
                if let Some(p) = snap.arc_p {
                    <span class="capacity-text" data-testid="arc-p"
                        title="ARC's target size of T1, adapted on every ghost hit">
                        { if snap.bytes {
                            format!("p = {}", bytes_text(p as u64))
                        } else {
                            format!("p = {p:.1}")
                        } }
                    </span>
                }
                <span class="capacity-text" title="Zipf skew of the workload">
                    { format!("skew {:.2}", f64::from(snap.skew_milli) / 1000.0) }
                </span>
            </div>
            <Segments segments={Rc::clone(&snap.segments)} />
            <Values values={Rc::clone(&snap.values)} dirty={snap.dirty} />
            if snap.nodes.len() > 1 {
                <div class="chips" data-testid="cache-nodes" title="Cache nodes on the consistent-hash ring and their share of it">
                    <span class="muted small">{ "nodes" }</span>
                    <>{ for snap.nodes.iter().map(|&(n, ppm)| {
                        let cached = snap.values.iter().filter(|v| v.node == n).count();
                        html! {
                            <span class="slot" data-testid="cache-node" style={key_style(u64::from(n) * 7_919)}>
                                { format!("node {n} · {:.1}% · {cached} values", ppm as f64 / 10_000.0) }
                            </span>
                        }
                    }) }</>
                </div>
            }
            <Stream recent={Rc::clone(&snap.recent)} />
            if let Some(compare) = &snap.compare {
                <CompareStrip compare={Rc::clone(compare)} />
            }
            <Origin in_flight={snap.in_flight.clone()} down={snap.origin_down}
                fetches={snap.origin_fetches} single_flight={snap.single_flight} />
            <StorePanel store={Rc::clone(&snap.store)} />
            if !snap.apps.is_empty() {
                <AppServers apps={Rc::clone(&snap.apps)} local_hits={snap.local_hits}
                    coherence={snap.coherence.clone()} />
            }
            <p class="legend muted">
                { "Squares are cached keys, most recent first; the colour follows the key. \
                   Dashed rows are ghosts: keys the policy remembers but no longer holds. \
                   Values show their version (v), the TTL left as a bar, a dot when dirty and \
                   a red outline when older than the store's version." }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CompareProps {
    compare: Rc<CompareView>,
}

/// The request-by-request comparison: the last requests, newest first, each with the lab's
/// policy (A) and the second one (B); rows where they disagree are marked and say why.
#[function_component(CompareStrip)]
fn compare_strip(props: &CompareProps) -> Html {
    let c = &props.compare;
    let (a, b) = (policy_label(&c.a), policy_label(&c.b));
    let ratio = |hits: u64| {
        if c.requests == 0 {
            "–".to_string()
        } else {
            percent(hits as f64 * 100.0 / c.requests as f64)
        }
    };
    let mark = |hit: bool| if hit { "hit" } else { "miss" };
    html! {
        <section class="cache-compare" data-testid="cache-compare"
            aria-label={format!("{a} and {b}, request by request")}>
            <div class="cache-compare-head">
                <strong>{ format!("A = {a} · B = {b}") }</strong>
                <span class="muted small" data-testid="compare-summary">
                    { format!(
                        "{} requests · A {} · B {} · only A hit {} · only B hit {}",
                        c.requests, ratio(c.a_hits), ratio(c.b_hits), c.only_a, c.only_b
                    ) }
                </span>
            </div>
            <ol class="cache-compare-rows">
                <>{ for c.rows.iter().rev().map(|r| {
                    let differ = r.a_hit != r.b_hit;
                    html! {
                        <li class={classes!("cache-compare-row", differ.then_some("differ"))}
                            data-testid="compare-row" data-differ={differ.to_string()}>
                            <span class="cache-compare-index muted">{ format!("#{}", r.index) }</span>
                            <span class="slot" style={key_style(r.key)}>{ r.key }</span>
                            <span class={classes!("cache-compare-outcome", mark(r.a_hit))}
                                title={format!("{a}: {}", mark(r.a_hit))}>{ format!("A {}", mark(r.a_hit)) }</span>
                            <span class={classes!("cache-compare-outcome", mark(r.b_hit))}
                                title={format!("{b}: {}", mark(r.b_hit))}>{ format!("B {}", mark(r.b_hit)) }</span>
                            if let Some(why) = &r.why {
                                <span class="cache-compare-why" data-testid="compare-why">{ why }</span>
                            }
                        </li>
                    }
                }) }</>
            </ol>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct SegmentsProps {
    segments: Rc<Vec<Segment>>,
}

/// One row per list of the policy, each key a small square.
#[function_component(Segments)]
fn segments(props: &SegmentsProps) -> Html {
    if props.segments.is_empty() {
        return html! { <p class="muted">{ "The cache is empty." }</p> };
    }
    html! {
        <div class="segments">
            <>{ for props.segments.iter().map(|s| {
                let cap = if s.ghost { GHOSTS_SHOWN } else { SLOTS_SHOWN };
                let more = s.keys.len().saturating_sub(cap);
                html! {
                    <div class={classes!("segment", s.ghost.then_some("ghost"))}
                        data-testid={format!("cache-segment-{}", s.name)}>
                        <span class="segment-name" title={format!("{} keys", s.keys.len())}>
                            { &s.name }<small>{ s.keys.len() }</small>
                        </span>
                        <div class="slots">
                            <>{ for s.keys.iter().take(cap).map(|k| html! {
                                <span key={*k} class="slot" style={key_style(*k)}>{ k }</span>
                            }) }</>
                            if more > 0 {
                                <span class="more">{ format!("+{more} more") }</span>
                            }
                            if s.keys.is_empty() {
                                <span class="more">{ "empty" }</span>
                            }
                        </div>
                    </div>
                }
            }) }</>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StreamProps {
    recent: Rc<Vec<Request>>,
}

/// The latest requests, oldest first, as chips coloured by outcome; the keys each one
/// evicted follow it, struck through.
#[function_component(Stream)]
fn stream(props: &StreamProps) -> Html {
    html! {
        <div class="stream">
            <h3>{ "Requests" }<span class="muted small">{ " latest last" }</span></h3>
            if props.recent.is_empty() {
                <p class="muted small">{ "No request yet: press play." }</p>
            }
            <ol class="chips">
                <>{ for props.recent.iter().map(|r| {
                    let more = r.evicted.len().saturating_sub(EVICTED_SHOWN);
                    let title = format!(
                        "{} ms: key {} {}{}{}",
                        r.time,
                        r.key,
                        r.outcome,
                        if r.evicted.is_empty() {
                            String::new()
                        } else {
                            format!(", evicted {:?}", r.evicted)
                        },
                        if r.stale { ", STALE: older than the store's version" } else { "" }
                    );
                    html! {
                        <li key={r.seq} class={classes!("request-chip", r.outcome.clone(), r.stale.then_some("stale"))}
                            data-testid="request-chip" title={title} style={chip_style(r)}>
                            if r.outcome == "write" { <b>{ "w" }</b> }
                            { r.key }
                            if r.stale { <b style="color:var(--bad)" data-testid="stale-mark">{ "!" }</b> }
                            if !r.evicted.is_empty() {
                                <s class="evicted">
                                    { r.evicted.iter().take(EVICTED_SHOWN)
                                        .map(u64::to_string).collect::<Vec<_>>().join(" ") }
                                    if more > 0 { { format!(" +{more}") } }
                                </s>
                            }
                        </li>
                    }
                }) }</>
            </ol>
            <p class="chip-legend small muted">
                <span class="dot hit"></span>{ "hit " }
                <span class="dot miss"></span>{ "miss " }
                <span class="dot coalesced"></span>{ "coalesced " }
                <span class="dot failed"></span>{ "failed " }
                <span class="dot" style="background:#7048e8"></span>{ "served expired " }
                <span class="dot" style="background:#495057"></span>{ "write " }
                <b style="color:var(--bad)">{ "!" }</b>{ " stale " }
                <s>{ "41" }</s>{ " a key that request evicted" }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct OriginProps {
    in_flight: Vec<(u64, f64)>,
    down: bool,
    fetches: u64,
    single_flight: bool,
}

/// The origin the misses go to, with the fetches in flight.
#[function_component(Origin)]
fn origin(props: &OriginProps) -> Html {
    const SHOWN: usize = 12;
    let more = props.in_flight.len().saturating_sub(SHOWN);
    html! {
        <div class={classes!("origin", props.down.then_some("down"))} data-testid="origin">
            <div class="origin-head">
                <strong>{ "Origin" }</strong>
                if props.down {
                    <span class="origin-state" role="status">{ "down: misses fail" }</span>
                } else {
                    <span class="muted small">
                        { format!("{} in flight · {} fetches so far", props.in_flight.len(), props.fetches) }
                    </span>
                }
                <span class={classes!("badge", props.single_flight.then_some("on"))}
                    title="Whether concurrent misses for one key share a single origin fetch">
                    { if props.single_flight { "single-flight on" } else { "single-flight off" } }
                </span>
            </div>
            if !props.in_flight.is_empty() {
                <ul class="fetches">
                    <>{ for props.in_flight.iter().take(SHOWN).map(|(key, p)| html! {
                        <li class="fetch" style={key_style(*key)}>
                            <span class="fetch-key">{ key }</span>
                            <span class="fetch-bar">
                                <span style={format!("width:{:.0}%", p * 100.0)}></span>
                            </span>
                        </li>
                    }) }</>
                    if more > 0 {
                        <li class="more">{ format!("+{more} more") }</li>
                    }
                </ul>
            }
        </div>
    }
}

/// Inline colours for the outcomes the shared style sheet does not know, and the stale outline.
fn chip_style(r: &Request) -> Option<String> {
    let base = match r.outcome.as_str() {
        "stale" => "background:#f3f0ff;border-color:#b197fc;color:#5f3dc4;",
        "write" => "background:#f1f3f5;border-color:#adb5bd;color:#343a40;",
        _ => "",
    };
    let outline = if r.stale {
        "outline:2px solid var(--bad);outline-offset:-1px;"
    } else {
        ""
    };
    let s = format!("{base}{outline}");
    (!s.is_empty()).then_some(s)
}

#[derive(Properties, PartialEq)]
struct ValuesProps {
    values: Rc<Vec<Value_>>,
    dirty: u64,
}

/// The values in the cache's slots, in key order: version, TTL bar, dirty dot, stale outline.
#[function_component(Values)]
fn values(props: &ValuesProps) -> Html {
    let more = props.values.len().saturating_sub(VALUES_SHOWN);
    html! {
        <div class="segment" data-testid="cache-values">
            <span class="segment-name" title="Cached values by key">
                { "values" }<small>{ format!("{} dirty", props.dirty) }</small>
            </span>
            <div class="slots">
                <>{ for props.values.iter().take(VALUES_SHOWN).map(|v| {
                    let stale = v.version < v.store_version;
                    let mut style = key_style(v.key);
                    style.push_str(";flex-direction:column;height:auto;padding:2px 3px;gap:1px");
                    if stale {
                        style.push_str(";outline:2px solid var(--bad)");
                    }
                    let title = format!(
                        "key {} on node {}: version {}{}, store has {}{}{}",
                        v.key,
                        v.node,
                        v.version,
                        if v.version == 0 { " (cached not-found)" } else { "" },
                        v.store_version,
                        if v.dirty { ", dirty: not yet in the store" } else { "" },
                        match v.ttl_left {
                            Some(f) if f <= 0.0 => ", expired".to_string(),
                            Some(f) => format!(", {:.0}% of its TTL left", f * 100.0),
                            None => String::new(),
                        }
                    );
                    html! {
                        <span class={classes!("slot", v.dirty.then_some("dirty"), stale.then_some("stale"))}
                            style={style} title={title} data-testid="cache-value">
                            <span>
                                { v.key }
                                <small style="opacity:.7">{ format!(" v{}", v.version) }</small>
                                if v.dirty { <b style="color:#e8590c" title="dirty">{ " ●" }</b> }
                            </span>
                            if let Some(f) = v.ttl_left {
                                <span style="display:block;width:100%;height:3px;background:var(--line);border-radius:2px;overflow:hidden">
                                    <span style={format!(
                                        "display:block;height:100%;width:{:.0}%;background:{}",
                                        f.clamp(0.0, 1.0) * 100.0,
                                        if f <= 0.0 { "var(--bad)" } else { "hsl(var(--h) 60% 45%)" }
                                    )}></span>
                                </span>
                            }
                        </span>
                    }
                }) }</>
                if more > 0 {
                    <span class="more">{ format!("+{more} more") }</span>
                }
                if props.values.is_empty() {
                    <span class="more">{ "no values yet" }</span>
                }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StorePanelProps {
    store: Rc<StoreSnap>,
}

/// The backing store: the strategies, writes on their way, the write-behind queue and the
/// versions of written keys.
#[function_component(StorePanel)]
fn store_panel(props: &StorePanelProps) -> Html {
    let s = &props.store;
    html! {
        <div class="origin" data-testid="store">
            <div class="origin-head">
                <strong>{ "Store" }</strong>
                <span class="badge on" data-testid="read-strategy">{ s.read_strategy.clone() }</span>
                <span class="badge on" data-testid="write-strategy">{ s.write_strategy.clone() }</span>
                <span class="muted small">
                    { format!("{} writes in flight · {} queued", s.writes_in_flight.len(), s.queue.len()) }
                </span>
            </div>
            if !s.writes_in_flight.is_empty() {
                <ul class="fetches" data-testid="store-writes">
                    <>{ for s.writes_in_flight.iter().map(|(key, v, p)| html! {
                        <li class="fetch" style={key_style(*key)} title={format!("writing {key} v{v}")}>
                            <span class="fetch-key">{ format!("{key} v{v}") }</span>
                            <span class="fetch-bar">
                                <span style={format!("width:{:.0}%", p * 100.0)}></span>
                            </span>
                        </li>
                    }) }</>
                </ul>
            }
            if !s.queue.is_empty() {
                <div class="chips" data-testid="write-queue" title="The write-behind queue, oldest first">
                    <span class="muted small">{ "queue" }</span>
                    <>{ for s.queue.iter().map(|(k, v)| html! {
                        <span class="slot" style={key_style(*k)}>{ format!("{k} v{v}") }</span>
                    }) }</>
                </div>
            }
            if !s.written.is_empty() {
                <div class="chips" data-testid="store-versions" title="Keys written so far and their committed versions (the rest are at v1)">
                    <span class="muted small">{ "written" }</span>
                    <>{ for s.written.iter().map(|(k, v)| html! {
                        <span class="slot" style={key_style(*k)}>{ format!("{k} v{v}") }</span>
                    }) }</>
                </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct AppServersProps {
    apps: Rc<Vec<Vec<(u64, u64, bool)>>>,
    local_hits: u64,
    coherence: String,
}

/// The app servers in front of the shared cache: each one's local copies, a red outline on a
/// copy older than the store's version (stale until an invalidation arrives or it expires).
#[function_component(AppServers)]
fn app_servers(props: &AppServersProps) -> Html {
    html! {
        <div class="segments" data-testid="app-servers">
            <h3>
                { "App servers" }
                <span class="muted small">
                    { format!(" local caches · {} · {} local hits", props.coherence, props.local_hits) }
                </span>
            </h3>
            <>{ for props.apps.iter().enumerate().map(|(i, copies)| {
                let more = copies.len().saturating_sub(COPIES_SHOWN);
                html! {
                    <div class="segment" data-testid={format!("app-server-{i}")}>
                        <span class="segment-name">{ format!("app {i}") }<small>{ copies.len() }</small></span>
                        <div class="slots">
                            <>{ for copies.iter().take(COPIES_SHOWN).map(|&(k, v, stale)| {
                                let mut style = key_style(k);
                                if stale {
                                    style.push_str(";outline:2px solid var(--bad)");
                                }
                                html! {
                                    <span class="slot" style={style} data-testid={stale.then_some("stale-copy")}
                                        title={format!("key {k} v{v}{}", if stale { ", STALE" } else { "" })}>
                                        { k }<small style="opacity:.7">{ format!(" v{v}") }</small>
                                    </span>
                                }
                            }) }</>
                            if more > 0 {
                                <span class="more">{ format!("+{more} more") }</span>
                            }
                            if copies.is_empty() {
                                <span class="more">{ "empty" }</span>
                            }
                        </div>
                    </div>
                }
            }) }</>
        </div>
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_offers_every_online_policy() {
        let online: Vec<&str> = orrery_core::cache::policy::NAMES
            .iter()
            .copied()
            .filter(|n| *n != "opt")
            .collect();
        assert_eq!(POLICIES, online.as_slice());
        assert_eq!(policy_label("s3fifo"), "S3-FIFO");
        assert_eq!(policy_label("arc"), "ARC");
    }

    #[test]
    fn commands_are_narrated() {
        let say = |v: Value| describe(&v).unwrap_or_default();
        assert_eq!(
            say(json!("flush")),
            "You flushed the cache: every key is gone"
        );
        assert_eq!(say(json!({"get": {"key": 5}})), "You requested key 5");
        assert_eq!(
            say(json!({"set_policy": {"policy": "arc"}})),
            "You switched the policy to ARC"
        );
        assert_eq!(
            say(json!({"set_skew": {"skew_milli": 1200}})),
            "You set the Zipf skew to 1.20"
        );
        assert_eq!(
            say(json!({"origin_down": {"on": false}})),
            "You brought the origin back up"
        );
        assert_eq!(say(json!({"put": {"key": 3}})), "You wrote key 3");
        assert!(say(json!("crash")).contains("writes only it held are lost"));
        assert_eq!(
            say(json!({"phase": {"skew_milli": 900, "shift": 500}})),
            "You started a workload phase: skew 0.90, hot keys moved by 500"
        );
        assert_eq!(describe(&json!({"unknown": {}})), None);
    }

    #[test]
    fn byte_counts_read_as_units_and_menus_match_the_core() {
        assert_eq!(bytes_text(950), "950 B");
        assert_eq!(bytes_text(12_345), "12.3 kB");
        assert_eq!(bytes_text(4_100_000), "4.1 MB");
        assert_eq!(bytes_text(1 << 40), "1.1 TB");
        for unit in CAPACITY_UNITS {
            let v: Result<CapacityUnit, _> = serde_json::from_value(json!(unit));
            assert!(v.is_ok(), "{unit}");
        }
        assert_eq!(&COMPARE_WITH[1..], POLICIES);
        let s = orrery_core::cache::lab::Scenario {
            compare_policy: Some("none".into()),
            ..Default::default()
        };
        assert_eq!(s.compare_name(), None);
    }

    #[test]
    fn fetch_progress_and_ghosts() {
        assert_eq!(progress(150, 100, 100), 0.5);
        assert_eq!(progress(100, 100, 100), 1.0);
        assert_eq!(progress(500, 100, 100), 0.0);
        assert_eq!(progress(5, 100, 0), 1.0);
        assert!(is_ghost("B1") && is_ghost("A1out") && !is_ghost("T1") && !is_ghost("protected"));
        assert_ne!(key_hue(1), key_hue(2));
    }

    #[test]
    fn strategy_menus_offer_every_strategy_by_its_serde_name() {
        use orrery_core::cache::lab::{ReadStrategy, WriteStrategy};
        use orrery_core::cache::near::Coherence;
        for (name, all) in [
            ("read_strategy", READ_STRATEGIES),
            ("write_strategy", WRITE_STRATEGIES),
            ("coherence", COHERENCE),
        ] {
            assert_eq!(choices(name), Some(all));
            for s in all {
                let ok = match name {
                    "read_strategy" => serde_json::from_value::<ReadStrategy>(json!(s)).is_ok(),
                    "write_strategy" => serde_json::from_value::<WriteStrategy>(json!(s)).is_ok(),
                    _ => serde_json::from_value::<Coherence>(json!(s)).is_ok(),
                };
                assert!(ok, "{s}");
            }
        }
        assert_eq!(strategy_label("write_back"), "write-back");
    }
}
