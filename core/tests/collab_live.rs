//! Live collaboration between tabs (`collab::live`) over a model of the browser's
//! `BroadcastChannel`: every message is encoded to JSON and decoded again on the way, as the
//! page does, and delivered to every other tab.
//!
//! * a scripted session as a message log snapshot: a tab joins an empty session, two type,
//!   a third joins late and catches up, one leaves;
//! * carets: a tab's own selection and its peers' carets stay on their characters through
//!   remote edits;
//! * a seeded fuzzer: tabs type, move carets, join and leave while the channel delivers in
//!   any order; at quiescence every tab has the same text and is in sync, and the operations
//!   serialised and applied to a fresh replica in a shuffled order give that text too;
//! * `splice` against a plain-string oracle (proptest), `ops_missing_from` through JSON, and
//!   malformed messages refused as values.
//!
//! Seeds are fixed and printed on failure; `RUN_SLOW_TESTS` runs ten times as many.

use expect_test::{expect, Expect};
use orrery_core::collab::crdt::{Op, Replica, Version};
use orrery_core::collab::live::{splice, LiveTab, Message, HEARTBEAT_MS, PEER_TIMEOUT_MS};
use orrery_core::rng::Rng;
use proptest::prelude::*;

/// Tabs on one channel; `inbox` holds `(from, to, json)` in the order posted. As with
/// `BroadcastChannel`, messages of one sender reach a tab in the order sent; messages of
/// different senders may arrive in any order.
struct Channel {
    tabs: Vec<Option<LiveTab>>,
    inbox: Vec<(usize, usize, String)>,
    log: Vec<String>,
    now: u64,
}

impl Channel {
    fn new() -> Channel {
        Channel {
            tabs: Vec::new(),
            inbox: Vec::new(),
            log: Vec::new(),
            now: 0,
        }
    }

    fn post(&mut self, from: usize, msg: Message) {
        self.log.push(format!("t{from}: {msg}"));
        let json = msg.encode();
        for to in 0..self.tabs.len() {
            if to != from && self.tabs[to].is_some() {
                self.inbox.push((from, to, json.clone()));
            }
        }
    }

    fn join(&mut self, agent: u32) -> usize {
        let mut tab = LiveTab::new(agent);
        let hello = tab.join(self.now);
        self.tabs.push(Some(tab));
        let i = self.tabs.len() - 1;
        self.post(i, hello);
        i
    }

    fn leave(&mut self, i: usize) {
        if let Some(tab) = self.tabs[i].take() {
            self.post(i, tab.leave());
        }
        self.inbox.retain(|(_, to, _)| *to != i);
    }

    fn tab(&mut self, i: usize) -> &mut LiveTab {
        self.tabs[i].as_mut().expect("an open tab")
    }

    /// Types `text` at `pos` in tab `i`, as a text area would report it.
    fn type_at(&mut self, i: usize, pos: usize, text: &str) {
        let old: Vec<char> = self.tab(i).text().chars().collect();
        let mut new: String = old[..pos].iter().collect();
        new.push_str(text);
        new.extend(&old[pos..]);
        let caret = pos + text.chars().count();
        let now = self.now;
        if let Some(m) = self
            .tab(i)
            .edit(&new, (caret, caret), now)
            .expect("an edit")
        {
            self.post(i, m);
        }
    }

    fn erase(&mut self, i: usize, pos: usize, n: usize) {
        let old: Vec<char> = self.tab(i).text().chars().collect();
        let new: String = old[..pos].iter().chain(&old[pos + n..]).collect();
        let now = self.now;
        if let Some(m) = self.tab(i).edit(&new, (pos, pos), now).expect("an edit") {
            self.post(i, m);
        }
    }

    /// Delivers the oldest message on the link of the `k`-th message in the inbox.
    fn deliver(&mut self, k: usize) {
        let (from, to) = (self.inbox[k].0, self.inbox[k].1);
        let first = self
            .inbox
            .iter()
            .position(|m| (m.0, m.1) == (from, to))
            .unwrap_or(k);
        let (_, to, json) = self.inbox.remove(first);
        let now = self.now;
        let Some(tab) = self.tabs[to].as_mut() else {
            return;
        };
        let msg = Message::decode(&json).expect("a message the channel carried");
        let received = tab.receive(msg, now);
        for reply in received.replies {
            self.post(to, reply);
        }
    }

    fn deliver_all(&mut self) {
        while !self.inbox.is_empty() {
            self.deliver(0);
        }
    }

    fn tick(&mut self, ms: u64) {
        self.now += ms;
        for i in 0..self.tabs.len() {
            let now = self.now;
            let out = match self.tabs[i].as_mut() {
                Some(t) => t.tick(now),
                None => continue,
            };
            for m in out {
                self.post(i, m);
            }
        }
    }

    fn open(&self) -> impl Iterator<Item = &LiveTab> {
        self.tabs.iter().flatten()
    }
}

fn check(script: impl FnOnce(&mut Channel), expect: Expect) {
    let mut ch = Channel::new();
    script(&mut ch);
    let mut out = ch.log.join("\n");
    for (i, t) in ch.tabs.iter().enumerate() {
        if let Some(t) = t {
            let peers: Vec<String> = t.peers().keys().map(|a| a.to_string()).collect();
            out.push_str(&format!(
                "\ntab {i} (agent {}): {:?} caret {:?}, peers [{}], in sync {}",
                t.agent(),
                t.text(),
                t.selection(),
                peers.join(" "),
                t.in_sync()
            ));
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn tabs_join_type_catch_up_and_leave() {
    check(
        |ch| {
            let a = ch.join(7);
            ch.deliver_all();
            let b = ch.join(3);
            ch.deliver_all();
            ch.type_at(a, 0, "hi");
            ch.type_at(b, 0, "yo");
            ch.deliver_all();
            let c = ch.join(11);
            ch.deliver_all();
            ch.erase(c, 0, 1);
            ch.deliver_all();
            ch.leave(b);
            ch.deliver_all();
            // The next tick tells the peers what each tab now has.
            ch.tick(250);
            ch.deliver_all();
        },
        expect![[r#"
            t0: 7 hello {} 0 chars
            t1: 3 hello {} 0 chars
            t0: 7 update to 3 {} 0 chars
            t0: 7 update [ins 7@0 "hi" after - before -] {7:0..2} 2 chars
            t1: 3 update [ins 3@0 "yo" after - before -] {3:0..2} 2 chars
            t2: 11 hello {} 0 chars
            t0: 7 update to 11 [ins 7@0 "hi" after - before -] [ins 3@0 "yo" after - before -] {3:0..2, 7:0..2} 4 chars
            t1: 3 update to 11 [ins 3@0 "yo" after - before -] [ins 7@0 "hi" after - before -] {3:0..2, 7:0..2} 4 chars
            t2: 11 update [del 11@0 of 3@0] {3:0..2, 7:0..2, 11:0..1} 3 chars
            t0: 7 update to 3 [del 11@0 of 3@0] {3:0..2, 7:0..2, 11:0..1} 3 chars
            t1: 3 bye
            tab 0 (agent 7): "ohi" caret (3, 3), peers [11], in sync true
            tab 2 (agent 11): "ohi" caret (0, 0), peers [7], in sync true"#]],
    );
}

#[test]
fn carets_stay_on_their_characters_through_remote_edits() {
    let mut ch = Channel::new();
    let (a, b) = (ch.join(1), ch.join(2));
    ch.type_at(a, 0, "hello world");
    ch.deliver_all();
    // a puts its caret before "world"; b types before it and deletes "hello ".
    let now = ch.now;
    let moved = ch.tab(a).select((6, 6), now).expect("the caret moved");
    ch.post(a, moved);
    ch.deliver_all();
    ch.type_at(b, 0, "Oh, ");
    ch.deliver_all();
    assert_eq!(ch.tab(a).selection(), (10, 10));
    ch.erase(b, 4, 6);
    ch.deliver_all();
    let t = ch.tab(a).text();
    assert_eq!(t, "Oh, world");
    assert_eq!(ch.tab(a).selection(), (4, 4), "still before \"world\"");
    // b sees a's caret there too, and a sees b's where b erased.
    assert_eq!(ch.tab(b).peer_caret(1), Some(4));
    assert_eq!(ch.tab(a).peer_caret(2), Some(4));
}

#[test]
fn silent_peers_are_forgotten_and_heartbeats_keep_the_others() {
    let mut ch = Channel::new();
    let (a, b) = (ch.join(1), ch.join(2));
    ch.deliver_all();
    assert_eq!(ch.tab(a).peers().len(), 1);
    // b's tab is frozen (no ticks, no bye): a forgets it after the timeout.
    for _ in 0..(PEER_TIMEOUT_MS / HEARTBEAT_MS) {
        ch.now += HEARTBEAT_MS;
        let now = ch.now;
        let beats = ch.tab(a).tick(now);
        assert!(!beats.is_empty(), "a heartbeat each second");
    }
    ch.now += 1;
    let now = ch.now;
    ch.tab(a).tick(now);
    assert!(ch.tab(a).peers().is_empty());
    // When b speaks again it is back.
    ch.inbox.clear();
    ch.tick(HEARTBEAT_MS);
    ch.deliver_all();
    assert!(ch.tab(a).peers().contains_key(&2));
    assert!(ch.tab(b).peers().contains_key(&1));
}

fn seeds(n: u64) -> std::ops::Range<u64> {
    let n = if std::env::var_os("RUN_SLOW_TESTS").is_some() {
        n * 10
    } else {
        n
    };
    0..n
}

const ALPHABET: &[char] = &['a', 'b', ' ', 'é', '😀', '\n'];

#[test]
fn tabs_converge_whatever_the_delivery_order() {
    for seed in seeds(6) {
        let mut rng = Rng::new(seed);
        let mut ch = Channel::new();
        let mut next_agent = 1;
        for _ in 0..3 {
            ch.join(next_agent);
            next_agent += 1;
        }
        for _ in 0..300 {
            let open: Vec<usize> = (0..ch.tabs.len())
                .filter(|&i| ch.tabs[i].is_some())
                .collect();
            let i = open[rng.below(open.len() as u64) as usize];
            match rng.below(100) {
                0..=39 => {
                    let len = ch.tab(i).text().chars().count();
                    let pos = rng.below(len as u64 + 1) as usize;
                    let n = rng.range(1, 3) as usize;
                    let text: String = (0..n)
                        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
                        .collect();
                    ch.type_at(i, pos, &text);
                }
                40..=54 => {
                    let len = ch.tab(i).text().chars().count();
                    if len > 0 {
                        let pos = rng.below(len as u64) as usize;
                        let n = (rng.range(1, 4) as usize).min(len - pos);
                        ch.erase(i, pos, n);
                    }
                }
                55..=59 => {
                    let len = ch.tab(i).text().chars().count();
                    let p = rng.below(len as u64 + 1) as usize;
                    let now = ch.now;
                    if let Some(m) = ch.tab(i).select((p, p), now) {
                        ch.post(i, m);
                    }
                }
                60..=89 => {
                    // The channel delivers a few messages, of any sender, in any order.
                    for _ in 0..rng.range(1, 6) {
                        if !ch.inbox.is_empty() {
                            let k = rng.below(ch.inbox.len() as u64) as usize;
                            ch.deliver(k);
                        }
                    }
                }
                90..=96 => ch.tick(rng.range(50, 700)),
                97 if open.len() > 1 => {
                    // A tab closes long after the channel delivered what it posted and what
                    // it was sent (milliseconds against a person's pace); what only it had
                    // could otherwise be lost with it.
                    ch.deliver_all();
                    ch.leave(i);
                }
                _ if open.len() < 5 => {
                    ch.join(next_agent);
                    next_agent += 1;
                }
                _ => {}
            }
        }
        // Quiescence: deliver everything, then let heartbeats and requests run out.
        for _ in 0..5 {
            ch.deliver_all();
            ch.tick(HEARTBEAT_MS);
        }
        ch.deliver_all();
        let texts: Vec<String> = ch.open().map(LiveTab::text).collect();
        assert!(
            texts.windows(2).all(|w| w[0] == w[1]),
            "seed {seed}: tabs differ: {texts:?}"
        );
        for t in ch.open() {
            assert!(
                t.in_sync(),
                "seed {seed}: tab {} at {} is not in sync: pending {:?}, peers {:?}",
                t.agent(),
                t.replica().version(),
                t.replica().pending(),
                t.peers()
            );
            assert_eq!(t.refused(), 0, "seed {seed}");
            assert!(!t.collision());
        }
        // Every operation, serialised, applied to a fresh replica in a shuffled order.
        let first = ch.open().next().expect("a tab");
        let mut ops: Vec<String> = first
            .replica()
            .ops_missing_from(&Version::default())
            .iter()
            .map(|op| serde_json::to_string(op).expect("json"))
            .collect();
        for k in (1..ops.len()).rev() {
            ops.swap(k, rng.below(k as u64 + 1) as usize);
        }
        let mut fresh = Replica::new(0);
        for json in ops {
            let op: Op = serde_json::from_str(&json).expect("an op");
            fresh.receive(op).expect("applies or buffers");
        }
        assert!(fresh.pending().is_empty(), "seed {seed}");
        assert_eq!(fresh.text(), texts[0], "seed {seed}");
    }
}

#[test]
fn ops_missing_from_round_trips_through_json() {
    let mut a = Replica::new(1);
    let mut b = Replica::new(2);
    a.insert(0, "hello").unwrap();
    for op in a.ops_missing_from(b.version()) {
        b.receive(op).unwrap();
    }
    b.insert(5, " world").unwrap();
    a.delete(0, 1).unwrap();
    // b lacks only a's delete, a only b's insert.
    let to_b = a.ops_missing_from(b.version());
    let to_a = b.ops_missing_from(a.version());
    assert_eq!(to_b.len(), 1);
    assert_eq!(to_a.len(), 1);
    let json = serde_json::to_string(&to_a).unwrap();
    assert_eq!(
        json,
        r#"[{"op":"insert","id":{"agent":2,"seq":0},"left":{"agent":1,"seq":4},"right":null,"text":" world"}]"#
    );
    for op in serde_json::from_str::<Vec<Op>>(&json).unwrap() {
        a.receive(op).unwrap();
    }
    for op in to_b {
        b.receive(op).unwrap();
    }
    assert_eq!(a.text(), "ello world");
    assert_eq!(a.text(), b.text());
    assert!(a.ops_missing_from(b.version()).is_empty());
}

#[test]
fn malformed_messages_are_refused_with_a_reason() {
    let refuse = |json: &str| Message::decode(json).err().unwrap_or_default();
    assert!(refuse("{").starts_with("not a message"));
    assert!(refuse(r#"{"wave": {"from": 1}}"#).starts_with("not a message"));
    let inverted = r#"{"hello":{"from":1,"presence":{"version":{"ranges":{"2":[[5,3]]}},"chars":0,"caret":"Start"}}}"#;
    assert_eq!(
        refuse(inverted),
        "a version's ranges must be non-empty, sorted and disjoint"
    );
    let overflow = r#"{"update":{"from":1,"to":null,"ops":[{"op":"insert","id":{"agent":1,"seq":4294967295},"left":null,"right":null,"text":"ab"}],"presence":{"version":{"ranges":{}},"chars":0,"caret":"Start"}}}"#;
    assert_eq!(refuse(overflow), "operation 1@4294967295 overflows its ids");
    let ok = LiveTab::new(5).join(0).encode();
    assert!(Message::decode(&ok).is_ok(), "{ok}");
}

fn apply(old: &str, (pos, del, ins): &(usize, usize, String)) -> String {
    let a: Vec<char> = old.chars().collect();
    let mut out: String = a[..*pos].iter().collect();
    out.push_str(ins);
    out.extend(&a[pos + del..]);
    out
}

proptest! {
    #![proptest_config(proptest::test_runner::Config { rng_seed: proptest::test_runner::RngSeed::Fixed(88437), failure_persistence: None, ..proptest::test_runner::Config::default() })]

    /// Whatever the texts and the caret, the splice turns old into new; when new was made by
    /// typing at a place, the splice types there (up to equal neighbours, which it places at
    /// the caret).
    #[test]
    fn splice_turns_old_into_new(old in "[ab😀]{0,12}", new in "[ab😀]{0,12}", caret in 0usize..14) {
        let s = splice(&old, &new, caret);
        prop_assert_eq!(apply(&old, &s), new);
    }

    #[test]
    fn splice_finds_typing_at_the_caret(old in "[ab]{0,12}", at in 0usize..13, typed in "[ab]{1,3}") {
        let chars: Vec<char> = old.chars().collect();
        let at = at.min(chars.len());
        let new: String = chars[..at].iter().collect::<String>() + &typed + &chars[at..].iter().collect::<String>();
        let caret = at + typed.len();
        let (pos, del, ins) = splice(&old, &new, caret);
        prop_assert_eq!(del, 0);
        prop_assert_eq!(pos + ins.chars().count(), caret);
    }
}
