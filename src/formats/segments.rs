//! A file's digest in segments: consecutive byte ranges, each with its own SHA-256.
//!
//! A `.npy` file that many ranks write together (`dpa-mpi generate -o x.npy`) is hashed
//! by its writers, each over its own bytes, so that no process reads or hashes more of
//! the file than it wrote. Its sidecar (version 2) lists the segments; a reader hashes
//! the file once, front to back, and splits the hash at the same boundaries
//! ([`SegmentHasher`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::params::Hash;

/// The most segments a sidecar may list (one a rank).
pub const MAX_SEGMENTS: usize = 1 << 16;

/// One byte range of a file and the SHA-256 of its bytes.
///
/// # Examples
///
/// ```
/// use dpa::formats::segments::Segment;
/// let s = Segment::of(0, b"abc");
/// assert_eq!((s.offset, s.bytes), (0, 3));
/// assert!(s.sha256.to_string().starts_with("ba7816bf"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Offset of the segment's first byte in the file.
    pub offset: u64,
    /// Bytes in the segment.
    pub bytes: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub sha256: Hash,
}

impl Segment {
    /// The segment of `data`, starting at `offset`.
    pub fn of(offset: u64, data: &[u8]) -> Segment {
        Segment {
            offset,
            bytes: data.len() as u64,
            sha256: Hash(Sha256::digest(data).into()),
        }
    }
}

/// Whether `segments` cover `0..bytes` in order, without a gap or an overlap; the
/// message says where they do not.
///
/// # Examples
///
/// ```
/// use dpa::formats::segments::{check_cover, Segment};
/// let s = [Segment::of(0, b"ab"), Segment::of(2, b"c")];
/// assert!(check_cover(&s, 3).is_ok());
/// assert!(check_cover(&s, 4).is_err());
/// ```
pub fn check_cover(segments: &[Segment], bytes: u64) -> Result<(), String> {
    if segments.is_empty() || segments.len() > MAX_SEGMENTS {
        return Err(format!(
            "{} segments: from 1 to {MAX_SEGMENTS} are allowed",
            segments.len()
        ));
    }
    let mut at = 0u64;
    for (i, s) in segments.iter().enumerate() {
        if s.offset != at {
            return Err(format!(
                "segment {i} starts at byte {}, not at byte {at} where segment {} ends",
                s.offset,
                i.saturating_sub(1)
            ));
        }
        at = at
            .checked_add(s.bytes)
            .ok_or_else(|| format!("segment {i} ends past byte 2^64"))?;
    }
    if at != bytes {
        return Err(format!(
            "the segments end at byte {at}, the file's stated size is {bytes}"
        ));
    }
    Ok(())
}

/// Hashes a stream in segments whose boundaries are known in advance: bytes past the
/// last boundary go to a final segment of their own (so a longer file differs).
///
/// # Examples
///
/// ```
/// use dpa::formats::segments::{Segment, SegmentHasher};
/// let mut h = SegmentHasher::new(vec![2, 1, 0]);
/// h.update(b"a");
/// h.update(b"bc");
/// let want = [Segment::of(0, b"ab"), Segment::of(2, b"c"), Segment::of(3, b"")];
/// assert_eq!(h.finish(), want);
/// ```
pub struct SegmentHasher {
    /// Sizes of the segments still to come, the current one first.
    sizes: std::vec::IntoIter<u64>,
    /// Bytes left in the current segment (`u64::MAX`: past the last boundary).
    left: u64,
    start: u64,
    pos: u64,
    hash: Sha256,
    done: Vec<Segment>,
}

impl SegmentHasher {
    /// A hasher for segments of these sizes, in order.
    pub fn new(sizes: Vec<u64>) -> SegmentHasher {
        let mut sizes = sizes.into_iter();
        let left = sizes.next().unwrap_or(u64::MAX);
        let mut hasher = SegmentHasher {
            sizes,
            left,
            start: 0,
            pos: 0,
            hash: Sha256::new(),
            done: Vec::new(),
        };
        hasher.close_empty();
        hasher
    }

    /// Closes the current segment while it has no bytes left (empty segments too).
    fn close_empty(&mut self) {
        while self.left == 0 {
            self.close();
            self.left = self.sizes.next().unwrap_or(u64::MAX);
        }
    }

    /// Feeds the next bytes of the stream.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = (data.len() as u64).min(self.left) as usize;
            self.hash.update(&data[..n]);
            (self.pos, data) = (self.pos + n as u64, &data[n..]);
            self.left -= n as u64;
            self.close_empty();
        }
    }

    fn close(&mut self) {
        let hash = std::mem::take(&mut self.hash);
        self.done.push(Segment {
            offset: self.start,
            bytes: self.pos - self.start,
            sha256: Hash(hash.finalize().into()),
        });
        self.start = self.pos;
    }

    /// The segments of the stream so far: every complete one, then the one begun (if
    /// any byte of it came, or if no segment is complete yet).
    pub fn finish(mut self) -> Vec<Segment> {
        if self.pos > self.start || self.done.is_empty() {
            self.close();
        }
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However the stream is fed, each segment's digest is that of its bytes alone, and
    /// bytes past the last boundary make a segment of their own.
    #[test]
    fn segments_are_the_digests_of_their_bytes_however_fed() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for sizes in [
            vec![1000],
            vec![0, 1000],
            vec![10, 0, 490, 500, 0],
            vec![300],
        ] {
            for step in [1, 7, 64, 1000] {
                let mut h = SegmentHasher::new(sizes.clone());
                data.chunks(step).for_each(|c| h.update(c));
                let mut want = Vec::new();
                let mut at = 0u64;
                for &n in &sizes {
                    want.push(Segment::of(at, &data[at as usize..(at + n) as usize]));
                    at += n;
                }
                if at < 1000 {
                    want.push(Segment::of(at, &data[at as usize..]));
                }
                assert_eq!(h.finish(), want, "{sizes:?} by {step}");
                assert!(check_cover(&want, 1000).is_ok());
            }
        }
    }
}
