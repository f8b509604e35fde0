//! Checkpoints of a partial file: fsynced records, written beside `<path>.partial`
//! while it grows, of how many records its first bytes hold, their content digest and
//! their statistics, so that `--resume` keeps them at reading speed instead of
//! generating them again to compare.
//!
//! # Protocol
//!
//! 1. Every [`CHECKPOINT_EVERY`] bytes, the writer flushes its buffer and hands a
//!    [`Checkpoint`] of that moment to the file's background writeback thread. (A file
//!    written around the page cache, [`crate::direct`], hands its aligned blocks to
//!    its direct-write thread and writes the short tail through the page cache; the
//!    checkpoint carries the end of those blocks, and step 2 first waits until the
//!    direct-write thread has written them, or skips the record if one failed.)
//! 2. That thread makes the partial file's data durable (`fdatasync`), then writes the
//!    record to `<record>.tmp`, fsyncs it and renames it over `<path>.partial.progress`
//!    (`write_record`). A record therefore never claims bytes that are not on disk.
//!    A checkpoint offered while the thread has not yet taken the previous one replaces
//!    it: the newer one covers it.
//! 3. A resume reads the record (`read_record`, bounded, a regular file only), checks
//!    its seal (a digest of its own fields: an edited count or statistics is found),
//!    its settings digest against the run's, that it claims no more records than the
//!    run writes nor more bytes than the partial file has, that its statistics hold
//!    exactly its record count, and that its record count and its bytes meet: the
//!    bytes just before the checkpointed end are the encoding of its last record,
//!    generated again. The records after the checkpointed bytes are
//!    checked as without a record (regenerated and compared); the checkpointed bytes
//!    are read back and compared with the record's XXH3-128 digests, one per segment
//!    (a run that resumed starts a new segment where its checkpoint ended). Where the
//!    file's SHA-256 is wanted too (a `.npy` sidecar, a manifest) they are read before
//!    the run goes on; otherwise on a helper thread while it goes on, and the run
//!    commits only once they match. A record whose claims fail, whose digests do not
//!    match bytes read before the run goes on, or after whose bytes the partial file
//!    does not go on as the run writes it, is ignored and removed: the whole partial
//!    file is checked record by record, as without one. Bytes found not to match while the run
//!    went on fail it (exit 1) before the commit: the record is removed and the partial
//!    file kept, so that `--resume` again checks every record.
//! 4. The record is removed when the file is committed, and with the partial file
//!    when a run that does not keep it fails.
//!
//! The digest guards against torn writes, lost writes, bit flips and another run's
//! file; it is not a signature (docs/GUIDE.md, "what --resume trusts").

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::params::Hash;

/// Bytes written between two checkpoints (each also a background `fdatasync`).
pub const CHECKPOINT_EVERY: u64 = 16 << 20;

/// The largest checkpoint record read (a real one is about 17 KiB, most of it the
/// statistics).
const MAX_RECORD: u64 = 64 << 10;

/// Segments a record may hold: one, plus one per resume of the run (a resume that
/// would go beyond reads the bytes and starts again from one).
pub const MAX_SEGMENTS: usize = 32;

/// One stretch of checkpointed bytes: from the previous segment's end (or 0) to `end`,
/// with their XXH3-128 digest in 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Where the segment ends (bytes from the start of the file).
    pub end: u64,
    /// XXH3-128 of the segment's bytes.
    pub xxh3: String,
}

/// What a checkpoint record says: the first `records` records of the run with
/// `settings` are the first `bytes` bytes of the partial file, cut into `segments`
/// with their digests; `statistics` is their accumulator (`StatsAccumulator::to_bytes`,
/// hex) when the run keeps statistics.
///
/// # Examples
///
/// ```
/// use dpa::checkpoint::{Checkpoint, Segment};
/// let segments = vec![Segment { end: 4, xxh3: "0".repeat(32) }, Segment { end: 10, xxh3: "f".repeat(32) }];
/// let c = Checkpoint { settings: dpa::Hash([7; 32]), records: 2, bytes: 10, segments, statistics: None, seal: None };
/// let text = serde_json::to_string(&c).unwrap();
/// assert_eq!(serde_json::from_str::<Checkpoint>(&text).unwrap(), c);
/// assert_eq!(c.digests(), Some(vec![(0, 4, 0), (4, 10, u128::MAX)]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Digest of everything that decides the file's bytes (format, metadata, header).
    pub settings: Hash,
    /// Records in the checkpointed bytes.
    pub records: u64,
    /// Bytes checkpointed, from the start of the file.
    pub bytes: u64,
    /// The checkpointed bytes, in order, with their digests.
    pub segments: Vec<Segment>,
    /// The statistics of those records, as hex of `StatsAccumulator::to_bytes`.
    #[serde(default)]
    pub statistics: Option<String>,
    /// [`Checkpoint::seal`] of the fields above, in 32 lowercase hex digits: a record
    /// whose fields were changed since it was saved is ignored.
    #[serde(default)]
    pub seal: Option<String>,
}

impl Checkpoint {
    /// The XXH3-128 of every other field, as 32 lowercase hex digits: what
    /// [`Checkpoint::seal`]'s field must hold. Like the segments' digests it detects
    /// changes (an edited count or statistics, a torn or mixed record), not forgery.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::checkpoint::Checkpoint;
    /// let mut c = Checkpoint { settings: dpa::Hash([7; 32]), records: 2, bytes: 10,
    ///     segments: vec![], statistics: None, seal: None };
    /// c.seal = Some(c.sealed());
    /// assert!(c.is_sealed());
    /// c.records = 3;
    /// assert!(!c.is_sealed());
    /// ```
    pub fn sealed(&self) -> String {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(b"dpa checkpoint seal 1\0");
        h.update(&self.settings.0);
        h.update(&self.records.to_le_bytes());
        h.update(&self.bytes.to_le_bytes());
        h.update(&(self.segments.len() as u64).to_le_bytes());
        for s in &self.segments {
            h.update(&s.end.to_le_bytes());
            h.update(&(s.xxh3.len() as u64).to_le_bytes());
            h.update(s.xxh3.as_bytes());
        }
        match &self.statistics {
            Some(text) => {
                h.update(&[1]);
                h.update(text.as_bytes());
            }
            None => h.update(&[0]),
        }
        xxh3_hex(&h)
    }

    /// Whether the record holds the seal of its fields.
    pub fn is_sealed(&self) -> bool {
        self.seal.as_deref() == Some(self.sealed().as_str())
    }

    /// The segments as `(start, end, digest)`; `None` unless there are 1 to
    /// [`MAX_SEGMENTS`] of them, each non-empty, in order, the last ending at
    /// [`Checkpoint::bytes`], each digest exactly 32 hex digits.
    pub fn digests(&self) -> Option<Vec<(u64, u64, u128)>> {
        if self.segments.is_empty() || self.segments.len() > MAX_SEGMENTS {
            return None;
        }
        let mut start = 0;
        let mut out = Vec::with_capacity(self.segments.len());
        for s in &self.segments {
            let hex = s.xxh3.as_bytes();
            if s.end <= start || hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push((start, s.end, u128::from_str_radix(&s.xxh3, 16).ok()?));
            start = s.end;
        }
        (start == self.bytes).then_some(out)
    }
}

/// The checkpoint record of the output `path`: `<path>.partial.progress`.
///
/// # Examples
///
/// ```
/// let p = dpa::checkpoint::record_path(std::path::Path::new("out/x.jsonl"));
/// assert_eq!(p, std::path::Path::new("out/x.jsonl.partial.progress"));
/// ```
pub fn record_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial.progress");
    PathBuf::from(s)
}

/// The digest of the bytes `hash` has seen as records hold it (a checkpoint's segments, a
/// shared file's progress records): XXH3-128 as 32 lowercase hex digits.
pub(crate) fn xxh3_hex(hash: &xxhash_rust::xxh3::Xxh3) -> String {
    format!("{:032x}", hash.digest128())
}

/// Writes `text` to `record` so that a reader finds the old record or the new one,
/// whole: a new `<record>.tmp` (created exclusively: a torn one, or a link put in its
/// place, is removed first, never written through), fsynced, renamed over `record`.
pub(crate) fn write_record(record: &Path, text: &[u8]) -> io::Result<()> {
    let mut tmp = record.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    f.write_all(text)?;
    f.sync_all()?;
    std::fs::rename(&tmp, record)
}

/// The checkpoint at `record`, or `None` when there is none, or it is not a regular
/// file, larger than any record, unreadable or not a checkpoint: a resume then checks
/// the whole partial file, as without one.
pub(crate) fn read_record(record: &Path) -> Option<Checkpoint> {
    let file = crate::identity::open_regular(record, false).ok()??;
    let mut text = Vec::new();
    file.take(MAX_RECORD + 1).read_to_end(&mut text).ok()?;
    if text.len() as u64 > MAX_RECORD {
        return None;
    }
    serde_json::from_slice(&text).ok()
}

/// Removes the checkpoint record of `path` (and a torn `.tmp` of it), if any.
pub(crate) fn remove_record(path: &Path) {
    let record = record_path(path);
    let mut tmp = record.as_os_str().to_owned();
    tmp.push(".tmp");
    let _ = std::fs::remove_file(&record);
    let _ = std::fs::remove_file(PathBuf::from(tmp));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_junk_or_oversize_is_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let record = record_path(&dir.path().join("x"));
        assert_eq!(read_record(&record), None);
        let segment = |end: u64, xxh3: &str| Segment {
            end,
            xxh3: xxh3.into(),
        };
        let c = Checkpoint {
            settings: Hash([1; 32]),
            records: 5,
            bytes: 99,
            segments: vec![segment(99, &format!("{:032x}", 12345u128))],
            statistics: Some("00".into()),
            seal: None,
        };
        write_record(&record, &serde_json::to_vec(&c).unwrap()).unwrap();
        assert_eq!(read_record(&record), Some(c.clone()));
        assert_eq!(c.digests(), Some(vec![(0, 99, 12345)]));
        std::fs::write(&record, b"{\"settings\":").unwrap();
        assert_eq!(read_record(&record), None);
        let mut big = serde_json::to_vec(&c).unwrap();
        big.resize(MAX_RECORD as usize + 10, b' ');
        std::fs::write(&record, big).unwrap();
        assert_eq!(read_record(&record), None);
        let zeros = "0".repeat(32);
        let bad_segments = [
            vec![],
            vec![segment(99, "zz")],
            vec![segment(99, &"0".repeat(31))],
            vec![segment(99, &"0".repeat(33))],
            vec![segment(99, &format!("+{}", "0".repeat(31)))],
            vec![segment(98, &zeros)],
            vec![
                segment(50, &zeros),
                segment(50, &zeros),
                segment(99, &zeros),
            ],
            vec![segment(60, &zeros), segment(40, &zeros)],
            vec![segment(99, &zeros); MAX_SEGMENTS + 1],
        ];
        for (i, segments) in bad_segments.into_iter().enumerate() {
            let c = Checkpoint {
                segments,
                ..c.clone()
            };
            assert_eq!(c.digests(), None, "case {i}");
        }
        remove_record(&dir.path().join("x"));
        assert!(!record.exists());
    }
}
