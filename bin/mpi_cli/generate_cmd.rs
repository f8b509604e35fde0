//! `dpa-mpi generate`: the job from the flags, checked on every rank before MPI
//! starts, and rank 0's table.

use std::io::Write;
use std::path::Path;

use dpa::distributed::{GenerateJob, GlobalSeeding, JobOutput, Manifest};
use dpa::Format;

use super::args::{GenerateArgs, SeedingArg};
use crate::common::failure::Failure;
use crate::common::format_arg::FormatArg;

/// The job and whether rank 0 stays quiet, from the flags; every check that can be
/// made before MPI starts is made here.
pub fn prepare(a: &GenerateArgs) -> Result<(GenerateJob, bool), Failure> {
    let (output, format) = job_output(a.output_dir.as_deref(), a.output.as_deref(), a.format)?;
    if a.base_seed.is_some() && a.seeding != SeedingArg::RankAware {
        return Err(Failure::usage_msg(
            "--base-seed seeds rank-aware records, and the default seeding is global (the same values on any number of ranks): add --seeding rank-aware for the reference's distributed mode",
        ));
    }
    let job = GenerateJob {
        config: a.range.config.resolve()?,
        num_samples: a.range.num_samples,
        start_id: a.range.start_id,
        base_seed: a.seed.or(a.base_seed).unwrap_or(0),
        epoch: a.epoch.unwrap_or(0),
        seeding: match (a.seed, a.seeding) {
            (Some(_), _) => GlobalSeeding::Keyed,
            (None, SeedingArg::RankAware) => GlobalSeeding::RankAware,
            (None, SeedingArg::Global) => GlobalSeeding::Global,
        },
        format,
        threads: a.threads,
        output,
        resume: a.resume,
        with_stats: !a.no_stats,
        kernel: crate::common::kernel::kernel()?,
        compression: a.compression.into(),
    };
    job.validate()?;
    match &job.output {
        JobOutput::Shards(dir) => prepare_output_dir(dir)?,
        JobOutput::SharedNpy(path) => {
            not_an_input(path, &a.range.config.inputs())?;
            prepare_output_file(path)?
        }
    }
    Ok((job, a.quiet))
}

/// Where the job writes, from the flags: shards in a folder (default format jsonl), or
/// one shared file (npy only).
fn job_output(
    dir: Option<&Path>,
    file: Option<&Path>,
    format: Option<FormatArg>,
) -> Result<(JobOutput, Format), Failure> {
    match (dir, file) {
        (Some(dir), _) => Ok((
            JobOutput::Shards(dir.to_path_buf()),
            format.map_or(Format::Jsonl, Format::from),
        )),
        (None, Some(file)) => shared_output(file, format),
        (None, None) => Err(Failure::usage_msg(
            "pass --output-dir DIR or --output FILE.npy",
        )),
    }
}

/// One shared file: a NumPy array, whose name must say so (`.npy`), since a file named
/// for another format would hold what its name does not say.
fn shared_output(file: &Path, format: Option<FormatArg>) -> Result<(JobOutput, Format), Failure> {
    let named_npy = file.extension().is_some_and(|e| e == "npy");
    match format.map_or(Format::Npy, Format::from) {
        Format::Npy if named_npy => Ok((JobOutput::SharedNpy(file.to_path_buf()), Format::Npy)),
        Format::Npy => Err(Failure::usage_msg(format!(
            "--output {}: a shared file is a NumPy array, named FILE.npy (the one format a shared file supports); for json, jsonl or bincode use --output-dir DIR --format FORMAT",
            file.display()
        ))),
        other => Err(Failure::usage_msg(format!(
            "--output writes one file that every rank writes its rows into: a .npy file (--format npy), not {other}; use --output-dir for shards of other formats"
        ))),
    }
}

/// The shared file and its sidecar are none of the command's inputs (`--config`).
fn not_an_input(path: &Path, inputs: &[(&str, &Path)]) -> Result<(), Failure> {
    use dpa::identity::FileId;
    let sidecar = dpa::formats::npy::sidecar_path(path);
    for out in [path, sidecar.as_path()] {
        for (flag, input) in inputs {
            if FileId::of(out).is_some() && FileId::of(out) == FileId::of(input) {
                return Err(Failure::usage_msg(format!(
                    "--output {} and {flag} {} are the same file",
                    out.display(),
                    input.display()
                )));
            }
        }
    }
    Ok(())
}

/// A shared output file: its folder is created if missing; a folder (or its sidecar's
/// name being one) is refused.
fn prepare_output_file(path: &Path) -> Result<(), Failure> {
    let sidecar = dpa::formats::npy::sidecar_path(path);
    for p in [path, sidecar.as_path()] {
        if p.is_dir() {
            return Err(Failure::usage_msg(format!(
                "--output {}: is a folder",
                p.display()
            )));
        }
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => prepare_output_dir(dir),
        _ => Ok(()),
    }
}

/// The output folder: created if missing; a path that is not a folder is refused.
fn prepare_output_dir(dir: &Path) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::usage_msg(format!(
            "--output-dir {}: not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::data(dpa::Error::io(dir, e)))?;
    Ok(())
}

/// Rank 0's table: each rank's part and timings, then the totals.
pub fn print_manifest(m: &Manifest, output: &JobOutput) {
    let mut out = String::new();
    out.push_str(&format!(
        "{:>5} {:>14} {:>14} {:>12} {:>12} {:>9} {:>9} {:>9} {:>12} {:>8} host\n",
        "rank",
        "start",
        "end",
        "records",
        "resumed",
        "gen s",
        "write s",
        "total s",
        "records/s",
        "threads"
    ));
    for s in &m.shards {
        // Records this run wrote (a resumed job kept the others).
        let rate = if s.seconds.total > 0.0 {
            (s.records - s.resumed.min(s.records)) as f64 / s.seconds.total
        } else {
            0.0
        };
        out.push_str(&format!(
            "{:>5} {:>14} {:>14} {:>12} {:>12} {:>9.3} {:>9.3} {:>9.3} {:>12.0} {:>8} {}\n",
            s.rank,
            s.start,
            s.end,
            s.records,
            s.resumed,
            s.seconds.generate,
            s.seconds.write,
            s.seconds.total,
            rate,
            s.threads,
            s.host
        ));
    }
    let records: u64 = m.shards.iter().map(|s| s.records).sum();
    let resumed: u64 = m.shards.iter().map(|s| s.resumed).sum();
    let kept = match resumed {
        0 => String::new(),
        n => format!(" ({n} kept from the killed run)"),
    };
    out.push_str(&format!(
        "total: {records} records{kept} on {} ranks in {:.3} s ({:.0} records/s, slowest rank {}), {} seeding -> {}\n",
        m.world_size,
        m.total_seconds,
        m.aggregate_throughput,
        m.slowest_rank,
        m.seeding,
        match output {
            JobOutput::Shards(dir) => dir
                .join(dpa::distributed::manifest_file_name(m.format))
                .display()
                .to_string(),
            JobOutput::SharedNpy(path) => format!(
                "{} (sidecar {})",
                path.display(),
                dpa::formats::npy::sidecar_path(path).display()
            ),
        }
    ));
    out.push_str(&format!(
        "commit: {:.3} s on rank 0 after the last rank's last row\n",
        m.commit_seconds
    ));
    let _ = std::io::stdout().write_all(out.as_bytes());
}
