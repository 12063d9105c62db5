//! [`Version`]: the set of ids a replica has applied, per agent a list of disjoint seq ranges.
//!
//! A replica that received every operation of an agent in order holds one range `0..n` for it,
//! which is the classic version vector entry `n`. Ranges (not a single counter) also describe
//! a replica that has some later operations of an agent before earlier ones, or a history in
//! which one agent edited on two branches.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Id;

/// Applied ids: per agent, sorted disjoint half-open seq ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    ranges: BTreeMap<u32, Vec<(u32, u32)>>,
}

impl Version {
    /// Adds the ids `id .. id+len`.
    pub fn add(&mut self, id: Id, len: u32) {
        let (start, end) = (id.seq, id.seq + len);
        let rs = self.ranges.entry(id.agent).or_default();
        if let Some(last) = rs.last_mut() {
            if last.1 == start {
                last.1 = end;
                return;
            }
            if last.1 < start {
                rs.push((start, end));
                return;
            }
        } else {
            rs.push((start, end));
            return;
        }
        // Out of order: insert and merge neighbours.
        let i = rs.partition_point(|r| r.0 < start);
        rs.insert(i, (start, end));
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(rs.len());
        for &r in rs.iter() {
            match merged.last_mut() {
                Some(m) if m.1 >= r.0 => m.1 = m.1.max(r.1),
                _ => merged.push(r),
            }
        }
        *rs = merged;
    }

    /// Whether `id` has been applied.
    pub fn contains(&self, id: Id) -> bool {
        self.overlaps(id, 1)
    }

    /// Whether any of `id .. id+len` has been applied.
    pub fn overlaps(&self, id: Id, len: u32) -> bool {
        let Some(rs) = self.ranges.get(&id.agent) else {
            return false;
        };
        let end = id.seq.saturating_add(len);
        let i = rs.partition_point(|r| r.1 <= id.seq);
        rs.get(i).is_some_and(|r| r.0 < end)
    }

    /// Whether every id of `other` is in `self`.
    pub fn includes(&self, other: &Version) -> bool {
        other.ranges.iter().all(|(&agent, rs)| {
            rs.iter()
                .all(|&(s, e)| self.contains_all(Id::new(agent, s), e - s))
        })
    }

    fn contains_all(&self, id: Id, len: u32) -> bool {
        let Some(rs) = self.ranges.get(&id.agent) else {
            return len == 0;
        };
        let i = rs.partition_point(|r| r.1 <= id.seq);
        rs.get(i)
            .is_some_and(|r| r.0 <= id.seq && id.seq + len <= r.1)
    }

    /// The classic version vector: per agent, how many seqs from 0 are applied without a gap.
    pub fn vector(&self) -> BTreeMap<u32, u32> {
        self.ranges
            .iter()
            .map(|(&a, rs)| (a, rs.first().filter(|r| r.0 == 0).map_or(0, |r| r.1)))
            .collect()
    }

    /// Every applied range, per agent.
    pub fn ranges(&self) -> &BTreeMap<u32, Vec<(u32, u32)>> {
        &self.ranges
    }

    /// Whether every agent's ranges are non-empty, sorted and disjoint with gaps between them
    /// (as [`Version::add`] keeps them): a version read from a message must be.
    pub fn well_formed(&self) -> bool {
        self.ranges
            .values()
            .all(|rs| rs.iter().all(|&(s, e)| s < e) && rs.windows(2).all(|w| w[0].1 < w[1].0))
    }

    /// How many ids are applied.
    pub fn count(&self) -> u64 {
        self.ranges
            .values()
            .flatten()
            .map(|&(s, e)| (e - s) as u64)
            .sum()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (agent, rs)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{agent}:")?;
            for (j, (s, e)) in rs.iter().enumerate() {
                if j > 0 {
                    f.write_str("+")?;
                }
                write!(f, "{s}..{e}")?;
            }
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_ranges_merge() {
        let mut v = Version::default();
        for (s, n) in [
            (11, 6),
            (8, 3),
            (0, 2),
            (7, 1),
            (2, 1),
            (3, 4),
            (30, 2),
            (17, 3),
            (20, 10),
        ] {
            v.add(Id::new(1, s), n);
        }
        assert_eq!(v.to_string(), "{1:0..32}");
        assert!(v.contains(Id::new(1, 1)) && !v.contains(Id::new(1, 32)));
    }
}
