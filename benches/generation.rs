//! Criterion benches of the generation kernel: the hash chain, the Mersenne Twister,
//! one full sample and a 10,000-sample chunk, on one thread; the writers; the exact
//! statistics (per record, merge, finish); the ordered engine.
//!
//! Run: `cargo bench --bench generation` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dpa::formats::{write_record, RecordStyle};
use dpa::seeding::HashChain;
use std::sync::Arc;

use dpa::{
    AnySink, Engine, EngineConfig, FileMetadata, Format, Generator, Preset, RecordSink, Seeding,
    StatsAccumulator,
};

fn stages(c: &mut Criterion) {
    let chain = HashChain::new(10);
    c.bench_function("hash_chain_depth10", |b| {
        b.iter(|| chain.digest(black_box(b"123456")))
    });
    c.bench_function("mt_seed_and_5_draws", |b| {
        b.iter(|| dpa::mt::draw_uniform5(black_box(0xdead_beef)))
    });
    let mut group = c.benchmark_group("hash_block");
    group.throughput(Throughput::Elements(64));
    let strings: Vec<String> = (0..64u64).map(|i| (1_000_000 + i).to_string()).collect();
    let refs: Vec<&[u8]> = strings.iter().map(|s| s.as_bytes()).collect();
    let mut digests = vec![[0u8; 32]; 64];
    for backend in dpa::kernel::Backend::available() {
        group.bench_function(format!("depth10_{backend}"), |b| {
            b.iter(|| chain.digests_on(backend, black_box(&refs), &mut digests))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("mt_block");
    group.throughput(Throughput::Elements(dpa::kernel::LANES as u64));
    for backend in dpa::kernel::Backend::available() {
        let mut block = dpa::kernel::MtBlock::new(backend);
        let seeds: [u32; dpa::kernel::LANES] = std::array::from_fn(|i| i as u32 * 7919);
        group.bench_function(backend.name(), |b| {
            b.iter(|| block.draw5(black_box(&seeds)))
        });
    }
    group.finish();
}

fn samples(c: &mut Criterion) {
    let g = Generator::new(Preset::Moderate.config()).unwrap();
    c.bench_function("one_sample", |b| b.iter(|| g.params(black_box(42))));

    let mut group = c.benchmark_group("chunk");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("10k_samples_one_at_a_time", |b| {
        b.iter(|| {
            for id in 0..10_000u64 {
                black_box(g.params(id));
            }
        })
    });
    let mut out = Vec::with_capacity(10_000);
    for backend in dpa::kernel::Backend::available() {
        let gb = g.clone().with_backend(backend);
        group.bench_function(format!("10k_samples_block_{backend}"), |b| {
            b.iter(|| {
                out.clear();
                gb.generate_into(Seeding::Plain, 0..10_000, &mut out);
                black_box(&out);
            })
        });
    }
    let ra = Seeding::RankAware {
        base_seed: 7,
        rank: 3,
    };
    group.bench_function("10k_samples_rank_aware_block", |b| {
        b.iter(|| {
            out.clear();
            g.generate_into(ra, 0..10_000, &mut out);
            black_box(&out);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("depth");
    group.throughput(Throughput::Elements(1_000));
    for depth in [10, 100] {
        let gd = Generator::new(dpa::AugmentationConfig {
            augmentation_depth: depth,
            ..Preset::Moderate.config()
        })
        .unwrap();
        let mut out = Vec::with_capacity(1_000);
        group.bench_function(format!("1k_samples_depth{depth}"), |b| {
            b.iter(|| {
                out.clear();
                gd.generate_into(Seeding::Plain, 0..1_000, &mut out);
                black_box(&out);
            })
        });
    }
    group.finish();
}

fn writers(c: &mut Criterion) {
    let g = Generator::new(Preset::Moderate.config()).unwrap();
    let records = g.generate_ids(Seeding::Plain, 0..10_000);
    let mut group = c.benchmark_group("format");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("jsonl_line_10k_records", |b| {
        b.iter_batched_ref(
            || String::with_capacity(4 << 20),
            |out| {
                for p in &records {
                    write_record(p, RecordStyle::Compact, out);
                    out.push('\n');
                }
            },
            BatchSize::LargeInput,
        )
    });
    let meta = FileMetadata::for_config(g.config().clone(), Some(records.len() as u64));
    for format in Format::ALL {
        group.bench_function(format!("{format}_writer_10k_records"), |b| {
            b.iter_batched(
                || Vec::with_capacity(4 << 20),
                |buf| {
                    let mut sink = AnySink::new(format, buf, &meta).unwrap();
                    for p in &records {
                        sink.write_record(p).unwrap();
                    }
                    sink.finish(None).unwrap()
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// The cost of exact statistics: adding a record (all five parameters) to a
/// `StatsAccumulator`, merging two accumulators, and finishing (the big-integer step).
fn statistics(c: &mut Criterion) {
    let g = Generator::new(Preset::Moderate.config()).unwrap();
    let records = g.generate_ids(Seeding::Plain, 0..10_000);
    let mut group = c.benchmark_group("stats");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("push_10k_records", |b| {
        b.iter(|| {
            let mut acc = StatsAccumulator::new();
            for p in &records {
                acc.push(black_box(p));
            }
            acc
        })
    });
    let mut part = StatsAccumulator::new();
    records.iter().for_each(|p| part.push(p));
    group.throughput(Throughput::Elements(1));
    group.bench_function("merge", |b| {
        b.iter_batched_ref(
            || part.clone(),
            |acc| acc.merge(black_box(&part)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("finish", |b| b.iter(|| black_box(&part).finish()));
    group.finish();
}

fn engine(c: &mut Criterion) {
    let g = Arc::new(Generator::new(Preset::Moderate.config()).unwrap());
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(10);
    for threads in [1, 2] {
        let e = Engine::new(EngineConfig {
            threads: Some(threads),
            ..Default::default()
        })
        .unwrap();
        group.bench_function(format!("stream_100k_{threads}_threads"), |b| {
            b.iter(|| {
                e.records(
                    g.clone(),
                    Seeding::Plain,
                    dpa::id_range(0, 100_000).unwrap(),
                )
                .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stages, samples, writers, statistics, engine);
criterion_main!(benches);
