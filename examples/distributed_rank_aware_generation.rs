//! Rank-aware generation, the reference's distributed mode: what each rank of a
//! 4-rank job gives its samples, and that a sample's parameters depend on the rank that
//! seeds it (`"{base_seed}:{rank}:{sample_id}"`).
//!
//! Run: `cargo run --example distributed_rank_aware_generation`

use dpa::{split_range, Generator, Preset, Seeding};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let g = Generator::new(Preset::Moderate.config())?;
    let (total, world, base_seed) = (10u64, 4u64, 0u64);
    for rank in 0..world {
        let shard = split_range(total, world, rank)?;
        // stream_distributed_augmentation_chain(10, rank, 4, config, base_seed=0)
        let records = g.generate_ids(Seeding::RankAware { base_seed, rank }, shard.clone());
        let ids: Vec<u64> = records.iter().map(|p| p.sample_id).collect();
        println!(
            "rank {rank}: ids {ids:?}, first rotation {:.4}",
            records[0].rotation
        );
    }
    let plain = g.params(3);
    let on_rank_1 = g.generate(Seeding::RankAware { base_seed, rank: 1 }, 3);
    let on_rank_2 = g.generate(Seeding::RankAware { base_seed, rank: 2 }, 3);
    println!(
        "sample 3: plain {:.4}, seeded by rank 1 {:.4}, by rank 2 {:.4}",
        plain.rotation, on_rank_1.rotation, on_rank_2.rotation
    );
    assert_ne!(on_rank_1.hash, on_rank_2.hash);
    Ok(())
}
