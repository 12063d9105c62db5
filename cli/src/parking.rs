//! `orrery parking race`: many seeded random interleavings of entry gates racing for the last
//! spots under one concurrency control; prints the runs and every violation with its seed, so
//! that a run can be reproduced from the seed alone.

use orrery_core::parking::lab::Control;
use orrery_core::parking::race;

use crate::{num, Args};

/// Runs `orrery parking race [--control C] [--runs N] [--first-seed S] [--json]`.
pub fn cmd_race(args: &Args) -> Result<(), String> {
    let name = args.flags.get("control").map_or("none", String::as_str);
    let control = Control::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Control::ALL.iter().map(|c| c.name()).collect();
        format!(
            "no concurrency control {name:?}; controls: {}",
            names.join(", ")
        )
    })?;
    let runs: u64 = num(args, "runs")?.unwrap_or(1_000);
    if !(1..=1_000_000).contains(&runs) {
        return Err(format!("--runs must be between 1 and 1000000, not {runs}"));
    }
    let first: u64 = num(args, "first-seed")?.unwrap_or(0);
    let report = race::race(control, runs, first)?;
    if args.flags.contains_key("json") {
        let violations: Vec<serde_json::Value> = report
            .violations
            .iter()
            .map(|r| {
                let v = r.violation.as_ref();
                serde_json::json!({
                    "seed": r.seed,
                    "steps": r.steps.join(" "),
                    "invariant": v.map(|v| v.invariant.clone()),
                    "detail": v.map(|v| v.detail.clone()),
                })
            })
            .collect();
        let out = serde_json::json!({
            "control": control.name(),
            "runs": report.runs,
            "violations": violations,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "control {}: {} runs, {} with a violation",
        control.name(),
        report.runs,
        report.violations.len()
    );
    for r in report.violations.iter().take(20) {
        if let Some(v) = &r.violation {
            println!("  seed {}: steps {}: {v}", r.seed, r.steps.join(" "));
        }
    }
    if report.violations.len() > 20 {
        println!(
            "  … and {} more (use --json for all)",
            report.violations.len() - 20
        );
    }
    Ok(())
}
