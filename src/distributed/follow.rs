//! Rank 0's SHA-256 of a shared file, computed while the ranks write it: rank 0's own
//! writer hashes the header and its rows as it writes them and hands the state over
//! ([`Follower::begin_with`]); a helper thread then hashes the other ranks' rows in file
//! order, as soon as each rank's progress record says they are durable — so the digest
//! is ready soon after the last rank finishes, instead of after reading the whole file
//! back.
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
    /// What the record must say besides `rows` and `xxh3`.
    pub expected: Progress,
    /// Byte offset of the first row.
    pub offset: u64,
}

/// The shared file: where it is, which file it must be, and its layout.
pub(super) struct Target {
    pub partial: PathBuf,
    /// Bytes the state handed over covers (the header and rank 0's rows).
    pub start: u64,
    /// Device and inode of the file rank 0 created.
    pub id: (u64, u64),
    pub width: u64,
}

/// The helper thread; dropping it without [`Follower::finish`] stops it at its next
/// step.
pub(super) struct Follower {
    begin: crossbeam_channel::Sender<Sha256>,
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
        let (begin, first) = crossbeam_channel::bounded::<Sha256>(1);
        let thread = std::thread::Builder::new()
            .name("dpa-follow".into())
            .spawn(move || {
                let hash = wait_for(&first, &flags.1)?;
                follow(hash, &target, &regions, &flags.0, &flags.1)
            })
            .ok()?;
        Some(Follower {
            begin,
            finishing,
            stop,
            thread: Some(thread),
        })
    }

    /// Hands over the SHA-256 state of the file's start (the header and rank 0's rows),
    /// once rank 0 has written its rows.
    pub(super) fn begin_with(&self, start: Sha256) {
        let _ = self.begin.try_send(start);
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

/// The state rank 0 hands over; `None` if the follower is stopped first.
fn wait_for(first: &crossbeam_channel::Receiver<Sha256>, stop: &AtomicBool) -> Option<Sha256> {
    loop {
        if stop.load(Ordering::Acquire) {
            return None;
        }
        match first.recv_timeout(POLL) {
            Ok(hash) => return Some(hash),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return None,
        }
    }
}

fn follow(
    mut hash: Sha256,
    target: &Target,
    regions: &[Region],
    finishing: &AtomicBool,
    stop: &AtomicBool,
) -> Option<(u64, Hash)> {
    let mut bytes = target.start;
    let mut buf = vec![0u8; crate::READ_CHUNK];
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
                xxh3: p.xxh3.clone(),
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
