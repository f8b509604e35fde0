//! The bytes of an output file on their way to the disk: around the page cache
//! (`O_DIRECT`) where the file system takes it, through it where it does not.
//!
//! Written through the page cache, a large output costs the run twice: the kernel
//! copies every byte into cache pages, then writes them back while the workers run,
//! throttles the writer when too many are dirty, and the final `fsync` waits for the
//! rest. With `O_DIRECT` the device reads the bytes from this process's buffer; the
//! kernel does no copy and keeps no dirty pages, and the time a run takes no longer
//! swings with the page cache's state (docs/PERFORMANCE.md, "The write path").
//!
//! # The protocol
//!
//! Bytes are gathered in a [`BLOCK`]-byte buffer aligned to [`ALIGN`] and written at
//! aligned offsets through a second handle of the same file, opened with `O_DIRECT`
//! (by `/proc/self/fd`, so that it is the same inode, never a name that may have
//! changed). A flush (a checkpoint, the commit) writes the aligned part of the buffer
//! the same way and the last partial block, shorter than [`ALIGN`], through the
//! ordinary handle; that tail stays in the buffer, and the next block written
//! directly covers it again with the same bytes followed by new ones. So at every
//! flush the file holds exactly the bytes written, and its length is theirs.
//!
//! Where `O_DIRECT` is refused — the handle cannot be opened (tmpfs, some network file
//! systems), or the first direct write fails with `EINVAL` (an alignment the device
//! does not take) — the file is written through the page cache as before, and
//! [`AtomicFile::write_path`](crate::AtomicFile::write_path) says why. Any other error of a direct write is an error like any
//! other: it fails the run.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;

mod queue;
mod read;
pub(crate) use queue::Gate;
use queue::Queue;
pub(crate) use read::read_span;
pub use read::BlockReader;

/// The alignment of direct writes: their buffer's address, offset and length.
pub const ALIGN: usize = 4096;

/// Bytes gathered before a write (a multiple of [`ALIGN`]).
pub const BLOCK: usize = 4 << 20;

/// The buffer of a file that is not written directly: a pipe, a device, a file the
/// page cache serves (small records are gathered; large chunks go through it).
const SMALL: usize = 128 << 10;

/// How a file's bytes reach the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WritePath {
    /// Around the page cache (`O_DIRECT`), in aligned blocks.
    Direct,
    /// Through the page cache; the reason `O_DIRECT` was not used.
    PageCache(String),
    /// Written in order to a device or pipe (no positions, no cache to avoid).
    Stream,
}

impl std::fmt::Display for WritePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WritePath::Direct => write!(f, "direct I/O (O_DIRECT, {} MiB blocks)", BLOCK >> 20),
            WritePath::PageCache(why) => write!(f, "the page cache ({why})"),
            WritePath::Stream => write!(f, "a stream"),
        }
    }
}

/// A file being written in order, from a buffer, to the disk (see the module docs).
#[derive(Debug)]
pub(crate) struct FileOut {
    file: File,
    /// The direct handle's helper thread: `Some` while the file is written directly.
    queue: Option<Box<Queue>>,
    /// The block being filled; the data starts at `start` (aligned when direct).
    buf: Vec<u8>,
    start: usize,
    /// Bytes held, from `start`.
    len: usize,
    /// The file offset of the first byte held.
    pos: u64,
    path: WritePath,
    /// A direct write has succeeded (an `EINVAL` after that is an error, not a
    /// refusal of `O_DIRECT`).
    proven: bool,
    /// The file continues at `pos`, whose block's bytes before it are still to be
    /// re-read: at the first write, not before (a file only written at positions never
    /// reads them: they may be another writer's).
    head_pending: bool,
}

/// A handle of `file` (the same inode) opened with `O_DIRECT`, or why there is none.
fn open_direct(file: &File) -> Result<File, String> {
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    let direct = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(&proc_path)
        .map_err(|e| format!("O_DIRECT refused: {e}"))?;
    let (a, b) = (file.metadata(), direct.metadata());
    match (a, b) {
        (Ok(a), Ok(b)) if a.dev() == b.dev() && a.ino() == b.ino() => Ok(direct),
        _ => Err("O_DIRECT handle is not the same file".to_string()),
    }
}

impl FileOut {
    /// A regular file written from offset `at`: directly where the file system
    /// allows it.
    pub(crate) fn regular(file: File, at: u64) -> FileOut {
        let direct = open_direct(&file);
        FileOut::with(file, at, direct)
    }

    /// A regular file written from `at`, with `direct` its `O_DIRECT` handle or why it
    /// has none.
    fn with(file: File, at: u64, direct: Result<File, String>) -> FileOut {
        let queue = direct.and_then(|d| {
            let buffered = file
                .try_clone()
                .map_err(|e| format!("no second handle: {e}"))?;
            Queue::start(d, buffered)
                .map(Box::new)
                .ok_or_else(|| "no thread".to_string())
        });
        let (queue, path, buf) = match queue {
            Ok(q) => (Some(q), WritePath::Direct, queue::block_buffer()),
            Err(why) => (None, WritePath::PageCache(why), vec![0u8; SMALL]),
        };
        let mut out = FileOut {
            start: if queue.is_some() {
                queue::aligned_start(&buf)
            } else {
                0
            },
            file,
            queue,
            buf,
            len: 0,
            pos: at,
            path,
            proven: false,
            head_pending: false,
        };
        out.restart_at(at);
        out
    }

    /// A device or pipe, written in order through a small buffer.
    pub(crate) fn stream(file: File) -> FileOut {
        FileOut {
            file,
            queue: None,
            buf: vec![0u8; SMALL],
            start: 0,
            len: 0,
            pos: 0,
            path: WritePath::Stream,
            proven: false,
            head_pending: false,
        }
    }

    /// How the bytes reach the disk.
    pub(crate) fn path(&self) -> &WritePath {
        &self.path
    }

    /// The file (flush first for everything written so far to be in it).
    pub(crate) fn get_ref(&self) -> &File {
        &self.file
    }

    /// Bytes held before a write: a whole block when direct.
    fn capacity(&self) -> usize {
        if self.queue.is_some() {
            BLOCK
        } else {
            self.buf.len() - self.start
        }
    }

    /// Continues the file at offset `at` (its bytes before `at` are kept): a direct
    /// file re-reads the part of its last block before `at` at its first write, so
    /// that its next block starts aligned.
    pub(crate) fn restart_at(&mut self, at: u64) {
        self.len = 0;
        self.pos = at;
        self.head_pending = self.queue.is_some() && !at.is_multiple_of(ALIGN as u64);
    }

    /// Re-reads the head of the block the file continues in, if still to be done.
    fn load_head(&mut self) {
        if !std::mem::take(&mut self.head_pending) || self.queue.is_none() {
            return;
        }
        let at = self.pos;
        let aligned = at - at % ALIGN as u64;
        let head = (at - aligned) as usize;
        let (start, file) = (self.start, &self.file);
        match file.read_exact_at(&mut self.buf[start..start + head], aligned) {
            Ok(()) => (self.pos, self.len) = (aligned, head),
            Err(e) => self.page_cache(format!("the last block could not be re-read: {e}")),
        }
    }

    /// Stops writing directly (what the buffer holds already in the file): the page
    /// cache serves the rest of the file.
    fn page_cache(&mut self, why: String) {
        self.pos += self.len as u64;
        self.len = 0;
        self.queue = None;
        self.head_pending = false;
        self.path = WritePath::PageCache(why);
    }

    /// The file for positioned writes beside these: flushed, and written through the
    /// page cache from here on (a direct block would write over them).
    pub(crate) fn for_positioned_writes(&mut self) -> io::Result<&File> {
        self.flush()?;
        if self.queue.is_some() {
            self.page_cache("the file is also written at positions".into());
        }
        Ok(&self.file)
    }

    /// Writes the first `n` bytes held (`n` aligned when direct) at `pos`, and drops
    /// them. A whole block goes to the helper thread; anything else, and the first
    /// block (which proves that the device takes direct writes), is written here.
    fn write_out(&mut self, n: usize) -> io::Result<()> {
        let (start, pos) = (self.start, self.pos);
        match self.queue.as_mut() {
            None if self.path == WritePath::Stream => self.file.write_all(&self.buf[..n])?,
            None => self.file.write_all_at(&self.buf[start..start + n], pos)?,
            Some(q) if self.proven && n == BLOCK => {
                let full = std::mem::take(&mut self.buf);
                self.buf = q.submit(full, (n, 0), pos)?;
                self.start = queue::aligned_start(&self.buf);
                (self.len, self.pos) = (0, pos + n as u64);
                return Ok(());
            }
            Some(q) => match q.write_now(&self.buf[start..start + n], pos) {
                Ok(()) => self.proven |= n > 0,
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) && !self.proven => {
                    // The device takes no direct write of this alignment: the first
                    // block says so, and the page cache serves the file.
                    self.file.write_all_at(&self.buf[start..start + n], pos)?;
                    self.queue = None;
                    self.path = WritePath::PageCache(format!("O_DIRECT write refused: {e}"));
                }
                Err(e) => return Err(e),
            },
        }
        self.buf.copy_within(start + n..start + self.len, start);
        self.len -= n;
        self.pos += n as u64;
        Ok(())
    }

    /// Everything written reaches the file, as [`Write::flush`] does, but without
    /// waiting: the aligned part of the buffer and its tail are handed to the helper,
    /// which writes them in file order after the blocks before them (so that a kill
    /// leaves a prefix of the bytes, never a hole). The gate says when it has
    /// (`None`: everything is in the file already). A checkpoint waits on it before
    /// its sync, on the writeback thread, not here.
    pub(crate) fn flush_for_checkpoint(&mut self) -> io::Result<Option<Gate>> {
        let proven = self.proven;
        let Some(q) = self.queue.as_mut().filter(|_| proven) else {
            self.flush()?;
            return Ok(None);
        };
        let aligned = self.len - self.len % ALIGN;
        let end = self.pos + self.len as u64;
        let tail = self.buf[self.start + aligned..self.start + self.len].to_vec();
        let full = std::mem::take(&mut self.buf);
        self.buf = q.submit(full, (aligned, tail.len()), self.pos)?;
        // The tail stays, to be written over by the next block.
        self.start = queue::aligned_start(&self.buf);
        self.buf[self.start..self.start + tail.len()].copy_from_slice(&tail);
        (self.pos, self.len) = (self.pos + aligned as u64, tail.len());
        Ok(Some(q.gate(end)))
    }

    /// The file, flushed.
    pub(crate) fn into_file(mut self) -> io::Result<File> {
        self.flush()?;
        Ok(self.file)
    }
}

impl Write for FileOut {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.load_head();
        let cap = self.capacity();
        if self.len == cap {
            self.write_out(cap)?;
        }
        let n = data.len().min(cap - self.len);
        let at = self.start + self.len;
        self.buf[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        if self.len == self.capacity() {
            self.write_out(self.len)?;
        }
        Ok(n)
    }

    /// Everything written reaches the file: every block handed to the helper, the
    /// aligned part of the buffer directly, the tail through the page cache (and
    /// kept, to be written over by the next block).
    fn flush(&mut self) -> io::Result<()> {
        if self.queue.is_none() {
            return self.write_out(self.len);
        }
        let aligned = self.len - self.len % ALIGN;
        self.write_out(aligned)?;
        if let Some(q) = self.queue.as_mut() {
            q.drain()?;
            let tail = &self.buf[self.start..self.start + self.len];
            self.file.write_all_at(tail, self.pos)?;
        } else {
            // The first direct write was refused above: the rest goes as a page-cache file.
            self.write_out(self.len)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// A new file in target/ (a disk, where the build is; /tmp may be tmpfs).
    fn scratch() -> (tempfile::TempDir, File, std::path::PathBuf) {
        let dir = tempfile::tempdir_in(concat!(env!("CARGO_MANIFEST_DIR"), "/target")).unwrap();
        let path = dir.path().join("f");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        (dir, file, path)
    }

    /// Both ways of writing: direct, and through the page cache.
    fn both(file: File, at: u64) -> [FileOut; 2] {
        let again = file.try_clone().unwrap();
        [
            FileOut::regular(file, at),
            FileOut::with(again, at, Err("a test".into())),
        ]
    }

    #[test]
    fn uneven_writes_and_flushes_give_exactly_the_bytes() {
        for mode in 0..2 {
            let (_dir, file, path) = scratch();
            let mut out = both(file, 0).into_iter().nth(mode).unwrap();
            let want_path = [WritePath::Direct, WritePath::PageCache("a test".into())];
            assert_eq!(out.path(), &want_path[mode], "target/ is on a disk here");
            let data = pattern(3 * BLOCK + 12_345, 7);
            let mut want = Vec::new();
            for (k, piece) in data.chunks(BLOCK / 3 + 17).enumerate() {
                out.write_all(piece).unwrap();
                want.extend_from_slice(piece);
                if k % 3 == 1 {
                    out.flush().unwrap();
                    assert_eq!(std::fs::read(&path).unwrap(), want, "after flush {k}");
                }
            }
            out.flush().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), data);
        }
    }

    #[test]
    fn a_file_continued_at_any_offset_keeps_its_head() {
        for (mode, keep) in (0..2).flat_map(|m| [0u64, 1, 4095, 4096, 4097, 70_000].map(|k| (m, k)))
        {
            let (_dir, file, path) = scratch();
            let head = pattern(80_000, 1);
            file.write_all_at(&head, 0).unwrap();
            file.set_len(keep).unwrap();
            let mut out = both(file, keep).into_iter().nth(mode).unwrap();
            let more = pattern(BLOCK + 999, 2);
            out.write_all(&more).unwrap();
            out.flush().unwrap();
            let mut want = head[..keep as usize].to_vec();
            want.extend_from_slice(&more);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                want,
                "kept {keep}, mode {mode}"
            );
            assert_eq!(
                mode == 0,
                out.path() == &WritePath::Direct,
                "{}",
                out.path()
            );
        }
    }

    /// A file continued at an offset and then only written at positions (the shared
    /// file's rank 0 on `--resume`) never reads the block it continues in: those bytes
    /// may be another rank's. A write-only handle shows it: a read would fail, and the
    /// reason given for the page cache would be that one.
    #[test]
    fn a_continued_file_written_at_positions_reads_nothing() {
        let (_dir, file, path) = scratch();
        file.write_all_at(&pattern(9000, 3), 0).unwrap();
        drop(file);
        let write_only = OpenOptions::new().write(true).open(&path).unwrap();
        let mut out = FileOut::regular(write_only, 9000);
        assert_eq!(out.path(), &WritePath::Direct);
        out.for_positioned_writes().unwrap();
        let want = WritePath::PageCache("the file is also written at positions".into());
        assert_eq!(out.path(), &want);
        // Written in order instead, it does re-read that block (and so, write-only,
        // cannot), and says so.
        let write_only = OpenOptions::new().write(true).open(&path).unwrap();
        let mut out = FileOut::regular(write_only, 9000);
        out.write_all(b"more").unwrap();
        assert!(format!("{}", out.path()).contains("could not be re-read"));
    }

    /// What a kill at any moment leaves: the file is always a prefix of the bytes
    /// written (never a hole before bytes written later), even while blocks wait for
    /// the (slowed) helper and checkpoints flush their tails.
    #[test]
    fn the_file_is_always_a_prefix_of_what_was_written() {
        let (_dir, file, path) = scratch();
        let mut out = FileOut::regular(file, 0);
        let data = pattern(3 * BLOCK + 9_999, 5);
        let is_prefix = || {
            let back = std::fs::read(&path).unwrap();
            back.len() <= data.len() && back == data[..back.len()]
        };
        out.write_all(&data[..BLOCK]).unwrap(); // the first block, written at once
        queue::SLOW.store(true, std::sync::atomic::Ordering::Relaxed);
        out.write_all(&data[BLOCK..2 * BLOCK + 100]).unwrap(); // a block waits
        let gate = out.flush_for_checkpoint().unwrap().unwrap(); // and the tail
        assert!(is_prefix(), "right after the checkpoint's flush");
        out.write_all(&data[2 * BLOCK + 100..]).unwrap();
        assert!(is_prefix(), "with blocks still waiting");
        assert!(gate.wait());
        queue::SLOW.store(false, std::sync::atomic::Ordering::Relaxed);
        assert!(std::fs::read(&path).unwrap().len() >= 2 * BLOCK + 100);
        assert!(is_prefix());
        out.flush().unwrap();
        assert!(std::fs::read(&path).unwrap() == data);
    }

    #[test]
    fn positioned_writes_are_not_written_over() {
        let (_dir, file, path) = scratch();
        let mut out = FileOut::regular(file, 0);
        out.write_all(&pattern(100, 3)).unwrap();
        out.for_positioned_writes()
            .unwrap()
            .write_all_at(b"HEAD", 0)
            .unwrap();
        out.write_all(&pattern(BLOCK * 2, 4)).unwrap();
        out.flush().unwrap();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(&back[..4], b"HEAD");
        assert_eq!(back.len(), 100 + 2 * BLOCK);
        assert!(matches!(out.path(), WritePath::PageCache(_)));
    }
}
