//! What a batcher did: counts, sizes, throughput, memory, and its sizing decisions.

use serde::Serialize;

use super::config::BatchStrategy;

/// One change of batch size by the `adaptive` or `memory-optimized` strategy.
///
/// # Examples
///
/// ```
/// let d = dpa::SizeDecision { batch: 3, from: 100, to: 150, reason: "throughput rose 12.0%".into() };
/// assert!(d.to > d.from);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeDecision {
    /// Index of the batch sized by the decision.
    pub batch: u64,
    /// Size before.
    pub from: usize,
    /// Size after.
    pub to: usize,
    /// Why.
    pub reason: String,
}

/// Metrics of a batching run.
///
/// # Examples
///
/// ```
/// let m = dpa::BatchMetrics::new(dpa::BatchStrategy::Sequential);
/// assert_eq!(m.batches, 0);
/// assert_eq!(m.mean_batch_size(), 0.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchMetrics {
    /// The strategy used.
    pub strategy: BatchStrategy,
    /// Batches produced.
    pub batches: u64,
    /// Records in all batches.
    pub records: u64,
    /// Smallest batch.
    pub min_batch: usize,
    /// Largest batch.
    pub max_batch: usize,
    /// Largest estimated memory of one batch, in bytes.
    pub peak_batch_bytes: usize,
    /// Records per second, from the first batch to the last.
    pub throughput: f64,
    /// Times the batch size grew.
    pub grows: u64,
    /// Times the batch size shrank.
    pub shrinks: u64,
    /// The first sizing decisions (at most 64 are kept; `grows` and `shrinks` count all).
    pub decisions: Vec<SizeDecision>,
}

/// How many decisions are kept in [`BatchMetrics::decisions`].
pub const MAX_DECISIONS: usize = 64;

impl BatchMetrics {
    /// Empty metrics.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::BatchMetrics::new(dpa::BatchStrategy::Adaptive).records, 0);
    /// ```
    pub fn new(strategy: BatchStrategy) -> Self {
        BatchMetrics {
            strategy,
            batches: 0,
            records: 0,
            min_batch: 0,
            max_batch: 0,
            peak_batch_bytes: 0,
            throughput: 0.0,
            grows: 0,
            shrinks: 0,
            decisions: Vec::new(),
        }
    }

    /// Mean records per batch.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = dpa::BatchMetrics::new(dpa::BatchStrategy::Sequential);
    /// m.batches = 2;
    /// m.records = 7;
    /// assert_eq!(m.mean_batch_size(), 3.5);
    /// ```
    pub fn mean_batch_size(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.records as f64 / self.batches as f64
        }
    }

    pub(crate) fn record_batch(&mut self, len: usize, bytes: usize) {
        self.min_batch = if self.batches == 0 {
            len
        } else {
            self.min_batch.min(len)
        };
        self.max_batch = self.max_batch.max(len);
        self.batches += 1;
        self.records += len as u64;
        self.peak_batch_bytes = self.peak_batch_bytes.max(bytes);
    }

    pub(crate) fn record_decision(&mut self, d: SizeDecision) {
        if d.to > d.from {
            self.grows += 1;
        } else {
            self.shrinks += 1;
        }
        if self.decisions.len() < MAX_DECISIONS {
            self.decisions.push(d);
        }
    }

    /// A one-line summary.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = dpa::BatchMetrics::new(dpa::BatchStrategy::Sequential);
    /// assert!(m.summary().starts_with("sequential: 0 batches"));
    /// ```
    pub fn summary(&self) -> String {
        format!(
            "{}: {} batches, mean size {:.0} (min {}, max {}), {:.0} records/s, peak batch {:.1} MiB, {} grows, {} shrinks",
            self.strategy,
            self.batches,
            self.mean_batch_size(),
            self.min_batch,
            self.max_batch,
            self.throughput,
            self.peak_batch_bytes as f64 / (1 << 20) as f64,
            self.grows,
            self.shrinks
        )
    }
}
