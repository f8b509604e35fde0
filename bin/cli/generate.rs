//! `dpa generate`: a range of samples (or one rank's shard of it) to a file or stdout.
//! The flags become a checked plan; [`dpa::write::generate_to_with`] does the work.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use dpa::atomic::partial_path;
use dpa::write::{generate_to_with, Companion, Generation, WriteOptions};
use dpa::{id_range, split_range, FileMetadata, Format, Generator, Seeding, SeedingInfo};

use super::engine_args::{BatchArgs, EngineArgs};
use super::key_args::SeedingArgs;
use super::layout::{config_forms, with_layout, LayoutArg};
use super::output::{
    check_distinct, destination, is_stdout, not_binary_on_a_terminal, output_sidecar, Output,
};
use super::progress::records_bar;
use super::stats_file::write_statistics_to;
use crate::common::failure::{CmdResult, Failure};
use crate::common::range_args::RangeArgs;

/// Arguments of `dpa generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub seeding: SeedingArgs,
    /// Output format (default: from the output's extension; jsonl for stdout).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub format: Option<crate::common::format_arg::FormatArg>,
    /// Compression of a Parquet output's pages.
    #[arg(long, value_name = "CODEC", value_enum, default_value_t)]
    pub compression: crate::common::format_arg::CompressionArg,
    /// JSON layout: dpa's, or exactly the bytes of the reference's
    /// generate_augmentation_chain(n, config, save_path=...) (ids from 0, plain seeding).
    #[arg(long, value_name = "LAYOUT", value_enum, default_value_t)]
    pub layout: LayoutArg,
    /// Output path, or - for stdout.
    #[arg(short, long, value_name = "PATH", default_value = "-")]
    pub output: PathBuf,
    /// Do not compute statistics (and leave them out of JSON and binary output).
    #[arg(long)]
    pub no_stats: bool,
    /// Also write the statistics as JSON to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "no_stats")]
    pub stats: Option<PathBuf>,
    /// Continue an interrupted run from its PATH.partial file.
    #[arg(long)]
    pub resume: bool,
    /// Show a progress bar even when stderr is not a terminal.
    #[arg(long)]
    pub progress: bool,
    /// No summary and no progress bar on stderr.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Details on stderr after the summary: how the records were batched.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// The output format: `--format`, else the extension, else JSON Lines for stdout.
pub fn output_format(flag: Option<Format>, path: &Path) -> Result<Format, Failure> {
    if let Some(f) = flag {
        return Ok(f);
    }
    if is_stdout(path) {
        return Ok(Format::Jsonl);
    }
    Format::from_path(path).ok_or_else(|| {
        Failure::usage_msg(format!(
            "cannot tell the format of '{}' from its extension: use {}, or pass --format",
            path.display(),
            Format::extensions_list()
        ))
    })
}

/// What a run generates, checked before any file is touched.
struct Plan {
    generator: Arc<Generator>,
    seeding: Seeding,
    first: u64,
    count: u64,
    format: Format,
    meta: FileMetadata,
}

impl Plan {
    fn new(args: &GenerateArgs) -> Result<Plan, Failure> {
        let generator = Arc::new(crate::common::kernel::generator(
            args.range.config.resolve()?,
        )?);
        id_range(args.range.start_id, args.range.num_samples)?;
        if args.seeding.rank.is_some() && args.seeding.world_size.is_none() {
            return Err(Failure::usage_msg(
                "--rank needs --world-size: the range is split across that many ranks",
            ));
        }
        let keyed = args.seeding.key.seeding(args.seeding.rank.is_some())?;
        let (seeding, first, count) = match (args.seeding.rank, args.seeding.world_size) {
            _ if keyed.is_some() => (
                keyed.unwrap_or_default(),
                args.range.start_id,
                args.range.num_samples,
            ),
            (Some(rank), Some(world_size)) => {
                let shard = split_range(args.range.num_samples, world_size, rank)?;
                let seeding = Seeding::RankAware {
                    base_seed: args.seeding.base_seed.unwrap_or(0),
                    rank,
                };
                (
                    seeding,
                    args.range.start_id + shard.start,
                    shard.end - shard.start,
                )
            }
            _ => (Seeding::Plain, args.range.start_id, args.range.num_samples),
        };
        let format = output_format(args.format.map(Format::from), &args.output)?;
        let format = with_layout(format, args.layout)?;
        let mut meta = FileMetadata::for_config(generator.config().clone(), Some(count));
        if format == Format::ReferenceJson {
            if seeding != Seeding::Plain || first != 0 {
                return Err(Failure::usage_msg(
                    "--layout reference writes what the reference's generate_augmentation_chain writes: ids from 0 with plain seeding (its file has no place for --start-id or --rank)",
                ));
            }
            meta.config_forms = config_forms(&args.range.config, generator.config())?;
        }
        meta.start_id = Some(first);
        meta.compression = args.compression.into();
        meta.seeding = Some(SeedingInfo::new(seeding, args.seeding.world_size));
        if let (Seeding::RankAware { .. }, Some(_)) = (seeding, args.seeding.world_size) {
            meta.run = Some(dpa::formats::RunRange {
                start_id: args.range.start_id,
                num_samples: args.range.num_samples,
            });
        }
        Ok(Plan {
            generator,
            seeding,
            first,
            count,
            format,
            meta,
        })
    }
}

pub fn run(args: GenerateArgs) -> CmdResult {
    // Everything the user chose is checked before any file is touched.
    let plan = Plan::new(&args)?;
    let batch_config = args.batch.config()?;
    let engine = args.engine.build()?;
    if args.resume && is_stdout(&args.output) {
        return Err(Failure::usage_msg(
            "--resume needs an output file (-o PATH)",
        ));
    }
    check_outputs(&args, plan.format)?;
    note_parquet_resume(&args, plan.format);
    // The statistics file is claimed first, so that a bad --stats fails before the run.
    let stats_out = args.stats.as_deref().map(Output::open).transpose()?;

    let started = Instant::now();
    let what = Generation {
        engine: &engine,
        generator: &plan.generator,
        seeding: plan.seeding,
        ids: id_range(plan.first, plan.count)?,
    };
    let options = WriteOptions {
        format: plan.format,
        metadata: plan.meta.clone(),
        statistics: !args.no_stats,
        keep_partial: true,
        checksum: false,
    };
    let bar = records_bar(plan.count, args.progress, args.quiet);
    let mut progress = |done| bar.set_position(done);
    let destination = destination(&args.output)?;
    // A --stats file is committed with the output, in one group; on stdout it follows.
    let (companions, stats_stdout) = match stats_out {
        Some(Output::File(f)) if options.statistics => (vec![Companion::statistics_json(f)], None),
        other => (Vec::new(), other),
    };
    let done = generate_to_with(
        &what,
        destination,
        &options,
        args.resume,
        batch_config,
        &mut progress,
        companions,
    )
    .map_err(|e| with_resume_hint(e, &args.output))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    if let (Some(out), Some(s)) = (stats_stdout, &done.write.statistics) {
        write_statistics_to(out, s)?;
    }
    if !args.quiet {
        let name = if is_stdout(&args.output) {
            PathBuf::from("<stdout>")
        } else {
            args.output.clone()
        };
        print_summary(
            &args,
            &plan,
            done.write.resumed,
            seconds,
            engine.threads(),
            &name,
        );
        if args.verbose {
            eprintln!("dpa: batches: {}", done.metrics.summary());
            if let Some(path) = &done.write.write_path {
                eprintln!("dpa: written through {path}");
            }
        }
    }
    Ok(())
}

/// Says, before the run, that a Parquet file's partial file is written again whole.
fn note_parquet_resume(args: &GenerateArgs, format: Format) {
    let partial = partial_path(&args.output);
    if args.resume && format == Format::Parquet && partial.exists() && !args.quiet {
        eprintln!(
            "dpa: note: a Parquet file is resumed whole (its footer lists its row groups): {} is written again from its start",
            partial.display()
        );
    }
}

/// The outputs (records, a `.npy` sidecar, `--stats`) are distinct from one another
/// and from the inputs, and no binary records go to a terminal.
fn check_outputs(args: &GenerateArgs, format: Format) -> CmdResult {
    not_binary_on_a_terminal(&args.output, format)?;
    let mut outputs = vec![("--output", args.output.as_path())];
    let sidecar = output_sidecar(&args.output, format);
    if let Some(side) = &sidecar {
        outputs.push(("--output's sidecar", side.as_path()));
    }
    if let Some(stats) = &args.stats {
        outputs.push(("--stats", stats.as_path()));
    }
    check_distinct(&args.range.config.inputs(), &outputs)
}

/// A write error on the output, with where the records written so far are kept.
fn with_resume_hint(e: dpa::Error, output: &Path) -> Failure {
    let on_output = matches!(&e, dpa::Error::Io { path, .. } if path == output);
    let partial = partial_path(output);
    let parquet = Format::from_path(output) == Some(Format::Parquet);
    if is_stdout(output) || !on_output || !partial.is_file() || parquet {
        // Kept as it is: a closed pipe on stdout is still recognised as one.
        return Failure::from(e);
    }
    Failure::data(anyhow::anyhow!(
        "{e} (the records written so far are kept in {}; rerun with --resume to continue)",
        partial.display()
    ))
}

fn print_summary(
    args: &GenerateArgs,
    plan: &Plan,
    done: u64,
    seconds: f64,
    threads: usize,
    name: &Path,
) {
    let mode = match plan.seeding {
        Seeding::Plain => "plain seeding".to_string(),
        Seeding::RankAware { base_seed, rank } => format!(
            "rank {rank} of {}, base seed {base_seed}",
            args.seeding.world_size.unwrap_or(1)
        ),
        Seeding::Keyed { seed, epoch } => format!("seed {seed}, epoch {epoch}"),
    };
    let (count, first) = (plan.count, plan.first);
    let made = count - done;
    // A rate over a run this short measures start-up, not generation: none is given.
    let rate = match seconds >= 0.25 {
        true => format!(", {:.0} records/s", made as f64 / seconds),
        false => String::new(),
    };
    let ids = if count == 0 {
        "no ids".to_string()
    } else {
        format!("ids {first}..={}", first + (count - 1))
    };
    let resumed = if done > 0 {
        format!(", resumed after {done}")
    } else {
        String::new()
    };
    eprintln!(
        "dpa: wrote {count} records ({ids}, {mode}{resumed}) to {} ({}) in {seconds:.2} s{rate}, {threads} threads",
        name.display(),
        plan.format
    );
}
