//! A commit of a group of files that belong together: a data file and its sidecar, a
//! shard and its `.done.json`, a manifest. Every output of dpa is committed this way
//! (a single file is a group of one).
//!
//! The protocol:
//!
//! 1. **Settle** every member: its buffer is flushed, its background writeback is
//!    finished (an error the helper met fails the commit), and its exclusive partial
//!    file is fsynced. Nothing is at any final name yet; a failure here leaves only
//!    partial files, removed (or kept for `--resume`) as the members are dropped.
//! 2. **Rename** the members to their final names, in the order they were added. A
//!    data file's sidecar is added before the data file, so that whoever finds the
//!    data file finds its sidecar. If a rename fails, the members already renamed are
//!    renamed back to their partial names: no new file is left at a final name.
//! 3. **Fsync the folders** of the members, which makes the renames durable (a file
//!    system that refuses to fsync a folder is not an error: the data is already
//!    durable in the files).

use std::fs::File;
use std::path::PathBuf;

use crate::atomic::AtomicFile;
use crate::error::Error;

/// Files committed together; see the [module](self) for the protocol.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let (data, side) = (dir.path().join("x.npy"), dir.path().join("x.npy.json"));
/// let mut a = dpa::AtomicFile::create(&data).unwrap();
/// let mut b = dpa::AtomicFile::create(&side).unwrap();
/// a.write_all(b"rows").unwrap();
/// b.write_all(b"{}").unwrap();
/// dpa::commit::Commit::new().with(b).with(a).run().unwrap();
/// assert!(data.exists() && side.exists());
/// ```
#[derive(Debug, Default)]
pub struct Commit {
    files: Vec<AtomicFile>,
}

impl Commit {
    /// An empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// dpa::commit::Commit::new().run().unwrap();
    /// ```
    pub fn new() -> Self {
        Commit::default()
    }

    /// Adds `file`, renamed after the members already added.
    ///
    /// # Examples
    ///
    /// See [`Commit`].
    pub fn with(mut self, file: AtomicFile) -> Self {
        self.files.push(file);
        self
    }

    /// Runs the protocol. On an error no new file is at any member's final name.
    ///
    /// # Examples
    ///
    /// See [`Commit`].
    pub fn run(mut self) -> Result<(), Error> {
        for f in &mut self.files {
            f.settle()?;
        }
        for i in 0..self.files.len() {
            if let Err(e) = self.files[i].rename_into_place() {
                self.files[..i]
                    .iter_mut()
                    .rev()
                    .for_each(AtomicFile::rename_back);
                return Err(e);
            }
        }
        let mut folders: Vec<PathBuf> = self
            .files
            .iter()
            .map(|f| f.folder().to_path_buf())
            .collect();
        folders.dedup();
        for folder in folders {
            if let Ok(dir) = File::open(&folder) {
                let _ = dir.sync_all();
            }
        }
        self.files.into_iter().for_each(AtomicFile::committed);
        Ok(())
    }
}

impl AtomicFile {
    /// Flushes, fsyncs and renames the file into place, then fsyncs its folder: a
    /// [`Commit`] of this one file.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("empty");
    /// dpa::AtomicFile::create(&path).unwrap().commit().unwrap();
    /// assert!(path.exists());
    /// ```
    pub fn commit(self) -> Result<(), Error> {
        Commit::new().with(self).run()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Write};

    use super::*;

    fn refuse(_: &File) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::EIO))
    }

    #[test]
    fn a_failed_background_writeback_fails_the_commit_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.bin");
        let mut f = AtomicFile::create(&path)
            .unwrap()
            .with_writeback(refuse, 1 << 10);
        for _ in 0..64 {
            f.write_all(&[7u8; 4096]).unwrap();
        }
        // The final fsync itself succeeds here, as Linux's can after a lost writeback.
        let err = Commit::new().with(f).run().unwrap_err().to_string();
        assert!(err.contains("background writeback failed"), "{err}");
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing left"
        );
    }

    #[test]
    fn a_failed_rename_takes_back_the_members_renamed_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("x.npy.json");
        let second = dir.path().join("x.npy");
        let mut a = AtomicFile::create(&first).unwrap();
        let mut b = AtomicFile::create(&second).unwrap();
        a.write_all(b"{}").unwrap();
        b.write_all(b"rows").unwrap();
        // The second member's final name becomes a non-empty folder: its rename fails.
        std::fs::create_dir(&second).unwrap();
        std::fs::write(second.join("in the way"), b"").unwrap();
        assert!(Commit::new().with(a).with(b).run().is_err());
        assert!(!first.exists(), "the sidecar renamed first was taken back");
        assert!(!crate::atomic::partial_path(&first).exists());
        assert!(!crate::atomic::partial_path(&second).exists());
    }
}
