//! Distributed runs: a communicator trait with an in-memory implementation (threads in
//! one process, for tests and local runs) and an MPI one (feature `mpi`), and the job
//! logic written once against the trait.

mod communicator;
mod files;
mod in_place;
mod job;
mod local;
mod manifest;
#[cfg(feature = "mpi")]
mod mpi_comm;
mod plan;
mod progress;
mod rows;
mod shards;
mod shared;

pub use communicator::{Communicator, ReduceOp};
pub use job::run_generate;
pub use local::{JobAborted, LocalCommunicator};
pub use manifest::{Manifest, ShardEntry, ShardTimings};
#[cfg(feature = "mpi")]
pub use mpi_comm::MpiCommunicator;
pub use plan::{
    manifest_file_name, shard_file_name, GenerateJob, GlobalSeeding, JobError, JobOutput,
};
