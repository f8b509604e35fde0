//! `dpa-mpi bench`: strong and weak scaling across ranks, measured with `MPI_Wtime`
//! after barriers; rank 0 reports and exports.

use std::path::PathBuf;
use std::sync::Arc;

use dpa::bench::{scaling_chart_svg, to_json, BenchParameters, BenchReport, BenchmarkRunner};
use dpa::distributed::{Communicator, ReduceOp};
use dpa::{id_range, Engine, EngineConfig, Generator, Seeding};

use super::args::{BenchArgs, Scaling};
use crate::common::failure::Failure;
use crate::common::limits::{MAX_IN_MEMORY, MAX_ITERATIONS};
use crate::common::report::{load_report, write_text};

/// A checked benchmark.
pub struct BenchJob {
    scaling: Scaling,
    generator: Arc<Generator>,
    num_samples: u64,
    threads: usize,
    iterations: usize,
    export_json: Option<PathBuf>,
    append: bool,
    plot: Option<PathBuf>,
}

/// The benchmark from the flags, checked before MPI starts.
pub fn prepare(a: &BenchArgs) -> Result<BenchJob, Failure> {
    check_bench_sizes(a.threads, a.iterations, a.num_samples)?;
    Ok(BenchJob {
        scaling: a.scaling,
        generator: Arc::new(crate::common::kernel::generator(a.config.resolve()?)?),
        num_samples: a.num_samples,
        threads: a.threads,
        iterations: a.iterations,
        export_json: a.export_json.clone(),
        append: a.append,
        plot: a.plot.clone(),
    })
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

/// Runs the benchmark on this rank; rank 0 prints and exports the report.
pub fn run_bench<C: Communicator>(comm: &C, b: &BenchJob) -> Result<(), Failure> {
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
