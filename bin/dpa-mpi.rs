//! `dpa-mpi`: distributed generation and scaling benchmarks over MPI.
#![deny(unsafe_code)]
//!
//! ```sh
//! mpirun -n 4 dpa-mpi generate -n 100000000 --output-dir out/
//! mpirun -n 4 dpa-mpi generate -n 100000000 -o params.npy
//! mpirun -n 2 dpa-mpi bench --scaling strong -n 10000000
//! ```
//!
//! Every rank parses and checks the arguments before MPI starts, so bad arguments end
//! every rank with exit code 2 and nothing written. A failure or a panic on any rank
//! calls `MPI_Abort`, which ends the whole job: no rank is left waiting.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use dpa::bench::{scaling_chart_svg, to_json, BenchParameters, BenchReport, BenchmarkRunner};
use dpa::distributed::{
    run_generate, Communicator, GenerateJob, GlobalSeeding, JobError, JobOutput, Manifest,
    MpiCommunicator, ReduceOp,
};
use dpa::{id_range, Engine, EngineConfig, Format, Generator, Seeding};
use mpi::traits::Communicator as _;
use mpi::Threading;

mod common;

use common::config_args::ConfigArgs;
use common::failure::{exit_code, Failure, DATA, USAGE};
use common::format_arg::FormatArg;
use common::limits::{MAX_IN_MEMORY, MAX_ITERATIONS};
use common::report::{load_report, write_text};

/// Distributed deterministic augmentation: each rank generates its shard.
#[derive(Debug, Parser)]
#[command(name = "dpa-mpi", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SeedingArg {
    /// The reference's distributed mode ("{base_seed}:{rank}:{id}").
    RankAware,
    /// Plain seeding: the same records whatever the number of ranks.
    Global,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scaling {
    /// Fixed total N, split across the ranks.
    Strong,
    /// N per rank.
    Weak,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate the shards of a range, one per rank, and a manifest at rank 0.
    Generate {
        #[command(flatten)]
        config: ConfigArgs,
        /// Samples in the whole run.
        #[arg(short = 'n', long = "num-samples", value_name = "N")]
        num_samples: u64,
        /// First sample id.
        #[arg(long, value_name = "S", default_value_t = 0)]
        start_id: u64,
        /// Base seed of rank-aware seeding.
        #[arg(long, value_name = "B", default_value_t = 0)]
        base_seed: u64,
        /// rank-aware (the reference's) or global (independent of the rank count).
        #[arg(long, value_enum, default_value = "rank-aware")]
        seeding: SeedingArg,
        /// Seed-and-epoch seeding ("S:E:id"): the values depend on (seed, epoch, id) only,
        /// the same for any number of ranks, and differ from epoch to epoch.
        #[arg(long, value_name = "S", conflicts_with_all = ["base_seed", "seeding"])]
        seed: Option<u64>,
        /// The epoch of seed-and-epoch seeding (with --seed; default 0).
        #[arg(long, value_name = "E", requires = "seed")]
        epoch: Option<u64>,
        /// Shard format (default jsonl); a shared --output is npy.
        #[arg(long, value_name = "FORMAT", value_enum)]
        format: Option<FormatArg>,
        /// Worker threads per rank (default: every core).
        #[arg(long, short = 't', value_name = "T")]
        threads: Option<usize>,
        /// Folder for the shards and manifest.json (created if missing).
        #[arg(
            long,
            value_name = "DIR",
            required_unless_present = "output",
            conflicts_with = "output"
        )]
        output_dir: Option<PathBuf>,
        /// One .npy file that every rank writes its rows into (and its sidecar,
        /// FILE.json): no shards, no merge. The folder must be shared by every node.
        #[arg(short, long, value_name = "FILE.npy")]
        output: Option<PathBuf>,
        /// Continue a job that was killed: shards already written are kept if their
        /// recorded SHA-256 checks out, partial shards and a partial shared file are
        /// continued after their verified part.
        #[arg(long)]
        resume: bool,
        /// No statistics in the shards and the manifest.
        #[arg(long)]
        no_stats: bool,
        /// No table on rank 0.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Strong or weak scaling across ranks, measured with MPI_Wtime after barriers.
    Bench {
        /// strong (fixed total) or weak (N per rank).
        #[arg(long, value_enum)]
        scaling: Scaling,
        #[command(flatten)]
        config: ConfigArgs,
        /// Samples: the total (strong) or per rank (weak).
        #[arg(
            short = 'n',
            long = "num-samples",
            value_name = "N",
            default_value_t = 2_000_000
        )]
        num_samples: u64,
        /// Worker threads per rank.
        #[arg(long, short = 't', value_name = "T", default_value_t = 1)]
        threads: usize,
        /// Measured iterations.
        #[arg(long, value_name = "I", default_value_t = 3)]
        iterations: usize,
        /// Write the report as JSON to F.
        #[arg(long, value_name = "F")]
        export_json: Option<PathBuf>,
        /// Add this run's result to the report already in --export-json (to collect
        /// runs with different rank counts).
        #[arg(long, requires = "export_json")]
        append: bool,
        /// Draw throughput and efficiency against ranks (from the whole report) as SVG.
        #[arg(long, value_name = "F.svg")]
        plot: Option<PathBuf>,
    },
}

/// The panic hook: a panic on any rank ends the whole job instead of leaving the other
/// ranks waiting in a collective. `MPI_Abort` is called when this thread may call MPI
/// (the main thread, or any thread at `MPI_THREAD_MULTIPLE`); otherwise the process
/// aborts, and `mpirun` ends the job when one of its processes dies.
fn abort_job(rank: usize, threading: Threading, info: &std::panic::PanicHookInfo<'_>) {
    eprintln!("dpa-mpi: rank {rank}: panic: {info}");
    let main_thread = std::thread::current().name() == Some("main");
    if main_thread || threading == Threading::Multiple {
        mpi::topology::SimpleCommunicator::world().abort(101);
    }
    std::process::abort();
}

fn abort_on_error<C: Communicator>(comm: &C, e: JobError) -> ! {
    let code = match e {
        JobError::Config(_) => USAGE,
        JobError::Data(_) => DATA,
        JobError::Peer { .. } => {
            // The failed rank prints its own message and aborts the job: give it the
            // time to, so that the message is the job's one line and its code the exit
            // code (MPI_Abort from here would end it first).
            std::thread::sleep(std::time::Duration::from_secs(5));
            comm.abort(DATA as i32)
        }
    };
    eprintln!("dpa-mpi: rank {}: error: {e}", comm.rank());
    comm.abort(code as i32)
}

fn print_manifest(m: &Manifest, output: &JobOutput) {
    let mut out = String::new();
    out.push_str(&format!(
        "{:>5} {:>14} {:>14} {:>12} {:>12} {:>9} {:>9} {:>9} {:>12} {:>8} host\n",
        "rank",
        "start",
        "end",
        "records",
        "resumed",
        "gen s",
        "write s",
        "total s",
        "records/s",
        "threads"
    ));
    for s in &m.shards {
        // Records this run wrote (a resumed job kept the others).
        let rate = if s.seconds.total > 0.0 {
            (s.records - s.resumed.min(s.records)) as f64 / s.seconds.total
        } else {
            0.0
        };
        out.push_str(&format!(
            "{:>5} {:>14} {:>14} {:>12} {:>12} {:>9.3} {:>9.3} {:>9.3} {:>12.0} {:>8} {}\n",
            s.rank,
            s.start,
            s.end,
            s.records,
            s.resumed,
            s.seconds.generate,
            s.seconds.write,
            s.seconds.total,
            rate,
            s.threads,
            s.host
        ));
    }
    let records: u64 = m.shards.iter().map(|s| s.records).sum();
    let resumed: u64 = m.shards.iter().map(|s| s.resumed).sum();
    let kept = match resumed {
        0 => String::new(),
        n => format!(" ({n} kept from the killed run)"),
    };
    out.push_str(&format!(
        "total: {records} records{kept} on {} ranks in {:.3} s ({:.0} records/s, slowest rank {}), {} seeding -> {}\n",
        m.world_size,
        m.total_seconds,
        m.aggregate_throughput,
        m.slowest_rank,
        m.seeding,
        match output {
            JobOutput::Shards(dir) => dir.join("manifest.json").display().to_string(),
            JobOutput::SharedNpy(path) => format!(
                "{} (sidecar {})",
                path.display(),
                dpa::formats::npy::sidecar_path(path).display()
            ),
        }
    ));
    let _ = std::io::stdout().write_all(out.as_bytes());
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { 0 });
        }
    };
    // Everything the user chose is checked on every rank before MPI starts.
    let prepared = match prepare(&cli.command) {
        Ok(p) => p,
        Err(f) => return exit_code("dpa-mpi", Err(f)),
    };
    // Rayon's worker threads never call MPI, but a panic on one of them must end the
    // job: MPI_Abort from that thread is allowed only at MPI_THREAD_MULTIPLE.
    let Some((universe, threading)) = mpi::initialize_with_threading(Threading::Multiple) else {
        eprintln!("dpa-mpi: error: MPI was already initialised");
        return ExitCode::from(DATA);
    };
    let comm = MpiCommunicator::new(universe.world());
    let rank = comm.rank();
    std::panic::set_hook(Box::new(move |info| abort_job(rank, threading, info)));
    match prepared {
        Prepared::Generate { job, quiet } => match run_generate(&comm, &job) {
            Ok(Some(manifest)) => {
                if !quiet {
                    print_manifest(&manifest, &job.output);
                }
            }
            Ok(None) => {}
            Err(e) => abort_on_error(&comm, e),
        },
        Prepared::Bench(b) => {
            if let Err(f) = run_bench(&comm, &b) {
                eprintln!("dpa-mpi: rank {rank}: error: {:#}", f.error);
                comm.abort(f.code as i32);
            }
        }
    }
    ExitCode::SUCCESS
}

enum Prepared {
    Generate { job: GenerateJob, quiet: bool },
    Bench(BenchJob),
}

struct BenchJob {
    scaling: Scaling,
    generator: Arc<Generator>,
    num_samples: u64,
    threads: usize,
    iterations: usize,
    export_json: Option<PathBuf>,
    append: bool,
    plot: Option<PathBuf>,
}

fn prepare(command: &Command) -> Result<Prepared, Failure> {
    match command {
        Command::Generate {
            config,
            num_samples,
            start_id,
            base_seed,
            seeding,
            seed,
            epoch,
            format,
            threads,
            output_dir,
            output,
            resume,
            no_stats,
            quiet,
        } => {
            let (output, format) = job_output(output_dir.as_deref(), output.as_deref(), *format)?;
            let job = GenerateJob {
                config: config.resolve()?,
                num_samples: *num_samples,
                start_id: *start_id,
                base_seed: seed.unwrap_or(*base_seed),
                epoch: epoch.unwrap_or(0),
                seeding: match (seed, seeding) {
                    (Some(_), _) => GlobalSeeding::Keyed,
                    (None, SeedingArg::RankAware) => GlobalSeeding::RankAware,
                    (None, SeedingArg::Global) => GlobalSeeding::Global,
                },
                format,
                threads: *threads,
                output,
                resume: *resume,
                with_stats: !no_stats,
                kernel: common::kernel::kernel()?,
            };
            job.validate()?;
            match &job.output {
                JobOutput::Shards(dir) => prepare_output_dir(dir)?,
                JobOutput::SharedNpy(path) => prepare_output_file(path)?,
            }
            Ok(Prepared::Generate { job, quiet: *quiet })
        }
        Command::Bench {
            scaling,
            config,
            num_samples,
            threads,
            iterations,
            export_json,
            append,
            plot,
        } => {
            check_bench_sizes(*threads, *iterations, *num_samples)?;
            Ok(Prepared::Bench(BenchJob {
                scaling: *scaling,
                generator: Arc::new(common::kernel::generator(config.resolve()?)?),
                num_samples: *num_samples,
                threads: *threads,
                iterations: *iterations,
                export_json: export_json.clone(),
                append: *append,
                plot: plot.clone(),
            }))
        }
    }
}

/// Where the job writes, from the flags: shards in a folder (default format jsonl), or
/// one shared file (npy only).
fn job_output(
    dir: Option<&std::path::Path>,
    file: Option<&std::path::Path>,
    format: Option<FormatArg>,
) -> Result<(JobOutput, Format), Failure> {
    match (dir, file) {
        (Some(dir), _) => Ok((
            JobOutput::Shards(dir.to_path_buf()),
            format.map_or(Format::Jsonl, Format::from),
        )),
        (None, Some(file)) => match format.map_or(Format::Npy, Format::from) {
            Format::Npy => Ok((JobOutput::SharedNpy(file.to_path_buf()), Format::Npy)),
            other => Err(Failure::usage_msg(format!(
                "--output writes one file that every rank writes its rows into: a .npy file (--format npy), not {other}; use --output-dir for shards of other formats"
            ))),
        },
        (None, None) => Err(Failure::usage_msg("pass --output-dir DIR or --output FILE.npy")),
    }
}

/// A shared output file: its folder is created if missing; a folder (or its sidecar's
/// name being one) is refused.
fn prepare_output_file(path: &std::path::Path) -> Result<(), Failure> {
    let sidecar = dpa::formats::npy::sidecar_path(path);
    for p in [path, sidecar.as_path()] {
        if p.is_dir() {
            return Err(Failure::usage_msg(format!(
                "--output {}: is a folder",
                p.display()
            )));
        }
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => prepare_output_dir(dir),
        _ => Ok(()),
    }
}

/// The output folder: created if missing; a path that is not a folder is refused.
fn prepare_output_dir(dir: &std::path::Path) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::usage_msg(format!(
            "--output-dir {}: not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::data(dpa::Error::io(dir, e)))?;
    Ok(())
}

/// Refuses benchmark sizes beyond their caps, naming the flag.
fn check_bench_sizes(threads: usize, iterations: usize, num_samples: u64) -> Result<(), Failure> {
    let max_threads = dpa::engine::MAX_THREADS;
    if !(1..=max_threads).contains(&threads) {
        return Err(Failure::usage_msg(format!(
            "--threads: must be between 1 and {max_threads}, got {threads}"
        )));
    }
    if !(1..=MAX_ITERATIONS).contains(&iterations) {
        return Err(Failure::usage_msg(format!(
            "--iterations: must be between 1 and {MAX_ITERATIONS}, got {iterations}"
        )));
    }
    id_range(0, num_samples)?;
    if num_samples > MAX_IN_MEMORY {
        return Err(Failure::usage_msg(format!(
            "--num-samples: each rank holds its samples in memory: at most {MAX_IN_MEMORY}, got {num_samples}"
        )));
    }
    Ok(())
}

/// Times `work` on every rank after a barrier, `iterations` times; returns each
/// iteration's time of the slowest rank and this rank's own times.
fn timed<C: Communicator>(
    comm: &C,
    iterations: usize,
    mut work: impl FnMut(),
) -> (Vec<f64>, Vec<f64>) {
    let mut slowest = Vec::new();
    let mut own = Vec::new();
    for _ in 0..iterations {
        comm.barrier();
        let t = comm.wtime();
        work();
        let mut dt = [comm.wtime() - t];
        own.push(dt[0]);
        comm.all_reduce_f64(&mut dt, ReduceOp::Max);
        slowest.push(dt[0]);
    }
    (slowest, own)
}

fn run_bench<C: Communicator>(comm: &C, b: &BenchJob) -> Result<(), Failure> {
    let p = comm.size() as u64;
    let rank = comm.rank() as u64;
    let engine = Engine::new(EngineConfig {
        threads: Some(b.threads),
        ..Default::default()
    })?;
    let total = match b.scaling {
        Scaling::Strong => b.num_samples,
        Scaling::Weak => b.num_samples.saturating_mul(p),
    };
    let shard = dpa::split_range(total, p, rank)?;
    let ids = id_range(shard.start, shard.end - shard.start)?;
    let (slowest, own) = timed(comm, b.iterations, || {
        std::hint::black_box(engine.generate(&b.generator, Seeding::Plain, ids.clone()));
    });
    // Per-rank throughput, gathered to the root.
    let own_median = dpa::bench::TimeStats::from_samples(&own).map_or(0.0, |s| s.median);
    let rate = if own_median > 0.0 {
        (shard.end - shard.start) as f64 / own_median
    } else {
        0.0
    };
    let rates = comm.gather_bytes(0, &rate.to_le_bytes());
    let t1 = if rank == 0 {
        one_rank_time(comm, &engine, b)?
    } else {
        0.0
    };
    comm.barrier();
    let Some(rates) = rates else { return Ok(()) };
    let per_rank: Vec<f64> = rates
        .iter()
        .map(|r| f64::from_le_bytes(r[..8].try_into().unwrap_or([0; 8])))
        .collect();
    let mode = match b.scaling {
        Scaling::Strong => "strong",
        Scaling::Weak => "weak",
    };
    let mut extra = std::collections::BTreeMap::new();
    extra.insert("ranks".to_string(), p.into());
    extra.insert("scaling".to_string(), mode.into());
    extra.insert(
        "per_rank_throughput".to_string(),
        serde_json::json!(per_rank),
    );
    extra.insert("t1_seconds".to_string(), serde_json::json!(t1));
    let params = BenchParameters {
        threads: b.threads,
        samples: total,
        strategy: None,
        extra,
    };
    let runner = BenchmarkRunner {
        warmup: 0,
        iterations: b.iterations,
    };
    let mut result = runner.result_from_times(&format!("mpi-{mode}/ranks={p}"), params, &slowest);
    let tp = result.time_seconds.median;
    if tp > 0.0 {
        result.efficiency = Some(match b.scaling {
            Scaling::Strong => t1 / (p as f64 * tp),
            Scaling::Weak => t1 / tp,
        });
    }
    println!(
        "{mode} scaling, {p} ranks x {} threads: {total} samples in {tp:.4} s (median of {}), aggregate {:.0} samples/s, per rank {:?}, T1 {t1:.4} s, efficiency {:.2}",
        b.threads,
        b.iterations,
        result.throughput_samples_per_second,
        per_rank.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>(),
        result.efficiency.unwrap_or(0.0)
    );
    export_report(b, BenchReport::new(vec![result]))
}

/// T1: rank 0 alone does the work of one rank of a 1-rank run (the others wait).
fn one_rank_time<C: Communicator>(comm: &C, engine: &Engine, b: &BenchJob) -> Result<f64, Failure> {
    let ids = id_range(0, b.num_samples)?;
    let mut times = Vec::new();
    for _ in 0..b.iterations {
        let t = comm.wtime();
        std::hint::black_box(engine.generate(&b.generator, Seeding::Plain, ids.clone()));
        times.push(comm.wtime() - t);
    }
    Ok(dpa::bench::TimeStats::from_samples(&times).map_or(0.0, |s| s.median))
}

/// Writes the report (added to an earlier one with `--append`) and the chart.
fn export_report(b: &BenchJob, mut report: BenchReport) -> Result<(), Failure> {
    if let Some(path) = &b.export_json {
        if b.append && path.exists() {
            let mut results = load_report(path)?.results;
            results.retain(|r| r.name != report.results[0].name);
            results.append(&mut report.results);
            results.sort_by_key(|r| r.parameters.workers());
            report.results = results;
        }
        write_text(path, &to_json(&report))?;
    }
    if let Some(path) = &b.plot {
        let svg = scaling_chart_svg(&report, "ranks").map_err(Failure::usage_msg)?;
        write_text(path, &svg)?;
    }
    Ok(())
}
