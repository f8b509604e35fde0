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

/// Runs `f` on another thread and fails the test if it does not finish in time (a
/// deadlock then fails instead of hanging the suite).
fn within_a_minute<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what}: did not finish within 60 s (deadlock)"))
}

#[test]
fn streaming_from_inside_the_engines_own_pool_does_not_deadlock() {
    for threads in [1, 2, 3] {
        let counted = within_a_minute("records inside install", move || {
            let engine = Engine::new(EngineConfig {
                threads: Some(threads),
                chunk_size: 50,
                in_flight: 2,
            })
            .unwrap();
            let g = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
            let ids = id_range(0, 1_000).unwrap();
            engine.install(|| {
                let all: Vec<Params> = engine.records(g.clone(), Seeding::Plain, ids).collect();
                (all.len(), all.iter().map(|p| p.sample_id).eq(0..1_000))
            })
        });
        assert_eq!(counted, (1_000, true), "{threads} threads");
    }
}

#[test]
fn size_settings_beyond_their_caps_are_refused() {
    for (cfg, field) in [
        (
            EngineConfig {
                threads: Some(usize::MAX),
                ..Default::default()
            },
            "threads",
        ),
        (
            EngineConfig {
                threads: Some(dpa::engine::MAX_THREADS + 1),
                ..Default::default()
            },
            "threads",
        ),
        (
            EngineConfig {
                chunk_size: usize::MAX,
                ..Default::default()
            },
            "chunk_size",
        ),
        (
            EngineConfig {
                chunk_size: 0,
                ..Default::default()
            },
            "chunk_size",
        ),
        (
            EngineConfig {
                in_flight: usize::MAX,
                ..Default::default()
            },
            "in_flight",
        ),
    ] {
        let err = Engine::new(cfg).unwrap_err().to_string();
        assert!(err.starts_with(field), "{err}");
    }
}
