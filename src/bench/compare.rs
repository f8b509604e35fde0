//! Comparisons between results, recommendations drawn from them, and the regression
//! check of a run against a saved baseline.

use serde::Serialize;

use super::report::{BenchReport, BenchResult};

/// How one result differs from the baseline, in percent (positive = larger).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The result compared.
    pub name: String,
    /// Throughput change.
    pub throughput_pct: f64,
    /// Median time change (latency).
    pub latency_pct: f64,
    /// Peak memory change, where both are known.
    pub memory_pct: Option<f64>,
}

/// A baseline configuration against others, with recommendations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The baseline's name.
    pub baseline: String,
    /// One entry per other result.
    pub changes: Vec<Change>,
    /// Advice drawn only from the measured figures.
    pub recommendations: Vec<String>,
}

fn pct(new: f64, old: f64) -> f64 {
    if old == 0.0 {
        0.0
    } else {
        (new / old - 1.0) * 100.0
    }
}

fn change(r: &BenchResult, base: &BenchResult) -> Change {
    Change {
        name: r.name.clone(),
        throughput_pct: pct(
            r.throughput_samples_per_second,
            base.throughput_samples_per_second,
        ),
        latency_pct: pct(r.time_seconds.median, base.time_seconds.median),
        memory_pct: match (r.peak_rss_bytes, base.peak_rss_bytes) {
            (Some(a), Some(b)) => Some(pct(a as f64, b as f64)),
            _ => None,
        },
    }
}

/// Compares `others` with `baseline` and draws recommendations from the figures.
///
/// # Examples
///
/// ```
/// use dpa::bench::*;
/// let runner = BenchmarkRunner { warmup: 0, iterations: 1 };
/// let p = |t| BenchParameters { threads: t, samples: 100, strategy: None, extra: Default::default() };
/// let slow = runner.result_from_times("one", p(1), &[2.0]);
/// let fast = runner.result_from_times("two", p(2), &[1.0]);
/// let c = compare(&slow, &[fast]);
/// assert_eq!(c.changes[0].throughput_pct, 100.0);
/// assert!(c.recommendations[0].contains("two"));
/// ```
pub fn compare(baseline: &BenchResult, others: &[BenchResult]) -> Comparison {
    let changes: Vec<Change> = others.iter().map(|r| change(r, baseline)).collect();
    let mut recommendations = Vec::new();
    let all: Vec<&BenchResult> = std::iter::once(baseline).chain(others).collect();
    if let Some(best) = all.iter().max_by(|a, b| {
        a.throughput_samples_per_second
            .total_cmp(&b.throughput_samples_per_second)
    }) {
        let noise = noise_pct(best, baseline);
        let gain = pct(
            best.throughput_samples_per_second,
            baseline.throughput_samples_per_second,
        );
        if best.name != baseline.name && gain <= noise {
            recommendations.push(format!(
                "keep {}: the fastest, {}, is only {gain:+.1}% ahead, within the measured noise ({noise:.1}%)",
                baseline.name, best.name
            ));
        } else if best.name != baseline.name {
            recommendations.push(format!(
                "use {}: {:.0} samples/s, {:+.1}% against {}",
                best.name,
                best.throughput_samples_per_second,
                pct(
                    best.throughput_samples_per_second,
                    baseline.throughput_samples_per_second
                ),
                baseline.name
            ));
        } else {
            recommendations.push(format!(
                "keep {}: nothing measured here is faster",
                baseline.name
            ));
        }
    }
    for (r, c) in others.iter().zip(&changes) {
        if let Some(m) = c.memory_pct {
            if m > 50.0 && c.throughput_pct < 5.0 {
                recommendations.push(format!(
                    "{} uses {m:.0}% more memory for {:+.1}% throughput: not worth it where memory is tight",
                    r.name, c.throughput_pct
                ));
            }
        }
        if let Some(e) = r.efficiency {
            if e < 0.7 {
                recommendations.push(format!(
                    "{} runs at {:.0}% parallel efficiency: fewer threads would waste less",
                    r.name,
                    e * 100.0
                ));
            }
        }
        if r.outliers.len() * 5 > r.iterations.max(1) {
            recommendations.push(format!(
                "{} had {} outlier iterations out of {}: measure again on a quieter machine",
                r.name,
                r.outliers.len(),
                r.iterations
            ));
        }
    }
    Comparison {
        baseline: baseline.name.clone(),
        changes,
        recommendations,
    }
}

/// The change, in percent, that the runs' own spread could explain: twice the sum of
/// the relative standard deviations of the two medians, and never under 3%.
fn noise_pct(a: &BenchResult, b: &BenchResult) -> f64 {
    let rel = |r: &BenchResult| match r.time_seconds.stddev {
        Some(sd) if r.time_seconds.median > 0.0 => sd / r.time_seconds.median,
        _ => 0.0,
    };
    (200.0 * (rel(a) + rel(b))).max(3.0)
}

/// A result whose throughput fell by more than the allowed percentage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    /// The result's name.
    pub name: String,
    /// Baseline throughput.
    pub baseline: f64,
    /// Current throughput.
    pub current: f64,
    /// Change in percent (negative).
    pub change_pct: f64,
}

/// Compares every result of `current` with the baseline result of the same name; a
/// throughput drop larger than `max_regression_pct` is a regression. Results without a
/// counterpart are skipped (and returned in the second list).
///
/// # Examples
///
/// ```
/// use dpa::bench::*;
/// let runner = BenchmarkRunner { warmup: 0, iterations: 1 };
/// let p = BenchParameters { threads: 1, samples: 100, strategy: None, extra: Default::default() };
/// let base = BenchReport::new(vec![runner.result_from_times("gen", p.clone(), &[1.0])]);
/// let slower = BenchReport::new(vec![runner.result_from_times("gen", p, &[1.5])]);
/// let (regressions, _) = check_regressions(&slower, &base, 10.0);
/// assert_eq!(regressions.len(), 1);
/// let (none, _) = check_regressions(&base, &slower, 10.0);
/// assert!(none.is_empty());
/// ```
pub fn check_regressions(
    current: &BenchReport,
    baseline: &BenchReport,
    max_regression_pct: f64,
) -> (Vec<Regression>, Vec<String>) {
    let mut regressions = Vec::new();
    let mut unmatched = Vec::new();
    for r in &current.results {
        match baseline.results.iter().find(|b| b.name == r.name) {
            Some(b) => {
                let change = pct(
                    r.throughput_samples_per_second,
                    b.throughput_samples_per_second,
                );
                if change < -max_regression_pct {
                    regressions.push(Regression {
                        name: r.name.clone(),
                        baseline: b.throughput_samples_per_second,
                        current: r.throughput_samples_per_second,
                        change_pct: change,
                    });
                }
            }
            None => unmatched.push(r.name.clone()),
        }
    }
    (regressions, unmatched)
}
