//! Background writeback: a file's data starts going to disk while the file is still
//! being written, so the fsync before the atomic rename has little left to do.
//!
//! Without it, the kernel keeps gigabytes of a fresh output in its page cache and the
//! final fsync writes them all while the run waits; with it, a helper thread calls
//! `fdatasync` on its own handle every [`WRITEBACK_EVERY`] bytes, overlapping the disk
//! with the generation.
//!
//! The same thread saves a file's checkpoints ([`crate::checkpoint`]): each one right
//! after a sync that covers every byte it claims.
//!
//! An error the helper meets is kept and returned by [`Writeback::finish`], which every
//! commit calls before its own fsync: on Linux a failed writeback marks the pages clean,
//! and a later `fsync` of the same file can report success for data the disk refused,
//! so the helper's error is the only report of it.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Sender};

/// Bytes written between two background `fdatasync` calls.
pub const WRITEBACK_EVERY: u64 = 64 << 20;

/// How the helper makes a file's data durable: `File::sync_data`, or in tests a
/// function that fails as a disk can.
pub(crate) type SyncData = fn(&File) -> io::Result<()>;

/// A checkpoint record to save after the next sync: its path, its text, and what to
/// wait for before that sync (the direct writes of the bytes it claims).
pub(crate) type Save = (PathBuf, Vec<u8>, Option<crate::direct::Gate>);

/// The helper thread of one file.
#[derive(Debug)]
pub(crate) struct Writeback {
    /// Wakes the helper: a sync is wanted.
    tx: Option<Sender<()>>,
    /// The checkpoint to save after the next sync (a newer one replaces it).
    pending: Arc<Mutex<Option<Save>>>,
    thread: Option<JoinHandle<()>>,
    since: u64,
    every: u64,
    /// The first error the helper met.
    failed: Arc<Mutex<Option<io::Error>>>,
}

impl Writeback {
    /// Starts the helper on its own handle of `file`; `None` if the handle or the
    /// thread cannot be had (the file is then synced at the end only).
    pub(crate) fn start(file: &File) -> Option<Self> {
        Self::start_with(file, File::sync_data, WRITEBACK_EVERY)
    }

    /// [`Writeback::start`] with the sync function and the period given.
    pub(crate) fn start_with(file: &File, sync: SyncData, every: u64) -> Option<Self> {
        let handle = file.try_clone().ok()?;
        let failed = Arc::new(Mutex::new(None));
        let seen = failed.clone();
        let pending: Arc<Mutex<Option<Save>>> = Arc::default();
        let slot = pending.clone();
        // One wake-up waiting at most: a request made while one is pending is served
        // by it (the checkpoint it would carry waits in `pending`).
        let (tx, rx) = bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("dpa-writeback".into())
            .spawn(move || {
                for () in rx {
                    // Taken before the sync, so the sync covers every byte it claims.
                    let mut save = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                    // Bytes still being written directly are waited for; if their
                    // write failed, the record is not saved (the run fails).
                    if let Some((_, _, Some(gate))) = &save {
                        if !gate.wait() {
                            save = None;
                        }
                    }
                    let done = sync(&handle).and_then(|()| match save {
                        Some((record, text, _)) => crate::checkpoint::write_record(&record, &text),
                        None => Ok(()),
                    });
                    if let Err(e) = done {
                        let mut slot = seen.lock().unwrap_or_else(|p| p.into_inner());
                        slot.get_or_insert(e);
                    }
                }
            })
            .ok()?;
        Some(Writeback {
            tx: Some(tx),
            pending,
            thread: Some(thread),
            since: 0,
            every,
            failed,
        })
    }

    /// Counts `n` bytes written; asks for a writeback every period.
    #[inline]
    pub(crate) fn wrote(&mut self, n: usize) {
        self.since += n as u64;
        if self.since >= self.every {
            self.since = 0;
            if let Some(tx) = &self.tx {
                let _ = tx.try_send(());
            }
        }
    }

    /// Asks for a sync of everything written so far, then for `save` to be written. A
    /// checkpoint not yet taken by the helper is replaced: the newer one covers it.
    pub(crate) fn checkpoint(&mut self, save: Save) {
        self.since = 0;
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(save);
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(());
        }
    }

    /// Stops the helper, waits for its last writeback, and returns the first error it
    /// met.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                return Err(io::Error::other("the writeback thread panicked"));
            }
        }
        let mut slot = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        match slot.take() {
            Some(e) => Err(io::Error::new(
                e.kind(),
                format!("background writeback failed: {e}"),
            )),
            None => Ok(()),
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        // The helper ends after the writeback it may be doing (an owner that must know
        // when calls `finish`).
        self.tx = None;
    }
}
