//! The reference's range splitting: who owns what, for uneven totals, more ranks than
//! samples, and the look-up of a sample's rank.
//!
//! Run: `cargo run --example distributed_range_splitting`

use dpa::{all_ranges, rank_for_sample};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for (total, world) in [(10u64, 4u64), (3, 5), (1_000_003, 64), (0, 3)] {
        let ranges = all_ranges(total, world)?;
        let sizes: Vec<u64> = ranges.iter().map(|r| r.end - r.start).collect();
        let shown: Vec<String> = ranges
            .iter()
            .take(5)
            .map(|r| format!("[{}, {})", r.start, r.end))
            .collect();
        println!(
            "{total} samples on {world} ranks: {}{} (sizes {} to {})",
            shown.join(" "),
            if ranges.len() > 5 { " ..." } else { "" },
            sizes.iter().min().unwrap_or(&0),
            sizes.iter().max().unwrap_or(&0)
        );
    }
    // Ranks past the total get the reference's empty (0, 0).
    assert_eq!(all_ranges(3, 5)?[4], 0..0);
    for i in [0u64, 2, 3, 9] {
        println!(
            "position {i} of 10 on 4 ranks belongs to rank {:?}",
            rank_for_sample(10, 4, i)?
        );
    }
    Ok(())
}
