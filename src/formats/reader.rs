//! Streaming readers for every format dpa writes, and for the reference's own files.
//!
//! Records are handed to a callback one at a time, so memory stays flat whatever the
//! size of the file. The reference's records carry no `sample_id`; such records are
//! numbered by their position in the file, from 0, which is what the reference's
//! `generate_augmentation_chain` and `save_augmentation_stream` (from id 0) used.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::metadata::FileMetadata;
use super::Format;
use crate::error::Error;
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
    /// Called once before the first record, with the metadata if the file has some
    /// at its start (JSON documents, binary files); JSON Lines have none.
    fn header(&mut self, metadata: Option<&FileMetadata>) -> Result<(), Error> {
        let _ = metadata;
        Ok(())
    }

    /// Called for each record.
    fn record(&mut self, record: Params) -> Result<(), Error>;
}

/// A closure as a handler that ignores the metadata.
struct OnRecord<F>(F);

impl<F: FnMut(Params) -> Result<(), Error>> RecordHandler for OnRecord<F> {
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
///     fn record(&mut self, _: dpa::Params) -> Result<(), dpa::Error> { Ok(()) }
/// }
/// let err = dpa::formats::read_records_with("/no/such/file".as_ref(), &mut Ignore).unwrap_err();
/// assert!(err.to_string().contains("/no/such/file"));
/// ```
pub fn read_records_with<H: RecordHandler + ?Sized>(
    path: &Path,
    handler: &mut H,
) -> Result<FileInfo, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
        ));
    }
    read_records_from_with(BufReader::with_capacity(1 << 16, file), path, handler)
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
///     fn record(&mut self, _: dpa::Params) -> Result<(), dpa::Error> { Ok(()) }
/// }
/// let info = dpa::formats::read_records_from_with(&b""[..], "empty".as_ref(), &mut Ignore).unwrap();
/// assert_eq!(info.records, 0);
/// ```
pub fn read_records_from_with<R, H>(
    mut input: R,
    path: &Path,
    handler: &mut H,
) -> Result<FileInfo, Error>
where
    R: BufRead,
    H: RecordHandler + ?Sized,
{
    match sniff(&mut input, path)? {
        Format::Jsonl => read_jsonl(input, path, handler),
        Format::Json => read_json(input, path, handler),
        Format::Bincode => super::binary::read_binary(input, path, handler),
    }
}

/// Tells the format from the first bytes: the binary magic; else a JSON document by
/// the first key of its first object (`metadata`, `augmentations` or `statistics`);
/// else JSON Lines.
fn sniff<R: BufRead>(input: &mut R, path: &Path) -> Result<Format, Error> {
    let buf = input.fill_buf().map_err(|e| Error::io(path, e))?;
    if buf.first() == Some(&super::binary::MAGIC[0]) {
        return Ok(Format::Bincode);
    }
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < buf.len() && buf[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if i == buf.len() {
        // Empty (or blank): JSON Lines with no records.
        return Ok(Format::Jsonl);
    }
    if buf[i] != b'{' {
        return Err(Error::data(
            path,
            format!("byte {i}"),
            "not a dpa file: expected a JSON object ('{'), found something else",
        ));
    }
    i += 1;
    skip_ws(&mut i);
    if i < buf.len() && buf[i] == b'"' {
        let rest = &buf[i + 1..];
        for key in ["metadata\"", "augmentations\"", "statistics\""] {
            if rest.starts_with(key.as_bytes()) {
                return Ok(Format::Json);
            }
        }
    }
    Ok(Format::Jsonl)
}

fn read_jsonl<R, H>(mut input: R, path: &Path, handler: &mut H) -> Result<FileInfo, Error>
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
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let raw: RawRecord = serde_json::from_slice(&line).map_err(|e| {
            let what = if line.last() != Some(&b'\n') && e.is_eof() {
                format!("truncated record (no end of line): {e}")
            } else {
                e.to_string()
            };
            Error::data(path, format!("line {line_no}"), what)
        })?;
        handler.record(raw.into_params(info.records, &mut info.ids_inferred))?;
        info.records += 1;
    }
    Ok(info)
}

/// Shared state of the streaming JSON visitor.
struct JsonState<'a, F: ?Sized> {
    handler: &'a mut F,
    header_sent: bool,
    info: FileInfo,
    in_records: bool,
    callback_error: Option<Error>,
}

struct Document<'s, 'a, F: ?Sized>(&'s mut JsonState<'a, F>);
struct Records<'s, 'a, F: ?Sized>(&'s mut JsonState<'a, F>);

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
        let mut saw_records = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "metadata" => {
                    let meta: Option<FileMetadata> = map.next_value()?;
                    if !self.0.header_sent {
                        self.0.header_sent = true;
                        if let Err(e) = self.0.handler.header(meta.as_ref()) {
                            self.0.callback_error = Some(e);
                            return Err(de::Error::custom("stopped by the record handler"));
                        }
                    }
                    self.0.info.metadata = meta;
                }
                "statistics" => self.0.info.statistics = map.next_value()?,
                "augmentations" => {
                    saw_records = true;
                    if !self.0.header_sent {
                        self.0.header_sent = true;
                        if let Err(e) = self.0.handler.header(None) {
                            self.0.callback_error = Some(e);
                            return Err(de::Error::custom("stopped by the record handler"));
                        }
                    }
                    self.0.in_records = true;
                    map.next_value_seed(Records(&mut *self.0))?;
                    self.0.in_records = false;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_records {
            return Err(de::Error::missing_field("augmentations"));
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

fn read_json<R, H>(input: R, path: &Path, handler: &mut H) -> Result<FileInfo, Error>
where
    R: BufRead,
    H: RecordHandler + ?Sized,
{
    let mut state = JsonState {
        handler,
        header_sent: false,
        info: FileInfo {
            format: Format::Json,
            metadata: None,
            statistics: None,
            records: 0,
            ids_inferred: false,
        },
        in_records: false,
        callback_error: None,
    };
    let mut de = serde_json::Deserializer::from_reader(input);
    let result = Document(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(e) = state.callback_error.take() {
        return Err(e);
    }
    match result {
        Ok(()) => Ok(state.info),
        Err(e) if e.is_io() => Err(Error::io(path, io::Error::other(e.to_string()))),
        Err(e) => {
            let position = if state.in_records {
                format!("record {}", state.info.records)
            } else {
                format!("line {} column {}", e.line(), e.column())
            };
            Err(Error::data(path, position, e.to_string()))
        }
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
