//! Tidy: what reviewers would otherwise nag about. Every Rust source file starts with a `//!`
//! doc line, and `core` stays pure: no clocks, no ambient randomness, no environment, no
//! printing, no hash-ordered collections. In `web`, every `html!` list sits in a fragment.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_source_file_starts_with_a_doc_line() {
    let mut files = Vec::new();
    for dir in [
        "core/src",
        "core/tests",
        "core/benches",
        "core/examples",
        "cli/src",
        "web/src",
        "web/tests",
    ] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 10);
    let missing: Vec<String> = files
        .iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! doc line: {missing:#?}"
    );
}

#[test]
fn core_stays_pure() {
    let banned = [
        ("std::time", "core never reads a clock"),
        ("Instant::", "core never reads a clock"),
        ("SystemTime", "core never reads a clock"),
        ("thread_rng", "randomness comes from the run's Rng"),
        ("rand::", "randomness comes from the run's Rng"),
        ("std::env", "core does not read the environment"),
        (
            "HashMap",
            "use BTreeMap, or hash::FixedMap for lookups only",
        ),
        (
            "HashSet",
            "use BTreeSet, or hash::FixedSet for lookups only",
        ),
        ("RandomState", "per-process hashing is not deterministic"),
        ("println!", "core does no I/O"),
        ("eprintln!", "core does no I/O"),
        ("std::fs", "core does no I/O"),
        ("web_sys", "core has no browser dependency"),
    ];
    let mut files = Vec::new();
    rust_files(&root().join("core/src"), &mut files);
    let mut problems = Vec::new();
    for f in &files {
        // The one place allowed to name std's hash maps: it wraps them with a fixed hasher.
        if f.ends_with("hash.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (pat, why) in banned {
                if code.contains(pat) {
                    problems.push(format!("{}:{}: {pat}: {why}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Tests are deterministic: every property test runs from a fixed seed (proptest's default is
/// a fresh random seed per run).
#[test]
fn every_property_test_has_a_fixed_seed() {
    let mut files = Vec::new();
    for dir in [
        "core/src",
        "core/tests",
        "cli/src",
        "cli/tests",
        "web/src",
        "web/tests",
    ] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut unseeded = Vec::new();
    let mut checked = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if !text.contains("proptest! {") || f.ends_with("tidy.rs") {
            continue;
        }
        checked += 1;
        let seeds = text.matches("RngSeed::Fixed(").count();
        if seeds == 0 {
            unseeded.push(f.strip_prefix(root()).unwrap_or(f).display().to_string());
        }
    }
    assert!(
        checked > 10,
        "only {checked} files with property tests found"
    );
    assert!(
        unseeded.is_empty(),
        "property tests without `rng_seed: RngSeed::Fixed(..)`: {unseeded:?}"
    );
}

/// Whether a line from its `{ for` on starts an `html!` list rather than a Rust `for` loop in
/// a block (`{ for x in xs {`).
fn is_html_list(rest_of_line: &str) -> bool {
    let after = rest_of_line
        .trim_start_matches("{ for ")
        .trim_start_matches("{for ");
    let pattern_end = after.find(" in ");
    let is_loop = pattern_end.is_some_and(|end| {
        after[..end]
            .chars()
            .all(|c| c.is_alphanumeric() || "_&(), ".contains(c))
    });
    !is_loop
}

/// Every list in `html!` (`{ for … }`) sits in a fragment of its own, `<>{ for … }</>`.
///
/// Yew's `html!` flattens a list into its parent's children, and Yew reconciles unkeyed
/// children from the end. So in `<div><b/>{ for items }</div>` each change in the number of
/// items pairs `<b>` with an item and re-creates it (and breaks the keys of a keyed list). On
/// the collab page that rebuilt the network drawing's backdrop every frame and each link row's
/// name and button on every send. Inside a fragment the list is one child, diffed on its own.
#[test]
fn every_html_list_sits_in_its_own_fragment() {
    let root = root().join("web/src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut bare = Vec::new();
    let mut lists = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file is readable");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            for pattern in ["{ for ", "{for "] {
                let Some(at) = line.find(pattern) else {
                    continue;
                };
                if !is_html_list(&line[at..]) {
                    continue;
                }
                lists += 1;
                // The fragment opens right before the list, on this line or the one above.
                let before = line[..at].trim_end();
                let opened = before.ends_with("<>")
                    || (before.is_empty()
                        && lines[..i]
                            .iter()
                            .rev()
                            .find(|l| !l.trim().is_empty())
                            .is_some_and(|l| l.trim_end().ends_with("<>")));
                if !opened {
                    let name = file.strip_prefix(&root).unwrap_or(file).display();
                    bare.push(format!("{name}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        lists > 100,
        "only {lists} html! lists found: is the scan still reading web/src?"
    );
    assert!(
        bare.is_empty(),
        "html! lists outside a fragment of their own (write `<>{{ for … }}</>`):\n{}",
        bare.join("\n")
    );
}
