//! `orrery cron next` as a user calls it: fire times in UTC and in a zone, backwards, as JSON,
//! and bad expressions, zones and times refused with a message and exit status 2.

mod common;
use common::orrery;

#[test]
fn next_fire_times_in_utc_with_the_description() {
    let (code, out, err) = orrery(&[
        "cron",
        "next",
        "0 9 * * 1-5",
        "--from",
        "2024-01-05T10:00:00Z",
        "--count",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "At 09:00, Monday through Friday\n\
         2024-01-08T09:00:00Z\n\
         2024-01-09T09:00:00Z\n\
         2024-01-10T09:00:00Z\n"
    );
}

#[test]
fn a_zone_prints_its_offset_across_spring_forward() {
    let (code, out, err) = orrery(&[
        "cron",
        "next",
        "30 2 * * *",
        "--from",
        "2024-03-09T12:00:00Z",
        "--count",
        "2",
        "--tz",
        "America/New_York",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "At 02:30\n2024-03-10T03:00:00-04:00\n2024-03-11T02:30:00-04:00\n"
    );
    let (code, out, _) = orrery(&[
        "cron",
        "next",
        "30 2 * * *",
        "--from",
        "2024-03-09T12:00:00Z",
        "--count",
        "1",
        "--tz",
        "America/New_York",
        "--gap",
        "skip",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "At 02:30\n2024-03-11T02:30:00-04:00\n");
}

#[test]
fn previous_fire_times_as_json() {
    let (code, out, err) = orrery(&[
        "cron",
        "next",
        "@monthly",
        "--from",
        "2024-03-15T00:00:00Z",
        "--count",
        "2",
        "--prev",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["direction"], "prev");
    assert_eq!(v["zone"], "UTC");
    assert_eq!(
        v["times"],
        serde_json::json!(["2024-03-01T00:00:00Z", "2024-02-01T00:00:00Z"])
    );
    assert_eq!(v["description"], "At 00:00, on day 1 of the month");
}

#[test]
fn bad_input_exits_with_status_2_and_a_message() {
    for (args, needle) in [
        (
            vec![
                "cron",
                "next",
                "0 0 32 * *",
                "--from",
                "2024-01-01T00:00:00Z",
            ],
            "day-of-month: 32 is out of range 1-31",
        ),
        (
            vec![
                "cron",
                "next",
                "0 0 30 2 *",
                "--from",
                "2024-01-01T00:00:00Z",
            ],
            "can never fire",
        ),
        (
            vec!["cron", "next", "* * *", "--from", "2024-01-01T00:00:00Z"],
            "expected 5 fields",
        ),
        (
            vec![
                "cron",
                "next",
                "* * * * *",
                "--from",
                "2024-01-01T00:00:00Z",
                "--tz",
                "Atlantis/Capital",
            ],
            "no time zone \"Atlantis/Capital\"",
        ),
        (
            vec!["cron", "next", "* * * * *", "--from", "yesterday"],
            "--from",
        ),
        (
            vec![
                "cron",
                "next",
                "* * * * *",
                "--from",
                "2024-01-01T00:00:00Z",
                "--count",
                "0",
            ],
            "--count",
        ),
        (vec!["cron", "next"], "which expression"),
    ] {
        let (code, out, err) = orrery(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
