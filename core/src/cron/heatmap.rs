//! The week heatmap of the scheduler lab's page: for each hour of a week in a *display zone*,
//! how many times the jobs fire, how many jobs fire, and whether two jobs fire at the same
//! instant (a collision).
//!
//! ```text
//!          0  1  2 … 23        one cell per (day, hour) of the display zone's wall clock;
//!   Mon   ▇▇ ▇▇ ░░ … ▇▇        rows are the 7 local days from the one holding `start`
//!   Tue   ▇▇ ▇▇ ░░ … ▇▇        fires: up to `per_cell` counted per job (then "or more")
//!   …                           jobs: distinct jobs firing in the hour
//!                               collision: two jobs share a fire second among those counted
//! ```
//!
//! **Two zones per fire.** Each job's fire times are computed on its own zone's wall clock
//! under its DST policy (as the lab schedules it), which gives instants; each instant is then
//! placed in the hour of the display zone's wall clock that holds it. A job at `0 9 * * 1-5`
//! in America/New_York lands at 14:00 in a UTC heatmap in January and at 13:00 in July, and
//! always at 09:00 in a New York heatmap. Collisions are between instants, so they do not
//! depend on the display zone.
//!
//! **Local hours are not all an hour long.** The display zone's own transitions make some
//! local hours shorter or longer ([`Cell::seconds`]): a spring-forward gap leaves an hour
//! empty (0 s; 1,800 s for Lord Howe's half-hour gap), a fall-back fold repeats one (7,200 s,
//! and fires in both passes count). A cell is the set of instants whose local time falls in
//! its hour, found exactly from the stretches of constant offset that cover the week.
//!
//! A per-second job fires 3,600 times an hour, so counting every fire of many jobs would
//! cost millions of steps; [`week_in`] counts at most `per_cell` fires of each job in each
//! hour, chosen so that the whole week costs about [`BUDGET`] fire-time computations.

use std::collections::BTreeMap;

use super::{civil, Dst, Schedule, Zone};

/// Fire-time computations a week's heatmap may cost, spread over jobs and cells.
pub const BUDGET: usize = 200_000;
/// The most fires counted per job in one hour.
pub const MAX_PER_CELL: usize = 60;
/// More than any UTC offset (the widest are about ±15 hours), so that the stretches fetched
/// around a week cover every instant of its local days.
const OFFSET_MARGIN: i64 = 26 * 3600;

/// One hour of the week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// Fires counted (each job's capped at `per_cell`).
    pub fires: u32,
    /// Jobs firing at least once in the hour.
    pub jobs: u32,
    /// Two or more jobs fire at the same second (among the fires counted).
    pub collision: bool,
    /// Some job fires more often than was counted.
    pub capped: bool,
    /// How many real seconds this local hour lasts in the display zone: 3,600, or less in a
    /// spring-forward gap (0 when the hour is skipped), or more in a fall-back fold.
    pub seconds: u32,
}

/// The heatmap: `cells[d][h]` is hour `h` of local day `d` (from the display zone's day that
/// holds `start`); `weekdays[d]` is that day's weekday (0 = Sunday).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Week {
    pub weekdays: [u32; 7],
    pub cells: [[Cell; 24]; 7],
    /// Fires counted per job per hour, at most.
    pub per_cell: usize,
}

/// A job as the heatmap sees it: its schedule on its zone's wall clock, under a DST policy.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    pub schedule: &'a Schedule,
    pub zone: &'a Zone,
    pub dst: Dst,
}

/// The week from the UTC midnight at or before `start` for these schedules, all in UTC (jobs
/// whose expressions do not parse are left out by the caller).
pub fn week(schedules: &[Schedule], start: i64) -> Week {
    let utc = Zone::utc();
    let jobs: Vec<Job> = schedules
        .iter()
        .map(|schedule| Job {
            schedule,
            zone: &utc,
            dst: Dst::default(),
        })
        .collect();
    week_in(&jobs, start, &utc)
}

/// Stretches of constant UTC offset covering the instants `[from, to)`: `(start, end,
/// offset)`, in order.
fn stretches(zone: &Zone, from: i64, to: i64) -> Vec<(i64, i64, i64)> {
    let Some(tz) = &zone.tz else {
        return vec![(from, to, 0)];
    };
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let offset = i64::from(zone.offset_at(at));
        let end = zone
            .transition_after(tz, at)
            .map_or(to, |(t, _, _)| t.min(to));
        out.push((at, end, offset));
        at = end;
    }
    out
}

/// The week of the display zone's wall clock from the local day that holds the instant
/// `start`: each job's fires (on its own zone's clock) placed in the local hour that holds
/// them.
pub fn week_in(jobs: &[Job], start: i64, display: &Zone) -> Week {
    let day0 = (start + i64::from(display.offset_at(start))).div_euclid(civil::DAY);
    let local_from = day0 * civil::DAY;
    let local_to = local_from + 7 * civil::DAY;
    let spans = stretches(
        display,
        local_from - OFFSET_MARGIN,
        local_to + OFFSET_MARGIN,
    );
    let per_cell = (BUDGET / (168 * jobs.len().max(1))).clamp(1, MAX_PER_CELL);
    let mut cells = [[Cell::default(); 24]; 7];
    let mut weekdays = [0; 7];
    for (d, row) in cells.iter_mut().enumerate() {
        weekdays[d] = civil::weekday(day0 + d as i64);
        for (h, cell) in row.iter_mut().enumerate() {
            let local = local_from + d as i64 * civil::DAY + h as i64 * 3600;
            // The instants whose local time falls in [local, local + 1 h): one interval per
            // stretch that reaches it (two in a fold, none in a skipped hour).
            let intervals: Vec<(i64, i64)> = spans
                .iter()
                .map(|&(s, e, off)| (s.max(local - off), e.min(local + 3600 - off)))
                .filter(|(a, b)| a < b)
                .collect();
            cell.seconds = intervals.iter().map(|(a, b)| (b - a) as u32).sum();
            // Fire second → how many jobs fire then.
            let mut seconds: BTreeMap<i64, u32> = BTreeMap::new();
            for job in jobs {
                let mut n = 0;
                'intervals: for &(from, to) in &intervals {
                    let mut t = from - 1;
                    while let Some(next) = job.schedule.next_after(t, job.zone, job.dst) {
                        if next >= to {
                            break;
                        }
                        if n == per_cell {
                            cell.capped = true;
                            break 'intervals;
                        }
                        *seconds.entry(next).or_insert(0) += 1;
                        n += 1;
                        t = next;
                    }
                }
                if n > 0 {
                    cell.jobs += 1;
                    cell.fires += n as u32;
                }
            }
            cell.collision = seconds.values().any(|&c| c >= 2);
        }
    }
    Week {
        weekdays,
        cells,
        per_cell,
    }
}
