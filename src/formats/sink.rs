//! A record sink for a format chosen at run time.

use std::io::{self, Write};

use super::binary::{BinaryFormat, BincodeWriter};
use super::json::{JsonFormat, JsonWriter};
use super::jsonl::{JsonlFormat, JsonlWriter};
use super::metadata::FileMetadata;
use super::npy::{NpyFormat, NpyWriter};
use super::parquet::ParquetWriter;
use super::reference::{ReferenceFormat, ReferenceWriter};
use super::{FileFormat, Format, RecordSink};
use crate::params::Params;
use crate::stats::Statistics;

/// Any of dpa's writers, picked by [`Format`].
///
/// # Examples
///
/// ```
/// use dpa::{AnySink, FileMetadata, Format, Generator, Preset, RecordSink};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let meta = FileMetadata::for_config(g.config().clone(), Some(1));
/// let dir = tempfile::tempdir().unwrap();
/// for format in Format::ALL {
///     let mut sink = AnySink::new(format, Vec::new(), &meta).unwrap();
///     sink.write_record(&g.params(0)).unwrap();
///     let bytes = sink.finish(None).unwrap();
///     // A Parquet file is read from a file (its footer is at its end).
///     let path = dir.path().join(format!("x.{}", format.extension()));
///     std::fs::write(&path, &bytes).unwrap();
///     let mut n = 0;
///     dpa::read_records(&path, |_| { n += 1; Ok(()) }).unwrap();
///     assert_eq!(n, 1, "{format}");
/// }
/// ```
#[derive(Debug)]
pub enum AnySink<W: Write> {
    /// The reference's JSON document.
    Json(JsonWriter<W>),
    /// JSON Lines.
    Jsonl(JsonlWriter<W>),
    /// The binary format.
    Bincode(BincodeWriter<W>),
    /// The reference's own JSON file.
    Reference(ReferenceWriter<W>),
    /// A NumPy array.
    Npy(NpyWriter<W>),
    /// A Parquet file (boxed: its row group's columns make it far larger than the
    /// other writers).
    Parquet(Box<ParquetWriter<W>>),
}

impl<W: Write> AnySink<W> {
    /// Starts a file of `format` (writing the header where the format has one).
    pub fn new(format: Format, out: W, metadata: &FileMetadata) -> io::Result<Self> {
        Ok(match format {
            Format::Json => AnySink::Json(JsonFormat::create(out, metadata)?),
            Format::Jsonl => AnySink::Jsonl(JsonlFormat::create(out, metadata)?),
            Format::Bincode => AnySink::Bincode(BinaryFormat::create(out, metadata)?),
            Format::ReferenceJson => AnySink::Reference(ReferenceFormat::create(out, metadata)?),
            Format::Npy => AnySink::Npy(NpyFormat::create(out, metadata)?),
            Format::Parquet => AnySink::Parquet(Box::new(ParquetWriter::new(out, metadata)?)),
        })
    }

    /// Continues a file whose header and first `records` records `out` already holds.
    pub fn resume(format: Format, out: W, records: u64) -> Self {
        match format {
            Format::Json => AnySink::Json(JsonFormat::resume(out, records)),
            Format::Jsonl => AnySink::Jsonl(JsonlFormat::resume(out, records)),
            Format::Bincode => AnySink::Bincode(BinaryFormat::resume(out, records)),
            Format::ReferenceJson => AnySink::Reference(ReferenceFormat::resume(out, records)),
            Format::Npy => AnySink::Npy(NpyFormat::resume(out, records)),
            // Never continued: its footer lists its row groups (writes fail).
            Format::Parquet => AnySink::Parquet(Box::new(ParquetWriter::resume(out))),
        }
    }

    /// The bytes a file of `format` starts with for `metadata` (empty for JSON Lines).
    ///
    /// # Examples
    ///
    /// ```
    /// let meta = dpa::FileMetadata::for_config(Default::default(), None);
    /// assert!(dpa::AnySink::<Vec<u8>>::header(dpa::Format::Jsonl, &meta).unwrap().is_empty());
    /// ```
    pub fn header(format: Format, metadata: &FileMetadata) -> io::Result<Vec<u8>> {
        let sink = AnySink::new(format, Vec::new(), metadata)?;
        Ok(match sink {
            AnySink::Json(w) => w.into_inner(),
            AnySink::Jsonl(_) => Vec::new(),
            AnySink::Bincode(w) => w.into_inner(),
            AnySink::Reference(w) => w.into_inner(),
            AnySink::Npy(w) => w.into_inner(),
            AnySink::Parquet(mut w) => std::mem::take(w.get_mut()),
        })
    }

    /// Appends to `out` the bytes a writer of `format` writes for `records` when they
    /// follow the first `position` records of a file (a JSON document puts no comma
    /// before its first record). Records encoded this way in separate pieces, then
    /// concatenated, are the bytes one writer would have written.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{AnySink, FileMetadata, Format, Generator, Preset, RecordSink};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let records: Vec<_> = (0..5).map(|id| g.params(id)).collect();
    /// let meta = FileMetadata::for_config(g.config().clone(), Some(5));
    /// for format in Format::ALL {
    ///     let mut whole = AnySink::new(format, Vec::new(), &meta).unwrap();
    ///     records.iter().for_each(|p| whole.write_record(p).unwrap());
    ///     let mut pieces = AnySink::new(format, Vec::new(), &meta).unwrap();
    ///     let (mut a, mut b) = (Vec::new(), Vec::new());
    ///     AnySink::<Vec<u8>>::encode_records(format, 0, &records[..2], &mut a).unwrap();
    ///     AnySink::<Vec<u8>>::encode_records(format, 2, &records[2..], &mut b).unwrap();
    ///     pieces.append_encoded(&a, 2).unwrap();
    ///     pieces.append_encoded(&b, 3).unwrap();
    ///     assert_eq!(pieces.finish(None).unwrap(), whole.finish(None).unwrap(), "{format}");
    /// }
    /// ```
    pub fn encode_records(
        format: Format,
        position: u64,
        records: &[Params],
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        match format {
            Format::Json => super::json::encode(records, position, out),
            Format::Jsonl => super::jsonl::encode(records, out),
            Format::ReferenceJson => super::reference::encode(records, position, out),
            Format::Npy => super::npy::encode(records, out),
            Format::Parquet => super::parquet::encode(records, out),
            Format::Bincode => {
                let mut sink = BinaryFormat::resume(std::mem::take(out), position);
                let written = records.iter().try_for_each(|p| sink.write_record(p));
                *out = std::mem::take(sink.get_mut());
                written
            }
        }
    }

    /// Writes `bytes`, the encoding of the next `records` records (from
    /// [`AnySink::encode_records`] at this writer's position), and moves the writer past
    /// them.
    pub fn append_encoded(&mut self, bytes: &[u8], records: u64) -> io::Result<()> {
        match self {
            AnySink::Json(w) => w.advance(records),
            AnySink::Jsonl(_) => {}
            AnySink::Bincode(w) => w.advance(records),
            AnySink::Reference(w) => w.advance(records),
            AnySink::Npy(w) => w.advance(records),
            // Columns, not bytes in order: the writer takes the records themselves.
            AnySink::Parquet(w) => return w.append_encoded(bytes),
        }
        self.get_mut().write_all(bytes)
    }

    /// The underlying writer, as it is (header written, nothing finished).
    pub fn get_mut(&mut self) -> &mut W {
        match self {
            AnySink::Json(w) => w.get_mut(),
            AnySink::Jsonl(w) => w.get_mut(),
            AnySink::Bincode(w) => w.get_mut(),
            AnySink::Reference(w) => w.get_mut(),
            AnySink::Npy(w) => w.get_mut(),
            AnySink::Parquet(w) => w.get_mut(),
        }
    }
}

impl<W: Write> RecordSink for AnySink<W> {
    type Inner = W;

    #[inline]
    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        match self {
            AnySink::Json(w) => w.write_record(record),
            AnySink::Jsonl(w) => w.write_record(record),
            AnySink::Bincode(w) => w.write_record(record),
            AnySink::Reference(w) => w.write_record(record),
            AnySink::Npy(w) => w.write_record(record),
            AnySink::Parquet(w) => w.write_record(record),
        }
    }

    fn finish(self, statistics: Option<&Statistics>) -> io::Result<W> {
        match self {
            AnySink::Json(w) => w.finish(statistics),
            AnySink::Jsonl(w) => w.finish(statistics),
            AnySink::Bincode(w) => w.finish(statistics),
            AnySink::Reference(w) => w.finish(statistics),
            AnySink::Npy(w) => w.finish(statistics),
            AnySink::Parquet(w) => (*w).finish(statistics),
        }
    }
}
