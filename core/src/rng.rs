//! The one named, portable PRNG of every run: xoshiro256** seeded through SplitMix64.
//!
//! Its output depends only on the seed, bit for bit, on every target; changing it is a link
//! format change (see [`crate::link::VERSION`]). Draws are `u64`-based; never `usize`.

use serde::{Deserialize, Serialize};

/// xoshiro256** (Blackman and Vigna), state seeded from a `u64` with SplitMix64.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole future is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let s = [
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
        ];
        Rng { s }
    }

    /// An independent stream for one purpose (for example one passenger source), derived from
    /// this generator's seed material and a stream number, without consuming draws here.
    pub fn fork(&self, stream: u64) -> Rng {
        let mut x = self.s[0] ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::new(splitmix64(&mut x) ^ self.s[3])
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform draw from `0..n` without modulo bias (Lemire's method). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniform draw from `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        debug_assert!(lo <= hi);
        if hi - lo == u64::MAX {
            return self.next_u64();
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An exponentially distributed duration with the given mean, rounded to whole
    /// milliseconds. Uses the portable `libm` logarithm so that native and wasm agree; the
    /// float never outlives this call.
    pub fn exp_ms(&mut self, mean_ms: u64) -> u64 {
        let u = 1.0 - self.unit(); // (0, 1]
        let x = -libm::log(u) * mean_ms as f64;
        // Cap at 50 means: the tail beyond it has probability e^-50.
        let capped = if x > 50.0 * mean_ms as f64 {
            50.0 * mean_ms as f64
        } else {
            x
        };
        libm::round(capped) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_sequence_is_stable() {
        // Golden values: if these change, every share link changes meaning.
        let mut r = Rng::new(7);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut again = Rng::new(7);
        assert_eq!(got, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        expect_test::expect![[r#"
            [
                12923355070828475994,
                5142052590334782674,
                15488392906492639638,
            ]
        "#]]
        .assert_debug_eq(&got);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::new(1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            let x = r.below(7);
            seen[x as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }

    #[test]
    fn exponential_mean_is_close() {
        let mut r = Rng::new(3);
        let n = 20_000;
        let total: u64 = (0..n).map(|_| r.exp_ms(1000)).sum();
        let mean = total / n;
        assert!((950..=1050).contains(&mean), "mean {mean}");
    }
}
