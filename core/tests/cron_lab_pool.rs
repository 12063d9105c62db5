//! The scheduler lab's worker-pool scheduling: which queued run an idle worker takes.
//!
//! | `pool` | order |
//! |---|---|
//! | `fifo` | enqueue order |
//! | `priority` (default) | priority, then scheduled time |
//! | `fair_share` | the backlogged tenant furthest behind its weighted share, then priority |
//!
//! Snapshots show the three orders on the same burst (one worker, six runs of two tenants due
//! at once); a property checks fair share against its definition: with two tenants both
//! backlogged, every window of started runs gives each tenant its weighted share within one
//! run per worker; and the per-tenant lag metrics are checked to exist.

use expect_test::{expect, Expect};
use orrery_core::cron::lab::{Event, JobSpec, Pool, Scenario, SchedulerLab};
use orrery_core::run::Run;
use orrery_core::sim::{Simulation, Time};
use proptest::prelude::*;

/// One worker; at minute 1 six runs fall due at once: tenant `shop` has four jobs, tenant
/// `ads` two, with mixed priorities. Each run takes a second.
fn burst(pool: Pool) -> Scenario {
    let job = |name: &str, tenant: &str, priority| JobSpec {
        name: name.into(),
        tenant: tenant.into(),
        cron: "0 * * * * *".into(),
        duration_ms: 1_000,
        priority,
        ..JobSpec::default()
    };
    Scenario {
        nodes: 1,
        workers: 1,
        pool,
        jobs: vec![
            job("a-shop", "shop", 1),
            job("b-shop", "shop", 9),
            job("c-shop", "shop", 8),
            job("d-shop", "shop", 7),
            job("e-ads", "ads", 2),
            job("f-ads", "ads", 3),
        ],
        ..Scenario::default()
    }
}

/// Runs `scenario` to `until` ms and compares the order in which the worker started runs.
fn check(scenario: Scenario, until: Time, expect: Expect) {
    let mut run: Run<SchedulerLab> = Run::new(scenario).expect("valid scenario");
    run.advance_to(until);
    let text: String = run
        .log()
        .iter()
        .map(|e| e.line().trim_start().to_string())
        .filter(|l| l.contains(" starts "))
        .map(|l| l + "\n")
        .collect();
    expect.assert_eq(&text);
}

#[test]
fn fifo_takes_runs_in_enqueue_order() {
    check(
        burst(Pool::Fifo),
        66_500,
        expect![[r#"
            60.000s worker 0 starts a-shop@60s (attempt 1, lag 0 ms)
            61.000s worker 0 starts b-shop@60s (attempt 1, lag 1000 ms)
            62.000s worker 0 starts c-shop@60s (attempt 1, lag 2000 ms)
            63.000s worker 0 starts d-shop@60s (attempt 1, lag 3000 ms)
            64.000s worker 0 starts e-ads@60s (attempt 1, lag 4000 ms)
            65.000s worker 0 starts f-ads@60s (attempt 1, lag 5000 ms)
        "#]],
    );
}

#[test]
fn priority_takes_the_highest_priority_first() {
    check(
        burst(Pool::Priority),
        66_500,
        expect![[r#"
            60.000s worker 0 starts b-shop@60s (attempt 1, lag 0 ms)
            61.000s worker 0 starts c-shop@60s (attempt 1, lag 1000 ms)
            62.000s worker 0 starts d-shop@60s (attempt 1, lag 2000 ms)
            63.000s worker 0 starts f-ads@60s (attempt 1, lag 3000 ms)
            64.000s worker 0 starts e-ads@60s (attempt 1, lag 4000 ms)
            65.000s worker 0 starts a-shop@60s (attempt 1, lag 5000 ms)
        "#]],
    );
}

#[test]
fn fair_share_alternates_tenants_by_weight() {
    check(
        burst(Pool::FairShare),
        66_500,
        expect![[r#"
            60.000s worker 0 starts f-ads@60s (attempt 1, lag 0 ms)
            61.000s worker 0 starts b-shop@60s (attempt 1, lag 1000 ms)
            62.000s worker 0 starts e-ads@60s (attempt 1, lag 2000 ms)
            63.000s worker 0 starts c-shop@60s (attempt 1, lag 3000 ms)
            64.000s worker 0 starts d-shop@60s (attempt 1, lag 4000 ms)
            65.000s worker 0 starts a-shop@60s (attempt 1, lag 5000 ms)
        "#]],
    );
}

#[test]
fn fair_share_follows_tenant_weights() {
    let mut scenario = burst(Pool::FairShare);
    scenario.tenant_weights = [("shop".to_string(), 3)].into();
    check(
        scenario,
        66_500,
        expect![[r#"
        60.000s worker 0 starts f-ads@60s (attempt 1, lag 0 ms)
        61.000s worker 0 starts b-shop@60s (attempt 1, lag 1000 ms)
        62.000s worker 0 starts c-shop@60s (attempt 1, lag 2000 ms)
        63.000s worker 0 starts d-shop@60s (attempt 1, lag 3000 ms)
        64.000s worker 0 starts e-ads@60s (attempt 1, lag 4000 ms)
        65.000s worker 0 starts a-shop@60s (attempt 1, lag 5000 ms)
    "#]],
    );
}

#[test]
fn lag_is_reported_per_tenant() {
    let mut run: Run<SchedulerLab> = Run::new(burst(Pool::FairShare)).expect("valid scenario");
    run.advance_to(70_000);
    let m = run.sim().metrics();
    let shop = m.summary("lag_ms.shop");
    let ads = m.summary("lag_ms.ads");
    assert_eq!((shop.count, ads.count), (4, 2));
    // Ads's two runs start first and third, so its worst lag is below shop's.
    assert!(ads.p99 < shop.p99, "ads {ads:?} shop {shop:?}");
}

#[test]
fn bad_tenants_and_weights_are_refused_with_a_reason() {
    let mut s = burst(Pool::FairShare);
    s.jobs[0].tenant = String::new();
    let err = SchedulerLab::new(&s).err().expect("refused");
    assert!(err.contains("tenant"), "{err}");
    let mut s = burst(Pool::FairShare);
    s.tenant_weights = [("shop".to_string(), 0)].into();
    let err = SchedulerLab::new(&s).err().expect("refused");
    assert!(err.contains("weight"), "{err}");
}

/// Two tenants, each with five jobs firing every ten seconds that take ten: twice the work
/// five workers can do, so both stay backlogged.
fn backlogged(workers: u32, weight_a: u32, weight_b: u32) -> Scenario {
    let jobs = (0..10)
        .map(|i| JobSpec {
            name: format!("{}{i}", if i < 5 { "a" } else { "b" }),
            tenant: if i < 5 { "a" } else { "b" }.into(),
            cron: "*/10 * * * * *".into(),
            duration_ms: 10_000,
            priority: (i * 7 % 10) as u32,
            ..JobSpec::default()
        })
        .collect();
    Scenario {
        nodes: 1,
        workers,
        pool: Pool::FairShare,
        tenant_weights: [("a".to_string(), weight_a), ("b".to_string(), weight_b)].into(),
        jobs,
        ..Scenario::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, rng_seed: proptest::test_runner::RngSeed::Fixed(62266), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fair_share_gives_each_backlogged_tenant_its_weight(
        workers in 1u32..6,
        weight_a in 1u32..5,
        weight_b in 1u32..5,
        from in 0usize..40,
        len in 1usize..80,
    ) {
        let scenario = backlogged(workers, weight_a, weight_b);
        let mut lab = SchedulerLab::new(&scenario).expect("valid scenario");
        let mut starts: Vec<bool> = Vec::new();
        struct Starts<'a>(&'a mut Vec<bool>);
        impl orrery_core::sim::Emit<Event> for Starts<'_> {
            fn emit(&mut self, _: Time, e: Event) {
                if let Event::Started { run, attempt: 1, .. } = e {
                    self.0.push(run.job.starts_with('a'));
                }
            }
        }
        lab.advance_to(1_300_000, &mut Starts(&mut starts));
        // The first round of starts happens at the first due time, when both tenants have
        // runs queued; from then on the queue only grows.
        prop_assert!(starts.len() >= from + len, "only {} starts", starts.len());
        let window = &starts[from..from + len];
        let a = window.iter().filter(|&&x| x).count() as f64;
        let share = len as f64 * f64::from(weight_a) / f64::from(weight_a + weight_b);
        prop_assert!(
            (a - share).abs() <= f64::from(workers),
            "tenant a started {a} of {len} (share {share:.2}) with {workers} worker(s): {window:?}"
        );
    }
}

#[test]
fn without_tenants_the_metrics_have_no_per_tenant_lag() {
    let mut run: Run<SchedulerLab> = Run::new(Scenario::default()).expect("valid scenario");
    run.advance_to(300_000);
    let m = run.sim().metrics();
    let names: Vec<&String> = m.histograms.keys().collect();
    assert_eq!(names, ["lag_ms"]);
    assert!(m.summary("lag_ms").count > 0);
}
