//! The distributed generate job's plan: its settings ([`GenerateJob`]), where its
//! records go, how ranks seed them, and its errors. No I/O: [`run_generate`](super::run_generate)
//! carries it out.

use std::path::PathBuf;

use sha2::Digest as _;

use crate::config::AugmentationConfig;
use crate::error::{ConfigError, Error};
use crate::formats::{FileMetadata, Format, RunRange, SeedingInfo};
use crate::seeding::Seeding;
use crate::split::id_range;

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

impl GlobalSeeding {
    /// The seeding of a whole run's records as one file: plain and keyed seeding as
    /// `dpa generate` of the range describes it (every rank seeds alike); rank-aware
    /// records keep their own ranks, so only the base seed and world size are recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::distributed::GlobalSeeding;
    /// let info = GlobalSeeding::RankAware.whole_info(7, 0, 4);
    /// assert_eq!((info.base_seed, info.rank, info.world_size), (Some(7), None, Some(4)));
    /// ```
    pub fn whole_info(self, base_seed: u64, epoch: u64, size: u64) -> SeedingInfo {
        match self {
            GlobalSeeding::RankAware => SeedingInfo {
                rank: None,
                ..SeedingInfo::new(Seeding::RankAware { base_seed, rank: 0 }, Some(size))
            },
            other => SeedingInfo::new(other.rank_seeding(base_seed, epoch, 0), None),
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
    /// Base seed (rank-aware seeding), or the seed (keyed).
    pub base_seed: u64,
    /// The epoch (keyed seeding; 0 otherwise).
    pub epoch: u64,
    /// Seeding mode.
    pub seeding: GlobalSeeding,
    /// Shard format ([`Format::Npy`] for a shared file).
    pub format: Format,
    /// Worker threads per rank (`None`: every core).
    pub threads: Option<usize>,
    /// Where the records go: shards and a manifest, or one shared `.npy` file.
    pub output: JobOutput,
    /// Continue the job a killed run of the same settings left (see
    /// [`run_generate`](super::run_generate)); without it, what such a run left is written again.
    pub resume: bool,
    /// Statistics in the shards and the manifest.
    pub with_stats: bool,
    /// The kernel (every kernel gives the same bits).
    pub kernel: crate::kernel::Kernel,
    /// How Parquet shards' pages are compressed (other formats ignore it).
    pub compression: crate::formats::Compression,
}

/// Where a job's records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutput {
    /// One shard file per rank ([`shard_file_name`]) and `manifest.json`, in this
    /// folder.
    Shards(PathBuf),
    /// One `.npy` file at this path that every rank writes its rows into, and its
    /// sidecar (`<path>.json`); no merge step.
    SharedNpy(PathBuf),
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
    /// Another rank failed (its own error says why); this rank stopped with it at the
    /// same point, so that no rank waits for the others forever.
    #[error("rank {rank} failed")]
    Peer {
        /// The lowest rank that failed.
        rank: u64,
    },
}

/// The manifest's name in a run's folder: `manifest.json`, or `_manifest.json` beside
/// Parquet shards, so that the folder reads as one dataset (pyarrow, polars and
/// DuckDB skip names that start with `_`).
///
/// # Examples
///
/// ```
/// use dpa::distributed::manifest_file_name;
/// assert_eq!(manifest_file_name(dpa::Format::Jsonl), "manifest.json");
/// assert_eq!(manifest_file_name(dpa::Format::Parquet), "_manifest.json");
/// ```
pub fn manifest_file_name(format: Format) -> &'static str {
    match format {
        Format::Parquet => "_manifest.json",
        _ => "manifest.json",
    }
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

pub(crate) fn host_name() -> String {
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
        if matches!(self.output, JobOutput::SharedNpy(_)) && self.format != Format::Npy {
            return Err(ConfigError::Invalid {
                field: "format",
                message: format!(
                    "a shared output is a .npy file (fixed-width rows), not {}",
                    self.format
                ),
            });
        }
        Ok(())
    }

    /// The ids of the whole run.
    fn run(&self) -> RunRange {
        RunRange {
            start_id: self.start_id,
            num_samples: self.num_samples,
        }
    }

    /// This rank's shard: its ids and seeding.
    pub fn shard(&self, rank: u64, size: u64) -> Result<(u64, u64, Seeding), ConfigError> {
        let (first, count) = self.run().rank_ids(size, rank)?;
        let seeding = self.seeding.rank_seeding(self.base_seed, self.epoch, rank);
        Ok((first, count, seeding))
    }

    /// A digest of everything that decides the bytes of a run on `size` ranks: a
    /// killed run's files are resumed only by a run with the same digest.
    ///
    /// # Examples
    ///
    /// ```
    /// # let dir = std::path::PathBuf::from("out");
    /// let job = dpa::distributed::GenerateJob {
    ///     config: Default::default(), num_samples: 10, start_id: 0, base_seed: 0, epoch: 0,
    ///     seeding: dpa::distributed::GlobalSeeding::Global, format: dpa::Format::Jsonl,
    ///     threads: None, output: dpa::distributed::JobOutput::Shards(dir), resume: false,
    ///     with_stats: true, kernel: dpa::kernel::Kernel::detect(),
    ///     compression: Default::default() };
    /// let other = dpa::distributed::GenerateJob { epoch: 1, ..job.clone() };
    /// assert_ne!(job.settings_digest(2), other.settings_digest(2));
    /// assert_ne!(job.settings_digest(2), job.settings_digest(3));
    /// ```
    pub fn settings_digest(&self, size: u64) -> crate::params::Hash {
        let mut settings = serde_json::json!({
            "config": self.config,
            "num_samples": self.num_samples,
            "start_id": self.start_id,
            "base_seed": self.base_seed,
            "epoch": self.epoch,
            "seeding": self.seeding,
            "format": self.format,
            "world_size": size,
            "statistics": self.with_stats,
        });
        // Only Parquet's bytes depend on it (so the digests of other jobs stay as
        // they were, and their killed runs resume across this change).
        if self.format == Format::Parquet {
            settings["compression"] = serde_json::json!(format!("{:?}", self.compression));
        }
        let digest: [u8; 32] = sha2::Sha256::digest(settings.to_string().as_bytes()).into();
        crate::params::Hash(digest)
    }

    /// The metadata of the whole run's records as one file: what a shared `.npy`
    /// file's sidecar holds, and `dpa merge` writes.
    pub fn whole_metadata(&self, size: u64) -> FileMetadata {
        let mut meta = FileMetadata::for_config(self.config.clone(), Some(self.num_samples));
        meta.start_id = Some(self.start_id);
        meta.seeding = Some(self.seeding.whole_info(self.base_seed, self.epoch, size));
        meta
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
        meta.run = (self.seeding == GlobalSeeding::RankAware).then_some(self.run());
        meta.compression = self.compression;
        Ok(meta)
    }
}
