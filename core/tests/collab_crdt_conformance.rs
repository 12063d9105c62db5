//! Conformance of the sequence CRDT with `shared/data/collab`: every case of
//! `conformance-fugue.jsonl.gz` (FugueMax order of concurrent inserts) merges to its
//! `endContent`, the concurrent trace `friendsforever` merges to its `endContent`, and every
//! sequential trace replays to its `endContent` through the CRDT and through the gap buffer.
//!
//! The data lives outside the repository in `../shared/data/collab`; when it is absent the
//! tests say so and pass. Every case takes a few seconds at most in a debug build, so every
//! case always runs.

use std::path::PathBuf;

use orrery_core::collab::crdt;
use orrery_core::collab::rope;
use orrery_core::collab::trace::{self, Trace};

fn data(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/collab")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!("skipping: {} is absent ({e})", path.display());
            None
        }
    }
}

#[test]
fn every_fugue_conformance_case_merges_to_its_end_content() {
    let Some(bytes) = data("concurrent/conformance-fugue.jsonl.gz") else {
        return;
    };
    let cases = trace::parse_conformance(&bytes).expect("the conformance file parses");
    assert_eq!(cases.len(), 500);
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        match crdt::conformance(case) {
            Ok(text) if text == case.end_content => {}
            Ok(text) => wrong.push(format!(
                "case {i}: got {text:?}, expected {:?}",
                case.end_content
            )),
            Err(e) => wrong.push(format!("case {i}: {e}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ; first: {:#?}",
        wrong.len(),
        cases.len(),
        &wrong[..wrong.len().min(5)]
    );
}

#[test]
fn friendsforever_merges_to_its_end_content() {
    let Some(bytes) = data("concurrent/friendsforever.json.gz") else {
        return;
    };
    let Trace::Concurrent(t) = trace::parse(&bytes).expect("parses") else {
        panic!("friendsforever is a concurrent trace");
    };
    let doc = crdt::merge(&t).expect("merges");
    doc.check_invariants().expect("invariants hold");
    assert_eq!(doc.len(), 21_362);
    assert!(doc.text() == t.end_content, "the merged text differs");
}

fn sequential(name: &str) {
    let Some(bytes) = data(&format!("sequential/{name}.json.gz")) else {
        return;
    };
    let Trace::Sequential(t) = trace::parse(&bytes).expect("parses") else {
        panic!("{name} is a sequential trace");
    };
    assert!(
        rope::replay(&t).text() == t.end_content,
        "{name}: the gap buffer differs"
    );
    let doc = crdt::replay(&t).expect("replays");
    doc.check_invariants().expect("invariants hold");
    assert!(doc.text() == t.end_content, "{name}: the CRDT differs");
}

#[test]
fn rustcode_replays_to_its_end_content() {
    sequential("rustcode");
}

#[test]
fn automerge_paper_replays_to_its_end_content() {
    sequential("automerge-paper");
}

#[test]
fn seph_blog1_replays_to_its_end_content() {
    sequential("seph-blog1");
}
