//! `dpa bench`: measured runs of the engine, reports, baselines and scaling charts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use dpa::bench::{
    check_regressions, compare, scaling_chart_svg, to_csv, to_json, to_markdown, BenchParameters,
    BenchReport, BenchResult, BenchmarkRunner,
};
use dpa::engine::MAX_THREADS;
use dpa::formats::{write_record, RecordStyle};
use dpa::{id_range, Batcher, Engine, EngineConfig, Generator, Seeding, StatsAccumulator};

use super::engine_args::BatchArgs;
use super::output::{check_distinct, is_stdout};
use super::progress::records_bar;
use crate::common::config_args::ConfigArgs;
use crate::common::failure::{CmdResult, Failure};
use crate::common::limits::{MAX_IN_MEMORY, MAX_ITERATIONS};
use crate::common::report::{load_report, write_text};

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchKind {
    /// Generate N samples into memory (the kernel and the engine).
    Generation,
    /// Stream N samples in id order through statistics, constant memory.
    Streaming,
    /// Stream N samples through a batching strategy and encode each batch as JSON Lines.
    Batch,
    /// Generation at each thread count, with speed-up and parallel efficiency.
    Scaling,
}

/// Arguments of `dpa bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// generation, streaming, batch or scaling.
    #[arg(value_enum)]
    pub kind: BenchKind,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Samples per iteration.
    #[arg(
        short = 'n',
        long = "num-samples",
        value_name = "N",
        default_value_t = 1_000_000
    )]
    pub num_samples: u64,
    /// Thread counts: one (2) or a list (1,2); default all cores (scaling: 1 to all cores).
    #[arg(long, short = 't', value_name = "T[,T...]", value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Measured iterations.
    #[arg(long, value_name = "I", default_value_t = 5)]
    pub iterations: usize,
    /// Unmeasured warm-up iterations.
    #[arg(long, value_name = "W", default_value_t = 1)]
    pub warmup: usize,
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Write the report as JSON (the baseline format) to F (- for stdout).
    #[arg(long, value_name = "F")]
    pub export_json: Option<PathBuf>,
    /// Write the report as a Markdown table to F.
    #[arg(long, value_name = "F")]
    pub export_markdown: Option<PathBuf>,
    /// Write the report as CSV to F.
    #[arg(long, value_name = "F")]
    pub export_csv: Option<PathBuf>,
    /// Compare with a saved JSON report; exit 1 on a regression.
    #[arg(long, value_name = "F")]
    pub baseline: Option<PathBuf>,
    /// Largest throughput drop against the baseline that is not a regression, in percent.
    #[arg(
        long,
        value_name = "PCT",
        default_value_t = 10.0,
        requires = "baseline"
    )]
    pub max_regression: f64,
    /// Draw throughput and efficiency against threads as an SVG chart.
    #[arg(long, value_name = "F.svg")]
    pub plot: Option<PathBuf>,
    /// Show progress even when stderr is not a terminal.
    #[arg(long)]
    pub progress: bool,
}

/// Refuses sizes that would loop for ever or allocate without bound, naming the flag.
fn check_sizes(args: &BenchArgs) -> CmdResult {
    if !(1..=MAX_ITERATIONS).contains(&args.iterations) {
        return Err(Failure::usage_msg(format!(
            "--iterations: must be between 1 and {MAX_ITERATIONS}, got {}",
            args.iterations
        )));
    }
    if args.warmup > MAX_ITERATIONS {
        return Err(Failure::usage_msg(format!(
            "--warmup: must be at most {MAX_ITERATIONS}, got {}",
            args.warmup
        )));
    }
    let in_memory = matches!(args.kind, BenchKind::Generation | BenchKind::Scaling);
    if in_memory && args.num_samples > MAX_IN_MEMORY {
        return Err(Failure::usage_msg(format!(
            "--num-samples: generation and scaling hold every record in memory: at most {MAX_IN_MEMORY} (bench streaming takes any N), got {}",
            args.num_samples
        )));
    }
    if !(0.0..=100.0).contains(&args.max_regression) {
        return Err(Failure::usage_msg(format!(
            "--max-regression: a percentage from 0 to 100, got {}",
            args.max_regression
        )));
    }
    Ok(())
}

pub fn run(args: BenchArgs) -> CmdResult {
    let config = args.config.resolve()?;
    let generator = Arc::new(crate::common::kernel::generator(config.clone())?);
    let ids = id_range(0, args.num_samples)?;
    let batch_config = args.batch.config()?;
    check_sizes(&args)?;
    let threads = thread_counts(&args)?;
    check_report_paths(&args)?;
    let baseline = args.baseline.as_deref().map(load_report).transpose()?;

    let runs = (args.warmup + args.iterations) as u64 * threads.len() as u64;
    let bar = records_bar(runs, args.progress, false);
    let bench = Bench {
        args: &args,
        generator: &generator,
        ids,
        batch_config,
        bar: &bar,
    };
    let results = threads
        .iter()
        .map(|&t| bench.measure(t))
        .collect::<Result<Vec<_>, _>>()?;
    bar.finish_and_clear();
    let mut report = BenchReport::new(results);
    if args.kind == BenchKind::Scaling {
        report.compute_efficiency();
    }
    // The readable report, unless JSON goes to stdout.
    let json_to_stdout = args.export_json.as_deref().is_some_and(is_stdout);
    let mut text = if json_to_stdout {
        String::new()
    } else {
        summary_text(&report)
    };
    let mut regressions = Vec::new();
    if let (Some(base), Some(path)) = (&baseline, &args.baseline) {
        let (found, unmatched) = check_regressions(&report, base, args.max_regression);
        let gate = gate_text(&report, base, path, args.max_regression, &unmatched);
        if json_to_stdout {
            eprint!("{gate}");
        } else {
            text.push_str(&gate);
        }
        regressions = found;
    }
    if !text.is_empty() {
        write_text(Path::new("-"), &text)?;
    }
    export(&args, &report)?;
    if !regressions.is_empty() {
        let names: Vec<String> = regressions
            .iter()
            .map(|r| format!("{} ({:+.1}%)", r.name, r.change_pct))
            .collect();
        return Err(Failure::data(anyhow::anyhow!(
            "throughput regression beyond {}%: {}",
            args.max_regression,
            names.join(", ")
        )));
    }
    Ok(())
}

/// The thread counts to measure: `--threads`, else every core (scaling: 1 to every core).
fn thread_counts(args: &BenchArgs) -> Result<Vec<usize>, Failure> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: Vec<usize> = if !args.threads.is_empty() {
        args.threads.clone()
    } else if args.kind == BenchKind::Scaling {
        (1..=cores).collect()
    } else {
        vec![cores]
    };
    if let Some(bad) = threads.iter().find(|t| !(1..=MAX_THREADS).contains(*t)) {
        return Err(Failure::usage_msg(format!(
            "--threads: must be between 1 and {MAX_THREADS}, got {bad}"
        )));
    }
    Ok(threads)
}

/// The report files must not be the baseline, nor one another.
fn check_report_paths(args: &BenchArgs) -> CmdResult {
    let inputs: Vec<(&str, &Path)> = args
        .baseline
        .iter()
        .map(|p| ("--baseline", p.as_path()))
        .chain(args.config.inputs())
        .collect();
    let outputs: Vec<(&str, &Path)> = [
        ("--export-json", &args.export_json),
        ("--export-markdown", &args.export_markdown),
        ("--export-csv", &args.export_csv),
        ("--plot", &args.plot),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
    .collect();
    check_distinct(&inputs, &outputs)
}

/// One benchmark, measured at each thread count.
struct Bench<'a> {
    args: &'a BenchArgs,
    generator: &'a Arc<Generator>,
    ids: dpa::IdRange,
    batch_config: dpa::BatchConfig,
    bar: &'a indicatif::ProgressBar,
}

impl Bench<'_> {
    fn measure(&self, t: usize) -> Result<BenchResult, Failure> {
        let args = self.args;
        let engine = Engine::new(EngineConfig {
            threads: Some(t),
            ..Default::default()
        })?;
        let mut extra = std::collections::BTreeMap::new();
        let depth = self.generator.config().augmentation_depth;
        extra.insert("depth".to_string(), depth.into());
        extra.insert(
            "kernel".to_string(),
            self.generator.kernel().to_string().into(),
        );
        let strategy =
            (args.kind == BenchKind::Batch).then(|| self.batch_config.strategy.to_string());
        let kind_name = format!("{:?}", args.kind).to_lowercase();
        let name = match &strategy {
            Some(s) => format!("{kind_name}/{s}/threads={t}"),
            None => format!("{kind_name}/threads={t}"),
        };
        let params = BenchParameters {
            threads: t,
            samples: args.num_samples,
            strategy,
            extra,
        };
        let runner = BenchmarkRunner {
            warmup: args.warmup,
            iterations: args.iterations,
        };
        Ok(match args.kind {
            BenchKind::Generation | BenchKind::Scaling => runner.run(&name, params, || {
                let v = engine.generate(self.generator, Seeding::Plain, self.ids.clone());
                std::hint::black_box(&v);
                self.bar.inc(1);
            }),
            BenchKind::Streaming => runner.run(&name, params, || self.stream(&engine)),
            BenchKind::Batch => runner.run(&name, params, || self.batch(&engine)),
        })
    }

    /// Streams the range through statistics.
    fn stream(&self, engine: &Engine) {
        let mut stats = StatsAccumulator::new();
        let records = engine.records(self.generator.clone(), Seeding::Plain, self.ids.clone());
        for p in records {
            stats.push(&p);
        }
        std::hint::black_box(stats.finish());
        self.bar.inc(1);
    }

    /// Streams the range through the batching strategy, encoding each batch as JSON
    /// Lines (the batch config was validated before).
    fn batch(&self, engine: &Engine) {
        let records = engine.records(self.generator.clone(), Seeding::Plain, self.ids.clone());
        if let Ok(mut batcher) = Batcher::new(records, self.batch_config) {
            let mut text = String::new();
            while let Some(batch) = batcher.next() {
                text.clear();
                for p in &batch.records {
                    write_record(p, RecordStyle::Compact, &mut text);
                    text.push('\n');
                }
                batcher.observe_encoded_bytes(batch.records.len(), text.len());
                std::hint::black_box(&text);
            }
        }
        self.bar.inc(1);
    }
}

/// The Markdown table, and the comparison of each result with the first.
fn summary_text(report: &BenchReport) -> String {
    let mut text = to_markdown(report);
    if report.results.len() > 1 {
        let cmp = compare(&report.results[0], &report.results[1..]);
        text.push('\n');
        for c in &cmp.changes {
            text.push_str(&format!(
                "{} against {}: throughput {:+.1}%, latency {:+.1}%{}\n",
                c.name,
                cmp.baseline,
                c.throughput_pct,
                c.latency_pct,
                c.memory_pct
                    .map_or(String::new(), |m| format!(", memory {m:+.1}%"))
            ));
        }
        for r in &cmp.recommendations {
            text.push_str(&format!("recommendation: {r}\n"));
        }
    }
    text
}

/// Each result against its baseline, regressions marked.
fn gate_text(
    report: &BenchReport,
    base: &BenchReport,
    path: &Path,
    max_regression: f64,
    unmatched: &[String],
) -> String {
    let mut gate = format!(
        "\nagainst baseline {} (dpa {}, max regression {}%):\n",
        path.display(),
        base.dpa_version,
        max_regression
    );
    for r in &report.results {
        if let Some(b) = base.results.iter().find(|b| b.name == r.name) {
            let change =
                (r.throughput_samples_per_second / b.throughput_samples_per_second - 1.0) * 100.0;
            let mark = if change < -max_regression {
                "  REGRESSION"
            } else {
                ""
            };
            gate.push_str(&format!(
                "  {}: {:.0} -> {:.0} samples/s ({change:+.1}%){mark}\n",
                r.name, b.throughput_samples_per_second, r.throughput_samples_per_second,
            ));
        }
    }
    for name in unmatched {
        gate.push_str(&format!("  {name}: not in the baseline, not compared\n"));
    }
    gate
}

/// Writes the report files asked for.
fn export(args: &BenchArgs, report: &BenchReport) -> CmdResult {
    if let Some(p) = &args.export_json {
        write_text(p, &to_json(report))?;
    }
    if let Some(p) = &args.export_markdown {
        write_text(p, &to_markdown(report))?;
    }
    if let Some(p) = &args.export_csv {
        write_text(p, &to_csv(report))?;
    }
    if let Some(p) = &args.plot {
        let svg = scaling_chart_svg(report, "threads").map_err(Failure::usage_msg)?;
        write_text(p, &svg)?;
    }
    Ok(())
}
