//! Reading files written by the Python reference (DPA 0.2.1) and checking that dpa
//! computes the same numbers, bit for bit.
//!
//! Run: `cargo run --example integration_compatibility [FILE...]`
//! (default: the two reference files under `tests/data/`).

use std::path::PathBuf;

use dpa::{Generator, StatsAccumulator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        files = vec![
            data.join("reference-chain-moderate-50.json"),
            data.join("reference-stream-mild-20-nostats.json"),
        ];
    }
    for path in files {
        // First pass: the config from the file's metadata.
        let mut config = None;
        let info = dpa::read_records(&path, |_| Ok(()))?;
        if let Some(meta) = &info.metadata {
            config = meta.config.clone();
        }
        let config = config.ok_or("the file has no metadata.config")?;
        let generator = Generator::new(config)?;

        // Second pass: every record against dpa's own generation.
        let mut stats = StatsAccumulator::new();
        let mut mismatches = 0u64;
        dpa::read_records(&path, |p| {
            if !p.bit_eq(&generator.params(p.sample_id)) {
                mismatches += 1;
                eprintln!("record {} differs", p.sample_id);
            }
            stats.push(&p);
            Ok(())
        })?;
        println!(
            "{}: {} records ({}), {} mismatches",
            path.display(),
            info.records,
            if info.ids_inferred {
                "ids by position"
            } else {
                "ids in the records"
            },
            mismatches
        );
        if let Some(theirs) = info.statistics {
            let ours = stats.finish();
            let rel = |a: f64, b: f64| ((a - b) / b).abs();
            println!(
                "  statistics: rotation mean {:e} (reference {:e}, relative difference {:.1e})",
                ours.rotation.mean,
                theirs.rotation.mean,
                rel(ours.rotation.mean, theirs.rotation.mean)
            );
        }
        if mismatches > 0 {
            return Err(format!("{mismatches} records differ in {}", path.display()).into());
        }
    }
    Ok(())
}
