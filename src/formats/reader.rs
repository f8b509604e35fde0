//! Streaming readers for every format dpa writes, and for the reference's own files.
//!
//! Records are handed to a callback one at a time, so memory stays flat whatever the
//! size of the file. The reference's records carry no `sample_id`; such records are
//! numbered by their position in the file, from 0, which is what the reference's
//! `generate_augmentation_chain` and `save_augmentation_stream` (from id 0) used.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::claims::Checked;
pub use super::handler::{FileInfo, RecordHandler};
use super::handler::{OnRecord, Reopen};
use super::sniff::sniff;
use super::Format;
use crate::direct::BlockReader;
use crate::error::Error;
use crate::params::Params;

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
    let open = || -> Result<Input, Error> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::io(
                path,
                io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
            ));
        }
        // A regular file of more than a block is read ahead in blocks, around the page
        // cache where it can be (dpa writes its outputs that way); anything else, as is.
        if meta.is_file() && meta.len() > crate::direct::BLOCK as u64 {
            let blocks = BlockReader::new(&file, 0, None).map_err(|e| Error::io(path, e))?;
            return Ok(Input::Blocks(blocks));
        }
        Ok(Input::Plain(BufReader::with_capacity(1 << 16, file)))
    };
    let is_regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let reopen = is_regular.then_some(&open as &dyn Fn() -> Result<Input, Error>);
    read_any(open()?, path, handler, reopen, is_regular)
}

/// A file being read: in blocks read ahead, or through a small buffer.
enum Input {
    Blocks(BlockReader),
    Plain(BufReader<File>),
}

impl Read for Input {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Blocks(b) => b.read(out),
            Input::Plain(p) => p.read(out),
        }
    }
}

impl BufRead for Input {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Input::Blocks(b) => b.fill_buf(),
            Input::Plain(p) => p.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Input::Blocks(b) => b.consume(n),
            Input::Plain(p) => p.consume(n),
        }
    }
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
    read_any(
        input,
        path,
        handler,
        None::<&dyn Fn() -> Result<R, Error>>,
        false,
    )
}

/// Reads `input` in the format its content shows. `file` says that `path` is the
/// regular file being read, so that a `.npy` file's sidecar beside it is used.
fn read_any<R, H>(
    mut input: R,
    path: &Path,
    handler: &mut H,
    reopen: Reopen<'_, R>,
    file: bool,
) -> Result<FileInfo, H::Error>
where
    R: BufRead,
    H: RecordHandler + ?Sized,
{
    let (format, prefix) = sniff(&mut input, path)?;
    // A file named for NumPy is read as NumPy or refused, whatever it holds: an empty
    // or foreign file named `x.npy` is no empty JSON Lines file.
    if file && format != Format::Npy && path.extension().is_some_and(|e| e == "npy") {
        let message = "its name ends in .npy but it is not a NumPy array (no \\x93NUMPY magic)";
        return Err(
            Error::data_of(crate::error::DataKind::Mismatch, path, "byte 0", message).into(),
        );
    }
    let input = io::Cursor::new(prefix).chain(input);
    let sidecar = match (format, file) {
        (Format::Npy, true) => super::npy::NpySidecar::load(path)?,
        _ => None,
    };
    // The claims are the sidecar's, for an array that has one; else the file's own.
    let claimant = match &sidecar {
        Some(_) => super::sidecar::sidecar_path(path),
        None => path.to_path_buf(),
    };
    let mut checked = Checked::new(handler, claimant);
    let info = match format {
        Format::Jsonl => super::jsonl::read(input, path, &mut checked),
        // Detection finds the reference's file as the JSON document it is.
        Format::Json | Format::ReferenceJson => {
            super::json::read(input, path, &mut checked, reopen)
        }
        Format::Bincode => super::binary::read_binary(input, path, &mut checked),
        Format::Npy => super::npy::read(input, path, &mut checked, sidecar),
        // Its footer is at its end: it is read from the file, not from a stream.
        Format::Parquet if file => super::parquet::read(path, &mut checked),
        Format::Parquet => {
            let message = "a Parquet file is read from a regular file (its footer is at its end), not from a stream";
            Err(Error::data_of(crate::error::DataKind::Mismatch, path, "byte 0", message).into())
        }
    }?;
    checked.finish(&info)?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DataKind;
    use crate::formats::limits::MAX_ITEM_BYTES;

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
        let doc =
            format!(r#"{{"metadata": {{"num_samples": 2}}, "augmentations": [{REC}, {REC}]}}"#);
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
