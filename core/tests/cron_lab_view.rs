//! The scheduler lab's accessors for the page's charts agree with its metrics: the page reads
//! `missed_runs()` and `tenant_lag()` on every log growth instead of building every metric.
//!
//! | accessor | equals |
//! |---|---|
//! | `missed_runs()` | the `missed` counter |
//! | `tenant_lag()` | the `lag_ms.<tenant>` histograms' summaries, by tenant name |

use orrery_core::cron::lab::{JobSpec, Misfire, Pool, Scenario, SchedulerLab};
use orrery_core::run::Run;
use orrery_core::sim::{Simulation, Time};

/// Runs `scenario` with `commands` to `until` and checks both accessors against `metrics()`;
/// returns the tenant names and the missed count, for the cases to pin down.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> (Vec<String>, u64) {
    let run: Run<SchedulerLab> =
        Run::scripted(scenario, commands, until).expect("valid scenario and commands");
    let sim = run.sim();
    let metrics = sim.metrics();
    assert_eq!(sim.missed_runs(), metrics.counter("missed"));
    let from_metrics: Vec<(String, _)> = metrics
        .histograms
        .iter()
        .filter_map(|(k, h)| Some((k.strip_prefix("lag_ms.")?.to_string(), h.summary())))
        .collect();
    assert_eq!(sim.tenant_lag(), from_metrics);
    (
        sim.tenant_lag().into_iter().map(|(t, _)| t).collect(),
        sim.missed_runs(),
    )
}

fn job(name: &str, tenant: &str, cron: &str) -> JobSpec {
    JobSpec {
        name: name.into(),
        tenant: tenant.into(),
        cron: cron.into(),
        duration_ms: 6_000,
        ..JobSpec::default()
    }
}

#[test]
fn tenant_lag_matches_the_per_tenant_histograms() {
    // One worker flooded by `shop`; `ads` runs once a minute (tenant `zz` never runs).
    let scenario = Scenario {
        nodes: 1,
        workers: 1,
        pool: Pool::FairShare,
        jobs: vec![
            job("shop-a", "shop", "*/10 * * * * *"),
            job("shop-b", "shop", "*/10 * * * * *"),
            job("ads", "ads", "0 * * * * *"),
            job("later", "zz", "0 0 0 1 1 *"),
        ],
        ..Scenario::default()
    };
    let (tenants, _) = check(scenario, &[], 180_000);
    assert_eq!(tenants, ["ads", "shop"]);
}

#[test]
fn without_named_tenants_there_is_no_per_tenant_lag() {
    let (tenants, _) = check(Scenario::default(), &[], 120_000);
    assert!(tenants.is_empty());
}

#[test]
fn missed_runs_counts_what_the_misfire_policy_skipped() {
    // The store is down for a minute: no leader; a `skip` job misses the runs due meanwhile.
    let scenario = Scenario {
        nodes: 1,
        workers: 1,
        jobs: vec![JobSpec {
            misfire: Misfire::Skip,
            ..job("tick", "default", "*/10 * * * * *")
        }],
        ..Scenario::default()
    };
    let (_, missed) = check(
        scenario,
        &[
            (5_000, r#"{"store_down": {"on": true}}"#),
            (65_000, r#"{"store_down": {"on": false}}"#),
        ],
        120_000,
    );
    assert!(missed > 0, "the skip policy missed runs during the outage");
}
