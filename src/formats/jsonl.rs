//! JSON Lines: one record per line, no header: its writer and its reader.

use std::io::{self, BufRead, Write};
use std::path::Path;

use super::handler::{FileInfo, RecordHandler};
use super::limits::{read_line_capped, LineError, MAX_ITEM_BYTES};
use super::record::{append_record, RawRecord, RecordStyle};
use super::{FileFormat, FileMetadata, Format, RecordSink};
use crate::error::{DataKind, Error};
use crate::params::Params;
use crate::stats::Statistics;

/// Writes records as JSON Lines (no header, no statistics).
///
/// # Examples
///
/// ```
/// use dpa::{Generator, JsonlWriter, Preset, RecordSink};
/// let g = Generator::new(Preset::Moderate.config()).unwrap();
/// let mut w = JsonlWriter::new(Vec::new());
/// for id in 0..3 { w.write_record(&g.params(id)).unwrap(); }
/// let text = String::from_utf8(w.finish(None).unwrap()).unwrap();
/// assert_eq!(text.lines().count(), 3);
/// ```
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer over `out` (wrap unbuffered writers in a `BufWriter`).
    ///
    /// # Examples
    ///
    /// ```
    /// let w = dpa::JsonlWriter::new(std::io::sink());
    /// # drop(w);
    /// ```
    pub fn new(out: W) -> Self {
        JsonlWriter {
            out,
            line: Vec::with_capacity(256),
        }
    }
}

impl<W: Write> JsonlWriter<W> {
    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write> RecordSink for JsonlWriter<W> {
    type Inner = W;

    #[inline]
    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        super::record::check_finite(record)?;
        self.line.clear();
        append_record(record, RecordStyle::Compact, &mut self.line);
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn finish(mut self, _statistics: Option<&Statistics>) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Appends `records` as JSON Lines to `out`: what [`JsonlWriter`] writes for them.
pub(crate) fn encode(records: &[Params], out: &mut Vec<u8>) -> io::Result<()> {
    for record in records {
        super::record::check_finite(record)?;
        append_record(record, RecordStyle::Compact, out);
        out.push(b'\n');
    }
    Ok(())
}

/// JSON Lines as a [`FileFormat`].
#[derive(Debug, Clone, Copy)]
pub struct JsonlFormat;

impl FileFormat for JsonlFormat {
    type Writer<W: Write> = JsonlWriter<W>;
    const FORMAT: Format = Format::Jsonl;

    fn create<W: Write>(out: W, _metadata: &FileMetadata) -> io::Result<JsonlWriter<W>> {
        Ok(JsonlWriter::new(out))
    }

    fn resume<W: Write>(out: W, _records: u64) -> JsonlWriter<W> {
        JsonlWriter::new(out)
    }
}

/// Reads JSON Lines (after format detection).
pub(crate) fn read<R, H>(mut input: R, path: &Path, handler: &mut H) -> Result<FileInfo, H::Error>
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
        // dpa's own layout is read directly; anything else by the general parser.
        if let Some(p) = super::record::parse_compact_line(&line) {
            handler.record(p)?;
            info.records += 1;
            continue;
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
