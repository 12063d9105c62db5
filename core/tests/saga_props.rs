//! Saga lab properties over many seeded runs with random faults (the runner of `orrery saga
//! check`): with the outbox and idempotent consumers on, nothing breaks in 10,000 runs across
//! every coordination mode and flow; with either off, the search finds the failures; and the
//! services' final balances equal a plain oracle that applies each completed saga's steps
//! once and each compensated saga's not at all.

use orrery_core::saga::check::{self, Options};
use orrery_core::saga::flow::{Effect, Pool, FLOWS};
use orrery_core::saga::lab::{Mode, SagaLab, SagaStatus, Scenario};
use orrery_core::sim::{Simulation, Time};
use proptest::prelude::*;

const MODES: [Mode; 3] = [
    Mode::Orchestration,
    Mode::Choreography,
    Mode::TwoPhaseCommit,
];

fn options(flow: &str, mode: Mode, runs: u64, first_seed: u64) -> Options {
    Options {
        flow: flow.to_string(),
        mode,
        runs,
        first_seed,
        ..Options::default()
    }
}

#[test]
fn with_outbox_and_idempotency_ten_thousand_faulty_runs_break_nothing() {
    let mut total = 0;
    for (m, &mode) in MODES.iter().enumerate() {
        for (f, flow) in FLOWS.iter().enumerate() {
            // 834 runs per mode and flow: 10,008 in all, each seed used once.
            let first = 1 + (m * FLOWS.len() + f) as u64 * 834;
            let r = check::check(&options(flow, mode, 834, first)).expect("runs");
            total += r.runs;
            assert!(
                r.violations.is_empty(),
                "{flow} {mode:?}: {:?}",
                &r.violations[..r.violations.len().min(3)]
            );
            assert!(
                r.stuck_seeds.is_empty(),
                "{flow} {mode:?}: stuck {:?}",
                r.stuck_seeds
            );
            assert_eq!(r.completed + r.compensated, r.sagas, "{flow} {mode:?}");
            // The faults were real: some sagas had to compensate.
            assert!(r.compensated > 0, "{flow} {mode:?}");
        }
    }
    assert!(total >= 10_000);
}

#[test]
fn concurrent_sagas_with_a_semantic_lock_break_nothing() {
    for &mode in &MODES {
        let o = Options {
            sagas: 4,
            every_ms: 150,
            ..options("order", mode, 300, 50_000)
        };
        let r = check::check(&o).expect("runs");
        assert!(
            r.violations.is_empty(),
            "{mode:?}: {:?}",
            r.violations.first()
        );
        assert!(
            r.stuck_seeds.is_empty(),
            "{mode:?}: stuck {:?}",
            r.stuck_seeds
        );
    }
}

#[test]
fn without_idempotency_the_search_finds_double_charges() {
    for &mode in &MODES {
        let o = Options {
            idempotency: false,
            ..options("order", mode, 300, 1)
        };
        let r = check::check(&o).expect("runs");
        assert!(
            r.violations
                .iter()
                .any(|(_, v)| v.invariant == "nobody charged twice"),
            "{mode:?}: {} violations, none a double charge",
            r.violations.len()
        );
    }
}

#[test]
fn without_an_outbox_lost_messages_lose_sagas_and_are_reported() {
    for mode in [Mode::Orchestration, Mode::Choreography] {
        let o = Options {
            outbox: false,
            ..options("order", mode, 300, 1)
        };
        let r = check::check(&o).expect("runs");
        assert!(r.lost > 0, "{mode:?}: nothing lost");
        // Every lost saga is a violation naming the saga, its step and the lost publish.
        let lost: Vec<_> = r
            .violations
            .iter()
            .filter(|(_, v)| v.invariant == "every saga can finish")
            .collect();
        assert!(!lost.is_empty(), "{mode:?}: no lost saga reported");
        for (seed, v) in &lost {
            assert!(
                v.detail.starts_with("saga ") && v.detail.contains("outbox"),
                "{mode:?} seed {seed}: {}",
                v.detail
            );
        }
        // Losing a message never corrupts data: the failure is liveness, not safety.
        assert!(
            r.violations
                .iter()
                .all(|(_, v)| v.invariant == "every saga can finish"),
            "{mode:?}: {:?}",
            r.violations.first()
        );
    }
    // Two-phase commit re-asks, and participants answer again from their records.
    let r = check::check(&Options {
        outbox: false,
        ..options("order", Mode::TwoPhaseCommit, 300, 1)
    })
    .expect("runs");
    assert_eq!((r.lost, r.violations.len()), (0, 0));
}

#[test]
fn a_lost_saga_reopens_from_its_seed_with_the_same_violation() {
    let o = Options {
        outbox: false,
        ..options("order", Mode::Choreography, 100, 1)
    };
    let r = check::check(&o).expect("runs");
    let (seed, v) = r.violations.first().expect("a lost saga").clone();
    assert_eq!(v.invariant, "every saga can finish");
    let lab = orrery_core::registry::find("saga").expect("saga lab");
    let json = serde_json::to_value(check::scenario(&o, seed)).expect("scenario json");
    let mut run = (lab.create)(&json).expect("opens");
    run.advance_to(600_000);
    let (_, _, seen) = run.violation().expect("the same violation");
    assert_eq!(seen, v);
}

#[test]
fn a_reported_seed_reopens_as_the_same_run_through_the_registry() {
    let o = Options {
        idempotency: false,
        ..options("order", Mode::Orchestration, 50, 1)
    };
    let r = check::check(&o).expect("runs");
    let (seed, v) = r.violations.first().expect("a violation").clone();
    let lab = orrery_core::registry::find("saga").expect("saga lab");
    let json = serde_json::to_value(check::scenario(&o, seed)).expect("scenario json");
    let mut run = (lab.create)(&json).expect("opens");
    run.advance_to(600_000);
    let (_, _, seen) = run.violation().expect("the same violation");
    assert_eq!(seen, v);
}

/// Applies each completed saga's steps once to the initial pools: what the services' books
/// must show when every saga has finished.
fn oracle(lab: &SagaLab, s: &Scenario) -> Vec<i64> {
    let mut pools = vec![0i64; Pool::ALL.len()];
    pools[Pool::Stock.index()] = s.stock;
    pools[Pool::Funds.index()] = s.funds;
    pools[Pool::AccountA.index()] = s.funds;
    pools[Pool::Seats.index()] = s.seats;
    pools[Pool::Rooms.index()] = s.rooms;
    for info in lab.sagas().values() {
        if info.status != SagaStatus::Completed {
            continue;
        }
        for step in &lab.flow().steps {
            if let Effect::Move { from, to, amount } = step.action.effect() {
                let n = match amount {
                    orrery_core::saga::flow::Amount::Quantity => info.quantity as i64,
                    orrery_core::saga::flow::Amount::Price => info.price as i64,
                    orrery_core::saga::flow::Amount::One => 1,
                };
                pools[from.index()] -= n;
                pools[to.index()] += n;
            }
        }
    }
    pools
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, rng_seed: proptest::test_runner::RngSeed::Fixed(62674), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn final_balances_match_the_oracle(
        seed in 0u64..1_000_000,
        flow in 0usize..4,
        mode in 0usize..3,
        sagas in 1u32..6,
        every_ms in 50u64..3_000,
        drop_pct in 0u32..20,
        duplicate_pct in 0u32..30,
        jitter_ms in 0u64..300,
        chaos_pct in 0u32..60,
        stock in 0i64..12,
    ) {
        let mut s = check::scenario(&options(FLOWS[flow], MODES[mode], 1, seed), seed);
        s.sagas = sagas;
        s.every_ms = every_ms;
        s.bus.drop_pct = drop_pct;
        s.bus.duplicate_pct = duplicate_pct;
        s.bus.jitter_ms = jitter_ms;
        s.chaos_pct = chaos_pct;
        s.stock = stock;
        let mut lab = SagaLab::new(&s).expect("valid");
        let mut events = Vec::new();
        let horizon: Time = s.first_at_ms + sagas as Time * every_ms + s.stuck_after_ms + 1_000;
        lab.advance_to(horizon, &mut events);
        prop_assert_eq!(lab.check(), None);
        for info in lab.sagas().values() {
            prop_assert!(info.status.finished(), "saga {} is {:?}", info.id, info.status);
        }
        let want = oracle(&lab, &s);
        for p in Pool::ALL {
            prop_assert_eq!(lab.pool(p), want[p.index()], "pool {}", p.name());
        }
    }
}

/// A seeded fuzzer: random commands (crashes with and without a set recovery, recoveries,
/// bus changes, duplicated and dropped messages, injected faults, sagas started by hand)
/// applied at random times to runs of every mode, flow and isolation; with the outbox and
/// idempotent consumers on, no safety invariant ever breaks, and the books always balance.
#[test]
fn random_commands_never_break_safety_with_outbox_and_idempotency_on() {
    use orrery_core::rng::Rng;
    use orrery_core::saga::lab::{Command, Fault, FaultKind, Node};
    use orrery_core::saga::ServiceName;
    for seed in 0..120u64 {
        let mut rng = Rng::new(seed);
        let flow = FLOWS[rng.below(4) as usize];
        let mode = MODES[rng.below(3) as usize];
        let mut s = check::scenario(&options(flow, mode, 1, seed), seed);
        s.sagas = 1 + rng.below(6) as u32;
        s.every_ms = 100 + rng.below(2_000);
        s.chaos_pct = rng.below(40) as u32;
        s.stock = rng.below(10) as i64;
        let mut lab = SagaLab::new(&s).expect("valid");
        let steps: Vec<String> = lab.flow().steps.iter().map(|st| st.name.clone()).collect();
        let nodes = [
            Node::Orchestrator,
            Node::Service(ServiceName::Orders),
            Node::Service(ServiceName::Inventory),
            Node::Service(ServiceName::Payment),
            Node::Service(ServiceName::Flights),
            Node::Service(ServiceName::BankA),
        ];
        let mut events = Vec::new();
        let mut t: Time = 0;
        for _ in 0..40 {
            t += rng.below(1_500);
            lab.advance_to(t, &mut events);
            let node = nodes[rng.below(nodes.len() as u64) as usize];
            let step = steps[rng.below(steps.len() as u64) as usize].clone();
            let kind = match rng.below(6) {
                0 => FaultKind::Decline,
                1 => FaultKind::Transient {
                    times: 1 + rng.below(3) as u32,
                },
                2 => FaultKind::LoseReply,
                3 => FaultKind::Crash {
                    for_ms: 1 + rng.below(5_000),
                },
                4 => FaultKind::CrashAfterCommit {
                    for_ms: 1 + rng.below(5_000),
                },
                _ => FaultKind::CompensationFailure {
                    times: 1 + rng.below(3) as u32,
                },
            };
            let cmd = match rng.below(9) {
                0 => Command::Crash {
                    node,
                    for_ms: Some(1 + rng.below(8_000)),
                },
                1 => Command::Crash { node, for_ms: None },
                2 | 3 => Command::Recover { node },
                4 => Command::Bus {
                    drop_pct: Some(rng.below(30) as u32),
                    duplicate_pct: Some(rng.below(30) as u32),
                    jitter_ms: Some(rng.below(500)),
                    delay_ms: None,
                },
                5 => Command::DuplicateNext,
                6 => Command::DropNext,
                7 => Command::StartSaga,
                _ => Command::Inject {
                    fault: Fault {
                        saga: None,
                        step,
                        kind,
                    },
                },
            };
            let _ = lab.apply(&cmd, &mut events);
            assert_eq!(lab.safety_violation(), None, "seed {seed} after {cmd:?}");
        }
        // Bring everything back and let every saga finish.
        for node in nodes {
            let _ = lab.apply(&Command::Recover { node }, &mut events);
        }
        lab.advance_to(t + 600_000, &mut events);
        assert_eq!(lab.safety_violation(), None, "seed {seed}");
        let c = lab.check();
        assert!(
            c.as_ref()
                .is_none_or(|v| v.invariant == "every saga finishes"),
            "seed {seed}: {c:?}"
        );
        for info in lab.sagas().values() {
            if !info.stuck {
                assert!(
                    info.status.finished(),
                    "seed {seed}: saga {} {:?}",
                    info.id,
                    info.status
                );
            }
        }
        if lab.sagas().values().all(|i| i.status.finished()) {
            let want = oracle(&lab, &s);
            for p in Pool::ALL {
                assert_eq!(
                    lab.pool(p),
                    want[p.index()],
                    "seed {seed}: pool {}",
                    p.name()
                );
            }
        }
    }
}

#[test]
fn replayed_outcomes_recover_lost_publishes_without_an_outbox() {
    for mode in [Mode::Orchestration, Mode::Choreography] {
        let o = Options {
            outbox: false,
            replay_replies: true,
            ..options("order", mode, 500, 1)
        };
        let r = check::check(&o).expect("runs");
        assert!(
            r.stuck_seeds.is_empty(),
            "{mode:?}: stuck {:?}",
            r.stuck_seeds
        );
        // A service's lost reply or event is recovered by answering the redelivered message
        // with the recorded outcome. What is still lost is the orchestrator's own: a command
        // lost in its crash, or a retry its timers held, has nobody to redeliver it.
        for (seed, v) in &r.violations {
            assert!(
                v.invariant == "every saga can finish"
                    && v.detail.contains("the orchestrator crashed"),
                "{mode:?} seed {seed}: {v}"
            );
        }
        if mode == Mode::Choreography {
            assert!(r.violations.is_empty(), "{:?}", r.violations.first());
        }
    }
}
