//! The week heatmap of the scheduler lab's page: for each hour of the week after a start
//! instant (in UTC, as the lab evaluates cron), how many times the jobs fire, how many jobs
//! fire, and whether two jobs fire at the same second (a collision).
//!
//! ```text
//!          0  1  2 … 23        one cell per (day, hour); rows are the 7 days from `start`
//!   Mon   ▇▇ ▇▇ ░░ … ▇▇        fires: up to `per_cell` counted per job (then "or more")
//!   Tue   ▇▇ ▇▇ ░░ … ▇▇        jobs: distinct jobs firing in the hour
//!   …                           collision: two jobs share a fire second among those counted
//! ```
//!
//! A per-second job fires 3,600 times an hour, so counting every fire of many jobs would
//! cost millions of steps; [`week`] counts at most `per_cell` fires of each job in each hour,
//! chosen so that the whole week costs about [`BUDGET`] fire-time computations.

use std::collections::BTreeMap;

use super::{civil, Dst, Schedule, Zone};

/// Fire-time computations a week's heatmap may cost, spread over jobs and cells.
pub const BUDGET: usize = 200_000;
/// The most fires counted per job in one hour.
pub const MAX_PER_CELL: usize = 60;

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
}

/// The heatmap: `cells[d][h]` is hour `h` of day `d` after `start`'s UTC midnight;
/// `weekdays[d]` is that day's weekday (0 = Sunday).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Week {
    pub weekdays: [u32; 7],
    pub cells: [[Cell; 24]; 7],
    /// Fires counted per job per hour, at most.
    pub per_cell: usize,
}

/// The week from the UTC midnight at or before `start` for these schedules (jobs whose
/// expressions do not parse are left out by the caller).
pub fn week(schedules: &[Schedule], start: i64) -> Week {
    let day0 = start.div_euclid(civil::DAY);
    let per_cell = (BUDGET / (168 * schedules.len().max(1))).clamp(1, MAX_PER_CELL);
    let utc = Zone::utc();
    let mut cells = [[Cell::default(); 24]; 7];
    let mut weekdays = [0; 7];
    for (d, row) in cells.iter_mut().enumerate() {
        weekdays[d] = civil::weekday(day0 + d as i64);
        for (h, cell) in row.iter_mut().enumerate() {
            let from = (day0 + d as i64) * civil::DAY + h as i64 * 3600;
            let to = from + 3600;
            // Fire second → how many jobs fire then.
            let mut seconds: BTreeMap<i64, u32> = BTreeMap::new();
            for s in schedules {
                let mut t = from - 1;
                let mut n = 0;
                while let Some(next) = s.next_after(t, &utc, Dst::default()) {
                    if next >= to {
                        break;
                    }
                    if n == per_cell {
                        cell.capped = true;
                        break;
                    }
                    *seconds.entry(next).or_insert(0) += 1;
                    n += 1;
                    t = next;
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
