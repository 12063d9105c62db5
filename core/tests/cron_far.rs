//! Sparse schedules in zones with daylight saving: the next fire time can lie many offset
//! changes ahead (`0 0 29 2 *` is up to eight years of transitions away), and
//! `Schedule::next_after` jumps over the stretches that cannot hold it instead of visiting each
//! transition. A property test checks every such answer against an oracle written directly
//! with jiff: enumerate the matching wall-clock times of the next ten years, map each to its
//! instant under the DST policy, and take the first after the start. The seeds are fixed, so a
//! failure reproduces run after run. A second property puts
//! the start and the schedule on the very day of a transition, where a fold or a gap holds the
//! answer and the next occurrence otherwise is a year away.
//!
//! | policy | a wall time in a gap (spring forward) | a wall time in a fold (fall back) |
//! |---|---|---|
//! | `next_valid` + `once` (default) | fires at the transition | fires at the first occurrence |
//! | `skip` + `once` | does not fire | fires at the first occurrence |
//! | `next_valid` + `twice` | fires at the transition | fires at both occurrences |

use jiff::civil::date;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;
use orrery_core::cron::{Dst, Fold, Gap, Schedule, Zone};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Zones with gaps and folds of 30 minutes to a whole day (Apia skipped 30 December 2011).
const ZONES: [&str; 7] = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Apia",
    "America/Santiago",
    "Asia/Kathmandu",
];

/// The three DST policies of the table above.
const POLICIES: [Dst; 3] = [
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
];

/// Every instant at which `minute hour doms months *` fires in `tz` under `dst`, for the wall
/// times of the years `years`, sorted and without repeats.
fn oracle(
    tz: &TimeZone,
    dst: Dst,
    (minute, hour): (i8, i8),
    doms: &[i8],
    months: &[i8],
    years: std::ops::RangeInclusive<i16>,
) -> Vec<i64> {
    let mut out = Vec::new();
    for y in years {
        for &m in months {
            for &d in doms {
                let Ok(day) = date(y, m, 1).with().day(d).build() else {
                    continue; // 30 February and the like
                };
                let wall = day.at(hour, minute, 0, 0);
                match tz.to_ambiguous_zoned(wall).offset() {
                    AmbiguousOffset::Unambiguous { offset } => {
                        out.push(
                            wall.to_zoned(TimeZone::fixed(offset))
                                .unwrap()
                                .timestamp()
                                .as_second(),
                        );
                    }
                    AmbiguousOffset::Gap { before, .. } => {
                        if dst.gap == Gap::NextValid {
                            // The transition: the last one at or before this wall time read
                            // with the offset before it.
                            let read = wall.to_zoned(TimeZone::fixed(before)).unwrap().timestamp();
                            let t = tz
                                .preceding(Timestamp::from_second(read.as_second() + 1).unwrap())
                                .next()
                                .expect("a gap has a transition");
                            out.push(t.timestamp().as_second());
                        }
                    }
                    AmbiguousOffset::Fold { before, after } => {
                        let at = |o| {
                            wall.to_zoned(TimeZone::fixed(o))
                                .unwrap()
                                .timestamp()
                                .as_second()
                        };
                        out.push(at(before));
                        if dst.fold == Fold::Twice {
                            out.push(at(after));
                        }
                    }
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn list(v: &[i8]) -> String {
    v.iter().map(i8::to_string).collect::<Vec<_>>().join(",")
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0xFA2),
        ..ProptestConfig::default()
    })]

    /// `next_after` equals the oracle's first instant after the start, under each policy, for
    /// sparse schedules whose next fire is often years and many transitions away.
    #[test]
    fn sparse_schedules_fire_where_the_wall_clock_says(
        zone in 0..ZONES.len(),
        start_year in 1995i16..2035,
        start_day in 0i64..366,
        start_second in 0i64..86_400,
        // Hours near the transitions most of the time.
        hour in prop_oneof![0i8..4, 0i8..24],
        minute in prop_oneof![Just(0i8), Just(30), 0i8..60],
        doms in prop::collection::btree_set(prop_oneof![1i8..32, 28i8..32], 1..3),
        months in prop::collection::btree_set(1i8..13, 1..3),
        policy in 0..POLICIES.len(),
    ) {
        let name = ZONES[zone];
        let dst = POLICIES[policy];
        let doms: Vec<i8> = doms.into_iter().collect();
        let months: Vec<i8> = months.into_iter().collect();
        let expr = format!("{minute} {hour} {} {} *", list(&doms), list(&months));
        let Ok(s) = Schedule::parse(&expr) else {
            // Only day/month pairs that never exist (30 February) are refused.
            return Ok(());
        };
        let tz = TimeZone::get(name).unwrap();
        let zone = Zone::named(name).unwrap();
        let from = date(start_year, 1, 1).at(0, 0, 0, 0).to_zoned(TimeZone::UTC).unwrap()
            .timestamp().as_second() + start_day * 86_400 + start_second;
        let all = oracle(&tz, dst, (minute, hour), &doms, &months, start_year - 1..=start_year + 10);
        let want = all.iter().copied().find(|&t| t > from);
        prop_assume!(want.is_some());
        prop_assert_eq!(s.next_after(from, &zone, dst), want, "{} in {} under {:?} after {}", expr, name, dst, from);
    }

}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0xDA7),
        ..ProptestConfig::default()
    })]

    /// The same on the day of a transition: the wall time is within 90 minutes of the change,
    /// the start within two hours of it, and the schedule fires on that date only, so a
    /// missed gap or second occurrence shows up as an answer a year late.
    #[test]
    fn schedules_on_the_day_of_a_transition_fire_where_the_wall_clock_says(
        zone in 0..ZONES.len(),
        year in 1995i16..2035,
        nth in 0usize..2,
        wall_shift_min in -90i64..90,
        start_shift_s in -7_200i64..7_200,
        policy in 0..POLICIES.len(),
    ) {
        let name = ZONES[zone];
        let dst = POLICIES[policy];
        let tz = TimeZone::get(name).unwrap();
        let zone = Zone::named(name).unwrap();
        let new_year = date(year, 1, 1).at(0, 0, 0, 0).to_zoned(TimeZone::UTC).unwrap().timestamp();
        let Some(t) = tz.following(new_year).nth(nth) else {
            return Ok(()); // a zone without daylight saving that year
        };
        let at = t.timestamp().as_second();
        // The wall clock just before the change, moved by up to 90 minutes either way.
        let before = tz.to_offset(Timestamp::from_second(at - 1).unwrap()).seconds() as i64;
        let wall = Timestamp::from_second(at + before + wall_shift_min * 60).unwrap()
            .to_zoned(TimeZone::UTC).datetime();
        let (minute, hour, dom, month) = (wall.minute(), wall.hour(), wall.day(), wall.month());
        let expr = format!("{minute} {hour} {dom} {month} *");
        let s = Schedule::parse(&expr).unwrap();
        let from = at + start_shift_s;
        let all = oracle(&tz, dst, (minute, hour), &[dom], &[month], year - 1..=year + 10);
        let want = all.iter().copied().find(|&t| t > from);
        prop_assume!(want.is_some());
        prop_assert_eq!(s.next_after(from, &zone, dst), want, "{} in {} under {:?} after {}", expr, name, dst, from);
    }
}

/// Found by the property above: a start exactly on a spring-forward transition (New York,
/// 2 April 1995, 02:00 EST becomes 03:00 EDT) still runs the skipped 02:00 at the transition
/// under `next_valid`, rather than a year later.
#[test]
fn a_start_exactly_on_a_spring_forward_runs_its_skipped_time_there() {
    let s = Schedule::parse("0 2 2 4 *").unwrap();
    let zone = Zone::named("America/New_York").unwrap();
    let at = 796_806_000; // 1995-04-02T07:00:00Z
    assert_eq!(s.next_after(at - 1, &zone, POLICIES[0]), Some(at));
    // Under `skip` the skipped time does not run: the next is a year later, 02:00 EST.
    assert_eq!(s.next_after(at - 1, &zone, POLICIES[1]), Some(828_428_400));
    // Just after the transition the skipped time has passed, under every policy.
    assert_eq!(s.next_after(at, &zone, POLICIES[0]), Some(828_428_400));
}
