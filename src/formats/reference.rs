//! The reference's own JSON file, byte for byte: what DPA 0.2.1's
//! `generate_augmentation_chain(n, config, save_path=...)` (through
//! `save_augmentation_chain` and `json.dump(output, f, indent=2)`) writes.
//!
//! Every value on its own line, two-space indents, Python's float `repr`
//! ([`python_repr`]), config bounds as the reference holds them (`-30` for an int,
//! `30.0` for a float: [`ConfigForms`]), records without `sample_id` (a rank-aware
//! record ends with its `rank`), the exact statistics, and no newline at the end. The
//! JSON reader reads it like any JSON document (ids count from 0).

use std::io::{self, Write};

use super::metadata::FileMetadata;
use super::pyrepr::python_repr;
use super::{FileFormat, Format, RecordSink};
use crate::config::{AugmentationConfig, Param};
use crate::params::Params;
use crate::seeding::hex_digits;
use crate::stats::{Statistics, Summary};

/// Which config bounds the reference holds as Python ints (written `30`) rather than
/// floats (`30.0`).
///
/// # Examples
///
/// ```
/// use dpa::formats::ConfigForms;
/// use dpa::Param;
/// let cfg = dpa::Preset::Moderate.config();
/// // The reference's presets write integral bounds as ints: (-30, 30), (0, 0.1).
/// let forms = ConfigForms::Integral;
/// assert!(forms.is_int(&cfg, Param::Rotation, 1) && !forms.is_int(&cfg, Param::Noise, 1));
/// let text: serde_json::Value = serde_json::from_str(r#"{"rotation_range": [-30.0, 30]}"#).unwrap();
/// let forms = ConfigForms::from_json(&text);
/// assert!(!forms.is_int(&cfg, Param::Rotation, 0) && forms.is_int(&cfg, Param::Rotation, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConfigForms {
    /// Integral bounds are ints: the form of the reference's presets and of its
    /// `AugmentationConfig()` defaults.
    #[default]
    Integral,
    /// Bound by bound (`[param][0 = lo, 1 = hi]`), as a config's JSON or the command
    /// line gave it.
    Explicit([[bool; 2]; 5]),
}

impl ConfigForms {
    /// The form each bound has in a config object's JSON (`*_range: [lo, hi]`); a bound
    /// it does not give is taken as [`ConfigForms::Integral`] would.
    pub fn from_json(config: &serde_json::Value) -> Self {
        let mut ints = [[false; 2]; 5];
        for p in Param::ALL {
            for (i, int) in ints[p as usize].iter_mut().enumerate() {
                *int = match config.get(p.range_field()).and_then(|r| r.get(i)) {
                    Some(n) => n.is_i64() || n.is_u64(),
                    None => true,
                };
            }
        }
        ConfigForms::Explicit(ints)
    }

    /// These forms with the bounds of `p` set to `ints`.
    pub fn with(self, config: &AugmentationConfig, p: Param, ints: [bool; 2]) -> Self {
        let mut all = [[false; 2]; 5];
        for q in Param::ALL {
            all[q as usize] = [self.is_int(config, q, 0), self.is_int(config, q, 1)];
        }
        all[p as usize] = ints;
        ConfigForms::Explicit(all)
    }

    /// Whether bound `i` (0 = lo, 1 = hi) of `p` in `config` is written as an int.
    pub fn is_int(&self, config: &AugmentationConfig, p: Param, i: usize) -> bool {
        let v = bound(config, p, i);
        let integral = v.fract() == 0.0 && v.abs() < 1e16 && !(v == 0.0 && v.is_sign_negative());
        match self {
            ConfigForms::Integral => integral,
            ConfigForms::Explicit(ints) => ints[p as usize][i.min(1)] && integral,
        }
    }
}

fn bound(config: &AugmentationConfig, p: Param, i: usize) -> f64 {
    let r = config.range(p);
    if i == 0 {
        r.lo
    } else {
        r.hi
    }
}

/// Writes the reference's JSON file record by record, in constant memory.
///
/// # Examples
///
/// ```
/// use dpa::formats::{reference::ReferenceWriter, RecordSink};
/// use dpa::{FileMetadata, Generator, Preset, StatsAccumulator};
/// let g = Generator::new(Preset::Moderate.config()).unwrap();
/// let meta = FileMetadata::for_config(g.config().clone(), Some(1));
/// let mut w = ReferenceWriter::new(Vec::new(), &meta).unwrap();
/// w.write_record(&g.params(0)).unwrap();
/// let mut acc = StatsAccumulator::new();
/// acc.push(&g.params(0));
/// let text = String::from_utf8(w.finish(Some(&acc.finish())).unwrap()).unwrap();
/// assert!(text.starts_with("{\n  \"metadata\": {\n    \"num_samples\": 1,"));
/// assert!(text.contains("\"rotation_range\": [\n        -30,\n        30\n      ],"));
/// assert!(text.ends_with("\"count\": 1\n    }\n  }\n}"));
/// ```
#[derive(Debug)]
pub struct ReferenceWriter<W: Write> {
    out: W,
    line: Vec<u8>,
    first: bool,
}

impl<W: Write> ReferenceWriter<W> {
    /// Starts the file: the metadata (`num_samples`, `config`) and the opening of
    /// `augmentations`.
    pub fn new(mut out: W, metadata: &FileMetadata) -> io::Result<Self> {
        let mut head = Vec::with_capacity(1024);
        head.extend_from_slice(b"{\n  \"metadata\": {\n    \"num_samples\": ");
        match metadata.num_samples {
            Some(n) => head.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            None => head.extend_from_slice(b"null"),
        }
        head.extend_from_slice(b",\n    \"config\": ");
        match &metadata.config {
            Some(config) => write_config(config, &metadata.config_forms, &mut head),
            None => head.extend_from_slice(b"null"),
        }
        head.extend_from_slice(b"\n  },\n  \"augmentations\": [");
        out.write_all(&head)?;
        Ok(ReferenceWriter {
            out,
            line: Vec::with_capacity(512),
            first: true,
        })
    }

    /// Continues a file whose header and first `records` records `out` already holds.
    pub fn resume(out: W, records: u64) -> Self {
        ReferenceWriter {
            out,
            line: Vec::with_capacity(512),
            first: records == 0,
        }
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// The underlying writer, unfinished.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Counts `records` written to the underlying writer directly.
    pub(crate) fn advance(&mut self, records: u64) {
        if records > 0 {
            self.first = false;
        }
    }
}

/// The config object at an indent of four spaces, as `json.dump(indent=2)` nests it.
fn write_config(config: &AugmentationConfig, forms: &ConfigForms, out: &mut Vec<u8>) {
    out.push(b'{');
    for p in Param::ALL {
        out.extend_from_slice(b"\n      \"");
        out.extend_from_slice(p.range_field().as_bytes());
        out.extend_from_slice(b"\": [");
        for i in 0..2 {
            out.extend_from_slice(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            });
            let v = bound(config, p, i);
            if forms.is_int(config, p, i) {
                out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
            } else {
                python_repr(v, out);
            }
        }
        out.extend_from_slice(b"\n      ],");
    }
    out.extend_from_slice(b"\n      \"augmentation_depth\": ");
    out.extend_from_slice(
        itoa::Buffer::new()
            .format(config.augmentation_depth)
            .as_bytes(),
    );
    out.extend_from_slice(b"\n    }");
}

/// Appends one record (with what precedes it) as the reference's file holds it.
fn append_record(p: &Params, first: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if first { b"\n    {" } else { b",\n    {" });
    for (param, v) in Param::ALL.iter().zip(p.values()) {
        out.extend_from_slice(b"\n      \"");
        out.extend_from_slice(param.name().as_bytes());
        out.extend_from_slice(b"\": ");
        python_repr(v, out);
        out.push(b',');
    }
    out.extend_from_slice(b"\n      \"hash\": \"");
    out.extend_from_slice(&hex_digits(&p.hash.0));
    out.push(b'"');
    if let Some(rank) = p.rank {
        out.extend_from_slice(b",\n      \"rank\": ");
        out.extend_from_slice(itoa::Buffer::new().format(rank).as_bytes());
    }
    out.extend_from_slice(b"\n    }");
}

/// Appends `records` to `out` as [`ReferenceWriter`] writes them after the first
/// `position` records.
pub(crate) fn encode(records: &[Params], position: u64, out: &mut Vec<u8>) -> io::Result<()> {
    for (i, record) in records.iter().enumerate() {
        super::record::check_finite(record)?;
        append_record(record, position == 0 && i == 0, out);
    }
    Ok(())
}

/// The statistics object, as `json.dump(indent=2)` writes `compute_statistics`.
fn write_statistics(stats: &Statistics, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\n  \"statistics\": {");
    for (i, p) in Param::ALL.iter().enumerate() {
        let s: &Summary = stats.get(*p);
        out.extend_from_slice(if i == 0 { b"\n    \"" } else { b",\n    \"" });
        out.extend_from_slice(p.name().as_bytes());
        out.extend_from_slice(b"\": {");
        for (key, v) in [
            ("mean", s.mean),
            ("stdev", s.stdev),
            ("min", s.min),
            ("max", s.max),
        ] {
            out.extend_from_slice(b"\n      \"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\": ");
            python_repr(v, out);
            out.push(b',');
        }
        out.extend_from_slice(b"\n      \"count\": ");
        out.extend_from_slice(itoa::Buffer::new().format(s.count).as_bytes());
        out.extend_from_slice(b"\n    }");
    }
    out.extend_from_slice(b"\n  }");
}

impl<W: Write> RecordSink for ReferenceWriter<W> {
    type Inner = W;

    #[inline]
    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        super::record::check_finite(record)?;
        self.line.clear();
        append_record(record, self.first, &mut self.line);
        self.first = false;
        self.out.write_all(&self.line)
    }

    fn finish(mut self, statistics: Option<&Statistics>) -> io::Result<W> {
        let mut tail = Vec::with_capacity(1024);
        tail.extend_from_slice(if self.first { b"]" } else { b"\n  ]" });
        if let Some(stats) = statistics {
            write_statistics(stats, &mut tail);
        }
        tail.extend_from_slice(b"\n}");
        self.out.write_all(&tail)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The reference's JSON file as a [`FileFormat`].
#[derive(Debug, Clone, Copy)]
pub struct ReferenceFormat;

impl FileFormat for ReferenceFormat {
    type Writer<W: Write> = ReferenceWriter<W>;
    const FORMAT: Format = Format::ReferenceJson;

    fn create<W: Write>(out: W, metadata: &FileMetadata) -> io::Result<ReferenceWriter<W>> {
        ReferenceWriter::new(out, metadata)
    }

    fn resume<W: Write>(out: W, records: u64) -> ReferenceWriter<W> {
        ReferenceWriter::resume(out, records)
    }
}
