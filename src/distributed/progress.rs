//! Progress records of a shared-file job: how many of a rank's rows are on disk, and
//! their XXH3-128 digest (against torn writes and another run's rows, as a
//! checkpoint's), saved as the rows are written (in the background) so that a killed
//! job can resume (see [`shared`](super::shared)).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Sender};

use crate::atomic::partial_path;
use crate::error::Error;

/// Bytes a rank writes between two saves of its progress (each one an fsync of its
/// rows, then of the record).
pub(super) const PROGRESS_EVERY: u64 = 16 << 20;

/// What a rank's progress record says: its rows `start..end`, of which the first
/// `rows` are on disk with XXH3-128 digest `xxh3` (32 lowercase hex digits).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Progress {
    /// [`GenerateJob::settings_digest`](super::GenerateJob::settings_digest) of the job.
    pub settings: crate::params::Hash,
    pub rank: u64,
    pub world_size: u64,
    pub start: u64,
    pub end: u64,
    pub rows: u64,
    pub xxh3: String,
}

/// The progress record of rank `rank` of `size` for the output `path`:
/// `<path>.partial.rank-RRRRR-of-PPPPP`.
pub(super) fn progress_path(path: &Path, rank: u64, size: u64) -> PathBuf {
    let mut s = partial_path(path).into_os_string();
    s.push(format!(".rank-{rank:05}-of-{size:05}"));
    PathBuf::from(s)
}

/// Makes the rows of `file` (the partial file, named `partial`) durable, then records
/// `progress` at `record` ([`crate::checkpoint::write_record`]: a `.tmp`, fsynced,
/// renamed over the old one).
pub(super) fn save(
    file: &File,
    partial: &Path,
    record: &Path,
    progress: &Progress,
) -> Result<(), Error> {
    file.sync_data().map_err(|e| Error::io(partial, e))?;
    let text = serde_json::to_vec(progress).unwrap_or_default();
    crate::checkpoint::write_record(record, &text).map_err(|e| Error::io(record, e))
}

/// Saves progress on a helper thread, so that the writer does not wait for the disk.
/// A snapshot offered while another one still waits is dropped: a later one covers
/// it.
pub(super) struct Saver {
    tx: Option<Sender<Progress>>,
    thread: Option<JoinHandle<()>>,
    /// The error that stopped the helper.
    failed: Arc<Mutex<Option<Error>>>,
}

impl Saver {
    /// Starts the helper on its own handle of `file`; without one (no handle, no
    /// thread), progress is saved at the end only.
    pub(super) fn start(file: &File, partial: &Path, record: &Path) -> Saver {
        let failed = Arc::new(Mutex::new(None));
        let none = Saver {
            tx: None,
            thread: None,
            failed: failed.clone(),
        };
        let Ok(handle) = file.try_clone() else {
            return none;
        };
        let (tx, rx) = bounded::<Progress>(1);
        let (partial, record) = (partial.to_path_buf(), record.to_path_buf());
        let slot = failed.clone();
        let thread = std::thread::Builder::new()
            .name("dpa-progress".into())
            .spawn(move || {
                if let Err(e) = rx
                    .iter()
                    .try_for_each(|p| save(&handle, &partial, &record, &p))
                {
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            });
        match thread {
            Ok(thread) => Saver {
                tx: Some(tx),
                thread: Some(thread),
                failed,
            },
            Err(_) => none,
        }
    }

    /// The error that stopped the helper, once.
    fn take_error(&self) -> Option<Error> {
        self.failed.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Asks for `progress` to be saved, unless a save is already waiting. An earlier
    /// save that failed is reported here, at once: the rank stops instead of writing
    /// its whole share first.
    pub(super) fn offer(&self, progress: Progress) -> Result<(), Error> {
        if let Some(tx) = &self.tx {
            if let Err(crossbeam_channel::TrySendError::Disconnected(_)) = tx.try_send(progress) {
                return Err(self.take_error().unwrap_or_else(|| {
                    Error::io(
                        "progress record",
                        std::io::Error::other("its helper stopped"),
                    )
                }));
            }
        }
        Ok(())
    }

    /// Waits for the last save; its error, if any.
    pub(super) fn finish(mut self) -> Result<(), Error> {
        self.tx = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(())) => self.take_error().map_or(Ok(()), Err),
            Some(Err(_)) => Err(Error::io(
                "progress record",
                std::io::Error::other("the thread saving it panicked"),
            )),
            None => Ok(()),
        }
    }
}
