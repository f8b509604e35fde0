//! Size caps on everything dpa reads, and the bounded reads that enforce them.
//!
//! Every length, count or size that comes from a file is checked against these before
//! it allocates or loops, so no input — `/dev/zero`, a line with no end, a length field
//! of 2^63 — can make dpa grow without bound.
//!
//! | what | cap |
//! |---|---|
//! | one record (a JSON Lines line, a JSON document's record or top-level value) | [`MAX_ITEM_BYTES`] (1 MiB) |
//! | a config file (`--config`) | [`MAX_CONFIG_BYTES`] (1 MiB) |
//! | a manifest, a benchmark baseline | [`MAX_DOCUMENT_BYTES`] (64 MiB) |
//! | the header of a binary file | [`MAX_BINARY_HEADER`] (64 KiB) |
//! | whitespace before the first record | [`MAX_ITEM_BYTES`] |

use std::io::{self, BufRead, Read};
use std::path::Path;

use crate::error::Error;

/// The largest record (a JSON Lines line, or one value of a JSON document), in bytes.
/// dpa's records are under 300 bytes.
pub const MAX_ITEM_BYTES: usize = 1 << 20;

/// The largest config file, in bytes.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The largest manifest or benchmark report read back, in bytes.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// The largest header of a binary file, in bytes (dpa writes about 200).
pub const MAX_BINARY_HEADER: u32 = 64 << 10;

/// The UTF-8 byte order mark, accepted (and skipped) at the start of text files.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads the whole text file at `path`, refusing one longer than `max` bytes (without
/// reading more than `max + 1`); a UTF-8 byte order mark at its start is dropped.
/// `what` names the file's role in messages (`config`, `manifest`, ...).
///
/// # Examples
///
/// ```
/// use dpa::formats::limits::read_text_capped;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("c.json");
/// std::fs::write(&path, b"\xEF\xBB\xBF{}").unwrap();
/// assert_eq!(read_text_capped(&path, 10, "config").unwrap(), "{}");
/// let err = read_text_capped("/dev/zero".as_ref(), 1 << 20, "config").unwrap_err();
/// assert!(err.to_string().contains("larger than"), "{err}");
/// ```
pub fn read_text_capped(path: &Path, max: u64, what: &str) -> Result<String, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
        ));
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(Error::data_of(
            crate::error::DataKind::TooLarge,
            path,
            format!("byte {max}"),
            format!("{what} file larger than {max} bytes"),
        ));
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(&bytes);
    String::from_utf8(body.to_vec()).map_err(|e| {
        Error::data(
            path,
            format!("byte {}", e.utf8_error().valid_up_to()),
            format!("{what} file is not UTF-8 text"),
        )
    })
}

/// Why a bounded line read stopped early.
#[derive(Debug)]
pub enum LineError {
    /// Reading failed.
    Io(io::Error),
    /// The line is longer than the cap (the rest is not read).
    TooLong,
}

/// Like [`BufRead::read_until`] with `\n`, but fails with [`LineError::TooLong`] once the
/// line passes `max` bytes instead of growing `line` further. Returns the bytes read
/// (0 at the end of the input).
///
/// # Examples
///
/// ```
/// use dpa::formats::limits::{read_line_capped, LineError};
/// let mut line = Vec::new();
/// let mut input = &b"short\nand a much longer line\n"[..];
/// assert_eq!(read_line_capped(&mut input, &mut line, 10).unwrap(), 6);
/// line.clear();
/// assert!(matches!(read_line_capped(&mut input, &mut line, 10), Err(LineError::TooLong)));
/// ```
pub fn read_line_capped<R: BufRead + ?Sized>(
    input: &mut R,
    line: &mut Vec<u8>,
    max: usize,
) -> Result<usize, LineError> {
    let mut read = 0;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LineError::Io(e)),
        };
        if buf.is_empty() {
            return Ok(read);
        }
        let (take, done) = match memchr_newline(buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + take > max + 1 {
            return Err(LineError::TooLong);
        }
        line.extend_from_slice(&buf[..take]);
        input.consume(take);
        read += take;
        if done {
            return Ok(read);
        }
    }
}

fn memchr_newline(buf: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', buf)
}

/// Checks that no JSON object in `text` has the same key twice (serde_json keeps the
/// last one silently; a config or manifest with two values for one field is ambiguous).
/// Returns the first duplicate key, if any. Nesting is bounded by serde_json's
/// recursion limit.
///
/// # Examples
///
/// ```
/// use dpa::formats::limits::duplicate_key;
/// assert_eq!(duplicate_key(r#"{"a": 1, "b": {"a": 2}}"#).unwrap(), None);
/// assert_eq!(duplicate_key(r#"{"a": 1, "a": 2}"#).unwrap().as_deref(), Some("a"));
/// ```
pub fn duplicate_key(text: &str) -> Result<Option<String>, serde_json::Error> {
    use serde::de::{MapAccess, SeqAccess, Visitor};
    use std::collections::HashSet;
    use std::fmt;

    struct Check<'a>(&'a mut Option<String>);
    impl<'de> serde::de::DeserializeSeed<'de> for Check<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Check<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if self.0.is_none() && !seen.insert(key.clone()) {
                    *self.0 = Some(key);
                }
                map.next_value_seed(Check(&mut *self.0))?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Check(&mut *self.0))?.is_some() {}
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
    let mut found = None;
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(Check(&mut found), &mut de)?;
    de.end()?;
    Ok(found)
}
