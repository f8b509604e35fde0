//! Atomic file output: write to `<path>.partial`, flush, fsync, rename to `<path>`.
//!
//! A reader never sees a half-written file at the final path, and an existing file at
//! the final path is untouched until the new one is complete.
//!
//! A run owns its partial file: it creates it exclusively (or takes over one left by a
//! run that died), holds an exclusive lock on it until it is renamed, and never follows
//! a symbolic link to it. A second run that finds the partial file locked refuses to
//! touch it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::direct::{FileOut, WritePath};
use crate::error::Error;
use crate::writeback::Writeback;

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
    out: Option<FileOut>,
    keep_partial: bool,
    /// Writes the partial file's data to disk in the background as it grows.
    writeback: Option<Writeback>,
    /// The partial file has been renamed to the final path (commit step 2).
    renamed: bool,
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

/// Opens `<path>.partial` for this run alone: created exclusively, or (left by a run
/// that died) opened without following links and locked. `None` when `create` is false
/// and there is no partial file.
fn own_partial(partial: &Path, create: bool) -> Result<Option<File>, Error> {
    let err = |e: io::Error| Error::io(partial, e);
    for _ in 0..8 {
        if create {
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(partial)
            {
                Ok(file) => return lock_owned(partial, file).map(Some),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(err(e)),
            }
        }
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(partial);
        let file = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(err(io::Error::other(
                    "is a symbolic link; dpa never writes through a link: remove it",
                )))
            }
            Err(e) => return Err(err(e)),
        };
        match lock_owned(partial, file) {
            Err(Error::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => continue,
            other => return other.map(Some),
        }
    }
    Err(err(io::Error::other(
        "kept changing while it was opened (another run?): try again",
    )))
}

/// Locks `file` (opened as `partial`) exclusively, and checks that it is a regular
/// file still at that path. `NotFound` means it was renamed or removed meanwhile.
fn lock_owned(partial: &Path, file: File) -> Result<File, Error> {
    let err = |e: io::Error| Error::io(partial, e);
    let meta = file.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(err(io::Error::other(
            "exists and is not a regular file: remove it",
        )));
    }
    if meta.nlink() > 1 {
        // Another name shares its bytes: writing, cutting or emptying it would change
        // that file too. dpa's own partial files have one name.
        return Err(err(io::Error::other(format!(
            "has {} names (hard links): another file shares its bytes, and dpa never writes into it; remove this name",
            meta.nlink()
        ))));
    }
    file.try_lock().map_err(|e| match e {
        fs::TryLockError::WouldBlock => err(io::Error::new(
            io::ErrorKind::ResourceBusy,
            "another dpa run is writing this file (it holds its lock); wait for it, or write elsewhere",
        )),
        fs::TryLockError::Error(e) => err(e),
    })?;
    match fs::symlink_metadata(partial) {
        Ok(now) if now.dev() == meta.dev() && now.ino() == meta.ino() => Ok(file),
        Ok(_) => Err(err(io::Error::from(io::ErrorKind::NotFound))),
        Err(e) => Err(err(e)),
    }
}

/// The folder of `path` is there and is a folder: else the error names `path` as the
/// user gave it, and what is wrong with its folder (not the partial file's name).
fn folder_exists(path: &Path) -> Result<(), Error> {
    let folder = match path.parent() {
        Some(f) if !f.as_os_str().is_empty() => f,
        _ => return Ok(()),
    };
    let message = match fs::metadata(folder) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => format!("{} is not a folder", folder.display()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            format!(
                "its folder {} does not exist (create it first)",
                folder.display()
            )
        }
        Err(e) => format!("its folder {}: {e}", folder.display()),
    };
    Err(Error::io(
        path,
        io::Error::new(io::ErrorKind::NotFound, message),
    ))
}

impl AtomicFile {
    /// Starts writing `path` through `<path>.partial`, which this run then owns: it
    /// is created exclusively, or, if a run that died left one, taken over and emptied.
    ///
    /// Fails at once when `path` is a folder, its folder does not exist, another run
    /// is writing the same partial file, or the partial path is a symbolic link.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// assert!(dpa::AtomicFile::create(dir.path()).is_err());
    /// let path = dir.path().join("x");
    /// let first = dpa::AtomicFile::create(&path).unwrap();
    /// let err = dpa::AtomicFile::create(&path).unwrap_err();
    /// assert!(err.to_string().contains("another dpa run"), "{err}");
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
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io(path, e))?;
                return Ok(AtomicFile {
                    path: path.to_path_buf(),
                    partial: None,
                    out: Some(FileOut::stream(file)),
                    keep_partial: false,
                    writeback: None,
                    renamed: false,
                });
            }
        }
        folder_exists(path)?;
        let partial = partial_path(path);
        let file = own_partial(&partial, true)?
            .ok_or_else(|| Error::io(&partial, io::Error::from(io::ErrorKind::NotFound)))?;
        file.set_len(0).map_err(|e| Error::io(&partial, e))?;
        // A checkpoint of the file just emptied would claim bytes it no longer has.
        crate::checkpoint::remove_record(path);
        Ok(AtomicFile {
            path: path.to_path_buf(),
            partial: Some(partial),
            writeback: Writeback::start(&file),
            out: Some(FileOut::regular(file, 0)),
            keep_partial: false,
            renamed: false,
        })
    }

    /// Takes over the `<path>.partial` an interrupted run left, to continue it; `None`
    /// if there is none. The file is locked for this run and positioned at its end;
    /// read it back with [`AtomicFile::read_partial`], then cut it with
    /// [`AtomicFile::keep`]. It is kept when dropped without a commit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("r.txt");
    /// assert!(dpa::AtomicFile::resume(&path).unwrap().is_none());
    /// std::fs::write(dpa::atomic::partial_path(&path), b"hello, torn").unwrap();
    /// let mut f = dpa::AtomicFile::resume(&path).unwrap().unwrap();
    /// f.keep(7).unwrap();
    /// f.write_all(b"world").unwrap();
    /// f.commit().unwrap();
    /// assert_eq!(std::fs::read(&path).unwrap(), b"hello, world");
    /// ```
    pub fn resume(path: &Path) -> Result<Option<Self>, Error> {
        let partial = partial_path(path);
        let Some(file) = own_partial(&partial, false)? else {
            return Ok(None);
        };
        let end = file.metadata().map_err(|e| Error::io(&partial, e))?.len();
        Ok(Some(AtomicFile {
            path: path.to_path_buf(),
            partial: Some(partial),
            writeback: Writeback::start(&file),
            out: Some(FileOut::regular(file, end)),
            keep_partial: true,
            renamed: false,
        }))
    }

    /// A reader of the partial file's current content, from its start (through this
    /// run's own open file, not its name).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("p");
    /// std::fs::write(dpa::atomic::partial_path(&path), b"abc").unwrap();
    /// let f = dpa::AtomicFile::resume(&path).unwrap().unwrap();
    /// let mut text = String::new();
    /// f.read_partial().unwrap().read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "abc");
    /// ```
    pub fn read_partial(&self) -> Result<File, Error> {
        let name = self.partial.as_deref().unwrap_or(&self.path);
        let out = self
            .out
            .as_ref()
            .ok_or_else(|| Error::io(name, io::Error::other("already committed")))?;
        let mut file = out.get_ref().try_clone().map_err(|e| Error::io(name, e))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(name, e))?;
        Ok(file)
    }

    /// Keeps the first `len` bytes of the partial file, cuts the rest, and continues
    /// writing after them.
    ///
    /// # Examples
    ///
    /// See [`AtomicFile::resume`].
    pub fn keep(&mut self, len: u64) -> Result<(), Error> {
        let name = self.partial.clone().unwrap_or_else(|| self.path.clone());
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| Error::io(&name, io::Error::other("already committed")))?;
        out.flush().map_err(|e| Error::io(&name, e))?;
        out.get_ref()
            .set_len(len)
            .map_err(|e| Error::io(&name, e))?;
        out.restart_at(len);
        Ok(())
    }

    /// The partial file's path, or `None` for a device or pipe written in place.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let f = dpa::AtomicFile::create(&dir.path().join("z")).unwrap();
    /// assert!(f.partial().unwrap().ends_with("z.partial"));
    /// ```
    pub fn partial(&self) -> Option<&Path> {
        self.partial.as_deref()
    }

    /// The file being written, with everything written so far through this writer
    /// flushed to it: for positioned writes (`write_at`) beside the buffered ones.
    pub(crate) fn file(&mut self) -> Result<&File, Error> {
        let name = self.partial.as_deref().unwrap_or(&self.path);
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| Error::io(name, io::Error::other("already committed")))?;
        out.for_positioned_writes().map_err(|e| Error::io(name, e))
    }

    /// How this file's bytes reach the disk: directly (`O_DIRECT`), through the page
    /// cache (and why), or as a stream (a device or pipe).
    ///
    /// # Examples
    ///
    /// ```
    /// let f = dpa::AtomicFile::create(std::path::Path::new("/dev/null")).unwrap();
    /// assert_eq!(f.write_path(), Some(&dpa::direct::WritePath::Stream));
    /// ```
    pub fn write_path(&self) -> Option<&WritePath> {
        self.out.as_ref().map(FileOut::path)
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

    /// Commit step 1: everything written reaches the disk at the partial path (the
    /// buffer flushed, the background writeback finished and its error reported, the
    /// file fsynced). Nothing is at the final path yet.
    pub(crate) fn settle(&mut self) -> Result<(), Error> {
        let name = self.partial.clone().unwrap_or_else(|| self.path.clone());
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        out.flush().map_err(|e| Error::io(&name, e))?;
        if self.partial.is_none() {
            // A device or pipe: flushing is all there is to do.
            return Ok(());
        }
        if let Some(w) = self.writeback.take() {
            w.finish().map_err(|e| Error::io(&name, e))?;
        }
        out.get_ref().sync_all().map_err(|e| Error::io(&name, e))
    }

    /// Saves a checkpoint record (`text`, at [`crate::checkpoint::record_path`] of this
    /// file) once every byte written so far is durable: the buffer is flushed here
    /// (a direct file's blocks handed to its helper, not waited for), and the
    /// background writeback thread waits for those blocks, syncs the file, then
    /// writes the record. A
    /// device, a pipe or a file without that thread gets no checkpoints.
    pub(crate) fn checkpoint(&mut self, text: Vec<u8>) -> Result<(), Error> {
        let (Some(out), Some(w)) = (self.out.as_mut(), self.writeback.as_mut()) else {
            return Ok(());
        };
        let name = self.partial.as_deref().unwrap_or(&self.path);
        let gate = out.flush_for_checkpoint().map_err(|e| Error::io(name, e))?;
        w.checkpoint((crate::checkpoint::record_path(&self.path), text, gate));
        Ok(())
    }

    /// Commit step 2: the settled partial file takes its final name.
    pub(crate) fn rename_into_place(&mut self) -> Result<(), Error> {
        if let Some(partial) = &self.partial {
            fs::rename(partial, &self.path).map_err(|e| Error::io(&self.path, e))?;
            self.renamed = true;
        }
        Ok(())
    }

    /// Undoes step 2 when a later member of the same commit failed: the file goes
    /// back to its partial name (and is then removed, or kept for a resume, as a file
    /// that was never committed).
    pub(crate) fn rename_back(&mut self) {
        if let (true, Some(partial)) = (self.renamed, &self.partial) {
            if fs::rename(&self.path, partial).is_ok() {
                self.renamed = false;
            } else {
                let _ = fs::remove_file(&self.path);
            }
        }
    }

    /// The commit is complete: only a checkpoint record is left to remove.
    pub(crate) fn committed(mut self) {
        self.out = None;
        if self.partial.is_some() {
            crate::checkpoint::remove_record(&self.path);
        }
    }

    /// This file with a background writeback that syncs with `sync` every `every`
    /// bytes (tests inject a failing disk with it).
    #[cfg(test)]
    pub(crate) fn with_writeback(mut self, sync: crate::writeback::SyncData, every: u64) -> Self {
        if let Some(out) = &self.out {
            self.writeback = Writeback::start_with(out.get_ref(), sync, every);
        }
        self
    }

    /// The folder the final path is in.
    pub(crate) fn folder(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("write after commit"))?
            .write(buf)?;
        if let Some(w) = self.writeback.as_mut() {
            w.wrote(n);
        }
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("write after commit"))?
            .write_all(buf)?;
        if let Some(w) = self.writeback.as_mut() {
            w.wrote(buf.len());
        }
        Ok(())
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
        // The writeback thread holds a handle (and so the lock) and may still save a
        // checkpoint: it ends first, so that a resume in this same process finds the
        // file free, and no record is saved after the partial file is removed.
        if let Some(w) = self.writeback.take() {
            let _ = w.finish();
        }
        if let (Some(out), Some(partial)) = (self.out.take(), &self.partial) {
            if self.keep_partial {
                let _ = out.into_file().map(|f| f.sync_all());
            } else {
                drop(out);
                let _ = fs::remove_file(partial);
                crate::checkpoint::remove_record(&self.path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_writeback_keeps_every_byte() {
        // More than two writeback periods, in uneven writes.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let mut f = AtomicFile::create(&path).unwrap();
        assert!(
            f.writeback.is_some(),
            "a regular file gets a writeback helper"
        );
        let block: Vec<u8> = (0..=255u8).cycle().take(3 << 20).collect();
        let total = 2 * crate::writeback::WRITEBACK_EVERY as usize + 12345;
        let mut written = 0;
        while written < total {
            let n = (total - written).min(block.len() - written % 7);
            f.write_all(&block[..n]).unwrap();
            written += n;
        }
        f.commit().unwrap();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len(), total);
        let mut at = 0;
        while at < total {
            let n = (total - at).min(block.len() - at % 7);
            assert!(back[at..at + n] == block[..n], "bytes at {at}");
            at += n;
        }
    }

    #[test]
    fn a_direct_file_checkpoints_only_bytes_it_holds() {
        // On a disk (target/), so that the file is written around the page cache.
        let dir = tempfile::tempdir_in(concat!(env!("CARGO_MANIFEST_DIR"), "/target")).unwrap();
        let path = dir.path().join("d");
        let mut f = AtomicFile::create(&path).unwrap();
        assert_eq!(f.write_path(), Some(&WritePath::Direct));
        let data: Vec<u8> = (0..3 * crate::direct::BLOCK + 777)
            .map(|i| (i % 253) as u8)
            .collect();
        f.write_all(&data[..crate::direct::BLOCK + 5]).unwrap();
        f.checkpoint(b"first".to_vec()).unwrap();
        f.write_all(&data[crate::direct::BLOCK + 5..]).unwrap();
        f.checkpoint(b"second".to_vec()).unwrap();
        let record = crate::checkpoint::record_path(&path);
        let started = std::time::Instant::now();
        while std::fs::read(&record).ok().as_deref() != Some(b"second") {
            assert!(started.elapsed().as_secs() < 30, "no checkpoint saved");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        // The record is saved after the sync that covers it: the bytes are all there.
        assert!(std::fs::read(partial_path(&path)).unwrap() == data);
        f.commit().unwrap();
        assert!(std::fs::read(&path).unwrap() == data);
        assert!(!record.exists());
    }

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
    fn a_symbolic_link_at_the_partial_path_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        fs::write(&target, b"keep me").unwrap();
        let path = dir.path().join("out.jsonl");
        std::os::unix::fs::symlink(&target, partial_path(&path)).unwrap();
        let err = AtomicFile::create(&path).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(AtomicFile::resume(&path).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
    }

    #[test]
    fn a_partial_file_left_by_a_dead_run_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        fs::write(partial_path(&path), b"stale").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"fresh").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"fresh");
    }

    #[test]
    fn missing_folder_is_an_error_naming_the_file() {
        let err = AtomicFile::create(Path::new("/no/such/dir/out.json")).unwrap_err();
        assert!(err.to_string().contains("/no/such/dir/out.json"), "{err}");
    }
}
