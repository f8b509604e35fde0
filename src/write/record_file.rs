//! [`RecordFile`]: one output of records, from its header to its last byte.

use std::io::{self, BufWriter, Seek as _, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use xxhash_rust::xxh3::Xxh3;

use super::companion::Companion;
use super::encoded::EncodedChunk;
use super::kept::{
    by_checkpoint, hash_span, segment_of, settings_digest, Expected, Kept, Verifier,
};
use crate::atomic::AtomicFile;
use crate::checkpoint::{Checkpoint, Segment, CHECKPOINT_EVERY};
use crate::commit::Commit;
use crate::error::{DataKind, Error};
use crate::formats::npy::{sidecar_path, NpySidecar};
use crate::formats::resume::{check_partial, check_records, ExpectedBytes, PartialScan};
use crate::formats::{AnySink, FileMetadata, Format, RecordSink};
use crate::params::{Hash, Params};
use crate::stats::{Statistics, StatsAccumulator};

/// Where records go.
pub enum Destination {
    /// A file, written through `<path>.partial` and renamed into place on success
    /// (a device or pipe at the path is written in place).
    File(PathBuf),
    /// Any writer (standard output, memory), named in messages by `name`.
    Writer {
        /// The writer.
        out: Box<dyn Write>,
        /// Its name in messages, such as `<stdout>`.
        name: PathBuf,
    },
}

/// How a [`RecordFile`] writes.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The format.
    pub format: Format,
    /// The header's metadata (JSON documents and binary files keep it).
    pub metadata: FileMetadata,
    /// Accumulate statistics (in write order) and store them where the format can.
    pub statistics: bool,
    /// Keep the partial file when the write fails, for a later resume.
    pub keep_partial: bool,
    /// Compute the SHA-256 of the bytes written (a manifest records it); it costs the
    /// writing thread about 0.6 ns a byte.
    pub checksum: bool,
}

/// What a finished [`RecordFile`] holds.
#[derive(Debug, Clone)]
pub struct WriteSummary {
    /// Records in the file (resumed ones included).
    pub records: u64,
    /// Records that were already in a resumed partial file.
    pub resumed: u64,
    /// The statistics accumulator (empty without statistics).
    pub stats: StatsAccumulator,
    /// The statistics stored in the file, if any.
    pub statistics: Option<Statistics>,
    /// SHA-256 of every byte of the file (with `checksum`; it prints as lowercase hex).
    pub sha256: Option<Hash>,
    /// Bytes in the file.
    pub bytes: u64,
    /// How its bytes reached the disk (`None` for a writer given by the caller).
    pub write_path: Option<crate::direct::WritePath>,
}

/// The destination's writer, hashing and counting what passes through.
struct Tracked {
    out: Out,
    hash: Option<Sha256>,
    /// XXH3-128 of the bytes, for checkpoints (a file written through a partial file).
    content: Option<Xxh3>,
    bytes: u64,
}

enum Out {
    File(AtomicFile),
    Writer(BufWriter<Box<dyn Write>>),
}

impl Write for Tracked {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.out {
            Out::File(f) => f.write(buf)?,
            Out::Writer(w) => w.write(buf)?,
        };
        if let Some(h) = self.hash.as_mut() {
            h.update(&buf[..n]);
        }
        if let Some(h) = self.content.as_mut() {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::File(f) => f.flush(),
            Out::Writer(w) => w.flush(),
        }
    }
}

/// A run recomputed to check a partial file against: the bytes it writes, and the
/// statistics of the records it has produced for that check (so that resuming does not
/// generate them twice).
pub trait Rerun: ExpectedBytes {
    /// The statistics, accumulated in id order, of the first `records` records; they
    /// are among those already produced through [`ExpectedBytes::records`], or those
    /// given to [`Rerun::start_after`].
    fn statistics(&mut self, records: u64) -> StatsAccumulator;

    /// The first `records` records are kept on a checkpoint's word, with statistics
    /// `stats`: the check continues after them.
    fn start_after(&mut self, records: u64, stats: StatsAccumulator);
}

/// One output of records: header, records in order, statistics, end.
///
/// # Examples
///
/// ```
/// use dpa::write::{Destination, RecordFile, WriteOptions};
/// use dpa::{FileMetadata, Format, Generator, Preset};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.bin");
/// let g = Generator::new(Preset::Mild.config()).unwrap();
/// let options = WriteOptions {
///     format: Format::Bincode,
///     metadata: FileMetadata::for_config(g.config().clone(), Some(3)),
///     statistics: true,
///     keep_partial: false,
///     checksum: true,
/// };
/// let mut file = RecordFile::create(Destination::File(path.clone()), &options).unwrap();
/// for id in 0..3 { file.write(&g.params(id)).unwrap(); }
/// let summary = file.finish().unwrap();
/// assert_eq!(summary.records, 3);
/// assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
/// assert_eq!(summary.sha256.unwrap().to_string().len(), 64);
/// ```
pub struct RecordFile {
    sink: AnySink<Tracked>,
    stats: Option<StatsAccumulator>,
    records: u64,
    resumed: u64,
    name: PathBuf,
    partial: Option<PathBuf>,
    /// The metadata of a `.npy` file's sidecar (a `.npy` file written through a
    /// partial file only).
    sidecar: Option<FileMetadata>,
    /// Checkpoints (a file written through a partial file only).
    checkpoints: Option<Checkpoints>,
    /// Files committed with this one ([`RecordFile::add_companion`]).
    companions: Vec<Companion>,
}

/// When and with which settings digest a [`RecordFile`] saves its next checkpoint, the
/// segments before the one being written, and the check of a resumed checkpoint's
/// digests while it still runs.
struct Checkpoints {
    settings: Hash,
    /// The byte count at which the next one is due.
    next: u64,
    /// The segments a resumed checkpoint held (the current one, hashed by
    /// [`Tracked::content`], starts where they end).
    segments: Vec<Segment>,
    pending: Option<Verifier>,
}

/// The metadata for the sidecar of a `.npy` output at `partial`, if it is one.
fn sidecar_of(options: &WriteOptions, partial: Option<&Path>) -> Option<FileMetadata> {
    (options.format == Format::Npy && partial.is_some()).then(|| options.metadata.clone())
}

impl RecordFile {
    /// Starts a new output and writes its header.
    pub fn create(destination: Destination, options: &WriteOptions) -> Result<Self, Error> {
        let (out, name, partial) = match destination {
            Destination::File(path) => {
                let mut file = AtomicFile::create(&path)?;
                file.keep_partial_on_drop(options.keep_partial);
                let partial = file.partial().map(Path::to_path_buf);
                (Out::File(file), path, partial)
            }
            Destination::Writer { out, name } => (
                Out::Writer(BufWriter::with_capacity(1 << 16, out)),
                name,
                None,
            ),
        };
        let sidecar = sidecar_of(options, partial.as_deref());
        let checkpoints = checkpoints_of(options, partial.as_deref(), &name)?;
        let tracked = Tracked {
            out,
            hash: (options.checksum || sidecar.is_some()).then(Sha256::new),
            content: checkpoints.as_ref().map(|_| Xxh3::new()),
            bytes: 0,
        };
        let sink = AnySink::new(options.format, tracked, &options.metadata)
            .map_err(|e| Error::io(&name, e))?;
        Ok(RecordFile {
            sink,
            stats: options.statistics.then(StatsAccumulator::new),
            records: 0,
            resumed: 0,
            name,
            partial,
            sidecar,
            checkpoints,
            companions: Vec::new(),
        })
    }

    /// Continues the `<path>.partial` an interrupted run left, keeping it only as far as
    /// its bytes are exactly what `rerun` encodes, with the statistics `rerun` gives for
    /// the kept records. `None` when there is no partial file, and for a Parquet file,
    /// which is resumed whole: its footer, written last, lists its row groups, so its
    /// partial file is written again from the start (by [`RecordFile::create`]).
    ///
    /// The bytes a valid checkpoint record vouches for (its claims checked against the
    /// run, and its digest against the bytes: see [`crate::checkpoint`]) are kept at
    /// reading speed, with the record's statistics; the records after them, or all of
    /// them without such a record, are checked by
    /// [`check_partial`](crate::formats::resume::check_partial).
    pub fn resume(
        path: &Path,
        options: &WriteOptions,
        count: u64,
        rerun: &mut dyn Rerun,
    ) -> Result<Option<Self>, Error> {
        if options.format == Format::Parquet {
            // A Parquet file is resumed whole: its footer, written last, lists its row
            // groups, so a partial one is written again from its start (`None`: the
            // caller creates the file, taking the partial file over).
            return Ok(None);
        }
        let Some(mut file) = AtomicFile::resume(path)? else {
            return Ok(None);
        };
        let partial = file.partial().map(Path::to_path_buf).unwrap_or_default();
        let header = AnySink::<Vec<u8>>::header(options.format, &options.metadata)
            .map_err(|e| Error::io(&partial, e))?;
        let sidecar = sidecar_of(options, Some(&partial));
        let expected = Expected {
            statistics: options.statistics,
            settings: settings_digest(
                options.format,
                options.statistics,
                &options.metadata,
                &header,
            ),
            count,
            header: header.len() as u64,
            sha: options.checksum || sidecar.is_some(),
        };
        let mut kept = by_checkpoint(&file, path, &partial, &expected, rerun)?;
        let scan = check_or_fall_back(&file, path, &partial, &header, count, rerun, &mut kept)?;
        let pending = kept.as_mut().and_then(|k| k.pending.take());
        let segments = kept
            .as_ref()
            .map(|k| k.segments.clone())
            .unwrap_or_default();
        let (content, hash) = hash_kept(&file, &partial, kept, scan.valid_len, expected.sha)?;
        file.keep(scan.valid_len)?;
        file.keep_partial_on_drop(options.keep_partial);
        let tracked = Tracked {
            out: Out::File(file),
            hash,
            content: Some(content),
            bytes: scan.valid_len,
        };
        let sink = if scan.valid_len > 0 {
            AnySink::resume(options.format, tracked, scan.records)
        } else {
            AnySink::new(options.format, tracked, &options.metadata)
                .map_err(|e| Error::io(&partial, e))?
        };
        Ok(Some(RecordFile {
            sink,
            stats: options.statistics.then(|| rerun.statistics(scan.records)),
            records: scan.records,
            resumed: scan.records,
            name: path.to_path_buf(),
            partial: Some(partial),
            sidecar,
            checkpoints: Some(Checkpoints {
                settings: expected.settings,
                next: scan.valid_len + CHECKPOINT_EVERY,
                segments,
                pending,
            }),
            companions: Vec::new(),
        }))
    }

    /// Waits for the check of a resumed checkpoint's digests. Bytes that do not match
    /// fail the run: the partial file is kept, and its checkpoint records removed (after
    /// the writeback thread saved its last), so that `--resume` again checks every
    /// record.
    fn checkpoint_held(&mut self) -> Result<(), Error> {
        let Some(verifier) = self.checkpoints.as_mut().and_then(|c| c.pending.take()) else {
            return Ok(());
        };
        let partial = self.partial.clone().unwrap_or_else(|| self.name.clone());
        let held = verifier.outcome().map_err(|e| Error::io(&partial, e))?;
        if held {
            return Ok(());
        }
        self.checkpoints = None;
        if let Out::File(f) = &mut self.sink.get_mut().out {
            f.settle()?;
        }
        crate::checkpoint::remove_record(&self.name);
        Err(Error::data_of(
            crate::error::DataKind::Mismatch,
            &partial,
            "checkpoint",
            "its first bytes do not match the digests its checkpoint record saved (changed since?); the record is removed and the partial file kept: run again with --resume to check every record",
        ))
    }

    /// Saves a checkpoint when one is due: called between records, when every byte
    /// counted is a whole record's.
    fn checkpoint_if_due(&mut self) -> Result<(), Error> {
        let Some(due) = self.checkpoints.as_mut() else {
            return Ok(());
        };
        let tracked = self.sink.get_mut();
        if tracked.bytes < due.next {
            return Ok(());
        }
        due.next = tracked.bytes + CHECKPOINT_EVERY;
        let mut segments = due.segments.clone();
        if let Some(content) = tracked.content.as_ref() {
            segments.push(segment_of(tracked.bytes, content));
        }
        let mut record = Checkpoint {
            settings: due.settings,
            records: self.records,
            bytes: tracked.bytes,
            segments,
            statistics: self
                .stats
                .as_ref()
                .map(|s| crate::seeding::encode_hex(&s.to_bytes())),
            seal: None,
        };
        record.seal = Some(record.sealed());
        match &mut tracked.out {
            Out::File(f) => f.checkpoint(serde_json::to_vec(&record).unwrap_or_default()),
            Out::Writer(_) => Ok(()),
        }
    }

    /// Adds a file to be written from this file's statistics and committed with it,
    /// in one group: both reach their names, or neither does.
    pub fn add_companion(&mut self, companion: Companion) {
        self.companions.push(companion);
    }

    /// Writes one record.
    #[inline]
    pub fn write(&mut self, record: &Params) -> Result<(), Error> {
        if let Some(s) = self.stats.as_mut() {
            s.push(record);
        }
        self.records += 1;
        self.sink
            .write_record(record)
            .map_err(|e| Error::io(&self.name, e))?;
        self.checkpoint_if_due()
    }

    /// Writes records in order.
    pub fn write_all(&mut self, records: &[Params]) -> Result<(), Error> {
        records.iter().try_for_each(|p| self.write(p))
    }

    /// Appends a chunk a worker encoded for this file's format at this file's current
    /// record count, and merges its statistics. A file that keeps statistics needs them
    /// in every chunk: a chunk without them is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::write::{Destination, EncodedChunk, RecordFile, WriteOptions};
    /// use dpa::{FileMetadata, Format, Generator, Preset, Seeding};
    /// let g = Generator::new(Preset::Mild.config()).unwrap();
    /// let options = WriteOptions { format: Format::Json, statistics: true, keep_partial: false,
    ///     checksum: false, metadata: FileMetadata::for_config(g.config().clone(), Some(4)) };
    /// let out = Destination::Writer { out: Box::new(std::io::sink()), name: "-".into() };
    /// let mut file = RecordFile::create(out, &options).unwrap();
    /// for (start, position) in [(0, 0), (2, 2)] {
    ///     let ids = dpa::id_range(start, 2).unwrap();
    ///     let chunk = EncodedChunk::encode_into(Vec::new(), &g, Seeding::Plain, ids, Format::Json, position, true).unwrap();
    ///     file.append(&chunk).unwrap();
    /// }
    /// assert_eq!(file.finish().unwrap().statistics.unwrap().scale.count, 4);
    /// ```
    pub fn append(&mut self, chunk: &EncodedChunk) -> Result<(), Error> {
        if let Some(s) = self.stats.as_mut() {
            let Some(part) = chunk.stats.as_ref() else {
                let message = "a chunk without statistics for a file that keeps them";
                return Err(Error::io(&self.name, io::Error::other(message)));
            };
            s.merge(part);
        }
        self.records += chunk.records;
        self.sink
            .append_encoded(&chunk.bytes, chunk.records)
            .map_err(|e| Error::io(&self.name, e))?;
        self.checkpoint_if_due()
    }

    /// Bytes written so far (a resumed file's kept bytes included).
    pub fn bytes(&mut self) -> u64 {
        self.sink.get_mut().bytes
    }

    /// Records written so far (resumed ones included).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Records a resumed file already held.
    pub fn resumed(&self) -> u64 {
        self.resumed
    }

    /// The output's name in messages.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// The partial file that a failed run leaves (with `keep_partial`), if the output
    /// is a file written through one.
    pub fn partial(&self) -> Option<&Path> {
        self.partial.as_deref()
    }

    /// Ends the file (statistics and trailer where the format keeps them), flushes it,
    /// and for a file fsyncs and renames it into place.
    pub fn finish(self) -> Result<WriteSummary, Error> {
        let statistics = self.stats.as_ref().map(StatsAccumulator::finish);
        self.finish_with(statistics)
    }

    /// As [`RecordFile::finish`], storing `statistics` instead of the accumulated ones
    /// (a lossless conversion keeps its input's statistics, or their absence).
    pub fn finish_with(mut self, statistics: Option<Statistics>) -> Result<WriteSummary, Error> {
        self.checkpoint_held()?;
        let tracked = self
            .sink
            .finish(statistics.as_ref())
            .map_err(|e| Error::io(&self.name, e))?;
        let sha256 = tracked.hash.map(|h| Hash(h.finalize().into()));
        let write_path = match &tracked.out {
            Out::File(f) => f.write_path().cloned(),
            Out::Writer(_) => None,
        };
        let mut group = Commit::new();
        for companion in std::mem::take(&mut self.companions) {
            group = group.with(companion.written(statistics.as_ref())?);
        }
        match (tracked.out, self.sidecar) {
            (Out::File(f), Some(metadata)) => {
                let sidecar = NpySidecar::new(
                    metadata,
                    statistics,
                    tracked.bytes,
                    sha256.unwrap_or_default(),
                );
                commit_with_sidecar(group, f, &sidecar)?;
            }
            (Out::File(f), None) => group.with(f).run()?,
            (Out::Writer(mut w), _) => {
                w.flush().map_err(|e| Error::io(&self.name, e))?;
                group.run()?;
            }
        }
        Ok(WriteSummary {
            records: self.records,
            resumed: self.resumed,
            stats: self.stats.unwrap_or_default(),
            statistics,
            sha256,
            bytes: tracked.bytes,
            write_path,
        })
    }
}

/// The checkpoints of a file written through a partial file with `options`.
fn checkpoints_of(
    options: &WriteOptions,
    partial: Option<&Path>,
    name: &Path,
) -> Result<Option<Checkpoints>, Error> {
    // A Parquet file's bytes come a row group at a time, after its records were
    // counted: no byte count is ever a record boundary to vouch for.
    if partial.is_none() || options.format == Format::Parquet {
        return Ok(None);
    }
    let header = AnySink::<Vec<u8>>::header(options.format, &options.metadata)
        .map_err(|e| Error::io(name, e))?;
    Ok(Some(Checkpoints {
        settings: settings_digest(
            options.format,
            options.statistics,
            &options.metadata,
            &header,
        ),
        next: CHECKPOINT_EVERY,
        segments: Vec::new(),
        pending: None,
    }))
}

/// [`check`] after what the checkpoint vouched for; where the partial file does not go
/// on there as the run writes it, the record's word is not taken (`kept` becomes
/// `None`, the record is removed) and the whole file is checked, as without one.
fn check_or_fall_back(
    file: &AtomicFile,
    path: &Path,
    partial: &Path,
    header: &[u8],
    count: u64,
    rerun: &mut dyn Rerun,
    kept: &mut Option<Kept>,
) -> Result<PartialScan, Error> {
    match check(file, partial, header, count, rerun, kept.as_ref()) {
        Err(e) if kept.is_some() && e.data_kind() == Some(DataKind::Mismatch) => {
            if let Some(pending) = kept.take().and_then(|k| k.pending) {
                let _ = pending.outcome();
            }
            crate::checkpoint::remove_record(path);
            check(file, partial, header, count, rerun, None)
        }
        other => other,
    }
}

/// Checks the partial file: after what a checkpoint vouched for (`kept`), or whole.
fn check(
    file: &AtomicFile,
    partial: &Path,
    header: &[u8],
    count: u64,
    rerun: &mut dyn Rerun,
    kept: Option<&Kept>,
) -> Result<PartialScan, Error> {
    let mut input = file.read_partial()?;
    let Some(kept) = kept else {
        rerun.start_after(0, StatsAccumulator::new());
        return check_partial(io::BufReader::new(input), partial, header, count, rerun);
    };
    rerun.start_after(kept.records, kept.stats.clone());
    input
        .seek(io::SeekFrom::Start(kept.bytes))
        .map_err(|e| Error::io(partial, e))?;
    let scan = PartialScan {
        valid_len: kept.bytes,
        records: kept.records,
    };
    check_records(io::BufReader::new(input), partial, scan, count, rerun)
}

/// The XXH3-128 of the kept bytes after what a checkpoint vouches for (all of them
/// without one), and with `sha`, the SHA-256 of the first `len` bytes (continuing the
/// checkpoint's).
fn hash_kept(
    file: &AtomicFile,
    partial: &Path,
    kept: Option<Kept>,
    len: u64,
    sha: bool,
) -> Result<(Xxh3, Option<Sha256>), Error> {
    // After a checkpoint, a new segment starts where it ended.
    let mut content = Xxh3::new();
    let (mut hash, from) = match kept {
        Some(k) => (k.sha, k.bytes),
        None => (sha.then(Sha256::new), 0),
    };
    let input = file.read_partial()?;
    hash_span(&input, from, len, &mut |b| {
        content.update(b);
        if let Some(h) = hash.as_mut() {
            h.update(b);
        }
    })
    .map_err(|e| Error::io(partial, e))?;
    Ok((content, hash))
}

/// Commits a `.npy` array with its sidecar, after the members of `group`, as one
/// [`Commit`]: all are written and fsynced before any is renamed, and the sidecar takes
/// its name before the array, so whoever finds the array finds its sidecar; a failure
/// leaves none.
pub(crate) fn commit_with_sidecar(
    group: Commit,
    array: AtomicFile,
    sidecar: &NpySidecar,
) -> Result<(), Error> {
    let path = sidecar_path(array.path());
    let mut side = AtomicFile::create(&path)?;
    side.write_all(&sidecar.to_json())
        .map_err(|e| Error::io(&path, e))?;
    group.with(side).with(array).run()
}
