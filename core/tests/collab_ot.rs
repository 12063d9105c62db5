//! OT behaviour, step by step: event-log snapshots of small sessions (concurrent inserts at
//! one place, the buffer state, undo after others edited, typing bursts, the history limit,
//! carets through remote edits) and the errors a bad message or operation gets.
//!
//! Every case goes through one `check(clients, doc, script, expect)`: the script has one
//! command per line:
//!
//! | command | meaning |
//! |---|---|
//! | `at 1200` | the time of the next local changes, in ms |
//! | `0 splice 3 1 "x"` | client 0 deletes 1 character at 3 and inserts `x` there |
//! | `0 op [3,{"d":1}]` | client 0 applies an operation given as JSON |
//! | `0 undo`, `0 redo` | client 0 undoes or redoes |
//! | `0 select 4 6` | client 0 selects from 4 to 6 (shared with the others once synchronized) |
//! | `up 0`, `down 1` | deliver the oldest message on that link |
//! | `quiesce` | deliver everything, always the first busy link (uplinks first) |

use expect_test::{expect, Expect};
use orrery_core::collab::ot::{Client, Link, Op, Selection, Server, Session, UndoSettings};

fn check(clients: usize, doc: &str, script: &str, expect: Expect) {
    let undo = UndoSettings {
        limit: 3,
        burst_ms: 500,
    };
    let mut session = Session::new(clients, doc, undo);
    let mut now = 0;
    let mut out = String::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut events = Vec::new();
        let words: Vec<&str> = line.splitn(3, ' ').collect();
        let result = match words.as_slice() {
            ["at", t] => {
                now = t.parse().expect("a time");
                Ok(())
            }
            ["quiesce"] => session.quiesce(|_| 0, &mut events),
            ["up", c] => session.deliver(Link::Up(c.parse().expect("client")), &mut events),
            ["down", c] => session.deliver(Link::Down(c.parse().expect("client")), &mut events),
            [c, "undo"] => session.undo(c.parse().expect("client"), &mut events),
            [c, "redo"] => session.redo(c.parse().expect("client"), &mut events),
            [c, "op", json] => {
                let op: Op = serde_json::from_str(json).expect("an op");
                session.edit(c.parse().expect("client"), &op, now, &mut events)
            }
            [c, "splice", rest] => {
                let mut parts = rest.splitn(3, ' ');
                let pos = parts.next().and_then(|p| p.parse().ok()).expect("pos");
                let del = parts.next().and_then(|p| p.parse().ok()).expect("del");
                let text: String =
                    serde_json::from_str(parts.next().unwrap_or("\"\"")).expect("text");
                let op = Op::splice(pos, del, &text);
                session.edit(c.parse().expect("client"), &op, now, &mut events)
            }
            [c, "select", rest] => {
                let (a, h) = rest.split_once(' ').expect("anchor head");
                let c: u32 = c.parse().expect("client");
                session.select(
                    c,
                    Selection {
                        anchor: a.parse().expect("anchor"),
                        head: h.parse().expect("head"),
                    },
                );
                Ok(())
            }
            _ => panic!("bad script line {line:?}"),
        };
        for e in &events {
            out.push_str(&format!("{e}\n"));
        }
        if let Err(e) = result {
            out.push_str(&format!("{line}: error: {e}\n"));
        }
    }
    out.push_str("--\n");
    out.push_str(&format!(
        "server r{} {:?}\n",
        session.server().revision(),
        session.server().doc()
    ));
    for c in session.clients() {
        let s = c.selection();
        let peers: String = c
            .peers()
            .iter()
            .map(|(p, s)| format!(" sees {p} at {}..{}", s.anchor, s.head))
            .collect();
        out.push_str(&format!(
            "client {} r{} {} {:?} caret {}..{}{peers} undo {} redo {}\n",
            c.id(),
            c.revision(),
            c.state().name(),
            c.doc(),
            s.anchor,
            s.head,
            c.undo_history().undo_len(),
            c.undo_history().redo_len(),
        ));
    }
    expect.assert_eq(&out);
}

#[test]
fn concurrent_inserts_at_one_place_converge_in_server_order() {
    check(
        2,
        "ab",
        r#"
        0 splice 1 0 "X"
        1 splice 1 0 "Y"
        up 1
        up 0
        quiesce
        "#,
        expect![[r#"
            client 0 edit [1,"X"], sent -> "aXb"
            client 1 edit [1,"Y"], sent -> "aYb"
            server r1 from client 1: [1,"Y"] -> "aYb"
              server: incoming [1,"X"] against r1 [1,"Y"] (right) -> [2,"X"]
            server r2 from client 0: [2,"X"] -> "aYXb"
              client 0: pending [1,"X"] against remote r1 [1,"Y"] (right) -> [2,"X"]
              client 0: remote [1,"Y"] against pending [1,"X"] (left) -> [1,"Y"]
            client 0 remote r1 as [1,"Y"] -> "aYXb"
            client 0 ack r2
            server forwards client 0's caret at r2: 0..0
            client 1 ack r1
            server forwards client 1's caret at r2: 0..0
            client 0 shows client 1's caret at 0..0
            client 1 remote r2 as [2,"X"] -> "aYXb"
            client 1 shows client 0's caret at 0..0
            --
            server r2 "aYXb"
            client 0 r2 synchronized "aYXb" caret 0..0 sees 1 at 0..0 undo 1 redo 0
            client 1 r2 synchronized "aYXb" caret 0..0 sees 0 at 0..0 undo 1 redo 0
        "#]],
    );
}

#[test]
fn edits_made_while_waiting_go_into_the_buffer_and_out_on_ack() {
    check(
        2,
        "hello",
        r#"
        0 splice 5 0 "!"
        0 splice 0 0 ">"
        0 splice 1 0 " "
        1 splice 0 1 "H"
        up 0
        up 1
        down 0
        down 0
        quiesce
        "#,
        expect![[r#"
            client 0 edit [5,"!"], sent -> "hello!"
            client 0 edit [">"] -> ">hello!"
            client 0 edit [1," "] -> "> hello!"
            client 1 edit ["H",{"d":1}], sent -> "Hello"
            server r1 from client 0: [5,"!"] -> "hello!"
              server: incoming ["H",{"d":1}] against r1 [5,"!"] (right) -> ["H",{"d":1}]
            server r2 from client 1: ["H",{"d":1}] -> "Hello!"
            client 0 ack r1, sent buffer ["> "]
              client 0: pending ["> "] against remote r2 ["H",{"d":1}] (right) -> [1,"> "]
              client 0: remote ["H",{"d":1}] against pending ["> "] (left) -> ["H",2,{"d":1}]
            client 0 remote r2 as ["H",2,{"d":1}] -> "H> ello!"
              server: incoming ["> "] against r2 ["H",{"d":1}] (right) -> [1,"> "]
            server r3 from client 0: [1,"> "] -> "H> ello!"
            client 0 ack r3
            server forwards client 0's caret at r3: 3..3
              client 1: pending ["H",{"d":1}] against remote r1 [5,"!"] (right) -> ["H",{"d":1}]
              client 1: remote [5,"!"] against pending ["H",{"d":1}] (left) -> [5,"!"]
            client 1 remote r1 as [5,"!"] -> "Hello!"
            client 1 ack r2
            server forwards client 1's caret at r3: 1..1
            client 0 shows client 1's caret at 1..1
            client 1 remote r3 as [1,"> "] -> "H> ello!"
            client 1 shows client 0's caret at 3..3
            --
            server r3 "H> ello!"
            client 0 r3 synchronized "H> ello!" caret 3..3 sees 1 at 1..1 undo 2 redo 0
            client 1 r3 synchronized "H> ello!" caret 1..1 sees 0 at 3..3 undo 1 redo 0
        "#]],
    );
}

#[test]
fn undo_removes_only_ones_own_change_after_others_edited() {
    check(
        2,
        "",
        r#"
        0 splice 0 0 "h"
        at 100
        0 splice 1 0 "ello"
        quiesce
        at 2000
        1 splice 5 0 " world"
        1 splice 0 0 "> "
        quiesce
        0 undo
        quiesce
        0 redo
        quiesce
        "#,
        expect![[r#"
            client 0 edit ["h"], sent -> "h"
            client 0 edit [1,"ello"] -> "hello"
            server r1 from client 0: ["h"] -> "h"
            client 0 ack r1, sent buffer [1,"ello"]
            server r2 from client 0: [1,"ello"] -> "hello"
            client 0 ack r2
            server forwards client 0's caret at r2: 5..5
            client 1 remote r1 as ["h"] -> "h"
            client 1 remote r2 as [1,"ello"] -> "hello"
            client 1 shows client 0's caret at 5..5
            client 1 edit [5," world"], sent -> "hello world"
            client 1 edit ["> "] -> "> hello world"
            server r3 from client 1: [5," world"] -> "hello world"
            client 0 remote r3 as [5," world"] -> "hello world"
            client 1 ack r3, sent buffer ["> "]
            server r4 from client 1: ["> "] -> "> hello world"
            client 0 remote r4 as ["> "] -> "> hello world"
            client 1 ack r4
            server forwards client 1's caret at r4: 2..2
            client 0 shows client 1's caret at 2..2
            client 0 undo [2,{"d":5}], sent -> ">  world"
            server r5 from client 0: [2,{"d":5}] -> ">  world"
            client 0 ack r5
            server forwards client 0's caret at r5: 2..2
            client 1 remote r5 as [2,{"d":5}] -> ">  world"
            client 1 shows client 0's caret at 2..2
            client 0 redo [2,"hello"], sent -> "> hello world"
            server r6 from client 0: [2,"hello"] -> "> hello world"
            client 0 ack r6
            server forwards client 0's caret at r6: 7..7
            client 1 remote r6 as [2,"hello"] -> "> hello world"
            client 1 shows client 0's caret at 7..7
            --
            server r6 "> hello world"
            client 0 r6 synchronized "> hello world" caret 7..7 sees 1 at 2..2 undo 1 redo 0
            client 1 r6 synchronized "> hello world" caret 2..2 sees 0 at 7..7 undo 2 redo 0
        "#]],
    );
}

#[test]
fn deleted_text_comes_back_where_it_was_after_a_concurrent_insert() {
    check(
        2,
        "one two three",
        r#"
        0 splice 4 4 ""
        1 splice 0 0 "zero "
        quiesce
        0 undo
        quiesce
        "#,
        expect![[r#"
            client 0 edit [4,{"d":4}], sent -> "one three"
            client 1 edit ["zero "], sent -> "zero one two three"
            server r1 from client 0: [4,{"d":4}] -> "one three"
              server: incoming ["zero "] against r1 [4,{"d":4}] (right) -> ["zero "]
            server r2 from client 1: ["zero "] -> "zero one three"
            client 0 ack r1
            server forwards client 0's caret at r2: 0..0
            client 0 remote r2 as ["zero "] -> "zero one three"
              client 1: pending ["zero "] against remote r1 [4,{"d":4}] (right) -> ["zero "]
              client 1: remote [4,{"d":4}] against pending ["zero "] (left) -> [9,{"d":4}]
            client 1 remote r1 as [9,{"d":4}] -> "zero one three"
            client 1 ack r2
            server forwards client 1's caret at r2: 5..5
            client 0 shows client 1's caret at 5..5
            client 1 shows client 0's caret at 0..0
            client 0 undo [9,"two "], sent -> "zero one two three"
            server r3 from client 0: [9,"two "] -> "zero one two three"
            client 0 ack r3
            server forwards client 0's caret at r3: 0..0
            client 1 remote r3 as [9,"two "] -> "zero one two three"
            client 1 shows client 0's caret at 0..0
            --
            server r3 "zero one two three"
            client 0 r3 synchronized "zero one two three" caret 0..0 sees 1 at 5..5 undo 0 redo 1
            client 1 r3 synchronized "zero one two three" caret 5..5 sees 0 at 0..0 undo 1 redo 0
        "#]],
    );
}

#[test]
fn typing_bursts_are_one_undo_step_and_the_history_is_limited() {
    // Limit 3, burst 500 ms: "ab" is one step (100 ms apart), "c" a second (600 ms later),
    // deleting is a third kind of step, and the fourth step pushes out the oldest.
    check(
        1,
        "",
        r#"
        at 0
        0 splice 0 0 "a"
        at 100
        0 splice 1 0 "b"
        at 700
        0 splice 2 0 "c"
        at 800
        0 splice 2 1 ""
        at 2000
        0 splice 0 0 "z"
        0 undo
        0 undo
        0 undo
        0 undo
        0 redo
        quiesce
        "#,
        expect![[r#"
            client 0 edit ["a"], sent -> "a"
            client 0 edit [1,"b"] -> "ab"
            client 0 edit [2,"c"] -> "abc"
            client 0 edit [2,{"d":1}] -> "ab"
            client 0 edit ["z"] -> "zab"
            client 0 undo [{"d":1}] -> "ab"
            client 0 undo [2,"c"] -> "abc"
            client 0 undo [2,{"d":1}] -> "ab"
            client 0 redo [2,"c"] -> "abc"
            server r1 from client 0: ["a"] -> "a"
            client 0 ack r1, sent buffer [1,"bc"]
            server r2 from client 0: [1,"bc"] -> "abc"
            client 0 ack r2
            server forwards client 0's caret at r2: 3..3
            --
            server r2 "abc"
            client 0 r2 synchronized "abc" caret 3..3 undo 1 redo 2
        "#]],
    );
}

#[test]
fn a_caret_stays_on_its_text_through_remote_edits() {
    check(
        2,
        "the quick fox",
        r#"
        0 select 4 9
        1 splice 0 0 "see "
        1 splice 14 0 "brown "
        quiesce
        1 splice 0 8 ""
        quiesce
        0 splice 1 0 "!"
        "#,
        expect![[r#"
            client 1 edit ["see "], sent -> "see the quick fox"
            client 1 edit [14,"brown "] -> "see the quick brown fox"
            server forwards client 0's caret at r0: 4..9
            server r1 from client 1: ["see "] -> "see the quick fox"
            client 0 remote r1 as ["see "] -> "see the quick fox"
            client 1 shows client 0's caret at 8..13
            client 1 ack r1, sent buffer [14,"brown "]
            server r2 from client 1: [14,"brown "] -> "see the quick brown fox"
            client 0 remote r2 as [14,"brown "] -> "see the quick brown fox"
            client 1 ack r2
            server forwards client 1's caret at r2: 4..4
            client 0 shows client 1's caret at 4..4
            client 1 edit [{"d":8}], sent -> "quick brown fox"
            server r3 from client 1: [{"d":8}] -> "quick brown fox"
            client 0 remote r3 as [{"d":8}] -> "quick brown fox"
            client 1 ack r3
            server forwards client 1's caret at r3: 0..0
            client 0 shows client 1's caret at 0..0
            client 0 edit [1,"!"], sent -> "q!uick brown fox"
            --
            server r3 "quick brown fox"
            client 0 r3 awaiting confirm "q!uick brown fox" caret 0..6 sees 1 at 0..0 undo 1 redo 0
            client 1 r3 synchronized "quick brown fox" caret 0..0 sees 0 at 0..5 undo 3 redo 0
        "#]],
    );
}

#[test]
fn bad_operations_and_messages_are_errors() {
    check(
        2,
        "abc",
        r#"
        0 op [4,"x"]
        1 op [{"d":5}]
        0 splice 0 0 "x"
        "#,
        expect![[r#"
            0 op [4,"x"]: error: the operation's skip reaches position 4, past the end of the 3-character document
            1 op [{"d":5}]: error: the operation's delete reaches position 5, past the end of the 3-character document
            client 0 edit ["x"], sent -> "xabc"
            --
            server r0 "abc"
            client 0 r0 awaiting confirm "xabc" caret 1..1 undo 1 redo 0
            client 1 r0 synchronized "abc" caret 0..0 undo 0 redo 0
        "#]],
    );
}

#[test]
fn messages_the_protocol_cannot_expect_are_errors_and_change_nothing() {
    let mut steps = Vec::new();
    let mut server = Server::new("abc");
    let mut client = Client::new(0, "abc", 0, UndoSettings::default());
    let x = Op::splice(0, 0, "x");
    let mut out = Vec::new();
    out.push(format!(
        "{:?}",
        server
            .receive(0, 1, &x, &mut steps)
            .map_err(|e| e.to_string())
    ));
    out.push(format!(
        "{:?}",
        server
            .receive(0, 0, &Op::splice(9, 0, "x"), &mut steps)
            .map_err(|e| e.to_string())
    ));
    out.push(format!("{:?}", client.on_ack(1).map_err(|e| e.to_string())));
    out.push(format!(
        "{:?}",
        client
            .on_remote(2, &x, &mut steps)
            .map_err(|e| e.to_string())
    ));
    out.push(format!(
        "{:?}",
        client
            .on_remote(1, &Op::splice(4, 0, "x"), &mut steps)
            .map_err(|e| e.to_string())
    ));
    out.push(format!(
        "server r{} {:?}, client r{} {:?} {}",
        server.revision(),
        server.doc(),
        client.revision(),
        client.doc(),
        client.state().name()
    ));
    expect![[r#"
        Err("the operation is based on revision 1, but the server is at revision 0")
        Err("the operation's skip reaches position 9, past the end of the 3-character document")
        Err("unexpected message: an acknowledgement with nothing in flight")
        Err("unexpected message: a remote operation out of order")
        Err("the operation's skip reaches position 4, past the end of the 3-character document")
        server r0 "abc", client r0 "abc" synchronized"#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn carets_travel_through_the_server_and_past_unconfirmed_edits() {
    // Client 1 selects "quick" while client 0 has an unconfirmed insert before it: the caret
    // reaches client 0 at the server's revision and is shown past client 0's own insert.
    check(
        2,
        "the quick fox",
        r#"
        0 splice 0 0 "see "
        1 select 4 9
        up 1
        down 0
        up 0
        quiesce
        "#,
        expect![[r#"
            client 0 edit ["see "], sent -> "see the quick fox"
            server forwards client 1's caret at r0: 4..9
            client 0 shows client 1's caret at 8..13
            server r1 from client 0: ["see "] -> "see the quick fox"
            client 0 ack r1
            server forwards client 0's caret at r1: 4..4
            client 1 remote r1 as ["see "] -> "see the quick fox"
            client 1 shows client 0's caret at 4..4
            --
            server r1 "see the quick fox"
            client 0 r1 synchronized "see the quick fox" caret 4..4 sees 1 at 8..13 undo 1 redo 0
            client 1 r1 synchronized "see the quick fox" caret 8..13 sees 0 at 4..4 undo 0 redo 0
        "#]],
    );
}

#[test]
fn a_burst_is_typing_on_at_the_caret_or_backspacing_and_ends_on_undo_or_redo() {
    // "ab" then "cd" typed on at the caret (one step, even across someone else's edit before
    // it); "X" typed elsewhere (a new step); three backspaces (one step); "e", then redo with
    // nothing to redo (found by the single-client fuzzer: it ends the burst), then "f" (its
    // own step). The history keeps the last three steps; the two undos take back "f" and "e".
    check(
        2,
        "",
        r#"
        at 0
        0 splice 0 0 "ab"
        at 100
        1 splice 0 0 "> "
        up 1
        down 0
        0 splice 4 0 "cd"
        at 200
        0 splice 0 0 "X"
        at 300
        0 splice 6 1 ""
        0 splice 5 1 ""
        0 splice 4 1 ""
        at 400
        0 splice 4 0 "e"
        0 redo
        0 splice 5 0 "f"
        quiesce
        0 undo
        0 undo
        quiesce
        "#,
        expect![[r#"
            client 0 edit ["ab"], sent -> "ab"
            client 1 edit ["> "], sent -> "> "
            server r1 from client 1: ["> "] -> "> "
              client 0: pending ["ab"] against remote r1 ["> "] (right) -> [2,"ab"]
              client 0: remote ["> "] against pending ["ab"] (left) -> ["> "]
            client 0 remote r1 as ["> "] -> "> ab"
            client 0 edit [4,"cd"] -> "> abcd"
            client 0 edit ["X"] -> "X> abcd"
            client 0 edit [6,{"d":1}] -> "X> abc"
            client 0 edit [5,{"d":1}] -> "X> ab"
            client 0 edit [4,{"d":1}] -> "X> a"
            client 0 edit [4,"e"] -> "X> ae"
            client 0 edit [5,"f"] -> "X> aef"
              server: incoming ["ab"] against r1 ["> "] (right) -> [2,"ab"]
            server r2 from client 0: [2,"ab"] -> "> ab"
            client 0 ack r2, sent buffer ["X",3,"ef",{"d":1}]
            server r3 from client 0: ["X",3,"ef",{"d":1}] -> "X> aef"
            client 0 ack r3
            server forwards client 0's caret at r3: 6..6
            client 1 ack r1
            server forwards client 1's caret at r3: 3..3
            client 0 shows client 1's caret at 3..3
            client 1 remote r2 as [2,"ab"] -> "> ab"
            client 1 remote r3 as ["X",3,"ef",{"d":1}] -> "X> aef"
            client 1 shows client 0's caret at 6..6
            client 0 undo [5,{"d":1}], sent -> "X> ae"
            client 0 undo [4,{"d":1}] -> "X> a"
            server r4 from client 0: [5,{"d":1}] -> "X> ae"
            client 0 ack r4, sent buffer [4,{"d":1}]
            server r5 from client 0: [4,{"d":1}] -> "X> a"
            client 0 ack r5
            server forwards client 0's caret at r5: 4..4
            client 1 remote r4 as [5,{"d":1}] -> "X> ae"
            client 1 remote r5 as [4,{"d":1}] -> "X> a"
            client 1 shows client 0's caret at 4..4
            --
            server r5 "X> a"
            client 0 r5 synchronized "X> a" caret 4..4 sees 1 at 3..3 undo 1 redo 2
            client 1 r5 synchronized "X> a" caret 3..3 sees 0 at 4..4 undo 1 redo 0
        "#]],
    );
}
