//! [`Companion`]: a file committed in one group with an output, its bytes made from
//! the output's statistics once the last record is written (`dpa generate --stats`).
//! If the output cannot be committed, neither is it; if it cannot be written, neither
//! is the output.

use std::io::Write as _;

use crate::atomic::AtomicFile;
use crate::error::Error;
use crate::stats::Statistics;

/// A file written from an output's statistics and committed with it.
///
/// # Examples
///
/// ```
/// use dpa::write::Companion;
/// let dir = tempfile::tempdir().unwrap();
/// let file = dpa::AtomicFile::create(&dir.path().join("s.json")).unwrap();
/// let c = Companion::statistics_json(file);
/// assert_eq!(c.path(), dir.path().join("s.json"));
/// ```
pub struct Companion {
    file: AtomicFile,
    render: fn(Option<&Statistics>) -> Vec<u8>,
}

impl Companion {
    /// A companion whose bytes are `render` of the output's statistics.
    pub fn new(file: AtomicFile, render: fn(Option<&Statistics>) -> Vec<u8>) -> Self {
        Companion { file, render }
    }

    /// The statistics as pretty JSON in the reference's shape, ending with a newline
    /// (`null` when the output keeps none).
    pub fn statistics_json(file: AtomicFile) -> Self {
        Companion::new(file, |stats| {
            let mut text = serde_json::to_vec_pretty(&stats).unwrap_or_default();
            text.push(b'\n');
            text
        })
    }

    /// Where the companion goes.
    pub fn path(&self) -> &std::path::Path {
        self.file.path()
    }

    /// The file, its bytes written, ready to join the output's commit.
    pub(crate) fn written(mut self, statistics: Option<&Statistics>) -> Result<AtomicFile, Error> {
        let bytes = (self.render)(statistics);
        let path = self.file.path().to_path_buf();
        self.file
            .write_all(&bytes)
            .map_err(|e| Error::io(&path, e))?;
        Ok(self.file)
    }
}
