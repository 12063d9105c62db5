//! The scheduler lab's figures over time for the page's charts: each worker's utilisation per
//! time bucket (read from the log's executions by `cron::gantt::utilisation`), each worker's
//! utilisation so far, and the queue depth over time.

use expect_test::expect;
use orrery_core::cron::gantt;
use orrery_core::cron::lab::{JobSpec, Overlap, Scenario, SchedulerLab};
use orrery_core::run::Run;

/// One node, two workers; a job every 10 s that takes 4 s, and from 30 s a second one every
/// 10 s that takes 12 s and queues behind its previous run.
fn scenario() -> Scenario {
    Scenario {
        nodes: 1,
        workers: 2,
        jobs: vec![
            JobSpec {
                name: "short".into(),
                cron: "*/10 * * * * *".into(),
                duration_ms: 4_000,
                ..JobSpec::default()
            },
            JobSpec {
                name: "long".into(),
                cron: "30-59/10 * * * * *".into(),
                duration_ms: 12_000,
                overlap: Overlap::Queue,
                priority: 1,
                ..JobSpec::default()
            },
        ],
        ..Scenario::default()
    }
}

#[test]
fn utilisation_per_worker_and_bucket_and_queue_depth_over_time() {
    let run: Run<SchedulerLab> = Run::scripted(scenario(), &[], 60_000).expect("valid");
    let bars = gantt::executions(run.log(), 0);
    let per_bucket = gantt::utilisation(&bars, 2, 0, 60_000, 6);
    let mut text = String::new();
    for (w, row) in per_bucket.iter().enumerate() {
        text += &format!("worker {w} per 10 s: {row:?}\n");
    }
    text += &format!("so far: {:?}\n", run.sim().worker_utilisation());
    text += &format!(
        "queue depth: {:?}\n",
        run.sim().queue_depth_over_time().samples
    );
    expect![[r#"
        worker 0 per 10 s: [0, 400, 400, 400, 400, 1000]
        worker 1 per 10 s: [0, 0, 0, 1000, 1000, 400]
        so far: [433, 400]
        queue depth: [(0, 0), (10000, 1), (14000, 0), (20000, 1), (24000, 0), (30000, 2), (34000, 1), (40000, 3), (42000, 2), (44000, 1), (50000, 3), (54000, 1), (60000, 2)]
    "#]]
    .assert_eq(&text);
    // Buckets of a window agree with the whole: the first 30 s split in three.
    let first_half = gantt::utilisation(&bars, 2, 0, 30_000, 3);
    assert_eq!(first_half[0], per_bucket[0][..3]);
    // No buckets, or an empty window, give empty rows.
    assert_eq!(
        gantt::utilisation(&bars, 2, 0, 60_000, 0),
        vec![Vec::<u32>::new(); 2]
    );
    assert_eq!(
        gantt::utilisation(&bars, 2, 5, 5, 3),
        vec![Vec::<u32>::new(); 2]
    );
}
