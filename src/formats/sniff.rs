//! Format detection from a file's first bytes.

use std::io::{self, BufRead};
use std::path::Path;

use super::limits::MAX_ITEM_BYTES;
use super::Format;
use crate::error::Error;

/// Tells the format from the content, whatever the sizes of the reads (a pipe may
/// deliver one byte at a time): the binary, NumPy or Parquet magic; else, after an optional UTF-8 byte
/// order mark and whitespace, a JSON document when the first key of the first object
/// is `metadata`, `augmentations` or `statistics`; else JSON Lines.
///
/// Returns the format and the bytes consumed to decide (less a byte order mark), which
/// the caller puts back in front of the rest.
pub(crate) fn sniff<R: BufRead>(input: &mut R, path: &Path) -> Result<(Format, Vec<u8>), Error> {
    let mut peek = Peek {
        input,
        path,
        bytes: Vec::new(),
    };
    let first = match peek.byte()? {
        None => return Ok((Format::Jsonl, peek.bytes)),
        Some(b) if b == super::binary::MAGIC[0] => return Ok((Format::Bincode, peek.bytes)),
        Some(b) if b == super::npy::MAGIC[0] => return Ok((Format::Npy, peek.bytes)),
        // "PAR1": no JSON text starts with `P`.
        Some(b) if b == super::parquet::MAGIC[0] => return Ok((Format::Parquet, peek.bytes)),
        Some(0xEF) => {
            if peek.byte()? != Some(0xBB) || peek.byte()? != Some(0xBF) {
                return Err(peek.not_ours(0));
            }
            peek.bytes.clear();
            peek.skip_whitespace()?
        }
        Some(b) if b.is_ascii_whitespace() => peek.skip_whitespace()?,
        Some(b) => Some(b),
    };
    let Some(open) = first else {
        // Empty (or blank): JSON Lines with no records.
        return Ok((Format::Jsonl, peek.bytes));
    };
    if open != b'{' {
        return Err(peek.not_ours(peek.bytes.len() - 1));
    }
    match peek.skip_whitespace()? {
        Some(b'"') => {}
        Some(_) => return Ok((Format::Jsonl, peek.bytes)),
        None => return Err(peek.truncated()),
    }
    let mut key = Vec::new();
    loop {
        match peek.byte()? {
            None => return Err(peek.truncated()),
            Some(b'"') => break,
            Some(b) if key.len() < 16 => key.push(b),
            // Longer than any key of a JSON document: a record's key.
            Some(_) => return Ok((Format::Jsonl, peek.bytes)),
        }
    }
    let document = matches!(&key[..], b"metadata" | b"augmentations" | b"statistics");
    let format = if document {
        Format::Json
    } else {
        Format::Jsonl
    };
    Ok((format, peek.bytes))
}

/// Reads bytes one at a time, keeping them.
struct Peek<'a, R> {
    input: &'a mut R,
    path: &'a Path,
    bytes: Vec<u8>,
}

impl<R: BufRead> Peek<'_, R> {
    fn byte(&mut self) -> Result<Option<u8>, Error> {
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(self.path, e)),
            };
            let Some(&b) = buf.first() else {
                return Ok(None);
            };
            self.input.consume(1);
            self.bytes.push(b);
            return Ok(Some(b));
        }
    }

    /// The first byte that is not whitespace (bounded), or `None` at the end.
    fn skip_whitespace(&mut self) -> Result<Option<u8>, Error> {
        loop {
            match self.byte()? {
                Some(b) if b.is_ascii_whitespace() => {
                    if self.bytes.len() > MAX_ITEM_BYTES {
                        return Err(Error::data_of(crate::error::DataKind::TooLarge,
                            self.path,
                            format!("byte {}", self.bytes.len()),
                            format!("more than {MAX_ITEM_BYTES} bytes of whitespace before the first record"),
                        ));
                    }
                }
                other => return Ok(other),
            }
        }
    }

    fn not_ours(&self, at: usize) -> Error {
        Error::data(
            self.path,
            format!("byte {at}"),
            "not a dpa file: expected a JSON object ('{'), JSON Lines or dpa's binary format",
        )
    }

    fn truncated(&self) -> Error {
        Error::data_of(
            crate::error::DataKind::Truncated,
            self.path,
            format!("byte {}", self.bytes.len()),
            "truncated file: it ends inside its first JSON object",
        )
    }
}
