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
        }
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
    /// Base seed (rank-aware seeding).
    pub base_seed: u64,
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
    /// The kernel backend (every backend gives the same bits).
    pub backend: crate::kernel::Backend,
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
        let seeding = match self.seeding {
            GlobalSeeding::RankAware => Seeding::RankAware {
                base_seed: self.base_seed,
                rank,
            },
            GlobalSeeding::Global => Seeding::Plain,
        };
        Ok((self.start_id + r.start, r.end - r.start, seeding))
    }

    /// The metadata of a rank's shard file: what `dpa generate` writes for the same
    /// shard (rank-aware) or range (global).
    pub fn shard_metadata(&self, rank: u64, size: u64) -> Result<FileMetadata, ConfigError> {
        let (first, count, seeding) = self.shard(rank, size)?;
        let mut meta = FileMetadata::for_config(self.config.clone(), Some(count));
        meta.start_id = Some(first);
        meta.seeding = Some(SeedingInfo::new(
            seeding,
            (self.seeding == GlobalSeeding::RankAware).then_some(size),
        ));
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
    let rank = comm.rank() as u64;
    let size = comm.size() as u64;
    let (first, count, seeding) = job.shard(rank, size)?;
    let meta = job.shard_metadata(rank, size)?;
    let generator = Arc::new(Generator::new(job.config.clone())?.with_backend(job.backend));
    let engine = Engine::new(EngineConfig {
        threads: job.threads,
        ..Default::default()
    })?;
    let file = shard_file_name(rank, size, job.format);
    let path = job.output_dir.join(&file);

    comm.barrier();
    let t0 = comm.wtime();
    let what = Generation {
        engine: &engine,
        generator: &generator,
        seeding,
        ids: id_range(first, count)?,
    };
    let options = WriteOptions {
        format: job.format,
        metadata: meta,
        statistics: job.with_stats,
        keep_partial: false,
    };
    let done = generate_to(
        &what,
        Destination::File(path),
        &options,
        false,
        BatchConfig::default(),
        &mut |_| {},
    )?;
    let t1 = comm.wtime();
    let write = done.write_time.as_secs_f64();
    let summary = done.write;
    let entry = ShardEntry {
        rank,
        file,
        start: first,
        end: first + count,
        records: summary.records,
        sha256: summary.sha256,
        seconds: ShardTimings {
            generate: ((t1 - t0) - write).max(0.0),
            write,
            total: t1 - t0,
        },
        host: host_name(),
        threads: engine.threads(),
    };

    // Fixed-size accumulators, merged in rank order at the root.
    let parts: Vec<u8> = summary
        .stats
        .to_parts()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let all_parts = comm.gather_bytes(0, &parts);
    let entry_json = serde_json::to_vec(&entry).unwrap_or_default();
    let all_entries = comm.gather_bytes(0, &entry_json);
    let (Some(all_parts), Some(all_entries)) = (all_parts, all_entries) else {
        return Ok(None);
    };
    let mut stats = StatsAccumulator::new();
    for p in &all_parts {
        let mut f = [0.0f64; 25];
        for (v, c) in f.iter_mut().zip(p.chunks_exact(8)) {
            *v = f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        }
        stats.merge(&StatsAccumulator::from_parts(f));
    }
    let shards: Vec<ShardEntry> = all_entries
        .iter()
        .enumerate()
        .map(|(r, bytes)| {
            serde_json::from_slice(bytes).map_err(|e| {
                Error::data(
                    &job.output_dir,
                    format!("report of rank {r}"),
                    e.to_string(),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let slowest = shards
        .iter()
        .max_by(|a, b| a.seconds.total.total_cmp(&b.seconds.total))
        .map_or(0, |s| s.rank);
    let total_seconds = shards.iter().map(|s| s.seconds.total).fold(0.0, f64::max);
    let records: u64 = shards.iter().map(|s| s.records).sum();
    let manifest = Manifest {
        dpa_version: env!("CARGO_PKG_VERSION").to_string(),
        config: job.config.clone(),
        seeding: job.seeding,
        base_seed: job.base_seed,
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
    };
    write_manifest(&job.output_dir.join("manifest.json"), &manifest)?;
    Ok(Some(manifest))
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
