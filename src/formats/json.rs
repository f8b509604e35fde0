//! The reference's JSON document, written as a stream.
//!
//! Layout (what the reference's `save_augmentation_stream` writes, plus `sample_id`):
//!
//! ```text
//! {
//!   "metadata": {...},
//!   "augmentations": [
//!     {"sample_id": 0, "rotation": ..., "hash": "..."},
//!     ...
//!   ],
//!   "statistics": {...}
//! }
//! ```

use std::io::{self, Write};

use super::metadata::FileMetadata;
use super::record::{write_record, RecordStyle};
use super::RecordSink;
use crate::params::Params;
use crate::stats::Statistics;

/// Writes the reference's JSON document record by record, in constant memory.
///
/// # Examples
///
/// ```
/// use dpa::{FileMetadata, Generator, JsonWriter, Preset, RecordSink, StatsAccumulator};
/// let g = Generator::new(Preset::Moderate.config()).unwrap();
/// let meta = FileMetadata::for_config(g.config().clone(), Some(2));
/// let mut w = JsonWriter::new(Vec::new(), &meta).unwrap();
/// let mut acc = StatsAccumulator::new();
/// for id in 0..2 {
///     let p = g.params(id);
///     acc.push(&p);
///     w.write_record(&p).unwrap();
/// }
/// let bytes = w.finish(Some(&acc.finish())).unwrap();
/// let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
/// assert_eq!(doc["augmentations"].as_array().unwrap().len(), 2);
/// assert_eq!(doc["statistics"]["rotation"]["count"], 2);
/// ```
#[derive(Debug)]
pub struct JsonWriter<W: Write> {
    out: W,
    line: String,
    first: bool,
}

impl<W: Write> JsonWriter<W> {
    /// Starts the document and writes the metadata.
    ///
    /// # Examples
    ///
    /// ```
    /// let meta = dpa::FileMetadata::for_config(dpa::AugmentationConfig::default(), None);
    /// let w = dpa::JsonWriter::new(Vec::new(), &meta).unwrap();
    /// # drop(w);
    /// ```
    pub fn new(mut out: W, metadata: &FileMetadata) -> io::Result<Self> {
        out.write_all(b"{\n  \"metadata\": ")?;
        let meta = serde_json::to_string_pretty(metadata).map_err(io::Error::other)?;
        out.write_all(indent(&meta).as_bytes())?;
        out.write_all(b",\n  \"augmentations\": [")?;
        Ok(JsonWriter {
            out,
            line: String::with_capacity(256),
            first: true,
        })
    }
}

impl<W: Write> JsonWriter<W> {
    /// Continues a document whose header and first `records` records `out` already
    /// holds (used to resume an interrupted run).
    pub fn resume(out: W, records: u64) -> Self {
        JsonWriter {
            out,
            line: String::with_capacity(256),
            first: records == 0,
        }
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// The underlying writer, unfinished.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Indents every line after the first by two spaces, to nest a pretty-printed value.
fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

impl<W: Write> RecordSink for JsonWriter<W> {
    type Inner = W;

    #[inline]
    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        super::record::check_finite(record)?;
        self.line.clear();
        self.line
            .push_str(if self.first { "\n    " } else { ",\n    " });
        self.first = false;
        write_record(record, RecordStyle::Spaced, &mut self.line);
        self.out.write_all(self.line.as_bytes())
    }

    fn finish(mut self, statistics: Option<&Statistics>) -> io::Result<W> {
        self.out
            .write_all(if self.first { b"]" } else { b"\n  ]" })?;
        if let Some(stats) = statistics {
            let text = serde_json::to_string_pretty(stats).map_err(io::Error::other)?;
            self.out.write_all(b",\n  \"statistics\": ")?;
            self.out.write_all(indent(&text).as_bytes())?;
        }
        self.out.write_all(b"\n}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}
