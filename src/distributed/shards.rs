//! Shards ([`JobOutput::Shards`](super::JobOutput::Shards)): each rank writes its own
//! file, and records what it wrote so that `--resume` can keep it.
//!
//! When a shard is in place, its rank writes `<shard>.done.json` beside it: the job's
//! settings digest, the shard's size, SHA-256 and exact statistics. A resumed job keeps
//! a shard only when that record is this job's and the file's bytes still hash to it;
//! otherwise the shard is written again. A shard that was being written continues from
//! its `.partial` file as `dpa generate --resume` does (its bytes are checked against
//! the records recomputed).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::communicator::Communicator;
use super::files::{hash_file, read_json, remove_stale, write_json};
use super::manifest::{ShardEntry, ShardTimings};
use super::plan::{host_name, shard_file_name, GenerateJob, JobError};
use crate::batch::BatchConfig;
use crate::engine::{Engine, EngineConfig};
use crate::error::Error;
use crate::formats::npy::NpySidecar;
use crate::formats::{FileMetadata, Format};
use crate::params::{Generator, Hash};
use crate::seeding::{decode_hex, encode_hex};
use crate::split::id_range;
use crate::stats::StatsAccumulator;
use crate::write::{generate_to, Destination, Generation, WriteOptions};

/// What a rank records once its shard is in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Done {
    /// [`GenerateJob::settings_digest`] of the job that wrote the shard.
    settings: Hash,
    file: String,
    bytes: u64,
    records: u64,
    sha256: Hash,
    /// The exact statistics accumulator (`StatsAccumulator::to_bytes`), in hex.
    statistics: Option<String>,
}

/// The record of the shard at `shard`: `<shard>.done.json`.
/// A shard's `.done.json` record: beside it, named after it (`_`-prefixed beside a
/// Parquet shard, which dataset readers then skip).
fn done_path(shard: &Path) -> PathBuf {
    let parquet = shard.extension().is_some_and(|e| e == "parquet");
    let mut s = std::ffi::OsString::from(if parquet { "_" } else { "" });
    s.push(shard.file_name().unwrap_or_default());
    s.push(".done.json");
    shard.with_file_name(s)
}

/// A shard as its rank left it: written now, or kept from a killed run.
struct Written {
    records: u64,
    /// Records kept from a killed run.
    resumed: u64,
    sha256: Hash,
    stats: StatsAccumulator,
    /// Seconds spent encoding and writing.
    write: f64,
}

/// Generates and writes this rank's shard (timed from a barrier), or keeps it when
/// resuming and it checks out; returns its manifest entry and statistics.
pub(crate) fn write_shard<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
    dir: &Path,
) -> Result<(ShardEntry, StatsAccumulator), JobError> {
    let (rank, size) = (comm.rank() as u64, comm.size() as u64);
    let (first, count, _) = job.shard(rank, size)?;
    let engine = Engine::new(EngineConfig {
        threads: job.threads,
        ..Default::default()
    })?;
    let file = shard_file_name(rank, size, job.format);
    let path = dir.join(&file);
    let settings = job.settings_digest(size);
    let sidecar = (job.format == Format::Npy)
        .then(|| job.shard_metadata(rank, size))
        .transpose()?;
    let kept = match job.resume {
        true => keep_finished(&path, &settings, job.with_stats, sidecar)?,
        false => remove_stale(&done_path(&path)).map(|()| None)?,
    };
    comm.barrier();
    let t0 = comm.wtime();
    let written = match kept {
        Some(kept) => kept,
        None => write_new(job, rank, size, &engine, &path, &settings)?,
    };
    let total = comm.wtime() - t0;
    let entry = ShardEntry {
        rank,
        file,
        start: first,
        end: first + count,
        records: written.records,
        resumed: written.resumed,
        sha256: Some(written.sha256),
        seconds: ShardTimings {
            generate: (total - written.write).max(0.0),
            write: written.write,
            total,
        },
        host: host_name(),
        threads: engine.threads(),
    };
    Ok((entry, written.stats))
}

/// Writes the shard (continuing its partial file when resuming), then its record.
fn write_new(
    job: &GenerateJob,
    rank: u64,
    size: u64,
    engine: &Engine,
    path: &Path,
    settings: &Hash,
) -> Result<Written, JobError> {
    let (first, count, seeding) = job.shard(rank, size)?;
    let generator = Arc::new(Generator::new(job.config.clone())?.with_kernel(job.kernel));
    let what = Generation {
        engine,
        generator: &generator,
        seeding,
        ids: id_range(first, count)?,
    };
    let options = WriteOptions {
        format: job.format,
        metadata: job.shard_metadata(rank, size)?,
        statistics: job.with_stats,
        // A killed or failed run leaves its partial shard for --resume.
        keep_partial: true,
        checksum: true,
    };
    let destination = Destination::File(path.to_path_buf());
    let done = generate_to(
        &what,
        destination,
        &options,
        job.resume,
        BatchConfig::default(),
        &mut |_| {},
    )?;
    let sha256 = done.write.sha256.unwrap_or_default();
    let record = Done {
        settings: *settings,
        file: shard_file_name(rank, size, job.format),
        bytes: done.write.bytes,
        records: done.write.records,
        sha256,
        statistics: job
            .with_stats
            .then(|| encode_hex(&done.write.stats.to_bytes())),
    };
    write_json(&done_path(path), &record)?;
    Ok(Written {
        records: done.write.records,
        resumed: done.write.resumed,
        sha256,
        stats: done.write.stats,
        write: done.write_time.as_secs_f64(),
    })
}

/// The shard at `path`, when its record is this job's and its bytes hash to it; for a
/// `.npy` shard, when its sidecar is also the one this job writes (with `sidecar`'s
/// metadata).
fn keep_finished(
    path: &Path,
    settings: &Hash,
    with_stats: bool,
    sidecar: Option<FileMetadata>,
) -> Result<Option<Written>, Error> {
    let Some(done) = read_json::<Done>(&done_path(path))? else {
        return Ok(None);
    };
    let stats = match (&done.statistics, with_stats) {
        (Some(h), true) => match decode_hex(h)
            .as_deref()
            .and_then(StatsAccumulator::from_bytes)
        {
            Some(stats) => stats,
            None => return Ok(None),
        },
        (None, false) => StatsAccumulator::new(),
        _ => return Ok(None),
    };
    if done.settings != *settings {
        return Ok(None);
    }
    let file = match crate::identity::open_regular(path, false) {
        Ok(Some(f)) if f.metadata().is_ok_and(|m| m.len() == done.bytes) => f,
        _ => return Ok(None),
    };
    let (bytes, sha256) = hash_file(&file, path)?;
    if bytes != done.bytes || sha256 != done.sha256 {
        return Ok(None);
    }
    // The record's count and statistics are claims too: they must be the rows'.
    if read_back(path, with_stats)? != Some((done.records, stats.clone())) {
        return Ok(None);
    }
    if let Some(metadata) = sidecar {
        let statistics = with_stats.then(|| stats.finish());
        let want = NpySidecar::new(metadata, statistics, done.bytes, done.sha256);
        if NpySidecar::load(path).ok().flatten() != Some(want) {
            return Ok(None);
        }
    }
    Ok(Some(Written {
        records: done.records,
        resumed: done.records,
        sha256: done.sha256,
        stats,
        write: 0.0,
    }))
}

/// The number of records of a kept shard and, with `with_stats`, their exact
/// statistics, from its rows read back (no generation); `None` when it cannot be read.
fn read_back(path: &Path, with_stats: bool) -> Result<Option<(u64, StatsAccumulator)>, Error> {
    let (mut count, mut stats) = (0u64, StatsAccumulator::new());
    let read = crate::formats::read_records(path, |p| {
        count += 1;
        if with_stats {
            stats.push(&p);
        }
        Ok(())
    });
    Ok(read.ok().map(|_| (count, stats)))
}
