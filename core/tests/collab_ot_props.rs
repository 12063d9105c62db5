//! Properties of the OT text type against plain strings: TP1 for transform on both sides,
//! compose agrees with applying in sequence, invert undoes, cursor mapping stays in the
//! document and follows one's own typing, results stay in normal form, and operations that
//! do not fit a document are refused as errors.
//!
//! Operations are generated from lists of actions normalized into valid ranges (skip,
//! delete or insert a short piece of text with multi-byte characters), so failures shrink
//! to short lists.

use orrery_core::collab::ot::{Component, Op, OpBuilder, Selection, Side};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// Pieces of text to insert: ASCII, two-byte, three-byte and four-byte characters.
const PIECES: &[&str] = &["a", "bc", "é", "日本", "😅", "x😅y", "\n"];

/// A document of pieces.
fn doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(0..PIECES.len(), 0..12)
        .prop_map(|ix| ix.into_iter().map(|i| PIECES[i]).collect())
}

/// Actions `(kind, length, piece)` turned into an operation that fits a document of
/// `doc_len` characters: kind 0 skips, 1 deletes, 2 inserts.
fn op_for(doc_len: usize, actions: &[(u8, usize, usize)]) -> Op {
    let mut b = OpBuilder::new();
    let mut left = doc_len;
    for &(kind, len, piece) in actions {
        match kind {
            0 => {
                let n = len.min(left);
                b.skip(n);
                left -= n;
            }
            1 => {
                let n = len.min(left);
                b.delete(n);
                left -= n;
            }
            _ => {
                b.insert(PIECES[piece % PIECES.len()]);
            }
        }
    }
    b.build()
}

fn actions() -> impl Strategy<Value = Vec<(u8, usize, usize)>> {
    proptest::collection::vec((0u8..3, 1usize..5, 0usize..PIECES.len()), 0..10)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Normal form: no empty component, no two adjacent of one kind, no trailing skip.
fn normal(op: &Op) -> Result<(), String> {
    let c = op.components();
    for (i, x) in c.iter().enumerate() {
        let empty = match x {
            Component::Skip(n) | Component::Delete(n) => *n == 0,
            Component::Insert(s) => s.is_empty(),
        };
        if empty {
            return Err(format!("{op}: component {i} is empty"));
        }
        if i > 0 && std::mem::discriminant(x) == std::mem::discriminant(&c[i - 1]) {
            return Err(format!("{op}: components {} and {i} should merge", i - 1));
        }
    }
    if matches!(c.last(), Some(Component::Skip(_))) {
        return Err(format!("{op}: trailing skip"));
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1000,
        rng_seed: RngSeed::Fixed(0x07),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn transform_satisfies_tp1_on_both_sides(d in doc(), xa in actions(), xb in actions()) {
        let a = op_for(chars(&d), &xa);
        let b = op_for(chars(&d), &xb);
        for side in [Side::Left, Side::Right] {
            let a2 = a.transform(&b, side).unwrap();
            let b2 = b.transform(&a, side.flip()).unwrap();
            prop_assert!(normal(&a2).is_ok(), "{:?}", normal(&a2));
            prop_assert!(normal(&b2).is_ok(), "{:?}", normal(&b2));
            let ab = b2.apply(&a.apply(&d).unwrap()).unwrap();
            let ba = a2.apply(&b.apply(&d).unwrap()).unwrap();
            prop_assert_eq!(ab, ba, "doc {:?}, a {}, b {}, side {:?}", d, a, b, side);
        }
    }

    #[test]
    fn the_left_insert_goes_first(d in doc(), pos in 0usize..20, p in 0..PIECES.len(), q in 0..PIECES.len()) {
        let pos = pos.min(chars(&d));
        let a = Op::splice(pos, 0, PIECES[p]);
        let b = Op::splice(pos, 0, PIECES[q]);
        let merged = b.transform(&a, Side::Right).unwrap().apply(&a.apply(&d).unwrap()).unwrap();
        let expected: String = d.chars().take(pos).collect::<String>()
            + PIECES[p] + PIECES[q] + &d.chars().skip(pos).collect::<String>();
        prop_assert_eq!(merged, expected);
    }

    #[test]
    fn compose_agrees_with_applying_in_sequence(d in doc(), xa in actions(), xb in actions()) {
        let a = op_for(chars(&d), &xa);
        let after_a = a.apply(&d).unwrap();
        let b = op_for(chars(&after_a), &xb);
        let ab = a.compose(&b).unwrap();
        prop_assert!(normal(&ab).is_ok(), "{:?}", normal(&ab));
        prop_assert_eq!(ab.apply(&d).unwrap(), b.apply(&after_a).unwrap(), "a {}, b {}, ab {}", a, b, ab);
    }

    #[test]
    fn compose_commutes_with_transform(d in doc(), xa in actions(), xb in actions(), xc in actions()) {
        // Transforming c against a then b equals transforming it against a∘b: the server relies on
        // this when a client's buffer is composed.
        let a = op_for(chars(&d), &xa);
        let after_a = a.apply(&d).unwrap();
        let b = op_for(chars(&after_a), &xb);
        let c = op_for(chars(&d), &xc);
        let ab = a.compose(&b).unwrap();
        let step = c.transform(&a, Side::Right).unwrap().transform(&b, Side::Right).unwrap();
        let once = c.transform(&ab, Side::Right).unwrap();
        let end = ab.apply(&d).unwrap();
        prop_assert_eq!(step.apply(&end).unwrap(), once.apply(&end).unwrap());
    }

    #[test]
    fn invert_undoes(d in doc(), xa in actions()) {
        let a = op_for(chars(&d), &xa);
        let after = a.apply(&d).unwrap();
        let inverse = a.invert(&d).unwrap();
        prop_assert!(normal(&inverse).is_ok(), "{:?}", normal(&inverse));
        prop_assert_eq!(inverse.apply(&after).unwrap(), d.clone());
        // The inverse's inverse is the operation again (as an effect on the document).
        let again = inverse.invert(&after).unwrap();
        prop_assert_eq!(again.apply(&d).unwrap(), after);
    }

    #[test]
    fn cursors_stay_in_the_document_and_in_order(d in doc(), xa in actions(), c1 in 0usize..30, c2 in 0usize..30) {
        let a = op_for(chars(&d), &xa);
        let n = chars(&d);
        let after = chars(&a.apply(&d).unwrap());
        let (lo, hi) = (c1.min(c2).min(n), c1.max(c2).min(n));
        let (lo2, hi2) = (a.transform_position(lo), a.transform_position(hi));
        prop_assert!(lo2 <= hi2 && hi2 <= after, "{lo}->{lo2}, {hi}->{hi2}, length {after}");
        let s = a.transform_selection(Selection { anchor: hi, head: lo });
        prop_assert_eq!(s, Selection { anchor: hi2, head: lo2 });
    }

    #[test]
    fn a_cursor_keeps_the_character_after_it(d in doc(), xa in actions(), c in 0usize..30) {
        // When the character right after the cursor survives, the mapped cursor is right
        // before that same character. Characters are told apart by tagging the document with private-use characters.
        let n = chars(&d);
        let c = c.min(n);
        let tagged: String = (0..n).map(|i| char::from_u32(0xE000 + i as u32).unwrap()).collect();
        let a = op_for(n, &xa);
        // Inserts of the generated pieces never produce tag characters.
        let after: Vec<char> = a.apply(&tagged).unwrap().chars().collect();
        let Some(next) = tagged.chars().nth(c) else { return Ok(()); };
        if let Some(i) = after.iter().position(|&x| x == next) {
            let mapped = a.transform_position(c);
            // The cursor is at or before the surviving character, and nothing between them
            // comes from the original document.
            prop_assert!(mapped <= i, "cursor {c} -> {mapped}, character now at {i}");
            let tag = '\u{E000}'..='\u{F8FF}';
            prop_assert!(after[mapped..i].iter().all(|x| !tag.contains(x)), "cursor {} -> {}", c, mapped);
        }
    }

    #[test]
    fn ones_own_typing_moves_the_caret_past_it(d in doc(), c in 0usize..30, p in 0..PIECES.len(), del in 0usize..3) {
        // Typing (or replacing a selection) at the caret leaves the caret after the new text
        // with `Side::Right`, and before it with `Side::Left` (others' typing).
        let c = c.min(chars(&d));
        let del = del.min(chars(&d) - c);
        let op = Op::splice(c, del, PIECES[p]);
        prop_assert_eq!(op.transform_cursor(c, Side::Right), c + chars(PIECES[p]));
        prop_assert_eq!(op.transform_cursor(c, Side::Left), c);
        prop_assert_eq!(op.transform_cursor(c, Side::Left), op.transform_position(c));
    }

    #[test]
    fn an_op_longer_than_the_document_is_an_error(d in doc(), extra in 1usize..4, delete in any::<bool>()) {
        let n = chars(&d);
        let mut b = OpBuilder::new();
        if delete { b.delete(n + extra); } else { b.skip(n + extra).insert("z"); }
        let op = b.build();
        prop_assert!(op.apply(&d).is_err());
        prop_assert!(op.invert(&d).is_err());
    }
}

#[test]
fn empty_components_from_outside_are_refused() {
    for bad in ["[0]", "[\"\"]", "[{\"d\":0}]", "[3,{\"d\":0},\"x\"]"] {
        let r: Result<Op, _> = serde_json::from_str(bad);
        let e = r.expect_err(bad).to_string();
        assert!(e.contains("is empty"), "{bad}: {e}");
    }
    let merged: Op = serde_json::from_str("[1,2,\"a\",\"b\",{\"d\":1},{\"d\":\"xy\"},4]").unwrap();
    assert_eq!(merged.to_string(), "[3,\"ab\",{\"d\":3}]");
}
