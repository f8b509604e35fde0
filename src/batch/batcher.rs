//! The batcher: an iterator adaptor from records to batches.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::config::{BatchConfig, BatchStrategy, MAX_BATCH_SIZE};
use super::metrics::{BatchMetrics, SizeDecision};
use crate::error::ConfigError;
use crate::params::Params;

/// A group of records.
///
/// # Examples
///
/// ```
/// let b = dpa::Batch { index: 0, lane: 0, records: Vec::new() };
/// assert!(b.records.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Position of the batch in the output, from 0.
    pub index: u64,
    /// The lane (consumer) the batch is for; always 0 except for round-robin.
    pub lane: usize,
    /// The records, in stream order.
    pub records: Vec<Params>,
}

/// Tells how much memory the system has available, in bytes.
pub trait MemoryProbe: Send {
    /// Available memory in bytes, if known.
    fn available_bytes(&mut self) -> Option<u64>;
}

/// The system's available memory, read with `sysinfo` (at most every 250 ms).
struct SystemMemory {
    system: sysinfo::System,
    last: Option<(Instant, u64)>,
}

impl MemoryProbe for SystemMemory {
    fn available_bytes(&mut self) -> Option<u64> {
        match self.last {
            Some((at, bytes)) if at.elapsed() < Duration::from_millis(250) => Some(bytes),
            _ => {
                self.system.refresh_memory();
                let bytes = self.system.available_memory();
                self.last = Some((Instant::now(), bytes));
                (bytes > 0).then_some(bytes)
            }
        }
    }
}

/// Bytes per record assumed for the consumer's encoding until it reports one with
/// [`Batcher::observe_encoded_bytes`]: a little above a JSON record (about 240 bytes), so
/// that the first batches stay within the budget too.
pub const ENCODED_BYTES_PRIOR: usize = 256;

/// Memory is tight when less than this many budgets are available.
const TIGHT_BUDGETS: u64 = 4;

/// Groups a stream of records into [`Batch`]es by a [`BatchConfig`]'s strategy.
///
/// # Examples
///
/// ```
/// use dpa::{BatchConfig, BatchStrategy, Batcher, Generator, Preset};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let records = (0..10).map(|id| g.params(id));
/// let cfg = BatchConfig { strategy: BatchStrategy::Sequential, batch_size: 4, min_batch_size: 1, ..Default::default() };
/// let sizes: Vec<usize> = Batcher::new(records, cfg).unwrap().map(|b| b.records.len()).collect();
/// assert_eq!(sizes, [4, 4, 2]);
/// ```
pub struct Batcher<I> {
    input: I,
    config: BatchConfig,
    size: usize,
    metrics: BatchMetrics,
    encoded_per_record: Option<f64>,
    probe: Box<dyn MemoryProbe>,
    started: Option<Instant>,
    last_call: Option<(Instant, usize)>,
    last_throughput: Option<f64>,
    lanes_queue: VecDeque<Batch>,
    next_index: u64,
}

impl<I: Iterator<Item = Params>> Batcher<I> {
    /// A batcher over `input`; the config is validated first.
    ///
    /// # Examples
    ///
    /// ```
    /// let cfg = dpa::BatchConfig { batch_size: 0, ..Default::default() };
    /// assert!(dpa::Batcher::new(std::iter::empty(), cfg).is_err());
    /// ```
    pub fn new(input: I, config: BatchConfig) -> Result<Self, ConfigError> {
        let probe = SystemMemory {
            system: sysinfo::System::new(),
            last: None,
        };
        Batcher::with_probe(input, config, Box::new(probe))
    }

    /// As [`Batcher::new`], with another source of the available memory (for tests, or
    /// a cgroup limit the system does not show).
    ///
    /// # Examples
    ///
    /// ```
    /// struct Plenty;
    /// impl dpa::batch::MemoryProbe for Plenty {
    ///     fn available_bytes(&mut self) -> Option<u64> { Some(u64::MAX) }
    /// }
    /// let b = dpa::Batcher::with_probe(std::iter::empty(), Default::default(), Box::new(Plenty)).unwrap();
    /// assert_eq!(b.current_size(), 4096);
    /// ```
    pub fn with_probe(
        input: I,
        config: BatchConfig,
        probe: Box<dyn MemoryProbe>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut b = Batcher {
            input,
            config,
            size: config.batch_size,
            metrics: BatchMetrics::new(config.strategy),
            encoded_per_record: None,
            probe,
            started: None,
            last_call: None,
            last_throughput: None,
            lanes_queue: VecDeque::new(),
            next_index: 0,
        };
        b.size = match config.strategy {
            BatchStrategy::MemoryOptimized => b.budget_records(),
            BatchStrategy::Adaptive => config.batch_size.min(b.cap()),
            _ => config.batch_size,
        };
        Ok(b)
    }

    /// The size the next batch will have (per lane, for round-robin).
    pub fn current_size(&self) -> usize {
        self.size
    }

    /// The metrics so far.
    pub fn metrics(&self) -> &BatchMetrics {
        &self.metrics
    }

    /// Tells the batcher how many bytes the consumer's encoding of `records` records
    /// took, so that memory estimates include them.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = dpa::Batcher::new(std::iter::empty(), Default::default()).unwrap();
    /// b.observe_encoded_bytes(100, 20_000);
    /// assert!(b.bytes_per_record() >= 200);
    /// ```
    pub fn observe_encoded_bytes(&mut self, records: usize, bytes: usize) {
        if records > 0 {
            let per = bytes as f64 / records as f64;
            self.encoded_per_record = Some(match self.encoded_per_record {
                Some(old) => 0.8 * old + 0.2 * per,
                None => per,
            });
        }
    }

    /// Estimated memory per record in a batch: the record itself plus its encoding
    /// (as observed, or [`ENCODED_BYTES_PRIOR`] before any observation).
    pub fn bytes_per_record(&self) -> usize {
        let encoded = match self.encoded_per_record {
            Some(e) => e.ceil() as usize,
            None => ENCODED_BYTES_PRIOR,
        };
        std::mem::size_of::<Params>() + encoded
    }

    fn budget_records(&self) -> usize {
        (self.config.budget_bytes() / self.bytes_per_record()).clamp(1, MAX_BATCH_SIZE)
    }

    fn cap(&self) -> usize {
        self.config
            .batch_size
            .saturating_mul(64)
            .min(self.budget_records())
            .max(self.config.min_batch_size.min(self.budget_records()))
    }

    fn memory_tight(&mut self) -> bool {
        let need = (self.config.budget_bytes() as u64).saturating_mul(TIGHT_BUDGETS);
        matches!(self.probe.available_bytes(), Some(avail) if avail < need)
    }

    fn resize(&mut self, to: usize, reason: String) {
        if to != self.size {
            self.metrics.record_decision(SizeDecision {
                batch: self.next_index,
                from: self.size,
                to,
                reason,
            });
            self.size = to;
        }
    }

    /// Picks the size of the next batch, for the strategies that resize.
    fn plan_size(&mut self, now: Instant) {
        let throughput = self.last_call.and_then(|(at, len)| {
            let secs = now.duration_since(at).as_secs_f64();
            (secs > 0.0 && len > 0).then(|| len as f64 / secs)
        });
        match self.config.strategy {
            BatchStrategy::MemoryOptimized => {
                let mut target = self.budget_records();
                let mut reason = format!(
                    "budget {} MiB / {} bytes per record",
                    self.config.max_memory_mb,
                    self.bytes_per_record()
                );
                if self.config.adaptive_sizing && self.memory_tight() {
                    target = (self.size / 2).clamp(1, target);
                    reason = "system memory low".into();
                }
                self.resize(target, reason);
            }
            BatchStrategy::Adaptive if self.config.adaptive_sizing => {
                let (min, cap) = (self.config.min_batch_size.min(self.cap()), self.cap());
                if self.memory_tight() {
                    let to = (self.size * 3 / 4).clamp(min, cap);
                    self.resize(to, "system memory low".into());
                } else if let (Some(now_tp), Some(prev_tp)) = (throughput, self.last_throughput) {
                    let change = now_tp / prev_tp - 1.0;
                    if change > 0.02 {
                        let to = (self.size + self.size / 2).clamp(min, cap);
                        self.resize(to, format!("throughput rose {:.1}%", change * 100.0));
                    } else if change < -0.05 {
                        let to = (self.size * 3 / 4).clamp(min, cap);
                        self.resize(to, format!("throughput fell {:.1}%", -change * 100.0));
                    }
                } else if self.size > cap {
                    self.resize(cap, "memory budget".into());
                }
            }
            _ => {}
        }
        if throughput.is_some() {
            self.last_throughput = throughput;
        }
    }

    fn take(&mut self, n: usize) -> Vec<Params> {
        // Reserve no more than one batch can hold: the input may end much sooner.
        let mut v = Vec::with_capacity(n.min(MAX_BATCH_SIZE));
        v.extend(self.input.by_ref().take(n));
        v
    }

    fn emit(&mut self, lane: usize, records: Vec<Params>) -> Batch {
        let bytes = records.len() * self.bytes_per_record();
        self.metrics.record_batch(records.len(), bytes);
        let b = Batch {
            index: self.next_index,
            lane,
            records,
        };
        self.next_index += 1;
        b
    }
}

impl<I: Iterator<Item = Params>> Iterator for Batcher<I> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let now = Instant::now();
        let started = *self.started.get_or_insert(now);
        if let Some(b) = self.lanes_queue.pop_front() {
            return Some(b);
        }
        self.plan_size(now);
        let batch = if self.config.strategy == BatchStrategy::RoundRobin {
            let lanes = self.config.lanes;
            let round = self.take(self.size.saturating_mul(lanes));
            if round.is_empty() {
                None
            } else {
                let mut per_lane: Vec<Vec<Params>> = (0..lanes)
                    .map(|_| Vec::with_capacity(round.len().div_ceil(lanes)))
                    .collect();
                for (i, p) in round.into_iter().enumerate() {
                    per_lane[i % lanes].push(p);
                }
                for (lane, records) in per_lane.into_iter().enumerate() {
                    if !records.is_empty() {
                        let b = self.emit(lane, records);
                        self.lanes_queue.push_back(b);
                    }
                }
                self.lanes_queue.pop_front()
            }
        } else {
            let records = self.take(self.size);
            (!records.is_empty()).then(|| self.emit(0, records))
        };
        let len = batch.as_ref().map_or(0, |b| b.records.len());
        self.last_call = Some((Instant::now(), len));
        let secs = started.elapsed().as_secs_f64();
        if secs > 0.0 {
            self.metrics.throughput = self.metrics.records as f64 / secs;
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generator, Preset};

    struct FakeMemory(u64);

    impl MemoryProbe for FakeMemory {
        fn available_bytes(&mut self) -> Option<u64> {
            Some(self.0)
        }
    }

    fn records(n: u64) -> Vec<Params> {
        let g = Generator::new(Preset::Moderate.config()).unwrap();
        (0..n).map(|id| g.params(id)).collect()
    }

    fn batches(cfg: BatchConfig, input: &[Params], avail: u64) -> (Vec<Batch>, BatchMetrics) {
        let mut b =
            Batcher::with_probe(input.iter().copied(), cfg, Box::new(FakeMemory(avail))).unwrap();
        let out: Vec<Batch> = b.by_ref().collect();
        (out, b.metrics().clone())
    }

    #[test]
    fn every_strategy_keeps_every_record_once_with_its_values() {
        let input = records(1000);
        for strategy in BatchStrategy::ALL {
            let cfg = BatchConfig {
                strategy,
                batch_size: 37,
                min_batch_size: 5,
                lanes: 3,
                max_memory_mb: 1,
                ..Default::default()
            };
            let (out, metrics) = batches(cfg, &input, u64::MAX);
            assert_eq!(metrics.records, 1000, "{strategy}");
            assert_eq!(metrics.batches, out.len() as u64);
            let flat: Vec<Params> = out.iter().flat_map(|b| b.records.clone()).collect();
            if strategy == BatchStrategy::RoundRobin {
                let mut sorted = flat.clone();
                sorted.sort_by_key(|p| p.sample_id);
                assert_eq!(sorted, input, "{strategy}");
            } else {
                assert_eq!(flat, input, "{strategy}");
            }
        }
    }

    #[test]
    fn round_robin_deals_records_over_lanes() {
        let input = records(20);
        let cfg = BatchConfig {
            strategy: BatchStrategy::RoundRobin,
            batch_size: 3,
            min_batch_size: 1,
            lanes: 2,
            ..Default::default()
        };
        let (out, _) = batches(cfg, &input, u64::MAX);
        let ids: Vec<(usize, Vec<u64>)> = out
            .iter()
            .map(|b| (b.lane, b.records.iter().map(|p| p.sample_id).collect()))
            .collect();
        assert_eq!(
            ids,
            vec![
                (0, vec![0, 2, 4]),
                (1, vec![1, 3, 5]),
                (0, vec![6, 8, 10]),
                (1, vec![7, 9, 11]),
                (0, vec![12, 14, 16]),
                (1, vec![13, 15, 17]),
                (0, vec![18]),
                (1, vec![19]),
            ]
        );
    }

    #[test]
    fn memory_optimized_never_exceeds_the_budget_and_shrinks_when_memory_is_low() {
        let input = records(30_000);
        let cfg = BatchConfig {
            strategy: BatchStrategy::MemoryOptimized,
            batch_size: 100,
            min_batch_size: 1,
            max_memory_mb: 1,
            ..Default::default()
        };
        let (out, m) = batches(cfg, &input, u64::MAX);
        let per = std::mem::size_of::<Params>() + ENCODED_BYTES_PRIOR;
        assert_eq!(out[0].records.len(), (1 << 20) / per);
        assert!(m.peak_batch_bytes <= 1 << 20);
        // 2 MiB available, less than four budgets: the batcher halves the size each batch.
        let (out, m) = batches(cfg, &input, 2 << 20);
        let sizes: Vec<usize> = out.iter().map(|b| b.records.len()).take(3).collect();
        let full = (1 << 20) / per;
        assert_eq!(sizes, [full / 2, full / 4, full / 8]);
        assert!(m.shrinks >= 3);
        assert!(m.decisions.iter().all(|d| d.reason == "system memory low"));
    }

    #[test]
    fn adaptive_stays_within_bounds_and_records_its_decisions() {
        let input = records(20_000);
        let cfg = BatchConfig {
            strategy: BatchStrategy::Adaptive,
            batch_size: 64,
            min_batch_size: 16,
            max_memory_mb: 1,
            ..Default::default()
        };
        let (out, m) = batches(cfg, &input, u64::MAX);
        let cap = (64 * 64).min((1 << 20) / (std::mem::size_of::<Params>() + ENCODED_BYTES_PRIOR));
        assert!(out.iter().all(|b| b.records.len() <= cap));
        assert!(out[..out.len() - 1].iter().all(|b| b.records.len() >= 16));
        assert_eq!(m.decisions.len() as u64, (m.grows + m.shrinks).min(64));
        // With memory tight, it only shrinks, down to min_batch_size.
        let (out, m) = batches(cfg, &input, 1 << 20);
        assert_eq!(m.grows, 0);
        assert!(m.shrinks > 0);
        assert_eq!(out[out.len() / 2].records.len(), 16);
    }

    #[test]
    fn invalid_configs_name_the_field() {
        for (cfg, field) in [
            (
                BatchConfig {
                    batch_size: 0,
                    ..Default::default()
                },
                "batch_size",
            ),
            (
                BatchConfig {
                    min_batch_size: 0,
                    ..Default::default()
                },
                "min_batch_size",
            ),
            (
                BatchConfig {
                    lanes: 0,
                    ..Default::default()
                },
                "lanes",
            ),
            (
                BatchConfig {
                    batch_size: 8,
                    min_batch_size: 9,
                    ..Default::default()
                },
                "batch_size",
            ),
        ] {
            let err = Batcher::new(std::iter::empty(), cfg).err().unwrap();
            assert!(err.to_string().starts_with(field), "{err}");
        }
    }
}
