//! Cron across daylight-saving transitions, for both transitions of America/New_York,
//! Europe/London and Australia/Lord_Howe (whose clocks move by 30 minutes), under each DST
//! policy. Each snapshot lists the fire times forwards and backwards with the zone's offset; a
//! property test compares fire times near each transition with a minute-by-minute walk of the
//! wall clock.
//!
//! | zone | spring forward (gap) | fall back (fold) |
//! |---|---|---|
//! | America/New_York | 2024-03-10 02:00 → 03:00 | 2024-11-03 02:00 → 01:00 |
//! | Europe/London | 2024-03-31 01:00 → 02:00 | 2024-10-27 02:00 → 01:00 |
//! | Australia/Lord_Howe | 2024-10-06 02:00 → 02:30 | 2024-04-07 02:00 → 01:30 |

use expect_test::{expect, Expect};
use orrery_core::cron::{parse_rfc3339, Dst, Fold, Gap, Schedule, Zone};
use proptest::prelude::*;

/// Fire times of `expr` in `zone` after `from` (and before `until`, backwards), under each
/// policy of the transition's kind: `gap` policies when `gap`, fold policies otherwise.
fn check(zone: &str, expr: &str, from: &str, until: &str, gap: bool, expect: Expect) {
    let zone = Zone::named(zone).expect("a zone");
    let s = Schedule::parse(expr).expect("an expression");
    let (from, _) = parse_rfc3339(from).expect("from");
    let (until, _) = parse_rfc3339(until).expect("until");
    let policies: Vec<(&str, Dst)> = if gap {
        vec![
            (
                "next_valid",
                Dst {
                    gap: Gap::NextValid,
                    fold: Fold::Once,
                },
            ),
            (
                "skip",
                Dst {
                    gap: Gap::Skip,
                    fold: Fold::Once,
                },
            ),
        ]
    } else {
        vec![
            (
                "once",
                Dst {
                    gap: Gap::NextValid,
                    fold: Fold::Once,
                },
            ),
            (
                "twice",
                Dst {
                    gap: Gap::NextValid,
                    fold: Fold::Twice,
                },
            ),
        ]
    };
    let mut out = String::new();
    for (name, dst) in policies {
        let forwards: Vec<i64> = s
            .fire_times(from, &zone, dst, 50, false)
            .into_iter()
            .take_while(|&t| t < until)
            .collect();
        let mut backwards: Vec<i64> = s
            .fire_times(until, &zone, dst, 50, true)
            .into_iter()
            .take_while(|&t| t > from)
            .collect();
        backwards.reverse();
        let line: Vec<String> = forwards.iter().map(|&t| zone.format(t)).collect();
        let text = if line.is_empty() {
            "(none)".to_string()
        } else {
            line.join(" ")
        };
        out += &format!("{name}: {text}\n");
        if backwards != forwards {
            let line: Vec<String> = backwards.iter().map(|&t| zone.format(t)).collect();
            out += &format!("{name} backwards differs: {}\n", line.join(" "));
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn new_york_spring_forward() {
    // 02:30 does not exist on 10 March 2024.
    check(
        "America/New_York",
        "30 2 * * *",
        "2024-03-09T00:00:00-05:00",
        "2024-03-12T00:00:00-04:00",
        true,
        expect![[r#"
            next_valid: 2024-03-09T02:30:00-05:00 2024-03-10T03:00:00-04:00 2024-03-11T02:30:00-04:00
            skip: 2024-03-09T02:30:00-05:00 2024-03-11T02:30:00-04:00
        "#]],
    );
    // Four skipped quarter hours run once, at 03:00, under next_valid; never under skip.
    check(
        "America/New_York",
        "*/15 2 10 3 *",
        "2024-03-10T01:00:00-05:00",
        "2024-03-10T04:00:00-04:00",
        true,
        expect![[r#"
            next_valid: 2024-03-10T03:00:00-04:00
            skip: (none)
        "#]],
    );
}

#[test]
fn new_york_fall_back() {
    // 01:30 happens twice on 3 November 2024.
    check(
        "America/New_York",
        "30 1 * * *",
        "2024-11-02T00:00:00-04:00",
        "2024-11-05T00:00:00-05:00",
        false,
        expect![[r#"
            once: 2024-11-02T01:30:00-04:00 2024-11-03T01:30:00-04:00 2024-11-04T01:30:00-05:00
            twice: 2024-11-02T01:30:00-04:00 2024-11-03T01:30:00-04:00 2024-11-03T01:30:00-05:00 2024-11-04T01:30:00-05:00
        "#]],
    );
    check(
        "America/New_York",
        "0,30 0-2 3 11 *",
        "2024-11-03T00:00:00-04:00",
        "2024-11-03T03:00:00-05:00",
        false,
        expect![[r#"
            once: 2024-11-03T00:30:00-04:00 2024-11-03T01:00:00-04:00 2024-11-03T01:30:00-04:00 2024-11-03T02:00:00-05:00 2024-11-03T02:30:00-05:00
            twice: 2024-11-03T00:30:00-04:00 2024-11-03T01:00:00-04:00 2024-11-03T01:30:00-04:00 2024-11-03T01:00:00-05:00 2024-11-03T01:30:00-05:00 2024-11-03T02:00:00-05:00 2024-11-03T02:30:00-05:00
        "#]],
    );
}

#[test]
fn london_spring_forward() {
    check(
        "Europe/London",
        "30 1 * * *",
        "2024-03-30T00:00:00Z",
        "2024-04-02T00:00:00+01:00",
        true,
        expect![[r#"
            next_valid: 2024-03-30T01:30:00+00:00 2024-03-31T02:00:00+01:00 2024-04-01T01:30:00+01:00
            skip: 2024-03-30T01:30:00+00:00 2024-04-01T01:30:00+01:00
        "#]],
    );
}

#[test]
fn london_fall_back() {
    check(
        "Europe/London",
        "15 1 * * *",
        "2024-10-26T00:00:00+01:00",
        "2024-10-29T00:00:00Z",
        false,
        expect![[r#"
            once: 2024-10-26T01:15:00+01:00 2024-10-27T01:15:00+01:00 2024-10-28T01:15:00+00:00
            twice: 2024-10-26T01:15:00+01:00 2024-10-27T01:15:00+01:00 2024-10-27T01:15:00+00:00 2024-10-28T01:15:00+00:00
        "#]],
    );
}

#[test]
fn lord_howe_spring_forward_by_half_an_hour() {
    // 02:00-02:29 is skipped on 6 October 2024; 02:45 still exists.
    check(
        "Australia/Lord_Howe",
        "15,45 2 * * *",
        "2024-10-05T00:00:00+10:30",
        "2024-10-08T00:00:00+11:00",
        true,
        expect![[r#"
            next_valid: 2024-10-05T02:15:00+10:30 2024-10-05T02:45:00+10:30 2024-10-06T02:30:00+11:00 2024-10-06T02:45:00+11:00 2024-10-07T02:15:00+11:00 2024-10-07T02:45:00+11:00
            skip: 2024-10-05T02:15:00+10:30 2024-10-05T02:45:00+10:30 2024-10-06T02:45:00+11:00 2024-10-07T02:15:00+11:00 2024-10-07T02:45:00+11:00
        "#]],
    );
}

#[test]
fn lord_howe_fall_back_by_half_an_hour() {
    // 01:30-01:59 happens twice on 7 April 2024; 01:15 only once.
    check(
        "Australia/Lord_Howe",
        "15,45 1 * * *",
        "2024-04-06T00:00:00+11:00",
        "2024-04-09T00:00:00+10:30",
        false,
        expect![[r#"
            once: 2024-04-06T01:15:00+11:00 2024-04-06T01:45:00+11:00 2024-04-07T01:15:00+11:00 2024-04-07T01:45:00+11:00 2024-04-08T01:15:00+10:30 2024-04-08T01:45:00+10:30
            twice: 2024-04-06T01:15:00+11:00 2024-04-06T01:45:00+11:00 2024-04-07T01:15:00+11:00 2024-04-07T01:45:00+11:00 2024-04-07T01:45:00+10:30 2024-04-08T01:15:00+10:30 2024-04-08T01:45:00+10:30
        "#]],
    );
}

#[test]
fn a_zone_name_that_does_not_exist_is_refused() {
    let e = Zone::named("Mars/Olympus_Mons").unwrap_err();
    expect![[r#"no time zone "Mars/Olympus_Mons"; use an IANA name such as Europe/London or UTC"#]]
        .assert_eq(&e);
}

/// Transitions the property tests start near: 2024 and 2025 in three zones.
const NEAR: [(&str, &str); 6] = [
    ("America/New_York", "2024-03-10T06:00:00Z"),
    ("America/New_York", "2025-11-02T05:00:00Z"),
    ("Europe/London", "2024-03-31T00:00:00Z"),
    ("Europe/London", "2025-10-26T00:00:00Z"),
    ("Australia/Lord_Howe", "2024-10-05T15:30:00Z"),
    ("Australia/Lord_Howe", "2025-04-05T15:00:00Z"),
];

fn policies() -> [Dst; 4] {
    [
        Dst {
            gap: Gap::NextValid,
            fold: Fold::Once,
        },
        Dst {
            gap: Gap::Skip,
            fold: Fold::Once,
        },
        Dst {
            gap: Gap::NextValid,
            fold: Fold::Twice,
        },
        Dst {
            gap: Gap::Skip,
            fold: Fold::Twice,
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 120,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(35634),
        ..ProptestConfig::default()
    })]

    /// Under `skip` and `twice` the fire times are exactly the instants whose wall-clock time
    /// matches: walk minute by minute and compare. Under every policy, `next` and `prev`
    /// invert each other.
    #[test]
    fn fire_times_match_the_wall_clock_minute_by_minute(
        near in 0..NEAR.len(),
        offset_min in -180i64..180,
        minutes in prop::collection::btree_set(0u32..60, 1..4),
        hours in prop::collection::btree_set(0u32..24, 1..6),
    ) {
        let (zone_name, at) = NEAR[near];
        let zone = Zone::named(zone_name).unwrap();
        let (at, _) = parse_rfc3339(at).unwrap();
        let from = at + offset_min * 60;
        let list = |s: &std::collections::BTreeSet<u32>| {
            s.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
        };
        let expr = format!("{} {} * * *", list(&minutes), list(&hours));
        let s = Schedule::parse(&expr).unwrap();
        let tz = jiff::tz::TimeZone::get(zone_name).unwrap();
        let wall = |t: i64| {
            let dt = jiff::Timestamp::from_second(t).unwrap().to_zoned(tz.clone()).datetime();
            (dt.hour() as u32, dt.minute() as u32)
        };
        let mut want = Vec::new();
        let mut t = (from / 60 + 1) * 60;
        while want.len() < 6 {
            let (h, m) = wall(t);
            if hours.contains(&h) && minutes.contains(&m) {
                want.push(t);
            }
            t += 60;
        }
        let strict = Dst { gap: Gap::Skip, fold: Fold::Twice };
        prop_assert_eq!(s.fire_times(from, &zone, strict, 6, false), want, "{} in {}", expr, zone_name);
        for dst in policies() {
            let Some(next) = s.next_after(from, &zone, dst) else {
                return Err(TestCaseError::fail("no next fire"));
            };
            let prev = s.prev_before(next, &zone, dst).unwrap();
            prop_assert!(prev <= from, "{} {:?}: prev {} of next {} after {}", expr, dst, prev, next, from);
            prop_assert_eq!(s.next_after(prev, &zone, dst), Some(next), "{} {:?}", expr, dst);
        }
    }
}
