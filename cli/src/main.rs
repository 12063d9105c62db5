//! `orrery`: the headless runner. Runs any lab to a time and prints a JSON summary, prints share
//! links, runs Elevator Saga's challenges and replays cache traces. Bad input exits with status
//! 2 and a message.

mod cache;
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
  orrery cache sim --trace FILE --format arc|lirs|lines --policies lru,arc,... --capacity N[,N...]
                   [--unit objects|bytes] [--sizes fixed:N|uniform:MIN-MAX] [--json]
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
            cache::cmd_sim(&args)
        }
        Some("cache") if args.words.get(1).map(String::as_str) == Some("mrc") => {
            cache::cmd_mrc(&args)
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
