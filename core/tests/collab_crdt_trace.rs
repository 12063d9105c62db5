//! The editing-trace readers: each format of `shared/data/collab` parses from plain or gzip
//! bytes into patches, small inline traces replay and merge to their end content through the
//! CRDT and the gap buffer, and malformed input is an error with a message, never a panic.

use expect_test::{expect, Expect};
use orrery_core::collab::crdt;
use orrery_core::collab::rope;
use orrery_core::collab::trace::{self, Trace};

/// Parses a trace and describes what it holds and what each engine makes of it.
fn describe(text: &str) -> String {
    match trace::parse(text.as_bytes()) {
        Err(e) => format!("error: {e}"),
        Ok(Trace::Sequential(t)) => {
            let crdt = crdt::replay(&t).map(|d| d.text());
            format!(
                "sequential: {} txns, {} patches; gap buffer {:?}; crdt {:?}; end {:?}",
                t.txns.len(),
                t.patch_count(),
                rope::replay(&t).text(),
                crdt,
                t.end_content
            )
        }
        Ok(Trace::Concurrent(t)) => format!(
            "concurrent: {} txns; crdt {:?}; end {:?}",
            t.txns.len(),
            crdt::merge(&t).map(|d| d.text()),
            t.end_content
        ),
    }
}

fn check(text: &str, expect: Expect) {
    expect.assert_eq(&describe(text));
}

#[test]
fn a_sequential_trace_replays_patch_by_patch() {
    check(
        r#"{"startContent":"ab","endContent":"aXYb!","txns":[
            {"time":"t","patches":[[1,0,"XZ"]]},
            {"patches":[[2,1,"Y"],[4,0,"!"]]}]}"#,
        expect![[
            r#"sequential: 2 txns, 3 patches; gap buffer "aXYb!"; crdt Ok("aXYb!"); end "aXYb!""#
        ]],
    );
}

#[test]
fn a_concurrent_trace_merges_two_branches() {
    // Agent 0 types "hi"; both then edit from that version: 0 appends "!", 1 prepends ">".
    check(
        r#"{"kind":"concurrent","endContent":">hi!","numAgents":2,"txns":[
            {"parents":[],"agent":0,"patches":[[0,0,"hi"]]},
            {"parents":[0],"agent":0,"patches":[[2,0,"!"]]},
            {"parents":[0],"agent":1,"patches":[[0,0,">"]]}]}"#,
        expect![[r#"concurrent: 3 txns; crdt Ok(">hi!"); end ">hi!""#]],
    );
}

#[test]
fn a_bad_parent_or_position_is_an_error() {
    check(
        r#"{"kind":"concurrent","endContent":"","txns":[
            {"parents":[1],"agent":0,"patches":[[0,0,"a"]]}]}"#,
        expect![[
            r#"concurrent: 1 txns; crdt Err(Refusal("txn 0: parent 1 is not an earlier txn")); end """#
        ]],
    );
    check(
        r#"{"endContent":"","txns":[{"patches":[[3,0,"a"]]}]}"#,
        expect![[
            r#"sequential: 1 txns, 1 patches; gap buffer "a"; crdt Err(Refusal("txn 0: insert at 3 is past the end (0)")); end """#
        ]],
    );
}

#[test]
fn malformed_input_is_an_error_with_a_message() {
    check(
        "",
        expect![[r#"error: not JSON: EOF while parsing a value at line 1 column 0"#]],
    );
    check(
        r#"{"endContent":"x"}"#,
        expect![[r#"error: not a sequential trace: missing field `txns`"#]],
    );
    check(
        r#"{"endContent":"x","txns":[{"patches":[[0,"a"]]}]}"#,
        expect![[r#"error: not a sequential trace: invalid type: string "a", expected usize"#]],
    );
    let gz = [
        0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
    ];
    expect![[r#"Err(TraceError("gzip: the compressed data is corrupt, truncated or too large"))"#]]
        .assert_eq(&format!("{:?}", trace::parse(&gz).map(|_| ())));
    expect![[r#"Err(TraceError("line 2: not a conformance case: missing field `endContent` at line 1 column 11"))"#]]
        .assert_eq(&format!(
            "{:?}",
            trace::parse_conformance(b"{\"txns\":[],\"endContent\":\"\"}\n{\"txns\":[]}").map(|c| c.len())
        ));
}

#[test]
fn a_conformance_case_names_agents_and_local_versions() {
    // Agents "b" and "a" insert concurrently at 0: "a" sorts first, so its text goes first.
    let line = r#"{"txns":[
        {"span":[0,2],"parents":[],"agent":"b","seqStart":0,"ops":[[0,0,"BB"]]},
        {"span":[2,3],"parents":[],"agent":"a","seqStart":0,"ops":[[0,0,"A"]]},
        {"span":[3,4],"parents":[1,2],"agent":"a","seqStart":1,"ops":[[1,1,""]]}],
        "endContent":"AB"}"#
        .replace('\n', " ");
    let cases = trace::parse_conformance(line.as_bytes()).expect("parses");
    expect![[r#"Ok("AB") end "AB""#]].assert_eq(&format!(
        "{:?} end {:?}",
        crdt::conformance(&cases[0]),
        cases[0].end_content
    ));
}
