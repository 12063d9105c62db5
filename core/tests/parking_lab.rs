//! Parking lab behaviour as event-log snapshots of tiny lots: two gates stepped by hand into the
//! race for the last spot under each concurrency control, a lease that expires between a read
//! and its write, buses, pre-bookings and no-shows, bills, payments retried with and without an
//! idempotency key, stuck sensors, the display anomaly and reconciliation.

use expect_test::{expect, Expect};
use orrery_core::parking::lab::{Control, Interleaving, ParkingLab, Scenario};
use orrery_core::parking::traffic::Traffic;
use orrery_core::run::Run;
use orrery_core::sim::Time;

/// A lot from a plan, two entry gates and one exit, stepped by hand, no background traffic,
/// payments that never fail.
fn tiny(plan: &[&str], control: Control) -> Scenario {
    Scenario {
        plan: vec![plan.iter().map(|r| r.to_string()).collect()],
        entry_gates: 2,
        exit_gates: 1,
        control,
        interleaving: Interleaving::Manual,
        drive_ms: 10_000,
        display_refresh_ms: 60_000,
        traffic: Traffic {
            peak_per_hour: 0,
            decline_permille: 0,
            timeout_permille: 0,
            ..Traffic::default()
        },
        ..Scenario::default()
    }
}

fn run_of(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> Run<ParkingLab> {
    Run::scripted(scenario, commands, until).expect("valid scenario and commands")
}

/// Runs `commands` (`(time_ms, command JSON)`) to `until` ms and compares the log, with the
/// first violation at the end.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    expect.assert_eq(&run_of(scenario, commands, until).transcript());
}

const CAR: &str = r#"{"arrive":{"kind":"car","stay_min":60}}"#;
const E1: &str = r#"{"step_gate":{"gate":"E1"}}"#;
const E2: &str = r#"{"step_gate":{"gate":"E2"}}"#;

/// The race: one free spot, two cars at two gates, E1 read, E2 read, E1 write, E2 write.
fn race(control: Control, expect: Expect) {
    check(
        tiny(&["c"], control),
        &[
            (0, CAR),
            (0, CAR),
            (1_000, E1),
            (2_000, E2),
            (3_000, E1),
            (4_000, E2),
        ],
        5_000,
        expect,
    );
}

#[test]
fn with_no_control_both_gates_hand_out_the_last_spot() {
    race(
        Control::None,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 reads for V2: 1A01 free
            3.000s > {"step_gate":{"gate":"E1"}}
            3.000s E1 writes 1A01 = V1; ticket T1
            3.000s ANOMALY: display L1 says 1 free but the table has none
            3.000s ANOMALY: display lobby says 1 free but the table has none
            4.000s > {"step_gate":{"gate":"E2"}}
            4.000s E2 writes 1A01 = V2; ticket T2
            4.000s DOUBLE ASSIGNMENT: 1A01 is given to V1 and V2
            VIOLATION at 4000: one vehicle per spot: 1A01 is assigned to 2 vehicles: E1 read it free for V1 at 1.000s, then E2 read it free for V2 at 2.000s, then E1 wrote V1 at 3.000s, then E2 wrote V2 at 4.000s
        "#]],
    );
}

#[test]
fn with_the_global_lock_the_second_gate_waits_then_finds_the_lot_full() {
    race(
        Control::Lock,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free (holding the lock)
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 waits for the lock (held by E1)
            3.000s > {"step_gate":{"gate":"E1"}}
            3.000s E1 writes 1A01 = V1; ticket T1
            3.000s ANOMALY: display L1 says 1 free but the table has none
            3.000s ANOMALY: display lobby says 1 free but the table has none
            4.000s > {"step_gate":{"gate":"E2"}}
            4.000s E2 turns V2 away: lot full
        "#]],
    );
}

#[test]
fn with_cas_the_second_write_fails_and_its_reread_finds_the_lot_full() {
    check(
        tiny(&["c"], Control::Cas),
        &[
            (0, CAR),
            (0, CAR),
            (1_000, E1),
            (2_000, E2),
            (3_000, E1),
            (4_000, E2),
            (5_000, E2),
        ],
        6_000,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free at version 0
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 reads for V2: 1A01 free at version 0
            3.000s > {"step_gate":{"gate":"E1"}}
            3.000s E1 writes 1A01 = V1; ticket T1
            3.000s ANOMALY: display L1 says 1 free but the table has none
            3.000s ANOMALY: display lobby says 1 free but the table has none
            4.000s > {"step_gate":{"gate":"E2"}}
            4.000s E2 write of 1A01 for V2 fails: CAS conflict on 1A01 (version 0 read, now 1); reads again
            5.000s > {"step_gate":{"gate":"E2"}}
            5.000s E2 turns V2 away: lot full
        "#]],
    );
}

#[test]
fn with_a_lease_the_second_gate_never_sees_the_leased_spot() {
    race(
        Control::Lease,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free, leased with token 1 until 6.000s
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 turns V2 away: lot full
            3.000s > {"step_gate":{"gate":"E1"}}
            3.000s E1 writes 1A01 = V1; ticket T1
            3.000s ANOMALY: display L1 says 1 free but the table has none
            3.000s ANOMALY: display lobby says 1 free but the table has none
            4.000s > {"step_gate":{"gate":"E2"}} refused: E2 has no vehicle to serve
        "#]],
    );
}

#[test]
fn with_skip_locked_the_second_gate_skips_the_locked_row() {
    race(
        Control::SkipLocked,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free, row locked (FOR UPDATE SKIP LOCKED)
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 turns V2 away: lot full
            3.000s > {"step_gate":{"gate":"E1"}}
            3.000s E1 writes 1A01 = V1; ticket T1
            3.000s ANOMALY: display L1 says 1 free but the table has none
            3.000s ANOMALY: display lobby says 1 free but the table has none
            4.000s > {"step_gate":{"gate":"E2"}} refused: E2 has no vehicle to serve
        "#]],
    );
}

#[test]
fn an_expired_lease_lets_another_gate_in_and_fences_off_the_stale_writer() {
    let mut s = tiny(&["c"], Control::Lease);
    s.lease_ms = 1_500;
    check(
        s,
        &[
            (0, CAR),
            (0, CAR),
            (1_000, E1),
            (3_000, E2),
            (4_000, E1),
            (5_000, E2),
            (6_000, E1),
        ],
        7_000,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free, leased with token 1 until 2.500s
            2.500s lease on 1A01 (token 1) expires
            3.000s > {"step_gate":{"gate":"E2"}}
            3.000s E2 reads for V2: 1A01 free, leased with token 2 until 4.500s
            4.000s > {"step_gate":{"gate":"E1"}}
            4.000s E1 write of 1A01 for V1 fails: fenced off on 1A01 (token 1 is stale, newest 2); reads again
            4.500s lease on 1A01 (token 2) expires
            5.000s > {"step_gate":{"gate":"E2"}}
            5.000s E2 writes 1A01 = V2; ticket T1
            5.000s ANOMALY: display L1 says 1 free but the table has none
            5.000s ANOMALY: display lobby says 1 free but the table has none
            6.000s > {"step_gate":{"gate":"E1"}}
            6.000s E1 turns V1 away: lot full
        "#]],
    );
}

#[test]
fn a_bus_takes_consecutive_large_spots_in_one_row() {
    let mut s = tiny(&["LcLL", "LLLc"], Control::Cas);
    s.bus_spots = 3;
    check(
        s,
        &[
            (0, r#"{"arrive":{"kind":"bus","stay_min":60}}"#),
            (0, r#"{"arrive":{"kind":"bus","stay_min":60}}"#),
            (1_000, E1),
            (1_000, E1),
            (2_000, E2),
            (20_000, r#"{"arrive":{"kind":"truck"}}"#),
            (21_000, E1),
            (22_000, E1),
        ],
        30_000,
        expect![[r#"
            0.000s > {"arrive":{"kind":"bus","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (bus) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"bus","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (bus) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1B01-1B03 free at version 0
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 writes 1B01-1B03 = V1; ticket T1
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 turns V2 away: no fitting spot
            11.000s V1 parks in 1B01-1B03
            20.000s > {"arrive":{"kind":"truck","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":0}}
            20.000s V3 (truck) queues at E1 (queue 0)
            21.000s > {"step_gate":{"gate":"E1"}}
            21.000s E1 reads for V3: 1A01 free at version 0
            22.000s > {"step_gate":{"gate":"E1"}}
            22.000s E1 writes 1A01 = V3; ticket T2
        "#]],
    );
}

#[test]
fn the_strategies_choose_different_spots_for_the_same_vehicles() {
    // Level 1: a large spot by the lift, two motorcycle spots, compact spots; level 2: compact.
    // A motorcycle is served first, then a car.
    for (strategy, expect) in [
        (
            "first_fit",
            expect![[r#"
            2.000s E1 writes 1A01 = V1; ticket T1
            4.000s E2 writes 1A04 = V2; ticket T2
        "#]],
        ),
        (
            "nearest",
            expect![[r#"
            2.000s E1 writes 1A01 = V1; ticket T1
            4.000s E2 writes 1B01 = V2; ticket T2
        "#]],
        ),
        (
            "spread",
            expect![[r#"
            2.000s E1 writes 1A01 = V1; ticket T1
            4.000s E2 writes 2A01 = V2; ticket T2
        "#]],
        ),
        (
            "best_fit",
            expect![[r#"
            2.000s E1 writes 1A02 = V1; ticket T1
            4.000s E2 writes 1A04 = V2; ticket T2
        "#]],
        ),
    ] {
        let s = Scenario {
            plan: vec![vec!["Lmmcc".into(), "ccccc".into()], vec!["ccccc".into()]],
            ..tiny(&[], Control::Cas)
        };
        let set = format!(r#"{{"set_strategy":{{"strategy":"{strategy}"}}}}"#);
        let run = run_of(
            s,
            &[
                (0, &set),
                (0, r#"{"arrive":{"kind":"motorcycle"}}"#),
                (0, CAR),
                (1_000, E1),
                (2_000, E1),
                (3_000, E2),
                (4_000, E2),
            ],
            5_000,
        );
        let writes: String = run
            .log()
            .iter()
            .map(|e| e.line())
            .filter(|l| l.contains("writes"))
            .map(|l| l.trim_start().to_string() + "\n")
            .collect();
        expect.assert_eq(&writes);
    }
}

#[test]
fn entitled_vehicles_get_their_special_spots_and_others_do_not() {
    check(
        tiny(&["heercL"], Control::Cas),
        &[
            (0, r#"{"arrive":{"kind":"car","ev":true}}"#),
            (0, r#"{"arrive":{"kind":"van","permit":true}}"#),
            (1_000, E1),
            (1_000, E2),
            (2_000, E1),
            (2_000, E2),
            (3_000, r#"{"arrive":{"kind":"car","subscriber":true}}"#),
            (3_000, r#"{"arrive":{"kind":"truck"}}"#),
            (4_000, E1),
            (4_000, E2),
            (5_000, E1),
            (5_000, E2),
        ],
        6_000,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":true,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":0}}
            0.000s V1 (car EV) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"van","ev":false,"permit":true,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":0}}
            0.000s V2 (van permit) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A02 free at version 0
            1.000s > {"step_gate":{"gate":"E2"}}
            1.000s E2 reads for V2: 1A01 free at version 0
            2.000s > {"step_gate":{"gate":"E1"}}
            2.000s E1 writes 1A02 = V1; ticket T1
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 writes 1A01 = V2; ticket T2
            3.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":true,"lost_ticket":false,"pay":"card","stay_min":0}}
            3.000s V3 (car subscriber) queues at E1 (queue 0)
            3.000s > {"arrive":{"kind":"truck","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":0}}
            3.000s V4 (truck) queues at E2 (queue 0)
            4.000s > {"step_gate":{"gate":"E1"}}
            4.000s E1 reads for V3: 1A04 free at version 0
            4.000s > {"step_gate":{"gate":"E2"}}
            4.000s E2 reads for V4: 1A06 free at version 0
            5.000s > {"step_gate":{"gate":"E1"}}
            5.000s E1 writes 1A04 = V3; ticket T3
            5.000s > {"step_gate":{"gate":"E2"}}
            5.000s E2 writes 1A06 = V4; ticket T4
        "#]],
    );
}

#[test]
fn a_prebooked_car_finds_its_spot_held_and_a_no_show_releases_it() {
    let mut s = tiny(&["cc"], Control::Cas);
    s.hold_min = 5;
    check(
        s,
        &[
            (
                0,
                r#"{"prebook":{"vehicle":{"kind":"car"},"arrive_in_min":1,"show":true}}"#,
            ),
            (
                0,
                r#"{"prebook":{"vehicle":{"kind":"car"},"arrive_in_min":1,"show":false}}"#,
            ),
            (30_000, CAR),
            (31_000, E1),
            (61_000, E1),
            (62_000, E1),
        ],
        400_000,
        expect![[r#"
            0.000s > {"prebook":{"vehicle":{"kind":"car","ev":false,"permit":false,"subscriber":false},"arrive_in_min":1,"show":true}}
            0.000s R1 holds 1A01 for V1 until 360.000s
            0.000s > {"prebook":{"vehicle":{"kind":"car","ev":false,"permit":false,"subscriber":false},"arrive_in_min":1,"show":false}}
            0.000s R2 holds 1A02 for V2 until 360.000s
            0.000s ANOMALY: display L1 says 2 free but the table has none
            0.000s ANOMALY: display lobby says 2 free but the table has none
            30.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            30.000s V3 (car) queues at E1 (queue 0)
            31.000s > {"step_gate":{"gate":"E1"}}
            31.000s E1 turns V3 away: lot full
            60.000s V1 (car) queues at E1 (queue 0)
            61.000s > {"step_gate":{"gate":"E1"}}
            61.000s E1 reads for V1: 1A01 free (held by R1)
            62.000s > {"step_gate":{"gate":"E1"}}
            62.000s E1 writes 1A01 = V1; ticket T1
            72.000s V1 parks in 1A01
            120.000s display L1 shows 1 free
            120.000s display lobby shows 1 free
            360.000s R2 hold on 1A02 expires: no-show
        "#]],
    );
}

#[test]
fn bills_at_the_exit_carry_their_lines_and_payments_are_taken_once() {
    let x1 = r#"{"step_gate":{"gate":"X1"}}"#;
    check(
        tiny(&["cL"], Control::Cas),
        &[
            (
                0,
                r#"{"arrive":{"kind":"van","stay_min":190,"pay":"card"}}"#,
            ),
            (
                0,
                r#"{"arrive":{"kind":"car","stay_min":1,"lost_ticket":true,"pay":"cash"}}"#,
            ),
            (1_000, E1),
            (1_000, E2),
            (2_000, E1),
            (2_000, E2),
            (400_000, x1),
            (401_000, x1),
            (402_000, x1),
            (12_000_000, x1),
            (12_001_000, x1),
            (12_002_000, x1),
        ],
        12_003_000,
        expect![[r#"
            0.000s > {"arrive":{"kind":"van","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":190}}
            0.000s V1 (van) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":true,"pay":"cash","stay_min":1}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A02 free at version 0
            1.000s > {"step_gate":{"gate":"E2"}}
            1.000s E2 reads for V2: 1A01 free at version 0
            2.000s > {"step_gate":{"gate":"E1"}}
            2.000s E1 writes 1A02 = V1; ticket T1
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 writes 1A01 = V2; ticket T2
            2.000s ANOMALY: display L1 says 2 free but the table has none
            2.000s ANOMALY: display lobby says 2 free but the table has none
            12.000s V1 parks in 1A02
            12.000s V2 parks in 1A01
            60.000s display L1 shows 0 free
            60.000s display lobby shows 0 free
            72.000s V2 drives out to X1 (queue 0)
            120.000s display L1 shows 1 free
            120.000s display lobby shows 1 free
            120.000s ANOMALY: display L1 says 1 free but the table has none
            120.000s ANOMALY: display lobby says 1 free but the table has none
            400.000s > {"step_gate":{"gate":"X1"}}
            400.000s X1 V2 lost ticket T2; bill 25.00 = lost ticket (flat fee): 25.00
            401.000s > {"step_gate":{"gate":"X1"}}
            401.000s X1 V2 pays 25.00 by cash (key T2): approved
            402.000s > {"step_gate":{"gate":"X1"}}
            402.000s X1 opens for V2; 1A01 free
            11412.000s V1 drives out to X1 (queue 0)
            11460.000s display L1 shows 2 free
            11460.000s display lobby shows 2 free
            12000.000s > {"step_gate":{"gate":"X1"}}
            12000.000s X1 scans T1 of V1: bill 11.25 = first hour: 3.00 + 3 more hour(s) × 2.00: 6.00 + van rate ×1.25: 2.25
            12001.000s > {"step_gate":{"gate":"X1"}}
            12001.000s X1 V1 pays 11.25 by card (key T1): approved
            12002.000s > {"step_gate":{"gate":"X1"}}
            12002.000s X1 opens for V1; 1A02 free
        "#]],
    );
}

/// Card payments that time out after the charge half the time.
fn flaky(idempotency: bool) -> Scenario {
    let mut s = tiny(&["c"], Control::Cas);
    s.idempotency = idempotency;
    // The seed whose first two card payments time out and whose third is approved.
    s.seed = 18;
    s.traffic.timeout_permille = 500;
    s
}

fn pay_until_gone(s: Scenario, expect: Expect) {
    let x1 = r#"{"step_gate":{"gate":"X1"}}"#;
    let mut cmds = vec![
        (0, r#"{"arrive":{"kind":"car","stay_min":30,"pay":"card"}}"#),
        (1_000, E1),
        (2_000, E1),
    ];
    for i in 0..8 {
        cmds.push((1_900_000 + i * 1_000, x1));
    }
    check(s, &cmds, 2_000_000, expect);
}

#[test]
fn a_retry_after_a_timeout_carries_the_idempotency_key_and_is_not_charged_again() {
    pay_until_gone(
        flaky(true),
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":30}}
            0.000s V1 (car) queues at E1 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free at version 0
            2.000s > {"step_gate":{"gate":"E1"}}
            2.000s E1 writes 1A01 = V1; ticket T1
            2.000s ANOMALY: display L1 says 1 free but the table has none
            2.000s ANOMALY: display lobby says 1 free but the table has none
            12.000s V1 parks in 1A01
            60.000s display L1 shows 0 free
            60.000s display lobby shows 0 free
            1812.000s V1 drives out to X1 (queue 0)
            1860.000s display L1 shows 1 free
            1860.000s display lobby shows 1 free
            1860.000s ANOMALY: display L1 says 1 free but the table has none
            1860.000s ANOMALY: display lobby says 1 free but the table has none
            1900.000s > {"step_gate":{"gate":"X1"}}
            1900.000s X1 scans T1 of V1: bill 3.00 = first hour: 3.00
            1901.000s > {"step_gate":{"gate":"X1"}}
            1901.000s X1 V1 pays 3.00 by card (key T1): timed out after the charge, retry
            1902.000s > {"step_gate":{"gate":"X1"}}
            1902.000s X1 V1 pays 3.00 by card (key T1): timed out after the charge, retry
            1903.000s > {"step_gate":{"gate":"X1"}}
            1903.000s X1 V1 pays 3.00 by card (key T1): already charged under this key, no second charge
            1904.000s > {"step_gate":{"gate":"X1"}}
            1904.000s X1 opens for V1; 1A01 free
            1905.000s > {"step_gate":{"gate":"X1"}} refused: X1 has no vehicle to serve
            1906.000s > {"step_gate":{"gate":"X1"}} refused: X1 has no vehicle to serve
            1907.000s > {"step_gate":{"gate":"X1"}} refused: X1 has no vehicle to serve
        "#]],
    );
}

#[test]
fn without_the_idempotency_key_a_retry_after_a_timeout_charges_twice() {
    pay_until_gone(
        flaky(false),
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":30}}
            0.000s V1 (car) queues at E1 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free at version 0
            2.000s > {"step_gate":{"gate":"E1"}}
            2.000s E1 writes 1A01 = V1; ticket T1
            2.000s ANOMALY: display L1 says 1 free but the table has none
            2.000s ANOMALY: display lobby says 1 free but the table has none
            12.000s V1 parks in 1A01
            60.000s display L1 shows 0 free
            60.000s display lobby shows 0 free
            1812.000s V1 drives out to X1 (queue 0)
            1860.000s display L1 shows 1 free
            1860.000s display lobby shows 1 free
            1860.000s ANOMALY: display L1 says 1 free but the table has none
            1860.000s ANOMALY: display lobby says 1 free but the table has none
            1900.000s > {"step_gate":{"gate":"X1"}}
            1900.000s X1 scans T1 of V1: bill 3.00 = first hour: 3.00
            1901.000s > {"step_gate":{"gate":"X1"}}
            1901.000s X1 V1 pays 3.00 by card (key T1): timed out after the charge, retry
            1902.000s > {"step_gate":{"gate":"X1"}}
            1902.000s X1 V1 pays 3.00 by card (key T1): timed out after the charge, retry
            1903.000s > {"step_gate":{"gate":"X1"}}
            1903.000s X1 V1 pays 3.00 by card (key T1): approved
            1904.000s > {"step_gate":{"gate":"X1"}}
            1904.000s X1 opens for V1; 1A01 free
            1905.000s > {"step_gate":{"gate":"X1"}} refused: X1 has no vehicle to serve
            1906.000s > {"step_gate":{"gate":"X1"}} refused: X1 has no vehicle to serve
            1907.000s > {"step_gate":{"gate":"X1"}} refused: X1 has no vehicle to serve
            VIOLATION at 1904000: every exit paid exactly once: V1 left through X1 with ticket T1 charged 3 times
        "#]],
    );
}

#[test]
fn a_stuck_free_sensor_makes_a_display_say_free_while_the_lot_is_full() {
    check(
        tiny(&["cc"], Control::Cas),
        &[
            (
                0,
                r#"{"sensor_fault":{"spot":"1A02","fault":"stuck_free"}}"#,
            ),
            (0, CAR),
            (0, CAR),
            (1_000, E1),
            (1_000, E2),
            (2_000, E1),
            (2_000, E2),
            (3_000, E2),
            (4_000, E2),
            (130_000, "\"reconcile\""),
            (140_000, r#"{"override":{"spot":"1A02"}}"#),
            (141_000, r#"{"override":{"spot":"1A02"}}"#),
        ],
        200_000,
        expect![[r#"
            0.000s > {"sensor_fault":{"spot":"1A02","fault":"stuck_free"}}
            0.000s sensor of 1A02 fails: stuck free
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free at version 0
            1.000s > {"step_gate":{"gate":"E2"}}
            1.000s E2 reads for V2: 1A01 free at version 0
            2.000s > {"step_gate":{"gate":"E1"}}
            2.000s E1 writes 1A01 = V1; ticket T1
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 write of 1A01 for V2 fails: CAS conflict on 1A01 (version 0 read, now 1); reads again
            3.000s > {"step_gate":{"gate":"E2"}}
            3.000s E2 reads for V2: 1A02 free at version 0
            4.000s > {"step_gate":{"gate":"E2"}}
            4.000s E2 writes 1A02 = V2; ticket T2
            4.000s ANOMALY: display L1 says 2 free but the table has none
            4.000s ANOMALY: display lobby says 2 free but the table has none
            12.000s V1 parks in 1A01
            14.000s V2 parks in 1A02
            60.000s display L1 shows 1 free
            60.000s display lobby shows 1 free
            130.000s > "reconcile"
            130.000s reconcile: 1A02 sensor free table occupied (sensor fault)
            130.000s reconciliation: 1 spots disagree, 1 sensors flagged for the attendant
            140.000s > {"override":{"spot":"1A02"}}
            140.000s attendant checks 1A02 and repairs its sensor
            141.000s > {"override":{"spot":"1A02"}} refused: the sensor of 1A02 works
            180.000s display L1 shows 0 free
            180.000s display lobby shows 0 free
        "#]],
    );
}

#[test]
fn commands_out_of_place_are_refused_with_a_reason() {
    let mut seeded = tiny(&["c"], Control::Cas);
    seeded.interleaving = Interleaving::Seeded;
    check(
        seeded,
        &[(0, E1)],
        0,
        expect![[r#"
            0.000s > {"step_gate":{"gate":"E1"}} refused: gates step on their own under the seeded interleaving; choose manual to step them by hand
        "#]],
    );
    check(
        tiny(&["c"], Control::Cas),
        &[
            (0, E1),
            (0, r#"{"step_gate":{"gate":"E9"}}"#),
            (0, CAR),
            (0, E1),
            (0, r#"{"set_control":{"control":"none"}}"#),
            (
                0,
                r#"{"sensor_fault":{"spot":"7Q01","fault":"stuck_free"}}"#,
            ),
            (0, r#"{"override":{"spot":"1A01"}}"#),
            (0, r#"{"arrive":{"kind":"car","stay_min":99999}}"#),
        ],
        0,
        expect![[r#"
            0.000s > {"step_gate":{"gate":"E1"}} refused: E1 has no vehicle to serve
            0.000s > {"step_gate":{"gate":"E9"}} refused: no gate "E9"; gates: E1, E2, X1
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"step_gate":{"gate":"E1"}}
            0.000s E1 reads for V1: 1A01 free at version 0
            0.000s > {"set_control":{"control":"none"}} refused: E1 is between its read and its write; change the control when no gate is
            0.000s > {"sensor_fault":{"spot":"7Q01","fault":"stuck_free"}} refused: no spot "7Q01"; spots are named like 1A01
            0.000s > {"override":{"spot":"1A01"}} refused: the sensor of 1A01 works
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":99999}} refused: stay_min must be at most 10080 (a week), not 99999
        "#]],
    );
}

#[test]
fn bad_scenarios_are_refused_with_the_field_named() {
    use orrery_core::sim::Simulation;
    for (json, field) in [
        (r#"{"levels":0}"#, "levels"),
        (r#"{"entry_gates":0}"#, "entry_gates"),
        (r#"{"plan":[["cQc"]]}"#, "plan"),
        (r#"{"step_min_ms":5000,"step_max_ms":10}"#, "step_min_ms"),
        (r#"{"spot_mix":{"large":900,"ev":200}}"#, "spot_mix"),
        (r#"{"traffic":{"start_hour":24}}"#, "start_hour"),
        (r#"{"tariff":{"surge":[[2000,1000]]}}"#, "surge"),
        (r#"{"bus_spots":0}"#, "bus_spots"),
    ] {
        let s: Scenario = serde_json::from_str(json).expect("parses");
        let err = ParkingLab::new(&s).err().unwrap_or_default();
        assert!(err.contains(field), "{json}: {err}");
    }
}

#[test]
fn the_view_shows_each_gates_next_step_and_the_doubly_assigned_spot() {
    let run = run_of(
        tiny(&["c"], Control::None),
        &[(0, CAR), (0, CAR), (1_000, E1), (2_000, E2)],
        2_500,
    );
    let v = run.sim().view();
    let steps: Vec<(String, String)> = v
        .gates
        .iter()
        .map(|g| (g.name.clone(), g.next_step.clone()))
        .collect();
    expect![[r#"
        [
            (
                "E1",
                "write 1A01 for V1",
            ),
            (
                "E2",
                "write 1A01 for V2",
            ),
            (
                "X1",
                "idle",
            ),
        ]
    "#]]
    .assert_debug_eq(&steps);
    let run = run_of(
        tiny(&["c"], Control::None),
        &[
            (0, CAR),
            (0, CAR),
            (1_000, E1),
            (2_000, E2),
            (3_000, E1),
            (4_000, E2),
        ],
        4_500,
    );
    let v = run.sim().view();
    assert_eq!(v.spots[0].holders, vec![1, 2]);
    assert_eq!(v.free_in_table, vec![0]);
    assert_eq!(v.displays[0], ("L1".to_string(), 1, true));
    assert!(v
        .violation
        .is_some_and(|x| x.invariant == "one vehicle per spot"));
}

#[test]
fn spots_are_found_by_their_names_and_only_by_them() {
    use orrery_core::parking::lot::{Lot, Strategy};
    let plan = vec![
        vec!["ccc".to_string(), "L".to_string()],
        vec!["mmmmmmmmmmmm".to_string()],
    ];
    let lot = Lot::from_plan(&plan, Strategy::FirstFit).expect("plan");
    for i in 0..lot.spots.len() as u32 {
        assert_eq!(lot.by_name(&lot.name(i)), Some(i), "{}", lot.name(i));
    }
    for bad in [
        "", "1", "A01", "1A", "1A1", "1A04", "1C01", "3A01", "0A01", "1a01", "2A13", "1B00",
    ] {
        assert_eq!(lot.by_name(bad), None, "{bad}");
    }
}

#[test]
fn an_ev_past_its_charging_limit_pays_the_idle_fee_and_a_stadium_sends_everyone_out() {
    let mut s = tiny(&["ec"], Control::Lock);
    s.tariff.ev_limit_min = 60;
    let x1 = r#"{"step_gate":{"gate":"X1"}}"#;
    check(
        s,
        &[
            (0, r#"{"arrive":{"kind":"car","ev":true,"stay_min":600}}"#),
            (0, r#"{"arrive":{"kind":"car","stay_min":600}}"#),
            (1_000, E1),
            (2_000, E2),
            (3_000, E1),
            (4_000, E2),
            (5_000, E2),
            (6_000, E2),
            (9_000_000, r#"{"special_event":{"exits":5,"arrivals":0}}"#),
            (9_001_000, x1),
            (9_002_000, x1),
            (9_003_000, x1),
            (9_004_000, x1),
            (9_005_000, x1),
            (9_006_000, x1),
        ],
        9_010_000,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":true,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":600}}
            0.000s V1 (car EV) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":600}}
            0.000s V2 (car) queues at E2 (queue 0)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free (holding the lock)
            2.000s > {"step_gate":{"gate":"E2"}}
            2.000s E2 waits for the lock (held by E1)
            3.000s > {"step_gate":{"gate":"E1"}}
            3.000s E1 writes 1A01 = V1; ticket T1
            4.000s > {"step_gate":{"gate":"E2"}}
            4.000s E2 reads for V2: 1A02 free (holding the lock)
            5.000s > {"step_gate":{"gate":"E2"}}
            5.000s E2 writes 1A02 = V2; ticket T2
            5.000s ANOMALY: display L1 says 2 free but the table has none
            5.000s ANOMALY: display lobby says 2 free but the table has none
            6.000s > {"step_gate":{"gate":"E2"}} refused: E2 has no vehicle to serve
            13.000s V1 parks in 1A01
            15.000s V2 parks in 1A02
            60.000s display L1 shows 0 free
            60.000s display lobby shows 0 free
            3613.000s V1 on charger 1A01 passes the charging time limit
            9000.000s > {"special_event":{"exits":5,"arrivals":0}}
            9000.000s special event: 5 vehicles leave now, 0 arrive
            9000.000s V1 drives out to X1 (queue 0)
            9000.000s V2 drives out to X1 (queue 1)
            9001.000s > {"step_gate":{"gate":"X1"}}
            9001.000s X1 scans T1 of V1: bill 17.00 = first hour: 3.00 + 2 more hour(s) × 2.00: 4.00 + charger idle fee, 2 hour(s) past the limit: 10.00
            9002.000s > {"step_gate":{"gate":"X1"}}
            9002.000s X1 V1 pays 17.00 by card (key T1): approved
            9003.000s > {"step_gate":{"gate":"X1"}}
            9003.000s X1 opens for V1; 1A01 free
            9004.000s > {"step_gate":{"gate":"X1"}}
            9004.000s X1 scans T2 of V2: bill 7.00 = first hour: 3.00 + 2 more hour(s) × 2.00: 4.00
            9005.000s > {"step_gate":{"gate":"X1"}}
            9005.000s X1 V2 pays 7.00 by card (key T2): approved
            9006.000s > {"step_gate":{"gate":"X1"}}
            9006.000s X1 opens for V2; 1A02 free
        "#]],
    );
}

#[test]
fn the_view_names_each_gates_phase_for_the_page() {
    use orrery_core::parking::lab::GatePhase;
    let phases = |control: Control, steps: &[(Time, &str)]| {
        let mut commands = vec![(0, CAR), (0, CAR)];
        commands.extend_from_slice(steps);
        let run = run_of(tiny(&["c"], control), &commands, 5_000);
        let v = run.sim().view();
        v.gates
            .iter()
            .map(|g| (g.name.clone(), g.phase, g.holds_lock, g.retries))
            .collect::<Vec<_>>()
    };
    // No control: after E1's read, E1 writes next and E2 reads.
    assert_eq!(
        phases(Control::None, &[(1_000, E1)]),
        vec![
            ("E1".into(), GatePhase::Write, false, 0),
            ("E2".into(), GatePhase::Read, false, 0),
            ("X1".into(), GatePhase::Idle, false, 0),
        ]
    );
    // The global lock: E1 holds it between its read and its write, so E2 waits.
    assert_eq!(
        phases(Control::Lock, &[(1_000, E1)]),
        vec![
            ("E1".into(), GatePhase::Write, true, 0),
            ("E2".into(), GatePhase::Waiting, false, 0),
            ("X1".into(), GatePhase::Idle, false, 0),
        ]
    );
    // CAS: E2's write fails on the version E1's write bumped; its next read is a retry.
    assert_eq!(
        phases(
            Control::Cas,
            &[(1_000, E1), (2_000, E2), (3_000, E1), (4_000, E2)]
        ),
        vec![
            ("E1".into(), GatePhase::Idle, false, 0),
            ("E2".into(), GatePhase::Retry, false, 1),
            ("X1".into(), GatePhase::Idle, false, 0),
        ]
    );
}

#[test]
fn the_double_assignment_report_follows_the_order_of_steps_taken_in_one_millisecond() {
    let run = run_of(
        tiny(&["c"], Control::None),
        &[(0, CAR), (0, CAR), (0, E2), (0, E1), (0, E2), (0, E1)],
        1_000,
    );
    let (_, _, v) = run.violation().expect("a double assignment");
    expect![[r#"one vehicle per spot: 1A01 is assigned to 2 vehicles: E2 read it free for V2 at 0.000s, then E1 read it free for V1 at 0.000s, then E2 wrote V2 at 0.000s, then E1 wrote V1 at 0.000s"#]]
    .assert_eq(&v.to_string());
}

#[test]
fn level_stats_and_stats_count_the_table_and_the_counters() {
    use orrery_core::parking::lot::SpotType;
    let run = run_of(
        tiny(&["cc", "eL"], Control::Cas),
        &[(0, CAR), (1_000, E1), (2_000, E1)],
        3_000,
    );
    let lab = run.sim();
    let levels = lab.level_stats();
    assert_eq!(levels.len(), 1);
    let l = &levels[0];
    assert_eq!(l.size[SpotType::Compact.index()], 2);
    assert_eq!(l.size[SpotType::Ev.index()], 1);
    assert_eq!(l.size[SpotType::Large.index()], 1);
    assert_eq!(
        l.free[SpotType::Compact.index()],
        1,
        "the car took a compact spot"
    );
    assert_eq!(l.free[SpotType::Large.index()], 1);
    assert_eq!(l.sensor_faults, 0);
    let s = lab.stats();
    assert_eq!((s.spots, s.assigned, s.claimed), (4, 1, 0));
    assert_eq!((s.arrivals, s.tickets, s.double_assignments), (1, 1, 0));
    assert_eq!(s.entry_wait.count, 1);
    assert_eq!(s.entry_wait.p50, 2_000, "queued at 0, written at 2 s");
    assert!(s.utilisation_bp > 0);
    // The view for a page leaves the spots out of lots larger than it draws.
    assert_eq!(lab.view().spots.len(), 4);
    assert!(lab.view_limited(3).spots.is_empty());
    assert_eq!(lab.view_limited(4), lab.view());
    let occupant = lab.view().spots.iter().find_map(|s| s.occupant);
    assert_eq!(occupant.map(|p| p.kind.name()), Some("car"));
}

#[test]
fn dynamic_pricing_bills_the_surge_of_the_occupancy_at_entry() {
    // Four spots, a surge of ×1.5 from half full: V1 enters an empty lot, V2 a quarter-full one,
    // V3 a half-full one, so only V3's bill carries the busy-lot line.
    let mut s = tiny(&["cccc"], Control::Cas);
    s.tariff.surge = vec![(500, 1500)];
    const X1: &str = r#"{"step_gate":{"gate":"X1"}}"#;
    let mut commands = vec![
        (0, CAR),
        (0, CAR),
        (0, CAR),
        (1_000, E1),
        (2_000, E1),
        (3_000, E2),
        (4_000, E2),
        (5_000, E1),
    ];
    let before = run_of(s.clone(), &commands, 5_500);
    let stats = before.sim().stats();
    assert_eq!(
        (stats.occupancy_permille, stats.surge),
        (500, Some((500, 1500))),
        "with two of four spots taken, a ticket issued now pays the surge"
    );
    commands.push((6_000, E1));
    for k in 0..9 {
        commands.push((3_620_000 + k * 1_000, X1));
    }
    check(
        s,
        &commands,
        3_630_000,
        expect![[r#"
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V1 (car) queues at E1 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V2 (car) queues at E2 (queue 0)
            0.000s > {"arrive":{"kind":"car","ev":false,"permit":false,"subscriber":false,"lost_ticket":false,"pay":"card","stay_min":60}}
            0.000s V3 (car) queues at E1 (queue 1)
            1.000s > {"step_gate":{"gate":"E1"}}
            1.000s E1 reads for V1: 1A01 free at version 0
            2.000s > {"step_gate":{"gate":"E1"}}
            2.000s E1 writes 1A01 = V1; ticket T1
            3.000s > {"step_gate":{"gate":"E2"}}
            3.000s E2 reads for V2: 1A02 free at version 0
            4.000s > {"step_gate":{"gate":"E2"}}
            4.000s E2 writes 1A02 = V2; ticket T2
            5.000s > {"step_gate":{"gate":"E1"}}
            5.000s E1 reads for V3: 1A03 free at version 0
            6.000s > {"step_gate":{"gate":"E1"}}
            6.000s E1 writes 1A03 = V3; ticket T3
            12.000s V1 parks in 1A01
            14.000s V2 parks in 1A02
            16.000s V3 parks in 1A03
            60.000s display L1 shows 1 free
            60.000s display lobby shows 1 free
            3612.000s V1 drives out to X1 (queue 0)
            3614.000s V2 drives out to X1 (queue 1)
            3616.000s V3 drives out to X1 (queue 2)
            3620.000s > {"step_gate":{"gate":"X1"}}
            3620.000s X1 scans T1 of V1: bill 5.00 = first hour: 3.00 + 1 more hour(s) × 2.00: 2.00
            3621.000s > {"step_gate":{"gate":"X1"}}
            3621.000s X1 V1 pays 5.00 by card (key T1): approved
            3622.000s > {"step_gate":{"gate":"X1"}}
            3622.000s X1 opens for V1; 1A01 free
            3623.000s > {"step_gate":{"gate":"X1"}}
            3623.000s X1 scans T2 of V2: bill 5.00 = first hour: 3.00 + 1 more hour(s) × 2.00: 2.00
            3624.000s > {"step_gate":{"gate":"X1"}}
            3624.000s X1 V2 pays 5.00 by card (key T2): approved
            3625.000s > {"step_gate":{"gate":"X1"}}
            3625.000s X1 opens for V2; 1A02 free
            3626.000s > {"step_gate":{"gate":"X1"}}
            3626.000s X1 scans T3 of V3: bill 7.50 = first hour: 3.00 + 1 more hour(s) × 2.00: 2.00 + busy lot at entry (50% ≥ 50%) ×1.5: 2.50
            3627.000s > {"step_gate":{"gate":"X1"}}
            3627.000s X1 V3 pays 7.50 by card (key T3): approved
            3628.000s > {"step_gate":{"gate":"X1"}}
            3628.000s X1 opens for V3; 1A03 free
        "#]],
    );
}
