//! Speed and size of the sequence CRDT on real editing traces, natively. Run with
//! `cargo bench -p orrery-core --bench collab_crdt`. Prints figures (median of seven runs);
//! asserts nothing but that each replay reproduces its end content. Skips with a message when
//! `../shared/data/collab` is absent.
//!
//! * replay of each sequential trace through the CRDT and through the gap buffer (the floor);
//! * merge of the concurrent trace `friendsforever` and of the 500 conformance cases;
//! * memory of the CRDT's structure per character (runs, chunks, per-seq tables).
//!
//! `cargo bench -p orrery-core --bench collab_crdt -- automerge` runs only the sections whose
//! name holds the word.

use std::path::PathBuf;
use std::time::Instant;

use orrery_core::collab::trace::{self, Trace};
use orrery_core::collab::{crdt, rope};

fn read(name: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/collab")
        .join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            println!("skipping: {} is absent", path.display());
            None
        }
    }
}

/// Median wall time in milliseconds of `runs` calls.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    // `cargo bench --bench collab_crdt -- NAME` runs only the sections whose name holds NAME.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    for name in ["automerge-paper", "seph-blog1", "rustcode"] {
        if !wanted(name) {
            continue;
        }
        let Some(bytes) = read(&format!("sequential/{name}.json.gz")) else {
            continue;
        };
        let Ok(Trace::Sequential(t)) = trace::parse(&bytes) else {
            panic!("{name} is a sequential trace");
        };
        let patches = t.patch_count();
        let doc = crdt::replay(&t).expect("replays");
        assert!(doc.text() == t.end_content, "{name}: CRDT differs");
        let crdt_ms = median_ms(7, || {
            std::hint::black_box(crdt::replay(&t).expect("replays"));
        });
        let rope_ms = median_ms(7, || {
            std::hint::black_box(rope::replay(&t));
        });
        println!(
            "{name:<16} {patches:>7} patches  crdt {crdt_ms:>7.1} ms ({:>5.0} ns/patch)  gap buffer {rope_ms:>6.1} ms  ratio {:.1}x",
            crdt_ms * 1e6 / patches as f64,
            crdt_ms / rope_ms
        );
        println!(
            "{:<16} {} items ({} visible), {} runs, {} bytes: {:.1} B/item, {:.1} B/visible char",
            "",
            doc.item_count(),
            doc.len(),
            doc.run_count(),
            doc.memory_bytes(),
            doc.memory_bytes() as f64 / doc.item_count() as f64,
            doc.memory_bytes() as f64 / doc.len().max(1) as f64
        );
    }
    if let Some(bytes) =
        read("concurrent/friendsforever.json.gz").filter(|_| wanted("friendsforever"))
    {
        let Ok(Trace::Concurrent(t)) = trace::parse(&bytes) else {
            panic!("friendsforever is a concurrent trace");
        };
        let doc = crdt::merge(&t).expect("merges");
        assert!(doc.text() == t.end_content, "friendsforever differs");
        let ms = median_ms(7, || {
            std::hint::black_box(crdt::merge(&t).expect("merges"));
        });
        println!(
            "friendsforever   {} txns merged in {ms:.1} ms; {} items, {} runs, {:.1} B/item",
            t.txns.len(),
            doc.item_count(),
            doc.run_count(),
            doc.memory_bytes() as f64 / doc.item_count() as f64
        );
    }
    if let Some(bytes) =
        read("concurrent/conformance-fugue.jsonl.gz").filter(|_| wanted("conformance"))
    {
        let cases = trace::parse_conformance(&bytes).expect("parses");
        let ms = median_ms(7, || {
            for c in &cases {
                std::hint::black_box(crdt::conformance(c).expect("merges"));
            }
        });
        println!(
            "conformance      {} cases merged in {ms:.1} ms ({:.0} µs/case)",
            cases.len(),
            ms * 1000.0 / cases.len() as f64
        );
    }
}
