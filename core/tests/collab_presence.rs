//! CRDT presence in the collaborative editing lab: event-log snapshots of two clients
//! exchanging carets and selections (a caret moved by a remote insert, a presence arriving
//! before its character, an older presence after a newer one, a deleted anchor character, an
//! offline client), and a seeded fuzzer over typing, caret moves and network faults that
//! requires, at quiescence, every replica to show every other client's selection exactly
//! where its owner has it in its own CRDT text.

use expect_test::{expect, Expect};
use orrery_core::collab::lab::{CollabLab, Command, Engine, Latency, Scenario};
use orrery_core::rng::Rng;
use orrery_core::run::Run;
use orrery_core::sim::{Simulation, Time};

/// Two clients, nobody typing on their own, a fixed 100 ms latency, no duplicates.
fn two() -> Scenario {
    Scenario {
        clients: 2,
        typists: 0,
        latency: Latency::Fixed,
        latency_ms: 100,
        jitter_ms: 0,
        duplicate_permille: 0,
        ..Scenario::default()
    }
}

/// Where each client's CRDT editor shows the others: `c1 sees c0 #2 at 3` (or `2..5` for a
/// selection, from its other end to the caret), with any newer presence still pending.
fn carets(lab: &CollabLab) -> String {
    let mut out = String::new();
    for c in 0..lab.clients() {
        let (head, tail) = lab.crdt_selection(c);
        let own = match tail {
            Some(t) => format!("{t}..{head}"),
            None => head.to_string(),
        };
        out.push_str(&format!("c{c}: {:?} own {own}", lab.text(Engine::Crdt, c)));
        for p in lab.crdt_peers(c) {
            match p.shown {
                Some((clock, head, None)) => {
                    out.push_str(&format!(", sees c{} #{clock} at {head}", p.agent))
                }
                Some((clock, head, Some(tail))) => {
                    out.push_str(&format!(", sees c{} #{clock} at {tail}..{head}", p.agent))
                }
                None => out.push_str(&format!(", sees c{} nowhere", p.agent)),
            }
            if let Some((clock, id)) = p.pending {
                out.push_str(&format!(" (#{clock} waits for {id})"));
            }
        }
        out.push('\n');
    }
    out
}

/// Runs `commands` (`(time_ms, command JSON)`) to `until` and compares the log (CRDT lines
/// only: OT has its own tests), refusals, carets as each client shows them (at the end, and
/// where a command is `"carets"`), and violations.
fn check(scenario: Scenario, commands: &[(Time, &str)], until: Time, expect: Expect) {
    let mut run: Run<CollabLab> = Run::new(scenario).expect("valid scenario");
    let mut text = String::new();
    for &(t, json) in commands {
        run.advance_to(t);
        if json == "carets" {
            text.push_str(&format!("at {t} ms:\n{}", carets(run.sim())));
            continue;
        }
        let cmd: Command = serde_json::from_str(json).expect("command JSON");
        if let Err(r) = run.apply(cmd) {
            text.push_str(&format!("refused at {t}: {r}\n"));
        }
    }
    run.advance_to(until);
    let log: String = run
        .log()
        .iter()
        .map(|e| e.line())
        .map(|l| l.trim_start().to_string())
        .filter(|l| {
            let what = l.split_once(' ').map_or("", |(_, w)| w);
            !l.contains(" > ") && !what.starts_with("ot ") && !l.contains("server")
        })
        .map(|l| l + "\n")
        .collect();
    text.insert_str(0, &log);
    text.push_str(&format!("at the end:\n{}", carets(run.sim())));
    let m = run.sim().metrics();
    text.push_str(&format!(
        "crdt presence: {} messages, {} bytes; ot presence: {} messages, {} bytes\n",
        m.counters["crdt_presence_messages"],
        m.counters["crdt_presence_bytes"],
        m.counters["ot_presence_messages"],
        m.counters["ot_presence_bytes"]
    ));
    if let Some((t, _, v)) = run.violation() {
        text.push_str(&format!("VIOLATION at {t}: {v}\n"));
    }
    expect.assert_eq(&text);
}

#[test]
fn a_remote_caret_moves_with_a_remote_insert_before_it() {
    check(
        two(),
        &[
            (0, r#"{"type": {"client": 0, "text": "hello"}}"#),
            (1_000, r#"{"select": {"client": 0, "pos": 3}}"#),
            (2_000, r#"{"type": {"client": 1, "text": "XY"}}"#),
        ],
        3_000,
        expect![[r#"
            0.000s #1 c0->c1 sent: c0's caret #1: start
            0.000s #2 c1->c0 sent: c1's caret #1: start
            0.000s c0 types "hello" at crdt 0, ot 0
            0.000s #3 c0->c1 sent: ins 0@0 "hello" after - before -
            0.100s #1 c0->c1 delivered: shown at 0
            0.100s #5 c0->c1 sent: c0's caret #2: after 0@4
            0.100s #2 c1->c0 delivered: shown at 0
            0.100s #3 c0->c1 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 5 chars everywhere
            0.200s #5 c0->c1 delivered: shown at 5
            0.200s crdt and ot agree: the same 5 chars
            1.000s c0 moves the caret to 3
            1.000s #11 c0->c1 sent: c0's caret #3: after 0@2
            1.100s #11 c0->c1 delivered: shown at 3
            2.000s c1 types "XY" at crdt 0, ot 0
            2.000s #13 c1->c0 sent: ins 1@0 "XY" after - before 0@0
            2.000s #15 c1->c0 sent: c1's caret #2: after 1@1
            2.100s #13 c1->c0 delivered: applied
            2.100s crdt converged 100 ms after the last edit: 7 chars everywhere
            2.100s #15 c1->c0 delivered: shown at 2
            2.200s crdt and ot agree: the same 7 chars
            at the end:
            c0: "XYhello" own 5, sees c1 #2 at 2
            c1: "XYhello" own 2, sees c0 #3 at 5
            crdt presence: 5 messages, 31 bytes; ot presence: 6 messages, 27 bytes
        "#]],
    );
}

#[test]
fn a_presence_ahead_of_its_character_waits_and_then_shows() {
    check(
        Scenario {
            auto_deliver: false,
            ..two()
        },
        &[
            (0, r#"{"type": {"client": 0, "text": "ab"}}"#),
            // c0's first caret (#1, announced at the start) lets its newer one (#5) go.
            (100, r#"{"deliver": {"id": 1}}"#),
            (120, r#"{"deliver": {"id": 5}}"#),
            (150, "carets"),
            (200, r#"{"deliver": {"id": 3}}"#),
            (300, r#""deliver_all""#),
            (400, r#"{"type": {"client": 0, "text": "c"}}"#),
            (500, r#"{"deliver": {"id": 12}}"#),
            (550, "carets"),
            (600, r#""deliver_all""#),
        ],
        1_000,
        expect![[r#"
            0.000s #1 c0->c1 sent: c0's caret #1: start
            0.000s #2 c1->c0 sent: c1's caret #1: start
            0.000s c0 types "ab" at crdt 0, ot 0
            0.000s #3 c0->c1 sent: ins 0@0 "ab" after - before -
            0.100s #1 c0->c1 delivered: shown at 0
            0.100s #5 c0->c1 sent: c0's caret #2: after 0@1
            0.120s #5 c0->c1 delivered: pending until 0@1 arrives (#1 still shown, at 0)
            0.200s #3 c0->c1 delivered: applied
            0.200s c1 shows c0's presence #2 at 2: its characters arrived
            0.200s crdt converged 200 ms after the last edit: 2 chars everywhere
            0.300s #2 c1->c0 delivered: shown at 0
            0.300s crdt and ot agree: the same 2 chars
            0.400s c0 types "c" at crdt 2, ot 2
            0.400s #10 c0->c1 sent: ins 0@2 "c" after 0@1 before -
            0.400s #12 c0->c1 sent: c0's caret #3: after 0@2
            0.500s #12 c0->c1 delivered: pending until 0@2 arrives (#2 still shown, at 2)
            0.600s #10 c0->c1 delivered: applied
            0.600s c1 shows c0's presence #3 at 3: its characters arrived
            0.600s crdt converged 200 ms after the last edit: 3 chars everywhere
            0.600s crdt and ot agree: the same 3 chars
            at 150 ms:
            c0: "ab" own 2
            c1: "" own 0, sees c0 #1 at 0 (#2 waits for 0@1)
            at 550 ms:
            c0: "abc" own 3, sees c1 #1 at 0
            c1: "ab" own 0, sees c0 #2 at 2 (#3 waits for 0@2)
            at the end:
            c0: "abc" own 3, sees c1 #1 at 0
            c1: "abc" own 0, sees c0 #3 at 3
            crdt presence: 4 messages, 24 bytes; ot presence: 4 messages, 18 bytes
        "#]],
    );
}

#[test]
fn an_older_presence_after_a_newer_one_is_ignored() {
    check(
        Scenario {
            auto_deliver: false,
            duplicate_permille: 500,
            ..two()
        },
        &[
            (0, r#"{"type": {"client": 0, "text": "abcd"}}"#),
            // The first carets (announced at the start), the text, then c0's caret #2.
            (100, r#"{"deliver": {"id": 1}}"#),
            (100, r#"{"deliver": {"id": 5}}"#),
            (100, r#"{"deliver": {"id": 8}}"#),
            (200, r#"{"select": {"client": 0, "pos": 1}}"#),
            // c0's caret #3, then the network's late copy of #2.
            (300, r#"{"deliver": {"id": 10}}"#),
            (400, r#"{"deliver": {"id": 9}}"#),
            (500, r#""deliver_all""#),
        ],
        1_000,
        expect![[r#"
            0.000s #1 c0->c1 sent: c0's caret #1: start
            0.000s #1 duplicated by the network as #2
            0.000s #3 c1->c0 sent: c1's caret #1: start
            0.000s #3 duplicated by the network as #4
            0.000s c0 types "abcd" at crdt 0, ot 0
            0.000s #5 c0->c1 sent: ins 0@0 "abcd" after - before -
            0.000s #5 duplicated by the network as #6
            0.100s #1 c0->c1 delivered: shown at 0
            0.100s #8 c0->c1 sent: c0's caret #2: after 0@3
            0.100s #8 duplicated by the network as #9
            0.100s #5 c0->c1 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 4 chars everywhere
            0.100s #8 c0->c1 delivered: shown at 4
            0.200s c0 moves the caret to 1
            0.200s #10 c0->c1 sent: c0's caret #3: after 0@0
            0.200s #10 duplicated by the network as #11
            0.300s #10 c0->c1 delivered: shown at 1
            0.400s #9 c0->c1 delivered: older than #3, ignored
            0.500s #2 c0->c1 delivered: older than #3, ignored
            0.500s #3 c1->c0 delivered: shown at 0
            0.500s #4 c1->c0 delivered: duplicate, ignored
            0.500s #6 c0->c1 delivered: duplicate, ignored
            0.500s #11 c0->c1 delivered: duplicate, ignored
            0.500s crdt and ot agree: the same 4 chars
            at the end:
            c0: "abcd" own 1, sees c1 #1 at 0
            c1: "abcd" own 0, sees c0 #3 at 1
            crdt presence: 4 messages, 24 bytes; ot presence: 2 messages, 9 bytes
        "#]],
    );
}

#[test]
fn a_caret_on_a_deleted_character_stays_at_its_tombstone() {
    check(
        two(),
        &[
            (0, r#"{"type": {"client": 0, "text": "hello"}}"#),
            (1_000, r#"{"select": {"client": 0, "pos": 4}}"#),
            (2_000, r#"{"select": {"client": 1, "pos": 4}}"#),
            (2_000, r#"{"backspace": {"client": 1, "count": 2}}"#),
            (2_050, "carets"),
        ],
        3_000,
        expect![[r#"
            0.000s #1 c0->c1 sent: c0's caret #1: start
            0.000s #2 c1->c0 sent: c1's caret #1: start
            0.000s c0 types "hello" at crdt 0, ot 0
            0.000s #3 c0->c1 sent: ins 0@0 "hello" after - before -
            0.100s #1 c0->c1 delivered: shown at 0
            0.100s #5 c0->c1 sent: c0's caret #2: after 0@4
            0.100s #2 c1->c0 delivered: shown at 0
            0.100s #3 c0->c1 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 5 chars everywhere
            0.200s #5 c0->c1 delivered: shown at 5
            0.200s crdt and ot agree: the same 5 chars
            1.000s c0 moves the caret to 4
            1.000s #11 c0->c1 sent: c0's caret #3: after 0@3
            1.100s #11 c0->c1 delivered: shown at 4
            2.000s c1 moves the caret to 4
            2.000s #14 c1->c0 sent: c1's caret #2: after 0@3
            2.000s c1 erases 2 at crdt 2, 2 at ot 2
            2.000s #15 c1->c0 sent: del 1@0 of 0@2+2
            2.100s #14 c1->c0 delivered: shown at 4
            2.100s #18 c1->c0 sent: c1's caret #3: after 0@1
            2.100s #15 c1->c0 delivered: applied
            2.100s #19 c0->c1 sent: c0's caret #4: after 0@1
            2.100s crdt converged 100 ms after the last edit: 3 chars everywhere
            2.200s #18 c1->c0 delivered: shown at 2
            2.200s #19 c0->c1 delivered: shown at 2
            2.200s crdt and ot agree: the same 3 chars
            at 2050 ms:
            c0: "hello" own 4, sees c1 #1 at 0
            c1: "heo" own 2, sees c0 #3 at 2
            at the end:
            c0: "heo" own 2, sees c1 #3 at 2
            c1: "heo" own 2, sees c0 #4 at 2
            crdt presence: 7 messages, 45 bytes; ot presence: 8 messages, 36 bytes
        "#]],
    );
}

#[test]
fn a_selection_keeps_its_characters_and_typing_over_it_collapses_it() {
    check(
        two(),
        &[
            (0, r#"{"type": {"client": 0, "text": "hello"}}"#),
            (1_000, r#"{"select": {"client": 0, "pos": 4, "anchor": 1}}"#),
            (2_000, r#"{"select": {"client": 1, "pos": 1}}"#),
            (2_000, r#"{"type": {"client": 1, "text": "<"}}"#),
            (2_000, r#"{"select": {"client": 1, "pos": 5}}"#),
            (2_000, r#"{"type": {"client": 1, "text": ">"}}"#),
            (2_500, "carets"),
            (3_000, r#"{"backspace": {"client": 0, "count": 3}}"#),
        ],
        4_000,
        expect![[r#"
            0.000s #1 c0->c1 sent: c0's caret #1: start
            0.000s #2 c1->c0 sent: c1's caret #1: start
            0.000s c0 types "hello" at crdt 0, ot 0
            0.000s #3 c0->c1 sent: ins 0@0 "hello" after - before -
            0.100s #1 c0->c1 delivered: shown at 0
            0.100s #5 c0->c1 sent: c0's caret #2: after 0@4
            0.100s #2 c1->c0 delivered: shown at 0
            0.100s #3 c0->c1 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 5 chars everywhere
            0.200s #5 c0->c1 delivered: shown at 5
            0.200s crdt and ot agree: the same 5 chars
            1.000s c0 selects 1..4
            1.000s #11 c0->c1 sent: c0's selection #3: before 0@1 .. after 0@3
            1.100s #11 c0->c1 delivered: shown at 1..4
            2.000s c1 moves the caret to 1
            2.000s #14 c1->c0 sent: c1's caret #2: after 0@0
            2.000s c1 types "<" at crdt 1, ot 1
            2.000s #15 c1->c0 sent: ins 1@0 "<" after 0@0 before 0@1
            2.000s c1 moves the caret to 5
            2.000s c1 types ">" at crdt 5, ot 5
            2.000s #17 c1->c0 sent: ins 1@1 ">" after 0@3 before 0@4
            2.100s #14 c1->c0 delivered: shown at 1
            2.100s #19 c1->c0 sent: c1's caret #5: after 1@1
            2.100s #15 c1->c0 delivered: applied
            2.100s #17 c1->c0 delivered: applied
            2.100s crdt converged 100 ms after the last edit: 7 chars everywhere
            2.200s #19 c1->c0 delivered: shown at 6
            2.400s crdt and ot agree: the same 7 chars
            3.000s c0 erases 3 at crdt 2, 3 at ot 2
            3.000s #27 c0->c1 sent: del 0@5 of 0@1+3
            3.000s #29 c0->c1 sent: c0's caret #4: after 1@0
            3.100s #27 c0->c1 delivered: applied
            3.100s crdt converged 100 ms after the last edit: 4 chars everywhere
            3.100s #29 c0->c1 delivered: shown at 2
            3.200s crdt and ot agree: the same 4 chars
            at 2500 ms:
            c0: "h<ell>o" own 2..5, sees c1 #5 at 6
            c1: "h<ell>o" own 6, sees c0 #3 at 2..5
            at the end:
            c0: "h<>o" own 2, sees c1 #5 at 3
            c1: "h<>o" own 3, sees c0 #4 at 2
            crdt presence: 7 messages, 47 bytes; ot presence: 10 messages, 45 bytes
        "#]],
    );
}

#[test]
fn presence_is_dropped_on_a_cut_link_and_the_newest_sent_on_reconnect() {
    check(
        two(),
        &[
            (0, r#"{"type": {"client": 0, "text": "hello"}}"#),
            (1_000, r#"{"select": {"client": 0, "pos": 1}}"#),
            (1_050, r#"{"offline": {"client": 1, "on": true}}"#),
            (1_500, r#"{"select": {"client": 0, "pos": 2}}"#),
            (1_600, r#"{"select": {"client": 0, "pos": 3}}"#),
            (1_900, "carets"),
            (2_000, r#"{"offline": {"client": 1, "on": false}}"#),
        ],
        3_000,
        expect![[r#"
            0.000s #1 c0->c1 sent: c0's caret #1: start
            0.000s #2 c1->c0 sent: c1's caret #1: start
            0.000s c0 types "hello" at crdt 0, ot 0
            0.000s #3 c0->c1 sent: ins 0@0 "hello" after - before -
            0.100s #1 c0->c1 delivered: shown at 0
            0.100s #5 c0->c1 sent: c0's caret #2: after 0@4
            0.100s #2 c1->c0 delivered: shown at 0
            0.100s #3 c0->c1 delivered: applied
            0.100s crdt converged 100 ms after the last edit: 5 chars everywhere
            0.200s #5 c0->c1 delivered: shown at 5
            0.200s crdt and ot agree: the same 5 chars
            1.000s c0 moves the caret to 1
            1.000s #11 c0->c1 sent: c0's caret #3: after 0@0
            1.050s c1 goes offline
            1.050s #11 c0->c1 dropped: presence is not held on a cut link
            1.500s c0 moves the caret to 2
            1.600s c0 moves the caret to 3
            2.000s c1 is back online
            2.000s #17 c0->c1 sent: c0's caret #5: after 0@2
            2.100s #17 c0->c1 delivered: shown at 3
            at 1900 ms:
            c0: "hello" own 3, sees c1 #1 at 0
            c1: "hello" own 0, sees c0 #2 at 5
            at the end:
            c0: "hello" own 3, sees c1 #1 at 0
            c1: "hello" own 0, sees c0 #5 at 3
            crdt presence: 5 messages, 31 bytes; ot presence: 8 messages, 36 bytes
        "#]],
    );
}

#[test]
fn links_made_before_crdt_presence_keep_it_off() {
    let old: Scenario = serde_json::from_str(r#"{"seed": 3, "clients": 2}"#).expect("scenario");
    assert!(!old.crdt_presence);
    assert!(Scenario::default().crdt_presence);
    let mut run: Run<CollabLab> = Run::new(Scenario {
        crdt_presence: false,
        ..two()
    })
    .expect("valid");
    run.apply(serde_json::from_str(r#"{"type": {"client": 0, "text": "hi"}}"#).expect("json"))
        .expect("typed");
    run.advance_to(1_000);
    assert!(run.sim().crdt_peers(1).iter().all(|p| p.shown.is_none()));
    assert_eq!(run.sim().metrics().counters["crdt_presence_messages"], 0);
}

/// A random command: mostly typing, erasing, caret moves and selections, with network faults
/// and manual delivery; normalized into valid ranges (some are refused, as a person's are).
fn random_command(rng: &mut Rng, clients: u32) -> String {
    let c = rng.below(clients as u64);
    match rng.below(100) {
        0..=24 => {
            let text: String = (0..rng.range(1, 4))
                .map(|_| (b'a' + rng.below(26) as u8) as char)
                .collect();
            format!(r#"{{"type": {{"client": {c}, "text": "{text}"}}}}"#)
        }
        25..=34 => format!(
            r#"{{"backspace": {{"client": {c}, "count": {}}}}}"#,
            rng.range(1, 4)
        ),
        35..=46 => format!(
            r#"{{"select": {{"client": {c}, "pos": {}}}}}"#,
            rng.below(30)
        ),
        47..=54 => format!(
            r#"{{"select": {{"client": {c}, "pos": {}, "anchor": {}}}}}"#,
            rng.below(30),
            rng.below(30)
        ),
        55..=58 => format!(r#"{{"undo": {{"client": {c}}}}}"#),
        59..=66 => format!(
            r#"{{"offline": {{"client": {c}, "on": {}}}}}"#,
            rng.chance(1, 2)
        ),
        67..=71 => format!(r#"{{"partition": {{"groups": [[{c}]]}}}}"#),
        72..=76 => "\"heal\"".into(),
        77..=82 => format!(r#"{{"auto": {{"on": {}}}}}"#, rng.chance(1, 2)),
        83..=90 => {
            let to = (c + 1 + rng.below(clients as u64 - 1)) % clients as u64;
            format!(r#"{{"deliver_next": {{"link": {{"peer": {{"from": {c}, "to": {to}}}}}}}}}"#)
        }
        91..=94 => "\"deliver_all\"".into(),
        _ => format!(
            r#"{{"typist": {{"client": {c}, "on": {}}}}}"#,
            rng.chance(1, 2)
        ),
    }
}

/// What the fuzzer saw happen, to show it reaches every case.
#[derive(Default)]
struct Seen {
    shown: u64,
    pending: u64,
    resolved: u64,
    stale: u64,
    dropped: u64,
    selections: u64,
}

/// Every other client's selection as `client` shows it equals where its owner has it.
fn shown_everywhere(lab: &CollabLab) -> Result<(), String> {
    for owner in 0..lab.clients() {
        let own = lab.crdt_selection(owner);
        for c in (0..lab.clients()).filter(|&c| c != owner) {
            let peer = lab.crdt_peers(c).into_iter().find(|p| p.agent == owner);
            let Some(peer) = peer else {
                // An owner that never placed its caret nor edited has announced nothing.
                continue;
            };
            let shown = peer.shown.map(|(_, head, tail)| (head, tail));
            if shown != Some(own) || peer.pending.is_some() {
                return Err(format!(
                    "c{c} shows c{owner} at {shown:?} (pending {:?}), but c{owner} has {own:?}",
                    peer.pending
                ));
            }
        }
    }
    Ok(())
}

fn fuzz_one(seed: u64, seen: &mut Seen) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let clients = rng.range(2, 5) as u32;
    let scenario = Scenario {
        seed,
        clients,
        typists: rng.below(clients as u64 + 1) as u32,
        latency: [Latency::Fixed, Latency::Uniform, Latency::LongTail][rng.below(3) as usize],
        latency_ms: rng.range(0, 300) as u32,
        jitter_ms: rng.range(0, 200) as u32,
        reorder: rng.chance(1, 2),
        duplicate_permille: [0, 50, 300][rng.below(3) as usize],
        ..Scenario::default()
    };
    let mut run: Run<CollabLab> = Run::new(scenario.clone())?;
    let mut t = 0;
    let mut history = Vec::new();
    let fail = |why: String, history: &[String]| {
        Err(format!(
            "seed {seed}: {why}\nscenario {scenario:?}\ncommands:\n{}",
            history.join("\n")
        ))
    };
    for _ in 0..rng.range(5, 80) {
        t += rng.below(500);
        run.advance_to(t);
        let json = random_command(&mut rng, clients);
        history.push(format!("({t}, {json})"));
        let cmd: Command = serde_json::from_str(&json).map_err(|e| format!("{json}: {e}"))?;
        let _ = run.apply(cmd);
        // Whatever happened, every caret drawn is inside the text it is drawn on.
        let lab = run.sim();
        for c in 0..clients {
            let len = lab.text(Engine::Crdt, c).chars().count();
            for p in lab.crdt_peers(c) {
                if let Some((_, head, tail)) = p.shown {
                    if head > len || tail.is_some_and(|t| t > len) {
                        return fail(
                            format!("c{c} draws c{} outside its text", p.agent),
                            &history,
                        );
                    }
                }
            }
        }
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
    if let Some((at, _, v)) = run.violation() {
        return fail(format!("violation at {at}: {v}"), &history);
    }
    let lab = run.sim();
    if !lab.complete(Engine::Crdt) || lab.messages().count() != 0 {
        return fail("never quiet".into(), &history);
    }
    if let Err(e) = shown_everywhere(lab) {
        return fail(e, &history);
    }
    for e in run.log() {
        let line = e.line();
        let count = |what: &str| u64::from(line.contains(what));
        seen.shown += count("delivered: shown at");
        seen.pending += count("delivered: pending until");
        seen.resolved += count("its characters arrived");
        seen.stale += count("ignored") * count("older than");
        seen.dropped += count("presence is not held");
        seen.selections += count("'s selection #");
    }
    Ok(())
}

#[test]
fn fuzz_every_replica_shows_every_caret_where_its_owner_has_it() {
    let runs = if std::env::var_os("RUN_SLOW_TESTS").is_some() {
        2_000
    } else {
        80
    };
    let mut seen = Seen::default();
    for seed in 0..runs {
        if let Err(e) = fuzz_one(seed, &mut seen) {
            panic!("{e}");
        }
    }
    let cases = [
        ("shown", seen.shown),
        ("pending", seen.pending),
        ("resolved", seen.resolved),
        ("stale", seen.stale),
        ("dropped", seen.dropped),
        ("selections", seen.selections),
    ];
    for (what, n) in cases {
        assert!(n > 0, "the fuzzer never saw a presence {what}: {cases:?}");
    }
}

/// A link made before CRDT presence (no `crdt_presence` field, so off) replays exactly as it
/// did: the golden digests of the default scenario before the field existed, recomputed from
/// a scenario read without the field and the sample inputs of that time (without the
/// selection added since).
#[test]
fn old_links_replay_to_the_digests_they_had() {
    let want = [
        (
            7,
            "a74723b5b7453dd5459cc894c255d129eeae2f9956332f80d14d51697130b8b8",
        ),
        (
            8,
            "9f236a22bdf26723af0954fa697532ce5c27d9ecf55aad2e3404e1543d037274",
        ),
    ];
    for (seed, digest) in want {
        let mut json = serde_json::to_value(Scenario::default()).expect("scenario json");
        json["seed"] = seed.into();
        json.as_object_mut().map(|o| o.remove("crdt_presence"));
        let scenario: Scenario = serde_json::from_value(json).expect("old scenario");
        let mut run: Run<CollabLab> = Run::new(scenario).expect("valid");
        for (t, cmd) in orrery_core::collab::lab::sample_inputs() {
            if cmd.get("select").is_some_and(|s| s.get("anchor").is_some()) {
                continue;
            }
            run.advance_to(t);
            let _ = run.apply(serde_json::from_value(cmd).expect("command"));
        }
        run.advance_to(3_600_000);
        assert_eq!(run.digest(), digest, "seed {seed}");
    }
}
