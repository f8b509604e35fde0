//! Whether two paths name the same file, compared by what they are, not by their text:
//! `o.jsonl`, `./o.jsonl`, a hard link and a symbolic link to it are all one file.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The identity of a file: its device and inode when it exists, else the place it
/// would be created at (its folder resolved, plus its name).
///
/// # Examples
///
/// ```
/// use dpa::identity::FileId;
/// let dir = tempfile::tempdir().unwrap();
/// let a = dir.path().join("a.jsonl");
/// let b = dir.path().join(".").join("a.jsonl");
/// assert_eq!(FileId::of(&a), FileId::of(&b)); // neither exists yet
/// std::fs::write(&a, b"x").unwrap();
/// std::os::unix::fs::symlink(&a, dir.path().join("link")).unwrap();
/// assert_eq!(FileId::of(&a), FileId::of(&dir.path().join("link")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileId {
    /// An existing file.
    Inode {
        /// Device.
        dev: u64,
        /// Inode.
        ino: u64,
    },
    /// A file not created yet: where it would be.
    Location(PathBuf),
}

impl FileId {
    /// The identity of `path`, or `None` when its folder does not exist either.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(dpa::identity::FileId::of("/no/such/folder/x".as_ref()).is_none());
    /// ```
    pub fn of(path: &Path) -> Option<FileId> {
        if let Ok(m) = fs::metadata(path) {
            return Some(FileId::Inode {
                dev: m.dev(),
                ino: m.ino(),
            });
        }
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let folder = fs::canonicalize(parent).ok()?;
        Some(FileId::Location(folder.join(path.file_name()?)))
    }

    /// The identity of this process's standard output when it is a regular file, where
    /// the system can tell (Linux: `/proc/self/fd/1`).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = dpa::identity::FileId::stdout();
    /// ```
    pub fn stdout() -> Option<FileId> {
        let m = fs::metadata("/proc/self/fd/1")
            .ok()
            .filter(|m| m.is_file())?;
        Some(FileId::Inode {
            dev: m.dev(),
            ino: m.ino(),
        })
    }
}

/// Opens `path` for reading when it is a regular file: `None` when there is nothing
/// there. Opening never waits (a named pipe would block an ordinary `open` until a
/// writer comes), a symbolic link is followed only with `follow`, and anything but a
/// regular file is an error saying so.
pub(crate) fn open_regular(path: &Path, follow: bool) -> Result<Option<fs::File>, crate::Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = libc::O_NONBLOCK | if follow { 0 } else { libc::O_NOFOLLOW };
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(crate::Error::io(path, e)),
    };
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(Some(file)),
        Ok(_) => Err(crate::Error::io(
            path,
            std::io::Error::other("not a regular file"),
        )),
        Err(e) => Err(crate::Error::io(path, e)),
    }
}
