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

/// A JSON Lines record in exactly the layout dpa writes ([`RecordStyle::Compact`]:
/// keys in order, no spaces, floats with a fraction or an exponent, the hash as 64 hex
/// digits, `}` then `\n`), read without a general JSON parser; `None` for anything else
/// (which the caller hands to one). The values are those `serde_json` reads: floats
/// correctly rounded by `str::parse`, from text checked to be a JSON number.
///
/// # Examples
///
/// ```
/// let g = dpa::Generator::new(dpa::Preset::Mild.config()).unwrap();
/// let mut line = Vec::new();
/// dpa::formats::append_compact_line(&g.params(7), &mut line);
/// let back = dpa::formats::parse_compact_line(&line).unwrap();
/// assert!(back.bit_eq(&g.params(7)));
/// assert!(dpa::formats::parse_compact_line(b"{\"sample_id\": 7}\n").is_none());
/// ```
pub fn parse_compact_line(line: &[u8]) -> Option<Params> {
    let keys = &COMPACT;
    // One UTF-8 check for the line; the numbers are then sliced from it.
    let line = std::str::from_utf8(line).ok()?.as_bytes();
    let mut at = line.strip_prefix(keys.sample_id)?;
    let sample_id = take_int(&mut at)?;
    let rank = match at.strip_prefix(keys.rank) {
        Some(rest) => {
            at = rest;
            Some(take_int(&mut at)?)
        }
        None => None,
    };
    let mut values = [0f64; 5];
    for (key, v) in keys.params.iter().zip(&mut values) {
        at = at.strip_prefix(*key)?;
        *v = take_float(&mut at)?;
    }
    at = at.strip_prefix(keys.hash)?;
    let (hex, rest) = at.split_at_checked(64)?;
    let hash = hex_digest(hex)?;
    (rest.strip_prefix(keys.end)? == b"\n")
        .then(|| Params::from_parts(sample_id, rank, values, hash))
}

/// A record in the compact style (as JSON Lines writes it), with its `\n`.
pub fn append_compact_line(p: &Params, out: &mut Vec<u8>) {
    append_record(p, RecordStyle::Compact, out);
    out.push(b'\n');
}

/// The value of each byte as a hex digit, 0xFF for a byte that is none.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// 64 hex digits (either case) as a digest, without allocating or branching per digit.
fn hex_digest(hex: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (hi, lo) = (HEX_VALUE[pair[0] as usize], HEX_VALUE[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0F);
    }
    (hex.len() == 64 && bad & 0xF0 == 0).then_some(out)
}

/// A JSON integer (no sign, no leading zero) at the start of `at`, which moves past it.
fn take_int(at: &mut &[u8]) -> Option<u64> {
    let len = at.iter().take_while(|b| b.is_ascii_digit()).count();
    let (digits, rest) = at.split_at(len);
    if len == 0 || (len > 1 && digits[0] == b'0') {
        return None;
    }
    *at = rest;
    // Digits only: a checked sum, no UTF-8 check.
    digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A JSON number with a fraction or an exponent at the start of `at` (integers are left
/// to the general parser, which reads `-0` as it does), which moves past it.
fn take_float(at: &mut &[u8]) -> Option<f64> {
    let len = json_number_len(at)?;
    let (text, rest) = at.split_at(len);
    if !text.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return None;
    }
    *at = rest;
    let v: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    v.is_finite().then_some(v)
}

/// The length of the JSON number (`-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?`) that `text`
/// starts with.
fn json_number_len(text: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        text[from.min(text.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = usize::from(text.first() == Some(&b'-'));
    match digits(i) {
        0 => return None,
        n if n > 1 && text[i] == b'0' => return None,
        n => i += n,
    }
    if text.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some(i)
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
