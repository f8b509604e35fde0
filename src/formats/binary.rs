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

use super::metadata::{FileMetadata, SeedingInfo};
use super::reader::{FileInfo, RecordHandler};
use super::{Format, RecordSink};
use crate::config::{AugmentationConfig, ParamRange};
use crate::error::Error;
use crate::params::{Hash, Params};
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
struct BinRecord {
    sample_id: u64,
    rank: Option<u64>,
    values: [f64; 5],
    hash: [u8; 32],
}

impl From<BinRecord> for Params {
    fn from(rec: BinRecord) -> Params {
        let [rotation, brightness, noise, scale, contrast] = rec.values;
        Params {
            sample_id: rec.sample_id,
            rank: rec.rank,
            rotation,
            brightness,
            noise,
            scale,
            contrast,
            hash: Hash(rec.hash),
        }
    }
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
                mode: s.mode.clone(),
                base_seed: s.base_seed,
                rank: s.rank,
                world_size: s.world_size,
            }),
            streaming: m.streaming,
        }
    }
}

impl From<BinHeader> for FileMetadata {
    fn from(h: BinHeader) -> Self {
        FileMetadata {
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
            seeding: h.seeding.map(|s| SeedingInfo {
                mode: s.mode,
                base_seed: s.base_seed,
                rank: s.rank,
                world_size: s.world_size,
            }),
        }
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

/// Decodes one tagged record from exactly its bytes, or leaves `out` empty.
pub(crate) fn read_record_bytes(bytes: &[u8], out: &mut Option<Params>) {
    if bytes.first() != Some(&TAG_RECORD) {
        return;
    }
    if let Ok(rec) = bincode::deserialize::<BinRecord>(&bytes[1..]) {
        *out = Some(rec.into());
    }
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

fn decode<T: serde::de::DeserializeOwned, R: Read>(
    input: &mut Counting<R>,
    path: &Path,
    what: &str,
) -> Result<T, Error> {
    let at = input.pos;
    bincode::deserialize_from(&mut *input).map_err(|e| match *e {
        bincode::ErrorKind::Io(ref io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            Error::data(path, format!("byte {at}"), format!("truncated {what}"))
        }
        bincode::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::data(
            path,
            format!("byte {at}"),
            format!("damaged {what}: {other}"),
        ),
    })
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
            Error::data(path, format!("byte {at}"), format!("truncated {what}"))
        } else {
            Error::io(path, e)
        }
    })
}

/// Reads a binary file's records (the magic is checked here too).
pub(crate) fn read_binary<R: Read, H: RecordHandler + ?Sized>(
    input: R,
    path: &Path,
    handler: &mut H,
) -> Result<FileInfo, Error> {
    let mut input = Counting {
        inner: input,
        pos: 0,
    };
    let mut magic = [0u8; 8];
    read_exact_or(&mut input, &mut magic, path, "magic bytes")?;
    if magic != MAGIC {
        return Err(Error::data(
            path,
            "byte 0",
            "wrong magic bytes: not a dpa binary file",
        ));
    }
    let mut word = [0u8; 2];
    read_exact_or(&mut input, &mut word, path, "format version")?;
    let version = u16::from_le_bytes(word);
    if version != VERSION {
        return Err(Error::data(
            path,
            "byte 8",
            format!("unsupported format version {version} (this dpa reads version {VERSION})"),
        ));
    }
    let mut len = [0u8; 4];
    read_exact_or(&mut input, &mut len, path, "header length")?;
    let len = u32::from_le_bytes(len) as u64;
    let header_start = input.pos;
    let header: BinHeader = decode(&mut input, path, "header")?;
    if input.pos - header_start != len {
        return Err(Error::data(
            path,
            format!("byte {header_start}"),
            format!("damaged header: length {len} does not match its content"),
        ));
    }
    let metadata = FileMetadata::from(header);
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
        let n = input.read(&mut tag).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Err(Error::data(
                path,
                format!("byte {at}"),
                format!("truncated file: no trailer after record {}", info.records),
            ));
        }
        match tag[0] {
            TAG_RECORD => {
                let rec: BinRecord = decode(&mut input, path, &format!("record {}", info.records))?;
                handler.record(rec.into())?;
                info.records += 1;
            }
            TAG_TRAILER => {
                let trailer: BinTrailer = decode(&mut input, path, "trailer")?;
                if trailer.count != info.records {
                    return Err(Error::data(
                        path,
                        format!("byte {at}"),
                        format!(
                            "trailer counts {} records, the file holds {}",
                            trailer.count, info.records
                        ),
                    ));
                }
                info.statistics = trailer.statistics;
                let mut end = [0u8; 8];
                read_exact_or(&mut input, &mut end, path, "end marker")?;
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
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generator, Preset, Seeding};

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
