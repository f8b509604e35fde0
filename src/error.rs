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
    /// `augmentation_depth` outside `1..=max` (the config's `MAX_DEPTH`).
    #[error("augmentation_depth: must be between 1 and {max}, got {depth}")]
    Depth {
        /// The depth given.
        depth: u64,
        /// The largest depth allowed.
        max: u32,
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

/// What kind of data error a file has, for callers that act on it.
///
/// # Examples
///
/// ```
/// use dpa::error::DataKind;
/// let e = dpa::Error::data_of(DataKind::Truncated, "a.bin", "byte 90", "truncated record 1");
/// assert_eq!(e.data_kind(), Some(DataKind::Truncated));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataKind {
    /// The file ends too early: a record, a header or a trailer is cut.
    Truncated,
    /// The file is not what dpa writes or reads: bad syntax, bad values, bad lengths.
    Damaged,
    /// Well-formed, but not what was expected: another config, another range, a
    /// changed checksum, records out of order.
    Mismatch,
    /// Larger than the cap dpa puts on it (see [`crate::formats::limits`]).
    TooLarge,
}

impl ConfigError {
    /// `Ok` when `value` is in `1..=max`, else an [`ConfigError::Invalid`] naming `field`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::ConfigError;
    /// assert!(ConfigError::check_within("lanes", 4, 8).is_ok());
    /// let err = ConfigError::check_within("lanes", 0, 8).unwrap_err();
    /// assert_eq!(err.to_string(), "lanes: must be between 1 and 8, got 0");
    /// ```
    pub fn check_within(field: &'static str, value: usize, max: usize) -> Result<(), ConfigError> {
        if (1..=max).contains(&value) {
            return Ok(());
        }
        Err(ConfigError::Invalid {
            field,
            message: format!("must be between 1 and {max}, got {value}"),
        })
    }
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
    /// An operating-system I/O error on a file. The message includes the OS error
    /// once (it is not repeated as a `source`).
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
    /// A file whose content is not what dpa expects, with the position.
    #[error("{}: {position}: {message}", path.display())]
    Data {
        /// The file.
        path: PathBuf,
        /// Where: `line 12`, `record 3 (line 9, column 14)`, `byte 4096`, ...
        position: String,
        /// What kind of problem it is.
        kind: DataKind,
        /// What is wrong.
        message: String,
    },
    /// A configuration found in a file is invalid (a data error: the file is damaged
    /// or was not written by dpa).
    #[error("{}: {position}: {error}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// Where the config is: `header`, `byte 22`, `metadata`, ...
        position: String,
        /// What is wrong with the config.
        error: ConfigError,
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
    pub fn io(path: impl Into<PathBuf>, error: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    /// A data error at a position in a file. A message longer than
    /// [`MAX_MESSAGE`] bytes (one that quotes a huge token from the file) is cut in the
    /// middle.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = dpa::Error::data("a.jsonl", "line 3", "missing field `hash`");
    /// assert_eq!(e.to_string(), "a.jsonl: line 3: missing field `hash`");
    /// let long = dpa::Error::data("b", "line 1", "x".repeat(50_000_000));
    /// assert!(long.to_string().len() < 1000);
    /// ```
    pub fn data(
        path: impl Into<PathBuf>,
        position: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::data_of(DataKind::Damaged, path, position, message)
    }

    /// A data error of a given [`DataKind`].
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::error::DataKind;
    /// let e = dpa::Error::data_of(DataKind::Mismatch, "x.jsonl", "record 7", "bits differ");
    /// assert_eq!(e.to_string(), "x.jsonl: record 7: bits differ");
    /// ```
    pub fn data_of(
        kind: DataKind,
        path: impl Into<PathBuf>,
        position: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Error::Data {
            path: path.into(),
            position: position.into(),
            kind,
            message: cut(&message, MAX_MESSAGE).into_owned(),
        }
    }

    /// The kind of a data error (`None` for I/O and config errors).
    ///
    /// # Examples
    ///
    /// ```
    /// let e = dpa::Error::data("a", "line 1", "bad");
    /// assert_eq!(e.data_kind(), Some(dpa::error::DataKind::Damaged));
    /// ```
    pub fn data_kind(&self) -> Option<DataKind> {
        match self {
            Error::Data { kind, .. } => Some(*kind),
            _ => None,
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
        matches!(self, Error::Io { error, .. } if error.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// The longest data-error message kept whole, in bytes.
pub const MAX_MESSAGE: usize = 400;

/// The longest token from the input quoted whole in a message, in bytes.
pub const MAX_TOKEN: usize = 64;

/// A token from the input, fit to quote in a message: longer than [`MAX_TOKEN`] bytes,
/// it is cut and its length given.
///
/// # Examples
///
/// ```
/// assert_eq!(dpa::error::shorten("abc"), "abc");
/// let long = "9".repeat(1000);
/// let s = dpa::error::shorten(&long);
/// assert!(s.len() < 100 && s.contains("1000 bytes"), "{s}");
/// ```
pub fn shorten(token: &str) -> std::borrow::Cow<'_, str> {
    cut(token, MAX_TOKEN)
}

/// `text` if at most `max` bytes long, else its start and end around a note.
fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let keep = max / 2;
    let mut head = keep;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - keep / 2;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}…[{} bytes]…{}",
        &text[..head],
        text.len(),
        &text[tail..]
    ))
}
