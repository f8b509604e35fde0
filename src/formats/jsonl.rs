//! JSON Lines: one record per line.

use std::io::{self, Write};

use super::record::{write_record, RecordStyle};
use super::RecordSink;
use crate::params::Params;
use crate::stats::Statistics;

/// Writes records as JSON Lines (no header, no statistics).
///
/// # Examples
///
/// ```
/// use dpa::{Generator, JsonlWriter, Preset, RecordSink};
/// let g = Generator::new(Preset::Moderate.config()).unwrap();
/// let mut w = JsonlWriter::new(Vec::new());
/// for id in 0..3 { w.write_record(&g.params(id)).unwrap(); }
/// let text = String::from_utf8(w.finish(None).unwrap()).unwrap();
/// assert_eq!(text.lines().count(), 3);
/// ```
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    out: W,
    line: String,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer over `out` (wrap unbuffered writers in a `BufWriter`).
    ///
    /// # Examples
    ///
    /// ```
    /// let w = dpa::JsonlWriter::new(std::io::sink());
    /// # drop(w);
    /// ```
    pub fn new(out: W) -> Self {
        JsonlWriter {
            out,
            line: String::with_capacity(256),
        }
    }
}

impl<W: Write> JsonlWriter<W> {
    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }
}

impl<W: Write> RecordSink for JsonlWriter<W> {
    type Inner = W;

    #[inline]
    fn write_record(&mut self, record: &Params) -> io::Result<()> {
        super::record::check_finite(record)?;
        self.line.clear();
        write_record(record, RecordStyle::Compact, &mut self.line);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }

    fn finish(mut self, _statistics: Option<&Statistics>) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
