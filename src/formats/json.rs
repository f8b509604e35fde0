//! The reference's JSON document: its streaming writer and its streaming reader.
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

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::path::Path;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::handler::{FileInfo, RecordHandler, Reopen};
use super::limits::MAX_ITEM_BYTES;
use super::metadata::FileMetadata;
use super::record::{append_record, RawRecord, RecordStyle};
use super::sniff::sniff;
use super::{Format, RecordSink};
use crate::error::Error;
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
    line: Vec<u8>,
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
            line: Vec::with_capacity(256),
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
            line: Vec::with_capacity(256),
            first: records == 0,
        }
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Counts `records` written to the underlying writer directly.
    pub(crate) fn advance(&mut self, records: u64) {
        if records > 0 {
            self.first = false;
        }
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
            .extend_from_slice(if self.first { b"\n    " } else { b",\n    " });
        self.first = false;
        append_record(record, RecordStyle::Spaced, &mut self.line);
        self.out.write_all(&self.line)
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

/// Appends `records` to `out` as [`JsonWriter`] writes them after the first `position`
/// records of a document.
pub(crate) fn encode(records: &[Params], position: u64, out: &mut Vec<u8>) -> io::Result<()> {
    for (i, record) in records.iter().enumerate() {
        super::record::check_finite(record)?;
        let first = position == 0 && i == 0;
        out.extend_from_slice(if first { b"\n    " } else { b",\n    " });
        append_record(record, RecordStyle::Spaced, out);
    }
    Ok(())
}

file_format!(
    /// The JSON document as a [`FileFormat`](super::FileFormat).
    JsonFormat,
    JsonWriter,
    Format::Json
);

/// Whether, and with what, the handler's `header` was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    NotSent,
    /// Sent with no metadata: records came first and the input cannot be read twice.
    SentNone,
    /// Sent with the document's metadata (or its absence, known for certain).
    Sent,
}

/// Shared state of the streaming JSON visitor.
struct JsonState<'a, F: RecordHandler + ?Sized> {
    handler: &'a mut F,
    header: Header,
    info: FileInfo,
    in_records: bool,
    callback_error: Option<F::Error>,
    /// Bytes read since the last record or top-level value ended.
    used: Rc<Cell<usize>>,
    /// Records before the metadata may be skipped, to be read in a second pass.
    can_defer: bool,
    /// Records were skipped: read them again once the metadata is known.
    deferred: bool,
}

impl<F: RecordHandler + ?Sized> JsonState<'_, F> {
    fn send_header(&mut self, metadata: Option<&FileMetadata>, how: Header) -> Result<(), String> {
        self.header = how;
        self.handler.header(metadata).map_err(|e| {
            self.callback_error = Some(e);
            "stopped by the record handler".to_string()
        })
    }
}

/// A reader that fails once more than [`MAX_ITEM_BYTES`] were read since `used` was
/// last reset, so that no single value of a document can grow without bound.
struct Budgeted<R> {
    inner: R,
    used: Rc<Cell<usize>>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = (MAX_ITEM_BYTES + 1).saturating_sub(self.used.get());
        if left == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "value too long"));
        }
        let n = buf.len().min(left);
        let n = self.inner.read(&mut buf[..n])?;
        self.used.set(self.used.get() + n);
        Ok(n)
    }
}

struct Document<'s, 'a, F: RecordHandler + ?Sized>(&'s mut JsonState<'a, F>);
struct Records<'s, 'a, F: RecordHandler + ?Sized>(&'s mut JsonState<'a, F>);
/// Skips the records of a document (each within the size budget).
struct SkipRecords<'s>(&'s Cell<usize>);

impl<'de, F> DeserializeSeed<'de> for Document<'_, '_, F>
where
    F: RecordHandler + ?Sized,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F> Visitor<'de> for Document<'_, '_, F>
where
    F: RecordHandler + ?Sized,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with \"metadata\" and \"augmentations\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        let mut saw_records = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "metadata" => {
                    let meta: Option<serde_json::Value> = map.next_value()?;
                    let meta = meta
                        .map(metadata_of)
                        .transpose()
                        .map_err(de::Error::custom)?;
                    match st.header {
                        // Records skipped: the header is sent before the second pass.
                        Header::NotSent if st.deferred => {}
                        Header::NotSent => st
                            .send_header(meta.as_ref(), Header::Sent)
                            .map_err(de::Error::custom)?,
                        Header::SentNone if meta.is_some() => {
                            return Err(de::Error::custom(
                                "the metadata comes after the records (keys sorted?): dpa needs it first when reading a stream; give the file by its path, or put \"metadata\" first",
                            ))
                        }
                        _ => {}
                    }
                    st.info.metadata = meta;
                }
                "statistics" => st.info.statistics = map.next_value()?,
                "augmentations" => {
                    saw_records = true;
                    if st.header == Header::NotSent && st.can_defer {
                        st.deferred = true;
                        map.next_value_seed(SkipRecords(&st.used))?;
                        continue;
                    }
                    if st.header == Header::NotSent {
                        st.send_header(None, Header::SentNone)
                            .map_err(de::Error::custom)?;
                    }
                    st.in_records = true;
                    map.next_value_seed(Records(&mut *st))?;
                    st.in_records = false;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            st.used.set(0);
        }
        if !saw_records {
            return Err(de::Error::missing_field("augmentations"));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for SkipRecords<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SkipRecords<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of augmentation records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {
            self.0.set(0);
        }
        Ok(())
    }
}

impl<'de, F> DeserializeSeed<'de> for Records<'_, '_, F>
where
    F: RecordHandler + ?Sized,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F> Visitor<'de> for Records<'_, '_, F>
where
    F: RecordHandler + ?Sized,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of augmentation records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(raw) = seq.next_element::<RawRecord>()? {
            st.used.set(0);
            let p = raw.into_params(st.info.records, &mut st.info.ids_inferred);
            if let Err(e) = st.handler.record(p) {
                st.callback_error = Some(e);
                return Err(de::Error::custom("stopped by the record handler"));
            }
            st.info.records += 1;
        }
        Ok(())
    }
}

/// Reads a JSON document; when its records come before its metadata and `reopen` can
/// read it again, the records are skipped at first and read in a second pass.
pub(crate) fn read<R, H>(
    input: impl BufRead,
    path: &Path,
    handler: &mut H,
    reopen: Reopen<'_, R>,
) -> Result<FileInfo, H::Error>
where
    R: BufRead,
    H: RecordHandler + ?Sized,
{
    let first = json_pass(input, path, handler, Header::NotSent, reopen.is_some())?;
    if !first.deferred {
        return Ok(first.info);
    }
    handler.header(first.info.metadata.as_ref())?;
    let reopen = reopen.unwrap_or_else(|| unreachable!("deferred only with reopen"));
    let mut again = reopen()?;
    let (_, prefix) = sniff(&mut again, path)?;
    let again = io::Cursor::new(prefix).chain(again);
    Ok(json_pass(again, path, handler, Header::Sent, false)?.info)
}

struct Pass {
    info: FileInfo,
    deferred: bool,
}

fn json_pass<H>(
    input: impl BufRead,
    path: &Path,
    handler: &mut H,
    header: Header,
    can_defer: bool,
) -> Result<Pass, H::Error>
where
    H: RecordHandler + ?Sized,
{
    let used = Rc::new(Cell::new(0));
    let mut state = JsonState {
        handler,
        header,
        info: FileInfo {
            format: Format::Json,
            metadata: None,
            statistics: None,
            records: 0,
            ids_inferred: false,
        },
        in_records: false,
        callback_error: None,
        used: used.clone(),
        can_defer,
        deferred: false,
    };
    let budgeted = Budgeted {
        inner: input,
        used: used.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(budgeted);
    let result = Document(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(e) = state.callback_error.take() {
        return Err(e);
    }
    let position = |e: &serde_json::Error| {
        if state.in_records {
            format!("record {}", state.info.records)
        } else {
            format!("line {} column {}", e.line(), e.column())
        }
    };
    match result {
        Ok(()) => Ok(Pass {
            info: state.info,
            deferred: state.deferred,
        }),
        Err(e) if e.is_io() && used.get() > MAX_ITEM_BYTES => Err(Error::data_of(
            crate::error::DataKind::TooLarge,
            path,
            position(&e),
            format!("a value longer than {MAX_ITEM_BYTES} bytes: not a dpa file"),
        )
        .into()),
        Err(e) if e.is_io() => Err(Error::io(path, io::Error::other(e.to_string())).into()),
        Err(e) => Err(Error::data(path, position(&e), e.to_string()).into()),
    }
}
/// A document's metadata. The reference's own file (no `generator`) shows how each
/// config bound was held, by writing `30` or `30.0`: that form is kept for writing the
/// reference's layout again. dpa's documents write every bound as a float, which says
/// nothing of it.
fn metadata_of(value: serde_json::Value) -> Result<FileMetadata, serde_json::Error> {
    let forms = value
        .get("config")
        .filter(|c| c.is_object())
        .map(super::ConfigForms::from_json);
    let mut meta: FileMetadata = serde_json::from_value(value)?;
    if let (None, Some(forms)) = (&meta.generator, forms) {
        meta.config_forms = forms;
    }
    Ok(meta)
}
