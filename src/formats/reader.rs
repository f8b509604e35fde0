//! Streaming readers for every format dpa writes, and for the reference's own files.
//!
//! Records are handed to a callback one at a time, so memory stays flat whatever the
//! size of the file. The reference's records carry no `sample_id`; such records are
//! numbered by their position in the file, from 0, which is what the reference's
//! `generate_augmentation_chain` and `save_augmentation_stream` (from id 0) used.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::limits::{read_line_capped, LineError, MAX_ITEM_BYTES};
use super::metadata::FileMetadata;
use super::Format;
use crate::error::{DataKind, Error};
use crate::params::{Hash, Params};
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

/// A record as found in a file: `sample_id` and `rank` may be missing.
#[derive(Deserialize)]
#[serde(expecting = "a record object with rotation, brightness, noise, scale, contrast and hash")]
struct RawRecord {
    #[serde(default)]
    sample_id: Option<u64>,
    #[serde(default)]
    rank: Option<u64>,
    rotation: f64,
    brightness: f64,
    noise: f64,
    scale: f64,
    contrast: f64,
    hash: Hash,
}

impl RawRecord {
    fn into_params(self, position: u64, inferred: &mut bool) -> Params {
        let sample_id = self.sample_id.unwrap_or_else(|| {
            *inferred = true;
            position
        });
        Params {
            sample_id,
            rank: self.rank,
            rotation: self.rotation,
            brightness: self.brightness,
            noise: self.noise,
            scale: self.scale,
            contrast: self.contrast,
            hash: self.hash,
        }
    }
}

/// Receives what a reader finds: the file's metadata (once, before the first record),
/// then each record in file order.
///
/// Pass a handler to [`read_records_with`]; [`read_records`] takes a plain closure.
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
struct OnRecord<F>(F);

impl<F: FnMut(Params) -> Result<(), Error>> RecordHandler for OnRecord<F> {
    type Error = Error;

    fn record(&mut self, record: Params) -> Result<(), Error> {
        (self.0)(record)
    }
}

/// Reads every record of the file at `path`, in file order, detecting its format
/// from its content.
///
/// # Examples
///
/// ```
/// use dpa::{Generator, JsonlWriter, Preset, RecordSink};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("a.jsonl");
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let mut w = JsonlWriter::new(std::fs::File::create(&path).unwrap());
/// for id in 0..5 { w.write_record(&g.params(id)).unwrap(); }
/// w.finish(None).unwrap();
/// let mut ids = Vec::new();
/// dpa::read_records(&path, |p| { ids.push(p.sample_id); Ok(()) }).unwrap();
/// assert_eq!(ids, [0, 1, 2, 3, 4]);
/// ```
pub fn read_records<F>(path: &Path, on_record: F) -> Result<FileInfo, Error>
where
    F: FnMut(Params) -> Result<(), Error>,
{
    read_records_with(path, &mut OnRecord(on_record))
}

/// Reads the file at `path` into a [`RecordHandler`], which also sees the metadata.
///
/// # Examples
///
/// ```
/// struct Ignore;
/// impl dpa::RecordHandler for Ignore {
///     type Error = dpa::Error;
///     fn record(&mut self, _: dpa::Params) -> Result<(), dpa::Error> { Ok(()) }
/// }
/// let err = dpa::formats::read_records_with("/no/such/file".as_ref(), &mut Ignore).unwrap_err();
/// assert!(err.to_string().contains("/no/such/file"));
/// ```
pub fn read_records_with<H: RecordHandler + ?Sized>(
    path: &Path,
    handler: &mut H,
) -> Result<FileInfo, H::Error> {
    let open = || -> Result<BufReader<File>, Error> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Error::io(
                path,
                io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
            ));
        }
        Ok(BufReader::with_capacity(1 << 16, file))
    };
    let is_regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let reopen = is_regular.then_some(&open as &dyn Fn() -> Result<BufReader<File>, Error>);
    read_any(open()?, path, handler, reopen)
}

/// Reads every record from `input`; `path` names the source in errors.
///
/// # Examples
///
/// ```
/// let err = dpa::read_records_from(&b"[1, 2]"[..], "in.json".as_ref(), |_| Ok(())).unwrap_err();
/// assert!(err.to_string().starts_with("in.json: byte 0:"), "{err}");
/// ```
pub fn read_records_from<R, F>(input: R, path: &Path, on_record: F) -> Result<FileInfo, Error>
where
    R: BufRead,
    F: FnMut(Params) -> Result<(), Error>,
{
    read_records_from_with(input, path, &mut OnRecord(on_record))
}

/// Reads every record from `input` into a [`RecordHandler`]; `path` names the source.
///
/// # Examples
///
/// ```
/// struct Ignore;
/// impl dpa::RecordHandler for Ignore {
///     type Error = dpa::Error;
///     fn record(&mut self, _: dpa::Params) -> Result<(), dpa::Error> { Ok(()) }
/// }
/// let info = dpa::formats::read_records_from_with(&b""[..], "empty".as_ref(), &mut Ignore).unwrap();
/// assert_eq!(info.records, 0);
/// ```
pub fn read_records_from_with<R, H>(
    input: R,
    path: &Path,
    handler: &mut H,
) -> Result<FileInfo, H::Error>
where
    R: BufRead,
    H: RecordHandler + ?Sized,
{
    read_any(input, path, handler, None::<&dyn Fn() -> Result<R, Error>>)
}

/// A way to read the same input again from its start (a regular file), for a JSON
/// document whose `metadata` comes after its records.
type Reopen<'a, R> = Option<&'a dyn Fn() -> Result<R, Error>>;

fn read_any<R, H>(
    mut input: R,
    path: &Path,
    handler: &mut H,
    reopen: Reopen<'_, R>,
) -> Result<FileInfo, H::Error>
where
    R: BufRead,
    H: RecordHandler + ?Sized,
{
    let (format, prefix) = sniff(&mut input, path)?;
    let input = io::Cursor::new(prefix).chain(input);
    match format {
        Format::Jsonl => read_jsonl(input, path, handler),
        Format::Json => read_json(input, path, handler, reopen),
        Format::Bincode => super::binary::read_binary(input, path, handler),
    }
}

/// Tells the format from the content, whatever the sizes of the reads (a pipe may
/// deliver one byte at a time): the binary magic; else, after an optional UTF-8 byte
/// order mark and whitespace, a JSON document when the first key of the first object
/// is `metadata`, `augmentations` or `statistics`; else JSON Lines.
///
/// Returns the format and the bytes consumed to decide (less a byte order mark), which
/// the caller puts back in front of the rest.
fn sniff<R: BufRead>(input: &mut R, path: &Path) -> Result<(Format, Vec<u8>), Error> {
    let mut peek = Peek {
        input,
        path,
        bytes: Vec::new(),
    };
    let first = match peek.byte()? {
        None => return Ok((Format::Jsonl, peek.bytes)),
        Some(b) if b == super::binary::MAGIC[0] => return Ok((Format::Bincode, peek.bytes)),
        Some(0xEF) => {
            if peek.byte()? != Some(0xBB) || peek.byte()? != Some(0xBF) {
                return Err(peek.not_ours(0));
            }
            peek.bytes.clear();
            peek.skip_whitespace()?
        }
        Some(b) if b.is_ascii_whitespace() => peek.skip_whitespace()?,
        Some(b) => Some(b),
    };
    let Some(open) = first else {
        // Empty (or blank): JSON Lines with no records.
        return Ok((Format::Jsonl, peek.bytes));
    };
    if open != b'{' {
        return Err(peek.not_ours(peek.bytes.len() - 1));
    }
    match peek.skip_whitespace()? {
        Some(b'"') => {}
        Some(_) => return Ok((Format::Jsonl, peek.bytes)),
        None => return Err(peek.truncated()),
    }
    let mut key = Vec::new();
    loop {
        match peek.byte()? {
            None => return Err(peek.truncated()),
            Some(b'"') => break,
            Some(b) if key.len() < 16 => key.push(b),
            // Longer than any key of a JSON document: a record's key.
            Some(_) => return Ok((Format::Jsonl, peek.bytes)),
        }
    }
    let document = matches!(&key[..], b"metadata" | b"augmentations" | b"statistics");
    let format = if document {
        Format::Json
    } else {
        Format::Jsonl
    };
    Ok((format, peek.bytes))
}

/// Reads bytes one at a time, keeping them.
struct Peek<'a, R> {
    input: &'a mut R,
    path: &'a Path,
    bytes: Vec<u8>,
}

impl<R: BufRead> Peek<'_, R> {
    fn byte(&mut self) -> Result<Option<u8>, Error> {
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(self.path, e)),
            };
            let Some(&b) = buf.first() else {
                return Ok(None);
            };
            self.input.consume(1);
            self.bytes.push(b);
            return Ok(Some(b));
        }
    }

    /// The first byte that is not whitespace (bounded), or `None` at the end.
    fn skip_whitespace(&mut self) -> Result<Option<u8>, Error> {
        loop {
            match self.byte()? {
                Some(b) if b.is_ascii_whitespace() => {
                    if self.bytes.len() > MAX_ITEM_BYTES {
                        return Err(Error::data_of(crate::error::DataKind::TooLarge,
                            self.path,
                            format!("byte {}", self.bytes.len()),
                            format!("more than {MAX_ITEM_BYTES} bytes of whitespace before the first record"),
                        ));
                    }
                }
                other => return Ok(other),
            }
        }
    }

    fn not_ours(&self, at: usize) -> Error {
        Error::data(
            self.path,
            format!("byte {at}"),
            "not a dpa file: expected a JSON object ('{'), JSON Lines or dpa's binary format",
        )
    }

    fn truncated(&self) -> Error {
        Error::data_of(
            crate::error::DataKind::Truncated,
            self.path,
            format!("byte {}", self.bytes.len()),
            "truncated file: it ends inside its first JSON object",
        )
    }
}

fn read_jsonl<R, H>(mut input: R, path: &Path, handler: &mut H) -> Result<FileInfo, H::Error>
where
    R: BufRead,
    H: RecordHandler + ?Sized,
{
    handler.header(None)?;
    let mut info = FileInfo {
        format: Format::Jsonl,
        metadata: None,
        statistics: None,
        records: 0,
        ids_inferred: false,
    };
    let mut line = Vec::with_capacity(512);
    let mut line_no = 0u64;
    loop {
        line.clear();
        let n = read_line_capped(&mut input, &mut line, MAX_ITEM_BYTES).map_err(|e| match e {
            LineError::Io(e) => Error::io(path, e),
            LineError::TooLong => Error::data_of(
                crate::error::DataKind::TooLarge,
                path,
                format!("line {}", line_no + 1),
                format!("longer than {MAX_ITEM_BYTES} bytes: not a dpa record"),
            ),
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let Some(first) = line.iter().find(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        if *first != b'{' {
            return Err(Error::data(
                path,
                format!("line {line_no}"),
                "expected a record (a JSON object)",
            )
            .into());
        }
        let raw: RawRecord = serde_json::from_slice(&line).map_err(|e| {
            let (kind, what) = if line.last() != Some(&b'\n') && e.is_eof() {
                let what = format!("truncated record (no end of line): {e}");
                (DataKind::Truncated, what)
            } else {
                (DataKind::Damaged, e.to_string())
            };
            Error::data_of(kind, path, format!("line {line_no}"), what)
        })?;
        handler.record(raw.into_params(info.records, &mut info.ids_inferred))?;
        info.records += 1;
    }
    Ok(info)
}

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
                    let meta: Option<FileMetadata> = map.next_value()?;
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
fn read_json<R, H>(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(FileInfo, Vec<Params>), Error> {
        let mut out = Vec::new();
        let info = read_records_from(text.as_bytes(), Path::new("t"), |p| {
            out.push(p);
            Ok(())
        })?;
        Ok((info, out))
    }

    const REC: &str = r#"{"rotation": 1.5, "brightness": 1, "noise": 0, "scale": 1, "contrast": 1, "hash": "0000000000000000000000000000000000000000000000000000000000000000"}"#;

    #[test]
    fn json_document_without_ids_is_numbered_by_position() {
        let doc = format!(
            r#"{{"metadata": {{"num_samples": 2, "config": {{"rotation_range": [-30, 30]}}}}, "augmentations": [{REC}, {REC}]}}"#
        );
        let (info, recs) = read(&doc).unwrap();
        assert_eq!(info.format, Format::Json);
        assert!(info.ids_inferred);
        assert_eq!(recs.iter().map(|p| p.sample_id).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(info.metadata.unwrap().num_samples, Some(2));
    }

    #[test]
    fn bad_records_name_their_position() {
        let doc = format!(r#"{{"augmentations": [{REC}, 5]}}"#);
        let err = read(&doc).unwrap_err().to_string();
        assert!(err.contains("record 1"), "{err}");

        let bad_value = REC.replace("1.5", "\"x\"");
        let err = read(&format!("{REC}\n{bad_value}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("invalid type"),
            "{err}"
        );

        let torn = &REC[..40];
        let err = read(&format!("{REC}\n{torn}")).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("truncated"), "{err}");

        let err = read(&format!(r#"{{"augmentations": [{REC}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("record 1"), "{err}");

        let err = read(r#"{"metadata": {}}"#).unwrap_err().to_string();
        assert!(err.contains("augmentations"), "{err}");

        let err = read(r#"{"augmentations": []} trailing"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("trailing"), "{err}");
    }

    #[test]
    fn errors_say_what_kind_of_problem_they_are() {
        let kind = |text: &str| read(text).unwrap_err().data_kind();
        assert_eq!(
            kind(&format!("{REC}\n{}", &REC[..40])),
            Some(DataKind::Truncated)
        );
        assert_eq!(kind(r#"{"metad"#), Some(DataKind::Truncated));
        assert_eq!(kind(&format!("{REC}\n[1]\n")), Some(DataKind::Damaged));
        let long = format!("{{\"rotation\": \"{}\"}}\n", "x".repeat(MAX_ITEM_BYTES));
        assert_eq!(kind(&long), Some(DataKind::TooLarge));
    }

    #[test]
    fn empty_input_is_an_empty_jsonl_file() {
        let (info, recs) = read("").unwrap();
        assert_eq!(
            (info.format, info.records, recs.len()),
            (Format::Jsonl, 0, 0)
        );
    }

    #[test]
    fn callback_errors_pass_through_unchanged() {
        let doc = format!(r#"{{"augmentations": [{REC}, {REC}]}}"#);
        let err = read_records_from(doc.as_bytes(), Path::new("t"), |_| {
            Err(Error::data("elsewhere", "here", "stop"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "elsewhere: here: stop");
    }
}
