//! The four batching strategies over the same stream: how each groups the records, and
//! that none of them changes which records there are.
//!
//! Run: `cargo run --release --example batch_processing_strategies`

use std::sync::Arc;

use dpa::{BatchConfig, BatchStrategy, Batcher, Engine, Generator, Preset, Seeding};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new(Default::default())?;
    let generator = Arc::new(Generator::new(Preset::Moderate.config())?);
    let n = 100_000;

    for strategy in BatchStrategy::ALL {
        let config = BatchConfig {
            strategy,
            batch_size: 2_000,
            min_batch_size: 100,
            max_memory_mb: 1,
            lanes: 4,
            ..Default::default()
        };
        let records = engine.records(generator.clone(), Seeding::Plain, dpa::id_range(0, n)?);
        let mut batcher = Batcher::new(records, config)?;
        let mut ids_seen = 0u64;
        let mut id_sum = 0u128;
        let mut lanes = [0u64; 4];
        for batch in batcher.by_ref() {
            lanes[batch.lane] += batch.records.len() as u64;
            for p in &batch.records {
                ids_seen += 1;
                id_sum += p.sample_id as u128;
            }
        }
        // Every id exactly once, whatever the grouping.
        assert_eq!(ids_seen, n);
        assert_eq!(id_sum, (n as u128) * (n as u128 - 1) / 2);
        println!("{}", batcher.metrics().summary());
        if strategy == BatchStrategy::RoundRobin {
            println!("    records per lane: {lanes:?}");
        }
    }
    Ok(())
}
