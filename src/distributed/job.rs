//! The distributed generate job, written once against [`Communicator`]: each rank
//! writes its shard or its rows of the shared file, and rank 0 writes the manifest.

use super::communicator::Communicator;
use super::manifest::{build_manifest, write_manifest, Manifest};
use super::plan::{GenerateJob, JobError, JobOutput};

/// Runs the job on this rank: generate and write its shard, then gather counts,
/// hashes, statistics and timings at rank 0, which writes `manifest.json` and returns
/// it. A rank that fails returns its error; the caller must then abort the job (a
/// failed rank cannot take part in the collectives the others wait in).
pub fn run_generate<C: Communicator>(
    comm: &C,
    job: &GenerateJob,
) -> Result<Option<Manifest>, JobError> {
    job.validate()?;
    let dir = match &job.output {
        JobOutput::Shards(dir) => dir,
        JobOutput::SharedNpy(path) => return super::shared::run(comm, job, path),
    };
    let (entry, stats) = super::shards::write_shard(comm, job, dir)?;
    let all_stats = comm.gather_bytes(0, &stats.to_bytes());
    let entry_json = serde_json::to_vec(&entry).unwrap_or_default();
    let all_entries = comm.gather_bytes(0, &entry_json);
    let (Some(all_stats), Some(all_entries)) = (all_stats, all_entries) else {
        return Ok(None);
    };
    let reported = comm.wtime();
    let mut manifest = build_manifest(job, comm.size() as u64, &all_stats, &all_entries)?;
    write_manifest(
        &dir.join(super::plan::manifest_file_name(job.format)),
        &manifest,
    )?;
    manifest.commit_seconds = comm.wtime() - reported;
    Ok(Some(manifest))
}
