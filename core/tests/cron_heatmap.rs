//! The week heatmap across time zones (`cron::heatmap::week_in`): each job's fire times are
//! computed on its own zone's wall clock under its DST policy, then placed in the hour of the
//! display zone's wall clock that holds them; collisions are instants shared by two jobs.
//!
//! | case | job | display | what it shows |
//! |---|---|---|---|
//! | winter, summer | `0 9 * * 1-5` New York | UTC | 14:00 in January, 13:00 in July |
//! | own zone | the same | New York | 09:00 all year |
//! | 30-minute shift | `45 10 * * *` Lord Howe | UTC | 00:15Z before 6 October, 23:45Z after |
//! | gap policy | `15 2 * * *` Lord Howe | Lord Howe | 02:15 is skipped on 6 October: next valid or none |
//! | display fold | `0 * * * *` UTC | New York | 01:00 on 3 November lasts two hours, two fires |
//! | collision | `0 14 * * *` UTC and `0 9 * * *` New York | UTC | the same instant in winter only |
//!
//! Cells print as `day weekday hour: fires/jobs`, with `!` for a collision, `+` when capped
//! and `(Ns)` for an hour that does not last 3,600 s.

use expect_test::{expect, Expect};
use orrery_core::cron::civil;
use orrery_core::cron::heatmap::{self, week_in, Job};
use orrery_core::cron::lab::{JobSpec, Scenario};
use orrery_core::cron::tzdata::{self, TzData};
use orrery_core::cron::{Dst, Gap, Schedule, Zone};

/// Midnight UTC of a date, as a Unix second.
fn day(y: i32, m: u32, d: u32) -> i64 {
    civil::days_from_civil(y, m, d) * civil::DAY
}

fn zone(name: &str) -> Zone {
    Zone::named(name).expect("a zone of the bundled database")
}

/// The busy (or odd-length) cells of the week of `jobs` (expression, zone, DST policy) from
/// `start`, shown in `display`.
fn check(jobs: &[(&str, &str, Dst)], start: i64, display: &str, expect: Expect) {
    let parsed: Vec<(Schedule, Zone, Dst)> = jobs
        .iter()
        .map(|(e, z, dst)| (Schedule::parse(e).expect("valid"), zone(z), *dst))
        .collect();
    let jobs: Vec<Job> = parsed
        .iter()
        .map(|(schedule, zone, dst)| Job {
            schedule,
            zone,
            dst: *dst,
        })
        .collect();
    let w = week_in(&jobs, start, &zone(display));
    let mut out = String::new();
    for (d, row) in w.cells.iter().enumerate() {
        for (h, c) in row.iter().enumerate() {
            if c.fires > 0 || c.seconds != 3600 {
                out += &format!(
                    "{d} {} {h:02}: {}/{}{}{}{}\n",
                    ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][w.weekdays[d] as usize],
                    c.fires,
                    c.jobs,
                    if c.collision { "!" } else { "" },
                    if c.capped { "+" } else { "" },
                    if c.seconds != 3600 {
                        format!(" ({}s)", c.seconds)
                    } else {
                        String::new()
                    }
                );
            }
        }
    }
    expect.assert_eq(&out);
}

const DEFAULT: Dst = Dst {
    gap: Gap::NextValid,
    fold: orrery_core::cron::Fold::Once,
};

#[test]
fn a_new_york_weekday_job_moves_in_a_utc_heatmap_with_the_seasons() {
    // 2024-01-01 and 2024-07-01 are Mondays.
    let job = [("0 9 * * 1-5", "America/New_York", DEFAULT)];
    check(
        &job,
        day(2024, 1, 1),
        "UTC",
        expect![[r#"
            0 Mon 14: 1/1
            1 Tue 14: 1/1
            2 Wed 14: 1/1
            3 Thu 14: 1/1
            4 Fri 14: 1/1
        "#]],
    );
    check(
        &job,
        day(2024, 7, 1),
        "UTC",
        expect![[r#"
            0 Mon 13: 1/1
            1 Tue 13: 1/1
            2 Wed 13: 1/1
            3 Thu 13: 1/1
            4 Fri 13: 1/1
        "#]],
    );
    // In its own zone it stays at 09:00; the week starts on the local day holding the start
    // (noon UTC on the first is 07:00 or 08:00 in New York, the same day).
    for start in [day(2024, 1, 1), day(2024, 7, 1)] {
        check(
            &job,
            start + 12 * 3600,
            "America/New_York",
            expect![[r#"
                0 Mon 09: 1/1
                1 Tue 09: 1/1
                2 Wed 09: 1/1
                3 Thu 09: 1/1
                4 Fri 09: 1/1
            "#]],
        );
    }
}

#[test]
fn lord_howe_shifts_by_thirty_minutes_and_its_gap_follows_the_dst_policy() {
    // 2024-10-06 02:00 +10:30 → 02:30 +11. 10:45 local is 00:15Z the same day before the
    // shift and 23:45Z the day before after it, so the UTC cell moves to hour 23 of Saturday.
    check(
        &[("45 10 * * *", "Australia/Lord_Howe", DEFAULT)],
        day(2024, 10, 3),
        "UTC",
        expect![[r#"
            0 Thu 00: 1/1
            1 Fri 00: 1/1
            2 Sat 00: 1/1
            2 Sat 23: 1/1
            3 Sun 23: 1/1
            4 Mon 23: 1/1
            5 Tue 23: 1/1
            6 Wed 23: 1/1
        "#]],
    );
    // Shown in Lord Howe: 02:00-02:30 on the 6th does not exist, so that hour lasts 1,800 s.
    // 02:15 falls in the gap: `next_valid` fires at 02:30 (still hour 2), `skip` not at all.
    let lord_howe = |gap| [("15 2 * * *", "Australia/Lord_Howe", Dst { gap, ..DEFAULT })];
    check(
        &lord_howe(Gap::NextValid),
        day(2024, 10, 3),
        "Australia/Lord_Howe",
        expect![[r#"
            0 Thu 02: 1/1
            1 Fri 02: 1/1
            2 Sat 02: 1/1
            3 Sun 02: 1/1 (1800s)
            4 Mon 02: 1/1
            5 Tue 02: 1/1
            6 Wed 02: 1/1
        "#]],
    );
    check(
        &lord_howe(Gap::Skip),
        day(2024, 10, 3),
        "Australia/Lord_Howe",
        expect![[r#"
            0 Thu 02: 1/1
            1 Fri 02: 1/1
            2 Sat 02: 1/1
            3 Sun 02: 0/0 (1800s)
            4 Mon 02: 1/1
            5 Tue 02: 1/1
            6 Wed 02: 1/1
        "#]],
    );
}

#[test]
fn the_display_zone_own_transitions_lengthen_and_empty_hours() {
    // An hourly UTC job shown in New York: `fires:seconds` of hours 0 to 3 of the Sunday of a
    // transition, and the fires of the whole week.
    let schedule = Schedule::parse("0 * * * *").expect("valid");
    let utc = Zone::utc();
    let ny = zone("America/New_York");
    let jobs = [Job {
        schedule: &schedule,
        zone: &utc,
        dst: DEFAULT,
    }];
    let sunday = |start: i64, d: usize| {
        let w = week_in(&jobs, start, &ny);
        let hours: Vec<String> = w.cells[d][..4]
            .iter()
            .map(|c| format!("{}:{}", c.fires, c.seconds))
            .collect();
        let total: u32 = w.cells.iter().flatten().map(|c| c.fires).sum();
        format!("{} {} total {total}", w.weekdays[d], hours.join(" "))
    };
    // Fall back on 2024-11-03 (day 2 from Friday the 1st): 01:00-02:00 happens twice, so that
    // cell holds two fires, and the week 169.
    assert_eq!(
        sunday(day(2024, 11, 1) + 12 * 3600, 2),
        "0 1:3600 2:7200 1:3600 1:3600 total 169"
    );
    // Spring forward on 2024-03-10 (day 1 from Saturday the 9th): 02:00-03:00 does not exist.
    assert_eq!(
        sunday(day(2024, 3, 9) + 12 * 3600, 1),
        "0 1:3600 1:3600 0:0 1:3600 total 167"
    );
}

#[test]
fn a_utc_job_and_a_new_york_job_collide_only_when_their_instants_meet() {
    let jobs = [
        ("0 14 * * *", "UTC", DEFAULT),
        ("0 9 * * *", "America/New_York", DEFAULT),
    ];
    // January: 09:00 EST is 14:00Z, the same instant.
    check(
        &jobs,
        day(2024, 1, 1),
        "UTC",
        expect![[r#"
            0 Mon 14: 2/2!
            1 Tue 14: 2/2!
            2 Wed 14: 2/2!
            3 Thu 14: 2/2!
            4 Fri 14: 2/2!
            5 Sat 14: 2/2!
            6 Sun 14: 2/2!
        "#]],
    );
    // July: 09:00 EDT is 13:00Z, an hour apart.
    check(
        &jobs,
        day(2024, 7, 1),
        "UTC",
        expect![[r#"
        0 Mon 13: 1/1
        0 Mon 14: 1/1
        1 Tue 13: 1/1
        1 Tue 14: 1/1
        2 Wed 13: 1/1
        2 Wed 14: 1/1
        3 Thu 13: 1/1
        3 Thu 14: 1/1
        4 Fri 13: 1/1
        4 Fri 14: 1/1
        5 Sat 13: 1/1
        5 Sat 14: 1/1
        6 Sun 13: 1/1
        6 Sun 14: 1/1
    "#]],
    );
    check(
        &jobs,
        day(2024, 1, 1) + 12 * 3600,
        "America/New_York",
        // January again in New York's own clock: both at 09:00 local, still one instant.
        expect![[r#"
            0 Mon 09: 2/2!
            1 Tue 09: 2/2!
            2 Wed 09: 2/2!
            3 Thu 09: 2/2!
            4 Fri 09: 2/2!
            5 Sat 09: 2/2!
            6 Sun 09: 2/2!
        "#]],
    );
}

#[test]
fn the_utc_week_is_unchanged() {
    // `week` is `week_in` with every job and the display in UTC.
    let schedules = [Schedule::parse("0 9 * * 1-5").expect("valid")];
    let utc = Zone::utc();
    let jobs = [Job {
        schedule: &schedules[0],
        zone: &utc,
        dst: Dst::default(),
    }];
    let start = day(2024, 1, 1) + 5 * 3600;
    assert_eq!(
        heatmap::week(&schedules, start),
        week_in(&jobs, start, &utc)
    );
    assert!(heatmap::week(&schedules, start)
        .cells
        .iter()
        .flatten()
        .all(|c| c.seconds == 3600));
}

/// A scenario naming zones it does not carry takes their TZif data from a database, keyed as
/// its jobs spell them; the run then needs no database.
#[test]
fn a_scenario_carries_the_zones_its_jobs_need() {
    let data = TzData::parse(&tzdata::bundled().expect("bundled")).expect("parses");
    let job = |name: &str, zone: Option<&str>| JobSpec {
        name: name.into(),
        cron: "0 9 * * *".into(),
        zone: zone.map(str::to_string),
        ..JobSpec::default()
    };
    let mut s = Scenario {
        jobs: vec![
            job("a", Some("America/New_York")),
            job("b", None),
            job("c", Some("UTC")),
            job("d", Some("america/new_york")),
            job("e", Some("America/New_York")),
        ],
        ..Scenario::default()
    };
    assert_eq!(
        s.zones_needed(),
        ["America/New_York", "america/new_york"],
        "each spelling once, UTC aside"
    );
    s.carry_zones(&data).expect("known zones");
    assert!(s.zones_needed().is_empty());
    assert_eq!(
        s.tzif.keys().collect::<Vec<_>>(),
        ["America/New_York", "america/new_york"]
    );
    assert_eq!(s.validate(), Ok(()));
    // Carrying is idempotent.
    let before = s.clone();
    s.carry_zones(&data).expect("nothing to add");
    assert_eq!(s, before);

    // An unknown zone is refused by name, and nothing is added.
    let mut mars = Scenario {
        jobs: vec![
            job("a", Some("America/New_York")),
            job("rover", Some("Mars/Olympus")),
        ],
        ..Scenario::default()
    };
    assert_eq!(
        mars.carry_zones(&data),
        Err(
            r#"job rover: zone: no time zone "Mars/Olympus"; use an IANA name such as Europe/London or UTC"#
                .into()
        )
    );
    assert!(mars.tzif.is_empty());
}
