//! Summary statistics of repeated timings, and outliers by the modified z-score.

use serde::{Deserialize, Serialize};

/// Summary of repeated timings, in seconds.
///
/// # Examples
///
/// ```
/// let s = dpa::bench::TimeStats::from_samples(&[1.0, 2.0, 3.0, 4.0]).unwrap();
/// assert_eq!((s.min, s.median, s.mean, s.max), (1.0, 2.5, 2.5, 4.0));
/// assert!((s.stddev.unwrap() - 1.2909944487358056).abs() < 1e-15);
/// assert_eq!(dpa::bench::TimeStats::from_samples(&[5.0]).unwrap().stddev, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeStats {
    /// Fastest.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Mean.
    pub mean: f64,
    /// Slowest.
    pub max: f64,
    /// Sample standard deviation (n - 1); `None` for a single run.
    pub stddev: Option<f64>,
}

fn median_of_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl TimeStats {
    /// Summarises samples; `None` when there are none (or any is NaN).
    pub fn from_samples(samples: &[f64]) -> Option<TimeStats> {
        if samples.is_empty() || samples.iter().any(|x| x.is_nan()) {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let stddev = (v.len() > 1)
            .then(|| (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)).sqrt());
        Some(TimeStats {
            min: v[0],
            median: median_of_sorted(&v),
            mean,
            max: v[v.len() - 1],
            stddev,
        })
    }
}

/// Indices of outliers: samples whose modified z-score `0.6745 (x - median) / MAD`
/// exceeds 3.5 in absolute value (Iglewicz and Hoaglin). With a MAD of zero, any sample
/// away from the median is an outlier.
///
/// # Examples
///
/// ```
/// assert_eq!(dpa::bench::outliers(&[1.0, 1.1, 0.9, 1.0, 9.0]), vec![4]);
/// assert!(dpa::bench::outliers(&[1.0, 2.0, 3.0]).is_empty());
/// ```
pub fn outliers(samples: &[f64]) -> Vec<usize> {
    if samples.len() < 3 {
        return Vec::new();
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let median = median_of_sorted(&v);
    let mut dev: Vec<f64> = samples.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = median_of_sorted(&dev);
    samples
        .iter()
        .enumerate()
        .filter(|(_, x)| {
            let d = (*x - median).abs();
            if mad == 0.0 {
                d > 0.0
            } else {
                0.6745 * d / mad > 3.5
            }
        })
        .map(|(i, _)| i)
        .collect()
}
