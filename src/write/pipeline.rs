//! The one pipeline from the generator to bytes: the engine's workers generate
//! consecutive chunks of ids with the SIMD kernel, encode them in a format and sum
//! their statistics ([`EncodedChunk`]); this thread hands the chunks, in id order, to a
//! [`ChunkSink`]. Every output is a sink: a [`RecordFile`](super::RecordFile) appends
//! them (`dpa generate`, shards), the shared `.npy` file writes them at its rank's row
//! offset, `dpa_rs` copies them into an array's buffer.
//!
//! Memory stays bounded: at most [`ENCODE_BUDGET`](super::ENCODE_BUDGET) of encoded
//! bytes are in flight ([`encode_plan`]), and the buffers a sink is done with go back to
//! the workers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::encoded::{encode_plan, EncodedChunk};
use crate::batch::{BatchMetrics, BatchStrategy};
use crate::engine::Engine;
use crate::error::Error;
use crate::formats::Format;
use crate::params::Generator;
use crate::seeding::Seeding;
use crate::split::IdRange;

/// Where encoded chunks go, in id order.
pub trait ChunkSink {
    /// Takes the next chunk: the records that follow the ones before it.
    fn append(&mut self, chunk: &EncodedChunk) -> Result<(), Error>;

    /// The name an error of the encoders is reported under.
    fn name(&self) -> &std::path::Path;
}

/// What to run through the pipeline: `ids` under `seeding`, by `generator`, on `engine`,
/// encoded in `format` as the records after the first `position` of their output, with
/// their statistics when `statistics`, in chunks of at most `batch_size` records.
#[derive(Debug, Clone)]
pub struct Pipeline<'a> {
    /// The engine (thread pool).
    pub engine: &'a Engine,
    /// The generator.
    pub generator: &'a Arc<Generator>,
    /// The seeding.
    pub seeding: Seeding,
    /// The ids, in order.
    pub ids: IdRange,
    /// The encoding.
    pub format: Format,
    /// Records already in the output before the first of `ids` (formats whose bytes
    /// depend on the position, such as a JSON document's separators).
    pub position: u64,
    /// Sum the records' exact statistics into each chunk.
    pub statistics: bool,
    /// The largest chunk, in records (the budget may cut it smaller).
    pub batch_size: usize,
}

/// What a pipeline run did.
#[derive(Debug, Clone)]
pub struct PipelineSummary {
    /// The chunks as batches: count, sizes, throughput.
    pub metrics: BatchMetrics,
    /// Time spent in the sink (the rest was waiting for the workers).
    pub sink_time: Duration,
}

impl Pipeline<'_> {
    /// Runs the pipeline into `sink`; `after_chunk` is called after each chunk with the
    /// number of records handed over so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use dpa::write::{ChunkSink, EncodedChunk, Pipeline};
    /// use dpa::{Engine, Format, Generator, Preset, Seeding};
    /// struct Collect(Vec<u8>);
    /// impl ChunkSink for Collect {
    ///     fn append(&mut self, c: &EncodedChunk) -> Result<(), dpa::Error> {
    ///         self.0.extend_from_slice(&c.bytes);
    ///         Ok(())
    ///     }
    ///     fn name(&self) -> &std::path::Path { "memory".as_ref() }
    /// }
    /// let engine = Engine::new(Default::default()).unwrap();
    /// let generator = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
    /// let run = Pipeline { engine: &engine, generator: &generator, seeding: Seeding::Plain,
    ///     ids: dpa::id_range(0, 10).unwrap(), format: Format::Jsonl, position: 0,
    ///     statistics: false, batch_size: 4 };
    /// let mut sink = Collect(Vec::new());
    /// run.run(&mut sink, &mut |_| {}).unwrap();
    /// assert_eq!(sink.0.iter().filter(|&&b| b == b'\n').count(), 10);
    /// ```
    pub fn run(
        &self,
        sink: &mut dyn ChunkSink,
        after_chunk: &mut dyn FnMut(u64),
    ) -> Result<PipelineSummary, Error> {
        let (chunk, window) = encode_plan(self.engine, self.batch_size);
        let (generator, seeding) = (self.generator.clone(), self.seeding);
        let (format, statistics) = (self.format, self.statistics);
        let (first, position) = (self.ids.start(), self.position);
        // Buffers the sink is done with go back to the workers: at most `window` plus
        // the threads' own exist at once.
        let (spare_tx, spare_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
        let chunks = self
            .engine
            .map_chunks(self.ids.clone(), chunk, window, move |_, ids| {
                let at = position + (ids.start() - first);
                let buffer = spare_rx.try_recv().unwrap_or_default();
                EncodedChunk::encode_into(buffer, &generator, seeding, ids, format, at, statistics)
            });
        let mut metrics = BatchMetrics::new(BatchStrategy::Sequential);
        let (mut sink_time, mut handed) = (Duration::ZERO, 0u64);
        let started = Instant::now();
        for encoded in chunks {
            let encoded = encoded.map_err(|e| Error::io(sink.name(), e))?;
            let t = Instant::now();
            sink.append(&encoded)?;
            sink_time += t.elapsed();
            metrics.record_batch(encoded.records as usize, encoded.bytes.len());
            handed += encoded.records;
            after_chunk(handed);
            let _ = spare_tx.send(encoded.bytes);
        }
        let secs = started.elapsed().as_secs_f64();
        if secs > 0.0 {
            metrics.throughput = metrics.records as f64 / secs;
        }
        Ok(PipelineSummary { metrics, sink_time })
    }
}
