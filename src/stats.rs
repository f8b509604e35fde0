//! Streaming statistics that merge: Welford's accumulator with Chan et al.'s combination,
//! so partial results from chunks, threads and ranks add up to the statistics of the whole.

use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

use crate::config::Param;
use crate::params::Params;

/// Running count, mean, sum of squared deviations, min and max of one value.
///
/// # Examples
///
/// ```
/// use dpa::Welford;
/// let mut a = Welford::new();
/// let mut b = Welford::new();
/// for x in [1.0, 2.0] { a.push(x); }
/// for x in [3.0, 4.0] { b.push(x); }
/// let all = a + b;
/// assert_eq!(all.count(), 4);
/// assert_eq!(all.mean(), 2.5);
/// assert_eq!(all.summary().min, 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Welford {
    count: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Welford {
    fn default() -> Self {
        Welford::new()
    }
}

impl Welford {
    /// An empty accumulator.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Welford::new().count(), 0);
    /// ```
    pub const fn new() -> Self {
        Welford {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Adds one value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = dpa::Welford::new();
    /// w.push(2.0);
    /// assert_eq!(w.mean(), 2.0);
    /// ```
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Combines another accumulator into this one (Chan, Golub and LeVeque).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = dpa::Welford::new();
    /// a.push(1.0);
    /// let mut b = dpa::Welford::new();
    /// b.push(3.0);
    /// a.merge(&b);
    /// assert_eq!(a.mean(), 2.0);
    /// ```
    pub fn merge(&mut self, other: &Welford) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = self.count + other.count;
        let (na, nb, nf) = (self.count as f64, other.count as f64, n as f64);
        let delta = other.mean - self.mean;
        self.mean += delta * (nb / nf);
        self.m2 += other.m2 + delta * delta * (na * nb / nf);
        self.count = n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Welford::new().count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The mean (0 when empty).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Welford::new().mean(), 0.0);
    /// ```
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The sample variance (n - 1), 0 for fewer than two values.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = dpa::Welford::new();
    /// for x in [1.0, 3.0] { w.push(x); }
    /// assert_eq!(w.variance(), 2.0);
    /// ```
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            (self.m2 / (self.count - 1) as f64).max(0.0)
        }
    }

    /// The summary in the reference's shape.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = dpa::Welford::new().summary();
    /// assert_eq!((s.mean, s.stdev, s.min, s.max, s.count), (0.0, 0.0, 0.0, 0.0, 0));
    /// ```
    pub fn summary(&self) -> Summary {
        if self.count == 0 {
            return Summary::default();
        }
        Summary {
            mean: self.mean,
            stdev: self.variance().sqrt(),
            min: self.min,
            max: self.max,
            count: self.count,
        }
    }

    /// The accumulator as five fixed-size numbers `[count, mean, m2, min, max]`, for
    /// exchanging partial results between processes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = dpa::Welford::new();
    /// w.push(4.0);
    /// assert_eq!(dpa::Welford::from_parts(w.to_parts()), w);
    /// ```
    pub fn to_parts(&self) -> [f64; 5] {
        [
            f64::from_bits(self.count),
            self.mean,
            self.m2,
            self.min,
            self.max,
        ]
    }

    /// The inverse of [`Welford::to_parts`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Welford::from_parts(dpa::Welford::new().to_parts()).count(), 0);
    /// ```
    pub fn from_parts(p: [f64; 5]) -> Self {
        Welford {
            count: p[0].to_bits(),
            mean: p[1],
            m2: p[2],
            min: p[3],
            max: p[4],
        }
    }
}

impl Add for Welford {
    type Output = Welford;

    fn add(mut self, rhs: Welford) -> Welford {
        self.merge(&rhs);
        self
    }
}

impl AddAssign for Welford {
    fn add_assign(&mut self, rhs: Welford) {
        self.merge(&rhs);
    }
}

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
}

/// Accumulates statistics of records; merge partial accumulators with `+` or [`merge`].
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
/// let stats = (left + right).finish();
/// assert_eq!(stats.rotation.count, 100);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsAccumulator {
    params: [Welford; 5],
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
            params: [Welford::new(); 5],
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
        for (w, x) in self.params.iter_mut().zip(p.values()) {
            w.push(x);
        }
    }

    /// Combines another accumulator into this one.
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
    pub fn param(&self, p: Param) -> &Welford {
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
        let s = self.params.map(|w| w.summary());
        Statistics {
            rotation: s[0],
            brightness: s[1],
            noise: s[2],
            scale: s[3],
            contrast: s[4],
        }
    }

    /// Numbers in [`StatsAccumulator::to_parts`]: five per parameter.
    pub const PARTS: usize = 25;

    /// Bytes in [`StatsAccumulator::to_bytes`].
    pub const BYTES: usize = 8 * Self::PARTS;

    /// The accumulator as bytes (its parts, little-endian), for exchange between ranks.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut acc = dpa::StatsAccumulator::new();
    /// acc.push(&dpa::Generator::new(dpa::Preset::Mild.config()).unwrap().params(3));
    /// let bytes = acc.to_bytes();
    /// assert_eq!(bytes.len(), dpa::StatsAccumulator::BYTES);
    /// assert_eq!(dpa::StatsAccumulator::from_bytes(&bytes), Some(acc));
    /// assert_eq!(dpa::StatsAccumulator::from_bytes(&bytes[1..]), None);
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_parts()
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    /// The inverse of [`StatsAccumulator::to_bytes`]; `None` unless `bytes` has
    /// exactly [`StatsAccumulator::BYTES`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::BYTES {
            return None;
        }
        let mut parts = [0.0f64; Self::PARTS];
        for (v, c) in parts.iter_mut().zip(bytes.chunks_exact(8)) {
            *v = f64::from_le_bytes(c.try_into().ok()?);
        }
        Some(Self::from_parts(parts))
    }

    /// The accumulator as 25 numbers (five per parameter), for exchange between ranks.
    ///
    /// # Examples
    ///
    /// ```
    /// let acc = dpa::StatsAccumulator::new();
    /// assert_eq!(dpa::StatsAccumulator::from_parts(acc.to_parts()), acc);
    /// ```
    pub fn to_parts(&self) -> [f64; Self::PARTS] {
        let mut out = [0.0; Self::PARTS];
        for (chunk, w) in out.chunks_exact_mut(5).zip(&self.params) {
            chunk.copy_from_slice(&w.to_parts());
        }
        out
    }

    /// The inverse of [`StatsAccumulator::to_parts`].
    ///
    /// # Examples
    ///
    /// ```
    /// let acc = dpa::StatsAccumulator::from_parts([0.0; 25]);
    /// assert_eq!(acc.count(), 0);
    /// ```
    pub fn from_parts(p: [f64; Self::PARTS]) -> Self {
        StatsAccumulator {
            params: std::array::from_fn(|i| {
                Welford::from_parts([
                    p[5 * i],
                    p[5 * i + 1],
                    p[5 * i + 2],
                    p[5 * i + 3],
                    p[5 * i + 4],
                ])
            }),
        }
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

    fn two_pass(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    #[test]
    fn matches_two_pass_and_merges_in_any_split() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f64 / 37.0 - 5.0)
            .collect();
        let (mean, sd) = two_pass(&xs);
        for split in [0, 1, 2, 333, 999, 1000] {
            let mut a = Welford::new();
            let mut b = Welford::new();
            xs[..split].iter().for_each(|&x| a.push(x));
            xs[split..].iter().for_each(|&x| b.push(x));
            let s = (a + b).summary();
            assert_eq!(s.count, 1000);
            assert!(
                (s.mean - mean).abs() <= 1e-12 * mean.abs().max(1.0),
                "split {split}"
            );
            assert!((s.stdev - sd).abs() <= 1e-12 * sd, "split {split}");
            assert_eq!(s.min, -5.0);
            assert_eq!(s.max, 999.0 / 37.0 - 5.0);
        }
    }

    #[test]
    fn single_value_has_zero_stdev() {
        let mut w = Welford::new();
        w.push(3.5);
        let s = w.summary();
        assert_eq!(
            (s.mean, s.stdev, s.min, s.max, s.count),
            (3.5, 0.0, 3.5, 3.5, 1)
        );
    }
}
