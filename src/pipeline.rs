//! The pipeline that joins the engine to a file format: records from the parallel
//! engine, in id order, into a [`RecordSink`], with statistics accumulated in id order
//! (so they do not depend on threads or chunking).

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::engine::Engine;
use crate::formats::{AnySink, FileMetadata, Format, RecordSink};
use crate::params::Generator;
use crate::seeding::Seeding;
use crate::split::IdRange;
use crate::stats::StatsAccumulator;

/// What [`write_records`] did.
#[derive(Debug, Clone)]
pub struct WriteSummary {
    /// Records written.
    pub records: u64,
    /// Statistics of the records (in id order).
    pub stats: StatsAccumulator,
    /// SHA-256 of every byte written, in lowercase hex.
    pub sha256: String,
    /// Time spent encoding and writing (the rest of the run was waiting for records).
    pub write_time: Duration,
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Generates `ids` on `engine` and writes them to `out` in `format`, with `metadata`
/// as the header; statistics go into the file when `with_stats` (JSON and binary keep
/// them). Returns the writer with a summary.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use dpa::{Engine, FileMetadata, Format, Generator, Preset, Seeding};
/// let engine = Engine::new(Default::default()).unwrap();
/// let g = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
/// let meta = FileMetadata::for_config(g.config().clone(), Some(100));
/// let (bytes, summary) = dpa::pipeline::write_records(&engine, &g, dpa::Seeding::Plain,
///     dpa::id_range(0, 100).unwrap(), Format::Jsonl, &meta, true, Vec::new()).unwrap();
/// assert_eq!(summary.records, 100);
/// assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 100);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn write_records<W: Write>(
    engine: &Engine,
    generator: &Arc<Generator>,
    seeding: Seeding,
    ids: IdRange,
    format: Format,
    metadata: &FileMetadata,
    with_stats: bool,
    out: W,
) -> io::Result<(W, WriteSummary)> {
    let mut write_time = Duration::ZERO;
    let started = Instant::now();
    let hashing = Hashing {
        inner: out,
        hash: Sha256::new(),
    };
    let mut sink = AnySink::new(format, hashing, metadata)?;
    write_time += started.elapsed();
    let mut stats = StatsAccumulator::new();
    let mut records = 0u64;
    for chunk in engine.chunks(generator.clone(), seeding, ids) {
        let t = Instant::now();
        for p in &chunk.records {
            if with_stats {
                stats.push(p);
            }
            sink.write_record(p)?;
        }
        records += chunk.records.len() as u64;
        write_time += t.elapsed();
    }
    let t = Instant::now();
    let finished = with_stats.then(|| stats.finish());
    let hashing = sink.finish(finished.as_ref())?;
    write_time += t.elapsed();
    let sha256 = hashing
        .hash
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((
        hashing.inner,
        WriteSummary {
            records,
            stats,
            sha256,
            write_time,
        },
    ))
}
