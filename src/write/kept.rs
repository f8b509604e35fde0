//! What a resume keeps of a partial file on its checkpoint's word (see
//! [`crate::checkpoint`]), and the digests of kept bytes.

use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest as _, Sha256};
use xxhash_rust::xxh3::Xxh3;

use crate::atomic::AtomicFile;
use crate::checkpoint::{read_record, record_path, Checkpoint};
use crate::error::Error;
use crate::formats::{FileMetadata, Format};
use crate::params::Hash;
use crate::stats::StatsAccumulator;

/// The digest of everything that decides a file's bytes and its checkpoints' content:
/// format, metadata (config, seeding, first id, count), header bytes, and whether
/// statistics are kept.
pub(super) fn settings_digest(
    format: Format,
    statistics: bool,
    metadata: &FileMetadata,
    header: &[u8],
) -> Hash {
    let mut h = Sha256::new();
    h.update(b"dpa checkpoint settings 1\0");
    h.update(format!("{format:?}\0{statistics}\0").as_bytes());
    h.update(serde_json::to_vec(metadata).unwrap_or_default());
    h.update(b"\0");
    h.update(header);
    Hash(h.finalize().into())
}

/// The start of a partial file a checkpoint vouched for, and the digests of its bytes
/// (to continue while the rest is written).
pub(super) struct Kept {
    pub records: u64,
    pub bytes: u64,
    pub stats: StatsAccumulator,
    pub content: Xxh3,
    pub sha: Option<Sha256>,
}

/// What the run being resumed expects of a checkpoint.
pub(super) struct Expected {
    /// Whether the run keeps statistics (and a checkpoint holds them).
    pub statistics: bool,
    pub settings: Hash,
    /// Records the run writes.
    pub count: u64,
    /// Bytes of the header (a checkpoint covers at least those).
    pub header: u64,
    /// Whether the SHA-256 of the kept bytes is wanted too.
    pub sha: bool,
}

/// The part of `file` (the partial file `partial` of output `path`) that its checkpoint
/// record vouches for, once every claim is checked against the run and the bytes;
/// `None` when there is no record or any claim fails (the caller then checks the
/// whole file). Only reading the file can fail.
pub(super) fn by_checkpoint(
    file: &AtomicFile,
    path: &Path,
    partial: &Path,
    expected: &Expected,
) -> Result<Option<Kept>, Error> {
    let Some(record) = read_record(&record_path(path)) else {
        return Ok(None);
    };
    let len = file
        .read_partial()?
        .metadata()
        .map_err(|e| Error::io(partial, e))?
        .len();
    let Some((digest, stats)) = plausible(&record, expected, len) else {
        return Ok(None);
    };
    let mut content = Xxh3::new();
    let mut sha = expected.sha.then(Sha256::new);
    let read = hash_prefix(
        file.read_partial()?,
        record.bytes,
        &mut content,
        sha.as_mut(),
    )
    .map_err(|e| Error::io(partial, e))?;
    if read != record.bytes || content.digest128() != digest {
        return Ok(None);
    }
    Ok(Some(Kept {
        records: record.records,
        bytes: record.bytes,
        stats,
        content,
        sha,
    }))
}

/// The record's digest and statistics, when its claims fit the run and a file of
/// `len` bytes.
fn plausible(
    record: &Checkpoint,
    expected: &Expected,
    len: u64,
) -> Option<(u128, StatsAccumulator)> {
    let fits = record.settings == expected.settings
        && record.records <= expected.count
        && (expected.header..=len).contains(&record.bytes);
    let digest = record.content_digest().filter(|_| fits)?;
    let stats = match (&record.statistics, expected.statistics) {
        (Some(hex), true) => crate::seeding::decode_hex(hex)
            .and_then(|b| StatsAccumulator::from_bytes(&b))
            .filter(|s| s.count() == record.records)?,
        (None, false) => StatsAccumulator::new(),
        _ => return None,
    };
    Some((digest, stats))
}

/// Feeds the first `len` bytes of `input` to `content` (and `sha`); returns the bytes
/// there were (fewer than `len` if the input is shorter).
pub(super) fn hash_prefix<R: Read>(
    input: R,
    len: u64,
    content: &mut Xxh3,
    mut sha: Option<&mut Sha256>,
) -> io::Result<u64> {
    let mut input = input.take(len);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        content.update(&buf[..n]);
        if let Some(h) = sha.as_mut() {
            h.update(&buf[..n]);
        }
        total += n as u64;
    }
}
