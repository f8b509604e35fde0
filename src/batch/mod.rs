//! Batching: grouping a stream of records into batches by one of four strategies (the
//! reference's `BatchProcessor`, made real).
//!
//! Batching changes only how records are grouped, never which records there are or
//! their values.

mod batcher;
mod config;
mod metrics;

pub use batcher::{Batch, Batcher, MemoryProbe, ENCODED_BYTES_PRIOR};
pub use config::{BatchConfig, BatchStrategy, MAX_BATCH_SIZE, MAX_LANES, MAX_MEMORY_MB};
pub use metrics::{BatchMetrics, SizeDecision};
