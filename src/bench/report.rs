//! Benchmark results as serde structs: the stable JSON schema baselines are kept in.
//!
//! ```json
//! {"dpa_version", "system": {"cpu", "cores", "memory", "os"},
//!  "results": [{"name", "parameters": {"threads", "samples", "strategy", ...},
//!               "iterations", "time_seconds": {"min", "median", "mean", "max", "stddev"},
//!               "throughput_samples_per_second", "peak_rss_bytes", "efficiency", "outliers"}]}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::summary::TimeStats;

/// The machine a report was measured on.
///
/// # Examples
///
/// ```
/// let sys = dpa::bench::SystemInfo::detect();
/// assert!(sys.cores >= 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// CPU brand string.
    pub cpu: String,
    /// Logical cores.
    pub cores: usize,
    /// Total memory in bytes.
    pub memory: u64,
    /// Operating system name and version.
    pub os: String,
}

impl SystemInfo {
    /// Reads the machine's description.
    pub fn detect() -> Self {
        let mut sys = sysinfo::System::new();
        sys.refresh_memory();
        sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
        let cpu = sys
            .cpus()
            .first()
            .map(|c| c.brand().trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        SystemInfo {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory: sys.total_memory(),
            os: sysinfo::System::long_os_version()
                .unwrap_or_else(|| std::env::consts::OS.to_string()),
        }
    }
}

/// What a benchmark was run with.
///
/// # Examples
///
/// ```
/// let p = dpa::bench::BenchParameters { threads: 2, samples: 1000, strategy: None, extra: Default::default() };
/// let v = serde_json::to_value(&p).unwrap();
/// assert_eq!(v["threads"], 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchParameters {
    /// Worker threads (per rank, for a run across ranks).
    pub threads: usize,
    /// Samples per iteration.
    pub samples: u64,
    /// Batch strategy, where one was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// Anything else (preset, depth, `ranks`, scaling mode...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl BenchParameters {
    /// What a scaling study scales: the `ranks` of a run across ranks, else the
    /// threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut p = dpa::bench::BenchParameters { threads: 2, samples: 10, strategy: None, extra: Default::default() };
    /// assert_eq!(p.workers(), 2);
    /// p.extra.insert("ranks".into(), 4.into());
    /// assert_eq!(p.workers(), 4);
    /// ```
    pub fn workers(&self) -> u64 {
        self.extra
            .get("ranks")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(self.threads as u64)
    }
}

/// One measured benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// Name, unique within a report (`generation/threads=2`).
    pub name: String,
    /// Settings.
    pub parameters: BenchParameters,
    /// Measured iterations (warm-up excluded).
    pub iterations: usize,
    /// Wall time per iteration.
    pub time_seconds: TimeStats,
    /// Samples per second at the median time.
    pub throughput_samples_per_second: f64,
    /// Peak resident memory of the process during the iterations.
    pub peak_rss_bytes: Option<u64>,
    /// CPU time over wall time, in percent (200 = two cores busy).
    #[serde(default)]
    pub cpu_percent: Option<f64>,
    /// Parallel efficiency `T1 / (p * Tp)` (scaling runs only).
    #[serde(default)]
    pub efficiency: Option<f64>,
    /// Iterations flagged as outliers (modified z-score above 3.5).
    pub outliers: Vec<usize>,
}

/// A report: the machine and the results.
///
/// # Examples
///
/// ```
/// let r = dpa::bench::BenchReport::new(Vec::new());
/// let json = dpa::bench::to_json(&r);
/// let back: dpa::bench::BenchReport = serde_json::from_str(&json).unwrap();
/// assert_eq!(back.dpa_version, env!("CARGO_PKG_VERSION"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// The dpa version that measured it.
    pub dpa_version: String,
    /// The machine.
    pub system: SystemInfo,
    /// The results.
    pub results: Vec<BenchResult>,
}

impl BenchReport {
    /// A report of `results` on this machine.
    pub fn new(results: Vec<BenchResult>) -> Self {
        BenchReport {
            dpa_version: env!("CARGO_PKG_VERSION").to_string(),
            system: SystemInfo::detect(),
            results,
        }
    }

    /// Fills in `efficiency` of every result from the one with the fewest threads:
    /// `T1 / (p * Tp)`, scaled when the smallest thread count is not 1.
    pub fn compute_efficiency(&mut self) {
        let Some(base) = self
            .results
            .iter()
            .min_by_key(|r| r.parameters.workers())
            .map(|r| {
                (
                    r.parameters.workers() as f64,
                    r.time_seconds.median,
                    r.parameters.samples as f64,
                )
            })
        else {
            return;
        };
        for r in &mut self.results {
            let p = r.parameters.workers() as f64;
            // Per-sample times, so weak scaling (samples grow with p) works too.
            let t1 = base.1 / base.2 * base.0;
            let tp = r.time_seconds.median / r.parameters.samples as f64;
            if tp > 0.0 && p > 0.0 {
                r.efficiency = Some(t1 / (p * tp));
            }
        }
    }
}
