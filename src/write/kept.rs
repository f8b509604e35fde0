//! What a resume keeps of a partial file on its checkpoint's word (see
//! [`crate::checkpoint`]), and the digests of kept bytes.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};
use xxhash_rust::xxh3::Xxh3;

use crate::atomic::AtomicFile;
use crate::checkpoint::{read_record, record_path, Checkpoint, Segment, MAX_SEGMENTS};
use crate::error::Error;
use crate::formats::resume::ExpectedBytes;
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

/// A checkpoint segment as `(start, end, digest)` ([`Checkpoint::digests`]).
type Span = (u64, u64, u128);

/// The start of a partial file a checkpoint vouches for: its records, bytes,
/// statistics and segments, the SHA-256 of its bytes when it was wanted, and the check
/// of its digests when it still runs.
pub(super) struct Kept {
    pub records: u64,
    pub bytes: u64,
    pub stats: StatsAccumulator,
    pub segments: Vec<Segment>,
    pub sha: Option<Sha256>,
    pub pending: Option<Verifier>,
}

/// The check of a checkpoint's digests against the bytes, on a helper thread.
pub(super) struct Verifier(JoinHandle<io::Result<bool>>);

impl Verifier {
    /// Whether every segment matched its digest (waits for the check).
    pub(super) fn outcome(self) -> io::Result<bool> {
        self.0
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the checkpoint check panicked")))
    }
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
/// record vouches for, once every claim is checked against the run; `None` when there
/// is no record, a claim fails, or (read now) a digest does not match. When neither
/// the SHA-256 is wanted nor the segments are too many, the digests are checked on a
/// helper thread ([`Kept::pending`]) while the run goes on.
pub(super) fn by_checkpoint(
    file: &AtomicFile,
    path: &Path,
    partial: &Path,
    expected: &Expected,
    rerun: &mut dyn ExpectedBytes,
) -> Result<Option<Kept>, Error> {
    let Some(record) = read_record(&record_path(path)) else {
        return Ok(None);
    };
    let input = file.read_partial()?;
    let len = input.metadata().map_err(|e| Error::io(partial, e))?.len();
    let claims = plausible(&record, expected, len);
    let meets = claims.is_some()
        && ends_with_its_last_record(&input, &record, expected.header, rerun)
            .map_err(|e| Error::io(partial, e))?;
    let Some((digests, stats)) = claims.filter(|_| meets) else {
        // A record whose word is not taken goes, so that it misleads no later run.
        crate::checkpoint::remove_record(path);
        return Ok(None);
    };
    let mut kept = Kept {
        records: record.records,
        bytes: record.bytes,
        stats,
        segments: record.segments,
        sha: None,
        pending: None,
    };
    if !expected.sha && digests.len() < MAX_SEGMENTS {
        let check = std::thread::Builder::new()
            .name("dpa-checkpoint".into())
            .spawn(move || check_segments(&input, &digests))
            .map_err(|e| Error::io(partial, e))?;
        kept.pending = Some(Verifier(check));
        return Ok(Some(kept));
    }
    // Read now: each segment checked, the SHA-256 and one digest of the whole taken.
    let mut whole = Xxh3::new();
    let mut sha = expected.sha.then(Sha256::new);
    for &(start, end, digest) in &digests {
        let mut segment = Xxh3::new();
        hash_span(&input, start, end, &mut |b| {
            segment.update(b);
            whole.update(b);
            if let Some(h) = sha.as_mut() {
                h.update(b);
            }
        })
        .map_err(|e| Error::io(partial, e))?;
        if segment.digest128() != digest {
            return Ok(None);
        }
    }
    kept.segments = vec![segment_of(kept.bytes, &whole)];
    kept.sha = sha;
    Ok(Some(kept))
}

/// The segment ending at `end` whose bytes `content` hashed.
pub(super) fn segment_of(end: u64, content: &Xxh3) -> Segment {
    Segment {
        end,
        xxh3: crate::checkpoint::xxh3_hex(content),
    }
}

/// Whether every segment of `input` matches its digest.
fn check_segments(input: &File, digests: &[Span]) -> io::Result<bool> {
    for &(start, end, digest) in digests {
        let mut h = Xxh3::new();
        hash_span(input, start, end, &mut |b| h.update(b))?;
        if h.digest128() != digest {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Feeds bytes `start..end` of `input` to `feed`; a file shorter than `end` is an
/// error.
pub(super) fn hash_span(
    input: &File,
    start: u64,
    end: u64,
    feed: &mut dyn FnMut(&[u8]),
) -> io::Result<()> {
    // Read ahead in blocks, around the page cache where the file system allows it:
    // the partial file was written that way, so its bytes are on the disk, not cached.
    crate::direct::read_span(input, start, end, feed)
}

/// Whether the record's count and bytes meet: the bytes just before its end are the
/// encoding of its last record, as the run writes it (none but the header for none).
fn ends_with_its_last_record(
    input: &File,
    record: &Checkpoint,
    header: u64,
    rerun: &mut dyn ExpectedBytes,
) -> io::Result<bool> {
    if record.records == 0 {
        return Ok(record.bytes == header);
    }
    let (mut want, mut ends) = (Vec::new(), Vec::new());
    rerun.records(record.records - 1, 1, &mut want, &mut ends);
    let width = want.len() as u64;
    if width == 0 || width > record.bytes.saturating_sub(header) {
        return Ok(false);
    }
    let mut have = vec![0u8; want.len()];
    input.read_exact_at(&mut have, record.bytes - width)?;
    Ok(have == want)
}

/// The record's segments and statistics, when it holds its seal and its claims fit the
/// run and a file of `len` bytes.
fn plausible(
    record: &Checkpoint,
    expected: &Expected,
    len: u64,
) -> Option<(Vec<Span>, StatsAccumulator)> {
    let fits = record.is_sealed()
        && record.settings == expected.settings
        && record.records <= expected.count
        && (expected.header..=len).contains(&record.bytes);
    let digests = record.digests().filter(|_| fits)?;
    let stats = match (&record.statistics, expected.statistics) {
        (Some(hex), true) => crate::seeding::decode_hex(hex)
            .and_then(|b| StatsAccumulator::from_bytes(&b))
            .filter(|s| s.count() == record.records)?,
        (None, false) => StatsAccumulator::new(),
        _ => return None,
    };
    Some((digests, stats))
}
