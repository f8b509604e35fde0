//! Reading a large file in order, around the page cache where the file system allows
//! it: a helper thread (`dpa-read`) reads the next aligned blocks with `O_DIRECT`
//! while the caller works on the current one.
//!
//! dpa's outputs are written around the page cache (see the module above), so reading
//! one back — `verify`, a resume checking the kept bytes — reads the disk. This VM's
//! buffered reads take a cold 1.46 GB file at about 590 MB/s; direct reads of 4 MiB
//! blocks at 1.7 GB/s, and the helper thread keeps them off the caller's time.
//! Where `O_DIRECT` is refused, or a direct read fails with `EINVAL`, the blocks are
//! read through the page cache instead: the bytes are the same either way.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};

use super::queue::{aligned_start, block_buffer};
use super::{ALIGN, BLOCK};

/// Blocks read ahead of the one in use. One is enough: while the caller works on a
/// block the helper reads the next, so the slower of the two never waits for the
/// other; a second cost a resume 4 MiB of memory and no time (docs/PERFORMANCE.md).
const AHEAD: usize = 1;

/// A block read: its buffer, where its bytes start and end.
type Filled = io::Result<(Vec<u8>, usize, usize)>;

/// The bytes `start .. end` of a file, in order (see the module docs).
#[derive(Debug)]
pub struct BlockReader {
    blocks: Receiver<Filled>,
    spares: Option<Sender<Vec<u8>>>,
    current: Option<(Vec<u8>, usize, usize)>,
    done: bool,
    thread: Option<JoinHandle<()>>,
}

/// A handle of `file` opened for direct reads, if the file system takes them.
fn open_direct(file: &File) -> Option<File> {
    let d = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .ok()?;
    let (a, b) = (file.metadata().ok()?, d.metadata().ok()?);
    (a.dev() == b.dev() && a.ino() == b.ino()).then_some(d)
}

/// Where the helper reads: the file, its direct handle while direct reads work.
struct Source {
    file: File,
    direct: Option<File>,
}

impl Source {
    /// Reads the aligned block at `at` into `buf` (aligned); the bytes read.
    fn read_block(&mut self, buf: &mut [u8], at: u64) -> io::Result<usize> {
        if at.is_multiple_of(ALIGN as u64) {
            if let Some(d) = &self.direct {
                match read_full(d, buf, at, true) {
                    Err(e) if e.raw_os_error() == Some(libc::EINVAL) => self.direct = None,
                    other => return other,
                }
            }
        }
        read_full(&self.file, buf, at, false)
    }
}

/// Reads `buf.len()` bytes at `at`, fewer only at the end of the file. A direct read
/// that ends off an aligned boundary has met the end.
fn read_full(file: &File, buf: &mut [u8], at: u64, direct: bool) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) if direct && k % ALIGN != 0 => return Ok(n + k),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl BlockReader {
    /// Reads `file` from `start` to `end` (its end, when `None`), on a helper thread.
    pub fn new(file: &File, start: u64, end: Option<u64>) -> io::Result<BlockReader> {
        let mut source = Source {
            file: file.try_clone()?,
            direct: open_direct(file),
        };
        let (blocks_tx, blocks) = bounded::<Filled>(AHEAD);
        let (spares, spares_rx) = bounded::<Vec<u8>>(AHEAD + 1);
        for _ in 0..=AHEAD {
            let _ = spares.send(block_buffer());
        }
        let thread = std::thread::Builder::new()
            .name("dpa-read".into())
            .spawn(move || {
                let mut at = start - start % ALIGN as u64;
                let mut skip = (start - at) as usize;
                for mut buf in spares_rx {
                    let s = aligned_start(&buf);
                    let want = end.map_or(BLOCK as u64, |e| e.saturating_sub(at).min(BLOCK as u64));
                    let block = &mut buf[s..s + BLOCK];
                    let filled = match want {
                        0 => Ok(0),
                        // A whole aligned block, cut to `end` afterwards (direct reads
                        // take aligned lengths only).
                        _ => source.read_block(block, at).map(|n| n.min(want as usize)),
                    };
                    let stop = !matches!(filled, Ok(n) if n > 0);
                    let item = filled.map(|n| (buf, s + skip.min(n), s + n));
                    at += BLOCK as u64;
                    skip = 0;
                    if blocks_tx.send(item).is_err() || stop {
                        return;
                    }
                }
            })?;
        Ok(BlockReader {
            blocks,
            spares: Some(spares),
            current: None,
            done: false,
            thread: Some(thread),
        })
    }
}

impl BufRead for BlockReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while !self.done && self.current.as_ref().is_none_or(|(_, a, b)| a == b) {
            if let (Some((buf, _, _)), Some(spares)) = (self.current.take(), &self.spares) {
                let _ = spares.send(buf);
            }
            match self.blocks.recv() {
                Ok(Ok((buf, a, b))) => {
                    self.done = a == b;
                    self.current = Some((buf, a, b));
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        Ok(match &self.current {
            Some((buf, a, b)) => &buf[*a..*b],
            None => &[],
        })
    }

    fn consume(&mut self, n: usize) {
        if let Some((_, a, b)) = self.current.as_mut() {
            *a = (*a + n).min(*b);
        }
    }
}

impl Read for BlockReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let data = self.fill_buf()?;
        let n = data.len().min(out.len());
        out[..n].copy_from_slice(&data[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl Drop for BlockReader {
    fn drop(&mut self) {
        // The helper ends at its next block: no spare comes back, and its sends fail.
        self.spares = None;
        drop(std::mem::replace(&mut self.blocks, bounded(0).1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Feeds the bytes `start .. end` of `file` to `feed`, in order, block by block.
pub(crate) fn read_span(
    file: &File,
    start: u64,
    end: u64,
    feed: &mut dyn FnMut(&[u8]),
) -> io::Result<()> {
    let mut r = BlockReader::new(file, start, Some(end))?;
    let mut got = 0u64;
    loop {
        let data = r.fill_buf()?;
        if data.is_empty() {
            break;
        }
        feed(data);
        let n = data.len();
        got += n as u64;
        r.consume(n);
    }
    if got != end.saturating_sub(start) {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir_in(concat!(env!("CARGO_MANIFEST_DIR"), "/target")).unwrap();
        let path = dir.path().join("f");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        (dir, File::open(&path).unwrap())
    }

    #[test]
    fn every_span_reads_exactly_its_bytes() {
        let data: Vec<u8> = (0..2 * BLOCK + 5000).map(|i| (i * 7 % 251) as u8).collect();
        let (_dir, f) = file_of(&data);
        assert!(open_direct(&f).is_some(), "target/ takes direct reads here");
        let len = data.len() as u64;
        for (a, b) in [
            (0, len),
            (1, len),
            (4095, 4097),
            (100, 100),
            (0, 0),
            (5, BLOCK as u64 + 9),
        ] {
            let mut got = Vec::new();
            read_span(&f, a, b, &mut |x| got.extend_from_slice(x)).unwrap();
            assert!(got == data[a as usize..b as usize], "{a}..{b}");
        }
        assert!(
            read_span(&f, 0, len + 1, &mut |_| {}).is_err(),
            "past the end"
        );
        let mut all = Vec::new();
        BlockReader::new(&f, 3, None)
            .unwrap()
            .read_to_end(&mut all)
            .unwrap();
        assert!(all == data[3..]);
    }

    #[test]
    fn a_reader_dropped_early_stops_its_thread() {
        let data = vec![1u8; 3 * BLOCK];
        let (_dir, f) = file_of(&data);
        let mut r = BlockReader::new(&f, 0, None).unwrap();
        assert_eq!(r.fill_buf().unwrap().len(), BLOCK);
        drop(r); // joins the helper: the test ends instead of hanging
    }
}
