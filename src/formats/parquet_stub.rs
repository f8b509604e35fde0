//! Parquet without the `parquet` feature: every use is an error that says how to get it.

use std::io::{self, Write};
use std::path::Path;

use super::handler::{FileInfo, RecordHandler};
use super::metadata::FileMetadata;
use super::RecordSink;
use crate::error::Error;
use crate::params::Params;
use crate::stats::Statistics;

/// The magic bytes a Parquet file starts (and ends) with.
pub const MAGIC: [u8; 4] = *b"PAR1";

fn unavailable() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "this dpa was built without Parquet (cargo feature `parquet`)",
    )
}

/// A Parquet writer that cannot be made: this build has no Parquet.
#[derive(Debug)]
pub struct ParquetWriter<W: Write> {
    out: W,
}

impl<W: Write> ParquetWriter<W> {
    /// Always an error: this build has no Parquet.
    pub fn new(_out: W, _metadata: &FileMetadata) -> io::Result<Self> {
        Err(unavailable())
    }

    /// A writer whose every write fails.
    pub fn resume(out: W) -> Self {
        ParquetWriter { out }
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Always an error.
    pub fn append_encoded(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Err(unavailable())
    }
}

impl<W: Write> RecordSink for ParquetWriter<W> {
    type Inner = W;

    fn write_record(&mut self, _record: &Params) -> io::Result<()> {
        Err(unavailable())
    }

    fn finish(self, _statistics: Option<&Statistics>) -> io::Result<W> {
        Err(unavailable())
    }
}

pub(crate) fn encode(_records: &[Params], _out: &mut Vec<u8>) -> io::Result<()> {
    Err(unavailable())
}

pub(crate) fn read<H: RecordHandler + ?Sized>(
    path: &Path,
    _handler: &mut H,
) -> Result<FileInfo, H::Error> {
    Err(Error::io(path, unavailable()).into())
}
