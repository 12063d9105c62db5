//! The metrics panel: counters, histogram percentiles and gauges drawn as sparklines; in
//! compare mode, both runs' numbers side by side with their difference.

use orrery_core::metrics::{Metrics, Series, Summary};
use orrery_core::Time;
use yew::prelude::*;

use crate::state::{SessionRef, Side};
use crate::text::{metric_label, metric_value};

#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    pub session: SessionRef,
    /// The slow revision: metrics are costly to copy, so they refresh a few times a second.
    pub rev: u64,
}

const CHART_W: f64 = 240.0;
const CHART_H: f64 = 44.0;

/// A step line of each series over `[0, now]`, sharing one vertical scale.
fn sparkline(series: &[Option<&Series>], now: Time) -> Html {
    let span = now.max(1) as f64;
    let top = series
        .iter()
        .flatten()
        .map(|s| s.max())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let y = |v: i64| CHART_H - 2.0 - (v.max(0) as f64 / top) * (CHART_H - 4.0);
    let path = |s: &Series| {
        let mut points: Vec<(f64, i64)> = Vec::new();
        for &(t, v) in s.samples.iter().filter(|(t, _)| *t <= now) {
            let x = (t as f64 / span) * CHART_W;
            match points.last_mut() {
                Some(last) if x - last.0 < 0.5 => last.1 = last.1.max(v),
                _ => points.push((x, v)),
            }
        }
        let mut d = String::new();
        let mut prev: Option<i64> = None;
        for (x, v) in &points {
            match prev {
                None => d.push_str(&format!("M{x:.1},{:.1}", y(*v))),
                Some(_) => d.push_str(&format!("H{x:.1}V{:.1}", y(*v))),
            }
            prev = Some(*v);
        }
        if prev.is_some() {
            d.push_str(&format!("H{CHART_W:.1}"));
        }
        d
    };
    html! {
        <svg class="spark" viewBox={format!("0 0 {CHART_W} {CHART_H}")} preserveAspectRatio="none"
            role="img" aria-label="Chart over time">
            <line class="axis" x1="0" y1={format!("{:.1}", CHART_H - 1.0)} x2={CHART_W.to_string()}
                y2={format!("{:.1}", CHART_H - 1.0)} />
            <>{ for series.iter().enumerate().filter_map(|(i, s)| s.map(|s| html! {
                <path class={if i == 0 { "line a" } else { "line b" }} d={path(s)} />
            })) }</>
        </svg>
    }
}

fn summary_cells(name: &str, s: &Summary) -> Html {
    let v = |x: u64| metric_value(name, x);
    html! {
        <>
            <td>{ s.count }</td><td>{ v(s.mean) }</td><td>{ v(s.p50) }</td>
            <td>{ v(s.p95) }</td><td>{ v(s.p99) }</td><td>{ v(s.max) }</td>
        </>
    }
}

fn single(m: &Metrics, now: Time) -> Html {
    html! {
        <>
            if !m.counters.is_empty() {
                <dl class="counters">
                    <>{ for m.counters.iter().map(|(k, v)| html! {
                        <div class="counter" data-metric={k.clone()}>
                            <dt>{ metric_label(k) }</dt><dd>{ metric_value(k, *v) }</dd>
                        </div>
                    }) }</>
                </dl>
            }
            if !m.histograms.is_empty() {
                <div class="table-scroll">
                    <table class="hist">
                        <thead><tr>
                            <th>{ "" }</th><th>{ "n" }</th><th>{ "mean" }</th><th>{ "p50" }</th>
                            <th>{ "p95" }</th><th>{ "p99" }</th><th>{ "max" }</th>
                        </tr></thead>
                        <tbody>
                            <>{ for m.histograms.iter().map(|(k, h)| html! {
                                <tr><th>{ metric_label(k) }</th>{ summary_cells(k, &h.summary()) }</tr>
                            }) }</>
                        </tbody>
                    </table>
                </div>
            }
            <div class="gauges">
                <>{ for m.gauges.iter().map(|(k, g)| html! {
                    <figure class="gauge">
                        <figcaption>
                            <span>{ metric_label(k) }</span>
                            <span class="muted">{ format!("now {} · max {}", g.last(), g.max()) }</span>
                        </figcaption>
                        { sparkline(&[Some(g)], now) }
                    </figure>
                }) }</>
            </div>
        </>
    }
}

/// One row of the compare table: A, B and B's difference from A.
fn diff_row(name: String, unit_of: &str, a: u64, b: u64) -> Html {
    let delta = b as f64 - a as f64;
    let pct = if a > 0 {
        Some(delta / a as f64 * 100.0)
    } else {
        None
    };
    let class = match delta.partial_cmp(&0.0) {
        Some(std::cmp::Ordering::Greater) => "up",
        Some(std::cmp::Ordering::Less) => "down",
        _ => "same",
    };
    let sign = if delta > 0.0 { "+" } else { "" };
    let shown = match pct {
        Some(p) => format!("{sign}{p:.0}%"),
        None if delta == 0.0 => "=".to_string(),
        None => format!("{sign}{delta:.0}"),
    };
    html! {
        <tr>
            <th>{ name }</th>
            <td>{ metric_value(unit_of, a) }</td>
            <td>{ metric_value(unit_of, b) }</td>
            <td class={classes!("delta", class)}>{ shown }</td>
        </tr>
    }
}

fn compared(a: &Metrics, b: &Metrics, la: &str, lb: &str, now: Time) -> Html {
    let mut names: Vec<&String> = a.histograms.keys().chain(b.histograms.keys()).collect();
    names.sort();
    names.dedup();
    let mut counters: Vec<&String> = a.counters.keys().chain(b.counters.keys()).collect();
    counters.sort();
    counters.dedup();
    let mut gauges: Vec<&String> = a.gauges.keys().chain(b.gauges.keys()).collect();
    gauges.sort();
    gauges.dedup();
    html! {
        <>
            <div class="table-scroll">
                <table class="diff" data-testid="compare-metrics">
                    <thead><tr>
                        <th>{ "" }</th><th class="a">{ format!("A · {la}") }</th>
                        <th class="b">{ format!("B · {lb}") }</th><th>{ "B vs A" }</th>
                    </tr></thead>
                    <tbody>
                        <>{ for names.iter().flat_map(|k| {
                            let sa = a.summary(k);
                            let sb = b.summary(k);
                            [
                                diff_row(format!("{} mean", metric_label(k)), k, sa.mean, sb.mean),
                                diff_row(format!("{} p95", metric_label(k)), k, sa.p95, sb.p95),
                                diff_row(format!("{} max", metric_label(k)), k, sa.max, sb.max),
                            ]
                        }) }</>
                        <>{ for counters.iter().map(|k| diff_row(metric_label(k), k, a.counter(k), b.counter(k))) }</>
                    </tbody>
                </table>
            </div>
            <div class="gauges">
                <>{ for gauges.iter().map(|k| html! {
                    <figure class="gauge">
                        <figcaption>
                            <span>{ metric_label(k) }</span>
                            <span class="muted">
                                <span class="key a">{ "A" }</span>{ " " }<span class="key b">{ "B" }</span>
                            </span>
                        </figcaption>
                        { sparkline(&[a.gauges.get(*k), b.gauges.get(*k)], now) }
                    </figure>
                }) }</>
            </div>
        </>
    }
}

#[function_component(MetricsPanel)]
pub fn metrics_panel(props: &MetricsProps) -> Html {
    let session = props.session.0.borrow();
    let now = session.a.now();
    let a = session.a.metrics();
    let body = match &session.b {
        Some(b) => compared(
            &a,
            &b.metrics(),
            &session.label(Side::A),
            &session.label(Side::B),
            now,
        ),
        None => single(&a, now),
    };
    html! {
        <section class="panel metrics" aria-labelledby="metrics-title" data-testid="metrics">
            <h2 id="metrics-title">{ "Metrics" }</h2>
            { body }
        </section>
    }
}
