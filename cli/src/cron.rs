//! `orrery cron next`: the next (or previous) fire times of a cron expression, in UTC or an
//! IANA zone, with its plain-language description.

use orrery_core::cron::{format_rfc3339, parse_rfc3339, Dst, Fold, Gap, Schedule, Zone};

use crate::{num, Args};

/// The most fire times one call prints.
const MAX_COUNT: usize = 1000;

pub(crate) fn cmd_next(args: &Args) -> Result<(), String> {
    let expr = args
        .words
        .get(2)
        .ok_or("cron next: which expression? e.g. orrery cron next \"0 9 * * 1-5\" --from 2024-01-01T00:00:00Z")?;
    let schedule = Schedule::parse(expr).map_err(|e| format!("cron expression: {e}"))?;
    let zone = match args.flags.get("tz") {
        Some(name) => Zone::named(name).map_err(|e| format!("--tz: {e}"))?,
        None => Zone::utc(),
    };
    let (from, millis) = match args.flags.get("from") {
        Some(text) => parse_rfc3339(text).map_err(|e| format!("--from: {e}"))?,
        None => now(),
    };
    let count = num::<usize>(args, "count")?.unwrap_or(5);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(format!("--count must be between 1 and {MAX_COUNT}"));
    }
    let gap = match args.flags.get("gap").map(String::as_str) {
        None | Some("next_valid") => Gap::NextValid,
        Some("skip") => Gap::Skip,
        Some(other) => return Err(format!("--gap: {other:?} is not next_valid or skip")),
    };
    let fold = match args.flags.get("fold").map(String::as_str) {
        None | Some("once") => Fold::Once,
        Some("twice") => Fold::Twice,
        Some(other) => return Err(format!("--fold: {other:?} is not once or twice")),
    };
    let backwards = args.flags.contains_key("prev");
    // A fraction of a second after a fire time still counts that second as before `from`.
    let base = if backwards && millis > 0 {
        from + 1
    } else {
        from
    };
    let times: Vec<String> = schedule
        .fire_times(base, &zone, Dst { gap, fold }, count, backwards)
        .into_iter()
        .map(|t| zone.format(t))
        .collect();
    let description = schedule.describe();
    if args.flags.contains_key("json") {
        let out = serde_json::json!({
            "expr": schedule.text(),
            "description": description,
            "zone": zone.name(),
            "from": format_rfc3339(from, zone.offset_at(from), zone.is_utc()),
            "direction": if backwards { "prev" } else { "next" },
            "times": times,
        });
        println!("{out}");
    } else {
        println!("{description}");
        for t in &times {
            println!("{t}");
        }
        if times.len() < count {
            println!("(no more fire times before the year 1 or after 9999)");
        }
    }
    Ok(())
}

/// The current time: the runner is at the edge, so it may read the clock (core never does).
fn now() -> (i64, u32) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_millis())
}
