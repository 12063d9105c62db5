//! The scheduler lab's behaviour: event-log snapshots of small clusters through one `check`
//! (leader election and failover, a partitioned leader with a slow clock with fencing on and
//! off, retries and dead letters, misfire and overlap policies, jobs changed while running),
//! and a seeded fuzzer of random faults over long runs: with fencing on the exactly-once
//! invariant never fails, with fencing off some seed finds a duplicate.

use expect_test::{expect, Expect};
use orrery_core::cron::lab::{JobSpec, Misfire, Overlap, Scenario, SchedulerLab};
use orrery_core::rng::Rng;
use orrery_core::run::Run;
use orrery_core::sim::{Time, Violation};

mod cron_faults;

/// Three nodes, two workers, one job every ten seconds that takes two.
fn small(fencing: bool) -> Scenario {
    Scenario {
        nodes: 3,
        workers: 2,
        fencing,
        jobs: vec![JobSpec {
            name: "tick".into(),
            cron: "*/10 * * * * *".into(),
            duration_ms: 2_000,
            ..JobSpec::default()
        }],
        ..Scenario::default()
    }
}

fn run_of(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> Run<SchedulerLab> {
    Run::scripted(scenario, commands, until).expect("valid scenario and commands")
}

/// Runs `commands` (`(time_ms, command JSON)`) to `until` ms and compares the log (and the
/// first violation, if any).
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    expect.assert_eq(&run_of(scenario, commands, until).transcript());
}

/// The counters of a run that tell policies apart.
fn counters(run: &Run<SchedulerLab>) -> String {
    let m = orrery_core::sim::Simulation::metrics(run.sim());
    [
        "enqueued",
        "applied",
        "missed",
        "overlap_skipped",
        "replaced",
        "queue_depth",
    ]
    .iter()
    .map(|k| format!("{k} {}", m.counter(k)))
    .collect::<Vec<_>>()
    .join(", ")
}

#[test]
fn a_leader_is_elected_and_runs_flow_to_the_target() {
    check(
        small(true),
        &[],
        21_000,
        expect![[r#"
        0.000s node 0 is leader (token 1)
        10.000s node 0 enqueues tick@10s (token 1)
        10.000s worker 0 starts tick@10s (attempt 1, lag 0 ms)
        12.000s target applies tick@10s from worker 0 (token 1)
        20.000s node 0 enqueues tick@20s (token 1)
        20.000s worker 0 starts tick@20s (attempt 1, lag 0 ms)
    "#]],
    );
}

#[test]
fn leader_crash_fails_over_without_losing_or_doubling_runs() {
    check(
        small(true),
        &[(12_000, r#""crash_leader""#)],
        32_000,
        expect![[r#"
            0.000s node 0 is leader (token 1)
            10.000s node 0 enqueues tick@10s (token 1)
            10.000s worker 0 starts tick@10s (attempt 1, lag 0 ms)
            12.000s target applies tick@10s from worker 0 (token 1)
            12.000s > "crash_leader"
            12.000s node 0 crashed
            17.333s node 1 is leader (token 2)
            20.333s node 1 enqueues tick@20s (token 2)
            20.333s worker 0 starts tick@20s (attempt 1, lag 333 ms)
            22.333s target applies tick@20s from worker 0 (token 2)
            30.333s node 1 enqueues tick@30s (token 2)
            30.333s worker 0 starts tick@30s (attempt 1, lag 333 ms)
            32.000s node 0 restarted
        "#]],
    );
}

#[test]
fn partitioned_leader_with_a_slow_clock_double_fires_without_fencing() {
    let commands = [
        (5_000, r#"{"clock_skew": {"node": 0, "skew_ms": -15000}}"#),
        (12_000, r#"{"partition_leader": {"on": true}}"#),
    ];
    check(
        small(false),
        &commands,
        45_000,
        expect![[r#"
        0.000s node 0 is leader (token 1)
        5.000s > {"clock_skew":{"node":0,"skew_ms":-15000}}
        5.000s node 0 clock skew -15000 ms
        12.000s > {"partition_leader":{"on":true}}
        12.000s node 0 partitioned
        17.333s node 1 is leader (token 2)
        17.333s node 1 enqueues tick@10s (token 2)
        17.333s worker 0 starts tick@10s (attempt 1, lag 7333 ms)
        19.333s target applies tick@10s from worker 0 (token 2)
        20.333s node 1 enqueues tick@20s (token 2)
        20.333s worker 0 starts tick@20s (attempt 1, lag 333 ms)
        22.333s target applies tick@20s from worker 0 (token 2)
        25.000s node 0 enqueues tick@10s (token 1)
        25.000s worker 0 starts tick@10s (attempt 1, lag 15000 ms)
        27.000s target applies tick@10s from worker 0 (token 1): DUPLICATE
        30.333s node 1 enqueues tick@30s (token 2)
        30.333s worker 0 starts tick@30s (attempt 1, lag 333 ms)
        32.000s node 0 stops leading (token 1): its lease expired by its clock
        32.333s target applies tick@30s from worker 0 (token 2)
        40.333s node 1 enqueues tick@40s (token 2)
        40.333s worker 0 starts tick@40s (attempt 1, lag 333 ms)
        42.333s target applies tick@40s from worker 0 (token 2)
        VIOLATION at 27000: exactly-once: tick@10s applied twice: at 19.333s by worker 0 (enqueued by node 1 with token 2) and at 27.000s by worker 0 (enqueued by node 0 with token 1); node 0 took token 1 at 0.000s, node 1 took token 2 at 17.333s
    "#]],
    );
}

#[test]
fn fencing_refuses_the_stale_leaders_copy() {
    let commands = [
        (5_000, r#"{"clock_skew": {"node": 0, "skew_ms": -15000}}"#),
        (12_000, r#"{"partition_leader": {"on": true}}"#),
    ];
    check(
        small(true),
        &commands,
        45_000,
        expect![[r#"
        0.000s node 0 is leader (token 1)
        5.000s > {"clock_skew":{"node":0,"skew_ms":-15000}}
        5.000s node 0 clock skew -15000 ms
        12.000s > {"partition_leader":{"on":true}}
        12.000s node 0 partitioned
        17.333s node 1 is leader (token 2)
        17.333s node 1 enqueues tick@10s (token 2)
        17.333s worker 0 starts tick@10s (attempt 1, lag 7333 ms)
        19.333s target applies tick@10s from worker 0 (token 2)
        20.333s node 1 enqueues tick@20s (token 2)
        20.333s worker 0 starts tick@20s (attempt 1, lag 333 ms)
        22.333s target applies tick@20s from worker 0 (token 2)
        25.000s node 0 enqueues tick@10s (token 1)
        25.000s worker 0 starts tick@10s (attempt 1, lag 15000 ms)
        27.000s target refuses tick@10s from worker 0 (token 1): already applied by worker 0 with token 2
        30.333s node 1 enqueues tick@30s (token 2)
        30.333s worker 0 starts tick@30s (attempt 1, lag 333 ms)
        32.000s node 0 stops leading (token 1): its lease expired by its clock
        32.333s target applies tick@30s from worker 0 (token 2)
        40.333s node 1 enqueues tick@40s (token 2)
        40.333s worker 0 starts tick@40s (attempt 1, lag 333 ms)
        42.333s target applies tick@40s from worker 0 (token 2)
    "#]],
    );
}

#[test]
fn failures_retry_with_backoff_then_dead_letter() {
    let scenario = Scenario {
        workers: 1,
        max_attempts: 3,
        backoff_base_ms: 1_000,
        jobs: vec![JobSpec {
            name: "flaky".into(),
            cron: "0 * * * * *".into(),
            duration_ms: 500,
            fail_percent: 100,
            ..JobSpec::default()
        }],
        ..small(true)
    };
    check(
        scenario,
        &[],
        70_000,
        expect![[r#"
        0.000s node 0 is leader (token 1)
        60.000s node 0 enqueues flaky@60s (token 1)
        60.000s worker 0 starts flaky@60s (attempt 1, lag 0 ms)
        60.500s worker 0: flaky@60s failed (attempt 1), retry in 760 ms
        61.260s worker 0 starts flaky@60s (attempt 2, lag 1260 ms)
        61.760s worker 0: flaky@60s failed (attempt 2), retry in 1391 ms
        63.151s worker 0 starts flaky@60s (attempt 3, lag 3151 ms)
        63.651s flaky@60s dead-lettered after 3 attempts
    "#]],
    );
}

#[test]
fn a_crashed_worker_mid_job_is_redelivered_after_the_visibility_timeout() {
    let scenario = Scenario {
        jobs: vec![JobSpec {
            name: "long".into(),
            cron: "0 * * * * *".into(),
            duration_ms: 8_000,
            ..JobSpec::default()
        }],
        ..small(true)
    };
    check(
        scenario,
        &[(61_000, r#"{"crash_worker": {"worker": 0}}"#)],
        90_000,
        expect![[r#"
            0.000s node 0 is leader (token 1)
            60.000s node 0 enqueues long@60s (token 1)
            60.000s worker 0 starts long@60s (attempt 1, lag 0 ms)
            61.000s > {"crash_worker":{"worker":0}}
            61.000s worker 0 crashed while running long@60s
            75.000s long@60s: visibility timeout expired, visible again (delivery 1 lost)
            75.000s worker 1 starts long@60s (attempt 2, lag 15000 ms)
            81.000s worker 0 restarted
            83.000s target applies long@60s from worker 1 (token 1)
        "#]],
    );
}

#[test]
fn misfire_policies_after_the_store_was_down() {
    // The store is down from 1.5 s to 45 s: the runs due at 10, 20, 30 and 40 s are late.
    let mut out = String::new();
    for misfire in [Misfire::FireOnce, Misfire::FireAll, Misfire::Skip] {
        let scenario = Scenario {
            jobs: vec![JobSpec {
                name: "tick".into(),
                cron: "*/10 * * * * *".into(),
                duration_ms: 1_000,
                misfire,
                ..JobSpec::default()
            }],
            ..small(true)
        };
        let run = run_of(
            scenario,
            &[
                (1_500, r#"{"store_down": {"on": true}}"#),
                (45_000, r#"{"store_down": {"on": false}}"#),
            ],
            47_000,
        );
        out += &format!("{misfire:?}: {}\n", counters(&run));
    }
    expect![[r#"
        FireOnce: enqueued 1, applied 1, missed 3, overlap_skipped 0, replaced 0, queue_depth 0
        FireAll: enqueued 4, applied 2, missed 0, overlap_skipped 0, replaced 0, queue_depth 2
        Skip: enqueued 0, applied 0, missed 4, overlap_skipped 0, replaced 0, queue_depth 0
    "#]]
    .assert_eq(&out);
}

#[test]
fn overlap_policies() {
    // A 25-second job every 10 seconds on two workers, for a minute.
    let mut out = String::new();
    for overlap in [
        Overlap::Allow,
        Overlap::Skip,
        Overlap::Queue,
        Overlap::Replace,
    ] {
        let scenario = Scenario {
            jobs: vec![JobSpec {
                name: "slow".into(),
                cron: "*/10 * * * * *".into(),
                duration_ms: 25_000,
                overlap,
                ..JobSpec::default()
            }],
            ..small(true)
        };
        let run = run_of(scenario, &[], 60_000);
        out += &format!("{overlap:?}: {}\n", counters(&run));
    }
    expect![[r#"
        Allow: enqueued 6, applied 3, missed 0, overlap_skipped 0, replaced 0, queue_depth 3
        Skip: enqueued 6, applied 1, missed 0, overlap_skipped 4, replaced 0, queue_depth 1
        Queue: enqueued 6, applied 2, missed 0, overlap_skipped 0, replaced 0, queue_depth 4
        Replace: enqueued 6, applied 0, missed 0, overlap_skipped 0, replaced 5, queue_depth 1
    "#]]
    .assert_eq(&out);
}

#[test]
fn jobs_change_while_running() {
    check(
        small(true),
        &[
            (
                3_000,
                r#"{"add_job": {"job": {"name": "extra", "cron": "*/5 * * * * *", "duration_ms": 1000}}}"#,
            ),
            (
                12_000,
                r#"{"update_job": {"job": {"name": "extra", "cron": "*/20 * * * * *", "duration_ms": 1000}}}"#,
            ),
            (13_000, r#"{"trigger": {"name": "tick"}}"#),
            (22_000, r#"{"delete_job": {"name": "extra"}}"#),
            (23_000, r#"{"delete_job": {"name": "nope"}}"#),
            (
                23_000,
                r#"{"add_job": {"job": {"name": "bad", "cron": "0 0 30 2 *"}}}"#,
            ),
        ],
        26_000,
        expect![[r#"
            0.000s node 0 is leader (token 1)
            3.000s > {"add_job":{"job":{"name":"extra","cron":"*/5 * * * * *","duration_ms":1000,"fail_percent":0,"priority":5,"misfire":"fire_once","overlap":"allow"}}}
            3.000s job extra added
            5.000s node 0 enqueues extra@5s (token 1)
            5.000s worker 0 starts extra@5s (attempt 1, lag 0 ms)
            6.000s target applies extra@5s from worker 0 (token 1)
            10.000s node 0 enqueues extra@10s (token 1)
            10.000s node 0 enqueues tick@10s (token 1)
            10.000s worker 0 starts extra@10s (attempt 1, lag 0 ms)
            10.000s worker 1 starts tick@10s (attempt 1, lag 0 ms)
            11.000s target applies extra@10s from worker 0 (token 1)
            12.000s target applies tick@10s from worker 1 (token 1)
            12.000s > {"update_job":{"job":{"name":"extra","cron":"*/20 * * * * *","duration_ms":1000,"fail_percent":0,"priority":5,"misfire":"fire_once","overlap":"allow"}}}
            12.000s job extra changed
            13.000s > {"trigger":{"name":"tick"}}
            13.000s job tick triggered by hand
            13.000s enqueued tick@manual 13.000s by hand (token 1)
            13.000s worker 0 starts tick@manual 13.000s (attempt 1, lag 0 ms)
            15.000s target applies tick@manual 13.000s from worker 0 (token 1)
            20.000s node 0 enqueues extra@20s (token 1)
            20.000s node 0 enqueues tick@20s (token 1)
            20.000s worker 0 starts extra@20s (attempt 1, lag 0 ms)
            20.000s worker 1 starts tick@20s (attempt 1, lag 0 ms)
            21.000s target applies extra@20s from worker 0 (token 1)
            22.000s target applies tick@20s from worker 1 (token 1)
            22.000s > {"delete_job":{"name":"extra"}}
            22.000s job extra deleted
            23.000s > {"delete_job":{"name":"nope"}} refused: no job "nope"
            23.000s > {"add_job":{"job":{"name":"bad","cron":"0 0 30 2 *","duration_ms":5000,"fail_percent":0,"priority":5,"misfire":"fire_once","overlap":"allow"}}} refused: job bad: cron: "0 0 30 2 *" can never fire: no day of February matches day-of-month "30"
        "#]],
    );
}

/// Random faults over a long run of the default scenario, driving the simulation directly
/// (without a `Run`'s log and checkpoints, so a day stays cheap) and checking the invariants
/// after every command. Returns the first violation with its time.
fn fuzz(seed: u64, fencing: bool, until: Time) -> Option<(Time, Violation)> {
    let mut rng = Rng::new(seed);
    let scenario = Scenario {
        seed,
        fencing,
        nodes: 1 + rng.below(5) as u32,
        workers: 1 + rng.below(6) as u32,
        ..Scenario::default()
    };
    cron_faults::drive(
        &scenario,
        &mut rng,
        until,
        10,
        |_, _| serde_json::json!({"partition_leader": {"on": false}}),
    )
    .err()
}

#[test]
fn fuzz_with_fencing_on_the_invariants_always_hold() {
    let (seeds, until) = if std::env::var("RUN_SLOW_TESTS").is_ok() {
        (200, 24 * 3_600_000)
    } else {
        (16, 6 * 3_600_000)
    };
    for seed in 0..seeds {
        if let Some((t, v)) = fuzz(seed, true, until) {
            panic!("seed {seed}: at {t} ms: {v}");
        }
    }
}

#[test]
fn fuzz_with_fencing_off_some_seed_finds_a_duplicate() {
    let found = (0..40).find_map(|seed| {
        fuzz(seed, false, 3_600_000)
            .filter(|(_, v)| v.invariant == "exactly-once")
            .map(|(t, v)| (seed, t, v.detail))
    });
    let (seed, t, detail) = found.expect("a duplicate within 40 seeds");
    eprintln!("seed {seed} at {t} ms: {detail}");
    assert!(detail.contains("applied twice"));
}

#[test]
fn the_view_shows_who_leads_and_what_each_node_believes() {
    let run = run_of(
        small(true),
        &[
            (5_000, r#"{"clock_skew": {"node": 0, "skew_ms": -15000}}"#),
            (12_000, r#"{"partition_leader": {"on": true}}"#),
        ],
        26_000,
    );
    let v = run.sim().view();
    let mut text = format!("lease {:?}\n", v.lease);
    for (i, n) in v.nodes.iter().enumerate() {
        text += &format!("node {i}: {n:?}\n");
    }
    text += &format!(
        "queue {} applied {} duplicates {}\n",
        v.queue_depth, v.applied, v.duplicates
    );
    expect![[r#"
        lease Some(Lease { holder: 1, token: 2, expires: 30333 })
        node 0: NodeView { up: true, partitioned: true, skew_ms: -15000, leading: true, lease: Some((1, 17000)) }
        node 1: NodeView { up: true, partitioned: false, skew_ms: 0, leading: true, lease: Some((2, 30333)) }
        node 2: NodeView { up: true, partitioned: false, skew_ms: 0, leading: false, lease: None }
        queue 1 applied 2 duplicates 0
    "#]].assert_eq(&text);
}

/// Every delivery as one Gantt bar: `worker run #attempt start..end outcome`.
fn bars(run: &Run<SchedulerLab>, from: Time) -> String {
    orrery_core::cron::gantt::executions(run.log(), from)
        .iter()
        .map(|x| {
            let end = x.end.map_or("…".to_string(), |t| t.to_string());
            format!(
                "w{} {} #{} {}..{} {}\n",
                x.worker,
                x.run,
                x.attempt,
                x.start,
                end,
                x.outcome.name()
            )
        })
        .collect()
}

#[test]
fn gantt_bars_pair_each_start_with_what_ended_it() {
    // A worker crash mid-job, then its redelivery; a failing job that retries and dead-letters.
    let mut scenario = small(true);
    scenario.max_attempts = 2;
    scenario.jobs.push(JobSpec {
        name: "flaky".into(),
        cron: "*/20 * * * * *".into(),
        duration_ms: 1_000,
        fail_percent: 100,
        ..JobSpec::default()
    });
    let run = run_of(
        scenario,
        &[(20_500, r#"{"crash_worker": {"worker": 0}}"#)],
        45_000,
    );
    expect![[r#"
        w0 tick@10s #1 10000..12000 applied
        w0 flaky@20s #1 20000..20500 crashed
        w1 tick@20s #1 20000..22000 applied
        w1 tick@30s #1 30000..32000 applied
        w1 flaky@20s #2 35000..36000 dead-lettered
        w1 flaky@40s #1 40000..41000 failed
        w0 tick@40s #1 40500..42500 applied
        w1 flaky@40s #2 42381..43381 dead-lettered
    "#]]
    .assert_eq(&bars(&run, 0));
    // From a later time, only bars that started there or later.
    let later = bars(&run, 30_000);
    assert!(later.lines().all(|l| {
        let start: Time = l
            .split(' ')
            .nth(3)
            .unwrap()
            .split("..")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        start >= 30_000
    }));
}

#[test]
fn gantt_marks_the_duplicate_without_fencing() {
    let run = run_of(
        small(false),
        &[
            (5_000, r#"{"clock_skew": {"node": 0, "skew_ms": -15000}}"#),
            (12_000, r#"{"partition_leader": {"on": true}}"#),
        ],
        40_000,
    );
    let text = bars(&run, 0);
    assert!(run.violation().is_some(), "fencing off double-fires");
    assert!(text.contains(" duplicate\n"), "{text}");
}

/// The heatmap's busy cells: `weekday hour: fires/jobs`, `!` for a collision, `+` when capped.
fn heat(exprs: &[&str], start: i64) -> String {
    let schedules: Vec<_> = exprs
        .iter()
        .map(|e| orrery_core::cron::Schedule::parse(e).expect("valid"))
        .collect();
    let w = orrery_core::cron::heatmap::week(&schedules, start);
    let mut out = format!("per cell {}\n", w.per_cell);
    for (d, row) in w.cells.iter().enumerate() {
        for (h, c) in row.iter().enumerate() {
            if c.fires > 0 {
                out += &format!(
                    "{} {h:02}: {}/{}{}{}\n",
                    w.weekdays[d],
                    c.fires,
                    c.jobs,
                    if c.collision { "!" } else { "" },
                    if c.capped { "+" } else { "" }
                );
            }
        }
    }
    out
}

#[test]
fn heatmap_counts_fires_per_hour_and_marks_jobs_firing_at_the_same_second() {
    // 2024-01-01 is a Monday. Weekdays at 09:00 collide with Mondays at 09:00; 09:30 does not.
    expect![[r#"
        per cell 60
        1 09: 2/2!
        2 09: 1/1
        3 09: 2/2
        4 09: 1/1
        5 09: 1/1
        6 00: 1/1
        6 06: 1/1
        6 12: 1/1
        6 18: 1/1
    "#]]
    .assert_eq(&heat(
        &["0 9 * * 1-5", "0 9 * * 1", "30 9 * * 3", "0 */6 * * 6"],
        1_704_067_200,
    ));
    // A per-second job is capped per hour.
    let busy = heat(&["* * * * * *"], 1_704_067_200);
    assert!(busy.lines().nth(1).unwrap().ends_with(": 60/1+"), "{busy}");
}
