//! A fixed, portable hasher for hash maps whose iteration order never reaches output.
//!
//! `std`'s default `RandomState` differs per process, so its maps may not feed events, draws or
//! output. [`FixedMap`] and [`FixedSet`] hash with a fixed multiply-rotate function instead,
//! which is fast for integer keys. Even so, never iterate them where order could matter: the
//! table layout may differ between 64-bit native code and 32-bit wasm. Use them for lookups;
//! keep order in vectors or B-trees.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A fixed hasher in the style of rustc's FxHash.
#[derive(Clone, Copy, Default)]
pub struct FixedHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FixedHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map with the fixed hasher. Look up; do not iterate where order matters.
pub type FixedMap<K, V> = HashMap<K, V, BuildHasherDefault<FixedHasher>>;
/// A hash set with the fixed hasher. Look up; do not iterate where order matters.
pub type FixedSet<K> = HashSet<K, BuildHasherDefault<FixedHasher>>;
