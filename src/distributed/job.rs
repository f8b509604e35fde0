//! The distributed generate job, written once against [`Communicator`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::communicator::Communicator;
use super::manifest::{Manifest, ShardEntry, ShardTimings};
use crate::atomic::AtomicFile;
use crate::batch::BatchConfig;
use crate::config::AugmentationConfig;
use crate::engine::{Engine, EngineConfig};
use crate::error::{ConfigError, Error};
use crate::formats::{FileMetadata, Format, SeedingInfo};
use crate::params::Generator;
use crate::seeding::Seeding;
use crate::split::{id_range, split_range};
use crate::stats::StatsAccumulator;
use crate::write::{generate_to, Destination, Generation, WriteOptions};

/// How the ranks seed their records (`"rank-aware"` or `"global"` in a manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GlobalSeeding {
    /// The reference's distributed mode: `"{base_seed}:{rank}:{id}"`. Rank r's shard
    /// equals `dpa generate --rank r --world-size P --base-seed B`.
    RankAware,
    /// Plain seeding: the shards together equal `dpa generate` of the whole range,
    /// whatever the number of ranks.
    Global,
    /// Seed and epoch ([`Seeding::Keyed`] with `seed = base_seed`): the shards together
    /// equal `dpa generate --seed S --epoch E` of the whole range, whatever the number of
    /// ranks.
    Keyed,
}

impl GlobalSeeding {
    /// The name a manifest uses.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::distributed::GlobalSeeding::RankAware.name(), "rank-aware");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            GlobalSeeding::RankAware => "rank-aware",
            GlobalSeeding::Global => "global",
            GlobalSeeding::Keyed => "keyed",
        }
    }

    /// The seeding of rank `rank`'s records in a job with this mode, `base_seed` (the
    /// seed, when keyed) and `epoch`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{distributed::GlobalSeeding, Seeding};
    /// assert_eq!(GlobalSeeding::Keyed.rank_seeding(7, 2, 3), Seeding::Keyed { seed: 7, epoch: 2 });
    /// assert_eq!(GlobalSeeding::RankAware.rank_seeding(7, 2, 3), Seeding::RankAware { base_seed: 7, rank: 3 });
    /// ```
    pub fn rank_seeding(self, base_seed: u64, epoch: u64, rank: u64) -> Seeding {
        match self {
            GlobalSeeding::RankAware => Seeding::RankAware { base_seed, rank },
            GlobalSeeding::Global => Seeding::Plain,
            GlobalSeeding::Keyed => Seeding::Keyed {
                seed: base_seed,
                epoch,
            },
        }
    }

    /// The seeding a shard's metadata records (the world size only where the values
    /// depend on it: rank-aware).
    pub fn shard_info(self, base_seed: u64, epoch: u64, rank: u64, size: u64) -> SeedingInfo {
        SeedingInfo::new(
            self.rank_seeding(base_seed, epoch, rank),
            (self == GlobalSeeding::RankAware).then_some(size),
        )
    }
}

impl std::fmt::Display for GlobalSeeding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A distributed generate job, the same on every rank.
#[derive(Debug, Clone)]
pub struct GenerateJob {
    /// The configuration.
    pub config: AugmentationConfig,
    /// Samples in the whole run.
    pub num_samples: u64,
    /// First sample id.
    pub start_id: u64,
    /// Base seed (rank-aware seeding), or the seed (keyed).
    pub base_seed: u64,
    /// The epoch (keyed seeding; 0 otherwise).
    pub epoch: u64,
    /// Seeding mode.
    pub seeding: GlobalSeeding,
    /// Shard format.
    pub format: Format,
    /// Worker threads per rank (`None`: every core).
    pub threads: Option<usize>,
    /// Where shards and the manifest go.
    pub output_dir: PathBuf,
    /// Statistics in the shards and the manifest.
    pub with_stats: bool,
    /// The kernel (every kernel gives the same bits).
    pub kernel: crate::kernel::Kernel,
}

/// Why a rank could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job's settings are invalid (the same on every rank).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Data or I/O on this rank.
    #[error(transparent)]
    Data(#[from] Error),
}

/// The file name of a rank's shard: `shard-{rank:05}-of-{size:05}.{ext}`.
///
/// # Examples
///
/// ```
/// assert_eq!(dpa::distributed::shard_file_name(3, 16, dpa::Format::Jsonl), "shard-00003-of-00016.jsonl");
/// ```
pub fn shard_file_name(rank: u64, size: u64, format: Format) -> String {
    format!("shard-{rank:05}-of-{size:05}.{}", format.extension())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

impl GenerateJob {
    /// Checks the settings; call on every rank before anything is written.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.config.validate()?;
        id_range(self.start_id, self.num_samples)?;
        if self.threads == Some(0) {
            return Err(ConfigError::Invalid {
                field: "threads",
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// This rank's shard: its ids and seeding.
    pub fn shard(&self, rank: u64, size: u64) -> Result<(u64, u64, Seeding), ConfigError> {
        let r = split_range(self.num_samples, size, rank)?;
        let seeding = self.seeding.rank_seeding(self.base_seed, self.epoch, rank);
        Ok((self.start_id + r.start, r.end - r.start, seeding))
    }

    /// The metadata of a rank's shard file: what `dpa generate` writes for the same
    /// shard (rank-aware) or range (global).
    pub fn shard_metadata(&self, rank: u64, size: u64) -> Result<FileMetadata, ConfigError> {
        let (first, count, _) = self.shard(rank, size)?;
        let mut meta = FileMetadata::for_config(self.config.clone(), Some(count));
        meta.start_id = Some(first);
        meta.seeding = Some(
            self.seeding
                .shard_info(self.base_seed, self.epoch, rank, size),
        );
        Ok(meta)
    }
}

/// Runs the job on this rank: generate and write its shard, then gather counts,
/// hashes, statistics and timings at rank 0, which writes `manifest.json` and returns
/// it. A rank that fails returns its error; the caller must then abort the job (a
/// failed rank cannot take part in the collectives the others wait in).
pub fn run_generate<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
) -> Result<Option<Manifest>, JobError> {
    job.validate()?;
    let (entry, stats) = write_shard(comm, job)?;
    let all_stats = comm.gather_bytes(0, &stats.to_bytes());
    let entry_json = serde_json::to_vec(&entry).unwrap_or_default();
    let all_entries = comm.gather_bytes(0, &entry_json);
    let (Some(all_stats), Some(all_entries)) = (all_stats, all_entries) else {
        return Ok(None);
    };
    let manifest = build_manifest(job, comm.size() as u64, &all_stats, &all_entries)?;
    write_manifest(&job.output_dir.join("manifest.json"), &manifest)?;
    Ok(Some(manifest))
}

/// Generates and writes this rank's shard (timed from a barrier); returns its manifest
/// entry and its statistics accumulator.
fn write_shard<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
) -> Result<(ShardEntry, StatsAccumulator), JobError> {
    let rank = comm.rank() as u64;
    let size = comm.size() as u64;
    let (first, count, seeding) = job.shard(rank, size)?;
    let generator = Arc::new(Generator::new(job.config.clone())?.with_kernel(job.kernel));
    let engine = Engine::new(EngineConfig {
        threads: job.threads,
        ..Default::default()
    })?;
    let file = shard_file_name(rank, size, job.format);
    let what = Generation {
        engine: &engine,
        generator: &generator,
        seeding,
        ids: id_range(first, count)?,
    };
    let options = WriteOptions {
        format: job.format,
        metadata: job.shard_metadata(rank, size)?,
        statistics: job.with_stats,
        keep_partial: false,
        checksum: true,
    };
    comm.barrier();
    let t0 = comm.wtime();
    let destination = Destination::File(job.output_dir.join(&file));
    let done = generate_to(
        &what,
        destination,
        &options,
        false,
        BatchConfig::default(),
        &mut |_| {},
    )?;
    let total = comm.wtime() - t0;
    let write = done.write_time.as_secs_f64();
    let entry = ShardEntry {
        rank,
        file,
        start: first,
        end: first + count,
        records: done.write.records,
        sha256: done.write.sha256.unwrap_or_default(),
        seconds: ShardTimings {
            generate: (total - write).max(0.0),
            write,
            total,
        },
        host: host_name(),
        threads: engine.threads(),
    };
    Ok((entry, done.write.stats))
}

/// Rank 0's manifest from every rank's statistics (merged in rank order) and entry.
fn build_manifest(
    job: &GenerateJob,
    size: u64,
    all_stats: &[Vec<u8>],
    all_entries: &[Vec<u8>],
) -> Result<Manifest, Error> {
    let report_error = |r: usize, message: String| {
        Error::data(&job.output_dir, format!("report of rank {r}"), message)
    };
    let mut stats = StatsAccumulator::new();
    for (r, bytes) in all_stats.iter().enumerate() {
        let part = StatsAccumulator::from_bytes(bytes)
            .ok_or_else(|| report_error(r, "statistics of the wrong size".into()))?;
        stats.merge(&part);
    }
    let shards: Vec<ShardEntry> = all_entries
        .iter()
        .enumerate()
        .map(|(r, bytes)| serde_json::from_slice(bytes).map_err(|e| report_error(r, e.to_string())))
        .collect::<Result<_, _>>()?;
    let slowest = shards
        .iter()
        .max_by(|a, b| a.seconds.total.total_cmp(&b.seconds.total))
        .map_or(0, |s| s.rank);
    let total_seconds = shards.iter().map(|s| s.seconds.total).fold(0.0, f64::max);
    let records: u64 = shards.iter().map(|s| s.records).sum();
    Ok(Manifest {
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
        statistics: job.with_stats.then(|| stats.finish()),
        total_seconds,
        aggregate_throughput: if total_seconds > 0.0 {
            records as f64 / total_seconds
        } else {
            0.0
        },
        slowest_rank: slowest,
    })
}

fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), Error> {
    use std::io::Write;
    let mut f = AtomicFile::create(path)?;
    let text = serde_json::to_string_pretty(manifest).map_err(|e| Error::io(path, e.into()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| Error::io(path, e))?;
    f.commit()
}
