//! Streaming a large dataset with constant memory: records come from the parallel engine
//! in id order, statistics accumulate as they pass, nothing is kept.
//!
//! Run: `cargo run --release --example streaming_large_dataset [N]` (default 2,000,000)

use std::sync::Arc;
use std::time::Instant;

use dpa::{Engine, EngineConfig, Generator, Preset, Seeding, StatsAccumulator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 2_000_000,
    };
    let engine = Engine::new(EngineConfig {
        chunk_size: 8_192,
        in_flight: 8,
        ..Default::default()
    })?;
    let generator = Arc::new(Generator::new(Preset::Aggressive.config())?);
    let started = Instant::now();
    let mut stats = StatsAccumulator::new();
    let mut last_id = None;
    for p in engine.records(generator, Seeding::Plain, dpa::id_range(0, n)?) {
        // Records arrive in id order, whatever the threads do.
        assert_eq!(p.sample_id, last_id.map_or(0, |l| l + 1));
        last_id = Some(p.sample_id);
        stats.push(&p);
    }
    let secs = started.elapsed().as_secs_f64();
    let s = stats.finish();
    println!(
        "{n} records on {} threads in {secs:.2} s ({:.0} records/s); at most {} chunks of 8192 records in memory",
        engine.threads(),
        n as f64 / secs,
        engine.config().in_flight
    );
    println!(
        "rotation: mean {:.4}, stdev {:.4}, min {:.4}, max {:.4}",
        s.rotation.mean, s.rotation.stdev, s.rotation.min, s.rotation.max
    );
    Ok(())
}
