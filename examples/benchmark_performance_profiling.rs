//! Profiling the stages of a generation job with the `Profiler`, then a counted
//! benchmark of the whole with the `BenchmarkRunner`.
//!
//! Run: `cargo run --release --example benchmark_performance_profiling`

use std::sync::Arc;

use dpa::bench::{to_markdown, BenchParameters, BenchReport, BenchmarkRunner, Profiler};
use dpa::formats::{write_record, RecordStyle};
use dpa::{Engine, Generator, Preset, Seeding, StatsAccumulator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new(Default::default())?;
    let generator = Arc::new(Generator::new(Preset::Moderate.config())?);
    let ids = dpa::id_range(0, 500_000)?;

    // Where does the time of one job go?
    let mut prof = Profiler::new();
    let records = prof.time("generate (engine)", || {
        engine.generate(&generator, Seeding::Plain, ids.clone())
    });
    let stats = prof.time("statistics", || {
        let mut acc = StatsAccumulator::new();
        acc.extend(&records);
        acc.finish()
    });
    let text = prof.time("encode jsonl", || {
        let mut s = String::with_capacity(records.len() * 250);
        for p in &records {
            write_record(p, RecordStyle::Compact, &mut s);
            s.push('\n');
        }
        s
    });
    println!("{}", prof.report());
    println!(
        "{} records, {:.1} MiB of JSON Lines, rotation mean {:.4}\n",
        records.len(),
        text.len() as f64 / 1048576.0,
        stats.rotation.mean
    );

    // The whole job, measured properly: warm-up, iterations, statistics, outliers.
    let runner = BenchmarkRunner {
        warmup: 1,
        iterations: 5,
    };
    let params = BenchParameters {
        threads: engine.threads(),
        samples: 500_000,
        strategy: None,
        extra: Default::default(),
    };
    let result = runner.run("generate+stats", params, || {
        let mut acc = StatsAccumulator::new();
        for p in engine.records(generator.clone(), Seeding::Plain, ids.clone()) {
            acc.push(&p);
        }
        std::hint::black_box(acc.finish());
    });
    println!("{}", to_markdown(&BenchReport::new(vec![result])));
    Ok(())
}
