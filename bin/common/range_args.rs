//! The config and the range of ids a generating command works on: the config flags,
//! `-n` and `--start-id`, shared by `dpa generate` and `dpa-mpi generate`.

use clap::Args;

use super::config_args::ConfigArgs;

/// The config and the ids `start_id .. start_id + num_samples`.
#[derive(Debug, Args)]
pub struct RangeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Number of samples in the whole run (with --rank, or over a job's ranks, split
    /// across the ranks).
    #[arg(short = 'n', long = "num-samples", value_name = "N", value_parser = super::count_arg::parse_u64)]
    pub num_samples: u64,
    /// First sample id.
    #[arg(long, value_name = "S", default_value_t = 0, value_parser = super::count_arg::parse_u64)]
    pub start_id: u64,
}
