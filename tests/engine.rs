//! The engine's output does not depend on the thread count or the chunk size, and its
//! streaming stays within its memory bound.

use std::sync::Arc;

use dpa::{id_range, Engine, EngineConfig, Generator, Params, Preset, Seeding};
use rayon::prelude::*;

const N: u64 = 70_000;

fn reference(g: &Generator, seeding: Seeding, start: u64, n: u64) -> Vec<Params> {
    g.generate_ids(seeding, start..start + n)
}

fn bits(v: &[Params]) -> Vec<u8> {
    let mut s = String::new();
    for p in v {
        dpa::formats::write_record(p, dpa::formats::RecordStyle::Compact, &mut s);
        s.push('\n');
    }
    s.into_bytes()
}

#[test]
fn every_thread_count_and_chunk_size_gives_the_same_bytes() {
    let g = Arc::new(Generator::new(Preset::Moderate.config()).unwrap());
    let seedings = [
        Seeding::Plain,
        Seeding::RankAware {
            base_seed: 9,
            rank: 2,
        },
    ];
    for seeding in seedings {
        let want = bits(&reference(&g, seeding, 1_000, N));
        for threads in [1, 2, 7] {
            for chunk_size in [1, 777, 65_536] {
                let engine = Engine::new(EngineConfig {
                    threads: Some(threads),
                    chunk_size,
                    in_flight: 0,
                })
                .unwrap();
                let ids = id_range(1_000, N).unwrap();
                let streamed: Vec<Params> =
                    engine.records(g.clone(), seeding, ids.clone()).collect();
                assert_eq!(
                    bits(&streamed),
                    want,
                    "stream: {threads} threads, chunk {chunk_size}"
                );
                let collected = engine.generate(&g, seeding, ids.clone());
                assert_eq!(
                    bits(&collected),
                    want,
                    "collect: {threads} threads, chunk {chunk_size}"
                );
                let chunked: Vec<Params> = engine.install(|| {
                    dpa::par_chunks(&g, seeding, ids, chunk_size)
                        .flat_map_iter(|c| c.records)
                        .collect()
                });
                assert_eq!(
                    bits(&chunked),
                    want,
                    "par_chunks: {threads} threads, chunk {chunk_size}"
                );
            }
        }
    }
}

#[test]
fn streaming_keeps_at_most_in_flight_chunks_ahead() {
    // A slow consumer: the workers must wait instead of filling memory.
    let engine = Engine::new(EngineConfig {
        threads: Some(2),
        chunk_size: 100,
        in_flight: 3,
    })
    .unwrap();
    let g = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
    let mut chunks = engine.chunks(g, Seeding::Plain, id_range(0, 100_000).unwrap());
    let first = chunks.next().unwrap();
    assert_eq!(first.index, 0);
    std::thread::sleep(std::time::Duration::from_millis(200));
    // Workers ran for 200 ms with the consumer idle. They may have finished at most
    // in_flight chunks past the one consumed; everything else is still unclaimed work.
    assert!(
        chunks.buffered() <= 3,
        "{} chunks buffered",
        chunks.buffered()
    );
    let mut count = 1;
    while let Some(c) = chunks.next() {
        assert_eq!(c.index, count);
        assert!(
            chunks.buffered() <= 3,
            "{} chunks buffered",
            chunks.buffered()
        );
        count += 1;
        if count == 10 {
            break;
        }
    }
    // Dropping the iterator early stops the workers (the test would hang otherwise).
    drop(chunks);
}

#[test]
fn edge_ranges() {
    let engine = Engine::new(EngineConfig {
        threads: Some(3),
        chunk_size: 4,
        in_flight: 0,
    })
    .unwrap();
    let g = Arc::new(Generator::new(Preset::Aggressive.config()).unwrap());
    assert_eq!(
        engine
            .records(g.clone(), Seeding::Plain, id_range(5, 0).unwrap())
            .count(),
        0
    );
    let top: Vec<u64> = engine
        .records(
            g.clone(),
            Seeding::Plain,
            id_range(u64::MAX - 9, 10).unwrap(),
        )
        .map(|p| p.sample_id)
        .collect();
    assert_eq!(top, ((u64::MAX - 9)..=u64::MAX).collect::<Vec<_>>());
    assert!(Engine::new(EngineConfig {
        threads: Some(0),
        ..Default::default()
    })
    .is_err());
}
