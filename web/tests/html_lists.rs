//! A source check for one Yew pitfall that costs whole frames: every list in `html!`
//! (`{ for … }`) sits in a fragment of its own, `<>{ for … }</>`.
//!
//! Yew's `html!` flattens a list into its parent's children, and Yew reconciles unkeyed
//! children from the end. So in `<div><b/>{ for items }</div>` each change in the number of
//! items pairs `<b>` with an item and re-creates it (and breaks the keys of a keyed list). On
//! the collab page that rebuilt the network drawing's backdrop every frame and each link row's
//! name and button on every send. Inside a fragment the list is one child, diffed on its own.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("web/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a line from its `{ for` on starts an `html!` list rather than a Rust
/// `for` loop in a block (`{ for x in xs {`).
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

#[test]
fn every_html_list_sits_in_its_own_fragment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut bare = Vec::new();
    let mut lists = 0;
    for file in &files {
        let text = fs::read_to_string(file).expect("a source file is readable");
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
                        && i > 0
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
