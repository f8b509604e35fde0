//! A whole 4-rank distributed job in one process: the in-memory communicator runs the
//! same job logic as `mpirun -n 4 dpa-mpi generate`, writes the shards and, on rank 0,
//! the manifest with merged statistics.
//!
//! Run: `cargo run --release --example distributed_multiprocess_coordination`

use dpa::distributed::{run_generate, Communicator, GenerateJob, GlobalSeeding, LocalCommunicator};
use dpa::{Format, Preset};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join("dpa-local-job");
    std::fs::create_dir_all(&dir)?;
    let job = GenerateJob {
        config: Preset::Moderate.config(),
        num_samples: 1_000_003,
        start_id: 0,
        base_seed: 0,
        epoch: 0,
        seeding: GlobalSeeding::RankAware,
        format: Format::Bincode,
        threads: Some(1),
        output: dpa::distributed::JobOutput::Shards(dir.clone()),
        resume: false,
        with_stats: true,
        kernel: dpa::kernel::Kernel::detect(),
        compression: Default::default(),
    };
    let results = LocalCommunicator::run(4, |comm| match run_generate(comm, &job) {
        Ok(manifest) => manifest,
        Err(e) => {
            eprintln!("rank {}: {e}", comm.rank());
            comm.abort(1)
        }
    })?;
    let manifest = results[0].as_ref().ok_or("rank 0 wrote no manifest")?;
    for s in &manifest.shards {
        println!(
            "rank {}: ids {}..{} ({} records) in {:.3} s, sha256 {}…",
            s.rank,
            s.start,
            s.end,
            s.records,
            s.seconds.total,
            s.sha256
                .as_ref()
                .map_or(String::new(), |h| h.to_string()[..12].into())
        );
    }
    let stats = manifest.statistics.as_ref().ok_or("no statistics")?;
    println!(
        "{} records, {:.0} records/s overall; merged rotation mean {:.5} over {} records; manifest in {}",
        manifest.num_samples,
        manifest.aggregate_throughput,
        stats.rotation.mean,
        stats.rotation.count,
        dir.join("manifest.json").display()
    );
    Ok(())
}
