//! The text of one record, shared by the JSON and JSON Lines writers.

use serde::Deserialize;

use crate::params::{Hash, Params};
use crate::seeding::hex_digits;

/// JSON has no NaN or infinity: a record holding one is refused rather than written
/// as invalid JSON (dpa never generates one; a damaged input could carry one).
pub(crate) fn check_finite(p: &Params) -> std::io::Result<()> {
    match p.values().iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "sample_id {}: {} is {}, which JSON cannot hold",
                p.sample_id,
                crate::config::Param::ALL[i].name(),
                p.values()[i]
            ),
        )),
    }
}

/// How a record's JSON object is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStyle {
    /// `{"sample_id":0,"rotation":...}`, as JSON Lines (and serde_json) write it.
    Compact,
    /// `{"sample_id": 0, "rotation": ...}`, as Python's `json.dumps` writes it.
    Spaced,
}

/// Appends the JSON object of `p` to `out`, keys in the order `sample_id`, `rank` (when
/// present), `rotation`, `brightness`, `noise`, `scale`, `contrast`, `hash`. Floats are
/// written in shortest round-trip form.
///
/// # Examples
///
/// ```
/// use dpa::{formats::{write_record, RecordStyle}, Generator, Params, Preset};
/// let p = Generator::new(Preset::Mild.config()).unwrap().params(0);
/// let mut line = String::new();
/// write_record(&p, RecordStyle::Compact, &mut line);
/// assert_eq!(line, serde_json::to_string(&p).unwrap());
/// let back: Params = serde_json::from_str(&line).unwrap();
/// assert!(back.bit_eq(&p));
/// ```
pub fn write_record(p: &Params, style: RecordStyle, out: &mut String) {
    let mut bytes = Vec::with_capacity(256);
    append_record(p, style, &mut bytes);
    // Every byte appended is ASCII.
    out.push_str(&String::from_utf8_lossy(&bytes));
}

/// The text between the values of a record, by style: before `sample_id`, `rank`, the
/// five parameters and `hash`, and after the hash.
struct Keys {
    sample_id: &'static [u8],
    rank: &'static [u8],
    params: [&'static [u8]; 5],
    hash: &'static [u8],
    end: &'static [u8],
}

const COMPACT: Keys = Keys {
    sample_id: b"{\"sample_id\":",
    rank: b",\"rank\":",
    params: [
        b",\"rotation\":",
        b",\"brightness\":",
        b",\"noise\":",
        b",\"scale\":",
        b",\"contrast\":",
    ],
    hash: b",\"hash\":\"",
    end: b"\"}",
};

const SPACED: Keys = Keys {
    sample_id: b"{\"sample_id\": ",
    rank: b", \"rank\": ",
    params: [
        b", \"rotation\": ",
        b", \"brightness\": ",
        b", \"noise\": ",
        b", \"scale\": ",
        b", \"contrast\": ",
    ],
    hash: b", \"hash\": \"",
    end: b"\"}",
};

/// [`write_record`] into bytes: the writers' fast path.
#[inline]
pub(crate) fn append_record(p: &Params, style: RecordStyle, out: &mut Vec<u8>) {
    // One copy of the body per style, so that every key's length is a constant and
    // its copy is a few moves rather than a call to `memmove`.
    match style {
        RecordStyle::Compact => append_with_keys(p, &COMPACT, out),
        RecordStyle::Spaced => append_with_keys(p, &SPACED, out),
    }
}

#[inline(always)]
fn append_with_keys(p: &Params, keys: &'static Keys, out: &mut Vec<u8>) {
    let mut ints = itoa::Buffer::new();
    out.extend_from_slice(keys.sample_id);
    out.extend_from_slice(ints.format(p.sample_id).as_bytes());
    if let Some(rank) = p.rank {
        out.extend_from_slice(keys.rank);
        out.extend_from_slice(ints.format(rank).as_bytes());
    }
    for (key, v) in keys.params.iter().zip(p.values()) {
        out.extend_from_slice(key);
        // Generated and parsed values are always finite (checked before a JSON
        // writer is reached); a NaN would still be written as text, never a panic.
        super::append_shortest(v, out);
    }
    out.extend_from_slice(keys.hash);
    out.extend_from_slice(&hex_digits(&p.hash.0));
    out.extend_from_slice(keys.end);
}

/// A record as found in a file: `sample_id` and `rank` may be missing.
#[derive(Deserialize)]
#[serde(expecting = "a record object with rotation, brightness, noise, scale, contrast and hash")]
pub(crate) struct RawRecord {
    #[serde(default)]
    sample_id: Option<u64>,
    #[serde(default)]
    rank: Option<u64>,
    rotation: f64,
    brightness: f64,
    noise: f64,
    scale: f64,
    contrast: f64,
    hash: Hash,
}

impl RawRecord {
    pub(crate) fn into_params(self, position: u64, inferred: &mut bool) -> Params {
        let sample_id = self.sample_id.unwrap_or_else(|| {
            *inferred = true;
            position
        });
        Params {
            sample_id,
            rank: self.rank,
            rotation: self.rotation,
            brightness: self.brightness,
            noise: self.noise,
            scale: self.scale,
            contrast: self.contrast,
            hash: self.hash,
        }
    }
}
