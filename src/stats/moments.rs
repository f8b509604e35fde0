//! [`Moments`]: the exact sum and sum of squares of a stream of doubles, in fixed point.
//!
//! Every finite double is an integer multiple of 2^-1074, and its square an integer
//! multiple of 2^-2148. So Σx is held as an integer in units of 2^-1074 and Σx² as one
//! in units of 2^-2148, each as base-2^64 digits kept in `i128` slots: adding a value
//! adds its shifted mantissa to two (Σx) or three (Σx²) slots, with no carries and no
//! rounding. Slots are normalised (carries propagated) only when their headroom could
//! run out. Merging two accumulators adds their slots: the result does not depend on
//! how the values were split or in which order the parts are merged.

use num_bigint::BigInt;

use super::rounding::{ratio_to_f64, sqrt_ratio_to_f64};
use super::Summary;

/// Slots of Σx: digits reach 2^(2045 + 116) and the count adds 64 bits more.
const SUM_SLOTS: usize = 36;
/// Slots of Σx²: digits reach 2^(4090 + 169) and the count adds 64 bits more.
const SQUARE_SLOTS: usize = 68;
/// Each addition moves a slot by less than 2^64; `i128` slots stay below 2^126 while
/// fewer than this many additions were made since the last normalisation.
const LOAD_LIMIT: u64 = 1 << 62;
/// Bytes of one [`Moments`] in [`Moments::to_bytes`].
pub(crate) const MOMENTS_BYTES: usize = 32 + 16 * (SUM_SLOTS + SQUARE_SLOTS);

/// Exact count, Σx, Σx², and the first minimum and maximum of one value; mergeable
/// with no rounding.
///
/// # Examples
///
/// ```
/// use dpa::Moments;
/// let mut a = Moments::new();
/// let mut b = Moments::new();
/// for x in [0.1, 0.2] { a.push(x); }
/// for x in [0.3, 0.4] { b.push(x); }
/// let all = a + b;
/// assert_eq!(all.count(), 4);
/// // Exact: Python's statistics.mean([0.1, 0.2, 0.3, 0.4]) is 0.25.
/// assert_eq!(all.summary().mean, 0.25);
/// assert_eq!(all.summary().min, 0.1);
/// ```
#[derive(Clone)]
pub struct Moments {
    count: u64,
    /// Additions since the slots were last normalised (a bound on their size).
    load: u64,
    min: f64,
    max: f64,
    sum: [i128; SUM_SLOTS],
    squares: [i128; SQUARE_SLOTS],
}

impl std::fmt::Debug for Moments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moments")
            .field("count", &self.count)
            .field("min", &self.min)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

/// Equal when they hold the same values: the same count, the same extremes (by their
/// bits), and the same sums however their slots happen to be carried.
impl PartialEq for Moments {
    fn eq(&self, other: &Moments) -> bool {
        let (mut a, mut b) = (self.clone(), other.clone());
        a.normalize();
        b.normalize();
        a.count == b.count
            && a.min.to_bits() == b.min.to_bits()
            && a.max.to_bits() == b.max.to_bits()
            && a.sum == b.sum
            && a.squares == b.squares
    }
}

impl Default for Moments {
    fn default() -> Self {
        Moments::new()
    }
}

impl Moments {
    /// An empty accumulator.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Moments::new().count(), 0);
    /// ```
    pub const fn new() -> Self {
        Moments {
            count: 0,
            load: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: [0; SUM_SLOTS],
            squares: [0; SQUARE_SLOTS],
        }
    }

    /// Adds one finite value (dpa never produces another; a NaN or infinity makes the
    /// statistics meaningless but cannot panic).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = dpa::Moments::new();
    /// m.push(2.0);
    /// assert_eq!(m.summary().mean, 2.0);
    /// ```
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        // Strict comparisons: the first of equal values (0.0 and -0.0) stays, as
        // Python's min and max keep it.
        if x < self.min {
            self.min = x;
        }
        if x > self.max {
            self.max = x;
        }
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as u32;
        let fraction = bits & ((1 << 52) - 1);
        // x = ±m · 2^(p - 1074), p in 0..=2046.
        let (m, p) = match exponent {
            0 => (fraction, 0),
            e => (fraction | 1 << 52, e - 1),
        };
        // 0 for a positive value, -1 for a negative one: `(d ^ neg) - neg` is ±d,
        // without a branch the signs of random data would mispredict.
        let neg = -((bits >> 63) as i128);
        let (k, r) = ((p >> 6) as usize, p & 63);
        let shifted = u128::from(m) << r;
        self.sum[k] += (i128::from(shifted as u64) ^ neg) - neg;
        self.sum[k + 1] += (i128::from((shifted >> 64) as u64) ^ neg) - neg;
        // x² = m² · 2^(2p - 2148).
        let square = u128::from(m) * u128::from(m);
        let q = 2 * p;
        let (k, r) = ((q >> 6) as usize, q & 63);
        let high = (square >> 1) >> (63 - r);
        self.squares[k] += i128::from((square << r) as u64);
        self.squares[k + 1] += i128::from(high as u64);
        self.squares[k + 2] += i128::from((high >> 64) as u64);
        self.load += 1;
        if self.load >= LOAD_LIMIT {
            self.normalize();
        }
    }

    /// Adds the values of `other`, which come after this accumulator's (that order
    /// only decides which of two equal extremes, 0.0 and -0.0, is kept).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = dpa::Moments::new();
    /// a.push(1.0);
    /// let mut b = dpa::Moments::new();
    /// b.push(3.0);
    /// a.merge(&b);
    /// assert_eq!(a.summary().mean, 2.0);
    /// ```
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.load.saturating_add(other.load) >= LOAD_LIMIT {
            self.normalize();
            let mut other = other.clone();
            other.normalize();
            return self.merge(&other);
        }
        self.count += other.count;
        self.load += other.load;
        if other.min < self.min {
            self.min = other.min;
        }
        if other.max > self.max {
            self.max = other.max;
        }
        add_slots(&mut self.sum, &other.sum);
        add_slots(&mut self.squares, &other.squares);
    }

    /// Number of values.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Moments::new().count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The statistics as the reference's `compute_statistics` reports them, through
    /// Python's `statistics` module: `mean` is the exact Σx / n correctly rounded,
    /// `stdev` the correctly rounded square root of the exact `(nΣx² - (Σx)²) / (n(n-1))`
    /// (0 for one value), all zeros when empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = dpa::Moments::new();
    /// for x in [1.0, 2.0, 4.0] { m.push(x); }
    /// let s = m.summary();
    /// assert_eq!((s.mean, s.min, s.max, s.count), (7.0 / 3.0, 1.0, 4.0, 3));
    /// assert_eq!(s.stdev, (7.0f64 / 3.0).sqrt());
    /// ```
    pub fn summary(&self) -> Summary {
        if self.count == 0 {
            return Summary::default();
        }
        let sum = slots_value(&self.sum);
        let mean = ratio_to_f64(&sum, self.count, -1074);
        let stdev = if self.count < 2 {
            0.0
        } else {
            let n = self.count;
            let ss = BigInt::from(n) * slots_value(&self.squares) - &sum * &sum;
            let ss = ss.to_biguint().unwrap_or_default();
            sqrt_ratio_to_f64(&ss, u128::from(n) * u128::from(n - 1), -1074)
        };
        Summary {
            mean,
            stdev,
            min: self.min,
            max: self.max,
            count: self.count,
        }
    }

    /// Propagates the carries of every slot: each becomes a base-2^64 digit, the last
    /// one takes the sign.
    fn normalize(&mut self) {
        normalize_slots(&mut self.sum);
        normalize_slots(&mut self.squares);
        self.load = 1;
    }

    /// The accumulator as [`MOMENTS_BYTES`] bytes (little-endian), for exchange
    /// between processes.
    pub(crate) fn write_bytes(&self, out: &mut Vec<u8>) {
        let mut n = self.clone();
        n.normalize();
        out.extend_from_slice(&n.count.to_le_bytes());
        out.extend_from_slice(&n.load.to_le_bytes());
        out.extend_from_slice(&n.min.to_le_bytes());
        out.extend_from_slice(&n.max.to_le_bytes());
        for slot in n.sum.iter().chain(&n.squares) {
            out.extend_from_slice(&slot.to_le_bytes());
        }
    }

    /// The inverse of [`Moments::write_bytes`]; `None` unless `bytes` holds exactly
    /// that and every number is within the bounds the accumulator keeps.
    pub(crate) fn read_bytes(bytes: &[u8]) -> Option<Moments> {
        if bytes.len() != MOMENTS_BYTES {
            return None;
        }
        let word =
            |i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().unwrap_or([0; 8]));
        let mut m = Moments {
            count: word(0),
            load: word(1),
            min: f64::from_bits(word(2)),
            max: f64::from_bits(word(3)),
            ..Moments::new()
        };
        let slots = bytes[32..]
            .chunks_exact(16)
            .map(|c| i128::from_le_bytes(c.try_into().unwrap_or([0; 16])));
        for (slot, value) in m.sum.iter_mut().chain(m.squares.iter_mut()).zip(slots) {
            *slot = value;
        }
        let plausible = if m.count == 0 {
            m == Moments::new()
        } else {
            m.min <= m.max && within(&m.sum, 2098, m.count) && within(&m.squares, 4196, m.count)
        };
        (m.load == 1 && plausible).then_some(m)
    }

    /// Adds `other` as [`Moments::merge`] does, unless the count would pass `u64`
    /// (only accumulators read from bytes can claim that many values).
    pub(crate) fn checked_merge(&mut self, other: &Moments) -> Option<()> {
        self.count.checked_add(other.count)?;
        self.merge(other);
        Some(())
    }
}

/// Whether `slots` are normalised (digits in `0..2^64`, the last one the sign, 0 or -1)
/// and their value is no larger than `count` values could make: each value is below
/// `2^bits` in the slots' unit. Then any merge of such accumulators whose counts fit
/// in `u64` stays within the slots.
fn within(slots: &[i128], bits: u64, count: u64) -> bool {
    let last = slots.len() - 1;
    let digits_ok = slots[..last].iter().all(|d| (0..1i128 << 64).contains(d));
    if !digits_ok || !(-1..=0).contains(&slots[last]) {
        return false;
    }
    let value = slots_value(slots);
    value.magnitude().bits() <= bits + u64::from(64 - count.leading_zeros())
}

/// Adds `b` to `a` slot by slot (the callers keep the sums below 2^127).
fn add_slots(a: &mut [i128], b: &[i128]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

/// Carries every slot's excess over 64 bits into the next; the last slot keeps its sign.
fn normalize_slots(slots: &mut [i128]) {
    let mut carry = 0i128;
    let last = slots.len() - 1;
    for slot in &mut slots[..last] {
        let v = *slot + carry;
        *slot = i128::from(v as u64);
        carry = v >> 64;
    }
    slots[last] += carry;
}

/// The integer the slots hold: Σ slot_i · 2^(64 i).
fn slots_value(slots: &[i128]) -> BigInt {
    let mut n = slots.to_vec();
    normalize_slots(&mut n);
    let last = n.len() - 1;
    let digits: Vec<u8> = n[..last]
        .iter()
        .flat_map(|d| (*d as u64).to_le_bytes())
        .collect();
    let low = BigInt::from_bytes_le(num_bigint::Sign::Plus, &digits);
    (BigInt::from(n[last]) << (64 * last)) + low
}

impl std::ops::Add for Moments {
    type Output = Moments;

    fn add(mut self, rhs: Moments) -> Moments {
        self.merge(&rhs);
        self
    }
}

impl std::ops::AddAssign<&Moments> for Moments {
    fn add_assign(&mut self, rhs: &Moments) {
        self.merge(rhs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_of_the_double_range_are_exact() {
        let mut m = Moments::new();
        for x in [
            f64::MAX,
            f64::MAX,
            -f64::MAX,
            f64::from_bits(1),
            -0.0,
            5e-324,
        ] {
            m.push(x);
        }
        let s = m.summary();
        // (MAX + 2 ulp_min) / 6, correctly rounded, is MAX / 6.
        assert_eq!(s.mean, f64::MAX / 6.0);
        assert_eq!((s.min, s.max, s.count), (-f64::MAX, f64::MAX, 6));
    }

    #[test]
    fn normalising_keeps_the_value() {
        let mut a = Moments::new();
        for i in 0..1000 {
            a.push(f64::from(i) * -0.37 + 11.0);
        }
        let before = a.summary();
        let mut b = a.clone();
        b.normalize();
        assert_eq!(b.summary(), before);
        let mut bytes = Vec::new();
        a.write_bytes(&mut bytes);
        assert_eq!(
            Moments::read_bytes(&bytes).map(|m| m.summary()),
            Some(before)
        );
    }

    #[test]
    fn first_of_equal_extremes_is_kept() {
        let mut a = Moments::new();
        a.push(0.0);
        let mut b = Moments::new();
        b.push(-0.0);
        let s = (a.clone() + b.clone()).summary();
        assert_eq!((s.min.to_bits(), s.max.to_bits()), (0, 0));
        let s = (b + a).summary();
        assert_eq!(
            (s.min.to_bits(), s.max.to_bits()),
            ((-0.0f64).to_bits(), (-0.0f64).to_bits())
        );
    }
}
