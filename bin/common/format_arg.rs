//! `--format`: the file formats as a command-line choice.

use clap::ValueEnum;
use dpa::Format;

/// A file format on the command line (`json`, `jsonl`, `bincode`, `npy`).
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
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Bincode => Format::Bincode,
            FormatArg::Npy => Format::Npy,
        }
    }
}
