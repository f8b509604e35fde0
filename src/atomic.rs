//! Atomic file output: write to `<path>.partial`, flush, fsync, rename to `<path>`.
//!
//! A reader never sees a half-written file at the final path, and an existing file at
//! the final path is untouched until the new one is complete.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// A file being written; it appears at its path only on [`AtomicFile::commit`].
///
/// Dropped without a commit (an error, a panic), it removes its `.partial` file unless
/// [`AtomicFile::keep_partial_on_drop`] was set.
///
/// A path that exists and is not a regular file — a device such as `/dev/null`, a named
/// pipe — is written directly: there is nothing to rename over it, and replacing it
/// would destroy it.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("out.txt");
/// let mut f = dpa::AtomicFile::create(&path).unwrap();
/// f.write_all(b"hello").unwrap();
/// assert!(!path.exists());
/// f.commit().unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    /// `<path>.partial`, or `None` when writing a device or pipe directly.
    partial: Option<PathBuf>,
    out: Option<BufWriter<File>>,
    keep_partial: bool,
}

/// The temporary path of `path`: `<path>.partial`.
///
/// # Examples
///
/// ```
/// let p = dpa::atomic::partial_path(std::path::Path::new("a/b.jsonl"));
/// assert_eq!(p, std::path::Path::new("a/b.jsonl.partial"));
/// ```
pub fn partial_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

impl AtomicFile {
    /// Starts writing `path` (through `<path>.partial`, created or truncated).
    ///
    /// Fails at once when `path` is a directory or its folder does not exist.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// assert!(dpa::AtomicFile::create(dir.path()).is_err());
    /// ```
    pub fn create(path: &Path) -> Result<Self, Error> {
        if path.is_dir() {
            return Err(Error::io(
                path,
                io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
            ));
        }
        if let Ok(meta) = fs::metadata(path) {
            if !meta.is_file() {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io(path, e))?;
                return Ok(AtomicFile {
                    path: path.to_path_buf(),
                    partial: None,
                    out: Some(BufWriter::with_capacity(1 << 20, file)),
                    keep_partial: false,
                });
            }
        }
        let partial = partial_path(path);
        let file = File::create(&partial).map_err(|e| Error::io(&partial, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            partial: Some(partial),
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            keep_partial: false,
        })
    }

    /// Continues writing an existing `<path>.partial` after its first `keep` bytes
    /// (the rest is cut off).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("r.txt");
    /// std::fs::write(dpa::atomic::partial_path(&path), b"hello, torn").unwrap();
    /// let mut f = dpa::AtomicFile::resume(&path, 7).unwrap();
    /// f.write_all(b"world").unwrap();
    /// f.commit().unwrap();
    /// assert_eq!(std::fs::read(&path).unwrap(), b"hello, world");
    /// ```
    pub fn resume(path: &Path, keep: u64) -> Result<Self, Error> {
        let partial = partial_path(path);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .open(&partial)
            .map_err(|e| Error::io(&partial, e))?;
        file.set_len(keep).map_err(|e| Error::io(&partial, e))?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(keep)).map_err(|e| Error::io(&partial, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            partial: Some(partial),
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            keep_partial: true,
        })
    }

    /// Keep `<path>.partial` when dropped without a commit (for resuming later).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("x");
    /// let mut f = dpa::AtomicFile::create(&path).unwrap();
    /// f.keep_partial_on_drop(true);
    /// drop(f);
    /// assert!(dpa::atomic::partial_path(&path).exists());
    /// ```
    pub fn keep_partial_on_drop(&mut self, keep: bool) {
        self.keep_partial = keep;
    }

    /// The final path.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let f = dpa::AtomicFile::create(&dir.path().join("y")).unwrap();
    /// assert!(f.path().ends_with("y"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, fsyncs and renames the file into place, then fsyncs its folder.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("empty");
    /// dpa::AtomicFile::create(&path).unwrap().commit().unwrap();
    /// assert!(path.exists());
    /// ```
    pub fn commit(mut self) -> Result<(), Error> {
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        let Some(partial) = self.partial.clone() else {
            // A device or pipe: flushing is all there is to do.
            out.into_inner()
                .map_err(|e| Error::io(&self.path, e.into_error()))?;
            return Ok(());
        };
        let file = out
            .into_inner()
            .map_err(|e| Error::io(&partial, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&partial, e))?;
        drop(file);
        fs::rename(&partial, &self.path).map_err(|e| Error::io(&self.path, e))?;
        let parent = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // Make the rename itself durable. Some file systems refuse to fsync a folder;
        // the data is already safe in the file, so that is not an error.
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("write after commit"))?
            .write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("write after commit"))?
            .write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let (Some(out), Some(partial)) = (self.out.take(), &self.partial) {
            if self.keep_partial {
                let _ = out.into_inner().map(|f| f.sync_all());
            } else {
                drop(out);
                let _ = fs::remove_file(partial);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_without_commit_leaves_existing_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl");
        fs::write(&path, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"new but unfinished").unwrap();
        }
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert!(!partial_path(&path).exists());
    }

    #[test]
    fn devices_are_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let null = Path::new("/dev/null");
        if !null.exists() {
            return;
        }
        let mut f = AtomicFile::create(null).unwrap();
        f.write_all(b"discarded").unwrap();
        f.commit().unwrap();
        assert!(fs::metadata(null).unwrap().file_type().is_char_device());
        assert!(!Path::new("/dev/null.partial").exists());
    }

    #[test]
    fn missing_folder_is_an_error_naming_the_file() {
        let err = AtomicFile::create(Path::new("/no/such/dir/out.json")).unwrap_err();
        assert!(err.to_string().contains("/no/such/dir/out.json"), "{err}");
    }
}
