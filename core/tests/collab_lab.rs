//! Collaborative editing lab behaviour: event-log snapshots through one `check` (concurrent
//! typing at one place, offline edits, duplicated and reordered CRDT messages, OT transform
//! steps, undo after others edited, refusals), and seeded fuzzers over whole lab runs.

use expect_test::{expect, Expect};
use orrery_core::collab::lab::{CollabLab, Command, Engine, Latency, Scenario, TypistKind};
use orrery_core::rng::Rng;
use orrery_core::run::Run;
use orrery_core::sim::{Simulation, Time};

/// Two clients, nobody typing on their own, a fixed 100 ms latency, no duplicates, and no
/// CRDT presence (these logs predate it; `collab_presence.rs` has its own).
fn quiet(clients: u32) -> Scenario {
    Scenario {
        clients,
        typists: 0,
        latency: Latency::Fixed,
        latency_ms: 100,
        jitter_ms: 0,
        duplicate_permille: 0,
        crdt_presence: false,
        ..Scenario::default()
    }
}

fn run_of(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> (Run<CollabLab>, String) {
    let mut run: Run<CollabLab> = Run::new(scenario).expect("valid scenario");
    let mut refusals = String::new();
    for &(t, json) in commands {
        run.advance_to(t);
        let cmd: Command = serde_json::from_str(json).expect("command JSON");
        if let Err(r) = run.apply(cmd) {
            refusals.push_str(&format!("refused at {t}: {r}\n"));
        }
    }
    run.advance_to(until);
    (run, refusals)
}

/// Runs `commands` (`(time_ms, command JSON)`) to `until` ms and compares the log (without
/// the command lines), refusals, each client's texts in both engines and any violation.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    let (run, refusals) = run_of(scenario, commands, until);
    let mut text: String = run
        .log()
        .iter()
        .map(|e| e.line())
        .filter(|l| !l.contains(" > "))
        .map(|l| l.trim_start().to_string() + "\n")
        .collect();
    text.push_str(&refusals);
    let lab = run.sim();
    for c in 0..lab.clients() {
        text.push_str(&format!(
            "c{c}: crdt {:?} caret {}, ot {:?} caret {}\n",
            lab.text(Engine::Crdt, c),
            lab.crdt_caret(c),
            lab.text(Engine::Ot, c),
            lab.ot_caret(c),
        ));
    }
    if let Some((t, _, v)) = run.violation() {
        text.push_str(&format!("VIOLATION at {t}: {v}\n"));
    }
    expect.assert_eq(&text);
}

#[test]
fn two_clients_typing_at_one_place_converge_in_both_engines() {
    check(
        quiet(2),
        &[
            (0, r#"{"type": {"client": 0, "text": "abc"}}"#),
            (0, r#"{"type": {"client": 1, "text": "xyz"}}"#),
        ],
        1_000,
        expect![[r#"
            0.000s c0 types "abc" at crdt 0, ot 0
            0.000s #1 c0->c1 sent: ins 0@0 "abc" after - before -
            0.000s ot c0 edit ["abc"], sent
            0.000s #2 c0->server sent: op on r0: ["abc"]
            0.000s c1 types "xyz" at crdt 0, ot 0 (concurrent)
            0.000s #3 c1->c0 sent: ins 1@0 "xyz" after - before -
            0.000s ot c1 edit ["xyz"], sent
            0.000s #4 c1->server sent: op on r0: ["xyz"]
            0.100s #1 c0->c1 delivered: applied
            0.100s #2 c0->server delivered: in order
            0.100s ot server r1 from c0: ["abc"]
            0.100s #5 server->c0 sent: ack r1
            0.100s #6 server->c1 sent: r1 by c0: ["abc"]
            0.100s #3 c1->c0 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 6 chars everywhere
            0.100s #4 c1->server delivered: in order
            0.100s ot transform server: incoming ["xyz"] against r1 ["abc"] (right) -> [3,"xyz"]
            0.100s ot server r2 from c1: [3,"xyz"]
            0.100s #7 server->c0 sent: r2 by c1: [3,"xyz"]
            0.100s #8 server->c1 sent: ack r2
            0.200s #5 server->c0 delivered: in order
            0.200s ot c0 ack r1, synchronized
            0.200s #9 c0->server sent: caret on r1: 3..3
            0.200s #6 server->c1 delivered: in order
            0.200s ot transform client 1: pending ["xyz"] against remote r1 ["abc"] (right) -> [3,"xyz"]
            0.200s ot transform client 1: remote ["abc"] against pending ["xyz"] (left) -> ["abc"]
            0.200s ot c1 applies r1 as ["abc"]
            0.200s #7 server->c0 delivered: in order
            0.200s ot c0 applies r2 as [3,"xyz"]
            0.200s #8 server->c1 delivered: in order
            0.200s ot c1 ack r2, synchronized
            0.200s #10 c1->server sent: caret on r2: 6..6
            0.200s ot converged 200 ms after the last edit: 6 chars everywhere
            0.200s crdt and ot agree: the same 6 chars
            0.300s #9 c0->server delivered: in order
            0.300s ot server forwards c0's caret at r2: 3..3
            0.300s #11 server->c1 sent: c0's caret on r2: 3..3
            0.300s #10 c1->server delivered: in order
            0.300s ot server forwards c1's caret at r2: 6..6
            0.300s #12 server->c0 sent: c1's caret on r2: 6..6
            0.400s #11 server->c1 delivered: in order
            0.400s ot c1 shows c0's caret at 3..3
            0.400s #12 server->c0 delivered: in order
            0.400s ot c0 shows c1's caret at 6..6
            c0: crdt "abcxyz" caret 3, ot "abcxyz" caret 3
            c1: crdt "abcxyz" caret 6, ot "abcxyz" caret 6
        "#]],
    );
}

#[test]
fn offline_edits_sync_on_reconnect() {
    check(
        quiet(2),
        &[
            (0, r#"{"type": {"client": 0, "text": "shared"}}"#),
            (1_000, r#"{"offline": {"client": 1, "on": true}}"#),
            (1_100, r#"{"type": {"client": 1, "text": "!"}}"#),
            (1_200, r#"{"type": {"client": 1, "text": "?"}}"#),
            (1_300, r#"{"select": {"client": 0, "pos": 0}}"#),
            (1_400, r#"{"type": {"client": 0, "text": ">"}}"#),
            (5_000, r#"{"offline": {"client": 1, "on": false}}"#),
        ],
        6_000,
        expect![[r#"
            0.000s c0 types "shared" at crdt 0, ot 0
            0.000s #1 c0->c1 sent: ins 0@0 "shared" after - before -
            0.000s ot c0 edit ["shared"], sent
            0.000s #2 c0->server sent: op on r0: ["shared"]
            0.100s #1 c0->c1 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 6 chars everywhere
            0.100s #2 c0->server delivered: in order
            0.100s ot server r1 from c0: ["shared"]
            0.100s #3 server->c0 sent: ack r1
            0.100s #4 server->c1 sent: r1 by c0: ["shared"]
            0.200s #3 server->c0 delivered: in order
            0.200s ot c0 ack r1, synchronized
            0.200s #5 c0->server sent: caret on r1: 6..6
            0.200s #4 server->c1 delivered: in order
            0.200s ot c1 applies r1 as ["shared"]
            0.200s ot converged 200 ms after the last edit: 6 chars everywhere
            0.200s crdt and ot agree: the same 6 chars
            0.300s #5 c0->server delivered: in order
            0.300s ot server forwards c0's caret at r1: 6..6
            0.300s #6 server->c1 sent: c0's caret on r1: 6..6
            0.400s #6 server->c1 delivered: in order
            0.400s ot c1 shows c0's caret at 6..6
            1.000s c1 goes offline
            1.100s c1 types "!" at crdt 0, ot 0
            1.100s #7 c1->c0 sent: ins 1@0 "!" after - before 0@0
            1.100s ot c1 edit ["!"], sent
            1.100s #8 c1->server sent: op on r1: ["!"]
            1.200s c1 types "?" at crdt 1, ot 1
            1.200s #9 c1->c0 sent: ins 1@1 "?" after 1@0 before 0@0
            1.200s ot c1 edit [1,"?"], held
            1.300s c0 moves the caret to 0
            1.300s #10 c0->server sent: caret on r1: 0..0
            1.400s #10 c0->server delivered: in order
            1.400s ot server forwards c0's caret at r1: 0..0
            1.400s #11 server->c1 sent: c0's caret on r1: 0..0
            1.400s c0 types ">" at crdt 0, ot 0 (concurrent)
            1.400s #12 c0->c1 sent: ins 0@6 ">" after - before 0@0
            1.400s ot c0 edit [">"], sent
            1.400s #13 c0->server sent: op on r1: [">"]
            1.500s #13 c0->server delivered: in order
            1.500s ot server r2 from c0: [">"]
            1.500s #14 server->c0 sent: ack r2
            1.500s #15 server->c1 sent: r2 by c0: [">"]
            1.600s #14 server->c0 delivered: in order
            1.600s ot c0 ack r2, synchronized
            1.600s #16 c0->server sent: caret on r2: 1..1
            1.700s #16 c0->server delivered: in order
            1.700s ot server forwards c0's caret at r2: 1..1
            1.700s #17 server->c1 sent: c0's caret on r2: 1..1
            5.000s c1 is back online
            5.100s #7 c1->c0 delivered: applied
            5.100s #8 c1->server delivered: in order
            5.100s ot transform server: incoming ["!"] against r2 [">"] (right) -> [1,"!"]
            5.100s ot server r3 from c1: [1,"!"]
            5.100s #18 server->c0 sent: r3 by c1: [1,"!"]
            5.100s #19 server->c1 sent: ack r3
            5.100s #9 c1->c0 delivered: applied
            5.100s #11 server->c1 delivered: in order
            5.100s ot c1 shows c0's caret at 0..0
            5.100s #12 c0->c1 delivered: applied
            5.100s crdt converged 3700 ms after the last edit: 9 chars everywhere
            5.100s #15 server->c1 delivered: in order
            5.100s ot transform client 1: pending ["!"] against remote r2 [">"] (right) -> [1,"!"]
            5.100s ot transform client 1: remote [">"] against pending ["!"] (left) -> [">"]
            5.100s ot transform client 1: buffer [1,"?"] against remote r2 [">"] (right) -> [2,"?"]
            5.100s ot transform client 1: remote [">"] against buffer [1,"?"] (left) -> [">"]
            5.100s ot c1 applies r2 as [">"]
            5.100s #17 server->c1 delivered: in order
            5.100s ot c1 shows c0's caret at 1..1
            5.200s #18 server->c0 delivered: in order
            5.200s ot c0 applies r3 as [1,"!"]
            5.200s #19 server->c1 delivered: in order
            5.200s ot c1 ack r3, sends its buffer [2,"?"]
            5.200s #20 c1->server sent: op on r3: [2,"?"]
            5.300s #20 c1->server delivered: in order
            5.300s ot server r4 from c1: [2,"?"]
            5.300s #21 server->c0 sent: r4 by c1: [2,"?"]
            5.300s #22 server->c1 sent: ack r4
            5.400s #21 server->c0 delivered: in order
            5.400s ot c0 applies r4 as [2,"?"]
            5.400s #22 server->c1 delivered: in order
            5.400s ot c1 ack r4, synchronized
            5.400s #23 c1->server sent: caret on r4: 3..3
            5.400s ot converged 4000 ms after the last edit: 9 chars everywhere
            5.400s crdt and ot agree: the same 9 chars
            5.500s #23 c1->server delivered: in order
            5.500s ot server forwards c1's caret at r4: 3..3
            5.500s #24 server->c0 sent: c1's caret on r4: 3..3
            5.600s #24 server->c0 delivered: in order
            5.600s ot c0 shows c1's caret at 3..3
            c0: crdt ">!?shared" caret 1, ot ">!?shared" caret 1
            c1: crdt ">!?shared" caret 3, ot ">!?shared" caret 3
        "#]],
    );
}

#[test]
fn duplicated_and_reordered_crdt_messages_are_harmless() {
    check(
        Scenario {
            auto_deliver: false,
            duplicate_permille: 400,
            ..quiet(2)
        },
        &[
            (0, r#"{"type": {"client": 0, "text": "a"}}"#),
            (10, r#"{"type": {"client": 0, "text": "b"}}"#),
            (20, r#"{"backspace": {"client": 0, "count": 2}}"#),
            (30, r#"{"type": {"client": 0, "text": "c"}}"#),
            // Delivered newest first: each waits for what it names, then all apply.
            (100, r#"{"deliver": {"id": 8}}"#),
            (110, r#"{"deliver": {"id": 6}}"#),
            (120, r#"{"deliver": {"id": 4}}"#),
            (130, r#"{"deliver": {"id": 1}}"#),
            // The network's copies: recognised by their ids.
            (140, r#"{"deliver": {"id": 2}}"#),
            (140, r#"{"deliver": {"id": 7}}"#),
            (150, r#"{"auto": {"on": true}}"#),
        ],
        2_000,
        expect![[r#"
            0.000s c0 types "a" at crdt 0, ot 0
            0.000s #1 c0->c1 sent: ins 0@0 "a" after - before -
            0.000s #1 duplicated by the network as #2
            0.000s ot c0 edit ["a"], sent
            0.000s #3 c0->server sent: op on r0: ["a"]
            0.010s c0 types "b" at crdt 1, ot 1
            0.010s #4 c0->c1 sent: ins 0@1 "b" after 0@0 before -
            0.010s #4 duplicated by the network as #5
            0.010s ot c0 edit [1,"b"], held
            0.020s c0 erases 2 at crdt 0, 2 at ot 0
            0.020s #6 c0->c1 sent: del 0@2 of 0@0+2
            0.020s #6 duplicated by the network as #7
            0.020s ot c0 edit [{"d":2}], held
            0.030s c0 types "c" at crdt 0, ot 0
            0.030s #8 c0->c1 sent: ins 0@4 "c" after - before 0@0
            0.030s #8 duplicated by the network as #9
            0.030s ot c0 edit ["c"], held
            0.100s #8 c0->c1 delivered: buffered, waiting for 0@0
            0.110s #6 c0->c1 delivered: buffered, waiting for 0@0
            0.120s #4 c0->c1 delivered: buffered, waiting for 0@0
            0.130s #1 c0->c1 delivered: applied, and 3 buffered ops it unblocked
            0.130s crdt converged 100 ms after the last edit: 1 chars everywhere
            0.140s #2 c0->c1 delivered: duplicate, ignored
            0.140s #7 c0->c1 delivered: duplicate, ignored
            0.150s automatic delivery on
            0.250s #3 c0->server delivered: in order
            0.250s ot server r1 from c0: ["a"]
            0.250s #10 server->c0 sent: ack r1
            0.250s #11 server->c1 sent: r1 by c0: ["a"]
            0.250s #5 c0->c1 delivered: duplicate, ignored
            0.250s #9 c0->c1 delivered: duplicate, ignored
            0.350s #10 server->c0 delivered: in order
            0.350s ot c0 ack r1, sends its buffer ["c",{"d":1}]
            0.350s #12 c0->server sent: op on r1: ["c",{"d":1}]
            0.350s #11 server->c1 delivered: in order
            0.350s ot c1 applies r1 as ["a"]
            0.450s #12 c0->server delivered: in order
            0.450s ot server r2 from c0: ["c",{"d":1}]
            0.450s #13 server->c0 sent: ack r2
            0.450s #14 server->c1 sent: r2 by c0: ["c",{"d":1}]
            0.550s #13 server->c0 delivered: in order
            0.550s ot c0 ack r2, synchronized
            0.550s #15 c0->server sent: caret on r2: 1..1
            0.550s #14 server->c1 delivered: in order
            0.550s ot c1 applies r2 as ["c",{"d":1}]
            0.550s ot converged 520 ms after the last edit: 1 chars everywhere
            0.550s crdt and ot agree: the same 1 chars
            0.650s #15 c0->server delivered: in order
            0.650s ot server forwards c0's caret at r2: 1..1
            0.650s #16 server->c1 sent: c0's caret on r2: 1..1
            0.750s #16 server->c1 delivered: in order
            0.750s ot c1 shows c0's caret at 1..1
            c0: crdt "c" caret 1, ot "c" caret 1
            c1: crdt "c" caret 0, ot "c" caret 0
        "#]],
    );
}

#[test]
fn ot_transform_steps_as_the_log_shows_them() {
    check(
        Scenario {
            auto_deliver: false,
            ..quiet(2)
        },
        &[
            (0, r#"{"type": {"client": 0, "text": "ab"}}"#),
            (0, r#""deliver_all""#),
            (10, r#"{"type": {"client": 0, "text": "X"}}"#),
            (10, r#"{"type": {"client": 0, "text": "Y"}}"#),
            (10, r#"{"select": {"client": 1, "pos": 1}}"#),
            (10, r#"{"type": {"client": 1, "text": "-"}}"#),
            (20, r#"{"deliver_next": {"link": {"up": {"client": 1}}}}"#),
            (30, r#"{"deliver_next": {"link": {"up": {"client": 0}}}}"#),
            (40, r#"{"deliver_next": {"link": {"down": {"client": 0}}}}"#),
            (50, r#"{"deliver_next": {"link": {"down": {"client": 0}}}}"#),
            (60, r#""deliver_all""#),
        ],
        100,
        expect![[r#"
            0.000s c0 types "ab" at crdt 0, ot 0
            0.000s #1 c0->c1 sent: ins 0@0 "ab" after - before -
            0.000s ot c0 edit ["ab"], sent
            0.000s #2 c0->server sent: op on r0: ["ab"]
            0.000s #1 c0->c1 delivered: applied
            0.000s crdt converged 0 ms after the last edit: 2 chars everywhere
            0.000s #2 c0->server delivered: in order
            0.000s ot server r1 from c0: ["ab"]
            0.000s #3 server->c0 sent: ack r1
            0.000s #4 server->c1 sent: r1 by c0: ["ab"]
            0.000s #3 server->c0 delivered: in order
            0.000s ot c0 ack r1, synchronized
            0.000s #5 c0->server sent: caret on r1: 2..2
            0.000s #4 server->c1 delivered: in order
            0.000s ot c1 applies r1 as ["ab"]
            0.000s ot converged 0 ms after the last edit: 2 chars everywhere
            0.000s crdt and ot agree: the same 2 chars
            0.000s #5 c0->server delivered: in order
            0.000s ot server forwards c0's caret at r1: 2..2
            0.000s #6 server->c1 sent: c0's caret on r1: 2..2
            0.000s #6 server->c1 delivered: in order
            0.000s ot c1 shows c0's caret at 2..2
            0.010s c0 types "X" at crdt 2, ot 2
            0.010s #7 c0->c1 sent: ins 0@2 "X" after 0@1 before -
            0.010s ot c0 edit [2,"X"], sent
            0.010s #8 c0->server sent: op on r1: [2,"X"]
            0.010s c0 types "Y" at crdt 3, ot 3
            0.010s #9 c0->c1 sent: ins 0@3 "Y" after 0@2 before -
            0.010s ot c0 edit [3,"Y"], held
            0.010s c1 moves the caret to 1
            0.010s #10 c1->server sent: caret on r1: 1..1
            0.010s c1 types "-" at crdt 1, ot 1 (concurrent)
            0.010s #11 c1->c0 sent: ins 1@0 "-" after 0@0 before 0@1
            0.010s ot c1 edit [1,"-"], sent
            0.010s #12 c1->server sent: op on r1: [1,"-"]
            0.020s #10 c1->server delivered: in order
            0.020s ot server forwards c1's caret at r1: 1..1
            0.020s #13 server->c0 sent: c1's caret on r1: 1..1
            0.030s #8 c0->server delivered: in order
            0.030s ot server r2 from c0: [2,"X"]
            0.030s #14 server->c0 sent: ack r2
            0.030s #15 server->c1 sent: r2 by c0: [2,"X"]
            0.040s #13 server->c0 delivered: in order
            0.040s ot c0 shows c1's caret at 1..1
            0.050s #14 server->c0 delivered: in order
            0.050s ot c0 ack r2, sends its buffer [3,"Y"]
            0.050s #16 c0->server sent: op on r2: [3,"Y"]
            0.060s #7 c0->c1 delivered: applied
            0.060s #9 c0->c1 delivered: applied
            0.060s #11 c1->c0 delivered: applied
            0.060s crdt converged 50 ms after the last edit: 5 chars everywhere
            0.060s #12 c1->server delivered: in order
            0.060s ot transform server: incoming [1,"-"] against r2 [2,"X"] (right) -> [1,"-"]
            0.060s ot server r3 from c1: [1,"-"]
            0.060s #17 server->c0 sent: r3 by c1: [1,"-"]
            0.060s #18 server->c1 sent: ack r3
            0.060s #15 server->c1 delivered: in order
            0.060s ot transform client 1: pending [1,"-"] against remote r2 [2,"X"] (right) -> [1,"-"]
            0.060s ot transform client 1: remote [2,"X"] against pending [1,"-"] (left) -> [3,"X"]
            0.060s ot c1 applies r2 as [3,"X"]
            0.060s #16 c0->server delivered: in order
            0.060s ot transform server: incoming [3,"Y"] against r3 [1,"-"] (right) -> [4,"Y"]
            0.060s ot server r4 from c0: [4,"Y"]
            0.060s #19 server->c0 sent: ack r4
            0.060s #20 server->c1 sent: r4 by c0: [4,"Y"]
            0.060s #17 server->c0 delivered: in order
            0.060s ot transform client 0: pending [3,"Y"] against remote r3 [1,"-"] (right) -> [4,"Y"]
            0.060s ot transform client 0: remote [1,"-"] against pending [3,"Y"] (left) -> [1,"-"]
            0.060s ot c0 applies r3 as [1,"-"]
            0.060s #18 server->c1 delivered: in order
            0.060s ot c1 ack r3, synchronized
            0.060s #21 c1->server sent: caret on r3: 2..2
            0.060s #19 server->c0 delivered: in order
            0.060s ot c0 ack r4, synchronized
            0.060s #22 c0->server sent: caret on r4: 5..5
            0.060s #20 server->c1 delivered: in order
            0.060s ot c1 applies r4 as [4,"Y"]
            0.060s ot converged 50 ms after the last edit: 5 chars everywhere
            0.060s crdt and ot agree: the same 5 chars
            0.060s #21 c1->server delivered: in order
            0.060s ot server forwards c1's caret at r4: 2..2
            0.060s #23 server->c0 sent: c1's caret on r4: 2..2
            0.060s #22 c0->server delivered: in order
            0.060s ot server forwards c0's caret at r4: 5..5
            0.060s #24 server->c1 sent: c0's caret on r4: 5..5
            0.060s #23 server->c0 delivered: in order
            0.060s ot c0 shows c1's caret at 2..2
            0.060s #24 server->c1 delivered: in order
            0.060s ot c1 shows c0's caret at 5..5
            c0: crdt "a-bXY" caret 5, ot "a-bXY" caret 5
            c1: crdt "a-bXY" caret 2, ot "a-bXY" caret 2
        "#]],
    );
}

#[test]
fn undo_after_others_edited_removes_only_ones_own_text() {
    check(
        quiet(2),
        &[
            (0, r#"{"type": {"client": 0, "text": "hello"}}"#),
            (1_000, r#"{"type": {"client": 1, "text": " world"}}"#),
            (2_000, r#"{"undo": {"client": 0}}"#),
            (3_000, r#"{"redo": {"client": 0}}"#),
            (4_000, r#"{"select": {"client": 1, "pos": 11}}"#),
            (4_000, r#"{"backspace": {"client": 1, "count": 3}}"#),
            (5_000, r#"{"undo": {"client": 1}}"#),
        ],
        6_000,
        expect![[r#"
            0.000s c0 types "hello" at crdt 0, ot 0
            0.000s #1 c0->c1 sent: ins 0@0 "hello" after - before -
            0.000s ot c0 edit ["hello"], sent
            0.000s #2 c0->server sent: op on r0: ["hello"]
            0.100s #1 c0->c1 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 5 chars everywhere
            0.100s #2 c0->server delivered: in order
            0.100s ot server r1 from c0: ["hello"]
            0.100s #3 server->c0 sent: ack r1
            0.100s #4 server->c1 sent: r1 by c0: ["hello"]
            0.200s #3 server->c0 delivered: in order
            0.200s ot c0 ack r1, synchronized
            0.200s #5 c0->server sent: caret on r1: 5..5
            0.200s #4 server->c1 delivered: in order
            0.200s ot c1 applies r1 as ["hello"]
            0.200s ot converged 200 ms after the last edit: 5 chars everywhere
            0.200s crdt and ot agree: the same 5 chars
            0.300s #5 c0->server delivered: in order
            0.300s ot server forwards c0's caret at r1: 5..5
            0.300s #6 server->c1 sent: c0's caret on r1: 5..5
            0.400s #6 server->c1 delivered: in order
            0.400s ot c1 shows c0's caret at 5..5
            1.000s c1 types " world" at crdt 0, ot 0
            1.000s #7 c1->c0 sent: ins 1@0 " world" after - before 0@0
            1.000s ot c1 edit [" world"], sent
            1.000s #8 c1->server sent: op on r1: [" world"]
            1.100s #7 c1->c0 delivered: applied
            1.100s crdt converged 100 ms after the last edit: 11 chars everywhere
            1.100s #8 c1->server delivered: in order
            1.100s ot server r2 from c1: [" world"]
            1.100s #9 server->c0 sent: r2 by c1: [" world"]
            1.100s #10 server->c1 sent: ack r2
            1.200s #9 server->c0 delivered: in order
            1.200s ot c0 applies r2 as [" world"]
            1.200s #10 server->c1 delivered: in order
            1.200s ot c1 ack r2, synchronized
            1.200s #11 c1->server sent: caret on r2: 6..6
            1.200s ot converged 200 ms after the last edit: 11 chars everywhere
            1.200s crdt and ot agree: the same 11 chars
            1.300s #11 c1->server delivered: in order
            1.300s ot server forwards c1's caret at r2: 6..6
            1.300s #12 server->c0 sent: c1's caret on r2: 6..6
            1.400s #12 server->c0 delivered: in order
            1.400s ot c0 shows c1's caret at 6..6
            2.000s c0 undo: crdt a step, ot a step
            2.000s #13 c0->c1 sent: del 0@5 of 0@0+5
            2.000s ot c0 undo [6,{"d":5}], sent
            2.000s #14 c0->server sent: op on r2: [6,{"d":5}]
            2.100s #13 c0->c1 delivered: applied
            2.100s crdt converged 100 ms after the last edit: 6 chars everywhere
            2.100s #14 c0->server delivered: in order
            2.100s ot server r3 from c0: [6,{"d":5}]
            2.100s #15 server->c0 sent: ack r3
            2.100s #16 server->c1 sent: r3 by c0: [6,{"d":5}]
            2.200s #15 server->c0 delivered: in order
            2.200s ot c0 ack r3, synchronized
            2.200s #17 c0->server sent: caret on r3: 6..6
            2.200s #16 server->c1 delivered: in order
            2.200s ot c1 applies r3 as [6,{"d":5}]
            2.200s ot converged 200 ms after the last edit: 6 chars everywhere
            2.200s crdt and ot agree: the same 6 chars
            2.300s #17 c0->server delivered: in order
            2.300s ot server forwards c0's caret at r3: 6..6
            2.300s #18 server->c1 sent: c0's caret on r3: 6..6
            2.400s #18 server->c1 delivered: in order
            2.400s ot c1 shows c0's caret at 6..6
            3.000s c0 redo: crdt a step, ot a step
            3.000s #19 c0->c1 sent: ins 0@10 "hello" after 1@5 before 0@0
            3.000s ot c0 redo [6,"hello"], sent
            3.000s #20 c0->server sent: op on r3: [6,"hello"]
            3.100s #19 c0->c1 delivered: applied
            3.100s crdt converged 100 ms after the last edit: 11 chars everywhere
            3.100s #20 c0->server delivered: in order
            3.100s ot server r4 from c0: [6,"hello"]
            3.100s #21 server->c0 sent: ack r4
            3.100s #22 server->c1 sent: r4 by c0: [6,"hello"]
            3.200s #21 server->c0 delivered: in order
            3.200s ot c0 ack r4, synchronized
            3.200s #23 c0->server sent: caret on r4: 11..11
            3.200s #22 server->c1 delivered: in order
            3.200s ot c1 applies r4 as [6,"hello"]
            3.200s ot converged 200 ms after the last edit: 11 chars everywhere
            3.200s crdt and ot agree: the same 11 chars
            3.300s #23 c0->server delivered: in order
            3.300s ot server forwards c0's caret at r4: 11..11
            3.300s #24 server->c1 sent: c0's caret on r4: 11..11
            3.400s #24 server->c1 delivered: in order
            3.400s ot c1 shows c0's caret at 11..11
            4.000s c1 moves the caret to 11
            4.000s #25 c1->server sent: caret on r4: 11..11
            4.000s c1 erases 3 at crdt 8, 3 at ot 8
            4.000s #26 c1->c0 sent: del 1@6 of 0@12+3
            4.000s ot c1 edit [8,{"d":3}], sent
            4.000s #27 c1->server sent: op on r4: [8,{"d":3}]
            4.100s #25 c1->server delivered: in order
            4.100s ot server forwards c1's caret at r4: 11..11
            4.100s #28 server->c0 sent: c1's caret on r4: 11..11
            4.100s #26 c1->c0 delivered: applied
            4.100s crdt converged 100 ms after the last edit: 8 chars everywhere
            4.100s #27 c1->server delivered: in order
            4.100s ot server r5 from c1: [8,{"d":3}]
            4.100s #29 server->c0 sent: r5 by c1: [8,{"d":3}]
            4.100s #30 server->c1 sent: ack r5
            4.200s #28 server->c0 delivered: in order
            4.200s ot c0 shows c1's caret at 11..11
            4.200s #29 server->c0 delivered: in order
            4.200s ot c0 applies r5 as [8,{"d":3}]
            4.200s #30 server->c1 delivered: in order
            4.200s ot c1 ack r5, synchronized
            4.200s #31 c1->server sent: caret on r5: 8..8
            4.200s ot converged 200 ms after the last edit: 8 chars everywhere
            4.200s crdt and ot agree: the same 8 chars
            4.300s #31 c1->server delivered: in order
            4.300s ot server forwards c1's caret at r5: 8..8
            4.300s #32 server->c0 sent: c1's caret on r5: 8..8
            4.400s #32 server->c0 delivered: in order
            4.400s ot c0 shows c1's caret at 8..8
            5.000s c1 undo: crdt a step, ot a step
            5.000s #33 c1->c0 sent: ins 1@9 "llo" after 0@11 before 0@12
            5.000s ot c1 undo [8,"llo"], sent
            5.000s #34 c1->server sent: op on r5: [8,"llo"]
            5.100s #33 c1->c0 delivered: applied
            5.100s crdt converged 100 ms after the last edit: 11 chars everywhere
            5.100s #34 c1->server delivered: in order
            5.100s ot server r6 from c1: [8,"llo"]
            5.100s #35 server->c0 sent: r6 by c1: [8,"llo"]
            5.100s #36 server->c1 sent: ack r6
            5.200s #35 server->c0 delivered: in order
            5.200s ot c0 applies r6 as [8,"llo"]
            5.200s #36 server->c1 delivered: in order
            5.200s ot c1 ack r6, synchronized
            5.200s #37 c1->server sent: caret on r6: 11..11
            5.200s ot converged 200 ms after the last edit: 11 chars everywhere
            5.200s crdt and ot agree: the same 11 chars
            5.300s #37 c1->server delivered: in order
            5.300s ot server forwards c1's caret at r6: 11..11
            5.300s #38 server->c0 sent: c1's caret on r6: 11..11
            5.400s #38 server->c0 delivered: in order
            5.400s ot c0 shows c1's caret at 11..11
            c0: crdt " worldhello" caret 8, ot " worldhello" caret 8
            c1: crdt " worldhello" caret 11, ot " worldhello" caret 11
        "#]],
    );
}

#[test]
fn partitions_hold_messages_across_the_cut_and_the_server_stays_with_the_rest() {
    check(
        quiet(3),
        &[
            (0, r#"{"partition": {"groups": [[0], [1]]}}"#),
            (10, r#"{"type": {"client": 0, "text": "zero"}}"#),
            (10, r#"{"type": {"client": 2, "text": "two"}}"#),
            (1_000, r#""heal""#),
        ],
        2_000,
        expect![[r#"
            0.000s partition: {c0} | {c1} | the rest with the server
            0.010s c0 types "zero" at crdt 0, ot 0
            0.010s #1 c0->c1 sent: ins 0@0 "zero" after - before -
            0.010s #2 c0->c2 sent: ins 0@0 "zero" after - before -
            0.010s ot c0 edit ["zero"], sent
            0.010s #3 c0->server sent: op on r0: ["zero"]
            0.010s c2 types "two" at crdt 0, ot 0 (concurrent)
            0.010s #4 c2->c0 sent: ins 2@0 "two" after - before -
            0.010s #5 c2->c1 sent: ins 2@0 "two" after - before -
            0.010s ot c2 edit ["two"], sent
            0.010s #6 c2->server sent: op on r0: ["two"]
            0.110s #6 c2->server delivered: in order
            0.110s ot server r1 from c2: ["two"]
            0.110s #7 server->c0 sent: r1 by c2: ["two"]
            0.110s #8 server->c1 sent: r1 by c2: ["two"]
            0.110s #9 server->c2 sent: ack r1
            0.210s #9 server->c2 delivered: in order
            0.210s ot c2 ack r1, synchronized
            0.210s #10 c2->server sent: caret on r1: 3..3
            0.310s #10 c2->server delivered: in order
            0.310s ot server forwards c2's caret at r1: 3..3
            0.310s #11 server->c0 sent: c2's caret on r1: 3..3
            0.310s #12 server->c1 sent: c2's caret on r1: 3..3
            1.000s partition healed
            1.100s #1 c0->c1 delivered: applied
            1.100s #2 c0->c2 delivered: applied
            1.100s #3 c0->server delivered: in order
            1.100s ot transform server: incoming ["zero"] against r1 ["two"] (right) -> [3,"zero"]
            1.100s ot server r2 from c0: [3,"zero"]
            1.100s #13 server->c0 sent: ack r2
            1.100s #14 server->c1 sent: r2 by c0: [3,"zero"]
            1.100s #15 server->c2 sent: r2 by c0: [3,"zero"]
            1.100s #4 c2->c0 delivered: applied
            1.100s #5 c2->c1 delivered: applied
            1.100s crdt converged 1090 ms after the last edit: 7 chars everywhere
            1.100s #7 server->c0 delivered: in order
            1.100s ot transform client 0: pending ["zero"] against remote r1 ["two"] (right) -> [3,"zero"]
            1.100s ot transform client 0: remote ["two"] against pending ["zero"] (left) -> ["two"]
            1.100s ot c0 applies r1 as ["two"]
            1.100s #8 server->c1 delivered: in order
            1.100s ot c1 applies r1 as ["two"]
            1.100s #11 server->c0 delivered: in order
            1.100s ot c0 shows c2's caret at 3..3
            1.100s #12 server->c1 delivered: in order
            1.100s ot c1 shows c2's caret at 3..3
            1.200s #13 server->c0 delivered: in order
            1.200s ot c0 ack r2, synchronized
            1.200s #16 c0->server sent: caret on r2: 7..7
            1.200s #14 server->c1 delivered: in order
            1.200s ot c1 applies r2 as [3,"zero"]
            1.200s #15 server->c2 delivered: in order
            1.200s ot c2 applies r2 as [3,"zero"]
            1.200s ot converged 1190 ms after the last edit: 7 chars everywhere
            1.200s crdt and ot differ: crdt has "zerotwo" but ot has "twozero" (first difference at 0; 7 and 7 chars)
            1.300s #16 c0->server delivered: in order
            1.300s ot server forwards c0's caret at r2: 7..7
            1.300s #17 server->c1 sent: c0's caret on r2: 7..7
            1.300s #18 server->c2 sent: c0's caret on r2: 7..7
            1.400s #17 server->c1 delivered: in order
            1.400s ot c1 shows c0's caret at 7..7
            1.400s #18 server->c2 delivered: in order
            1.400s ot c2 shows c0's caret at 7..7
            c0: crdt "zerotwo" caret 4, ot "twozero" caret 7
            c1: crdt "zerotwo" caret 0, ot "twozero" caret 0
            c2: crdt "zerotwo" caret 7, ot "twozero" caret 3
        "#]],
    );
}

#[test]
fn bad_commands_are_refused_with_reasons() {
    check(
        quiet(2),
        &[
            (0, r#"{"type": {"client": 5, "text": "x"}}"#),
            (0, r#"{"type": {"client": 0, "text": ""}}"#),
            (0, r#"{"backspace": {"client": 0, "count": 1}}"#),
            (0, r#"{"undo": {"client": 1}}"#),
            (0, r#"{"deliver": {"id": 42}}"#),
            (
                0,
                r#"{"deliver_next": {"link": {"peer": {"from": 0, "to": 0}}}}"#,
            ),
            (0, r#"{"offline": {"client": 0, "on": false}}"#),
            (0, r#"{"partition": {"groups": [[0], [0]]}}"#),
            (0, r#""heal""#),
            (0, r#""deliver_all""#),
            (0, r#"{"offline": {"client": 0, "on": true}}"#),
            (0, r#"{"type": {"client": 0, "text": "x"}}"#),
            (0, r#"{"deliver_next": {"link": {"up": {"client": 0}}}}"#),
        ],
        100,
        expect![[r#"
            0.000s c0 goes offline
            0.000s c0 types "x" at crdt 0, ot 0
            0.000s #1 c0->c1 sent: ins 0@0 "x" after - before -
            0.000s ot c0 edit ["x"], sent
            0.000s #2 c0->server sent: op on r0: ["x"]
            refused at 0: no client c5: there are 2 (c0 to c1)
            refused at 0: type 1 to 10000 characters, not 0
            refused at 0: c0: nothing before the caret to erase
            refused at 0: c1: nothing to undo
            refused at 0: no message #42 in flight
            refused at 0: no link c0->c0
            refused at 0: c0 is already online
            refused at 0: c0 is in two groups
            refused at 0: there is no partition to heal
            refused at 0: nothing deliverable in flight
            refused at 0: c0->server is cut: an end is offline or across a partition
            c0: crdt "x" caret 1, ot "x" caret 1
            c1: crdt "" caret 0, ot "" caret 0
        "#]],
    );
}

#[test]
fn scenarios_out_of_range_are_explained() {
    let err = |s: Scenario| CollabLab::new(&s).err().unwrap_or_default();
    let out = [
        err(Scenario {
            clients: 9,
            ..Scenario::default()
        }),
        err(Scenario {
            typists: 4,
            clients: 3,
            ..Scenario::default()
        }),
        err(Scenario {
            typing_cps: 0,
            ..Scenario::default()
        }),
    ]
    .join("\n");
    expect![[r#"
        clients must be between 2 and 8, not 9
        typists must be between 0 and 3, not 4
        typing_cps must be between 1 and 50, not 0"#]]
    .assert_eq(&out);
}

/// One random command, normalized into valid ranges (some are refused, as a person's would be).
fn random_command(rng: &mut Rng, clients: u32, sequential: bool) -> String {
    let c = rng.below(clients as u64);
    let roll = rng.below(if sequential { 60 } else { 100 });
    match roll {
        0..=29 => {
            let text: String = (0..rng.range(1, 4))
                .map(|_| (b'a' + rng.below(26) as u8) as char)
                .collect();
            format!(r#"{{"type": {{"client": {c}, "text": "{text}"}}}}"#)
        }
        30..=39 => format!(
            r#"{{"backspace": {{"client": {c}, "count": {}}}}}"#,
            rng.range(1, 3)
        ),
        40..=47 => format!(
            r#"{{"select": {{"client": {c}, "pos": {}}}}}"#,
            rng.below(40)
        ),
        48..=53 => format!(r#"{{"undo": {{"client": {c}}}}}"#),
        54..=59 => format!(r#"{{"redo": {{"client": {c}}}}}"#),
        60..=67 => format!(
            r#"{{"offline": {{"client": {c}, "on": {}}}}}"#,
            rng.chance(1, 2)
        ),
        68..=72 => format!(r#"{{"partition": {{"groups": [[{c}]]}}}}"#),
        73..=77 => "\"heal\"".into(),
        78..=83 => format!(r#"{{"auto": {{"on": {}}}}}"#, rng.chance(1, 2)),
        84..=89 => {
            let to = (c + 1 + rng.below(clients as u64 - 1)) % clients as u64;
            format!(r#"{{"deliver_next": {{"link": {{"peer": {{"from": {c}, "to": {to}}}}}}}}}"#)
        }
        90..=93 => format!(r#"{{"deliver_next": {{"link": {{"down": {{"client": {c}}}}}}}}}"#),
        94..=96 => "\"deliver_all\"".into(),
        _ => format!(
            r#"{{"typist": {{"client": {c}, "on": {}}}}}"#,
            rng.chance(1, 2)
        ),
    }
}

/// Runs a random lab, then ends every fault and lets it settle; returns a failure message.
fn fuzz_one(seed: u64, sequential: bool) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let clients = rng.range(2, 5) as u32;
    let scenario = Scenario {
        seed,
        clients,
        typists: if sequential {
            0
        } else {
            rng.below(clients as u64 + 1) as u32
        },
        latency: [Latency::Fixed, Latency::Uniform, Latency::LongTail][rng.below(3) as usize],
        latency_ms: rng.range(0, 300) as u32,
        jitter_ms: rng.range(0, 200) as u32,
        reorder: rng.chance(1, 2),
        duplicate_permille: [0, 50, 300][rng.below(3) as usize],
        burst_ms: rng.range(0, 2_000) as u32,
        ..Scenario::default()
    };
    let mut run: Run<CollabLab> = Run::new(scenario.clone())?;
    let mut t = 0;
    let mut history = Vec::new();
    for _ in 0..rng.range(5, 60) {
        // Sequential runs let every edit reach everyone before the next one.
        t += if sequential { 120_000 } else { rng.below(600) };
        run.advance_to(t);
        let json = random_command(&mut rng, clients, sequential);
        history.push(format!("({t}, {json})"));
        let cmd: Command = serde_json::from_str(&json).map_err(|e| format!("{json}: {e}"))?;
        let _ = run.apply(cmd);
    }
    for json in ["\"heal\"", r#"{"auto": {"on": true}}"#] {
        let _ = run.apply(serde_json::from_str(json).map_err(|e| e.to_string())?);
    }
    for c in 0..clients {
        for json in [
            format!(r#"{{"offline": {{"client": {c}, "on": false}}}}"#),
            format!(r#"{{"typist": {{"client": {c}, "on": false}}}}"#),
        ] {
            let _ = run.apply(serde_json::from_str(&json).map_err(|e| e.to_string())?);
        }
    }
    run.advance_to(t + 3_600_000);
    let lab = run.sim();
    let fail = |why: String| {
        Err(format!(
            "seed {seed}: {why}\nscenario {scenario:?}\ncommands:\n{}",
            history.join("\n")
        ))
    };
    if let Some((at, _, v)) = run.violation() {
        return fail(format!("violation at {at}: {v}"));
    }
    for engine in [Engine::Crdt, Engine::Ot] {
        if !lab.complete(engine) {
            return fail(format!("{engine} never completed"));
        }
        let first = lab.text(engine, 0);
        for c in 1..clients {
            if lab.text(engine, c) != first {
                return fail(format!("{engine}: c0 and c{c} differ"));
            }
        }
    }
    let (_, concurrent) = lab.edits();
    if sequential && concurrent > 0 {
        return fail(format!(
            "{concurrent} edits counted concurrent in a sequential run"
        ));
    }
    if concurrent == 0 && lab.text(Engine::Crdt, 0) != lab.text(Engine::Ot, 0) {
        return fail("no concurrent edit, yet the engines differ".into());
    }
    if lab.messages().count() != 0 {
        return fail(format!(
            "{} messages still in flight",
            lab.messages().count()
        ));
    }
    Ok(())
}

fn fuzz(sequential: bool) {
    let runs = if std::env::var_os("RUN_SLOW_TESTS").is_some() {
        2_000
    } else {
        60
    };
    for seed in 0..runs {
        if let Err(e) = fuzz_one(seed, sequential) {
            panic!("{e}");
        }
    }
}

#[test]
fn fuzz_random_runs_converge_in_each_engine() {
    fuzz(false);
}

#[test]
fn fuzz_edits_that_are_never_concurrent_leave_the_engines_equal() {
    fuzz(true);
}

/// The slow fuzzer's seed 545, pasted back: c0 placed its caret (at the end) before "te"
/// reached its CRDT replica but after it reached its OT client, so its "w" landed before "te"
/// in one engine and after it in the other. The caret was placed while behind, so the edit
/// counts as concurrent and the engines may differ.
#[test]
fn a_caret_placed_while_behind_makes_the_next_edit_concurrent() {
    let scenario = Scenario {
        seed: 545,
        clients: 3,
        typists: 0,
        latency: Latency::LongTail,
        latency_ms: 84,
        jitter_ms: 165,
        duplicate_permille: 0,
        burst_ms: 488,
        // The fuzzer found this schedule before CRDT presence existed; presence messages draw
        // latencies from the same network, so it is off to keep the schedule.
        crdt_presence: false,
        ..Scenario::default()
    };
    let (run, _) = run_of(
        scenario,
        &[
            (427, r#"{"select": {"client": 2, "pos": 12}}"#),
            (569, r#"{"select": {"client": 2, "pos": 29}}"#),
            (832, r#"{"type": {"client": 2, "text": "te"}}"#),
            (
                1376,
                r#"{"deliver_next": {"link": {"down": {"client": 0}}}}"#,
            ),
            (1448, r#"{"select": {"client": 0, "pos": 25}}"#),
            (1675, r#"{"type": {"client": 0, "text": "w"}}"#),
        ],
        60_000,
    );
    let lab = run.sim();
    assert_eq!(run.violation(), None);
    assert_eq!(lab.edits(), (2, 1));
    assert_eq!(lab.text(Engine::Crdt, 1), lab.text(Engine::Crdt, 0));
    assert_eq!(lab.text(Engine::Ot, 2), lab.text(Engine::Ot, 0));
}

/// A trace typist alone replays the embedded excerpt of a real editing trace keystroke by
/// keystroke at its caret, and every replica of both engines ends with the trace's text.
#[test]
fn a_trace_typist_alone_types_exactly_the_trace() {
    #[derive(serde::Deserialize)]
    struct Excerpt {
        end: String,
    }
    let excerpt: Excerpt =
        serde_json::from_str(orrery_core::collab::lab::TRACE_EXCERPT).expect("the excerpt");
    let scenario = Scenario {
        typists: 1,
        typist_kind: TypistKind::Trace,
        typing_cps: 50,
        pause_ms: 0,
        ..quiet(3)
    };
    let (run, refusals) = run_of(scenario, &[], 60_000);
    assert_eq!(refusals, "");
    let lab = run.sim();
    assert!(
        !lab.typist_on(0),
        "the typist stops at the end of the excerpt"
    );
    assert!(lab.complete(Engine::Crdt) && lab.complete(Engine::Ot));
    for c in 0..3 {
        assert_eq!(lab.text(Engine::Crdt, c), excerpt.end, "crdt c{c}");
        assert_eq!(lab.text(Engine::Ot, c), excerpt.end, "ot c{c}");
    }
    assert_eq!(run.violation().map(|v| v.2.to_string()), None);
    let edits = lab.edits().0;
    assert!(edits >= 400, "one edit per patch at least, not {edits}");
}

#[test]
fn two_trace_typists_type_their_parts_of_the_trace_at_their_carets() {
    let scenario = Scenario {
        clients: 2,
        typists: 2,
        typist_kind: TypistKind::Trace,
        typing_cps: 10,
        ..quiet(2)
    };
    check(
        scenario,
        &[],
        1_400,
        expect![[r#"
            0.244s c1 types "a" at crdt 0, ot 0
            0.244s #1 c1->c0 sent: ins 1@0 "a" after - before -
            0.244s ot c1 edit ["a"], sent
            0.244s #2 c1->server sent: op on r0: ["a"]
            0.344s #1 c1->c0 delivered: applied
            0.344s crdt converged 100 ms after the last edit: 1 chars everywhere
            0.344s #2 c1->server delivered: in order
            0.344s ot server r1 from c1: ["a"]
            0.344s #3 server->c0 sent: r1 by c1: ["a"]
            0.344s #4 server->c1 sent: ack r1
            0.344s c1 types "c" at crdt 1, ot 1 (concurrent)
            0.344s #5 c1->c0 sent: ins 1@1 "c" after 1@0 before -
            0.344s ot c1 edit [1,"c"], held
            0.444s #3 server->c0 delivered: in order
            0.444s ot c0 applies r1 as ["a"]
            0.444s #4 server->c1 delivered: in order
            0.444s ot c1 ack r1, sends its buffer [1,"c"]
            0.444s #6 c1->server sent: op on r1: [1,"c"]
            0.444s #5 c1->c0 delivered: applied
            0.444s crdt converged 100 ms after the last edit: 2 chars everywhere
            0.444s c1 types "k" at crdt 2, ot 2
            0.444s #7 c1->c0 sent: ins 1@2 "k" after 1@1 before -
            0.444s ot c1 edit [2,"k"], held
            0.544s #6 c1->server delivered: in order
            0.544s ot server r2 from c1: [1,"c"]
            0.544s #8 server->c0 sent: r2 by c1: [1,"c"]
            0.544s #9 server->c1 sent: ack r2
            0.544s #7 c1->c0 delivered: applied
            0.544s crdt converged 100 ms after the last edit: 3 chars everywhere
            0.544s c1 types "a" at crdt 3, ot 3 (concurrent)
            0.544s #10 c1->c0 sent: ins 1@3 "a" after 1@2 before -
            0.544s ot c1 edit [3,"a"], held
            0.644s #8 server->c0 delivered: in order
            0.644s ot c0 applies r2 as [1,"c"]
            0.644s #9 server->c1 delivered: in order
            0.644s ot c1 ack r2, sends its buffer [2,"ka"]
            0.644s #11 c1->server sent: op on r2: [2,"ka"]
            0.644s #10 c1->c0 delivered: applied
            0.644s crdt converged 100 ms after the last edit: 4 chars everywhere
            0.644s c1 types "g" at crdt 4, ot 4
            0.644s #12 c1->c0 sent: ins 1@4 "g" after 1@3 before -
            0.644s ot c1 edit [4,"g"], held
            0.744s #11 c1->server delivered: in order
            0.744s ot server r3 from c1: [2,"ka"]
            0.744s #13 server->c0 sent: r3 by c1: [2,"ka"]
            0.744s #14 server->c1 sent: ack r3
            0.744s #12 c1->c0 delivered: applied
            0.744s crdt converged 100 ms after the last edit: 5 chars everywhere
            0.844s #13 server->c0 delivered: in order
            0.844s ot c0 applies r3 as [2,"ka"]
            0.844s #14 server->c1 delivered: in order
            0.844s ot c1 ack r3, sends its buffer [4,"g"]
            0.844s #15 c1->server sent: op on r3: [4,"g"]
            0.944s #15 c1->server delivered: in order
            0.944s ot server r4 from c1: [4,"g"]
            0.944s #16 server->c0 sent: r4 by c1: [4,"g"]
            0.944s #17 server->c1 sent: ack r4
            1.044s #16 server->c0 delivered: in order
            1.044s ot c0 applies r4 as [4,"g"]
            1.044s #17 server->c1 delivered: in order
            1.044s ot c1 ack r4, synchronized
            1.044s #18 c1->server sent: caret on r4: 5..5
            1.044s ot converged 400 ms after the last edit: 5 chars everywhere
            1.044s crdt and ot agree: the same 5 chars
            1.144s #18 c1->server delivered: in order
            1.144s ot server forwards c1's caret at r4: 5..5
            1.144s #19 server->c0 sent: c1's caret on r4: 5..5
            1.178s c0 types "\\" at crdt 0, ot 0
            1.178s #20 c0->c1 sent: ins 0@0 "\\" after - before 1@0
            1.178s ot c0 edit ["\\"], sent
            1.178s #21 c0->server sent: op on r4: ["\\"]
            1.244s #19 server->c0 delivered: in order
            1.244s ot c0 shows c1's caret at 6..6
            1.278s #20 c0->c1 delivered: applied
            1.278s crdt converged 100 ms after the last edit: 6 chars everywhere
            1.278s #21 c0->server delivered: in order
            1.278s ot server r5 from c0: ["\\"]
            1.278s #22 server->c0 sent: ack r5
            1.278s #23 server->c1 sent: r5 by c0: ["\\"]
            1.278s c0 types "d" at crdt 1, ot 1 (concurrent)
            1.278s #24 c0->c1 sent: ins 0@1 "d" after 0@0 before 1@0
            1.278s ot c0 edit [1,"d"], held
            1.378s #22 server->c0 delivered: in order
            1.378s ot c0 ack r5, sends its buffer [1,"d"]
            1.378s #25 c0->server sent: op on r5: [1,"d"]
            1.378s #23 server->c1 delivered: in order
            1.378s ot c1 applies r5 as ["\\"]
            1.378s #24 c0->c1 delivered: applied
            1.378s crdt converged 100 ms after the last edit: 7 chars everywhere
            1.378s c0 types "o" at crdt 2, ot 2
            1.378s #26 c0->c1 sent: ins 0@2 "o" after 0@1 before 1@0
            1.378s ot c0 edit [2,"o"], held
            c0: crdt "\\doackag" caret 3, ot "\\doackag" caret 3
            c1: crdt "\\dackag" caret 7, ot "\\ackag" caret 6
        "#]],
    );
}

#[test]
fn links_without_a_typist_kind_keep_random_typists() {
    let old: Scenario = serde_json::from_str(r#"{"seed": 3, "typists": 1}"#).expect("old scenario");
    assert_eq!(old.typist_kind, TypistKind::Random);
    let (a, _) = run_of(old.clone(), &[], 20_000);
    let (b, _) = run_of(
        Scenario {
            typist_kind: TypistKind::Random,
            ..old
        },
        &[],
        20_000,
    );
    assert_eq!(a.digest(), b.digest());
}

#[test]
fn the_converge_summary_is_the_metrics_histogram() {
    let (run, _) = run_of(Scenario::default(), &[], 60_000);
    let lab = run.sim();
    let metrics = run.metrics();
    for engine in [Engine::Crdt, Engine::Ot] {
        let summary = lab.converge_summary(engine);
        assert_eq!(summary, metrics.summary(&format!("{engine}_converge_ms")));
        assert!(
            summary.count > 0,
            "{engine} converged at least once in a minute"
        );
    }
}
