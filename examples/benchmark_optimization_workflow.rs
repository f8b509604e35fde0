//! The optimisation loop: measure, change one setting (the chunk size), measure again,
//! compare, keep the better one, and check it against the first run as a baseline the
//! way a CI gate would.
//!
//! Run: `cargo run --release --example benchmark_optimization_workflow`

use std::sync::Arc;

use dpa::bench::{check_regressions, compare, BenchParameters, BenchReport, BenchmarkRunner};
use dpa::{Engine, EngineConfig, Generator, Preset, Seeding};

fn measure(
    chunk_size: usize,
    runner: &BenchmarkRunner,
    g: &Arc<Generator>,
) -> Result<dpa::bench::BenchResult, Box<dyn std::error::Error>> {
    let engine = Engine::new(EngineConfig {
        chunk_size,
        ..Default::default()
    })?;
    let n = 400_000;
    let mut extra = std::collections::BTreeMap::new();
    extra.insert("chunk_size".to_string(), chunk_size.into());
    let params = BenchParameters {
        threads: engine.threads(),
        samples: n,
        strategy: None,
        extra,
    };
    let ids = dpa::id_range(0, n)?;
    Ok(runner.run("stream", params, || {
        std::hint::black_box(
            engine
                .records(g.clone(), Seeding::Plain, ids.clone())
                .count(),
        );
    }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let g = Arc::new(Generator::new(Preset::Moderate.config())?);
    let runner = BenchmarkRunner {
        warmup: 1,
        iterations: 5,
    };
    // 1. Measure the current setting; keep it as the baseline.
    let mut best_chunk = 16_384;
    let mut best = measure(best_chunk, &runner, &g)?;
    let baseline = BenchReport::new(vec![best.clone()]);
    println!(
        "chunk {best_chunk:>6}: {:.0} samples/s (baseline)",
        best.throughput_samples_per_second
    );
    // 2. Try other settings, keep the better one.
    for chunk in [64, 1_024, 65_536] {
        let r = measure(chunk, &runner, &g)?;
        let c = compare(&best, std::slice::from_ref(&r));
        println!(
            "chunk {chunk:>6}: {:.0} samples/s ({:+.1}% against chunk {best_chunk})",
            r.throughput_samples_per_second, c.changes[0].throughput_pct
        );
        if r.throughput_samples_per_second > best.throughput_samples_per_second {
            best = r;
            best_chunk = chunk;
        }
    }
    println!("keeping chunk size {best_chunk}");
    // 3. Gate: the kept setting must not be more than 5% slower than the baseline.
    let (regressions, _) = check_regressions(&BenchReport::new(vec![best]), &baseline, 5.0);
    println!("regressions against the baseline: {}", regressions.len());
    Ok(())
}
