//! The home page: every lab of the catalog as a card with a small drawing of what the lab
//! shows. The home page's bundle carries no lab code (each lab is its own bundle, loaded when
//! its page opens), so the drawings are fixed pictures, not runs.

use orrery_core::registry::{LabInfo, CATALOG};
use yew::prelude::*;

#[function_component(Home)]
pub fn home() -> Html {
    html! {
        <main class="home">
            <section class="hero">
                <h1>{ "System designs you can watch, poke and rewind" }</h1>
                <p>
                    { "Every lab is a real, deterministic simulation running in your browser. \
                       Press play, change a policy, inject a fault, scrub back to the moment \
                       things went wrong, and share the run as a link: whoever opens it sees \
                       exactly the same thing." }
                </p>
            </section>
            <div class="cards">
                <>{ for CATALOG.iter().map(card) }</>
            </div>
        </main>
    }
}

fn card(lab: &LabInfo) -> Html {
    html! {
        <a class="card" href={format!("#/{}", lab.id)} data-testid={format!("lab-card-{}", lab.id)}>
            <div class="thumb" aria-hidden="true">{ art(lab.id) }</div>
            <div class="card-text">
                <h2>{ lab.title }</h2>
                <p>{ lab.summary }</p>
                <span class="open">{ "Open the lab →" }</span>
            </div>
        </a>
    }
}

/// A fixed drawing per lab, in the lab's own visual vocabulary.
fn art(id: &str) -> Html {
    let body = match id {
        "elevator" => elevator_art(),
        "cache" => cache_art(),
        "scheduler" => scheduler_art(),
        "parking" => parking_art(),
        "saga" => saga_art(),
        "collab" => collab_art(),
        _ => html! {
            <text x="150" y="105" text-anchor="middle" class="art-label">{ id.to_string() }</text>
        },
    };
    html! {
        <svg class="art" viewBox="0 0 300 190" width="100%" height="100%"
            preserveAspectRatio="xMidYMid meet">
            { body }
        </svg>
    }
}

/// Three shafts over eight floors, cars at different floors, waiting riders at the left.
fn elevator_art() -> Html {
    let floors = 8;
    let h = 170.0 / floors as f64;
    let cars = [(0, 2.0), (1, 5.0), (2, 0.0)];
    html! {
        <g>
            <>{ for (0..floors).map(|f| {
                let y = 10.0 + f as f64 * h;
                html! { <line class="art-floor" x1="20" x2="280" y1={fmt(y + h)} y2={fmt(y + h)} /> }
            }) }</>
            <>{ for (0..3).map(|s| html! {
                <rect class="art-shaft" x={fmt(110.0 + s as f64 * 55.0)} y="10" width="40" height="170" rx="3" />
            }) }</>
            <>{ for cars.iter().map(|&(s, floor)| {
                let y = 10.0 + (floors as f64 - 1.0 - floor) * h + 2.0;
                html! { <rect class="art-car" x={fmt(113.0 + s as f64 * 55.0)} y={fmt(y)} width="34" height={fmt(h - 4.0)} rx="3" /> }
            }) }</>
            <>{ for [(1, 3), (4, 2), (6, 1)].iter().map(|&(floor, riders)| {
                let y = 10.0 + (floors as f64 - floor as f64) * h - 6.0;
                html! { <g><>{ for (0..riders).map(|r| html! {
                    <circle class="art-rider" cx={fmt(36.0 + r as f64 * 12.0)} cy={fmt(y)} r="4" />
                }) }</></g> }
            }) }</>
        </g>
    }
}

/// Two cache lists of key-coloured slots, a ghost list, and a row of hit and miss chips.
fn cache_art() -> Html {
    let rows = [("T1", 9, false), ("T2", 14, false), ("B1", 6, true)];
    html! {
        <g>
            <>{ for rows.iter().enumerate().map(|(i, &(name, n, ghost))| {
                let y = 14.0 + i as f64 * 38.0;
                html! {
                    <g class={classes!(ghost.then_some("art-ghost"))}>
                        <text class="art-label" x="10" y={fmt(y + 20.0)}>{ name }</text>
                        <>{ for (0..n).map(|j| html! {
                            <rect class="art-slot" x={fmt(44.0 + j as f64 * 17.0)} y={fmt(y)} width="14" height="28" rx="2"
                                style={format!("fill:hsl({} 65% 62%)", (j * 47 + i * 90) % 360)} />
                        }) }</>
                    </g>
                }
            }) }</>
            <>{ for (0..16).map(|j| {
                let hit = !matches!(j % 5, 2 | 4);
                html! { <rect class={if hit { "art-hit" } else { "art-miss" }}
                    x={fmt(10.0 + j as f64 * 17.5)} y="140" width="14" height="14" rx="3" /> }
            }) }</>
            <text class="art-label" x="10" y="178">{ "hits and misses, request by request" }</text>
        </g>
    }
}

/// A week heatmap of fire times with one collision.
fn scheduler_art() -> Html {
    html! {
        <g>
            <>{ for (0..7).map(|d| html! { <g><>{ for (0..24).map(|hr| {
                let busy = (hr == 9 && d < 5) || (hr % 6 == 0) || (d == 6 && hr == 3);
                let clash = hr == 0 && d == 0;
                let class = if clash { "art-miss" } else if busy { "art-hit" } else { "art-cell" };
                html! { <rect class={class} x={fmt(10.0 + hr as f64 * 11.7)} y={fmt(12.0 + d as f64 * 24.0)}
                    width="10" height="21" rx="2" /> }
            }) }</></g> }) }</>
        </g>
    }
}

/// A level of spots, some taken, with two gates racing for the last free one.
fn parking_art() -> Html {
    html! {
        <g>
            <>{ for (0..2).map(|row| html! { <g><>{ for (0..10).map(|i| {
                let taken = !(row == 1 && i == 7) && (i * 3 + row) % 4 != 1;
                let last = row == 1 && i == 7;
                let class = if last { "art-miss" } else if taken { "art-car" } else { "art-cell" };
                html! { <rect class={class} x={fmt(20.0 + i as f64 * 26.0)} y={fmt(20.0 + row as f64 * 70.0)}
                    width="22" height="44" rx="3" /> }
            }) }</></g> }) }</>
            <path class="art-arrow" d="M 40 180 Q 120 150 207 136" />
            <path class="art-arrow" d="M 260 180 Q 230 160 211 136" />
        </g>
    }
}

/// Lanes of a sequence diagram with messages forward and compensations back.
fn saga_art() -> Html {
    let lanes = [30.0, 100.0, 170.0, 240.0];
    html! {
        <g>
            <>{ for lanes.iter().map(|&x| html! {
                <line class="art-floor" x1={fmt(x)} x2={fmt(x)} y1="12" y2="180" />
            }) }</>
            <path class="art-arrow" d="M 30 30 L 100 45" />
            <path class="art-arrow" d="M 100 60 L 170 75" />
            <path class="art-arrow" d="M 170 90 L 240 105" />
            <path class="art-arrow art-undo" d="M 240 120 L 170 135" />
            <path class="art-arrow art-undo" d="M 170 150 L 100 165" />
        </g>
    }
}

/// Two replicas' text with messages crossing between them.
fn collab_art() -> Html {
    html! {
        <g>
            <rect class="art-cell" x="14" y="20" width="110" height="150" rx="4" />
            <rect class="art-cell" x="176" y="20" width="110" height="150" rx="4" />
            <>{ for (0..6).map(|i| html! { <g>
                <rect class="art-slot" x="24" y={fmt(34.0 + i as f64 * 22.0)} width={fmt(40.0 + (i * 13 % 50) as f64)} height="8" rx="2" />
                <rect class="art-slot" x="186" y={fmt(34.0 + i as f64 * 22.0)} width={fmt(40.0 + (i * 13 % 50) as f64)} height="8" rx="2" />
            </g> }) }</>
            <path class="art-arrow" d="M 124 60 L 176 90" />
            <path class="art-arrow" d="M 176 120 L 124 140" />
        </g>
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}
