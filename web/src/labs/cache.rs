//! The cache lab's picture: the policy's own lists, the request stream and the origin, drawn
//! in HTML from the run's view.
//!
//! ```text
//!   62.4 %  hit ratio        policy [ARC ▾]   get key [ 17 ] [Get]
//!   ███████████████░░░░  96 / 100
//!   T1 │ 17 3 88 …         squares are cached keys, most recent first, hue = key
//!   T2 │ 5 1 2 …
//!   B1 ┊ 40 9 …            ghost lists (keys remembered, not cached) are dashed
//!   requests  … [17] [3] [88 ~~41~~] [5]     green hit, amber miss, blue coalesced, red failed
//!   origin    17 ▓▓▓░░  3 ▓░░░░               fetches in flight, with their progress
//! ```
//!
//! Everything drawn comes from `CacheLab::view()`; nothing here decides what the cache does.
//! The policy menu sends `set_policy`, the key form sends `get`, the fault palette sends the
//! rest (`flush`, `burst`, `origin_down`, `set_skew`).

use std::rc::Rc;

use orrery_core::cache::lab::{CacheLab, CacheView};
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
        "capacity",
        "keys",
        "workload.pattern",
        "workload.skew_milli",
        "rate_per_s",
        "arrivals",
        "origin_latency_ms",
        "single_flight",
        "workload.loop_len",
        "workload.burst_every_ms",
        "workload.burst_len",
    ],
    compare: &[("policy", POLICIES), ("workload.pattern", PATTERNS)],
    describe,
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
    /// ARC's adaptive target size of `T1`, in objects.
    arc_p: Option<f64>,
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
    time: Time,
    key: u64,
    outcome: String,
    evicted: Vec<u64>,
}

impl Snapshot {
    /// Hits over requests, in percent, since the start; `None` before the first request.
    fn hit_ratio(&self) -> Option<f64> {
        let n = self.requests;
        (n > 0).then(|| self.hits as f64 * 100.0 / n as f64)
    }
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
    Snapshot {
        policy: v.policy,
        capacity: v.capacity,
        used: v.used,
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
                    time: r.time,
                    key: r.key,
                    outcome: r.outcome,
                    evicted: r.evicted,
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
        _ => None,
    }
}

/// Plain-language narration of a recorded command.
fn describe(command: &Value) -> Option<String> {
    if command.as_str() == Some("flush") {
        return Some("You flushed the cache: every key is gone".to_string());
    }
    let (name, args) = command.as_object()?.iter().next()?;
    let num = |k: &str| args.get(k).and_then(Value::as_u64);
    Some(match name.as_str() {
        "flush" => "You flushed the cache: every key is gone".to_string(),
        "get" => format!("You requested key {}", num("key")?),
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
                </dl>
            </div>
            <div class="capacity" title="Cached units over capacity">
                <div class="capacity-bar" role="meter" aria-label="Cache used"
                    aria-valuemin="0" aria-valuemax={snap.capacity.to_string()}
                    aria-valuenow={snap.used.to_string()}>
                    <div class="capacity-fill" style={format!("width:{fill:.1}%")}></div>
                </div>
                <span class="capacity-text">{ format!("{} / {} cached", snap.used, snap.capacity) }</span>
                if let Some(p) = snap.arc_p {
                    <span class="capacity-text" title="ARC's target size of T1, adapted on every ghost hit">
                        { format!("p = {p:.1}") }
                    </span>
                }
                <span class="capacity-text" title="Zipf skew of the workload">
                    { format!("skew {:.2}", f64::from(snap.skew_milli) / 1000.0) }
                </span>
            </div>
            <Segments segments={Rc::clone(&snap.segments)} />
            <Stream recent={Rc::clone(&snap.recent)} />
            <Origin in_flight={snap.in_flight.clone()} down={snap.origin_down}
                fetches={snap.origin_fetches} single_flight={snap.single_flight} />
            <p class="legend muted">
                { "Squares are cached keys, most recent first; the colour follows the key. \
                   Dashed rows are ghosts: keys the policy remembers but no longer holds." }
            </p>
        </div>
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
            { for props.segments.iter().map(|s| {
                let cap = if s.ghost { GHOSTS_SHOWN } else { SLOTS_SHOWN };
                let more = s.keys.len().saturating_sub(cap);
                html! {
                    <div class={classes!("segment", s.ghost.then_some("ghost"))}
                        data-testid={format!("cache-segment-{}", s.name)}>
                        <span class="segment-name" title={format!("{} keys", s.keys.len())}>
                            { &s.name }<small>{ s.keys.len() }</small>
                        </span>
                        <div class="slots">
                            { for s.keys.iter().take(cap).map(|k| html! {
                                <span class="slot" style={key_style(*k)}>{ k }</span>
                            }) }
                            if more > 0 {
                                <span class="more">{ format!("+{more} more") }</span>
                            }
                            if s.keys.is_empty() {
                                <span class="more">{ "empty" }</span>
                            }
                        </div>
                    </div>
                }
            }) }
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
                { for props.recent.iter().map(|r| {
                    let more = r.evicted.len().saturating_sub(EVICTED_SHOWN);
                    let title = format!(
                        "{} ms: key {} {}{}",
                        r.time,
                        r.key,
                        r.outcome,
                        if r.evicted.is_empty() {
                            String::new()
                        } else {
                            format!(", evicted {:?}", r.evicted)
                        }
                    );
                    html! {
                        <li class={classes!("request-chip", r.outcome.clone())} data-testid="request-chip"
                            title={title}>
                            { r.key }
                            if !r.evicted.is_empty() {
                                <s class="evicted">
                                    { r.evicted.iter().take(EVICTED_SHOWN)
                                        .map(u64::to_string).collect::<Vec<_>>().join(" ") }
                                    if more > 0 { { format!(" +{more}") } }
                                </s>
                            }
                        </li>
                    }
                }) }
            </ol>
            <p class="chip-legend small muted">
                <span class="dot hit"></span>{ "hit " }
                <span class="dot miss"></span>{ "miss " }
                <span class="dot coalesced"></span>{ "coalesced " }
                <span class="dot failed"></span>{ "failed " }
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
                    { for props.in_flight.iter().take(SHOWN).map(|(key, p)| html! {
                        <li class="fetch" style={key_style(*key)}>
                            <span class="fetch-key">{ key }</span>
                            <span class="fetch-bar">
                                <span style={format!("width:{:.0}%", p * 100.0)}></span>
                            </span>
                        </li>
                    }) }
                    if more > 0 {
                        <li class="more">{ format!("+{more} more") }</li>
                    }
                </ul>
            }
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
        assert_eq!(describe(&json!({"unknown": {}})), None);
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
}
