//! Replaying a trace through a policy and counting hits.
//!
//! The hit ratio counts the cold start: every request is counted, including the first request
//! for each key, which always misses. It is kept as integers ([`Stats::hits`] over
//! [`Stats::requests`]); [`Stats::hit_ratio_bp`] rounds it half-up to basis points (hundredths
//! of a percent), the precision of the published tables, and [`Stats::percent`] prints it.
//!
//! | trace | capacity | requests | hits | `hit_ratio_bp` | `percent()` |
//! |---|---:|---:|---:|---:|---|
//! | `a b a c a b` | 2 (LRU) | 6 | 2 | 3333 | `33.33` |

use super::Policy;

/// The outcome of a replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    pub hits: u64,
    /// Units requested (equal to `requests` when every size is 1).
    pub bytes: u64,
    /// Units served from the cache.
    pub bytes_hit: u64,
}

impl Stats {
    /// Hits per 10,000 requests, rounded half-up; 0 for an empty trace.
    pub fn hit_ratio_bp(&self) -> u64 {
        ratio_bp(self.hits, self.requests)
    }

    /// Bytes served from the cache per 10,000 bytes requested, rounded half-up.
    pub fn byte_hit_ratio_bp(&self) -> u64 {
        ratio_bp(self.bytes_hit, self.bytes)
    }

    /// The hit ratio in percent with two decimals, e.g. `32.83`.
    pub fn percent(&self) -> String {
        let bp = self.hit_ratio_bp();
        format!("{}.{:02}", bp / 100, bp % 100)
    }
}

fn ratio_bp(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    ((part as u128 * 20_000 + whole as u128) / (whole as u128 * 2)) as u64
}

/// Replays `keys` (each of size 1) through `policy`.
pub fn replay<P: Policy + ?Sized>(policy: &mut P, keys: &[u64]) -> Stats {
    let mut hits = 0u64;
    for &k in keys {
        hits += policy.request(k, 1) as u64;
    }
    let requests = keys.len() as u64;
    Stats {
        requests,
        hits,
        bytes: requests,
        bytes_hit: hits,
    }
}

/// Replays `(key, size)` requests through `policy`, counting bytes as well.
pub fn replay_sized<P: Policy + ?Sized>(policy: &mut P, requests: &[(u64, u64)]) -> Stats {
    let mut s = Stats::default();
    for &(k, size) in requests {
        let hit = policy.request(k, size);
        s.requests += 1;
        s.bytes += size;
        if hit {
            s.hits += 1;
            s.bytes_hit += size;
        }
    }
    s
}
