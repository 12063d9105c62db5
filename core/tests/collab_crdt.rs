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
//! | `B catchup A` | B receives what A's log holds beyond B's version (a reconnect) |
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
                        let deps: Vec<String> =
                            op.dependencies().iter().map(|d| d.to_string()).collect();
                        messages.push(op.clone());
                        log += &format!(
                            "{} m{}: {op} (needs {})\n",
                            name(r as u32),
                            messages.len(),
                            if deps.is_empty() {
                                "-".into()
                            } else {
                                deps.join(" ")
                            }
                        );
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
            "catchup" => {
                let from = (words[2].as_bytes()[0] - b'A') as usize;
                let ops = replicas[from].ops_missing_from(replicas[r].version());
                log += &format!(
                    "{} catches up on {} ops from {}\n",
                    name(r as u32),
                    ops.len(),
                    words[2]
                );
                for op in ops {
                    replicas[r].receive(op).expect("a valid op");
                }
            }
            "anchor" => anchors[r] = replicas[r].anchor(num(2)),
            "graph" => {
                for (i, node) in replicas[r].causal_graph().iter().enumerate() {
                    log += &format!("{} graph {}\n", name(r as u32), node.line(i));
                }
            }
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
            A m1: ins 0@0 "ab" after - before - (needs -)
            A m2: ins 0@2 "c" after 0@1 before - (needs 0@1)
            B m3: ins 1@0 "x" after - before - (needs -)
            B m4: ins 1@1 "yz" after 1@0 before - (needs 1@0)
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
            A m1: ins 0@0 ">" after - before - (needs -)
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: ins 0@1 "b" after 0@0 before - (needs 0@0)
            A m3: ins 0@2 "a" after 0@0 before 0@1 (needs 0@0 0@1)
            B m4: ins 1@0 "y" after 0@0 before - (needs 0@0)
            B m5: ins 1@1 "x" after 0@0 before 1@0 (needs 0@0 1@0)
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
            A m1: ins 0@0 "abc" after - before - (needs -)
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: del 0@3 of 0@1 (needs 0@1)
            B m3: ins 1@0 "X" after 0@1 before 0@2 (needs 0@1 0@2)
            A recv m3: Ok(Applied { unblocked: 0 })
            B recv m2: Ok(Applied { unblocked: 0 })
            B m4: del 1@1 of 0@0 1@0 0@2 (needs 0@0 1@0 0@2)
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
            A m1: ins 0@0 "hello" after - before - (needs -)
            A m2: ins 0@5 "!" after 0@4 before - (needs 0@4)
            A m3: del 0@6 of 0@0 (needs 0@0)
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
            A m1: ins 0@0 "xyz" after - before - (needs -)
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: del 0@3 of 0@1 (needs 0@1)
            B m3: del 1@0 of 0@0+2 (needs 0@0 0@1)
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
            A m1: ins 0@0 "one_two" after - before - (needs -)
            B recv m1: Ok(Applied { unblocked: 0 })
            A m2: ins 0@7 "zero_" after - before 0@0 (needs 0@0)
            A m3: del 0@12 of 0@0+3 (needs 0@0 0@2)
            B recv m2: Ok(Applied { unblocked: 0 })
            B recv m3: Ok(Applied { unblocked: 0 })
            B anchor After(Id { agent: 0, seq: 3 }) is at 6
            A m4: del 0@15 of 0@7+5 0@3+4 (needs 0@7 0@11 0@3 0@6)
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
            A m1: ins 0@0 "ab" after - before - (needs -)
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

#[test]
fn a_reconnecting_replica_catches_up_from_one_peer() {
    check(
        "
        A ins 0 base
        B ins 0 >
        A recv m2
        C recv m1
        A ins 5 _a
        B ins 1 b
        C catchup A
        C catchup B
        C catchup A
        ",
        expect![[r#"
            A m1: ins 0@0 "base" after - before - (needs -)
            B m2: ins 1@0 ">" after - before - (needs -)
            A recv m2: Ok(Applied { unblocked: 0 })
            C recv m1: Ok(Applied { unblocked: 0 })
            A m3: ins 0@4 "_a" after 1@0 before - (needs 1@0)
            B m4: ins 1@1 "b" after 1@0 before - (needs 1@0)
            C catches up on 2 ops from A
            C catches up on 1 ops from B
            C catches up on 0 ops from A
            A "base>_a" items base>_a version {0:0..6, 1:0..1}
            B ">b" items >b version {1:0..2}
            C "base>_ab" items base>_ab version {0:0..6, 1:0..2}
        "#]],
    );
}

#[test]
fn the_causal_graph_has_a_node_per_run_of_typing_and_edges_to_what_it_needs() {
    // A types "hello"; B, having it, types " world" at the end and A meanwhile fixes the
    // start; B backspaces twice; C merges everything.
    check(
        "
        A ins 0 h
        A ins 1 e
        A ins 2 l
        A ins 3 l
        A ins 4 o
        B sync
        B ins 5 _wo
        B ins 8 rld
        A ins 0 H
        A del 1 1
        B del 9 2
        C sync
        C graph
        ",
        expect![[r#"
            A m1: ins 0@0 "h" after - before - (needs -)
            A m2: ins 0@1 "e" after 0@0 before - (needs 0@0)
            A m3: ins 0@2 "l" after 0@1 before - (needs 0@1)
            A m4: ins 0@3 "l" after 0@2 before - (needs 0@2)
            A m5: ins 0@4 "o" after 0@3 before - (needs 0@3)
            B recv m1: Ok(Applied { unblocked: 0 })
            B recv m2: Ok(Applied { unblocked: 0 })
            B recv m3: Ok(Applied { unblocked: 0 })
            B recv m4: Ok(Applied { unblocked: 0 })
            B recv m5: Ok(Applied { unblocked: 0 })
            B m6: ins 1@0 "_wo" after 0@4 before - (needs 0@4)
            B m7: ins 1@3 "rld" after 1@2 before - (needs 1@2)
            A m8: ins 0@5 "H" after - before 0@0 (needs 0@0)
            A m9: del 0@6 of 0@0 (needs 0@0)
            B m10: del 1@6 of 1@4+2 (needs 1@4 1@5)
            C recv m1: Ok(Applied { unblocked: 0 })
            C recv m2: Ok(Applied { unblocked: 0 })
            C recv m3: Ok(Applied { unblocked: 0 })
            C recv m4: Ok(Applied { unblocked: 0 })
            C recv m5: Ok(Applied { unblocked: 0 })
            C recv m6: Ok(Applied { unblocked: 0 })
            C recv m7: Ok(Applied { unblocked: 0 })
            C recv m8: Ok(Applied { unblocked: 0 })
            C recv m9: Ok(Applied { unblocked: 0 })
            C recv m10: Ok(Applied { unblocked: 0 })
            C graph 0: 0@0..5 ins "hello"
            C graph 1: 1@0..6 ins "_world" <- 0
            C graph 2: 0@5..6 ins "H" <- 0
            C graph 3: 0@6..7 del 1 <- 0
            C graph 4: 1@6..8 del 2 <- 1
            A "Hello" items H[h]ello version {0:0..7}
            B "hello_wor" items hello_wor[l][d] version {0:0..5, 1:0..8}
            C "Hello_wor" items H[h]ello_wor[l][d] version {0:0..7, 1:0..8}
        "#]],
    );
}
