//! Rank 0's SHA-256 of a shared file, computed while the ranks write it: a helper
//! thread hashes the header, then each rank's rows in file order, as soon as that
//! rank's progress record says they are durable — so the digest is ready when the last
//! rank finishes, instead of after reading the whole file back.
//!
//! Each step reads through a handle opened after it read the record (on a network file
//! system, opening again revalidates the client's cache against the server: the
//! close-to-open rule), and only from the file rank 0 created. A record that is not
//! this job's (settings, rank, world size, range) counts as no progress. When the job
//! is finished and a rank's record still does not cover its rows, or anything fails,
//! the helper gives up ([`Follower::finish`] returns `None`) and rank 0 reads the file
//! back as before.

use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::files::read_json;
use super::progress::Progress;
use crate::params::Hash;

/// How often the helper looks at a record that has not moved.
const POLL: Duration = Duration::from_millis(20);

/// One rank's rows in the file, and the record that says how many are durable.
pub(super) struct Region {
    /// The progress record this rank writes.
    pub record: PathBuf,
    /// What the record must say besides `rows` and `sha256`.
    pub expected: Progress,
    /// Byte offset of the first row.
    pub offset: u64,
}

/// The shared file: where it is, which file it must be, and its layout.
pub(super) struct Target {
    pub partial: PathBuf,
    /// Device and inode of the file rank 0 created.
    pub id: (u64, u64),
    pub header: Vec<u8>,
    pub width: u64,
}

/// The helper thread; dropping it without [`Follower::finish`] stops it at its next
/// step.
pub(super) struct Follower {
    finishing: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Option<(u64, Hash)>>>,
}

impl Follower {
    /// Starts hashing `target`'s regions in order; `None` if no thread can be had.
    pub(super) fn start(target: Target, regions: Vec<Region>) -> Option<Follower> {
        let finishing = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let flags = (finishing.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("dpa-follow".into())
            .spawn(move || follow(&target, &regions, &flags.0, &flags.1))
            .ok()?;
        Some(Follower {
            finishing,
            stop,
            thread: Some(thread),
        })
    }

    /// Once every rank's final record is saved: the file's size and SHA-256, or `None`
    /// when the helper could not vouch for every byte.
    pub(super) fn finish(mut self) -> Option<(u64, Hash)> {
        self.finishing.store(true, Ordering::Release);
        self.thread.take()?.join().ok().flatten()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn follow(
    target: &Target,
    regions: &[Region],
    finishing: &AtomicBool,
    stop: &AtomicBool,
) -> Option<(u64, Hash)> {
    let mut hash = Sha256::new();
    hash.update(&target.header);
    let mut bytes = target.header.len() as u64;
    let mut buf = vec![0u8; 1 << 20];
    for region in regions {
        let rows = region.expected.end - region.expected.start;
        let mut hashed = 0u64;
        while hashed < rows {
            if stop.load(Ordering::Acquire) {
                return None;
            }
            let last_look = finishing.load(Ordering::Acquire);
            let durable = durable_rows(region).min(rows);
            if durable > hashed {
                let from = region.offset + hashed * target.width;
                let len = (durable - hashed) * target.width;
                hash_range(target, from, len, &mut hash, &mut buf)?;
                (hashed, bytes) = (durable, bytes + len);
            } else if last_look {
                return None;
            } else {
                std::thread::sleep(POLL);
            }
        }
    }
    Some((bytes, Hash(hash.finalize().into())))
}

/// The rows a region's record says are durable (0 without a record of this job).
fn durable_rows(region: &Region) -> u64 {
    match read_json::<Progress>(&region.record) {
        Ok(Some(p)) => {
            let ours = Progress {
                rows: p.rows,
                sha256: p.sha256,
                ..region.expected.clone()
            };
            if p == ours {
                p.rows
            } else {
                0
            }
        }
        _ => 0,
    }
}

/// Feeds `len` bytes of the file from `from` to `hash`, through a handle opened now.
fn hash_range(
    target: &Target,
    from: u64,
    len: u64,
    hash: &mut Sha256,
    buf: &mut [u8],
) -> Option<()> {
    let file = crate::identity::open_regular(&target.partial, false).ok()??;
    let meta = file.metadata().ok()?;
    if (meta.dev(), meta.ino()) != target.id {
        return None;
    }
    let mut at = 0u64;
    while at < len {
        let n = (len - at).min(buf.len() as u64) as usize;
        file.read_exact_at(&mut buf[..n], from + at).ok()?;
        hash.update(&buf[..n]);
        at += n as u64;
    }
    Some(())
}
