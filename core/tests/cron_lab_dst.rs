//! A scheduler job's own DST policy (`JobSpec::dst`): the lab schedules a zoned job on its
//! wall clock under that policy, and the heatmap reads the same policy back
//! (`SchedulerLab::job_schedules`).
//!
//! | job (America/New_York) | night of | default (`next_valid`, `once`) | chosen |
//! |---|---|---|---|
//! | `0 30 2 * * *` | 2024-03-10, 02:00-02:59 skipped | once at 03:00 EDT (07:00Z) | `gap: skip`: not that night |
//! | `0 30 1 * * *` | 2024-11-03, 01:00-01:59 twice | once at 01:30 EDT (05:30Z) | `fold: twice`: 05:30Z and 06:30Z |

use expect_test::{expect, Expect};
use orrery_core::cron::lab::{JobSpec, Scenario, SchedulerLab};
use orrery_core::cron::{parse_rfc3339, Dst, Fold, Gap};
use orrery_core::run::Run;

/// One node and worker, one New York job `cron` under `dst`, from `epoch` for `hours`: the
/// UTC times of the job's applied runs.
fn check(epoch: &str, cron: &str, dst: Dst, hours: u64, expect: Expect) {
    let (epoch, _) = parse_rfc3339(epoch).expect("epoch");
    let scenario = Scenario {
        epoch,
        nodes: 1,
        workers: 1,
        jobs: vec![JobSpec {
            name: "nightly".into(),
            cron: cron.into(),
            duration_ms: 1_000,
            zone: Some("America/New_York".into()),
            dst,
            ..JobSpec::default()
        }],
        ..Scenario::default()
    };
    let run: Run<SchedulerLab> =
        Run::scripted(scenario, &[], hours * 3_600_000).expect("a valid scenario");
    let zones: Vec<String> = run
        .sim()
        .job_schedules()
        .map(|(name, _, zone, d)| format!("{name} {} {d:?}", zone.name()))
        .collect();
    let applied: Vec<String> = run
        .transcript()
        .lines()
        .filter(|l| l.contains("target applies nightly@"))
        .map(|l| {
            let at = l.split_once("nightly@").map_or("", |(_, r)| r);
            let secs: i64 = at
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(-1);
            orrery_core::cron::format_rfc3339(epoch + secs, 0, true)
        })
        .collect();
    expect.assert_eq(&format!("{}\n{}", zones.join("\n"), applied.join("\n")));
}

#[test]
fn a_job_skips_the_spring_forward_gap_only_when_it_says_so() {
    let from = "2024-03-10T05:00:00Z";
    check(
        from,
        "0 30 2 * * *",
        Dst::default(),
        4,
        expect![[r#"
            nightly America/New_York Dst { gap: NextValid, fold: Once }
            2024-03-10T07:00:00Z"#]],
    );
    check(
        from,
        "0 30 2 * * *",
        Dst {
            gap: Gap::Skip,
            ..Dst::default()
        },
        4,
        expect![[r#"
            nightly America/New_York Dst { gap: Skip, fold: Once }
        "#]],
    );
}

#[test]
fn a_job_runs_twice_in_the_fall_back_fold_only_when_it_says_so() {
    let from = "2024-11-03T04:00:00Z";
    check(
        from,
        "0 30 1 * * *",
        Dst::default(),
        4,
        expect![[r#"
            nightly America/New_York Dst { gap: NextValid, fold: Once }
            2024-11-03T05:30:00Z"#]],
    );
    check(
        from,
        "0 30 1 * * *",
        Dst {
            fold: Fold::Twice,
            ..Dst::default()
        },
        4,
        expect![[r#"
            nightly America/New_York Dst { gap: NextValid, fold: Twice }
            2024-11-03T05:30:00Z
            2024-11-03T06:30:00Z"#]],
    );
}

#[test]
fn the_policy_is_written_only_when_chosen() {
    let json = |dst| {
        serde_json::to_string(&JobSpec {
            dst,
            ..JobSpec::default()
        })
        .expect("serializes")
    };
    assert!(!json(Dst::default()).contains("dst"));
    let skip = json(Dst {
        gap: Gap::Skip,
        ..Dst::default()
    });
    assert!(
        skip.contains(r#""dst":{"gap":"skip","fold":"once"}"#),
        "{skip}"
    );
    // A partial policy reads with the other half at its default.
    let spec: JobSpec =
        serde_json::from_str(r#"{"name":"n","cron":"0 * * * *","dst":{"fold":"twice"}}"#)
            .expect("reads");
    assert_eq!(
        spec.dst,
        Dst {
            gap: Gap::NextValid,
            fold: Fold::Twice
        }
    );
}
