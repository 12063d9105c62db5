//! The backing store behind the cache lab: the system of record, with its own version of every
//! key, and the object sizes the byte hit ratio counts.
//!
//! Every key starts at version 1 (present) or version 0 (absent: the store has no row for it,
//! so a read is "not found"); which keys are absent is a fixed function of the seed and the key,
//! so it costs no state and no random draws. A committed write sets a key's version; versions
//! are issued by the lab in increasing order per key, so a store that processes its writes in
//! order never moves a key backwards. The store does not enforce that (it is last-writer-wins,
//! like most stores behind a cache); it records the first regression it sees so that the lab's
//! invariant check can report a write path that reorders writes.
//!
//! ```text
//!   key ─► versions (written keys only) ─► else 1, or 0 when absent_percent says so
//!   commit(key, v) ─► versions[key] = v; v < previous ─► regression recorded
//! ```

use std::collections::BTreeMap;

/// A SplitMix64 finalizer: a fixed, well-mixed function of one word.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The size in bytes of `key`'s value: fixed per key and seed, uniform in `min..=max`.
pub fn object_size(seed: u64, key: u64, min: u64, max: u64) -> u64 {
    if max <= min {
        return min;
    }
    min + mix(mix(seed ^ 0x005E_ED0B_1EC7) ^ key) % (max - min + 1)
}

/// A key's version went backwards at a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regression {
    pub key: u64,
    pub from: u64,
    pub to: u64,
}

/// The system of record. See the module documentation.
#[derive(Clone, Debug)]
pub struct Store {
    /// Versions of the keys written so far.
    versions: BTreeMap<u64, u64>,
    /// Percent of the never-written keys the store does not have.
    absent_percent: u32,
    seed: u64,
    commits: u64,
    regression: Option<Regression>,
}

impl Store {
    pub fn new(seed: u64, absent_percent: u32) -> Store {
        Store {
            versions: BTreeMap::new(),
            absent_percent,
            seed,
            commits: 0,
            regression: None,
        }
    }

    /// The newest committed version of `key`; 0 when the store has no such key.
    pub fn version(&self, key: u64) -> u64 {
        match self.versions.get(&key) {
            Some(&v) => v,
            None if self.absent_percent > 0
                && mix(self.seed ^ 0xAB5E_0000 ^ mix(key)) % 100 < self.absent_percent as u64 =>
            {
                0
            }
            None => 1,
        }
    }

    /// Commits `version` of `key` (last writer wins).
    pub fn commit(&mut self, key: u64, version: u64) {
        let from = self.version(key);
        if version < from && self.regression.is_none() {
            self.regression = Some(Regression {
                key,
                from,
                to: version,
            });
        }
        self.versions.insert(key, version);
        self.commits += 1;
    }

    /// Writes committed so far.
    pub fn commits(&self) -> u64 {
        self.commits
    }

    /// The first commit that moved a key's version backwards, if any.
    pub fn regression(&self) -> Option<Regression> {
        self.regression
    }

    /// The written keys and their versions, in key order, at most `limit`.
    pub fn written(&self, limit: usize) -> Vec<(u64, u64)> {
        self.versions
            .iter()
            .take(limit)
            .map(|(&k, &v)| (k, v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_keys_follow_the_percentage_and_writes_create_them() {
        let mut s = Store::new(3, 25);
        let absent = (0..10_000).filter(|&k| s.version(k) == 0).count();
        assert!((2_200..2_800).contains(&absent), "{absent}");
        let k = (0..100)
            .find(|&k| s.version(k) == 0)
            .expect("an absent key");
        s.commit(k, 2);
        assert_eq!(s.version(k), 2);
        assert_eq!(Store::new(3, 0).version(k), 1);
    }

    #[test]
    fn a_backwards_commit_is_recorded() {
        let mut s = Store::new(1, 0);
        s.commit(4, 3);
        s.commit(4, 5);
        assert_eq!(s.regression(), None);
        s.commit(4, 2);
        assert_eq!(
            s.regression(),
            Some(Regression {
                key: 4,
                from: 5,
                to: 2
            })
        );
        assert_eq!(s.commits(), 3);
    }

    #[test]
    fn sizes_stay_in_range_and_are_fixed_per_key() {
        for k in 0..1_000 {
            let s = object_size(9, k, 100, 10_000);
            assert!((100..=10_000).contains(&s));
            assert_eq!(s, object_size(9, k, 100, 10_000));
        }
        assert_eq!(object_size(9, 5, 64, 64), 64);
    }
}
