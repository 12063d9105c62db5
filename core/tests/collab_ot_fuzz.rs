//! Seeded fuzzers of the OT protocol: several clients make random edits, undos and redos while
//! messages wait on the links for random times (each link in order, as over TCP); at
//! quiescence every client holds the server's document and shows every other user's caret
//! exactly where that user has it. One user's undo among others' concurrent inserts and
//! deletes removes what is left of that user's text and nothing else. A single client's
//! history equals a plain-string oracle after every step, undo and redo included.
//!
//! Delays are modelled by delivering, at each step, the oldest message of a random busy link:
//! any timing of in-order links is such a schedule.
//!
//! Seeds are fixed and printed on failure; `RUN_SLOW_TESTS=1` runs ten times as many. To
//! study one seed of the single-client fuzzer: `OT_SEED=n OT_DEBUG=1` prints every step.

use orrery_core::collab::ot::{Event, Op, OpBuilder, Selection, Session, UndoSettings};
use orrery_core::rng::Rng;

const PIECES: &[&str] = &["a", "b", "cd", "é", "日", "😅", " ", "\n"];

fn seeds(n: u64) -> u64 {
    if std::env::var_os("RUN_SLOW_TESTS").is_some() {
        n * 10
    } else {
        n
    }
}

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.below(xs.len() as u64) as usize]
}

/// A random edit of a document of `n` characters: mostly typing and backspacing at one place,
/// sometimes a replacement, sometimes an operation with several components.
fn random_op(rng: &mut Rng, n: usize) -> Op {
    let pos = rng.below(n as u64 + 1) as usize;
    match rng.below(10) {
        0..=4 => Op::splice(pos, 0, pick(rng, PIECES)),
        5..=6 => {
            let del = rng.below((n - pos) as u64 + 1).min(3) as usize;
            Op::splice(pos, del, "")
        }
        7 => {
            let del = rng.below((n - pos) as u64 + 1) as usize;
            Op::splice(pos, del, pick(rng, PIECES))
        }
        _ => {
            let mut b = OpBuilder::new();
            let mut left = n;
            for _ in 0..rng.range(1, 5) {
                let k = rng.below(left as u64 + 1).min(4) as usize;
                match rng.below(3) {
                    0 => b.skip(k),
                    1 => b.delete(k),
                    _ => b.insert(pick(rng, PIECES)),
                };
                left -= k;
            }
            b.build()
        }
    }
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// Delivers the oldest message on a random busy link, if any.
fn deliver_some(
    session: &mut Session,
    rng: &mut Rng,
    events: &mut Vec<Event>,
) -> Result<(), String> {
    let busy = session.busy_links();
    if busy.is_empty() {
        return Ok(());
    }
    let link = busy[rng.below(busy.len() as u64) as usize];
    session
        .deliver(link, events)
        .map_err(|e| format!("{link}: {e}"))
}

/// Runs one seed; returns how many transforms of each role happened, for coverage.
fn run_multi(seed: u64) -> Result<[usize; 4], String> {
    let mut rng = Rng::new(seed);
    let n = rng.range(2, 5) as usize;
    let undo = UndoSettings {
        limit: rng.range(1, 8) as usize,
        burst_ms: 500,
    };
    let mut session = Session::new(n, "shared 😅 text", undo);
    let mut events = Vec::new();
    let mut now = 0;
    for _ in 0..rng.range(10, 120) {
        now += rng.below(1500);
        let c = rng.below(n as u64) as u32;
        let r = match rng.below(20) {
            0..=9 => {
                let op = random_op(&mut rng, len(session.clients()[c as usize].doc()));
                session
                    .edit(c, &op, now, &mut events)
                    .map_err(|e| e.to_string())
            }
            10 => session
                .undo(c, &mut events)
                .map_err(|e| format!("undo: {e}")),
            11 => session
                .redo(c, &mut events)
                .map_err(|e| format!("redo: {e}")),
            12 => {
                let len = len(session.clients()[c as usize].doc()) as u64;
                let (a, h) = (rng.below(len + 1) as usize, rng.below(len + 1) as usize);
                session.select(c, Selection { anchor: a, head: h });
                Ok(())
            }
            _ => deliver_some(&mut session, &mut rng, &mut events),
        };
        r?;
    }
    // Everyone places a caret; once the carets have travelled, every client shows every
    // other's caret exactly where that user has it.
    for c in 0..n as u32 {
        let len = len(session.clients()[c as usize].doc()) as u64;
        let (a, h) = (rng.below(len + 1) as usize, rng.below(len + 1) as usize);
        session.select(c, Selection { anchor: a, head: h });
    }
    session
        .quiesce(|n| rng.below(n as u64) as usize, &mut events)
        .map_err(|e| e.to_string())?;
    if let Some(d) = session.divergence() {
        return Err(d);
    }
    if !session.quiet() {
        return Err("a client is not synchronized at quiescence".to_string());
    }
    for c in session.clients() {
        for p in session.clients() {
            if p.id() != c.id() && c.peers().get(&p.id()) != Some(&p.selection()) {
                return Err(format!(
                    "client {} shows client {}'s caret at {:?}, which is at {:?}",
                    c.id(),
                    p.id(),
                    c.peers().get(&p.id()),
                    p.selection()
                ));
            }
        }
    }
    let revision = session.server().revision();
    if let Some(c) = session.clients().iter().find(|c| c.revision() != revision) {
        return Err(format!(
            "client {} is at r{}, the server at r{revision}",
            c.id(),
            c.revision()
        ));
    }
    let mut roles = [0; 4];
    for e in &events {
        if let Event::Transform(step) = e {
            let i = ["incoming", "pending", "buffer", "remote"]
                .iter()
                .position(|r| *r == step.role)
                .unwrap_or(3);
            roles[i] += 1;
        }
    }
    Ok(roles)
}

#[test]
fn clients_converge_at_quiescence_under_random_delays() {
    let mut failures = Vec::new();
    let mut roles = [0; 4];
    for seed in 0..seeds(300) {
        match run_multi(seed) {
            Ok(r) => (0..4).for_each(|i| roles[i] += r[i]),
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    eprintln!(
        "transforms: incoming {}, pending {}, buffer {}, remote {}",
        roles[0], roles[1], roles[2], roles[3]
    );
    // The schedules reach every branch of the protocol, many times.
    assert!(roles.iter().all(|&n| n > 100), "{roles:?}");
}

/// The plain-string oracle: the text, and the texts to go back to, one per undo step.
struct Oracle {
    text: Vec<char>,
    undo: Vec<Vec<char>>,
    redo: Vec<Vec<char>>,
    /// When the last change was, and where a change must be to continue its burst: typing
    /// at `(1, caret)`, or deleting at `(2, start)` (backspacing ends there, deleting forward
    /// starts there).
    open: Option<(u64, (u8, usize))>,
}

/// A change as the oracle groups it: `(1, start, end)` for one insert, `(2, start, end)` for
/// one deletion, `(3, 0, 0)` for anything else.
fn burst_kind(op: &Op) -> (u8, usize, usize) {
    use orrery_core::collab::ot::Component;
    let c = op.components();
    let (skip, rest) = match c.first() {
        Some(Component::Skip(n)) => (*n, &c[1..]),
        _ => (0, c),
    };
    match rest {
        [Component::Insert(s)] => (1, skip, skip + len(s)),
        [Component::Delete(n)] => (2, skip, skip + n),
        _ => (3, 0, 0),
    }
}

fn apply_plain(text: &[char], op: &Op) -> Vec<char> {
    use orrery_core::collab::ot::Component;
    let mut out = Vec::new();
    let mut i = 0;
    for c in op.components() {
        match c {
            Component::Skip(n) => {
                out.extend_from_slice(&text[i..i + n]);
                i += n;
            }
            Component::Delete(n) => i += n,
            Component::Insert(s) => out.extend(s.chars()),
        }
    }
    out.extend_from_slice(&text[i..]);
    out
}

/// Runs one seed; returns how many changes continued an undo step.
fn run_single(seed: u64) -> Result<usize, String> {
    let mut rng = Rng::new(seed);
    let undo = UndoSettings {
        limit: rng.range(1, 6) as usize,
        burst_ms: 300,
    };
    let mut session = Session::new(1, "", undo);
    let mut events = Vec::new();
    let mut oracle = Oracle {
        text: Vec::new(),
        undo: Vec::new(),
        redo: Vec::new(),
        open: None,
    };
    let mut now = 0;
    let mut grown = 0;
    // Where the last change left the caret, to type or backspace on from there.
    let mut caret = 0;
    for step in 0..rng.range(5, 80) {
        now += rng.below(600);
        let what;
        match rng.below(10) {
            0..=5 => {
                let n = oracle.text.len();
                let op = match rng.below(4) {
                    0 => Op::splice(caret.min(n), 0, pick(&mut rng, PIECES)),
                    1 if caret > 0 && caret <= n => Op::splice(caret - 1, 1, ""),
                    _ => random_op(&mut rng, n),
                };
                what = format!("edit {op}");
                session
                    .edit(0, &op, now, &mut events)
                    .map_err(|e| e.to_string())?;
                if !op.is_noop() {
                    let (kind, start, end) = burst_kind(&op);
                    let continues = match oracle.open {
                        Some((t, (1, caret))) => kind == 1 && start == caret && now - t <= 300,
                        Some((t, (2, at))) => {
                            kind == 2 && (end == at || start == at) && now - t <= 300
                        }
                        _ => false,
                    };
                    caret = if kind == 1 { end } else { start };
                    if continues && !oracle.undo.is_empty() {
                        grown += 1;
                    }
                    if !continues || oracle.undo.is_empty() {
                        oracle.undo.push(oracle.text.clone());
                        if oracle.undo.len() > undo.limit {
                            oracle.undo.remove(0);
                        }
                    }
                    oracle.open = match kind {
                        1 => Some((now, (1, end))),
                        2 => Some((now, (2, start))),
                        _ => Some((now, (3, 0))),
                    };
                    oracle.redo.clear();
                    oracle.text = apply_plain(&oracle.text, &op);
                }
            }
            6 => {
                what = "undo".to_string();
                session.undo(0, &mut events).map_err(|e| e.to_string())?;
                oracle.open = None;
                if let Some(t) = oracle.undo.pop() {
                    oracle.redo.push(std::mem::replace(&mut oracle.text, t));
                }
            }
            7 => {
                what = "redo".to_string();
                session.redo(0, &mut events).map_err(|e| e.to_string())?;
                oracle.open = None;
                if let Some(t) = oracle.redo.pop() {
                    oracle.undo.push(std::mem::replace(&mut oracle.text, t));
                }
            }
            _ => {
                what = "deliver".to_string();
                deliver_some(&mut session, &mut rng, &mut events)?;
            }
        }
        let expected: String = oracle.text.iter().collect();
        if std::env::var_os("OT_DEBUG").is_some() {
            eprintln!(
                "{step} {what}: {:?} {:?} undo {:?}",
                session.clients()[0].doc(),
                expected,
                session.clients()[0]
                    .undo_history()
                    .undo_steps()
                    .iter()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
            );
        }
        if session.clients()[0].doc() != expected {
            return Err(format!(
                "step {step} ({what}): client holds {:?}, the oracle {expected:?}",
                session.clients()[0].doc()
            ));
        }
    }
    session
        .quiesce(|n| rng.below(n as u64) as usize, &mut events)
        .map_err(|e| e.to_string())?;
    let expected: String = oracle.text.iter().collect();
    if session.server().doc() != expected {
        return Err(format!(
            "server holds {:?}, the oracle {expected:?}",
            session.server().doc()
        ));
    }
    Ok(grown)
}

#[test]
fn a_single_client_equals_a_plain_string_oracle_with_undo_and_redo() {
    let mut failures = Vec::new();
    let mut grown = 0;
    for seed in std::env::var("OT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(0..seeds(300), |s: u64| s..s + 1)
    {
        match run_single(seed) {
            Ok(g) => grown += g,
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    eprintln!("{grown} changes continued a typing burst");
    assert!(
        grown > 100 || std::env::var_os("OT_SEED").is_some(),
        "bursts are exercised"
    );
}

/// Client 0 inserts a piece of text and later undoes it while the others insert and delete
/// around (and inside) it. Every character is unique, so the end can be checked as a set:
/// exactly the characters inserted by anyone, minus those anyone deleted, minus the undone
/// piece. The undo removes what remains of its own text and nothing of anyone else's.
fn run_undo_among_others(seed: u64) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let n = rng.range(2, 4) as u32;
    let mut next = 0x4E00u32;
    let mut fresh = |k: usize| -> String {
        (0..k)
            .map(|_| {
                next += 1;
                char::from_u32(next).unwrap_or('?')
            })
            .collect()
    };
    let base = fresh(8);
    let mut session = Session::new(n as usize, &base, UndoSettings::default());
    let mut events = Vec::new();
    let mut alive: std::collections::BTreeSet<char> = base.chars().collect();
    let mut deleted = std::collections::BTreeSet::new();

    let piece = fresh(rng.range(1, 5) as usize);
    let pos = rng.below(len(&base) as u64 + 1) as usize;
    session
        .edit(0, &Op::splice(pos, 0, &piece), 0, &mut events)
        .map_err(|e| e.to_string())?;
    let undo_at = rng.range(0, 30);
    for step in 0..40 {
        if step == undo_at {
            session.undo(0, &mut events).map_err(|e| e.to_string())?;
        }
        let c = rng.range(1, n as u64 - 1) as u32;
        match rng.below(3) {
            0 => {
                let doc = session.clients()[c as usize].doc().to_string();
                let text = fresh(rng.range(1, 3) as usize);
                alive.extend(text.chars());
                let at = rng.below(len(&doc) as u64 + 1) as usize;
                session
                    .edit(c, &Op::splice(at, 0, &text), 1000 * step, &mut events)
                    .map_err(|e| e.to_string())?;
            }
            1 => {
                let doc = session.clients()[c as usize].doc().to_string();
                let at = rng.below(len(&doc) as u64 + 1) as usize;
                let del = (rng.below(3) as usize).min(len(&doc) - at);
                deleted.extend(doc.chars().skip(at).take(del));
                session
                    .edit(c, &Op::splice(at, del, ""), 1000 * step, &mut events)
                    .map_err(|e| e.to_string())?;
            }
            _ => deliver_some(&mut session, &mut rng, &mut events)?,
        }
    }
    if undo_at >= 40 {
        session.undo(0, &mut events).map_err(|e| e.to_string())?;
    }
    session
        .quiesce(|k| rng.below(k as u64) as usize, &mut events)
        .map_err(|e| e.to_string())?;
    if let Some(d) = session.divergence() {
        return Err(d);
    }
    let end: std::collections::BTreeSet<char> = session.server().doc().chars().collect();
    let expected: std::collections::BTreeSet<char> = alive.difference(&deleted).copied().collect();
    if end != expected {
        let missing: String = expected.difference(&end).collect();
        let extra: String = end.difference(&expected).collect();
        return Err(format!(
            "undo of {piece:?} (at step {undo_at}): missing {missing:?}, extra {extra:?}"
        ));
    }
    Ok(())
}

#[test]
fn undo_removes_ones_own_text_and_nothing_else_among_concurrent_edits() {
    let mut failures = Vec::new();
    for seed in 0..seeds(300) {
        if let Err(e) = run_undo_among_others(seed) {
            failures.push(format!("seed {seed}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
