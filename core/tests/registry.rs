//! Cross-cutting checks over every lab in the registry: determinism, replay, seeking, forking,
//! share-link round trips, damaged links and golden digests. A new lab gets them for free.

use std::collections::BTreeMap;

use orrery_core::registry::{self, Lab, LabRun};

/// How far each run goes: ten simulated minutes.
const UNTIL: u64 = 600_000;

fn fresh(lab: &Lab, seed: u64) -> Box<dyn LabRun> {
    let mut scenario = (lab.default_scenario)();
    scenario["seed"] = seed.into();
    (lab.create)(&scenario).unwrap_or_else(|e| panic!("{}: default scenario refused: {e}", lab.id))
}

fn driven(lab: &Lab, seed: u64, until: u64) -> Box<dyn LabRun> {
    registry::sample_run(lab, seed, until).unwrap_or_else(|e| panic!("{}: {e}", lab.id))
}

/// The catalog (all the home page's bundle knows) and the registry list the same labs in the
/// same order with the same titles, and every id is a plain lowercase word usable as a bundle
/// name (`lab-<id>`).
#[test]
fn catalog_matches_the_registry() {
    let ids: Vec<(&str, &str, &str)> = registry::labs()
        .iter()
        .map(|l| (l.id, l.title, l.summary))
        .collect();
    let catalog: Vec<(&str, &str, &str)> = registry::CATALOG
        .iter()
        .map(|l| (l.id, l.title, l.summary))
        .collect();
    assert_eq!(ids, catalog);
    for (id, title, summary) in ids {
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase()),
            "lab id {id:?} must be lowercase letters"
        );
        assert!(!title.is_empty() && !summary.is_empty(), "{id}");
    }
}

#[test]
fn same_scenario_and_inputs_give_the_same_log() {
    for lab in registry::labs() {
        for seed in [1, 2, 3] {
            let a = driven(&lab, seed, UNTIL);
            let b = driven(&lab, seed, UNTIL);
            assert_eq!(a.log_text(), b.log_text(), "{} seed {seed}", lab.id);
            assert!(
                a.log_len() > 50,
                "{} seed {seed}: only {} log lines",
                lab.id,
                a.log_len()
            );
        }
        assert_ne!(
            driven(&lab, 1, UNTIL).digest(),
            driven(&lab, 2, UNTIL).digest(),
            "{}: seeds differ",
            lab.id
        );
    }
}

#[test]
fn the_partition_of_time_does_not_matter() {
    for lab in registry::labs() {
        let whole = driven(&lab, 5, UNTIL);
        let mut steps = fresh(&lab, 5);
        let inputs = (lab.sample_inputs)();
        let mut t = 0;
        let mut next = inputs.iter().peekable();
        let mut stride = 1;
        while t < UNTIL {
            t = (t + stride).min(UNTIL);
            stride = stride * 7 % 9_973 + 1;
            while let Some((at, cmd)) = next.peek() {
                if *at > t {
                    break;
                }
                steps.advance_to(*at);
                let _ = steps.apply_json(cmd);
                next.next();
            }
            steps.advance_to(t);
        }
        assert_eq!(whole.log_text(), steps.log_text(), "{}", lab.id);
        // Stepping event by event reaches the same state too.
        let mut stepped = fresh(&lab, 5);
        for (at, cmd) in (lab.sample_inputs)() {
            while stepped.next_time().is_some_and(|n| n < at) {
                assert!(stepped.step());
            }
            stepped.advance_to(at);
            let _ = stepped.apply_json(&cmd);
        }
        stepped.advance_to(UNTIL);
        assert_eq!(whole.digest(), stepped.digest(), "{} stepped", lab.id);
    }
}

#[test]
fn share_links_reproduce_the_run_exactly() {
    for lab in registry::labs() {
        for seed in [3, 11] {
            let run = driven(&lab, seed, UNTIL / 2);
            let view: BTreeMap<String, String> = [("speed".to_string(), "10".to_string())].into();
            let link = run.link(&view);
            assert!(link.starts_with(&format!("/{}?s=1.", lab.id)), "{link}");
            for form in [link.clone(), format!("https://orrery.example/#{link}")] {
                let (opened, v) = registry::open_link(&form).expect("own link opens");
                assert_eq!(v, view);
                assert_eq!(opened.now(), run.now());
                assert_eq!(opened.log_text(), run.log_text(), "{} seed {seed}", lab.id);
                assert_eq!(opened.scenario_json(), run.scenario_json());
            }
        }
    }
}

#[test]
fn replay_equals_the_original_and_continues_identically() {
    for lab in registry::labs() {
        // Record the first half, share it, and let both continue to the end.
        let mut original = driven(&lab, 9, UNTIL / 2);
        let link = original.link(&BTreeMap::new());
        let (mut copy, _) = registry::open_link(&link).expect("opens");
        original.advance_to(UNTIL);
        copy.advance_to(UNTIL);
        assert_eq!(original.digest(), copy.digest(), "{}", lab.id);
    }
}

#[test]
fn seeking_back_and_forth_matches_a_straight_run() {
    for lab in registry::labs() {
        let full = driven(&lab, 4, UNTIL);
        let mut run = driven(&lab, 4, UNTIL);
        for t in [UNTIL / 3, 1, 77_777, UNTIL / 2, 0, UNTIL - 1, 150_000] {
            run.seek(t);
            let straight = driven(&lab, 4, t);
            assert_eq!(run.now(), t);
            assert_eq!(run.log_text(), straight.log_text(), "{} at {t}", lab.id);
            assert_eq!(run.metrics(), straight.metrics(), "{} at {t}", lab.id);
        }
        run.seek(UNTIL);
        assert_eq!(run.digest(), full.digest(), "{}: back to the end", lab.id);
        // Step back from the end walks to earlier event times.
        let before = run.now();
        assert!(run.step_back());
        assert!(run.now() < before);
    }
}

#[test]
fn a_fork_is_a_new_timeline_and_leaves_the_original_alone() {
    for lab in registry::labs() {
        let mut original = driven(&lab, 6, UNTIL);
        let digest = original.digest();
        original.seek(60_000);
        let mut fork = original.fork();
        assert_eq!(
            fork.inputs_len(),
            original.inputs_len().min(fork.inputs_len())
        );
        fork.advance_to(UNTIL);
        // The fork forgot the recorded future, so it differs from the original.
        assert_ne!(fork.digest(), digest, "{}", lab.id);
        original.seek(UNTIL);
        assert_eq!(
            original.digest(),
            digest,
            "{}: original kept its future",
            lab.id
        );
        // Applying a command after seeking back drops the recorded future.
        let mut rewound = driven(&lab, 6, UNTIL);
        rewound.seek(60_000);
        let before = rewound.inputs_len();
        let (_, cmd) = (lab.sample_inputs)()[0].clone();
        let _ = rewound.apply_json(&cmd);
        assert!(rewound.inputs_len() < before + 1 || before == 0);
    }
}

#[test]
fn sample_inputs_keep_every_invariant() {
    for lab in registry::labs() {
        for seed in 0..8 {
            let run = driven(&lab, seed, UNTIL * 2);
            assert_eq!(run.violation(), None, "{} seed {seed}", lab.id);
        }
    }
}

#[test]
fn damaged_links_are_errors_never_panics() {
    for lab in registry::labs() {
        let link = driven(&lab, 2, 60_000).link(&BTreeMap::new());
        let bytes = link.as_bytes();
        let mut errors = 0;
        for cut in (0..bytes.len()).step_by(3) {
            if registry::open_link(&link[..cut]).is_err() {
                errors += 1;
            }
        }
        assert!(
            errors > bytes.len() / 4,
            "{}: truncated links mostly fail",
            lab.id
        );
        let alphabet = b"ABCXYZabcxyz0189-_.?=/#";
        for i in (link.find("s=").unwrap_or(0)..bytes.len()).step_by(2) {
            let mut b = bytes.to_vec();
            b[i] = alphabet[i % alphabet.len()];
            let s = String::from_utf8_lossy(&b).into_owned();
            let _ = registry::open_link(&s);
        }
        let err = registry::open_link(&format!("/{}?s=2.AAAA", lab.id))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("unknown version")));
        let err = registry::open_link("/nosuchlab?s=1.AAAA")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some());
    }
}

#[test]
fn out_of_range_scenarios_are_refused_with_the_field_named() {
    let elevator = registry::find("elevator").expect("elevator lab");
    for (json, field) in [
        (serde_json::json!({"floors": 1}), "floors"),
        (serde_json::json!({"floors": 500}), "floors"),
        (serde_json::json!({"cars": 0}), "cars"),
        (serde_json::json!({"cars": 33}), "cars"),
        (serde_json::json!({"capacities": []}), "capacities"),
        (
            serde_json::json!({"served": [{"car": 0, "floors": "3-99"}]}),
            "served floors",
        ),
        (serde_json::json!({"floors": "ten"}), "scenario"),
    ] {
        let err = (elevator.create)(&json).err().unwrap_or_default();
        assert!(err.contains(field), "{json}: {err}");
    }
}

/// Golden digests: `lab seed until_ms digest` per line. The same file is checked by the wasm
/// test (`core/tests/wasm.rs`), which proves native and browser runs are identical. Rewrite
/// with `UPDATE_GOLDEN=1` after a deliberate change to a lab's behaviour.
#[test]
fn golden_digests() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/digests.txt");
    let mut lines = Vec::new();
    for lab in registry::labs() {
        for seed in [7, 8] {
            let run = driven(&lab, seed, 3_600_000);
            lines.push(format!("{} {seed} 3600000 {}", lab.id, run.digest()));
        }
    }
    let want = lines.join("\n") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &want).expect("write golden digests");
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        have, want,
        "golden digests changed; rerun with UPDATE_GOLDEN=1 if deliberate"
    );
}
