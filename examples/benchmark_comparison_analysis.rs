//! Comparing configurations: the three presets and a deep hash chain against the
//! default, with percentage changes and recommendations drawn from the figures.
//!
//! Run: `cargo run --release --example benchmark_comparison_analysis`

use dpa::bench::{compare, BenchParameters, BenchmarkRunner};
use dpa::{AugmentationConfig, Engine, Generator, Preset, Seeding};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new(Default::default())?;
    let runner = BenchmarkRunner {
        warmup: 1,
        iterations: 5,
    };
    let n = 300_000;
    let configs: Vec<(String, AugmentationConfig)> = vec![
        ("moderate".into(), Preset::Moderate.config()),
        ("mild".into(), Preset::Mild.config()),
        ("aggressive".into(), Preset::Aggressive.config()),
        (
            "moderate-depth-50".into(),
            AugmentationConfig {
                augmentation_depth: 50,
                ..Preset::Moderate.config()
            },
        ),
    ];
    let mut results = Vec::new();
    for (name, cfg) in configs {
        let g = Generator::new(cfg)?;
        let params = BenchParameters {
            threads: engine.threads(),
            samples: n,
            strategy: None,
            extra: Default::default(),
        };
        let ids = dpa::id_range(0, n)?;
        results.push(runner.run(&name, params, || {
            std::hint::black_box(engine.generate(&g, Seeding::Plain, ids.clone()));
        }));
    }
    let c = compare(&results[0], &results[1..]);
    println!(
        "baseline {}: {:.0} samples/s",
        c.baseline, results[0].throughput_samples_per_second
    );
    for ch in &c.changes {
        println!(
            "  {:<20} throughput {:+7.1}%  latency {:+7.1}%",
            ch.name, ch.throughput_pct, ch.latency_pct
        );
    }
    for r in &c.recommendations {
        println!("recommendation: {r}");
    }
    Ok(())
}
