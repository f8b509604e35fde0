//! Exact statistics that merge: per parameter, the count, Σx and Σx² held exactly in
//! fixed point ([`Moments`]), so partial results from chunks, threads and ranks add up,
//! in any grouping, to the very same bits; finished as Python's `statistics.mean` and
//! `statistics.stdev` finish them (correctly rounded from the exact rationals).

mod moments;
mod rounding;

use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

use crate::config::Param;
use crate::params::Params;

pub use moments::Moments;
use moments::MOMENTS_BYTES;

/// One parameter's statistics as the reference's `compute_statistics` reports them.
///
/// # Examples
///
/// ```
/// let s = dpa::Summary { mean: 1.0, stdev: 0.0, min: 1.0, max: 1.0, count: 1 };
/// assert_eq!(serde_json::to_string(&s).unwrap(),
///            r#"{"mean":1.0,"stdev":0.0,"min":1.0,"max":1.0,"count":1}"#);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 when `count < 2`.
    pub stdev: f64,
    /// Smallest value (0 when empty).
    pub min: f64,
    /// Largest value (0 when empty).
    pub max: f64,
    /// Number of values.
    pub count: u64,
}

/// Statistics of all five parameters, in the reference's JSON shape.
///
/// # Examples
///
/// ```
/// let s = dpa::Statistics::default();
/// let json = serde_json::to_value(&s).unwrap();
/// assert_eq!(json["rotation"]["count"], 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// Rotation.
    pub rotation: Summary,
    /// Brightness.
    pub brightness: Summary,
    /// Noise.
    pub noise: Summary,
    /// Scale.
    pub scale: Summary,
    /// Contrast.
    pub contrast: Summary,
}

impl Statistics {
    /// The summary of one parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = dpa::Statistics::default();
    /// assert_eq!(s.get(dpa::Param::Scale).count, 0);
    /// ```
    pub fn get(&self, p: Param) -> &Summary {
        match p {
            Param::Rotation => &self.rotation,
            Param::Brightness => &self.brightness,
            Param::Noise => &self.noise,
            Param::Scale => &self.scale,
            Param::Contrast => &self.contrast,
        }
    }

    /// The first parameter whose summary differs from `other`'s in a bit (count, min,
    /// max, mean or stdev): exact statistics of the same records are equal bit for bit.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = dpa::Statistics::default();
    /// let mut b = a;
    /// assert_eq!(a.first_difference(&b), None);
    /// b.noise.max = -0.0;
    /// assert_eq!(a.first_difference(&b), Some(dpa::Param::Noise));
    /// ```
    pub fn first_difference(&self, other: &Statistics) -> Option<Param> {
        let bits = |s: &Summary| {
            [s.min, s.max, s.mean, s.stdev]
                .map(f64::to_bits)
                .into_iter()
                .chain([s.count])
                .collect::<Vec<u64>>()
        };
        Param::ALL
            .into_iter()
            .find(|&p| bits(self.get(p)) != bits(other.get(p)))
    }
}

/// Accumulates statistics of records; merge partial accumulators with `+` or [`merge`].
/// Exact: the result has the same bits however the records were split and merged.
///
/// [`merge`]: StatsAccumulator::merge
///
/// # Examples
///
/// ```
/// use dpa::{Generator, Preset, StatsAccumulator};
/// let g = Generator::new(Preset::Moderate.config()).unwrap();
/// let mut left = StatsAccumulator::new();
/// let mut right = StatsAccumulator::new();
/// (0..50).for_each(|id| left.push(&g.params(id)));
/// (50..100).for_each(|id| right.push(&g.params(id)));
/// let mut whole = StatsAccumulator::new();
/// (0..100).for_each(|id| whole.push(&g.params(id)));
/// assert_eq!((left + right).finish(), whole.finish());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsAccumulator {
    params: [Moments; 5],
}

impl StatsAccumulator {
    /// An empty accumulator.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::StatsAccumulator::new().count(), 0);
    /// ```
    pub const fn new() -> Self {
        StatsAccumulator {
            params: [const { Moments::new() }; 5],
        }
    }

    /// Adds one record.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
    /// let mut acc = dpa::StatsAccumulator::new();
    /// acc.push(&g.params(1));
    /// assert_eq!(acc.count(), 1);
    /// ```
    #[inline]
    pub fn push(&mut self, p: &Params) {
        for (m, x) in self.params.iter_mut().zip(p.values()) {
            m.push(x);
        }
    }

    /// Adds the records of `other`, which come after this accumulator's in id order
    /// (the order only decides which of two equal extremes, 0.0 and -0.0, is kept).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = dpa::StatsAccumulator::new();
    /// a.merge(&dpa::StatsAccumulator::new());
    /// assert_eq!(a.count(), 0);
    /// ```
    pub fn merge(&mut self, other: &StatsAccumulator) {
        for (a, b) in self.params.iter_mut().zip(&other.params) {
            a.merge(b);
        }
    }

    /// [`StatsAccumulator::merge`] for accumulators read from bytes (another rank's, a
    /// file's): `None`, and nothing merged, when the count would pass `u64`. Within
    /// that, [`StatsAccumulator::from_bytes`]' bounds keep every sum in its slots.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = dpa::StatsAccumulator::new();
    /// let b = dpa::StatsAccumulator::from_bytes(&a.to_bytes()).unwrap();
    /// assert_eq!(a.checked_merge(&b), Some(()));
    /// ```
    pub fn checked_merge(&mut self, other: &StatsAccumulator) -> Option<()> {
        self.count().checked_add(other.count())?;
        for (a, b) in self.params.iter_mut().zip(&other.params) {
            a.checked_merge(b)?;
        }
        Some(())
    }

    /// Number of records.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::StatsAccumulator::default().count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.params[0].count()
    }

    /// The accumulator of one parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// let acc = dpa::StatsAccumulator::new();
    /// assert_eq!(acc.param(dpa::Param::Noise).count(), 0);
    /// ```
    pub fn param(&self, p: Param) -> &Moments {
        &self.params[p as usize]
    }

    /// The statistics in the reference's shape.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = dpa::StatsAccumulator::new().finish();
    /// assert_eq!(s.noise.count, 0);
    /// ```
    pub fn finish(&self) -> Statistics {
        let s: [Summary; 5] = std::array::from_fn(|i| self.params[i].summary());
        Statistics {
            rotation: s[0],
            brightness: s[1],
            noise: s[2],
            scale: s[3],
            contrast: s[4],
        }
    }

    /// Bytes in [`StatsAccumulator::to_bytes`].
    pub const BYTES: usize = 5 * MOMENTS_BYTES;

    /// The accumulator as [`StatsAccumulator::BYTES`] bytes, for exchange between ranks.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut acc = dpa::StatsAccumulator::new();
    /// acc.push(&dpa::Generator::new(dpa::Preset::Mild.config()).unwrap().params(3));
    /// let bytes = acc.to_bytes();
    /// assert_eq!(bytes.len(), dpa::StatsAccumulator::BYTES);
    /// assert_eq!(dpa::StatsAccumulator::from_bytes(&bytes).unwrap(), acc);
    /// assert_eq!(dpa::StatsAccumulator::from_bytes(&bytes[1..]), None);
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::BYTES);
        self.params.iter().for_each(|m| m.write_bytes(&mut out));
        out
    }

    /// The inverse of [`StatsAccumulator::to_bytes`]; `None` unless `bytes` has
    /// exactly [`StatsAccumulator::BYTES`] bytes of a consistent accumulator (the
    /// same count for every parameter, numbers within their bounds).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::BYTES {
            return None;
        }
        let mut params: [Moments; 5] = Default::default();
        for (m, part) in params.iter_mut().zip(bytes.chunks_exact(MOMENTS_BYTES)) {
            *m = Moments::read_bytes(part)?;
        }
        let count = params[0].count();
        params
            .iter()
            .all(|m| m.count() == count)
            .then_some(StatsAccumulator { params })
    }
}

impl Add for StatsAccumulator {
    type Output = StatsAccumulator;

    fn add(mut self, rhs: StatsAccumulator) -> StatsAccumulator {
        self.merge(&rhs);
        self
    }
}

impl AddAssign for StatsAccumulator {
    fn add_assign(&mut self, rhs: StatsAccumulator) {
        self.merge(&rhs);
    }
}

impl AddAssign<&StatsAccumulator> for StatsAccumulator {
    fn add_assign(&mut self, rhs: &StatsAccumulator) {
        self.merge(rhs);
    }
}

impl<'a> Extend<&'a Params> for StatsAccumulator {
    fn extend<I: IntoIterator<Item = &'a Params>>(&mut self, iter: I) {
        for p in iter {
            self.push(p);
        }
    }
}

impl std::iter::Sum for StatsAccumulator {
    fn sum<I: Iterator<Item = StatsAccumulator>>(iter: I) -> Self {
        iter.fold(StatsAccumulator::new(), Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_split_gives_the_same_bits() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f64 / 37.0 - 5.0)
            .collect();
        let mut whole = Moments::new();
        xs.iter().for_each(|&x| whole.push(x));
        let want = whole.summary();
        assert_eq!(
            (want.min, want.max, want.count),
            (-5.0, 999.0 / 37.0 - 5.0, 1000)
        );
        for split in [0, 1, 2, 333, 999, 1000] {
            let mut a = Moments::new();
            let mut b = Moments::new();
            xs[..split].iter().for_each(|&x| a.push(x));
            xs[split..].iter().for_each(|&x| b.push(x));
            assert_eq!((a + b).summary(), want, "split {split}");
        }
    }

    #[test]
    fn single_value_has_zero_stdev() {
        let mut m = Moments::new();
        m.push(3.5);
        let s = m.summary();
        assert_eq!(
            (s.mean, s.stdev, s.min, s.max, s.count),
            (3.5, 0.0, 3.5, 3.5, 1)
        );
    }

    #[test]
    fn inconsistent_bytes_are_refused() {
        let g = crate::Generator::new(crate::Preset::Mild.config()).unwrap();
        let mut acc = StatsAccumulator::new();
        acc.push(&g.params(1));
        let mut bytes = acc.to_bytes();
        bytes[0] = 2; // rotation's count no longer equals the others'
        assert_eq!(StatsAccumulator::from_bytes(&bytes), None);
    }
}
