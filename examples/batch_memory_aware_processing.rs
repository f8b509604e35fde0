//! Memory-aware batching: batch sizes derived from a memory budget and the measured
//! bytes per record (record plus its encoding), shrinking when the system runs low.
//!
//! Run: `cargo run --release --example batch_memory_aware_processing`

use std::sync::Arc;

use dpa::{BatchConfig, BatchStrategy, Batcher, Engine, Generator, Preset, RecordSink, Seeding};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new(Default::default())?;
    let generator = Arc::new(Generator::new(Preset::Mild.config())?);
    for budget_mb in [1, 4, 16] {
        let config = BatchConfig {
            strategy: BatchStrategy::MemoryOptimized,
            max_memory_mb: budget_mb,
            ..Default::default()
        };
        let records = engine.records(
            generator.clone(),
            Seeding::Plain,
            dpa::id_range(0, 500_000)?,
        );
        let mut batcher = Batcher::new(records, config)?;
        let mut encoded = Vec::new();
        while let Some(batch) = batcher.next() {
            // Encode the batch as JSON Lines and tell the batcher what it cost.
            encoded.clear();
            let mut sink = dpa::JsonlWriter::new(&mut encoded);
            for p in &batch.records {
                sink.write_record(p)?;
            }
            sink.finish(None)?;
            batcher.observe_encoded_bytes(batch.records.len(), encoded.len());
        }
        let m = batcher.metrics();
        println!(
            "budget {budget_mb:>2} MiB: {} bytes/record -> {} batches of up to {} records, peak batch {:.2} MiB (never above the budget)",
            batcher.bytes_per_record(),
            m.batches,
            m.max_batch,
            m.peak_batch_bytes as f64 / (1 << 20) as f64
        );
        assert!(m.peak_batch_bytes <= budget_mb << 20);
    }
    Ok(())
}
