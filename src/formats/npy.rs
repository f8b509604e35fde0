//! NumPy's `.npy` format (`--format npy`): a structured array with one row per record,
//! in id order, that `np.load(path, mmap_mode="r")` maps without copying.
//!
//! | column | dtype | |
//! |---|---|---|
//! | `sample_id` | `<u8` | |
//! | `rank` | `<u8` | only when the seeding has a rank (rank-aware) |
//! | `rotation`, `brightness`, `noise`, `scale`, `contrast` | `<f8` | the exact bits |
//! | `hash` | `S64` | the hex digest, lowercase |
//!
//! Rows have a fixed width ([`RowLayout::row_bytes`]), so row `i` starts at byte
//! `header + i × width`: the ranks of `dpa-mpi` write their rows into one shared file.
//! The header (NumPy format version 1.0, 64-byte aligned) is written and parsed by the
//! [`npyz`] crate. It states the number of rows, so a writer needs the count before the
//! first record ([`FileMetadata::num_samples`]).
//!
//! NumPy files hold no metadata: the config, the seeding, the statistics and the
//! array's SHA-256 go into a sidecar, `<file>.npy.json` ([`NpySidecar`]), that the
//! readers use when it is there.

use std::io::{self, BufRead, Read, Write};
use std::path::Path;

use npyz::{DType, Field, TypeStr, WriterBuilder};

use super::handler::{FileInfo, RecordHandler};
use super::metadata::{FileMetadata, SeedingMode};
use super::sidecar::{check_sidecar, Claims};
pub use super::sidecar::{sidecar_path, NpySidecar, MAX_SIDECAR_BYTES, SIDECAR_KIND};
use super::{Format, RecordSink};
use crate::error::{DataKind, Error};
use crate::params::Params;
use crate::seeding::{hex_digits, parse_hex};
use crate::stats::Statistics;

/// The first six bytes of a `.npy` file.
pub const MAGIC: [u8; 6] = *b"\x93NUMPY";

/// The longest header dpa reads (its own are 256 bytes or less): a longer one is not
/// dpa's, and is refused before anything is allocated for it.
pub const MAX_HEADER: usize = 4096;

const FLOATS: [&str; 5] = ["rotation", "brightness", "noise", "scale", "contrast"];

/// The columns of a dpa array: with a `rank` column or without.
///
/// # Examples
///
/// ```
/// use dpa::formats::npy::RowLayout;
/// assert_eq!(RowLayout { rank: false }.row_bytes(), 112);
/// assert_eq!(RowLayout { rank: true }.row_bytes(), 120);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowLayout {
    /// The `rank` column is present.
    pub rank: bool,
}

impl RowLayout {
    /// The layout of a file with `metadata`: a `rank` column when its seeding is
    /// rank-aware.
    pub fn for_metadata(metadata: &FileMetadata) -> Self {
        let rank = metadata
            .seeding
            .as_ref()
            .is_some_and(|s| s.mode == SeedingMode::RankAware);
        RowLayout { rank }
    }

    /// Bytes in a row.
    pub const fn row_bytes(self) -> usize {
        if self.rank {
            120
        } else {
            112
        }
    }

    /// The NumPy dtype of a row.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = dpa::formats::npy::RowLayout { rank: false }.dtype();
    /// assert!(d.descr().starts_with("[('sample_id', '<u8'), ('rotation', '<f8')"), "{}", d.descr());
    /// ```
    pub fn dtype(self) -> DType {
        let fields = self.fields().into_iter().map(|(name, ty)| Field {
            name: name.to_string(),
            dtype: DType::Plain(ty.parse::<TypeStr>().unwrap_or_else(|_| unreachable!())),
        });
        DType::Record(fields.collect())
    }

    /// The columns of a row, in order: `(name, NumPy type string)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = dpa::formats::npy::RowLayout { rank: true }.fields();
    /// assert_eq!(f[..2], [("sample_id", "<u8"), ("rank", "<u8")]);
    /// assert_eq!(f.last(), Some(&("hash", "|S64")));
    /// ```
    pub fn fields(self) -> Vec<(&'static str, &'static str)> {
        let mut fields = vec![("sample_id", "<u8")];
        if self.rank {
            fields.push(("rank", "<u8"));
        }
        fields.extend(FLOATS.iter().map(|name| (*name, "<f8")));
        fields.push(("hash", "|S64"));
        fields
    }
}

/// The header of an array of `rows` rows of `layout`, as NumPy writes it.
///
/// # Examples
///
/// ```
/// use dpa::formats::npy::{header_bytes, RowLayout};
/// let h = header_bytes(RowLayout { rank: true }, 10).unwrap();
/// assert_eq!((&h[..6], h.len() % 64), (&b"\x93NUMPY"[..], 0));
/// ```
pub fn header_bytes(layout: RowLayout, rows: u64) -> io::Result<Vec<u8>> {
    npyz::WriteOptions::new_header_only()
        .dtype(layout.dtype())
        .shape(&[rows])
        .writer(Vec::new())
        .write_header_only()
}

/// Appends the row of `p` to `out`: with a `rank` column when `p` has a rank.
///
/// # Examples
///
/// ```
/// let p = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap().params(7);
/// let mut row = Vec::new();
/// dpa::formats::npy::encode_row(&p, &mut row);
/// assert_eq!(row.len(), 112);
/// assert_eq!(&row[..8], &7u64.to_le_bytes());
/// ```
#[inline]
pub fn encode_row(p: &Params, out: &mut Vec<u8>) {
    out.extend_from_slice(&p.sample_id.to_le_bytes());
    if let Some(rank) = p.rank {
        out.extend_from_slice(&rank.to_le_bytes());
    }
    for v in p.values() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&hex_digits(&p.hash.0));
}

/// Appends the rows of `records` to `out`.
pub(crate) fn encode(records: &[Params], out: &mut Vec<u8>) -> io::Result<()> {
    let width = records.first().map_or(0, |p| {
        RowLayout {
            rank: p.rank.is_some(),
        }
        .row_bytes()
    });
    out.reserve(records.len() * width);
    records.iter().for_each(|p| encode_row(p, out));
    Ok(())
}

/// Writes a `.npy` array, streaming: the header, then the rows.
///
/// # Examples
///
/// ```
/// use dpa::{FileMetadata, Generator, Preset, RecordSink};
/// use dpa::formats::npy::NpyWriter;
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let meta = FileMetadata::for_config(g.config().clone(), Some(2));
/// let mut w = NpyWriter::new(Vec::new(), &meta).unwrap();
/// w.write_record(&g.params(0)).unwrap();
/// w.write_record(&g.params(1)).unwrap();
/// let bytes = w.finish(None).unwrap();
/// let header = dpa::formats::npy::header_bytes(Default::default(), 2).unwrap();
/// assert_eq!(bytes.len(), header.len() + 2 * 112);
/// ```
#[derive(Debug)]
pub struct NpyWriter<W: Write> {
    out: W,
    /// The columns, when this writer wrote the header (a resumed one takes the rows'
    /// own).
    layout: Option<RowLayout>,
    /// Rows the header states, when this writer wrote it.
    rows: Option<u64>,
    count: u64,
    buf: Vec<u8>,
}

impl<W: Write> NpyWriter<W> {
    /// Writes the header for `metadata.num_samples` rows; an error when the count is
    /// unknown.
    pub fn new(mut out: W, metadata: &FileMetadata) -> io::Result<Self> {
        let rows = metadata.num_samples.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "a .npy file states its number of rows in its header: the number of records must be known before the first one",
            )
        })?;
        let layout = RowLayout::for_metadata(metadata);
        out.write_all(&header_bytes(layout, rows)?)?;
        Ok(NpyWriter {
            out,
            layout: Some(layout),
            rows: Some(rows),
            count: 0,
            buf: Vec::with_capacity(128),
        })
    }

    /// Continues a file whose header and first `count` rows were already written.
    pub fn resume(out: W, count: u64) -> Self {
        NpyWriter {
            out,
            layout: None,
            rows: None,
            count,
            buf: Vec::with_capacity(128),
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

    /// Counts `records` written to the underlying writer directly.
    pub(crate) fn advance(&mut self, records: u64) {
        self.count += records;
    }
}

impl<W: Write> RecordSink for NpyWriter<W> {
    type Inner = W;

    #[inline]
    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        if let Some(layout) = self.layout {
            if layout.rank != record.rank.is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "record {} {} a rank, and the array's columns were chosen from its seeding ({}): the .npy rows would not match their header",
                        self.count,
                        if record.rank.is_some() { "has" } else { "has no" },
                        if layout.rank { "rank-aware" } else { "no rank" },
                    ),
                ));
            }
        }
        self.buf.clear();
        encode_row(record, &mut self.buf);
        self.count += 1;
        self.out.write_all(&self.buf)
    }

    /// Flushes. The statistics go into the sidecar, not the array.
    fn finish(mut self, _statistics: Option<&Statistics>) -> io::Result<W> {
        if let Some(rows) = self.rows.filter(|&rows| rows != self.count) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the .npy header states {rows} rows and {} were written",
                    self.count
                ),
            ));
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

file_format!(
    /// The `.npy` format as a [`FileFormat`](super::FileFormat).
    NpyFormat,
    NpyWriter,
    Format::Npy
);

/// Reads a dpa array from `input` (named `path`): the header, checked against dpa's
/// dtypes, then each row. With `sidecar`, its metadata and statistics are the file's,
/// and its size and SHA-256 must be the bytes read.
pub(crate) fn read<R: BufRead, H: RecordHandler + ?Sized>(
    input: R,
    path: &Path,
    handler: &mut H,
    sidecar: Option<NpySidecar>,
) -> Result<FileInfo, H::Error> {
    let mut input = Hashing {
        inner: input,
        hash: sidecar.as_ref().map(NpySidecar::hasher),
        pos: 0,
    };
    let (layout, rows) = read_header(&mut input, path)?;
    let side_path = sidecar_path(path);
    let claims = match &sidecar {
        Some(s) => Some(Claims::check(s, &side_path, rows, layout.rank)?),
        None => None,
    };
    let metadata = sidecar.as_ref().map(|s| s.metadata.clone());
    handler.header(metadata.as_ref())?;
    let width = layout.row_bytes();
    let mut row = vec![0u8; width];
    for i in 0..rows {
        let got = read_full(&mut input, &mut row).map_err(|e| Error::io(path, e))?;
        if got < width {
            let message = format!(
                "truncated file: the header states {rows} rows, the file ends inside row {i}"
            );
            return Err(
                Error::data_of(DataKind::Truncated, path, format!("row {i}"), message).into(),
            );
        }
        let record = decode_row(&row, layout)
            .map_err(|message| Error::data(path, format!("row {i}"), message))?;
        if let Some(c) = &claims {
            c.row(i, &record)?;
        }
        handler.record(record)?;
    }
    if read_full(&mut input, &mut [0u8; 1]).map_err(|e| Error::io(path, e))? > 0 {
        let message = format!("bytes after the {rows} rows the header states");
        return Err(Error::data(path, format!("byte {}", input.pos - 1), message).into());
    }
    if let (Some(s), Some(hash)) = (&sidecar, input.hash.take()) {
        check_sidecar(s, path, &hash.finish())?;
    }
    Ok(FileInfo {
        format: Format::Npy,
        metadata,
        statistics: sidecar.and_then(|s| s.statistics),
        records: rows,
        ids_inferred: false,
    })
}

/// Reads and checks the header: the magic, a bounded length, then (through npyz) a
/// C-ordered one-dimensional array of one of dpa's two dtypes.
fn read_header<R: Read>(input: &mut R, path: &Path) -> Result<(RowLayout, u64), Error> {
    let bad = |message: String| Error::data(path, "header", message);
    let mut pre = [0u8; 10];
    let got = read_full(input, &mut pre).map_err(|e| Error::io(path, e))?;
    if got < pre.len() || pre[..6] != MAGIC {
        return Err(Error::data_of(
            DataKind::Truncated,
            path,
            "header",
            "truncated .npy header",
        ));
    }
    let (len, pre_len) = match pre[6] {
        1 => (usize::from(u16::from_le_bytes([pre[8], pre[9]])), 10),
        2 | 3 => {
            let mut more = [0u8; 2];
            if read_full(input, &mut more).map_err(|e| Error::io(path, e))? < 2 {
                return Err(Error::data_of(
                    DataKind::Truncated,
                    path,
                    "header",
                    "truncated .npy header",
                ));
            }
            let len = u32::from_le_bytes([pre[8], pre[9], more[0], more[1]]);
            (usize::try_from(len).unwrap_or(usize::MAX), 12)
        }
        v => {
            return Err(bad(format!(
                "NumPy format version {v}.{} is not one dpa reads",
                pre[7]
            )))
        }
    };
    if len > MAX_HEADER {
        let message = format!("a header of {len} bytes: dpa's are at most {MAX_HEADER}");
        return Err(Error::data_of(DataKind::TooLarge, path, "header", message));
    }
    let mut bytes = vec![0u8; pre_len + len];
    bytes[..10].copy_from_slice(&pre);
    if pre_len == 12 {
        bytes[10..12].copy_from_slice(&(len as u32).to_le_bytes()[2..]);
    }
    if read_full(input, &mut bytes[pre_len..]).map_err(|e| Error::io(path, e))? < len {
        return Err(Error::data_of(
            DataKind::Truncated,
            path,
            "header",
            "truncated .npy header",
        ));
    }
    check_header_text(&bytes[pre_len..]).map_err(|m| bad(m.into()))?;
    let file =
        npyz::NpyFile::new(&bytes[..]).map_err(|e| bad(format!("not a NumPy header: {e}")))?;
    let layout = [false, true]
        .map(|rank| RowLayout { rank })
        .into_iter()
        .find(|l| l.dtype() == file.dtype())
        .ok_or_else(|| {
            bad(format!(
                "dtype {} is not dpa's: expected {}",
                file.dtype().descr(),
                RowLayout { rank: false }.dtype().descr()
            ))
        })?;
    match (file.shape(), file.order()) {
        (&[rows], npyz::Order::C) => Ok((layout, rows)),
        (shape, order) => Err(bad(format!(
            "shape {shape:?} ({order:?} order): dpa's arrays are one-dimensional, in C order"
        ))),
    }
}

/// A header dpa may hand to the parser: printable ASCII, nested at most 4 deep (a
/// deeply nested one would exhaust the parser's stack).
fn check_header_text(text: &[u8]) -> Result<(), &'static str> {
    let mut depth = 0i32;
    for &b in text {
        if !(b == b'\n' || (0x20..0x7f).contains(&b)) {
            return Err("the header is not printable ASCII");
        }
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        if depth > 4 {
            return Err("the header nests deeper than dpa's");
        }
    }
    Ok(())
}

/// Decodes one row of either layout (told apart by its length); `None` when it is not
/// a row dpa writes.
pub(crate) fn decode(row: &[u8]) -> Option<Params> {
    let rank = match row.len() {
        112 => false,
        120 => true,
        _ => return None,
    };
    decode_row(row, RowLayout { rank }).ok()
}

/// Decodes one row, or says what is wrong with it.
fn decode_row(row: &[u8], layout: RowLayout) -> Result<Params, String> {
    let word = |at: usize| u64::from_le_bytes(row[at..at + 8].try_into().unwrap_or([0; 8]));
    let (rank, at) = if layout.rank {
        (Some(word(8)), 16)
    } else {
        (None, 8)
    };
    let values: [f64; 5] = std::array::from_fn(|i| f64::from_bits(word(at + 8 * i)));
    if values.iter().any(|v| !v.is_finite()) {
        return Err("it holds a value that is not a finite number (dpa never writes one)".into());
    }
    let hex = &row[at + 40..at + 104];
    let hash = std::str::from_utf8(hex)
        .ok()
        .and_then(parse_hex)
        .ok_or_else(|| {
            format!(
                "its hash is not 64 hex digits: {:?}",
                String::from_utf8_lossy(hex)
            )
        })?;
    Ok(Params::from_parts(word(0), rank, values, hash))
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A reader that hashes (in the sidecar's segments) and counts what passes through.
struct Hashing<R> {
    inner: R,
    hash: Option<super::segments::SegmentHasher>,
    pos: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hash.as_mut() {
            h.update(&buf[..n]);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generator, Preset, Seeding};

    fn read_back(bytes: &[u8]) -> Result<Vec<Params>, Error> {
        let mut out = Vec::new();
        read(
            bytes,
            Path::new("t.npy"),
            &mut super::super::handler::OnRecord(|p| {
                out.push(p);
                Ok(())
            }),
            None,
        )?;
        Ok(out)
    }

    #[test]
    fn rows_read_back_bit_for_bit_with_and_without_rank() {
        let g = Generator::new(Preset::Moderate.config()).unwrap();
        for seeding in [
            Seeding::Plain,
            Seeding::RankAware {
                base_seed: 3,
                rank: 2,
            },
        ] {
            let records: Vec<Params> = (5..25).map(|id| g.generate(seeding, id)).collect();
            let mut meta = FileMetadata::for_config(g.config().clone(), Some(20));
            meta.seeding = Some(super::super::SeedingInfo::new(seeding, Some(4)));
            let mut w = NpyWriter::new(Vec::new(), &meta).unwrap();
            records.iter().for_each(|p| w.write_record(p).unwrap());
            let bytes = w.finish(None).unwrap();
            let back = read_back(&bytes).unwrap();
            assert_eq!(back.len(), 20);
            assert!(back.iter().zip(&records).all(|(a, b)| a.bit_eq(b)));
        }
    }

    #[test]
    fn hostile_headers_are_refused_without_allocating() {
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&[2, 0, 0xff, 0xff, 0xff, 0xff]);
        let err = read_back(&huge).unwrap_err();
        assert_eq!(err.data_kind(), Some(DataKind::TooLarge), "{err}");
        let mut nested = MAGIC.to_vec();
        let text = format!("{}\n", "[".repeat(200));
        nested.extend_from_slice(&[1, 0]);
        nested.extend_from_slice(&(text.len() as u16).to_le_bytes());
        nested.extend_from_slice(text.as_bytes());
        let err = read_back(&nested).unwrap_err().to_string();
        assert!(err.contains("nests"), "{err}");
    }

    #[test]
    fn a_count_mismatch_is_an_error() {
        let g = Generator::new(Preset::Mild.config()).unwrap();
        let meta = FileMetadata::for_config(g.config().clone(), Some(2));
        let mut w = NpyWriter::new(Vec::new(), &meta).unwrap();
        w.write_record(&g.params(0)).unwrap();
        assert!(w.finish(None).is_err());
        let mut w = NpyWriter::new(Vec::new(), &meta).unwrap();
        let ranked = g.generate(
            Seeding::RankAware {
                base_seed: 0,
                rank: 1,
            },
            0,
        );
        assert!(w.write_record(&ranked).is_err());
    }
}
