//! [`EncodedChunk`]: a chunk of ids generated, encoded and summed by one worker, ready
//! for the writer to append.

use std::io;

use crate::engine::Engine;
use crate::formats::{AnySink, Format};
use crate::params::{Generator, Params};
use crate::seeding::Seeding;
use crate::split::IdRange;
use crate::stats::StatsAccumulator;

/// Encoded bytes the writer lets the workers hold ahead of it: chunks being encoded,
/// encoded, or waiting for their turn to be written.
pub const ENCODE_BUDGET: usize = 16 << 20;

/// More than any record takes in any format (a JSON record with a 20-digit id and rank,
/// five 24-character floats and the hash is under 300 bytes).
const MAX_RECORD_BYTES: usize = 512;

/// Smallest chunk the budget cuts the work into.
const MIN_CHUNK: usize = 256;

/// The bytes of consecutive records as a file of some format holds them at their
/// position, with the exact statistics of those records.
///
/// # Examples
///
/// ```
/// use dpa::write::EncodedChunk;
/// use dpa::{Format, Generator, Preset, Seeding};
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let ids = dpa::id_range(0, 3).unwrap();
/// let chunk = EncodedChunk::encode_into(Vec::new(), &g, Seeding::Plain, ids, Format::Jsonl, 0, true).unwrap();
/// assert_eq!(chunk.records, 3);
/// assert_eq!(chunk.bytes.iter().filter(|&&b| b == b'\n').count(), 3);
/// assert_eq!(chunk.stats.unwrap().count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct EncodedChunk {
    /// The encoded records.
    pub bytes: Vec<u8>,
    /// How many records `bytes` holds.
    pub records: u64,
    /// Their statistics, when asked for.
    pub stats: Option<StatsAccumulator>,
}

impl EncodedChunk {
    /// Generates `ids` with the SIMD kernel and encodes them in `format` as the
    /// records that follow the first `position` records of a file, into `bytes`
    /// (cleared first; pass `Vec::new()`, or a spare buffer): a writer hands the
    /// buffers it has written back to its workers, so that a long run does not
    /// allocate (and fault in) fresh memory for every chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::write::EncodedChunk;
    /// use dpa::{Format, Generator, Preset, Seeding};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let spare = Vec::with_capacity(1 << 16);
    /// let ids = dpa::id_range(0, 10).unwrap();
    /// let chunk = EncodedChunk::encode_into(spare, &g, Seeding::Plain, ids, Format::Bincode, 0, false).unwrap();
    /// assert_eq!(chunk.records, 10);
    /// assert!(chunk.bytes.capacity() >= 1 << 16);
    /// ```
    pub fn encode_into(
        mut bytes: Vec<u8>,
        generator: &Generator,
        seeding: Seeding,
        ids: IdRange,
        format: Format,
        position: u64,
        statistics: bool,
    ) -> io::Result<EncodedChunk> {
        RECORDS.with_borrow_mut(|records| {
            records.clear();
            generator.generate_into(seeding, ids, records);
            let per_record = match format {
                Format::Bincode | Format::Npy => 128,
                _ => 256,
            };
            bytes.clear();
            bytes.reserve(records.len().saturating_mul(per_record));
            AnySink::<Vec<u8>>::encode_records(format, position, records, &mut bytes)?;
            let stats = statistics.then(|| {
                let mut acc = StatsAccumulator::new();
                acc.extend(records.iter());
                acc
            });
            Ok(EncodedChunk {
                bytes,
                records: records.len() as u64,
                stats,
            })
        })
    }
}

thread_local! {
    /// Each worker's buffer of generated records, reused from chunk to chunk (at most
    /// one chunk's worth per thread).
    static RECORDS: std::cell::RefCell<Vec<Params>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How a writer cuts its ids for the workers: `(chunk, window)`, the records per
/// encoded chunk and the chunks in flight, so that `chunk · window` records of any
/// format fit in [`ENCODE_BUDGET`] while every thread has two chunks to work on.
/// `chunk` is at most the engine's chunk size and `batch_size`, and at least 256.
///
/// # Examples
///
/// ```
/// let engine = dpa::Engine::new(dpa::EngineConfig { threads: Some(2), ..Default::default() }).unwrap();
/// let (chunk, window) = dpa::write::encode_plan(&engine, 4096);
/// assert_eq!((chunk, window), (4096, 4));
/// assert!(chunk * window * 512 <= dpa::write::ENCODE_BUDGET);
/// ```
pub fn encode_plan(engine: &Engine, batch_size: usize) -> (usize, usize) {
    let threads = engine.threads().max(1);
    let config = engine.config();
    let chunk = config
        .chunk_size
        .min(batch_size)
        .min(ENCODE_BUDGET / (MAX_RECORD_BYTES * 2 * threads))
        .max(MIN_CHUNK);
    let window = (ENCODE_BUDGET / (chunk * MAX_RECORD_BYTES)).clamp(1, config.in_flight.max(1));
    (chunk, window)
}
