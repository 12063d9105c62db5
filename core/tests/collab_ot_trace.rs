//! Replay of the sequential editing traces in `shared/data/collab/sequential/` through OT:
//! every patch as an operation applied to a gap-buffer document gives exactly the trace's
//! `endContent`; the gap buffer agrees with [`Op::apply`] on strings for random operations.
//!
//! The data lives outside the repository; when it is absent the tests say so and pass.

use std::path::PathBuf;

use orrery_core::collab::ot::text::Text;
use orrery_core::collab::ot::trace::{parse, replay, SequentialTrace};
use orrery_core::collab::ot::{Op, OpBuilder};
use orrery_core::rng::Rng;

fn trace(name: &str) -> Option<SequentialTrace> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/collab/sequential"
    ))
    .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(parse(&bytes).expect("the trace parses")),
        Err(e) => {
            eprintln!("skipping: {} is absent ({e})", path.display());
            None
        }
    }
}

/// Replays a trace and checks the end content, the patch count and the final length.
fn check(name: &str, patches: Option<usize>, chars: usize) {
    let Some(t) = trace(name) else {
        return;
    };
    let end = replay(&t).expect("every patch fits");
    eprintln!(
        "{name}: {} patches, {} characters",
        t.patch_count(),
        end.chars().count()
    );
    if let Some(p) = patches {
        assert_eq!(t.patch_count(), p);
    }
    assert_eq!(end.chars().count(), chars);
    assert!(
        end == t.end_content,
        "{name}: the replay differs from endContent"
    );
}

#[test]
fn automerge_paper_replays_to_its_end_content() {
    check("automerge-paper.json.gz", Some(259_778), 104_852);
}

#[test]
fn seph_blog1_replays_to_its_end_content() {
    check("seph-blog1.json.gz", None, 56_769);
}

#[test]
fn rustcode_replays_to_its_end_content() {
    check("rustcode.json.gz", None, 65_218);
}

#[test]
fn the_gap_buffer_agrees_with_apply_on_strings() {
    const PIECES: &[&str] = &["a", "xyz", "é", "😅", "\n"];
    let mut rng = Rng::new(0x6A9);
    for round in 0..200 {
        let mut s = String::new();
        let mut text = Text::new("");
        for step in 0..60 {
            let n = s.chars().count();
            let mut b = OpBuilder::new();
            let mut left = n;
            for _ in 0..rng.range(1, 4) {
                let k = rng.below(left as u64 + 1) as usize;
                match rng.below(3) {
                    0 => {
                        b.skip(k);
                        left -= k;
                    }
                    1 => {
                        b.delete(k.min(3));
                        left -= k.min(3);
                    }
                    _ => {
                        b.insert(PIECES[rng.below(PIECES.len() as u64) as usize]);
                    }
                }
            }
            if rng.chance(1, 20) {
                // Now and then one that reaches past the end.
                b.skip(left + 1).insert("q");
            }
            let op = b.build();
            let expected = op.apply(&s);
            let got = text.apply(&op);
            assert_eq!(
                expected.is_ok(),
                got.is_ok(),
                "round {round} step {step}: {op}"
            );
            if let Ok(e) = expected {
                s = e;
            }
            assert_eq!(text.to_string(), s, "round {round} step {step}: {op}");
            assert_eq!(text.len(), s.chars().count());
        }
    }
    // An operation past the end leaves the text as it was.
    let mut t = Text::new("abc");
    assert!(t.apply(&Op::splice(2, 2, "x")).is_err());
    assert_eq!(t.to_string(), "abc");
}
