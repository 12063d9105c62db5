//! The scheduler lab's picture: a cron expression box (description and next runs in a chosen
//! zone), a week heatmap of every job's fire times with collisions marked, and the cluster:
//! nodes with the lease and fencing tokens, the queue, the workers and the exactly-once strip.
//!
//! ```text
//!   [ 0 9 * * 1-5        ] [Europe/London ▾]   At 09:00, Monday through Friday
//!   next: 2024-01-01T09:00:00+00:00 …
//!   week  Mon ▇▇░░▇ … (7 × 24 hours, darker = more fires, outlined = two or more jobs)
//!   store ● lease node 1, token 3, expires 41.0s
//!   node 0 ✕ crashed   node 1 ★ leader (token 3)   node 2 follower, skew −20000 ms
//!   queue billing@300s p9 …   workers 0: report@240s ▓▓▓░░
//!   target: 120 applied, 0 duplicates (fencing on)
//! ```
//!
//! Everything drawn comes from `SchedulerLab::view()` and the core cron engine; nothing here
//! decides what the scheduler does. The fault palette sends the lab's commands.

use std::rc::Rc;

use orrery_core::cron::lab::{SchedulerLab, SchedulerView};
use orrery_core::cron::{civil, Dst, Schedule, Zone};
use orrery_core::registry::LabRun;
use orrery_core::Run;
use serde_json::{json, Value};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::LabUi;
use crate::components::faults::{Fault, Palette};

const MISFIRE: &[&str] = &["fire_once", "fire_all", "skip"];
const OVERLAP: &[&str] = &["allow", "skip", "queue", "replace"];
/// Zones offered by the expression box.
const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Tokyo",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/// Fire times counted per job for the heatmap (a per-second job would be 604,800 a week).
const HEATMAP_LIMIT: usize = 5_000;

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
};

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
            Fault::new("crash-worker", "Crash worker 0", json!({"crash_worker": {"worker": 0}}))
                .hint("The worker dies mid-job; its run reappears after the visibility timeout."),
            Fault::new(
                "slow-job",
                "Slow job",
                json!({"slow_job": {"job": first_job, "extra_ms": 30_000}}),
            )
            .hint("The first job's runs take 30 s longer."),
            Fault::new("trigger", "Trigger", json!({"trigger": {"name": first_job}}))
                .hint("Run the first job now, by hand."),
        ],
    }
}

fn view(run: &dyn LabRun, _on_command: &Callback<Value>) -> Html {
    let Some(v) = snapshot(run) else {
        return Html::default();
    };
    let jobs = Rc::new(v.jobs.clone());
    let now_unix = v.epoch + (v.now / 1000) as i64;
    html! {
        <div class="scheduler" data-testid="scheduler">
            <CronBox {now_unix} />
            <Heatmap {jobs} epoch={v.epoch} />
            { cluster(&v) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CronBoxProps {
    now_unix: i64,
}

/// The expression box: description and next runs in a chosen zone, from the run's clock.
#[function_component(CronBox)]
fn cron_box(props: &CronBoxProps) -> Html {
    let expr = use_state(|| "0 9 * * 1-5".to_string());
    let zone = use_state(|| "UTC".to_string());
    let oninput = {
        let expr = expr.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            expr.set(input.value());
        })
    };
    let onchange = {
        let zone = zone.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            zone.set(select.value());
        })
    };
    let result = Schedule::parse(&expr)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            let z = Zone::named(&zone)?;
            let times: Vec<String> = s
                .fire_times(props.now_unix, &z, Dst::default(), 6, false)
                .into_iter()
                .map(|t| z.format(t))
                .collect();
            Ok((s.describe(), times))
        });
    html! {
        <section class="cron-box">
            <input data-testid="cron-expr" value={(*expr).clone()} {oninput} size="28" />
            <select data-testid="cron-zone" {onchange}>
                { for ZONES.iter().map(|z| html! { <option value={*z} selected={*z == zone.as_str()}>{ *z }</option> }) }
            </select>
            {
                match result {
                    Ok((description, times)) => html! {
                        <>
                            <p data-testid="cron-description">{ description }</p>
                            <ol data-testid="cron-next">
                                { for times.iter().map(|t| html! { <li>{ t }</li> }) }
                            </ol>
                        </>
                    },
                    Err(e) => html! { <p class="error" data-testid="cron-error">{ e }</p> },
                }
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct HeatmapProps {
    jobs: Rc<Vec<(String, String)>>,
    epoch: i64,
}

/// Fires per (weekday, hour) over the week after `epoch`, in UTC, and how many distinct jobs
/// fire in each cell.
fn week_counts(jobs: &[(String, String)], epoch: i64) -> Vec<[(u32, u32); 24]> {
    let mut cells = vec![[(0u32, 0u32); 24]; 7];
    let utc = Zone::utc();
    for (_, cron) in jobs {
        let Ok(s) = Schedule::parse(cron) else {
            continue;
        };
        let mut seen = [[false; 24]; 7];
        let mut t = epoch - 1;
        for _ in 0..HEATMAP_LIMIT {
            let Some(n) = s.next_after(t, &utc, Dst::default()) else {
                break;
            };
            if n >= epoch + 7 * civil::DAY {
                break;
            }
            let day = civil::weekday(n.div_euclid(civil::DAY)) as usize;
            let hour = (n.rem_euclid(civil::DAY) / 3600) as usize;
            cells[day][hour].0 += 1;
            if !seen[day][hour] {
                seen[day][hour] = true;
                cells[day][hour].1 += 1;
            }
            t = n;
        }
    }
    cells
}

/// The 7 × 24 week heatmap of all jobs' fire times; cells where two or more jobs fire are
/// outlined.
#[function_component(Heatmap)]
fn heatmap(props: &HeatmapProps) -> Html {
    let cells = use_memo((props.jobs.clone(), props.epoch), |(jobs, epoch)| {
        week_counts(jobs, *epoch)
    });
    let max = cells
        .iter()
        .flat_map(|row| row.iter().map(|c| c.0))
        .max()
        .unwrap_or(0)
        .max(1);
    html! {
        <section class="heatmap" data-testid="heatmap">
            <h4>{ "Week of fire times (UTC); outlined: two or more jobs in the hour" }</h4>
            <table>
                { for cells.iter().enumerate().map(|(d, row)| html! {
                    <tr>
                        <th>{ DAYS[d] }</th>
                        { for row.iter().enumerate().map(|(h, &(count, jobs))| {
                            let alpha = if count == 0 { 0.0 } else { 0.15 + 0.85 * (count as f64 / max as f64).sqrt() };
                            let outline = if jobs >= 2 { "outline: 2px solid #d33;" } else { "" };
                            html! {
                                <td title={format!("{} {h:02}:00: {count} fires, {jobs} jobs", DAYS[d])}
                                    style={format!("width:10px;height:10px;background:rgba(40,90,200,{alpha:.2});{outline}")} />
                            }
                        }) }
                    </tr>
                }) }
            </table>
        </section>
    }
}

fn fmt_ms(t: u64) -> String {
    format!("{}.{}s", t / 1000, t % 1000 / 100)
}

fn cluster(v: &SchedulerView) -> Html {
    let lease = match &v.lease {
        Some(l) if l.expires > v.now => format!(
            "lease: node {}, token {}, expires {}",
            l.holder,
            l.token,
            fmt_ms(l.expires)
        ),
        Some(l) => format!("lease expired (last: node {}, token {})", l.holder, l.token),
        None => "no lease yet".into(),
    };
    html! {
        <section class="cluster">
            <p data-testid="store">
                { if v.store_up { "store up · " } else { "store DOWN · " } }
                { lease }
            </p>
            <ul class="nodes" data-testid="nodes">
                { for v.nodes.iter().enumerate().map(|(i, n)| {
                    let mut state = if !n.up { "crashed".to_string() } else if n.leading { "★ leader".to_string() } else { "follower".to_string() };
                    if let Some((token, exp)) = n.lease {
                        state += &format!(" (token {token}, believes lease until {})", fmt_ms(exp));
                    }
                    if n.partitioned { state += ", partitioned"; }
                    if n.skew_ms != 0 { state += &format!(", clock {} ms", n.skew_ms); }
                    html! { <li data-testid={format!("node-{i}")}>{ format!("node {i}: {state}") }</li> }
                }) }
            </ul>
            <p>{ format!("queue: {} runs", v.queue_depth) }</p>
            <ol class="queue" data-testid="queue">
                { for v.queue.iter().map(|q| html! {
                    <li>{ format!("{} p{} token {} attempt {}{}", q.run, q.priority, q.token, q.attempts,
                        q.worker.map(|w| format!(", on worker {w} until {}", fmt_ms(q.until))).unwrap_or_default()) }</li>
                }) }
            </ol>
            <ul class="workers" data-testid="workers">
                { for v.workers.iter().enumerate().map(|(i, w)| {
                    let text = match (&w.run, w.up) {
                        (_, false) => "crashed".to_string(),
                        (Some((run, start, end)), true) => {
                            let pct = (v.now.saturating_sub(*start)) * 100 / (end - start).max(1);
                            format!("{run} {pct}%")
                        }
                        (None, true) => "idle".to_string(),
                    };
                    html! { <li>{ format!("worker {i}: {text}") }</li> }
                }) }
            </ul>
            <p class={classes!("invariant", (v.duplicates > 0).then_some("broken"))} data-testid="exactly-once">
                { format!("target: {} applied, {} duplicates, {} dead-lettered (fencing {})",
                    v.applied, v.duplicates, v.dead_letters, if v.fencing { "on" } else { "off" }) }
            </p>
        </section>
    }
}
