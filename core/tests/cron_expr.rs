//! Cron expressions: what each one means (its description and its next fire times in UTC,
//! snapshotted through one `check`), the refusals a user sees for bad input, and a property
//! test of the search against a plain minute-by-minute oracle built on `jiff`'s calendar.

use expect_test::{expect, Expect};
use orrery_core::cron::{parse_rfc3339, Dst, Schedule, Zone};
use proptest::prelude::*;

/// Parses `expr` and prints its description and next four fire times after `from` (UTC), or
/// the refusal.
fn check(expr: &str, from: &str, expect: Expect) {
    let text = match Schedule::parse(expr) {
        Err(e) => format!("error: {e}\n"),
        Ok(s) => {
            let utc = Zone::utc();
            let (base, _) = parse_rfc3339(from).expect("from parses");
            let mut out = format!("{}\n", s.describe());
            for t in s.fire_times(base, &utc, Dst::default(), 4, false) {
                out += &format!("  {}\n", utc.format(t));
            }
            out
        }
    };
    expect.assert_eq(&text);
}

const FROM: &str = "2024-01-01T00:00:00Z";

#[test]
fn weekdays_at_nine() {
    check(
        "0 9 * * 1-5",
        "2024-01-05T10:00:00Z",
        expect![[r#"
            At 09:00, Monday through Friday
              2024-01-08T09:00:00Z
              2024-01-09T09:00:00Z
              2024-01-10T09:00:00Z
              2024-01-11T09:00:00Z
        "#]],
    );
    check(
        "0 9 * * MON-FRI",
        "2024-01-05T10:00:00Z",
        expect![[r#"
            At 09:00, Monday through Friday
              2024-01-08T09:00:00Z
              2024-01-09T09:00:00Z
              2024-01-10T09:00:00Z
              2024-01-11T09:00:00Z
        "#]],
    );
}

#[test]
fn steps_lists_and_seconds() {
    check(
        "*/15 * * * *",
        FROM,
        expect![[r#"
            Every 15 minutes
              2024-01-01T00:15:00Z
              2024-01-01T00:30:00Z
              2024-01-01T00:45:00Z
              2024-01-01T01:00:00Z
        "#]],
    );
    check(
        "15,45 9-17 * * *",
        FROM,
        expect![[r#"
            At minute 15 and 45 past hour 9 through 17
              2024-01-01T09:15:00Z
              2024-01-01T09:45:00Z
              2024-01-01T10:15:00Z
              2024-01-01T10:45:00Z
        "#]],
    );
    check(
        "*/20 30 9 * * *",
        FROM,
        expect![[r#"
            At 09:30:00, 09:30:20 and 09:30:40
              2024-01-01T09:30:00Z
              2024-01-01T09:30:20Z
              2024-01-01T09:30:40Z
              2024-01-02T09:30:00Z
        "#]],
    );
    check(
        "0 0 * 2-11/3 *",
        FROM,
        expect![[r#"
            At 00:00, in February, May, August and November
              2024-02-01T00:00:00Z
              2024-02-02T00:00:00Z
              2024-02-03T00:00:00Z
              2024-02-04T00:00:00Z
        "#]],
    );
}

#[test]
fn vixie_or_when_both_day_fields_are_restricted() {
    check(
        "0 0 1,15 * 3",
        FROM,
        expect![[r#"
            At 00:00, on day 1 and 15 of the month, or on Wednesday
              2024-01-03T00:00:00Z
              2024-01-10T00:00:00Z
              2024-01-15T00:00:00Z
              2024-01-17T00:00:00Z
        "#]],
    );
    // A day-of-month that starts with `*` leaves the choice to day-of-week (both must match).
    check(
        "0 0 */2 * 1",
        FROM,
        expect![[r#"
            At 00:00, every 2 days of the month, if it is Monday
              2024-01-15T00:00:00Z
              2024-01-29T00:00:00Z
              2024-02-05T00:00:00Z
              2024-02-19T00:00:00Z
        "#]],
    );
}

#[test]
fn last_nearest_and_nth() {
    check(
        "0 0 L * *",
        FROM,
        expect![[r#"
        At 00:00, on the last day of the month
          2024-01-31T00:00:00Z
          2024-02-29T00:00:00Z
          2024-03-31T00:00:00Z
          2024-04-30T00:00:00Z
    "#]],
    );
    check(
        "0 0 L-2 * *",
        FROM,
        expect![[r#"
        At 00:00, 2 days before the last day of the month
          2024-01-29T00:00:00Z
          2024-02-27T00:00:00Z
          2024-03-29T00:00:00Z
          2024-04-28T00:00:00Z
    "#]],
    );
    check(
        "0 0 LW * *",
        FROM,
        expect![[r#"
        At 00:00, on the last weekday of the month
          2024-01-31T00:00:00Z
          2024-02-29T00:00:00Z
          2024-03-29T00:00:00Z
          2024-04-30T00:00:00Z
    "#]],
    );
    check(
        "0 0 15W * *",
        "2024-06-01T00:00:00Z",
        expect![[r#"
        At 00:00, on the weekday nearest day 15 of the month
          2024-06-14T00:00:00Z
          2024-07-15T00:00:00Z
          2024-08-15T00:00:00Z
          2024-09-16T00:00:00Z
    "#]],
    );
    check(
        "0 0 1W * *",
        "2024-06-01T00:00:00Z",
        expect![[r#"
        At 00:00, on the weekday nearest day 1 of the month
          2024-06-03T00:00:00Z
          2024-07-01T00:00:00Z
          2024-08-01T00:00:00Z
          2024-09-02T00:00:00Z
    "#]],
    );
    check(
        "0 12 * * 5L",
        FROM,
        expect![[r#"
        At 12:00, on the last Friday of the month
          2024-01-26T12:00:00Z
          2024-02-23T12:00:00Z
          2024-03-29T12:00:00Z
          2024-04-26T12:00:00Z
    "#]],
    );
    check(
        "0 12 * * FRI#3",
        FROM,
        expect![[r#"
        At 12:00, on the third Friday of the month
          2024-01-19T12:00:00Z
          2024-02-16T12:00:00Z
          2024-03-15T12:00:00Z
          2024-04-19T12:00:00Z
    "#]],
    );
    check(
        "0 0 * * 7",
        FROM,
        expect![[r#"
        At 00:00, on Sunday
          2024-01-07T00:00:00Z
          2024-01-14T00:00:00Z
          2024-01-21T00:00:00Z
          2024-01-28T00:00:00Z
    "#]],
    );
}

#[test]
fn macros() {
    check(
        "@yearly",
        FROM,
        expect![[r#"
            At 00:00, on 1 January
              2025-01-01T00:00:00Z
              2026-01-01T00:00:00Z
              2027-01-01T00:00:00Z
              2028-01-01T00:00:00Z
        "#]],
    );
    check(
        "@weekly",
        FROM,
        expect![[r#"
        At 00:00, on Sunday
          2024-01-07T00:00:00Z
          2024-01-14T00:00:00Z
          2024-01-21T00:00:00Z
          2024-01-28T00:00:00Z
    "#]],
    );
    check(
        "@hourly",
        FROM,
        expect![[r#"
        At minute 0 past every hour
          2024-01-01T01:00:00Z
          2024-01-01T02:00:00Z
          2024-01-01T03:00:00Z
          2024-01-01T04:00:00Z
    "#]],
    );
    check(
        "@midnight",
        FROM,
        expect![[r#"
        At 00:00
          2024-01-02T00:00:00Z
          2024-01-03T00:00:00Z
          2024-01-04T00:00:00Z
          2024-01-05T00:00:00Z
    "#]],
    );
    check(
        "@reboot",
        FROM,
        expect![[r#"
        error: @reboot runs at start-up, not at a time; it has no fire times
    "#]],
    );
}

#[test]
fn refusals_name_the_field_and_the_problem() {
    check(
        "0 0 32 * *",
        FROM,
        expect![[r#"
        error: day-of-month: 32 is out of range 1-31
    "#]],
    );
    check(
        "60 * * * *",
        FROM,
        expect![[r#"
        error: minute: 60 is out of range 0-59
    "#]],
    );
    check(
        "0 24 * * *",
        FROM,
        expect![[r#"
        error: hour: 24 is out of range 0-23
    "#]],
    );
    check(
        "0 0 * 13 *",
        FROM,
        expect![[r#"
        error: month: 13 is out of range 1-12
    "#]],
    );
    check(
        "0 0 * * 8",
        FROM,
        expect![[r#"
        error: day-of-week: 8 is out of range 0-7
    "#]],
    );
    check(
        "0 0 * JANUARY *",
        FROM,
        expect![[r#"
        error: month: "JANUARY" is not a number or a name; months are 1-12 or JAN-DEC
    "#]],
    );
    check(
        "*/0 * * * *",
        FROM,
        expect![[r#"
        error: minute: "*/0": a step of 0 never advances
    "#]],
    );
    check(
        "0 17-9 * * *",
        FROM,
        expect![[r#"
        error: hour: "17-9": the range runs backwards (17 is after 9)
    "#]],
    );
    check(
        "0 0 * * 5#6",
        FROM,
        expect![[r#"
        error: day-of-week: "5#6": the occurrence after # must be 1 to 5, not 6
    "#]],
    );
    check(
        "0 0 * * 5W",
        FROM,
        expect![[r#"
        error: day-of-week: "5W": W (nearest weekday) is only allowed in day-of-month
    "#]],
    );
    check(
        "0 L * * *",
        FROM,
        expect![[r#"
        error: hour: "L": L is only allowed in day-of-month and day-of-week
    "#]],
    );
    check(
        "0 0 * *",
        FROM,
        expect![[r#"
        error: expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), found 4
    "#]],
    );
    check(
        "1,,2 * * * *",
        FROM,
        expect![[r#"
        error: minute: has an empty list item (two commas in a row?)
    "#]],
    );
    check(
        "@fortnightly",
        FROM,
        expect![[r#"
        error: unknown macro "@fortnightly"; macros: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly
    "#]],
    );
}

#[test]
fn expressions_that_can_never_fire_are_refused() {
    check(
        "0 0 30 2 *",
        FROM,
        expect![[r#"
        error: "0 0 30 2 *" can never fire: no day of February matches day-of-month "30"
    "#]],
    );
    check(
        "0 0 31 4,6,9,11 *",
        FROM,
        expect![[r#"
        error: "0 0 31 4,6,9,11 *" can never fire: no day of April, June, September or November matches day-of-month "31"
    "#]],
    );
    // With a restricted day-of-week, Vixie's OR rule makes the same day-of-month fire.
    check(
        "0 0 30 2 1",
        FROM,
        expect![[r#"
        At 00:00, on day 30 of the month, or on Monday, in February
          2024-02-05T00:00:00Z
          2024-02-12T00:00:00Z
          2024-02-19T00:00:00Z
          2024-02-26T00:00:00Z
    "#]],
    );
    // 29 February fires, once every four years (or eight, around 2100).
    check(
        "0 0 29 2 *",
        "2096-03-01T00:00:00Z",
        expect![[r#"
            At 00:00, on 29 February
              2104-02-29T00:00:00Z
              2108-02-29T00:00:00Z
              2112-02-29T00:00:00Z
              2116-02-29T00:00:00Z
        "#]],
    );
}

/// The generated shape of a field: `*`, or a list of `(first, last, step)` items.
fn field(lo: u32, hi: u32) -> impl Strategy<Value = String> {
    let item = (lo..=hi, 0..=3u32, 1..=7u32).prop_map(move |(a, len, step)| {
        let b = (a + len * 3).min(hi);
        match (len, step) {
            (0, _) => a.to_string(),
            (_, 1) => format!("{a}-{b}"),
            _ => format!("{a}-{b}/{step}"),
        }
    });
    prop_oneof![
        1 => Just("*".to_string()),
        1 => (1..=hi.min(12)).prop_map(|s| format!("*/{s}")),
        3 => prop::collection::vec(item, 1..=3).prop_map(|v| v.join(",")),
    ]
}

/// The values of a generated field.
fn values(text: &str, lo: u32, hi: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse().unwrap()),
            None => (item, 1),
        };
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
            None if range == "*" => (lo, hi),
            None if item.contains('/') => (range.parse().unwrap(), hi),
            None => (range.parse().unwrap(), range.parse().unwrap()),
        };
        out.extend((a..=b).step_by(step as usize));
    }
    out
}

/// The next fire time after `from` by walking days with `jiff` and minutes one by one, within
/// `days` days.
fn oracle(fields: &[String; 5], from: i64, days: i64) -> Option<i64> {
    use jiff::civil::Weekday;
    let minutes = values(&fields[0], 0, 59);
    let hours = values(&fields[1], 0, 23);
    let doms = values(&fields[2], 1, 31);
    let months = values(&fields[3], 1, 12);
    let dows: Vec<u32> = values(&fields[4], 0, 7)
        .into_iter()
        .map(|d| d % 7)
        .collect();
    let dom_star = fields[2].starts_with('*');
    let dow_star = fields[4].starts_with('*');
    let start = jiff::Timestamp::from_second(from + 1)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    for i in 0..days {
        let date = start.checked_add(jiff::Span::new().days(i)).unwrap();
        let wd = match date.weekday() {
            Weekday::Sunday => 0,
            w => w.to_monday_one_offset() as u32,
        };
        let dom_ok = doms.contains(&(date.day() as u32));
        let dow_ok = dows.contains(&wd);
        let day_ok = if dom_star || dow_star {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        };
        if !day_ok || !months.contains(&(date.month() as u32)) {
            continue;
        }
        let midnight = date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second();
        for m in 0..1440 {
            let t = midnight + m * 60;
            if t > from && hours.contains(&(m as u32 / 60)) && minutes.contains(&(m as u32 % 60)) {
                return Some(t);
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(73318),
        ..ProptestConfig::default()
    })]

    #[test]
    fn next_and_prev_agree_with_a_minute_by_minute_oracle(
        fields in (field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 7)),
        from in 946_684_800i64..4_102_444_800,
    ) {
        let fields = [fields.0, fields.1, fields.2, fields.3, fields.4];
        let expr = fields.join(" ");
        let s = match Schedule::parse(&expr) {
            Ok(s) => s,
            Err(e) => {
                // Only never-firing day and month combinations are refused.
                prop_assert!(e.field.is_none(), "{} refused: {}", expr, e);
                prop_assert!(oracle(&fields, from, 366 * 9).is_none(), "{} refused but fires", expr);
                return Ok(());
            }
        };
        let utc = Zone::utc();
        let next = s.next_after(from, &utc, Dst::default());
        let want = oracle(&fields, from, 400);
        if let Some(w) = want {
            prop_assert_eq!(next, Some(w), "{} from {}", expr, from);
        } else {
            prop_assert!(next.is_some_and(|n| n > from + 399 * 86_400), "{} from {}", expr, from);
        }
        if let Some(n) = next {
            // Nothing fires strictly between `from` and `next`, so the previous fire before
            // `next` is at or before `from`.
            let prev = s.prev_before(n, &utc, Dst::default()).expect("a previous fire");
            prop_assert!(prev <= from, "{} from {}: prev {} of next {}", expr, from, prev, n);
            prop_assert_eq!(s.next_after(prev, &utc, Dst::default()), Some(n));
        }
    }
}
