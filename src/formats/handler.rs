//! What a reader hands on: [`FileInfo`] and the [`RecordHandler`] that receives the
//! records. Below every format's reader and the dispatcher ([`super::reader`]), which
//! use them.

use super::metadata::FileMetadata;
use super::Format;
use crate::error::Error;
use crate::params::Params;
use crate::stats::Statistics;

/// What a reader learned about a file besides its records.
///
/// # Examples
///
/// ```
/// let data = b"{\"sample_id\":3,\"rotation\":1.0,\"brightness\":1.0,\"noise\":0.0,\
///              \"scale\":1.0,\"contrast\":1.0,\"hash\":\"" as &[u8];
/// let line = [data, "ab".repeat(32).as_bytes(), b"\"}\n"].concat();
/// let info = dpa::read_records_from(&line[..], "mem.jsonl".as_ref(), |p| {
///     assert_eq!(p.sample_id, 3);
///     Ok(())
/// }).unwrap();
/// assert_eq!((info.format, info.records, info.ids_inferred), (dpa::Format::Jsonl, 1, false));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    /// The format detected.
    pub format: Format,
    /// The `metadata` object of a JSON document.
    pub metadata: Option<FileMetadata>,
    /// The `statistics` object of a JSON document.
    pub statistics: Option<Statistics>,
    /// Number of records read.
    pub records: u64,
    /// True when some record had no `sample_id` and was numbered by position.
    pub ids_inferred: bool,
}

/// Receives what a reader finds: the file's metadata (once, before the first record),
/// then each record in file order.
///
/// Pass a handler to [`read_records_with`](super::read_records_with); [`read_records`](super::read_records) takes a plain closure.
///
/// # Examples
///
/// ```
/// use dpa::{Error, FileMetadata, Params, RecordHandler};
/// #[derive(Default)]
/// struct Count { configs: usize, records: usize }
/// impl RecordHandler for Count {
///     type Error = Error;
///     fn header(&mut self, meta: Option<&FileMetadata>) -> Result<(), Error> {
///         self.configs += meta.and_then(|m| m.config.as_ref()).is_some() as usize;
///         Ok(())
///     }
///     fn record(&mut self, _: Params) -> Result<(), Error> { self.records += 1; Ok(()) }
/// }
/// let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference-chain-moderate-50.json");
/// let mut c = Count::default();
/// dpa::formats::read_records_with(&path, &mut c).unwrap();
/// assert_eq!((c.configs, c.records), (1, 50));
/// ```
pub trait RecordHandler {
    /// The error that stops the reading: the handler's own, which the reader's errors
    /// ([`Error`](enum@Error)) convert into, and which the reader returns unchanged.
    type Error: From<Error>;

    /// Called once before the first record, with the file's metadata if it has some
    /// (JSON documents, binary files); JSON Lines have none.
    fn header(&mut self, metadata: Option<&FileMetadata>) -> Result<(), Self::Error> {
        let _ = metadata;
        Ok(())
    }

    /// Called for each record.
    fn record(&mut self, record: Params) -> Result<(), Self::Error>;
}

/// A closure as a handler that ignores the metadata.
pub(crate) struct OnRecord<F>(pub(crate) F);

impl<F: FnMut(Params) -> Result<(), Error>> RecordHandler for OnRecord<F> {
    type Error = Error;

    fn record(&mut self, record: Params) -> Result<(), Error> {
        (self.0)(record)
    }
}

/// A way to read the same input again from its start (a regular file), for a JSON
/// document whose `metadata` comes after its records.
pub(crate) type Reopen<'a, R> = Option<&'a dyn Fn() -> Result<R, Error>>;
