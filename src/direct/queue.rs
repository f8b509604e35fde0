//! The blocks of a direct file on their way to the disk, written by a helper thread
//! (`dpa-direct`) while the next block is filled: the writer hands over a full block
//! and takes a spare one back, waiting only when every spare is being written.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};

use super::{ALIGN, BLOCK};

/// Blocks a file has: one being filled, the rest written or waiting to be.
const BLOCKS: usize = 3;

/// Tests slow the helper down, to find what a kill between two writes would leave.
#[cfg(test)]
pub(super) static SLOW: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A block to write: its buffer, the length written directly (aligned), the length of
/// the tail after it written through the page cache, and the file offset.
type Job = (Vec<u8>, usize, usize, u64);

/// A zeroed buffer that holds an aligned block.
pub(super) fn block_buffer() -> Vec<u8> {
    vec![0u8; BLOCK + ALIGN]
}

/// Where a buffer's aligned block starts.
pub(super) fn aligned_start(buf: &[u8]) -> usize {
    buf.as_ptr().align_offset(ALIGN)
}

/// The helper thread of one direct file and its spare blocks.
#[derive(Debug)]
pub(super) struct Queue {
    direct: Arc<File>,
    jobs: Option<Sender<Job>>,
    done: Receiver<Vec<u8>>,
    spares: Vec<Vec<u8>>,
    in_flight: usize,
    failed: Arc<Mutex<Option<io::Error>>>,
    /// The end of the blocks written so far (they are written in order).
    written: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

/// A checkpoint's condition: the direct blocks before `needs` are written (or one
/// failed, and the checkpoint must not be saved).
#[derive(Debug)]
pub(crate) struct Gate {
    written: Arc<AtomicU64>,
    failed: Arc<Mutex<Option<io::Error>>>,
    needs: u64,
}

impl Gate {
    /// Waits until the bytes before `needs` are written: `true`, or `false` when a
    /// block failed (the run fails; no checkpoint may claim those bytes). The helper
    /// writes every block it is given, so the wait ends.
    pub(crate) fn wait(&self) -> bool {
        loop {
            if self
                .failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
            {
                return false;
            }
            if self.written.load(Ordering::Acquire) >= self.needs {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

impl Queue {
    /// Starts the helper on the `O_DIRECT` handle `direct`; `None` if the thread cannot
    /// be had (the blocks are then written on the caller's thread).
    pub(super) fn start(direct: File, buffered: File) -> Option<Queue> {
        let direct = Arc::new(direct);
        let (jobs, rx) = bounded::<Job>(BLOCKS);
        let (done_tx, done) = bounded::<Vec<u8>>(BLOCKS);
        let failed: Arc<Mutex<Option<io::Error>>> = Arc::default();
        let written = Arc::new(AtomicU64::new(0));
        let (file, seen, frontier) = (direct.clone(), failed.clone(), written.clone());
        let thread = std::thread::Builder::new()
            .name("dpa-direct".into())
            .spawn(move || {
                for (buf, n, tail, pos) in rx {
                    #[cfg(test)]
                    if SLOW.load(Ordering::Relaxed) {
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    let start = aligned_start(&buf);
                    // After a failure the rest is not written: the run fails anyway.
                    let ok = seen.lock().unwrap_or_else(|p| p.into_inner()).is_none();
                    if ok {
                        // In file order, on this one thread: the file is always a
                        // prefix of what was written (a kill leaves no hole).
                        let done = file
                            .write_all_at(&buf[start..start + n], pos)
                            .and_then(|()| {
                                let t = &buf[start + n..start + n + tail];
                                buffered.write_all_at(t, pos + n as u64)
                            });
                        match done {
                            Ok(()) => frontier.store(pos + (n + tail) as u64, Ordering::Release),
                            Err(e) => {
                                let mut slot = seen.lock().unwrap_or_else(|p| p.into_inner());
                                slot.get_or_insert(e);
                            }
                        }
                    }
                    if done_tx.send(buf).is_err() {
                        return;
                    }
                }
            })
            .ok()?;
        Some(Queue {
            direct,
            jobs: Some(jobs),
            done,
            spares: (1..BLOCKS).map(|_| block_buffer()).collect(),
            in_flight: 0,
            failed,
            written,
            thread: Some(thread),
        })
    }

    /// The first error the helper met, if any (kept: every later call reports it).
    fn error(&self) -> io::Result<()> {
        match &*self.failed.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(io::Error::new(
                e.kind(),
                format!("direct write failed: {e}"),
            )),
            None => Ok(()),
        }
    }

    /// Hands `buf`'s first `n` aligned bytes to the helper, to be written at `pos`,
    /// and the `tail` bytes after them, to be written through the page cache after
    /// them; returns a spare buffer, waiting for one if all are being written.
    pub(super) fn submit(
        &mut self,
        buf: Vec<u8>,
        (n, tail): (usize, usize),
        pos: u64,
    ) -> io::Result<Vec<u8>> {
        self.error()?;
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send((buf, n, tail, pos)).map_err(|_| stopped())?;
        self.in_flight += 1;
        let spare = match self.spares.pop() {
            Some(b) => b,
            None => {
                let b = self.done.recv().map_err(|_| stopped())?;
                self.in_flight -= 1;
                b
            }
        };
        Ok(spare)
    }

    /// Waits until every block handed over is written; the first error any met.
    pub(super) fn drain(&mut self) -> io::Result<()> {
        while self.in_flight > 0 {
            let b = self.done.recv().map_err(|_| stopped())?;
            self.spares.push(b);
            self.in_flight -= 1;
        }
        self.error()
    }

    /// The condition for a checkpoint of the bytes before `needs`, all handed over.
    pub(super) fn gate(&self, needs: u64) -> Gate {
        Gate {
            written: self.written.clone(),
            failed: self.failed.clone(),
            needs,
        }
    }

    /// Writes `data` (aligned) at `pos` on this thread, once nothing is in flight.
    pub(super) fn write_now(&mut self, data: &[u8], pos: u64) -> io::Result<()> {
        self.drain()?;
        self.direct.write_all_at(data, pos)
    }
}

fn stopped() -> io::Error {
    io::Error::other("the direct-write thread stopped")
}

impl Drop for Queue {
    fn drop(&mut self) {
        // The helper finishes the blocks it has, then ends; a caller that needs their
        // outcome drains first.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
