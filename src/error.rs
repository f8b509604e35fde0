//! Typed errors of the library.
//!
//! [`ConfigError`] covers everything the user chose (configs, ranges, ids); a command
//! line maps it to a usage error. [`Error`](enum@Error) covers data and I/O: it always names the
//! file and, where one exists, the record or byte position.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// An invalid configuration or request: a bad range, depth, preset, id range or split.
///
/// # Examples
///
/// ```
/// let err: dpa::ConfigError = "extreme".parse::<dpa::Preset>().unwrap_err();
/// assert!(err.to_string().contains("extreme"));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A range bound is NaN or infinite.
    #[error("{field}: bounds must be finite numbers, got [{lo}, {hi}]")]
    NonFiniteBound {
        /// The config field (`rotation_range`, ...).
        field: &'static str,
        /// Lower bound given.
        lo: f64,
        /// Upper bound given.
        hi: f64,
    },
    /// A range whose lower bound is not below its upper bound (or whose width overflows).
    #[error(
        "{field}: lower bound must be less than upper bound (and hi - lo finite), got [{lo}, {hi}]"
    )]
    EmptyRange {
        /// The config field (`rotation_range`, ...).
        field: &'static str,
        /// Lower bound given.
        lo: f64,
        /// Upper bound given.
        hi: f64,
    },
    /// `augmentation_depth` outside `1..=MAX_DEPTH`.
    #[error("augmentation_depth: must be between 1 and {max}, got {depth}", max = crate::config::MAX_DEPTH)]
    Depth {
        /// The depth given.
        depth: u64,
    },
    /// A preset name that does not exist.
    #[error("unknown preset '{0}' (expected one of: mild, moderate, aggressive)")]
    UnknownPreset(String),
    /// The config text is not valid JSON of the config's shape.
    #[error("invalid config JSON: {0}")]
    Json(String),
    /// A range of sample ids that would pass `u64::MAX`.
    #[error("sample ids {start} + {count} would exceed the largest id {max}", max = u64::MAX)]
    IdOverflow {
        /// First id.
        start: u64,
        /// Number of ids.
        count: u64,
    },
    /// A setting outside its valid range (engine, batching, ...).
    #[error("{field}: {message}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// `world_size` of zero.
    #[error("world_size must be at least 1")]
    ZeroWorldSize,
    /// A rank not below the world size.
    #[error("rank {rank} is out of range for world_size {world_size} (ranks are 0..{world_size})")]
    RankOutOfRange {
        /// The rank given.
        rank: u64,
        /// The world size given.
        world_size: u64,
    },
}

/// A data or I/O error, naming the file and the position.
///
/// # Examples
///
/// ```
/// let err = dpa::read_records(std::path::Path::new("/no/such/file.jsonl"), |_| Ok(())).unwrap_err();
/// assert!(err.to_string().contains("/no/such/file.jsonl"));
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system I/O error on a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file whose content is not what dpa expects, with the position.
    #[error("{}: {position}: {message}", path.display())]
    Data {
        /// The file.
        path: PathBuf,
        /// Where: `line 12`, `record 3 (line 9, column 14)`, `byte 4096`, ...
        position: String,
        /// What is wrong.
        message: String,
    },
    /// A configuration found in a file is invalid.
    #[error("{}: {source}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with the config.
        #[source]
        source: ConfigError,
    },
}

impl Error {
    /// Wraps an I/O error with the file it happened on.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = dpa::Error::io("out.jsonl", std::io::Error::other("disk full"));
    /// assert_eq!(e.to_string(), "out.jsonl: disk full");
    /// ```
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A data error at a position in a file.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = dpa::Error::data("a.jsonl", "line 3", "missing field `hash`");
    /// assert_eq!(e.to_string(), "a.jsonl: line 3: missing field `hash`");
    /// ```
    pub fn data(
        path: impl Into<PathBuf>,
        position: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Data {
            path: path.into(),
            position: position.into(),
            message: message.into(),
        }
    }

    /// True when the error is a write to a closed pipe (the reader went away).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// let e = dpa::Error::io("-", io::Error::from(io::ErrorKind::BrokenPipe));
    /// assert!(e.is_broken_pipe());
    /// ```
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}
