//! `dpa-mpi`'s flags: the commands and their arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::common::config_args::ConfigArgs;
use crate::common::format_arg::FormatArg;
use crate::common::range_args::RangeArgs;

/// Distributed deterministic augmentation: each rank generates its shard.
#[derive(Debug, Parser)]
#[command(name = "dpa-mpi", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How ranks seed their records (without `--seed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeedingArg {
    /// The reference's distributed mode ("{base_seed}:{rank}:{id}").
    RankAware,
    /// Plain seeding: the same records whatever the number of ranks.
    Global,
}

/// Strong or weak scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scaling {
    /// Fixed total N, split across the ranks.
    Strong,
    /// N per rank.
    Weak,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the shards of a range, one per rank, and a manifest at rank 0.
    Generate(GenerateArgs),
    /// Strong or weak scaling across ranks, measured with MPI_Wtime after barriers.
    Bench(BenchArgs),
}

/// `dpa-mpi generate`'s flags.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Base seed of rank-aware seeding (with --seeding rank-aware; default 0).
    #[arg(long, value_name = "B")]
    pub base_seed: Option<u64>,
    /// global (the default: the values of `dpa generate`, whatever the rank count) or
    /// rank-aware (the reference's distributed mode: they change with the rank count).
    #[arg(long, value_enum, default_value = "global")]
    pub seeding: SeedingArg,
    /// Seed-and-epoch seeding ("S:E:id"): the values depend on (seed, epoch, id) only,
    /// the same for any number of ranks, and differ from epoch to epoch.
    #[arg(long, value_name = "S", conflicts_with_all = ["base_seed", "seeding"])]
    pub seed: Option<u64>,
    /// The epoch of seed-and-epoch seeding (with --seed; default 0).
    #[arg(long, value_name = "E", requires = "seed")]
    pub epoch: Option<u64>,
    /// Shard format (default jsonl); a shared --output is npy.
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub format: Option<FormatArg>,
    /// Compression of Parquet shards' pages.
    #[arg(long, value_name = "CODEC", value_enum, default_value_t)]
    pub compression: crate::common::format_arg::CompressionArg,
    /// Worker threads per rank (default: every core).
    #[arg(long, short = 't', value_name = "T")]
    pub threads: Option<usize>,
    /// Folder for the shards and manifest.json (created if missing).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "output",
        conflicts_with = "output"
    )]
    pub output_dir: Option<PathBuf>,
    /// One .npy file that every rank writes its rows into (and its sidecar,
    /// FILE.json): no shards, no merge. The folder must be shared by every node.
    #[arg(short, long, value_name = "FILE.npy")]
    pub output: Option<PathBuf>,
    /// Continue a job that was killed: shards already written are kept if their
    /// recorded SHA-256 checks out, partial shards and a partial shared file are
    /// continued after their verified part.
    #[arg(long)]
    pub resume: bool,
    /// No statistics in the shards and the manifest.
    #[arg(long)]
    pub no_stats: bool,
    /// No table on rank 0.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `dpa-mpi bench`'s flags.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// strong (fixed total) or weak (N per rank).
    #[arg(long, value_enum)]
    pub scaling: Scaling,
    /// Samples: the total (strong) or per rank (weak).
    #[arg(
        short = 'n',
        long = "num-samples",
        value_name = "N",
        default_value_t = 2_000_000
    )]
    pub num_samples: u64,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Worker threads per rank.
    #[arg(long, short = 't', value_name = "T", default_value_t = 1)]
    pub threads: usize,
    /// Measured iterations.
    #[arg(long, value_name = "I", default_value_t = 3)]
    pub iterations: usize,
    /// Write the report as JSON to F.
    #[arg(long, value_name = "F")]
    pub export_json: Option<PathBuf>,
    /// Add this run's result to the report already in --export-json (to collect
    /// runs with different rank counts).
    #[arg(long, requires = "export_json")]
    pub append: bool,
    /// Draw throughput and efficiency against ranks (from the whole report) as SVG.
    #[arg(long, value_name = "F.svg")]
    pub plot: Option<PathBuf>,
}
