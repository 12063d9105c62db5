//! The scheduler lab's cron engine: expressions, their plain-language description, and their
//! next and previous fire times in UTC or any IANA time zone, with explicit DST policies.
//!
//! # Expressions
//!
//! | field | values | also |
//! |---|---|---|
//! | second (optional, first of six) | 0-59 | |
//! | minute | 0-59 | |
//! | hour | 0-23 | |
//! | day-of-month | 1-31 | `L` last day, `L-3`, `LW` last weekday, `15W` weekday nearest the 15th |
//! | month | 1-12, `JAN`-`DEC` | |
//! | day-of-week | 0-7 (0 and 7 are Sunday), `SUN`-`SAT` | `5L` last Friday, `FRI#3` third Friday |
//!
//! Every field takes `*`, lists `a,b`, ranges `a-b` and steps `*/n`, `a-b/n`, `a/n`; the day
//! fields take `?` as `*`. Macros: `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily`
//! (`@midnight`), `@hourly`. **Vixie's day rule:** when both day fields are restricted (neither
//! starts with `*`), a day matches if *either* matches: `0 0 1,15 * 3` fires on the 1st, the
//! 15th and every Wednesday. An expression that can never fire (`0 0 30 2 *`) is refused.
//!
//! # Time zones and DST
//!
//! Fire times are computed on the zone's wall clock (a local timeline, see [`civil`]) one
//! stretch of constant UTC offset at a time, with the zone's transitions from the IANA database
//! ([`jiff`]): bundled into native builds, loaded on demand by the page ([`tzdata`]). Each transition is a gap (clocks jump forward: local times skipped) or
//! a fold (clocks go back: local times repeated):
//!
//! ```text
//!   America/New_York, 2024-03-10       01:59:59 EST ─► 03:00:00 EDT   gap: 02:00-02:59 skipped
//!   America/New_York, 2024-11-03       01:59:59 EDT ─► 01:00:00 EST   fold: 01:00-01:59 twice
//!   Australia/Lord_Howe, 2024-10-06    01:59:59 +10:30 ─► 02:30:00 +11   gap of 30 minutes
//! ```
//!
//! | policy | choices | **default** |
//! |---|---|---|
//! | [`Gap`]: a matching local time that the gap skips | `NextValid`: fire once at the first instant after the gap (the transition, e.g. 03:00 EDT) however many skipped times matched; `Skip`: do not fire | **`NextValid`** (no run is lost, as in Vixie cron) |
//! | [`Fold`]: a matching local time that the fold repeats | `Once`: fire at its first occurrence only; `Twice`: fire at both | **`Once`** (a daily job runs once a day) |
//!
//! Searching skips whole months, days and hours that cannot match (see [`expr`]), so a next
//! fire time costs well under a microsecond in UTC (`cargo bench -p orrery-core --bench cron`).
//!
//! # Modules
//!
//! * [`civil`]: calendar arithmetic on integers and RFC 3339 text.
//! * [`expr`]: parsing, day matching and the local-timeline search.
//! * [`describe`]: the plain-language description.
//! * [`lab`]: the scheduler lab, a distributed cron built on this engine (each job in UTC or
//!   its own zone).
//! * [`tzdata`]: the tz database as one blob the page fetches (`static/tzdata.bin`).
//! * [`heatmap`]: the week heatmap of fire times in a display zone, with collisions.
//! * [`gantt`]: the lab's executions (start, end, worker, outcome) read from its event log.

pub mod civil;
pub mod describe;
pub mod expr;
pub mod gantt;
pub mod heatmap;
pub mod lab;
pub mod tzdata;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use civil::{format_rfc3339, parse_rfc3339};
pub use expr::{CronError, Field, Part, Schedule};
pub use tzdata::TzData;

use civil::{DAY, MAX_SECOND, MIN_SECOND};

/// More than the largest difference between two UTC offsets any zone has used (offsets stay
/// within -12:00..+14:00 and historic local mean times within a day of UTC): the margin
/// [`Schedule::next_after`] keeps when it jumps ahead.
const MAX_OFFSET_SPREAD: i64 = 3 * DAY;

/// What happens to a matching local time that a spring-forward gap skips.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// Fire once at the first valid instant after the gap (the transition itself).
    #[default]
    NextValid,
    /// Do not fire.
    Skip,
}

/// What happens to a matching local time that a fall-back fold repeats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fold {
    /// Fire at the first occurrence only.
    #[default]
    Once,
    /// Fire at both occurrences.
    Twice,
}

/// The DST policy: one choice for gaps, one for folds. The default is `NextValid` and `Once`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dst {
    pub gap: Gap,
    pub fold: Fold,
}

/// A time zone: UTC, or an IANA zone from the bundled database ([`Zone::named`]) or from a
/// loaded [`TzData`] ([`TzData::zone`]).
#[derive(Clone, Debug)]
pub struct Zone {
    /// The canonical IANA spelling (`America/New_York`), or `UTC`.
    name: String,
    /// `None` for UTC, which needs no transitions (and takes the fast path).
    tz: Option<TimeZone>,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: None,
        }
    }

    /// Whether a zone name means UTC itself (`UTC` in any ASCII case, or `Z`), which needs no
    /// tz data.
    pub fn is_utc_name(name: &str) -> bool {
        name.eq_ignore_ascii_case("utc") || name == "Z"
    }

    /// The zone with this IANA name (`Europe/London`, any ASCII case), or `UTC`, from the tz
    /// database bundled into this build (the `tzdb-bundled` feature). Without that feature
    /// only UTC is known: load a [`TzData`] and use [`TzData::zone`].
    pub fn named(name: &str) -> Result<Zone, String> {
        if Zone::is_utc_name(name) {
            return Ok(Zone::utc());
        }
        Zone::bundled(name)
    }

    #[cfg(feature = "tzdb-bundled")]
    fn bundled(name: &str) -> Result<Zone, String> {
        let tz = TimeZone::get(name).map_err(|_| Zone::unknown(name))?;
        Ok(Zone {
            name: tz.iana_name().unwrap_or(name).to_string(),
            tz: Some(tz),
        })
    }

    #[cfg(not(feature = "tzdb-bundled"))]
    fn bundled(name: &str) -> Result<Zone, String> {
        Err(format!(
            "time zone data not loaded: {name:?} needs the tz database (only UTC is built in)"
        ))
    }

    /// The message for a name that no database holds.
    fn unknown(name: &str) -> String {
        format!("no time zone {name:?}; use an IANA name such as Europe/London or UTC")
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_utc(&self) -> bool {
        self.tz.is_none()
    }

    /// The UTC offset in seconds at a Unix second.
    pub fn offset_at(&self, unix: i64) -> i32 {
        match &self.tz {
            None => 0,
            Some(tz) => tz.to_offset(ts(unix)).seconds(),
        }
    }

    /// RFC 3339 text of an instant: `Z` in UTC, the zone's offset otherwise.
    pub fn format(&self, unix: i64) -> String {
        format_rfc3339(unix, self.offset_at(unix), self.is_utc())
    }

    /// The transition strictly after `unix`: `(at, offset before, offset after)`.
    fn transition_after(&self, tz: &TimeZone, unix: i64) -> Option<(i64, i64, i64)> {
        let t = tz.following(ts(unix)).next()?;
        let at = t.timestamp().as_second();
        let after = i64::from(t.offset().seconds());
        let before = i64::from(tz.to_offset(ts(at - 1)).seconds());
        Some((at, before, after))
    }

    /// The transition at or before `unix`: `(at, offset before, offset after)`.
    fn transition_at_or_before(&self, tz: &TimeZone, unix: i64) -> Option<(i64, i64, i64)> {
        let t = tz.preceding(ts(unix + 1)).next()?;
        let at = t.timestamp().as_second();
        let after = i64::from(t.offset().seconds());
        let before = i64::from(tz.to_offset(ts(at - 1)).seconds());
        Some((at, before, after))
    }
}

fn ts(unix: i64) -> Timestamp {
    Timestamp::from_second(unix.clamp(MIN_SECOND, MAX_SECOND)).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Schedule {
    /// The first fire time strictly after the Unix second `from`, in `zone` under `dst`.
    pub fn next_after(&self, from: i64, zone: &Zone, dst: Dst) -> Option<i64> {
        let start = from.checked_add(1)?.max(MIN_SECOND);
        let Some(tz) = &zone.tz else {
            return self.next_local(start, MAX_SECOND);
        };
        // The stretch of constant offset that holds `start`, and the transition that began it.
        let mut seg_start = start;
        let mut began = zone.transition_at_or_before(tz, start);
        // A spring-forward at `start` itself: its skipped local times run at `start` under
        // `NextValid` (the walk below checks the gaps of the transitions ahead only).
        if let Some((at, before, after)) = began {
            if at == start
                && after > before
                && dst.gap == Gap::NextValid
                && self.next_local(at + before, at + after - 1).is_some()
            {
                return Some(at);
            }
        }
        while seg_start <= MAX_SECOND {
            let off = i64::from(tz.to_offset(ts(seg_start)).seconds());
            let next = zone.transition_after(tz, seg_start);
            let seg_end = next.map_or(MAX_SECOND, |(at, _, _)| at - 1);
            let mut lo = seg_start + off;
            if let (Fold::Once, Some((at, before, after))) = (dst.fold, began) {
                if before > after {
                    // The local times [at + after, at + before) already passed once.
                    lo = lo.max(at + before);
                }
            }
            // With `Fold::Once` the local times the search visits only grow, so the first match
            // at or after `lo` anywhere ahead bounds the walk; with `Fold::Twice` a later stretch
            // may repeat earlier local times, so each stretch is searched on its own.
            let once = dst.fold == Fold::Once;
            let local = self.next_local(
                lo,
                if once {
                    MAX_SECOND + off
                } else {
                    seg_end + off
                },
            );
            if let Some(l) = local.filter(|&l| l <= seg_end + off) {
                return Some(l - off);
            }
            let (at, before, after) = next?;
            if after > before
                && dst.gap == Gap::NextValid
                && self.next_local(at + before, at + after - 1).is_some()
            {
                return Some(at);
            }
            if once {
                // No local time in [lo, l) matches, and no skipped local time does either (a
                // gap's local times lie in that range too). Every stretch of instants ending
                // well before `l` (offsets differ by under a day and a half) holds local times
                // below `l`: jump past them instead of visiting each transition.
                let l = local?;
                let skip_to = l - after - MAX_OFFSET_SPREAD;
                if skip_to > at {
                    seg_start = skip_to;
                    began = zone.transition_at_or_before(tz, skip_to);
                    continue;
                }
            }
            seg_start = at;
            began = next;
        }
        None
    }

    /// The last fire time strictly before the Unix second `from`, in `zone` under `dst`.
    pub fn prev_before(&self, from: i64, zone: &Zone, dst: Dst) -> Option<i64> {
        let start = from.checked_sub(1)?.min(MAX_SECOND);
        let Some(tz) = &zone.tz else {
            return self.prev_local(start, MIN_SECOND);
        };
        let mut seg_end = start;
        while seg_end >= MIN_SECOND {
            let off = i64::from(tz.to_offset(ts(seg_end)).seconds());
            let began = zone.transition_at_or_before(tz, seg_end);
            let seg_start = began.map_or(MIN_SECOND, |(at, _, _)| at);
            let mut lo = seg_start + off;
            if let (Fold::Once, Some((at, before, after))) = (dst.fold, began) {
                if before > after {
                    lo = lo.max(at + before);
                }
            }
            if lo <= seg_end + off {
                if let Some(local) = self.prev_local(seg_end + off, lo) {
                    return Some(local - off);
                }
            }
            let (at, before, after) = began?;
            if after > before
                && dst.gap == Gap::NextValid
                && self.next_local(at + before, at + after - 1).is_some()
            {
                return Some(at);
            }
            seg_end = at - 1;
        }
        None
    }

    /// Up to `count` fire times after `from` (or before it, latest first, when `backwards`).
    pub fn fire_times(
        &self,
        from: i64,
        zone: &Zone,
        dst: Dst,
        count: usize,
        backwards: bool,
    ) -> Vec<i64> {
        let mut out = Vec::with_capacity(count.min(1024));
        let mut t = from;
        while out.len() < count {
            let next = if backwards {
                self.prev_before(t, zone, dst)
            } else {
                self.next_after(t, zone, dst)
            };
            match next {
                Some(n) => {
                    out.push(n);
                    t = n;
                }
                None => break,
            }
        }
        out
    }
}
