//! Reading back a rank's rows of the shared `.npy` file: in blocks of rows at the rank's
//! own offset, each block's bytes handed to the caller's digests, each row decoded.
//! Used by a resumed rank for the rows its progress record vouches for, and by every
//! rank checking its segment of a finished file: only the rank's own bytes are read.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use crate::params::Params;

/// Rows read at a time.
const ROWS_AT_ONCE: u64 = 4096;

/// Reads `count` rows of `width` bytes from offset `at` of `file`, in order: `bytes`
/// gets each block's bytes, `row` each row's index (from 0) and record. `Ok(false)` as
/// soon as a row does not decode or `row` answers `false`.
pub(super) fn scan(
    file: &File,
    at: u64,
    count: u64,
    width: u64,
    bytes: &mut dyn FnMut(&[u8]),
    row: &mut dyn FnMut(u64, Params) -> bool,
) -> io::Result<bool> {
    let mut buf = vec![0u8; (width * ROWS_AT_ONCE) as usize];
    let mut done = 0u64;
    while done < count {
        let n = (count - done).min(ROWS_AT_ONCE);
        let block = &mut buf[..(n * width) as usize];
        file.read_exact_at(block, at + done * width)?;
        bytes(block);
        for (i, r) in (done..).zip(block.chunks_exact(width as usize)) {
            match crate::formats::npy::decode(r) {
                Some(p) if row(i, p) => {}
                _ => return Ok(false),
            }
        }
        done += n;
    }
    Ok(true)
}
