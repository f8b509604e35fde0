//! The `metadata` object of a JSON document.

use serde::{Deserialize, Serialize};

use crate::config::AugmentationConfig;
use crate::seeding::Seeding;

/// A seeding mode, as files and manifests name it: `"plain"`, `"rank-aware"` or `"keyed"`.
///
/// # Examples
///
/// ```
/// use dpa::formats::SeedingMode;
/// assert_eq!(serde_json::to_string(&SeedingMode::RankAware).unwrap(), "\"rank-aware\"");
/// assert_eq!(SeedingMode::from_name("plain"), Some(SeedingMode::Plain));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeedingMode {
    /// The reference's `gen_augmentation_params`: the seed string is the id.
    Plain,
    /// The reference's distributed functions: `"{base_seed}:{rank}:{id}"`.
    RankAware,
    /// Seed and epoch: `"{seed}:{epoch}:{id}"` ([`Seeding::Keyed`]).
    Keyed,
}

impl SeedingMode {
    /// The mode's name in files.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::formats::SeedingMode::Plain.name(), "plain");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            SeedingMode::Plain => "plain",
            SeedingMode::RankAware => "rank-aware",
            SeedingMode::Keyed => "keyed",
        }
    }

    /// The mode a name denotes, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::formats::SeedingMode::from_name("global"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<SeedingMode> {
        [
            SeedingMode::Plain,
            SeedingMode::RankAware,
            SeedingMode::Keyed,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }
}

/// How the records of a file were seeded, as recorded in its metadata.
///
/// # Examples
///
/// ```
/// use dpa::{Seeding, SeedingInfo};
/// let info = SeedingInfo::new(Seeding::RankAware { base_seed: 3, rank: 1 }, Some(4));
/// let json = serde_json::to_string(&info).unwrap();
/// assert_eq!(json, r#"{"mode":"rank-aware","base_seed":3,"rank":1,"world_size":4}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedingInfo {
    /// The mode.
    pub mode: SeedingMode,
    /// Base seed (rank-aware only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_seed: Option<u64>,
    /// Rank (rank-aware only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u64>,
    /// World size the shard was split for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world_size: Option<u64>,
    /// Seed (keyed only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Epoch (keyed only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
}

impl SeedingInfo {
    /// Describes a seeding mode.
    ///
    /// # Examples
    ///
    /// ```
    /// let info = dpa::SeedingInfo::new(dpa::Seeding::Plain, None);
    /// assert_eq!(info.mode, dpa::formats::SeedingMode::Plain);
    /// assert_eq!(info.seeding(), Some(dpa::Seeding::Plain));
    /// ```
    pub fn new(seeding: Seeding, world_size: Option<u64>) -> Self {
        match seeding {
            Seeding::Plain => SeedingInfo {
                mode: SeedingMode::Plain,
                base_seed: None,
                rank: None,
                world_size,
                seed: None,
                epoch: None,
            },
            Seeding::RankAware { base_seed, rank } => SeedingInfo {
                mode: SeedingMode::RankAware,
                base_seed: Some(base_seed),
                rank: Some(rank),
                world_size,
                seed: None,
                epoch: None,
            },
            Seeding::Keyed { seed, epoch } => SeedingInfo {
                mode: SeedingMode::Keyed,
                base_seed: None,
                rank: None,
                world_size,
                seed: Some(seed),
                epoch: Some(epoch),
            },
        }
    }

    /// The seeding mode described, if the description is complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::formats::SeedingMode;
    /// let info = dpa::SeedingInfo { mode: SeedingMode::RankAware, base_seed: None, rank: Some(1),
    ///                               world_size: None, seed: None, epoch: None };
    /// assert_eq!(info.seeding(), None);
    /// let keyed = dpa::SeedingInfo::new(dpa::Seeding::Keyed { seed: 5, epoch: 1 }, None);
    /// assert_eq!(serde_json::to_string(&keyed).unwrap(), r#"{"mode":"keyed","seed":5,"epoch":1}"#);
    /// assert_eq!(keyed.seeding(), Some(dpa::Seeding::Keyed { seed: 5, epoch: 1 }));
    /// ```
    pub fn seeding(&self) -> Option<Seeding> {
        match self.mode {
            SeedingMode::Plain => Some(Seeding::Plain),
            SeedingMode::RankAware => Some(Seeding::RankAware {
                base_seed: self.base_seed?,
                rank: self.rank?,
            }),
            SeedingMode::Keyed => Some(Seeding::Keyed {
                seed: self.seed?,
                epoch: self.epoch?,
            }),
        }
    }
}

/// The `metadata` object: what the reference writes (`num_samples`, `config`,
/// `streaming`) and what dpa adds (`generator`, `start_id`, `seeding`).
///
/// # Examples
///
/// ```
/// let m = dpa::FileMetadata::for_config(dpa::Preset::Mild.config(), Some(20));
/// let v = serde_json::to_value(&m).unwrap();
/// assert_eq!(v["num_samples"], 20);
/// assert_eq!(v["config"]["augmentation_depth"], 10);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileMetadata {
    /// Number of records (`null` in the reference's streamed files).
    #[serde(default)]
    pub num_samples: Option<u64>,
    /// The configuration the records were generated with.
    #[serde(default)]
    pub config: Option<AugmentationConfig>,
    /// Set by the reference's streaming writer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// The program that wrote the file (`"dpa 0.1.0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// First sample id of the generated range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_id: Option<u64>,
    /// How the records were seeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeding: Option<SeedingInfo>,
    /// Which config bounds are Python ints, for [`Format::ReferenceJson`](super::Format)
    /// (not stored: the reference's file shows it by writing `30` or `30.0`).
    #[serde(skip)]
    pub config_forms: super::ConfigForms,
    /// The whole run a rank's records are a part of (rank-aware with a world size),
    /// kept in a `.npy` sidecar only (`NpySidecar::run`); not stored in a file's header.
    #[serde(skip)]
    pub run: Option<RunRange>,
    /// How a Parquet writer compresses its pages (a writer's choice, not stored here).
    #[serde(skip)]
    pub compression: super::Compression,
}

/// The ids of a whole run split across ranks: `num_samples` ids from `start_id`. With
/// it, a rank's file shows which part of the run it is, so that a rank and world size
/// claimed for it can be checked against its ids.
///
/// # Examples
///
/// ```
/// let run = dpa::formats::RunRange { start_id: 10, num_samples: 100 };
/// // Rank 1 of 4 owns ids 35..60.
/// assert_eq!(run.rank_ids(4, 1).unwrap(), (35, 25));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRange {
    /// The run's first id.
    pub start_id: u64,
    /// Ids in the whole run.
    pub num_samples: u64,
}

impl RunRange {
    /// `(first id, count)` of rank `rank` of `world_size`, as the run was split.
    pub fn rank_ids(&self, world_size: u64, rank: u64) -> Result<(u64, u64), crate::ConfigError> {
        crate::id_range(self.start_id, self.num_samples)?;
        let part = crate::split_range(self.num_samples, world_size, rank)?;
        Ok((self.start_id + part.start, part.end - part.start))
    }
}

impl FileMetadata {
    /// Metadata for records generated by this version of dpa.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = dpa::FileMetadata::for_config(dpa::AugmentationConfig::default(), None);
    /// assert!(m.generator.unwrap().starts_with("dpa "));
    /// ```
    pub fn for_config(config: AugmentationConfig, num_samples: Option<u64>) -> Self {
        FileMetadata {
            num_samples,
            config: Some(config),
            streaming: None,
            generator: Some(concat!("dpa ", env!("CARGO_PKG_VERSION")).to_string()),
            start_id: None,
            seeding: None,
            config_forms: super::ConfigForms::Integral,
            run: None,
            compression: super::Compression::default(),
        }
    }
}
