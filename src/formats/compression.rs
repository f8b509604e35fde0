//! [`Compression`]: how a Parquet file's pages are compressed (a writer's choice, not a
//! claim about the records: files do not record it beside their metadata, the Parquet
//! footer does).

/// The compression of a Parquet file's pages.
///
/// # Examples
///
/// ```
/// use dpa::formats::Compression;
/// assert_eq!(Compression::default(), Compression::Zstd);
/// assert_eq!("lz4".parse::<Compression>(), Ok(Compression::Lz4));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compression {
    /// None.
    None,
    /// LZ4 (raw).
    Lz4,
    /// Zstandard, level 1.
    #[default]
    Zstd,
}

impl std::str::FromStr for Compression {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Compression::None),
            "lz4" => Ok(Compression::Lz4),
            "zstd" => Ok(Compression::Zstd),
            _ => Err(format!(
                "unknown compression '{s}' (expected none, lz4 or zstd)"
            )),
        }
    }
}
