//! Proleptic Gregorian calendar arithmetic on plain integers: days since 1970-01-01 to and from
//! `(year, month, day)`, weekdays, month lengths, and RFC 3339 text.
//!
//! The cron search runs on a "local second" timeline: seconds since 1970-01-01T00:00:00 on
//! the wall clock of the zone, with no offset applied. In UTC it is the Unix time; elsewhere
//! the zone module maps it to instants. Day numbers use Howard Hinnant's `days_from_civil`
//! algorithm, exact over the whole range the lab needs (years 1 to 9999).

/// Seconds in a civil day (cron ignores leap seconds, as POSIX time does).
pub const DAY: i64 = 86_400;

/// 0001-01-01T00:00:00Z as a Unix second: the earliest instant the engine searches.
pub const MIN_SECOND: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z as a Unix second: the latest instant the engine searches.
pub const MAX_SECOND: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number.
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// The weekday of a day number, 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1-12) of year `y`.
pub fn month_len(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A local second split into its civil parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Civil {
    pub fn of(local: i64) -> Civil {
        let (year, month, day) = civil_from_days(local.div_euclid(DAY));
        let sod = local.rem_euclid(DAY) as u32;
        Civil {
            year,
            month,
            day,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
        }
    }

    pub fn to_local(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * DAY
            + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
    }
}

/// Formats an instant as RFC 3339 with the given UTC offset in seconds: `Z` for a zero
/// offset when `z_for_utc`, otherwise `+hh:mm` (or `+hh:mm:ss` for odd historical offsets).
pub fn format_rfc3339(unix: i64, offset: i32, z_for_utc: bool) -> String {
    let c = Civil::of(unix + i64::from(offset));
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if offset == 0 && z_for_utc {
        s.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.unsigned_abs();
        s += &format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
        if !a.is_multiple_of(60) {
            s += &format!(":{:02}", a % 60);
        }
    }
    s
}

/// Parses an RFC 3339 instant (`2024-03-10T01:30:00Z`, `…T01:30:00.250-05:00`) into Unix
/// seconds and the millisecond fraction (truncated to milliseconds).
pub fn parse_rfc3339(text: &str) -> Result<(i64, u32), String> {
    let bad = |why: &str| format!("{text:?} is not an RFC 3339 instant: {why}");
    let b = text.as_bytes();
    if b.len() < 20 {
        return Err(bad("too short (expected like 2024-01-01T00:00:00Z)"));
    }
    let digits = |from: usize, len: usize| -> Result<u32, String> {
        let s = text.get(from..from + len).ok_or_else(|| bad("truncated"))?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad(&format!("{s:?} is not a number")));
        }
        s.parse().map_err(|_| bad("not a number"))
    };
    let sep = |at: usize, want: &[u8]| -> Result<(), String> {
        if want.contains(&b[at]) {
            Ok(())
        } else {
            Err(bad(&format!(
                "expected {:?} at position {}",
                want[0] as char,
                at + 1
            )))
        }
    };
    let year = digits(0, 4)?;
    sep(4, b"-")?;
    let month = digits(5, 2)?;
    sep(7, b"-")?;
    let day = digits(8, 2)?;
    sep(10, b"Tt ")?;
    let hour = digits(11, 2)?;
    sep(13, b":")?;
    let minute = digits(14, 2)?;
    sep(16, b":")?;
    let second = digits(17, 2)?;
    if year == 0 || !(1..=12).contains(&month) {
        return Err(bad("the month is out of range"));
    }
    if day == 0 || day > month_len(year as i32, month) {
        return Err(bad("the day is out of range for the month"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad("the time of day is out of range"));
    }
    let mut i = 19;
    let mut millis = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return Err(bad("no digits after the decimal point"));
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset: i64 = match &text[i..] {
        "Z" | "z" => 0,
        rest if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let h = digits(i + 1, 2)?;
            sep(i + 3, b":")?;
            let m = digits(i + 4, 2)?;
            if h > 23 || m > 59 {
                return Err(bad("the offset is out of range"));
            }
            let v = i64::from(h * 3600 + m * 60);
            if rest.starts_with('-') {
                -v
            } else {
                v
            }
        }
        _ => return Err(bad("expected Z or an offset like +02:00 at the end")),
    };
    // A leap second (:60) is read as the next second, as POSIX time does.
    let local = Civil {
        year: year as i32,
        month,
        day,
        hour,
        minute,
        second: 0,
    }
    .to_local()
        + i64::from(second);
    Ok((local - offset, millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_over_four_centuries() {
        for z in days_from_civil(1999, 12, 1)..days_from_civil(2401, 3, 1) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            assert!(d >= 1 && d <= month_len(y, m));
        }
        assert_eq!(weekday(days_from_civil(2024, 1, 1)), 1);
        assert_eq!(Civil::of(MAX_SECOND).year, 9999);
        assert_eq!(Civil::of(MIN_SECOND).year, 1);
    }

    #[test]
    fn rfc3339_round_trip() {
        let (t, ms) = parse_rfc3339("2024-03-10T01:30:00.25-05:00").unwrap();
        assert_eq!(ms, 250);
        assert_eq!(format_rfc3339(t, 0, true), "2024-03-10T06:30:00Z");
        assert_eq!(format_rfc3339(t, 37_800, true), "2024-03-10T17:00:00+10:30");
        assert!(parse_rfc3339("2024-02-30T00:00:00Z").is_err());
        assert!(parse_rfc3339("2024-02-01 00:00:00").is_err());
    }
}
