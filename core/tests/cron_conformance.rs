//! Conformance of the cron engine with `shared/data/cron/vectors-utc.jsonl`: for every vector,
//! the next five and previous two fire times in UTC, or the refusal of an expression that can
//! never fire. The data lives outside the repository; when it is absent the test says so and
//! passes.

use std::path::PathBuf;

use orrery_core::cron::{parse_rfc3339, Dst, Schedule, Zone};

#[test]
fn every_utc_vector_passes() {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/cron/vectors-utc.jsonl"
    ));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("skipping: {} is absent ({e})", path.display());
            return;
        }
    };
    let utc = Zone::utc();
    let mut wrong = Vec::new();
    let mut cases = 0;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        cases += 1;
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let expr = v["expr"].as_str().expect("expr");
        let (base, _) = parse_rfc3339(v["base"].as_str().expect("base")).expect("base parses");
        let schedule = Schedule::parse(expr);
        if v["error"].as_bool() == Some(true) {
            if schedule.is_ok() {
                wrong.push(format!("line {}: {expr:?} should never fire", i + 1));
            }
            continue;
        }
        let schedule = match schedule {
            Ok(s) => s,
            Err(e) => {
                wrong.push(format!("line {}: {expr:?} refused: {e}", i + 1));
                continue;
            }
        };
        for (key, backwards) in [("next", false), ("prev", true)] {
            let want: Vec<String> = v[key]
                .as_array()
                .expect("a list of times")
                .iter()
                .map(|t| t.as_str().expect("a time").to_string())
                .collect();
            let got: Vec<String> = schedule
                .fire_times(base, &utc, Dst::default(), want.len(), backwards)
                .into_iter()
                .map(|t| utc.format(t))
                .collect();
            if got != want {
                wrong.push(format!(
                    "line {}: {expr:?} from {}: {key} {got:?}, expected {want:?}",
                    i + 1,
                    v["base"]
                ));
            }
        }
    }
    assert!(cases > 100, "only {cases} vectors");
    assert!(
        wrong.is_empty(),
        "{} of {cases} vectors fail:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
