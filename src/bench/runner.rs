//! The benchmark runner: warm-up, counted iterations, statistics, memory and CPU.

use std::time::Instant;

use super::measure::{cpu_seconds, peak_rss_bytes, reset_peak_rss};
use super::report::{BenchParameters, BenchResult};
use super::summary::{outliers, TimeStats};

/// Runs a piece of work `warmup` times unmeasured, then `iterations` times measured.
///
/// # Examples
///
/// ```
/// use dpa::bench::{BenchParameters, BenchmarkRunner};
/// let runner = BenchmarkRunner { warmup: 1, iterations: 5 };
/// let params = BenchParameters { threads: 1, samples: 1000, strategy: None, extra: Default::default() };
/// let r = runner.run("sum", params, || { std::hint::black_box((0..1000u64).sum::<u64>()); });
/// assert_eq!(r.iterations, 5);
/// assert!(r.time_seconds.min <= r.time_seconds.median && r.time_seconds.median <= r.time_seconds.max);
/// assert!(r.throughput_samples_per_second > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchmarkRunner {
    /// Unmeasured runs first.
    pub warmup: usize,
    /// Measured runs (at least one is made).
    pub iterations: usize,
}

impl Default for BenchmarkRunner {
    fn default() -> Self {
        BenchmarkRunner {
            warmup: 1,
            iterations: 5,
        }
    }
}

impl BenchmarkRunner {
    /// Measures `work`; `parameters.samples` is the number of samples one run handles.
    pub fn run(
        &self,
        name: &str,
        parameters: BenchParameters,
        mut work: impl FnMut(),
    ) -> BenchResult {
        for _ in 0..self.warmup {
            work();
        }
        reset_peak_rss();
        let cpu_start = cpu_seconds();
        let wall_start = Instant::now();
        let iterations = self.iterations.max(1);
        let mut times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            work();
            times.push(t.elapsed().as_secs_f64());
        }
        self.result(
            name,
            parameters,
            &times,
            wall_start.elapsed().as_secs_f64(),
            cpu_start,
        )
    }

    /// Builds a result from times measured elsewhere (for example, by `MPI_Wtime` on
    /// every rank).
    pub fn result_from_times(
        &self,
        name: &str,
        parameters: BenchParameters,
        times: &[f64],
    ) -> BenchResult {
        let wall: f64 = times.iter().sum();
        self.result(name, parameters, times, wall, None)
    }

    fn result(
        &self,
        name: &str,
        parameters: BenchParameters,
        times: &[f64],
        wall: f64,
        cpu_start: Option<f64>,
    ) -> BenchResult {
        let stats = TimeStats::from_samples(times).unwrap_or(TimeStats {
            min: 0.0,
            median: 0.0,
            mean: 0.0,
            max: 0.0,
            stddev: None,
        });
        let throughput = if stats.median > 0.0 {
            parameters.samples as f64 / stats.median
        } else {
            0.0
        };
        let cpu_percent = match (cpu_start, cpu_seconds()) {
            (Some(a), Some(b)) if wall > 0.0 => Some((b - a) / wall * 100.0),
            _ => None,
        };
        BenchResult {
            name: name.to_string(),
            parameters,
            iterations: times.len(),
            time_seconds: stats,
            throughput_samples_per_second: throughput,
            peak_rss_bytes: peak_rss_bytes(),
            cpu_percent,
            efficiency: None,
            outliers: outliers(times),
        }
    }
}
