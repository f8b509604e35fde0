//! File formats: the reference's JSON document ([`json`]), JSON Lines ([`jsonl`]),
//! dpa's binary format ([`binary`]) and NumPy arrays ([`npy`](mod@npy)). Each module owns its format whole — header,
//! record encoding, end of file, reader — behind the [`FileFormat`] trait; [`read_records`]
//! detects the format of an input from its content.
//!
//! Writers take any `io::Write` (a file through [`AtomicFile`](crate::AtomicFile), or
//! stdout) and know nothing of how records are produced. Readers stream: memory use does
//! not grow with the file.

/// A [`FileFormat`] whose writer starts a file with `new(out, metadata)` and continues
/// one with `resume(out, records)`: the JSON document, the binary format, `.npy`.
macro_rules! file_format {
    ($(#[$doc:meta])* $name:ident, $writer:ident, $format:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $crate::formats::FileFormat for $name {
            type Writer<W: std::io::Write> = $writer<W>;
            const FORMAT: $crate::formats::Format = $format;

            fn create<W: std::io::Write>(
                out: W,
                metadata: &$crate::formats::FileMetadata,
            ) -> std::io::Result<$writer<W>> {
                $writer::new(out, metadata)
            }

            fn resume<W: std::io::Write>(out: W, records: u64) -> $writer<W> {
                $writer::resume(out, records)
            }
        }
    };
}

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod binary;
pub mod claims;
mod compression;
mod handler;
pub mod json;
pub mod jsonl;
pub mod limits;
mod metadata;
pub mod npy;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(not(feature = "parquet"))]
#[path = "parquet_stub.rs"]
pub mod parquet;
mod pyrepr;
mod reader;
mod record;
pub mod reference;
pub mod resume;
pub mod segments;
mod shortest;
pub mod sidecar;
mod sink;
mod sniff;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

pub use binary::BincodeWriter;
pub use compression::Compression;
pub use json::JsonWriter;
pub use jsonl::JsonlWriter;
pub use metadata::{FileMetadata, RunRange, SeedingInfo, SeedingMode};
pub use pyrepr::python_repr;
pub use reader::{
    read_records, read_records_from, read_records_from_with, read_records_with, FileInfo,
    RecordHandler,
};
pub use record::{append_compact_line, parse_compact_line, write_record, RecordStyle};
pub use reference::{ConfigForms, ReferenceWriter};
pub use shortest::append_shortest;
pub use sink::AnySink;

use crate::params::Params;
use crate::stats::Statistics;

/// A file format dpa reads and writes.
///
/// # Examples
///
/// ```
/// use dpa::Format;
/// assert_eq!("jsonl".parse::<Format>().unwrap(), Format::Jsonl);
/// assert_eq!(Format::from_path(std::path::Path::new("x.json")), Some(Format::Json));
/// assert_eq!(Format::from_path(std::path::Path::new("x.bin")), Some(Format::Bincode));
/// assert_eq!(Format::from_path(std::path::Path::new("x.txt")), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The reference's JSON document: `{"metadata", "augmentations", "statistics"}`.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// The compact binary format (see [`binary`]), extension `.bin`.
    Bincode,
    /// The reference's own JSON file, byte for byte ([`reference`](mod@reference)): what
    /// `generate_augmentation_chain(..., save_path=...)` writes. Read back as [`Format::Json`]
    /// (the same document, without `sample_id`s); not in [`Format::ALL`].
    #[serde(rename = "reference-json")]
    ReferenceJson,
    /// A NumPy structured array ([`npy`](mod@npy)), extension `.npy`; its metadata and
    /// statistics live in a sidecar, `<file>.npy.json`.
    Npy,
    /// Apache Parquet ([`parquet`](mod@parquet)), extension `.parquet`; its metadata
    /// and statistics live in the file's key-value metadata (feature `parquet`).
    Parquet,
}

impl Format {
    /// All formats.
    pub const ALL: [Format; 5] = [
        Format::Json,
        Format::Jsonl,
        Format::Bincode,
        Format::Npy,
        Format::Parquet,
    ];

    /// The format's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Format::Jsonl.name(), "jsonl");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Bincode => "bincode",
            Format::ReferenceJson => "reference-json",
            Format::Npy => "npy",
            Format::Parquet => "parquet",
        }
    }

    /// The file extension of the format (without the dot).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Format::Bincode.extension(), "bin");
    /// ```
    pub const fn extension(self) -> &'static str {
        match self {
            Format::Json | Format::ReferenceJson => "json",
            Format::Jsonl => "jsonl",
            Format::Bincode => "bin",
            Format::Npy => "npy",
            Format::Parquet => "parquet",
        }
    }

    /// The names of [`Format::ALL`] as a list for messages: `json, jsonl, bincode or
    /// npy` (with `last` before the last: "or", "and").
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Format::names_list("or"), "json, jsonl, bincode, npy or parquet");
    /// ```
    pub fn names_list(last: &str) -> String {
        list_of(Format::ALL.map(Format::name), last)
    }

    /// The extensions of [`Format::ALL`] as a list for messages: `.json, .jsonl, .bin
    /// or .npy`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Format::extensions_list(), ".json, .jsonl, .bin, .npy or .parquet");
    /// ```
    pub fn extensions_list() -> String {
        list_of(Format::ALL.map(|f| format!(".{}", f.extension())), "or")
    }

    /// The format a file name's extension implies.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = std::path::Path::new("out/augmentations.JSONL");
    /// assert_eq!(dpa::Format::from_path(p), Some(dpa::Format::Jsonl));
    /// ```
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }
}

/// `a, b, c LAST d`.
fn list_of<T: fmt::Display>(items: impl IntoIterator<Item = T>, last: &str) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    match items.split_last() {
        Some((end, [])) => end.clone(),
        Some((end, rest)) => format!("{} {last} {end}", rest.join(", ")),
        None => String::new(),
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown format '{s}' (expected {})",
                    Format::names_list("or")
                )
            })
    }
}

/// A file format: how a file starts, continues and is read. Each format's module
/// owns all of it: [`json::JsonFormat`], [`jsonl::JsonlFormat`],
/// [`binary::BinaryFormat`]; [`AnySink`] and the readers dispatch on [`Format`]. A new
/// format is one new module implementing this trait, one [`Format`] variant, and the
/// arms that dispatch on it.
///
/// # Examples
///
/// ```
/// use dpa::formats::{jsonl::JsonlFormat, FileFormat, RecordSink};
/// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
/// let meta = dpa::FileMetadata::for_config(g.config().clone(), Some(1));
/// let mut w = JsonlFormat::create(Vec::new(), &meta).unwrap();
/// w.write_record(&g.params(0)).unwrap();
/// assert!(w.finish(None).unwrap().ends_with(b"\n"));
/// assert_eq!(JsonlFormat::FORMAT, dpa::Format::Jsonl);
/// ```
pub trait FileFormat {
    /// The format's writer over `W`: records, then the end of the file.
    type Writer<W: std::io::Write>: RecordSink<Inner = W>;
    /// The [`Format`] this is.
    const FORMAT: Format;

    /// Starts a file: writes its header (if the format has one) for `metadata`.
    fn create<W: std::io::Write>(
        out: W,
        metadata: &FileMetadata,
    ) -> std::io::Result<Self::Writer<W>>;

    /// Continues a file whose header and first `records` records `out` already holds.
    fn resume<W: std::io::Write>(out: W, records: u64) -> Self::Writer<W>;
}

/// A destination for records in order, in some file format.
///
/// # Examples
///
/// ```
/// use dpa::{Generator, JsonlWriter, Preset, RecordSink};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let mut sink = JsonlWriter::new(Vec::new());
/// sink.write_record(&g.params(0)).unwrap();
/// let bytes = sink.finish(None).unwrap();
/// assert!(bytes.ends_with(b"\n"));
/// ```
pub trait RecordSink {
    /// The underlying writer, returned by `finish`.
    type Inner;

    /// Writes one record.
    fn write_record(&mut self, record: &Params) -> std::io::Result<()>;

    /// Ends the file (writing the statistics where the format holds them) and returns
    /// the writer, flushed.
    fn finish(self, statistics: Option<&Statistics>) -> std::io::Result<Self::Inner>;
}
