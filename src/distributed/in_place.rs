//! `--resume` of a shared-file job that finished before it was stopped: the file is in
//! place with its sidecar. Rank 0 checks what the sidecar says of the job (O(P): its
//! metadata, one entry and one segment a rank); then every rank checks its own
//! segment of the file, as it wrote it: the bytes' SHA-256 against the segment's, and
//! each row's id and rank; and rank 0 checks the sidecar's statistics against those of
//! every rank's rows, merged. No rank reads more of the file than its own rows. Any
//! doubt, and the job is written again.

use std::os::unix::fs::FileExt;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use super::communicator::{Communicator, ReduceOp};
use super::manifest::{manifest_of, Manifest, ShardEntry, ShardTimings};
use super::plan::GenerateJob;
use crate::formats::npy::{NpySidecar, RowLayout};
use crate::params::Hash;
use crate::stats::StatsAccumulator;

/// Rank 0: the manifest of a job whose file is in place, when its sidecar is this
/// job's, version 2, with one entry and one segment a rank where this job puts them.
/// It still has to pass [`check_segments`].
pub(crate) fn candidate(job: &GenerateJob, size: u64, path: &Path) -> Option<Manifest> {
    let sidecar = NpySidecar::load(path).ok()??;
    let (m, want) = (&sidecar.metadata, job.whole_metadata(size));
    let same = m.config == want.config
        && m.num_samples == want.num_samples
        && m.start_id == want.start_id
        && m.seeding == want.seeding
        && sidecar.statistics.is_some() == job.with_stats;
    let ranks = sidecar.ranks.clone()?;
    let mut shards = serde_json::from_value::<Vec<ShardEntry>>(ranks).ok()?;
    let segments = sidecar.segments.as_ref()?;
    if !same || shards.len() as u64 != size || segments.len() as u64 != size {
        return None;
    }
    let layout = RowLayout::for_metadata(&want);
    for ((rank, s), seg) in (0..size).zip(&shards).zip(segments) {
        let (first, count, _) = job.shard(rank, size).ok()?;
        let (offset, bytes) = segment_of(job, layout, rank, first, count)?;
        let place = (s.rank, s.start, s.end, s.records, seg.offset, seg.bytes);
        if place != (rank, first, first + count, count, offset, bytes) {
            return None;
        }
    }
    for s in &mut shards {
        s.resumed = s.records;
        s.seconds = ShardTimings {
            generate: 0.0,
            write: 0.0,
            total: 0.0,
        };
    }
    Some(manifest_of(job, size, shards, sidecar.statistics))
}

/// Where rank `rank`'s segment lies in the file: after the header (which rank 0's
/// segment also covers), at its first row. A rank without rows (there are more ranks
/// than samples: [`crate::split_range`] gives it `0..0`) has an empty segment at the
/// end of the file, where the ranks before it end.
pub(crate) fn segment_of(
    job: &GenerateJob,
    layout: RowLayout,
    rank: u64,
    first: u64,
    count: u64,
) -> Option<(u64, u64)> {
    let header = crate::formats::npy::header_bytes(layout, job.num_samples).ok()?;
    let width = layout.row_bytes() as u64;
    let before = match count {
        0 => job.num_samples,
        _ => first.checked_sub(job.start_id)?,
    };
    let rows_at = (header.len() as u64).checked_add(before.checked_mul(width)?)?;
    let bytes = count.checked_mul(width)?;
    match rank {
        0 => Some((0, rows_at.checked_add(bytes)?)),
        _ => Some((rows_at, bytes)),
    }
}

/// Every rank: whether its own segment of the file at `path` is as the sidecar says,
/// and (rank 0) the merged statistics of every rank's rows are the sidecar's. The same
/// answer on every rank.
pub(crate) fn check_segments<C: Communicator>(comm: &C, job: &GenerateJob, path: &Path) -> bool {
    let own = check_own(comm, job, path);
    let stats = own.as_ref().map(StatsAccumulator::to_bytes);
    let all = comm.gather_bytes(0, &stats.clone().unwrap_or_default());
    let mut ok = [f64::from(u8::from(own.is_some()))];
    if let Some(all) = all {
        ok[0] = ok[0].min(f64::from(u8::from(stats_match(job, path, &all))));
    }
    comm.all_reduce_f64(&mut ok, ReduceOp::Min);
    ok[0] == 1.0
}

/// This rank's rows' statistics, when its segment's digest and rows check out.
fn check_own<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
    path: &Path,
) -> Option<StatsAccumulator> {
    let size = comm.size() as u64;
    let rank = comm.rank() as u64;
    let sidecar = NpySidecar::load(path).ok()??;
    let claimed = *sidecar.segments.as_ref()?.get(rank as usize)?;
    let layout = RowLayout::for_metadata(&job.whole_metadata(size));
    let (first, count, _) = job.shard(rank, size).ok()?;
    let (offset, bytes) = segment_of(job, layout, rank, first, count)?;
    if (claimed.offset, claimed.bytes) != (offset, bytes) {
        return None;
    }
    let file = crate::identity::open_regular(path, false).ok()??;
    let mut hash = Sha256::new();
    let rows_at = offset + bytes - count * layout.row_bytes() as u64;
    if rank == 0 {
        let mut header = vec![0u8; rows_at as usize];
        file.read_exact_at(&mut header, 0).ok()?;
        hash.update(&header);
    }
    let stats = read_rows(&file, rows_at, first, count, layout, rank, &mut hash)?;
    (Hash(hash.finalize().into()) == claimed.sha256).then_some(stats)
}

/// Reads `count` rows from `at`, hashing them and checking each one's id (from
/// `first`) and rank column; their statistics.
fn read_rows(
    file: &std::fs::File,
    at: u64,
    first: u64,
    count: u64,
    layout: RowLayout,
    rank: u64,
    hash: &mut Sha256,
) -> Option<StatsAccumulator> {
    let mut stats = StatsAccumulator::new();
    let want_rank = layout.rank.then_some(rank);
    let width = layout.row_bytes() as u64;
    let ok = super::rows::scan(
        file,
        at,
        count,
        width,
        &mut |b| hash.update(b),
        &mut |i, p| {
            let fits = p.sample_id == first + i && p.rank == want_rank;
            stats.push(&p);
            fits
        },
    );
    ok.ok()?.then_some(stats)
}

/// Rank 0: whether the sidecar's statistics are every rank's rows' (`all`, in rank
/// order), merged.
fn stats_match(job: &GenerateJob, path: &Path, all: &[Vec<u8>]) -> bool {
    let Ok(Some(sidecar)) = NpySidecar::load(path) else {
        return false;
    };
    if !job.with_stats {
        return sidecar.statistics.is_none();
    }
    let mut merged = StatsAccumulator::new();
    for part in all {
        let Some(part) = StatsAccumulator::from_bytes(part) else {
            return false;
        };
        if merged.checked_merge(&part).is_none() {
            return false;
        }
    }
    // Compared as JSON: the statistics of no rows hold NaN, which equals nothing.
    let json = |s: &Option<crate::stats::Statistics>| serde_json::to_vec(s).ok();
    json(&sidecar.statistics) == json(&Some(merged.finish()))
}
