//! `orrery`: the headless runner. Runs any lab to a time and prints a JSON summary, prints share
//! links, runs Elevator Saga's challenges and replays cache traces. Bad input exits with status
//! 2 and a message.

mod collab;
#[path = "saga.rs"]
mod saga_lab;

use std::collections::BTreeMap;
use std::process::ExitCode;

mod parking;

use orrery_core::elevator::saga::{self, Challenge};
use orrery_core::elevator::DispatcherKind;
use orrery_core::registry::{self, LabRun};

mod cron;

const USAGE: &str = "\
usage:
  orrery labs
  orrery run <lab> [--seed N] [--scenario FILE.json | --link LINK] [--until SECONDS] [--json] [--log]
  orrery link <lab> [--seed N] [--scenario FILE.json] [--until SECONDS]
  orrery elevator saga <ID|all> [--dispatcher NAME|all] [--seeds A..B] [--data FILE]
  orrery cache sim --trace FILE --format arc|lirs|lines --policies lru,arc,... --capacity N[,N...] [--json]
  orrery cache mrc --trace FILE --format arc|lirs|lines --policies lru,arc,... (--capacities N,N,... | --points N --max C) [--json]
  orrery cron next \"EXPR\" [--from RFC3339] [--count N] [--tz ZONE] [--prev] [--gap next_valid|skip] [--fold once|twice] [--json]
  orrery parking race [--control none|lock|cas|lease|skip-locked] [--runs N] [--first-seed S] [--json]
  orrery collab replay FILE [--engine crdt|ot|rope] [--json]
  orrery collab conformance FILE [--json]
  orrery saga check [--flow order|travel|bank_transfer|payment] [--runs N] [--seed FIRST] [--sagas PER_RUN]
                    [--outbox on|off] [--idempotency on|off] [--replay on|off] [--mode orchestration|choreography|two_phase_commit]
                    [--chaos PERCENT] [--json]";

/// Parsed `--flag value` options and positional words.
pub(crate) struct Args {
    pub(crate) words: Vec<String>,
    pub(crate) flags: BTreeMap<String, String>,
}

fn parse_args(raw: &[String]) -> Result<Args, String> {
    let mut words = Vec::new();
    let mut flags = BTreeMap::new();
    let mut i = 0;
    while i < raw.len() {
        let a = &raw[i];
        if let Some(name) = a.strip_prefix("--") {
            if matches!(name, "json" | "log" | "prev") {
                flags.insert(name.to_string(), String::new());
            } else {
                let v = raw
                    .get(i + 1)
                    .ok_or_else(|| format!("--{name} needs a value"))?;
                flags.insert(name.to_string(), v.clone());
                i += 1;
            }
        } else {
            words.push(a.clone());
        }
        i += 1;
    }
    Ok(Args { words, flags })
}

pub(crate) fn num<T: std::str::FromStr>(args: &Args, name: &str) -> Result<Option<T>, String> {
    match args.flags.get(name) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("--{name}: {v:?} is not a number")),
    }
}

/// Builds the run the flags describe: a link, or a scenario file and seed, or the default.
fn build_run(lab_id: &str, args: &Args) -> Result<Box<dyn LabRun>, String> {
    if let Some(link) = args.flags.get("link") {
        let (run, _) = registry::open_link(link).map_err(|e| e.to_string())?;
        if run.lab() != lab_id {
            return Err(format!(
                "the link is for the {} lab, not {lab_id}",
                run.lab()
            ));
        }
        return Ok(run);
    }
    let lab = registry::find(lab_id).ok_or_else(|| {
        let ids: Vec<&str> = registry::labs().iter().map(|l| l.id).collect();
        format!("no lab {lab_id:?}; labs: {}", ids.join(", "))
    })?;
    let mut scenario = match args.flags.get("scenario") {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON ({e})"))?
        }
        None => (lab.default_scenario)(),
    };
    if let Some(seed) = num::<u64>(args, "seed")? {
        match &mut scenario {
            serde_json::Value::Object(m) => {
                m.insert("seed".into(), seed.into());
            }
            _ => return Err("the scenario must be a JSON object".into()),
        }
    }
    (lab.create)(&scenario)
}

fn until_ms(args: &Args, default_s: u64) -> Result<u64, String> {
    let s: f64 = num(args, "until")?.unwrap_or(default_s as f64);
    if !(0.0..=31.0 * 86400.0).contains(&s) {
        return Err(format!(
            "--until must be between 0 and {} seconds",
            31 * 86400
        ));
    }
    Ok((s * 1000.0).round() as u64)
}

fn cmd_run(args: &Args) -> Result<(), String> {
    let lab = args.words.get(1).ok_or("run: which lab?")?;
    let mut run = build_run(lab, args)?;
    let until = until_ms(args, 3600)?;
    if until < run.now() && args.flags.contains_key("until") {
        run.seek(until);
    } else if args.flags.contains_key("until") || !args.flags.contains_key("link") {
        run.advance_to(until.max(run.now()));
    }
    let m = run.metrics();
    let violations: Vec<serde_json::Value> = run
        .violation()
        .map(|(t, _, v)| serde_json::json!({"time_ms": t, "invariant": v.invariant, "detail": v.detail}))
        .into_iter()
        .collect();
    if args.flags.contains_key("log") {
        print!("{}", run.log_text());
    }
    let out = serde_json::json!({
        "lab": run.lab(),
        "seed": run.seed(),
        "until_s": run.now() as f64 / 1000.0,
        "events": run.log_len(),
        "digest": run.digest(),
        "metrics": m.to_json(),
        "violations": violations,
    });
    if args.flags.contains_key("json") {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    Ok(())
}

fn cmd_link(args: &Args) -> Result<(), String> {
    let lab = args.words.get(1).ok_or("link: which lab?")?;
    let mut run = build_run(lab, args)?;
    if args.flags.contains_key("until") {
        run.advance_to(until_ms(args, 0)?);
    }
    println!("{}", run.link(&BTreeMap::new()));
    Ok(())
}

fn parse_seeds(s: &str) -> Result<Vec<u64>, String> {
    let bad = || format!("--seeds: {s:?} is not A..B");
    match s.split_once("..") {
        Some((a, b)) => {
            let a: u64 = a.parse().map_err(|_| bad())?;
            let b: u64 = b.parse().map_err(|_| bad())?;
            if a >= b || b - a > 10_000 {
                return Err(bad());
            }
            Ok((a..b).collect())
        }
        None => Ok(vec![s.parse().map_err(|_| bad())?]),
    }
}

fn cmd_saga(args: &Args) -> Result<(), String> {
    let which = args
        .words
        .get(2)
        .ok_or("elevator saga: which challenge (1-18 or all)?")?;
    let default_data = "../shared/data/elevator/elevator-saga-challenges.json".to_string();
    let path = args.flags.get("data").unwrap_or(&default_data);
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let all = saga::parse_challenges(&text)?;
    let chosen: Vec<&Challenge> = if which == "all" {
        all.iter().collect()
    } else {
        let id: u32 = which
            .parse()
            .map_err(|_| format!("{which:?} is not a challenge number"))?;
        vec![all
            .iter()
            .find(|c| c.id == id)
            .ok_or(format!("no challenge {id}"))?]
    };
    let dispatchers: Vec<DispatcherKind> = match args.flags.get("dispatcher").map(String::as_str) {
        None => vec![DispatcherKind::Eta],
        Some("all") => DispatcherKind::ALL.to_vec(),
        Some(name) => {
            vec![DispatcherKind::from_name(name).ok_or(format!("no dispatcher {name:?}"))?]
        }
    };
    let seeds = parse_seeds(args.flags.get("seeds").map_or("0..10", String::as_str))?;
    let mut rows = Vec::new();
    for d in &dispatchers {
        let mut passed = 0;
        for ch in &chosen {
            let mut results = Vec::new();
            let mut ok = 0;
            for &seed in &seeds {
                let o = saga::run_challenge(ch, *d, seed)?;
                ok += o.pass as usize;
                results.push(serde_json::json!({
                    "seed": seed, "pass": o.pass, "transported": o.transported,
                    "elapsed_s": o.elapsed_ms as f64 / 1000.0, "moves": o.moves,
                    "max_wait_s": o.max_wait_ms as f64 / 1000.0, "avg_wait_s": o.avg_wait_ms as f64 / 1000.0,
                }));
            }
            let need = (seeds.len() * 8).div_ceil(10);
            let pass = ok >= need;
            passed += pass as usize;
            if !args.flags.contains_key("json") {
                println!(
                    "challenge {:>2} [{}] {:<50} {:>2}/{} seeds  {}",
                    ch.id,
                    d.name(),
                    ch.goal.to_string(),
                    ok,
                    seeds.len(),
                    if pass { "PASS" } else { "fail" }
                );
            }
            rows.push(serde_json::json!({
                "challenge": ch.id, "dispatcher": d.name(), "goal": ch.goal.to_string(),
                "seeds_met": ok, "seeds": seeds.len(), "pass": pass, "results": results,
            }));
        }
        if !args.flags.contains_key("json") {
            println!(
                "{}: {passed} of {} challenges passed",
                d.name(),
                chosen.len()
            );
        }
    }
    if args.flags.contains_key("json") {
        println!("{}", serde_json::Value::Array(rows));
    }
    Ok(())
}

/// Replays a trace file through each policy at each capacity; one row per pair.
fn cmd_cache_sim(args: &Args) -> Result<(), String> {
    use orrery_core::cache::{policy, replay, trace};
    let path = args
        .flags
        .get("trace")
        .ok_or("cache sim: --trace FILE is required")?;
    let format_name = args
        .flags
        .get("format")
        .ok_or("cache sim: --format arc|lirs|lines is required")?;
    let format = trace::Format::from_name(format_name).ok_or_else(|| {
        format!(
            "no trace format {format_name:?}; formats: {}",
            trace::Format::NAMES.join(", ")
        )
    })?;
    let policies: Vec<&str> = args
        .flags
        .get("policies")
        .ok_or("cache sim: --policies lru,arc,... is required")?
        .split(',')
        .collect();
    for name in &policies {
        if !policy::NAMES.contains(name) {
            return Err(format!(
                "no eviction policy {name:?}; policies: {}",
                policy::NAMES.join(", ")
            ));
        }
    }
    let capacities = args
        .flags
        .get("capacity")
        .ok_or("cache sim: --capacity N[,N...] is required")?
        .split(',')
        .map(|c| {
            c.parse::<u64>()
                .map_err(|_| format!("--capacity: {c:?} is not a number"))
        })
        .collect::<Result<Vec<u64>, String>>()?;
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let keys = trace::parse(&bytes, format).map_err(|e| format!("{path}: {e}"))?;
    let json = args.flags.contains_key("json");
    let mut rows = Vec::new();
    if !json {
        println!(
            "{:<8} {:>10} {:>12} {:>12} {:>9}",
            "policy", "capacity", "requests", "hits", "hit_ratio"
        );
    }
    for name in &policies {
        for &capacity in &capacities {
            let mut p = policy::by_name(name, capacity)?;
            let s = replay::replay(&mut *p, &keys);
            if json {
                rows.push(serde_json::json!({
                    "policy": name, "capacity": capacity, "requests": s.requests,
                    "hits": s.hits, "hit_ratio": s.hit_ratio_bp() as f64 / 100.0,
                }));
            } else {
                println!(
                    "{:<8} {:>10} {:>12} {:>12} {:>9}",
                    name,
                    capacity,
                    s.requests,
                    s.hits,
                    s.percent()
                );
            }
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(rows));
    }
    Ok(())
}

/// Computes a miss-ratio curve per policy from a trace file; one row per capacity.
fn cmd_cache_mrc(args: &Args) -> Result<(), String> {
    use orrery_core::cache::{mrc, trace};
    let need = |name: &str, what: &str| {
        args.flags
            .get(name)
            .ok_or(format!("cache mrc: --{name} {what} is required"))
    };
    let path = need("trace", "FILE")?;
    let format_name = need("format", "arc|lirs|lines")?;
    let format = trace::Format::from_name(format_name).ok_or_else(|| {
        format!(
            "no trace format {format_name:?}; formats: {}",
            trace::Format::NAMES.join(", ")
        )
    })?;
    let policies: Vec<&str> = need("policies", "lru,arc,...")?.split(',').collect();
    let capacities = match (args.flags.get("capacities"), num::<u64>(args, "points")?) {
        (Some(list), None) => list
            .split(',')
            .map(|c| {
                c.parse::<u64>()
                    .map_err(|_| format!("--capacities: {c:?} is not a number"))
            })
            .collect::<Result<Vec<u64>, String>>()?,
        (None, Some(points)) => {
            let max = num::<u64>(args, "max")?.ok_or("cache mrc: --points needs --max C")?;
            if points == 0 || points > 10_000 {
                return Err("--points must be between 1 and 10000".into());
            }
            mrc::even_capacities(points, max)
        }
        _ => {
            return Err("cache mrc: give either --capacities N,N,... or --points N --max C".into())
        }
    };
    // Checks the policy names before reading a possibly large trace.
    mrc::MrcJob::new(Vec::new(), &policies, &capacities)?;
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let keys = trace::parse(&bytes, format).map_err(|e| format!("{path}: {e}"))?;
    let curves = mrc::MrcJob::new(keys, &policies, &capacities)?.run();
    if args.flags.contains_key("json") {
        let out = serde_json::json!({
            "requests": curves.requests,
            "capacities": curves.capacities,
            "curves": curves.curves.iter().enumerate().map(|(p, c)| serde_json::json!({
                "policy": c.policy,
                "hits": c.hits,
                "hit_ratio": (0..c.hits.len())
                    .map(|i| curves.stats(p, i).hit_ratio_bp() as f64 / 100.0)
                    .collect::<Vec<f64>>(),
            })).collect::<Vec<_>>(),
        });
        println!("{out}");
        return Ok(());
    }
    let mut header = format!("{:>10}", "capacity");
    for c in &curves.curves {
        header += &format!(" {:>9}", c.policy);
    }
    println!("{header}");
    for (i, capacity) in curves.capacities.iter().enumerate() {
        let mut row = format!("{capacity:>10}");
        for p in 0..curves.curves.len() {
            row += &format!(" {:>9}", curves.stats(p, i).percent());
        }
        println!("{row}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let result = parse_args(&raw).and_then(|args| match args.words.first().map(String::as_str) {
        Some("labs") => {
            for l in registry::labs() {
                println!("{:<10} {}", l.id, l.summary);
            }
            Ok(())
        }
        Some("run") => cmd_run(&args),
        Some("link") => cmd_link(&args),
        Some("elevator") if args.words.get(1).map(String::as_str) == Some("saga") => {
            cmd_saga(&args)
        }
        Some("cache") if args.words.get(1).map(String::as_str) == Some("sim") => {
            cmd_cache_sim(&args)
        }
        Some("cache") if args.words.get(1).map(String::as_str) == Some("mrc") => {
            cmd_cache_mrc(&args)
        }
        Some("cron") if args.words.get(1).map(String::as_str) == Some("next") => {
            cron::cmd_next(&args)
        }
        Some("parking") if args.words.get(1).map(String::as_str) == Some("race") => {
            parking::cmd_race(&args)
        }
        Some("collab") if args.words.get(1).map(String::as_str) == Some("replay") => {
            collab::cmd_replay(&args)
        }
        Some("collab") if args.words.get(1).map(String::as_str) == Some("conformance") => {
            collab::cmd_conformance(&args)
        }
        Some("saga") if args.words.get(1).map(String::as_str) == Some("check") => {
            saga_lab::cmd_check(&args)
        }
        _ => Err(USAGE.to_string()),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orrery: {e}");
            ExitCode::from(2)
        }
    }
}
