//! `dpa generate`: a range of samples (or one rank's shard of it) to a file or stdout.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use dpa::{
    id_range, split_range, FileMetadata, Format, Generator, JsonWriter, JsonlWriter, RecordSink,
    Seeding, SeedingInfo, StatsAccumulator,
};

use super::config_args::ConfigArgs;
use super::failure::{CmdResult, Failure};
use super::output::{is_stdout, Output};
use super::stats_file::write_statistics;

/// Arguments of `dpa generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Number of samples (the whole range; with --rank, split across --world-size ranks).
    #[arg(short = 'n', long = "num-samples", value_name = "N")]
    pub num_samples: u64,
    /// First sample id.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub start_id: u64,
    /// Generate only this rank's shard, with rank-aware seeding.
    #[arg(long, value_name = "R", requires = "world_size")]
    pub rank: Option<u64>,
    /// Number of ranks the range is split across (with --rank).
    #[arg(long, value_name = "W", requires = "rank")]
    pub world_size: Option<u64>,
    /// Base seed of rank-aware seeding (with --rank; default 0).
    #[arg(long, value_name = "B", requires = "rank")]
    pub base_seed: Option<u64>,
    /// Output format (default: from the output's extension; jsonl for stdout).
    #[arg(long, value_name = "FORMAT", value_parser = ["json", "jsonl"])]
    pub format: Option<String>,
    /// Output path, or - for stdout.
    #[arg(short, long, value_name = "PATH", default_value = "-")]
    pub output: PathBuf,
    /// Do not compute statistics (and leave them out of JSON output).
    #[arg(long)]
    pub no_stats: bool,
    /// Also write the statistics as JSON to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "no_stats")]
    pub stats: Option<PathBuf>,
    /// No summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The output format: `--format`, else the extension, else JSONL for stdout.
pub fn output_format(flag: Option<&str>, path: &Path) -> Result<Format, Failure> {
    if let Some(f) = flag {
        return f.parse().map_err(Failure::usage_msg);
    }
    if is_stdout(path) {
        return Ok(Format::Jsonl);
    }
    Format::from_path(path).ok_or_else(|| {
        Failure::usage_msg(format!(
            "cannot tell the format of '{}' from its extension: use .json or .jsonl, or pass --format",
            path.display()
        ))
    })
}

pub fn run(args: GenerateArgs) -> CmdResult {
    let generator = Generator::new(args.config.resolve()?)?;
    // The whole range must be valid even when only a shard of it is generated.
    id_range(args.start_id, args.num_samples)?;
    let (seeding, first, count) = match (args.rank, args.world_size) {
        (Some(rank), Some(world_size)) => {
            let shard = split_range(args.num_samples, world_size, rank)?;
            let seeding = Seeding::RankAware {
                base_seed: args.base_seed.unwrap_or(0),
                rank,
            };
            (
                seeding,
                args.start_id + shard.start,
                shard.end - shard.start,
            )
        }
        _ => (Seeding::Plain, args.start_id, args.num_samples),
    };
    let ids = id_range(first, count)?;
    let format = output_format(args.format.as_deref(), &args.output)?;
    if let Some(stats) = &args.stats {
        if stats == &args.output {
            return Err(Failure::usage_msg(
                "--stats and --output must be different files",
            ));
        }
    }

    let started = Instant::now();
    let out = Output::open(&args.output)?;
    let name = out.name();
    let mut stats = (!args.no_stats).then(StatsAccumulator::new);
    let write_err = |e: std::io::Error| Failure::from(dpa::Error::io(&name, e));
    let out = match format {
        Format::Jsonl => {
            let mut sink = JsonlWriter::new(out);
            for id in ids {
                let p = generator.generate(seeding, id);
                if let Some(s) = stats.as_mut() {
                    s.push(&p);
                }
                sink.write_record(&p).map_err(write_err)?;
            }
            sink.finish(None).map_err(write_err)?
        }
        Format::Json => {
            let mut meta = FileMetadata::for_config(generator.config().clone(), Some(count));
            meta.start_id = Some(first);
            meta.seeding = Some(SeedingInfo::new(seeding, args.world_size));
            let mut sink = JsonWriter::new(out, &meta).map_err(write_err)?;
            for id in ids {
                let p = generator.generate(seeding, id);
                if let Some(s) = stats.as_mut() {
                    s.push(&p);
                }
                sink.write_record(&p).map_err(write_err)?;
            }
            let finished = stats.as_ref().map(StatsAccumulator::finish);
            sink.finish(finished.as_ref()).map_err(write_err)?
        }
    };
    out.finish()?;
    let seconds = started.elapsed().as_secs_f64();

    if let (Some(path), Some(acc)) = (&args.stats, &stats) {
        write_statistics(path, &acc.finish())
            .with_context(|| format!("writing statistics to {}", path.display()))
            .map_err(Failure::data)?;
    }
    if !args.quiet {
        let mode = match seeding {
            Seeding::Plain => "plain seeding".to_string(),
            Seeding::RankAware { base_seed, rank } => format!(
                "rank {rank} of {}, base seed {base_seed}",
                args.world_size.unwrap_or(1)
            ),
        };
        let rate = if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        };
        let ids = if count == 0 {
            "no ids".to_string()
        } else {
            format!("ids {first}..={}", first + (count - 1))
        };
        eprintln!(
            "dpa: generated {count} records ({ids}, {mode}) in {seconds:.3} s, {rate:.0} records/s -> {} ({format})",
            name.display()
        );
    }
    Ok(())
}
