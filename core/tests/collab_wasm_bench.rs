//! The wasm twin of `benches/collab_crdt.rs` and `benches/collab_ot.rs` for the issue's
//! "the same replay in wasm (target within 3× of native)": the `automerge-paper` trace
//! replayed as local edits through the CRDT, through OT and through the gap buffer, in
//! headless Chromium, timed with `performance.now()`. The trace is compiled in from
//! `../shared/data/collab` (the browser has no file system). It prints one line per engine
//! and asserts only that each replay reproduces the trace's final text. Run it optimised (it
//! is not part of `scripts/test.sh`):
//! `cargo test --release --target wasm32-unknown-unknown -p orrery-core --test collab_wasm_bench -- --nocapture`.
#![cfg(target_arch = "wasm32")]

use orrery_core::collab::trace::{self, Trace};
use orrery_core::collab::{crdt, ot, rope};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const AUTOMERGE_PAPER: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/collab/sequential/automerge-paper.json.gz"
));

/// The median and the best of `rounds` timings of `f`, in milliseconds.
fn time(rounds: usize, now: &dyn Fn() -> f64, mut f: impl FnMut()) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = now();
            f();
            now() - start
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[0])
}

#[wasm_bindgen_test]
fn automerge_paper_replay() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("the page has window.performance");
    let now = || performance.now();
    let Trace::Sequential(t) = trace::parse(AUTOMERGE_PAPER).expect("the trace parses") else {
        panic!("automerge-paper is a sequential trace");
    };
    let chars = t.end_content.chars().count();
    let rounds = 15;
    let (median, best) = time(rounds, &now, || {
        let doc = crdt::replay(&t).expect("the CRDT replays the trace");
        assert_eq!(doc.len(), chars);
    });
    console_log!(
        "wasm automerge-paper crdt: median {median:.1} ms, best {best:.1} ms ({rounds} rounds)"
    );
    let (median, best) = time(rounds, &now, || {
        let text = ot::trace::replay(&t).expect("OT replays the trace");
        assert_eq!(text.chars().count(), chars);
    });
    console_log!(
        "wasm automerge-paper ot: median {median:.1} ms, best {best:.1} ms ({rounds} rounds)"
    );
    let (median, best) = time(rounds, &now, || {
        let buffer = rope::replay(&t);
        assert_eq!(buffer.len(), chars);
    });
    console_log!(
        "wasm automerge-paper rope: median {median:.1} ms, best {best:.1} ms ({rounds} rounds)"
    );
}
