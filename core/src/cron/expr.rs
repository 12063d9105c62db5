//! Cron expressions: parsing into bit sets, day matching, and the search for the next or
//! previous matching second on a local (wall-clock) timeline.
//!
//! Each field becomes a bit set (seconds and minutes in a `u64`, hours in a `u32`, days of
//! the month in a `u32`, months in a `u16`, weekdays in a `u8`), plus the few day rules that
//! depend on the month (`L`, `L-n`, `LW`, `nW`, `dL`, `d#n`). The search never tests second
//! by second: a month outside the month set is skipped whole, a day that does not match is
//! skipped whole, and within a matching day the next hour, minute and second are each found
//! with one bit scan (`trailing_zeros`).
//!
//! ```text
//!   from ─► month in set? ──no──► first day of the next month in the set
//!             │yes
//!           day matches? ──no──► next day, 00:00:00
//!             │yes
//!           hour ≥ h, minute ≥ m, second ≥ s in their sets? ──none──► next day
//!             │found
//!           the fire time (local)
//! ```

use std::fmt;

use super::civil::{civil_from_days, days_from_civil, month_len, weekday, DAY};

/// A field of a cron expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Second => "second",
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
        }
    }

    /// The values a field accepts; day-of-week accepts 7 as Sunday.
    fn range(self) -> (u32, u32) {
        match self {
            Field::Second | Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (0, 7),
        }
    }
}

/// Why an expression was refused: the field at fault (if one is) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError {
    pub field: Option<Field>,
    pub message: String,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{}: {}", field.name(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CronError {}

fn err(field: Field, message: impl Into<String>) -> CronError {
    CronError {
        field: Some(field),
        message: message.into(),
    }
}

/// One comma-separated item of a field, as written (kept for the description).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// `*` or `?`.
    Any,
    Value(u32),
    Range(u32, u32),
    /// `*/step`, `a-b/step` or `a/step` (to the end of the field's range).
    Step {
        first: u32,
        last: u32,
        step: u32,
        from_star: bool,
    },
    /// Day-of-month `L` (offset 0) or `L-n`: the last day, or n days before it.
    LastDay(u32),
    /// Day-of-month `LW`: the last weekday (Monday to Friday) of the month.
    LastWeekday,
    /// Day-of-month `nW`: the weekday nearest day n, within the month.
    NearestWeekday(u32),
    /// Day-of-week `dL`: the last weekday d of the month.
    LastOf(u32),
    /// Day-of-week `d#n`: the n-th weekday d of the month.
    Nth(u32, u32),
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A parsed cron expression. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    text: String,
    has_seconds: bool,
    pub(crate) seconds: u64,
    pub(crate) minutes: u64,
    pub(crate) hours: u32,
    /// Bits 1..=31.
    pub(crate) days: u32,
    /// Bits 1..=12.
    pub(crate) months: u16,
    /// Bits 0..=6, Sunday = 0.
    pub(crate) weekdays: u8,
    /// Bit n: the day n days before the last day of the month (`L` is bit 0, `L-3` bit 3).
    last_days: u32,
    last_weekday: bool,
    /// Bit n: the weekday nearest day n (`nW`).
    nearest: u32,
    /// Bit d: the last weekday d of the month (`dL`).
    last_of: u8,
    /// For weekday d, bit n: its n-th occurrence in the month (`d#n`).
    nth: [u8; 7],
    /// Vixie's rule: a field that starts with `*` (or `?`) leaves the day to the other field.
    pub(crate) dom_star: bool,
    pub(crate) dow_star: bool,
    pub(crate) parts: [Vec<Part>; 6],
}

impl Schedule {
    /// Parses a five-field (`minute hour day-of-month month day-of-week`) or six-field
    /// (seconds first) expression, or a macro such as `@daily`. An expression that is valid
    /// but can never fire (`0 0 30 2 *`) is an error too.
    pub fn parse(text: &str) -> Result<Schedule, CronError> {
        let trimmed = text.trim();
        let expanded = match trimmed.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            "@reboot" => {
                return Err(CronError {
                    field: None,
                    message: "@reboot runs at start-up, not at a time; it has no fire times".into(),
                })
            }
            m if m.starts_with('@') => {
                return Err(CronError {
                    field: None,
                    message: format!(
                        "unknown macro {trimmed:?}; macros: @yearly, @annually, @monthly, \
                         @weekly, @daily, @midnight, @hourly"
                    ),
                })
            }
            _ => trimmed,
        };
        let words: Vec<&str> = expanded.split_whitespace().collect();
        let (has_seconds, fields): (bool, Vec<(Field, &str)>) = match words.len() {
            5 => (
                false,
                [
                    Field::Minute,
                    Field::Hour,
                    Field::DayOfMonth,
                    Field::Month,
                    Field::DayOfWeek,
                ]
                .into_iter()
                .zip(words.iter().copied())
                .collect(),
            ),
            6 => (
                true,
                [
                    Field::Second,
                    Field::Minute,
                    Field::Hour,
                    Field::DayOfMonth,
                    Field::Month,
                    Field::DayOfWeek,
                ]
                .into_iter()
                .zip(words.iter().copied())
                .collect(),
            ),
            0 => {
                return Err(CronError {
                    field: None,
                    message: "the expression is empty".into(),
                })
            }
            n => {
                return Err(CronError {
                    field: None,
                    message: format!(
                        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 \
                         (with seconds first), found {n}"
                    ),
                })
            }
        };
        let mut s = Schedule {
            text: trimmed.to_string(),
            has_seconds,
            seconds: 1,
            minutes: 0,
            hours: 0,
            days: 0,
            months: 0,
            weekdays: 0,
            last_days: 0,
            last_weekday: false,
            nearest: 0,
            last_of: 0,
            nth: [0; 7],
            dom_star: false,
            dow_star: false,
            parts: Default::default(),
        };
        if !has_seconds {
            s.parts[0] = vec![Part::Value(0)];
        }
        for (field, word) in fields {
            let parts = parse_field(field, word)?;
            let mut bits = 0u64;
            for &p in &parts {
                match p {
                    Part::Any => bits |= range_bits(field.range().0, field.range().1, 1),
                    Part::Value(v) => bits |= 1 << v,
                    Part::Range(a, b) => bits |= range_bits(a, b, 1),
                    Part::Step {
                        first, last, step, ..
                    } => bits |= range_bits(first, last, step),
                    Part::LastDay(n) => s.last_days |= 1 << n,
                    Part::LastWeekday => s.last_weekday = true,
                    Part::NearestWeekday(n) => s.nearest |= 1 << n,
                    Part::LastOf(d) => s.last_of |= 1 << d,
                    Part::Nth(d, n) => s.nth[d as usize] |= 1 << n,
                }
            }
            let star = word.starts_with('*') || word.starts_with('?');
            match field {
                Field::Second => s.seconds = bits,
                Field::Minute => s.minutes = bits,
                Field::Hour => s.hours = bits as u32,
                Field::DayOfMonth => {
                    s.days = bits as u32;
                    s.dom_star = star;
                }
                Field::Month => s.months = bits as u16,
                Field::DayOfWeek => {
                    // 7 is Sunday.
                    s.weekdays = ((bits | (bits >> 7)) & 0x7f) as u8;
                    s.dow_star = star;
                }
            }
            s.parts[field as usize] = parts;
        }
        if !s.fires_in_a_cycle() {
            return Err(CronError {
                field: None,
                message: format!("{trimmed:?} can never fire: {}", s.why_never()),
            });
        }
        Ok(s)
    }

    /// The expression as written (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the expression has a seconds field.
    pub fn has_seconds(&self) -> bool {
        self.has_seconds
    }

    /// The parts of a field as written.
    pub fn parts(&self, field: Field) -> &[Part] {
        &self.parts[field as usize]
    }

    /// Whether the day `days` (days since 1970-01-01), which is `(y, m, d)`, matches the
    /// day-of-month and day-of-week fields under Vixie's rule: when both are restricted, either
    /// may match; when one starts with `*`, both must (so the other decides).
    pub fn day_matches(&self, y: i32, m: u32, d: u32, days: i64) -> bool {
        let len = month_len(y, m);
        let wd = weekday(days);
        let dom = self.days & (1 << d) != 0
            || self.last_days & (1 << (len - d)) != 0
            || (self.last_weekday && d == last_weekday_of(len, weekday(days + i64::from(len - d))))
            || (self.nearest != 0 && self.nearest_matches(d, len, wd));
        let dow = self.weekdays & (1 << wd) != 0
            || (self.last_of & (1 << wd) != 0 && d + 7 > len)
            || self.nth[wd as usize] & (1 << ((d - 1) / 7 + 1)) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// Whether day `d` (weekday `wd`) of a month of `len` days is the weekday nearest one of
    /// the `nW` days. The nearest weekday never leaves the month: `1W` on a Saturday is
    /// Monday the 3rd, and `nW` for a day the month lacks never fires.
    fn nearest_matches(&self, d: u32, len: u32, wd: u32) -> bool {
        if wd == 0 || wd == 6 {
            return false;
        }
        // Day n is d itself, or a Saturday/Sunday next to d, or the 1st or last day two away.
        let candidates = [d, d.wrapping_sub(1), d + 1, d.wrapping_sub(2), d + 2];
        candidates.into_iter().any(|n| {
            (1..=len).contains(&n)
                && self.nearest & (1 << n) != 0
                && nearest_weekday(
                    n,
                    len,
                    (wd as i64 + n as i64 - d as i64).rem_euclid(7) as u32,
                ) == d
        })
    }

    /// Whether any day in a whole 400-year Gregorian cycle (which repeats weekdays too)
    /// matches; hours, minutes and seconds always have at least one value.
    fn fires_in_a_cycle(&self) -> bool {
        for y in 2000..2400 {
            for m in 1..=12 {
                if self.months & (1 << m) == 0 {
                    continue;
                }
                let first = days_from_civil(y, m, 1);
                for d in 1..=month_len(y, m) {
                    if self.day_matches(y, m, d, first + i64::from(d) - 1) {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn why_never(&self) -> String {
        let months: Vec<&str> = (1..=12)
            .filter(|m| self.months & (1 << m) != 0)
            .map(|m| MONTH_NAMES[m as usize - 1])
            .collect();
        format!(
            "no day of {} matches day-of-month {:?}{}",
            join_or(&months),
            self.field_text(Field::DayOfMonth),
            if self.dow_star {
                String::new()
            } else {
                format!(" or day-of-week {:?}", self.field_text(Field::DayOfWeek))
            }
        )
    }

    fn field_text(&self, field: Field) -> &str {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        if words.len() < 5 {
            return "";
        }
        let i = field as usize - usize::from(!self.has_seconds);
        words.get(i).copied().unwrap_or("")
    }

    /// Whether the day is decided by the day-of-month bits alone (day-of-week is `*` and no
    /// `L` or `W` rule), so the search may jump from one set bit to the next.
    fn days_only(&self) -> bool {
        self.dow_star && self.last_days == 0 && !self.last_weekday && self.nearest == 0
    }

    /// The smallest local second in `[from, until]` that matches, if any.
    pub fn next_local(&self, from: i64, until: i64) -> Option<i64> {
        if from > until {
            return None;
        }
        let mut day = from.div_euclid(DAY);
        let mut sod = from.rem_euclid(DAY) as u32;
        let (mut y, mut m, mut d) = civil_from_days(day);
        loop {
            if day * DAY > until {
                return None;
            }
            if self.months & (1 << m) == 0 {
                let (ny, nm) = self.next_month(y, m);
                y = ny;
                m = nm;
                d = 1;
                day = days_from_civil(y, m, 1);
                sod = 0;
                continue;
            }
            if self.day_matches(y, m, d, day) {
                if let Some(t) = self.time_at_or_after(sod) {
                    let c = day * DAY + i64::from(t);
                    return (c <= until).then_some(c);
                }
            } else if self.days_only() {
                // Only the day-of-month bits decide: jump to the next one, or the next month.
                match next_bit(u64::from(self.days), d + 1) {
                    Some(n) if n <= month_len(y, m) => {
                        day += i64::from(n - d);
                        d = n;
                    }
                    _ => {
                        let (ny, nm) = self.next_month(y, m);
                        (y, m, d) = (ny, nm, 1);
                        day = days_from_civil(y, m, 1);
                    }
                }
                sod = 0;
                continue;
            }
            day += 1;
            sod = 0;
            if d == month_len(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            } else {
                d += 1;
            }
        }
    }

    /// The largest local second in `[lower, from]` that matches, if any.
    pub fn prev_local(&self, from: i64, lower: i64) -> Option<i64> {
        if from < lower {
            return None;
        }
        let mut day = from.div_euclid(DAY);
        let mut sod = from.rem_euclid(DAY) as u32;
        let (mut y, mut m, mut d) = civil_from_days(day);
        loop {
            if (day + 1) * DAY - 1 < lower {
                return None;
            }
            if self.months & (1 << m) == 0 {
                let (py, pm) = self.prev_month(y, m);
                y = py;
                m = pm;
                d = month_len(y, m);
                day = days_from_civil(y, m, d);
                sod = DAY as u32 - 1;
                continue;
            }
            if self.day_matches(y, m, d, day) {
                if let Some(t) = self.time_at_or_before(sod) {
                    let c = day * DAY + i64::from(t);
                    return (c >= lower).then_some(c);
                }
            } else if self.days_only() && d > 1 {
                // Only the day-of-month bits decide: jump to the previous one (bit 0 is never
                // set, so none lands on the last day of the previous month instead).
                let p = prev_bit(u64::from(self.days) & !1, d - 1).unwrap_or(0);
                if p >= 1 {
                    day -= i64::from(d - p);
                    d = p;
                    sod = DAY as u32 - 1;
                    continue;
                }
                day -= i64::from(d - 1);
                d = 1;
            }
            day -= 1;
            sod = DAY as u32 - 1;
            if d == 1 {
                m -= 1;
                if m == 0 {
                    m = 12;
                    y -= 1;
                }
                d = month_len(y, m);
            } else {
                d -= 1;
            }
        }
    }

    /// The next month in the set after `(y, m)`; the set is never empty.
    fn next_month(&self, y: i32, m: u32) -> (i32, u32) {
        match next_bit(u64::from(self.months), m + 1) {
            Some(n) if n <= 12 => (y, n),
            _ => (y + 1, self.months.trailing_zeros()),
        }
    }

    fn prev_month(&self, y: i32, m: u32) -> (i32, u32) {
        match prev_bit(u64::from(self.months) & !1, m - 1) {
            Some(p) if p >= 1 => (y, p),
            _ => (y - 1, 15 - self.months.leading_zeros()),
        }
    }

    /// The first matching second of the day at or after second-of-day `sod`.
    fn time_at_or_after(&self, sod: u32) -> Option<u32> {
        let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
        let first_min = self.minutes.trailing_zeros();
        let first_sec = self.seconds.trailing_zeros();
        let hh = next_bit(u64::from(self.hours), h)?;
        if hh > h {
            return Some(hh * 3600 + first_min * 60 + first_sec);
        }
        if let Some(mm) = next_bit(self.minutes, mi) {
            if mm > mi {
                return Some(h * 3600 + mm * 60 + first_sec);
            }
            if let Some(ss) = next_bit(self.seconds, s) {
                return Some(h * 3600 + mi * 60 + ss);
            }
            if let Some(mm) = next_bit(self.minutes, mi + 1) {
                return Some(h * 3600 + mm * 60 + first_sec);
            }
        }
        let hh = next_bit(u64::from(self.hours), h + 1)?;
        Some(hh * 3600 + first_min * 60 + first_sec)
    }

    /// The last matching second of the day at or before second-of-day `sod`.
    fn time_at_or_before(&self, sod: u32) -> Option<u32> {
        let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
        let last_min = 63 - self.minutes.leading_zeros();
        let last_sec = 63 - self.seconds.leading_zeros();
        let hh = prev_bit(u64::from(self.hours), h)?;
        if hh < h {
            return Some(hh * 3600 + last_min * 60 + last_sec);
        }
        if let Some(mm) = prev_bit(self.minutes, mi) {
            if mm < mi {
                return Some(h * 3600 + mm * 60 + last_sec);
            }
            if let Some(ss) = prev_bit(self.seconds, s) {
                return Some(h * 3600 + mi * 60 + ss);
            }
            if mi > 0 {
                if let Some(mm) = prev_bit(self.minutes, mi - 1) {
                    return Some(h * 3600 + mm * 60 + last_sec);
                }
            }
        }
        if h == 0 {
            return None;
        }
        let hh = prev_bit(u64::from(self.hours), h - 1)?;
        Some(hh * 3600 + last_min * 60 + last_sec)
    }
}

/// English month names, January first.
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The lowest set bit at or above `from`.
fn next_bit(mask: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let m = mask & (!0u64 << from);
    (m != 0).then(|| m.trailing_zeros())
}

/// The highest set bit at or below `upto`.
fn prev_bit(mask: u64, upto: u32) -> Option<u32> {
    let m = if upto >= 63 {
        mask
    } else {
        mask & ((1u64 << (upto + 1)) - 1)
    };
    (m != 0).then(|| 63 - m.leading_zeros())
}

fn range_bits(first: u32, last: u32, step: u32) -> u64 {
    let mut bits = 0;
    let mut v = first;
    while v <= last {
        bits |= 1 << v;
        v += step;
    }
    bits
}

/// The last Monday-to-Friday day of a month of `len` days whose last day is weekday `wd_last`.
fn last_weekday_of(len: u32, wd_last: u32) -> u32 {
    match wd_last {
        6 => len - 1,
        0 => len - 2,
        _ => len,
    }
}

/// The weekday nearest day `n` (weekday `wd`) in a month of `len` days, never leaving it.
fn nearest_weekday(n: u32, len: u32, wd: u32) -> u32 {
    match wd {
        6 if n == 1 => 3,
        6 => n - 1,
        0 if n == len => n - 2,
        0 => n + 1,
        _ => n,
    }
}

/// Parses one field into its parts.
fn parse_field(field: Field, word: &str) -> Result<Vec<Part>, CronError> {
    if word.is_empty() {
        return Err(err(field, "is empty"));
    }
    word.split(',')
        .map(|item| parse_item(field, item))
        .collect()
}

fn parse_item(field: Field, item: &str) -> Result<Part, CronError> {
    let (lo, hi) = field.range();
    let upper = item.to_ascii_uppercase();
    let item_t = upper.as_str();
    if item_t.is_empty() {
        return Err(err(field, "has an empty list item (two commas in a row?)"));
    }
    let day_field = matches!(field, Field::DayOfMonth | Field::DayOfWeek);
    if item_t == "?" && !day_field {
        return Err(err(
            field,
            "? is only allowed in day-of-month and day-of-week",
        ));
    }
    if field == Field::DayOfMonth {
        if item_t == "L" {
            return Ok(Part::LastDay(0));
        }
        if item_t == "LW" || item_t == "WL" {
            return Ok(Part::LastWeekday);
        }
        if let Some(n) = item_t.strip_prefix("L-") {
            let n = number(field, n, item)?;
            if n > 30 {
                return Err(err(field, format!("L-{n}: the offset must be 0 to 30")));
            }
            return Ok(Part::LastDay(n));
        }
        if let Some(n) = item_t.strip_suffix('W') {
            let n = value(field, n, item)?;
            return Ok(Part::NearestWeekday(n));
        }
    } else if item_t.contains('W') && !MONTHS.iter().chain(DAYS.iter()).any(|n| item_t.contains(n))
    {
        return Err(err(
            field,
            format!("{item:?}: W (nearest weekday) is only allowed in day-of-month"),
        ));
    }
    if field == Field::DayOfWeek {
        if let Some(d) = item_t.strip_suffix('L') {
            if d.is_empty() {
                return Ok(Part::Value(6));
            }
            return Ok(Part::LastOf(value(field, d, item)? % 7));
        }
        if let Some((d, n)) = item_t.split_once('#') {
            let d = value(field, d, item)? % 7;
            let n = number(field, n, item)?;
            if !(1..=5).contains(&n) {
                return Err(err(
                    field,
                    format!("{item:?}: the occurrence after # must be 1 to 5, not {n}"),
                ));
            }
            return Ok(Part::Nth(d, n));
        }
    }
    if item_t.contains('L') && !MONTHS.iter().chain(DAYS.iter()).any(|n| item_t.contains(n)) {
        return Err(err(
            field,
            format!("{item:?}: L is only allowed in day-of-month and day-of-week"),
        ));
    }
    if item_t.contains('#') {
        return Err(err(
            field,
            format!("{item:?}: # (nth weekday) is only allowed in day-of-week"),
        ));
    }
    let (base, step) = match item_t.split_once('/') {
        Some((b, s)) => {
            let s = number(field, s, item)?;
            if s == 0 {
                return Err(err(field, format!("{item:?}: a step of 0 never advances")));
            }
            if s > hi {
                return Err(err(
                    field,
                    format!("{item:?}: step {s} is larger than the range {lo}-{hi}"),
                ));
            }
            (b, Some(s))
        }
        None => (item_t, None),
    };
    let any = base == "*" || base == "?";
    let (first, last) = if any {
        (lo, if field == Field::DayOfWeek { 6 } else { hi })
    } else if let Some((a, b)) = base.split_once('-') {
        let a = value(field, a, item)?;
        let b = value(field, b, item)?;
        // 7 is Sunday; "5-7" means Friday to Sunday.
        if a > b {
            return Err(err(
                field,
                format!("{item:?}: the range runs backwards ({a} is after {b})"),
            ));
        }
        (a, b)
    } else {
        let a = value(field, base, item)?;
        match step {
            Some(_) => (a, if field == Field::DayOfWeek { 6 } else { hi }),
            None => return Ok(Part::Value(a)),
        }
    };
    Ok(match (any, step) {
        (true, None) => Part::Any,
        (false, None) => Part::Range(first, last),
        (_, Some(step)) => Part::Step {
            first,
            last,
            step,
            from_star: any,
        },
    })
}

/// A plain number (a step, an offset, an occurrence).
fn number(field: Field, s: &str, item: &str) -> Result<u32, CronError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 4 {
        return Err(err(field, format!("{item:?}: {s:?} is not a number")));
    }
    s.parse()
        .map_err(|_| err(field, format!("{item:?}: {s:?} is not a number")))
}

/// A value of the field: a number in range, or a month or weekday name.
fn value(field: Field, s: &str, item: &str) -> Result<u32, CronError> {
    let (lo, hi) = field.range();
    let names: &[&str] = match field {
        Field::Month => &MONTHS,
        Field::DayOfWeek => &DAYS,
        _ => &[],
    };
    if let Some(i) = names.iter().position(|n| *n == s) {
        return Ok(i as u32 + u32::from(field == Field::Month));
    }
    if s.bytes().any(|b| b.is_ascii_alphabetic()) {
        let hint = match field {
            Field::Month => "; months are 1-12 or JAN-DEC",
            Field::DayOfWeek => "; days are 0-7 (0 and 7 are Sunday) or SUN-SAT",
            _ => "",
        };
        return Err(err(field, format!("{s:?} is not a number or a name{hint}")));
    }
    let v = number(field, s, item)?;
    if v < lo || v > hi {
        return Err(err(field, format!("{v} is out of range {lo}-{hi}")));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        assert_eq!(next_bit(0b1010, 2), Some(3));
        assert_eq!(next_bit(0b1010, 4), None);
        assert_eq!(prev_bit(0b1010, 2), Some(1));
        assert_eq!(prev_bit(0b1010, 0), None);
        assert_eq!(prev_bit(1 << 63, 63), Some(63));
    }

    #[test]
    fn months_wrap() {
        let s = Schedule::parse("0 0 1 2-11/3 *").unwrap();
        assert_eq!(s.next_month(2024, 11), (2025, 2));
        assert_eq!(s.prev_month(2024, 2), (2023, 11));
        assert_eq!(s.next_month(2024, 2), (2024, 5));
    }
}
