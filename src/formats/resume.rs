//! Checking the part of an interrupted output (`<path>.partial`) that a run can keep.
//!
//! A partial file is kept only as far as its bytes are exactly the bytes this run
//! writes: the header, then each record — recomputed and encoded again, then compared
//! byte for byte. A torn last record (the bytes a killed run wrote before it died, a
//! prefix of the right ones) is cut off; any other difference — one changed digit, CRLF
//! line ends, a record from other settings, junk — refuses the whole file, which is
//! left as it is.

use std::io::Read;
use std::path::Path;

use crate::error::Error;

/// What of a partial file can be kept. `valid_len == 0` means not even the header
/// was complete: write everything again.
///
/// # Examples
///
/// ```
/// let s = dpa::formats::resume::PartialScan { valid_len: 0, records: 0 };
/// assert_eq!(s.records, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialScan {
    /// Bytes to keep: the header and every complete, verified record.
    pub valid_len: u64,
    /// Complete, verified records.
    pub records: u64,
}

/// The bytes a run writes, as the check needs them.
pub trait ExpectedBytes {
    /// Appends the encoded records `first .. first + n` (each with what precedes it in
    /// the format, such as a separator) to `out`, and the offset in `out` just after
    /// each record to `ends`.
    fn records(&mut self, first: u64, n: u64, out: &mut Vec<u8>, ends: &mut Vec<usize>);

    /// The bytes that end the file after the last record (trailer, statistics).
    fn finish(&mut self) -> Vec<u8>;
}

/// Records compared per step: 2,048 JSON Lines records are about 0.5 MB, held twice
/// (expected and read) and the records once more; 16,384 held 12 MiB past the check.
const BLOCK: u64 = 1 << 11;

/// Checks the partial file read from `input` (named `path` in messages) against the
/// run that writes `header`, then `count` records, then its end, as `expected`
/// encodes them. Returns what to keep; a difference that is not a torn tail is a data
/// error naming the record and the byte.
///
/// # Examples
///
/// ```
/// use dpa::formats::resume::{check_partial, ExpectedBytes};
/// struct Lines;
/// impl ExpectedBytes for Lines {
///     fn records(&mut self, first: u64, n: u64, out: &mut Vec<u8>, ends: &mut Vec<usize>) {
///         for i in first..first + n {
///             out.extend_from_slice(format!("{i}\n").as_bytes());
///             ends.push(out.len());
///         }
///     }
///     fn finish(&mut self) -> Vec<u8> { Vec::new() }
/// }
/// let path = std::path::Path::new("p");
/// let scan = check_partial(&b"0\n1\n2"[..], path, b"", 5, &mut Lines).unwrap();
/// assert_eq!((scan.records, scan.valid_len), (2, 4));
/// let err = check_partial(&b"0\n7\n"[..], path, b"", 5, &mut Lines).unwrap_err();
/// assert!(err.to_string().contains("record 1"), "{err}");
/// ```
pub fn check_partial<R: Read>(
    mut input: R,
    path: &Path,
    header: &[u8],
    count: u64,
    expected: &mut dyn ExpectedBytes,
) -> Result<PartialScan, Error> {
    let mut head = vec![0u8; header.len()];
    let got = read_up_to(&mut input, &mut head).map_err(|e| Error::io(path, e))?;
    if head[..got] != header[..got] {
        return Err(other_settings(path, first_difference(&head[..got], header)));
    }
    let mut scan = PartialScan {
        valid_len: 0,
        records: 0,
    };
    if got < header.len() {
        // Stopped while writing the header: nothing to keep.
        return Ok(scan);
    }
    scan.valid_len = header.len() as u64;
    check_records(input, path, scan, count, expected)
}

/// [`check_partial`] after its first `scan.records` records, kept on other grounds (a
/// checkpoint): `input` is positioned at byte `scan.valid_len`, just after them, and
/// the records from there on are compared with what `expected` encodes.
///
/// # Examples
///
/// ```
/// use dpa::formats::resume::{check_records, ExpectedBytes, PartialScan};
/// struct Lines;
/// impl ExpectedBytes for Lines {
///     fn records(&mut self, first: u64, n: u64, out: &mut Vec<u8>, ends: &mut Vec<usize>) {
///         for i in first..first + n {
///             out.extend_from_slice(format!("{i}\n").as_bytes());
///             ends.push(out.len());
///         }
///     }
///     fn finish(&mut self) -> Vec<u8> { Vec::new() }
/// }
/// let kept = PartialScan { valid_len: 4, records: 2 };
/// let path = std::path::Path::new("p");
/// let scan = check_records(&b"2\n3"[..], path, kept, 5, &mut Lines).unwrap();
/// assert_eq!((scan.records, scan.valid_len), (3, 6));
/// ```
pub fn check_records<R: Read>(
    mut input: R,
    path: &Path,
    mut scan: PartialScan,
    count: u64,
    expected: &mut dyn ExpectedBytes,
) -> Result<PartialScan, Error> {
    let (mut want, mut ends, mut have) = (Vec::new(), Vec::new(), Vec::new());
    while scan.records < count {
        let n = BLOCK.min(count - scan.records);
        want.clear();
        ends.clear();
        expected.records(scan.records, n, &mut want, &mut ends);
        have.resize(want.len(), 0);
        let got = read_up_to(&mut input, &mut have).map_err(|e| Error::io(path, e))?;
        let same = first_difference(&have[..got], &want[..got]);
        if same < got {
            let record = scan.records + ends.iter().filter(|e| **e <= same).count() as u64;
            return Err(Error::data_of(crate::error::DataKind::Mismatch,
                path,
                format!("record {record} (byte {})", scan.valid_len + same as u64),
                "differs from what these settings write; the partial file is left as it is: remove it, or run without --resume",
            ));
        }
        let complete = ends.iter().filter(|e| **e <= got).count();
        if complete > 0 {
            scan.records += complete as u64;
            scan.valid_len += ends[complete - 1] as u64;
        }
        if got < want.len() {
            return Ok(scan);
        }
    }
    check_end(&mut input, path, scan, &expected.finish())
}

/// After the last record, only a prefix of the file's end may follow.
fn check_end<R: Read>(
    input: &mut R,
    path: &Path,
    scan: PartialScan,
    finish: &[u8],
) -> Result<PartialScan, Error> {
    let mut rest = vec![0u8; finish.len() + 1];
    let got = read_up_to(input, &mut rest).map_err(|e| Error::io(path, e))?;
    if got > finish.len() || rest[..got] != finish[..got] {
        return Err(Error::data_of(crate::error::DataKind::Mismatch,
            path,
            format!("byte {}", scan.valid_len),
            format!(
                "more than the {} records of this run; the partial file is left as it is: remove it, or run without --resume",
                scan.records
            ),
        ));
    }
    Ok(scan)
}

fn other_settings(path: &Path, at: usize) -> Error {
    Error::data_of(crate::error::DataKind::Mismatch,
        path,
        format!("byte {at}"),
        "the partial file was written with other settings (config, range, seeding or format), or is not dpa's; it is left as it is: remove it, or run without --resume",
    )
}

/// The index of the first byte where `a` and `b` differ (their common length if none).
fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_up_to<R: Read>(input: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
