//! A profiler for named operations: calls, total and mean time, memory change.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::measure::current_rss_bytes;

/// What the profiler knows of one operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OperationStats {
    /// Times it ran.
    pub calls: u64,
    /// Total wall time, in seconds.
    pub total_seconds: f64,
    /// Sum of resident-memory changes over its runs, in bytes (0 where unknown).
    pub memory_delta_bytes: i64,
}

impl OperationStats {
    /// Mean wall time per call, in seconds.
    pub fn mean_seconds(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.total_seconds / self.calls as f64
        }
    }
}

/// Times named operations, by closure or by guard.
///
/// # Examples
///
/// ```
/// use dpa::bench::Profiler;
/// let mut prof = Profiler::new();
/// let x = prof.time("sum", || (0..100u64).sum::<u64>());
/// {
///     let _g = prof.start("sleep-free block");
/// }
/// prof.time("sum", || ());
/// assert_eq!(x, 4950);
/// assert_eq!(prof.get("sum").unwrap().calls, 2);
/// assert!(prof.report().contains("sleep-free block"));
/// ```
#[derive(Debug, Default)]
pub struct Profiler {
    ops: BTreeMap<String, OperationStats>,
}

/// Times one run of an operation until dropped.
pub struct ProfilerGuard<'a> {
    profiler: &'a mut Profiler,
    name: String,
    started: Instant,
    rss: Option<u64>,
}

impl Drop for ProfilerGuard<'_> {
    fn drop(&mut self) {
        let took = self.started.elapsed();
        let delta = match (self.rss, current_rss_bytes()) {
            (Some(a), Some(b)) => b as i64 - a as i64,
            _ => 0,
        };
        self.profiler.record(&self.name, took, delta);
    }
}

impl Profiler {
    /// An empty profiler.
    pub fn new() -> Self {
        Profiler::default()
    }

    /// Runs `f` as one call of `name`.
    pub fn time<R>(&mut self, name: &str, f: impl FnOnce() -> R) -> R {
        let _guard = self.start(name);
        f()
    }

    /// Starts one call of `name`; it ends when the guard is dropped.
    pub fn start(&mut self, name: &str) -> ProfilerGuard<'_> {
        ProfilerGuard {
            name: name.to_string(),
            started: Instant::now(),
            rss: current_rss_bytes(),
            profiler: self,
        }
    }

    /// Adds one call of `name` measured elsewhere.
    pub fn record(&mut self, name: &str, took: Duration, memory_delta_bytes: i64) {
        let op = self.ops.entry(name.to_string()).or_default();
        op.calls += 1;
        op.total_seconds += took.as_secs_f64();
        op.memory_delta_bytes += memory_delta_bytes;
    }

    /// The statistics of one operation.
    pub fn get(&self, name: &str) -> Option<&OperationStats> {
        self.ops.get(name)
    }

    /// Every operation, by name.
    pub fn operations(&self) -> &BTreeMap<String, OperationStats> {
        &self.ops
    }

    /// A table of the operations, slowest total first.
    pub fn report(&self) -> String {
        let mut rows: Vec<(&String, &OperationStats)> = self.ops.iter().collect();
        rows.sort_by(|a, b| b.1.total_seconds.total_cmp(&a.1.total_seconds));
        let mut out = format!(
            "{:<32} {:>8} {:>12} {:>12} {:>14}\n",
            "operation", "calls", "total s", "mean ms", "memory delta"
        );
        for (name, op) in rows {
            out.push_str(&format!(
                "{:<32} {:>8} {:>12.4} {:>12.4} {:>11.1} MiB\n",
                name,
                op.calls,
                op.total_seconds,
                op.mean_seconds() * 1e3,
                op.memory_delta_bytes as f64 / (1 << 20) as f64
            ));
        }
        out
    }
}
