//! Where a command writes: stdout, or a file put in place atomically.

use std::io::{self, BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};

use dpa::identity::FileId;
use dpa::write::Destination;
use dpa::AtomicFile;

use crate::common::failure::Failure;

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
            if let Some(why) = unusable_stdout() {
                return Err(dpa::Error::io("<stdout>", why));
            }
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

    /// Flushes stdout, or commits the file.
    pub fn finish(self) -> Result<(), dpa::Error> {
        match self {
            Output::Stdout(mut out) => out.flush().map_err(|e| dpa::Error::io("<stdout>", e)),
            Output::File(f) => f.commit(),
        }
    }
}

/// Refuses binary records (bincode, npy) for a terminal, as `gzip` does: they would be
/// noise on the screen, and a `.npy` array on stdout has no sidecar anyway.
pub fn not_binary_on_a_terminal(path: &Path, format: dpa::Format) -> Result<(), Failure> {
    use std::io::IsTerminal;
    let binary = matches!(format, dpa::Format::Bincode | dpa::Format::Npy);
    if binary && is_stdout(path) && io::stdout().is_terminal() {
        return Err(Failure::usage_msg(format!(
            "{format} is a binary format and standard output is a terminal: write it to a file (-o FILE) or redirect it (> FILE, | ...)"
        )));
    }
    Ok(())
}

/// Where the library writes records: stdout (checked to be open) or a file.
pub fn destination(path: &Path) -> Result<Destination, Failure> {
    if !is_stdout(path) {
        return Ok(Destination::File(path.to_path_buf()));
    }
    if let Some(why) = unusable_stdout() {
        return Err(dpa::Error::io("<stdout>", why).into());
    }
    Ok(Destination::Writer {
        out: Box::new(io::stdout()),
        name: PathBuf::from("<stdout>"),
    })
}

/// True for `-` and the other names of standard output (`/dev/stdout`, `/dev/fd/1`,
/// `/proc/self/fd/1`), which are written as standard output, never put in place as a
/// file.
pub fn is_stdout(path: &Path) -> bool {
    crate::common::stdout_probe::names_stdout(path)
}

/// Why standard output cannot take dpa's bytes — closed (`>&-`) or open for reading
/// only when dpa started, as the probe that runs before Rust's runtime saw it; `None`
/// when it can (`/dev/null` handed to dpa, write-only or read-write as Python's
/// `subprocess.DEVNULL`, is an ordinary output).
fn unusable_stdout() -> Option<io::Error> {
    crate::common::stdout_probe::unusable()
}

/// The sidecar a `.npy` output at `path` gets (none on stdout or for other formats).
pub fn output_sidecar(path: &Path, format: dpa::Format) -> Option<PathBuf> {
    (format == dpa::Format::Npy && !is_stdout(path)).then(|| dpa::formats::npy::sidecar_path(path))
}

/// The sidecar read with the input at `path`: when it is a `.npy` file (by its first
/// bytes), `<path>.json`.
pub fn input_sidecar(path: &Path) -> Option<PathBuf> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut magic = [0u8; 6];
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    // Never wait on a named pipe put there since.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    file.take(6).read_exact(&mut magic).ok()?;
    (magic == dpa::formats::npy::MAGIC).then(|| dpa::formats::npy::sidecar_path(path))
}

/// Refuses to run when an output is an input or another output — the same file under
/// any name (hard or symbolic links, `./x` and `x`), including an output's `.partial`
/// file and standard output redirected to a file. Each pair is `(flag, path)`.
pub fn check_distinct(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    // Only regular files (or files to be created) can be overwritten: devices and
    // pipes such as /dev/null may serve several roles.
    let ids_of = |path: &Path, output: bool| -> Vec<FileId> {
        if is_stdout(path) {
            return FileId::stdout().into_iter().collect();
        }
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            return Vec::new();
        }
        let partial = output.then(|| FileId::of(&dpa::atomic::partial_path(path)));
        [FileId::of(path), partial.flatten()]
            .into_iter()
            .flatten()
            .collect()
    };
    for (i, (out_flag, out)) in outputs.iter().enumerate() {
        let mine = ids_of(out, true);
        let others = inputs
            .iter()
            .filter(|(_, p)| !is_stdout(p))
            .map(|(f, p)| (*f, *p, ids_of(p, false)))
            .chain(outputs[..i].iter().map(|(f, p)| (*f, *p, ids_of(p, true))));
        for (flag, path, theirs) in others {
            if mine.iter().any(|id| theirs.contains(id)) {
                return Err(Failure::usage_msg(format!(
                    "{out_flag} {} and {flag} {} are the same file",
                    out.display(),
                    path.display()
                )));
            }
        }
    }
    Ok(())
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
