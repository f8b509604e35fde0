//! `--seed S --epoch E`: seed-and-epoch seeding, the same values on any number of ranks.

use clap::Args;
use dpa::Seeding;

use crate::common::failure::Failure;

/// The flags of seed-and-epoch seeding.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// Seed-and-epoch seeding: seed string "S:E:id", so values depend on (seed, epoch, id)
    /// only — never on ranks — and change with the epoch.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The epoch of seed-and-epoch seeding (with --seed; default 0).
    #[arg(long, value_name = "E", requires = "seed")]
    pub epoch: Option<u64>,
}

impl KeyArgs {
    /// The seeding these flags ask for, if any; `rank_given` tells whether --rank was
    /// given too (two seeding modes at once is a usage error).
    pub fn seeding(&self, rank_given: bool) -> Result<Option<Seeding>, Failure> {
        let Some(seed) = self.seed else {
            return Ok(None);
        };
        if rank_given {
            return Err(Failure::usage_msg(
                "--seed/--epoch and --rank are two seeding modes: seed-and-epoch values never depend on ranks; give one or the other",
            ));
        }
        Ok(Some(Seeding::Keyed {
            seed,
            epoch: self.epoch.unwrap_or(0),
        }))
    }
}

/// How the records are seeded, for the commands that compute records: rank-aware
/// (`--rank`, `--world-size`, `--base-seed`), seed-and-epoch (`--seed`, `--epoch`), or
/// plain (none of them).
#[derive(Debug, Clone, Args)]
pub struct SeedingArgs {
    /// Rank-aware seeding as this rank (generate: only this rank's shard of the range).
    #[arg(long, value_name = "R")]
    pub rank: Option<u64>,
    /// World size of the job (checks that --rank is below it; generate splits the range
    /// across it, and needs it with --rank).
    #[arg(long, value_name = "W", requires = "rank")]
    pub world_size: Option<u64>,
    /// Base seed of rank-aware seeding (with --rank; default 0).
    #[arg(long, value_name = "B", requires = "rank")]
    pub base_seed: Option<u64>,
    #[command(flatten)]
    pub key: KeyArgs,
}
