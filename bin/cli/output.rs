//! Where a command writes: stdout, or a file put in place atomically.

use std::io::{self, BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};

use dpa::AtomicFile;

/// An output destination.
pub enum Output {
    /// Standard output (`-`).
    Stdout(BufWriter<Stdout>),
    /// A file, visible at its path only once committed.
    File(AtomicFile),
}

impl Output {
    /// Opens `-` as stdout, anything else as an atomic file.
    pub fn open(path: &Path) -> Result<Self, dpa::Error> {
        if is_stdout(path) {
            Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )))
        } else {
            AtomicFile::create(path).map(Output::File)
        }
    }

    /// The name to use in messages.
    pub fn name(&self) -> PathBuf {
        match self {
            Output::Stdout(_) => PathBuf::from("<stdout>"),
            Output::File(f) => f.path().to_path_buf(),
        }
    }

    /// Keep the `.partial` file if the run fails, so that `--resume` can continue it.
    pub fn keep_partial(&mut self) {
        if let Output::File(f) = self {
            f.keep_partial_on_drop(true);
        }
    }

    /// Flushes stdout, or commits the file.
    pub fn finish(self) -> Result<(), dpa::Error> {
        match self {
            Output::Stdout(mut out) => out.flush().map_err(|e| dpa::Error::io("<stdout>", e)),
            Output::File(f) => f.commit(),
        }
    }
}

/// True for the path `-`.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(o) => o.write(buf),
            Output::File(f) => f.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(o) => o.write_all(buf),
            Output::File(f) => f.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(o) => o.flush(),
            Output::File(f) => f.flush(),
        }
    }
}

/// A writer that counts the bytes written through it.
pub struct Counting<W> {
    /// The writer.
    pub inner: W,
    /// Bytes written so far.
    pub bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.bytes += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
