//! Saga lab behaviour as event-log snapshots: the happy path, a declined payment compensated in
//! reverse over the completed steps only, a crash without an outbox that loses a saga (nothing
//! can move it any more: a liveness violation) against a saga visibly stuck on a node down for
//! good, the orchestrator's own outbox across a crash between its log write and the send, and
//! a duplicate without idempotency that charges twice.

use expect_test::{expect, Expect};
use orrery_core::run::Run;
use orrery_core::saga::lab::{SagaLab, Scenario};
use orrery_core::sim::Time;

/// One saga at 1 s on a bus without jitter, unless the scenario JSON says otherwise.
fn scenario(json: &str) -> Scenario {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("scenario JSON");
    let defaults = serde_json::json!({"sagas": 1, "bus": {"jitter_ms": 0}});
    for (k, d) in defaults.as_object().into_iter().flatten() {
        if v.get(k).is_none() {
            v[k] = d.clone();
        }
    }
    serde_json::from_value(v).expect("scenario")
}

/// Runs the scenario with `commands` (`(time_ms, command JSON)`) to `until` ms and compares
/// the log, followed by the first violation.
fn check(scenario_json: &str, commands: &[(Time, &str)], until: Time, expect: Expect) {
    let mut run: Run<SagaLab> = Run::new(scenario(scenario_json)).expect("valid scenario");
    for &(t, json) in commands {
        run.advance_to(t);
        let _ = run.apply(serde_json::from_str(json).expect("command JSON"));
    }
    run.advance_to(until);
    let mut text: String = run
        .log()
        .iter()
        .map(|e| e.line().trim_start().to_string() + "\n")
        .collect();
    if let Some((t, _, v)) = run.violation() {
        text.push_str(&format!("VIOLATION at {t}: {v}\n"));
    }
    expect.assert_eq(&text);
}

#[test]
fn happy_path() {
    check(
        r#"{}"#,
        &[],
        10_000,
        expect![[r#"
        1.000s saga 1 started: 3 items for 150
        1.000s #1 orchestrator → orders: create_order (saga 1)
        1.020s orders: committed create_order for saga 1 (order pending)
        1.070s orders: relay published 1 outbox row
        1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
        1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
        1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
        1.160s inventory: relay published 1 outbox row
        1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
        1.180s #5 orchestrator → payment: authorize_payment (saga 1)
        1.200s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
        1.250s payment: relay published 1 outbox row
        1.250s #6 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
        1.270s #7 orchestrator → inventory: create_shipment (saga 1)
        1.290s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
        1.340s inventory: relay published 1 outbox row
        1.340s #8 inventory → orchestrator: create_shipment: done (saga 1) [caused by #7]
        1.360s #9 orchestrator → orders: complete_order (saga 1)
        1.380s orders: committed complete_order for saga 1 (order completed)
        1.430s orders: relay published 1 outbox row
        1.430s #10 orders → orchestrator: complete_order: done (saga 1) [caused by #9]
        1.450s saga 1 completed after 0.450s
    "#]],
    );
}

#[test]
fn a_declined_payment_compensates_only_the_completed_steps_in_reverse() {
    check(
        r#"{"faults": [{"step": "authorize_payment", "kind": "decline"}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s #5 orchestrator → payment: authorize_payment (saga 1)
            1.200s payment: authorize_payment for saga 1 declined: declined (injected)
            1.250s payment: relay published 1 outbox row
            1.250s #6 payment → orchestrator: authorize_payment: declined (saga 1) [caused by #5]
            1.270s saga 1 compensates reserve_inventory, create_order
            1.270s #7 orchestrator → inventory: undo reserve_inventory (saga 1)
            1.290s inventory: committed undo reserve_inventory for saga 1 (reserved 0, stock 2000)
            1.340s inventory: relay published 1 outbox row
            1.340s #8 inventory → orchestrator: undo reserve_inventory: done (saga 1) [caused by #7]
            1.360s #9 orchestrator → orders: undo create_order (saga 1)
            1.380s orders: committed undo create_order for saga 1 (order cancelled)
            1.430s orders: relay published 1 outbox row
            1.430s #10 orders → orchestrator: undo create_order: done (saga 1) [caused by #9]
            1.450s saga 1 compensated after 0.450s
        "#]],
    );
}

#[test]
fn compensating_every_step_like_the_seed_code_refunds_what_was_never_taken() {
    // The seeds' orchestrator compensates every step whatever failed. With services that do
    // not track what they did (no idempotency records), undoing a step that never ran gives
    // money and stock that were never taken.
    check(
        r#"{"compensate": "all", "idempotency": false,
            "faults": [{"step": "reserve_inventory", "kind": "decline"}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: reserve_inventory for saga 1 declined: declined (injected)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: declined (saga 1) [caused by #3]
            1.180s saga 1 compensates create_shipment, authorize_payment, reserve_inventory, create_order
            1.180s #5 orchestrator → inventory: undo create_shipment (saga 1)
            1.200s inventory: committed undo create_shipment for saga 1 (shipped -3, reserved 3)
            1.250s inventory: relay published 1 outbox row
            1.250s #6 inventory → orchestrator: undo create_shipment: done (saga 1) [caused by #5]
            1.270s #7 orchestrator → payment: undo authorize_payment (saga 1)
            1.290s payment: committed undo authorize_payment for saga 1 (held -150, funds 1000150)
            1.340s payment: relay published 1 outbox row
            1.340s #8 payment → orchestrator: undo authorize_payment: done (saga 1) [caused by #7]
            1.360s #9 orchestrator → inventory: undo reserve_inventory (saga 1)
            1.380s inventory: committed undo reserve_inventory for saga 1 (reserved 0, stock 2003)
            1.430s inventory: relay published 1 outbox row
            1.430s #10 inventory → orchestrator: undo reserve_inventory: done (saga 1) [caused by #9]
            1.450s #11 orchestrator → orders: undo create_order (saga 1)
            1.470s orders: committed undo create_order for saga 1 (order cancelled)
            1.520s orders: relay published 1 outbox row
            1.520s #12 orders → orchestrator: undo create_order: done (saga 1) [caused by #11]
            1.540s saga 1 compensated after 0.540s
            VIOLATION at 1200: each step undone once: create_shipment undone more often than done for saga 1 (net -1)
        "#]],
    );
}

#[test]
fn a_crash_between_commit_and_publish_without_an_outbox_loses_the_saga() {
    check(
        r#"{"mode": "choreography", "outbox": false, "stuck_after_ms": 30000,
            "faults": [{"step": "reserve_inventory", "kind": {"crash_after_commit": {"for_ms": 2000}}}]}"#,
        &[],
        40_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 client → orders: saga 1 requested
            1.020s orders: committed create_order for saga 1 (order pending)
            1.020s #2 orders → inventory: create_order done (saga 1) [caused by #1]
            1.040s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.040s inventory: crashed after committing reserve_inventory for saga 1: the message was never published
            1.040s inventory crashed (down until 3.040s)
            1.040s saga 1 LOST: running at reserve_inventory: inventory committed reserve_inventory at 1.040s and crashed before publishing its event (no outbox); nothing in flight or scheduled can move it
            3.040s inventory recovered
            4.020s #2 not acknowledged: redelivering to inventory
            4.040s inventory: duplicate #2 (reserve_inventory, saga 1) absorbed
            VIOLATION at 1040: every saga can finish: saga 1 can never finish: running at reserve_inventory: inventory committed reserve_inventory at 1.040s and crashed before publishing its event (no outbox); nothing in flight or scheduled can move it
        "#]],
    );
}

#[test]
fn with_an_outbox_the_relay_publishes_after_the_crash() {
    check(
        r#"{"mode": "choreography", "outbox": true, "stuck_after_ms": 30000,
            "faults": [{"step": "reserve_inventory", "kind": {"crash_after_commit": {"for_ms": 2000}}}]}"#,
        &[],
        40_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 client → orders: saga 1 requested
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → inventory: create_order done (saga 1) [caused by #1]
            1.090s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.090s inventory crashed (down until 3.090s)
            3.090s inventory recovered
            3.140s inventory: relay published 1 outbox row
            3.140s #3 inventory → payment: reserve_inventory done (saga 1) [caused by #2]
            3.160s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            3.210s payment: relay published 1 outbox row
            3.210s #4 payment → inventory: authorize_payment done (saga 1) [caused by #3]
            3.230s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            3.280s inventory: relay published 1 outbox row
            3.280s #5 inventory → orders: create_shipment done (saga 1) [caused by #4]
            3.300s orders: committed complete_order for saga 1 (order completed)
            3.350s orders: relay published 1 outbox row
            3.350s #6 orders → client: complete_order done (saga 1) [caused by #5]
            3.370s saga 1 completed after 2.370s
            4.070s #2 not acknowledged: redelivering to inventory
            4.090s inventory: duplicate #2 (reserve_inventory, saga 1) absorbed
        "#]],
    );
}

#[test]
fn a_duplicate_without_idempotency_charges_twice() {
    check(
        r#"{"idempotency": false}"#,
        &[(1_170, r#""duplicate_next""#)],
        5_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.170s > "duplicate_next"
            1.170s the next message will be delivered twice
            1.180s #5 orchestrator → payment: authorize_payment (saga 1)
            1.200s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            1.200s payment: committed authorize_payment for saga 1 (funds 999700, held 300)
            1.250s payment: relay published 2 outbox rows
            1.250s #6 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
            1.250s #7 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
            1.270s #8 orchestrator → inventory: create_shipment (saga 1)
            1.270s orchestrator: late reply to authorize_payment of saga 1 ignored
            1.290s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            1.340s inventory: relay published 1 outbox row
            1.340s #9 inventory → orchestrator: create_shipment: done (saga 1) [caused by #8]
            1.360s #10 orchestrator → orders: complete_order (saga 1)
            1.380s orders: committed complete_order for saga 1 (order completed)
            1.430s orders: relay published 1 outbox row
            1.430s #11 orders → orchestrator: complete_order: done (saga 1) [caused by #10]
            1.450s saga 1 completed after 0.450s
            VIOLATION at 1200: nobody charged twice: authorize_payment applied 2 times for saga 1
        "#]],
    );
}

#[test]
fn a_lost_reply_is_retried_and_the_idempotent_service_absorbs_the_retry() {
    check(
        r#"{"faults": [{"step": "authorize_payment", "kind": "lose_reply"}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s #5 orchestrator → payment: authorize_payment (saga 1)
            1.200s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            1.250s payment: relay published 1 outbox row
            1.250s #6 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
            1.270s #6 to orchestrator lost in transit
            3.180s orchestrator: no reply to authorize_payment of saga 1 (attempt 1)
            3.430s #7 orchestrator → payment: authorize_payment (saga 1), attempt 2
            3.450s payment: duplicate #7 (authorize_payment, saga 1) absorbed
            4.250s #6 not acknowledged: redelivering to orchestrator
            4.270s #8 orchestrator → inventory: create_shipment (saga 1)
            4.290s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            4.340s inventory: relay published 1 outbox row
            4.340s #9 inventory → orchestrator: create_shipment: done (saga 1) [caused by #8]
            4.360s #10 orchestrator → orders: complete_order (saga 1)
            4.380s orders: committed complete_order for saga 1 (order completed)
            4.430s orders: relay published 1 outbox row
            4.430s #11 orders → orchestrator: complete_order: done (saga 1) [caused by #10]
            4.450s saga 1 completed after 3.450s
        "#]],
    );
}

#[test]
fn a_lost_reply_retried_against_a_service_without_idempotency_charges_twice() {
    check(
        r#"{"idempotency": false, "faults": [{"step": "authorize_payment", "kind": "lose_reply"}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s #5 orchestrator → payment: authorize_payment (saga 1)
            1.200s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            1.250s payment: relay published 1 outbox row
            1.250s #6 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
            1.270s #6 to orchestrator lost in transit
            3.180s orchestrator: no reply to authorize_payment of saga 1 (attempt 1)
            3.430s #7 orchestrator → payment: authorize_payment (saga 1), attempt 2
            3.450s payment: committed authorize_payment for saga 1 (funds 999700, held 300)
            3.500s payment: relay published 1 outbox row
            3.500s #8 payment → orchestrator: authorize_payment: done (saga 1), attempt 2 [caused by #7]
            3.520s #9 orchestrator → inventory: create_shipment (saga 1)
            3.540s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            3.590s inventory: relay published 1 outbox row
            3.590s #10 inventory → orchestrator: create_shipment: done (saga 1) [caused by #9]
            3.610s #11 orchestrator → orders: complete_order (saga 1)
            3.630s orders: committed complete_order for saga 1 (order completed)
            3.680s orders: relay published 1 outbox row
            3.680s #12 orders → orchestrator: complete_order: done (saga 1) [caused by #11]
            3.700s saga 1 completed after 2.700s
            4.250s #6 not acknowledged: redelivering to orchestrator
            4.270s orchestrator: late reply to authorize_payment of saga 1 ignored
            VIOLATION at 3450: nobody charged twice: authorize_payment applied 2 times for saga 1
        "#]],
    );
}

#[test]
fn the_orchestrator_recovers_from_its_log_and_resends_the_current_command() {
    check(
        r#"{}"#,
        &[(
            1_150,
            r#"{"crash": {"node": "orchestrator", "for_ms": 3000}}"#,
        )],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.150s > {"crash":{"node":"orchestrator","for_ms":3000}}
            1.150s orchestrator crashed (down until 4.150s)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s #4 not delivered: orchestrator is down
            4.150s orchestrator recovered, resumed 1 sagas from its log
            4.150s #5 orchestrator → inventory: reserve_inventory (saga 1)
            4.160s #4 not acknowledged: redelivering to orchestrator
            4.170s inventory: duplicate #5 (reserve_inventory, saga 1) absorbed
            4.180s #6 orchestrator → payment: authorize_payment (saga 1)
            4.200s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            4.250s payment: relay published 1 outbox row
            4.250s #7 payment → orchestrator: authorize_payment: done (saga 1) [caused by #6]
            4.270s #8 orchestrator → inventory: create_shipment (saga 1)
            4.290s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            4.340s inventory: relay published 1 outbox row
            4.340s #9 inventory → orchestrator: create_shipment: done (saga 1) [caused by #8]
            4.360s #10 orchestrator → orders: complete_order (saga 1)
            4.380s orders: committed complete_order for saga 1 (order completed)
            4.430s orders: relay published 1 outbox row
            4.430s #11 orders → orchestrator: complete_order: done (saga 1) [caused by #10]
            4.450s saga 1 completed after 3.450s
        "#]],
    );
}

#[test]
fn a_failing_compensation_is_retried_until_it_succeeds() {
    check(
        r#"{"faults": [{"step": "create_shipment", "kind": "decline"},
                       {"step": "reserve_inventory", "kind": {"compensation_failure": {"times": 2}}}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s #5 orchestrator → payment: authorize_payment (saga 1)
            1.200s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            1.250s payment: relay published 1 outbox row
            1.250s #6 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
            1.270s #7 orchestrator → inventory: create_shipment (saga 1)
            1.290s inventory: create_shipment for saga 1 declined: declined (injected)
            1.340s inventory: relay published 1 outbox row
            1.340s #8 inventory → orchestrator: create_shipment: declined (saga 1) [caused by #7]
            1.360s saga 1 compensates authorize_payment, reserve_inventory, create_order
            1.360s #9 orchestrator → payment: undo authorize_payment (saga 1)
            1.380s payment: committed undo authorize_payment for saga 1 (held 0, funds 1000000)
            1.430s payment: relay published 1 outbox row
            1.430s #10 payment → orchestrator: undo authorize_payment: done (saga 1) [caused by #9]
            1.450s #11 orchestrator → inventory: undo reserve_inventory (saga 1)
            1.470s inventory: undo reserve_inventory for saga 1 failed (transient)
            1.520s inventory: relay published 1 outbox row
            1.520s #12 inventory → orchestrator: undo reserve_inventory: failed (saga 1) [caused by #11]
            1.790s #13 orchestrator → inventory: undo reserve_inventory (saga 1), attempt 2
            1.810s inventory: undo reserve_inventory for saga 1 failed (transient)
            1.860s inventory: relay published 1 outbox row
            1.860s #14 inventory → orchestrator: undo reserve_inventory: failed (saga 1), attempt 2 [caused by #13]
            2.380s #15 orchestrator → inventory: undo reserve_inventory (saga 1), attempt 3
            2.400s inventory: committed undo reserve_inventory for saga 1 (reserved 0, stock 2000)
            2.450s inventory: relay published 1 outbox row
            2.450s #16 inventory → orchestrator: undo reserve_inventory: done (saga 1), attempt 3 [caused by #15]
            2.470s #17 orchestrator → orders: undo create_order (saga 1)
            2.490s orders: committed undo create_order for saga 1 (order cancelled)
            2.540s orders: relay published 1 outbox row
            2.540s #18 orders → orchestrator: undo create_order: done (saga 1) [caused by #17]
            2.560s saga 1 compensated after 1.560s
        "#]],
    );
}

#[test]
fn a_compensation_that_never_succeeds_is_a_rollback_incomplete() {
    check(
        r#"{"max_compensation_attempts": 3, "stuck_after_ms": 20000,
            "faults": [{"step": "authorize_payment", "kind": "decline"},
                       {"step": "reserve_inventory", "kind": {"compensation_failure": {"times": 100}}}]}"#,
        &[],
        25_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s #5 orchestrator → payment: authorize_payment (saga 1)
            1.200s payment: authorize_payment for saga 1 declined: declined (injected)
            1.250s payment: relay published 1 outbox row
            1.250s #6 payment → orchestrator: authorize_payment: declined (saga 1) [caused by #5]
            1.270s saga 1 compensates reserve_inventory, create_order
            1.270s #7 orchestrator → inventory: undo reserve_inventory (saga 1)
            1.290s inventory: undo reserve_inventory for saga 1 failed (transient)
            1.340s inventory: relay published 1 outbox row
            1.340s #8 inventory → orchestrator: undo reserve_inventory: failed (saga 1) [caused by #7]
            1.610s #9 orchestrator → inventory: undo reserve_inventory (saga 1), attempt 2
            1.630s inventory: undo reserve_inventory for saga 1 failed (transient)
            1.680s inventory: relay published 1 outbox row
            1.680s #10 inventory → orchestrator: undo reserve_inventory: failed (saga 1), attempt 2 [caused by #9]
            2.200s #11 orchestrator → inventory: undo reserve_inventory (saga 1), attempt 3
            2.220s inventory: undo reserve_inventory for saga 1 failed (transient)
            2.270s inventory: relay published 1 outbox row
            2.270s #12 inventory → orchestrator: undo reserve_inventory: failed (saga 1), attempt 3 [caused by #11]
            2.290s saga 1 rollback incomplete after 1.290s
            21.000s saga 1 STUCK: rollback incomplete after 20.000s, at undo reserve_inventory
            VIOLATION at 21000: every saga finishes: saga 1: rollback incomplete after 20.000s, at undo reserve_inventory
        "#]],
    );
}

#[test]
fn choreography_records_the_causal_chain() {
    check(
        r#"{"mode": "choreography", "flow": "travel",
            "faults": [{"step": "charge_payment", "kind": "decline"}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 client → flights: saga 1 requested
            1.020s flights: committed book_flight for saga 1 (seats 999, seats_sold 1)
            1.070s flights: relay published 1 outbox row
            1.070s #2 flights → hotels: book_flight done (saga 1) [caused by #1]
            1.090s hotels: committed book_hotel for saga 1 (rooms 999, rooms_sold 1)
            1.140s hotels: relay published 1 outbox row
            1.140s #3 hotels → payment: book_hotel done (saga 1) [caused by #2]
            1.160s payment: charge_payment for saga 1 declined: declined (injected)
            1.160s saga 1 compensates book_hotel, book_flight
            1.210s payment: relay published 1 outbox row
            1.210s #4 payment → hotels: charge_payment failed (saga 1) [caused by #3]
            1.230s hotels: committed undo book_hotel for saga 1 (rooms_sold 0, rooms 1000)
            1.280s hotels: relay published 1 outbox row
            1.280s #5 hotels → flights: book_hotel compensated (saga 1) [caused by #4]
            1.300s flights: committed undo book_flight for saga 1 (seats_sold 0, seats 1000)
            1.350s flights: relay published 1 outbox row
            1.350s #6 flights → client: book_flight compensated (saga 1) [caused by #5]
            1.370s saga 1 compensated after 0.370s
        "#]],
    );
}

#[test]
fn two_phase_commit_blocks_participants_holding_locks_while_the_coordinator_is_down() {
    check(
        r#"{"mode": "two_phase_commit", "flow": "bank_transfer", "stuck_after_ms": 20000,
            "faults": [{"step": "credit_b", "kind": {"coordinator_crash": {"for_ms": 30000}}}]}"#,
        &[],
        40_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → bank_a: prepare debit_a (saga 1)
            1.020s bank_a: prepared debit_a for saga 1 (account_a 999850, outgoing_a 150)
            1.020s bank_a: votes yes on debit_a of saga 1
            1.070s bank_a: relay published 1 outbox row
            1.070s #2 bank_a → orchestrator: vote debit_a: yes (saga 1) [caused by #1]
            1.090s #3 orchestrator → bank_b: prepare credit_b (saga 1)
            1.110s bank_b: prepared credit_b for saga 1 (clearing_b -150, account_b 150)
            1.110s bank_b: votes yes on credit_b of saga 1
            1.160s bank_b: relay published 1 outbox row
            1.160s #4 bank_b → orchestrator: vote credit_b: yes (saga 1) [caused by #3]
            1.180s orchestrator crashed (down until 31.180s)
            21.000s saga 1 STUCK: running after 20.000s, at credit_b; locks held by bank_a, bank_b
            31.180s orchestrator recovered, resumed 1 sagas from its log
            31.180s coordinator: saga 1 decided abort
            31.180s #5 orchestrator → bank_a: abort debit_a (saga 1)
            31.180s #6 orchestrator → bank_b: abort credit_b (saga 1)
            31.200s bank_a: rolled back debit_a for saga 1 (outgoing_a 0, account_a 1000000)
            31.200s bank_a: aborts debit_a of saga 1, lock released
            31.200s bank_b: rolled back credit_b for saga 1 (account_b 0, clearing_b 0)
            31.200s bank_b: aborts credit_b of saga 1, lock released
            31.250s bank_a: relay published 1 outbox row
            31.250s #7 bank_a → orchestrator: ack debit_a (saga 1) [caused by #5]
            31.250s bank_b: relay published 1 outbox row
            31.250s #8 bank_b → orchestrator: ack credit_b (saga 1) [caused by #6]
            31.270s saga 1 compensated after 30.270s
            VIOLATION at 21000: every saga finishes: saga 1: running after 20.000s, at credit_b; locks held by bank_a, bank_b
        "#]],
    );
}

#[test]
fn concurrent_sagas_without_isolation_read_dirty_stock_and_lose_an_update() {
    // Saga 1 reserves the last item and is then declined at payment; saga 2, 100 ms behind,
    // is declined for stock that saga 1 gives back (a dirty read). With three items, saga 1's
    // release restores the stock it read before saga 2 reserved (a lost update).
    check(
        r#"{"isolation": "none", "stock": 1, "max_quantity": 1, "sagas": 2, "every_ms": 100,
            "faults": [{"saga": 1, "step": "authorize_payment", "kind": "decline"}]}"#,
        &[],
        5_000,
        expect![[r#"
            1.000s saga 1 started: 1 item for 50
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.100s saga 2 started: 1 item for 50
            1.100s #4 orchestrator → orders: create_order (saga 2)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 0, reserved 1)
            1.120s orders: committed create_order for saga 2 (order pending)
            1.160s inventory: relay published 1 outbox row
            1.160s #5 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.170s orders: relay published 1 outbox row
            1.170s #6 orders → orchestrator: create_order: done (saga 2) [caused by #4]
            1.180s #7 orchestrator → payment: authorize_payment (saga 1)
            1.190s #8 orchestrator → inventory: reserve_inventory (saga 2)
            1.200s payment: authorize_payment for saga 1 declined: declined (injected)
            1.210s inventory: reserve_inventory for saga 2 declined: out of stock
            1.250s payment: relay published 1 outbox row
            1.250s #9 payment → orchestrator: authorize_payment: declined (saga 1) [caused by #7]
            1.260s inventory: relay published 1 outbox row
            1.260s #10 inventory → orchestrator: reserve_inventory: declined (saga 2) [caused by #8]
            1.270s saga 1 compensates reserve_inventory, create_order
            1.270s #11 orchestrator → inventory: undo reserve_inventory (saga 1)
            1.280s saga 2 compensates create_order
            1.280s #12 orchestrator → orders: undo create_order (saga 2)
            1.290s inventory: committed undo reserve_inventory for saga 1 (reserved 0, stock 1)
            1.290s dirty read: saga 2 was declined for stock that saga 1 held and has now released
            1.300s orders: committed undo create_order for saga 2 (order cancelled)
            1.340s inventory: relay published 1 outbox row
            1.340s #13 inventory → orchestrator: undo reserve_inventory: done (saga 1) [caused by #11]
            1.350s orders: relay published 1 outbox row
            1.350s #14 orders → orchestrator: undo create_order: done (saga 2) [caused by #12]
            1.360s #15 orchestrator → orders: undo create_order (saga 1)
            1.370s saga 2 compensated after 0.270s
            1.380s orders: committed undo create_order for saga 1 (order cancelled)
            1.430s orders: relay published 1 outbox row
            1.430s #16 orders → orchestrator: undo create_order: done (saga 1) [caused by #15]
            1.450s saga 1 compensated after 0.450s
        "#]],
    );
    check(
        r#"{"isolation": "none", "stock": 3, "max_quantity": 1, "sagas": 2, "every_ms": 100,
            "faults": [{"saga": 1, "step": "authorize_payment", "kind": "decline"}]}"#,
        &[],
        5_000,
        expect![[r#"
            1.000s saga 1 started: 1 item for 50
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.100s saga 2 started: 1 item for 50
            1.100s #4 orchestrator → orders: create_order (saga 2)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 2, reserved 1)
            1.120s orders: committed create_order for saga 2 (order pending)
            1.160s inventory: relay published 1 outbox row
            1.160s #5 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.170s orders: relay published 1 outbox row
            1.170s #6 orders → orchestrator: create_order: done (saga 2) [caused by #4]
            1.180s #7 orchestrator → payment: authorize_payment (saga 1)
            1.190s #8 orchestrator → inventory: reserve_inventory (saga 2)
            1.200s payment: authorize_payment for saga 1 declined: declined (injected)
            1.210s inventory: committed reserve_inventory for saga 2 (stock 1, reserved 2)
            1.250s payment: relay published 1 outbox row
            1.250s #9 payment → orchestrator: authorize_payment: declined (saga 1) [caused by #7]
            1.260s inventory: relay published 1 outbox row
            1.260s #10 inventory → orchestrator: reserve_inventory: done (saga 2) [caused by #8]
            1.270s saga 1 compensates reserve_inventory, create_order
            1.270s #11 orchestrator → inventory: undo reserve_inventory (saga 1)
            1.280s #12 orchestrator → payment: authorize_payment (saga 2)
            1.290s lost update: saga 1's release wrote back the stock it read before reserving, so 1 items reserved since are counted in stock too
            1.290s inventory: committed undo reserve_inventory for saga 1 (reserved 1, stock 3)
            1.300s payment: committed authorize_payment for saga 2 (funds 999950, held 50)
            1.340s inventory: relay published 1 outbox row
            1.340s #13 inventory → orchestrator: undo reserve_inventory: done (saga 1) [caused by #11]
            1.350s payment: relay published 1 outbox row
            1.350s #14 payment → orchestrator: authorize_payment: done (saga 2) [caused by #12]
            1.360s #15 orchestrator → orders: undo create_order (saga 1)
            1.370s #16 orchestrator → inventory: create_shipment (saga 2)
            1.380s orders: committed undo create_order for saga 1 (order cancelled)
            1.390s inventory: committed create_shipment for saga 2 (reserved 0, shipped 1)
            1.430s orders: relay published 1 outbox row
            1.430s #17 orders → orchestrator: undo create_order: done (saga 1) [caused by #15]
            1.440s inventory: relay published 1 outbox row
            1.440s #18 inventory → orchestrator: create_shipment: done (saga 2) [caused by #16]
            1.450s saga 1 compensated after 0.450s
            1.460s #19 orchestrator → orders: complete_order (saga 2)
            1.480s orders: committed complete_order for saga 2 (order completed)
            1.530s orders: relay published 1 outbox row
            1.530s #20 orders → orchestrator: complete_order: done (saga 2) [caused by #19]
            1.550s saga 2 completed after 0.450s
            VIOLATION at 1290: goods conserved: stock 3 + reserved 1 + shipped 0 sum to 4, not 3
        "#]],
    );
}

#[test]
fn a_semantic_lock_makes_the_second_saga_wait_for_the_first() {
    check(
        r#"{"isolation": "semantic_lock", "stock": 1, "max_quantity": 1, "sagas": 2, "every_ms": 100,
            "faults": [{"saga": 1, "step": "authorize_payment", "kind": "decline"}]}"#,
        &[],
        5_000,
        expect![[r#"
            1.000s saga 1 started: 1 item for 50
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.100s saga 2 started: 1 item for 50
            1.100s #4 orchestrator → orders: create_order (saga 2)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 0, reserved 1)
            1.120s orders: committed create_order for saga 2 (order pending)
            1.160s inventory: relay published 1 outbox row
            1.160s #5 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.170s orders: relay published 1 outbox row
            1.170s #6 orders → orchestrator: create_order: done (saga 2) [caused by #4]
            1.180s #7 orchestrator → payment: authorize_payment (saga 1)
            1.190s #8 orchestrator → inventory: reserve_inventory (saga 2)
            1.200s payment: authorize_payment for saga 1 declined: declined (injected)
            1.210s inventory: reserve_inventory for saga 2 waits: saga 1 holds a lock
            1.250s payment: relay published 1 outbox row
            1.250s #9 payment → orchestrator: authorize_payment: declined (saga 1) [caused by #7]
            1.260s inventory: relay published 1 outbox row
            1.260s #10 inventory → orchestrator: reserve_inventory: busy (saga 2) [caused by #8]
            1.270s saga 1 compensates reserve_inventory, create_order
            1.270s #11 orchestrator → inventory: undo reserve_inventory (saga 1)
            1.290s inventory: committed undo reserve_inventory for saga 1 (reserved 0, stock 1)
            1.340s inventory: relay published 1 outbox row
            1.340s #12 inventory → orchestrator: undo reserve_inventory: done (saga 1) [caused by #11]
            1.360s #13 orchestrator → orders: undo create_order (saga 1)
            1.380s orders: committed undo create_order for saga 1 (order cancelled)
            1.430s orders: relay published 1 outbox row
            1.430s #14 orders → orchestrator: undo create_order: done (saga 1) [caused by #13]
            1.450s saga 1 compensated after 0.450s
            1.530s #15 orchestrator → inventory: reserve_inventory (saga 2), attempt 2
            1.550s inventory: committed reserve_inventory for saga 2 (stock 0, reserved 1)
            1.600s inventory: relay published 1 outbox row
            1.600s #16 inventory → orchestrator: reserve_inventory: done (saga 2), attempt 2 [caused by #15]
            1.620s #17 orchestrator → payment: authorize_payment (saga 2)
            1.640s payment: committed authorize_payment for saga 2 (funds 999950, held 50)
            1.690s payment: relay published 1 outbox row
            1.690s #18 payment → orchestrator: authorize_payment: done (saga 2) [caused by #17]
            1.710s #19 orchestrator → inventory: create_shipment (saga 2)
            1.730s inventory: committed create_shipment for saga 2 (reserved 0, shipped 1)
            1.780s inventory: relay published 1 outbox row
            1.780s #20 inventory → orchestrator: create_shipment: done (saga 2) [caused by #19]
            1.800s #21 orchestrator → orders: complete_order (saga 2)
            1.820s orders: committed complete_order for saga 2 (order completed)
            1.870s orders: relay published 1 outbox row
            1.870s #22 orders → orchestrator: complete_order: done (saga 2) [caused by #21]
            1.890s saga 2 completed after 0.790s
        "#]],
    );
}

#[test]
fn bad_scenarios_and_commands_are_refused_with_a_reason() {
    let lab = orrery_core::registry::find("saga").expect("saga lab");
    for (json, field) in [
        (serde_json::json!({"flow": "nope"}), "flow"),
        (serde_json::json!({"flow": "custom"}), "custom_flow"),
        (serde_json::json!({"bus": {"drop_pct": 95}}), "bus.drop_pct"),
        (
            serde_json::json!({"faults": [{"step": "x", "kind": "decline"}]}),
            "faults[0]",
        ),
        (
            serde_json::json!({"flow": "custom", "custom_flow": {"name": "c", "steps": [
                {"name": "pay", "action": "charge", "kind": "pivot"},
                {"name": "book", "action": "book_flight", "compensation": "cancel_flight"}]}}),
            "cannot follow the pivot",
        ),
    ] {
        let err = (lab.create)(&json).err().unwrap_or_default();
        assert!(err.contains(field), "{json}: {err}");
    }
    check(
        r#"{"sagas": 0}"#,
        &[
            (100, r#"{"crash": {"node": "client"}}"#),
            (200, r#"{"recover": {"node": "payment"}}"#),
            (
                300,
                r#"{"inject": {"fault": {"step": "pay", "kind": "decline"}}}"#,
            ),
            (
                400,
                r#"{"inject": {"fault": {"step": "create_order", "kind": {"coordinator_crash": {"for_ms": 5}}}}}"#,
            ),
            (500, r#"{"bus": {"drop_pct": 99}}"#),
        ],
        600,
        expect![[r#"
            0.100s > {"crash":{"node":"client","for_ms":null}} refused: the client does not crash
            0.200s > {"recover":{"node":"payment"}} refused: payment is not down
            0.300s > {"inject":{"fault":{"saga":null,"step":"pay","kind":"decline"}}} refused: no step "pay" in flow order; steps: create_order, reserve_inventory, authorize_payment, create_shipment, complete_order
            0.400s > {"inject":{"fault":{"saga":null,"step":"create_order","kind":{"coordinator_crash":{"for_ms":5}}}}} refused: a coordinator crash after prepare needs mode two_phase_commit
            0.500s > {"bus":{"drop_pct":99,"duplicate_pct":null,"jitter_ms":null}} refused: drop_pct must be at most 90
        "#]],
    );
}

#[test]
fn a_custom_flow_from_the_scenario_runs() {
    check(
        r#"{"flow": "custom", "custom_flow": {"name": "trip", "steps": [
              {"name": "hotel", "action": "book_hotel", "compensation": "cancel_hotel"},
              {"name": "flight", "action": "book_flight", "compensation": "cancel_flight"},
              {"name": "pay", "action": "charge", "kind": "pivot"}]},
            "faults": [{"step": "pay", "kind": "decline"}]}"#,
        &[],
        5_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → hotels: hotel (saga 1)
            1.020s hotels: committed hotel for saga 1 (rooms 999, rooms_sold 1)
            1.070s hotels: relay published 1 outbox row
            1.070s #2 hotels → orchestrator: hotel: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → flights: flight (saga 1)
            1.110s flights: committed flight for saga 1 (seats 999, seats_sold 1)
            1.160s flights: relay published 1 outbox row
            1.160s #4 flights → orchestrator: flight: done (saga 1) [caused by #3]
            1.180s #5 orchestrator → payment: pay (saga 1)
            1.200s payment: pay for saga 1 declined: declined (injected)
            1.250s payment: relay published 1 outbox row
            1.250s #6 payment → orchestrator: pay: declined (saga 1) [caused by #5]
            1.270s saga 1 compensates flight, hotel
            1.270s #7 orchestrator → flights: undo flight (saga 1)
            1.290s flights: committed undo flight for saga 1 (seats_sold 0, seats 1000)
            1.340s flights: relay published 1 outbox row
            1.340s #8 flights → orchestrator: undo flight: done (saga 1) [caused by #7]
            1.360s #9 orchestrator → hotels: undo hotel (saga 1)
            1.380s hotels: committed undo hotel for saga 1 (rooms_sold 0, rooms 1000)
            1.430s hotels: relay published 1 outbox row
            1.430s #10 hotels → orchestrator: undo hotel: done (saga 1) [caused by #9]
            1.450s saga 1 compensated after 0.450s
        "#]],
    );
}

#[test]
fn replaying_the_recorded_outcome_to_a_redelivered_event_recovers_a_lost_publish() {
    // The same crash between commit and publish as above, without an outbox; the redelivered
    // triggering event is a duplicate, and the service answers it with the outcome it recorded
    // (001 Q81's idempotency-key store) instead of dropping it.
    check(
        r#"{"mode": "choreography", "outbox": false, "replay_replies": true, "stuck_after_ms": 30000,
            "faults": [{"step": "reserve_inventory", "kind": {"crash_after_commit": {"for_ms": 2000}}}]}"#,
        &[],
        40_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 client → orders: saga 1 requested
            1.020s orders: committed create_order for saga 1 (order pending)
            1.020s #2 orders → inventory: create_order done (saga 1) [caused by #1]
            1.040s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.040s inventory: crashed after committing reserve_inventory for saga 1: the message was never published
            1.040s inventory crashed (down until 3.040s)
            3.040s inventory recovered
            4.020s #2 not acknowledged: redelivering to inventory
            4.040s inventory: duplicate #2 (reserve_inventory, saga 1) absorbed, answered with the recorded outcome
            4.040s #3 inventory → payment: reserve_inventory done (saga 1) [caused by #2]
            4.060s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            4.060s #4 payment → inventory: authorize_payment done (saga 1) [caused by #3]
            4.080s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            4.080s #5 inventory → orders: create_shipment done (saga 1) [caused by #4]
            4.100s orders: committed complete_order for saga 1 (order completed)
            4.100s #6 orders → client: complete_order done (saga 1) [caused by #5]
            4.120s saga 1 completed after 3.120s
        "#]],
    );
}

#[test]
fn delivery_times_are_recorded_per_message_and_twice_for_a_duplicate() {
    let mut run: Run<SagaLab> = Run::new(scenario(r#"{"idempotency": false}"#)).expect("valid");
    run.advance_to(1_170);
    let _ = run.apply(serde_json::from_str(r#""duplicate_next""#).expect("command"));
    run.advance_to(1_185);
    let lab = run.sim();
    assert_eq!(
        lab.delivered_at(1),
        &[1_020],
        "the first command, 20 ms on the bus"
    );
    assert_eq!(lab.delivered_at(5), &[] as &[Time], "in flight");
    run.advance_to(5_000);
    let lab = run.sim();
    assert_eq!(
        lab.delivered_at(5),
        &[1_200, 1_200],
        "the duplicate arrives twice"
    );
    assert_eq!(lab.delivered_at(99), &[] as &[Time], "never sent");
}

#[test]
fn the_bus_delay_can_be_changed_during_a_run_and_is_bounded() {
    let command = |v: serde_json::Value| serde_json::from_value(v).expect("command JSON");
    let mut run: Run<SagaLab> = Run::new(scenario("{}")).expect("valid");
    assert!(run
        .apply(command(serde_json::json!({"bus": {"delay_ms": 60_001}})))
        .is_err());
    run.apply(command(serde_json::json!({"bus": {"delay_ms": 500}})))
        .expect("a delay of 500 ms");
    run.advance_to(3_000);
    let lab = run.sim();
    assert_eq!(lab.bus().delay_ms, 500);
    assert_eq!(
        lab.delivered_at(1),
        &[1_500],
        "the first command, 500 ms on the bus"
    );
    assert!(
        run.log().iter().any(|e| e
            .line()
            .ends_with("bus: drop 0%, duplicate 0%, jitter 0 ms, delay 500 ms")),
        "the setting is logged"
    );
}

#[test]
fn a_lost_reply_to_a_pivot_step_without_an_outbox_loses_the_saga_at_once() {
    // The pivot cannot be given up on, so the orchestrator retries for ever; the service
    // recorded the step and absorbs every retry without answering: the saga is lost the moment
    // the reply is, although timers keep firing.
    check(
        r#"{"outbox": false, "bus": {"jitter_ms": 0, "delay_ms": 20},
            "faults": [{"step": "complete_order", "kind": {"crash_after_commit": {"for_ms": 1000}}}]}"#,
        &[],
        6_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.020s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.040s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.060s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.060s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.080s #5 orchestrator → payment: authorize_payment (saga 1)
            1.100s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            1.100s #6 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
            1.120s #7 orchestrator → inventory: create_shipment (saga 1)
            1.140s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            1.140s #8 inventory → orchestrator: create_shipment: done (saga 1) [caused by #7]
            1.160s #9 orchestrator → orders: complete_order (saga 1)
            1.180s orders: committed complete_order for saga 1 (order completed)
            1.180s orders: crashed after committing complete_order for saga 1: the message was never published
            1.180s orders crashed (down until 2.180s)
            1.180s saga 1 LOST: running at complete_order: orders committed complete_order at 1.180s and crashed before publishing its reply (no outbox); nothing in flight or scheduled can move it
            2.180s orders recovered
            3.160s orchestrator: no reply to complete_order of saga 1 (attempt 1)
            3.410s #10 orchestrator → orders: complete_order (saga 1), attempt 2
            3.430s orders: duplicate #10 (complete_order, saga 1) absorbed
            4.160s #9 not acknowledged: redelivering to orders
            4.180s orders: duplicate #9 (complete_order, saga 1) absorbed
            5.410s orchestrator: no reply to complete_order of saga 1 (attempt 2)
            5.910s #11 orchestrator → orders: complete_order (saga 1), attempt 3
            5.930s orders: duplicate #11 (complete_order, saga 1) absorbed
            VIOLATION at 1180: every saga can finish: saga 1 can never finish: running at complete_order: orders committed complete_order at 1.180s and crashed before publishing its reply (no outbox); nothing in flight or scheduled can move it
        "#]],
    );
}

#[test]
fn a_lost_reply_to_a_compensatable_step_is_given_up_on_and_compensated() {
    // The same lost reply on a step the orchestrator may give up on: it compensates the step
    // (it committed), and the saga finishes; nothing is lost.
    check(
        r#"{"outbox": false, "timeout_ms": 500, "max_attempts": 2,
            "faults": [{"step": "reserve_inventory", "kind": {"crash_after_commit": {"for_ms": 300}}}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.020s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.040s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.060s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.060s inventory: crashed after committing reserve_inventory for saga 1: the message was never published
            1.060s inventory crashed (down until 1.360s)
            1.360s inventory recovered
            1.540s orchestrator: no reply to reserve_inventory of saga 1 (attempt 1)
            1.790s #4 orchestrator → inventory: reserve_inventory (saga 1), attempt 2
            1.810s inventory: duplicate #4 (reserve_inventory, saga 1) absorbed
            2.290s orchestrator: no reply to reserve_inventory of saga 1 (attempt 2)
            2.290s orchestrator: gave up on reserve_inventory of saga 1: outcome unknown, compensating it too
            2.290s saga 1 compensates reserve_inventory, create_order
            2.290s #5 orchestrator → inventory: undo reserve_inventory (saga 1)
            2.310s inventory: committed undo reserve_inventory for saga 1 (reserved 0, stock 2000)
            2.310s #6 inventory → orchestrator: undo reserve_inventory: done (saga 1) [caused by #5]
            2.330s #7 orchestrator → orders: undo create_order (saga 1)
            2.350s orders: committed undo create_order for saga 1 (order cancelled)
            2.350s #8 orders → orchestrator: undo create_order: done (saga 1) [caused by #7]
            2.370s saga 1 compensated after 1.370s
            4.040s #3 not acknowledged: redelivering to inventory
            4.060s inventory: duplicate #3 (reserve_inventory, saga 1) absorbed: the step was already compensated
        "#]],
    );
}

#[test]
fn a_saga_waiting_on_a_service_down_for_good_is_stuck_not_lost() {
    // Payment is down with no recovery planned: the saga waits on a person, visibly.
    check(
        r#"{"stuck_after_ms": 10000, "max_attempts": 2, "bus": {"jitter_ms": 0, "redeliver_ms": 60000}}"#,
        &[(500, r#"{"crash": {"node": "payment"}}"#)],
        12_000,
        expect![[r#"
            0.500s > {"crash":{"node":"payment","for_ms":null}}
            0.500s payment crashed
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s #5 orchestrator → payment: authorize_payment (saga 1)
            1.200s #5 not delivered: payment is down
            3.180s orchestrator: no reply to authorize_payment of saga 1 (attempt 1)
            3.430s #6 orchestrator → payment: authorize_payment (saga 1), attempt 2
            3.450s #6 not delivered: payment is down
            5.430s orchestrator: no reply to authorize_payment of saga 1 (attempt 2)
            5.430s orchestrator: gave up on authorize_payment of saga 1: outcome unknown, compensating it too
            5.430s saga 1 compensates authorize_payment, reserve_inventory, create_order
            5.430s #7 orchestrator → payment: undo authorize_payment (saga 1)
            5.450s #7 not delivered: payment is down
            7.430s orchestrator: no reply to undo authorize_payment of saga 1 (attempt 1)
            7.680s #8 orchestrator → payment: undo authorize_payment (saga 1), attempt 2
            7.700s #8 not delivered: payment is down
            9.680s orchestrator: no reply to undo authorize_payment of saga 1 (attempt 2)
            10.180s #9 orchestrator → payment: undo authorize_payment (saga 1), attempt 3
            10.200s #9 not delivered: payment is down
            11.000s saga 1 STUCK: compensating after 10.000s, at undo authorize_payment
            VIOLATION at 11000: every saga finishes: saga 1: compensating after 10.000s, at undo authorize_payment
        "#]],
    );
}

#[test]
fn with_its_outbox_a_crash_between_the_log_write_and_the_send_keeps_the_command() {
    check(
        r#"{"faults": [{"step": "authorize_payment", "kind": {"crash_before_send": {"for_ms": 2000}}}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.070s orders: relay published 1 outbox row
            1.070s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.090s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.110s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.160s inventory: relay published 1 outbox row
            1.160s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.180s orchestrator: crashed after logging authorize_payment for saga 1: the command waits in its outbox
            1.180s orchestrator crashed (down until 3.180s)
            3.180s orchestrator recovered, resumed 1 sagas from its log
            3.180s orchestrator: relay published 1 outbox row
            3.180s #5 orchestrator → payment: authorize_payment (saga 1)
            3.200s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            3.250s payment: relay published 1 outbox row
            3.250s #6 payment → orchestrator: authorize_payment: done (saga 1) [caused by #5]
            3.270s #7 orchestrator → inventory: create_shipment (saga 1)
            3.290s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            3.340s inventory: relay published 1 outbox row
            3.340s #8 inventory → orchestrator: create_shipment: done (saga 1) [caused by #7]
            3.360s #9 orchestrator → orders: complete_order (saga 1)
            3.380s orders: committed complete_order for saga 1 (order completed)
            3.430s orders: relay published 1 outbox row
            3.430s #10 orders → orchestrator: complete_order: done (saga 1) [caused by #9]
            3.450s saga 1 completed after 2.450s
        "#]],
    );
}

#[test]
fn without_its_outbox_a_crash_between_the_log_write_and_the_send_loses_the_command() {
    check(
        r#"{"outbox": false,
            "faults": [{"step": "authorize_payment", "kind": {"crash_before_send": {"for_ms": 2000}}}]}"#,
        &[],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.020s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.040s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.060s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            1.060s #4 inventory → orchestrator: reserve_inventory: done (saga 1) [caused by #3]
            1.080s orchestrator: crashed after logging authorize_payment for saga 1: the command was never sent
            1.080s orchestrator crashed (down until 3.080s)
            1.080s saga 1 LOST: running at authorize_payment: the orchestrator crashed at 1.080s, losing its timers, and without an outbox its recovery re-sends nothing; nothing in flight or scheduled can move it
            3.080s orchestrator recovered, resumed 1 sagas from its log
            3.080s orchestrator: saga 1 waits for the reply to authorize_payment (without an outbox its log cannot tell whether the command was sent)
            VIOLATION at 1080: every saga can finish: saga 1 can never finish: running at authorize_payment: the orchestrator crashed at 1.080s, losing its timers, and without an outbox its recovery re-sends nothing; nothing in flight or scheduled can move it
        "#]],
    );
}

#[test]
fn without_its_outbox_a_recovered_orchestrator_takes_a_late_transient_failure() {
    // The orchestrator crashes while a transient failure's reply is on its way; recovered
    // without an outbox it waits for that reply (of an attempt it no longer knows), retries,
    // and the saga completes: what was on the bus is not lost.
    check(
        r#"{"outbox": false,
            "faults": [{"step": "reserve_inventory", "kind": {"transient": {"times": 1}}}]}"#,
        &[(
            1_070,
            r#"{"crash": {"node": "orchestrator", "for_ms": 1000}}"#,
        )],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.020s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.040s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.060s inventory: reserve_inventory for saga 1 failed (transient)
            1.060s #4 inventory → orchestrator: reserve_inventory: failed (saga 1) [caused by #3]
            1.070s > {"crash":{"node":"orchestrator","for_ms":1000}}
            1.070s orchestrator crashed (down until 2.070s)
            1.080s #4 not delivered: orchestrator is down
            2.070s orchestrator recovered, resumed 1 sagas from its log
            2.070s orchestrator: saga 1 waits for the reply to reserve_inventory (without an outbox its log cannot tell whether the command was sent)
            4.060s #4 not acknowledged: redelivering to orchestrator
            4.330s #5 orchestrator → inventory: reserve_inventory (saga 1), attempt 2
            4.350s inventory: committed reserve_inventory for saga 1 (stock 1997, reserved 3)
            4.350s #6 inventory → orchestrator: reserve_inventory: done (saga 1), attempt 2 [caused by #5]
            4.370s #7 orchestrator → payment: authorize_payment (saga 1)
            4.390s payment: committed authorize_payment for saga 1 (funds 999850, held 150)
            4.390s #8 payment → orchestrator: authorize_payment: done (saga 1) [caused by #7]
            4.410s #9 orchestrator → inventory: create_shipment (saga 1)
            4.430s inventory: committed create_shipment for saga 1 (reserved 0, shipped 3)
            4.430s #10 inventory → orchestrator: create_shipment: done (saga 1) [caused by #9]
            4.450s #11 orchestrator → orders: complete_order (saga 1)
            4.470s orders: committed complete_order for saga 1 (order completed)
            4.470s #12 orders → orchestrator: complete_order: done (saga 1) [caused by #11]
            4.490s saga 1 completed after 3.490s
        "#]],
    );
}

#[test]
fn without_its_outbox_a_recovered_orchestrator_has_lost_the_retry_it_had_scheduled() {
    // The same crash just after the transient failure's reply arrived: the retry lived in a
    // timer, the timer in memory, and the recovered orchestrator re-sends nothing.
    check(
        r#"{"outbox": false,
            "faults": [{"step": "reserve_inventory", "kind": {"transient": {"times": 1}}}]}"#,
        &[(
            1_095,
            r#"{"crash": {"node": "orchestrator", "for_ms": 1000}}"#,
        )],
        10_000,
        expect![[r#"
            1.000s saga 1 started: 3 items for 150
            1.000s #1 orchestrator → orders: create_order (saga 1)
            1.020s orders: committed create_order for saga 1 (order pending)
            1.020s #2 orders → orchestrator: create_order: done (saga 1) [caused by #1]
            1.040s #3 orchestrator → inventory: reserve_inventory (saga 1)
            1.060s inventory: reserve_inventory for saga 1 failed (transient)
            1.060s #4 inventory → orchestrator: reserve_inventory: failed (saga 1) [caused by #3]
            1.095s > {"crash":{"node":"orchestrator","for_ms":1000}}
            1.095s orchestrator crashed (down until 2.095s)
            1.095s saga 1 LOST: running at reserve_inventory: the orchestrator crashed at 1.095s, losing its timers, and without an outbox its recovery re-sends nothing; nothing in flight or scheduled can move it
            2.095s orchestrator recovered, resumed 1 sagas from its log
            2.095s orchestrator: saga 1 waits for the reply to reserve_inventory (without an outbox its log cannot tell whether the command was sent)
            VIOLATION at 1095: every saga can finish: saga 1 can never finish: running at reserve_inventory: the orchestrator crashed at 1.095s, losing its timers, and without an outbox its recovery re-sends nothing; nothing in flight or scheduled can move it
        "#]],
    );
}
