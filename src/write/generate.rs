//! [`generate_to`]: a range of ids from the engine into a [`RecordFile`], in id order,
//! through a batching strategy, resuming a partial file if asked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::encoded::EncodedChunk;
use super::pipeline::{ChunkSink, Pipeline};
use super::record_file::{Destination, RecordFile, Rerun, WriteOptions, WriteSummary};
use crate::batch::{Batch, BatchConfig, BatchMetrics, BatchStrategy, Batcher};
use crate::engine::Engine;
use crate::error::Error;
use crate::formats::resume::ExpectedBytes;
use crate::formats::{AnySink, RecordSink};
use crate::params::{Generator, Params};
use crate::seeding::Seeding;
use crate::split::{id_range, IdRange};
use crate::stats::StatsAccumulator;

/// What a [`generate_to`] run did.
#[derive(Debug, Clone)]
pub struct GenerateSummary {
    /// The file written.
    pub write: WriteSummary,
    /// How the records were batched.
    pub metrics: BatchMetrics,
    /// Time spent encoding and writing (the rest was waiting for records).
    pub write_time: Duration,
}

/// What to generate: `ids` under `seeding`, by `generator`, on `engine`.
#[derive(Debug, Clone)]
pub struct Generation<'a> {
    /// The engine (thread pool and chunking).
    pub engine: &'a Engine,
    /// The generator.
    pub generator: &'a Arc<Generator>,
    /// The seeding.
    pub seeding: Seeding,
    /// The ids, in order.
    pub ids: IdRange,
}

/// Generates `what.ids` into `destination` in `options.format`, in id order. With
/// `resume`, a partial file at the destination is continued after its verified part
/// (a file destination only). `batch` groups the records as they are written (the
/// bytes never depend on it); `progress` is told the number of records in the file
/// after each batch.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use dpa::write::{generate_to, Destination, Generation, WriteOptions};
/// use dpa::{Engine, FileMetadata, Format, Generator, Preset, Seeding};
/// let dir = tempfile::tempdir().unwrap();
/// let engine = Engine::new(Default::default()).unwrap();
/// let generator = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
/// let what = Generation { engine: &engine, generator: &generator, seeding: Seeding::Plain,
///                         ids: dpa::id_range(0, 1000).unwrap() };
/// let options = WriteOptions { format: Format::Jsonl, statistics: true, keep_partial: true,
///     checksum: false,
///     metadata: FileMetadata::for_config(generator.config().clone(), Some(1000)) };
/// let path = dir.path().join("a.jsonl");
/// let done = generate_to(&what, Destination::File(path.clone()), &options, false,
///                        Default::default(), &mut |_| {}).unwrap();
/// assert_eq!(done.write.records, 1000);
/// assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1000);
/// ```
pub fn generate_to(
    what: &Generation<'_>,
    destination: Destination,
    options: &WriteOptions,
    resume: bool,
    batch: BatchConfig,
    progress: &mut dyn FnMut(u64),
) -> Result<GenerateSummary, Error> {
    generate_to_with(
        what,
        destination,
        options,
        resume,
        batch,
        progress,
        Vec::new(),
    )
}

/// [`generate_to`], committing `companions` (written from the output's statistics) in
/// one group with the output: all of them reach their names, or none does.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use dpa::write::{generate_to_with, Companion, Destination, Generation, WriteOptions};
/// use dpa::{Engine, FileMetadata, Format, Generator, Preset, Seeding};
/// let dir = tempfile::tempdir().unwrap();
/// let engine = Engine::new(Default::default()).unwrap();
/// let generator = Arc::new(Generator::new(Preset::Mild.config()).unwrap());
/// let what = Generation { engine: &engine, generator: &generator, seeding: Seeding::Plain,
///                         ids: dpa::id_range(0, 10).unwrap() };
/// let options = WriteOptions { format: Format::Jsonl, statistics: true, keep_partial: false,
///     checksum: false, metadata: FileMetadata::for_config(generator.config().clone(), Some(10)) };
/// let stats = dpa::AtomicFile::create(&dir.path().join("s.json")).unwrap();
/// let out = Destination::File(dir.path().join("a.jsonl"));
/// generate_to_with(&what, out, &options, false, Default::default(), &mut |_| {},
///                  vec![Companion::statistics_json(stats)]).unwrap();
/// assert!(std::fs::read_to_string(dir.path().join("s.json")).unwrap().contains("\"rotation\""));
/// ```
pub fn generate_to_with(
    what: &Generation<'_>,
    destination: Destination,
    options: &WriteOptions,
    resume: bool,
    batch: BatchConfig,
    progress: &mut dyn FnMut(u64),
    companions: Vec<super::Companion>,
) -> Result<GenerateSummary, Error> {
    let mut file = open(what, destination, options, resume)?;
    companions.into_iter().for_each(|c| file.add_companion(c));
    let done = file.records();
    progress(done);
    let name = file.name().to_path_buf();
    let remaining = id_range(what.ids.start() + done, what.ids.count_ids() - done)
        .map_err(|error| config_error(&name, error))?;
    batch
        .validate()
        .map_err(|error| config_error(&name, error))?;
    let (metrics, mut write_time) = if batch.strategy == BatchStrategy::Sequential {
        write_encoded(what, &mut file, remaining, options, batch, progress)?
    } else {
        write_batches(what, &mut file, remaining, batch, progress)?
    };
    let t = Instant::now();
    let write = file.finish()?;
    write_time += t.elapsed();
    Ok(GenerateSummary {
        write,
        metrics,
        write_time,
    })
}

/// The sequential strategy: the one [`Pipeline`]; the workers generate, encode and sum
/// chunks of at most `batch.batch_size` records, this thread appends them in id order.
fn write_encoded(
    what: &Generation<'_>,
    file: &mut RecordFile,
    remaining: IdRange,
    options: &WriteOptions,
    batch: BatchConfig,
    progress: &mut dyn FnMut(u64),
) -> Result<(BatchMetrics, Duration), Error> {
    let before = file.records();
    let run = Pipeline {
        engine: what.engine,
        generator: what.generator,
        seeding: what.seeding,
        ids: remaining,
        format: options.format,
        position: before,
        statistics: options.statistics,
        batch_size: batch.batch_size,
    };
    let summary = run.run(file, &mut |handed| progress(before + handed))?;
    Ok((summary.metrics, summary.sink_time))
}

impl ChunkSink for RecordFile {
    fn append(&mut self, chunk: &EncodedChunk) -> Result<(), Error> {
        RecordFile::append(self, chunk)
    }

    fn name(&self) -> &std::path::Path {
        RecordFile::name(self)
    }
}

/// The other strategies size their batches from what this thread measures (bytes,
/// throughput, memory), so records come to it one by one and it encodes them.
fn write_batches(
    what: &Generation<'_>,
    file: &mut RecordFile,
    remaining: IdRange,
    batch: BatchConfig,
    progress: &mut dyn FnMut(u64),
) -> Result<(BatchMetrics, Duration), Error> {
    let name = file.name().to_path_buf();
    let records = what
        .engine
        .records(what.generator.clone(), what.seeding, remaining);
    let mut batcher = Batcher::new(records, batch).map_err(|error| config_error(&name, error))?;
    let round_robin = batch.strategy == BatchStrategy::RoundRobin;
    let mut writer = BatchWriter {
        file,
        progress,
        write_time: Duration::ZERO,
    };
    writer.write_all(&mut batcher, round_robin)?;
    let write_time = writer.write_time;
    Ok((batcher.metrics().clone(), write_time))
}

fn config_error(name: &std::path::Path, error: crate::ConfigError) -> Error {
    Error::Config {
        path: name.to_path_buf(),
        position: "settings".into(),
        error,
    }
}

/// A new output, or the verified part of an interrupted one.
fn open(
    what: &Generation<'_>,
    destination: Destination,
    options: &WriteOptions,
    resume: bool,
) -> Result<RecordFile, Error> {
    if let (true, Destination::File(path)) = (resume, &destination) {
        let mut rerun = Recomputed {
            what,
            options,
            done: StatsAccumulator::new(),
            last: Vec::new(),
            last_start: 0,
        };
        let count = what.ids.count_ids();
        if let Some(file) = RecordFile::resume(path, options, count, &mut rerun)? {
            return Ok(file);
        }
    }
    RecordFile::create(destination, options)
}

/// Writes batches in id order.
struct BatchWriter<'a> {
    file: &'a mut RecordFile,
    progress: &'a mut dyn FnMut(u64),
    write_time: Duration,
}

impl BatchWriter<'_> {
    /// Writes `records`; returns their number and encoded size.
    fn write(&mut self, records: &[Params]) -> Result<(usize, usize), Error> {
        let t = Instant::now();
        let before = self.file.bytes();
        self.file.write_all(records)?;
        let bytes = self.file.bytes() - before;
        self.write_time += t.elapsed();
        (self.progress)(self.file.records());
        Ok((records.len(), usize::try_from(bytes).unwrap_or(usize::MAX)))
    }

    /// Writes every batch; the lanes of a round-robin round are re-interleaved, so the
    /// file stays in id order.
    fn write_all<I: Iterator<Item = Params>>(
        &mut self,
        batcher: &mut Batcher<I>,
        round_robin: bool,
    ) -> Result<(), Error> {
        let mut round: Vec<Batch> = Vec::new();
        while let Some(batch) = batcher.next() {
            let observed = if !round_robin {
                Some(self.write(&batch.records)?)
            } else if batch.lane == 0 && !round.is_empty() {
                let written = self.write(&interleave(&mut round))?;
                round.push(batch);
                Some(written)
            } else {
                round.push(batch);
                None
            };
            if let Some((records, bytes)) = observed {
                batcher.observe_encoded_bytes(records, bytes);
            }
        }
        if !round.is_empty() {
            self.write(&interleave(&mut round))?;
        }
        Ok(())
    }
}

/// Reassembles the lanes of one round-robin round into stream order.
fn interleave(round: &mut Vec<Batch>) -> Vec<Params> {
    let total: usize = round.iter().map(|b| b.records.len()).sum();
    let mut lanes: Vec<std::vec::IntoIter<Params>> =
        round.drain(..).map(|b| b.records.into_iter()).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for lane in lanes.iter_mut() {
            if let Some(p) = lane.next() {
                out.push(p);
            }
        }
    }
    out
}

/// The bytes a run writes, recomputed to check a partial file against, and the
/// statistics of what was recomputed.
struct Recomputed<'a, 'b> {
    what: &'a Generation<'b>,
    options: &'a WriteOptions,
    /// Statistics of every record before `last_start` (all verified).
    done: StatsAccumulator,
    /// The block produced last (the check asks for the next block only when this one
    /// was kept whole), from id offset `last_start`.
    last: Vec<Params>,
    last_start: u64,
}

impl Recomputed<'_, '_> {
    /// Adds the last block to `done`: it was kept whole.
    fn settle(&mut self) {
        if self.options.statistics {
            self.last.iter().for_each(|p| self.done.push(p));
        }
        self.last_start += self.last.len() as u64;
        self.last.clear();
    }
}

impl ExpectedBytes for Recomputed<'_, '_> {
    fn records(&mut self, first: u64, n: u64, out: &mut Vec<u8>, ends: &mut Vec<usize>) {
        self.settle();
        let what = self.what;
        let ids = id_range(what.ids.start() + first, n)
            .unwrap_or_else(|_| unreachable!("within the run"));
        self.last = what.engine.generate(what.generator, what.seeding, ids);
        self.last_start = first;
        let mut sink = AnySink::resume(self.options.format, std::mem::take(out), first);
        for p in &self.last {
            // Writing to memory cannot fail.
            let _ = sink.write_record(p);
            ends.push(sink.get_mut().len());
        }
        *out = std::mem::take(sink.get_mut());
    }

    fn finish(&mut self) -> Vec<u8> {
        // Called once every record of the run was found in the partial file.
        self.settle();
        let count = self.what.ids.count_ids();
        let stats = self.options.statistics.then(|| self.done.finish());
        let sink = AnySink::resume(self.options.format, Vec::new(), count);
        sink.finish(stats.as_ref()).unwrap_or_default()
    }
}

impl Rerun for Recomputed<'_, '_> {
    fn statistics(&mut self, records: u64) -> StatsAccumulator {
        let mut acc = self.done.clone();
        let kept = records.saturating_sub(self.last_start) as usize;
        self.last.iter().take(kept).for_each(|p| acc.push(p));
        acc
    }

    fn start_after(&mut self, records: u64, stats: StatsAccumulator) {
        self.done = stats;
        self.last.clear();
        self.last_start = records;
    }
}
