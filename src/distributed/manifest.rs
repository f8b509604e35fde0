//! The manifest rank 0 writes after a distributed run.

use serde::{Deserialize, Serialize};

use std::path::Path;

use super::plan::{GenerateJob, GlobalSeeding, JobOutput};
use crate::atomic::AtomicFile;
use crate::config::AugmentationConfig;
use crate::error::Error;
use crate::formats::Format;
use crate::stats::Statistics;
use crate::stats::StatsAccumulator;

/// Seconds one rank spent, measured with the communicator's clock after a barrier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShardTimings {
    /// Waiting for generated records (the workers' time not hidden by writing).
    pub generate: f64,
    /// Encoding, writing, fsync and rename.
    pub write: f64,
    /// From the start barrier to the shard in place.
    pub total: f64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One rank's shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// The rank.
    pub rank: u64,
    /// File name, relative to the manifest's folder.
    pub file: String,
    /// First sample id.
    pub start: u64,
    /// One past the last sample id (`start == end` for an empty shard).
    pub end: u64,
    /// Records in the file.
    pub records: u64,
    /// Records a resumed job found already written and checked, and kept (absent when
    /// none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resumed: u64,
    /// SHA-256 of the file's bytes (lowercase hex in the manifest). Always there for a
    /// shard; absent in the `ranks` of a shared file's sidecar, whose own `sha256`
    /// covers every rank's rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<crate::params::Hash>,
    /// Timings.
    pub seconds: ShardTimings,
    /// Host the rank ran on.
    pub host: String,
    /// Worker threads of the rank.
    pub threads: usize,
}

/// `manifest.json`: everything needed to check, merge and reproduce a distributed run.
///
/// # Examples
///
/// ```
/// let m: dpa::distributed::Manifest = serde_json::from_str(r#"{
///   "dpa_version": "0.1.0", "config": {"augmentation_depth": 10}, "seeding": "global",
///   "base_seed": 0, "world_size": 1, "num_samples": 0, "start_id": 0, "format": "jsonl",
///   "shards": [], "statistics": null, "total_seconds": 0.0,
///   "aggregate_throughput": 0.0, "slowest_rank": 0}"#).unwrap();
/// assert_eq!(m.world_size, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The dpa version that wrote it.
    pub dpa_version: String,
    /// The configuration.
    pub config: AugmentationConfig,
    /// How the ranks seeded their records.
    pub seeding: GlobalSeeding,
    /// Base seed of rank-aware seeding, or the seed of keyed seeding.
    pub base_seed: u64,
    /// The epoch of keyed seeding (0 otherwise; absent in manifests of earlier versions).
    #[serde(default)]
    pub epoch: u64,
    /// Number of ranks.
    pub world_size: u64,
    /// Samples in the whole run.
    pub num_samples: u64,
    /// First sample id of the run.
    pub start_id: u64,
    /// Shard file format.
    pub format: Format,
    /// Shards in rank order.
    pub shards: Vec<ShardEntry>,
    /// Statistics of all records, merged from the ranks' accumulators in rank order.
    pub statistics: Option<Statistics>,
    /// Seconds of the slowest rank.
    pub total_seconds: f64,
    /// Records per second of the whole job (records / slowest rank's total).
    pub aggregate_throughput: f64,
    /// The slowest rank.
    pub slowest_rank: u64,
    /// Rank 0's seconds from the moment every rank had reported its last row to the
    /// output committed (the manifest, or the shared file with its sidecar): the part
    /// of the job that would grow with the rank count if rank 0 did O(N) work at the
    /// end. Measured after the manifest is written, so not in the written file.
    #[serde(skip)]
    pub commit_seconds: f64,
}

/// Rank 0's manifest from every rank's statistics (merged in rank order) and entry.
pub(crate) fn build_manifest(
    job: &GenerateJob,
    size: u64,
    all_stats: &[Vec<u8>],
    all_entries: &[Vec<u8>],
) -> Result<Manifest, Error> {
    let place = match &job.output {
        JobOutput::Shards(p) | JobOutput::SharedNpy(p) => p,
    };
    let report_error =
        |r: usize, message: String| Error::data(place, format!("report of rank {r}"), message);
    let mut stats = StatsAccumulator::new();
    for (r, bytes) in all_stats.iter().enumerate() {
        let part = StatsAccumulator::from_bytes(bytes)
            .ok_or_else(|| report_error(r, "statistics that are not an accumulator's".into()))?;
        stats.checked_merge(&part).ok_or_else(|| {
            report_error(r, "statistics of more records than there are ids".into())
        })?;
    }
    let shards: Vec<ShardEntry> = all_entries
        .iter()
        .enumerate()
        .map(|(r, bytes)| serde_json::from_slice(bytes).map_err(|e| report_error(r, e.to_string())))
        .collect::<Result<_, _>>()?;
    Ok(manifest_of(
        job,
        size,
        shards,
        job.with_stats.then(|| stats.finish()),
    ))
}

/// The manifest of a job on `size` ranks whose ranks report `shards`.
pub(crate) fn manifest_of(
    job: &GenerateJob,
    size: u64,
    shards: Vec<ShardEntry>,
    statistics: Option<crate::stats::Statistics>,
) -> Manifest {
    let slowest = shards
        .iter()
        .max_by(|a, b| a.seconds.total.total_cmp(&b.seconds.total))
        .map_or(0, |s| s.rank);
    let total_seconds = shards.iter().map(|s| s.seconds.total).fold(0.0, f64::max);
    // Records this run wrote (a resumed job kept the others).
    let records: u64 = shards
        .iter()
        .map(|s| s.records - s.resumed.min(s.records))
        .sum();
    Manifest {
        dpa_version: env!("CARGO_PKG_VERSION").to_string(),
        config: job.config.clone(),
        seeding: job.seeding,
        base_seed: job.base_seed,
        epoch: job.epoch,
        world_size: size,
        num_samples: job.num_samples,
        start_id: job.start_id,
        format: job.format,
        shards,
        statistics,
        total_seconds,
        aggregate_throughput: if total_seconds > 0.0 {
            records as f64 / total_seconds
        } else {
            0.0
        },
        slowest_rank: slowest,
        commit_seconds: 0.0,
    }
}

/// Writes `manifest.json` atomically.
pub(crate) fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), Error> {
    use std::io::Write;
    let mut f = AtomicFile::create(path)?;
    let text = serde_json::to_string_pretty(manifest).map_err(|e| Error::io(path, e.into()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| Error::io(path, e))?;
    f.commit()
}
