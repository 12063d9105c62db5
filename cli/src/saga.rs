//! `orrery saga check`: many seeded saga runs with random faults; prints how they ended and,
//! for each run that broke an invariant or left a saga stuck, its seed and a link that opens
//! exactly that run.

use std::collections::BTreeMap;

use orrery_core::registry;
use orrery_core::saga::check::{self, Options};
use orrery_core::saga::lab::Mode;

use crate::{num, Args};

fn on_off(args: &Args, name: &str) -> Result<bool, String> {
    match args.flags.get(name).map(String::as_str) {
        None | Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(v) => Err(format!("--{name}: {v:?} is not on or off")),
    }
}

/// The share link of one checked run: the registry opens it like any other.
fn link_of(o: &Options, seed: u64) -> Result<String, String> {
    let lab = registry::find("saga").ok_or("the saga lab is not registered")?;
    let json = serde_json::to_value(check::scenario(o, seed)).map_err(|e| e.to_string())?;
    let run = (lab.create)(&json)?;
    Ok(run.link(&BTreeMap::new()))
}

pub(crate) fn cmd_check(args: &Args) -> Result<(), String> {
    let mut o = Options::default();
    if let Some(f) = args.flags.get("flow") {
        o.flow = f.clone();
    }
    if let Some(m) = args.flags.get("mode") {
        o.mode = Mode::from_name(m).ok_or_else(|| {
            format!("--mode: {m:?} is not orchestration, choreography or two_phase_commit")
        })?;
    }
    o.outbox = on_off(args, "outbox")?;
    o.idempotency = on_off(args, "idempotency")?;
    o.replay_replies = args.flags.contains_key("replay") && on_off(args, "replay")?;
    o.runs = num(args, "runs")?.unwrap_or(1_000);
    o.first_seed = num(args, "seed")?.unwrap_or(1);
    o.sagas = num(args, "sagas")?.unwrap_or(1);
    o.chaos_pct = num(args, "chaos")?.unwrap_or(30);
    if o.chaos_pct > 100 {
        return Err("--chaos must be a percentage, at most 100".into());
    }
    let r = check::check(&o)?;
    let mut violations = Vec::new();
    for (seed, v) in &r.violations {
        violations.push(serde_json::json!({
            "seed": seed, "invariant": v.invariant, "detail": v.detail,
            "link": link_of(&o, *seed)?,
        }));
    }
    let stuck: Vec<serde_json::Value> = r
        .stuck_seeds
        .iter()
        .map(|&seed| Ok(serde_json::json!({"seed": seed, "link": link_of(&o, seed)?})))
        .collect::<Result<_, String>>()?;
    if args.flags.contains_key("json") {
        let out = serde_json::json!({
            "flow": o.flow, "mode": o.mode.name(), "outbox": o.outbox,
            "idempotency": o.idempotency, "replay_replies": o.replay_replies, "runs": r.runs, "sagas": r.sagas,
            "completed": r.completed, "compensated": r.compensated, "stuck": r.stuck, "lost": r.lost,
            "messages": r.messages, "violations": violations, "stuck_runs": stuck,
        });
        println!("{out}");
        return Ok(());
    }
    let on = |b: bool| if b { "on" } else { "off" };
    println!(
        "flow {}, {}, outbox {}, idempotency {}, replayed replies {}, faults {}% per step",
        o.flow,
        o.mode.name(),
        on(o.outbox),
        on(o.idempotency),
        on(o.replay_replies),
        o.chaos_pct
    );
    println!("runs        {}", r.runs);
    println!("sagas       {}", r.sagas);
    println!("completed   {}", r.completed);
    println!("compensated {}", r.compensated);
    println!("stuck       {} (in {} runs)", r.stuck, r.stuck_seeds.len());
    println!("lost        {}", r.lost);
    println!("violations  {}", r.violations.len());
    const SHOWN: usize = 10;
    for v in violations.iter().take(SHOWN) {
        println!(
            "  seed {}: {}: {}\n    open: {}",
            v["seed"],
            v["invariant"].as_str().unwrap_or(""),
            v["detail"].as_str().unwrap_or(""),
            v["link"].as_str().unwrap_or("")
        );
    }
    if violations.len() > SHOWN {
        println!("  … {} more (--json lists all)", violations.len() - SHOWN);
    }
    for s in stuck.iter().take(SHOWN) {
        println!(
            "  seed {}: stuck\n    open: {}",
            s["seed"],
            s["link"].as_str().unwrap_or("")
        );
    }
    if stuck.len() > SHOWN {
        println!(
            "  … {} more stuck runs (--json lists all)",
            stuck.len() - SHOWN
        );
    }
    Ok(())
}
