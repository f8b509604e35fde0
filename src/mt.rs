//! Mersenne Twister MT19937, seeded and drawn exactly as CPython's `random` module.
//!
//! [`PyRandom`] is the complete generator (any number of draws). [`draw_uniform5`] is
//! the fast path dpa uses per sample: `random.seed(seed)` followed by five
//! `random.random()` calls, which read only `mt[0..11]` and `mt[397..407]` after
//! seeding, so the full 624-word twist is skipped.

pub(crate) const N: usize = 624;
pub(crate) const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// The state after `init_genrand(19650218)`, the first step of every `init_by_array`.
pub(crate) static INIT_19650218: [u32; N] = init_genrand(19_650_218);

const fn init_genrand(s: u32) -> [u32; N] {
    let mut mt = [0u32; N];
    mt[0] = s;
    let mut i = 1;
    while i < N {
        let prev = mt[i - 1];
        mt[i] = 1_812_433_253u32
            .wrapping_mul(prev ^ (prev >> 30))
            .wrapping_add(i as u32);
        i += 1;
    }
    mt
}

/// One step of `init_by_array`'s first loop: `mt[i] = (mt[i] ^ ((prev ^ (prev >> 30)) *
/// 1664525)) + key`.
#[inline(always)]
fn mix1(cur: u32, prev: u32, key: u32) -> u32 {
    (cur ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525)).wrapping_add(key)
}

/// One step of `init_by_array`'s second loop: `mt[i] = (mt[i] ^ ((prev ^ (prev >> 30))
/// * 1566083941)) - i`.
#[inline(always)]
fn mix2(cur: u32, prev: u32, i: u32) -> u32 {
    (cur ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i)
}

/// `init_by_array(mt, [key])` for a one-word key, as `random.seed(key)` does for any
/// integer below 2^32.
///
/// CPython's loops run `i` from 1, and when `i` reaches `N` copy `mt[N - 1]` to `mt[0]`
/// and go on from `i = 1`. With a one-word key the first loop is `N` steps (`i` = 1 ..
/// N - 1, then 1 again) and the second `N - 1` steps (`i` = 2 .. N - 1, then 1 again).
/// They are written out that way here, with the value just computed carried in a
/// register: every step waits on the one before (about 1,250 dependent steps a seed),
/// so the loop's speed is the length of that chain, and nothing else is on it.
#[inline]
fn init_by_array_1(mt: &mut [u32; N], key: u32) {
    let mut prev = INIT_19650218[0];
    for (slot, &init) in mt[1..].iter_mut().zip(&INIT_19650218[1..]) {
        prev = mix1(init, prev, key);
        *slot = prev;
    }
    mt[0] = prev;
    prev = mix1(mt[1], prev, key);
    mt[1] = prev;
    for (i, slot) in mt.iter_mut().enumerate().skip(2) {
        prev = mix2(*slot, prev, i as u32);
        *slot = prev;
    }
    mt[0] = prev;
    mt[1] = mix2(mt[1], prev, 1);
    mt[0] = UPPER_MASK;
}

#[inline(always)]
pub(crate) fn twist_word(cur: u32, next: u32, far: u32) -> u32 {
    let y = (cur & UPPER_MASK) | (next & LOWER_MASK);
    far ^ (y >> 1) ^ (if y & 1 == 1 { MATRIX_A } else { 0 })
}

#[inline(always)]
pub(crate) fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^ (y >> 18)
}

#[inline(always)]
pub(crate) fn res53(a: u32, b: u32) -> f64 {
    let a = (a >> 5) as f64;
    let b = (b >> 6) as f64;
    (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
}

/// Python's MT19937 generator: `random.Random(seed)` for a seed below 2^32.
///
/// # Examples
///
/// ```
/// // Python: random.seed(42); random.random() -> 0.6394267984578837
/// let mut r = dpa::mt::PyRandom::new(42);
/// assert_eq!(r.random(), 0.6394267984578837);
/// // random.uniform(-30, 30) with the next draw
/// let u = r.uniform(-30.0, 30.0);
/// assert!((-30.0..30.0).contains(&u));
/// ```
#[derive(Clone)]
pub struct PyRandom {
    mt: Box<[u32; N]>,
    index: usize,
}

impl PyRandom {
    /// Seeds as `random.seed(seed)` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = dpa::mt::PyRandom::new(0);
    /// // Python: random.seed(0); random.getrandbits(32) -> 3626764237
    /// assert_eq!(r.next_u32(), 3626764237);
    /// ```
    pub fn new(seed: u32) -> Self {
        let mut mt = Box::new([0u32; N]);
        init_by_array_1(&mut mt, seed);
        PyRandom { mt, index: N }
    }

    /// The next 32-bit output (`genrand_uint32`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = dpa::mt::PyRandom::new(7);
    /// let mut b = dpa::mt::PyRandom::new(7);
    /// assert_eq!(a.next_u32(), b.next_u32());
    /// ```
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let y = self.mt[self.index];
        self.index += 1;
        temper(y)
    }

    fn twist(&mut self) {
        let mt = &mut self.mt;
        for k in 0..N {
            mt[k] = twist_word(mt[k], mt[(k + 1) % N], mt[(k + M) % N]);
        }
        self.index = 0;
    }

    /// `random.random()`: a 53-bit float in `[0, 1)` (`genrand_res53`).
    ///
    /// # Examples
    ///
    /// ```
    /// let x = dpa::mt::PyRandom::new(1).random();
    /// assert!((0.0..1.0).contains(&x));
    /// ```
    pub fn random(&mut self) -> f64 {
        let a = self.next_u32();
        let b = self.next_u32();
        res53(a, b)
    }

    /// `random.uniform(lo, hi)`: `lo + (hi - lo) * random()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let x = dpa::mt::PyRandom::new(1).uniform(0.8, 1.2);
    /// assert!((0.8..1.2).contains(&x));
    /// ```
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        crate::ParamRange::new(lo, hi).map(self.random())
    }
}

/// Five `random.random()` draws after `random.seed(seed)`, without the full twist.
///
/// # Examples
///
/// ```
/// use dpa::mt::{draw_uniform5, PyRandom};
/// let mut r = PyRandom::new(12345);
/// let slow: Vec<f64> = (0..5).map(|_| r.random()).collect();
/// assert_eq!(draw_uniform5(12345).to_vec(), slow);
/// ```
pub fn draw_uniform5(seed: u32) -> [f64; 5] {
    let mut mt = [0u32; N];
    init_by_array_1(&mut mt, seed);
    // Output k of the first twist reads mt[k], mt[k+1] and mt[k+397], none of which the
    // twist has rewritten yet for k < 10.
    let mut out = [0u32; 10];
    for (k, o) in out.iter_mut().enumerate() {
        *o = temper(twist_word(mt[k], mt[k + 1], mt[k + M]));
    }
    std::array::from_fn(|i| res53(out[2 * i], out[2 * i + 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPython's `init_by_array` for a one-word key, transcribed loop for loop.
    fn init_by_array_transcribed(mt: &mut [u32; N], key: u32) {
        mt.copy_from_slice(&INIT_19650218);
        let mut i = 1usize;
        // k = max(N, key_length) = N steps; j stays 0 because the key has one word.
        for _ in 0..N {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525)).wrapping_add(key);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = UPPER_MASK;
    }

    #[test]
    fn unrolled_seeding_equals_the_transcription() {
        let mut key = 0x9e37_79b9u32;
        for k in [0, 1, 2, 0xffff_ffff, 0x8000_0000, 19_650_218] {
            let (mut a, mut b) = ([0u32; N], [0u32; N]);
            init_by_array_1(&mut a, k);
            init_by_array_transcribed(&mut b, k);
            assert_eq!(a, b, "key {k}");
        }
        for _ in 0..2000 {
            key = key.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let (mut a, mut b) = ([0u32; N], [0u32; N]);
            init_by_array_1(&mut a, key);
            init_by_array_transcribed(&mut b, key);
            assert_eq!(a, b, "key {key}");
        }
    }

    #[test]
    fn reference_mt19937_init_genrand_5489() {
        // The published first outputs of mt19937ar for init_genrand(5489).
        let mut r = PyRandom {
            mt: Box::new(init_genrand(5489)),
            index: N,
        };
        assert_eq!(r.next_u32(), 3_499_211_612);
        assert_eq!(r.next_u32(), 581_869_302);
        assert_eq!(r.next_u32(), 3_890_346_734);
    }

    #[test]
    fn fast_path_matches_full_generator_over_many_seeds() {
        let mut seed = 1u32;
        for _ in 0..2000 {
            let mut r = PyRandom::new(seed);
            let full: [f64; 5] = std::array::from_fn(|_| r.random());
            assert_eq!(
                draw_uniform5(seed).map(f64::to_bits),
                full.map(f64::to_bits),
                "seed {seed}"
            );
            seed = seed.wrapping_mul(2_654_435_761).wrapping_add(12_345);
        }
        for seed in [0, u32::MAX] {
            let mut r = PyRandom::new(seed);
            let full: [f64; 5] = std::array::from_fn(|_| r.random());
            assert_eq!(draw_uniform5(seed), full);
        }
    }

    #[test]
    fn full_generator_survives_many_twists() {
        let mut r = PyRandom::new(3);
        let mut acc = 0u64;
        for _ in 0..5 * N {
            acc = acc.wrapping_add(r.next_u32() as u64);
        }
        let x = r.random();
        assert!((0.0..1.0).contains(&x) && acc > 0);
    }
}
