//! Flags of the parallel engine and of batching.

use clap::Args;
use dpa::{BatchConfig, BatchStrategy, ConfigError, Engine, EngineConfig};

use crate::common::failure::Failure;

/// `--threads` and `--chunk-size`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Engine")]
pub struct EngineArgs {
    /// Worker threads (default: every core).
    #[arg(long, short = 't', value_name = "T")]
    pub threads: Option<usize>,
    /// Ids per work chunk (the output does not depend on it).
    #[arg(long, value_name = "N", default_value_t = dpa::engine::DEFAULT_CHUNK_SIZE)]
    pub chunk_size: usize,
}

impl EngineArgs {
    /// Builds the engine's dedicated thread pool.
    pub fn build(&self) -> Result<Engine, Failure> {
        Engine::new(EngineConfig {
            threads: self.threads,
            chunk_size: self.chunk_size,
            in_flight: 0,
        })
        .map_err(|e| match e {
            ConfigError::Invalid { field, message } => {
                Failure::usage_msg(format!("--{}: {message}", field.replace('_', "-")))
            }
            other => Failure::usage(other),
        })
    }
}

/// How the writer groups its work.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Batching")]
pub struct BatchArgs {
    /// sequential, round-robin, memory-optimized or adaptive.
    #[arg(long, value_name = "S", default_value = "sequential", value_parser = parse_strategy)]
    pub batch_strategy: BatchStrategy,
    /// Records per batch (the starting size for adaptive).
    #[arg(long, value_name = "B", default_value_t = BatchConfig::default().batch_size)]
    pub batch_size: usize,
    /// Memory budget of one batch, in MiB.
    #[arg(long, value_name = "M", default_value_t = BatchConfig::default().max_memory_mb)]
    pub max_memory_mb: usize,
    /// Smallest batch of the adaptive strategy.
    #[arg(long, value_name = "B", default_value_t = BatchConfig::default().min_batch_size)]
    pub min_batch_size: usize,
    /// Lanes of the round-robin strategy.
    #[arg(long, value_name = "K", default_value_t = BatchConfig::default().lanes)]
    pub lanes: usize,
    /// Keep batch sizes fixed (no adaptive growth, no shrinking under memory pressure).
    #[arg(long)]
    pub no_adaptive_sizing: bool,
}

fn parse_strategy(s: &str) -> Result<BatchStrategy, String> {
    s.parse().map_err(|e: ConfigError| e.to_string())
}

impl BatchArgs {
    /// The checked batch config; errors name the flag.
    pub fn config(&self) -> Result<BatchConfig, Failure> {
        let cfg = BatchConfig {
            strategy: self.batch_strategy,
            batch_size: self.batch_size,
            max_memory_mb: self.max_memory_mb,
            min_batch_size: self.min_batch_size,
            adaptive_sizing: !self.no_adaptive_sizing,
            lanes: self.lanes,
        };
        cfg.validate().map_err(|e| match e {
            ConfigError::Invalid { field, message } => {
                Failure::usage_msg(format!("--{}: {message}", field.replace('_', "-")))
            }
            other => Failure::usage(other),
        })?;
        Ok(cfg)
    }
}
