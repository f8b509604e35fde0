//! Finding a good batch size: fixed sizes against the adaptive strategy, measured on the
//! same workload (generate, encode as JSON Lines).
//!
//! Run: `cargo run --release --example batch_performance_optimization`

use std::sync::Arc;
use std::time::Instant;

use dpa::formats::{write_record, RecordStyle};
use dpa::{BatchConfig, BatchStrategy, Batcher, Engine, Generator, Preset, Seeding};

fn run(
    engine: &Engine,
    g: &Arc<Generator>,
    config: BatchConfig,
) -> Result<(f64, String), Box<dyn std::error::Error>> {
    let records = engine.records(g.clone(), Seeding::Plain, dpa::id_range(0, 300_000)?);
    let mut batcher = Batcher::new(records, config)?;
    let started = Instant::now();
    let mut text = String::new();
    let mut bytes = 0usize;
    while let Some(batch) = batcher.next() {
        text.clear();
        for p in &batch.records {
            write_record(p, RecordStyle::Compact, &mut text);
            text.push('\n');
        }
        bytes += text.len();
        batcher.observe_encoded_bytes(batch.records.len(), text.len());
    }
    let rate = 300_000.0 / started.elapsed().as_secs_f64();
    std::hint::black_box(bytes);
    Ok((rate, batcher.metrics().summary()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new(Default::default())?;
    let g = Arc::new(Generator::new(Preset::Moderate.config())?);
    let mut best = (0.0, String::new());
    for size in [64, 1_024, 16_384] {
        let cfg = BatchConfig {
            strategy: BatchStrategy::Sequential,
            batch_size: size,
            min_batch_size: 1,
            ..Default::default()
        };
        let (rate, summary) = run(&engine, &g, cfg)?;
        println!("sequential {size:>6}: {rate:>9.0} records/s   {summary}");
        if rate > best.0 {
            best = (rate, format!("sequential, batch size {size}"));
        }
    }
    let cfg = BatchConfig {
        strategy: BatchStrategy::Adaptive,
        batch_size: 256,
        min_batch_size: 64,
        ..Default::default()
    };
    let (rate, summary) = run(&engine, &g, cfg)?;
    println!("adaptive from 256: {rate:>9.0} records/s   {summary}");
    if rate > best.0 {
        best = (rate, "adaptive".into());
    }
    println!("best here: {} ({:.0} records/s); generation dominates, so batch size matters little above ~1k", best.1, best.0);
    Ok(())
}
