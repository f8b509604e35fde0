//! `dpa`: generate, look up, split and summarise deterministic augmentation parameters.
#![deny(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;
mod common;

use common::failure::{exit_code, Failure, USAGE};

/// Deterministic Procedural Augmentation: augmentation parameters that are the same
/// for the same sample on every machine, bit for bit equal to DPA 0.2.1 (Python).
#[derive(Debug, Parser)]
#[command(name = "dpa", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate the parameters of a range of samples (or one rank's shard) to a file.
    Generate(cli::generate::GenerateArgs),
    /// Print the parameters of given sample ids, one JSON line each.
    Params(cli::params_cmd::ParamsArgs),
    /// Print the range of sample positions each rank owns.
    Split(cli::split_cmd::SplitArgs),
    // Print the statistics of a saved file (any format dpa reads).
    #[command(about = format!("Print the statistics of a saved file ({})", dpa::Format::names_list("or")))]
    Stats(cli::stats_cmd::StatsArgs),
    /// List the presets and their values.
    Presets(cli::presets_cmd::PresetsArgs),
    // Convert a file between the formats, losslessly.
    #[command(about = format!("Convert a file between {}, losslessly", dpa::Format::names_list("and")))]
    Convert(cli::convert_cmd::ConvertArgs),
    /// Recompute every record of a file and report the first mismatch.
    Verify(cli::verify_cmd::VerifyArgs),
    /// Check the shards of a dpa-mpi run and concatenate them in rank order.
    Merge(cli::merge_cmd::MergeArgs),
    /// Benchmark generation, streaming, batching or thread scaling.
    Bench(cli::bench_cmd::BenchArgs),
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Generate(a) => cli::generate::run(a),
        Command::Params(a) => cli::params_cmd::run(a),
        Command::Split(a) => cli::split_cmd::run(a),
        Command::Stats(a) => cli::stats_cmd::run(a),
        Command::Presets(a) => cli::presets_cmd::run(a),
        Command::Convert(a) => cli::convert_cmd::run(a),
        Command::Verify(a) => cli::verify_cmd::run(a),
        Command::Bench(a) => cli::bench_cmd::run(a),
        Command::Merge(a) => cli::merge_cmd::run(a),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version go to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    exit_code("dpa", run(cli))
}
