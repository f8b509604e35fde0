//! Batch settings and their validation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The largest batch, in records (about 100 MiB of records in memory).
pub const MAX_BATCH_SIZE: usize = 1 << 20;

/// The largest memory budget of a batch, in MiB (1 TiB).
pub const MAX_MEMORY_MB: usize = 1 << 20;

/// The most lanes of the round-robin strategy.
pub const MAX_LANES: usize = 1024;

/// How records are grouped into batches.
///
/// # Examples
///
/// ```
/// use dpa::BatchStrategy;
/// assert_eq!("round-robin".parse::<BatchStrategy>().unwrap(), BatchStrategy::RoundRobin);
/// assert_eq!(BatchStrategy::MemoryOptimized.to_string(), "memory-optimized");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchStrategy {
    /// Consecutive batches of `batch_size` records.
    Sequential,
    /// Records dealt over `lanes` lanes (record `i` to lane `i % lanes`), one batch per
    /// lane per round, to feed `lanes` consumers evenly. Batches of one round interleave.
    RoundRobin,
    /// Batch size from the memory budget and the measured bytes per record, shrunk when
    /// the system runs low on memory; never above the budget.
    MemoryOptimized,
    /// Starts at `batch_size`; grows while throughput rises, shrinks when it falls or
    /// memory is tight, within `[min_batch_size, cap]`.
    Adaptive,
}

impl BatchStrategy {
    /// All strategies.
    pub const ALL: [BatchStrategy; 4] = [
        BatchStrategy::Sequential,
        BatchStrategy::RoundRobin,
        BatchStrategy::MemoryOptimized,
        BatchStrategy::Adaptive,
    ];

    /// The strategy's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::BatchStrategy::Adaptive.name(), "adaptive");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            BatchStrategy::Sequential => "sequential",
            BatchStrategy::RoundRobin => "round-robin",
            BatchStrategy::MemoryOptimized => "memory-optimized",
            BatchStrategy::Adaptive => "adaptive",
        }
    }
}

impl fmt::Display for BatchStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BatchStrategy {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BatchStrategy::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| ConfigError::Invalid {
                field: "strategy",
                message: format!(
                    "unknown batch strategy '{s}' (expected sequential, round-robin, memory-optimized or adaptive)"
                ),
            })
    }
}

/// Batch settings, validated as the reference does (positive sizes,
/// `batch_size >= min_batch_size`), plus the number of round-robin lanes.
///
/// # Examples
///
/// ```
/// use dpa::{BatchConfig, BatchStrategy};
/// let cfg = BatchConfig { strategy: BatchStrategy::Adaptive, batch_size: 500, ..Default::default() };
/// cfg.validate().unwrap();
/// let bad = BatchConfig { batch_size: 10, min_batch_size: 20, ..Default::default() };
/// assert!(bad.validate().unwrap_err().to_string().contains("batch_size"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchConfig {
    /// The strategy.
    pub strategy: BatchStrategy,
    /// Records per batch (the starting size for `adaptive`).
    pub batch_size: usize,
    /// Memory budget of one batch, in MiB.
    pub max_memory_mb: usize,
    /// Smallest batch the adaptive strategy goes down to.
    pub min_batch_size: usize,
    /// Whether `adaptive` resizes and `memory-optimized` shrinks under memory pressure.
    pub adaptive_sizing: bool,
    /// Lanes of `round-robin`.
    pub lanes: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            strategy: BatchStrategy::Sequential,
            batch_size: 4096,
            max_memory_mb: 64,
            min_batch_size: 64,
            adaptive_sizing: true,
            lanes: 4,
        }
    }
}

impl BatchConfig {
    /// Checks the settings; errors name the field.
    ///
    /// # Examples
    ///
    /// ```
    /// let bad = dpa::BatchConfig { max_memory_mb: 0, ..Default::default() };
    /// assert!(bad.validate().unwrap_err().to_string().contains("max_memory_mb"));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let within = ConfigError::check_within;
        within("batch_size", self.batch_size, MAX_BATCH_SIZE)?;
        within("min_batch_size", self.min_batch_size, MAX_BATCH_SIZE)?;
        within("max_memory_mb", self.max_memory_mb, MAX_MEMORY_MB)?;
        within("lanes", self.lanes, MAX_LANES)?;
        if self.strategy == BatchStrategy::RoundRobin
            && self.batch_size.saturating_mul(self.lanes) > MAX_BATCH_SIZE
        {
            return Err(ConfigError::Invalid {
                field: "lanes",
                message: format!(
                    "a round of {} lanes x {} records is held in memory at once: at most {MAX_BATCH_SIZE} records",
                    self.lanes, self.batch_size
                ),
            });
        }
        if self.batch_size < self.min_batch_size {
            return Err(ConfigError::Invalid {
                field: "batch_size",
                message: format!(
                    "must be at least min_batch_size ({}), got {}",
                    self.min_batch_size, self.batch_size
                ),
            });
        }
        Ok(())
    }

    /// The memory budget in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::BatchConfig::default().budget_bytes(), 64 << 20);
    /// ```
    pub fn budget_bytes(&self) -> usize {
        self.max_memory_mb << 20
    }
}
