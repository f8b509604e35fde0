//! The compact binary format (`--format bincode`, `.bin`).
//!
//! Layout (all integers little-endian, bodies encoded with bincode 1's default
//! fixed-width encoding):
//!
//! | part | bytes |
//! |---|---|
//! | magic | `89 44 50 41 0d 0a 1a 0a` (`\x89DPA\r\n\x1a\n`) |
//! | format version | `u16` (currently 1) |
//! | header length, header | `u32`, then a bincode [`FileMetadata`] equivalent: generator, num_samples, start_id, config, seeding, streaming |
//! | each record | tag `01`, then `sample_id: u64`, `rank: Option<u64>`, five `f64` in draw order, 32 hash bytes |
//! | trailer | tag `00`, then `count: u64`, `statistics: Option<Statistics>` |
//! | end magic | `DPAEND\r\n` |
//!
//! A file without its trailer and end magic is truncated, and is reported as such.

use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::handler::{FileInfo, RecordHandler};
use super::metadata::{FileMetadata, SeedingInfo, SeedingMode};
use super::{Format, RecordSink};
use crate::config::{AugmentationConfig, ParamRange};
use crate::error::Error;
use crate::params::Params;
use crate::stats::Statistics;

/// The first eight bytes of a binary file.
pub const MAGIC: [u8; 8] = *b"\x89DPA\r\n\x1a\n";
/// The last eight bytes of a complete binary file.
pub const END_MAGIC: [u8; 8] = *b"DPAEND\r\n";
/// The format version this dpa writes and reads.
pub const VERSION: u16 = 1;

const TAG_RECORD: u8 = 1;
const TAG_TRAILER: u8 = 0;

#[derive(Serialize, Deserialize)]
struct BinConfig {
    ranges: [(f64, f64); 5],
    depth: u32,
}

#[derive(Serialize, Deserialize)]
struct BinSeeding {
    mode: String,
    base_seed: Option<u64>,
    rank: Option<u64>,
    world_size: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct BinHeader {
    generator: Option<String>,
    num_samples: Option<u64>,
    start_id: Option<u64>,
    config: Option<BinConfig>,
    seeding: Option<BinSeeding>,
    streaming: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct BinTrailer {
    count: u64,
    statistics: Option<Statistics>,
}

impl From<&FileMetadata> for BinHeader {
    fn from(m: &FileMetadata) -> Self {
        BinHeader {
            generator: m.generator.clone(),
            num_samples: m.num_samples,
            start_id: m.start_id,
            config: m.config.as_ref().map(|c| BinConfig {
                ranges: c.ranges().map(|r| (r.lo, r.hi)),
                depth: c.augmentation_depth,
            }),
            seeding: m.seeding.as_ref().map(|s| BinSeeding {
                mode: s.mode.name().to_string(),
                base_seed: s.base_seed.or(s.seed),
                rank: s.rank.or(s.epoch),
                world_size: s.world_size,
            }),
            streaming: m.streaming,
        }
    }
}

impl TryFrom<BinHeader> for FileMetadata {
    type Error = String;

    fn try_from(h: BinHeader) -> Result<Self, String> {
        let seeding = match h.seeding {
            None => None,
            Some(s) => {
                let mode = SeedingMode::from_name(&s.mode).ok_or_else(|| {
                    format!("unknown seeding mode '{}'", crate::error::shorten(&s.mode))
                })?;
                // Keyed seeding keeps its seed and epoch in the header's two number
                // slots (the layout of version 1 is unchanged).
                let keyed = mode == SeedingMode::Keyed;
                Some(SeedingInfo {
                    mode,
                    base_seed: s.base_seed.filter(|_| !keyed),
                    rank: s.rank.filter(|_| !keyed),
                    world_size: s.world_size,
                    seed: s.base_seed.filter(|_| keyed),
                    epoch: s.rank.filter(|_| keyed),
                })
            }
        };
        Ok(FileMetadata {
            num_samples: h.num_samples,
            config: h.config.map(|c| {
                let r = c.ranges.map(|(lo, hi)| ParamRange::new(lo, hi));
                AugmentationConfig {
                    rotation_range: r[0],
                    brightness_range: r[1],
                    noise_range: r[2],
                    scale_range: r[3],
                    contrast_range: r[4],
                    augmentation_depth: c.depth,
                }
            }),
            streaming: h.streaming,
            generator: h.generator,
            start_id: h.start_id,
            seeding,
            config_forms: Default::default(),
            run: None,
            compression: Default::default(),
        })
    }
}

#[allow(clippy::boxed_local)] // bincode::Error is a Box by definition.
fn encode_err(e: bincode::Error) -> io::Error {
    match *e {
        bincode::ErrorKind::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// The bytes a binary file starts with for `metadata`: magic, version, header.
///
/// # Examples
///
/// ```
/// let meta = dpa::FileMetadata::for_config(dpa::AugmentationConfig::default(), Some(3));
/// let head = dpa::formats::binary::header_bytes(&meta).unwrap();
/// assert_eq!(&head[..8], &dpa::formats::binary::MAGIC);
/// ```
pub fn header_bytes(metadata: &FileMetadata) -> io::Result<Vec<u8>> {
    let body = bincode::serialize(&BinHeader::from(metadata)).map_err(encode_err)?;
    let len = u32::try_from(body.len()).map_err(|_| io::Error::other("header too large"))?;
    let mut out = Vec::with_capacity(14 + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Writes the binary format, streaming.
///
/// # Examples
///
/// ```
/// use dpa::{BincodeWriter, FileMetadata, Generator, Preset, RecordSink};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let meta = FileMetadata::for_config(g.config().clone(), Some(2));
/// let mut w = BincodeWriter::new(Vec::new(), &meta).unwrap();
/// w.write_record(&g.params(0)).unwrap();
/// w.write_record(&g.params(1)).unwrap();
/// let bytes = w.finish(None).unwrap();
/// let mut n = 0;
/// dpa::read_records_from(&bytes[..], "x.bin".as_ref(), |p: dpa::Params| { n += 1; Ok(()) }).unwrap();
/// assert_eq!(n, 2);
/// ```
#[derive(Debug)]
pub struct BincodeWriter<W: Write> {
    out: W,
    count: u64,
    buf: Vec<u8>,
}

impl<W: Write> BincodeWriter<W> {
    /// Writes the magic, version and header.
    ///
    /// # Examples
    ///
    /// ```
    /// let meta = dpa::FileMetadata::for_config(Default::default(), None);
    /// assert!(dpa::BincodeWriter::new(Vec::new(), &meta).is_ok());
    /// ```
    pub fn new(mut out: W, metadata: &FileMetadata) -> io::Result<Self> {
        out.write_all(&header_bytes(metadata)?)?;
        Ok(BincodeWriter {
            out,
            count: 0,
            buf: Vec::with_capacity(128),
        })
    }

    /// Continues a file whose header and `count` records were already written
    /// (used to resume an interrupted run).
    pub fn resume(out: W, count: u64) -> Self {
        BincodeWriter {
            out,
            count,
            buf: Vec::with_capacity(128),
        }
    }
}

impl<W: Write> BincodeWriter<W> {
    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Counts `records` written to the underlying writer directly.
    pub(crate) fn advance(&mut self, records: u64) {
        self.count += records;
    }

    /// The underlying writer, unfinished.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Appends the binary encoding of one record (tag included) to `buf`.
///
/// # Examples
///
/// ```
/// let p = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap().params(0);
/// let mut buf = Vec::new();
/// dpa::formats::binary::encode_record(&p, &mut buf);
/// assert_eq!(buf.len(), 1 + 8 + 1 + 40 + 32);
/// ```
pub fn encode_record(p: &Params, buf: &mut Vec<u8>) {
    buf.push(TAG_RECORD);
    buf.extend_from_slice(&p.sample_id.to_le_bytes());
    match p.rank {
        None => buf.push(0),
        Some(r) => {
            buf.push(1);
            buf.extend_from_slice(&r.to_le_bytes());
        }
    }
    for v in p.values() {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    buf.extend_from_slice(&p.hash.0);
}

impl<W: Write> RecordSink for BincodeWriter<W> {
    type Inner = W;

    #[inline]
    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        self.buf.clear();
        encode_record(record, &mut self.buf);
        self.count += 1;
        self.out.write_all(&self.buf)
    }

    fn finish(mut self, statistics: Option<&Statistics>) -> io::Result<W> {
        self.out.write_all(&[TAG_TRAILER])?;
        let trailer = BinTrailer {
            count: self.count,
            statistics: statistics.copied(),
        };
        bincode::serialize_into(&mut self.out, &trailer).map_err(encode_err)?;
        self.out.write_all(&END_MAGIC)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

file_format!(
    /// The binary format as a [`FileFormat`](super::FileFormat).
    BinaryFormat,
    BincodeWriter,
    Format::Bincode
);

/// Bytes of an encoded record after its tag: id, rank flag, five values, hash.
const RECORD_FIXED: usize = 8 + 1 + 40 + 32;

/// Decodes one record from the bytes after its tag (`RECORD_FIXED` bytes, or 8 more
/// with a rank), or says what is wrong with them.
fn decode_record(bytes: &[u8]) -> Result<Params, &'static str> {
    let word = |at: usize| -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let sample_id = word(0);
    let (rank, at) = match bytes[8] {
        0 => (None, 9),
        1 => (Some(word(9)), 17),
        _ => return Err("its rank flag is neither 0 nor 1"),
    };
    let values: [f64; 5] = std::array::from_fn(|i| f64::from_bits(word(at + 8 * i)));
    if values.iter().any(|v| !v.is_finite()) {
        return Err("it holds a value that is not a finite number (dpa never writes one)");
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[at + 40..at + 72]);
    Ok(Params::from_parts(sample_id, rank, values, hash))
}

/// A reader that counts the bytes it has read, for error positions.
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// bincode 1's default encoding (fixed-width little-endian integers), refusing to
/// read more than `limit` bytes or to leave any unread.
fn bounded(limit: usize) -> impl bincode::Options {
    use bincode::Options;
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_limit(limit as u64)
        .reject_trailing_bytes()
}

fn decode_exact<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    use bincode::Options;
    bounded(bytes.len())
        .deserialize(bytes)
        .map_err(|e| e.to_string())
}

fn read_exact_or<R: Read>(
    input: &mut Counting<R>,
    buf: &mut [u8],
    path: &Path,
    what: &str,
) -> Result<(), Error> {
    let at = input.pos;
    input.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::data_of(
                crate::error::DataKind::Truncated,
                path,
                format!("byte {at}"),
                format!("truncated {what}"),
            )
        } else {
            Error::io(path, e)
        }
    })
}

/// Reads and checks the magic, the version and the header (bounded by
/// [`MAX_BINARY_HEADER`](super::limits::MAX_BINARY_HEADER)); the config it holds must
/// be valid.
fn read_header<R: Read>(input: &mut Counting<R>, path: &Path) -> Result<FileMetadata, Error> {
    let mut magic = [0u8; 8];
    read_exact_or(input, &mut magic, path, "magic bytes")?;
    if magic != MAGIC {
        return Err(Error::data(
            path,
            "byte 0",
            "wrong magic bytes: not a dpa binary file",
        ));
    }
    let mut word = [0u8; 2];
    read_exact_or(input, &mut word, path, "format version")?;
    let version = u16::from_le_bytes(word);
    if version != VERSION {
        return Err(Error::data(
            path,
            "byte 8",
            format!("unsupported format version {version} (this dpa reads version {VERSION})"),
        ));
    }
    let mut len = [0u8; 4];
    read_exact_or(input, &mut len, path, "header length")?;
    let len = u32::from_le_bytes(len);
    let max = super::limits::MAX_BINARY_HEADER;
    if len > max {
        return Err(Error::data_of(
            crate::error::DataKind::TooLarge,
            path,
            "byte 10",
            format!("damaged header: its length field says {len} bytes, at most {max} are allowed"),
        ));
    }
    let at = input.pos;
    let mut body = vec![0u8; len as usize];
    read_exact_or(input, &mut body, path, "header")?;
    let metadata = decode_exact::<BinHeader>(&body)
        .and_then(FileMetadata::try_from)
        .map_err(|e| Error::data(path, format!("byte {at}"), format!("damaged header: {e}")))?;
    if let Some(config) = &metadata.config {
        config.validate().map_err(|error| Error::Config {
            path: path.to_path_buf(),
            position: format!("header at byte {at}"),
            error,
        })?;
    }
    Ok(metadata)
}

/// Reads one record after its tag.
fn read_record<R: Read>(input: &mut Counting<R>, path: &Path, index: u64) -> Result<Params, Error> {
    let at = input.pos;
    let what = format!("record {index}");
    let mut buf = [0u8; RECORD_FIXED + 8];
    read_exact_or(input, &mut buf[..9], path, &what)?;
    let len = if buf[8] == 1 {
        RECORD_FIXED + 8
    } else {
        RECORD_FIXED
    };
    read_exact_or(input, &mut buf[9..len], path, &what)?;
    decode_record(&buf[..len]).map_err(|e| {
        Error::data(
            path,
            format!("byte {} ({what})", at - 1),
            format!("damaged record: {e}"),
        )
    })
}

/// Reads the trailer (after its tag) and the end magic, and checks nothing follows.
fn read_trailer<R: Read>(
    input: &mut Counting<R>,
    path: &Path,
    records: u64,
) -> Result<Option<Statistics>, Error> {
    let at = input.pos - 1;
    let mut head = [0u8; 9];
    read_exact_or(input, &mut head, path, "trailer")?;
    let size = if head[8] == 1 { TRAILER_STATS_BYTES } else { 0 };
    let mut body = vec![0u8; 9 + size];
    body[..9].copy_from_slice(&head);
    read_exact_or(input, &mut body[9..], path, "trailer")?;
    let trailer: BinTrailer = decode_exact(&body)
        .map_err(|e| Error::data(path, format!("byte {at}"), format!("damaged trailer: {e}")))?;
    if trailer.count != records {
        return Err(Error::data_of(
            crate::error::DataKind::Mismatch,
            path,
            format!("byte {at}"),
            format!(
                "trailer counts {} records, the file holds {records}",
                trailer.count
            ),
        ));
    }
    let mut end = [0u8; 8];
    read_exact_or(input, &mut end, path, "end marker")?;
    if end != END_MAGIC {
        return Err(Error::data(
            path,
            format!("byte {}", input.pos - 8),
            "damaged end marker",
        ));
    }
    let mut extra = [0u8; 1];
    if input.read(&mut extra).map_err(|e| Error::io(path, e))? != 0 {
        return Err(Error::data(
            path,
            format!("byte {}", input.pos - 1),
            "trailing bytes after the end marker",
        ));
    }
    Ok(trailer.statistics)
}

/// Bytes of the statistics in a trailer: five summaries of four `f64` and a `u64`.
const TRAILER_STATS_BYTES: usize = 5 * 5 * 8;

/// Reads a binary file's records (the magic is checked here too). Every length is
/// bounded before anything is allocated.
pub(crate) fn read_binary<R: Read, H: RecordHandler + ?Sized>(
    input: R,
    path: &Path,
    handler: &mut H,
) -> Result<FileInfo, H::Error> {
    let mut input = Counting {
        inner: input,
        pos: 0,
    };
    let metadata = read_header(&mut input, path)?;
    handler.header(Some(&metadata))?;
    let mut info = FileInfo {
        format: Format::Bincode,
        metadata: Some(metadata),
        statistics: None,
        records: 0,
        ids_inferred: false,
    };
    loop {
        let mut tag = [0u8; 1];
        let at = input.pos;
        if input.read(&mut tag).map_err(|e| Error::io(path, e))? == 0 {
            return Err(Error::data_of(
                crate::error::DataKind::Truncated,
                path,
                format!("byte {at}"),
                format!("truncated file: no trailer after record {}", info.records),
            )
            .into());
        }
        match tag[0] {
            TAG_RECORD => {
                handler.record(read_record(&mut input, path, info.records)?)?;
                info.records += 1;
            }
            TAG_TRAILER => {
                info.statistics = read_trailer(&mut input, path, info.records)?;
                return Ok(info);
            }
            other => {
                return Err(Error::data(
                    path,
                    format!("byte {at}"),
                    format!(
                        "damaged file: unknown tag {other:#04x} after record {}",
                        info.records
                    ),
                )
                .into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generator, Preset, Seeding};

    /// bincode's own encoding of a record, to check the hand encoding against.
    #[derive(Serialize)]
    struct BinRecord {
        sample_id: u64,
        rank: Option<u64>,
        values: [f64; 5],
        hash: [u8; 32],
    }

    #[test]
    fn trailer_statistics_size_is_their_bincode_size() {
        let size = bincode::serialized_size(&Statistics::default()).unwrap();
        assert_eq!(size as usize, TRAILER_STATS_BYTES);
    }

    #[test]
    fn hand_encoding_is_bincode() {
        let g = Generator::new(Preset::Mild.config()).unwrap();
        for p in [
            g.params(3),
            g.generate(
                Seeding::RankAware {
                    base_seed: 1,
                    rank: 2,
                },
                3,
            ),
        ] {
            let mut ours = Vec::new();
            encode_record(&p, &mut ours);
            let rec = BinRecord {
                sample_id: p.sample_id,
                rank: p.rank,
                values: p.values(),
                hash: p.hash.0,
            };
            let theirs = bincode::serialize(&(TAG_RECORD, rec)).unwrap();
            assert_eq!(ours, theirs);
        }
    }
}
