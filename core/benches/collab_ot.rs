//! OT replay speed of the sequential editing traces in `../shared/data/collab/sequential`:
//! every patch as an operation applied to a gap-buffer document (the figure the collab issue
//! asks for), plus the cost of transforming and composing the traces' operations pairwise.
//! Run with `cargo bench -p orrery-core --bench collab_ot`. Prints figures (best of five
//! runs); asserts only that each replay reproduces `endContent`. Skips with a message when
//! the data is absent.

use std::path::PathBuf;
use std::time::Instant;

use orrery_core::collab::ot::trace::{ops, parse, replay};
use orrery_core::collab::ot::{Op, Side};

/// The best wall time of five runs of `f`, in milliseconds.
fn best_ms(mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/collab/sequential"
    ));
    for name in ["automerge-paper", "seph-blog1", "rustcode"] {
        let path = dir.join(format!("{name}.json.gz"));
        let Ok(bytes) = std::fs::read(&path) else {
            println!("skipping {name}: {} is absent", path.display());
            continue;
        };
        let t = Instant::now();
        let trace = parse(&bytes).expect("the trace parses");
        let parse_ms = t.elapsed().as_secs_f64() * 1e3;
        let ops: Vec<Op> = ops(&trace).collect();
        let n = ops.len();

        let mut end = String::new();
        let replay_ms = best_ms(|| end = replay(&trace).expect("every patch fits"));
        assert!(
            end == trace.end_content,
            "{name}: replay differs from endContent"
        );

        // Each operation against its predecessor as if they were concurrent (both ways).
        let transform_ms = best_ms(|| {
            for w in ops.windows(2) {
                let a = w[1].transform(&w[0], Side::Left).expect("transforms");
                let b = w[0].transform(&w[1], Side::Right).expect("transforms");
                std::hint::black_box((a, b));
            }
        });
        // Each operation composed with its successor.
        let compose_ms = best_ms(|| {
            for w in ops.windows(2) {
                std::hint::black_box(w[0].compose(&w[1]).expect("composes"));
            }
        });
        println!(
            "{name:<16} {n:>7} patches, {:>6} chars: parse {parse_ms:>6.1} ms, replay {replay_ms:>6.2} ms ({:>5.1} M patches/s); {:>5.2} M transform pairs/s, {:>5.2} M composes/s",
            end.chars().count(),
            n as f64 / replay_ms / 1e3,
            (n - 1) as f64 / transform_ms / 1e3,
            (n - 1) as f64 / compose_ms / 1e3,
        );
    }
}
