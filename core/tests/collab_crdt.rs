//! Sequence CRDT behaviour through [`Replica`], as event-log snapshots: one `check` runs a
//! small script of local edits and deliveries on replicas `A`, `B`, `C` (agents 0, 1, 2) and
//! logs each operation, each delivery's outcome, and every replica's text and items.
//!
//! Script lines:
//!
//! | line | meaning |
//! |---|---|
//! | `A ins 3 xyz` | replica A types `xyz` at code point 3; the operation is named `m1`, `m2`, ... |
//! | `A del 3 2` | replica A deletes 2 code points at 3 |
//! | `B recv m1 m2` | replica B receives those operations, in that order |
//! | `B sync` | replica B receives every operation so far that it lacks, in creation order |
//! | `B anchor 4` / `B where` | B remembers an anchor at code point 4 / prints where it is now |

use expect_test::{expect, Expect};
use orrery_core::collab::crdt::{Anchor, Op, Replica};

fn name(agent: u32) -> char {
    (b'A' + agent as u8) as char
}

fn items(r: &Replica) -> String {
    r.items()
        .iter()
        .map(|i| {
            let ch = if i.ch == '\n' { '⏎' } else { i.ch };
            if i.deleted {
                format!("[{ch}]")
            } else {
                ch.to_string()
            }
        })
        .collect()
}

fn run(script: &str) -> String {
    let mut replicas: Vec<Replica> = (0..3).map(Replica::new).collect();
    let mut messages: Vec<Op> = Vec::new();
    let mut anchors: Vec<Anchor> = vec![Anchor::Start; 3];
    let mut log = String::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let r = (words[0].as_bytes()[0] - b'A') as usize;
        let num = |i: usize| words[i].parse::<usize>().expect("a number");
        match words[1] {
            "ins" | "del" => {
                let res = if words[1] == "ins" {
                    replicas[r].insert(num(2), words[3])
                } else {
                    replicas[r].delete(num(2), num(3))
                };
                match res {
                    Ok(op) => {
                        messages.push(op.clone());
                        log += &format!("{} m{}: {op}\n", name(r as u32), messages.len());
                    }
                    Err(e) => log += &format!("{} refused: {e}\n", name(r as u32)),
                }
            }
            "recv" | "sync" => {
                let picks: Vec<usize> = if words[1] == "sync" {
                    (0..messages.len())
                        .filter(|&m| {
                            let op = &messages[m];
                            op.id().agent != r as u32
                                && !replicas[r].version().overlaps(op.id(), op.len())
                        })
                        .collect()
                } else {
                    words[2..]
                        .iter()
                        .map(|m| m.trim_start_matches('m').parse::<usize>().expect("m<n>") - 1)
                        .collect()
                };
                for m in picks {
                    let d = replicas[r].receive(messages[m].clone());
                    log += &format!("{} recv m{}: {d:?}\n", name(r as u32), m + 1);
                }
            }
            "anchor" => anchors[r] = replicas[r].anchor(num(2)),
            "where" => {
                log += &format!(
                    "{} anchor {:?} is at {}\n",
                    name(r as u32),
                    anchors[r],
                    replicas[r].resolve(anchors[r])
                )
            }
            other => panic!("unknown step {other}"),
        }
    }
    for r in &replicas {
        r.doc().check_invariants().expect("invariants hold");
        log += &format!(
            "{} {:?} items {} version {}{}\n",
            name(r.agent()),
            r.text(),
            items(r),
            r.version(),
            if r.pending().is_empty() {
                String::new()
            } else {
                format!(" pending {}", r.pending().len())
            }
        );
    }
    log
}

fn check(script: &str, expect: Expect) {
    expect.assert_eq(&run(script));
}

#[test]
fn concurrent_inserts_at_one_place_order_by_agent_and_never_interleave() {
    check(
        "
        A ins 0 ab
        A ins 2 c
        B ins 0 x
        B ins 1 yz
        A sync
        B sync
        C sync
        ",
        expect![[r#"
            A m1: ins 0@0 "ab" after - before -
            A m2: ins 0@2 "c" after 0@1 before -
            B m3: ins 1@0 "x" after - before -
            B m4: ins 1@1 "yz" after 1@0 before -
            A recv m3: Ok(Applied { unblocked: 0 })
            A recv m4: Ok(Applied { unblocked: 0 })
            B recv m1: Ok(Applied { unblocked: 0 })
            B recv m2: Ok(Applied { unblocked: 0 })
            C recv m1: Ok(Applied { unblocked: 0 })
            C recv m2: Ok(Applied { unblocked: 0 })
            C recv m3: Ok(Applied { unblocked: 0 })
            C recv m4: Ok(Applied { unblocked: 0 })
            A "abcxyz" items abcxyz version {0:0..3, 1:0..3}
            B "abcxyz" items abcxyz version {0:0..3, 1:0..3}
            C "abcxyz" items abcxyz version {0:0..3, 1:0..3}
        "#]],
    );
}

#[test]
fn typing_backwards_concurrently_does_not_interleave() {
    // Both type a word right-to-left after "> ": FugueMax keeps each word together.
    check(
        "
        A ins 0 >
        B sync
        A ins 1 b
        A ins 1 a
        B ins 1 y
        B ins 1 x
        A sync
        B sync
        ",
        expect![[r#"
            A m1: ins 0@0 ">" after - before -
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: ins 0@1 "b" after 0@0 before -
            A m3: ins 0@2 "a" after 0@0 before 0@1
            B m4: ins 1@0 "y" after 0@0 before -
            B m5: ins 1@1 "x" after 0@0 before 1@0
            A recv m4: Ok(Applied { unblocked: 0 })
            A recv m5: Ok(Applied { unblocked: 0 })
            B recv m2: Ok(Applied { unblocked: 0 })
            B recv m3: Ok(Applied { unblocked: 0 })
            A ">abxy" items >abxy version {0:0..3, 1:0..2}
            B ">abxy" items >abxy version {0:0..3, 1:0..2}
            C "" items  version {}
        "#]],
    );
}

#[test]
fn a_delete_and_a_concurrent_insert_next_to_it_both_survive() {
    check(
        "
        A ins 0 abc
        B sync
        A del 1 1
        B ins 2 X
        A sync
        B sync
        B del 0 3
        A sync
        ",
        expect![[r#"
            A m1: ins 0@0 "abc" after - before -
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: del 0@3 of 0@1
            B m3: ins 1@0 "X" after 0@1 before 0@2
            A recv m3: Ok(Applied { unblocked: 0 })
            B recv m2: Ok(Applied { unblocked: 0 })
            B m4: del 1@1 of 0@0 1@0 0@2
            A recv m4: Ok(Applied { unblocked: 0 })
            A "" items [a][b][X][c] version {0:0..4, 1:0..4}
            B "" items [a][b][X][c] version {0:0..4, 1:0..4}
            C "" items  version {}
        "#]],
    );
}

#[test]
fn out_of_order_delivery_buffers_and_duplicates_are_ignored() {
    check(
        "
        A ins 0 hello
        A ins 5 !
        A del 0 1
        C recv m3 m2 m2 m1 m1
        B recv m1 m3 m2
        ",
        expect![[r#"
            A m1: ins 0@0 "hello" after - before -
            A m2: ins 0@5 "!" after 0@4 before -
            A m3: del 0@6 of 0@0
            C recv m3: Ok(Buffered { missing: Id { agent: 0, seq: 0 } })
            C recv m2: Ok(Buffered { missing: Id { agent: 0, seq: 4 } })
            C recv m2: Ok(Duplicate)
            C recv m1: Ok(Applied { unblocked: 2 })
            C recv m1: Ok(Duplicate)
            B recv m1: Ok(Applied { unblocked: 0 })
            B recv m3: Ok(Applied { unblocked: 0 })
            B recv m2: Ok(Applied { unblocked: 0 })
            A "ello!" items [h]ello! version {0:0..7}
            B "ello!" items [h]ello! version {0:0..7}
            C "ello!" items [h]ello! version {0:0..7}
        "#]],
    );
}

#[test]
fn concurrent_deletes_of_one_character_delete_it_once() {
    check(
        "
        A ins 0 xyz
        B sync
        A del 1 1
        B del 0 2
        A sync
        B sync
        ",
        expect![[r#"
            A m1: ins 0@0 "xyz" after - before -
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: del 0@3 of 0@1
            B m3: del 1@0 of 0@0+2
            A recv m3: Ok(Applied { unblocked: 0 })
            B recv m2: Ok(Applied { unblocked: 0 })
            A "z" items [x][y]z version {0:0..4, 1:0..2}
            B "z" items [x][y]z version {0:0..4, 1:0..2}
            C "" items  version {}
        "#]],
    );
}

#[test]
fn an_anchor_stays_with_its_text_through_remote_edits() {
    check(
        "
        A ins 0 one_two
        B sync
        B anchor 4
        A ins 0 zero_
        A del 5 3
        B sync
        B where
        A del 0 9
        B sync
        B where
        ",
        expect![[r#"
            A m1: ins 0@0 "one_two" after - before -
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: ins 0@7 "zero_" after - before 0@0
            A m3: del 0@12 of 0@0+3
            B recv m2: Ok(Applied { unblocked: 0 })
            B recv m3: Ok(Applied { unblocked: 0 })
            B anchor After(Id { agent: 0, seq: 3 }) is at 6
            A m4: del 0@15 of 0@7+5 0@3+4
            B recv m4: Ok(Applied { unblocked: 0 })
            B anchor After(Id { agent: 0, seq: 3 }) is at 0
            A "" items [z][e][r][o][_][o][n][e][_][t][w][o] version {0:0..24}
            B "" items [z][e][r][o][_][o][n][e][_][t][w][o] version {0:0..24}
            C "" items  version {}
        "#]],
    );
}

#[test]
fn edits_outside_the_text_are_refused() {
    check(
        "
        A ins 1 x
        A ins 0 ab
        A del 1 5
        A del 2 0
        ",
        expect![[r#"
            A refused: insert at 1 is past the end (0)
            A m1: ins 0@0 "ab" after - before -
            A refused: delete of 5 at 1 is past the end (2)
            A refused: nothing to delete
            A "ab" items ab version {0:0..2}
            B "" items  version {}
            C "" items  version {}
        "#]],
    );
}

#[test]
fn operations_that_can_never_apply_are_refused_as_values() {
    use orrery_core::collab::crdt::Id;
    let mut r = Replica::new(0);
    r.insert(0, "ok").expect("local insert");
    let refused = |r: &mut Replica, op: Op| format!("{:?}", r.receive(op));
    let ins = |id: Id, left: Option<Id>, right: Option<Id>, text: &str| Op::Insert {
        id,
        left,
        right,
        text: text.into(),
    };
    let log = [
        refused(&mut r, ins(Id::new(1, 0), None, None, "")),
        refused(&mut r, ins(Id::new(70_000, 0), None, None, "x")),
        refused(&mut r, ins(Id::new(1, 1 << 29), None, None, "x")),
        refused(
            &mut r,
            ins(Id::new(1, 0), Some(Id::new(0, 1)), Some(Id::new(0, 0)), "x"),
        ),
        refused(
            &mut r,
            Op::Delete {
                id: Id::new(1, 0),
                targets: vec![],
            },
        ),
        refused(
            &mut r,
            Op::Delete {
                id: Id::new(1, 0),
                targets: vec![(Id::new(0, 0), u32::MAX)],
            },
        ),
        refused(&mut r, ins(Id::new(0, 0), None, None, "dup")),
    ]
    .join("\n");
    expect![[r#"
        Err(Refusal("an operation must touch at least one character"))
        Err(Refusal("agent 70000 is out of range (at most 65535)"))
        Err(Refusal("seq 536870912 of agent 1 is more than 1048576 past its last known seq"))
        Err(Refusal("the right origin of 1@0 is not to the right of its left origin"))
        Err(Refusal("an operation must touch at least one character"))
        Err(Refusal("a delete of too many characters"))
        Ok(Duplicate)"#]]
    .assert_eq(&log);
    assert_eq!(r.text(), "ok");
    r.doc().check_invariants().expect("invariants hold");
}
