//! Small files of a distributed job beside its data: JSON records (`.done.json`,
//! progress records) read within a bound and written atomically, and the SHA-256 of a
//! written file.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::atomic::AtomicFile;
use crate::error::Error;
use crate::params::Hash;

/// The longest record (`.done.json`, progress) read.
const MAX_RECORD_BYTES: u64 = 1 << 16;

/// Removes a record a run that died left (a fresh run writes its own).
pub(crate) fn remove_stale(record: &Path) -> Result<(), Error> {
    match std::fs::remove_file(record) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(record, e)),
        _ => Ok(()),
    }
}

/// Reads a small JSON record: `None` when there is none, or it is not one (too long,
/// not this shape).
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, Error> {
    let Some(file) = crate::identity::open_regular(path, false)? else {
        return Ok(None);
    };
    let mut text = Vec::new();
    file.take(MAX_RECORD_BYTES)
        .read_to_end(&mut text)
        .map_err(|e| Error::io(path, e))?;
    Ok(serde_json::from_slice(&text).ok())
}

/// Writes a small JSON record atomically.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let mut f = AtomicFile::create(path)?;
    let text = serde_json::to_vec(value).map_err(|e| Error::io(path, e.into()))?;
    f.write_all(&text).map_err(|e| Error::io(path, e))?;
    f.commit()
}

/// The size and SHA-256 of the file `f` (named `name`), read from its start.
pub(crate) fn hash_file(f: &File, name: &Path) -> Result<(u64, Hash), Error> {
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; crate::READ_CHUNK];
    let mut at = 0u64;
    loop {
        let n = f.read_at(&mut buf, at).map_err(|e| Error::io(name, e))?;
        if n == 0 {
            return Ok((at, Hash(hash.finalize().into())));
        }
        hash.update(&buf[..n]);
        at += n as u64;
    }
}
