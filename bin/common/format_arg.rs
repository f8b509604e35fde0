//! `--format`: the file formats as a command-line choice.

use clap::ValueEnum;
use dpa::Format;

/// A file format on the command line (`json`, `jsonl`, `bincode`, `npy`, `parquet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// The reference's JSON document.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// dpa's compact binary format (`.bin`).
    Bincode,
    /// A NumPy structured array (`.npy`), with a `<file>.npy.json` sidecar.
    Npy,
    /// Apache Parquet (`.parquet`), its claims in the file's metadata.
    Parquet,
}

/// `--compression`: how a Parquet file's pages are compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    /// None.
    None,
    /// LZ4 (raw).
    Lz4,
    /// Zstandard, level 1.
    #[default]
    Zstd,
}

impl From<CompressionArg> for dpa::formats::Compression {
    fn from(c: CompressionArg) -> Self {
        match c {
            CompressionArg::None => dpa::formats::Compression::None,
            CompressionArg::Lz4 => dpa::formats::Compression::Lz4,
            CompressionArg::Zstd => dpa::formats::Compression::Zstd,
        }
    }
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Bincode => Format::Bincode,
            FormatArg::Npy => Format::Npy,
            FormatArg::Parquet => Format::Parquet,
        }
    }
}
