//! Background writeback: a file's data starts going to disk while the file is still
//! being written, so the fsync before the atomic rename has little left to do.
//!
//! Without it, the kernel keeps gigabytes of a fresh output in its page cache and the
//! final fsync writes them all while the run waits; with it, a helper thread calls
//! `fdatasync` on its own handle every [`WRITEBACK_EVERY`] bytes, overlapping the disk
//! with the generation. An error there is not lost: the final fsync reports it.

use std::fs::File;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Sender};

/// Bytes written between two background `fdatasync` calls.
pub const WRITEBACK_EVERY: u64 = 64 << 20;

/// The helper thread of one file.
#[derive(Debug)]
pub(crate) struct Writeback {
    tx: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    since: u64,
}

impl Writeback {
    /// Starts the helper on its own handle of `file`; `None` if the handle or the
    /// thread cannot be had (the file is then synced at the end only).
    pub(crate) fn start(file: &File) -> Option<Self> {
        let handle = file.try_clone().ok()?;
        // One request waiting at most: a request made while one is pending is dropped.
        let (tx, rx) = bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("dpa-writeback".into())
            .spawn(move || {
                for () in rx {
                    // An error is reported by the final fsync of the same file.
                    let _ = handle.sync_data();
                }
            })
            .ok()?;
        Some(Writeback {
            tx: Some(tx),
            thread: Some(thread),
            since: 0,
        })
    }

    /// Counts `n` bytes written; asks for a writeback every [`WRITEBACK_EVERY`] bytes.
    #[inline]
    pub(crate) fn wrote(&mut self, n: usize) {
        self.since += n as u64;
        if self.since >= WRITEBACK_EVERY {
            self.since = 0;
            if let Some(tx) = &self.tx {
                let _ = tx.try_send(());
            }
        }
    }

    /// Stops the helper and waits for its last writeback.
    pub(crate) fn finish(mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        // The helper ends after the writeback it may be doing; nobody needs to wait.
        self.tx = None;
    }
}
