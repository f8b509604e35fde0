//! The reference's `example_usage`, in Rust: parameters for a few samples, the same
//! numbers again on demand, a chain of samples with statistics, and a saved file.
//!
//! Run: `cargo run --example basic_usage`

use dpa::{
    AugmentationConfig, FileMetadata, Generator, JsonWriter, ParamRange, Preset, RecordSink,
    StatsAccumulator,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A config: the default (moderate) preset, or your own ranges.
    let config = Preset::Moderate.config();
    let generator = Generator::new(config.clone())?;

    // 2. Parameters of single samples: deterministic, whatever the machine.
    for id in [0u64, 1, 42] {
        let p = generator.params(id);
        println!(
            "sample {id:>3}: rotation {:>8.3}  brightness {:.3}  noise {:.4}  scale {:.3}  contrast {:.3}  hash {}…",
            p.rotation, p.brightness, p.noise, p.scale, p.contrast, &p.hash.to_string()[..12]
        );
    }
    assert_eq!(generator.params(42), generator.params(42));

    // 3. A custom config: validated before use.
    let custom = AugmentationConfig {
        rotation_range: ParamRange::new(-10.0, 10.0),
        augmentation_depth: 5,
        ..config
    };
    let custom_gen = Generator::new(custom)?;
    println!(
        "custom sample 0: rotation {:.3}",
        custom_gen.params(0).rotation
    );

    // 4. A chain of 100 samples with statistics (generate_augmentation_chain).
    let mut stats = StatsAccumulator::new();
    let records: Vec<_> = (0..100).map(|id| generator.params(id)).collect();
    stats.extend(&records);
    let summary = stats.finish();
    println!(
        "100 samples: rotation mean {:.3}, stdev {:.3}, range [{:.3}, {:.3}]",
        summary.rotation.mean, summary.rotation.stdev, summary.rotation.min, summary.rotation.max
    );

    // 5. Save them in the reference's JSON form (atomically), readable by Python.
    let dir = std::env::temp_dir().join("dpa-basic-usage");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("augmentations.json");
    let file = dpa::AtomicFile::create(&path)?;
    let meta = FileMetadata::for_config(generator.config().clone(), Some(records.len() as u64));
    let mut writer = JsonWriter::new(file, &meta)?;
    for p in &records {
        writer.write_record(p)?;
    }
    writer.finish(Some(&summary))?.commit()?;
    println!("saved {} records to {}", records.len(), path.display());

    // 6. Read them back, streaming, and check every value bit for bit.
    let mut n = 0;
    dpa::read_records(&path, |p| {
        assert!(p.bit_eq(&generator.params(p.sample_id)));
        n += 1;
        Ok(())
    })?;
    println!("read back {n} records: identical");
    Ok(())
}
