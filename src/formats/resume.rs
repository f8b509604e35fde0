//! Finding the complete part of an interrupted output (`<path>.partial`), so that a run
//! can continue after its last complete record.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::Format;
use crate::error::Error;
use crate::params::Params;

/// What the complete part of a partial file holds. `valid_len == 0` means not even
/// the header was complete (for formats that have one): write it again.
///
/// # Examples
///
/// ```
/// let s = dpa::formats::resume::PartialScan { valid_len: 0, records: 0 };
/// assert_eq!(s.records, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialScan {
    /// Bytes to keep: the header and every complete record.
    pub valid_len: u64,
    /// Complete records.
    pub records: u64,
}

/// Scans the partial file `path` written in `format`, whose first bytes must be
/// `header` (what a new file with the same settings starts with). Each complete
/// record is passed to `on_record`; a torn tail is left out.
///
/// # Examples
///
/// ```
/// use dpa::{AnySink, FileMetadata, Format, Generator, Preset, RecordSink};
/// use dpa::formats::resume::scan_partial;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.jsonl.partial");
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let mut sink = AnySink::new(Format::Jsonl, Vec::new(), &FileMetadata::for_config(g.config().clone(), None)).unwrap();
/// for id in 0..3 { sink.write_record(&g.params(id)).unwrap(); }
/// let mut bytes = sink.finish(None).unwrap();
/// bytes.truncate(bytes.len() - 10); // a torn third record
/// std::fs::write(&path, &bytes).unwrap();
/// let scan = scan_partial(&path, Format::Jsonl, b"", |_| Ok(())).unwrap();
/// assert_eq!(scan.records, 2);
/// ```
pub fn scan_partial<F>(
    path: &Path,
    format: Format,
    header: &[u8],
    mut on_record: F,
) -> Result<PartialScan, Error>
where
    F: FnMut(Params) -> Result<(), Error>,
{
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut input = BufReader::with_capacity(1 << 16, file);
    let mut head = vec![0u8; header.len()];
    let got = read_up_to(&mut input, &mut head).map_err(|e| Error::io(path, e))?;
    if got < header.len() && head[..got] == header[..got] {
        // Stopped while writing the header: nothing to keep, start again from byte 0.
        return Ok(PartialScan {
            valid_len: 0,
            records: 0,
        });
    }
    if head != header {
        return Err(Error::data(
            path,
            "byte 0",
            "the partial file was written with other settings (config, range, seeding or format); remove it or run without --resume",
        ));
    }
    let mut scan = PartialScan {
        valid_len: header.len() as u64,
        records: 0,
    };
    match format {
        Format::Jsonl | Format::Json => {
            // JSON Lines: one record per line. JSON: after the header, "\n    {rec}" then
            // ",\n    {rec}" for each further record, so every line but the first holds one
            // record, followed by a comma when another record was started after it.
            let mut line = Vec::with_capacity(512);
            let mut first_line = format == Format::Json;
            loop {
                line.clear();
                let n = input
                    .read_until(b'\n', &mut line)
                    .map_err(|e| Error::io(path, e))?;
                if n == 0 {
                    break;
                }
                if first_line {
                    // The rest of the header's last line: nothing, for dpa's layout.
                    first_line = false;
                    if line == b"\n" {
                        continue;
                    }
                    break;
                }
                let (text, kept) = match format {
                    Format::Jsonl => {
                        if line.last() != Some(&b'\n') {
                            break;
                        }
                        (&line[..], n)
                    }
                    _ => {
                        let body = line.strip_suffix(b"\n").unwrap_or(&line);
                        let body = body.strip_suffix(b",").unwrap_or(body);
                        (body, body.len())
                    }
                };
                let Ok(p) = serde_json::from_slice::<Params>(text) else {
                    break;
                };
                on_record(p)?;
                scan.records += 1;
                scan.valid_len += match format {
                    Format::Jsonl => kept as u64,
                    // "\n" before the first record, ",\n" before the others.
                    _ => kept as u64 + if scan.records == 1 { 1 } else { 2 },
                };
            }
        }
        Format::Bincode => loop {
            let mut tag = [0u8; 1];
            if read_up_to(&mut input, &mut tag).map_err(|e| Error::io(path, e))? == 0 || tag[0] != 1
            {
                break;
            }
            let mut fixed = [0u8; 9];
            if read_up_to(&mut input, &mut fixed).map_err(|e| Error::io(path, e))? < 9 {
                break;
            }
            let has_rank = fixed[8] == 1;
            let mut rest = vec![0u8; if has_rank { 8 } else { 0 } + 40 + 32];
            if read_up_to(&mut input, &mut rest).map_err(|e| Error::io(path, e))? < rest.len() {
                break;
            }
            let mut bytes = Vec::with_capacity(1 + 9 + rest.len());
            bytes.extend_from_slice(&tag);
            bytes.extend_from_slice(&fixed);
            bytes.extend_from_slice(&rest);
            let mut decoded = None;
            super::binary::read_record_bytes(&bytes, &mut decoded);
            let Some(p) = decoded else { break };
            on_record(p)?;
            scan.records += 1;
            scan.valid_len += bytes.len() as u64;
        },
    }
    Ok(scan)
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
