//! One `.npy` file written by every rank ([`JobOutput::SharedNpy`]).
//!
//! Rows have a fixed width, so rank r's rows have a fixed place in the file. Rank 0
//! claims `<path>.partial` (created exclusively and locked, as every dpa output), writes
//! the header and sizes the file; every rank then writes its own rows at its own offset
//! with positioned writes (`pwrite`), which any POSIX file system shared by the nodes
//! allows (no MPI-IO is needed). Each rank hashes the bytes it writes (rank 0's also the
//! header) and fsyncs them; rank 0 gathers the digests, one a rank, and writes the
//! sidecar (version 2: the file in `segments`, [`crate::formats::segments`]) with the
//! statistics of every rank merged exactly, and renames the file into place. No rank
//! reads or hashes another rank's rows. A job that fails leaves nothing at `path`.
//!
//! Each rank keeps a small progress record next to the partial file
//! (`<path>.partial.rank-RRRRR-of-PPPPP`): how many of its rows are on disk (fsynced
//! first) and their XXH3-128 digest. `--resume` continues from there: rows a record vouches for
//! are read back and checked against its digest, the rest are written again.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use xxhash_rust::xxh3::Xxh3;

use super::communicator::Communicator;
use super::files::{read_json, remove_stale};
use super::manifest::{build_manifest, Manifest, ShardEntry, ShardTimings};
use super::plan::{host_name, GenerateJob, JobError};
use super::progress::{self, progress_path, Progress, Saver, PROGRESS_EVERY};
use crate::atomic::{partial_path, AtomicFile};
use crate::checkpoint::xxh3_hex;
use crate::engine::{Engine, EngineConfig};
use crate::error::{ConfigError, DataKind, Error};
use crate::formats::npy::{header_bytes, NpySidecar, RowLayout};
use crate::formats::segments::Segment;
use crate::formats::{FileMetadata, Format};
use crate::params::{Generator, Hash};
use crate::split::id_range;
use crate::stats::StatsAccumulator;
use crate::write::{ChunkSink, EncodedChunk, Pipeline};

/// Where this rank's rows go, and what is already there.
struct Rows {
    /// The partial file.
    file: File,
    partial: PathBuf,
    /// Byte offset of the rank's first row.
    offset: u64,
    width: u64,
    /// Rows already on disk and checked (resumed), their digest state and statistics.
    done: u64,
    hash: Xxh3,
    /// The SHA-256 of this rank's segment of the file: its rows (rank 0: the header,
    /// then its rows).
    segment: Sha256,
    stats: StatsAccumulator,
    /// What this rank's record says besides `rows` and `xxh3`.
    progress: Progress,
    record: PathBuf,
}

/// What this rank generates, and with what.
struct Work {
    generator: Arc<Generator>,
    engine: Engine,
    seeding: crate::seeding::Seeding,
    first: u64,
    count: u64,
}

/// Runs the job with a shared output at `path`; see the module documentation.
pub(crate) fn run<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
    path: &Path,
) -> Result<Option<Manifest>, JobError> {
    let size = comm.size() as u64;
    let meta = job.whole_metadata(size);
    let layout = RowLayout::for_metadata(&meta);
    let header = header_bytes(layout, job.num_samples).map_err(|e| Error::io(path, e))?;
    let width = layout.row_bytes() as u64;
    let total = job
        .num_samples
        .checked_mul(width)
        .and_then(|b| b.checked_add(header.len() as u64))
        .ok_or(ConfigError::Invalid {
            field: "num_samples",
            message: "the .npy file would be larger than 2^64 bytes".into(),
        })?;
    if job.resume {
        if let Some(finished) = in_place(comm, job, path) {
            return Ok(finished);
        }
    }
    let root = comm.rank() == 0;
    let claimed = agree(comm, || match root {
        true => claim(job, path, &header, total).map(Some),
        false => Ok(None),
    })?;
    // How rank 0 started: only a continued partial file makes the progress records
    // count.
    let mut start = vec![claimed.as_ref().map_or(0, Claimed::code)];
    comm.broadcast_bytes(0, &mut start);
    let resumed = start == [Claimed::CONTINUED];
    let place = Place {
        path,
        header: &header,
        offset: header.len() as u64,
        width,
        total,
    };
    let (rows, work) = agree(comm, || open_rows(comm, job, &place, resumed))?;
    comm.barrier();
    let t0 = comm.wtime();
    // A rank whose writing fails returns at once, without waiting in a collective for
    // the others to finish their shares: its caller aborts the job (MPI_Abort), which
    // ends every rank within seconds however large the job.
    let written = write_rows(comm, job, rows, &work, t0)?;
    let (entry, stats) = agree(comm, || Ok(written))?;
    let all_stats = comm.gather_bytes(0, &stats.to_bytes());
    let entry_json = serde_json::to_vec(&entry).unwrap_or_default();
    let all_entries = comm.gather_bytes(0, &entry_json);
    let reported = comm.wtime();
    let finished = match (claimed, all_stats, all_entries) {
        (Some(Claimed { file, .. }), Some(stats), Some(entries)) => {
            let mut manifest = build_manifest(job, size, &stats, &entries)?;
            finish(file, job, meta, &manifest)?;
            manifest.commit_seconds = comm.wtime() - reported;
            Some(manifest)
        }
        _ => None,
    };
    // The records are of no use once the file is in place (or, on a failure, to anyone
    // but a resume): each rank removes its own after rank 0 has finished.
    let finished = agree(comm, || Ok(finished))?;
    let _ = std::fs::remove_file(progress_path(path, comm.rank() as u64, size));
    Ok(finished)
}

/// Runs `step` on this rank, then lets every rank know whether all succeeded, so that
/// all of them stop at the same point: the failing rank with its own error, the others
/// with [`JobError::Peer`] naming the highest failed rank. No rank is left waiting in a
/// collective.
fn agree<C: Communicator, T>(
    comm: &C,
    step: impl FnOnce() -> Result<T, JobError>,
) -> Result<T, JobError> {
    let result = step();
    let mut failed = [if result.is_err() {
        comm.rank() as f64 + 1.0
    } else {
        0.0
    }];
    comm.all_reduce_f64(&mut failed, super::communicator::ReduceOp::Max);
    match (result, failed[0]) {
        (Err(e), _) => Err(e),
        (Ok(v), 0.0) => Ok(v),
        (Ok(_), f) => Err(JobError::Peer { rank: f as u64 - 1 }),
    }
}

/// Rank 0: the partial file, claimed for this run (continued, with `resume`, when its
/// header and size are this run's; else started afresh). Other ranks: `None`.
fn claim_on_root(
    path: &Path,
    header: &[u8],
    total: u64,
    resume: bool,
) -> Result<AtomicFile, Error> {
    if resume {
        if let Some(mut file) = AtomicFile::resume(path)? {
            let partial = partial_path(path);
            let mut head = vec![0u8; header.len()];
            let f = file.file()?;
            let len = f.metadata().map_err(|e| Error::io(&partial, e))?.len();
            let read = f.read_exact_at(&mut head, 0);
            if len == total && read.is_ok() && head == header {
                return Ok(file);
            }
            file.keep_partial_on_drop(true);
            let message = format!("its header or size ({len} bytes, this run's: {total}) is not this run's: remove it, or run the job that wrote it");
            return Err(Error::data_of(
                DataKind::Mismatch,
                &partial,
                "header",
                message,
            ));
        }
    }
    let mut file = AtomicFile::create(path)?;
    let Some(partial) = file.partial().map(Path::to_path_buf) else {
        let message = "a shared .npy output must be a regular file, not a device or pipe";
        return Err(Error::io(path, io::Error::other(message)));
    };
    file.keep_partial_on_drop(true);
    file.write_all(header).map_err(|e| Error::io(&partial, e))?;
    file.file()?
        .set_len(total)
        .map_err(|e| Error::io(&partial, e))?;
    Ok(file)
}

/// The partial file rank 0 holds, and whether it was continued.
struct Claimed {
    file: AtomicFile,
    continued: bool,
}

impl Claimed {
    const NEW: u8 = 0;
    const CONTINUED: u8 = 1;

    /// How rank 0 started, for the other ranks.
    fn code(&self) -> u8 {
        match self.continued {
            false => Claimed::NEW,
            true => Claimed::CONTINUED,
        }
    }
}

fn claim(job: &GenerateJob, path: &Path, header: &[u8], total: u64) -> Result<Claimed, JobError> {
    let partial = std::fs::symlink_metadata(partial_path(path)).is_ok();
    let file = claim_on_root(path, header, total, job.resume)?;
    Ok(Claimed {
        file,
        continued: job.resume && partial,
    })
}

/// A resumed job whose file is in place already, with no partial file beside it:
/// `Some` (rank 0: its manifest) when rank 0 finds the sidecar this job's and every
/// rank its own segment of the file as the sidecar says ([`super::in_place`]). The
/// same answer on every rank; `None`, and the job is written again.
fn in_place<C: Communicator>(comm: &C, job: &GenerateJob, path: &Path) -> Option<Option<Manifest>> {
    let size = comm.size() as u64;
    let no_partial = || std::fs::symlink_metadata(partial_path(path)).is_err();
    let candidate = match comm.rank() {
        0 if no_partial() => super::in_place::candidate(job, size, path),
        _ => None,
    };
    let mut found = vec![u8::from(candidate.is_some())];
    comm.broadcast_bytes(0, &mut found);
    if found != [1] || !super::in_place::check_segments(comm, job, path) {
        return None;
    }
    Some(candidate)
}

/// Where the rows of the whole file go.
struct Place<'a> {
    path: &'a Path,
    /// The file's header.
    header: &'a [u8],
    /// Bytes before the first row (the header).
    offset: u64,
    /// Bytes in a row.
    width: u64,
    /// Bytes in the file.
    total: u64,
}

/// Opens the partial file rank 0 sized, and finds where this rank's rows start and
/// (when resuming) how many of them are on disk already.
fn open_rows<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
    place: &Place<'_>,
    resumed: bool,
) -> Result<(Rows, Work), JobError> {
    let (rank, size) = (comm.rank() as u64, comm.size() as u64);
    let (first, count, seeding) = job.shard(rank, size)?;
    let work = Work {
        generator: Arc::new(Generator::new(job.config.clone())?.with_kernel(job.kernel)),
        engine: Engine::new(EngineConfig {
            threads: job.threads,
            ..Default::default()
        })?,
        seeding,
        first,
        count,
    };
    let partial = partial_path(place.path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&partial)
        .map_err(|e| Error::io(&partial, e))?;
    let meta = file.metadata().map_err(|e| Error::io(&partial, e))?;
    if !meta.is_file() || meta.len() != place.total {
        let message = format!("is not the file rank 0 sized ({} bytes, expected {}): is the folder shared by every node?", meta.len(), place.total);
        return Err(Error::data(&partial, "size", message).into());
    }
    let record = progress_path(place.path, rank, size);
    let mut rows = Rows {
        file,
        partial,
        offset: place.offset + (first - job.start_id) * place.width,
        width: place.width,
        done: 0,
        hash: Xxh3::new(),
        segment: match rank {
            0 => Sha256::new_with_prefix(place.header),
            _ => Sha256::new(),
        },
        stats: StatsAccumulator::new(),
        progress: empty_progress(job, rank, size, first, count),
        record,
    };
    if resumed {
        rows.recover()?;
    }
    if rows.done == 0 {
        // No record, or one this rank does not vouch for: none may claim its rows.
        remove_stale(&rows.record)?;
    }
    Ok((rows, work))
}

/// Writes this rank's rows (after those already there), timed from `t0`; returns its
/// entry for the sidecar and the statistics of all its rows.
fn write_rows<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
    mut rows: Rows,
    work: &Work,
    t0: f64,
) -> Result<(ShardEntry, StatsAccumulator), JobError> {
    let resumed = rows.done;
    let write = rows.write(work, job.with_stats)?;
    let segment = Hash(std::mem::take(&mut rows.segment).finalize().into());
    let total = comm.wtime() - t0;
    let path = match &job.output {
        super::plan::JobOutput::SharedNpy(p) => p.as_path(),
        super::plan::JobOutput::Shards(dir) => dir.as_path(),
    };
    let entry = ShardEntry {
        rank: rows.progress.rank,
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        start: work.first,
        end: work.first + work.count,
        records: work.count,
        resumed,
        // The SHA-256 of this rank's segment of the file (rank 0's: with the header);
        // the sidecar lists them as the file's `segments`.
        sha256: Some(segment),
        seconds: ShardTimings {
            generate: (total - write).max(0.0),
            write,
            total,
        },
        host: host_name(),
        threads: work.engine.threads(),
    };
    Ok((entry, rows.stats))
}

/// The progress record of rank `rank` of `size`, whose rows are `first..first + count`,
/// before any of them is written.
fn empty_progress(job: &GenerateJob, rank: u64, size: u64, first: u64, count: u64) -> Progress {
    Progress {
        settings: job.settings_digest(size),
        rank,
        world_size: size,
        start: first,
        end: first + count,
        rows: 0,
        xxh3: xxh3_hex(&Xxh3::new()),
    }
}

/// Rank 0, once every rank's rows are on disk: the sidecar, whose segments are the
/// ranks' digests of their own bytes, the file in place, and no progress record of any
/// run left beside it.
fn finish(
    file: AtomicFile,
    job: &GenerateJob,
    meta: FileMetadata,
    manifest: &Manifest,
) -> Result<(), Error> {
    let partial = file.partial().map(Path::to_path_buf).unwrap_or_default();
    let layout = RowLayout::for_metadata(&meta);
    let mut segments = Vec::with_capacity(manifest.shards.len());
    let mut ranks = manifest.shards.clone();
    for s in &mut ranks {
        let place = super::in_place::segment_of(job, layout, s.rank, s.start, s.records);
        let (Some((offset, bytes)), Some(sha256)) = (place, s.sha256.take()) else {
            let message = format!("rank {} reported no digest of its rows", s.rank);
            return Err(Error::data(
                &partial,
                format!("report of rank {}", s.rank),
                message,
            ));
        };
        segments.push(Segment {
            offset,
            bytes,
            sha256,
        });
    }
    let mut sidecar = NpySidecar::with_segments(meta, manifest.statistics, segments);
    sidecar.ranks = serde_json::to_value(&ranks).ok();
    let path = file.path().to_path_buf();
    crate::write::commit_with_sidecar(crate::commit::Commit::new(), file, &sidecar)?;
    remove_progress_records(&path);
    Ok(())
}

/// Removes every progress record of `path` (`<path>.partial.rank-RRRRR-of-PPPPP`) and
/// any torn `.tmp` one a killed rank left, whatever the rank count of the run that left
/// it: once the file is in place, none describes anything.
fn remove_progress_records(path: &Path) {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let mut prefix = name.to_os_string();
    prefix.push(".partial.rank-");
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let is_record = |name: &[u8]| {
        let Some(rest) = name.strip_prefix(prefix.as_encoded_bytes()) else {
            return false;
        };
        let digits = |b: &[u8]| !b.is_empty() && b.iter().all(u8::is_ascii_digit);
        let rest = rest.strip_suffix(b".tmp").unwrap_or(rest);
        let text = String::from_utf8_lossy(rest);
        text.split_once("-of-")
            .is_some_and(|(r, p)| digits(r.as_bytes()) && digits(p.as_bytes()))
    };
    for entry in entries.flatten() {
        let ours = is_record(entry.file_name().as_encoded_bytes());
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Rows {
    /// Takes the rows this rank's progress record vouches for, after reading them back
    /// and checking their digest; any doubt (no record, another run's, a digest that
    /// differs) and the rank writes all its rows again.
    fn recover(&mut self) -> Result<(), Error> {
        let Some(p) = read_json::<Progress>(&self.record)? else {
            return Ok(());
        };
        let ours = Progress {
            rows: p.rows,
            xxh3: p.xxh3.clone(),
            ..self.progress.clone()
        };
        if p != ours || p.rows > p.end - p.start {
            return Ok(());
        }
        let mut hash = Xxh3::new();
        let mut segment = self.segment.clone();
        let mut stats = StatsAccumulator::new();
        let decoded = super::rows::scan(
            &self.file,
            self.offset,
            p.rows,
            self.width,
            &mut |b| {
                hash.update(b);
                segment.update(b);
            },
            &mut |_, params| {
                stats.push(&params);
                true
            },
        )
        .map_err(|e| Error::io(&self.partial, e))?;
        if !decoded || xxh3_hex(&hash) != p.xxh3 {
            return Ok(());
        }
        (self.done, self.hash, self.stats) = (p.rows, hash, stats);
        self.segment = segment;
        Ok(())
    }

    /// Generates and writes the rows after `done`, in order, through the one
    /// [`Pipeline`], saving progress every [`PROGRESS_EVERY`] bytes; returns the seconds
    /// spent writing.
    fn write(&mut self, work: &Work, with_stats: bool) -> Result<f64, Error> {
        let remaining = id_range(work.first + self.done, work.count - self.done).map_err(|e| {
            Error::Config {
                path: self.partial.clone(),
                position: "rows".into(),
                error: e,
            }
        })?;
        let run = Pipeline {
            engine: &work.engine,
            generator: &work.generator,
            seeding: work.seeding,
            ids: remaining,
            format: Format::Npy,
            position: 0,
            statistics: with_stats,
            batch_size: crate::batch::BatchConfig::default().batch_size,
        };
        // Progress is saved in the background: the fsyncs overlap the generation.
        let saver = Saver::start(&self.file, &self.partial, &self.record);
        let mut sink = RowSink {
            rows: self,
            saver: &saver,
            since_saved: 0,
        };
        let summary = run.run(&mut sink, &mut |_| {})?;
        let t = std::time::Instant::now();
        saver.finish()?;
        self.save_progress()?;
        Ok((summary.sink_time + t.elapsed()).as_secs_f64())
    }

    /// Makes the rows written so far durable, then says so in the progress record.
    fn save_progress(&mut self) -> Result<(), Error> {
        let progress = self.snapshot();
        progress::save(&self.file, &self.partial, &self.record, &progress)
    }

    /// The progress record for the rows written so far.
    fn snapshot(&mut self) -> Progress {
        self.progress.rows = self.done;
        self.progress.xxh3 = xxh3_hex(&self.hash);
        self.progress.clone()
    }
}

/// A rank's rows as the pipeline's sink: each chunk written at its row offset, hashed
/// and summed, and the progress offered to the saver every [`PROGRESS_EVERY`] bytes.
struct RowSink<'a> {
    rows: &'a mut Rows,
    saver: &'a Saver,
    since_saved: u64,
}

impl ChunkSink for RowSink<'_> {
    fn append(&mut self, encoded: &EncodedChunk) -> Result<(), Error> {
        let rows = &mut *self.rows;
        let at = rows.offset + rows.done * rows.width;
        rows.file
            .write_all_at(&encoded.bytes, at)
            .map_err(|e| Error::io(&rows.partial, e))?;
        rows.hash.update(&encoded.bytes);
        rows.segment.update(&encoded.bytes);
        if let Some(s) = &encoded.stats {
            rows.stats.merge(s);
        }
        rows.done += encoded.records;
        self.since_saved += encoded.bytes.len() as u64;
        if self.since_saved >= PROGRESS_EVERY {
            self.saver.offer(rows.snapshot())?;
            self.since_saved = 0;
        }
        Ok(())
    }

    fn name(&self) -> &Path {
        &self.rows.partial
    }
}
